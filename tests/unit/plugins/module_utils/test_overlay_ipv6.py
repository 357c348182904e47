# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IPv6 inside an overlay, on snapshots made of dicts: the anycast gateway_v6, one IPv6 neighbour entry per remote
container in the same batch as its forwarding and IPv4 entries, IPv6-only overlays and their MACs, bad input, the
restore's parameters and the IPv6 neighbour requests."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _overlay
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils.test_overlay import B, C, as_left, entry_steps, host, params, plan

REMOTE6 = [{'name': 'c2', 'ip': '10.20.0.3', 'ipv6_address': 'fd00:20::3', 'host': 'b'},
           {'name': 'c3', 'ip': '10.20.0.4', 'ipv6_address': 'fd00:20::4', 'host': C}]


def params6(**over):
    p = params(enable_ipv4=True, enable_ipv6=True, subnet_v6='fd00:20::/64', gateway_v6=None, ip_range_v6=None,
               remote_endpoints=REMOTE6, endpoints=[])
    p.update(over)
    return p


def as_left6(doc):
    """as_left with the IPv6 gateway on the bridge and the IPv6 neighbour entries read back."""
    snap, entries = as_left(doc)
    if doc.get('gateway_v6'):
        snap.addrs6 = [{'index': 10, 'address': doc['gateway_v6'] + '/64', 'family': 10}]
    neigh = entries.pop('neigh')
    entries['neigh'] = [e for e in neigh if ':' not in e['dst']]
    entries['neigh6'] = [dict(e, family=10) for e in neigh if ':' in e['dst']]
    if not doc.get('subnet'):
        snap.addrs = [a for a in snap.addrs if a['index'] != 10]
    return snap, entries


@pytest.fixture
def dual(tmp_path):
    run = plan(params6(), host(), tmp_path)
    _store.save(_network.KIND, 'ov1', run.doc, str(tmp_path))
    return run


def test_a_dual_stack_overlay_has_the_ipv6_gateway_and_one_ipv6_neighbour_entry_per_remote_container(dual):
    doc, vx, br = dual.doc, dual.doc['vxlan'], dual.doc['bridge']
    assert (doc['enable_ipv6'], doc['subnet_v6'], doc['gateway_v6'], doc['mtu']) == (True, 'fd00:20::/64', 'fd00:20::1', 1450)
    assert doc['remote_endpoints']['c3'] == {'ip': '10.20.0.4', 'ip6': 'fd00:20::4', 'mac': '02:42:0a:14:00:04', 'host': 'c', 'aliases': []}
    assert 'add fd00:20::1/64 to %s' % br in dual.plan.commands
    assert 'add neighbour entry fd00:20::3 lladdr 02:42:0a:14:00:03 to %s' % vx in entry_steps(dual)
    steps = [s for s in dual.plan.steps if ' entry ' in s.text]
    assert len(steps) == 8 and len({id(s.batch) for s in steps}) == 1
    request = next(s for s in steps if 'fd00:20::4' in s.text).do(11)
    assert request.body[0] == socket.AF_INET6 and socket.inet_pton(socket.AF_INET6, 'fd00:20::4') in request.body
    shown = _inspect.inspect(doc)['RemoteContainers']['c2']
    assert (shown['IPv4Address'], shown['IPv6Address']) == ('10.20.0.3/24', 'fd00:20::3/64')


def test_rerun_unchanged_and_one_container_more_is_one_fdb_one_ipv4_and_one_ipv6_entry(tmp_path, dual):
    snap, entries = as_left6(dual.doc)
    run = plan(params6(), snap, tmp_path, entries)
    assert run.plan.commands == [] and run.doc == dual.doc
    snap, entries = as_left6(dual.doc)
    remote = REMOTE6 + [{'name': 'c4', 'ip': '10.20.0.5', 'ipv6_address': 'fd00:20::5', 'host': 'b'}]
    vx = dual.doc['vxlan']
    assert plan(params6(remote_endpoints=remote), snap, tmp_path, entries).plan.commands == [
        'write network state ov1', 'add forwarding entry 02:42:0a:14:00:05 dst %s to %s' % (B, vx),
        'add neighbour entry 10.20.0.5 lladdr 02:42:0a:14:00:05 to %s' % vx,
        'add neighbour entry fd00:20::5 lladdr 02:42:0a:14:00:05 to %s' % vx]
    snap, entries = as_left6(dual.doc)
    assert entry_steps(plan(params6(remote_endpoints=REMOTE6[:1]), snap, tmp_path, entries)) == [
        'remove forwarding entry 02:42:0a:14:00:04 dst %s from %s' % (C, vx),
        'remove neighbour entry 10.20.0.4 lladdr 02:42:0a:14:00:04 from %s' % vx,
        'remove neighbour entry fd00:20::4 lladdr 02:42:0a:14:00:04 from %s' % vx]


def test_local_endpoints_never_take_a_remote_ipv6_address(tmp_path):
    remote = [{'name': 'c2', 'ip': '10.20.0.3', 'ipv6_address': 'fd00:20::2', 'host': 'b'}]
    run = plan(params6(remote_endpoints=remote, endpoints=[{'name': 'c1'}]), host(), tmp_path)
    assert run.doc['endpoints']['c1']['ip6'] == 'fd00:20::3' and run.doc['endpoints']['c1']['ip'] == '10.20.0.2'


def test_an_ipv6_only_overlay_takes_its_macs_from_the_ipv6_addresses(tmp_path):
    remote = [{'name': 'c2', 'ipv6_address': 'fd00:20::b', 'host': 'b'}]
    p = params6(enable_ipv4=False, subnet=None, remote_endpoints=remote, endpoints=[{'name': 'c1', 'ipv6_address': 'fd00:20::a'}])
    run = plan(p, host(), tmp_path)
    doc = run.doc
    assert doc['subnet'] is None and doc['enable_ipv4'] is False
    assert doc['endpoints']['c1']['mac'] == '02:42:00:00:00:0a' and doc['remote_endpoints']['c2']['mac'] == '02:42:00:00:00:0b'
    assert 'add fd00:20::1/64 to %s' % doc['bridge'] in run.plan.commands
    assert not [c for c in run.plan.commands if c.startswith('add 10.')]
    assert _overlay.OverlayDriver.device_mac(_overlay._model.Network.from_doc(doc)) == '02:42:00:00:00:01'  # pylint: disable=protected-access
    assert 'add neighbour entry fd00:20::b lladdr 02:42:00:00:00:0b to %s' % doc['vxlan'] in entry_steps(run)


@pytest.mark.parametrize('over, match', [
    ({'subnet_v6': None}, r'^subnet_v6 .*: is required for a new overlay network with enable_ipv6'),
    ({'subnet_v6': '10.30.0.0/24'}, r'^subnet_v6 .*10.30.0.0/24'),
    ({'remote_endpoints': [{'name': 'c2', 'ip': '10.20.0.3', 'host': 'b'}]}, r'^remote_endpoints\[0\].ipv6_address .*: is required'),
    ({'remote_endpoints': [{'name': 'c2', 'ip': '10.20.0.3', 'ipv6_address': 'fd00:21::3', 'host': 'b'}]},
     r'^remote_endpoints\[0\].ipv6_address .*fd00:21::3.*not inside subnet_v6 fd00:20::/64'),
    ({'remote_endpoints': [{'name': 'c2', 'ip': '10.20.0.3', 'ipv6_address': '10.20.0.3', 'host': 'b'}]}, r'^remote_endpoints\[0\].ipv6_address'),
    ({'enable_ipv6': False, 'subnet_v6': None, 'remote_endpoints': REMOTE6}, r'^remote_endpoints\[0\].ipv6_address .*needs enable_ipv6'),
    ({'enable_ipv4': False}, r'^subnet .*needs enable_ipv4: true'),
    ({'enable_ipv4': False, 'subnet': None}, r'^remote_endpoints\[0\].ip .*needs enable_ipv4: true'),
    ({'remote_endpoints': REMOTE6[:1] + [{'name': 'c3', 'ip': '10.20.0.4', 'ipv6_address': 'fd00:20::3', 'host': 'b'}]},
     r"^remote_endpoints\[1\].ipv6_address .*is also the address of container 'c2'"),
])
def test_bad_ipv6_input_names_the_option(tmp_path, over, match):
    with pytest.raises(_validate.InputError, match=match):
        plan(params6(**over), host(), tmp_path)


def test_restore_parameters_rebuild_the_dual_stack_overlay(tmp_path, dual):
    driver, p = _restore.network_params(dual.doc)
    assert driver == 'overlay' and p['enable_ipv6'] is True and p['subnet_v6'] == 'fd00:20::/64'
    assert p['remote_endpoints'][0]['ipv6_address'] == 'fd00:20::3' and 'ip6' not in p['remote_endpoints'][0]
    snap, entries = as_left6(dual.doc)
    run = plan(p, snap, tmp_path, entries)
    assert run.plan.commands == [] and run.doc == dual.doc


def test_ipv6_neighbour_requests_and_reading_them():
    req = _overlay.entry_request('del', 'neigh', 'fd00:20::3', '02:42:0a:14:00:03', 7)
    assert req.header['type'] == codec.RTM_DELNEIGH and req.body[0] == socket.AF_INET6
    assert _overlay.entry_request('add', 'neigh', '10.20.0.3', '02:42:0a:14:00:03', 7).body[0] == socket.AF_INET
    entries = {'neigh': [], 'neigh6': [{'dst': 'fd00:20::3', 'mac': '02:42:0a:14:00:03', 'state': codec.NUD_PERMANENT}]}
    assert _overlay.current_entries(entries)[1] == {'fd00:20::3': '02:42:0a:14:00:03'}
