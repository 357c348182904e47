# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nftables backend's sets and maps: which rules become elements, and that a one-container change is a few
element commands in one transaction, from the kernel's listing or, when nothing came in between, without one."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nft_sets as _sets
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils import nft_fake

Rule = _firewall_rules.Rule


def network(n, first=0, **extra):
    """A network of ``n`` containers on br-web, each publishing one port."""
    eps = {'c%04d' % i: {'ip': '172.18.%d.%d' % (i // 250, i % 250 + 2),
                         'publish': [{'host_ip': '0.0.0.0', 'host_port': 20000 + i, 'container_port': 80, 'proto': 'tcp', 'auto': False}]}
           for i in range(first, n)}
    doc = {'name': 'web', 'driver': 'bridge', 'bridge': 'br-web', 'subnet': '172.18.0.0/16', 'firewall': True, 'firewall_backend': 'nftables',
           'icc': True, 'ip_masquerade': True, 'internal': False, 'ip_forward': True, 'endpoints': eps}
    doc.update(extra)
    return {'web': doc}


def rules(nets):
    return _firewall_rules.desired_rules(nets, {}, 'nftables')


@pytest.fixture
def nft(monkeypatch):
    monkeypatch.setattr(_firewall_rules, 'command_exists', lambda name: name == 'nft')
    monkeypatch.setattr(_firewall, '_plan_sysctls', lambda *args, **kwargs: None)
    return nft_fake.install(monkeypatch)


def run(old, new, root):
    """One firewall plan from the documents ``old`` to ``new``, executed: (its steps' texts, changes)."""
    plan = _plan.Plan()
    changes = _firewall.plan(plan, None, old, new, {}, {}, root)
    texts = [step.text for step in plan.steps]
    plan.execute()
    return texts, changes


def sent(nft):
    """The commands of the last transaction."""
    return [json.loads(data)['nftables'] for args, data in nft.calls if args == ('-f', '-')][-1]


def listings(nft):
    return [args for args, data in nft.calls if 'list' in args]


# -- the runs ----------------------------------------------------------------------------------------------
def test_a_run_of_publishes_becomes_one_rule_and_its_elements():
    got = _sets.group(rules(network(3)), Rule)
    runs = [item for item in got if isinstance(item, _sets.SetRule)]
    assert [(r.chain, r.template.target, r.keys) for r in runs] == [
        ('PUBLISH', 'ACCEPT', ('oif', 'dst', 'proto', 'dport')),
        ('POSTROUTING', 'MASQUERADE', ('oif', 'dst', 'proto', 'dport')),
        ('DNAT', 'DNAT', ('proto', 'dport')),
        ('PREROUTING', 'DROP', ('dst',))]
    dnat = runs[2]
    assert dnat.elements == {('tcp', 20000): ('172.18.0.2', 80), ('tcp', 20001): ('172.18.0.3', 80), ('tcp', 20002): ('172.18.0.4', 80)}
    assert runs[0].template.match == {'iif': '!br-web'}, 'the negated bridge stays in the rule'
    assert runs[1].template.match == {'src': '172.18.0.0/16', 'ctstate': 'DNAT'}, 'a subnet and a state stay in the rule'
    assert not any(isinstance(item, Rule) and item.each for item in got)
    # Named by what they are: the same on every run, and one name per run.
    again = [item.name for item in _sets.group(rules(network(5)), Rule) if isinstance(item, _sets.SetRule)]
    assert again == [r.name for r in runs] and len(set(again)) == 4
    assert runs[0].name.startswith('filter_publish_accept_')


def test_a_key_already_in_a_run_starts_another_so_the_first_rule_still_wins():
    first = Rule('nat', 'DNAT', 'DNAT', '10.0.0.2:80', proto='tcp', dport=8080, each=True)
    other = Rule('nat', 'DNAT', 'DNAT', '10.0.0.3:80', proto='tcp', dport=8080, each=True)
    third = Rule('nat', 'DNAT', 'DNAT', '10.0.0.4:80', proto='tcp', dport=8081, each=True)
    runs = _sets.group([first, other, third], Rule)
    assert [list(r.elements.values()) for r in runs] == [[('10.0.0.2', 80)], [('10.0.0.3', 80), ('10.0.0.4', 80)]]
    assert runs[0].name != runs[1].name
    # Another shape in between ends a run: rules keep their order.
    host = Rule('nat', 'DNAT', 'DNAT', '10.0.0.5:80', dst='192.0.2.1', proto='tcp', dport=9000, each=True)
    runs = _sets.group([third, host, first], Rule)
    assert [r.keys for r in runs] == [('proto', 'dport'), ('dst', 'proto', 'dport'), ('proto', 'dport')]
    plain = Rule('filter', 'FORWARD', 'ACCEPT', oif='br0')
    assert _sets.group([third, plain, first], Rule)[1] is plain


def test_ipv6_elements_are_written_as_nft_lists_them():
    rule = Rule('nat', 'DNAT', 'DNAT', '[fd00:30:0:0::2]:80', family=6, proto='tcp', dport=8080, each=True)
    run, = _sets.group([rule], Rule)
    assert _sets.sets(run)[run.name + '_addr'] == ({'type': ['inet_proto', 'inet_service'], 'kind': 'map', 'map': 'ipv6_addr'},
                                                   {('tcp', 8080): [{'concat': ['tcp', 8080]}, 'fd00:30::2']})
    drop = Rule('raw', 'PREROUTING', 'DROP', family=6, dst='fd00:30:0::3', iif='!br0', each=True)
    run, = _sets.group([drop], Rule)
    assert _sets.sets(run)[run.name] == ({'type': 'ipv6_addr', 'kind': 'set'}, {('fd00:30::3',): 'fd00:30::3'})


def test_trusted_interfaces_keep_one_run_of_accepts_before_the_drops():
    nets = network(3, trusted_host_interfaces=['wg0', 'wg1'])
    guard = [r for r in rules(nets) if r.table == 'raw' and r.match.get('dst', '').startswith('172.18.')]
    assert [r.target for r in guard] == ['ACCEPT'] * 6 + ['DROP'] * 3
    runs = _sets.group(guard, Rule)
    assert [(r.template.target, r.keys, len(r.elements)) for r in runs] == [('ACCEPT', ('iif', 'dst'), 6), ('DROP', ('dst',), 3)]


# -- the backend ---------------------------------------------------------------------------------------------
def test_one_container_added_and_removed_is_a_few_elements_without_a_listing(nft, tmp_path):
    root = str(tmp_path)
    small, big = network(1000), network(1001)
    texts, dummy = run({}, small, root)
    assert texts == ['apply nftables rule set (%d rules)' % len(rules(small))]
    assert sent(nft)[0] == {'add': {'table': {'family': 'ip', 'name': 'hostnet'}}}
    nft.calls.clear()
    texts, changes = run(small, big, root)
    cmds = sent(nft)
    assert len(cmds) == 5 and all('element' in cmd['add'] for cmd in cmds), cmds
    assert sum(len(cmd['add']['element']['elem']) for cmd in cmds) == 5
    assert listings(nft) == [], 'the generation says the kernel holds what the last apply wrote: nothing is listed'
    assert set(changes['nftables']['after']) - set(changes['nftables']['before']) == {
        'set filter_publish_accept_%s: br-web . 172.18.4.2 . tcp . 80' % name_of(nft, 'filter_publish_accept'),
        'set nat_postrouting_masquerade_%s: br-web . 172.18.4.2 . tcp . 80' % name_of(nft, 'nat_postrouting_masquerade'),
        'map nat_dnat_dnat_%s_addr: tcp . 21000 : 172.18.4.2' % name_of(nft, 'nat_dnat_dnat'),
        'map nat_dnat_dnat_%s_port: tcp . 21000 : 80' % name_of(nft, 'nat_dnat_dnat'),
        'set raw_prerouting_drop_%s: 172.18.4.2' % name_of(nft, 'raw_prerouting_drop')}
    assert run(big, big, root) == ([], {}), 'settled: nothing computed, nothing listed'
    assert listings(nft) == []
    nft.calls.clear()
    run(big, small, root)
    cmds = sent(nft)
    assert [next(iter(cmd)) for cmd in cmds] == ['delete'] * 5 and listings(nft) == []
    assert sorted_elements(nft.table) == sorted_elements(full_table(small, root))


def name_of(nft, prefix):
    names = [c['add'][k]['name'] for c in nft.table for k in ('set', 'map') if k in c['add'] and c['add'][k]['name'].startswith(prefix)]
    return names[0][len(prefix) + 1:].split('_')[0]


def sorted_elements(table):
    """A fake's table with its elements in one order (a delta adds at the end)."""
    table = copy.deepcopy(table)
    for cmd in table:
        for kind in ('set', 'map'):
            if kind in cmd['add']:
                cmd['add'][kind]['elem'] = sorted(cmd['add'][kind].get('elem', []), key=json.dumps)
    return table


def full_table(nets, root):
    """The table a fresh apply of ``nets`` makes (on a fake of its own)."""
    fake = nft_fake.FakeNft()
    be = _firewall_nftables.Nftables(root + '-fresh')
    old = _firewall_nftables.nft_json, _firewall_nftables.generation
    _firewall_nftables.nft_json, _firewall_nftables.generation = fake, fake.generation
    try:
        be.apply(rules(nets))
    finally:
        _firewall_nftables.nft_json, _firewall_nftables.generation = old
    return fake.table


def test_after_anyone_elses_transaction_the_tables_are_listed_and_the_delta_taken_from_them(nft, tmp_path):
    root = str(tmp_path)
    small, big = network(20), network(21)
    run({}, small, root)
    nft.gen += 1  # Docker, firewalld or a user changed some table
    nft.calls.clear()
    run(small, big, root)
    assert listings(nft) == [('list', 'table', 'ip', 'hostnet')]
    assert all('element' in cmd['add'] for cmd in sent(nft))
    # An element removed by hand is put back by itself, from the listing.
    dnat = [c['add']['map'] for c in nft.table if 'map' in c['add'] and c['add']['map']['name'].endswith('_addr')][0]
    gone = dnat['elem'].pop(3)
    nft.gen += 1
    assert _firewall_nftables.Nftables(root).differs(rules(big))
    run(big, big, root)
    assert sent(nft) == [{'add': {'element': {'family': 'ip', 'table': 'hostnet', 'name': dnat['name'], 'elem': [gone]}}}]
    # An element of the wrong data is replaced: deleted by its key, added again.
    dnat = [c['add']['map'] for c in nft.table if 'map' in c['add'] and c['add']['map']['name'] == dnat['name']][0]
    right = copy.deepcopy(dnat['elem'][0])
    dnat['elem'][0][1] = '172.18.9.9'
    nft.gen += 1
    run(big, big, root)
    assert sent(nft) == [{'delete': {'element': {'family': 'ip', 'table': 'hostnet', 'name': dnat['name'], 'elem': [right[0]]}}},
                         {'add': {'element': {'family': 'ip', 'table': 'hostnet', 'name': dnat['name'], 'elem': [right]}}}]
    assert sorted_elements(nft.table) == sorted_elements(full_table(big, root))


def test_a_changed_shape_replaces_the_tables(nft, tmp_path):
    root = str(tmp_path)
    run({}, network(3), root)
    internal = network(3, internal=True)
    run(network(3), internal, root)
    assert sent(nft)[0] == {'delete': {'table': {'family': 'ip', 'name': 'hostnet'}}}
    # A rule changed by hand in a chain of ours is drift: the tables are made again.
    nft.table = [c for c in nft.table if 'masquerade' not in json.dumps(c)] + [
        {'add': {'rule': {'family': 'ip', 'table': 'hostnet', 'chain': 'postrouting', 'expr': [{'accept': None}]}}}]
    nft.gen += 1
    assert _firewall_nftables.Nftables(root).differs(rules(internal))
    run(internal, internal, root)
    assert nft.table == full_table(internal, root)


def test_a_run_killed_after_its_transaction_leaves_a_record_that_lists_the_tables(nft, tmp_path, monkeypatch):
    root = str(tmp_path)
    run({}, network(3), root)
    real = nft.__call__

    def killed(*args, data=None):
        out = real(*args, data=data)
        if args == ('-f', '-'):
            raise KeyboardInterrupt  # the run dies right after nft
        return out
    monkeypatch.setattr(_firewall_nftables, 'nft_json', killed)
    with pytest.raises(KeyboardInterrupt):
        _firewall_nftables.Nftables(root).apply(rules(network(4)))
    monkeypatch.setattr(_firewall_nftables, 'nft_json', nft)
    be = _firewall_nftables.Nftables(root)
    key = _firewall.rules_key('nftables', network(3), {})
    assert not be.settled(key), 'nft made the next generation: the record of the one before is no longer current'
    nft.calls.clear()
    run(network(4), network(3), root)  # the documents still say 3: the kernel holds 4, as a listing shows
    assert listings(nft) and [next(iter(cmd)) for cmd in sent(nft)] == ['delete'] * 5
    assert sorted_elements(nft.table) == sorted_elements(full_table(network(3), root))


def test_a_generation_counts_in_one_boot_and_namespace_only(nft, tmp_path, monkeypatch):
    """After a reboot the generation starts again: the same number then says nothing about the tables."""
    root = str(tmp_path)
    nets = network(2)
    run({}, nets, root)
    key = _firewall.rules_key('nftables', nets, {})
    assert _firewall_nftables.Nftables(root).settled(key)
    boot, inode = _firewall_nftables._where()  # pylint: disable=protected-access
    monkeypatch.setattr(_firewall_nftables, '_where', lambda: ['another boot', inode])
    assert not _firewall_nftables.Nftables(root).settled(key)
    monkeypatch.setattr(_firewall_nftables, '_where', lambda: [boot, inode + 1])
    assert not _firewall_nftables.Nftables(root).settled(key)
    nft.table = None  # the kernel lost the tables (a reboot): a listing finds them missing and they are made again
    run(nets, nets, root)
    assert sorted_elements(nft.table) == sorted_elements(full_table(nets, root))


def test_settled_after_its_own_apply_only(nft, tmp_path):
    root = str(tmp_path)
    nets = network(2)
    run({}, nets, root)
    key = _firewall.rules_key('nftables', nets, {})
    assert _firewall_nftables.Nftables(root).settled(key)
    assert not _firewall_nftables.Nftables(root).settled(_firewall.rules_key('nftables', network(3), {}))
    nft.gen += 1
    assert not _firewall_nftables.Nftables(root).settled(key), 'a transaction of anyone since'
    assert _firewall_nftables.Nftables.settled_record() is None
