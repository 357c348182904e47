# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the bridge_plan filter's IPv6: networks with enable_ipv6, containers' --ip6, docker0's --ipv6."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')
pytest.importorskip('jmespath')

from ansible_collections.hostnet.containers.plugins.filter import bridge_plan as bp  # noqa: E402
from ansible_collections.hostnet.containers.plugins.plugin_utils._plan import PlanError  # noqa: E402


def nets_of(plan):
    return {n['name']: n for n in plan['networks']}


def test_ipv6_options_pass_to_the_network_and_ip6_to_the_endpoint():
    p = bp.bridge_plan([{'name': 'a', 'networks': [{'name': 'web', 'ip6': 'fd00:db8:1:0::10'}]},
                        {'name': 'b', 'networks': [{'name': 'web', 'ipv6_address': 'fd00:db8:1::11'}]}],
                       [{'name': 'web', 'enable_ipv6': True, 'subnet_v6': 'fd00:db8:1::/64', 'gateway_mode_ipv6': 'routed'}])
    web = nets_of(p)['web']
    assert web['enable_ipv6'] is True and web['subnet_v6'] == 'fd00:db8:1::/64' and web['gateway_mode_ipv6'] == 'routed'
    # Written normalised, whichever key the user chose.
    assert [e.get('ipv6_address') for e in web['endpoints']] == ['fd00:db8:1::10', 'fd00:db8:1::11']


@pytest.mark.parametrize('net, container, message', [
    ({'name': 'web', 'subnet_v6': 'fd00::/64'}, None, "bridge_network_networks[0].subnet_v6 'fd00::/64': needs enable_ipv6"),
    ({'name': 'web', 'enable_ipv4': False}, None, 'bridge_network_networks[0].enable_ipv4'),
    ({'name': 'web', 'enable_ipv6': True, 'subnet_v6': '10.0.0.0/24'}, None, "subnet_v6"),
    ({'name': 'web', 'enable_ipv6': True, 'gateway_mode_ipv6': 'isolated'}, None, "gateway_mode_ipv6 'isolated': needs internal"),
    ({'name': 'web', 'enable_ipv6': True}, {'name': 'a', 'networks': [{'name': 'web', 'ip6': '10.0.0.3'}]},
     'bridge_network_containers[0].networks[0].ip6'),
    ({'name': 'web', 'enable_ipv6': True}, {'name': 'a', 'networks': [{'name': 'web', 'ip6': 'fd00::3', 'ipv6_address': 'fd00::4'}]},
     'ipv6_address'),
])
def test_bad_ipv6_input_names_the_option(net, container, message):
    with pytest.raises(PlanError) as err:
        bp.bridge_plan([container] if container else [], [net])
    assert message in str(err.value)


def test_overlapping_ipv6_subnets_of_the_role_are_refused():
    with pytest.raises(PlanError, match=r"bridge_network_networks\[1\]\.subnet_v6 'fd00:1::/64': overlaps subnet_v6 fd00:1::/48"):
        bp.bridge_plan([], [{'name': 'a', 'enable_ipv6': True, 'subnet_v6': 'fd00:1::/48'},
                            {'name': 'b', 'enable_ipv6': True, 'subnet_v6': 'fd00:1::/64'}])


def test_aux_addresses_of_both_families():
    p = bp.bridge_plan([], [{'name': 'a', 'subnet': '10.9.0.0/24', 'enable_ipv6': True, 'subnet_v6': 'fd00:9::/64',
                             'aux_addresses': {'r4': '10.9.0.254', 'r6': 'fd00:9::fe'}}])
    assert nets_of(p)['a']['aux_addresses'] == {'r4': '10.9.0.254', 'r6': 'fd00:9::fe'}
    with pytest.raises(PlanError, match=r'aux_addresses.r6'):
        bp.bridge_plan([], [{'name': 'a', 'enable_ipv6': True, 'subnet_v6': 'fd00:9::/64', 'aux_addresses': {'r6': 'fd00:8::1'}}])


def test_default_bridge_ipv6_from_the_daemon_options():
    p = bp.bridge_plan([{'name': 'a'}], [], {'ipv6': True, 'fixed_cidr_v6': 'fd00:17::/64'})
    assert nets_of(p)['bridge']['enable_ipv6'] is True and nets_of(p)['bridge']['subnet_v6'] == 'fd00:17::/64'
    assert 'subnet_v6' not in nets_of(bp.bridge_plan([], [], {'ipv6': True}))['bridge']
    assert 'enable_ipv6' not in nets_of(bp.bridge_plan([], [], {}))['bridge']
    with pytest.raises(PlanError, match='bridge_network_fixed_cidr_v6'):
        bp.bridge_plan([], [], {'fixed_cidr_v6': 'fd00:17::/64'})


def test_default_address_pools_go_by_family():
    pools = [{'base': '10.50.0.0/16', 'size': 24}, {'base': 'fd12:3456::/48', 'size': 64}]
    p = bp.bridge_plan([], [{'name': 'both', 'enable_ipv6': True}, {'name': 'v4set', 'subnet': '10.9.0.0/24', 'enable_ipv6': True},
                            {'name': 'plain'}, {'name': 'set', 'subnet': '10.8.0.0/24'}], {'default_address_pools': pools})
    nets = nets_of(p)
    assert nets['both']['address_pools'] == pools
    assert nets['v4set']['address_pools'] == pools[1:]
    assert nets['plain']['address_pools'] == pools[:1]
    assert 'address_pools' not in nets['set']


def test_the_bridge_plan_filter_passes_an_ipv6_name_server_the_netns_module_takes():
    plan = bp.bridge_plan([{'name': 'a', 'dns': ['fd00:db8::53']}], None, None)
    assert plan['namespaces'][0]['dns'] == ['fd00:db8::53']
    with pytest.raises(PlanError, match=r'containers\[0\]\.dns\[0\]'):
        bp.bridge_plan([{'name': 'a', 'dns': ['fd00::zz']}], None, None)
