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

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nft_sets as _sets
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _store

FAMILY = 'ip'
TABLE = 'hostnet'
FAMILY6 = 'ip6'
TABLE6 = 'hostnet6'
TABLES = {FAMILY: TABLE, FAMILY6: TABLE6}
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


def layout(rules):
    """The table the rules of one family make: {'chains': {name: base hook fields}, 'rules': {chain: [expr]}, 'sets':
    {name: (declaration, {element's text: element})}} (read_table's form), or None when they need none.  The runs of
    ``each`` rules become sets and maps (_firewall_nft_sets)."""
    if not rules:
        return None
    chains = _firewall_rules.used_chains(rules)
    table = {'chains': {name: dict(base or {}) for key, (name, base) in CHAINS.items() if key in chains}, 'rules': {}, 'sets': {}}
    for item in _sets.group(rules, _firewall_rules.Rule):
        name = CHAINS[(item.table, item.chain)][0]
        if isinstance(item, _sets.SetRule):
            table['rules'].setdefault(name, []).append(_sets.expr(item, render(item.template)))
            table['sets'].update(_sets.sets(item))
        else:
            table['rules'].setdefault(name, []).append(render(item))
    return table


def layouts(rules):
    """{family: layout} of the ip and ip6 tables."""
    return {FAMILY: layout(_firewall_rules.by_family(rules, 4)), FAMILY6: layout(_firewall_rules.by_family(rules, 6))}


def commands(rules, user_rules, present, present6=False, user_rules6=()):
    """The JSON command list that replaces the tables in one transaction: the sets and maps with their elements, the
    chains the rules need (the user chain also while it holds the user's rules, which are put back as they were), or
    only their removal when nothing is left.  ``present`` / ``present6``: the ip / ip6 table exists now (it is deleted
    first).  The IPv6 rules go to the ip6 table, ``user_rules6`` to its user chain."""
    want = layouts(rules)
    return (table_commands(FAMILY, want[FAMILY], user_rules, present) +
            table_commands(FAMILY6, want[FAMILY6], list(user_rules6), present6))


def _object(family, kind, **fields):
    return {kind: dict({'family': family, 'table': TABLES[family]}, **fields)}


def table_commands(family, table, user_rules, present, elements=True):
    """The commands that make ``table`` (a layout) of ``family`` from nothing (deleting it first when ``present``);
    without ``elements``, its shape alone (what the record's digest is taken of)."""
    cmds = [{'delete': {'table': {'family': family, 'name': TABLES[family]}}}] if present else []
    if table is None and not user_rules:
        return cmds
    table = table or {'chains': {}, 'rules': {}, 'sets': {}}
    cmds.append({'add': {'table': {'family': family, 'name': TABLES[family]}}})
    for name, (decl, elems) in table['sets'].items():
        fields = {'name': name, 'type': decl['type']}
        if decl['kind'] == 'map':
            fields['map'] = decl['map']
        if elements:
            fields['elem'] = list(elems.values())
        cmds.append({'add': _object(family, decl['kind'], **fields)})
    chains = dict(table['chains'])
    if user_rules and USER not in chains:
        chains = dict({USER: {}}, **chains)
    # Every chain before any rule: a jump names a chain that must exist already.
    cmds += [{'add': _object(family, 'chain', name=name, **base)} for name, base in _chain_order(chains)]
    for name, dummy in _chain_order(chains):
        exprs = (list(user_rules) if name == USER else []) + table['rules'].get(name, [])
        cmds += [{'add': _object(family, 'rule', chain=name, expr=expr)} for expr in exprs]
    return cmds


def _chain_order(chains):
    """The chains in CHAINS' order (the user chain where CHAINS has it)."""
    order = [name for name, dummy in CHAINS.values()]
    return sorted(chains.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))


def shape(table):
    """A layout or a listing without its elements (the user chain's rules left out): what a delta cannot change."""
    if table is None:
        return None
    return {'chains': table['chains'], 'rules': {c: r for c, r in table['rules'].items() if c != USER},
            'sets': {name: decl for name, (decl, dummy) in table.get('sets', {}).items()}}


# -- reading the kernel ----------------------------------------------------------------------------
def nft_json(*args, data=None):
    """The objects of an ``nft -j`` answer (metainfo dropped): [{'table': {...}}, {'chain': {...}}, {'rule': {...}}]."""
    out = _firewall_rules._run(['nft', '-j'] + list(args), data)
    return [obj for obj in json.loads(out or '{"nftables": []}').get('nftables', []) if 'metainfo' not in obj]


def normalised(table):
    """A table as read_table() gives it, without what changes by itself: counter values (handles are gone already)."""
    if table is None:
        return None
    return dict(table, rules={chain: [[{'counter': None} if 'counter' in stmt else stmt for stmt in expr] for expr in exprs]
                              for chain, exprs in table['rules'].items()})


def read_table(family=FAMILY, name=TABLE, terse=False):
    """The table in layout()'s form ({'chains', 'rules', 'sets'}), or None when it is absent.  ``terse``: the sets
    without their elements (nft -t)."""
    try:
        objs = nft_json(*(['-t'] if terse else []) + ['list', 'table', family, name])
    except _firewall_rules.FirewallError as exc:
        if 'No such file' in str(exc) or 'does not exist' in str(exc):
            return None
        raise
    table = {'chains': {}, 'rules': {}, 'sets': {}}
    for obj in objs:
        if 'chain' in obj:
            chain = obj['chain']
            table['chains'][chain['name']] = {key: chain[key] for key in _BASE_KEYS if key in chain}
            table['rules'].setdefault(chain['name'], [])
        elif 'rule' in obj:
            rule = obj['rule']
            table['rules'].setdefault(rule['chain'], []).append(rule['expr'])  # the rule's handle stays behind
        elif 'set' in obj or 'map' in obj:
            kind = 'set' if 'set' in obj else 'map'
            _read_set(table, kind, obj[kind])
    return table


def _read_set(table, kind, body):
    decl = {'type': body['type'], 'kind': kind}
    if kind == 'map':
        decl['map'] = body['map']
    table['sets'][body['name']] = (decl, {_sets.element_key(elem, kind == 'map'): elem for elem in body.get('elem', [])})


NFT_MSG_GETGEN = 0x0a10  # (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN; answered by NFT_MSG_NEWGEN, attribute 1 the id


def generation():
    """The id of the namespace's nf_tables rule set generation: every transaction, of any table and by anyone (nft,
    iptables-nft, firewalld), makes the next one.  The same id as after the collection's last transaction means
    nothing changed since."""
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, NETLINK_NETFILTER)
    try:
        sock.bind((0, 0))
        body = struct.pack('=BBH', socket.AF_UNSPEC, 0, 0)
        sock.send(struct.pack('=IHHII', 16 + len(body), NFT_MSG_GETGEN, 1, 1, 0) + body)  # NLM_F_REQUEST
        data = sock.recv(4096)
    finally:
        sock.close()
    length, msg_type = struct.unpack_from('=IH', data)
    if msg_type != NFT_MSG_GETGEN - 1:
        raise _firewall_rules.FirewallError('reading the nf_tables generation failed: %s' % (
            os.strerror(-struct.unpack_from('=i', data, 16)[0]) if msg_type == 2 else 'answer of type %d' % msg_type))
    for typ, start, dummy in codec._nlas(data, 20, length):  # pylint: disable=protected-access
        if typ == 1:
            return struct.unpack_from('>I', data, start)[0]
    return None


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


# A set's key and a map lookup, in nft's words: 'oifname . ip daddr', 'meta l4proto . th dport map @m'.
_LEFT['concat'] = lambda b: ' . '.join(_value(v) for v in b)
_LEFT['map'] = lambda b: '%s map %s' % (_value(b['key']), b['data'])


def _statement(stmt):
    kind, body = next(iter(stmt.items())) if len(stmt) == 1 else (None, stmt)
    if kind == 'match':
        op = '' if body['op'] in ('==', 'in') else body['op'] + ' '
        return '%s %s%s' % (_value(body['left']), op, _value(body['right']))
    if kind in ('jump', 'goto'):
        return '%s %s' % (kind, body['target'])
    if kind in ('dnat', 'snat') and isinstance(body, dict) and 'addr' in body:
        return _nat(kind, body['addr'], body.get('port'))
    if kind and body is None:
        return kind
    return json.dumps(stmt, sort_keys=True)


def _nat(kind, addr, port):
    if not isinstance(addr, str):  # map lookups: 'dnat to K map @a : K map @p'
        return '%s to %s%s' % (kind, _value(addr), '' if port is None else ' : %s' % _value(port))
    if ':' in addr and port is not None:
        addr = '[%s]' % addr  # as nft writes IPv6 with a port
    return '%s to %s%s' % (kind, addr, '' if port is None else ':%s' % port)


def describe(expr):
    """One rule in words close to nft's own (for diffs and results; never read back)."""
    return ' '.join(_statement(stmt) for stmt in expr)


def table_lines(table):
    """A table (layout()'s form, without the user chain's rules) as text lines: a chain, then its rules; then each set
    or map's elements."""
    lines = []
    for name, base in table['chains'].items():
        hook = ' { type %(type)s hook %(hook)s priority %(prio)s; policy %(policy)s; }' % base if base else ''
        lines.append('chain %s%s' % (name, hook))
        lines += ['%s: %s' % (name, describe(expr)) for expr in table['rules'].get(name, []) if name != USER]
    for name, (decl, elems) in table.get('sets', {}).items():
        lines += ['%s %s: %s' % (decl['kind'], name, _sets.describe_element(elem, decl['kind'] == 'map')) for elem in elems.values()]
    return lines


class Nftables:
    """The ``ip hostnet`` and ``ip6 hostnet6`` tables, changed in one nft transaction; the chain ``user`` keeps its
    rules.

    A run that changes only the elements of the sets and maps (a container or a published port added or removed)
    sends those elements; any other change replaces the tables.  What the kernel holds is known either from a listing
    or, without one, from the rules of the documents the last apply was given (``old`` of differs): when the nf_tables
    generation is still the one that apply's transaction made, nothing has changed the kernel since (settled).
    """

    name = 'nftables'
    settles = True

    def __init__(self, root=None):
        self.root = root
        self._listed = {}  # family -> the table as listed (None: absent); a family not read yet is missing
        self._base = None  # {family: layout} the kernel holds, when known without a listing
        self._want = None  # (rules, {family: layout}) of the last differs
        self._delta = None  # (rules, element commands) of the last differs
        self._record = None  # the record as loaded or last written by this backend (None: not loaded yet)

    def prefetch(self):
        """Nothing to start early: the tables are listed only when the generation says something changed."""

    def read(self, family=FAMILY):
        if family not in self._listed:
            self._listed[family] = read_table(family, TABLES[family])
        return self._listed[family]

    def _needs6(self, rules):
        """The ip6 table is looked at only when this run wants IPv6 rules or the record says it was made."""
        return bool(_firewall_rules.by_family(rules, 6)) or bool(self.recorded().get('table6'))

    def _user_rules(self, family=FAMILY):
        table = self.read(family) if family == FAMILY or self._needs6(()) else None
        return list(table['rules'].get(USER, [])) if table else []

    def recorded(self):
        """The record, loaded once: only this backend writes it, and _save_record keeps this copy current."""
        if self._record is None:
            self._record = _store.load(_firewall_rules.FW_KIND, 'nftables', self.root) or {}
        return self._record

    def _save_record(self, rec):
        """Write the record (or, when None, remove it)."""
        if rec is None:
            _store.delete(_firewall_rules.FW_KIND, 'nftables', self.root)
        else:
            _store.save(_firewall_rules.FW_KIND, 'nftables', rec, self.root)
        self._record = rec or {}

    def settled(self, key):
        """Whether the last apply was of the documents ``key`` names (_firewall.rules_key) and no transaction, of anyone,
        came after its own: the kernel then holds what it wrote, and nothing is computed."""
        rec = self.recorded()
        return key is not None and rec.get('key') == key and _current(rec)

    @staticmethod
    def settled_record():
        """None: an undo applies the old rules and records them afresh (see apply)."""
        return None

    def _wanted(self, rules):
        if self._want is None or self._want[0] is not rules:
            self._want = (rules, layouts(rules))
        return self._want[1]

    def _known(self, old):
        """{family: layout} the kernel holds as the last apply wrote it (``old``: the rules key and the rules of the
        documents before this run, _firewall._OldRules), or None when only a listing can tell."""
        if old is None:
            return None
        rec = self.recorded()
        if rec.get('key') is None or not _current(rec) or old.key() != rec['key']:
            return None
        return layouts(old.rules())

    def _base_tables(self, rules):
        """{family: the table the kernel holds} (the known layout, else the listing: None when absent)."""
        if self._base is not None:
            return self._base
        return {FAMILY: self.read(), FAMILY6: self.read(FAMILY6) if self._needs6(rules) else None}

    def _same_shape(self, rules):
        """Whether only elements separate the kernel's tables from the wanted ones: a known layout's shape is compared
        directly; a listing's through the record (its shape and the commands' as the last apply left them)."""
        want = self._wanted(rules)
        if self._base is not None:
            return all(shape(self._base[f]) == shape(want[f]) for f in (FAMILY, FAMILY6))
        rec = self.recorded()
        return (rec.get('commands') == _commands_digest(want) and rec.get('table') == _listed_digest(self.read()) and
                rec.get('table6') == _listed_digest(self.read(FAMILY6) if self._needs6(rules) else None))

    def differs(self, rules, old=None):
        """The tables differ from what the rules want.  The user chain's rules are the user's: adding or removing them
        is no drift.  ``old``: see _known."""
        self._base = self._known(old)
        if not rules and self._base is None and not self._user_rules() and not self._user_rules(FAMILY6):
            rec = self.recorded()
            return self.read() is not None or (self._needs6(rules) and self.read(FAMILY6) is not None) or bool(rec)
        if not self._same_shape(rules):
            return True
        return bool(self._element_commands(rules))

    def _element_commands(self, rules):
        """The element commands from the kernel's tables to the wanted ones, computed once per rule set (differs, then
        apply)."""
        if self._delta is None or self._delta[0] is not rules:
            base, want = self._base_tables(rules), self._wanted(rules)
            self._delta = (rules, [cmd for f in (FAMILY, FAMILY6) if want[f] is not None
                                   for cmd in _sets.element_commands(f, TABLES[f], want[f], base[f])])
        return self._delta[1]

    def owned(self):
        base = self._base if self._base is not None else {FAMILY: self.read(), FAMILY6: self._listed.get(FAMILY6)}
        return (table_lines(base[FAMILY]) if base[FAMILY] else []) + _lines6(base[FAMILY6])

    def wanted(self, rules):
        want = self._wanted(rules)
        return (table_lines(want[FAMILY]) if want[FAMILY] else []) + _lines6(want[FAMILY6])

    def _commands(self, rules):
        """(the commands of this apply, whether they replace the tables)."""
        want = self._wanted(rules)
        if (rules or self._base is not None) and self._same_shape(rules):
            return self._element_commands(rules), False
        present6 = self._needs6(rules) and self.read(FAMILY6) is not None
        return (table_commands(FAMILY, want[FAMILY], self._user_rules(), self.read() is not None) +
                table_commands(FAMILY6, want[FAMILY6], self._user_rules(FAMILY6), present6)), True

    def apply(self, rules, key=None, record=None):  # pylint: disable=unused-argument
        """The change in one nft transaction and its record: ``key`` (the documents' rules_key) and the generation the
        transaction made, when it was the only one in between.  ``record``: Iptables.apply's; this backend makes a new
        one (an undo's has no key: the run after it lists the tables)."""
        cmds, replaced = self._commands(rules)
        want = self._wanted(rules)
        rec = {k: v for k, v in self.recorded().items() if k not in _CACHE}
        if want[FAMILY6] is not None and not rec.get('table6'):
            rec['table6'] = 'pending'  # a run killed after nft still finds the ip6 table (_needs6) and removes it later
            self._save_record(rec)
        # A run killed after nft leaves the record of the generation before: nft made the next, so the next run lists.
        before = generation()
        if cmds:
            nft_json('-f', '-', data=json.dumps({'nftables': cmds}))
        after = generation()
        self.forget()
        if not any('add' in cmd for cmd in cmds) and replaced:
            self._save_record(None)
            return
        if replaced:
            rec = {'commands': _commands_digest(want), 'table': _listed_digest(read_table(terse=True))}
            if want[FAMILY6] is not None:
                rec['table6'] = _listed_digest(read_table(FAMILY6, TABLE6, terse=True))
        if before is not None and after == (before + 1) % 2 ** 32:
            rec.update(key=key, gen=after, where=_where())
        self._save_record(rec)

    def forget(self):
        self._listed = {}
        self._base = None
        self._delta = None

    @staticmethod
    def interrupted():
        return False  # one nft transaction, and a record without a generation makes the next run list the tables


# The record's fields that say what the kernel held after the collection's last transaction, valid while nothing came
# after it: the documents' key, the generation, and where that generation counts (a reboot or another namespace starts
# counting again).
_CACHE = ('key', 'gen', 'where')


def _where():
    """[the boot's id, the network namespace's inode]: a generation is a number of this namespace in this boot."""
    with open('/proc/sys/kernel/random/boot_id') as f:
        return [f.read().strip(), os.stat('/proc/self/ns/net').st_ino]


def _current(rec):
    """Whether no nf_tables transaction came after the one the record was written for."""
    return rec.get('gen') is not None and rec.get('where') == _where() and rec['gen'] == generation()


def _commands_digest(want):
    """The digest of the commands that make the wanted tables' shape (no elements: a delta leaves it as it is)."""
    return _hash([table_commands(f, want[f], [], False, elements=False) for f in (FAMILY, FAMILY6)])


def _listed_digest(table):
    """The record's form of a table as listed (its shape, counters aside): None when there is none (an IPv4-only
    record has no table6)."""
    return _hash(normalised(shape(table))) if table is not None else None


def _lines6(table):
    """The ip6 table's text lines, each marked with its table (its chain is named as the ip table's one)."""
    return ['%s %s: %s' % (FAMILY6, TABLE6, line) for line in table_lines(table)] if table else []


def _hash(value):
    # No key sorting: the commands are built in a fixed order, and nft lists a table's objects in a fixed order.
    return hashlib.sha256(json.dumps(value, separators=(',', ':'), check_circular=False).encode()).hexdigest()
