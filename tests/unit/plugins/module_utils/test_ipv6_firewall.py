# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The IPv6 side of the rule set from network documents in the issue-23 format (enable_ipv6, subnet_v6, endpoints'
ip6, publishes on '::' and IPv6 host addresses): both renderings, the IPv4 rules unchanged by it, the forwarding
sysctl recorded and restored, conntrack targets of the IPv6 side.  No kernel."""

from __future__ import annotations

import copy
import socket
from types import SimpleNamespace

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils.test_firewall_rules import FakeSysctls, publish


def network(name='n6', bridge='br-n6', backend='iptables', v4=True, **extra):
    doc = {'name': name, 'driver': 'bridge', 'bridge': bridge, 'firewall': True, 'firewall_backend': backend, 'icc': True,
           'ip_masquerade': True, 'internal': False, 'ip_forward': True, 'endpoints': {},
           'subnet': '172.30.0.0/24' if v4 else None, 'gateway': '172.30.0.1' if v4 else None,
           'enable_ipv6': True, 'subnet_v6': 'fd00:30::/64', 'gateway_v6': 'fd00:30::1', 'ip_range_v6': None, 'aux_addresses_v6': {}}
    if not v4:
        doc.update(enable_ipv4=False, ip_range=None, aux_addresses=None)
    doc.update(extra)
    return doc


WEB = {'ip': '172.30.0.2', 'ip6': 'fd00:30::2',
       'publish': [publish(8080, 80), publish(8080, 80, '::'), publish(8443, 443, '2001:db8::5')]}
DUAL = network(endpoints={'web': WEB})


def rendered(networks, family, backend='iptables'):
    rules = _firewall_rules.by_family(_firewall_rules.desired_rules(networks, {}, backend), family)
    return [_firewall_iptables.render(r) for r in rules]


def test_ipv4_rules_unchanged_by_the_ipv6_side():
    v4_only = {key: value for key, value in DUAL.items() if 'v6' not in key and key != 'enable_ipv6'}
    v4_only['endpoints'] = {'web': {'ip': '172.30.0.2', 'publish': [publish(8080, 80)]}}
    assert rendered({'n6': DUAL}, 4) == rendered({'n6': v4_only}, 4)
    assert rendered({'n6': v4_only}, 6) == []


def test_dual_stack_ipv6_rules_in_iptables_form():
    got = rendered({'n6': DUAL}, 6)
    for rule in ('-A HOSTNET-FORWARD -j HOSTNET-USER',
                 '-A HOSTNET-FORWARD -o br-n6 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
                 '-A HOSTNET-FORWARD -i br-n6 ! -o br-n6 -j ACCEPT',
                 '-A HOSTNET-FORWARD ! -i br-n6 -o br-n6 -j DROP',
                 '-A HOSTNET-ISOLATION-2 -o br-n6 -j DROP',
                 '-A HOSTNET-PUBLISH -d fd00:30::2/128 ! -i br-n6 -o br-n6 -p tcp -m tcp --dport 80 -j ACCEPT',
                 '-A HOSTNET-POSTROUTING -s fd00:30::/64 ! -o br-n6 -j MASQUERADE',
                 '-A HOSTNET-POSTROUTING -s fd00:30::/64 -d fd00:30::2/128 -o br-n6 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j MASQUERADE',
                 '-A HOSTNET-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:30::2]:80',
                 '-A HOSTNET-DNAT -d 2001:db8::5/128 -p tcp -m tcp --dport 8443 -j DNAT --to-destination [fd00:30::2]:443',
                 '-A HOSTNET-PREROUTING -d ::1/128 ! -i lo -j DROP',
                 '-A HOSTNET-PREROUTING -s ::1/128 ! -i lo -j DROP',
                 '-A HOSTNET-PREROUTING -d fd00:30::2/128 ! -i br-n6 -j DROP'):
        assert rule in got, rule
    # No IPv4 address, publish or loopback masquerade leaks into IPv6, and no IPv6 publish into IPv4.
    assert not [line for line in got if '172.30.' in line or '127.0.0.0/8' in line]
    assert not [line for line in rendered({'n6': DUAL}, 4) if 'fd00:30' in line or '8443' in line]
    assert _firewall_iptables.Ip6tables.wanted(_firewall_rules.desired_rules({'n6': DUAL}, {}, 'iptables'))[0].startswith('ip6 ')


def test_ipv6_only_network_has_no_ipv4_rules():
    doc = network(v4=False, endpoints={'web': {'ip': None, 'ip6': 'fd00:30::2', 'publish': [publish(8080, 80, '::')]}})
    assert rendered({'n6': doc}, 4) == []
    assert '-A HOSTNET-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00:30::2]:80' in rendered({'n6': doc}, 6)


@pytest.mark.parametrize('mode, present, absent', [
    ('nat-unprotected', ['-A HOSTNET-FORWARD ! -i br-n6 -o br-n6 -j ACCEPT'], ['-A HOSTNET-PREROUTING -d fd00:30::2/128 ! -i br-n6 -j DROP']),
    ('routed', ['-A HOSTNET-ISOLATION-1 ! -i br-n6 -o br-n6 -p ipv6-icmp -j ACCEPT', '-A HOSTNET-ISOLATION-1 ! -i br-n6 -o br-n6 -j DROP',
                '-A HOSTNET-ISOLATION-1 ! -i br-n6 -o br-n6 -j HOSTNET-PUBLISH'],
     ['-A HOSTNET-POSTROUTING -s fd00:30::/64 ! -o br-n6 -j MASQUERADE', '--to-destination [fd00:30::2]:80']),
])
def test_gateway_mode_ipv6_is_the_ipv6_sides_own(mode, present, absent):
    doc = dict(DUAL, gateway_mode_ipv6=mode)
    got = rendered({'n6': doc}, 6)
    for rule in present:
        assert rule in got, rule
    for text in absent:
        assert not [line for line in got if text in line], text
    # The IPv4 side keeps its own mode (nat).
    assert rendered({'n6': doc}, 4) == rendered({'n6': DUAL}, 4)


def test_internal_icc_and_isolation_between_two_ipv6_networks():
    a = network(internal=True, icc=False)
    b = network(name='b6', bridge='br-b6', subnet='172.31.0.0/24', subnet_v6='fd00:31::/64', gateway_v6='fd00:31::1')
    got = rendered({'a': a, 'b6': b}, 6)
    # The internal bridge's own frames (neighbour discovery: link-local, multicast) go on to icc before its drops.
    assert got.index('-A HOSTNET-ISOLATION-1 -i br-n6 -o br-n6 -j RETURN') < got.index('-A HOSTNET-ISOLATION-1 ! -s fd00:30::/64 -o br-n6 -j DROP')
    assert '-A HOSTNET-ISOLATION-1 -i br-n6 -o br-n6 -j RETURN' not in rendered({'a': a}, 4)
    for rule in ('-A HOSTNET-ISOLATION-1 ! -s fd00:30::/64 -o br-n6 -j DROP',
                 '-A HOSTNET-ISOLATION-1 ! -d fd00:30::/64 -i br-n6 -j DROP',
                 '-A HOSTNET-FORWARD -i br-n6 -o br-n6 -j DROP',
                 '-A HOSTNET-ISOLATION-1 -i br-b6 ! -o br-b6 -j HOSTNET-ISOLATION-2',
                 '-A HOSTNET-ISOLATION-2 -o br-n6 -j DROP', '-A HOSTNET-ISOLATION-2 -o br-b6 -j DROP'):
        assert rule in got, rule
    assert '-A HOSTNET-POSTROUTING -s fd00:30::/64 ! -o br-n6 -j MASQUERADE' not in got


def test_nft_rendering_goes_to_the_ip6_table():
    rules = _firewall_rules.desired_rules({'n6': dict(DUAL, firewall_backend='nftables', gateway_mode_ipv6='routed')}, {}, 'nftables')
    cmds = _firewall_nftables.commands(rules, [], False)
    six = [c['add'] for c in cmds if 'add' in c and next(iter(c['add'].values())).get('family') == 'ip6']
    assert {'table': {'family': 'ip6', 'name': 'hostnet6'}} in six
    exprs = [obj['rule']['expr'] for obj in six if 'rule' in obj]
    assert [{'match': {'op': '==', 'left': {'meta': {'key': 'l4proto'}}, 'right': 'ipv6-icmp'}}] == [
        e for expr in exprs for e in expr if e.get('match', {}).get('right') == 'ipv6-icmp']
    dual = _firewall_rules.desired_rules({'n6': dict(DUAL, firewall_backend='nftables')}, {}, 'nftables')
    dnat = [r for r in dual if r.family == 6 and r.target == 'DNAT' and r.match.get('dst') is None][0]
    assert _firewall_nftables.render(dnat)[-1] == {'dnat': {'addr': 'fd00:30::2', 'port': 80}}
    masq = [r for r in dual if r.family == 6 and r.target == 'MASQUERADE' and r.match.get('oif') == '!br-n6'][0]
    assert _firewall_nftables.render(masq)[0]['match']['left'] == {'payload': {'protocol': 'ip6', 'field': 'saddr'}}
    lines = _firewall_nftables.Nftables().wanted(dual)
    names = [line.split('_')[3] for line in lines if line.startswith('ip6 hostnet6: map nat_dnat_dnat_')]
    assert 'ip6 hostnet6: map nat_dnat_dnat_%s_addr: tcp . 8080 : fd00:30::2' % names[0] in lines
    assert 'ip6 hostnet6: map nat_dnat_dnat_%s_port: tcp . 8080 : 80' % names[0] in lines
    assert ('ip6 hostnet6: port_dnat: dnat to meta l4proto . th dport map @nat_dnat_dnat_{0}_addr : meta l4proto . th dport map '
            '@nat_dnat_dnat_{0}_port'.format(names[0])) in lines


def test_nft_ip6_user_chain_rules_are_kept():
    user = [[{'accept': None}]]
    rules = _firewall_rules.desired_rules({'n6': dict(DUAL, firewall_backend='nftables')}, {}, 'nftables')
    cmds = _firewall_nftables.commands(rules, [], True, True, user)
    assert {'add': {'rule': {'family': 'ip6', 'table': 'hostnet6', 'chain': 'user', 'expr': [{'accept': None}]}}} in cmds


def test_ipv6_forwarding_set_recorded_and_restored_with_what_it_overwrote(monkeypatch, tmp_path):
    fake = FakeSysctls(monkeypatch, {'net/ipv4/ip_forward': '1', 'net/ipv6/conf/all/forwarding': '0',
                                     'net/ipv6/conf/default/forwarding': '0', 'net/ipv6/conf/eth0/forwarding': '1',
                                     'net/bridge/bridge-nf-call-ip6tables': '0', 'net/bridge/bridge-nf-call-iptables': '1'})
    root = str(tmp_path)
    nets = {'n6': network(icc=False)}
    assert _firewall_rules.desired_sysctls(nets) == {'net/ipv4/ip_forward': '1', 'net/ipv6/conf/all/forwarding': '1',
                                                     'net/bridge/bridge-nf-call-iptables': '1', 'net/bridge/bridge-nf-call-ip6tables': '1'}
    plan = _plan.Plan()
    _firewall._plan_sysctls(plan, None, nets, root)
    plan.execute()
    assert fake.values['net/ipv6/conf/all/forwarding'] == '1' and fake.values['net/bridge/bridge-nf-call-ip6tables'] == '1'
    plan = _plan.Plan()
    _firewall._plan_sysctls(plan, None, nets, root)
    assert not plan, 'nothing left to do'
    plan = _plan.Plan()
    _firewall._plan_sysctls(plan, None, {}, root)
    plan.execute()
    # Back as before, the user's own per-device value (eth0 forwarding 1) included; ip_forward was on already.
    assert fake.values == {'net/ipv4/ip_forward': '1', 'net/ipv6/conf/all/forwarding': '0', 'net/ipv6/conf/default/forwarding': '0',
                           'net/ipv6/conf/eth0/forwarding': '1', 'net/bridge/bridge-nf-call-ip6tables': '0',
                           'net/bridge/bridge-nf-call-iptables': '1'}


def test_ipv6_only_and_internal_networks_sysctls():
    assert _firewall_rules.desired_sysctls({'n6': network(v4=False)}) == {'net/ipv6/conf/all/forwarding': '1'}
    assert _firewall_rules.desired_sysctls({'n6': network(v4=False, internal=True)}) == {}


# -- conntrack -----------------------------------------------------------------------------------------------
def test_conntrack_targets_of_the_ipv6_side():
    new = copy.deepcopy(DUAL)
    new['endpoints']['web']['publish'] = [publish(8080, 80)]
    targets = _conntrack.network_targets(DUAL, new)
    assert targets == [_conntrack.Mapping('tcp', '2001:db8::5', 8443, 'fd00:30::2', 443), _conntrack.Mapping('tcp', None, 8080, 'fd00:30::2', 80)]
    assert [_conntrack.describe_target(t) for t in targets] == ['tcp [2001:db8::5]:8443->[fd00:30::2]:443', 'tcp [::]:8080->[fd00:30::2]:80']
    gone = _conntrack.network_targets(DUAL, None)
    assert _conntrack.Address('fd00:30::2') in gone and _conntrack.Address('172.30.0.2') in gone


def test_conntrack_step_opens_each_familys_table():
    entry = _conntrack.Entry(socket.IPPROTO_TCP, 'fd00:99::7', '2001:db8::5', 40000, 8443, 'fd00:30::2', 'fd00:99::7', 443, 40000)
    raw = SimpleNamespace(tuple_orig=SimpleNamespace(proto=entry.proto, saddr=entry.saddr, daddr=entry.daddr, sport=entry.sport, dport=entry.dport),
                          tuple_reply=SimpleNamespace(saddr=entry.reply_saddr, daddr=entry.reply_daddr, sport=entry.reply_sport, dport=entry.reply_dport))
    opened = []

    class Table:
        def __init__(self, entries):
            self.entries = entries
            self.deleted = []

        def dump_entries(self):
            return iter(self.entries)

        def entry(self, cmd, tuple_orig):
            self.deleted.append(tuple_orig)

        def close(self):
            pass

    tables = {socket.AF_INET: Table([]), socket.AF_INET6: Table([raw])}

    def opener(family=socket.AF_INET):
        opened.append(family)
        return tables[family]

    plan = _plan.Plan()
    deletion = _conntrack.plan_delete(plan, [_conntrack.Mapping('tcp', '2001:db8::5', 8443, 'fd00:30::2', 443), _conntrack.Address('172.30.0.2')], opener)
    plan.execute()
    assert opened == [socket.AF_INET, socket.AF_INET6] and deletion.deleted == 1 and tables[socket.AF_INET6].deleted == [raw.tuple_orig]


def test_route_localnet_only_for_ipv4_publishes():
    v6only = network(v4=False, endpoints={'web': {'ip': None, 'ip6': 'fd00:30::2', 'publish': [publish(8080, 80, '::')]}})
    assert _firewall_rules.route_localnet_bridges({'n6': v6only}) == []
    assert _firewall_rules.route_localnet_bridges({'n6': DUAL}) == ['br-n6']
