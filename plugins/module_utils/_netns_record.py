# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which named namespaces the collection created, and who wants each one: /var/lib/hostnet/netns/NAME.json.

A record exists only for a namespace the collection created; a namespace without one is the user's, which the
collection may attach endpoints into but never deletes, re-shares or changes.  ``by`` lists who wants the
namespace: ``netns`` (the netns module) and ``network:NAME`` (created implicitly by that network's module).  The
record is written by a plan step before the namespace is created, so a run killed half-way leaves a record of
what it may have made; it is removed after the namespace.  The helpers here are pure (documents in, documents
out) except the steps' own actions.
"""

from __future__ import annotations

import os

from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _store

KIND = 'netns'
BY_NETNS = 'netns'


def claim(network):
    """The ``by`` entry of a network that created the namespace."""
    return 'network:' + network


def new(name, by, share_with=None, sysctls=None, owner=None, created=None):
    return {'name': name, 'created': created or _inspect._now(),  # pylint: disable=protected-access
            'by': sorted(set(by)), 'share_with': share_with,
            'sysctls': dict(sysctls or {}), 'owner': owner}


def with_claim(record, name, who, **fields):
    """``record`` (None: a new one) with ``who`` in ``by`` and ``fields`` (share_with, sysctls merged, owner) set."""
    if record is None:
        return new(name, [who], fields.get('share_with'), fields.get('sysctls'), fields.get('owner'))
    out = dict(record, by=sorted(set(record.get('by') or []) | {who}))
    if fields.get('sysctls'):
        out['sysctls'] = dict(record.get('sysctls') or {}, **fields['sysctls'])
    if fields.get('owner') is not None:
        out['owner'] = fields['owner']
    if fields.get('share_with') is not None:
        out['share_with'] = fields['share_with']
    return out


def release(record, who, holders=()):
    """``by`` once ``who`` lets go.  When nobody else named in it wants the namespace, the networks in ``holders``
    (the other networks with an endpoint in it) take it over, so a namespace two networks use is removed with the
    last of them."""
    left = [entry for entry in record.get('by') or [] if entry != who]
    if not left:
        left = sorted(claim(n) for n in holders)
    return left


def holders_of(cname, networks, skip=None):
    """Names of the networks (documents) with an endpoint in namespace ``cname``, but ``skip``."""
    return sorted(n for n, doc in networks.items() if n != skip and cname in ((doc or {}).get('endpoints') or {}))


# -- the actions of plan steps ------------------------------------------------------------------------------------
def save(name, record, root=None):
    """Write the record (None removes it)."""
    if record is None:
        _store.delete(KIND, name, root)
    else:
        _store.save(KIND, name, record, root)


def remove_namespace(ns, name, root=None):
    """Remove a namespace the collection created, its files under /etc/netns and then its record."""
    if ns is not None:
        ns.forget(name)
    if _netns.netns_exists(name) or os.path.lexists(_netns.netns_path(name)):
        _netns.remove_netns(name)
    _netns.release_etc_dir(name)
    _store.delete(KIND, name, root)


def restore_namespace(name, record, root=None):
    """Undo of remove_namespace: an empty namespace again and its record (a rerun of the network reconnects it)."""
    if record is not None:
        _store.save(KIND, name, record, root)
    if not _netns.netns_exists(name) and not record.get('share_with'):
        _netns.create_netns(name)


def plan_claims(plan, index, names, records, who, root=None):
    """One step at ``index`` (before the namespaces are created) recording that ``who`` created ``names``."""
    if not names:
        return
    new_records = {n: with_claim(records.get(n), n, who) for n in names}
    old_records = {n: records.get(n) for n in names}
    plan.insert(index, 'record network namespace%s %s (created for %s)' % ('s' if len(names) > 1 else '', ', '.join(names), who),
                lambda: save_all(new_records, old_records, root), lambda: save_all(old_records, old_records, root))


def save_all(records, old, root=None):
    """Write several records as one step: a failure part-way puts back the ones already written (a failed step's
    undo does not run), so the step did all or nothing."""
    try:
        _store.save_many(KIND, records, root)
    except BaseException:
        for name in sorted(records, reverse=True):
            try:
                if _store.load(KIND, name, root) != old[name]:
                    save(name, old[name], root)
            except (OSError, _store.StoreError):
                pass  # the write error is the one to report
        raise


def plan_release(plan, ns, cname, record, who, holders, root=None):
    """The step letting ``who`` go of namespace ``cname``: the record without it, or, when nobody wants the
    namespace any more, the namespace, its files and its record removed.  Nothing for a namespace ``who`` did not
    create (no record, or ``who`` not in it): the user's, or another's."""
    if record is None or who not in (record.get('by') or []):
        return
    left = release(record, who, holders)
    if left:
        plan.add('record that %s no longer holds network namespace %s' % (who, cname),
                 lambda: save(cname, dict(record, by=left), root), lambda: save(cname, record, root))
        return
    plan.add('remove network namespace %s (created for %s, no endpoint left)' % (cname, who),
             lambda: remove_namespace(ns, cname, root), lambda: restore_namespace(cname, record, root))
