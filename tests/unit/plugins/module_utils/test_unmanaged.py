# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker_bridge unmanaged (the user's own bridge): the plan touches only the endpoints, the document says the bridge
is not the collection's, no firewall rule comes of it, and bad input is refused by name."""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _restore  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402

# ansible-test units imports test files by their path, not with their folder on sys.path: put it there.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_network_planner import BridgeRun, bridge_params, commit, link, plan  # noqa: E402  pylint: disable=wrong-import-position


def lan_host(kind='bridge', mtu=1500):
    """A host whose br0 (holding 10.138.3.130/24) enslaves ens33."""
    return _snapshot.Snapshot([link(1, 'lo'), link(2, 'ens33', 'veth', master=3), link(3, 'br0', kind, mtu=mtu)],
                              [{'index': 3, 'address': '10.138.3.130/24', 'family': 2}])


def lan_params(**over):
    params = dict(unmanaged=True, bridge_name='br0', subnet='10.138.3.0/24', gateway='10.138.3.1', dns=None,
                  endpoints=[{'name': 'c1'}, {'name': 'c2', 'ip': '10.138.3.250'}])
    params.update(over)
    return bridge_params(**params)


def test_only_the_endpoints_are_planned(tmp_path):
    run = plan(BridgeRun, lan_params(ip_range=None, firewall=True), lan_host(mtu=1450), tmp_path)
    texts = [s.text for s in run.plan.steps]
    assert not [t for t in texts if 'br0' in t and not t.startswith('connect')], texts
    assert not [t for t in texts if 'bridge' in t or 'IPv6 on' in t], texts
    doc = run.doc
    assert (doc['unmanaged'], doc['bridge_created'], doc['firewall'], doc['firewall_backend'], doc['dns']) == (True, False, False, None, False)
    assert doc['bridge'] == 'br0' and doc['mtu'] == 1450, 'the bridge and its MTU are the user bridge\'s'
    # The host's own address on br0 is never given; the router (the gateway) neither.
    assert doc['endpoints']['c1']['ip'] == '10.138.3.2' and doc['endpoints']['c2']['ip'] == '10.138.3.250'
    assert _firewall_rules.desired_rules({'lan': doc}, {}, 'iptables') == []
    assert _firewall_rules.desired_rules({'lan': dict(doc, firewall_backend='nftables')}, {}, 'nftables') == []
    assert _firewall_rules.desired_sysctls({'lan': doc}) == _firewall_rules.desired_sysctls({})


def test_teardown_leaves_the_bridge(tmp_path):
    run = plan(BridgeRun, lan_params(), lan_host(), tmp_path)
    commit(run, tmp_path)
    gone = plan(BridgeRun, lan_params(state='absent', force=True), lan_host(), tmp_path)
    texts = [s.text for s in gone.plan.steps]
    assert not [t for t in texts if 'delete bridge' in t], texts


def test_the_hosts_address_is_not_given(tmp_path):
    with pytest.raises(_validate.InputError) as exc:
        plan(BridgeRun, lan_params(endpoints=[{'name': 'c1', 'ip': '10.138.3.130'}]), lan_host(), tmp_path)
    assert "endpoints[c1].ip '10.138.3.130'" in str(exc.value) and 'the host, on br0' in str(exc.value)


@pytest.mark.parametrize('over, host, needle', [
    ({'bridge_name': 'br9'}, None, "bridge_name 'br9': the host has no interface br9"),
    ({'bridge_name': 'ens33'}, None, "bridge_name 'ens33': is a veth, not a bridge"),
    ({'bridge_name': None}, None, 'bridge_name null: unmanaged: true needs the name of an existing bridge'),
    ({'subnet': None}, None, "subnet null: unmanaged: true needs the LAN's subnet"),
    ({'enable_ipv6': True}, None, "subnet_v6 null: unmanaged: true with enable_ipv6 needs the LAN's IPv6 subnet"),
    ({'dns': True}, None, 'dns True: the network\'s name server listens on the gateway address'),
    ({'dns_domain': 'lan.example'}, None, "dns_domain 'lan.example': an unmanaged network has no name server"),
    ({'internal': True}, None, 'internal True: an unmanaged network gets no address, NAT or firewall rule'),
    ({'icc': False}, None, 'icc False: an unmanaged network'),
    ({'host_ipv4': '10.138.3.130'}, None, "host_ipv4 '10.138.3.130': an unmanaged network"),
    ({'gateway_mode_ipv4': 'routed'}, None, "gateway_mode_ipv4 'routed': an unmanaged network"),
    ({'endpoints': [{'name': 'c1', 'publish': ['8080:80']}]}, None, "endpoints[0].publish ['8080:80']: an unmanaged network"),
    ({'name': 'bridge'}, None, "unmanaged True: the default network 'bridge' is docker0"),
    ({'mtu': 1400}, None, 'mtu 1400: an unmanaged network has the MTU of its bridge br0 (1500)'),
])
def test_bad_input_is_refused_by_name(tmp_path, over, host, needle):
    with pytest.raises(_validate.InputError) as exc:
        plan(BridgeRun, lan_params(**over), host or lan_host(), tmp_path)
    assert needle in str(exc.value)


def test_unmanaged_cannot_change_on_an_existing_network(tmp_path):
    run = plan(BridgeRun, bridge_params(subnet='10.61.0.0/24'), lan_host(), tmp_path)
    commit(run, tmp_path)
    with pytest.raises(_validate.InputError, match="unmanaged True: network 'net1' exists as a managed bridge network"):
        plan(BridgeRun, lan_params(), lan_host(), tmp_path)
    run = plan(BridgeRun, bridge_params(subnet='10.61.0.0/24', state='absent', force=True), lan_host(), tmp_path)
    for step in run.plan.steps:
        if step.text.startswith('remove network state'):
            step.do()
    commit(plan(BridgeRun, lan_params(), lan_host(), tmp_path), tmp_path)
    with pytest.raises(_validate.InputError, match="unmanaged False: network 'net1' exists unmanaged"):
        plan(BridgeRun, lan_params(unmanaged=False), lan_host(), tmp_path)


def test_restore_and_inspect_carry_it(tmp_path):
    doc = plan(BridgeRun, lan_params(), lan_host(), tmp_path).doc
    params = _restore.bridge_params(doc)
    assert params['unmanaged'] is True and params['bridge_name'] == 'br0' and params['dns'] is None
    run = plan(BridgeRun, dict(bridge_params(), **params), lan_host(), tmp_path)
    assert run.doc['endpoints']['c1']['ip'] == doc['endpoints']['c1']['ip']
    assert _restore.bridge_params(dict(doc, unmanaged=None))['unmanaged'] is False
    assert 'unmanaged' not in _restore.overlay_params(dict(doc, driver='overlay', vni=42, unmanaged=None))
    options = _inspect.inspect(doc)['Options']
    assert options['hostnet.containers.mode'] == 'unmanaged' and options['com.docker.network.bridge.inhibit_ipv4'] == 'true'
