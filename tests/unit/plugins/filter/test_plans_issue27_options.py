# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' plan filters pass issue 27's options through: host-gateway extra hosts, host_ifname, routes and
no_default_route (controller-side code, so these live with the filter tests, not with module_utils')."""

from __future__ import annotations

import pytest

VIA = {'destination': '192.168.50.0/24', 'gateway': '10.10.0.5'}


def test_the_role_writes_extra_hosts_after_the_networks():
    pytest.importorskip('jmespath')
    from ansible_collections.hostnet.containers.plugins.filter import bridge_plan  # pylint: disable=import-outside-toplevel
    p = bridge_plan.bridge_plan([{'name': 'c', 'extra_hosts': ['host.docker.internal:host-gateway', 'db:10.0.0.5']}], [], None)
    assert p['hosts'] == [{'name': 'c', 'hosts': {'host.docker.internal': 'host-gateway', 'db': '10.0.0.5'}}]
    assert p['namespaces'] == [{'name': 'c'}]
    for bad, words in (({'a': '1.2.3'}, r"extra_hosts: hosts\[a\].ip '1.2.3'"), ('x', 'must be a dict')):
        with pytest.raises(bridge_plan.PlanError, match=words):
            bridge_plan.bridge_plan([{'name': 'c', 'extra_hosts': bad}], [], None)
    with pytest.raises(bridge_plan.PlanError, match='network_mode host uses the hosts file of the host'):
        bridge_plan.bridge_plan([{'name': 'c', 'network_mode': 'host', 'extra_hosts': {'a': '10.0.0.1'}}], [], None)


def test_the_role_passes_it():
    pytest.importorskip('jmespath')
    from ansible_collections.hostnet.containers.plugins.filter import bridge_plan  # pylint: disable=import-outside-toplevel
    p = bridge_plan.bridge_plan([{'name': 'c', 'networks': [{'name': 'n', 'host_ifname': 'hn-c'}]}], [{'name': 'n'}], None)
    assert {n['name']: n for n in p['networks']}['n']['endpoints'] == [{'name': 'c', 'host_ifname': 'hn-c', 'ifname': 'eth0'}]
    with pytest.raises(bridge_plan.PlanError, match='host_ifname'):
        bridge_plan.bridge_plan([{'name': 'c', 'networks': [{'name': 'n', 'host_ifname': 'a-very-long-name0'}]}], [{'name': 'n'}], None)


def test_the_roles_pass_routes_and_no_default_route():
    pytest.importorskip('jmespath')
    from ansible_collections.hostnet.containers.plugins.filter import bridge_plan, macvlan_plan  # pylint: disable=import-outside-toplevel
    net = {'name': 'n', 'subnet': '10.10.0.0/24', 'routes': [VIA], 'no_default_route': True}
    got = {n['name']: n for n in bridge_plan.bridge_plan([{'name': 'c', 'networks': ['n']}], [net], None)['networks']}['n']
    assert got['routes'] == [VIA] and got['no_default_route'] is True
    req = {'networks': [dict(net, parent='ens33')], 'containers': [{'name': 'c', 'networks': ['n']}], 'existing': []}
    got = macvlan_plan.plan({'host1': req}, ['host1'])['host1']['networks'][0]
    assert got['routes'] == [VIA] and got['no_default_route'] is True
