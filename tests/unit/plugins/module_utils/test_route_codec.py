# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The default route requests, encoded by the collection's codec (not pyroute2's slow rtmsg encoder), are byte for
byte what pyroute2 encodes for the same route, in both families, to add (replace) and to delete."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec

pytest.importorskip('pyroute2')


def wire(msg, seq=77):
    msg['header']['sequence_number'] = seq
    msg['header']['flags'] |= _kernel.NLM_F_REQUEST | _kernel.NLM_F_ACK
    msg.encode()
    return bytes(msg.data)


@pytest.mark.parametrize('gateway,family', [('10.200.0.1', socket.AF_INET), ('fd00:200::1', socket.AF_INET6)])
def test_default_route_as_pyroute2_encodes_it(gateway, family):
    ours = _kernel.default_route_request(gateway, 12)
    theirs = _kernel.request('rtmsg', _kernel.RTM_NEWROUTE, _kernel.NLM_F_CREATE | _kernel.NLM_F_REPLACE, family=family, table=254,
                             proto=3, scope=0, type=1, attrs=[('RTA_GATEWAY', gateway), ('RTA_OIF', 12)])
    assert ours['family'] == family
    assert wire(ours) == wire(theirs)


@pytest.mark.parametrize('gateway,oif,family', [('10.200.0.1', 12, None), ('fd00:200::1', 12, None), (None, 12, socket.AF_INET6),
                                                (None, None, None), ('fd00:200::1', None, None)])
def test_route_delete_as_pyroute2_encodes_it(gateway, oif, family):
    ours = _kernel.route_del_request(gateway, oif, family)
    attrs = ([('RTA_GATEWAY', gateway)] if gateway else []) + ([('RTA_OIF', oif)] if oif else [])
    want_family = family or (socket.AF_INET6 if gateway and ':' in gateway else socket.AF_INET)
    theirs = _kernel.request('rtmsg', _kernel.RTM_DELROUTE, family=want_family, table=254, scope=255, attrs=attrs)
    assert ours['family'] == want_family
    assert wire(ours) == wire(theirs)


def test_a_gateways_neighbour_entry_is_permanent_with_the_bridges_mac():
    # The entry a new container gets for its gateway (_bridge._gateway_neighbours): created or replaced, permanent (the
    # kernel's table limit counts only entries it may collect), IPv4 (an ARP entry) or IPv6 (a neighbour discovery
    # one) after the gateway's family.
    for gateway, family in (('10.200.0.1', socket.AF_INET), ('fd00:db8::1', socket.AF_INET6)):
        req = _bridge.gateway_neigh_request(7, gateway, '02:42:0a:c8:00:01')
        req['header']['sequence_number'] = 3
        req.encode()
        (typ, flags, seq, off, end), = list(codec._messages(req.data))  # pylint: disable=protected-access
        assert (typ, seq) == (codec.RTM_NEWNEIGH, 3)
        assert flags & (codec.NLM_F_CREATE | codec.NLM_F_REPLACE) == codec.NLM_F_CREATE | codec.NLM_F_REPLACE
        assert codec.parse_neigh(req.data, off, end) == {'family': family, 'index': 7, 'state': codec.NUD_PERMANENT, 'flags': 0,
                                                         'dst': gateway, 'mac': '02:42:0a:c8:00:01'}
