# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The iptables restore input touches only the chains that change, and inside a chain only the rules that change:
a container added to (or removed from) a network of many is a few lines, whatever the size of the rule set.  Each
input is replayed on the listing it was made from, as iptables-restore --noflush runs it, and must give exactly the
wanted rules."""

from __future__ import annotations

import copy

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules


def publish(host_port):
    return {'host_ip': '0.0.0.0', 'host_port': host_port, 'container_port': 80, 'proto': 'tcp', 'auto': False}


def network(count, name='web', bridge='br-web', subnet='172.18'):
    eps = {'c%03d' % i: {'ip': '%s.0.%d' % (subnet, i + 2), 'publish': [publish(8000 + i)]} for i in range(count)}
    return {name: {'name': name, 'driver': 'bridge', 'bridge': bridge, 'subnet': subnet + '.0.0/16', 'firewall': True,
                   'firewall_backend': 'iptables', 'icc': True, 'ip_masquerade': True, 'internal': False, 'ip_forward': True,
                   'endpoints': eps}}


def rules_of(networks):
    return _firewall_rules.by_family(_firewall_rules.desired_rules(networks, {}, 'iptables'), 4)


def listing(rules):
    """{table: {chain: [rule lines]}} of a kernel holding ``rules`` (with a foreign chain beside them)."""
    out = {}
    for line in _firewall_iptables.wanted_lines(rules):
        table, text = line.split(' ', 1)
        chains = out.setdefault(table, {'DOCKER': ['-A DOCKER -j RETURN']})
        if text.startswith(':'):
            chains.setdefault(text[1:], [])
        else:
            chains.setdefault(text.split(' ', 2)[1], []).append(text)
    return out


def save_text(tables):
    lines = []
    for table, chains in sorted(tables.items()):
        lines += ['*' + table] + [':%s - [0:0]' % chain for chain in sorted(chains)]
        lines += [rule for chain in sorted(chains) for rule in chains[chain]] + ['COMMIT']
    return '\n'.join(lines) + '\n'


def replay(tables, text):
    """What iptables-restore --noflush makes of ``tables`` with ``text``: a declared chain is made or flushed, -A
    appends, -I N inserts before the Nth rule, -D N deletes the Nth, -X deletes a chain."""
    tables = copy.deepcopy(tables)
    chains = None
    for line in text.splitlines():
        if line.startswith('*'):
            chains = tables.setdefault(line[1:], {})
        elif line.startswith(':'):
            chains[line[1:].split()[0]] = []
        elif line.startswith(('-A ', '-I ', '-D ', '-X ')):
            op, chain, rest = (line.split(' ', 2) + [''])[:3]
            rules = chains.setdefault(chain, [])
            if op == '-A':
                rules.append(line)
            elif op == '-X':
                del chains[chain]
            elif rest.split(' ', 1)[0].isdigit():
                position, spec = (rest.split(' ', 1) + [''])[:2]
                if op == '-I':
                    rules.insert(int(position) - 1, '-A %s %s' % (chain, spec))
                else:
                    del rules[int(position) - 1]
            elif op == '-I':
                rules.insert(0, '-A %s %s' % (chain, rest))
            else:
                rules.remove('-A %s %s' % (chain, rest))
    return tables


def restore(old, new):
    """(the restore input taking a kernel holding ``old``'s rules to ``new``'s, that kernel after it)."""
    tables = listing(rules_of(old))
    text = _firewall_iptables.restore_text(_firewall_iptables.parse_save(save_text(tables)), rules_of(new))
    return text, replay(tables, text)


def ours(tables):
    return {table: {chain: rules for chain, rules in chains.items() if chain.startswith('HOSTNET-')} for table, chains in tables.items()}


def test_one_container_added_to_a_network_of_many_is_a_few_inserts():
    old = network(300)
    new = copy.deepcopy(old)
    new['web']['endpoints']['c150x'] = {'ip': '172.18.9.9', 'publish': [publish(9999)]}
    text, after = restore(old, new)
    assert ours(after) == ours(listing(rules_of(new)))
    lines = [line for line in text.splitlines() if line not in ('*filter', '*nat', '*raw', 'COMMIT')]
    assert lines and len(lines) < 10, text
    assert all(line.startswith('-I HOSTNET-') for line in lines), 'in place, no chain flushed or declared: %s' % text
    assert after['filter']['DOCKER'] == ['-A DOCKER -j RETURN'], 'a foreign chain is never touched'


def test_one_container_removed_is_a_few_deletes_and_the_rest_in_order():
    old = network(300)
    new = copy.deepcopy(old)
    del new['web']['endpoints']['c007']
    text, after = restore(old, new)
    assert ours(after) == ours(listing(rules_of(new)))
    lines = [line for line in text.splitlines() if line not in ('*filter', '*nat', '*raw', 'COMMIT')]
    assert lines and len(lines) < 10 and all(line.startswith('-D HOSTNET-') for line in lines), text


def test_nothing_changed_is_no_input_and_an_unchanged_table_no_block():
    old = network(20)
    assert restore(old, old)[0] == ''
    new = copy.deepcopy(old)
    new['web']['endpoints']['c005']['publish'][0]['host_port'] = 9005  # its DNAT rule only: the nat table
    text, after = restore(old, new)
    assert ours(after) == ours(listing(rules_of(new)))
    assert '*filter' not in text and '*raw' not in text and '*nat' in text


def test_a_chain_changed_through_most_of_its_length_is_written_again_and_new_and_gone_chains_as_before():
    old = network(20)
    new = network(20, subnet='172.20')  # every address of the network changed
    new['web2'] = network(3, name='web2', bridge='br-web2', subnet='172.21')['web2']
    text, after = restore(old, new)
    assert ours(after) == ours(listing(rules_of(new)))
    assert ':HOSTNET-DNAT - [0:0]' in text, 'flushed and written again'
    gone = network(3, name='web2', bridge='br-web2', subnet='172.21')
    text, after = restore(new, {})
    assert ours(after) == {table: {} for table in after}, text
    assert ours(restore(gone, gone)[1]) == ours(listing(rules_of(gone)))


class Kernel:
    """iptables-save and iptables-restore --noflush of a kernel holding ``tables`` (replay), without iptables-nft."""

    def __init__(self, monkeypatch, tables):
        self.tables = tables
        monkeypatch.setattr(_firewall_rules, '_run', self.run)

    def run(self, argv, data=None):
        if argv[0] == 'iptables-save':
            return save_text(self.tables)
        if argv[0] == 'iptables-restore':
            self.tables = replay(self.tables, data)
        return 'iptables v1.8.9 (legacy)' if argv[:2] == ['iptables', '-V'] else ''


def test_rule_sets_planned_from_one_listing_and_applied_in_turn_edit_what_the_kernel_holds(monkeypatch, tmp_path):
    """The container module plans each network's rule set from the listing it read before any of them ran: the second
    restore is computed again from the kernel as the first left it (its edits are by position)."""
    base = network(30)
    first = copy.deepcopy(base)
    first['web']['endpoints']['c010x'] = {'ip': '172.18.9.1', 'publish': []}
    second = copy.deepcopy(first)
    second['web']['endpoints']['c020x'] = {'ip': '172.18.9.2', 'publish': []}
    kernel = Kernel(monkeypatch, listing(rules_of(base)))
    one, two = _firewall_iptables.Iptables(str(tmp_path)), _firewall_iptables.Iptables(str(tmp_path))
    assert one.differs(_firewall_rules.desired_rules(first, {}, 'iptables'))
    assert two.differs(_firewall_rules.desired_rules(second, {}, 'iptables'))
    one.apply(_firewall_rules.desired_rules(first, {}, 'iptables'))
    two.apply(_firewall_rules.desired_rules(second, {}, 'iptables'))
    assert ours(kernel.tables) == ours(listing(rules_of(second)))
