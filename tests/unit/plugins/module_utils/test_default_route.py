# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The default-route election, pure: which of a container's networks gives its default route."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _default_route as dr
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def cand(network, priority=0, connected=None, created='2025', internal=False):
    """A candidate; by default network a was connected before b, b before c."""
    seq = {'a': 1, 'b': 2, 'c': 3}[network]
    return dr.Candidate(network, '10.0.%d.1' % seq, 'eth%d' % seq, priority, '2026-01-0%d' % seq if connected is None else connected,
                        created, internal)


def elected(cands, incumbent=None):
    winner = dr.elect(cands, incumbent)
    return winner.network if winner else None


def test_first_connected_wins_between_equal_priorities():
    assert elected([cand('b'), cand('a')]) == 'a'
    assert elected([cand('a', connected='2026-03'), cand('b', connected='2026-02')]) == 'b'


def test_highest_priority_wins_negative_allowed():
    assert elected([cand('a'), cand('b', priority=1)]) == 'b'
    assert elected([cand('a', priority=-5), cand('b', priority=-1)]) == 'b'
    assert elected([cand('a', priority=-1), cand('b')]) == 'b'


def test_internal_networks_never_give_it():
    assert elected([cand('a', internal=True, priority=100), cand('b')]) == 'b'
    assert elected([cand('a', internal=True)]) is None
    assert elected([]) is None


def test_endpoints_recorded_before_connected_existed():
    # Older than any new endpoint; between themselves the holder keeps it, else the network created first, then the name.
    assert elected([cand('a', connected='2026-01'), cand('b', connected='')]) == 'b'
    legacy = [cand('a', connected='', created='2025-02'), cand('b', connected='', created='2025-01')]
    assert elected(legacy) == 'b'
    assert elected(legacy, incumbent='a') == 'a'
    assert elected([cand('a', connected='', created=''), cand('b', connected='', created='')]) == 'a'
    # A priority still comes first.
    assert elected(legacy + [cand('c', priority=1)], incumbent='a') == 'c'


def test_memberships_and_holder():
    docs = {'n1': {'gateway': '10.1.0.1', 'created': 'x', 'endpoints': {'c': {'ifname': 'eth0', 'gw_priority': 3}}},
            'n2': {'gateway': '10.2.0.1', 'internal': True, 'endpoints': {'c': {'ifname': 'eth1', 'connected': 't'}, 'd': {}}}}
    members = dr.memberships(docs)
    assert sorted(members) == ['c', 'd'] and sorted(members['c']) == ['n1', 'n2']
    assert members['c']['n1'] == dr.Candidate('n1', '10.1.0.1', 'eth0', 3, '', 'x', False)
    assert members['c']['n2'].internal and members['c']['n2'].connected == 't'
    cands = members['c'].values()
    assert dr.holder(cands, {'gateway': '10.2.0.1', 'oif': 9}) == 'n2'
    # A route through one of its links with another gateway is still that network's (to repair); else nobody's.
    assert dr.holder(cands, {'gateway': '10.9.9.9', 'oif': 4}, {4: 'n1'}) == 'n1'
    assert dr.holder(cands, {'gateway': '10.9.9.9', 'oif': 5}, {4: 'n1'}) is None
    assert dr.holder(cands, None) is None


@pytest.mark.parametrize('value, want', [(None, 0), (0, 0), (7, 7), (-3, -3), ('12', 12), (' -4 ', -4)])
def test_gw_priority_values(value, want):
    assert _validate.gw_priority(value, 'x') == want


@pytest.mark.parametrize('value', ['high', 1.5, True, [1]])
def test_gw_priority_refused_naming_option_and_value(value):
    with pytest.raises(_validate.InputError) as err:
        _model.endpoint_specs([{'name': 'c1', 'gw_priority': value}])
    assert str(err.value).startswith('endpoints[0].gw_priority %s: must be an integer' % _validate.show(value))


def test_endpoint_document_keeps_gw_priority_and_connected_only_when_set():
    ep = _model.Endpoint.from_doc({'ip': '10.0.0.2', 'mac': 'm', 'ifname': 'eth0', 'endpoint_id': 'e', 'aliases': []})
    assert (ep.gw_priority, ep.connected) == (0, None)
    assert 'gw_priority' not in ep.to_doc() and 'connected' not in ep.to_doc()
    doc = {'ip': '10.0.0.2', 'mac': 'm', 'ifname': 'eth0', 'endpoint_id': 'e', 'aliases': [], 'gw_priority': -2, 'connected': 't'}
    assert _model.Endpoint.from_doc(doc).to_doc() == doc
