# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' planning filters refuse, before any task runs, what a module would refuse only part-way through the role."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')
pytest.importorskip('jmespath')

from ansible_collections.hostnet.containers.plugins.filter import bridge_plan as bp  # noqa: E402
from ansible_collections.hostnet.containers.plugins.filter import macvlan_plan as mp  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402


@pytest.mark.parametrize('containers,networks,needle', [
    ([{'name': 'c', 'hostname': 'bad_host!'}], [], r"bridge_network_containers\[0\]\.hostname 'bad_host!'"),
    ([{'name': 'c', 'dns': ['1.2.3']}], [], r"bridge_network_containers\[0\]\.dns\[0\] '1\.2\.3'"),
    ([{'name': 'c', 'dns_search': ['ex ample']}], [], r"bridge_network_containers\[0\]\.dns_search 'ex ample'"),
    ([], [{'name': 'n1', 'subnet': '10.9.0.0/24'}, {'name': 'n2', 'subnet': '10.9.0.0/16'}],
     r"bridge_network_networks\[1\]\.subnet '10\.9\.0\.0/16': .* overlaps subnet 10\.9\.0\.0/24 of network 'n1'"),
    ([], [{'name': 'n1', 'subnet': '10.9.0.0/24', 'ip_range': '10.8.0.0/28'}], r"bridge_network_networks\[0\]\.ip_range '10\.8\.0\.0/28'"),
])
def test_bridge_plan_refuses_what_a_later_task_would(containers, networks, needle):
    with pytest.raises(bp.PlanError, match=needle):
        bp.bridge_plan(containers, networks)


def test_bridge_plan_still_takes_networks_without_a_subnet():
    assert [n['name'] for n in bp.bridge_plan([], [{'name': 'a'}, {'name': 'b'}])['networks']] == ['bridge', 'a', 'b']


def test_macvlan_plan_refuses_a_second_network_on_a_passthru_parent():
    nets = [{'name': 'a', 'parent': 'ens33', 'subnet': '10.0.0.0/24', 'mode': 'passthru'},
            {'name': 'b', 'parent': 'ens33', 'subnet': '10.1.0.0/24'}]
    with pytest.raises(mp.PlanError, match=r"host h1, macvlan_network_networks\[1\]\.parent: parent 'ens33' is also the parent of network a"):
        mp.plan({'h1': {'networks': nets, 'containers': [], 'existing': []}})


@pytest.mark.parametrize('value,ok', [('web01', True), ('web.example', True), ('bad_host!', False), ('-x', False), ('', False)])
def test_hostname(value, ok):
    if ok:
        assert _validate.validate_hostname(value) == value
    else:
        with pytest.raises(_validate.InputError, match='hostname'):
            _validate.validate_hostname(value)


@pytest.mark.parametrize('value,ok', [('lab.example', True), ('ex ample', False), (None, False)])
def test_domain(value, ok):
    if ok:
        assert _validate.validate_domain(value) == value
    else:
        with pytest.raises(_validate.InputError, match='dns_search'):
            _validate.validate_domain(value)


@pytest.mark.parametrize('key,ok', [('net.ipv4.ip_forward', True), ('net.ipv4.conf.all.rp_filter', True), ('kernel.panic', False),
                                    ('net..x', False), ('net', False), ('net.ipv4.ip_forward\n', False), (None, False)])
def test_netns_sysctl(key, ok):
    if ok:
        assert _validate.netns_sysctl(key) == key
    else:
        with pytest.raises(_validate.InputError, match='only net.* sysctls can be set per namespace'):
            _validate.netns_sysctl(key)


def test_namespace_and_container_names_follow_one_rule_in_the_words_of_each_option():
    assert _validate.namespace_name('web01', 'netns') == _validate.container_name('web01') == 'web01'
    with pytest.raises(_validate.InputError, match=r"^netns 'a/b': is not a valid namespace name \(1-64 letters"):
        _validate.namespace_name('a/b', 'netns')
    with pytest.raises(_validate.InputError, match=r"^name 'a/b': is not a valid container name \(1-64 letters"):
        _validate.container_name('a/b')


def test_network_name_keeps_check_network_name():
    assert _validate.network_name('custom_network') == 'custom_network'
    with pytest.raises(_validate.InputError, match=r"^name 'host': is not a valid network name .* not macvlan networks"):
        _validate.check_network_name('host', 'macvlan')
