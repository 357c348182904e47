# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's extra routes and ``no_default_route`` (podman's ``--route`` and ``no_default_route``).

``routes`` ({destination, gateway, metric}) are installed in every container of the network, through the
container's interface on it: via ``gateway`` (an address inside the network's subnet of the destination's family)
or on-link when it has none.  The network document keeps them (``routes``, normalised, only when there are some)
and ``no_default_route: true`` (only when true); _default_route reads the latter, so such a network never gives
a container its default route and a container on a second network takes it from that one.

The routes a network's document lists are the collection's: a run removes those the network no longer lists and
adds the missing ones, in each container it checks, and touches no other route.  Pure: the planner hands over the
snapshot's view of the container.
"""

from __future__ import annotations

import errno
import ipaddress

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

DEFAULT_METRIC = 100  # as netavark's static routes
METRIC_MAX = 4294967295
_KEYS = ('destination', 'gateway', 'metric')


def argument_spec():
    """The modules' argument spec of the two options (docker_bridge, macvlan_net, and their list form)."""
    route = dict(destination=dict(type='str', required=True), gateway=dict(type='str'), metric=dict(type='int', default=DEFAULT_METRIC))
    return {'routes': dict(type='list', elements='dict', options=route), 'no_default_route': dict(type='bool', default=False)}


def _destination(value, option, ipam):
    """The destination as a network (host bits cleared), of a family the network has, never the default route."""
    try:
        if not isinstance(value, str) or '/' not in value:
            raise ValueError(value)
        dest = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise _validate.InputError(option, value, 'is not a CIDR (an address and a prefix length, e.g. 192.168.50.0/24 '
                                                  'or fd00:50::/64)') from None
    if dest.prefixlen == 0:
        raise _validate.InputError(option, value, 'is the default route, which is not an extra route: the election among the '
                                                  "container's networks gives it (gw_priority, no_default_route)")
    if dest.version not in ipam:
        raise _validate.InputError(option, value, 'is an IPv%d destination and the network has no IPv%d subnet'
                                   % (dest.version, dest.version))
    return dest


def _gateway(value, option, dest, ipam):
    """The gateway as an address inside the network's subnet of the destination's family (None: on-link)."""
    if value is None or value == '':
        return None
    try:
        gateway = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise _validate.InputError(option, value, 'is not an IP address') from None
    subnet = ipaddress.ip_network(ipam[dest.version]['subnet'])
    if gateway.version != dest.version:
        raise _validate.InputError(option, value, 'is an IPv%d address and the destination an IPv%d network: a route goes via a '
                                   'gateway of its own family (or on-link, without gateway)' % (gateway.version, dest.version))
    if gateway not in subnet or gateway in (subnet.network_address, subnet.broadcast_address) and subnet.version == 4:
        subnets = ', '.join(str(pool['subnet']) for dummy, pool in sorted(ipam.items()))
        raise _validate.InputError(option, value, 'is outside every subnet of the network (%s): a container reaches a gateway '
                                   'through its interface on this network' % subnets)
    return str(gateway)


def _metric(value, option):
    if value is None:
        return DEFAULT_METRIC
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= METRIC_MAX:
        raise _validate.InputError(option, value, 'must be an integer from 1 to %d' % METRIC_MAX)
    return value


def parse(value, ipam, option='routes'):
    """The ``routes`` option as the document keeps it: [{destination, gateway (None: on-link), metric}], each checked
    against the network's pools ``ipam`` ({family: {subnet...}}); InputError names the entry and the value."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _validate.InputError(option, value, 'must be a list of {destination, gateway, metric}')
    out = []
    seen = {}
    for i, entry in enumerate(value):
        where = '%s[%d]' % (option, i)
        if not isinstance(entry, dict) or set(entry) - set(_KEYS):
            raise _validate.InputError(where, entry, 'must be a dict of destination, gateway (optional) and metric (optional)')
        dest = _destination(entry.get('destination'), where + '.destination', ipam)
        route = {'destination': str(dest), 'gateway': _gateway(entry.get('gateway'), where + '.gateway', dest, ipam),
                 'metric': _metric(entry.get('metric'), where + '.metric')}
        key = (route['destination'], route['metric'])
        if key in seen:
            raise _validate.InputError(where + '.destination', entry.get('destination'), 'is also %s[%d].destination with the same '
                                       'metric: a routing table holds one route of each' % (option, seen[key]))
        seen[key] = i
        out.append(route)
    return out


def set_options(params, net):
    """Put the network's routes and no_default_route in its options (``net``: the wanted _model.Network), as the
    document keeps them: absent when there are none, and when the network gives the default route."""
    routes = parse(params.get('routes'), net.ipam)
    for key, value in (('routes', routes), ('no_default_route', bool(params.get('no_default_route')))):
        if value:
            net.options[key] = value
        else:
            net.options.pop(key, None)


def wants_routes(net, stored):
    """Whether planning an endpoint looks at the container's routes: the network has extra routes, or had some."""
    return bool(net.options.get('routes') or (stored or {}).get('routes'))


def describe(route, ifname, cname):
    via = 'via %s ' % route['gateway'] if route['gateway'] else ''
    return 'route %s %sdev %s metric %d in %s' % (route['destination'], via, ifname, route['metric'], cname)


def _request(msg_type, route, index):
    return _kernel.extra_route_request(msg_type, route['destination'], route['gateway'], route['metric'], index)


def present(view, route, index):
    """Whether the container's main table (``view``: its snapshot view) has ``route`` through link ``index``."""
    dest = ipaddress.ip_network(route['destination'])
    table = view.routes6 if dest.version == 6 else view.routes
    for have in table or ():
        if have['dst'] is None or ipaddress.ip_network(have['dst'], strict=False) != dest or have['oif'] != index:
            continue
        gateway = ipaddress.ip_address(have['gateway']) if have['gateway'] else None
        if gateway == (ipaddress.ip_address(route['gateway']) if route['gateway'] else None) and (have.get('priority') or 0) == route['metric']:
            return True
    return False


def routes_of(net, ep):
    """The routes of ``net`` that endpoint ``ep`` gets: all but those via its own address (it is their router)."""
    own = {ep.ip, ep.ip6} - {None}
    return [route for route in net.options.get('routes') or [] if route['gateway'] not in own]


def plan_endpoint(run, cname, ep, view, index, readdressed):
    """The routes of a whole endpoint (its link ``index`` in ``view``): the ones the network no longer lists removed,
    the missing ones added.  ``readdressed`` ({family: bool}): an address this run replaces takes the routes through it
    along, so they are added again after."""
    want = routes_of(run.net, ep)
    for route in run.old.get('routes') or []:
        if route not in want and present(view, route, index):
            run.plan_request(cname, 'remove ' + describe(route, ep.ifname, cname),
                             lambda route=route: _request(_kernel.RTM_DELROUTE, route, index),
                             lambda route=route: _request(_kernel.RTM_NEWROUTE, route, index), (errno.EEXIST,))
    for route in want:
        family = 6 if ':' in route['destination'] else 4
        if readdressed.get(family) or not present(view, route, index):
            run.plan_request(cname, 'add ' + describe(route, ep.ifname, cname),
                             lambda route=route: _request(_kernel.RTM_NEWROUTE, route, index),
                             lambda route=route: _request(_kernel.RTM_DELROUTE, route, index), (errno.ESRCH,))


def plan_new(run, cname, ep):
    """The routes of a new endpoint, after the driver's create (its link, up and addressed): the link is found by name
    in the namespace.  Undone with the link (deleting it takes its routes along)."""
    ifname = ep.ifname
    for route in routes_of(run.net, ep):
        run.add('add ' + describe(route, ifname, cname),
                [('find', cname, ifname), (cname, lambda ctx, route=route: _request(_kernel.RTM_NEWROUTE, route, ctx.index(cname, ifname)))])
