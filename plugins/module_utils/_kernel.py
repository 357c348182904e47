# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel path of hostnet.containers: one raw rtnetlink socket (a Channel) per namespace per run.

Public API (what modules and the engines build on; _netns.Namespaces hands out the Channels):

* ``Channel``: ``run(requests)`` sends many requests in one write and maps each ACK to its request; ``apply``
  runs a few and raises the first error; reads are decoded lean (_kernel_codec): ``dump(type, family)``,
  ``query(*reads)`` (several GETs and dumps in one write), ``link(name or index)``, ``index(name)``, ``links()``,
  ``addresses(index)``, ``default_gateway(oif)``, ``route_to(ip)``.
* request builders: ``veth_request``, ``link_set_request`` (also renames and moves a link to another namespace),
  ``addr_request``, ``default_route_request``, ``route_del_request`` (encoded by _kernel_codec with struct: a network
  sends them by the hundreds), and ``request``, ``link_del_request`` and the link kinds' (pyroute2 messages);
  ``delete_links`` (many links in one kernel batch).
* ``Links(ns)``: changes by interface name in any namespace of a run (create a veth pair with its peer born in its
  namespace, delete, set up / mtu / mac / master, add and remove addresses, set and remove the default route);
  names resolve when a step runs, so a plan can name links its earlier steps create.
* errors: ``HostnetError`` (message fit for users), ``NetlinkError``, ``describe(exc, what)`` maps
  EEXIST/ENODEV/EBUSY/EPERM/ENOENT/EXFULL/... to words.

Works with pyroute2 0.7.x (Debian 12) and 0.9.x: pyroute2 encodes the rarer requests (bridges, macvlan, vxlan, vlan,
link deletions, tc), with the same bytes as the codec's for the others (test_kernel_encoding); its netlink core is
imported when the first of them is built, without its package __init__ (_pyroute2.modules).
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import sys

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
from ansible_collections.hostnet.containers.plugins.module_utils._kernel_codec import (  # the contract's names
    NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP_INTR, NLM_F_ECHO, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR,
    RTM_DELADDR, RTM_DELLINK, RTM_DELROUTE, RTM_GETADDR, RTM_GETLINK, RTM_GETROUTE, RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE,
    _messages)

try:
    import netaddr
except ImportError:  # the modules report it (_common); the read paths do not need it
    netaddr = None


_MESSAGE_CLASSES = {}
_MESSAGE_CLASS_NAMES = ('ifaddrmsg', 'ifinfmsg', 'rtmsg')  # each in its pyroute2.netlink.rtnl module of that name


def _message_class(name):
    """pyroute2's message class ``name`` (ifinfmsg, ifaddrmsg, rtmsg), imported on first use (_pyroute2.modules)."""
    if not _MESSAGE_CLASSES:
        try:
            modules = _pyroute2.modules(*('pyroute2.netlink.rtnl.' + cls for cls in _MESSAGE_CLASS_NAMES))
        except ImportError as exc:
            raise HostnetError('pyroute2 could not be imported by %s: %s' % (sys.executable, exc)) from exc
        _MESSAGE_CLASSES.update((cls, getattr(module, cls)) for cls, module in zip(_MESSAGE_CLASS_NAMES, modules))
    return _MESSAGE_CLASSES[name]


class NetlinkError(Exception):
    """The error the kernel answered a request with: ``code`` is the errno (as pyroute2's NetlinkError, whose
    place it takes: every request goes through a Channel, so pyroute2 never raises one here)."""

    def __init__(self, code, msg=None):
        super().__init__(code, msg or os.strerror(code))
        self.code = code


# What a delete or a lookup of something that is not there answers: the object is already gone.
GONE = (errno.ENODEV, errno.ENOENT, errno.EADDRNOTAVAIL, errno.ESRCH)
MAIN_TABLE = 254
IFA_F_NODAD = 0x02
NLM_F_DUMP = codec.NLM_F_DUMP


class HostnetError(Exception):
    """An error whose text is fit to show a user as is."""


def describe(exc, what):
    """A NetlinkError or OSError turned into a sentence naming what was being done.

    >>> describe(NetlinkError(17, 'File exists'), 'create veth vethweb01')
    'create veth vethweb01 failed: it already exists'
    """
    code = getattr(exc, 'code', None) or getattr(exc, 'errno', None)
    reasons = {
        errno.EEXIST: 'it already exists',
        errno.ENODEV: 'no such device',
        errno.ENOENT: 'no such object',
        errno.EBUSY: 'the device is busy',
        errno.EPERM: 'operation not permitted (run as root)',
        errno.EACCES: 'permission denied (run as root)',
        errno.EINVAL: 'the kernel rejected the value as invalid',
        errno.EOPNOTSUPP: 'not supported by this kernel',
        errno.ERANGE: 'value out of range',
        errno.EADDRNOTAVAIL: 'address not available',
        errno.EADDRINUSE: 'the address is already in use',
        errno.EXFULL: 'the bridge is full (a Linux bridge holds at most 1023 ports)',
        errno.ENETUNREACH: 'the gateway is not reachable from that interface (no address in its subnet)',
        errno.ESRCH: 'no such route',
        errno.ENOTEMPTY: 'it is not empty',
        errno.ENOSPC: 'no space left (a kernel limit was reached)',
        errno.EMLINK: 'too many links (a kernel limit was reached)',
    }
    reason = reasons.get(code) or (os.strerror(code) if code else str(exc))
    return '%s failed: %s' % (what, reason)


def _split(cidr):
    ip, plen = cidr.split('/')
    return ip, int(plen)


# -- the Channel: pipelined requests and lean reads on a raw socket -------------------------------------
# pyroute2 encodes every request; what costs at scale is a round trip per request and pyroute2's
# generic decoding of dumps.  A Channel sends many requests in one write and reads their ACKs
# together, and decodes reads with struct, only the attributes the engines compare (_kernel_codec).
SOL_NETLINK = 270
SO_RCVBUFFORCE = 33  # root may grow the buffer past net.core.rmem_max
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
_CHUNK = 128  # requests per write: their ACKs fit the socket's receive buffer with room to spare
_QUERY_CHUNK = 64  # reads per write: a link's reply is ~1.5 kB
# Bytes asked of each recv: one datagram, at most 32 KiB (the kernel sizes a dump's datagrams by what recv asked,
# up to 32 KiB; any other reply is one message).  A larger buffer is no help and costs: CPython allocates what recv
# asks for, and 1 MiB is an mmap, its page faults and an munmap on every call, half the cost of reading a namespace.
_RECV = 1 << 16


_F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ, which Python names only from 3.10
_PIPE_SIZES = (8 << 20, 1 << 20)  # root may go past /proc/sys/fs/pipe-max-size (1 MiB by default), others up to it


def widen_pipe(fd):
    """Let the pipe of ``fd`` hold up to 8 MiB, so a process writing into it (iptables-save, a reading child) finishes
    while the reader does other work instead of stopping at the default 64 KiB.  Best effort: the pipe keeps its size
    when the kernel refuses a larger one."""
    for size in _PIPE_SIZES:
        try:
            fcntl.fcntl(fd, _F_SETPIPE_SZ, size)
            return
        except OSError:
            continue


def _recv(sock):
    """One datagram; MSG_TRUNC makes the kernel return its whole length, so one that did not fit is an error,
    never a cut message."""
    data = sock.recv(_RECV, socket.MSG_TRUNC)
    if len(data) > _RECV:
        raise HostnetError('a netlink reply of %d bytes did not fit the %d bytes read' % (len(data), _RECV))
    return data


class Channel:
    """A raw rtnetlink socket of the namespace it was opened in (see Namespaces.chan)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)
        try:
            self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
            self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 1 << 20)
            except OSError:
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            self.sock.bind((0, 0))
        except BaseException:
            self.sock.close()
            raise
        self.seq = 0
        self.sent = 0
        self.echoed = []

    def close(self):
        self.sock.close()

    def _next_seq(self):
        self.seq = (self.seq + 1) & 0x7fffffff or 1
        return self.seq

    # -- changes ------------------------------------------------------------------------------------
    def run(self, requests):
        """Send requests (pyroute2 messages, header type and flags set) with ACKs; a list of None or NetlinkError.

        Requests go out in writes of _CHUNK; the kernel runs each on its own, in order, so a failed one does not
        stop the next.  After a write with a failure, the rest are not sent (their result is None and they did
        not run: see ``sent``).  What the kernel echoes of requests sent with NLM_F_ECHO (a new link as RTM_NEWLINK,
        kernel 6.3 and newer) is in ``echoed``, decoded (parse_link).
        """
        results = [None] * len(requests)
        self.sent = 0
        self.echoed = []
        for start in range(0, len(requests), _CHUNK):
            chunk = requests[start:start + _CHUNK]
            seqs = {}
            buf = bytearray()
            for i, msg in enumerate(chunk):
                seq = self._next_seq()
                msg['header']['sequence_number'] = seq
                msg['header']['flags'] |= NLM_F_REQUEST | NLM_F_ACK
                msg.encode()
                buf += msg.data
                seqs[seq] = start + i
            self.sock.send(bytes(buf))
            self.sent = start + len(chunk)
            if self._acks(seqs, results):
                break
        return results

    def _acks(self, seqs, results):
        """Wait for the ACK of each request in ``seqs`` (seq -> its place in results); True when one failed."""
        pending = len(seqs)
        failed = False
        while pending:
            data = _recv(self.sock)
            for typ, flags, seq, off, end in _messages(data):
                if seq not in seqs:
                    continue
                if typ == RTM_NEWLINK:
                    self.echoed.append(codec.parse_link(data, off, end))
                    continue
                if typ != NLMSG_ERROR:
                    continue
                pending -= 1
                code = codec.error_code(data, off)
                if code:
                    failed = True
                    results[seqs[seq]] = NetlinkError(code, codec.ext_ack_msg(data, off, end, flags) or os.strerror(code))
        return failed

    def apply(self, *requests, gone_ok=False):
        """Run a few requests and raise the first error; with ``gone_ok`` an object already gone (ENODEV, ENOENT,
        EADDRNOTAVAIL, ESRCH: deleting twice) is no error.  True when every request made its change."""
        done = True
        for error in self.run(list(requests)):
            if error is None:
                continue
            if gone_ok and error.code in GONE:
                done = False
                continue
            raise error
        return done

    # -- reads ---------------------------------------------------------------------------------------
    def dump(self, msg_type, family=0, master=None):
        """Every object of a dump (RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE) as dicts (see parse_link and friends);
        with ``master`` (RTM_GETLINK) only the links enslaved to that ifindex."""
        seq = self._next_seq()
        return dump(self.sock, codec.dump_request(msg_type, family, seq, master), seq, codec.PARSERS[msg_type])

    def query(self, *queries):
        """Several reads in one write, each ('link', index or name) (one link, None when it is gone), ('state', index or
        name) (the same read, decoded to the link's index, ifname and up flag), ('route', ip) (the route entry a lookup
        of ip matches, None when unreachable) or a dump message type with a family (RTM_GETADDR, AF_INET); their
        results in order.  GETs finish inside the write, so a dump can follow
        them; a dump the kernel could not start (EBUSY: one dump at a time per socket) is asked again on its own.
        Many queries go out _QUERY_CHUNK at a time, so their replies fit the socket's receive buffer."""
        if len(queries) > _QUERY_CHUNK:
            out = []
            for start in range(0, len(queries), _QUERY_CHUNK):
                out += self.query(*queries[start:start + _QUERY_CHUNK])
            return out
        seqs = {}
        buf = bytearray()
        for i, q in enumerate(queries):
            seq = self._next_seq()
            seqs[seq] = i
            buf += codec.read_request(q, seq)
        self.sock.send(bytes(buf))
        results = [[] for dummy in queries]
        again = []
        pending = set(seqs)
        gets = codec.GETS
        while pending:
            data = _recv(self.sock)
            for typ, flags, seq, off, end in _messages(data):
                if seq not in pending:
                    continue
                i = seqs[seq]
                what = queries[i][0]
                if typ > NLMSG_DONE and what in gets:  # the common reply, inline: one link (or route) answered
                    results[i] = gets[what](data, off, end)
                    pending.discard(seq)
                elif _take_reply(queries, i, (typ, flags, data, off, end), results, again):
                    pending.discard(seq)
        for i in again:
            results[i] = self.dump(queries[i][0], queries[i][1])
        return results

    def link(self, key):
        """One link by name or ifindex (a dict, see parse_link), or None when there is none."""
        return self.query(('link', key))[0]

    def index(self, ifname):
        """The ifindex of ``ifname``; a HostnetError when it is gone (it vanished under a running plan)."""
        found = self.link(ifname)
        if found is None:
            raise HostnetError('interface %s does not exist (it disappeared while the run was applying changes)' % ifname)
        return found['index']

    def links(self):
        """Every link of the namespace, from one dump."""
        return self.dump(RTM_GETLINK)

    def addresses(self, index=None):
        """IPv4 addresses as 'a.b.c.d/len', in kernel order: of one link, or {ifindex: [...]} of every link."""
        found = {}
        for addr in self.dump(RTM_GETADDR, socket.AF_INET):
            if addr['address']:
                found.setdefault(addr['index'], []).append(addr['address'])
        return found if index is None else found.get(index, [])

    def default_gateway(self, oif=None):
        """The gateway of the main table's IPv4 default route (optionally only one via ``oif``), or None."""
        for route in self.dump(RTM_GETROUTE, socket.AF_INET):
            if route['table'] == MAIN_TABLE and route['dst_len'] == 0 and oif in (None, route['oif']):
                return route['gateway']
        return None

    def route_to(self, ip):
        """The route entry a lookup of IPv4 ``ip`` matches (dict with oif, gateway, dst), None when unreachable."""
        return self.query(('route', ip))[0]

    def neighbours(self, index, family):
        """The neighbour entries of device ``index`` in ``family`` (codec.AF_BRIDGE: its forwarding entries; AF_INET:
        its ARP entries), as parse_neigh gives them."""
        seq = self._next_seq()
        return [n for n in dump(self.sock, codec.neigh_dump_request(family, index, seq), seq, codec.parse_neigh) if n['index'] == index]


def dump(sock, request, seq, parse, tries=5):
    """Every object of one dump on a netlink socket (``request``: the encoded dump, sent with ``seq``), each as
    ``parse(data, offset, end)`` returns it; asked again, up to ``tries`` times, while the kernel marks the answer
    interrupted (NLM_F_DUMP_INTR: the objects changed while they were read).  A NetlinkError when it refuses."""
    for dummy in range(tries):
        sock.send(request)
        out, interrupted = _read_dump(sock, seq, parse)
        if not interrupted:
            break
    return out


def _read_dump(sock, seq, parse):
    out = []
    interrupted = False
    while True:
        data = _recv(sock)
        for typ, flags, mseq, off, end in _messages(data):
            if mseq != seq:
                continue
            if typ == NLMSG_DONE:
                return out, interrupted
            if typ == NLMSG_ERROR:
                code = codec.error_code(data, off)
                if code:
                    raise NetlinkError(code, os.strerror(code))
                continue
            interrupted = interrupted or bool(flags & NLM_F_DUMP_INTR)
            out.append(parse(data, off, end))


def _take_reply(queries, i, message, results, again):
    """File one reply message of queries[i] into results (the end of a dump, an error, a dumped object); True when
    that query is answered in full.  (A GET's answer is filed by Channel.query itself.)"""
    typ, flags, data, off, end = message
    what = queries[i][0]
    if typ == NLMSG_DONE:
        return True
    if typ == NLMSG_ERROR:
        code = codec.error_code(data, off)
        if what in codec.GETS:
            if code not in (0, errno.ENODEV, errno.ENOENT, errno.ENETUNREACH, errno.EHOSTUNREACH):
                raise NetlinkError(code, os.strerror(code))
            results[i] = None
        elif code == errno.EBUSY or flags & NLM_F_DUMP_INTR:
            again.append(i)
        elif code:
            raise NetlinkError(code, os.strerror(code))
        return True
    if flags & NLM_F_DUMP_INTR and i not in again:
        again.append(i)
    results[i].append(codec.PARSERS[what](data, off, end))
    return False


def request(cls, msg_type, nlm_flags=0, **fields):
    """A pyroute2 message of class ``cls`` (its name: 'ifinfmsg', 'ifaddrmsg', 'rtmsg') ready for Channel.run."""
    msg = _message_class(cls)()
    msg['header']['type'] = msg_type
    msg['header']['flags'] = nlm_flags
    for key, value in fields.items():
        msg[key] = value
    return msg


def veth_request(ifname, peer_name, peer_netns_fd, master=None, mtu=None, mac=None, peer_mac=None, echo=False, up=True):
    """RTM_NEWLINK creating a veth pair whose host end is up (``up``; on ``master``) and whose peer is born in the namespace
    behind ``peer_netns_fd`` (None: beside the host end), named.  The peer stays down: the kernel cannot open a veth
    before its pair is complete (and it honours a peer ifindex only with a host ifindex, so the peer's is learnt from
    the host end's IFLA_LINK: with ``echo`` from the new link the kernel echoes (6.3 and newer), else read back)."""
    peer = [('IFLA_IFNAME', peer_name)] + ([('IFLA_NET_NS_FD', peer_netns_fd)] if peer_netns_fd is not None else [])
    peer += [(name, value) for name, value in (('IFLA_ADDRESS', peer_mac), ('IFLA_MTU', mtu)) if value]
    attrs = [('IFLA_IFNAME', ifname)] + [(name, value) for name, value in (('IFLA_MASTER', master), ('IFLA_MTU', mtu), ('IFLA_ADDRESS', mac))
                                         if value]
    return codec.link_request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL | (NLM_F_ECHO if echo else 0), up=up, attrs=attrs,
                              linkinfo=codec.veth_info(peer))


def new_link_request(ifname, kind, data=None, **attrs):
    """RTM_NEWLINK creating a link of ``kind`` with IFLA_INFO_DATA ``data`` and IFLA_* attributes (link=, mtu=,
    address=, net_ns_fd=)."""
    nlas = [('IFLA_IFNAME', ifname)]
    for key, nla in (('link', 'IFLA_LINK'), ('mtu', 'IFLA_MTU'), ('address', 'IFLA_ADDRESS'), ('net_ns_fd', 'IFLA_NET_NS_FD')):
        if attrs.get(key) is not None:
            nlas.append((nla, attrs[key]))
    info = [('IFLA_INFO_KIND', kind)]
    if data:
        info.append(('IFLA_INFO_DATA', {'attrs': data}))
    nlas.append(('IFLA_LINKINFO', {'attrs': info}))
    return request('ifinfmsg', RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, attrs=nlas)


def vlan_request(ifname, base_index, vid):
    return new_link_request(ifname, 'vlan', [('IFLA_VLAN_ID', vid)], link=base_index)


def vxlan_request(ifname, vni, local, link, port, mtu):
    """RTM_NEWLINK creating a VXLAN device of an overlay: no group and no remote (every destination is a static
    forwarding entry), learning off, proxy on (it answers ARP from its own neighbour entries).  An IPv6 ``local``
    (IFLA_VXLAN_LOCAL6) makes the device's underlay IPv6: its forwarding entries then name IPv6 VTEPs."""
    local_attr = 'IFLA_VXLAN_LOCAL6' if ':' in local else 'IFLA_VXLAN_LOCAL'
    return new_link_request(ifname, 'vxlan', [('IFLA_VXLAN_ID', vni), (local_attr, local), ('IFLA_VXLAN_LINK', link),
                                              ('IFLA_VXLAN_PORT', port), ('IFLA_VXLAN_LEARNING', 0), ('IFLA_VXLAN_PROXY', 1)], mtu=mtu)


def veth_pair_request(ifname, peer, mtu=None):
    """A veth pair on the host (the internal parent and its peer)."""
    return new_link_request(ifname, 'veth', [('VETH_INFO_PEER', {'attrs': [('IFLA_IFNAME', peer)]})], mtu=mtu)


def bridge_request(name, mtu, mac, stp):
    """RTM_NEWLINK creating a bridge.  Without STP there is nothing to learn before forwarding: no forward delay,
    as ports come and go.  A MAC of its own (as Docker gives its bridges): else the bridge takes the lowest MAC of
    its ports and changes it as containers come and go, and every container's ARP entry of the gateway goes stale."""
    return new_link_request(name, 'bridge', [('IFLA_BR_STP_STATE', 1 if stp else 0), ('IFLA_BR_FORWARD_DELAY', 1500 if stp else 0)],
                            mtu=mtu, address=mac)


def link_set_request(index=0, ifname=None, up=None, **attrs):
    """RTM_NEWLINK changing a link (by index, or by name with index 0; by index, ``ifname`` renames it): up/down,
    and IFLA_* attributes given as mtu=, address=, master= (0 detaches), group=, net_ns_fd= (moves it into the
    namespace behind that fd), hairpin= (a bridge port's hairpin mode)."""
    nlas = [('IFLA_IFNAME', ifname)] if ifname is not None else []
    for key, nla in (('mtu', 'IFLA_MTU'), ('address', 'IFLA_ADDRESS'), ('master', 'IFLA_MASTER'), ('group', 'IFLA_GROUP'),
                     ('net_ns_fd', 'IFLA_NET_NS_FD')):
        if attrs.get(key) is not None:
            nlas.append((nla, attrs[key]))
    info = codec.hairpin_info(attrs['hairpin']) if attrs.get('hairpin') is not None else None
    return codec.link_request(RTM_NEWLINK, 0, index=index, up=up, attrs=nlas, linkinfo=info)


def link_del_request(index=0, group=None, ifname=None):
    """RTM_DELLINK of one link (by index, or by name), or of every link in ``group`` (one unregister batch in the
    kernel)."""
    if group is not None:
        return request('ifinfmsg', RTM_DELLINK, attrs=[('IFLA_GROUP', group)])
    return request('ifinfmsg', RTM_DELLINK, index=index, attrs=[('IFLA_IFNAME', ifname)] if ifname else [])


def broadcast(cidr):
    """The broadcast address of an IPv4 'a.b.c.d/len' as Docker sets it (its netlink library fills IFA_BROADCAST in
    with the subnet's last address for every prefix shorter than /31: ``brd 172.17.255.255`` on docker0 and on each
    container's eth0), or None: a /31 or /32 has no broadcast address (RFC 3021)."""
    brd = netaddr.IPNetwork(cidr).broadcast  # None for a /31 or /32
    return str(brd) if brd is not None else None


def addr_request(msg_type, index, cidr):
    """RTM_NEWADDR / RTM_DELADDR of an IPv4 'a.b.c.d/len' on ifindex ``index``; a new one with its broadcast
    address (see broadcast).  A delete matches by address and prefix, whatever its broadcast.  An IPv6 'x::y/len'
    is added with IFA_F_NODAD: duplicate address detection would leave it tentative (unusable) for a second or more
    after the module returns, and the network's IPAM already makes it unique on its segment."""
    ip, plen = _split(cidr)
    flags = NLM_F_CREATE | NLM_F_EXCL if msg_type == RTM_NEWADDR else 0
    if ':' in ip:
        return codec.addr_request(msg_type, flags, socket.AF_INET6, plen, IFA_F_NODAD, index, [('IFA_ADDRESS', ip)])
    attrs = [('IFA_LOCAL', ip), ('IFA_ADDRESS', ip)]
    brd = broadcast(cidr) if msg_type == RTM_NEWADDR else None
    if brd:
        attrs.append(('IFA_BROADCAST', brd))
    return codec.addr_request(msg_type, flags, socket.AF_INET, plen, 0, index, attrs)


def default_route_request(gateway, oif):
    """RTM_NEWROUTE replacing the main table's default route of the gateway's family with one via ``gateway`` on ``oif``."""
    return codec.route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, codec.family_of(gateway), MAIN_TABLE, 0, proto=3, rtype=1,
                               gateway=gateway, oif=oif)


def route_del_request(gateway=None, oif=None, family=None):
    """RTM_DELROUTE of the main table's default route of the gateway's family (``family`` without one; IPv4 by
    default), only the one via ``gateway`` / ``oif`` when given.  Scope RT_SCOPE_NOWHERE, type and protocol 0 match
    any, as ``ip route del`` asks."""
    return codec.route_request(RTM_DELROUTE, 0, family or codec.family_of(gateway), MAIN_TABLE, 255, gateway=gateway, oif=oif)


def extra_route_request(msg_type, destination, gateway, metric, oif):
    """RTM_NEWROUTE (created or replaced) / RTM_DELROUTE of a network's extra route in the main table: to
    ``destination`` (a CIDR) via ``gateway`` on ``oif``, or on-link through ``oif`` when ``gateway`` is None (scope
    link, as ``ip route add DST dev IF``), with the metric ``metric``.  Protocol static, as ``ip route add ... proto
    static``."""
    family = codec.family_of(destination.split('/')[0])
    if msg_type == RTM_NEWROUTE:
        return codec.route_request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, family, MAIN_TABLE, 0 if gateway else 253, proto=4, rtype=1,
                                   gateway=gateway, oif=oif, dst=destination, priority=metric)
    return codec.route_request(RTM_DELROUTE, 0, family, MAIN_TABLE, 255, gateway=gateway, oif=oif, dst=destination, priority=metric)


def delete_links(chan, links):
    """Delete links (dicts with index and group, from a dump of ``chan``'s namespace) in one kernel batch.

    Deleting a veth makes the kernel wait for a grace period (~20 ms); deleting many at once through a
    link group (RTM_DELLINK by IFLA_GROUP) pays it once.  The group is one no link of the namespace uses.
    Returns the NetlinkError of the first request that failed, or None.
    """
    if not links:
        return None
    if len(links) == 1:
        return chan.run([link_del_request(links[0]['index'])])[0]
    used = {link['group'] for link in chan.dump(RTM_GETLINK)}
    group = 0x686e0000  # "hn"
    while group in used:
        group += 1
    errors = chan.run([link_set_request(link['index'], group=group) for link in links])
    failed = [e for e in errors if e is not None and e.code not in (errno.ENODEV, errno.ENOENT)]
    if failed:
        return failed[0]
    return chan.run([link_del_request(group=group)])[0]


class Links:
    """Changes to links, addresses and default routes by interface name, in any namespace of a run.

    ``ns`` is the run's _netns.Namespaces; ``netns`` None is the host's namespace.  Names (and a bridge named as
    ``master``) are resolved when the change runs, so a plan can name links that its earlier steps create.  Each
    method is one or two requests on that namespace's Channel; deletes are idempotent (False: it was already gone).
    """

    def __init__(self, ns):
        self.ns = ns

    def create_veth(self, ifname, peer_name, peer_netns=None, master=None, mtu=None, mac=None, peer_mac=None):
        """A veth pair in one request: the peer born inside ``peer_netns`` and named, the host end up (on bridge
        ``master``); the peer stays down (see veth_request)."""
        host = self.ns.chan(None)
        fd = self.ns.fd(peer_netns) if peer_netns is not None else None
        host.apply(veth_request(ifname, peer_name, fd, master=host.index(master) if master else None, mtu=mtu, mac=mac,
                                peer_mac=peer_mac))

    def delete(self, netns, ifname):
        return self.ns.chan(netns).apply(link_del_request(ifname=ifname), gone_ok=True)

    def set(self, netns, ifname, **attrs):
        """Set up=, mtu=, address= (MAC), master= (a bridge's name; 0 detaches) of link ``ifname``."""
        chan = self.ns.chan(netns)
        if isinstance(attrs.get('master'), str):
            attrs['master'] = chan.index(attrs['master'])
        chan.apply(link_set_request(ifname=ifname, **attrs))

    def add_address(self, netns, ifname, cidr):
        chan = self.ns.chan(netns)
        chan.apply(addr_request(RTM_NEWADDR, chan.index(ifname), cidr))

    def del_address(self, netns, ifname, cidr):
        chan = self.ns.chan(netns)
        found = chan.link(ifname)
        return found is not None and chan.apply(addr_request(RTM_DELADDR, found['index'], cidr), gone_ok=True)

    def set_default_route(self, netns, gateway, ifname):
        """Make ``gateway`` via ``ifname`` the IPv4 default route of the main table (replaces any other)."""
        chan = self.ns.chan(netns)
        chan.apply(default_route_request(gateway, chan.index(ifname)))

    def del_default_route(self, netns, gateway, ifname):
        """Remove the IPv4 default route via ``gateway`` on ``ifname``; False when there was none."""
        chan = self.ns.chan(netns)
        return chan.apply(route_del_request(gateway, chan.index(ifname)), gone_ok=True)
