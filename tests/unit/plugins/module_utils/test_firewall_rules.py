# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The desired rule set and its rendering, without a kernel."""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

import pytest


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
                 '-A HOSTNET-OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j HOSTNET-DNAT',
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
    assert '-A HOSTNET-PREROUTING -d 127.0.0.1/32 ! -i lo -p tcp -m tcp --dport 32770 -j DROP' in got
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
    assert '*filter\n' in text and '*nat\n' in text and '*raw' not in text
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
    assert _ports.listening('tcp') == {('127.0.0.1', 8080), ('0.0.0.0', 22), ('0.0.0.0', 8081), ('10.138.2.10', 8082)}


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
