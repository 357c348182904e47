# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's extra routes and no_default_route: the option's checks, the plan from a snapshot, the election."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _default_route
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _routes
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

sys.path.insert(0, os.path.dirname(__file__))
from test_network_planner import BridgeRun, bridge_host, bridge_params, commit, default_route, empty_host, plan  # noqa: E402  pylint: disable=wrong-import-position

IPAM = {4: {'subnet': '10.10.0.0/24'}, 6: {'subnet': 'fd00:10::/64'}}
VIA = {'destination': '192.168.50.0/24', 'gateway': '10.10.0.5'}


def route(dst, gateway, oif, priority=100, family=2):
    return {'family': family, 'dst': dst, 'dst_len': int(dst.split('/')[1]), 'table': 254, 'oif': oif, 'gateway': gateway, 'priority': priority}


def test_parse_normalises():
    got = _routes.parse([{'destination': '192.168.50.7/24', 'gateway': '10.10.0.5'}, {'destination': 'FD00:50::/64', 'metric': 7}], IPAM)
    assert got == [{'destination': '192.168.50.0/24', 'gateway': '10.10.0.5', 'metric': 100},
                   {'destination': 'fd00:50::/64', 'gateway': None, 'metric': 7}]
    assert _routes.parse(None, IPAM) == []


@pytest.mark.parametrize('entry, option, words', [
    ({'destination': '192.168.50.0/24', 'gateway': '10.20.0.1'}, 'routes[0].gateway', 'outside every subnet of the network (10.10.0.0/24, fd00:10::/64)'),
    ({'destination': '192.168.50.0/24', 'gateway': '10.10.0.0'}, 'routes[0].gateway', 'outside every subnet'),
    ({'destination': '192.168.50.0/24', 'gateway': 'fd00:10::5'}, 'routes[0].gateway', 'is an IPv6 address and the destination an IPv4'),
    ({'destination': '192.168.50.0/24', 'gateway': 'router'}, 'routes[0].gateway', 'is not an IP address'),
    ({'destination': '192.168.50.0'}, 'routes[0].destination', 'is not a CIDR'),
    ({'destination': 'x/24'}, 'routes[0].destination', 'is not a CIDR'),
    ({'destination': '0.0.0.0/0'}, 'routes[0].destination', 'is the default route'),
    ({'destination': '192.168.50.0/24', 'metric': 0}, 'routes[0].metric', 'from 1 to 4294967295'),
    ({'destination': '192.168.50.0/24', 'metric': 4294967296}, 'routes[0].metric', 'from 1 to 4294967295'),
    ({'destination': '192.168.50.0/24', 'metric': True}, 'routes[0].metric', 'must be an integer'),
    ({'destination': '192.168.50.0/24', 'via': '10.10.0.5'}, 'routes[0]', 'must be a dict of destination'),
])
def test_bad_routes_name_the_entry_and_the_value(entry, option, words):
    with pytest.raises(_validate.InputError) as err:
        _routes.parse([entry], IPAM)
    assert str(err.value).startswith(option + ' ') and words in str(err.value)


def test_an_ipv6_destination_needs_the_networks_ipv6_and_routes_are_listed_once():
    with pytest.raises(_validate.InputError, match='the network has no IPv6 subnet'):
        _routes.parse([{'destination': 'fd00:50::/64'}], {4: IPAM[4]})
    with pytest.raises(_validate.InputError, match=r'routes\[1\].destination .* is also routes\[0\].destination'):
        _routes.parse([VIA, dict(VIA, gateway='10.10.0.6')], IPAM)


def test_codec_reads_back_the_metric():
    request = _kernel_codec.route_request(24, 0, 2, 254, 0, gateway='10.10.0.5', oif=3, dst='192.168.50.0/24', priority=100)
    request.encode()
    got = _kernel_codec.parse_route(request.data, 16, len(request.data))
    assert got == route('192.168.50.0/24', '10.10.0.5', 3)


# -- planning ---------------------------------------------------------------------------------------------------------
@pytest.fixture
def routed(tmp_path):
    run = plan(BridgeRun, bridge_params(routes=[VIA]), empty_host(), tmp_path)
    commit(run, tmp_path)
    return run


def test_new_endpoints_get_the_routes_and_the_document_keeps_them(routed):
    assert 'add route 192.168.50.0/24 via 10.10.0.5 dev eth0 metric 100 in c1' in routed.plan.commands
    assert routed.doc['routes'] == [{'destination': '192.168.50.0/24', 'gateway': '10.10.0.5', 'metric': 100}]
    assert 'no_default_route' not in routed.doc


def host_with_routes(doc, routes):
    snap = bridge_host(doc)
    for view in snap.views.values():
        view.routes = [default_route(doc['gateway'], 2)] + routes
    return snap


def test_rerun_and_changes_touch_only_the_routes(tmp_path, routed):
    have = [route('192.168.50.0/24', '10.10.0.5', 2)]
    assert plan(BridgeRun, bridge_params(routes=[VIA]), host_with_routes(routed.doc, have), tmp_path).plan.commands == []
    # A route deleted behind the collection's back is put back; one of the user's, the collection does not touch.
    user = [route('172.31.0.0/16', '10.10.0.9', 2)]
    assert plan(BridgeRun, bridge_params(routes=[VIA]), host_with_routes(routed.doc, user), tmp_path).plan.commands == [
        'add route 192.168.50.0/24 via 10.10.0.5 dev eth0 metric 100 in c1', 'add route 192.168.50.0/24 via 10.10.0.5 dev eth0 metric 100 in c2']
    # Dropped from the list: removed where it is, the document rewritten, nothing else.
    run = plan(BridgeRun, bridge_params(routes=[]), host_with_routes(routed.doc, have + user), tmp_path)
    assert run.plan.commands == ['write network state net1', 'remove route 192.168.50.0/24 via 10.10.0.5 dev eth0 metric 100 in c1',
                                 'remove route 192.168.50.0/24 via 10.10.0.5 dev eth0 metric 100 in c2']
    assert 'routes' not in run.doc


def test_the_routes_gateway_does_not_route_through_itself(tmp_path):
    params = bridge_params(routes=[VIA], endpoints=[{'name': 'c1'}, {'name': 'r', 'ip': '10.10.0.5'}])
    cmds = plan(BridgeRun, params, empty_host(), tmp_path).plan.commands
    assert [c for c in cmds if 'route 192' in c] == ['add route 192.168.50.0/24 via 10.10.0.5 dev eth0 metric 100 in c1']


def test_no_default_route(tmp_path, routed):
    snap = host_with_routes(routed.doc, [route('192.168.50.0/24', '10.10.0.5', 2)])
    run = plan(BridgeRun, bridge_params(routes=[VIA], no_default_route=True), snap, tmp_path)
    assert run.plan.commands == ['write network state net1', 'remove default route via 10.10.0.1 from c1 (none of its networks gives one)',
                                 'remove default route via 10.10.0.1 from c2 (none of its networks gives one)']
    assert run.doc['no_default_route'] is True
    # A new container on it gets none.
    run = plan(BridgeRun, bridge_params(no_default_route=True), empty_host(), tmp_path / 'new')
    assert not [c for c in run.plan.commands if 'default route' in c] and not any(ep.get('default_route') for ep in run.doc['endpoints'].values())


def test_election_skips_a_network_without_default_route():
    docs = {'a': {'gateway': '10.1.0.1', 'no_default_route': True, 'created': '1', 'endpoints': {'c': {'ifname': 'eth0', 'connected': '1'}}},
            'b': {'gateway': '10.2.0.1', 'created': '2', 'endpoints': {'c': {'ifname': 'eth1', 'connected': '2'}}}}
    assert _default_route.elect(list(_default_route.memberships(docs)['c'].values())).network == 'b'
    docs['a']['gateway_v6'] = 'fd00::1'
    assert _default_route.elect(list(_default_route.memberships(docs, 6)['c'].values())) is None


def test_restore_gives_them_back():
    p = _restore.bridge_params({'name': 'n', 'id': 'x' * 64, 'subnet': '10.10.0.0/24', 'routes': [dict(VIA, metric=100)], 'no_default_route': True})
    assert p['routes'] == [dict(VIA, metric=100)] and p['no_default_route'] is True
    p = _restore.macvlan_params({'name': 'n', 'id': 'x' * 64, 'subnet': '10.10.0.0/24'})
    assert p['routes'] == [] and p['no_default_route'] is False
