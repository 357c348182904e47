# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge_network role's networks entries on the user's own bridge (unmanaged)."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')
pytest.importorskip('jmespath')

from ansible_collections.hostnet.containers.plugins.filter import bridge_plan as bp  # noqa: E402

LAN = {'name': 'lan', 'unmanaged': True, 'bridge_name': 'br0', 'subnet': '10.138.3.0/24', 'gateway': '10.138.3.1'}


def test_unmanaged_passes_to_docker_bridge_without_the_daemons_trusted_interfaces():
    containers = [{'name': 'nas01', 'networks': [{'name': 'lan', 'ip': '10.138.3.200'}]}]
    got = {n['name']: n for n in bp.bridge_plan(containers, [LAN], {'trusted_host_interfaces': ['wg0']})['networks']}
    assert got['lan']['unmanaged'] is True and got['lan']['bridge_name'] == 'br0'
    assert 'trusted_host_interfaces' not in got['lan'] and got['bridge']['trusted_host_interfaces'] == ['wg0']
    assert got['lan']['endpoints'] == [{'name': 'nas01', 'ip': '10.138.3.200', 'ifname': 'eth0'}]
    assert 'unmanaged' not in got['bridge']


@pytest.mark.parametrize('entry, containers, needle', [
    ({'bridge_name': None}, [], r"bridge_network_networks\[0\]\.bridge_name null: unmanaged: true needs the name of an existing bridge"),
    ({'subnet': None}, [], r"bridge_network_networks\[0\]\.subnet null: unmanaged: true needs the LAN's subnet"),
    ({'dns': True}, [], r"bridge_network_networks\[0\]\.dns True: the network's name server"),
    ({'unmanaged': 'yes'}, [], r"bridge_network_networks\[0\]\.unmanaged 'yes': must be true or false"),
    ({}, [{'name': 'web', 'networks': [{'name': 'lan'}], 'publish': ['8080:80']}],
     r"bridge_network_containers\[0\]\.publish \['8080:80'\]: an unmanaged network gets no address, NAT or firewall rule"),
])
def test_bad_unmanaged_entries_are_refused_before_any_network_is_made(entry, containers, needle):
    with pytest.raises(bp.PlanError, match=needle):
        bp.bridge_plan(containers, [dict(LAN, **entry)])
