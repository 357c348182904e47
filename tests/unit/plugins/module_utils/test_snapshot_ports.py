# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A run on an existing bridge network reads the bridge and its ports, not every link of the host (issue 25, item 5):
the dump that asks the kernel for one master's links, the snapshot that reads any other link when asked for it (by
name or index, once), and which runs read that way; and the named namespaces are looked up as a run asks about them,
not listed."""

from __future__ import annotations

import os
import struct
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _overlay
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot

sys.path.insert(0, os.path.dirname(__file__))
from test_network_planner import BridgeRun, FakeNs, bridge_params, commit, empty_host, link, plan  # noqa: E402  pylint: disable=wrong-import-position


def test_a_link_dump_for_one_master_carries_its_ifindex():
    whole = codec.dump_request(_kernel.RTM_GETLINK, 0, 7)
    ports = codec.dump_request(_kernel.RTM_GETLINK, 0, 7, master=12)
    # the same request with IFLA_MASTER (10) appended, the header's length counting it
    assert len(ports) == len(whole) + 8
    assert struct.unpack_from('=I', ports)[0] == len(ports) and ports[4:len(whole)] == whole[4:]
    assert ports[len(whole):] == struct.pack('=HHI', 8, 10, 12)


class HostChannel:
    """A host of many links, as the Channel reads it: one link by name or index, a dump (of one master's links)."""

    def __init__(self, links):
        self.links = links
        self.asked = []

    def link(self, key):
        self.asked.append(key)
        return next((dict(ln) for ln in self.links if key in (ln['ifname'], ln['index'])), None)

    def dump(self, msg_type, family=0, master=None):
        self.asked.append(('dump', msg_type, family, master))
        if msg_type != _kernel.RTM_GETLINK:
            return []
        return [dict(ln) for ln in self.links if master is None or ln['master'] == master]


HOST = [link(1, 'lo'), link(2, 'eth0'), link(10, 'br-a', 'bridge'), link(11, 'br-b', 'bridge'),
        link(20, 'veth-a1', 'veth', master=10, peer=2), link(21, 'veth-a2', 'veth', master=10, peer=2),
        link(30, 'veth-b1', 'veth', master=11, peer=2), link(31, 'loose', 'veth', peer=2)]


def test_the_ports_of_a_bridge_are_read_and_any_other_link_when_asked_for():
    chan = HostChannel(HOST)
    snap = _snapshot.read_host(chan, ports_of='br-a')
    assert sorted(snap.links) == ['br-a', 'veth-a1', 'veth-a2']
    assert ('dump', _kernel.RTM_GETLINK, 0, 10) in chan.asked and ('dump', _kernel.RTM_GETLINK, 0, None) not in chan.asked
    chan.asked.clear()
    # another link, by name or index: read then, and kept; one that does not exist is read once
    assert snap.link('loose')['index'] == 31 and snap.link('loose')['index'] == 31
    assert snap.ifname_of(11) == 'br-b' and snap.ifname_of(11) == 'br-b'
    assert snap.link('veth-new') is None and snap.link('veth-new') is None
    assert snap.ifname_of(99) is None and snap.ifname_of(99) is None
    assert chan.asked == ['loose', 11, 'veth-new', 99]
    # the ports themselves answer without a read
    chan.asked.clear()
    assert snap.link('veth-a2')['master'] == 10 and snap.ifname_of(20) == 'veth-a1' and chan.asked == []


def test_without_ports_the_bridge_alone_and_each_link_by_name():
    chan = HostChannel(HOST)
    snap = _snapshot.read_host(chan, ports_of='br-a', ports=False)
    assert sorted(snap.links) == ['br-a'] and not [q for q in chan.asked if q[0] == 'dump' and q[1] == _kernel.RTM_GETLINK]
    assert snap.link('veth-a2')['master'] == 10 and snap.link('veth-a2')['index'] == 21
    assert chan.asked[-1] == 'veth-a2' and chan.asked.count('veth-a2') == 1


def test_no_bridge_no_ports_and_every_link_still_answers():
    chan = HostChannel(HOST)
    snap = _snapshot.read_host(chan, ports_of='br-gone')
    assert snap.links == {} and snap.link('veth-a1')['master'] == 10
    assert ('dump', _kernel.RTM_GETLINK, 0, None) not in chan.asked


def test_every_link_is_read_without_ports_of_or_for_the_uplink(monkeypatch):
    monkeypatch.setattr(_snapshot, 'main_routes', lambda chan, family: [])
    for kwargs in ({}, {'ports_of': 'br-a', 'uplink': True}):
        chan = HostChannel(HOST)
        snap = _snapshot.read_host(chan, **kwargs)
        assert len(snap.links) == len(HOST), kwargs
        # a complete snapshot never reads: what it lacks does not exist
        chan.asked.clear()
        assert snap.link('veth-new') is None and snap.ifname_of(99) is None and chan.asked == []


def test_which_runs_read_only_their_bridge_and_its_ports(tmp_path):
    run = plan(BridgeRun, bridge_params(), empty_host(), tmp_path)
    commit(run, tmp_path)
    bridge = run.doc['bridge']

    def ports_of(**params):
        other = BridgeRun(bridge_params(**params), FakeNs(), root=str(tmp_path))
        return other.driver.ports_of(other)

    # an existing network, applied again, changed or removed: its recorded bridge
    assert ports_of() == ports_of(endpoints=[{'name': 'c3'}]) == ports_of(state='absent') == ports_of(bridge_name=bridge) == bridge
    # a new network (its bridge is chosen by this run), or one whose bridge the task renames: every link
    assert ports_of(name='net2') is None and ports_of(bridge_name='br-other') is None

    def reads_ports(**params):
        other = BridgeRun(bridge_params(**params), FakeNs(), root=str(tmp_path))
        return other.driver.reads_ports(other)

    # a task listing some endpoints and keeping the others reads their host ends by name; every endpoint checked,
    # some purged, or the network removed: the ports in one dump
    assert reads_ports() is False and reads_ports(endpoints=[{'name': 'c3'}]) is False
    assert reads_ports(endpoints=None) is True and reads_ports(purge_endpoints=True) is True and reads_ports(state='absent') is True
    # an overlay (a bridge network with a VXLAN device) checks its VNI against every VXLAN device of the host
    assert issubclass(_overlay.OverlayDriver, _bridge.BridgeDriver) and _overlay.OverlayDriver.ports_of(None) is None


def test_named_namespaces_are_looked_up_once_each_when_asked_about(monkeypatch):
    asked = []
    monkeypatch.setattr(_snapshot._netns, 'netns_exists', lambda name: asked.append(name) or name.startswith('c'))
    monkeypatch.setattr(_snapshot._netns, 'list_netns', lambda: pytest.fail('a run lists /run/netns'))
    snap = _snapshot.read_host(HostChannel(HOST), ports_of='br-a')
    assert 'c1' in snap.netns and 'c1' in snap.netns and 'x1' not in snap.netns and 'x1' not in snap.netns
    assert asked == ['c1', 'x1']
    # a snapshot built from names (the unit tests' hosts) answers from them
    assert 'c1' in _snapshot.Snapshot([], netns=['c1']).netns and 'c2' not in _snapshot.Snapshot([], netns=['c1']).netns
