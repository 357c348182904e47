# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The macvlan_network role with IPv6, run by ansible-playbook on two emulated hosts: one IPv6 address plan for the
play (no address twice on the segment), verified with IPv6 packets, kept across runs."""

from __future__ import annotations

import pytest

from traffic import ping

pytestmark = pytest.mark.once  # see conftest.py

MAC6 = {'name': 'mac6', 'subnet': '10.0.0.0/24', 'enable_ipv6': True, 'subnet_v6': 'fd00:60::/64', 'ip_range_v6': 'fd00:60::100/120'}


@pytest.fixture
def play(run_role):
    return lambda host_vars, check=False, **extra: run_role('macvlan_network', host_vars, check=check, **extra)


def addresses6(host):
    res = host.module('network_info', name='mac6')
    assert not res.get('failed'), res
    net = res['networks'][0]
    return {ep['Name']: ep['IPv6Address'] for ep in net['Containers'].values()}, net['Options'].get('hostnet.containers.host_shim_ip6')


def host_vars(containers, **network):
    return {'macvlan_network_parent': 'ens33', 'macvlan_network_networks': [dict(MAC6, **network)],
            'macvlan_network_containers': [{'name': c, 'networks': ['mac6']} for c in containers]}


def test_ipv6_addresses_allocated_once_for_both_hosts(two_hosts, play):
    h1, h2 = two_hosts
    for host in (h1, h2):
        host.run(['sysctl', '-qw', 'net.ipv6.conf.ens33.disable_ipv6=0'])  # the emulated host's lab port only
    both = {'host1': host_vars(['c1', 'c3'], host_shim=True), 'host2': host_vars(['c2'], host_shim=True)}
    rc, out, recap = play(both, macvlan_network_verify=True, verbose=True)
    assert rc == 0, out
    # Per-host IPAM would give c1 and c2 both fd00:60::100; the play's plan gives every container and shim its own.
    eps1, shim1 = addresses6(h1)
    eps2, shim2 = addresses6(h2)
    assert eps1 == {'c1': 'fd00:60::100/64', 'c3': 'fd00:60::101/64'} and shim1 == 'fd00:60::102'
    assert eps2 == {'c2': 'fd00:60::103/64'} and shim2 == 'fd00:60::104'
    # The role's verification probed IPv6 across the segment and through the shims.
    assert 'c1 to c2 on host2 across the segment: probe from c1 to fd00:60::103 (ping): reachable as expected' in out
    assert 'the host to c1 through its shim fd00:60::102: probe from the host to fd00:60::100 (ping): reachable as expected' in out
    assert ping(h1, 'c1', 'fd00:60::103') and ping(h2, 'c2', 'fd00:60::101') and ping(h2, None, 'fd00:60::100')
    # Again: nothing changes, every address stays.
    rc, out, recap = play(both, macvlan_network_verify=True)
    assert rc == 0 and recap['host1']['changed'] == 0 and recap['host2']['changed'] == 0, out
    assert addresses6(h1) == (eps1, shim1) and addresses6(h2) == (eps2, shim2)
    # Hosts that disagree on the IPv6 segment are refused before any change.
    before = h1.settled_snapshot(), h2.settled_snapshot()
    other = host_vars(['c2'], subnet_v6='fd00:61::/64', ip_range_v6='fd00:61::100/120')
    rc, out, recap = play({'host1': host_vars(['c1', 'c3'], host_shim=True), 'host2': other})
    assert rc != 0 and 'hosts sharing a segment must agree on enable_ipv6, subnet_v6' in out, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before
