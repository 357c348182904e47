# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nftables backend: the collection's own ``ip hostnet`` table, read with ``nft -j list table`` and replaced with
``nft -j -f -`` (JSON in and out, nothing parsed from text) in one transaction.

Drift: the table as the kernel lists it after an apply (handles and counters removed, the user chain's rules left
out) is recorded with the command list that made it; a later listing or command list that differs is drift.  The
record compares the kernel with itself, so it holds whatever form a given nft version lists a rule in.

Only the table is ever written: every command names it, so a running Docker's tables and the user's are untouched.
The IPv6 rules (the IPv6 side of networks with enable_ipv6, an overlay's VXLAN guard on an IPv6 underlay) go to a
second table of the collection's own, ``ip6 hostnet6``, with the same chain layout (its own ``user`` chain kept as
the first table's); it is written in the same transaction, read and recorded beside the first, and goes when no
rule needs it.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _store

FAMILY = 'ip'
TABLE = 'hostnet'
FAMILY6 = 'ip6'
TABLE6 = 'hostnet6'
USER = 'user'

# Logical chain -> (nft chain, base chain hook or None).  One table, so chain names are unique across what iptables
# keeps in four tables.  Priorities as nft lists them: filter 0, dstnat -100, srcnat 100, mangle -150, raw -300.
CHAINS = {
    ('filter', 'FORWARD'): ('forward', {'type': 'filter', 'hook': 'forward', 'prio': 0, 'policy': 'accept'}),
    ('filter', 'INPUT'): ('input', {'type': 'filter', 'hook': 'input', 'prio': 0, 'policy': 'accept'}),
    ('filter', _firewall_rules.USER_CHAIN): (USER, None),
    ('filter', 'ISOLATION-1'): ('isolation_1', None),
    ('filter', 'ISOLATION-2'): ('isolation_2', None),
    ('filter', 'PUBLISH'): ('publish', None),
    ('nat', 'PREROUTING'): ('prerouting', {'type': 'nat', 'hook': 'prerouting', 'prio': -100, 'policy': 'accept'}),
    ('nat', 'OUTPUT'): ('output', {'type': 'nat', 'hook': 'output', 'prio': -100, 'policy': 'accept'}),
    ('nat', 'POSTROUTING'): ('postrouting', {'type': 'nat', 'hook': 'postrouting', 'prio': 100, 'policy': 'accept'}),
    ('nat', 'DNAT'): ('port_dnat', None),
    ('raw', 'PREROUTING'): ('raw_prerouting', {'type': 'filter', 'hook': 'prerouting', 'prio': -300, 'policy': 'accept'}),
    ('mangle', 'PREROUTING'): ('mangle_prerouting', {'type': 'filter', 'hook': 'prerouting', 'prio': -150, 'policy': 'accept'}),
}
_BASE_KEYS = ('type', 'hook', 'prio', 'policy')
_VERDICTS = {'ACCEPT': 'accept', 'DROP': 'drop', 'RETURN': 'return', 'MASQUERADE': 'masquerade'}
# The left-hand sides of matches, shared by every rule (never changed once built): a rule set of thousands of
# publishes then allocates only what differs between rules.
_LEFTS = {
    'src': {'payload': {'protocol': 'ip', 'field': 'saddr'}},
    'dst': {'payload': {'protocol': 'ip', 'field': 'daddr'}},
    'iif': {'meta': {'key': 'iifname'}},
    'oif': {'meta': {'key': 'oifname'}},
    'l4proto': {'meta': {'key': 'l4proto'}},
    'ctstatus': {'ct': {'key': 'status'}},
    'ctstate': {'ct': {'key': 'state'}},
    'fib': {'fib': {'result': 'type', 'flags': ['daddr']}},
}
# An IPv6 rule's addresses (the IPv6 VXLAN guard's peers).
_LEFTS6 = {'src': {'payload': {'protocol': 'ip6', 'field': 'saddr'}}, 'dst': {'payload': {'protocol': 'ip6', 'field': 'daddr'}}}
_DPORT = {proto: {'payload': {'protocol': proto, 'field': 'dport'}} for proto in ('tcp', 'udp', 'sctp')}


# -- rendering the rule model --------------------------------------------------------------------
def _match(left, right, negate=False, op='=='):
    return {'match': {'op': '!=' if negate else op, 'left': left, 'right': right}}


def _address(value):
    addr, dummy, length = value.partition('/')
    return {'prefix': {'addr': addr, 'len': int(length)}} if length else addr


def _interfaces_and_addresses(match, family=4):
    out = []
    lefts = dict(_LEFTS, **_LEFTS6) if family == 6 else _LEFTS
    for key in ('src', 'dst', 'iif', 'oif'):
        value = match.get(key)
        if value is not None:
            plain = value.lstrip('!')
            out.append(_match(lefts[key], _address(plain) if key in ('src', 'dst') else plain, value.startswith('!')))
    return out


def _protocol_and_state(match):
    out = []
    proto = match.get('proto')
    if proto and match.get('dport'):
        out.append(_match(_DPORT.get(proto) or {'payload': {'protocol': proto, 'field': 'dport'}}, match['dport']))
    elif proto:
        out.append(_match(_LEFTS['l4proto'], proto))
    if match.get('ctstate') == 'DNAT':
        out.append(_match(_LEFTS['ctstatus'], 'dnat', op='in'))
    elif match.get('ctstate'):
        states = sorted(match['ctstate'].lower().split(','))
        out.append(_match(_LEFTS['ctstate'], states if len(states) > 1 else states[0], op='in'))
    if match.get('dst_type'):
        out.append(_match(_LEFTS['fib'], match['dst_type'].lower()))
    return out


def _verdict(rule):
    if rule.target == 'JUMP':
        return {'jump': {'target': CHAINS[(rule.table, rule.arg)][0]}}
    if rule.target == 'DNAT':
        if rule.arg.startswith('['):  # '[fd00::2]:80'
            addr, dummy, port = rule.arg[1:].partition(']')
            port = port[1:]
        else:
            addr, dummy, port = rule.arg.partition(':')
        return {'dnat': dict({'addr': addr}, **({'port': int(port)} if port else {}))}
    if rule.target == 'SNAT':
        return {'snat': {'addr': rule.arg}}
    return _VERDICT_OBJECTS[rule.target]


_VERDICT_OBJECTS = {target: {verdict: None} for target, verdict in _VERDICTS.items()}


def render(rule):
    """The rule's nft JSON expression list, made once per rule."""
    if rule.rendered is None or rule.rendered[0] != 'nft':
        rule.rendered = ('nft', _interfaces_and_addresses(rule.match, rule.family) + _protocol_and_state(rule.match) + [_verdict(rule)])
    return rule.rendered[1]


def commands(rules, user_rules, present, present6=False, user_rules6=()):
    """The JSON command list that replaces the tables in one transaction: the chains the rules need (the user chain
    also while it holds the user's rules, which are put back as they were), or only their removal when nothing is left.
    ``present`` / ``present6``: the ip / ip6 table exists now (it is deleted first).  The IPv6 rules go to the ip6
    table, ``user_rules6`` to its user chain."""
    return (_table_commands(FAMILY, TABLE, _firewall_rules.by_family(rules, 4), user_rules, present) +
            _table_commands(FAMILY6, TABLE6, _firewall_rules.by_family(rules, 6), list(user_rules6), present6))


def _table_commands(family, name_, rules, user_rules, present):
    table = {'family': family, 'name': name_}
    cmds = [{'delete': {'table': table}}] if present else []
    if not rules and not user_rules:
        return cmds
    cmds.append({'add': {'table': table}})
    chains = _firewall_rules.used_chains(rules)
    wanted = [(key, name, base) for key, (name, base) in CHAINS.items() if key in chains or (name == USER and user_rules)]
    # Every chain before any rule: a jump names a chain that must exist already.
    cmds += [{'add': {'chain': dict(table=name_, family=family, name=name, **(base or {}))}} for dummy, name, base in wanted]
    for key, name, dummy in wanted:
        exprs = (user_rules if name == USER else []) + [render(r) for r in rules if (r.table, r.chain) == key]
        cmds += [{'add': {'rule': {'family': family, 'table': name_, 'chain': name, 'expr': expr}}} for expr in exprs]
    return cmds


# -- reading the kernel ----------------------------------------------------------------------------
def nft_json(*args, data=None):
    """The objects of an ``nft -j`` answer (metainfo dropped): [{'table': {...}}, {'chain': {...}}, {'rule': {...}}]."""
    out = _firewall_rules._run(['nft', '-j'] + list(args), data)
    return [obj for obj in json.loads(out or '{"nftables": []}').get('nftables', []) if 'metainfo' not in obj]


def normalised(table):
    """A table as read_table() gives it, without what changes by itself: counter values (handles are gone already)."""
    if table is None:
        return None
    return {'chains': table['chains'],
            'rules': {chain: [[{'counter': None} if 'counter' in stmt else stmt for stmt in expr] for expr in exprs]
                      for chain, exprs in table['rules'].items()}}


def read_table(family=FAMILY, name=TABLE):
    """{'chains': {name: base hook fields}, 'rules': {chain: [expr, ...]}} of the table, or None when it is absent."""
    try:
        objs = nft_json('list', 'table', family, name)
    except _firewall_rules.FirewallError as exc:
        if 'No such file' in str(exc) or 'does not exist' in str(exc):
            return None
        raise
    table = {'chains': {}, 'rules': {}}
    for obj in objs:
        if 'chain' in obj:
            chain = obj['chain']
            table['chains'][chain['name']] = {key: chain[key] for key in _BASE_KEYS if key in chain}
            table['rules'].setdefault(chain['name'], [])
        elif 'rule' in obj:
            rule = obj['rule']
            table['rules'].setdefault(rule['chain'], []).append(rule['expr'])  # the rule's handle stays behind
    return table


def nft_objects(family=socket.AF_INET):
    """('table',) and ('table', 'chain') of the tables iptables-nft uses (filter, nat, raw) in the ip family, or in
    ip6 (``socket.AF_INET6``: what ip6tables-nft uses for an IPv6 VXLAN guard)."""
    objs = {(attrs[1],) for attrs in nft_names(NFT_MSG_GETTABLE, (1,), family) if attrs.get(1) in _firewall_rules.TABLES}
    objs |= {(attrs[1], attrs[3]) for attrs in nft_names(NFT_MSG_GETCHAIN, (1, 3), family) if attrs.get(1) in _firewall_rules.TABLES}
    return objs


# Which tables and chains exist is read from nf_tables over netlink, names only: `nft list tables` loads every rule
# of the family first (tens of milliseconds with a thousand published ports, twice per iptables apply).
NETLINK_NETFILTER = 12
NFT_MSG_GETTABLE = 0x0a01  # (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE: attribute 1 the table's name
NFT_MSG_GETCHAIN = 0x0a04  # (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN: attributes 1 its table, 3 its name


def nft_names(msg_type, wanted, family=socket.AF_INET):
    """[{attribute type: string}] of every object an nf_tables dump of the ip (or ``family``) family answers, for the
    string attributes ``wanted``."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_NETFILTER)
    try:
        sock.bind((0, 0))
        return nft_dump(sock, msg_type, wanted, family)
    finally:
        sock.close()


def nft_dump(sock, msg_type, wanted, family=socket.AF_INET):
    """One dump on ``sock`` (see _kernel.dump): an nfgenmsg of the ip (or ``family``) family, no resource id."""
    def names(data, off, end):
        return {typ: codec._str(data, start, stop)  # pylint: disable=protected-access
                for typ, start, stop in codec._nlas(data, off + 4, end) if typ in wanted}  # pylint: disable=protected-access
    nfgenmsg = struct.pack('=BBH', family, 0, 0)
    try:
        return _kernel.dump(sock, codec.dump_head(msg_type, 1, len(nfgenmsg)) + nfgenmsg, 1, names)
    except _kernel.NetlinkError as exc:
        raise _firewall_rules.FirewallError('reading nf_tables failed: %s' % os.strerror(exc.code)) from exc


def nft_chain_empty(table, chain, family=FAMILY):
    """A chain with no rules and, for a base chain, an accept policy."""
    for obj in nft_json('list', 'chain', family, table, chain):
        if 'rule' in obj or obj.get('chain', {}).get('policy', 'accept') != 'accept':
            return False
    return True


# -- describing for diffs --------------------------------------------------------------------------
_LEFT = {
    'payload': lambda b: '%s %s' % (b['protocol'], b['field']),
    'meta': lambda b: b['key'] if b['key'] in ('iifname', 'oifname') else 'meta %s' % b['key'],
    'ct': lambda b: 'ct %s' % b['key'],
    'fib': lambda b: 'fib %s %s' % (' . '.join(b['flags']), b['result']),
    'prefix': lambda b: '%s/%s' % (b['addr'], b['len']),
}


def _value(value):
    if isinstance(value, list):
        return ','.join(_value(v) for v in value)
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _LEFT:
        kind, body = next(iter(value.items()))
        return _LEFT[kind](body)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _statement(stmt):
    kind, body = next(iter(stmt.items())) if len(stmt) == 1 else (None, stmt)
    if kind == 'match':
        op = '' if body['op'] in ('==', 'in') else body['op'] + ' '
        return '%s %s%s' % (_value(body['left']), op, _value(body['right']))
    if kind in ('jump', 'goto'):
        return '%s %s' % (kind, body['target'])
    if kind in ('dnat', 'snat') and isinstance(body, dict) and 'addr' in body:
        addr = '[%s]' % body['addr'] if ':' in str(body['addr']) and 'port' in body else body['addr']  # as nft writes IPv6 with a port
        return '%s to %s%s' % (kind, addr, ':%s' % body['port'] if 'port' in body else '')
    if kind and body is None:
        return kind
    return json.dumps(stmt, sort_keys=True)


def describe(expr):
    """One rule in words close to nft's own (for diffs and results; never read back)."""
    return ' '.join(_statement(stmt) for stmt in expr)


def table_lines(table):
    """A table ({'chains', 'rules'} without the user chain's rules) as text lines: a chain, then its rules."""
    lines = []
    for name, base in table['chains'].items():
        hook = ' { type %(type)s hook %(hook)s priority %(prio)s; policy %(policy)s; }' % base if base else ''
        lines.append('chain %s%s' % (name, hook))
        lines += ['%s: %s' % (name, describe(expr)) for expr in table['rules'].get(name, [])]
    return lines


def _desired_table(rules, family=FAMILY):
    """The table (of ``family``) the rules make, in read_table's form, or None when they need none."""
    table = {'chains': {}, 'rules': {}}
    for cmd in commands(rules, [], False):
        obj = cmd['add']
        if next(iter(obj.values()))['family'] != family:
            continue
        if 'chain' in obj:
            table['chains'][obj['chain']['name']] = {k: obj['chain'][k] for k in _BASE_KEYS if k in obj['chain']}
        elif 'rule' in obj:
            table['rules'].setdefault(obj['rule']['chain'], []).append(obj['rule']['expr'])
    return table if table['chains'] else None


class Nftables:
    """The ``ip hostnet`` table, replaced in one nft transaction; the chain ``user`` keeps its rules."""

    name = 'nftables'
    settles = False  # see Iptables.settled

    def __init__(self, root=None):
        self.root = root
        self._table = False  # not read yet (None: read, absent)
        self._table6 = False

    def prefetch(self):
        """Nothing to start early: one nft listing of a small table."""

    def read(self):
        if self._table is False:
            self._table = read_table()
        return self._table

    def read6(self, rules=()):
        """The ip6 table, listed only when this run wants IPv6 rules or the record says the table was made (an
        IPv4-only host never runs nft for it); None when absent."""
        if self._table6 is False:
            self._table6 = None
            if _firewall_rules.by_family(rules, 6) or self.recorded().get('table6'):
                self._table6 = read_table(FAMILY6, TABLE6)
        return self._table6

    def _user_rules(self, table=False):
        table = self.read() if table is False else table
        return list(table['rules'].get(USER, [])) if table else []

    def _owned_table(self, table=False):
        """The table as listed (the ip one unless ``table`` is given), without the user chain's rules (they belong to
        the user)."""
        table = self.read() if table is False else table
        if table is None:
            return None
        return {'chains': table['chains'], 'rules': {c: r for c, r in table['rules'].items() if c != USER}}

    def recorded(self):
        return _store.load(_firewall_rules.FW_KIND, 'nftables', self.root) or {}

    def differs(self, rules):
        """The rules the collection owns differ from the record of the last apply, or the table from its listing then.
        The user chain's rules are the user's: adding or removing them is no drift."""
        owned = self._owned_table()
        owned6 = self._owned_table(self.read6(rules))
        rec = self.recorded()
        if not rules and not self._user_rules() and not self._user_rules(self._table6):
            return owned is not None or owned6 is not None or bool(rec)  # the record outlived the table: a run was killed in between
        return (rec.get('commands') != _hash(commands(rules, [], False)) or rec.get('table') != _hash(normalised(owned)) or
                rec.get('table6') != _hash6(owned6))

    def owned(self):
        owned = self._owned_table()
        return (table_lines(owned) if owned else []) + _lines6(self._owned_table(self._table6 or None))

    @staticmethod
    def wanted(rules):
        table = _desired_table(rules)
        return (table_lines(table) if table else []) + _lines6(_desired_table(rules, FAMILY6))

    @staticmethod
    def settled_record():
        """None: the table's own record is compared on every run (differs); nothing is settled (see Iptables)."""
        return None

    def apply(self, rules, key=None, record=None):  # pylint: disable=unused-argument
        """The rule set in one nft transaction, the table listed again and recorded.  ``key`` and ``record`` are the
        settled record's (Iptables.apply): this backend keeps none."""
        present6 = self.read6(rules) is not None
        if _firewall_rules.by_family(rules, 6) and not self.recorded().get('table6'):
            # Recorded before the table is made: a run killed after nft still finds it (read6) and removes it later.
            _store.save(_firewall_rules.FW_KIND, 'nftables', dict(self.recorded(), table6='pending'), self.root)
        cmds = commands(rules, self._user_rules(), self.read() is not None, present6, self._user_rules(self._table6 or None))
        if cmds:
            nft_json('-f', '-', data=json.dumps({'nftables': cmds}))
        self.forget()
        if any('add' in cmd for cmd in cmds):
            record = {'commands': _hash(commands(rules, [], False)), 'table': _hash(normalised(self._owned_table()))}
            if _firewall_rules.by_family(rules, 6):
                record['table6'] = _hash6(self._owned_table(self.read6(rules)))
            _store.save(_firewall_rules.FW_KIND, 'nftables', record, self.root)
        else:
            _store.delete(_firewall_rules.FW_KIND, 'nftables', self.root)

    def forget(self):
        self._table = False
        self._table6 = False

    @staticmethod
    def interrupted():
        return False  # one nft transaction, and the record of it is compared on every run (differs)


def _hash6(table):
    """The record's form of the ip6 table as listed: None when there is none (an IPv4-only record has no key)."""
    return _hash(normalised(table)) if table is not None else None


def _lines6(table):
    """The ip6 table's text lines, each marked with its table (its chain is named as the ip table's one)."""
    return ['%s %s: %s' % (FAMILY6, TABLE6, line) for line in table_lines(table)] if table else []


def _hash(value):
    # No key sorting: the commands are built in a fixed order, and nft lists a table's objects in a fixed order.
    return hashlib.sha256(json.dumps(value, separators=(',', ':'), check_circular=False).encode()).hexdigest()
