# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker_bridge's list form (networks): every network of a host in one run, each planned once; a refused or failing
item undoes what the earlier items did."""

from __future__ import annotations

from traffic import connect, ping, serve

FRONT = {'name': 'front', 'endpoints': [{'name': 'web', 'publish': ['8080:80']}, {'name': 'cache'}]}
BACK = {'name': 'back', 'internal': True, 'endpoints': [{'name': 'web'}, {'name': 'db'}]}


def ok(res):
    assert not res.get('failed'), res
    return res


def subnets(res):
    return {item['name']: item['after']['subnet'] for item in res['networks']}


def test_two_networks_in_one_run(host):
    before = host.settled_snapshot()
    check = ok(host.module('docker_bridge', check_mode=True, networks=[FRONT, BACK]))
    # Check mode: the second network does not take the subnet the first one would (the first's plan stands in).
    assert check['changed'] and subnets(check) == {'front': '172.18.0.0/16', 'back': '172.19.0.0/16'}
    assert host.settled_snapshot(like=before) == before
    res = ok(host.module('docker_bridge', networks=[FRONT, BACK]))
    assert res['changed'] and subnets(res) == subnets(check)
    assert [item['name'] for item in res['networks']] == ['front', 'back'] and all(item['changed'] for item in res['networks'])
    assert res['networks'][0]['published'] == {'web': ['0.0.0.0:8080->80/tcp']}
    assert res['networks'][1]['network']['Internal'] is True
    assert sorted(res['after']) == ['back', 'front'] and res['commands'] == res['networks'][0]['commands'] + res['networks'][1]['commands']
    # web is on both (eth0 front, eth1 back): it reaches db over back, and the host reaches it through the publish.
    assert host.netns_run('web', 'ip -o -4 addr show eth1').stdout.count('172.19.0.') == 1
    serve(host, 'db', 5432)
    assert connect(host, 'web', '172.19.0.3', 5432)
    assert not connect(host, 'cache', '172.19.0.3', 5432, timeout=0.5)  # cache is not on back
    again = ok(host.module('docker_bridge', networks=[FRONT, BACK]))
    assert not again['changed'] and [item['changed'] for item in again['networks']] == [False, False]
    # Both gone in one run, in the order listed.
    gone = ok(host.module('docker_bridge', networks=[{'name': 'back', 'state': 'absent', 'force': True},
                                                     {'name': 'front', 'state': 'absent', 'force': True}]))
    assert gone['changed'] and gone['after'] == {'back': None, 'front': None}
    assert host.settled_snapshot(like=before) == before


def test_a_refused_item_undoes_the_items_before_it(host):
    ok(host.module('docker_bridge', name='front', endpoints=FRONT['endpoints']))
    before = host.settled_snapshot()
    grown = dict(FRONT, endpoints=FRONT['endpoints'] + [{'name': 'extra'}])
    taken = {'name': 'lan', 'bridge_name': 'ens33', 'endpoints': [{'name': 'db'}]}  # the host's uplink: not ours
    for check in (True, False):
        res = host.module('docker_bridge', check_mode=check, networks=[grown, BACK, taken])
        assert res['failed'] and res['msg'].startswith("networks[2].bridge_name 'ens33'"), res
        assert res['foreign_link'] == 'ens33'
        assert ("the earlier items' changes were rolled back" in res['msg']) is not check
        assert host.settled_snapshot(like=before) == before
    res = host.module('docker_bridge', networks=[grown, dict(BACK, name='front')])
    assert res['failed'] and res['msg'].startswith("networks[1].name 'front': is also networks[0].name"), res
    assert host.settled_snapshot(like=before) == before


def test_a_failure_part_way_undoes_every_item(host):
    ok(host.module('docker_bridge', name='front', endpoints=FRONT['endpoints']))
    before = host.settled_snapshot()
    grown = dict(FRONT, endpoints=FRONT['endpoints'] + [{'name': 'extra'}])
    # The second item fails while connecting db: the first item's new container and the second network are undone.
    res = host.module('docker_bridge', networks=[grown, BACK], _env={'HOSTNET_TEST_FAIL_AT': 'connect db to'})
    assert res['failed'] and res['msg'].startswith('networks[1] (back): connect db to'), res
    assert "(changes made by this run were rolled back) (the earlier items' changes were rolled back)" in res['msg']
    assert host.settled_snapshot(like=before) == before
    res = ok(host.module('docker_bridge', networks=[grown, BACK]))
    assert [item['changed'] for item in res['networks']] == [True, True]


def test_macvlan_net_has_the_list_form_too(host):
    before = host.settled_snapshot()
    mac1 = {'name': 'mac1', 'parent': 'ens33', 'subnet': '10.0.2.0/24', 'endpoints': [{'name': 'm1'}, {'name': 'm2'}]}
    missing = {'name': 'mac2', 'parent': 'eth9', 'subnet': '10.0.3.0/24', 'endpoints': [{'name': 'm3'}]}
    res = host.module('macvlan_net', networks=[mac1, missing])
    assert res['failed'] and res['msg'].startswith("networks[1].parent 'eth9'"), res
    assert "the earlier items' changes were rolled back" in res['msg']
    assert host.settled_snapshot(like=before) == before
    internal = {'name': 'mac2', 'subnet': '10.0.3.0/24', 'endpoints': [{'name': 'm1'}, {'name': 'm3'}]}
    res = ok(host.module('macvlan_net', networks=[mac1, internal]))
    assert [item['changed'] for item in res['networks']] == [True, True]
    assert res['networks'][0]['network']['Options']['parent'] == 'ens33'
    assert ping(host, 'm1', '10.0.2.3') and ping(host, 'm1', '10.0.3.3') and not ping(host, 'm2', '10.0.3.3')
    assert not ok(host.module('macvlan_net', networks=[mac1, internal]))['changed']
