# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge_network role's networks entries with an outbound address (host_ipv4, host_ipv6)."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')
pytest.importorskip('jmespath')

from ansible_collections.hostnet.containers.plugins.filter import bridge_plan as bp  # noqa: E402


def test_host_ipv4_and_host_ipv6_pass_to_docker_bridge():
    nets = [{'name': 'out', 'host_ipv4': '10.138.3.140', 'enable_ipv6': True, 'host_ipv6': 'fd00:138::140'}]
    got = {n['name']: n for n in bp.bridge_plan([], nets)['networks']}
    assert (got['out']['host_ipv4'], got['out']['host_ipv6']) == ('10.138.3.140', 'fd00:138::140')
    assert 'host_ipv4' not in got['bridge']


@pytest.mark.parametrize('entry, needle', [
    ({'host_ipv4': 'fd00:138::140'}, r"bridge_network_networks\[0\]\.host_ipv4 'fd00:138::140': is an IPv6 address"),
    ({'host_ipv6': '10.138.3.140', 'enable_ipv6': True}, r"bridge_network_networks\[0\]\.host_ipv6 '10.138.3.140': is an IPv4 address"),
    ({'host_ipv4': '127.0.0.1'}, r"bridge_network_networks\[0\]\.host_ipv4 '127.0.0.1': is a loopback address"),
    ({'host_ipv6': 'fd00:138::140'}, r"bridge_network_networks\[0\]\.host_ipv6 'fd00:138::140': needs enable_ipv6: true"),
])
def test_bad_outbound_addresses_are_refused_before_any_network_is_made(entry, needle):
    with pytest.raises(bp.PlanError, match=needle):
        bp.bridge_plan([], [dict(entry, name='out')])
