# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Broadcast addresses as Docker sets them: the address request carries IFA_BROADCAST (pyroute2 encodes it, so this
runs under both pyroute2 versions), the lean decoder reads it back, /31 and /32 have none."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec

pytestmark = pytest.mark.skipif(not _pyroute2.HAS_PYROUTE2, reason='pyroute2 is not installed')


@pytest.mark.parametrize('cidr, brd', [
    ('172.17.0.1/16', '172.17.255.255'), ('10.0.0.100/24', '10.0.0.255'), ('10.0.0.250/28', '10.0.0.255'),
    ('192.168.1.17/30', '192.168.1.19'), ('10.0.0.0/31', None), ('10.0.0.7/32', None),
])
def test_broadcast_is_the_last_address_of_the_subnet(cidr, brd):
    assert _kernel.broadcast(cidr) == brd


def _encoded(msg):
    msg['header']['sequence_number'] = 1
    msg.encode()
    return bytes(msg.data)


@pytest.mark.parametrize('cidr, brd', [('172.17.0.1/16', '172.17.255.255'), ('10.9.0.2/31', None), ('10.9.0.3/32', None)])
def test_new_address_request_carries_the_broadcast_and_the_decoder_reads_it(cidr, brd):
    data = _encoded(_kernel.addr_request(_kernel.RTM_NEWADDR, 7, cidr))
    (typ, dummy, dummy2, off, end), = list(_kernel_codec._messages(data))  # pylint: disable=protected-access
    assert typ == _kernel.RTM_NEWADDR
    parsed = _kernel_codec.parse_addr(data, off, end)
    assert parsed == {'index': 7, 'family': 2, 'address': cidr, 'broadcast': brd}


def test_a_delete_matches_by_address_whatever_its_broadcast():
    msg = _kernel.addr_request(_kernel.RTM_DELADDR, 7, '172.17.0.1/16')
    assert [name for name, dummy in msg['attrs']] == ['IFA_LOCAL', 'IFA_ADDRESS']
