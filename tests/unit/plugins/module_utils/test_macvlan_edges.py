# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan edges on snapshots made of dicts: passthru MAC record and restore, MACs distinct on a parent before any
change, the 802.1q parent predicted from what the kernel shows (vlan_support on a fake root)."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _macvlan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

# ansible-test units imports test files by their path, not with their folder on sys.path: put it there.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_network_planner import commit, empty_host, link, macvlan_host, macvlan_params, plan  # noqa: E402  pylint: disable=wrong-import-position


# -- passthru -----------------------------------------------------------------------------------------------------------
PARENT_MAC = 'e6:6e:44:3b:57:48'


def passthru(**over):
    return macvlan_params(**dict(dict(parent='pt0', mode='passthru', endpoints=[{'name': 'x'}]), **over))


def test_passthru_records_the_parents_mac_and_sets_the_endpoints_after_creating_it(tmp_path):
    run = plan(_macvlan.MacvlanNetwork, passthru(), empty_host(link(5, 'pt0', 'veth', mac=PARENT_MAC)), tmp_path)
    assert run.doc['parent_mac'] == PARENT_MAC and run.doc['endpoints']['x']['mac'] == '02:42:0a:14:00:02'
    step = next(s for s in run.plan.steps if s.text.startswith('connect x'))
    # create, find, then the MAC (the kernel gave the child the parent's), up, address, default route
    assert [op[0] for op in step.do] == [None, 'find', 'x', 'x', 'x', 'x', 'sysctl']


def test_passthru_rerun_changes_nothing_and_removal_gives_the_mac_back(tmp_path):
    run = plan(_macvlan.MacvlanNetwork, passthru(), empty_host(link(5, 'pt0', 'veth', mac=PARENT_MAC)), tmp_path)
    commit(run, tmp_path)
    lent = run.doc['endpoints']['x']['mac']
    snap = macvlan_host(run.doc, parent_links=[link(5, 'pt0', 'veth', mac=lent)])
    again = plan(_macvlan.MacvlanNetwork, passthru(), snap, tmp_path)
    assert again.plan.commands == [] and again.doc == run.doc
    gone = plan(_macvlan.MacvlanNetwork, dict(passthru(), state='absent', force=True),
                macvlan_host(run.doc, parent_links=[link(5, 'pt0', 'veth', mac=lent)]), tmp_path)
    assert gone.plan.commands[-2:] == ['give parent pt0 its own MAC %s back (its passthru endpoint had lent it its own)' % PARENT_MAC,
                                       'remove network state mac1']
    # Disconnecting the endpoint (the network stays) gives it back too.
    left = plan(_macvlan.MacvlanNetwork, passthru(endpoints=[], purge_endpoints=True),
                macvlan_host(run.doc, parent_links=[link(5, 'pt0', 'veth', mac=lent)]), tmp_path)
    assert 'give parent pt0 its own MAC %s back (its passthru endpoint had lent it its own)' % PARENT_MAC in left.plan.commands


def test_a_passthru_parent_already_lent_an_endpoints_mac_is_not_recorded(tmp_path):
    run = plan(_macvlan.MacvlanNetwork, passthru(), empty_host(link(5, 'pt0', 'veth', mac=PARENT_MAC)), tmp_path)
    doc = dict(run.doc)
    del doc['parent_mac']  # as an older version wrote it
    run.doc = doc
    commit(run, tmp_path)
    snap = macvlan_host(doc, parent_links=[link(5, 'pt0', 'veth', mac=doc['endpoints']['x']['mac'])])
    again = plan(_macvlan.MacvlanNetwork, passthru(), snap, tmp_path)
    assert 'parent_mac' not in again.doc and again.plan.commands == []


# -- MACs distinct on one parent ----------------------------------------------------------------------------------------
def test_a_duplicate_mac_in_one_network_is_refused_naming_mac(tmp_path):
    eps = [{'name': 'c1', 'mac': '02:00:00:00:00:01'}, {'name': 'c2', 'mac': '02:00:00:00:00:01'}]
    with pytest.raises(_validate.InputError, match=r"endpoints\[1\]\.mac '02:00:00:00:00:01': is also the MAC of container c1"):
        plan(_macvlan.MacvlanNetwork, macvlan_params(endpoints=eps), empty_host(link(2, 'ens33', 'veth')), tmp_path)


def test_a_mac_of_another_network_on_the_parent_or_of_the_parent_is_refused(tmp_path):
    first = plan(_macvlan.MacvlanNetwork, macvlan_params(endpoints=[{'name': 'c1', 'ip': '10.20.0.100'}]),
                 empty_host(link(2, 'ens33', 'veth', mac='aa:bb:cc:00:00:01')), tmp_path)
    commit(first, tmp_path)
    other = dict(name='mac2', subnet='10.21.0.0/24')
    with pytest.raises(_validate.InputError, match=r"endpoints\[0\]\.mac '02:42:0a:14:00:64': is also the MAC of container c1 "
                                                   r"on macvlan network mac1"):
        plan(_macvlan.MacvlanNetwork, macvlan_params(endpoints=[{'name': 'c9', 'mac': '02:42:0a:14:00:64'}], **other),
             empty_host(link(2, 'ens33', 'veth', mac='aa:bb:cc:00:00:01')), tmp_path)
    with pytest.raises(_validate.InputError, match=r"endpoints\[0\]\.mac 'aa:bb:cc:00:00:01': is also the MAC of the parent ens33"):
        plan(_macvlan.MacvlanNetwork, macvlan_params(endpoints=[{'name': 'c9', 'mac': 'AA:BB:CC:00:00:01'}], **other),
             empty_host(link(2, 'ens33', 'veth', mac='aa:bb:cc:00:00:01')), tmp_path)


# -- 802.1q parent --------------------------------------------------------------------------------------------------------
def fake_root(tmp_path, vlan=False, modules=None, disabled='0', dep=''):
    root = tmp_path / 'root'
    os.makedirs(root / 'proc' / 'net' / ('vlan' if vlan else 'dev_snmp6'))
    os.makedirs(root / 'proc' / 'sys' / 'kernel')
    (root / 'proc' / 'sys' / 'kernel' / 'osrelease').write_text('6.1.0-test\n')
    (root / 'proc' / 'sys' / 'kernel' / 'modules_disabled').write_text(disabled + '\n')
    if modules:
        (root / 'proc' / 'modules').write_text('')
        os.makedirs(root / 'lib' / 'modules' / '6.1.0-test')
        (root / 'lib' / 'modules' / '6.1.0-test' / 'modules.dep').write_text(dep)
    return str(root)


@pytest.mark.parametrize('kw, want', [
    ({'vlan': True}, True),
    ({}, False),  # no 8021q and no module support (this machine's kernel)
    ({'modules': True, 'dep': 'kernel/net/8021q/8021q.ko.xz: kernel/net/802/garp.ko.xz\n'}, True),
    ({'modules': True, 'dep': 'kernel/net/8021q/8021q.ko.zst:\n', 'disabled': '1'}, False),
    ({'modules': True, 'dep': 'kernel/drivers/net/macvlan.ko:\n'}, False),
])
def test_vlan_support_read_without_changing_anything(tmp_path, kw, want):
    assert _macvlan.vlan_support(fake_root(tmp_path, **kw)) is want


def test_vlan_support_cannot_tell_without_proc(tmp_path):
    assert _macvlan.vlan_support(str(tmp_path)) is None


@pytest.mark.parametrize('support', [False, True, None])
def test_an_8021q_parent_the_kernel_cannot_make_fails_at_planning(tmp_path, support):
    snap = empty_host(link(2, 'ens33', 'veth'))
    snap.vlan_support = support
    params = macvlan_params(parent='ens33.10', endpoints=[{'name': 'v'}])
    if support is False:
        with pytest.raises(_kernel.HostnetError, match=r"parent 'ens33.10': this kernel has no 802.1q VLAN support"):
            plan(_macvlan.MacvlanNetwork, params, snap, tmp_path)
        return
    run = plan(_macvlan.MacvlanNetwork, params, snap, tmp_path)
    assert 'create 802.1q parent ens33.10 (VLAN 10 on ens33)' in run.plan.commands
