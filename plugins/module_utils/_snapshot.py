# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a network run reads from the kernel, read once before planning: the host's links, addresses and (when a
subnet must be chosen) routes, the namespaces that exist, and a view of each endpoint's namespace.

Planning then reads nothing, but the host links a snapshot of one bridge's ports lacks (read_host's ports_of: read
by name or index when asked for): a Snapshot and its NetnsViews are plain data, so unit tests build them from dicts.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
from socket import AF_INET, AF_INET6

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl

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


class NamedNamespaces:
    """The named namespaces (/run/netns) as a run asks about them: each name looked up once (_netns.netns_exists),
    so a run pays for its own containers' namespaces, not for listing every one of a host holding thousands."""

    def __init__(self):
        self._known = {}

    def __contains__(self, name):
        found = self._known.get(name)
        if found is None:
            found = self._known[name] = _netns.netns_exists(name)
        return found


class Snapshot:
    """The host as one run sees it.  ``views``: {container: NetnsView} of the endpoints' namespaces that exist.
    ``reads``: the host's channel when ``links`` are only some of its links (read_host's ports_of)."""

    def __init__(self, links, addrs=(), routes=None, netns=(), views=None, reads=None):
        self.links = {link['ifname']: link for link in links}
        self.addrs = list(addrs)
        self.routes = routes
        self.netns = netns if isinstance(netns, NamedNamespaces) else set(netns)
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
        # The host ends (names) of the endpoints a bridge-like run checks whose IPv6 is on (host_ipv6_on): made by an
        # earlier version, or turned on since; the run turns it off.
        self.host_ipv6 = set()
        # A snapshot of one bridge's ports (read_host's ports_of) holds only the links that run is about: any other
        # link it is asked for is read then, by name or index, once (a name or index found missing is remembered).
        self._chan = reads
        self._absent = set()

    def link(self, ifname):
        if not ifname:
            return None
        return self.links.get(ifname) or self._looked_up(ifname)

    def addresses(self, index):
        return [a['address'] for a in self.addrs if a['index'] == index and a['address']]

    def addresses6(self, index):
        return global6(self.addrs6, index)

    def ifname_of(self, index):
        name = next((name for name, link in self.links.items() if link['index'] == index), None)
        if name is None and index:
            link = self._looked_up(index)
            name = link['ifname'] if link is not None else None
        return name

    def _looked_up(self, key):
        """A link the partial snapshot lacks, by name or index: read once, kept (a key found missing too)."""
        if self._chan is None or key in self._absent:
            return None
        link = self._chan.link(key)
        if link is None:
            self._absent.add(key)
        else:
            self.links[link['ifname']] = link
        return link


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


def read_host(chan, routes=False, v6=False, routes6=False, uplink=False, ports_of=None, ports=True):
    """The host's links, IPv4 addresses, main-table routes (only with ``routes``: choosing a subnet needs them)
    and the named namespaces (each looked up when asked about); with ``v6`` (a network with IPv6) its IPv6 addresses and whether IPv6 is on, and with
    ``routes6`` its IPv6 routes (choosing a subnet_v6); with ``uplink`` (a new network without an mtu) the MTU of
    the default-route interface.  With ``ports_of`` (a bridge's name) the links are that bridge and its ports only,
    any other one read when asked for (Snapshot.link): a run on one network of a host holding thousands of other
    containers reads its own links, not every host end of the host (most of a re-apply's time there).  With
    ``ports`` false, the bridge alone: a run that looks at a few listed endpoints of a large network reads their
    host ends by name, not the network's every port."""
    partial = bool(ports_of) and not uplink  # the uplink is found among all links
    links = _bridge_and_ports(chan, ports_of, ports) if partial else chan.dump(_kernel.RTM_GETLINK)
    snap = Snapshot(links, chan.dump(_kernel.RTM_GETADDR, AF_INET), main_routes(chan, AF_INET) if routes else None, NamedNamespaces(),
                    reads=chan if partial else None)
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


def _bridge_and_ports(chan, bridge, ports=True):
    """The link ``bridge`` and (with ``ports``) the links enslaved to it; none when there is no such link."""
    link = chan.link(bridge)
    if link is None:
        return []
    return [link] + (chan.dump(_kernel.RTM_GETLINK, master=link['index']) if ports else [])


def host_ipv6_on(names):
    """The host's links of ``names`` whose IPv6 is on (disable_ipv6 0), each link's key read through one
    _sysctl.ipv6_conf.  A link without IPv6 (an MTU under IPv6's 1280) or gone is not."""
    if not names:
        return set()
    with _sysctl.ipv6_conf() as conf:
        return {name for name in names if _reads_zero(name + '/disable_ipv6', conf)}


def _reads_zero(path, dir_fd):
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return False
    try:
        return os.read(fd, 16).strip() == b'0'
    finally:
        os.close(fd)


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
    return _complete_view(lambda: chan, view, wants, v6)


def _complete_view(chan, view, wants, v6, v6_read=False):
    """``view`` with what ``wants(view)`` asks beyond it (see read_view) and, with ``v6``, the IPv6 side unless
    ``v6_read`` (it was read with the view); ``chan()`` gives the namespace's Channel, opened only when needed."""
    links, routes = wants(view)
    if links and view.partial:
        view = NetnsView(chan().dump(_kernel.RTM_GETLINK), view.addrs, view.probe)
        v6_read = False
    if routes:
        view.routes = main_routes(chan(), AF_INET)
    if v6 and not v6_read:
        _read_v6(chan(), view)
    return view


def _read_v6(chan, view):
    view.addrs6 = chan.dump(_kernel.RTM_GETADDR, AF_INET6)
    view.routes6 = main_routes(chan, AF_INET6)


def read_views(ns, snap, targets, wants, v6=False, early=None):
    """Views of the namespaces of ``targets`` ((container, key) pairs) that exist, their sockets opened in one pass;
    many are read by two processes at once (split_map).  ``early``: an EarlyViews whose views are used where they
    answer the same reads."""
    todo = [(cname, key) for cname, key in targets if cname in snap.netns and cname not in snap.views]
    got = early.take(todo, v6) if early is not None else {}
    rest = [item for item in todo if item[0] not in got]

    def read(item):
        cname, key = item
        return read_view(ns.chan(cname), key, lambda view: wants(cname, view), v6)

    def open_part(part):
        ns.open_many([cname for cname, dummy in part], listed=True)  # in snap.netns: netns_exists found each
    if len(rest) >= PARALLEL_MIN:
        views = dict(zip(rest, split_map(read, rest, open_part)))
    else:
        open_part(rest)
        views = {item: read(item) for item in rest}
    for item in todo:
        cname = item[0]
        if cname in got:
            snap.views[cname] = _complete_view(lambda cname=cname: ns.chan(cname), got[cname], lambda view, cname=cname: wants(cname, view), v6,
                                               v6_read=True)
        else:
            snap.views[cname] = views[item]
    return snap


def early_targets(params, stored):
    """(container, recorded interface name) of the recorded endpoints (``stored``: the network's document) a run with
    ``params`` checks (all, or those it lists): the namespaces a rerun reads, read early (EarlyViews)."""
    listed = None if params.get('endpoints') is None else {entry['name'] for entry in params['endpoints']}
    return [(cname, ep['ifname']) for cname, ep in (stored.get('endpoints') or {}).items()
            if ep.get('ifname') and (listed is None or cname in listed)]


class EarlyViews:
    """The namespaces a run will most likely read (each recorded endpoint's, by its recorded interface name), begun
    before the host is read: a forked child takes them in chunks (_Split) while this process reads the host and
    computes the network, and this process takes the chunks left when it gets to the namespaces (read_views).  On a
    rerun of a large network the two halves of a run overlap.  A view is used only when it answers the read the run
    makes (the same link, the same IPv6 side); any other is read again, as is one whose read failed here."""

    def __init__(self, ns, items, v6):
        self.ns, self.v6 = ns, v6
        self.taken = False
        self.split = _Split(self._read, items, self._open) if len(items) >= PARALLEL_MIN and len(os.sched_getaffinity(0)) >= 2 else None

    def _open(self, part):
        try:
            self.ns.open_many([cname for cname, dummy in part])
        except (OSError, _kernel.HostnetError):
            pass  # a namespace that is gone: its read fails and the run reads it again (and reports it)

    def _read(self, item):
        """A partial view's parts (links, addrs, probe, addrs6, routes6): plain lists and dicts cross the pipe faster
        than the view (take makes it again), or None when the namespace could not be read."""
        cname, ifname = item
        try:
            chan = self.ns.chan(cname)
            view = _partial_view(chan, ifname)
            if self.v6:
                _read_v6(chan, view)
        except (OSError, _kernel.HostnetError):
            return None
        return view.links, view.addrs, view.probe, view.addrs6, view.routes6

    def take(self, todo, v6):
        """{container: partial view} of ``todo`` ((container, key) pairs, as read_views gets them) read early that
        answer the same reads: the key's link (by index or name) is the one read, and the IPv6 side was read as
        asked."""
        if self.split is None or self.taken:
            return {}
        self.taken = True
        items, parts = self.split.chunks, self.split.finish()
        if v6 != self.v6:
            return {}
        early = {cname: part for (cname, dummy), part in zip((item for chunk in items for item in chunk), parts) if part is not None}
        got = {}
        for cname, key in todo:
            part = early.get(cname)
            if part is not None and _answers(part[0], key):
                got[cname] = view = NetnsView(part[0], part[1], part[2], partial=True)
                view.addrs6, view.routes6 = part[3], part[4]
        return got

    def close(self):
        """Stop the child if take never ran, and reap it."""
        if self.split is not None:
            self.split.abandon()
            self.split.reap()
            self.split = None


def _answers(links, key):
    """Whether the links of a partial view read by interface name hold what a read of ``key`` (an ifindex or a name)
    gives."""
    link = links[0] if links and links[0]['index'] != 1 else None
    if link is None or not key:
        return False
    return link['index'] == key if isinstance(key, int) else link['ifname'] == key


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
    split = _Split(func, items, prepare)
    try:
        return split.finish()
    finally:
        split.reap()


class _Split:
    """split_map begun now (the child starts taking chunks at once) and finished later (``finish``: this process takes
    the chunks left, then collects the child's), so the child works while this process does something else.  Once
    begun it must be finished or ``abandon``ed, then ``reap``ed: the child's exit (unmapping its copy of this process)
    takes a while, which this process spends on something else."""

    def __init__(self, func, items, prepare=None):
        size = max(_SPLIT_CHUNK, -(-len(items) // _MAX_TICKETS))
        self.chunks = [items[k:k + size] for k in range(0, len(items), size)]
        self.func, self.prepare = func, prepare
        self.pid = self.tickets = self.results = None
        self.child = None  # the child's pid until it is reaped
        if len(os.sched_getaffinity(0)) < 2 or len(self.chunks) < 2:
            return
        self.tickets, results = _tickets(len(self.chunks)), os.pipe()
        _kernel.widen_pipe(results[0])  # the child's chunks wait there, unread until finish
        try:
            self.pid = self.child = os.fork()
        except OSError:  # no process to spare (a limit, memory): this one maps every chunk, as with one CPU
            for fd in (self.tickets,) + results:
                os.close(fd)
            self.tickets = None
            return
        if self.pid == 0:  # the child: never returns into the caller's code, never runs its exit handlers
            _child(self.tickets, self.chunks, self.run, results)
        os.close(results[1])
        self.results = results[0]

    def run(self, chunk):
        if self.prepare is not None:
            self.prepare(chunk)
        return [self.func(item) for item in chunk]

    def finish(self):
        if self.pid is None:
            return [out for chunk in self.chunks for out in self.run(chunk)]
        done = {}
        try:
            _take(self.tickets, self.chunks, self.run, done.__setitem__)
        finally:
            theirs = self._join()
        done.update((k, out) for k, out in theirs.items() if k not in done)
        return [out for k, chunk in enumerate(self.chunks) for out in (done[k] if k in done else self.run(chunk))]

    def abandon(self):
        """Stop without the results: the tickets left are taken (the child ends after the chunk it is on)."""
        if self.pid is not None:
            while os.read(self.tickets, 1 << 16):
                pass
            self._join(read=False)

    def reap(self):
        """Wait for the child to be gone (after finish or abandon)."""
        child, self.child = self.child, None
        if child is not None:
            os.waitpid(child, 0)

    def _join(self, read=True):
        """{chunk number: results} of the chunks the child sent whole (none when ``read`` is false), read until it
        closed its end; the pipes closed."""
        self.pid = None
        os.close(self.tickets)
        if not read:
            os.close(self.results)  # the child's next write fails and it exits
            return {}
        with os.fdopen(self.results, 'rb') as pipe:
            return _unpickle_chunks(pipe.read())


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


def _take(tickets, chunks, run, keep):
    """Run the chunks this process takes until the tickets run out, handing each to ``keep(chunk number, results)``."""
    while True:
        ticket = os.read(tickets, _TICKET.size)
        if not ticket:
            return
        k = _TICKET.unpack(ticket)[0]
        keep(k, run(chunks[k]))


def _child(tickets, chunks, run, results):
    """The forked child: each chunk it takes is pickled into the results pipe once read (the parent finds them there
    when it gets to them, and waits at most for the last), then exit, whatever happens."""
    try:
        os.close(results[0])
        with os.fdopen(results[1], 'wb') as out:
            def send(k, found):
                out.write(pickle.dumps((k, found), protocol=pickle.HIGHEST_PROTOCOL))
                out.flush()
            _take(tickets, chunks, run, send)
    finally:
        os._exit(0)  # pylint: disable=protected-access


def _unpickle_chunks(data):
    """{chunk number: results} of the whole chunks in what the child wrote (one it was cut short in is left out: the
    parent computes it)."""
    out = {}
    stream = io.BytesIO(data)
    while stream.tell() < len(data):
        try:
            k, found = pickle.load(stream)
        except (EOFError, pickle.UnpicklingError):
            break
        out[k] = found
    return out
