# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exposure as Docker 28 has it: direct-routing protection, gateway_mode_ipv4 and trusted_host_interfaces, without a kernel."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def network(**extra):
    doc = {'name': 'web', 'driver': 'bridge', 'bridge': 'br-w', 'subnet': '192.0.2.0/24', 'firewall': True,
           'firewall_backend': 'iptables', 'icc': True, 'ip_masquerade': True, 'internal': False, 'ip_forward': True,
           'endpoints': {'c1': {'ip': '192.0.2.2', 'publish': [{'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': 80,
                                                                'proto': 'tcp', 'auto': False}]}}}
    doc.update(extra)
    return doc


def lines(*docs):
    nets = {'n%d' % i: doc for i, doc in enumerate(docs)}
    return [_firewall_iptables.render(r) for r in _firewall_rules.desired_rules(nets, {}, 'iptables')]


def raw(got):
    return [r for r in got if r.startswith('-A HOSTNET-PREROUTING -d 192.0.2.')]


def test_nat_is_the_default_and_guards_the_containers_in_raw_and_filter():
    got = lines(network())
    assert got == lines(network(gateway_mode_ipv4='nat')), 'a document without the key is nat'
    assert raw(got) == ['-A HOSTNET-PREROUTING -d 192.0.2.2/32 ! -i br-w -j DROP']
    forward = [r for r in got if r.startswith('-A HOSTNET-FORWARD')]
    # The drop comes after the answers and the published ports, and is the chain's last rule.
    assert forward[-1] == '-A HOSTNET-FORWARD ! -i br-w -o br-w -j DROP'
    assert forward.index('-A HOSTNET-FORWARD -o br-w -j HOSTNET-PUBLISH') < len(forward) - 1
    assert '-A HOSTNET-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 192.0.2.2:80' in got
    assert '-A HOSTNET-POSTROUTING -s 192.0.2.0/24 ! -o br-w -j MASQUERADE' in got


def test_trusted_interfaces_pass_the_raw_guard_before_its_drop():
    got = lines(network(trusted_host_interfaces=['ens34', 'wg0']))
    assert raw(got) == ['-A HOSTNET-PREROUTING -d 192.0.2.2/32 -i ens34 -j ACCEPT', '-A HOSTNET-PREROUTING -d 192.0.2.2/32 -i wg0 -j ACCEPT',
                        '-A HOSTNET-PREROUTING -d 192.0.2.2/32 ! -i br-w -j DROP']
    assert '-A HOSTNET-FORWARD ! -i br-w -o br-w -j DROP' in got, 'unpublished ports stay closed to them'


def test_without_masquerade_only_the_filter_guards():
    got = lines(network(ip_masquerade=False))
    assert raw(got) == [], "the answers to the containers' own connections are addressed to them"
    assert '-A HOSTNET-FORWARD ! -i br-w -o br-w -j DROP' in got


def test_nat_unprotected_lets_direct_routing_in():
    got = lines(network(gateway_mode_ipv4='nat-unprotected'))
    assert raw(got) == []
    assert '-A HOSTNET-FORWARD ! -i br-w -o br-w -j ACCEPT' in got
    assert not any('-j DROP' in r and 'br-w' in r and 'ISOLATION' not in r for r in got)
    assert '-A HOSTNET-POSTROUTING -s 192.0.2.0/24 ! -o br-w -j MASQUERADE' in got


def test_routed_opens_published_container_ports_without_nat():
    other = network(bridge='br-o', subnet='198.51.100.0/24', endpoints={})
    got = lines(network(gateway_mode_ipv4='routed'), other)
    assert not any('DNAT --to-destination 192.0.2.2' in r or '192.0.2.0/24' in r for r in got), 'no DNAT, masquerade or hairpin'
    assert raw(got) == []
    assert '-A HOSTNET-PUBLISH -d 192.0.2.2/32 ! -i br-w -o br-w -p tcp -m tcp --dport 80 -j ACCEPT' in got
    iso1 = [r for r in got if r.startswith('-A HOSTNET-ISOLATION-1')]
    # First in ISOLATION-1: the other bridges' accepts in FORWARD must never see traffic for a routed bridge.
    assert iso1[:5] == ['-A HOSTNET-ISOLATION-1 -i br-w -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
                        '-A HOSTNET-ISOLATION-1 -o br-w -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
                        '-A HOSTNET-ISOLATION-1 ! -i br-w -o br-w -j HOSTNET-PUBLISH',
                        '-A HOSTNET-ISOLATION-1 ! -i br-w -o br-w -p icmp -j ACCEPT',
                        '-A HOSTNET-ISOLATION-1 ! -i br-w -o br-w -j DROP']
    # The nat network next to it keeps its own guard and its masquerade.
    assert '-A HOSTNET-FORWARD ! -i br-o -o br-o -j DROP' in got
    assert '-A HOSTNET-POSTROUTING -s 198.51.100.0/24 ! -o br-o -j MASQUERADE' in got


def test_an_internal_network_stays_closed_whatever_its_mode():
    for mode in ('routed', 'nat-unprotected', 'isolated'):
        got = lines(network(gateway_mode_ipv4=mode, internal=True, endpoints={}))
        assert not any('ACCEPT' in r and '! -i br-w -o br-w' in r for r in got), (mode, got)
        assert '-A HOSTNET-ISOLATION-1 ! -s 192.0.2.0/24 -o br-w -j DROP' in got


def test_nftables_renders_every_new_match():
    nets = {'r': network(gateway_mode_ipv4='routed', firewall_backend='nftables'),
            'n': network(bridge='br-n', subnet='198.51.100.0/24', trusted_host_interfaces=['wg0'], endpoints={'c2': {'ip': '198.51.100.2'}},
                         firewall_backend='nftables')}
    rules = _firewall_rules.desired_rules(nets, {}, 'nftables')
    text = [_firewall_nftables.describe(_firewall_nftables.render(r)) for r in rules]
    assert 'ip daddr 198.51.100.2 iifname wg0 accept' in text
    assert 'ip daddr 198.51.100.2 iifname != br-n drop' in text
    assert 'iifname != br-w oifname br-w meta l4proto icmp accept' in text
    assert 'iifname != br-w oifname br-w jump publish' in text
    cmds = _firewall_nftables.commands(rules, [], False)
    assert any(c['add'].get('chain', {}).get('name') == 'raw_prerouting' for c in cmds)


@pytest.mark.parametrize('params, needle', [
    ({'gateway_mode_ipv4': 'bridged'}, "gateway_mode_ipv4 'bridged': must be one of nat, nat-unprotected, routed, isolated"),
    ({'gateway_mode_ipv4': 'isolated'}, "gateway_mode_ipv4 'isolated': needs internal: true"),
    ({'trusted_host_interfaces': ['eth0', 'a' * 16]}, "trusted_host_interfaces '%s'" % ('a' * 16)),
    ({'trusted_host_interfaces': ['bad/if']}, "trusted_host_interfaces 'bad/if'"),
    ({'trusted_host_interfaces': 'eth0'}, "trusted_host_interfaces 'eth0': expected a list"),
    ({'trusted_host_interfaces': ['br-w']}, "trusted_host_interfaces 'br-w': is the network's own bridge"),
])
def test_bad_exposure_options_are_refused_by_name(params, needle):
    with pytest.raises(_validate.InputError) as exc:
        _bridge._exposure_options(params, 'br-w')  # pylint: disable=protected-access
    assert needle in str(exc.value)


def test_exposure_options_are_stored_only_when_not_the_defaults():
    assert _bridge._exposure_options({'gateway_mode_ipv4': 'nat', 'trusted_host_interfaces': []}, 'br-w') == {}  # pylint: disable=protected-access
    assert _bridge._exposure_options({'gateway_mode_ipv4': 'isolated', 'internal': True,  # pylint: disable=protected-access
                                      'trusted_host_interfaces': ['wg0', 'ens34', 'wg0']}, 'br-w') == {
        'gateway_mode_ipv4': 'isolated', 'trusted_host_interfaces': ['ens34', 'wg0']}


def test_inspect_shows_the_options_as_docker_names_them():
    doc = dict(network(gateway_mode_ipv4='routed', trusted_host_interfaces=['ens34', 'wg0']), id='0' * 64, created='now', gateway='192.0.2.1')
    doc['endpoints']['c1'].update(endpoint_id='e' * 64, mac='02:42:c0:00:02:02')
    options = _inspect.inspect(doc)['Options']
    assert options['com.docker.network.bridge.gateway_mode_ipv4'] == 'routed'
    assert options['com.docker.network.bridge.trusted_host_interfaces'] == 'ens34:wg0'
    assert 'com.docker.network.bridge.gateway_mode_ipv4' not in _inspect.inspect(dict(doc, gateway_mode_ipv4=None))['Options']
