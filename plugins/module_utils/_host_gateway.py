# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hosts value ``host-gateway`` (``docker run --add-host host.docker.internal:host-gateway``): the host's own
address on the namespace's network, pure (network documents in, addresses out).

The network is the one that gives the namespace its default route, else the one it joined first (then by name); its
host-side address is the gateway of a bridge network (the bridge holds it; none in an ``isolated`` gateway mode), an
overlay's (the same), or a macvlan network's host shim (the host's only address on such a network).  IPv4, and the
IPv6 one too when the network has IPv6: a name given ``host-gateway`` gets a hosts line for each.
"""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

HOST_GATEWAY = 'host-gateway'


def _host_side(doc):
    """[IPv4, IPv6] addresses the host has on the network ``doc`` (either may be missing)."""
    if doc.get('driver', 'bridge') == 'macvlan':
        shim = doc.get('host_shim') or {}
        return [ip for ip in (shim.get('ip'), shim.get('ip6')) if ip]
    # The addresses its bridge holds, where a network's name server listens too.
    return _dns.listen_addresses(doc)


def order_of(docs, name):
    """The networks (their names) namespace ``name`` is on: the one holding its default route first, then in the order
    it joined them, then by name."""
    on = [n for n, doc in docs.items() if name in (doc.get('endpoints') or {})]

    def key(network):
        ep = docs[network]['endpoints'][name]
        return (not ep.get('default_route'), ep.get('connected') or '', network)
    return sorted(on, key=key)


def addresses(docs, name, order=None):
    """The host's addresses on the network of namespace ``name`` (see the module doc); ``order``: the networks to look
    at, in order (default ``order_of``: as the store has them).  [] when none of them has one."""
    for network in order_of(docs, name) if order is None else order:
        found = _host_side(docs.get(network) or {})
        if found:
            return found
    return []


def resolve(option, name, found):
    """The addresses a hosts entry ``host-gateway`` of namespace ``name`` stands for (``found``: ``addresses``), or the
    error naming the option and the value."""
    if not found:
        raise _validate.InputError(option, HOST_GATEWAY, "network namespace %s is on no network with an address of the host's "
                                   "(a bridge network's gateway, a macvlan network's host shim): host-gateway is that address, "
                                   "as in docker run --add-host NAME:host-gateway; connect it to a network first" % name)
    return list(found)
