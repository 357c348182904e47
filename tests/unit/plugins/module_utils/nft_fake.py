# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A stand-in for `nft -j` and the nf_tables generation, for the collection's two tables: each table is the list of
``add`` commands that made it (a set's elements kept in its command), a transaction is all or nothing, and every
transaction makes the next generation, as the kernel does."""

from __future__ import annotations

import copy
import json

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules

OURS = (('ip', 'hostnet'), ('ip6', 'hostnet6'))


def listed(cmds, family='ip', name='hostnet', terse=False):
    """What `nft -j list table` answers after these commands (handles added, as the kernel does; -t: no elements)."""
    objs = [{'metainfo': {'version': '1.0.6', 'json_schema_version': 1}}, {'table': {'family': family, 'name': name, 'handle': 1}}]
    for handle, cmd in enumerate(cmds, 2):
        for kind, body in cmd.get('add', {}).items():
            if kind != 'table':
                body = dict(body, handle=handle)
                if kind in ('set', 'map') and (terse or not body.get('elem')):
                    body.pop('elem', None)
                objs.append({kind: body})
    return objs


class FakeNft:
    """nft -j: applies add/delete commands (tables, sets, maps, chains, rules, elements), answers list table."""

    def __init__(self):
        self.tables = {}
        self.calls = []
        self.gen = 1

    @property
    def table(self):
        return self.tables.get(OURS[0])

    @table.setter
    def table(self, value):
        if value is None:
            self.tables.pop(OURS[0], None)
        else:
            self.tables[OURS[0]] = value

    def generation(self):
        return self.gen

    def __call__(self, *args, data=None):
        self.calls.append((args, data))
        terse = args[:1] == ('-t',)
        args = args[1:] if terse else args
        if args[:2] == ('list', 'table'):
            if tuple(args[2:4]) not in self.tables:
                raise _firewall_rules.FirewallError('nft -j list table %s %s failed (exit 1): Error: No such file or directory' % args[2:4])
            return listed(self.tables[tuple(args[2:4])], args[2], args[3], terse)
        assert args == ('-f', '-'), args
        tables = copy.deepcopy(self.tables)
        for cmd in json.loads(data)['nftables']:
            _one(tables, cmd)
        self.tables = tables
        self.gen += 1
        return []


def _one(tables, cmd):
    (verb, body), = cmd.items()
    (kind, obj), = body.items()
    key = (obj['family'], obj['name'] if kind == 'table' else obj['table'])
    assert key in OURS, cmd  # every command names one of the collection's own tables
    if kind == 'table':
        if verb == 'delete':
            assert key in tables, 'nft: no such table %s' % (key,)
            del tables[key]
        else:
            tables.setdefault(key, [])
    elif kind == 'element':
        _element(tables[key], verb, obj)
    else:
        assert verb == 'add', cmd
        tables[key].append(cmd)


def _element(cmds, verb, obj):
    found = [c['add'] for c in cmds if obj['name'] == (c['add'].get('set') or c['add'].get('map') or {}).get('name')]
    assert found, 'nft: no such set %s' % obj['name']
    kind, body = next(iter(found[0].items()))
    elems = body.setdefault('elem', [])
    for elem in obj['elem']:
        key = elem[0] if kind == 'map' and verb == 'add' else elem
        have = [e for e in elems if (e[0] if kind == 'map' else e) == key]
        if verb == 'delete':
            assert have, 'nft: no such element %s in %s' % (elem, obj['name'])
            elems.remove(have[0])
        else:
            assert not have or have[0] == elem, 'nft: element %s exists with other data' % (elem,)
            if not have:
                elems.append(elem)


def install(monkeypatch):
    """A FakeNft in place of nft and of the generation read."""
    fake = FakeNft()
    monkeypatch.setattr(_firewall_nftables, 'nft_json', fake)
    monkeypatch.setattr(_firewall_nftables, 'generation', fake.generation)
    return fake
