# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The iptables backend: the collection's HOSTNET-* chains, read with iptables-save and applied with one iptables-
restore --noflush (iptables' own transaction interface).

Declaring a chain in a --noflush restore flushes that chain and nothing else, so only HOSTNET-* chains and the jumps
to them from the built-in chains are ever written; the user's chains and rules, and a running Docker's, are kept.  Of
ours, only a chain that changes is written, and in place: the rules that change are deleted and inserted by position,
a chain flushed and written again only when most of it changes (so the cost of a run follows its change, not the size
of the rule set, and every rule that stays keeps matching the whole time).
Rules are rendered in iptables-save's canonical form, so the kernel's listing compares line by line with the desired one.
The IPv6 rules (the IPv6 side of networks with enable_ipv6, an overlay's VXLAN guard on an IPv6 underlay) go the same
way through ip6tables-restore --noflush: the same HOSTNET-* chains in ip6tables' raw, nat and filter tables, reached
from the same built-in chains, read with ip6tables-save only while there are IPv6 rules to have or the record
'ip6tables' says there are some.  An IPv6 DNAT's destination is written '[address]:port', as ip6tables-save lists it.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _store

_FLAGS = (('src', '-s'), ('dst', '-d'), ('iif', '-i'), ('oif', '-o'))
USER = 'HOSTNET-' + _firewall_rules.USER_CHAIN
SETTLED = 'iptables-settled'  # the record of the last apply: the key of its documents, the digest of its lines
# The restores of each command this process ran.  A listing read before the last one is read again before it is edited:
# a plan of several networks (the container module's) applies one rule set after another, each planned from a listing
# read before any of them ran, and the edits (_splice) are by position.
_RESTORES = {'iptables': 0, 'ip6tables': 0}


def ipt_chain(logical):
    return 'HOSTNET-' + logical


# -- rendering the rule model --------------------------------------------------------------------
def _interfaces_and_addresses(match, family=4):
    out = []
    for key, flag in _FLAGS:
        value = match.get(key)
        if value is None:
            continue
        neg = value.startswith('!')
        value = value.lstrip('!')
        if key in ('src', 'dst') and '/' not in value:
            value += '/128' if family == 6 else '/32'
        out += (['!'] if neg else []) + [flag, value]
    return out


def _protocol_and_state(match):
    out = []
    if match.get('proto'):
        out += ['-p', match['proto']]
        if match.get('dport'):
            out += ['-m', match['proto'], '--dport', str(match['dport'])]
    if match.get('ctstate'):
        out += ['-m', 'conntrack', '--ctstate', match['ctstate']]
    if match.get('dst_type'):
        out += ['-m', 'addrtype', '--dst-type', match['dst_type']]
    return out


def _target(rule):
    if rule.target == 'JUMP':
        return ['-j', ipt_chain(rule.arg)]
    if rule.target == 'DNAT':
        return ['-j', 'DNAT', '--to-destination', rule.arg]
    if rule.target == 'SNAT':
        return ['-j', 'SNAT', '--to-source', rule.arg]
    return ['-j', rule.target]


def render(rule):
    """The rule as iptables-save lists it ('-A HOSTNET-... -j ...'), made once per rule."""
    if rule.rendered is None or rule.rendered[0] != 'iptables':
        words = ['-A', ipt_chain(rule.chain)] + _interfaces_and_addresses(rule.match, rule.family) + _protocol_and_state(rule.match) + _target(rule)
        rule.rendered = ('iptables', ' '.join(words))
    return rule.rendered[1]


# -- reading the kernel ----------------------------------------------------------------------------
def _empty_table():
    return {'chains': [], 'rules': [], 'builtin_jumps': {}, 'user': []}


def parse_save(text):
    """What the collection owns in iptables-save output: {table: {'chains': [names], 'rules': ['-A ...'],
    'builtin_jumps': {'-A X -j HOSTNET-Y': count}, 'user': ['-A HOSTNET-USER ...']}}."""
    state = {}
    table = None
    for line in text.splitlines():
        if line.startswith('*'):
            table = state.setdefault(line[1:], _empty_table())
        elif table is None:
            continue
        elif line.startswith(':HOSTNET-'):
            table['chains'].append(line[1:].split()[0])
        elif line.startswith('-A %s ' % USER):
            table['user'].append(line)
        elif line.startswith('-A HOSTNET-'):
            table['rules'].append(line)
        elif line.startswith('-A ') and ' -j HOSTNET-' in line:
            table['builtin_jumps'][line] = table['builtin_jumps'].get(line, 0) + 1
    return state


# -- the restore input ------------------------------------------------------------------------------
def _declarations(st, wanted, rewritten):
    """New chains declared and the ``rewritten`` ones flushed first, the obsolete ones flushed first and deleted
    last: chains refer to each other.  A chain that stays is not declared (that would flush it): see _edits."""
    lines = [':%s - [0:0]' % ipt_chain(chain) for chain in wanted
             if ipt_chain(chain) not in st['chains'] or ipt_chain(chain) in rewritten]  # the user's chain: never flushed
    wanted_names = {ipt_chain(c) for c in wanted}
    obsolete = [name for name in st['chains'] if name not in wanted_names and not (name == USER and st['user'])]
    lines += [':%s - [0:0]' % name for name in obsolete if name != USER]
    return lines, obsolete


def _by_chain(lines):
    out = {}
    for line in lines:
        out.setdefault(line.split(' ', 2)[1], []).append(line)
    return out


def _edits(table, st, rules, wanted):
    """(the chains written again, the lines that make every wanted chain hold exactly its rules): a new chain's rules
    appended, an existing chain's changed rules deleted and inserted in place (_splice), a chain changed through most
    of its length flushed (see _declarations) and written again, an unchanged chain not touched.  A container added to
    a network of a thousand is then a few lines, whatever the size of the rule set."""
    have = _by_chain(st['rules'])
    want = _by_chain(render(r) for r in rules if r.table == table)
    rewritten, lines = set(), []
    for name in (ipt_chain(chain) for chain in wanted):
        old, new = have.get(name, []), want.get(name, [])
        if name not in st['chains']:
            lines += new
        elif old != new:
            splice = _splice(name, old, new)
            if splice is None:
                rewritten.add(name)
                splice = new
            lines += splice
    return rewritten, lines


def _splice(name, old, new):
    """The deletes and inserts (by position) that turn the chain's rules ``old`` into ``new``: what lies between the
    rules both start with and the rules both end with is replaced; None when those edits would outnumber the chain's
    rules (it is written again instead)."""
    start, most = 0, min(len(old), len(new))
    while start < most and old[start] == new[start]:
        start += 1
    end = 0
    while end < most - start and old[-1 - end] == new[-1 - end]:
        end += 1
    gone, added = len(old) - start - end, new[start:len(new) - end]
    if gone + len(added) >= len(new):
        return None
    head = len('-A %s ' % name)
    return ['-D %s %d' % (name, start + 1)] * gone + ['-I %s %d %s' % (name, start + 1 + i, line[head:]) for i, line in enumerate(added)]


def _jump_changes(table, st, wanted):
    """The built-in chains jump once, first, to each hooked chain of ours: extra jumps removed, missing ones inserted."""
    wanted_jumps = {'-A %s -j %s' % (_firewall_rules.CHAINS[(table, c)], ipt_chain(c)) for c in wanted if _firewall_rules.CHAINS[(table, c)]}
    lines = []
    for line, count in sorted(st['builtin_jumps'].items()):
        lines += ['-D' + line[2:]] * (count - (1 if line in wanted_jumps else 0))
    lines += ['-I' + line[2:].replace(' -j ', ' 1 -j ', 1) for line in sorted(wanted_jumps) if line not in st['builtin_jumps']]
    return lines


def _table_block(table, st, rules, wanted):
    """The restore input of one table, or None when it holds what is wanted already."""
    rewritten, edits = _edits(table, st, rules, wanted)
    declared, obsolete = _declarations(st, wanted, rewritten)
    lines = declared + edits + _jump_changes(table, st, wanted) + ['-X %s' % name for name in obsolete]
    return '\n'.join(['*' + table] + lines + ['COMMIT']) if lines else None


# -- iptables-nft's own objects ----------------------------------------------------------------------
_NFT_FAMILIES = {'ip': socket.AF_INET, 'ip6': socket.AF_INET6}  # nft's family names, as netlink numbers them


def _remove_created(created, rules, family='ip'):
    """Delete the tables and chains iptables-nft created for the collection once they are empty; return the rest."""
    in_use = {table for table, dummy in _firewall_rules.used_chains(rules)}
    left = set(created)
    for obj in sorted(created, key=len, reverse=True):  # chains before their tables
        if obj[0] in in_use:
            continue
        if len(obj) == 2 and _firewall_nftables.nft_chain_empty(*obj, family=family):
            _firewall_rules._run(['nft', 'delete', 'chain', family, obj[0], obj[1]])
            left.discard(obj)
        elif len(obj) == 1 and not any(len(o) == 2 and o[0] == obj[0] for o in _firewall_nftables.nft_objects(_NFT_FAMILIES[family])):
            _firewall_rules._run(['nft', 'delete', 'table', family, obj[0]])
            left.discard(obj)
    return left


def restore_text(current, rules):
    """One iptables-restore --noflush input for every table that holds (``current``, parse_save's) or will hold
    chains of ours."""
    chains = _firewall_rules.used_chains(rules)
    blocks = []
    for table in _firewall_rules.TABLES:
        st = current.get(table, _empty_table())
        wanted = sorted(c for t, c in chains if t == table)
        if wanted or st['chains'] or st['builtin_jumps']:
            blocks.append(_table_block(table, st, rules, wanted))
    blocks = [block for block in blocks if block]
    return '\n'.join(blocks) + '\n' if blocks else ''


def owned_lines(state):
    """What the collection owns in parse_save's ``state``, as text lines (for comparison and diffs)."""
    out = []
    for table, st in sorted(state.items()):
        for chain in st['chains']:
            if chain != USER or st['rules'] or st['builtin_jumps']:
                out.append('%s :%s' % (table, chain))
        out += ['%s %s' % (table, r) for r in st['rules']]
        for line, count in sorted(st['builtin_jumps'].items()):
            out += ['%s %s' % (table, line)] * count
    return out


def wanted_lines(rules):
    """The lines owned_lines gives once ``rules`` (of one family) are applied."""
    out = []
    by_table = {}
    for table, chain in _firewall_rules.used_chains(rules):
        by_table.setdefault(table, []).append(chain)
    for table in sorted(by_table):
        chains = sorted(by_table[table])
        out += ['%s :%s' % (table, ipt_chain(chain)) for chain in chains]
        out += ['%s %s' % (table, render(r)) for r in rules if r.table == table]
        out += ['%s -A %s -j %s' % (table, _firewall_rules.CHAINS[(table, chain)], ipt_chain(chain))
                for chain in chains if _firewall_rules.CHAINS[(table, chain)]]
    return out


class Ip6tables:
    """The IPv6 rules' part of the iptables backend (see Iptables): the HOSTNET-* chains of ip6tables, and the ip6
    objects ip6tables-nft made for them, recorded as 'ip6tables' (and removed again) as Iptables records its own."""

    def __init__(self, root=None):
        self.root = root
        self._current = None
        self._read_at = None  # _RESTORES['ip6tables'] when _current was read

    def record(self):
        return _store.load(_firewall_rules.FW_KIND, 'ip6tables', self.root)

    def read(self, rules=(), wanted=None):
        """parse_save() of ip6tables-save, read only while there are IPv6 rules to have (in ``rules``, or ``wanted``
        says so) or recorded ones; else {}."""
        if self._read_at is not None and self._read_at != _RESTORES['ip6tables']:
            self._current = None
        if self._current is None:
            self._read_at = _RESTORES['ip6tables']
            wanted = (_firewall_rules.by_family(rules, 6) if wanted is None else wanted) or self.record() is not None
            if wanted and not _firewall_rules.command_exists('ip6tables-save'):
                raise _firewall_rules.FirewallError('IPv6 rules (a network with enable_ipv6, an overlay on an IPv6 underlay) need '
                                                    'ip6tables, which this host lacks (ip6tables-save); install it or use firewall_backend nftables')
            self._current = parse_save(_firewall_rules._run(['ip6tables-save'])) if wanted else {}
        return self._current

    def owned(self):
        return ['ip6 ' + line for line in owned_lines(self._current or {})]

    @staticmethod
    def wanted(rules):
        return ['ip6 ' + line for line in wanted_lines(_firewall_rules.by_family(rules, 6))]

    def apply(self, rules):
        rules = _firewall_rules.by_family(rules, 6)
        rec = self.record() or {}
        if not rules and not rec:
            return
        data = restore_text(self.read(rules), rules)
        nft = 'nf_tables' in _firewall_rules._run(['ip6tables', '-V'])
        before = self._before(rec, nft)
        self._current = None
        if data:
            _RESTORES['ip6tables'] += 1
            _firewall_rules._run(['ip6tables-restore', '--noflush', '-w', '10'], data)
        created = {tuple(obj) for obj in rec.get('created') or []}
        if nft:
            after = _firewall_nftables.nft_objects(socket.AF_INET6)
            created = _remove_created({obj for obj in created | (after - before) if obj in after}, rules, 'ip6')
        if rules or created:
            _store.save(_firewall_rules.FW_KIND, 'ip6tables', {'created': sorted(list(obj) for obj in created)}, self.root)
        else:
            _store.delete(_firewall_rules.FW_KIND, 'ip6tables', self.root)

    def _before(self, rec, nft):
        """The ip6 objects that existed before this restore (those of a killed run's, as it recorded them)."""
        if rec.get('pending') is not None:
            return {tuple(obj) for obj in rec['pending']}
        before = _firewall_nftables.nft_objects(socket.AF_INET6) if nft else set()
        # Recorded before the restore: a run killed after it still finds (and later removes) what it made.
        _store.save(_firewall_rules.FW_KIND, 'ip6tables', dict(rec, pending=sorted(list(obj) for obj in before)), self.root)
        return before

    def forget(self):
        self._current = None

    def interrupted(self):
        return (self.record() or {}).get('pending') is not None


class Iptables:
    """The HOSTNET-* chains of iptables, read with iptables-save and written with iptables-restore --noflush."""

    name = 'iptables'
    settles = True  # a rerun of the documents of the last apply may skip computing the rules (settled)

    def __init__(self, root=None):
        self.root = root
        self._current = None
        self._read_at = None  # _RESTORES['iptables'] when _current was read
        self._reading = None
        self._settled = False  # the settled record, not read yet
        self.v6 = Ip6tables(root)

    def prefetch(self):
        """Start iptables-save now, in its own process, so it runs while the caller reads the kernel's links."""
        if self._current is None and self._reading is None and _firewall_rules.command_exists('iptables-save'):
            exe = _firewall_rules.command_path('iptables-save')
            self._reading = subprocess.Popen([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            # The whole listing fits the pipe (~100 bytes a rule): iptables-save finishes while the caller reads the
            # kernel, instead of stopping at 64 KiB until it is read.
            _kernel.widen_pipe(self._reading.stdout.fileno())

    def _save(self):
        reading, self._reading = self._reading, None
        if reading is None:
            return _firewall_rules._run(['iptables-save'])
        out, err = reading.communicate()
        if reading.returncode != 0:
            raise _firewall_rules.FirewallError('iptables-save failed (exit %d): %s' % (reading.returncode, (err or out).strip()))
        return out

    def read(self):
        """parse_save() of the kernel's tables, read once (again after a restore: see _RESTORES)."""
        if self._read_at is not None and self._read_at != _RESTORES['iptables']:
            self._current = None
        if self._current is None:
            self._read_at = _RESTORES['iptables']
            self._current = parse_save(self._save())
        return self._current

    def owned(self):
        """What the collection owns now, as sorted text lines (for comparison and diffs); the IPv6 ones as read by
        the last differs()."""
        return owned_lines(self.read()) + self.v6.owned()

    @staticmethod
    def wanted(rules):
        return wanted_lines(_firewall_rules.by_family(rules, 4)) + Ip6tables.wanted(rules)

    def differs(self, rules, old=None):  # pylint: disable=unused-argument
        """The lines the kernel lists differ from the wanted ones (``old``, the rules before the run: Nftables')."""
        self.v6.read(rules)
        return sorted(self.owned()) != sorted(self.wanted(rules))

    def settled_record(self):
        """The record of the last settled apply (see settled), read once; None when there is none."""
        if self._settled is False:
            self._settled = _store.load(_firewall_rules.FW_KIND, SETTLED, self.root)
        return self._settled

    def settled(self, key):
        """Whether the kernel holds what the last apply wrote for ``key`` (_firewall.rules_key of the documents and the
        rule code): that apply recorded the key and the digest of its lines, and the lines the kernel lists now have
        that digest.  A run that changes nothing then neither computes nor renders a rule; anything else (another key,
        a rule changed by hand, a killed run) takes the full comparison (differs)."""
        rec = self.settled_record()
        if not rec or rec.get('key') != key or self.interrupted():
            return False
        self.read()
        self.v6.read(wanted=rec.get('v6'))
        if _digest(self.owned()) == rec.get('lines'):
            return True
        self.v6.forget()  # read for the record's rules: differs reads it again for the rules it is given
        return False

    def restore_input(self, rules):
        """One iptables-restore --noflush input for every table that holds or will hold chains of ours (IPv4)."""
        return restore_text(self.read(), _firewall_rules.by_family(rules, 4))

    def _restore(self, data, rec, nft):
        _RESTORES['iptables'] += 1
        try:
            _firewall_rules._run(['iptables-restore', '--noflush', '-w', '10'], data)
        except _firewall_rules.FirewallError:
            if rec.get('pending') is None and nft:  # the restore changed nothing: the record is as it was
                if rec:
                    _store.save(_firewall_rules.FW_KIND, 'iptables', rec, self.root)
                else:
                    _store.delete(_firewall_rules.FW_KIND, 'iptables', self.root)
            raise

    def _before(self, rec, nft, data):
        """The iptables-nft objects that existed before this restore, recorded before it runs."""
        if rec.get('pending') is not None:
            # A run was killed between its restore and recording what the restore created: what existed before that
            # restore is in the record, so its creations are still found.
            return {tuple(obj) for obj in rec['pending']}
        before = _firewall_nftables.nft_objects() if nft else set()
        if nft and data:
            _store.save(_firewall_rules.FW_KIND, 'iptables', dict(rec, pending=sorted(list(obj) for obj in before)), self.root)
        return before

    def apply(self, rules, key=None, record=None):
        """One restore for every table; with ``key`` (see settled) the apply is recorded as settled, or ``record`` (an
        undo's: the record as it was before the step) is put back.

        iptables-nft creates tables and built-in chains in the kernel on first use and never removes them.
        What it created for the collection is recorded and deleted again once the collection's last rule
        in that table is gone and the object is empty, so teardown returns the ruleset to what it was.
        """
        # Gone before the kernel changes: a run killed part-way (or an undo, which has no key) leaves no record to trust.
        _store.delete(_firewall_rules.FW_KIND, SETTLED, self.root)
        self._settled = False
        nft = 'nf_tables' in _firewall_rules._run(['iptables', '-V'])
        rec = _store.load(_firewall_rules.FW_KIND, 'iptables', self.root) or {}
        created = {tuple(obj) for obj in rec.get('created') or []}
        data = self.restore_input(rules)
        before = self._before(rec, nft, data)
        self._current = None
        if data:
            self._restore(data, rec, nft)
        if nft:
            after = _firewall_nftables.nft_objects()
            created = _remove_created({obj for obj in created | (after - before) if obj in after}, rules)
        self._current = None
        if created:
            _store.save(_firewall_rules.FW_KIND, 'iptables', {'created': sorted(list(obj) for obj in created)}, self.root)
        elif rec or (nft and data):
            _store.delete(_firewall_rules.FW_KIND, 'iptables', self.root)
        self.v6.apply(rules)
        self._settle(key, rules, record)

    def _settle(self, key, rules, record):
        """Record the apply of ``rules`` as settled for ``key`` (none without a key or rules: a teardown), or put
        ``record`` back.  A restore that succeeded leaves the kernel listing exactly the wanted lines (differs compares
        the same); a record names documents and lines, never the kernel, so an undo may put back the one it found."""
        if record is None and key is not None and rules:
            record = {'key': key, 'lines': _digest(self.wanted(rules)), 'v6': bool(_firewall_rules.by_family(rules, 6))}
        if record is not None:
            _store.save(_firewall_rules.FW_KIND, SETTLED, record, self.root)

    def forget(self):
        self._current = None
        self.v6.forget()

    def interrupted(self):
        """True when a run was killed between a restore and recording what it created: apply again to finish."""
        return (_store.load(_firewall_rules.FW_KIND, 'iptables', self.root) or {}).get('pending') is not None or self.v6.interrupted()


def _digest(lines):
    """The digest of a set of rule lines, in any order."""
    return hashlib.sha256('\n'.join(sorted(lines)).encode()).hexdigest()
