# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nftables backend: the collection's own hostnet table, replaced in one nft transaction."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _store


def nft_objects():
    """('table',) and ('table', 'chain') of the ip-family tables iptables-nft uses (filter, nat, raw)."""
    objs = set()
    table = None
    for line in _firewall_rules._run(['nft', 'list', 'chains', 'ip']).splitlines():
        words = line.split()
        if words[:2] == ['table', 'ip'] and words[2] in _firewall_rules.TABLES:
            table = words[2]
            objs.add((table,))
        elif words[:2] == ['table', 'ip']:
            table = None
        elif table and words and words[0] == 'chain':
            objs.add((table, words[1]))
    return objs


def nft_chain_empty(table, chain):
    """A chain with no rules (only its hook line) and an accept policy."""
    for line in _firewall_rules._run(['nft', 'list', 'chain', 'ip', table, chain]).splitlines()[2:]:
        words = line.strip()
        if not words or words == '}':
            continue
        if words.startswith('type ') and 'policy accept' in words:
            continue
        return False
    return True


class Nftables:
    """The ``ip hostnet`` table, replaced in one nft transaction; the chain ``user`` keeps its rules."""

    name = 'nftables'

    def __init__(self, root=None):
        self.root = root
        self._listing = None

    def listing(self):
        """(text of the table without the user chain's rules, the user chain's rule lines); ('', []) when absent."""
        if self._listing is not None:
            return self._listing
        exe = shutil.which('nft', path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') or 'nft'
        res = subprocess.run([exe, 'list', 'table', 'ip', _firewall_rules.NFT_TABLE], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            if 'No such file' in res.stderr or 'does not exist' in res.stderr:
                self._listing = ('', [])
                return self._listing
            raise _firewall_rules.FirewallError('nft list table ip %s failed: %s' % (_firewall_rules.NFT_TABLE, res.stderr.strip()))
        kept, user, in_user = [], [], False
        for line in res.stdout.splitlines():
            stripped = line.strip()
            if stripped == 'chain user {':
                in_user = True
                kept.append(line)
                continue
            if in_user:
                if stripped == '}':
                    in_user = False
                    kept.append(line)
                elif stripped:
                    user.append(stripped)
                continue
            kept.append(line)
        self._listing = ('\n'.join(kept), user)
        return self._listing

    @staticmethod
    def script(rules, user_rules):
        """The whole table (the user chain with its rules), or None when nothing is left to hold."""
        chains = _firewall_rules.used_chains(rules)
        if not rules and not user_rules:
            return None
        body = []
        for key, (name, base) in _firewall_rules.NFT_CHAINS.items():
            if key not in chains and not (name == 'user' and user_rules):
                continue
            lines = ['\tchain %s {' % name]
            if base:
                lines.append('\t\t' + base)
            if name == 'user':
                lines += ['\t\t' + r for r in user_rules]
            lines += ['\t\t' + r.nft() for r in rules if (r.table, r.chain) == key]
            lines.append('\t}')
            body.append('\n'.join(lines))
        return 'table ip %s {\n%s\n}\n' % (_firewall_rules.NFT_TABLE, '\n'.join(body))

    def recorded(self):
        return _store.load(_firewall_rules.FW_KIND, 'nftables', self.root) or {}

    def differs(self, rules):
        text, user = self.listing()
        script = self.script(rules, user)
        if script is None:
            return bool(text) or bool(self.recorded())  # the record outlived the table: a run was killed in between
        rec = self.recorded()
        return rec.get('script') != _hash(script) or rec.get('listing') != _hash(text)

    def owned(self):
        return [ln for ln in self.listing()[0].splitlines() if ln.strip()]

    @staticmethod
    def wanted(rules):
        script = Nftables.script(rules, [])
        return [ln for ln in (script or '').splitlines() if ln.strip()]

    def apply(self, rules):
        text, user = self.listing()
        script = self.script(rules, user)
        data = ''
        if text:
            data = 'delete table ip %s\n' % _firewall_rules.NFT_TABLE
        if script:
            data += script
        if data:
            _firewall_rules._run(['nft', '-f', '-'], data)
        self._listing = None
        if script:
            _store.save(_firewall_rules.FW_KIND, 'nftables', {'script': _hash(script), 'listing': _hash(self.listing()[0])}, self.root)
        else:
            _store.delete(_firewall_rules.FW_KIND, 'nftables', self.root)

    def forget(self):
        self._listing = None

    @staticmethod
    def interrupted():
        return False  # one nft transaction, and the record of it is compared on every run (differs)


def _hash(text):
    return hashlib.sha256(text.encode()).hexdigest()
