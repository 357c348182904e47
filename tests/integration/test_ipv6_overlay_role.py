# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay_network role with IPv6 inside its overlays, on two emulated hosts (IPv4 underlay): a dual-stack overlay
whose subnet_v6 the plan chooses and an IPv6-only one, addresses allocated once for the play, the role's verification
probing every remote container over IPv6 by address and by name, packets across, and a rerun that changes nothing."""

from __future__ import annotations

import pytest

from conftest import role_runner
from traffic import ping

pytestmark = pytest.mark.once  # see conftest.py

HOSTS = {'host1': {'address': '10.138.3.130/24', 'gateway': '10.138.3.1'},
         'host2': {'address': '10.138.3.131/24', 'gateway': '10.138.3.1'}}
NETWORKS = [{'name': 'blue', 'enable_ipv6': True}, {'name': 'green', 'enable_ipv4': False, 'enable_ipv6': True, 'subnet_v6': 'fd00:77::/64'}]


def overlay(host, name):
    return next(n for n in host.module('network_info')['networks'] if n['Name'] == name)


def test_dual_stack_and_ipv6_only_overlays_from_the_role(lab_factory, tmp_path, collection_path):
    hosts = lab_factory(HOSTS)
    run = role_runner(hosts, tmp_path, collection_path)
    host_vars = {h: {'overlay_network_networks': NETWORKS,
                     'overlay_network_containers': [{'name': 'c' + h[-1], 'networks': ['blue', {'name': 'green', 'aliases': ['g' + h[-1]]}]}]}
                 for h in HOSTS}
    # An IPv6 address outside the overlay's subnet_v6: the plan names it, and no host changes.
    before = {n: h.settled_snapshot() for n, h in hosts.items()}
    host_vars['host2']['overlay_network_containers'][0]['networks'][0] = {'name': 'blue', 'ipv6_address': 'fd00:78::5'}
    rc, out, dummy = run('overlay_network', host_vars)
    assert rc != 0 and 'network blue: overlay_network_containers[c2@host2].ipv6_address' in out and 'fd00:78::5' in out, out
    assert {n: h.settled_snapshot() for n, h in hosts.items()} == before
    host_vars['host2']['overlay_network_containers'][0]['networks'][0] = 'blue'
    rc, out, recap = run('overlay_network', host_vars, overlay_network_verify=True, verbose=True)
    assert rc == 0, out
    assert 'across overlay blue over IPv6 by name: probe from' in out and 'across overlay green over IPv6' in out, 'the IPv6 probes ran'
    h1, h2 = hosts['host1'], hosts['host2']
    blue1, blue2 = overlay(h1, 'blue'), overlay(h2, 'blue')
    subnet6 = blue1['IPAM']['Config'][1]['Subnet']
    assert subnet6.startswith('fd') and subnet6.endswith('::/64') and blue2['IPAM']['Config'][1]['Subnet'] == subnet6
    c2 = next(ep for ep in blue2['Containers'].values())['IPv6Address'].split('/')[0]
    assert blue1['RemoteContainers']['c2']['IPv6Address'] == c2 + '/64'
    assert ping(h1, 'c1', c2, timeout=2)
    green = overlay(h1, 'green')
    assert green['EnableIPv4'] is False and [c['Subnet'] for c in green['IPAM']['Config']] == ['fd00:77::/64']
    assert ping(h1, 'c1', green['RemoteContainers']['c2']['IPv6Address'].split('/')[0], timeout=2)
    rc, out, recap = run('overlay_network', host_vars)
    assert rc == 0 and all(r['changed'] == 0 for r in recap.values()), out
