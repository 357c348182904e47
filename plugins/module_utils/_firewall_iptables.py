# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The iptables backend: the collection's HOSTNET-* chains, read with iptables-save and applied with one iptables-
restore --noflush.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _store


class Iptables:
    """The HOSTNET-* chains of iptables, read with iptables-save and written with iptables-restore --noflush."""

    name = 'iptables'

    def __init__(self, root=None):
        self.root = root
        self._current = None
        self._reading = None

    def prefetch(self):
        """Start iptables-save now, in its own process, so it runs while the caller reads the kernel's links."""
        if self._current is None and self._reading is None and _firewall_rules.command_exists('iptables-save'):
            exe = shutil.which('iptables-save', path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')
            self._reading = subprocess.Popen([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def _save(self):
        reading, self._reading = self._reading, None
        if reading is None:
            return _firewall_rules._run(['iptables-save'])
        out, err = reading.communicate()
        if reading.returncode != 0:
            raise _firewall_rules.FirewallError('iptables-save failed (exit %d): %s' % (reading.returncode, (err or out).strip()))
        return out

    def read(self):
        """{table: {'chains': [names], 'rules': ['-A ...'], 'builtin_jumps': {'-A X -j HOSTNET-Y': count},
        'user': ['-A HOSTNET-USER ...']}} of what the collection owns."""
        if self._current is not None:
            return self._current
        text = self._save()
        state = {}
        table = None
        for line in text.splitlines():
            if line.startswith('*'):
                table = state.setdefault(line[1:], {'chains': [], 'rules': [], 'builtin_jumps': {}, 'user': []})
            elif table is None:
                continue
            elif line.startswith(':HOSTNET-'):
                table['chains'].append(line[1:].split()[0])
            elif line.startswith('-A HOSTNET-USER '):
                table['user'].append(line)
            elif line.startswith('-A HOSTNET-'):
                table['rules'].append(line)
            elif line.startswith('-A ') and ' -j HOSTNET-' in line:
                table['builtin_jumps'][line] = table['builtin_jumps'].get(line, 0) + 1
        self._current = state
        return state

    def owned(self):
        """What the collection owns now, as sorted text lines (for comparison and diffs)."""
        out = []
        for table, st in sorted(self.read().items()):
            for chain in st['chains']:
                if chain != _firewall_rules.ipt_chain(_firewall_rules.USER_CHAIN) or st['rules'] or st['builtin_jumps']:
                    out.append('%s :%s' % (table, chain))
            out += ['%s %s' % (table, r) for r in st['rules']]
            for line, count in sorted(st['builtin_jumps'].items()):
                out += ['%s %s' % (table, line)] * count
        return out

    @staticmethod
    def wanted(rules):
        out = []
        chains = _firewall_rules.used_chains(rules)
        by_table = {}
        for table, chain in chains:
            by_table.setdefault(table, []).append(chain)
        for table in sorted(by_table):
            for chain in sorted(by_table[table]):
                out.append('%s :%s' % (table, _firewall_rules.ipt_chain(chain)))
            out += ['%s %s' % (table, r.iptables()) for r in rules if r.table == table]
            for chain in sorted(by_table[table]):
                hook = _firewall_rules.CHAINS[(table, chain)]
                if hook:
                    out.append('%s -A %s -j %s' % (table, hook, _firewall_rules.ipt_chain(chain)))
        return out

    def differs(self, rules):
        return sorted(self.owned()) != sorted(self.wanted(rules))

    def restore_input(self, rules):
        current = self.read()
        chains = _firewall_rules.used_chains(rules)
        blocks = []
        for table in _firewall_rules.TABLES:
            st = current.get(table, {'chains': [], 'rules': [], 'builtin_jumps': {}, 'user': []})
            wanted = sorted(c for t, c in chains if t == table)
            if not wanted and not st['chains'] and not st['builtin_jumps']:
                continue
            lines = ['*' + table]
            user = _firewall_rules.ipt_chain(_firewall_rules.USER_CHAIN)
            for chain in wanted:
                name = _firewall_rules.ipt_chain(chain)
                if name == user and name in st['chains']:
                    continue  # the user's chain: never flushed
                lines.append(':%s - [0:0]' % name)
            wanted_names = {_firewall_rules.ipt_chain(c) for c in wanted}
            obsolete = []
            for name in st['chains']:
                if name in wanted_names or (name == user and st['user']):
                    continue  # still needed, or the user still keeps rules in the hook chain
                obsolete.append(name)
                if name != user:
                    lines.append(':%s - [0:0]' % name)  # flushed first: chains refer to each other
            lines += [r.iptables() for r in rules if r.table == table]
            builtin = _firewall_rules.CHAINS
            wanted_jumps = {'-A %s -j %s' % (builtin[(table, c)], _firewall_rules.ipt_chain(c)) for c in wanted if builtin[(table, c)]}
            for line, count in sorted(st['builtin_jumps'].items()):
                extra = count - (1 if line in wanted_jumps else 0)
                lines += ['-D' + line[2:]] * extra
            for line in sorted(wanted_jumps):
                if line not in st['builtin_jumps']:
                    lines.append('-I' + line[2:].replace(' -j ', ' 1 -j ', 1))
            lines += ['-X %s' % name for name in obsolete]
            lines.append('COMMIT')
            blocks.append('\n'.join(lines))
        return '\n'.join(blocks) + '\n' if blocks else ''

    def apply(self, rules):
        """One restore for every table.

        iptables-nft creates tables and built-in chains in the kernel on first use and never removes them.
        What it created for the collection is recorded and deleted again once the collection's last rule
        in that table is gone and the object is empty, so teardown returns the ruleset to what it was.
        """
        nft = 'nf_tables' in _firewall_rules._run(['iptables', '-V'])
        rec = _store.load(_firewall_rules.FW_KIND, 'iptables', self.root) or {}
        created = {tuple(obj) for obj in rec.get('created') or []}
        data = self.restore_input(rules)
        if rec.get('pending') is not None:
            # A run was killed between its restore and recording what the restore created: what existed before that
            # restore is in the record, so its creations are still found.
            before = {tuple(obj) for obj in rec['pending']}
        else:
            before = _firewall_nftables.nft_objects() if nft else set()
            if nft and data:
                _store.save(_firewall_rules.FW_KIND, 'iptables', dict(rec, pending=sorted(list(obj) for obj in before)), self.root)
        self._current = None
        if data:
            try:
                _firewall_rules._run(['iptables-restore', '--noflush', '-w', '10'], data)
            except _firewall_rules.FirewallError:
                if rec.get('pending') is None and nft:  # the restore changed nothing: the record is as it was
                    if rec:
                        _store.save(_firewall_rules.FW_KIND, 'iptables', rec, self.root)
                    else:
                        _store.delete(_firewall_rules.FW_KIND, 'iptables', self.root)
                raise
        if nft:
            after = _firewall_nftables.nft_objects()
            created = {obj for obj in created | (after - before) if obj in after}
            in_use = {table for table, dummy in _firewall_rules.used_chains(rules)}
            for obj in sorted(created, key=len, reverse=True):  # chains before their tables
                if obj[0] in in_use:
                    continue
                if len(obj) == 2 and _firewall_nftables.nft_chain_empty(*obj):
                    _firewall_rules._run(['nft', 'delete', 'chain', 'ip', obj[0], obj[1]])
                    created.discard(obj)
                elif len(obj) == 1 and not any(len(o) == 2 and o[0] == obj[0] for o in _firewall_nftables.nft_objects()):
                    _firewall_rules._run(['nft', 'delete', 'table', 'ip', obj[0]])
                    created.discard(obj)
        self._current = None
        if created:
            _store.save(_firewall_rules.FW_KIND, 'iptables', {'created': sorted(list(obj) for obj in created)}, self.root)
        elif rec or (nft and data):
            _store.delete(_firewall_rules.FW_KIND, 'iptables', self.root)

    def forget(self):
        self._current = None

    def interrupted(self):
        """True when a run was killed between a restore and recording what it created: apply again to finish."""
        return (_store.load(_firewall_rules.FW_KIND, 'iptables', self.root) or {}).get('pending') is not None
