# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which of a container's networks gives it its default route: the election, pure (documents in, a choice out).

As libnetwork does (sandbox.go, Endpoint.Less and getGatewayEndpoint): a network that gives no gateway (an internal
network) never gives the default route, nor does one with ``no_default_route`` (podman's); among the others the
endpoint with the highest ``gw_priority`` wins.
libnetwork breaks a tie by network name; here, as this collection always did and Docker's users expect from
``docker run`` then ``docker network connect``, the endpoint connected first wins, then the network created first,
then the name.  ``connected`` (when the endpoint joined, recorded at connect) orders endpoints; an endpoint recorded
before it existed sorts before every newer one, and among such endpoints the one holding the route now keeps it
(so an upgrade moves no route), then the network created first.  Every run that touches a container's namespace,
whichever of its networks it is for, elects from every network in the store the container is on, so any run
leaves the same route and a second run changes nothing.
"""

from __future__ import annotations

from collections import namedtuple

# One network a container is on, as the election sees it.  ``ifname``: the container's link on it.
# leased: a network with ipam_driver dhcp, whose default route (through the lease's router) is its client's to set
# (_dhcp_hook): the election never takes it from it, nor gives it one.
Candidate = namedtuple('Candidate', 'network gateway ifname priority connected created internal leased', defaults=(False,))


def candidate(network, doc, ep, family=4):
    """The Candidate of endpoint ``ep`` (an endpoint document) of network document ``doc``, its gateway of ``family``
    (a network without that family gives none, so never that family's default route, and neither does a network with
    ``no_default_route``, podman's option)."""
    # A DHCP network's route is its client's (the lease's router, set by _dhcp_hook), never the planner's.
    gateway = None if doc.get('no_default_route') or doc.get('ipam_driver') == 'dhcp' else doc.get('gateway' if family == 4 else 'gateway_v6')
    return Candidate(network, gateway, ep.get('ifname'), int(ep.get('gw_priority') or 0), ep.get('connected') or '',
                     doc.get('created') or '', bool(doc.get('internal')), doc.get('ipam_driver') == 'dhcp')


def memberships(docs, family=4):
    """{container: {network: Candidate}} of every endpoint of the network documents ``docs`` ({name: document})."""
    out = {}
    for name, doc in docs.items():
        for cname, ep in (doc.get('endpoints') or {}).items():
            out.setdefault(cname, {})[name] = candidate(name, doc, ep, family)
    return out


def rank(cand, incumbent=None):
    """The sort key: lower is better."""
    return (-cand.priority, cand.connected, 0 if cand.network == incumbent else 1, cand.created, cand.network)


def elect(cands, incumbent=None):
    """The Candidate that gives the default route (None: no network gives one).  ``cands``: the container's networks
    whose link is there (or made by this run); ``incumbent``: the network whose gateway the route goes through now."""
    eligible = [c for c in cands if not c.internal and c.gateway]
    return min(eligible, key=lambda c: rank(c, incumbent)) if eligible else None


def holder(cands, route, oifs=None):
    """The network among ``cands`` the default route ``route`` ({gateway, oif} or None) goes through: by its gateway,
    else by its link (``oifs``: {ifindex: network}; a route through one of the container's links with a gateway that
    is not its network's is still that network's, to repair)."""
    if not route:
        return None
    by_gateway = next((c.network for c in cands if c.gateway and c.gateway == route.get('gateway')), None)
    return by_gateway or (oifs or {}).get(route.get('oif'))
