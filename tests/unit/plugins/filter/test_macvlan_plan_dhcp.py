# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the macvlan_plan filter with ipam_driver dhcp (issue 28): the LAN's DHCP server owns the addresses,
so the plan allocates none on such a network, refuses addresses asked for on it and probes the leases."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.filter import macvlan_plan as mp  # noqa: E402

DHCPNET = {'name': 'macnet', 'parent': 'ens33', 'ipam_driver': 'dhcp'}
HOSTS = ('host1', 'host2')


def request(*containers, network=None, existing=None, **extra):
    out = {'networks': [copy.deepcopy(network if network is not None else DHCPNET)],
           'containers': [c if isinstance(c, dict) else {'name': c, 'networks': ['macnet']} for c in containers],
           'existing': existing or []}
    out.update(extra)
    return out


def leased(name, endpoints, macs=None):
    """network_info's view of a DHCP network holding ``endpoints`` ({container: leased address})."""
    macs = macs or {}
    return {'Name': name, 'Driver': 'macvlan', 'Options': {'parent': 'ens33', 'macvlan_mode': 'bridge'},
            'Containers': {'id-%s' % c: {'Name': c, 'IPv4Address': '%s/24' % ip, 'MacAddress': macs.get(c, ''),
                                         'lease': {'address': ip, 'prefix': 24}} for c, ip in endpoints.items()}}


def refused(reqs, match, hosts=HOSTS):
    with pytest.raises(mp.PlanError, match=match):
        mp.plan(reqs, hosts)


def test_no_address_is_allocated_and_the_driver_reaches_macvlan_net():
    net = dict(DHCPNET, dhcp_timeout=10)
    result = mp.plan({'host1': request('c1', 'c2', network=net), 'host2': request('c3', 'c4', network=net)}, HOSTS)
    for host, names in (('host1', ['c1', 'c2']), ('host2', ['c3', 'c4'])):
        assert result[host]['addresses'] == {} and result[host]['shims'] == {}
        assert result[host]['leased'] == ['macnet']
        call = result[host]['networks'][0]
        assert call['ipam_driver'] == 'dhcp' and call['dhcp_timeout'] == 10 and call['parent'] == 'ens33'
        assert call['endpoints'] == [{'name': n} for n in names]
        assert 'subnet' not in call and 'gateway' not in call
        assert call['host_shim'] == {'enabled': False}


def test_held_leases_are_not_planned_and_do_not_turn_into_macs():
    # The hosts hold leases already: the plan still asks for none, and a leased address's Docker MAC is no claim.
    reqs = {'host1': request('c1', 'c2', existing=[leased('macnet', {'c1': '10.0.0.100', 'c2': '10.0.0.101'})]),
            'host2': request('c3', {'name': 'c4', 'networks': [{'name': 'macnet', 'mac': '02:42:0a:00:00:64'}]},
                             existing=[leased('macnet', {'c3': '10.0.0.102'})])}
    result = mp.plan(reqs, HOSTS)
    assert result['host2']['networks'][0]['endpoints'] == [{'name': 'c3'}, {'name': 'c4', 'mac': '02:42:0a:00:00:64'}]
    assert result['host1']['addresses'] == {} == result['host2']['addresses']


def test_an_explicit_mac_another_container_holds_is_still_refused():
    reqs = {'host1': request('c1', existing=[leased('macnet', {'c1': '10.0.0.100'}, macs={'c1': '52:54:00:00:00:01'})]),
            'host2': request({'name': 'c3', 'networks': [{'name': 'macnet', 'mac': '52:54:00:00:00:01'}]})}
    refused(reqs, r'host host2, macvlan_network_containers\[0\]\.networks\[0\]\.mac: 52:54:00:00:00:01 of container c3 .*c1 on host host1')


@pytest.mark.parametrize('key, value', [('ip', '10.0.0.5'), ('ipv6_address', 'fd00::5')])
def test_an_address_on_a_leased_network_is_refused_naming_the_entry_and_the_option(key, value):
    reqs = {'host1': request('c1'), 'host2': request('c3', {'name': 'c4', 'networks': [{'name': 'macnet', key: value}]})}
    refused(reqs, r"host host2, macvlan_network_containers\[1\]\.networks\[0\]\.%s: container c4 asks for %s on network macnet, "
                  r"whose addresses come from the LAN's DHCP server \(macvlan_network_networks\[0\]\.ipam_driver is dhcp\)"
            % (key, value))


@pytest.mark.parametrize('net, match', [
    (dict(DHCPNET, ipam_driver='host-local'), r"networks\[0\]\.ipam_driver: 'host-local' must be default or dhcp"),
    (dict(DHCPNET, dhcp_timeout=0), r'networks\[0\]\.dhcp_timeout: 0 must be a whole number of seconds'),
    (dict(DHCPNET, dhcp_timeout='ten'), r"networks\[0\]\.dhcp_timeout: 'ten' must be a whole number"),
    (dict(DHCPNET, enable_ipv6=True, subnet_v6='fd00:60::/64'), r'networks\[0\]\.enable_ipv6: true is refused with ipam_driver dhcp'),
    (dict(DHCPNET, parent=None), r'networks\[0\]\.parent: required with ipam_driver dhcp \(network macnet\)'),
    (dict(DHCPNET, host_shim=True), r'networks\[0\]\.host_shim: a host shim with ipam_driver dhcp .* needs the network\'s subnet and host_shim\.ip'),
    (dict(DHCPNET, host_shim={'ip': '10.0.0.250'}), r'networks\[0\]\.host_shim: .*needs the network\'s subnet'),
    (dict(DHCPNET, subnet='10.0.0.0/24', gateway='10.1.0.1'), r'networks\[0\]\.gateway'),
    (dict(DHCPNET, gateway='router'), r"networks\[0\]\.gateway: 'router' is not an IPv4 address"),
])
def test_bad_leased_networks_are_refused_naming_the_option(net, match):
    refused({'host1': request('c1', network=net), 'host2': request('c3', network=net)}, 'host host1, macvlan_network_' + match)


def test_the_role_parent_serves_a_leased_network_that_names_none():
    net = dict(DHCPNET, parent=None)
    result = mp.plan({'host1': request('c1', network=net, parent='eth0')}, ['host1'])
    assert result['host1']['networks'][0]['parent'] == 'eth0'


def test_hosts_of_a_segment_must_agree_on_the_driver_and_the_lease_checks():
    static = {'name': 'macnet', 'parent': 'ens33', 'subnet': '10.0.0.0/24'}
    refused({'host1': request('c1'), 'host2': request('c3', network=static)},
            r'host host2, macvlan_network_networks\[0\]\.ipam_driver: network macnet has ipam_driver default on host host2 but dhcp on host host1')
    refused({'host1': request('c1', network=dict(DHCPNET, subnet='10.0.0.0/24')), 'host2': request('c3', network=dict(DHCPNET, subnet='10.0.1.0/24'))},
            r'host host2, macvlan_network_networks\[0\]: network macnet is .*; hosts sharing a segment must agree on subnet and gateway')


def test_a_shim_on_a_leased_network_keeps_its_own_address_once_per_segment():
    def net(ip):
        return dict(DHCPNET, subnet='10.0.0.0/24', gateway='10.0.0.254', host_shim={'ip': ip})
    result = mp.plan({'host1': request('c1', network=net('10.0.0.250')), 'host2': request('c3', network=net('10.0.0.251'))}, HOSTS)
    assert result['host1']['shims'] == {'macnet': '10.0.0.250'}
    assert result['host2']['networks'][0]['host_shim'] == {'enabled': True, 'ip': '10.0.0.251'}
    probes = result['host1']['probes']
    assert {'netns': None, 'target': None, 'lease': {'host': 'host1', 'network': 'macnet', 'container': 'c1'},
            'expect': 'reachable', 'count': 3, 'label': 'the host to c1 through its shim 10.0.0.250'} in probes
    assert {'netns': 'c1', 'target': '10.0.0.250', 'expect': 'reachable', 'count': 3, 'label': 'c1 to its host through the shim'} in probes
    refused({'host1': request('c1', network=net('10.0.0.250')), 'host2': request('c3', network=net('10.0.0.250'))},
            r'host host2, macvlan_network_networks\[0\]\.host_shim\.ip: 10\.0\.0\.250 is also the host shim address of host host1')


def test_probes_name_the_leases_they_reach():
    result = mp.plan({'host1': request('c1', 'c2'), 'host2': request('c3', 'c4')}, HOSTS)
    probes = result['host1']['probes']
    by_why = {p['label']: p for p in probes}
    assert by_why['c1 to c3 on host2 across the segment'] == {
        'netns': 'c1', 'target': None, 'lease': {'host': 'host2', 'network': 'macnet', 'container': 'c3'},
        'expect': 'reachable', 'count': 3, 'label': 'c1 to c3 on host2 across the segment'}
    assert by_why['c2 to c1 on the same host (mode bridge)']['lease'] == {'host': 'host1', 'network': 'macnet', 'container': 'c1'}
    isolated = by_why['the host to c2 without a shim (a macvlan parent never talks to its children)']
    assert isolated['expect'] == 'unreachable' and isolated['count'] == 1
    # Each container: 2 across the segment, 1 beside it, and the host's probe without a shim.
    assert len(probes) == 8 and all(p['target'] is None for p in probes)


def test_a_leased_network_beside_a_planned_one_leaves_the_planned_one_alone():
    static = {'name': 'lan2', 'parent': 'ens34', 'subnet': '10.2.0.0/24', 'ip_range': '10.2.0.32/28'}
    reqs = {h: {'networks': [copy.deepcopy(DHCPNET), static], 'existing': [],
                'containers': [{'name': c, 'networks': ['macnet', 'lan2']}]} for h, c in (('host1', 'c1'), ('host2', 'c3'))}
    result = mp.plan(reqs, HOSTS)
    assert result['host1']['addresses'] == {'lan2': {'c1': '10.2.0.32'}} and result['host2']['addresses'] == {'lan2': {'c3': '10.2.0.33'}}
    assert [n['name'] for n in result['host1']['networks']] == ['macnet', 'lan2']
    assert result['host1']['leased'] == ['macnet']
    probe = {'netns': 'c1', 'target': '10.2.0.33', 'expect': 'reachable', 'count': 3, 'label': 'c1 to c3 on host2 across the segment'}
    assert probe in result['host1']['probes']


def test_an_absent_leased_network_is_removed_without_the_driver_checks():
    result = mp.plan({'host1': request(network=dict(DHCPNET, state='absent', parent=None))}, ['host1'])
    assert result['host1']['networks'] == [{'name': 'macnet', 'state': 'absent', 'mode': 'bridge', 'ipam_driver': 'dhcp', 'parent': None}]
    assert result['host1']['leased'] == [] and result['host1']['probes'] == []
