# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The outbound address (host_ipv4, host_ipv6): parsing, the checks, the SNAT rule on both backends, the document,
network_info and the restore, without a kernel."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _outbound
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

# ansible-test units imports test files by their path, not with their folder on sys.path: put it there.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_network_planner import BridgeRun, bridge_params, link, plan  # noqa: E402  pylint: disable=wrong-import-position

LOCAL = {4: {'10.138.3.130', '10.138.3.140'}, 6: {'fd00:138::130', 'fd00:138::140'}}


def network(**extra):
    doc = {'name': 'out', 'driver': 'bridge', 'bridge': 'br-o', 'subnet': '192.0.2.0/24', 'firewall': True,
           'firewall_backend': 'iptables', 'icc': True, 'ip_masquerade': True, 'internal': False, 'ip_forward': True,
           'endpoints': {'c1': {'ip': '192.0.2.2', 'ip6': 'fd00:50::2'}}}
    doc.update(extra)
    return doc


def rules(doc, backend='iptables'):
    return _firewall_rules.desired_rules({'out': dict(doc, firewall_backend=backend)}, {}, backend)


def postrouting(doc, family=4):
    return [_firewall_iptables.render(r) for r in rules(doc) if r.family == family and r.chain == 'POSTROUTING']


def test_host_ipv4_snats_the_egress_instead_of_the_masquerade():
    assert postrouting(network()) == ['-A HOSTNET-POSTROUTING -s 192.0.2.0/24 ! -o br-o -j MASQUERADE']
    assert postrouting(network(host_ipv4='10.138.3.140')) == ['-A HOSTNET-POSTROUTING -s 192.0.2.0/24 ! -o br-o -j SNAT --to-source 10.138.3.140']
    text = [_firewall_nftables.describe(_firewall_nftables.render(r)) for r in rules(network(host_ipv4='10.138.3.140'), 'nftables')]
    assert 'ip saddr 192.0.2.0/24 oifname != br-o snat to 10.138.3.140' in text
    assert not any('masquerade' in line and '192.0.2.0/24 oifname != br-o' in line for line in text)


def test_host_ipv6_snats_only_the_ipv6_side():
    dual = network(enable_ipv6=True, subnet_v6='fd00:50::/64', host_ipv6='fd00:138::140')
    assert postrouting(dual, 6) == ['-A HOSTNET-POSTROUTING -s fd00:50::/64 ! -o br-o -j SNAT --to-source fd00:138::140']
    assert postrouting(dual, 4) == ['-A HOSTNET-POSTROUTING -s 192.0.2.0/24 ! -o br-o -j MASQUERADE']
    both = dict(dual, host_ipv4='10.138.3.140')
    assert postrouting(both, 4) == ['-A HOSTNET-POSTROUTING -s 192.0.2.0/24 ! -o br-o -j SNAT --to-source 10.138.3.140']
    text = [_firewall_nftables.describe(_firewall_nftables.render(r)) for r in rules(both, 'nftables') if r.family == 6]
    assert 'ip6 saddr fd00:50::/64 oifname != br-o snat to fd00:138::140' in text


def test_without_nat_no_snat_either():
    assert postrouting(network(host_ipv4='10.138.3.140', internal=True)) == []
    assert postrouting(network(host_ipv4='10.138.3.140', ip_masquerade=False)) == []


@pytest.mark.parametrize('params, expected', [
    ({}, {}),
    ({'host_ipv4': '10.138.3.140'}, {'host_ipv4': '10.138.3.140'}),
    ({'host_ipv4': '10.138.3.140', 'host_ipv6': 'FD00:138:0::140', 'gateway_mode_ipv4': 'nat-unprotected'},
     {'host_ipv4': '10.138.3.140', 'host_ipv6': 'fd00:138::140'}),
])
def test_options_are_kept_only_when_given_and_written_one_way(params, expected):
    assert _outbound.options(params, (4, 6), LOCAL) == expected


@pytest.mark.parametrize('params, families, needle', [
    ({'host_ipv4': '10.138.3.99'}, (4,), "host_ipv4 '10.138.3.99': is not an address of this host: use one of its addresses (10.138.3.130, 10.138.3.140)"),
    ({'host_ipv6': 'fd00:138::99'}, (4, 6), "host_ipv6 'fd00:138::99': is not an address of this host"),
    ({'host_ipv4': 'fd00:138::130'}, (4, 6), "host_ipv4 'fd00:138::130': is an IPv6 address; this option takes IPv4"),
    ({'host_ipv6': '10.138.3.130'}, (4, 6), "host_ipv6 '10.138.3.130': is an IPv4 address; this option takes IPv6"),
    ({'host_ipv4': '10.138.3.130/24'}, (4,), "host_ipv4 '10.138.3.130/24': expected an address without a prefix length"),
    ({'host_ipv4': 'eth0'}, (4,), "host_ipv4 'eth0': not a valid IPv4 address"),
    ({'host_ipv4': '127.0.0.1'}, (4,), "host_ipv4 '127.0.0.1': is a loopback address"),
    ({'host_ipv4': '0.0.0.0'}, (4,), "host_ipv4 '0.0.0.0': is the unspecified address"),
    ({'host_ipv6': 'fe80::1'}, (4, 6), "host_ipv6 'fe80::1': is a link-local address"),
    ({'host_ipv6': 'fd00:138::130'}, (4,), "host_ipv6 'fd00:138::130': needs enable_ipv6: true"),
    ({'host_ipv4': '10.138.3.130'}, (6,), "host_ipv4 '10.138.3.130': the network has no IPv4 (enable_ipv4: false)"),
    ({'host_ipv4': '10.138.3.130', 'internal': True}, (4,), "host_ipv4 '10.138.3.130': an internal network has no outbound traffic"),
    ({'host_ipv4': '10.138.3.130', 'ip_masquerade': False}, (4,), "host_ipv4 '10.138.3.130': needs ip_masquerade: true"),
    ({'host_ipv4': '10.138.3.130', 'gateway_mode_ipv4': 'routed'}, (4,), "host_ipv4 '10.138.3.130': gateway_mode_ipv4 routed has no NAT"),
    ({'host_ipv6': 'fd00:138::130', 'gateway_mode_ipv6': 'routed'}, (4, 6), "host_ipv6 'fd00:138::130': gateway_mode_ipv6 routed has no NAT"),
])
def test_bad_outbound_addresses_are_refused_by_name(params, families, needle):
    with pytest.raises(_validate.InputError) as exc:
        _outbound.options(params, families, LOCAL)
    assert needle in str(exc.value)


def test_the_host_is_not_asked_when_not_checked():
    assert _outbound.options({'host_ipv4': '10.138.3.99'}, (4,), None) == {'host_ipv4': '10.138.3.99'}


def test_host_addresses_leave_out_loopback_and_link_local():
    addrs = [{'address': '127.0.0.1/8'}, {'address': '10.138.3.130/24'}, {'address': 'fe80::1/64'}, {'address': 'fd00:0138::130/64'},
             {'address': None}]
    assert _outbound.host_addresses(addrs) == {'10.138.3.130', 'fd00:138::130'}


def host_with(*addresses):
    snap = _snapshot.Snapshot([link(1, 'lo'), link(2, 'ens33', 'veth')],
                              [{'index': 2, 'address': address, 'family': 2} for address in addresses])
    return snap


def test_the_planner_checks_the_host_and_stores_the_option(tmp_path):
    run = plan(BridgeRun, bridge_params(host_ipv4='10.138.3.140', firewall=True, firewall_backend='iptables'),
               host_with('10.138.3.130/24', '10.138.3.140/24'), tmp_path)
    assert run.doc['host_ipv4'] == '10.138.3.140'
    with pytest.raises(_validate.InputError) as exc:
        plan(BridgeRun, bridge_params(host_ipv4='10.138.3.140'), host_with('10.138.3.130/24'), tmp_path)
    assert "host_ipv4 '10.138.3.140': is not an address of this host: use one of its addresses (10.138.3.130)" in str(exc.value)
    run = plan(BridgeRun, bridge_params(), host_with('10.138.3.130/24'), tmp_path)
    assert 'host_ipv4' not in run.doc, 'a network without the option keeps the document it had'


def test_the_boot_time_restore_does_not_wait_for_the_address(tmp_path):
    run = BridgeRun(bridge_params(host_ipv4='10.138.3.140'), None, root=str(tmp_path))
    run.snap = host_with('10.138.3.130/24')
    run.host_ip_must_exist = False
    assert _bridge._outbound_options(run, object(), None) == {'host_ipv4': '10.138.3.140'}  # pylint: disable=protected-access


def test_restore_and_inspect_carry_it():
    doc = dict(network(host_ipv4='10.138.3.140', host_ipv6='fd00:138::140'), id='0' * 64, created='now', gateway='192.0.2.1')
    doc['endpoints']['c1'].update(endpoint_id='e' * 64, mac='02:42:c0:00:02:02', aliases=[])
    params = _restore.bridge_params(doc)
    assert (params['host_ipv4'], params['host_ipv6']) == ('10.138.3.140', 'fd00:138::140')
    assert _restore.bridge_params(dict(doc, host_ipv4=None))['host_ipv4'] is None
    assert 'host_ipv4' not in _restore.overlay_params(dict(doc, driver='overlay', vni=42))
    options = _inspect.inspect(doc)['Options']
    assert (options['com.docker.network.host_ipv4'], options['com.docker.network.host_ipv6']) == ('10.138.3.140', 'fd00:138::140')
    assert 'com.docker.network.host_ipv4' not in _inspect.inspect(dict(doc, host_ipv4=None))['Options']
