# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A macvlan network with IPv6: its document back to macvlan_net's parameters (the restore) and as network_info shows it."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _inspect  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _model  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _restore  # noqa: E402

DOC = {
    'name': 'mac6', 'id': 'ef' * 32, 'driver': 'macvlan', 'created': '2026-12-05T10:00:00.000000Z', 'parent': 'ens33',
    'parent_created': None, 'mode': 'bridge', 'host_shim': {'name': 'mvs-efefefefef', 'ip': '10.0.0.250', 'ip6': 'fd00:60::250'},
    'mtu': 1500, 'internal': False, 'subnet': '10.0.0.0/24', 'gateway': '10.0.0.1', 'ip_range': None, 'aux_addresses': {},
    'enable_ipv6': True, 'subnet_v6': 'fd00:60::/64', 'gateway_v6': 'fd00:60::1', 'ip_range_v6': None,
    'aux_addresses_v6': {'router2': 'fd00:60::fe'},
    'endpoints': {'c1': {'ip': '10.0.0.2', 'ip6': 'fd00:60::2', 'mac': '02:42:0a:00:00:02', 'ifname': 'eth0', 'endpoint_id': 'e1',
                         'aliases': []}},
}
ONLY6 = dict(DOC, enable_ipv4=False, subnet=None, gateway=None, aux_addresses=None,
             host_shim={'name': 'mvs-efefefefef', 'ip': None, 'ip6': 'fd00:60::250'}, endpoints={'c1': dict(DOC['endpoints']['c1'], ip=None)})


def test_restore_gives_back_the_ipv6_options_endpoints_and_shim():
    p = _restore.macvlan_params(DOC)
    assert (p['enable_ipv6'], p['subnet_v6'], p['gateway_v6'], p['enable_ipv4']) == (True, 'fd00:60::/64', 'fd00:60::1', True)
    assert p['aux_addresses'] == {'router2': 'fd00:60::fe'} and 'gateway_mode_ipv6' not in p
    assert p['endpoints'][0]['ipv6_address'] == 'fd00:60::2'
    assert p['host_shim'] == {'enabled': True, 'name': 'mvs-efefefefef', 'ip': '10.0.0.250', 'ipv6_address': 'fd00:60::250'}
    only6 = _restore.macvlan_params(ONLY6)
    assert only6['enable_ipv4'] is False and only6['host_shim']['ip'] is None and only6['endpoints'][0]['ip'] is None


def test_inspect_shows_both_families_and_the_shims_ipv6_address():
    out = _inspect.inspect(DOC)
    assert out['EnableIPv6'] and out['IPAM']['Config'][1] == {'Subnet': 'fd00:60::/64', 'Gateway': 'fd00:60::1',
                                                              'AuxiliaryAddresses': {'router2': 'fd00:60::fe'}}
    assert out['Options']['hostnet.containers.host_shim_ip6'] == 'fd00:60::250'
    assert list(out['Containers'].values())[0]['IPv6Address'] == 'fd00:60::2/64'
    only6 = _inspect.inspect(ONLY6)
    assert 'hostnet.containers.host_shim_ip' not in only6['Options'] and only6['EnableIPv4'] is False


def test_the_document_round_trips_through_the_model():
    for doc in (DOC, ONLY6):
        assert _model.Network.from_doc(doc).to_doc() == doc
