# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One validator set: a mistake refused by a role's filter gets the words the module gives for it (the validator the
engine calls), only the option differs: the role's variable there, the module's option here."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')
pytest.importorskip('jmespath')

from ansible_collections.hostnet.containers.plugins.filter import bridge_plan as bp  # noqa: E402
from ansible_collections.hostnet.containers.plugins.filter import macvlan_plan as mp  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402


def refusal(call, *args):
    with pytest.raises(bp.PlanError) as err:
        call(*args)
    return str(err.value)


def engine(validator, value, option):
    """What a module says, through the validator its engine calls."""
    with pytest.raises(_validate.InputError) as err:
        validator(value, option)
    return err.value


def macvlan(containers, networks=None):
    networks = networks or [{'name': 'mac', 'parent': 'ens33', 'subnet': '10.0.0.0/24'}]
    return mp.plan({'h1': {'networks': networks, 'containers': containers, 'existing': []}})


@pytest.mark.parametrize('name', ['web 01', 'a/b', '-x', '.', '..', '_x', 'x' * 65, 'a:b', 'web01\n'])
def test_a_bad_container_name(name):
    role_option = 'bridge_network_containers[0].name'
    said = refusal(bp.bridge_plan, [{'name': name}])
    assert said == str(engine(_validate.container_name, name, role_option))
    # docker_bridge and macvlan_net name the endpoint; the words after the option are the same.
    module = engine(_validate.container_name, name, 'endpoints[0].name')
    assert said.endswith(': ' + module.message) and module.value == name
    said = refusal(macvlan, [{'name': name, 'networks': ['mac']}])
    assert said == 'host h1, ' + str(engine(_validate.container_name, name, 'macvlan_network_containers[0].name'))


@pytest.mark.parametrize('alias', ['bad alias', 'a..b', '-db', 'db-', 'é'])
def test_a_bad_alias(alias):
    said = refusal(bp.bridge_plan, [{'name': 'c', 'networks': [{'name': 'n', 'aliases': [alias]}]}], [{'name': 'n'}])
    assert said == str(engine(_validate.alias, alias, 'bridge_network_containers[0].networks[0].aliases'))
    assert said.endswith(': ' + engine(_validate.alias, alias, 'endpoints[0].aliases').message)
    said = refusal(macvlan, [{'name': 'c', 'networks': [{'name': 'mac', 'aliases': [alias]}]}])
    assert said == 'host h1, ' + str(engine(_validate.alias, alias, 'macvlan_network_containers[0].networks[0].aliases'))


@pytest.mark.parametrize('mac', ['nope', '01:00:5e:00:00:01', '00:00:00:00:00:00'])
def test_a_bad_mac(mac):
    said = refusal(bp.bridge_plan, [{'name': 'c', 'networks': [{'name': 'bridge', 'mac': mac}]}])
    assert said == str(engine(_validate.mac, mac, 'bridge_network_containers[0].networks[0].mac'))
    said = refusal(macvlan, [{'name': 'c', 'networks': [{'name': 'mac', 'mac': mac}]}])
    assert said == 'host h1, ' + str(engine(_validate.mac, mac, 'macvlan_network_containers[0].networks[0].mac'))


@pytest.mark.parametrize('name', ['host', 'none', 'bad name!', 'x' * 65])
def test_a_bad_network_name(name):
    said = refusal(bp.bridge_plan, [], [{'name': name}])
    assert said.endswith(': ' + engine(lambda v, o: _validate.check_network_name(v, 'bridge'), name, 'name').message)
    said = refusal(macvlan, [], [{'name': name, 'parent': 'ens33', 'subnet': '10.0.0.0/24'}])
    assert said.endswith(': ' + engine(lambda v, o: _validate.check_network_name(v, 'macvlan'), name, 'name').message)
    assert "macvlan_network_networks[0].name '%s'" % name in said


@pytest.mark.parametrize('ifname', ['x' * 16, 'a b', 'a/b', '..'])
def test_a_bad_interface_name(ifname):
    said = refusal(macvlan, [{'name': 'c', 'networks': [{'name': 'mac', 'ifname': ifname}]}])
    assert said == 'host h1, ' + str(engine(_validate.validate_ifname, ifname, 'macvlan_network_containers[0].networks[0].ifname'))
    said = refusal(bp.bridge_plan, [], [{'name': 'n', 'bridge_name': ifname}])
    assert said == str(engine(_validate.validate_ifname, ifname, 'bridge_network_networks[0].bridge_name'))
    said = refusal(macvlan, [], [{'name': 'mac', 'parent': ifname, 'subnet': '10.0.0.0/24'}])
    assert said == 'host h1, ' + str(engine(_validate.validate_ifname, ifname, 'macvlan_network_networks[0].parent'))


def test_the_names_the_labs_and_tests_use_stay_valid():
    for name in ('a', 'c1', 'web01', 'web_n1', 'custom_bbox01', 'default_bbox02', 'nginx_host', 'bench-0001', 'web.example'):
        assert _validate.container_name(name) == name
    for alias in ('db', 'api', 'web1', 'db.lab.example', 'my_db'):
        assert _validate.alias(alias) == alias


@pytest.mark.parametrize('mtu', [67, 65536, 'big', True])
def test_a_bad_mtu(mtu):
    said = refusal(bp.bridge_plan, [], [{'name': 'n', 'mtu': mtu}])
    assert said == str(engine(_validate.mtu, mtu, 'bridge_network_networks[0].mtu'))
    assert said.endswith(': ' + engine(_validate.mtu, mtu, 'mtu').message)
    assert refusal(bp.bridge_plan, [], [], {'mtu': mtu}) == str(engine(_validate.mtu, mtu, 'bridge_network_mtu'))
    said = refusal(macvlan, [], [{'name': 'mac', 'parent': 'ens33', 'subnet': '10.0.0.0/24', 'mtu': mtu}])
    assert said == 'host h1, ' + str(engine(_validate.mtu, mtu, 'macvlan_network_networks[0].mtu'))


@pytest.mark.parametrize('priority', ['high', 1.5, True])
def test_a_bad_gw_priority(priority):
    said = refusal(bp.bridge_plan, [{'name': 'c', 'networks': [{'name': 'n', 'gw_priority': priority}]}], [{'name': 'n'}])
    assert said == str(engine(_validate.gw_priority, priority, 'bridge_network_containers[0].networks[0].gw_priority'))
    assert said.endswith(': ' + engine(_validate.gw_priority, priority, 'endpoints[0].gw_priority').message)
    said = refusal(macvlan, [{'name': 'c', 'networks': [{'name': 'mac', 'gw_priority': priority}]}])
    assert said == 'host h1, ' + str(engine(_validate.gw_priority, priority, 'macvlan_network_containers[0].networks[0].gw_priority'))


def test_gw_priority_reaches_the_module_calls():
    nets = {n['name']: n for n in bp.bridge_plan([{'name': 'c', 'networks': ['a', {'name': 'n', 'gw_priority': -2}]}],
                                                 [{'name': 'a'}, {'name': 'n'}])['networks']}
    assert nets['n']['endpoints'] == [{'name': 'c', 'gw_priority': -2, 'ifname': 'eth1'}]
    assert nets['a']['endpoints'] == [{'name': 'c', 'ifname': 'eth0'}]
    calls = macvlan([{'name': 'c', 'networks': [{'name': 'mac', 'gw_priority': 7}]}])
    assert calls['h1']['networks'][0]['endpoints'] == [{'name': 'c', 'gw_priority': 7, 'ip': '10.0.0.2'}]


@pytest.mark.parametrize('bandwidth', [{'ingress_rate': 'mbit'}, {'egress_rate': '10xb'}, {'egress_rate': -5}])
def test_a_bad_bandwidth(bandwidth):
    said = refusal(bp.bridge_plan, [{'name': 'c', 'networks': [{'name': 'n', 'bandwidth': bandwidth}]}], [{'name': 'n'}])
    assert said == str(engine(_bandwidth.parse, bandwidth, 'bridge_network_containers[0].networks[0].bandwidth'))
    assert said.endswith(': ' + engine(_bandwidth.parse, bandwidth, 'endpoints[0].bandwidth').message)


def test_bandwidth_reaches_the_module_calls():
    nets = {n['name']: n for n in bp.bridge_plan([{'name': 'c', 'networks': [{'name': 'n', 'bandwidth': {'egress_rate': '10mbit'}}]}],
                                                 [{'name': 'n'}])['networks']}
    assert nets['n']['endpoints'] == [{'name': 'c', 'ifname': 'eth0', 'bandwidth': {'egress_rate': 10 ** 7, 'egress_burst': 32768}}]
