# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection tracking entries that outlive a changed port mapping or a removed endpoint, and their deletion.

The kernel NATs a flow once, when its first packet creates the conntrack entry; later packets follow the entry,
not the rules.  A UDP client that keeps sending from one source port therefore keeps reaching the container a
publish pointed at when its flow began, however the rules change, until the entry times out (as long as the
client keeps sending).  Docker (libnetwork ``clearConntrackEntries``) and netavark delete those entries when a
mapping or an endpoint goes; so does this file.

* Pure: ``network_targets(old, new)`` and ``nat_targets(old, new)`` say what changed, from the documents a planner
  already has (a network's stored and new document; a nat_rule's); ``selected(entries, targets)`` picks the
  entries of a table dump that belong to a target.  Only those: a mapping's entries are the flows of its protocol
  to its host address and port that the kernel NATed to its old container, an address's entries are the flows
  from or to that address; the rest of the table is never touched.
* ``plan_delete(plan, targets)``: one step (after the firewall step, so the packet that follows the deletion
  already meets the new rules) that dumps the table of each family with targets (IPv4; IPv6 for the IPv6 side of a
  network with enable_ipv6) over pyroute2's conntrack netlink socket and deletes the selected entries by their
  original tuple.

Docker treats a failed deletion as a warning, not a failed network change, and so does this step: without
conntrack netlink support (a kernel without nf_conntrack_netlink, no permission) the entries are left to expire
and the step says why in ``skipped`` (the modules turn it into a warning).
"""

from __future__ import annotations

import collections
import errno
import socket

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
from ansible_collections.hostnet.containers.plugins.module_utils import _network

PROTOCOLS = {'tcp': socket.IPPROTO_TCP, 'udp': socket.IPPROTO_UDP, 'sctp': getattr(socket, 'IPPROTO_SCTP', 132)}
WILDCARD = (None, '', '0.0.0.0', '::')

# One entry of the table as the selection sees it: the original tuple (the packet as the client sent it) and the
# reply tuple (as the container answers: after DNAT its source is the container's address and port).
Entry = collections.namedtuple('Entry', 'proto saddr daddr sport dport reply_saddr reply_daddr reply_sport reply_dport')

# What changed: a port mapping that no longer sends its flows where it did (host side and the old container side),
# or that lets other sources in (allow_from: a flow of a source it no longer allows must not outlive the change), or
# an address that no longer belongs to the endpoint that had it.
Mapping = collections.namedtuple('Mapping', 'proto host_ip host_port container_ip container_port allow_from', defaults=(None,))
Address = collections.namedtuple('Address', 'ip')


# -- what changed (pure) ---------------------------------------------------------------------------------------
def _mapping(fwd):
    return Mapping(fwd.proto, None if fwd.host_ip in WILDCARD else fwd.host_ip, fwd.host_port, fwd.container_ip, fwd.container_port,
                   None if fwd.allow_from is None else tuple(fwd.allow_from))


def _mappings(forwards):
    return {_mapping(fwd) for fwd in forwards if fwd.host_port}


def _forwards(doc):
    """The Forwards of both families of a network (each family's publishes to that family's container address)."""
    if not _network.bridge_like(doc) or not doc.get('bridge'):
        return []
    views = (_firewall_rules.family_view(doc, family) for family in (4, 6))
    return [fwd for view in views if view is not None for fwd in _firewall_rules.network_forwards(view)]


def network_targets(old, new):
    """The mappings of the network's old document that the new one (None: the network goes) no longer has, and
    the addresses of its old endpoints that are gone or readdressed (even when another endpoint takes the address
    in the same run: the flows were the old container's, as Docker deletes them when an endpoint leaves)."""
    if not old:
        return []
    gone = sorted(_mappings(_forwards(old)) - _mappings(_forwards(new)), key=repr)
    addresses = set()
    for key in ('ip', 'ip6'):
        kept = {(name, ep.get(key)) for name, ep in ((new or {}).get('endpoints') or {}).items()}
        addresses |= {ep.get(key) for name, ep in (old.get('endpoints') or {}).items() if (name, ep.get(key)) not in kept}
    return gone + [Address(ip) for ip in sorted(addresses - {None})]


def nat_targets(old, new):
    """The mapping of a nat_rule of kind dnat that the new document (None: the rule goes) no longer has."""
    gone = _mappings(_firewall_rules.nat_forwards([old] if old else [])) - _mappings(_firewall_rules.nat_forwards([new] if new else []))
    return sorted(gone, key=repr)


def target_family(target):
    """The conntrack table a target's entries are in: socket.AF_INET or AF_INET6."""
    ip = target.ip if isinstance(target, Address) else target.container_ip
    return socket.AF_INET6 if ':' in ip else socket.AF_INET


def describe_target(target):
    if isinstance(target, Address):
        return 'address %s' % target.ip
    if target_family(target) == socket.AF_INET6:
        return '%s [%s]:%d->[%s]:%d' % (target.proto, target.host_ip or '::', target.host_port, target.container_ip, target.container_port)
    return '%s %s:%d->%s:%d' % (target.proto, target.host_ip or '0.0.0.0', target.host_port, target.container_ip, target.container_port)


# -- which entries (pure) --------------------------------------------------------------------------------------
class Selection:
    """``targets`` indexed so that checking an entry costs a few lookups, not a pass over every target: a network of
    hundreds of endpoints removed against a table of thousands of flows."""

    def __init__(self, targets):
        self.addresses = {t.ip for t in targets if isinstance(t, Address)}
        self.mappings = {}
        for t in targets:
            if isinstance(t, Mapping):
                self.mappings.setdefault((PROTOCOLS[t.proto], t.host_port), []).append(t)

    def __contains__(self, entry):
        if self.addresses.intersection((entry.saddr, entry.daddr, entry.reply_saddr, entry.reply_daddr)):
            return True
        # A flow NATed by the mapping: to its host address (any local one for a wildcard) and port, and answered by
        # the old container; a flow through the host to another machine's port of that number is not one.
        return any(t.host_ip in (None, entry.daddr) and (entry.reply_saddr, entry.reply_sport) == (t.container_ip, t.container_port)
                   for t in self.mappings.get((entry.proto, entry.dport), ()))


def selected(entries, targets):
    """The entries that belong to one of ``targets``, in table order."""
    selection = Selection(targets)
    return [entry for entry in entries if entry in selection]


# -- the step ------------------------------------------------------------------------------------------------
def _entry(ct):
    orig, reply = ct.tuple_orig, ct.tuple_reply
    return Entry(orig.proto, orig.saddr, orig.daddr, orig.sport, orig.dport, reply.saddr, reply.daddr, reply.sport, reply.dport)


def _open(family=socket.AF_INET):
    # pyroute2 0.7 (Debian 12) and 0.9 share this class, its dump_entries() and entry('del', tuple_orig=...) (0.9
    # wraps its asyncio core behind the same synchronous calls).  Not delete(entry): in 0.7 it iterates what
    # entry() returns, None for a plain ACK, and raises TypeError after the kernel has deleted the entry.  The
    # socket's family is the table it dumps and the family of its deletes (both versions take nfgen_family). Imported
    # as the message classes are, without pyroute2's package __init__ (_pyroute2.modules).
    [module] = _pyroute2.modules('pyroute2.conntrack')
    return module.Conntrack(nfgen_family=family)


def _error_code(exc):
    return getattr(exc, 'code', None) or getattr(exc, 'errno', None)


class Deletion:
    """The ``do`` of the step: dump the table of each family with targets, delete the selected entries.
    ``deleted``: how many; ``skipped``: why some or all were not deleted (None when every one was).
    ``opener(family)``: the conntrack socket of a family (called without it for IPv4)."""

    def __init__(self, targets, opener=_open):
        self.targets = list(targets)
        self.opener = opener
        self.deleted = 0
        self.skipped = None

    def __call__(self):
        for family in (socket.AF_INET, socket.AF_INET6):
            targets = [t for t in self.targets if target_family(t) == family]
            if targets and not self._family(family, targets):
                return

    def _family(self, family, targets):
        """Delete one family's entries; False when the table could not be read (skipped says why)."""
        try:
            ct = self.opener() if family == socket.AF_INET else self.opener(family)
        except (ImportError, OSError) as exc:
            self.skipped = _kernel.describe(exc, 'opening the conntrack netlink socket') if isinstance(exc, OSError) else str(exc)
            return False
        try:
            failed, found = self._delete(ct, targets)
        except _Refused as exc:
            self.skipped = _kernel.describe(exc.error, 'reading the conntrack table')
            return False
        finally:
            ct.close()
        if failed:
            self.skipped = '%d of %d entries: %s' % (len(failed), len(found), _kernel.describe(failed[0], 'deleting'))
        return True

    def _delete(self, ct, targets):
        """(errors of the deletes that failed, the entries selected)."""
        # The whole dump is read before the first delete: both go over the one socket.
        selection = Selection(targets)
        found = [raw for raw in _refused(lambda: list(ct.dump_entries())) if _entry(raw) in selection]
        failed = []
        for raw in found:
            try:
                _refused(lambda raw=raw: ct.entry('del', tuple_orig=raw.tuple_orig))
                self.deleted += 1
            except _Refused as exc:
                # ENOENT: the entry expired (or went with its flow) between the dump and now; the others are tried.
                if _error_code(exc.error) != errno.ENOENT:
                    failed.append(exc.error)
        return failed, found


class _Refused(Exception):
    """What the kernel answered with an error: pyroute2's NetlinkError (a class of its own in each version) or an
    OSError, both with an errno; anything else is a bug and fails the step."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


def _refused(call):
    try:
        return call()
    except Exception as exc:  # pylint: disable=broad-exception-caught
        if _error_code(exc) is None:
            raise
        raise _Refused(exc) from exc


def plan_delete(plan, targets, opener=_open):
    """A step deleting the conntrack entries of ``targets`` (none: no step).  Planned after the firewall step: a
    packet that arrives once its entry is gone creates a new one against the new rules.  Its undo is nothing: an
    entry cannot be put back as it was (counters, NAT bindings, timers), and need not be; after a rollback the
    flow's next packet makes a new entry against the rules the rollback restored."""
    if not targets:
        return None
    shown = [describe_target(t) for t in targets]
    text = 'delete conntrack entries of %s' % ', '.join(shown[:4])
    if len(shown) > 4:
        text += ' and %d more' % (len(shown) - 4)
    deletion = Deletion(targets, opener)
    plan.add(text, deletion)
    return deletion


def warnings(plan):
    """The reasons the plan's conntrack steps were skipped, as warnings for the module's result."""
    return ['%s: skipped, %s; the old flows keep their mapping until their entries expire' % (step.text, step.do.skipped)
            for step in plan.steps if isinstance(step.do, Deletion) and step.do.skipped]
