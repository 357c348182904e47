# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nat_rule in IPv6: the rule's family from its addresses, mixed families refused by name, and the rules of an IPv6
nat_rule rendered among the family-6 rules (no IPv4 rule, no loopback masquerade, no route_localnet)."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _nat_plan  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position

BOTH = {'iptables-restore': True, 'nft': True}


def params(**given):
    p = dict(name='r', state='present', kind='masquerade', source=None, out_interface=None, not_out_interface=None, to_source=None,
             host_ip=None, host_port=None, container_ip=None, container_port=None, proto='tcp', bridge=None, firewall_backend='iptables')
    p.update(given)
    return p


def snap(links=None, route_dev=None, local=frozenset({'fd00:1ab::5'})):
    return _nat_plan.Snapshot({}, {}, links if links is not None else {'br6': ['fd00:db8:1::1/64', 'fe80::1/64']}, route_dev,
                              {'tcp': set(), 'udp': set()}, '40000 40010', BOTH, local)


def test_ipv6_masquerade_and_snat_documents():
    doc = _nat_plan.desired(params(source='fd00:db8:1:0::/64', out_interface='eth0'), 'r', snap())
    assert doc == {'kind': 'masquerade', 'source': 'fd00:db8:1::/64', 'out_interface': 'eth0', 'firewall_backend': 'iptables'}
    doc = _nat_plan.desired(params(kind='snat', source='::/0', to_source='fd00:1ab::5'), 'r', snap())
    assert doc['source'] == '::/0' and doc['to_source'] == 'fd00:1ab::5'
    assert _firewall_rules.nat_family(doc) == 6


def test_ipv6_dnat_defaults_to_every_ipv6_address_and_finds_its_bridge_subnet():
    doc = _nat_plan.desired(params(kind='dnat', container_ip='fd00:db8:1::2', container_port=80, host_port=8080), 'r', snap(route_dev='br6'))
    assert doc['host_ip'] == '::' and doc['bridge'] == 'br6' and doc['bridge_subnet'] == 'fd00:db8:1::/64'
    doc = _nat_plan.desired(params(kind='dnat', host_ip='fd00:1ab::5', container_ip='fd00:db8:1::2', container_port=80), 'r', snap(route_dev='br6'))
    assert doc['host_ip'] == 'fd00:1ab::5' and doc['auto'] and doc['host_port'] == 40000


@pytest.mark.parametrize('given, option', [
    (dict(kind='dnat', host_ip='0.0.0.0', container_ip='fd00:db8:1::2', container_port=80), 'host_ip'),
    (dict(kind='dnat', host_ip='::', container_ip='172.17.0.2', container_port=80), 'host_ip'),
    (dict(kind='snat', source='fd00:db8:1::/64', to_source='10.0.0.1'), 'to_source'),
    (dict(kind='snat', source='10.0.0.0/24', to_source='fd00::1'), 'to_source'),
    (dict(kind='dnat', host_ip='::1', container_ip='fd00:db8:1::2', container_port=80), 'host_ip'),
    (dict(kind='dnat', host_ip='fd00:9::9', container_ip='fd00:db8:1::2', container_port=80), 'host_ip'),
    (dict(kind='dnat', container_ip='fd00:db8:1::2/64', container_port=80), 'container_ip'),
    (dict(source='fd00:db8:1::1/64'), 'source'),
])
def test_bad_ipv6_input_names_the_option(given, option):
    with pytest.raises(_validate.InputError) as err:
        _nat_plan.desired(params(**given), 'r', snap(route_dev='br6'))
    assert err.value.option == option


def test_ipv6_rules_are_family_6_only():
    nats = {'m6': {'kind': 'masquerade', 'source': 'fd00:db8:1::/64', 'out_interface': 'eth0', 'firewall_backend': 'iptables'},
            'p6': {'kind': 'dnat', 'container_ip': 'fd00:db8:1::2', 'container_port': 80, 'host_ip': '::', 'proto': 'tcp',
                   'bridge': 'br6', 'bridge_subnet': 'fd00:db8:1::/64', 'host_port': 8080, 'auto': False, 'firewall_backend': 'iptables'},
            's6': {'kind': 'snat', 'source': 'fd00:db8:2::1/128', 'to_source': 'fd00:1ab::5', 'firewall_backend': 'iptables'}}
    rules = _firewall_rules.desired_rules({}, nats, 'iptables')
    assert rules and all(rule.family == 6 for rule in rules)
    keys = {(r.chain, r.target, r.arg, tuple(sorted(r.match.items()))) for r in rules}
    assert ('DNAT', 'DNAT', '[fd00:db8:1::2]:80', (('dport', 8080), ('dst', None), ('proto', 'tcp'))) in keys
    assert ('POSTROUTING', 'MASQUERADE', None, (('oif', 'eth0'), ('src', 'fd00:db8:1::/64'))) in keys
    assert ('POSTROUTING', 'SNAT', 'fd00:1ab::5', (('src', 'fd00:db8:2::1'),)) in keys
    # The hairpin, no loopback masquerade (127.0.0.0/8 is IPv4's), and no route_localnet for an IPv6 publish.
    assert any(r.target == 'MASQUERADE' and r.match.get('ctstate') == 'DNAT' for r in rules)
    assert not any(r.match.get('src') == _firewall_rules.LOOPBACK_NET for r in rules)
    networks = {'n': {'driver': 'bridge', 'bridge': 'br6', 'subnet': '172.30.0.0/24', 'endpoints': {}}}
    assert _firewall_rules.route_localnet_bridges(networks, nats) == []


def test_both_families_side_by_side():
    nats = {'m4': {'kind': 'masquerade', 'source': '10.1.0.0/24', 'firewall_backend': 'nftables'},
            'm6': {'kind': 'masquerade', 'source': 'fd00:db8:1::/64', 'firewall_backend': 'nftables'}}
    rules = _firewall_rules.desired_rules({}, nats, 'nftables')
    srcs = {(r.family, r.match.get('src')) for r in rules if r.target == 'MASQUERADE'}
    assert srcs == {(4, '10.1.0.0/24'), (6, 'fd00:db8:1::/64')}


def test_an_ipv6_rule_on_a_host_without_ipv6_is_refused():
    off = snap(route_dev='br6')._replace(ipv6=False)
    with pytest.raises(_validate.InputError) as err:
        _nat_plan.desired(params(kind='dnat', container_ip='fd00:db8:1::2', container_port=80), 'r', off)
    assert (err.value.option, err.value.value) == ('container_ip', 'fd00:db8:1::2')
    with pytest.raises(_validate.InputError) as err:
        _nat_plan.desired(params(source='fd00::/64'), 'r', off)
    assert err.value.option == 'source'
    # An IPv4 rule does not care (the module reads nothing of IPv6 for it: None).
    assert _nat_plan.desired(params(kind='snat', source='10.0.0.0/8', to_source='10.1.1.1'), 'r', off._replace(ipv6=None))['kind'] == 'snat'
