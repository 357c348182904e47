# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a network's endpoint steps in one pass over the kernel (a _plan.Batch), and the small Channel helpers
the drivers' steps and undos share."""

from __future__ import annotations

import errno
import os

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl

_GONE = (errno.ENODEV, errno.ENOENT)


def quiet(func, *codes):
    """Run an undo, ignoring the kernel errors that mean it had nothing to undo."""
    try:
        func()
    except _kernel.NetlinkError as exc:
        if exc.code not in codes + _GONE:
            raise


def run_one(chan, request):
    err = chan.run([request])[0]
    if err is not None:
        raise err


def delete_by_name(chan, ifname):
    link = chan.link(ifname)
    if link is not None:
        err = _kernel.delete_links(chan, [link])
        if err is not None and err.code not in _GONE:
            raise err


# A container end's IPv6 settings, set in its namespace before its address: IPv6 on (a namespace whose default is
# disable_ipv6 1 would refuse the address), and no router advertisements (a container takes its routes from the
# network, not from whatever router answers on the segment), and no duplicate address detection of its link-local
# address (from its MAC, unique on the network; usable when the module returns, as the NODAD global one).  Only the
# interface's own keys: all/default are the container's, untouched.
IPV6_SYSCTLS = (('disable_ipv6', '0'), ('accept_ra', '0'), ('accept_dad', '0'))


# A container end on a network without IPv6 gets IPv6 off, as Docker does since 26.0.2 (CVE-2024-32473): left on, the
# kernel gives it a link-local address and joins it to multicast groups, so on a network meant to be IPv4-only it
# answers neighbour discovery and takes router advertisements (addresses, routes) from any neighbour on the segment.
# Set before the link is up, so it never sends a packet of its own (DAD, MLD reports) either.
NO_IPV6_SYSCTLS = (('disable_ipv6', '1'),)


def no_ipv6_ops(netns, ifname, kernel_ipv6=True):
    """The batch operation turning IPv6 off on a new link ``ifname`` in ``netns`` (None: a host end, on the host), a
    container end or a host end (none when the kernel has no IPv6 at all: nothing to turn off)."""
    return [('sysctl', netns, ifname, NO_IPV6_SYSCTLS)] if kernel_ipv6 else []


def ipv6_ops(netns, ifname, veth, cidr6, gateway6=None):
    """The batch operations giving a new container end ``ifname`` (the peer of ``veth``) in ``netns`` IPv6: its
    sysctls, the address ``cidr6`` and, with ``gateway6``, the IPv6 default route."""
    ops = [('sysctl', netns, ifname, IPV6_SYSCTLS),
           (netns, lambda ctx: _kernel.addr_request(_kernel.RTM_NEWADDR, ctx.peer(veth), cidr6))]
    if gateway6:
        ops.append((netns, lambda ctx: _kernel.default_route_request(gateway6, ctx.peer(veth))))
    return ops


def write_netns_link_sysctls(ns, netns, ifname, values):
    """write_link_sysctls inside ``netns`` (one link: the veth_pair module's peer)."""
    with _netns.entered(ns.fd(netns)):
        write_link_sysctls(ifname, values)


def write_link_sysctls(ifname, values, conf=None):
    """Write net.ipv6.conf.IFNAME.KEY = VALUE for each (key, value) in the namespace the thread is in (the path is
    built here, not from a dotted name: an interface name may hold a dot).  os.open and os.write: three of these per
    new container end, and a buffered text file costs more than the write itself.  The interface's folder is looked
    up once and each key opened relative to it: the kernel finds /proc/sys/net/ipv6 of this namespace on a dentry
    chain that holds it for every namespace already looked up, about 0.3 ms per lookup with a few thousand
    containers on the host (docs/development.md, The scale benchmark); ``conf``, an open /proc/sys/net/ipv6/conf of
    that namespace, spares even that lookup."""
    try:
        folder = os.open(ifname if conf is not None else '/proc/sys/net/ipv6/conf/%s' % ifname, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC,
                         dir_fd=conf)
    except FileNotFoundError:
        # The kernel gives a link whose MTU is under IPv6's minimum (1280) no IPv6 at all, nor these keys: nothing
        # to turn off.  A link that is gone fails on the requests that follow.
        if tuple(values) == NO_IPV6_SYSCTLS:
            return
        raise
    try:
        for key, value in values:
            fd = os.open(key, os.O_WRONLY | os.O_CLOEXEC, dir_fd=folder)
            try:
                os.write(fd, value.encode())
            finally:
                os.close(fd)
    finally:
        os.close(folder)


# Where a host request goes that must wait for the sysctls: a new host end is brought up only once its IPv6 is off.
# Not a string, so no namespace's name can be taken for it.
LATE = ('host', 'after the sysctls')


class EndpointBatch(_plan.Batch):
    """Runs a network's endpoint steps in one pass (see _plan.Batch).

    A step's ``do`` is a list of operations: ('netns', name) creates a namespace; ('delete', link) deletes a host
    link and ('delete', link, netns) one of a namespace (each namespace's in one kernel batch); (None, build)
    and (netns name, build) send the request ``build(self)`` returns on the host's or the namespace's socket (an
    operation is a send when its second item is callable, so a container may have any name, 'peer' or 'host' too);
    ('peer', veth) gives the ifindex the peer of a new veth got in its namespace (``peer(veth)``): from the new
    link the kernel echoed when the veth request asked for it (6.3 and newer: nothing to read while the kernel is
    busy with the new links), else read after the host's requests, one write for all; ('find', netns, ifname) reads, before that namespace's requests, the
    ifindex a link created there from the host got (``index(netns, ifname)``); ('sysctl', netns, ifname, ((key,
    value), ...)) writes IPv6 sysctls of a link of that namespace (None: the host's), after the peers and before the
    namespaces' requests; (LATE, build) sends a host request after the sysctls.  Order: namespaces, deletions, host
    requests, peers, sysctls, LATE requests, then each namespace's finds and requests, each socket's requests
    pipelined in one write.  ``device`` names the host link new endpoints hang on (bridge, parent).
    """

    kernel_only = True  # namespaces (/run/netns), links, addresses, routes and their sysctls: no file of /etc or the store

    def __init__(self, ns, device):
        self.ns = ns
        self.device = device
        self._device_index = None
        self._peers = {}
        self._found = {}

    def peer(self, veth):
        return self._peers[veth]

    def index(self, netns, ifname):
        return self._found[netns, ifname]

    @property
    def host(self):
        return self.ns.chan(None)

    def fd(self, netns):
        return self.ns.fd(netns)

    def device_index(self):
        if self._device_index is None:
            link = self.host.link(self.device)
            if link is None:
                raise _kernel.HostnetError('%s disappeared while the run was applying changes' % self.device)
            self._device_index = link['index']
        return self._device_index

    bridge_index = device_index

    def run(self, steps):
        ops = {}
        for step in steps:
            for op in step.do:
                kind = 'send' if callable(op[1]) else op[0]
                ops.setdefault(kind, []).append((step, op))
        self._create_netns(ops.get('netns', []), steps)
        self._delete(ops.get('delete', []), steps)
        by_socket = {}
        for step, op in ops.get('send', []):
            by_socket.setdefault(op[0], []).append((step, op[1]))
        finds = {}
        for step, op in ops.get('find', []):
            finds.setdefault(op[1], []).append((step, op[2]))
        peers = ops.get('peer', [])
        if None in by_socket:
            self._send(None, by_socket.pop(None), steps)
        if peers:
            self._read_peers(peers, steps)
        self._sysctls(ops.get('sysctl', []), steps)
        if LATE in by_socket:
            self._send(None, by_socket.pop(LATE), steps)
        for where in by_socket:
            self._find(where, finds.get(where, []), steps)
            self._send(where, by_socket[where], steps)

    def _create_netns(self, items, steps):
        if not items:
            return
        try:
            self.ns.create_many([op[1] for dummy, op in items])
        except _kernel.HostnetError as exc:
            step = next((step for step, op in items if op[1] == getattr(exc, 'netns', None)), items[0][0])
            raise _plan.BatchFailed(step, exc, steps)

    def _delete(self, items, steps):
        by_netns = {}
        for step, op in items:
            by_netns.setdefault(op[2] if len(op) > 2 else None, []).append((step, op[1]))
        for where, links in by_netns.items():
            err = _kernel.delete_links(self.ns.chan(where), [link for dummy, link in links])
            if err is not None:
                raise _plan.BatchFailed(links[0][0], err, steps)

    def _read_peers(self, items, steps):
        # The host end's IFLA_LINK is the peer's ifindex in its namespace: one write asks for every new veth whose
        # creation was not echoed.
        items = [(step, op) for step, op in items if op[1] not in self._peers]
        links = self.host.query(*[('link', op[1]) for dummy, op in items]) if items else []
        for (step, op), link in zip(items, links):
            if link is None or not link['link']:
                raise _plan.BatchFailed(step, _kernel.HostnetError('veth %s disappeared while the run was applying changes'
                                                                   % op[1]), steps)
            self._peers[op[1]] = link['link']

    def _sysctls(self, items, steps):
        """The ('sysctl', ...) operations: the thread goes from one namespace straight to the next and home once at
        the end (as _netns.Namespaces.open_many: a setns pair per container end cost more than its writes)."""
        self._host_sysctls([item for item in items if item[1][1] is None], steps)
        items = [item for item in items if item[1][1] is not None]
        if not items:
            return
        fds = [self.ns.fd(op[1]) for dummy, op in items]
        with _netns.entered(fds[0]):
            for fd, (step, op) in zip(fds, items):
                try:
                    _netns.setns(fd)
                    write_link_sysctls(op[2], op[3])
                except OSError as exc:
                    raise _plan.BatchFailed(step, exc, steps)

    @staticmethod
    def _host_sysctls(items, steps):
        """The host's ('sysctl', None, ...) operations, each link's folder opened from one _sysctl.ipv6_conf."""
        if not items:
            return
        with _sysctl.ipv6_conf() as conf:
            for step, op in items:
                try:
                    write_link_sysctls(op[2], op[3], conf)
                except OSError as exc:
                    raise _plan.BatchFailed(step, exc, steps)

    def _find(self, where, items, steps):
        if not items:
            return
        links = self.ns.chan(where).query(*[('link', ifname) for dummy, ifname in items])
        for (step, ifname), link in zip(items, links):
            if link is None:
                raise _plan.BatchFailed(step, _kernel.HostnetError('%s disappeared from %s while the run was applying '
                                                                   'changes' % (ifname, where)), steps)
            self._found[where, ifname] = link['index']

    def _send(self, where, items, steps):
        try:
            requests = [build(self) for dummy, build in items]
            chan = self.ns.chan(where)
            results = chan.run(requests)
        except (OSError, _kernel.HostnetError, _kernel.NetlinkError) as exc:
            raise _plan.BatchFailed(items[0][0], exc, steps)
        for link in chan.echoed:
            if link['kind'] == 'veth' and link['link']:
                self._peers[link['ifname']] = link['link']
        for (step, dummy), err in zip(items, results):
            if err is not None:
                raise _plan.BatchFailed(step, err, steps)
