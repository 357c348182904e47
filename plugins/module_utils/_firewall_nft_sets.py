# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The nftables backend's sets and maps: the rules a network repeats for every container or published port (the
rule model marks them ``each``) kept as the elements of one named set, or for a DNAT of two named maps (the address
and the port), behind one rule.  Adding a container with a published port then adds a few elements in one
transaction, however many containers the host holds (Docker 29's nftables backend rewrites its chains: moby#53466).

A run is a sequence of consecutive ``each`` rules of one chain with the same shape: the same verdict and the same
constant matches (negated ones, subnets, connection states), differing only in the values of the keys the set
holds (interfaces, addresses, protocol and port, in SET_KEYS order).  One lookup stands for the run without changing
what a packet meets: the rules of a run share their verdict, and a key is an exact value, so a packet matches at
most one element; a rule whose key is already in the run (a second DNAT of one port) starts a new run, so the first
rule still wins as it does in iptables.

Element values are written as ``nft -j`` lists them (IPv6 addresses compressed, ports as numbers), so a listing
compares with the wanted elements directly and a delta is computed from either.  nft 1.0.6's JSON cannot declare a
map with concatenated data, hence two maps for a DNAT's address and port (``dnat to K map @a : K map @p``).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json

# The fields a set holds, in this order in its key; their type and how a rule reads them.
SET_KEYS = ('iif', 'oif', 'src', 'dst', 'proto', 'dport')
_TYPES = {'iif': 'ifname', 'oif': 'ifname', 'proto': 'inet_proto', 'dport': 'inet_service'}
_ADDR_TYPES = {4: 'ipv4_addr', 6: 'ipv6_addr'}
_LEFTS = {
    'iif': {'meta': {'key': 'iifname'}},
    'oif': {'meta': {'key': 'oifname'}},
    'proto': {'meta': {'key': 'l4proto'}},
    'dport': {'payload': {'protocol': 'th', 'field': 'dport'}},  # the same offset in tcp, udp and sctp
}
_ADDR_LEFTS = {(family, key): {'payload': {'protocol': proto, 'field': field}}
               for family, proto in ((4, 'ip'), (6, 'ip6')) for key, field in (('src', 'saddr'), ('dst', 'daddr'))}


class SetRule:
    """A run of ``each`` rules kept as one rule and its set (or maps): ``template`` is the run's first rule without
    the keys (what the rule matches besides the lookup, and its verdict), ``keys`` the fields of the set's key,
    ``elements`` {element key: DNAT data or None} in order.  ``name`` is given by name_sets."""

    __slots__ = ('template', 'keys', 'elements', 'name', 'shape')

    def __init__(self, template, keys, shape):
        self.template = template
        self.keys = keys
        self.elements = {}
        self.name = None
        self.shape = shape

    @property
    def table(self):
        return self.template.table

    @property
    def chain(self):
        return self.template.chain

    @property
    def family(self):
        return self.template.family


def _value(key, value):
    """An element field as nft lists it (an IPv4 address is kept as the documents write it: dotted, canonical)."""
    if key == 'dport':
        return int(value)
    if key in ('src', 'dst') and ':' in value:
        return ipaddress.ip_address(value).compressed
    return str(value)


def _split(rule):
    """(the keys the set holds, the rule's other matches): a negated value, a subnet, a connection state or an address
    type stays in the rule."""
    keys, const = [], {}
    for key, value in rule.match.items():
        if value is None:
            continue
        if key in _TYPES or key in ('src', 'dst'):
            if not str(value).startswith('!') and '/' not in str(value):
                keys.append(key)
                continue
        const[key] = value
    return tuple(k for k in SET_KEYS if k in keys), const


def _data(rule):
    """A DNAT's (address, port) as nft lists them ('[fd00::2]:80' -> ('fd00::2', 80)); None for any other rule."""
    if rule.target != 'DNAT':
        return None
    if rule.arg.startswith('['):
        addr, dummy, port = rule.arg[1:].partition(']')
        return (ipaddress.ip_address(addr).compressed, int(port[1:]))
    addr, dummy, port = rule.arg.partition(':')
    return (addr, int(port))


def group(rules, rule_class):
    """The rules with each run of ``each`` rules replaced by one SetRule (``rule_class`` builds the template, the rule
    model's Rule).  A DNAT without a port stays a rule."""
    out = []
    run = None
    for rule in rules:
        if not rule.each or (rule.target == 'DNAT' and ':' not in rule.arg.rpartition(']')[2]):
            out.append(rule)
            run = None
            continue
        keys, const = _split(rule)
        shape = (rule.table, rule.chain, rule.target, None if rule.target == 'DNAT' else rule.arg, rule.family, keys, tuple(sorted(const.items())))
        element = tuple(_value(key, rule.match[key]) for key in keys)
        if run is None or run.shape != shape or element in run.elements:
            template = rule_class(rule.table, rule.chain, rule.target, rule.arg, rule.family, **const)
            run = SetRule(template, keys, shape)
            out.append(run)
        run.elements[element] = _data(rule)
    name_sets([item for item in out if isinstance(item, SetRule)])
    return out


def name_sets(runs):
    """Names from what a run is (its chain, verdict and shape), so the same runs get the same names on every host and
    run; a shape repeated in a chain is numbered in order."""
    seen = {}
    for run in runs:
        digest = hashlib.sha256(json.dumps(run.shape[:5] + (list(run.shape[5]), run.shape[6]), default=str).encode()).hexdigest()[:10]
        base = '%s_%s_%s_%s' % (run.table, run.chain.lower().replace('-', '_'), run.template.target.lower(), digest)
        seen[base] = seen.get(base, 0) + 1
        run.name = base if seen[base] == 1 else '%s_%d' % (base, seen[base])


def _left(run):
    lefts = [_ADDR_LEFTS[(run.family, key)] if key in ('src', 'dst') else _LEFTS[key] for key in run.keys]
    return lefts[0] if len(lefts) == 1 else {'concat': lefts}


def key_type(run):
    types = [_ADDR_TYPES[run.family] if key in ('src', 'dst') else _TYPES[key] for key in run.keys]
    return types[0] if len(types) == 1 else types


def expr(run, rendered):
    """The run's rule: ``rendered`` (the template's matches and verdict, as the backend renders a rule) with the
    lookup before the verdict, or for a DNAT the verdict taken from the two maps."""
    if run.template.target == 'DNAT':
        left = _left(run)
        return rendered[:-1] + [{'dnat': {'addr': {'map': {'key': left, 'data': '@%s_addr' % run.name}},
                                          'port': {'map': {'key': left, 'data': '@%s_port' % run.name}}}}]
    return rendered[:-1] + [{'match': {'op': '==', 'left': _left(run), 'right': '@' + run.name}}] + rendered[-1:]


def _key_json(element):
    return element[0] if len(element) == 1 else {'concat': list(element)}


def sets(run):
    """{set or map name: (declaration without elements, {element's key (element_key): element as nft lists it})} of a
    run: one set, or a DNAT's address and port maps."""
    decl = {'type': key_type(run)}
    if run.template.target != 'DNAT':
        return {run.name: (dict(decl, kind='set'), {e: _key_json(e) for e in run.elements})}
    out = {}
    for suffix, index, kind in (('_addr', 0, _ADDR_TYPES[run.family]), ('_port', 1, 'inet_service')):
        out[run.name + suffix] = (dict(decl, kind='map', map=kind), {e: [_key_json(e), data[index]] for e, data in run.elements.items()})
    return out


def element_key(element, is_map):
    """The tuple of values an element (as nft lists it) is known by; a map's by its key alone."""
    key = element[0] if is_map else element
    return tuple(key['concat']) if isinstance(key, dict) else (key,)


def describe_element(element, is_map):
    """An element in nft's words: 'br0 . 172.17.0.2 . tcp . 80', a map's 'tcp . 8080 : 172.17.0.2'."""
    def words(value):
        return ' . '.join(str(v) for v in value['concat']) if isinstance(value, dict) and 'concat' in value else str(value)
    return '%s : %s' % (words(element[0]), words(element[1])) if is_map else words(element)


def element_commands(family, table, want, base):
    """The element deletions, then additions, that take the sets and maps of the table ``base`` to ``want`` (two
    layouts of one shape, of the table ``table`` of ``family``), in one transaction; [] when they hold the same."""
    deletes, adds = [], []
    for name, (decl, elems) in want['sets'].items():
        old = base['sets'][name][1]
        is_map = decl['kind'] == 'map'
        gone = [elem[0] if is_map else elem for key, elem in old.items() if elems.get(key) != elem]
        new = [elem for key, elem in elems.items() if old.get(key) != elem]
        where = {'family': family, 'table': table, 'name': name}
        if gone:
            deletes.append({'delete': {'element': dict(where, elem=gone)}})
        if new:
            adds.append({'add': {'element': dict(where, elem=new)}})
    return deletes + adds
