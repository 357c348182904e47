# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the macvlan_plan filter: one allocation for every host of a play."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.filter import macvlan_plan as mp  # noqa: E402

MACNET = {'name': 'macnet', 'parent': 'ens33', 'subnet': '10.0.0.0/24', 'ip_range': '10.0.0.32/28', 'gateway': '10.0.0.254'}


def request(*containers, networks=None, existing=None, **extra):
    out = {'networks': copy.deepcopy(networks if networks is not None else [MACNET]),
           'containers': [c if isinstance(c, dict) else {'name': c, 'networks': ['macnet']} for c in containers],
           'existing': existing or []}
    out.update(extra)
    return out


def existing(name, endpoints, shim=None, driver='macvlan'):
    net = {'Name': name, 'Driver': driver, 'Options': {'parent': 'ens33', 'macvlan_mode': 'bridge'},
           'Containers': {'id-%s' % c: {'Name': c, 'IPv4Address': '%s/24' % ip, 'MacAddress': ''} for c, ip in endpoints.items()}}
    if shim:
        net['Options']['hostnet.containers.host_shim_ip'] = shim
    return net


def addresses(result):
    return {h: r['addresses'] for h, r in result.items()}


def test_seed_two_hosts_get_distinct_addresses_where_docker_would_give_both_the_first():
    result = mp.plan({'host1': request('c1'), 'host2': request('c2')}, ['host1', 'host2'])
    assert addresses(result) == {'host1': {'macnet': {'c1': '10.0.0.32'}}, 'host2': {'macnet': {'c2': '10.0.0.33'}}}
    net = result['host2']['networks'][0]
    assert net['endpoints'] == [{'name': 'c2', 'ip': '10.0.0.33'}]
    assert net['parent'] == 'ens33' and net['subnet'] == '10.0.0.0/24' and net['host_shim'] == {'enabled': False}
    assert net['mode'] == 'bridge' and net['state'] == 'present'


def test_what_hosts_hold_is_kept_and_never_handed_out_again():
    reqs = {'host1': request('c1', 'c3', existing=[existing('macnet', {'c1': '10.0.0.40'})]),
            'host2': request('c2', existing=[existing('macnet', {'c2': '10.0.0.32', 'manual': '10.0.0.33'})])}
    got = addresses(mp.plan(reqs, ['host1', 'host2']))
    # c1 and c2 keep theirs, the hand-made endpoint on host2 keeps .33, c3 gets the next free one.
    assert got == {'host1': {'macnet': {'c1': '10.0.0.40', 'c3': '10.0.0.34'}}, 'host2': {'macnet': {'c2': '10.0.0.32'}}}


def test_a_duplicate_left_by_per_host_ipam_is_repaired():
    # Both hosts ran docker-style IPAM on their own and gave out .32: one of them moves.
    reqs = {'host1': request('c1', existing=[existing('macnet', {'c1': '10.0.0.32'})]),
            'host2': request('c2', existing=[existing('macnet', {'c2': '10.0.0.32'})])}
    got = addresses(mp.plan(reqs, ['host1', 'host2']))
    assert got['host1']['macnet']['c1'] != got['host2']['macnet']['c2']


def test_explicit_addresses_and_their_conflicts_across_hosts():
    reqs = {'host1': request({'name': 'c1', 'networks': [{'name': 'macnet', 'ip': '10.0.0.100'}]}),
            'host2': request({'name': 'c2', 'networks': [{'name': 'macnet', 'ip': '10.0.0.101'}]}, 'c3')}
    assert addresses(mp.plan(reqs, ['host1', 'host2']))['host2'] == {'macnet': {'c2': '10.0.0.101', 'c3': '10.0.0.32'}}
    reqs['host2']['containers'][0]['networks'][0]['ip'] = '10.0.0.100'
    with pytest.raises(mp.PlanError, match=r"network macnet: .*10\.0\.0\.100.*is also requested by endpoint 'c1' on host 'host1'"):
        mp.plan(reqs, ['host1', 'host2'])


def test_shims_get_addresses_of_their_own_on_every_host():
    reqs = {'host1': request('c1', host_shim=True), 'host2': request('c2', host_shim=True)}
    result = mp.plan(reqs, ['host1', 'host2'])
    assert result['host1']['shims'] == {'macnet': '10.0.0.33'} and result['host2']['shims'] == {'macnet': '10.0.0.35'}
    assert result['host1']['networks'][0]['host_shim'] == {'enabled': True, 'ip': '10.0.0.33'}
    # A shim already there keeps its address; one fixed address for every host collides.
    reqs['host1']['existing'] = [existing('macnet', {'c1': '10.0.0.32'}, shim='10.0.0.250')]
    assert mp.plan(reqs, ['host1', 'host2'])['host1']['shims'] == {'macnet': '10.0.0.250'}
    fixed = dict(MACNET, host_shim={'ip': '10.0.0.250', 'name': 'mvs0'})
    reqs = {'host1': request('c1', networks=[fixed]), 'host2': request('c2', networks=[fixed])}
    with pytest.raises(mp.PlanError, match='the host shim'):
        mp.plan(reqs, ['host1', 'host2'])


def test_parents_may_differ_but_the_segment_must_agree():
    reqs = {'host1': request('c1', parent='eth0', networks=[dict(MACNET, parent=None)]), 'host2': request('c2')}
    result = mp.plan(reqs, ['host1', 'host2'])
    assert result['host1']['networks'][0]['parent'] == 'eth0' and result['host2']['networks'][0]['parent'] == 'ens33'
    reqs['host2']['networks'][0]['ip_range'] = '10.0.0.64/28'
    with pytest.raises(mp.PlanError, match='network macnet is .* on host host2 but .* on host host1; hosts sharing a segment'):
        mp.plan(reqs, ['host1', 'host2'])


def test_duplicate_macs_on_a_segment_fail_and_automatic_addresses_avoid_explicit_macs():
    reqs = {'host1': request({'name': 'c1', 'networks': [{'name': 'macnet', 'mac': '02:42:0a:00:00:21'}]}),
            'host2': request('c2')}
    # c1's explicit MAC is Docker's MAC of 10.0.0.33, so c2 is not given .33 (its MAC would be the same).
    want = {'host1': {'macnet': {'c1': '10.0.0.32'}}, 'host2': {'macnet': {'c2': '10.0.0.34'}}}
    assert addresses(mp.plan(reqs, ['host1', 'host2'])) == want
    reqs['host2']['containers'].append({'name': 'c3', 'networks': [{'name': 'macnet', 'ip': '10.0.0.33'}]})
    with pytest.raises(mp.PlanError, match='02:42:0a:00:00:21 of container c3 is also the MAC of container c1 on host host1'):
        mp.plan(reqs, ['host1', 'host2'])
    reqs['host2']['containers'][-1] = {'name': 'c3', 'networks': [{'name': 'macnet', 'mac': '02:42:0A:00:00:21'}]}
    with pytest.raises(mp.PlanError, match='02:42:0a:00:00:21 of container c3 is also the MAC of container c1 on host host1'):
        mp.plan(reqs, ['host1', 'host2'])


def test_networks_only_on_some_hosts_and_absent_ones():
    other = {'name': 'lan2', 'parent': 'ens34', 'subnet': '192.168.50.0/24'}
    reqs = {'host1': request('c1', {'name': 'c9', 'networks': ['macnet', 'lan2']}, networks=[MACNET, other]),
            'host2': request('c2', networks=[MACNET, {'name': 'lan2', 'state': 'absent'}])}
    result = mp.plan(reqs, ['host1', 'host2'])
    assert result['host1']['addresses'] == {'macnet': {'c1': '10.0.0.32', 'c9': '10.0.0.33'}, 'lan2': {'c9': '192.168.50.2'}}
    assert result['host2']['networks'][1] == {'name': 'lan2', 'state': 'absent', 'mode': 'bridge', 'parent': None}


def test_probes_follow_the_seed():
    result = mp.plan({'host1': request('c1', 'c3'), 'host2': request('c2')}, ['host1', 'host2'])
    probes = {(p['netns'], p['target'], p['expect']) for p in result['host1']['probes']}
    assert probes == {
        ('c1', '10.0.0.34', 'reachable'), ('c3', '10.0.0.34', 'reachable'),  # across the segment to c2
        ('c1', '10.0.0.33', 'reachable'), ('c3', '10.0.0.32', 'reachable'),  # same host, mode bridge
        (None, '10.0.0.32', 'unreachable'), (None, '10.0.0.33', 'unreachable'),  # the host never reaches its containers
    }
    result = mp.plan({'host1': request('c1', host_shim=True), 'host2': request('c2', verify_isolation=False)},
                     ['host1', 'host2'])
    assert {(p['netns'], p['target'], p['expect']) for p in result['host1']['probes']} == {
        ('c1', '10.0.0.34', 'reachable'), (None, '10.0.0.32', 'reachable'), ('c1', '10.0.0.33', 'reachable')}
    assert {(p['netns'], p['target'], p['expect']) for p in result['host2']['probes']} == {('c2', '10.0.0.32', 'reachable')}
    private = dict(MACNET, mode='private')
    result = mp.plan({'host1': request('c1', 'c3', networks=[private])}, ['host1'])
    assert ('c1', '10.0.0.33', 'unreachable') in {(p['netns'], p['target'], p['expect']) for p in result['host1']['probes']}
    # An internal network (no parent anywhere) never crosses hosts.
    internal = dict(MACNET, parent=None)
    result = mp.plan({'host1': request('c1', networks=[internal]), 'host2': request('c2', networks=[internal])}, ['host1', 'host2'])
    assert all(p['netns'] is None for p in result['host1']['probes'])


@pytest.mark.parametrize('reqs, needle', [
    ({'host1': request('c1')}, 'host host2 handed in no macvlan request'),
    ({'host1': request('c1', networks=[dict(MACNET, subnet=None)]), 'host2': request('c2')},
     r'host host1, macvlan_network_networks\[0\]\.subnet: required'),
    ({'host1': request('c1', networks=[dict(MACNET, mode='vxlan')]), 'host2': request('c2')},
     r"host host1, macvlan_network_networks\[0\]\.mode: 'vxlan' must be one of"),
    ({'host1': request('c1', networks=[dict(MACNET, colour='red')]), 'host2': request('c2')}, 'unknown key colour'),
    ({'host1': request('c1', networks=[MACNET, MACNET]), 'host2': request('c2')}, 'network macnet is listed twice'),
    ({'host1': request('c1', 'c1'), 'host2': request('c2')}, 'container c1 is listed twice'),
    ({'host1': request({'name': 'c1', 'networks': ['nosuch']}), 'host2': request('c2')},
     r"host host1, macvlan_network_containers\[0\]\.networks\[0\]: container c1 joins network 'nosuch'"),
    ({'host1': request({'name': 'c1', 'networks': [{'name': 'macnet', 'ip': '10.1.0.5'}]}), 'host2': request('c2')},
     r'10\.1\.0\.5.*is not inside subnet 10\.0\.0\.0/24'),
    ({'host1': request({'name': 'c1', 'networks': [{'name': 'macnet', 'mac': '01:00:00:00:00:01'}]}), 'host2': request('c2')},
     'multicast'),
    ({'host1': request('c1', networks=[dict(MACNET, gateway='10.9.0.1')]), 'host2': request('c2')}, 'gateway'),
    ({'host1': request('c1', networks=[dict(MACNET, host_shim='yes')]), 'host2': request('c2')},
     r'host host1, macvlan_network_networks\[0\]\.host_shim: .yes. must be true, false or a dict'),
    ({'host1': request(*['c%d' % i for i in range(14)]), 'host2': request('x1', 'x2', 'x3')},
     r"network macnet: macvlan_network_networks\[0\]\.ip_range '10\.0\.0\.32/28': no free address left for endpoint 'x3' on "
     "host 'host2'"),
])
def test_bad_requests_fail_naming_the_option_and_host(reqs, needle):
    with pytest.raises(mp.PlanError, match=needle):
        mp.plan(reqs, ['host1', 'host2'])


def test_the_filter_reads_the_request_fact_from_hostvars():
    hostvars = {'host1': {mp.REQUEST_FACT: request('c1')}, 'host2': {mp.REQUEST_FACT: request('c2')}, 'other': {}}
    assert addresses(mp.FilterModule().filters()['macvlan_plan'](hostvars, ['host1', 'host2']))['host2'] == {
        'macnet': {'c2': '10.0.0.33'}}
    with pytest.raises(mp.PlanError, match='host other handed in no macvlan request'):
        mp.macvlan_plan(hostvars, ['host1', 'other'])
    with pytest.raises(mp.PlanError, match='host ghost is not in the inventory'):
        mp.macvlan_plan(hostvars, ['ghost'])
