# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The macvlan_network role on a network with ipam_driver dhcp (issue 28): host1 and host2, and a LAN host whose
dnsmasq leases the containers' addresses; the role plans none, verifies the leases and refuses an asked address."""

from __future__ import annotations

import functools
import re

import pytest

import conftest

pytestmark = pytest.mark.once  # see conftest.py

LEASES = '/var/lib/misc/hostnet-test-dnsmasq.leases'
DHCPNET = {'name': 'macnet', 'parent': 'ens33', 'ipam_driver': 'dhcp', 'dhcp_timeout': 20}


@pytest.fixture
def lan(lab_factory, tmp_path, collection_path):
    """(host1, host2, lan, run): lan (10.0.0.254 on the switch) runs dnsmasq for 10.0.0.100-199; run is the role runner."""
    hosts = lab_factory(dict(conftest.SEED_HOSTS, lan={'address': '10.0.0.254/24'}))
    hosts['lan'].run(['/usr/sbin/dnsmasq', '--conf-file=/dev/null', '--port=0', '--interface=ens33', '--bind-interfaces',
                      '--no-ping', '--dhcp-range=10.0.0.100,10.0.0.199,255.255.255.0,1h', '--dhcp-authoritative',
                      '--dhcp-option=option:router,10.0.0.254', '--dhcp-leasefile=' + LEASES,
                      '--pid-file=/run/hostnet-test-dnsmasq.pid'])
    runner = conftest.role_runner({'host1': hosts['host1'], 'host2': hosts['host2']}, tmp_path, collection_path)
    return hosts['host1'], hosts['host2'], hosts['lan'], functools.partial(runner, 'macvlan_network')


def role_vars(*containers, network=None):
    return {'macvlan_network_networks': [dict(network or DHCPNET)],
            'macvlan_network_containers': [c if isinstance(c, dict) else {'name': c, 'networks': ['macnet']} for c in containers]}


def leased(host):
    res = host.module('network_info', name='macnet')
    assert not res.get('failed'), res
    return {ep['Name']: ep['IPv4Address'] for ep in (res['networks'][0]['Containers'].values() if res['networks'] else [])}


def test_an_address_asked_on_a_leased_network_is_refused_before_anything_changes(lan):
    h1, h2, run = lan[0], lan[1], lan[3]
    before = h1.settled_snapshot(), h2.settled_snapshot()
    rc, out = run({'host1': role_vars('c1'), 'host2': role_vars({'name': 'c3', 'networks': [{'name': 'macnet', 'ip': '10.0.0.150'}]})})[:2]
    assert rc != 0
    assert ("host host2, macvlan_network_containers[0].networks[0].ip: container c3 asks for 10.0.0.150 on network macnet, "
            "whose addresses come from the LAN's DHCP server (macvlan_network_networks[0].ipam_driver is dhcp)") in out, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before


def test_the_containers_lease_from_the_lan_and_the_role_verifies_the_leases(lan):
    h1, h2, server, run = lan
    host_vars = {'host1': role_vars('c1', 'c2'), 'host2': role_vars('c3')}
    rc, out = run(host_vars, macvlan_network_verify=True)[:2]
    assert rc == 0, out
    got = dict(leased(h1), **leased(h2))
    assert sorted(got) == ['c1', 'c2', 'c3'], got
    assert all(re.match(r'^10\.0\.0\.1\d\d/24$', ip) for ip in got.values()), got
    assert 'c1 to c3 on host2 across the segment: reachable' in out, out
    assert 'c2 to c1 on the same host (mode bridge): reachable' in out, out
    assert 'the host to c3 without a shim (a macvlan parent never talks to its children): unreachable' in out, out
    # The server holds a lease per container, under its name (option 12).
    table = server.run(['cat', LEASES]).stdout
    assert {line.split()[3] for line in table.splitlines()} == {'c1', 'c2', 'c3'}, table

    # Again: nothing changes, and each keeps its lease.
    rc, out, recap = run(host_vars, macvlan_network_verify=True)
    assert rc == 0 and recap['host1']['changed'] == 0 and recap['host2']['changed'] == 0, out
    assert dict(leased(h1), **leased(h2)) == got
