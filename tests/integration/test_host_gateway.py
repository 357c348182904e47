# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hosts value host-gateway (docker run --add-host host.docker.internal:host-gateway), in one emulated host: the
name resolves inside the namespace (getent, through the files ip netns exec binds) to the host's address on the
container's network, IPv4 and IPv6, and a TCP connection by that name reaches a listener of the host's."""

from __future__ import annotations

import pytest

import traffic

pytestmark = pytest.mark.once  # files and the store: nothing pyroute2 encodes

PORT = 7171
NET = dict(name='gw', subnet='10.53.0.0/24', enable_ipv6=True, subnet_v6='fd00:53::/64')
NAME = 'host.docker.internal'


def ok(res):
    assert not res.get('failed'), res
    return res


def getent(host, netns, database):
    res = host.netns_run(netns, ['getent', database, NAME], check=False)
    return sorted({line.split()[0] for line in res.stdout.splitlines()}) if res.returncode == 0 else []


def test_netns_hosts_resolve_host_gateway_v4_and_v6(host):
    ok(host.module('docker_bridge', endpoints=[{'name': 'c'}], **NET))
    params = dict(name='c', hosts={NAME: 'host-gateway', 'db': '10.53.0.9'})
    check = ok(host.module('netns', check_mode=True, **params))
    res = ok(host.module('netns', **params))
    assert check['commands'] == res['commands'] and 'write /etc/netns/c/hosts' in res['commands']
    again = ok(host.module('netns', **params))
    assert not again['changed'], again
    text = host.run(['cat', '/etc/netns/c/hosts']).stdout
    assert '10.53.0.1\thost.docker.internal\n' in text and 'fd00:53::1\thost.docker.internal\n' in text, text
    assert getent(host, 'c', 'ahostsv4') == ['10.53.0.1']
    assert getent(host, 'c', 'ahostsv6') == ['fd00:53::1']

    # A listener on the host: reached by the name, over IPv4 and at the IPv6 address the name gives.
    traffic.serve(host, None, PORT)
    traffic.serve(host, None, PORT + 1, family=6)
    answer = traffic.connect(host, 'c', NAME, PORT)
    assert answer and answer.split()[-1] == '10.53.0.2', answer
    assert traffic.connect(host, 'c', 'fd00:53::1', PORT + 1)


def test_the_container_module_resolves_it_for_a_network_it_joins_in_the_same_run(host):
    ok(host.module('docker_bridge', **NET))
    params = dict(name='app', networks=[{'name': 'gw'}], etc_hosts={NAME: 'host-gateway'})
    ok(host.module('container', **params))
    again = ok(host.module('container', **params))
    assert not again['changed'], again
    assert getent(host, 'app', 'ahostsv4') == ['10.53.0.1']
    traffic.serve(host, None, PORT)
    assert traffic.connect(host, 'app', NAME, PORT)


def test_host_gateway_on_a_namespace_without_network_changes_nothing(host):
    ok(host.module('netns', name='lonely'))
    before = host.settled_snapshot()
    for check_mode in (True, False):
        res = host.module('netns', check_mode=check_mode, name='lonely', hosts={NAME: 'host-gateway'})
        assert res.get('failed') and "hosts[host.docker.internal].ip 'host-gateway': network namespace lonely is on no network" in res['msg'], res
        res = host.module('netns', check_mode=check_mode, namespaces=[{'name': 'lonely', 'hosts': [{'ip': 'host-gateway', 'names': [NAME]}]}])
        assert res.get('failed') and "namespaces[0].hosts[0].ip 'host-gateway'" in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_the_bridge_network_role_writes_extra_hosts_after_its_networks(two_hosts, run_role):
    host = two_hosts[0]
    containers = [{'name': 'web', 'networks': [{'name': 'gw', 'ip': '10.53.0.7'}],
                   'extra_hosts': [NAME + ':host-gateway', 'db:10.53.0.9']}]
    host_vars = {'bridge_network_networks': [dict(NET)], 'bridge_network_containers': containers}
    rc, out, recap = run_role('bridge_network', {'host1': host_vars}, only=('host1',))
    assert rc == 0, out
    assert getent(host, 'web', 'ahostsv4') == ['10.53.0.1'] and getent(host, 'web', 'ahostsv6') == ['fd00:53::1']
    assert '10.53.0.9\tdb\n' in host.run(['cat', '/etc/netns/web/hosts']).stdout
    traffic.serve(host, None, PORT)
    assert traffic.connect(host, 'web', NAME, PORT)
    rc, out, recap = run_role('bridge_network', {'host1': host_vars}, only=('host1',))
    assert rc == 0 and recap['host1']['changed'] == 0, out
