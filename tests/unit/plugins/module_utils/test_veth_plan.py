# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The veth_pair planner from dict snapshots (no root): create, recreate, repair, addresses, gateway, absent, and
every refusal (bad options, missing references, names held by something else)."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate
from ansible_collections.hostnet.containers.plugins.module_utils import _veth_plan

pytest.importorskip('netaddr')


class Recorder:
    """Stands in for _kernel.Links: records each call (name, args, sorted keyword arguments)."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append((name,) + args + tuple(sorted(kwargs.items())))
        return call


def link(index, ifname, kind='veth', peer=None, netnsid=None, master=None, mtu=1500, mac='02:00:00:00:00:01', up=True):
    return {'index': index, 'ifname': ifname, 'kind': kind, 'mtu': mtu, 'mac': mac, 'up': up, 'master': master, 'link': peer,
            'link_netnsid': netnsid}


BRIDGE = link(3, 'docker0', kind='bridge')
HOST = link(10, 'vethweb01', peer=2, netnsid=0, master=3)
PEER = link(2, 'eth0', peer=10, mac='02:42:ac:11:00:02')
WANT = dict(name='vethweb01', state='present', master='docker0', peer_netns='web01', peer_name='eth0', mtu=1500, mac=None,
            peer_mac='02:42:ac:11:00:02', peer_addresses=['172.17.0.2/16'], peer_gateway='172.17.0.1')


RECORD = {'name': 'vethweb01', 'peer_name': 'eth0', 'peer_netns': 'web01', 'created': '2026-01-01T00:00:00.000000Z'}


def snap(**kw):
    base = dict(netns_exists=True, host=None, host_master=None, master=BRIDGE, peer=None, peer_addresses=[], peer_gateway=None,
                record=None)
    base.update(kw)
    return base


def existing(**kw):
    base = dict(host=HOST, host_master='docker0', peer=PEER, peer_addresses=['172.17.0.2/16'], peer_gateway='172.17.0.1', record=RECORD)
    base.update(kw)
    return snap(**base)


def plan_for(snapshot, **kw):
    links = Recorder()
    steps, before, after = _veth_plan.plan(_veth_plan.wanted(dict(WANT, **kw)), snapshot, links, Recorder())
    return steps, before, after, links


def test_a_new_pair_is_one_create_then_the_peer_up_addresses_and_route():
    steps, before, after, links = plan_for(snap())
    assert steps.commands == ['record veth vethweb01', 'create veth vethweb01 with peer eth0 in web01 on bridge docker0', 'set eth0 in web01 up',
                              'add 172.17.0.2/16 to eth0 in web01', 'set default route via 172.17.0.1 dev eth0 in web01']
    assert before is None
    assert after == {'name': 'vethweb01', 'master': 'docker0', 'mtu': 1500, 'mac': None, 'peer_name': 'eth0', 'peer_netns': 'web01',
                     'peer_mac': '02:42:ac:11:00:02', 'peer_mtu': 1500, 'peer_up': True, 'up': True,
                     'peer_addresses': ['172.17.0.2/16'], 'peer_gateway': '172.17.0.1', 'peer_gateway_v6': None}
    # On a new pair only the create is undone: the addresses and the route go with the pair.
    assert [s.undo is None for s in steps.steps] == [False, False, True, True, True]
    steps.execute()
    assert links.calls == [('create_veth', 'vethweb01', 'eth0', 'web01', ('mac', None), ('master', 'docker0'), ('mtu', 1500),
                            ('peer_mac', '02:42:ac:11:00:02')),
                           ('set', 'web01', 'eth0', ('up', True)), ('add_address', 'web01', 'eth0', '172.17.0.2/16'),
                           ('set_default_route', 'web01', '172.17.0.1', 'eth0')]


def test_a_failure_after_the_create_deletes_the_pair():
    steps, dummy, dummy2, links = plan_for(snap())

    def refused():
        raise OSError(17, 'File exists')

    steps.steps[3].do = refused
    with pytest.raises(_plan.PlanFailed, match='add 172.17.0.2/16'):
        steps.execute()
    assert links.calls[-1] == ('delete', None, 'vethweb01')


def test_a_plain_pair_on_the_host():
    steps, dummy, after, dummy2 = plan_for(snap(master=None), master=None, peer_netns=None, peer_name='right0', name='left0',
                                           peer_addresses=None, peer_gateway=None, peer_mac=None)
    assert steps.commands == ['record veth left0', 'create veth left0 with peer right0', 'set right0 up']
    assert after['master'] is None and after['peer_addresses'] == []


def test_the_same_pair_needs_nothing():
    steps, before, after, dummy = plan_for(existing())
    assert not steps and before == after


def test_drift_is_repaired_with_undo_to_the_old_values():
    drifted = existing(host=dict(HOST, master=7, up=False, mac='02:00:00:00:00:09'), host_master='br1',
                       peer=dict(PEER, mtu=1400, mac='02:00:00:00:00:08', up=False), peer_addresses=['172.17.0.9/16'],
                       peer_gateway='172.17.0.254')
    steps, before, after, links = plan_for(drifted, mac='02:00:00:00:00:01')
    assert steps.commands == ['attach vethweb01 to bridge docker0', 'set mtu 1500 on eth0 in web01', 'set mac 02:00:00:00:00:01 on vethweb01',
                              'set mac 02:42:ac:11:00:02 on eth0 in web01', 'set vethweb01 up', 'set eth0 in web01 up',
                              'remove 172.17.0.9/16 from eth0 in web01', 'add 172.17.0.2/16 to eth0 in web01',
                              'set default route via 172.17.0.1 dev eth0 in web01']
    assert before['master'] == 'br1' and after['master'] == 'docker0' and before['peer_addresses'] == ['172.17.0.9/16']
    for step in reversed(steps.steps):
        if step.undo:
            step.undo()
    assert links.calls == [('set_default_route', 'web01', '172.17.0.254', 'eth0'), ('del_address', 'web01', 'eth0', '172.17.0.2/16'),
                           ('add_address', 'web01', 'eth0', '172.17.0.9/16'), ('set', 'web01', 'eth0', ('address', '02:00:00:00:00:08')),
                           ('set', None, 'vethweb01', ('address', '02:00:00:00:00:09')), ('set', 'web01', 'eth0', ('mtu', 1400)),
                           ('set', None, 'vethweb01', ('master', 'br1'))]


def test_a_host_end_off_any_bridge_is_detached_again_on_undo():
    steps, dummy, dummy2, links = plan_for(existing(host=dict(HOST, master=None), host_master=None))
    assert steps.commands == ['attach vethweb01 to bridge docker0']
    steps.steps[0].undo()
    assert links.calls == [('set', None, 'vethweb01', ('master', 0))]


def test_a_new_default_route_is_removed_on_undo():
    steps, dummy, dummy2, links = plan_for(existing(peer_gateway=None))
    assert steps.commands == ['set default route via 172.17.0.1 dev eth0 in web01']
    steps.steps[0].undo()
    assert links.calls == [('del_default_route', 'web01', '172.17.0.1', 'eth0')]


def test_omitted_addresses_and_gateway_are_left_alone():
    steps, dummy, after, dummy2 = plan_for(existing(peer_addresses=['10.0.0.5/8'], peer_gateway='10.0.0.1'),
                                           peer_addresses=None, peer_gateway=None)
    assert not steps and after['peer_addresses'] == ['10.0.0.5/8'] and after['peer_gateway'] == '10.0.0.1'


def test_a_peer_in_another_namespace_recreates_the_pair():
    # The host end's peer is not eth0 in web01 (web01's eth0 is some other veth): delete, then create.
    steps, before, dummy, dummy2 = plan_for(existing(peer=None))
    assert steps.commands[:2] == ['delete veth vethweb01 (its peer is not eth0 in web01)',
                                  'create veth vethweb01 with peer eth0 in web01 on bridge docker0']
    assert before == {'name': 'vethweb01', 'peer_name': None}
    assert plan_for(existing(host=dict(HOST, link_netnsid=None), peer=None))[0].commands[0].startswith('delete veth')


def test_on_the_host_the_old_peer_may_hold_the_new_peer_name():
    host = link(10, 'left0', peer=11)
    old_peer = link(11, 'right0', peer=10)
    record = {'name': 'left0', 'peer_name': 'right0', 'peer_netns': None, 'created': RECORD['created']}
    steps = plan_for(snap(master=None, host=host, peer=old_peer, record=record), master=None, peer_netns=None, peer_name='right0', name='left0',
                     peer_addresses=None, peer_gateway=None, peer_mac=None)[0]
    assert not steps  # it is the pair
    other = link(12, 'right0', peer=13)
    with pytest.raises(_validate.ForeignLinkError, match="peer_name 'right0': an interface with that name already exists on the host"):
        plan_for(snap(master=None, peer=other), master=None, peer_netns=None, peer_name='right0', name='left0',
                 peer_addresses=None, peer_gateway=None, peer_mac=None)


@pytest.mark.parametrize('snapshot, option, words', [
    (snap(netns_exists=False), 'peer_netns', 'network namespace does not exist'),
    (snap(master=None), 'master', 'no such bridge on the host'),
    (snap(master=link(1, 'lo', kind=None)), 'master', 'is a device, not a bridge'),
    (snap(master=link(5, 'keep0')), 'master', 'is a veth, not a bridge'),
    (snap(host=link(10, 'vethweb01', kind='bridge')), 'name', 'the host already has an interface vethweb01 .a bridge. and the collection has no record'),
    (snap(peer=link(4, 'eth0', kind=None)), 'peer_name', 'already exists in web01'),
])
def test_references_the_host_refuses(snapshot, option, words):
    with pytest.raises(_validate.InputError, match=words) as err:
        plan_for(snapshot)
    assert err.value.option == option


def test_absent():
    steps, before, after, links = plan_for(existing(), state='absent')
    assert steps.commands == ['delete veth vethweb01', 'forget veth vethweb01'] and after is None
    assert before == {'name': 'vethweb01', 'master': 'docker0', 'mtu': 1500, 'mac': '02:00:00:00:00:01'}
    steps.execute()
    assert links.calls == [('delete', None, 'vethweb01')]
    assert not plan_for(snap(), state='absent')[0]
    with pytest.raises(_validate.ForeignLinkError, match='no record of creating it'):
        plan_for(snap(host=link(3, 'vethweb01', kind='bridge')), state='absent')


def test_an_unrecorded_link_is_refused_never_replaced():
    """The host's uplink (or the user's own veth pair) given as name: refused, in both states, nothing planned."""
    uplink = link(2, 'ens33', peer=7, netnsid=1)
    for state in ('present', 'absent'):
        with pytest.raises(_validate.ForeignLinkError, match="name 'ens33': the host already has an interface ens33 .a veth. and the "
                                                             "collection has no record of creating it") as exc:
            plan_for(snap(host=uplink), name='ens33', state=state)
        assert exc.value.link == 'ens33'


def test_a_recorded_pair_whose_links_vanished_is_recreated_and_the_record_forgotten_on_absent():
    steps = plan_for(snap(record=RECORD))[0]
    assert steps.commands[0] == 'create veth vethweb01 with peer eth0 in web01 on bridge docker0'
    steps = plan_for(snap(record=RECORD), state='absent')[0]
    assert steps.commands == ['forget veth vethweb01']


@pytest.mark.parametrize('kw, option', [
    (dict(name='averyveryverylongname'), 'name'),
    (dict(peer_name=None, peer_netns=None), 'peer_name'),
    (dict(peer_name='vethweb01', peer_netns=None, peer_gateway=None), 'peer_name'),
    (dict(master='bad/name'), 'master'),
    (dict(mtu=10), 'mtu'),
    (dict(mtu=70000), 'mtu'),
    (dict(mac='zz:zz'), 'mac'),
    (dict(peer_mac='01:00:5e:00:00:01'), 'peer_mac'),
    (dict(peer_addresses=['172.17.0.300/16']), 'peer_addresses[0]'),
    (dict(peer_addresses=['172.17.0.2/16', '172.17.0.2/16']), 'peer_addresses[1]'),
    (dict(peer_gateway='10.0.0.1'), 'peer_gateway'),
    (dict(peer_gateway='172.17.0.2'), 'peer_gateway'),
    (dict(peer_netns=None, peer_name='p0'), 'peer_gateway'),
])
def test_bad_options_name_the_option(kw, option):
    with pytest.raises(_validate.InputError) as err:
        _veth_plan.wanted(dict(WANT, **kw))
    assert err.value.option == option


def test_peer_name_defaults_to_eth0_in_a_namespace():
    assert _veth_plan.wanted(dict(WANT, peer_name=None))['peer_name'] == 'eth0'
