# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An endpoint's host end named as asked (``host_ifname``, netavark's host_interface_name), in one emulated host:
made with the name, renamed in place, owned under its new name, never taking the name of a link of someone else."""

from __future__ import annotations

import json

import pytest

import traffic

pytestmark = pytest.mark.once  # a rename is one link_set_request, the request every repair sends under both pyroute2s

NET = dict(name='named', subnet='10.51.0.0/24')


def ok(res):
    assert not res.get('failed'), res
    return res


def rerun_unchanged(host, module, **params):
    again = ok(host.module(module, **params))
    assert not again['changed'] and again['commands'] == [], again


def link(host, name):
    res = host.run(['ip', '-j', '-d', 'link', 'show', 'dev', name], check=False)
    return json.loads(res.stdout)[0] if res.returncode == 0 else None


def recorded_veth(host, cname):
    return json.loads(host.run(['cat', '/var/lib/hostnet/networks/named.json']).stdout)['endpoints'][cname]['veth']


def test_named_renamed_owned_and_removed(host):
    res = ok(host.module('docker_bridge', endpoints=[{'name': 'c', 'ip': '10.51.0.2', 'host_ifname': 'hn-c'}], **NET))
    rerun_unchanged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.51.0.2', 'host_ifname': 'hn-c'}], **NET)
    bridge = res['network']['Options']['com.docker.network.bridge.name']
    made = link(host, 'hn-c')
    assert made['linkinfo']['info_kind'] == 'veth' and made['master'] == bridge, made
    assert recorded_veth(host, 'c') == 'hn-c'
    assert traffic.ping(host, None, '10.51.0.2') and traffic.ping(host, 'c', '10.51.0.1')

    # A new name: the same link renamed in place, on the bridge, the container's end untouched; only that changes.
    before_peer = host.netns_run('c', 'ip -j link show eth0').stdout
    params = dict(endpoints=[{'name': 'c', 'ip': '10.51.0.2', 'host_ifname': 'hn-web'}], **NET)
    check = ok(host.module('docker_bridge', check_mode=True, **params))
    res = ok(host.module('docker_bridge', **params))
    assert check['commands'] == res['commands'] == ['write network state named', 'rename hn-c to hn-web (host end of c on named)']
    rerun_unchanged(host, 'docker_bridge', **params)
    renamed = link(host, 'hn-web')
    assert link(host, 'hn-c') is None and renamed['ifindex'] == made['ifindex'] and renamed['master'] == bridge
    assert host.netns_run('c', 'ip -j link show eth0').stdout == before_peer
    assert recorded_veth(host, 'c') == 'hn-web'
    assert traffic.ping(host, None, '10.51.0.2')

    # Omitted: Docker's name again (veth and 7 hex), by the same rename.
    res = ok(host.module('docker_bridge', endpoints=[{'name': 'c', 'ip': '10.51.0.2'}], **NET))
    default = recorded_veth(host, 'c')
    assert default.startswith('veth') and len(default) == 11 and res['commands'][-1] == 'rename hn-web to %s (host end of c on named)' % default
    assert link(host, default)['ifindex'] == made['ifindex']

    # Owned under its name: removing the network deletes it.
    ok(host.module('docker_bridge', endpoints=[{'name': 'c', 'ip': '10.51.0.2', 'host_ifname': 'hn-c'}], **NET))
    ok(host.module('docker_bridge', name='named', state='absent', force=True))
    assert link(host, 'hn-c') is None


def test_a_clash_is_refused_with_nothing_changed(host):
    ok(host.module('docker_bridge', endpoints=[{'name': 'c', 'ip': '10.51.0.2', 'host_ifname': 'hn-c'}], **NET))
    host.run(['ip', 'link', 'add', 'mine0', 'type', 'veth', 'peer', 'name', 'mine0p'])
    before = host.settled_snapshot()
    for check_mode in (True, False):
        # A link of the host's that the collection did not make: refused and named, never renamed or deleted.
        res = host.module('docker_bridge', check_mode=check_mode, endpoints=[{'name': 'c', 'ip': '10.51.0.2', 'host_ifname': 'mine0'}], **NET)
        assert res.get('failed') and res.get('foreign_link') == 'mine0', res
        assert "endpoints[0].host_ifname 'mine0'" in res['msg'] and 'did not make' in res['msg'], res
        # A new endpoint: the same.
        res = host.module('docker_bridge', check_mode=check_mode, endpoints=[{'name': 'd', 'host_ifname': 'mine0'}], **NET)
        assert res.get('failed') and res.get('foreign_link') == 'mine0', res
        # Another endpoint's host end.
        res = host.module('docker_bridge', check_mode=check_mode, endpoints=[{'name': 'd', 'host_ifname': 'hn-c'}], **NET)
        assert res.get('failed') and "endpoints[0].host_ifname 'hn-c': is already the host end of c on network named" in res['msg'], res
        # Not an interface name.
        res = host.module('docker_bridge', check_mode=check_mode, endpoints=[{'name': 'd', 'host_ifname': 'a-very-long-name0'}], **NET)
        assert res.get('failed') and "endpoints[0].host_ifname 'a-very-long-name0': interface names are limited to 15 bytes" in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_the_container_module_names_the_host_end(host):
    ok(host.module('docker_bridge', **NET))
    ok(host.module('macvlan_net', name='mac', subnet='10.52.0.0/24'))
    params = dict(name='app', networks=[{'name': 'named', 'host_ifname': 'hn-app'}])
    ok(host.module('container', **params))
    rerun_unchanged(host, 'container', **params)
    assert link(host, 'hn-app')['linkinfo']['info_kind'] == 'veth'
    assert traffic.ping(host, 'app', '10.51.0.1')
    res = host.module('container', name='app', networks=[{'name': 'named', 'host_ifname': 'hn-app'}, {'name': 'mac', 'host_ifname': 'x'}])
    assert res.get('failed') and "networks[1].host_ifname 'x': only bridge networks have a host end" in res['msg'], res


def test_the_bridge_network_role_names_the_host_end(two_hosts, run_role):
    host = two_hosts[0]
    containers = [{'name': 'web', 'networks': [{'name': 'named', 'host_ifname': 'hn-web'}]}]
    host_vars = {'bridge_network_networks': [dict(NET)], 'bridge_network_containers': containers}
    rc, out, dummy = run_role('bridge_network', {'host1': host_vars}, only=('host1',))
    assert rc == 0, out
    assert link(host, 'hn-web')['linkinfo']['info_kind'] == 'veth' and recorded_veth(host, 'web') == 'hn-web'
    assert traffic.ping(host, 'web', '10.51.0.1')
    rc, out, recap = run_role('bridge_network', {'host1': host_vars}, only=('host1',))
    assert rc == 0 and recap['host1']['changed'] == 0, out
