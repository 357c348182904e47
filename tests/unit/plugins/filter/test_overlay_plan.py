# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the overlay_plan filter: VNIs, subnets and addresses once for the play, peers and remote endpoints per host."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.filter import overlay_plan as op  # noqa: E402

UNDERLAY = {'host1': '10.138.3.130', 'host2': '10.138.3.131', 'host3': '10.138.3.132', 'host4': '10.138.3.133'}


def request(host, *containers, networks=None, existing=None, **extra):
    out = {'networks': copy.deepcopy(networks if networks is not None else [{'name': 'blue'}]),
           'containers': [c if isinstance(c, dict) else {'name': c, 'networks': ['blue']} for c in containers],
           'underlay_interface': 'ens33', 'underlay_ip': UNDERLAY[host], 'existing': existing or []}
    out.update(extra)
    return out


def existing(name, endpoints, vni=4097, subnet='10.0.0.0/24'):
    return {'Name': name, 'Driver': 'overlay', 'Options': {op.VXLAN_OPTION: str(vni)}, 'IPAM': {'Config': [{'Subnet': subnet}]},
            'Containers': {'id-%s' % c: {'Name': c, 'IPv4Address': '%s/24' % ip, 'MacAddress': ''} for c, ip in endpoints.items()}}


def three(**per_host):
    reqs = {'host1': request('host1', 'c1'), 'host2': request('host2', 'c2'), 'host3': request('host3', 'c3')}
    reqs.update(per_host)
    return reqs


def call(result, host, name='blue'):
    return next(c for c in result[host]['networks'] if c['name'] == name)


def test_one_overlay_on_three_hosts_every_host_knows_its_peers_and_the_remote_containers():
    result = op.plan(three())
    assert {h: r['addresses'] for h, r in result.items()} == {
        'host1': {'blue': {'c1': '10.0.0.2'}}, 'host2': {'blue': {'c2': '10.0.0.3'}}, 'host3': {'blue': {'c3': '10.0.0.4'}}}
    c2 = call(result, 'host2')
    # Docker swarm's first VNI and pool, the gateway the same everywhere (anycast), the default VXLAN port.
    assert c2['vni'] == 4097 and c2['subnet'] == '10.0.0.0/24' and c2['gateway'] == '10.0.0.1' and c2['port'] == 4789
    assert c2['underlay_ip'] == '10.138.3.131' and c2['underlay_interface'] == 'ens33' and c2['state'] == 'present'
    assert c2['endpoints'] == [{'name': 'c2', 'ip': '10.0.0.3', 'mac': '02:42:0a:00:00:03'}]
    assert c2['peers'] == [{'host': 'host1', 'underlay_ip': '10.138.3.130'}, {'host': 'host3', 'underlay_ip': '10.138.3.132'}]
    assert c2['remote_endpoints'] == [{'name': 'c1', 'ip': '10.0.0.2', 'mac': '02:42:0a:00:00:02', 'host': 'host1'},
                                      {'name': 'c3', 'ip': '10.0.0.4', 'mac': '02:42:0a:00:00:04', 'host': 'host3'}]
    assert result['host2']['peers'] == c2['peers']
    probes = [(p['netns'], p['target'], p['method'], p['count']) for p in result['host2']['probes']]
    assert probes == [('c2', '10.0.0.2', 'ping', 3), ('c2', 'c1', 'resolve', 1), ('c2', '10.0.0.4', 'ping', 3), ('c2', 'c3', 'resolve', 1)]
    assert result['host2']['probes'][1]['label'] == 'c2 to c1 on host1 across overlay blue by name'


def test_a_rerun_keeps_what_hosts_hold_and_a_new_container_changes_one_entry_on_the_others():
    held = {'host1': [existing('blue', {'c1': '10.9.0.7'}, vni=5000, subnet='10.9.0.0/24')],
            'host2': [existing('blue', {'c2': '10.9.0.3'}, vni=5000, subnet='10.9.0.0/24')],
            'host3': [existing('blue', {'c3': '10.9.0.2'}, vni=5000, subnet='10.9.0.0/24')]}
    before = op.plan(three(**{h: request(h, c, existing=held[h]) for h, c in (('host1', 'c1'), ('host2', 'c2'), ('host3', 'c3'))}))
    assert call(before, 'host3')['vni'] == 5000 and call(before, 'host3')['subnet'] == '10.9.0.0/24'
    assert before['host1']['addresses']['blue'] == {'c1': '10.9.0.7'} and before['host3']['addresses']['blue'] == {'c3': '10.9.0.2'}
    reqs = three(**{h: request(h, c, existing=held[h]) for h, c in (('host1', 'c1'), ('host2', 'c2'), ('host3', 'c3'))})
    reqs['host1']['containers'].append({'name': 'c4', 'networks': ['blue']})
    after = op.plan(reqs)
    for host in ('host2', 'host3'):
        old, new = call(before, host)['remote_endpoints'], call(after, host)['remote_endpoints']
        assert [e for e in new if e not in old] == [{'name': 'c4', 'ip': after['host1']['addresses']['blue']['c4'],
                                                     'mac': op._ipam.docker_mac(after['host1']['addresses']['blue']['c4']), 'host': 'host1'}]
        assert [e for e in old if e not in new] == [] and call(before, host)['peers'] == call(after, host)['peers']


def test_addresses_never_repeat_across_hosts_and_explicit_ones_are_kept():
    reqs = three(host2=request('host2', {'name': 'c2', 'networks': [{'name': 'blue', 'ip': '10.0.0.2', 'aliases': ['db']}]}))
    result = op.plan(reqs)
    assert result['host2']['addresses']['blue'] == {'c2': '10.0.0.2'}
    assert result['host1']['addresses']['blue'] == {'c1': '10.0.0.3'}
    assert {'name': 'c2', 'ip': '10.0.0.2', 'mac': '02:42:0a:00:00:02', 'aliases': ['db'], 'host': 'host2'} in \
        call(result, 'host1')['remote_endpoints']


def test_vnis_and_subnets_of_two_overlays_and_an_internal_one():
    nets = [{'name': 'blue'}, {'name': 'red', 'internal': True}]
    reqs = {h: request(h, {'name': 'a' + h[-1], 'networks': ['blue']}, {'name': 'b' + h[-1], 'networks': ['red']}, networks=nets)
            for h in ('host1', 'host2')}
    result = op.plan(reqs)
    assert result['host1']['vnis'] == {'blue': 4097, 'red': 4098}
    assert result['host1']['subnets'] == {'blue': '10.0.0.0/24', 'red': '10.0.1.0/24'}
    assert call(result, 'host1', 'red')['internal'] is True and 'internal' not in call(result, 'host1')
    isolation = [p for p in result['host1']['probes'] if p['expect'] == 'unreachable']
    assert [(p['netns'], p['target'], p['count']) for p in isolation] == [('a1', '10.0.1.3', 1), ('b1', '10.0.0.3', 1)]


def test_a_subnet_overlapping_an_underlay_address_is_skipped():
    reqs = {'host1': request('host1', 'c1', underlay_ip='10.0.0.5'), 'host2': request('host2', 'c2')}
    assert op.plan(reqs)['host1']['subnets'] == {'blue': '10.0.1.0/24'}
    pools = [{'base': '192.168.64.0/20', 'size': 26}]
    assert op.plan(three(), address_pools=pools, vni_base=100)['host3']['subnets'] == {'blue': '192.168.64.0/26'}
    assert op.plan(three(), vni_base=100)['host3']['vnis'] == {'blue': 101}


def test_a_host_leaving_is_dropped_from_every_other_host():
    reqs = three(host3=request('host3', 'c3', state='absent', underlay_ip=''))
    result = op.plan(reqs)
    assert result['host3']['networks'] == [{'name': 'blue', 'state': 'absent'}] and result['host3']['state'] == 'absent'
    assert call(result, 'host1')['peers'] == [{'host': 'host2', 'underlay_ip': '10.138.3.131'}]
    assert [e['name'] for e in call(result, 'host1')['remote_endpoints']] == ['c2']
    # A network absent everywhere is removed on every host that lists it.
    reqs = three(**{h: request(h, networks=[{'name': 'blue', 'state': 'absent'}]) for h in ('host1', 'host2', 'host3')})
    assert all(r['networks'] == [{'name': 'blue', 'state': 'absent'}] for r in op.plan(reqs).values())


@pytest.mark.parametrize('reqs, message', [
    (three(host3=request('host3', 'c3', networks=[{'name': 'blue', 'vni': 4097}, {'name': 'red', 'vni': 4097}])),
     'host host3, overlay_network_networks[1].vni: 4097 is also the VNI of network blue'),
    (three(host2=request('host2', 'c2', networks=[{'name': 'blue', 'subnet': '10.5.0.0/16'}, {'name': 'red', 'subnet': '10.5.3.0/24'}])),
     'host host2, overlay_network_networks[1].subnet: 10.5.3.0/24 overlaps 10.5.0.0/16, the subnet of network blue'),
    (three(host3=request('host3', 'c3', underlay_ip='', underlay_interface='')),
     'host host3, overlay_network_underlay_ip: the host has no underlay address'),
    (three(host3=request('host3', 'c3', underlay_ip='10.138.3.130')),
     'host host3, overlay_network_underlay_ip: 10.138.3.130 is also the underlay address of host host1'),
    (three(host1=request('host1', 'c1', networks=[{'name': 'blue', 'vni': 5}]), host2=request('host2', 'c2', networks=[{'name': 'blue', 'vni': 7}])),
     'host host2, overlay_network_networks[0].vni: 7 differs from 5 on host host1; every host of overlay blue must agree'),
    (three(host2=request('host2', 'c1')),
     'host host2, overlay_network_containers[0].networks[0]: c1 is also a name of container c1 on host host1 in network blue'),
    (three(host2=request('host2', {'name': 'c2', 'networks': [{'name': 'blue', 'aliases': ['C1']}]})),
     'host host2, overlay_network_containers[0].networks[0].aliases: C1 is also a name of container c1 on host host1'),
    (three(host1=request('host1', {'name': 'c1', 'networks': [{'name': 'blue', 'aliases': ['db']}]}),
           host3=request('host3', {'name': 'c3', 'networks': [{'name': 'blue', 'aliases': ['db']}]})),
     'host host3, overlay_network_containers[0].networks[0].aliases: db is also a name of container c1 on host host1'),
    (three(host2=request('host2', {'name': 'c2', 'networks': ['green']})),
     "host host2, overlay_network_containers[0].networks[0]: container c2 joins network 'green', which is not in"),
    (three(host1=request('host1', 'c1', networks=[{'name': 'blue', 'vni': 0}])),
     'host host1, overlay_network_networks[0].vni: 0 must be an integer from 1 to 16777215'),
    (three(host1=request('host1', 'c1', networks=[{'name': 'blue', 'vni': 9}], existing=[existing('blue', {})])),
     'host host1, overlay_network_networks[0].vni: 9, but network blue has vni 4097 on host host1'),
    (three(host1=request('host1', 'c1', networks=[{'name': 'blue', 'subnet': '10.0.0.0/33'}])),
     'host host1, overlay_network_networks[0].subnet'),
    (three(host1=request('host1', 'c1', networks=[{'name': 'blue', 'color': 'x'}])),
     'host host1, overlay_network_networks[0]: unknown key color'),
])
def test_bad_input_names_the_host_the_option_and_the_value(reqs, message):
    with pytest.raises(op.PlanError) as exc:
        op.plan(reqs)
    assert message in str(exc.value)


def test_a_host_without_a_request_stops_the_plan():
    with pytest.raises(op.PlanError, match='host host4 handed in no overlay request'):
        op.plan(three(), ['host1', 'host2', 'host3', 'host4'])


def test_the_filter_reads_each_hosts_fact():
    hostvars = {h: {op.REQUEST_FACT: r} for h, r in three().items()}
    assert op.FilterModule().filters()['overlay_plan'](hostvars, ['host1', 'host2'])['host1']['addresses'] == {'blue': {'c1': '10.0.0.2'}}
    with pytest.raises(op.PlanError, match='host nope is not in the inventory'):
        op.overlay_plan(hostvars, 'nope')


def test_a_container_on_two_overlays_is_resolved_without_an_expected_address():
    nets = [{'name': 'blue'}, {'name': 'red'}]
    reqs = {h: request(h, {'name': 'w' + h[-1], 'networks': ['blue', 'red']}, networks=nets) for h in ('host1', 'host2')}
    resolves = [p for p in op.plan(reqs)['host1']['probes'] if p['method'] == 'resolve']
    # Its resolver asks blue's name server first, so w2 resolves to its blue address even when probed for red.
    assert [(p['target'], 'expect_address' in p) for p in resolves] == [('w2', False), ('w2', False)]


# -- an IPv6 underlay ------------------------------------------------------------------------------------------------------
V6 = {'host1': 'fd00:138::130', 'host2': 'fd00:138::131', 'host3': 'fd00:138::132'}


def test_an_ipv6_underlay_gives_ipv6_peers():
    result = op.plan(three(**{h: request(h, 'c%s' % h[-1], underlay_ip=V6[h]) for h in V6}))
    c1 = call(result, 'host1')
    assert c1['underlay_ip'] == V6['host1']
    assert c1['peers'] == [{'host': 'host2', 'underlay_ip': V6['host2']}, {'host': 'host3', 'underlay_ip': V6['host3']}]
    assert result['host1']['peers'] == c1['peers']


def test_one_family_per_overlay_and_no_link_local_vtep():
    with pytest.raises(op.PlanError, match=r'host host2, overlay_network_underlay_ip: fd00:138::131 is an IPv6 address, but host '
                                           r'host1 is on overlay blue with the IPv4 address 10.138.3.130'):
        op.plan(three(host2=request('host2', 'c2', underlay_ip=V6['host2'])))
    with pytest.raises(op.PlanError, match='host host2, overlay_network_underlay_ip: fe80::1 is not a unicast host address'):
        op.plan(three(host2=request('host2', 'c2', underlay_ip='fe80::1')))
    # Every VTEP IPv6 and no container yet: planned.
    assert op.plan(three(**{h: request(h, underlay_ip=V6[h]) for h in V6}))
