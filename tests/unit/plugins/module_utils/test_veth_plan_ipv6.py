# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""veth_pair in IPv6: peer addresses of both families, one default route per family, bad input named."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _veth_plan  # noqa: E402  pylint: disable=wrong-import-position

WANT = dict(name='vethweb01', state='present', peer_name=None, peer_netns='web01', master=None, mtu=None, mac=None, peer_mac=None,
            peer_addresses=['172.17.0.2/16', 'fd00:db8:1:0::2/64'], peer_gateway=['172.17.0.1', 'fd00:db8:1::1'])
HOST = {'index': 7, 'ifname': 'vethweb01', 'kind': 'veth', 'mtu': 1500, 'mac': '96:1e:5c:aa:10:01', 'up': True, 'master': None,
        'link': 2, 'link_netnsid': 0}
PEER = {'index': 2, 'ifname': 'eth0', 'kind': 'veth', 'mtu': 1500, 'mac': '02:42:ac:11:00:02', 'up': True, 'master': None,
        'link': 7, 'link_netnsid': 0}
RECORD = {'name': 'vethweb01', 'peer_name': 'eth0', 'peer_netns': 'web01', 'created': 'x'}


class Recorder:
    def __getattr__(self, name):
        return lambda *a, **kw: None


def snap(**kw):
    base = dict(netns_exists=True, host=None, host_master=None, master=None, peer=None, peer_addresses=[], peer_gateway=None,
                peer_gateway_v6=None, record=None)
    base.update(kw)
    return base


def test_both_families_on_a_new_pair():
    want = _veth_plan.wanted(WANT)
    assert want['peer_addresses'] == ['172.17.0.2/16', 'fd00:db8:1::2/64']
    assert (want['peer_gateway'], want['peer_gateway_v6']) == ('172.17.0.1', 'fd00:db8:1::1')
    steps, dummy, after = _veth_plan.plan(want, snap(), Recorder(), Recorder())
    assert steps.commands[-3:] == ['add fd00:db8:1::2/64 to eth0 in web01', 'set default route via 172.17.0.1 dev eth0 in web01',
                                   'set default route via fd00:db8:1::1 dev eth0 in web01']
    assert after['peer_gateway_v6'] == 'fd00:db8:1::1'


def test_a_rerun_changes_nothing_and_drift_is_repaired_per_family():
    want = _veth_plan.wanted(WANT)
    same = snap(host=HOST, peer=PEER, record=RECORD, peer_addresses=['172.17.0.2/16', 'fd00:db8:1::2/64'], peer_gateway='172.17.0.1',
                peer_gateway_v6='fd00:db8:1::1')
    steps, dummy, dummy2 = _veth_plan.plan(want, same, Recorder(), Recorder())
    assert steps.commands == []
    drift = dict(same, peer_addresses=['172.17.0.2/16', 'fd00:db8:1::9/64'], peer_gateway_v6=None)
    steps, dummy, dummy2 = _veth_plan.plan(want, drift, Recorder(), Recorder())
    assert steps.commands == ['remove fd00:db8:1::9/64 from eth0 in web01', 'add fd00:db8:1::2/64 to eth0 in web01',
                              'set default route via fd00:db8:1::1 dev eth0 in web01']


def test_a_single_ipv6_gateway_string_and_a_link_local_router():
    want = _veth_plan.wanted(dict(WANT, peer_addresses=['fd00:db8:1::2/64'], peer_gateway='fe80::1'))
    assert (want['peer_gateway'], want['peer_gateway_v6']) == (None, 'fe80::1')


@pytest.mark.parametrize('given, option, value', [
    (dict(peer_gateway=['fd00:db8:2::1']), 'peer_gateway', 'fd00:db8:2::1'),
    (dict(peer_gateway=['fd00:db8:1::1', 'fd00:db8:1::fe']), 'peer_gateway[1]', 'fd00:db8:1::fe'),
    (dict(peer_gateway=['fd00:db8:1::2']), 'peer_gateway', 'fd00:db8:1::2'),
    (dict(peer_addresses=['fd00:db8:1::2']), 'peer_addresses[0]', 'fd00:db8:1::2'),
    (dict(peer_addresses=['fe80::2/64'], peer_gateway=None), 'peer_addresses[0]', 'fe80::2/64'),
    (dict(peer_addresses=['fd00:db8:1::2/64', 'fd00:db8:1:0::2/64'], peer_gateway=None), 'peer_addresses[1]', 'fd00:db8:1:0::2/64'),
    (dict(peer_netns=None, peer_name='p0', peer_gateway=['fd00:db8:1::1']), 'peer_gateway', 'fd00:db8:1::1'),
])
def test_bad_ipv6_input_names_the_option(given, option, value):
    with pytest.raises(_validate.InputError) as err:
        _veth_plan.wanted(dict(WANT, **given))
    assert (err.value.option, err.value.value) == (option, value)


def test_ipv6_on_a_host_without_it_is_refused_naming_the_option():
    with pytest.raises(_validate.InputError) as err:
        _veth_plan.plan(_veth_plan.wanted(WANT), snap(ipv6=False), Recorder(), Recorder())
    assert (err.value.option, err.value.value) == ('peer_addresses', 'fd00:db8:1::2/64')
    with pytest.raises(_validate.InputError) as err:
        _veth_plan.plan(_veth_plan.wanted(dict(WANT, peer_addresses=['fd00:db8:1::2/64', '172.17.0.2/16'], peer_gateway=['fe80::1'])),
                        snap(ipv6=False), Recorder(), Recorder())
    assert err.value.option == 'peer_addresses' and 'IPv6 is disabled' in str(err.value)
