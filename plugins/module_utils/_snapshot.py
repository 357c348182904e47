# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a network run reads from the kernel, read once before planning: the host's links, addresses and (when a
subnet must be chosen) routes, the namespaces that exist, and a view of each endpoint's namespace.

Planning then reads nothing: a Snapshot and its NetnsViews are plain data, so unit tests build them from dicts.
"""

from __future__ import annotations

import os
import pickle
import struct
from socket import AF_INET, AF_INET6

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns

PROBE = '240.0.0.1'  # outside every subnet a container uses: its route lookup matches the default route
# From this many namespaces on, a forked process reads some of them beside this one (see split_map), taking them
# _SPLIT_CHUNK at a time by a ticket of _TICKET's form.
PARALLEL_MIN = 64
_SPLIT_CHUNK = 16
_TICKET = struct.Struct('=H')
_MAX_TICKETS = 4096  # 8 KiB of tickets: a pipe holds them all before anyone reads (larger inputs take larger chunks)


class NetnsView:
    """A container namespace as one run sees it: links, IPv4 addresses, and either the route a lookup of PROBE
    matches (``probe``: when it is the default route, all an endpoint check needs) or the main table (``routes``)."""

    def __init__(self, links, addrs, probe=None, routes=None, partial=False):
        self.links = links
        self.addrs = addrs
        self.probe = probe
        self.routes = routes
        self.partial = partial
        # IPv6: read only for a network with IPv6 (read_view's v6), so IPv4-only runs read what they always did.
        self.addrs6 = []
        self.routes6 = []
        self.by_index = {link['index']: link for link in links}
        self.by_name = {link['ifname']: link for link in links}

    def addresses(self, index):
        return [a['address'] for a in self.addrs if a['index'] == index and a['address']]

    def addresses6(self, index):
        """The link's IPv6 addresses but link-local ones (fe80::/10: the kernel's own, never the collection's)."""
        return global6(self.addrs6, index)

    def default_route6(self, gone=None):
        """The main table's IPv6 default route as {gateway, oif}, not counting one through ``gone``; None when none."""
        for route in self.routes6:
            if route['dst_len'] == 0 and route['oif'] != gone and route['gateway']:
                return {'gateway': route['gateway'], 'oif': route['oif']}
        return None

    def probe_answers(self, oif=None):
        probe = self.probe
        return probe is not None and probe['dst_len'] == 0 and probe['table'] == 254 and (oif is None or probe['oif'] == oif)

    def default_gateway(self, oif=None, gone=None):
        """The gateway of the main table's default route (through ``oif``), not counting routes through ``gone`` (a
        link the plan deletes)."""
        if self.probe_answers(oif) and (gone is None or self.probe['oif'] != gone):
            return self.probe['gateway']
        for route in self.routes or ():
            if route['dst_len'] == 0 and (oif is None or route['oif'] == oif) and (gone is None or route['oif'] != gone):
                return route['gateway']
        return None

    def default_route(self, gone=None):
        """The main table's default route as {gateway, oif}, not counting one through ``gone`` (a link the plan
        deletes); None when there is none."""
        if self.probe_answers() and self.probe['oif'] != gone:
            return {'gateway': self.probe['gateway'], 'oif': self.probe['oif']}
        for route in self.routes or ():
            if route['dst_len'] == 0 and route['oif'] != gone:
                return {'gateway': route['gateway'], 'oif': route['oif']}
        return None


class Snapshot:
    """The host as one run sees it.  ``views``: {container: NetnsView} of the endpoints' namespaces that exist."""

    def __init__(self, links, addrs=(), routes=None, netns=(), views=None):
        self.links = {link['ifname']: link for link in links}
        self.addrs = list(addrs)
        self.routes = routes
        self.netns = set(netns)
        self.views = dict(views or {})
        # IPv6 (read_host's v6): the host's addresses, its main-table routes when a subnet_v6 is chosen, and whether
        # IPv6 is enabled in the host's namespace (None: not read).
        self.addrs6 = []
        self.routes6 = []
        self.ipv6 = None
        # Whether the kernel has IPv6 at all (/proc/sys/net/ipv6): the container ends of IPv4-only networks get it
        # turned off (_batch.no_ipv6_ops), which a kernel without it has no key for.
        self.kernel_ipv6 = True
        # The MTU of the host's default-route interface (read_host's uplink: a new network without an mtu), else None.
        self.uplink_mtu = None
        # The qdiscs of the host and of the namespaces of shaped endpoints ({None or container: [parse_qdisc]}: _bandwidth.read).
        self.qdiscs = {}
        # A DHCP network's clients ({container: {env, pid, lease}}) and the client program (_dhcp.read).
        self.dhcp = {}
        self.dhcp_program = None

    def link(self, ifname):
        return self.links.get(ifname) if ifname else None

    def addresses(self, index):
        return [a['address'] for a in self.addrs if a['index'] == index and a['address']]

    def addresses6(self, index):
        return global6(self.addrs6, index)

    def ifname_of(self, index):
        return next((name for name, link in self.links.items() if link['index'] == index), None)


def global6(addrs, index):
    """The IPv6 addresses of ``index`` among ``addrs`` (parse_addr dicts) but link-local ones."""
    return [a['address'] for a in addrs if a['index'] == index and a['address'] and not a['address'].lower().startswith('fe80:')]


def main_routes(chan, family):
    return [r for r in chan.dump(_kernel.RTM_GETROUTE, family) if r['table'] == 254]


def ipv6_enabled():
    """Whether the host's namespace has IPv6: /proc/sys/net/ipv6 there and net.ipv6.conf.all.disable_ipv6 0."""
    try:
        with open('/proc/sys/net/ipv6/conf/all/disable_ipv6') as f:
            return f.read().strip() == '0'
    except OSError:
        return False


def uplink_mtu(links, routes, routes6=()):
    """The MTU of the interface of the host's default route (the first IPv4 one in the main table, else the first
    IPv6 one; netavark 1.16 takes a new network's MTU from it), None when the host has none."""
    by_index = {link['index']: link for link in links}
    for table in (routes, routes6):
        for route in table or ():
            if route['dst_len'] == 0 and route['oif'] in by_index:
                return by_index[route['oif']]['mtu']
    return None


def read_host(chan, routes=False, v6=False, routes6=False, uplink=False):
    """The host's links, IPv4 addresses, main-table routes (only with ``routes``: choosing a subnet needs them)
    and the named namespaces; with ``v6`` (a network with IPv6) its IPv6 addresses and whether IPv6 is on, and with
    ``routes6`` its IPv6 routes (choosing a subnet_v6); with ``uplink`` (a new network without an mtu) the MTU of
    the default-route interface."""
    snap = Snapshot(chan.dump(_kernel.RTM_GETLINK), chan.dump(_kernel.RTM_GETADDR, AF_INET), main_routes(chan, AF_INET) if routes else None,
                    _netns.list_netns())
    if uplink:
        routes4 = snap.routes if snap.routes is not None else main_routes(chan, AF_INET)
        snap.uplink_mtu = uplink_mtu(snap.links.values(), routes4)
        if snap.uplink_mtu is None and os.path.isdir('/proc/sys/net/ipv6'):
            snap.uplink_mtu = uplink_mtu(snap.links.values(), (), main_routes(chan, AF_INET6))
    snap.kernel_ipv6 = os.path.isdir('/proc/sys/net/ipv6')
    if v6:
        snap.ipv6 = ipv6_enabled()
        snap.addrs6 = chan.dump(_kernel.RTM_GETADDR, AF_INET6) if snap.ipv6 else []
        snap.routes6 = main_routes(chan, AF_INET6) if snap.ipv6 and routes6 else []
    return snap


def _partial_view(chan, key):
    # GETs finish inside the write, so the address dump can follow them in the same write (a second dump could
    # not: the kernel holds one dump per socket until it is read).  ifindex 1 is always the namespace's lo, whose
    # state is all a run checks of it.
    link, lo, probe, addrs = chan.query(('link', key), ('state', 1), ('route', PROBE), (_kernel.RTM_GETADDR, AF_INET))
    return NetnsView([entry for entry in (link, lo) if entry], addrs, probe, partial=True)


def read_view(chan, key, wants, v6=False):
    """One namespace: with ``key`` (the endpoint's link there, by index or name) only that link and lo, in one write;
    ``wants(view)`` -> (all links, routes) says what else the planner will look at, read then; with ``v6`` its IPv6
    addresses and routes too."""
    if key:
        view = _partial_view(chan, key)
    else:
        view = NetnsView(chan.dump(_kernel.RTM_GETLINK), chan.dump(_kernel.RTM_GETADDR, AF_INET))
    links, routes = wants(view)
    if links and view.partial:
        view = NetnsView(chan.dump(_kernel.RTM_GETLINK), view.addrs, view.probe)
    if routes:
        view.routes = main_routes(chan, AF_INET)
    if v6:
        view.addrs6 = chan.dump(_kernel.RTM_GETADDR, AF_INET6)
        view.routes6 = main_routes(chan, AF_INET6)
    return view


def read_views(ns, snap, targets, wants, v6=False):
    """Views of the namespaces of ``targets`` ((container, key) pairs) that exist, their sockets opened in one pass;
    many are read by two processes at once (split_map)."""
    todo = [(cname, key) for cname, key in targets if cname in snap.netns and cname not in snap.views]

    def read(item):
        cname, key = item
        return read_view(ns.chan(cname), key, lambda view: wants(cname, view), v6)

    def open_part(part):
        ns.open_many([cname for cname, dummy in part])
    if len(todo) >= PARALLEL_MIN:
        views = split_map(read, todo, open_part)
    else:
        open_part(todo)
        views = [read(item) for item in todo]
    snap.views.update((cname, view) for (cname, dummy), view in zip(todo, views))
    return snap


def split_map(func, items, prepare=None):
    """[func(item) for item in items], computed by this process and a forked child side by side when the machine has
    a second CPU.  Reading a namespace is a few netlink round trips, mostly kernel time; the namespaces are
    independent, so two processes read 500 of them in about 60% of the time one takes (threads do not: they queue on
    the GIL at every recv).  The items go in chunks of _SPLIT_CHUNK, each taken by whichever process is free (a ticket
    read from a pipe both share): the child is the slower one (every object it touches is a page copied from its
    parent), and fixed halves kept the parent waiting for it.  ``prepare(chunk)``, when given, runs before the items of
    a chunk in the process that maps them (each process opens the sockets of its own namespaces: opening 500 in turn
    before the fork took 10-16 ms).  The child sends its results back pickled; a chunk it did not return (it failed
    in any way) is computed here after (so a real error is raised here, as without the child)."""
    size = max(_SPLIT_CHUNK, -(-len(items) // _MAX_TICKETS))
    chunks = [items[k:k + size] for k in range(0, len(items), size)]

    def run(chunk):
        if prepare is not None:
            prepare(chunk)
        return [func(item) for item in chunk]
    if len(os.sched_getaffinity(0)) < 2 or len(chunks) < 2:
        return [out for chunk in chunks for out in run(chunk)]
    tickets, results = _tickets(len(chunks)), os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into the caller's code, never runs its exit handlers
        _child(lambda: _take(tickets, chunks, run), results)
    os.close(results[1])
    try:
        done = _take(tickets, chunks, run)
    finally:
        os.close(tickets)
        with os.fdopen(results[0], 'rb') as pipe:
            data = pipe.read()
        dummy, status = os.waitpid(pid, 0)
    theirs = pickle.loads(data) if status == 0 and data else None
    if isinstance(theirs, dict):
        done.update((k, out) for k, out in theirs.items() if k not in done)
    return [out for k, chunk in enumerate(chunks) for out in (done[k] if k in done else run(chunk))]


def _tickets(count):
    """The read end of a pipe holding the numbers 0..count-1 (at most _MAX_TICKETS), written at once and closed: a
    read of one ticket's bytes is atomic, so two processes reading it each get whole tickets, every one once, then end
    of file."""
    rfd, wfd = os.pipe()
    try:
        os.write(wfd, b''.join(_TICKET.pack(k) for k in range(count)))
    finally:
        os.close(wfd)
    return rfd


def _take(tickets, chunks, run):
    """{chunk number: its results} of the chunks this process took until the tickets ran out."""
    done = {}
    while True:
        ticket = os.read(tickets, _TICKET.size)
        if not ticket:
            return done
        k = _TICKET.unpack(ticket)[0]
        done[k] = run(chunks[k])


def _child(work, results):
    """The forked child: ``work()`` pickled into the results pipe, then exit, whatever happens."""
    status = 1
    try:
        os.close(results[0])
        with os.fdopen(results[1], 'wb') as out:
            pickle.dump(work(), out, protocol=pickle.HIGHEST_PROTOCOL)
        status = 0
    finally:
        os._exit(status)  # pylint: disable=protected-access
