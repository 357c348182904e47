# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the overlay_plan filter's IPv6: subnet_v6 and IPv6 addresses once for the play, every host's remote
endpoints with their IPv6 address, IPv6-only overlays, and bad input named by host and variable."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.filter import overlay_plan as op  # noqa: E402

UNDERLAY = {'host1': '10.138.3.130', 'host2': '10.138.3.131', 'host3': '10.138.3.132'}
DUAL = [{'name': 'blue', 'enable_ipv6': True}]


def request(host, *containers, networks=None, existing=None):
    return {'networks': copy.deepcopy(networks if networks is not None else DUAL),
            'containers': [c if isinstance(c, dict) else {'name': c, 'networks': ['blue']} for c in containers],
            'underlay_interface': 'ens33', 'underlay_ip': UNDERLAY[host], 'existing': existing or []}


def three(networks=None, **per_host):
    reqs = {h: request(h, c, networks=networks) for h, c in (('host1', 'c1'), ('host2', 'c2'), ('host3', 'c3'))}
    reqs.update(per_host)
    return reqs


def call(result, host, name='blue'):
    return next(c for c in result[host]['networks'] if c['name'] == name)


def held(endpoints, subnet6, subnet='10.0.0.0/24'):
    configs = ([{'Subnet': subnet}] if subnet else []) + [{'Subnet': subnet6}]
    return {'Name': 'blue', 'Driver': 'overlay', 'Options': {op.VXLAN_OPTION: '4097'}, 'IPAM': {'Config': configs},
            'Containers': {'id-%s' % c: {'Name': c, 'IPv4Address': '%s/24' % ip if ip else '', 'IPv6Address': '%s/64' % ip6,
                                         'MacAddress': ''} for c, (ip, ip6) in endpoints.items()}}


def test_dual_stack_overlay_gets_one_subnet_v6_for_the_play_and_each_host_the_remote_ipv6_addresses():
    result = op.plan(three())
    c2 = call(result, 'host2')
    # A ULA /64 from the overlay's own /48 (from its name), the same on every host; ::1 the anycast gateway.
    assert c2['subnet_v6'].startswith('fd') and c2['subnet_v6'].endswith('::/64') and c2['gateway_v6'] == c2['subnet_v6'][:-3] + '1'
    assert {call(result, h)['subnet_v6'] for h in UNDERLAY} == {c2['subnet_v6']} and c2['enable_ipv6'] is True
    assert op.plan(three())['host1']['subnets_v6'] == result['host1']['subnets_v6']
    prefix = c2['subnet_v6'][:-3]
    assert c2['endpoints'] == [{'name': 'c2', 'ip': '10.0.0.3', 'mac': '02:42:0a:00:00:03', 'ipv6_address': prefix + '3'}]
    assert c2['remote_endpoints'] == [
        {'name': 'c1', 'ip': '10.0.0.2', 'ipv6_address': prefix + '2', 'mac': '02:42:0a:00:00:02', 'host': 'host1'},
        {'name': 'c3', 'ip': '10.0.0.4', 'ipv6_address': prefix + '4', 'mac': '02:42:0a:00:00:04', 'host': 'host3'}]
    assert result['host3']['addresses_v6'] == {'blue': {'c3': prefix + '4'}}
    probes = [(p['target'], p['method'], p.get('family')) for p in result['host2']['probes']][:4]
    assert probes == [('10.0.0.2', 'ping', None), ('c1', 'resolve', None), (prefix + '2', 'ping', None), ('c1', 'resolve', 'ipv6')]


def test_given_subnet_v6_pools_and_explicit_addresses_are_kept_and_never_repeated():
    nets = [{'name': 'blue', 'enable_ipv6': True, 'subnet_v6': 'fd00:1::/64', 'aux_addresses': {'r': 'fd00:1::2', 'r4': '10.0.0.2'}}]
    reqs = three(networks=nets, host2=request('host2', {'name': 'c2', 'networks': [{'name': 'blue', 'ipv6_address': 'fd00:1::3'}]},
                                              networks=nets))
    result = op.plan(reqs)
    c1 = call(result, 'host1')
    assert c1['aux_addresses'] == {'r': 'fd00:1::2', 'r4': '10.0.0.2'}
    assert [e['ipv6_address'] for e in c1['remote_endpoints']] == ['fd00:1::3', 'fd00:1::5'] and c1['endpoints'][0]['ipv6_address'] == 'fd00:1::4'
    assert [e['ip'] for e in c1['remote_endpoints']] == ['10.0.0.4', '10.0.0.5'] and c1['endpoints'][0]['ip'] == '10.0.0.3'
    pools = [{'base': 'fd12:3456::/48', 'size': 64}]
    assert call(op.plan(three(), address_pools=pools), 'host1')['subnet_v6'] == 'fd12:3456::/64'
    assert call(op.plan(three(), address_pools=pools), 'host1')['subnet'] == '10.0.0.0/24'  # IPv4 from the default pool


def test_a_rerun_keeps_the_held_subnet_v6_and_addresses():
    held_by = {'host1': {'c1': ('10.0.0.7', 'fd00:9::7')}, 'host2': {'c2': ('10.0.0.3', 'fd00:9::3')}, 'host3': {'c3': ('10.0.0.2', 'fd00:9::9')}}
    reqs = {h: request(h, c, existing=[held(held_by[h], 'fd00:9::/64')]) for h, c in (('host1', 'c1'), ('host2', 'c2'), ('host3', 'c3'))}
    result = op.plan(reqs)
    assert call(result, 'host1')['subnet_v6'] == 'fd00:9::/64'
    assert result['host3']['addresses_v6'] == {'blue': {'c3': 'fd00:9::9'}}
    bad = copy.deepcopy(reqs)
    bad['host2']['networks'][0]['subnet_v6'] = 'fd00:8::/64'
    with pytest.raises(op.PlanError, match=r'host host2, overlay_network_networks\[0\].subnet_v6: fd00:8::/64, but network blue has subnet_v6'):
        op.plan(bad)


def test_an_ipv6_only_overlay_has_no_ipv4_and_macs_from_the_ipv6_address():
    nets = [{'name': 'blue', 'enable_ipv4': False, 'enable_ipv6': True, 'subnet_v6': 'fd00:2::/64'}]
    result = op.plan(three(networks=nets))
    c1 = call(result, 'host1')
    assert 'subnet' not in c1 and c1['enable_ipv4'] is False
    assert c1['endpoints'] == [{'name': 'c1', 'ipv6_address': 'fd00:2::2', 'mac': '02:42:00:00:00:02'}]
    assert c1['remote_endpoints'][0] == {'name': 'c2', 'ipv6_address': 'fd00:2::3', 'mac': '02:42:00:00:00:03', 'host': 'host2'}
    assert result['host1']['addresses'] == {'blue': {}} and result['host1']['subnets'] == {}
    assert [p['target'] for p in result['host1']['probes'] if p['method'] == 'ping'] == ['fd00:2::3', 'fd00:2::4']


@pytest.mark.parametrize('networks, container, message', [
    ([{'name': 'blue', 'enable_ipv4': False}], None, r'host host1, overlay_network_networks\[0\].enable_ipv4: false, but network blue has no IPv6'),
    ([{'name': 'blue'}], {'name': 'blue', 'ipv6_address': 'fd00::5'},
     r'host host1, overlay_network_containers\[0\].networks\[0\].ipv6_address: fd00::5 needs enable_ipv6: true'),
    ([{'name': 'blue', 'enable_ipv6': True, 'subnet_v6': '10.1.0.0/24'}], None, r'host host1, overlay_network_networks\[0\].subnet_v6'),
    (DUAL, {'name': 'blue', 'ipv6_address': 'fd00::5'}, r'network blue: overlay_network_containers\[c1@host1\].ipv6_address'),
    ([{'name': 'blue', 'enable_ipv6': 'yes'}], None, r'enable_ipv6: .yes. must be true or false'),
])
def test_bad_ipv6_input_is_named(networks, container, message):
    reqs = three(networks=networks)
    if container is not None:
        reqs['host1'] = request('host1', {'name': 'c1', 'networks': [container]}, networks=networks)
    with pytest.raises(op.PlanError, match=message):
        op.plan(reqs)


def test_two_overlays_with_overlapping_subnet_v6_are_refused():
    nets = [{'name': 'blue', 'enable_ipv6': True, 'subnet_v6': 'fd00:1::/64'},
            {'name': 'red', 'enable_ipv6': True, 'subnet_v6': 'fd00:1::/48'}]
    with pytest.raises(op.PlanError, match=r'overlay_network_networks\[1\].subnet_v6: fd00:1::/48 overlaps fd00:1::/64, the subnet_v6 of network blue'):
        op.plan(three(networks=nets))
