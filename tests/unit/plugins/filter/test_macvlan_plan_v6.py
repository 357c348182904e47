# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the macvlan_plan filter's IPv6: addresses allocated once for the play, per family."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.filter import macvlan_plan as mp  # noqa: E402
from ansible_collections.hostnet.containers.plugins.plugin_utils._plan import PlanError  # noqa: E402

DUAL = {'name': 'mac6', 'parent': 'ens33', 'subnet': '10.0.0.0/24', 'enable_ipv6': True, 'subnet_v6': 'fd00:60::/64',
        'ip_range_v6': 'fd00:60::100/120'}


def request(*containers, net=None, existing=None, **extra):
    out = {'networks': [copy.deepcopy(net or DUAL)],
           'containers': [c if isinstance(c, dict) else {'name': c, 'networks': [(net or DUAL)['name']]} for c in containers],
           'existing': existing or []}
    out.update(extra)
    return out


def held(endpoints, shim6=None):
    net = {'Name': 'mac6', 'Driver': 'macvlan', 'Options': {'parent': 'ens33', 'macvlan_mode': 'bridge'},
           'Containers': {'id-%s' % c: {'Name': c, 'IPv4Address': '%s/24' % ip4 if ip4 else '', 'IPv6Address': '%s/64' % ip6,
                                        'MacAddress': ''} for c, (ip4, ip6) in endpoints.items()}}
    if shim6:
        net['Options']['hostnet.containers.host_shim_ip6'] = shim6
    return net


def test_two_hosts_get_distinct_ipv6_addresses_and_the_shims_too():
    result = mp.plan({'host1': request('c1', host_shim=True), 'host2': request('c2', host_shim=True)}, ['host1', 'host2'])
    assert result['host1']['addresses6'] == {'mac6': {'c1': 'fd00:60::100'}}
    assert result['host2']['addresses6'] == {'mac6': {'c2': 'fd00:60::102'}}
    assert (result['host1']['shims6'], result['host2']['shims6']) == ({'mac6': 'fd00:60::101'}, {'mac6': 'fd00:60::103'})
    call = result['host2']['networks'][0]
    assert call['endpoints'] == [{'name': 'c2', 'ip': '10.0.0.4', 'ipv6_address': 'fd00:60::102'}]
    assert call['host_shim'] == {'enabled': True, 'ip': '10.0.0.5', 'ipv6_address': 'fd00:60::103'}
    assert (call['enable_ipv6'], call['subnet_v6'], call['ip_range_v6']) == (True, 'fd00:60::/64', 'fd00:60::100/120')
    # Both families are probed across the segment.
    targets = {p['target'] for p in result['host1']['probes']}
    assert {'10.0.0.4', 'fd00:60::102'} <= targets


def test_held_ipv6_addresses_are_kept_and_explicit_ones_honoured():
    reqs = {'host1': request('c1', existing=[held({'c1': ('10.0.0.2', 'fd00:60::100')})]),
            'host2': request({'name': 'c2', 'networks': [{'name': 'mac6', 'ipv6_address': 'fd00:60::101'}]}, 'c3')}
    result = mp.plan(reqs, ['host1', 'host2'])
    assert result['host1']['addresses6'] == {'mac6': {'c1': 'fd00:60::100'}}
    assert result['host2']['addresses6'] == {'mac6': {'c2': 'fd00:60::101', 'c3': 'fd00:60::102'}}


def test_ipv6_only_network_has_no_ipv4_addresses():
    only6 = {'name': 'only6', 'parent': 'ens33', 'enable_ipv4': False, 'enable_ipv6': True, 'subnet_v6': 'fd00:61::/64'}
    result = mp.plan({'host1': request('a', net=only6), 'host2': request('b', net=only6)}, ['host1', 'host2'])
    assert result['host1']['addresses'] == {} and result['host2']['addresses6'] == {'only6': {'b': 'fd00:61::3'}}
    assert result['host1']['networks'][0]['endpoints'] == [{'name': 'a', 'ipv6_address': 'fd00:61::2'}]


@pytest.mark.parametrize('net,text', [
    (dict(DUAL, subnet_v6=None), "host host1, macvlan_network_networks[0].subnet_v6: required"),
    (dict(DUAL, enable_ipv6=False), "host host1, macvlan_network_networks[0].subnet_v6 'fd00:60::/64': needs enable_ipv6: true"),
    (dict(DUAL, subnet_v6='10.9.0.0/24'), "subnet_v6 '10.9.0.0/24': is an IPv4 network; this option takes IPv6"),
    (dict(DUAL, gateway_v6='fd00:99::1'), "macvlan_network_networks[0].gateway_v6 'fd00:99::1': is not inside subnet"),
])
def test_bad_ipv6_input_names_the_option(net, text):
    with pytest.raises(PlanError) as err:
        mp.plan({'host1': request('c1', net=net)}, ['host1'])
    assert text in str(err.value)


def test_hosts_must_agree_on_the_ipv6_segment():
    reqs = {'host1': request('c1'), 'host2': request('c2', net=dict(DUAL, subnet_v6='fd00:62::/64', ip_range_v6=None))}
    with pytest.raises(PlanError) as err:
        mp.plan(reqs, ['host1', 'host2'])
    assert 'hosts sharing a segment must agree on enable_ipv6, subnet_v6' in str(err.value)


def test_two_hosts_asking_one_ipv6_address_fail():
    ask = {'name': 'x', 'networks': [{'name': 'mac6', 'ipv6_address': 'fd00:60::150'}]}
    reqs = {'host1': request(ask), 'host2': request(dict(ask, name='y'))}
    with pytest.raises(PlanError) as err:
        mp.plan(reqs, ['host1', 'host2'])
    assert 'ipv6_address' in str(err.value) and 'fd00:60::150' in str(err.value)


def test_an_explicit_mac_twice_on_an_ipv6_only_segment_is_refused():
    only6 = {'name': 'only6', 'parent': 'ens33', 'enable_ipv4': False, 'enable_ipv6': True, 'subnet_v6': 'fd00:61::/64'}
    mac = {'name': 'only6', 'mac': '02:00:00:00:00:01'}
    reqs = {'host1': request({'name': 'a', 'networks': [mac]}, net=only6), 'host2': request({'name': 'b', 'networks': [mac]}, net=only6)}
    with pytest.raises(PlanError) as err:
        mp.plan(reqs, ['host1', 'host2'])
    assert 'one segment needs distinct MACs' in str(err.value)
