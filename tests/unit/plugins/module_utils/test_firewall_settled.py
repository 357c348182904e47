# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The iptables backend's settled record: a run whose documents (and rule code) are those of the last apply, with the
kernel listing what that apply wrote, computes no rule; anything else takes the full comparison."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils import nft_fake

NET = {'name': 'web', 'driver': 'bridge', 'bridge': 'br-web', 'subnet': '172.18.0.0/16', 'firewall': True, 'firewall_backend': 'iptables',
       'icc': True, 'ip_masquerade': True, 'internal': False, 'ip_forward': True,
       'endpoints': {'c1': {'ip': '172.18.0.2',
                            'publish': [{'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp', 'auto': False}]}}}


def save_text(rules):
    """What iptables-save lists once ``rules`` are applied (and a foreign chain beside them)."""
    lines = _firewall_iptables.wanted_lines(_firewall_rules.by_family(rules, 4))
    out = []
    for table in ('filter', 'nat', 'raw'):
        mine = [line.split(' ', 1)[1] for line in lines if line.split(' ', 1)[0] == table]
        out += ['*' + table, ':FORWARD ACCEPT [12:3456]', ':DOCKER - [0:0]'] + [line for line in mine if line.startswith(':')]
        out += ['-A DOCKER -j RETURN'] + [line for line in mine if not line.startswith(':')] + ['COMMIT']
    return '\n'.join(out) + '\n'


class Host:
    """A host whose iptables-save lists ``self.save``, whose restores are counted, and which has no iptables-nft."""

    def __init__(self, monkeypatch, tmp_path):
        self.root = str(tmp_path)
        self.save = ''
        self.runs = []
        monkeypatch.setattr(_firewall_rules, '_run', self.run)
        monkeypatch.setattr(_firewall_rules, 'command_exists', lambda name: name.startswith('iptables'))
        monkeypatch.setattr(_firewall, '_plan_sysctls', lambda *args, **kwargs: None)

    def run(self, argv, data=None):
        self.runs.append(argv[0])
        if argv[0] == 'iptables-save':
            return self.save
        if argv[0] == 'iptables-restore':
            self.restored = data
        return 'iptables v1.8.9 (legacy)' if argv[:2] == ['iptables', '-V'] else ''

    def plan(self, networks):
        """Plan from ``networks`` (old and new the same): (plan, firewall changes)."""
        plan = _plan.Plan()
        changes = _firewall.plan(plan, None, networks, networks, {}, {}, self.root)
        return plan, changes

    def apply(self, networks):
        plan, dummy = self.plan(networks)
        plan.execute()
        self.save = save_text(_firewall_rules.desired_rules(networks, {}, 'iptables'))


@pytest.fixture
def host(monkeypatch, tmp_path):
    return Host(monkeypatch, tmp_path)


@pytest.fixture
def computed(monkeypatch):
    """Every call of desired_rules, by backend."""
    calls = []
    real = _firewall_rules.desired_rules

    def spy(networks, nats, backend):
        calls.append(backend)
        return real(networks, nats, backend)
    monkeypatch.setattr(_firewall_rules, 'desired_rules', spy)
    return calls


def test_an_apply_records_its_key_and_a_rerun_computes_no_rule(host, computed):
    nets = {'web': NET}
    host.apply(nets)
    record = _store.load(_firewall_rules.FW_KIND, _firewall_iptables.SETTLED, host.root)
    assert record['key'] == _firewall.rules_key('iptables', nets, {}) and record['v6'] is False
    computed.clear()
    plan, changes = host.plan(nets)
    assert not plan and changes == {}
    assert computed == [], 'the settled record answered: no rule computed'
    assert host.runs.count('iptables-save') == 2, 'the kernel is still read (one save per plan)'


def test_a_rule_changed_by_hand_is_found_and_repaired(host, computed):
    nets = {'web': NET}
    host.apply(nets)
    host.save = host.save.replace('--dport 80 ', '--dport 81 ')
    computed.clear()
    plan, changes = host.plan(nets)
    assert 'iptables' in computed and plan and 'iptables' in changes
    plan.execute()
    assert '--dport 80 ' in host.restored


def test_other_documents_or_a_killed_run_take_the_full_comparison(host, computed):
    nets = {'web': NET}
    host.apply(nets)
    more = copy.deepcopy(nets)
    more['web']['endpoints']['c2'] = {'ip': '172.18.0.3', 'publish': []}
    computed.clear()
    plan, dummy = host.plan(more)
    assert 'iptables' in computed and plan, 'another network document: another key'
    # A run killed between its restore and its record: the record says pending, the rule set is applied again.
    _store.save(_firewall_rules.FW_KIND, 'iptables', {'pending': []}, host.root)
    computed.clear()
    plan, dummy = host.plan(nets)
    assert 'iptables' in computed and plan


def test_a_rolled_back_apply_puts_the_record_back_as_it_was(host):
    nets = {'web': NET}
    host.apply(nets)
    prior = _store.load(_firewall_rules.FW_KIND, _firewall_iptables.SETTLED, host.root)
    more = copy.deepcopy(nets)
    more['web']['endpoints']['c2'] = {'ip': '172.18.0.3', 'publish': []}
    plan = _plan.Plan()
    _firewall.plan(plan, None, nets, more, {}, {}, host.root)

    def refused():
        raise OSError(5, 'the kernel refused')
    plan.add('a later step that fails', refused)
    with pytest.raises(_plan.PlanFailed):
        plan.execute()
    assert _store.load(_firewall_rules.FW_KIND, _firewall_iptables.SETTLED, host.root) == prior


def test_an_apply_without_a_key_and_an_empty_rule_set_leave_no_record(host):
    nets = {'web': NET}
    host.apply(nets)
    be = _firewall_iptables.Iptables(host.root)
    be.apply(_firewall_rules.desired_rules(nets, {}, 'iptables'))  # an undo: it has no key
    assert _store.load(_firewall_rules.FW_KIND, _firewall_iptables.SETTLED, host.root) is None
    host.apply(nets)
    host.apply({})
    assert _store.load(_firewall_rules.FW_KIND, _firewall_iptables.SETTLED, host.root) is None, 'teardown leaves no record'


def test_the_key_follows_the_documents_the_backend_and_the_rule_code(monkeypatch):
    nets = {'web': NET}
    key = _firewall.rules_key('iptables', nets, {})
    assert key == _firewall.rules_key('iptables', copy.deepcopy(nets), {})
    assert key != _firewall.rules_key('nftables', nets, {})
    assert key != _firewall.rules_key('iptables', nets, {'n1': {'kind': 'dnat', 'firewall_backend': 'iptables'}})
    # What the backend's rules are not computed from: another backend's networks and nat_rules, a macvlan network.
    others = dict(nets, nft=dict(NET, name='nft', firewall_backend='nftables'), mac={'name': 'mac', 'driver': 'macvlan'})
    assert key == _firewall.rules_key('iptables', others, {'n2': {'kind': 'dnat', 'firewall_backend': 'nftables'}})
    # An overlay is, whichever backend has it: its peers guard the VXLAN port on every backend.
    assert key != _firewall.rules_key('iptables', dict(nets, ov=dict(NET, name='ov', driver='overlay', firewall_backend='nftables')), {})
    monkeypatch.setattr(_firewall, '_code_digest', ['another version of the rule code'])
    assert key != _firewall.rules_key('iptables', nets, {})
    # Code whose source its loader cannot give: nothing is ever settled.
    monkeypatch.setattr(_firewall, '_code_digest', [])
    monkeypatch.setattr(_firewall, '_RULE_CODE', (object(),))
    assert _firewall.rule_code_digest() is None and _firewall.rules_key('iptables', nets, {}) is None


def test_a_rolled_back_nftables_apply_puts_the_old_rule_set_back(monkeypatch, tmp_path):
    """The undo of a firewall step hands the backend the record it found: nftables keeps none, and takes the call."""
    nft = nft_fake.install(monkeypatch)
    monkeypatch.setattr(_firewall_rules, 'command_exists', lambda name: name == 'nft')
    monkeypatch.setattr(_firewall, '_plan_sysctls', lambda *args, **kwargs: None)
    old = {'web': dict(NET, firewall_backend='nftables')}
    _firewall_nftables.Nftables(str(tmp_path)).apply(_firewall_rules.desired_rules(old, {}, 'nftables'))
    before = copy.deepcopy(nft.table)
    new = copy.deepcopy(old)
    new['web']['endpoints']['c2'] = {'ip': '172.18.0.3', 'publish': []}
    plan = _plan.Plan()
    _firewall.plan(plan, None, old, new, {}, {}, str(tmp_path))

    def refused():
        raise OSError(5, 'the kernel refused')
    plan.add('a later step that fails', refused)
    with pytest.raises(_plan.PlanFailed) as failed:
        plan.execute()
    assert 'rolled back' in str(failed.value), str(failed.value)
    assert nft.table == before
