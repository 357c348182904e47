# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The desired rule set and its rendering, without a kernel."""

from __future__ import annotations

import json
import os
import struct

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

import pytest

from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils import nft_fake


def network(name='bridge', bridge='docker0', subnet='172.17.0.0/16', backend='iptables', **extra):
    doc = {'name': name, 'driver': 'bridge', 'bridge': bridge, 'subnet': subnet, 'firewall': True,
           'firewall_backend': backend, 'icc': True, 'ip_masquerade': True, 'internal': False, 'ip_forward': True,
           'endpoints': {}}
    doc.update(extra)
    return doc


def publish(host_port, container_port, host_ip='0.0.0.0', proto='tcp'):
    return {'host_ip': host_ip, 'host_port': host_port, 'container_port': container_port, 'proto': proto, 'auto': False}


SEED = network(endpoints={'sshd': {'ip': '172.17.0.2', 'publish': [publish(20022, 22, host_ip='10.138.3.130')]}})


def lines(networks, nats=None, backend='iptables'):
    return [_firewall_iptables.render(r) for r in _firewall_rules.desired_rules(networks, nats or {}, backend)]


def test_seed_iptables_save_rules_have_an_equivalent():
    got = lines({'bridge': SEED})
    # The seed's iptables-save, rule by rule, with HOSTNET chains in place of DOCKER ones.
    for rule in ('-A HOSTNET-POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
                 '-A HOSTNET-PREROUTING -m addrtype --dst-type LOCAL -j HOSTNET-DNAT',
                 '-A HOSTNET-OUTPUT -m addrtype --dst-type LOCAL -j HOSTNET-DNAT',
                 '-A HOSTNET-DNAT -d 10.138.3.130/32 -p tcp -m tcp --dport 20022 -j DNAT --to-destination 172.17.0.2:22',
                 '-A HOSTNET-FORWARD -j HOSTNET-USER',
                 '-A HOSTNET-FORWARD -j HOSTNET-ISOLATION-1',
                 '-A HOSTNET-FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
                 '-A HOSTNET-FORWARD -o docker0 -j HOSTNET-PUBLISH',
                 '-A HOSTNET-FORWARD -i docker0 ! -o docker0 -j ACCEPT',
                 '-A HOSTNET-FORWARD -i docker0 -o docker0 -j ACCEPT',
                 '-A HOSTNET-PUBLISH -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 22 -j ACCEPT',
                 '-A HOSTNET-ISOLATION-1 -i docker0 ! -o docker0 -j HOSTNET-ISOLATION-2',
                 '-A HOSTNET-ISOLATION-1 -j RETURN',
                 '-A HOSTNET-ISOLATION-2 -o docker0 -j DROP',
                 '-A HOSTNET-ISOLATION-2 -j RETURN'):
        assert rule in got, rule
    assert got.index('-A HOSTNET-FORWARD -j HOSTNET-USER') == 0, 'the user hook comes first'
    assert len(got) == len(set(got))


def test_icc_internal_and_masquerade_switches():
    got = lines({'n': network(icc=False, internal=True, bridge='br-x', subnet='172.18.0.0/16')})
    assert '-A HOSTNET-FORWARD -i br-x -o br-x -j DROP' in got
    assert '-A HOSTNET-ISOLATION-1 ! -s 172.18.0.0/16 -o br-x -j DROP' in got
    assert '-A HOSTNET-ISOLATION-1 -i br-x ! -d 172.18.0.0/16 -j DROP' not in got  # canonical order is -d before -i
    assert '-A HOSTNET-ISOLATION-1 ! -d 172.18.0.0/16 -i br-x -j DROP' in got
    assert not any('MASQUERADE' in rule for rule in got)
    assert not any('-i br-x ! -o br-x -j ACCEPT' in rule for rule in got)
    got = lines({'n': network(ip_masquerade=False)})
    assert not any('MASQUERADE' in rule for rule in got)


def test_loopback_publish_only_from_output_and_dropped_from_outside():
    doc = network(endpoints={'web04': {'ip': '172.17.0.5', 'publish': [publish(32770, 80, host_ip='127.0.0.1')]}})
    got = lines({'bridge': doc})
    assert '-A HOSTNET-OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 32770 -j DNAT --to-destination 172.17.0.5:80' in got
    assert not any(rule.startswith('-A HOSTNET-DNAT') for rule in got)
    assert '-A HOSTNET-PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP' in got
    assert '-A HOSTNET-POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE' in got
    assert _firewall_rules.desired_sysctls({'bridge': doc}) == {'net/ipv4/ip_forward': '1', 'net/ipv4/conf/docker0/route_localnet': '1'}


def test_nothing_managed_means_no_rules_and_backends_are_separate():
    assert lines({}) == []
    assert lines({'bridge': network(firewall=False)}) == []
    assert lines({'bridge': network(backend='nftables')}) == []
    assert lines({'bridge': network(backend='nftables')}, backend='nftables')


def test_nft_rendering():
    rules = _firewall_rules.desired_rules({'bridge': SEED}, {}, 'iptables')
    nft = [_firewall_nftables.describe(_firewall_nftables.render(r)) for r in rules]
    assert 'ip saddr 172.17.0.0/16 oifname != docker0 masquerade' in nft
    assert 'ip daddr 10.138.3.130 tcp dport 20022 dnat to 172.17.0.2:22' in nft
    assert 'fib daddr type local jump port_dnat' in nft
    assert nft[0] == 'jump user'
    user_rule = [{'match': {'op': '==', 'left': {'payload': {'protocol': 'ip', 'field': 'saddr'}}, 'right': '192.0.2.1'}}, {'drop': None}]
    cmds = _firewall_nftables.commands(rules, [user_rule], False)
    assert cmds[0] == {'add': {'table': {'family': 'ip', 'name': 'hostnet'}}}
    assert {'add': {'rule': {'family': 'ip', 'table': 'hostnet', 'chain': 'user', 'expr': user_rule}}} in cmds
    assert {'add': {'chain': {'family': 'ip', 'table': 'hostnet', 'name': 'prerouting', 'type': 'nat', 'hook': 'prerouting',
                              'prio': -100, 'policy': 'accept'}}} in cmds
    first_rule = min(i for i, cmd in enumerate(cmds) if 'rule' in cmd['add'])
    assert all('rule' in cmd['add'] for cmd in cmds[first_rule:]), 'every chain exists before a rule jumps to it'
    assert _firewall_nftables.commands([], [], False) == []
    assert _firewall_nftables.commands([], [], True) == [{'delete': {'table': {'family': 'ip', 'name': 'hostnet'}}}]
    assert [c['add'].get('chain', {}).get('name') for c in _firewall_nftables.commands([], [user_rule], False)] == [None, 'user', None]


def test_nat_rules():
    nats = {'lan': {'kind': 'masquerade', 'source': '192.168.77.0/24', 'out_interface': 'ens33', 'firewall_backend': 'iptables'},
            'snat': {'kind': 'snat', 'source': '10.1.0.0/16', 'not_out_interface': 'br0', 'to_source': '10.138.3.130',
                     'firewall_backend': 'iptables'},
            'web': {'kind': 'dnat', 'host_ip': '0.0.0.0', 'host_port': 8080, 'container_ip': '172.17.0.2', 'container_port': 80,
                    'proto': 'udp', 'bridge': 'docker0', 'bridge_subnet': '172.17.0.0/16', 'firewall_backend': 'iptables'}}
    got = lines({}, nats)
    assert '-A HOSTNET-POSTROUTING -s 192.168.77.0/24 -o ens33 -j MASQUERADE' in got
    assert '-A HOSTNET-POSTROUTING -s 10.1.0.0/16 ! -o br0 -j SNAT --to-source 10.138.3.130' in got
    assert '-A HOSTNET-DNAT -p udp -m udp --dport 8080 -j DNAT --to-destination 172.17.0.2:80' in got
    assert '-A HOSTNET-FORWARD -d 172.17.0.2/32 ! -i docker0 -o docker0 -p udp -m udp --dport 80 -j ACCEPT' in got
    assert ('-A HOSTNET-POSTROUTING -s 172.17.0.0/16 -d 172.17.0.2/32 -o docker0 -p udp -m udp --dport 80 '
            '-m conntrack --ctstate DNAT -j MASQUERADE') in got


class FakeIptables(_firewall_iptables.Iptables):
    def __init__(self, state):
        super().__init__()
        self._current = state


def test_restore_input_reconciles_without_touching_foreign_rules():
    rules = _firewall_rules.desired_rules({'bridge': SEED}, {}, 'iptables')
    empty = FakeIptables({})
    text = empty.restore_input(rules)
    assert '*filter\n' in text and '*nat\n' in text and '*raw\n' in text, 'the loopback and direct-routing guards are in raw'
    assert ':HOSTNET-USER - [0:0]' in text
    assert '-I FORWARD 1 -j HOSTNET-FORWARD' in text and '-I POSTROUTING 1 -j HOSTNET-POSTROUTING' in text
    assert not any(line.startswith(':') and 'HOSTNET' not in line for line in text.splitlines())
    # An existing user hook with rules is never declared (a declared chain is flushed), a duplicate jump is removed,
    # an obsolete chain is flushed and deleted after the rules that referred to it.
    state = {'filter': {'chains': ['HOSTNET-USER', 'HOSTNET-FORWARD', 'HOSTNET-OLD'], 'rules': [],
                        'builtin_jumps': {'-A FORWARD -j HOSTNET-FORWARD': 2}, 'user': ['-A HOSTNET-USER -j DROP']}}
    text = FakeIptables(state).restore_input(rules)
    filt = text.split('*filter\n')[1].split('COMMIT')[0].splitlines()
    assert ':HOSTNET-USER - [0:0]' not in filt
    assert filt.count('-D FORWARD -j HOSTNET-FORWARD') == 1 and '-I FORWARD 1 -j HOSTNET-FORWARD' not in filt
    assert filt.index(':HOSTNET-OLD - [0:0]') < filt.index('-X HOSTNET-OLD') and filt[-1] == '-X HOSTNET-OLD'
    # Teardown: everything of ours goes, the user's hook stays while it has rules.
    text = FakeIptables(state).restore_input([])
    assert '-X HOSTNET-FORWARD' in text and '-X HOSTNET-USER' not in text and '-D FORWARD -j HOSTNET-FORWARD' in text
    assert FakeIptables({}).restore_input([]) == ''


def test_owned_and_wanted_compare_in_kernel_form():
    rules = _firewall_rules.desired_rules({'bridge': SEED}, {}, 'iptables')
    wanted = _firewall_iptables.Iptables.wanted(rules)
    state = {}
    for line in wanted:
        table, rest = line.split(' ', 1)
        st = state.setdefault(table, {'chains': [], 'rules': [], 'builtin_jumps': {}, 'user': []})
        if rest.startswith(':'):
            st['chains'].append(rest[1:])
        elif rest.split()[1].startswith('HOSTNET-'):
            st['rules'].append(rest)
        else:
            st['builtin_jumps'][rest] = 1
    assert not FakeIptables(state).differs(rules)
    state['nat']['rules'].pop()
    assert FakeIptables(state).differs(rules)


@pytest.mark.parametrize('value, error', [
    ('bogus', "firewall_backend 'bogus': must be one of auto, iptables, nftables"),
])
def test_resolve_backend_errors(value, error):
    with pytest.raises(_firewall_rules.FirewallError) as exc:
        _firewall.resolve_backend(value)
    assert str(exc.value) == error


def test_listening_parses_proc_net(tmp_path, monkeypatch):
    files = {
        '/proc/net/tcp': ('  sl  local_address rem_address   st\n'
                          '   0: 0100007F:1F90 00000000:0000 0A 0\n'
                          '   1: 00000000:0016 00000000:0000 0A 0\n'
                          '   2: 0100007F:9C40 0100007F:1F90 01 0\n'),
        '/proc/net/tcp6': ('  sl  local_address rem_address   st\n'
                           '   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 0\n'
                           '   1: 0000000000000000FFFF00000A028A0A:1F92 00000000000000000000000000000000:0000 0A 0\n'
                           '   2: 000080FE00000000FF00000000000001:1F93 00000000000000000000000000000000:0000 0A 0\n'),
    }
    real_open = open

    def fake_open(path, *args, **kwargs):
        if path in files:
            target = tmp_path / path.replace('/', '_')
            target.write_text(files[path])
            return real_open(target, *args, **kwargs)
        if path.startswith('/proc/net/'):
            raise OSError(2, 'missing')
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr('builtins.open', fake_open)
    # An IPv6 wildcard socket takes both families' port; an IPv6-only address is kept (per-family conflicts).
    assert _ports.listening('tcp') == {('127.0.0.1', 8080), ('0.0.0.0', 22), ('0.0.0.0', 8081), ('::', 8081), ('10.138.2.10', 8082),
                                       ('fe80::ff:100:0', 8083)}


def test_bound_ports_are_indexed_and_conflicts_still_found():
    nets = {'web': {'endpoints': {'c%d' % i: {'publish': [{'host_ip': '0.0.0.0', 'host_port': 20000 + i, 'proto': 'tcp'}]}
                                  for i in range(1000)}}}
    bound = _ports.bound_ports(nets, {'dns': {'kind': 'dnat', 'host_ip': '10.0.0.1', 'host_port': 53, 'proto': 'udp'}})
    assert len(bound) == 1001 and bound.index[(20999, 'tcp')][0][3] == 'container c999 on network web'
    listening = {'tcp': set(), 'udp': set()}
    _ports.check_port_free('p', '20999/udp', {'host_ip': None, 'host_port': 20999, 'proto': 'udp'}, bound, listening)
    with pytest.raises(_validate.InputError, match='published by container c999 on network web'):
        _ports.check_port_free('p', '127.0.0.1:20999:80', {'host_ip': '127.0.0.1', 'host_port': 20999, 'proto': 'tcp'}, bound, listening)
    _ports.check_port_free('p', '10.0.0.2:53:53/udp', {'host_ip': '10.0.0.2', 'host_port': 53, 'proto': 'udp'}, bound, listening)
    with pytest.raises(_validate.InputError, match='nat_rule dns'):
        _ports.check_port_free('p', '53:53/udp', {'host_ip': '0.0.0.0', 'host_port': 53, 'proto': 'udp'}, bound, listening)
    bound.append(('0.0.0.0', 8080, 'tcp', 'container new'))
    with pytest.raises(_validate.InputError, match='container new'):
        _ports.check_port_free('p', '8080:80', {'host_ip': None, 'host_port': 8080, 'proto': 'tcp'}, bound, listening)


def test_a_listening_socket_blocks_its_port():
    listening = {'tcp': {('127.0.0.1', 8080)}}
    _ports.check_port_free('p', '10.0.0.1:8080:80', {'host_ip': '10.0.0.1', 'host_port': 8080, 'proto': 'tcp'}, [], listening)
    with pytest.raises(_validate.InputError, match='listens on 127.0.0.1:8080'):
        _ports.check_port_free('p', '8080:80', {'host_ip': '0.0.0.0', 'host_port': 8080, 'proto': 'tcp'}, [], listening)


# -- the rule model, branch by branch ---------------------------------------------------------------
def test_two_bridges_isolated_and_internal_kept_in():
    nets = {'a': network(name='a', bridge='br-a', subnet='172.18.0.0/16'), 'b': network(name='b', bridge='br-b', subnet='172.19.0.0/16'),
            'c': network(name='c', bridge='br-c', subnet='172.20.0.0/16', internal=True)}
    got = lines(nets)
    iso1 = [r for r in got if r.startswith('-A HOSTNET-ISOLATION-1')]
    assert iso1 == ['-A HOSTNET-ISOLATION-1 -i br-a ! -o br-a -j HOSTNET-ISOLATION-2', '-A HOSTNET-ISOLATION-1 -i br-b ! -o br-b -j HOSTNET-ISOLATION-2',
                    '-A HOSTNET-ISOLATION-1 ! -s 172.20.0.0/16 -o br-c -j DROP', '-A HOSTNET-ISOLATION-1 ! -d 172.20.0.0/16 -i br-c -j DROP',
                    '-A HOSTNET-ISOLATION-1 -j RETURN']
    assert [r for r in got if r.startswith('-A HOSTNET-ISOLATION-2')] == [
        '-A HOSTNET-ISOLATION-2 -o br-a -j DROP', '-A HOSTNET-ISOLATION-2 -o br-b -j DROP', '-A HOSTNET-ISOLATION-2 -o br-c -j DROP',
        '-A HOSTNET-ISOLATION-2 -j RETURN']
    # Per bridge, in Docker's order: answers first, then published ports, the way out (not for internal), icc; the
    # direct-routing drop after every bridge's accepts.
    assert [r for r in got if 'br-a' in r and r.startswith('-A HOSTNET-FORWARD')] == [
        '-A HOSTNET-FORWARD -o br-a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A HOSTNET-FORWARD -o br-a -j HOSTNET-PUBLISH',
        '-A HOSTNET-FORWARD -i br-a ! -o br-a -j ACCEPT', '-A HOSTNET-FORWARD -i br-a -o br-a -j ACCEPT',
        '-A HOSTNET-FORWARD ! -i br-a -o br-a -j DROP']
    assert '-A HOSTNET-FORWARD -i br-c ! -o br-c -j ACCEPT' not in got
    assert [r for r in got if 'MASQUERADE' in r] == [
        '-A HOSTNET-POSTROUTING -s 172.18.0.0/16 ! -o br-a -j MASQUERADE', '-A HOSTNET-POSTROUTING -s 172.19.0.0/16 ! -o br-b -j MASQUERADE']
    assert _firewall_rules.desired_sysctls(nets) == {'net/ipv4/ip_forward': '1'}
    assert _firewall_rules.desired_sysctls({'c': nets['c']}) == {}
    assert _firewall_rules.desired_sysctls({'a': network(ip_forward=False, icc=False)}) == {'net/bridge/bridge-nf-call-iptables': '1'}
    assert _firewall_rules.desired_sysctls({'a': network(firewall=False, icc=False), 'm': {'driver': 'macvlan'}, 'gone': None}) == {}


def test_publishes_on_wildcard_specific_and_loopback_addresses():
    published = [publish(8080, 80), publish(8443, 443, host_ip='10.0.0.1'), publish(5353, 53, host_ip='127.0.0.1', proto='udp')]
    doc = network(endpoints={'web': {'ip': '172.17.0.2', 'publish': published}})
    got = lines({'bridge': doc})
    assert [r for r in got if r.startswith('-A HOSTNET-DNAT')] == [
        '-A HOSTNET-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80',
        '-A HOSTNET-DNAT -d 10.0.0.1/32 -p tcp -m tcp --dport 8443 -j DNAT --to-destination 172.17.0.2:443']
    assert [r for r in got if r.startswith('-A HOSTNET-OUTPUT')] == [
        '-A HOSTNET-OUTPUT -d 127.0.0.1/32 -p udp -m udp --dport 5353 -j DNAT --to-destination 172.17.0.2:53',
        '-A HOSTNET-OUTPUT -m addrtype --dst-type LOCAL -j HOSTNET-DNAT']
    assert [r for r in got if r.startswith('-A HOSTNET-PUBLISH')] == [
        '-A HOSTNET-PUBLISH -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT',
        '-A HOSTNET-PUBLISH -d 172.17.0.2/32 ! -i docker0 -o docker0 -p tcp -m tcp --dport 443 -j ACCEPT',
        '-A HOSTNET-PUBLISH -d 172.17.0.2/32 ! -i docker0 -o docker0 -p udp -m udp --dport 53 -j ACCEPT']
    # Hairpin: one masquerade per publish for the bridge's own subnet, after the network's masquerade; loopback last.
    assert [r for r in got if r.startswith('-A HOSTNET-POSTROUTING')] == [
        '-A HOSTNET-POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
        '-A HOSTNET-POSTROUTING -s 172.17.0.0/16 -d 172.17.0.2/32 -o docker0 -p tcp -m tcp --dport 80 -m conntrack --ctstate DNAT -j MASQUERADE',
        '-A HOSTNET-POSTROUTING -s 172.17.0.0/16 -d 172.17.0.2/32 -o docker0 -p tcp -m tcp --dport 443 -m conntrack --ctstate DNAT -j MASQUERADE',
        '-A HOSTNET-POSTROUTING -s 172.17.0.0/16 -d 172.17.0.2/32 -o docker0 -p udp -m udp --dport 53 -m conntrack --ctstate DNAT -j MASQUERADE',
        '-A HOSTNET-POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE']
    assert [r for r in got if r.startswith('-A HOSTNET-PREROUTING')] == [
        '-A HOSTNET-PREROUTING -m addrtype --dst-type LOCAL -j HOSTNET-DNAT',
        '-A HOSTNET-PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP', '-A HOSTNET-PREROUTING -s 127.0.0.0/8 ! -i lo -j DROP',
        '-A HOSTNET-PREROUTING -d 172.17.0.2/32 ! -i docker0 -j DROP']


def test_nat_dnat_without_a_bridge_and_on_loopback():
    nats = {'far': {'kind': 'dnat', 'host_ip': '10.0.0.5', 'host_port': 5001, 'container_ip': '10.9.0.3', 'container_port': 51,
                    'proto': 'tcp', 'bridge': None, 'bridge_subnet': None, 'firewall_backend': 'iptables'},
            'lo': {'kind': 'dnat', 'host_ip': '127.0.0.1', 'host_port': 5000, 'container_ip': '172.17.0.3', 'container_port': 50,
                   'proto': 'tcp', 'bridge': 'docker0', 'bridge_subnet': None, 'firewall_backend': 'iptables'}}
    got = lines({}, nats)
    assert '-A HOSTNET-DNAT -d 10.0.0.5/32 -p tcp -m tcp --dport 5001 -j DNAT --to-destination 10.9.0.3:51' in got
    assert not any('10.9.0.3' in r and ('FORWARD' in r or 'POSTROUTING' in r) for r in got), 'no bridge: no forward accept, no hairpin'
    assert '-A HOSTNET-OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 5000 -j DNAT --to-destination 172.17.0.3:50' in got
    assert '-A HOSTNET-PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP' in got
    assert '-A HOSTNET-POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE' in got
    assert not any('--ctstate DNAT' in r for r in got), 'no bridge subnet known: no hairpin'
    assert lines({}, nats, backend='nftables') == []


def test_rules_that_mean_the_same_are_kept_once():
    nats = {'a': {'kind': 'masquerade', 'source': '10.0.0.1', 'firewall_backend': 'iptables'},
            'b': {'kind': 'masquerade', 'source': '10.0.0.1/32', 'firewall_backend': 'iptables'},
            'c': {'kind': 'masquerade', 'firewall_backend': 'iptables'}}
    got = [r for r in lines({}, nats) if 'MASQUERADE' in r]
    assert got == ['-A HOSTNET-POSTROUTING -s 10.0.0.1/32 -j MASQUERADE', '-A HOSTNET-POSTROUTING -j MASQUERADE']


# -- nftables: JSON in and out -----------------------------------------------------------------------
ALL = {'a': network(name='a', bridge='br-a', subnet='172.18.0.0/16', backend='nftables', icc=False,
                    endpoints={'web': {'ip': '172.18.0.2', 'publish': [publish(8080, 80), publish(5353, 53, host_ip='127.0.0.1', proto='udp')]}}),
       'c': network(name='c', bridge='br-c', subnet='172.20.0.0/16', backend='nftables', internal=True)}
NATS = {'snat': {'kind': 'snat', 'source': '10.1.0.0/16', 'not_out_interface': 'br0', 'to_source': '10.138.3.130', 'firewall_backend': 'nftables'}}


@pytest.fixture
def nft(monkeypatch):
    return nft_fake.install(monkeypatch)


def test_nft_apply_reread_and_drift(nft, tmp_path):
    rules = _firewall_rules.desired_rules(ALL, NATS, 'nftables')
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert be.differs(rules) and be.owned() == []
    be.apply(rules)
    assert nft.calls[-2][0] == ('-f', '-') and nft.calls[-1][0][:3] == ('-t', 'list', 'table'), 'the table is read back to record it'
    sent = json.loads(nft.calls[-2][1])['nftables']
    assert sent[0] == {'add': {'table': {'family': 'ip', 'name': 'hostnet'}}}, 'absent before: nothing to delete'
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert not be.differs(rules)
    assert be.owned() == be.wanted(rules)
    assert 'postrouting: ip saddr 10.1.0.0/16 oifname != br0 snat to 10.138.3.130' in be.wanted(rules)
    assert 'raw_prerouting: ip daddr 127.0.0.0/8 iifname != lo drop' in be.wanted(rules)
    assert 'forward: iifname br-a oifname br-a drop' in be.wanted(rules)
    # Drift: a rule gone from the kernel, or a counter changing by itself (no drift).
    nft.table = [c for c in nft.table if 'snat' not in json.dumps(c)]
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert be.differs(rules)
    assert set(be.wanted(rules)) - set(be.owned()) == {'postrouting: ip saddr 10.1.0.0/16 oifname != br0 snat to 10.138.3.130'}
    be.apply(rules)
    sent = json.loads(nft.calls[-2][1])['nftables']
    assert sent[0] == {'delete': {'table': {'family': 'ip', 'name': 'hostnet'}}} and sent[1]['add'] == {'table': {'family': 'ip', 'name': 'hostnet'}}
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert not be.differs(rules)
    # The rule set changing is a difference even where the kernel listing is as recorded.
    assert be.differs(_firewall_rules.desired_rules({'a': ALL['a']}, {}, 'nftables'))


def test_nft_user_rules_survive_and_are_no_drift(nft, tmp_path):
    rules = _firewall_rules.desired_rules(ALL, {}, 'nftables')
    _firewall_nftables.Nftables(str(tmp_path)).apply(rules)
    user_rule = [{'match': {'op': '==', 'left': {'payload': {'protocol': 'ip', 'field': 'saddr'}}, 'right': '192.0.2.1'}},
                 {'counter': {'packets': 3, 'bytes': 180}}, {'drop': None}]
    nft.table.append({'add': {'rule': {'family': 'ip', 'table': 'hostnet', 'chain': 'user', 'expr': user_rule}}})
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert not be.differs(rules), "the user's own rule is not drift"
    assert not any('192.0.2.1' in line for line in be.owned())
    be.apply(_firewall_rules.desired_rules({'a': ALL['a']}, {}, 'nftables'))
    assert {'add': {'rule': {'family': 'ip', 'table': 'hostnet', 'chain': 'user', 'expr': user_rule}}} in nft.table
    # Teardown keeps the table while the user chain holds rules, and only that chain.
    be = _firewall_nftables.Nftables(str(tmp_path))
    be.apply([])
    assert [c['add'].get('chain', {}).get('name') for c in nft.table if 'chain' in c['add']] == ['user']
    assert not _firewall_nftables.Nftables(str(tmp_path)).differs([])
    nft.table = [c for c in nft.table if 'rule' not in c['add']]
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert be.differs([]), 'an empty user chain goes at teardown'
    be.apply([])
    assert nft.table is None and _store.load(_firewall_rules.FW_KIND, 'nftables', str(tmp_path)) is None
    assert not _firewall_nftables.Nftables(str(tmp_path)).differs([])


def test_nft_record_outliving_the_table_is_a_difference(nft, tmp_path):
    _store.save(_firewall_rules.FW_KIND, 'nftables', {'commands': 'x', 'table': 'y'}, str(tmp_path))
    assert _firewall_nftables.Nftables(str(tmp_path)).differs([])


def test_nft_normalised_and_described():
    table = {'chains': {'user': {}}, 'rules': {'user': [[{'counter': {'packets': 1, 'bytes': 2}}, {'accept': None}]]}}
    assert _firewall_nftables.normalised(table) == {'chains': {'user': {}}, 'rules': {'user': [[{'counter': None}, {'accept': None}]]}}
    assert _firewall_nftables.normalised(None) is None
    odd = [{'match': {'op': '==', 'left': {'meta': {'key': 'mark'}}, 'right': {'set': [1, 2]}}}, {'limit': {'rate': 1}}, {'goto': {'target': 'x'}}]
    assert _firewall_nftables.describe(odd) == 'meta mark {"set": [1, 2]} {"limit": {"rate": 1}} goto x'


def test_nft_objects_and_empty_chains(monkeypatch):
    names = {0x0a01: [{1: 'filter'}, {1: 'mine'}, {1: 'nat'}], 0x0a04: [{1: 'filter', 3: 'FORWARD'}, {1: 'mine', 3: 'c'}]}
    answers = {('list', 'chain', 'ip', 'filter', 'FORWARD'): [{'chain': {'name': 'FORWARD', 'policy': 'accept'}}],
               ('list', 'chain', 'ip', 'nat', 'POSTROUTING'): [{'chain': {'name': 'POSTROUTING', 'policy': 'accept'}}, {'rule': {}}]}
    monkeypatch.setattr(_firewall_nftables, 'nft_names', lambda msg_type, wanted, family=None: names[msg_type])
    monkeypatch.setattr(_firewall_nftables, 'nft_json', lambda *args, data=None: answers[args])
    assert _firewall_nftables.nft_objects() == {('filter',), ('nat',), ('filter', 'FORWARD')}
    assert _firewall_nftables.nft_chain_empty('filter', 'FORWARD')
    assert not _firewall_nftables.nft_chain_empty('nat', 'POSTROUTING')


class FakeNetlink:
    """A socket answering dumps with canned netlink messages: the first answer marked interrupted when asked."""

    def __init__(self, objects, interrupt_first=False):
        self.objects = objects
        self.interrupt = interrupt_first
        self.sent = []
        self.pending = []

    def send(self, data):
        self.sent.append(data)
        flags = 0x10 if self.interrupt else 0  # NLM_F_DUMP_INTR
        self.interrupt = False
        body = b''.join(message(0x0a00, flags, b'\x02\x00\x00\x00' + b''.join(nla(t, v) for t, v in obj.items()))
                        for obj in self.objects)
        self.pending = [body, message(3, 0, b'\x00' * 4)]

    def recv(self, size, flags=0):
        return self.pending.pop(0)


def message(typ, flags, payload):
    return struct.pack('=IHHII', 16 + len(payload), typ, flags, 1, 0) + payload


def nla(typ, value):
    data = value.encode() + b'\0' if isinstance(value, str) else struct.pack('=I', value)
    return struct.pack('=HH', 4 + len(data), typ) + data + b'\0' * (-len(data) % 4)


def test_nf_tables_names_are_read_from_a_dump_and_a_changed_ruleset_is_read_again():
    sock = FakeNetlink([{1: 'filter', 3: 7}, {1: 'nat', 2: 1}], interrupt_first=True)
    assert _firewall_nftables.nft_dump(sock, _firewall_nftables.NFT_MSG_GETTABLE, (1,)) == [{1: 'filter'}, {1: 'nat'}]
    assert len(sock.sent) == 2  # the interrupted dump was asked again
    typ, flags = struct.unpack_from('=HH', sock.sent[0], 4)
    assert typ == 0x0a01 and flags == 0x301 and sock.sent[0][16] == 2  # a dump request of the ip family (AF_INET)
    chains = FakeNetlink([{1: 'filter', 3: 'FORWARD'}])
    assert _firewall_nftables.nft_dump(chains, _firewall_nftables.NFT_MSG_GETCHAIN, (1, 3)) == [{1: 'filter', 3: 'FORWARD'}]


# -- iptables: from iptables-save, touching only HOSTNET-* -------------------------------------------
SAVE = '''# Generated by iptables-save
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:DOCKER - [0:0]
:HOSTNET-FORWARD - [0:0]
:HOSTNET-USER - [0:0]
:MYCHAIN - [0:0]
-A FORWARD -j HOSTNET-FORWARD
-A FORWARD -j DOCKER-USER
-A FORWARD -s 192.0.2.0/24 -j MYCHAIN
-A DOCKER -d 172.17.0.2/32 -j ACCEPT
-A HOSTNET-FORWARD -j HOSTNET-USER
-A HOSTNET-USER -s 172.17.0.9/32 -j DROP
-A MYCHAIN -s 192.0.2.1/32 -j RETURN
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
COMMIT
'''


def test_iptables_save_parsed_for_what_the_collection_owns_only():
    state = _firewall_iptables.parse_save(SAVE)
    assert state['filter'] == {'chains': ['HOSTNET-FORWARD', 'HOSTNET-USER'], 'rules': ['-A HOSTNET-FORWARD -j HOSTNET-USER'],
                               'builtin_jumps': {'-A FORWARD -j HOSTNET-FORWARD': 1}, 'user': ['-A HOSTNET-USER -s 172.17.0.9/32 -j DROP']}
    assert state['nat'] == {'chains': [], 'rules': [], 'builtin_jumps': {}, 'user': []}
    be = FakeIptables(state)
    assert all('HOSTNET' in line for line in be.owned())
    rules = _firewall_rules.desired_rules({'bridge': SEED}, {}, 'iptables')
    assert be.differs(rules)
    text = be.restore_input(rules)
    for foreign in ('DOCKER', 'MYCHAIN', ':FORWARD', ':POSTROUTING', ':INPUT', '-F', 'MASQUERADE -s'):
        assert not any(foreign in line and 'HOSTNET' not in line.replace('-j HOSTNET', '') for line in text.splitlines()
                       if not line.startswith(('-I ', '-D '))), foreign
    assert ':HOSTNET-USER - [0:0]' not in text, 'the user chain holds rules: never declared (flushed)'
    # Inserts and deletes: the built-in chains' jumps to ours, and edits inside our own chains.
    assert all(line.split()[1].startswith('HOSTNET-') or
               (line.split()[1] in ('FORWARD', 'PREROUTING', 'OUTPUT', 'POSTROUTING') and line.split()[-1].startswith('HOSTNET-'))
               for line in text.splitlines() if line.startswith(('-I ', '-D ')))


def test_iptables_apply_records_and_removes_what_iptables_nft_created(monkeypatch, tmp_path):
    objects = [{('filter',), ('filter', 'FORWARD')}, {('filter',), ('filter', 'FORWARD'), ('nat',), ('nat', 'POSTROUTING')}]
    runs = []

    def run(argv, data=None):
        runs.append((argv, data))
        return 'iptables v1.8.9 (nf_tables)' if argv[:2] == ['iptables', '-V'] else ''
    monkeypatch.setattr(_firewall_rules, '_run', run)
    monkeypatch.setattr(_firewall_nftables, 'nft_objects', lambda family=None: objects[0] if len(objects) == 1 else objects.pop(0))
    monkeypatch.setattr(_firewall_nftables, 'nft_chain_empty', lambda table, chain, family=None: True)
    rules = _firewall_rules.desired_rules({'bridge': SEED}, {}, 'iptables')
    be = FakeIptables({})
    be.root = str(tmp_path)
    be.apply(rules)
    assert [argv[0] for argv, dummy in runs] == ['iptables', 'iptables-restore']
    assert _store.load(_firewall_rules.FW_KIND, 'iptables', str(tmp_path)) == {'created': [['nat'], ['nat', 'POSTROUTING']]}
    # Teardown: the collection's rules go, then the table and chain iptables-nft made for them.
    runs.clear()
    be = FakeIptables(_firewall_iptables.parse_save('*nat\n:HOSTNET-POSTROUTING - [0:0]\n-A POSTROUTING -j HOSTNET-POSTROUTING\nCOMMIT\n'))
    be.root = str(tmp_path)
    be.apply([])
    assert [argv for argv, dummy in runs][2:] == [['nft', 'delete', 'chain', 'ip', 'nat', 'POSTROUTING']]
    assert _store.load(_firewall_rules.FW_KIND, 'iptables', str(tmp_path)) == {'created': [['nat']]}


# -- sysctls ------------------------------------------------------------------------------------------
class FakeSysctls:
    def __init__(self, monkeypatch, values):
        self.values = dict(values)
        monkeypatch.setattr(_sysctl, 'sysctl_exists', lambda ns, netns, key: key in self.values)
        monkeypatch.setattr(_sysctl, 'read_sysctl', lambda ns, netns, key: self.values[key])
        monkeypatch.setattr(_sysctl, 'write_sysctl', self.write)
        monkeypatch.setattr(_firewall.os, 'listdir', lambda path: ['all', 'default', 'eth0'])

    def write(self, ns, netns, key, value):
        self.values[key] = value
        if key == 'net/ipv4/ip_forward':  # what the kernel does (devinet.c)
            self.values['net/ipv4/conf/all/accept_redirects'] = '0' if value == '1' else '1'
            for dev in ('default', 'eth0'):
                self.values['net/ipv4/conf/%s/forwarding' % dev] = value
        if key == 'net/ipv6/conf/all/forwarding':  # addrconf.c: every device's, and default's
            for dev in ('default', 'eth0'):
                self.values['net/ipv6/conf/%s/forwarding' % dev] = value


def test_sysctls_set_recorded_and_restored(monkeypatch, tmp_path):
    fake = FakeSysctls(monkeypatch, {'net/ipv4/ip_forward': '0', 'net/ipv4/conf/all/accept_redirects': '0',
                                     'net/ipv4/conf/default/forwarding': '0', 'net/ipv4/conf/eth0/forwarding': '0',
                                     'net/bridge/bridge-nf-call-iptables': '0'})
    root = str(tmp_path)
    nets = {'a': network(icc=False, endpoints={'w': {'ip': '172.17.0.2', 'publish': [publish(80, 80, host_ip='127.0.0.1')]}})}
    plan = _plan.Plan()
    _firewall._plan_sysctls(plan, None, nets, root)
    path = _firewall.sysctl_file(root)
    assert plan.commands == ['record sysctls to restore (net/bridge/bridge-nf-call-iptables, net/ipv4/conf/all/accept_redirects, net/ipv4/ip_forward)',
                             'set net.bridge.bridge-nf-call-iptables = 1', 'set net.ipv4.conf.docker0.route_localnet = 1',
                             'set net.ipv4.ip_forward = 1',
                             'write %s (net.bridge.bridge-nf-call-iptables, net.ipv4.conf.docker0.route_localnet, net.ipv4.ip_forward)' % path]
    fake.values['net/ipv4/conf/docker0/route_localnet'] = '0'  # the bridge exists by the time the step runs
    plan.execute()
    assert fake.values['net/ipv4/ip_forward'] == '1' and fake.values['net/ipv4/conf/docker0/route_localnet'] == '1'
    with open(path) as f:
        assert f.read().splitlines()[2:] == ['net.ipv4.ip_forward = 1', '-net.bridge.bridge-nf-call-iptables = 1',
                                             '-net.ipv4.conf.docker0.route_localnet = 1']
    plan = _plan.Plan()
    _firewall._plan_sysctls(plan, None, nets, root)
    assert not plan, 'nothing left to do'
    plan = _plan.Plan()
    _firewall._plan_sysctls(plan, None, {}, root)
    assert plan.commands == ['restore net.ipv4.ip_forward = 0 (no network needs it now)',
                             'restore net.bridge.bridge-nf-call-iptables = 0 (no network needs it now)',
                             'restore net.ipv4.conf.all.accept_redirects = 0 (no network needs it now)', 'forget recorded sysctls',
                             'remove %s (no network needs a sysctl now)' % path]
    plan.execute()
    assert fake.values['net/ipv4/ip_forward'] == '0' and fake.values['net/ipv4/conf/all/accept_redirects'] == '0'
    assert _store.load(_firewall_rules.FW_KIND, 'sysctls', root) is None
    assert not os.path.exists(path)


def test_the_sysctl_file_swaps_dots_and_refuses_a_file_not_ours(tmp_path):
    text = _firewall.sysctl_text({'net/ipv4/conf/br0.5/route_localnet': '1', 'net/ipv6/conf/all/forwarding': '1'})
    assert text.splitlines()[2:] == ['net.ipv6.conf.all.forwarding = 1', '-net.ipv4.conf.br0/5.route_localnet = 1']
    assert _firewall.sysctl_text({}) is None
    path = _firewall.sysctl_file(str(tmp_path))
    os.makedirs(os.path.dirname(path))
    with open(path, 'w') as f:
        f.write('net.ipv4.ip_forward = 0\n')
    with pytest.raises(_firewall_rules.FirewallError, match='did not write it'):
        _firewall._plan_sysctl_file(_plan.Plan(), {'net/ipv4/ip_forward': '1'}, str(tmp_path))
    assert _firewall.sysctl_file() == '/etc/sysctl.d/90-hostnet.conf'


def test_icc_false_needs_bridge_netfilter(monkeypatch, tmp_path):
    FakeSysctls(monkeypatch, {'net/ipv4/ip_forward': '1'})
    with pytest.raises(_firewall_rules.FirewallError, match='br_netfilter'):
        _firewall._plan_sysctls(_plan.Plan(), None, {'a': network(icc=False)}, str(tmp_path))
