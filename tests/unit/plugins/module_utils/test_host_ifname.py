# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An endpoint's host end named as asked (``host_ifname``): the checks, the new link, the rename in place, the restore."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _container
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

sys.path.insert(0, os.path.dirname(__file__))
from test_network_planner import BridgeRun, FakeCtx, bridge_host, bridge_params, commit, empty_host, link, plan  # noqa: E402  pylint: disable=wrong-import-position


def named(**names):
    return [{'name': cname, 'host_ifname': veth} if veth else {'name': cname} for cname, veth in names.items()]


@pytest.mark.parametrize('value, words', [('a-very-long-name0', 'limited to 15 bytes'), ('a b', 'cannot contain'), ('x/y', 'cannot contain'),
                                          ('', 'non-empty')])
def test_the_name_is_an_interface_name(value, words):
    with pytest.raises(_validate.InputError, match=r"endpoints\[0\].host_ifname '.*': .*%s" % words):
        _model.endpoint_specs([{'name': 'c', 'host_ifname': value}])


def test_a_new_endpoint_gets_its_name_and_the_document_records_it(tmp_path):
    run = plan(BridgeRun, bridge_params(endpoints=named(c1='hn-c1', c2=None)), empty_host(), tmp_path)
    assert run.doc['endpoints']['c1']['veth'] == 'hn-c1'
    assert run.doc['endpoints']['c2']['veth'] == _network.veth_name(run.doc['id'], 'c2')
    assert 'connect c1 to net1: eth0 10.10.0.2/24 via hn-c1' in run.plan.commands


@pytest.fixture
def net_named(tmp_path):
    run = plan(BridgeRun, bridge_params(endpoints=named(c1='hn-c1', c2=None)), empty_host(), tmp_path)
    commit(run, tmp_path)
    return run.doc


def test_rerun_and_rename_in_place(tmp_path, net_named):
    assert plan(BridgeRun, bridge_params(endpoints=named(c1='hn-c1', c2=None)), bridge_host(net_named), tmp_path).plan.commands == []
    run = plan(BridgeRun, bridge_params(endpoints=named(c1='hn-new', c2=None)), bridge_host(net_named), tmp_path)
    assert run.plan.commands == ['write network state net1', 'rename hn-c1 to hn-new (host end of c1 on net1)']
    assert run.doc['endpoints']['c1']['veth'] == 'hn-new'
    step = run.plan.steps[1]
    assert [op[0] for op in step.do] == [None, None, None]
    for op in step.do:
        op[1](FakeCtx()).encode()
    # Omitted: the default name, by the same rename.
    run = plan(BridgeRun, bridge_params(endpoints=named(c1=None, c2=None)), bridge_host(net_named), tmp_path)
    assert run.plan.commands[-1] == 'rename hn-c1 to %s (host end of c1 on net1)' % _network.veth_name(net_named['id'], 'c1')


def test_clashes_are_refused(tmp_path, net_named):
    snap = bridge_host(net_named)
    snap.links['mine0'] = link(50, 'mine0', 'veth', peer=51)
    with pytest.raises(_validate.ForeignLinkError, match=r"endpoints\[0\].host_ifname 'mine0': the host already has an interface of that name "
                                                         r"\(a veth\) that the collection did not make") as err:
        plan(BridgeRun, bridge_params(endpoints=named(c1='mine0')), snap, tmp_path)
    assert err.value.link == 'mine0'
    with pytest.raises(_validate.InputError, match=r"endpoints\[1\].host_ifname 'hn-c1': is already the host end of c1 on network net1"):
        plan(BridgeRun, bridge_params(endpoints=named(c1='hn-c1', c3='hn-c1')), snap, tmp_path)
    with pytest.raises(_validate.InputError, match=r"endpoints\[0\].host_ifname '%s': is already the bridge of network net1" % net_named['bridge']):
        plan(BridgeRun, bridge_params(endpoints=named(c3=net_named['bridge'])), snap, tmp_path)
    # Another network's endpoint.
    other = dict(net_named, name='net2', bridge='br-other', id='f' * 64)
    _store.save(_network.KIND, 'net2', other, str(tmp_path))
    with pytest.raises(_validate.InputError, match=r"is already the host end of c1 on network net2"):
        plan(BridgeRun, bridge_params(name='net3', subnet='10.30.0.0/24', endpoints=named(c9='hn-c1')), empty_host(), tmp_path)


def test_restore_and_the_container_module_pass_it(net_named):
    params = _restore.bridge_params(net_named)
    assert {ep['name']: ep['host_ifname'] for ep in params['endpoints']}['c1'] == 'hn-c1'
    want = _container.wanted({'name': 'c1', 'networks': [{'name': 'net1', 'host_ifname': 'hn-x'}], 'state': 'present', 'network_mode': 'bridge'})
    entry = want['networks'][0]
    assert _container.endpoint_entry(want, entry, net_named, [])['host_ifname'] == 'hn-x'
    with pytest.raises(_validate.InputError, match=r"networks\[0\].host_ifname 'x': only bridge networks have a host end"):
        _container.endpoint_entry(want, dict(entry, host_ifname='x'), {'driver': 'macvlan', 'endpoints': {}}, [])
