# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Netlink access for hostnet.containers: one pyroute2 socket per namespace per run.

Namespaces are entered in-process: the calling thread setns()es into the
namespace, opens its netlink socket there and setns()es back, which costs
microseconds where pyroute2's own ``IPRoute(netns=...)`` forks a helper.  A
missing namespace is an error, never silently created.  Named namespaces are
created the way ``ip netns add`` does it (a bind mount of the namespace on
/run/netns/NAME, /run/netns itself a shared mount), in a short-lived thread.
Works with pyroute2 0.7.x (Debian 12) and 0.9.x.

Public API (what modules and the other engines build on):

* ``Namespaces()``: context manager; ``.ipr(netns=None)`` the run's one IPRoute per
  namespace (None: the host's), ``.fd(netns)`` an O_CLOEXEC fd of /run/netns/NAME (for
  IFLA_NET_NS_FD), ``.forget(netns)`` before removing one, ``.close()``. A missing
  namespace raises HostnetError, it is never created as a side effect.
* named namespaces: ``netns_path``, ``netns_exists``, ``netns_identity``, ``list_netns``,
  ``create_netns(name, share_with=None)``, ``remove_netns(name)``, ``entered(fd)``.
* reading: ``link(ipr, ifname=None, index=None)`` -> dict(index, ifname, kind, mtu, mac,
  up, master, link, link_netnsid) or None; ``links(ipr)``; ``index_of``; ``ifname_of``;
  ``addresses(ipr, index)`` -> ['a.b.c.d/len']; ``default_gateway(ipr, oif=None)``.
* changing: ``create_veth``, ``connect_veth`` (pair + addresses + up + default route),
  ``create_bridge``, ``delete_link`` (idempotent), ``set_link``, ``set_up``,
  ``add_address``/``del_address``, ``set_default_route``/``del_default_route``.
* at scale (docker_bridge's endpoints): ``Namespaces.chan(netns)`` a Channel, a raw socket that sends many
  requests in one write (``run``) and reads with lean decoding (``dump``, ``query``); request builders
  ``veth_request``, ``link_set_request``, ``link_del_request``, ``addr_request``, ``default_route_request``
  (pyroute2 messages); ``delete_links`` (many links in one kernel batch); ``Namespaces.create_many`` and
  ``open_many`` (many namespaces in one pass).
* sysctls inside a namespace: ``sysctl_exists``, ``read_sysctl``, ``write_sysctl``.
* errors: ``HostnetError`` (message fit for users), ``NetlinkError``,
  ``describe(exc, what)`` maps EEXIST/ENODEV/EBUSY/EPERM/ENOENT/EXFULL/... to words.
"""

from __future__ import annotations

import errno
import os
import socket
import struct
import traceback

try:
    from pyroute2.netlink.exceptions import NetlinkError
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    from pyroute2.netlink.rtnl.rtmsg import rtmsg
except ImportError:
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = traceback.format_exc()

    class NetlinkError(Exception):  # type: ignore[no-redef]
        code = 0
else:
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None


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


# -- reading links ------------------------------------------------------------------
def _attr(msg, name, default=None):
    value = msg.get_attr(name)
    return default if value is None else value


def _kind(msg):
    info = msg.get_attr('IFLA_LINKINFO')
    return info.get_attr('IFLA_INFO_KIND') if info is not None else None


def _facts(msg):
    return {
        'index': msg['index'],
        'ifname': _attr(msg, 'IFLA_IFNAME'),
        'kind': _kind(msg),
        'mtu': _attr(msg, 'IFLA_MTU'),
        'mac': (_attr(msg, 'IFLA_ADDRESS') or '').lower(),
        'up': bool(msg['flags'] & 1),
        'master': _attr(msg, 'IFLA_MASTER'),
        'link': _attr(msg, 'IFLA_LINK'),
        'link_netnsid': _attr(msg, 'IFLA_LINK_NETNSID'),
        'hairpin': _hairpin(msg),
    }


def _hairpin(msg):
    """A bridge port's hairpin mode (IFLA_BRPORT_MODE), None for links that are not bridge ports."""
    info = msg.get_attr('IFLA_LINKINFO')
    data = info.get_attr('IFLA_INFO_SLAVE_DATA') if info is not None else None
    if data is None or info.get_attr('IFLA_INFO_SLAVE_KIND') != 'bridge':
        return None
    return bool(data.get_attr('IFLA_BRPORT_MODE'))


def set_hairpin(ipr, index, on=True):
    """Hairpin mode on a bridge port: frames may leave by the port they came in on (pyroute2 0.7 and 0.9)."""
    ipr.link('set', index=index, kind='bridge_slave', mode=1 if on else 0)


def link(ipr, ifname=None, index=None):
    """The facts we compare about one link (a dict, see _facts), or None when it does not exist.

    One RTM_GETLINK by name or index: no dump, no lookup round trip.
    """
    try:
        if index is None:
            msgs = ipr.link('get', ifname=ifname)
        else:
            msgs = ipr.link('get', index=index)
    except NetlinkError as exc:
        if exc.code in (errno.ENODEV, errno.ENOENT):
            return None
        raise
    return _facts(msgs[0])


def links(ipr):
    """Facts of every link in the namespace, from a single dump."""
    return [_facts(msg) for msg in ipr.get_links()]


def index_of(ipr, ifname):
    """The ifindex of ``ifname``; a HostnetError when it is gone (it vanished under a running plan)."""
    info = link(ipr, ifname)
    if info is None:
        raise HostnetError('interface %s does not exist (it disappeared while the run was applying changes)' % ifname)
    return info['index']


def ifname_of(ipr, index):
    info = link(ipr, index=index) if index else None
    return info['ifname'] if info else None


def addresses(ipr, index):
    """IPv4 addresses on a link as 'a.b.c.d/len' strings, in kernel order."""
    return ['%s/%d' % (_attr(msg, 'IFA_ADDRESS'), msg['prefixlen'])
            for msg in ipr.get_addr(family=2, index=index)]


def default_gateway(ipr, oif=None):
    """The IPv4 default route's gateway in the main table (optionally via ``oif``)."""
    for msg in ipr.get_routes(family=2, table=254):
        if msg['dst_len'] != 0 or msg.get_attr('RTA_DST') is not None:
            continue
        if oif is not None and msg.get_attr('RTA_OIF') != oif:
            continue
        return msg.get_attr('RTA_GATEWAY')
    return None


# -- changing links, addresses and routes ------------------------------------------------
def create_veth(ipr, ifname, peer_name, peer_netns_fd=None, master=None, mtu=None, mac=None, peer_mac=None):
    """Create a veth pair in one RTM_NEWLINK and return the host end's ifindex.

    The peer is born inside the namespace behind ``peer_netns_fd`` (IFLA_NET_NS_FD on the
    peer) and already named, so there is no move and no rename; ``master`` (an ifindex),
    ``mtu`` and the MACs are part of the same request and the host end comes up with it.
    The peer stays down: pyroute2 cannot carry the peer's IFF_UP, use set_up() on it.
    """
    peer = {'ifname': peer_name}
    if peer_netns_fd is not None:
        peer['net_ns_fd'] = peer_netns_fd
    if peer_mac:
        peer['address'] = peer_mac
    if mtu:
        peer['mtu'] = mtu
    kwargs = {'ifname': ifname, 'kind': 'veth', 'peer': peer, 'state': 'up'}
    if mac:
        kwargs['address'] = mac
    if mtu:
        kwargs['mtu'] = mtu
    if master is not None:
        kwargs['master'] = master
    ipr.link('add', **kwargs)
    return index_of(ipr, ifname)


def create_bridge(ipr, ifname, mtu=None, mac=None, up=True):
    """Create a Linux bridge and return its ifindex."""
    kwargs = {'ifname': ifname, 'kind': 'bridge'}
    if mtu:
        kwargs['mtu'] = mtu
    if mac:
        kwargs['address'] = mac
    if up:
        kwargs['state'] = 'up'
    ipr.link('add', **kwargs)
    return index_of(ipr, ifname)


def delete_link(ipr, ifname=None, index=None):
    """Delete a link by name or index; False when it was already gone (deleting twice is fine)."""
    if index is None:
        info = link(ipr, ifname)
        if info is None:
            return False
        index = info['index']
    try:
        ipr.link('del', index=index)
    except NetlinkError as exc:
        if exc.code in (errno.ENODEV, errno.ENOENT):
            return False
        raise
    return True


def set_link(ipr, index, **attrs):
    """Set attributes of a link: mtu=, address= (MAC), master= (ifindex, 0 detaches), state='up'/'down', ifname=."""
    ipr.link('set', index=index, **attrs)


def set_up(ipr, index):
    ipr.link('set', index=index, state='up')


def _split(cidr):
    ip, plen = cidr.split('/')
    return ip, int(plen)


def add_address(ipr, index, cidr):
    """Add an IPv4 address given as 'a.b.c.d/len'."""
    ip, plen = _split(cidr)
    ipr.addr('add', index=index, address=ip, prefixlen=plen)


def del_address(ipr, index, cidr):
    """Remove an IPv4 address given as 'a.b.c.d/len'; False when it was not there."""
    ip, plen = _split(cidr)
    try:
        ipr.addr('del', index=index, address=ip, prefixlen=plen)
    except NetlinkError as exc:
        if exc.code in (errno.EADDRNOTAVAIL, errno.ENOENT, errno.ENODEV):
            return False
        raise
    return True


def set_default_route(ipr, gateway, oif):
    """Make ``gateway`` via ``oif`` the IPv4 default route of the main table (replaces any other)."""
    ipr.route('replace', dst='0.0.0.0/0', gateway=gateway, oif=oif)


def del_default_route(ipr, gateway=None, oif=None):
    """Remove the IPv4 default route (optionally only via ``gateway``/``oif``); False when there was none."""
    spec = {'dst': '0.0.0.0/0'}
    if gateway is not None:
        spec['gateway'] = gateway
    if oif is not None:
        spec['oif'] = oif
    try:
        ipr.route('del', **spec)
    except NetlinkError as exc:
        if exc.code in (errno.ESRCH, errno.ENOENT, errno.ENODEV):
            return False
        raise
    return True


def connect_veth(ns, ifname, peer_name, peer_netns=None, master=None, mtu=None, mac=None, peer_mac=None,
                 peer_addresses=(), gateway=None):
    """Everything ``docker network connect`` does to the kernel, in the fewest requests.

    One request creates the pair (peer inside ``peer_netns`` and named, host end on bridge
    ``master`` (an ifindex) and up), then the peer gets its addresses, comes up and gets
    the default route via ``gateway``. Returns (host ifindex, peer ifindex). On error the
    half-made pair is deleted before the error propagates.
    """
    host = ns.ipr(None)
    fd = ns.fd(peer_netns) if peer_netns is not None else None
    hidx = create_veth(host, ifname, peer_name, fd, master=master, mtu=mtu, mac=mac, peer_mac=peer_mac)
    try:
        pipr = ns.ipr(peer_netns)
        pidx = index_of(pipr, peer_name)
        for cidr in peer_addresses:
            add_address(pipr, pidx, cidr)
        set_up(pipr, pidx)
        if gateway is not None:
            set_default_route(pipr, gateway, pidx)
    except BaseException:
        delete_link(host, index=hidx)
        raise
    return hidx, pidx


# -- pipelined requests and lean dumps on a raw socket ----------------------------------------
# pyroute2 encodes every request; what costs at scale is a round trip per request and pyroute2's
# generic decoding of dumps.  A Channel sends many requests in one write and reads their ACKs
# together, and decodes dumps with struct, only the attributes the engines compare.
SOL_NETLINK = 270
SO_RCVBUFFORCE = 33  # root may grow the buffer past net.core.rmem_max
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLM_F_DUMP_INTR = 0x10
NLM_F_ACK_TLVS = 0x200
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_DUMP = 0x300
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
IFF_UP = 1
RTM_F_FIB_MATCH = 0x2000
_HDR = struct.Struct('=IHHII')
_CHUNK = 128  # requests per write: their ACKs fit the socket's receive buffer with room to spare
_QUERY_CHUNK = 64  # reads per write: a link's reply is ~1.5 kB


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

    def close(self):
        self.sock.close()

    def _next_seq(self):
        self.seq = (self.seq + 1) & 0x7fffffff or 1
        return self.seq

    def run(self, requests):
        """Send requests (pyroute2 messages, header type and flags set) with ACKs; a list of None or NetlinkError.

        Requests go out in writes of _CHUNK; the kernel runs each on its own, in order, so a failed one does not
        stop the next.  After a write with a failure, the rest are not sent (their result is None and they did
        not run: see ``sent``).
        """
        results = [None] * len(requests)
        self.sent = 0
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
            pending = len(chunk)
            failed = False
            while pending:
                data = self.sock.recv(1 << 20)
                for typ, flags, seq, off, end in _messages(data):
                    if typ != NLMSG_ERROR or seq not in seqs:
                        continue
                    pending -= 1
                    code = -struct.unpack_from('=i', data, off)[0]
                    if code:
                        failed = True
                        results[seqs[seq]] = NetlinkError(code, _ext_ack_msg(data, off, end, flags) or os.strerror(code))
            if failed:
                break
        return results

    def dump(self, msg_type, family=0):
        """Every object of a dump (RTM_GETLINK, RTM_GETADDR or RTM_GETROUTE) as dicts (see parse_link and friends)."""
        parse = _PARSERS[msg_type]
        head = _DUMP_HEADS[msg_type](family)
        for dummy in range(5):
            seq = self._next_seq()
            self.sock.send(_HDR.pack(_HDR.size + len(head), msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + head)
            out = []
            interrupted = False
            done = False
            while not done:
                data = self.sock.recv(1 << 20)
                for typ, flags, mseq, off, end in _messages(data):
                    if mseq != seq:
                        continue
                    if typ == NLMSG_DONE:
                        done = True
                        break
                    if typ == NLMSG_ERROR:
                        code = -struct.unpack_from('=i', data, off)[0]
                        if code:
                            raise NetlinkError(code, os.strerror(code))
                        continue
                    interrupted = interrupted or bool(flags & NLM_F_DUMP_INTR)
                    out.append(parse(data, off, end))
            if not interrupted:
                return out
        return out

    def query(self, *queries):
        """Several reads in one write, each ('link', index or name) (one link, None when it is gone), ('route', ip) (the
        route entry a lookup of ip matches, None when unreachable) or a dump message type with a family
        (RTM_GETADDR, AF_INET); their results in order.  GETs finish inside the write, so a dump can follow
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
            if q[0] == 'link':
                if isinstance(q[1], int):
                    body = struct.pack('=BxHiII', 0, 0, q[1], 0, 0)
                else:
                    name = q[1].encode() + b'\0'
                    body = struct.pack('=BxHiII', 0, 0, 0, 0, 0) + struct.pack('=HH', 4 + len(name), 3) + name
                    body += b'\0' * (-len(body) % 4)
                buf += _HDR.pack(_HDR.size + len(body), RTM_GETLINK, NLM_F_REQUEST, seq, 0) + body
            elif q[0] == 'route':
                # RTM_F_FIB_MATCH: the routing table entry a lookup of this IPv4 destination matches (ip route get fibmatch).
                body = struct.pack('=BBBBBBBBI', socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, RTM_F_FIB_MATCH) + \
                    struct.pack('=HH4s', 8, 1, socket.inet_aton(q[1]))
                buf += _HDR.pack(_HDR.size + len(body), RTM_GETROUTE, NLM_F_REQUEST, seq, 0) + body
            else:
                head = _DUMP_HEADS[q[0]](q[1])
                buf += _HDR.pack(_HDR.size + len(head), q[0], NLM_F_REQUEST | NLM_F_DUMP, seq, 0) + head
        self.sock.send(bytes(buf))
        results = [[] for dummy in queries]
        again = []
        pending = set(seqs)
        while pending:
            data = self.sock.recv(1 << 20)
            for typ, flags, seq, off, end in _messages(data):
                if seq not in pending:
                    continue
                i = seqs[seq]
                q = queries[i]
                if typ == NLMSG_DONE:
                    pending.discard(seq)
                elif typ == NLMSG_ERROR:
                    pending.discard(seq)
                    code = -struct.unpack_from('=i', data, off)[0]
                    if q[0] in ('link', 'route'):
                        if code not in (0, errno.ENODEV, errno.ENOENT, errno.ENETUNREACH, errno.EHOSTUNREACH):
                            raise NetlinkError(code, os.strerror(code))
                        results[i] = None
                    elif code == errno.EBUSY or flags & NLM_F_DUMP_INTR:
                        again.append(i)
                    elif code:
                        raise NetlinkError(code, os.strerror(code))
                elif q[0] in ('link', 'route'):
                    results[i] = (parse_link if q[0] == 'link' else parse_route)(data, off, end)
                    pending.discard(seq)
                else:
                    if flags & NLM_F_DUMP_INTR and i not in again:
                        again.append(i)
                    results[i].append(_PARSERS[q[0]](data, off, end))
        for i in again:
            results[i] = self.dump(queries[i][0], queries[i][1])
        return results

    def link(self, ifname):
        """One link by name (RTM_GETLINK), or None."""
        msg = request(ifinfmsg, RTM_GETLINK, attrs=[('IFLA_IFNAME', ifname)])
        seq = self._next_seq()
        msg['header']['sequence_number'] = seq
        msg['header']['flags'] = NLM_F_REQUEST
        msg.encode()
        self.sock.send(msg.data)
        while True:
            data = self.sock.recv(1 << 16)
            for typ, flags, mseq, off, end in _messages(data):
                if mseq != seq:
                    continue
                if typ == NLMSG_ERROR:
                    code = -struct.unpack_from('=i', data, off)[0]
                    if code in (errno.ENODEV, errno.ENOENT):
                        return None
                    raise NetlinkError(code, os.strerror(code))
                return parse_link(data, off, end)


def _messages(data):
    """(type, flags, seq, payload offset, end) of each netlink message in a buffer."""
    off = 0
    size = len(data)
    while off + 16 <= size:
        length, typ, flags, seq, dummy = _HDR.unpack_from(data, off)
        if length < 16:
            break
        yield typ, flags, seq, off + 16, off + length
        off += (length + 3) & ~3


def _nlas(data, off, end):
    """(type, start, end) of each attribute in data[off:end] (the nested flag masked off)."""
    while off + 4 <= end:
        length, typ = struct.unpack_from('=HH', data, off)
        if length < 4:
            break
        yield typ & 0x3fff, off + 4, off + length
        off += (length + 3) & ~3


def _ext_ack_msg(data, off, end, flags):
    """The kernel's extended ACK message (NLMSGERR_ATTR_MSG) of an error, if it sent one."""
    if not flags & NLM_F_ACK_TLVS:
        return None
    for typ, start, stop in _nlas(data, off + 4 + 16, end):
        if typ == 1:
            return bytes(data[start:stop]).rstrip(b'\0').decode(errors='replace')
    return None


def _str(data, start, stop):
    return bytes(data[start:stop]).split(b'\0', 1)[0].decode()


def _u32(data, start):
    return struct.unpack_from('=I', data, start)[0]


def _ip4(data, start):
    return socket.inet_ntoa(bytes(data[start:start + 4]))


def parse_link(data, off, end):
    """An RTM_NEWLINK message as the dict link() returns, plus 'group'.

    One pass over the attributes with struct, reading only the ones compared (a link carries ~40, most of
    them statistics and per-protocol settings): this is what keeps reading a host of 1000 links cheap.
    """
    dummy, dummy2, index, flags, dummy3 = _IFINFO.unpack_from(data, off)
    out = {'index': index, 'ifname': None, 'kind': None, 'mtu': None, 'mac': '', 'up': bool(flags & IFF_UP),
           'master': None, 'link': None, 'link_netnsid': None, 'hairpin': None, 'group': 0}
    pos = off + 16
    unpack = _NLA.unpack_from
    while pos + 4 <= end:
        length, typ = unpack(data, pos)
        if length < 4:
            break
        typ &= 0x3fff
        if typ in _LINK_U32:
            out[_LINK_U32[typ]] = _U32.unpack_from(data, pos + 4)[0]
        elif typ == 3:
            out['ifname'] = _str(data, pos + 4, pos + length)
        elif typ == 1:
            out['mac'] = bytes(data[pos + 4:pos + length]).hex(':')
        elif typ == 37:
            out['link_netnsid'] = struct.unpack_from('=i', data, pos + 4)[0]
        elif typ == 18:
            _parse_linkinfo(data, pos + 4, pos + length, out)
        pos += (length + 3) & ~3
    return out


def _parse_linkinfo(data, off, end, out):
    slave_kind = None
    mode = None
    for ityp, istart, istop in _nlas(data, off, end):
        if ityp == 1:
            out['kind'] = _str(data, istart, istop)
        elif ityp == 4:
            slave_kind = _str(data, istart, istop)
        elif ityp == 5:
            for btyp, bstart, dummy in _nlas(data, istart, istop):
                if btyp == 4:  # IFLA_BRPORT_MODE
                    mode = bool(data[bstart])
    if slave_kind == 'bridge':
        out['hairpin'] = bool(mode)


_IFINFO = struct.Struct('=BxHiII')
_NLA = struct.Struct('=HH')
_U32 = struct.Struct('=I')
_LINK_U32 = {4: 'mtu', 10: 'master', 5: 'link', 27: 'group'}


def parse_addr(data, off, end):
    """An RTM_NEWADDR message: {'index', 'address' ('a.b.c.d/len'), 'family'}."""
    family, prefixlen, dummy, dummy2, index = struct.unpack_from('=BBBBI', data, off)
    out = {'index': index, 'family': family, 'address': None}
    for typ, start, dummy3 in _nlas(data, off + 8, end):
        if typ == 1 and family == socket.AF_INET:
            out['address'] = '%s/%d' % (_ip4(data, start), prefixlen)
    return out


def parse_route(data, off, end):
    """An RTM_NEWROUTE message: {'family', 'dst' ('a.b.c.d/len' or None), 'table', 'oif', 'gateway'}."""
    family, dst_len, dummy, dummy2, table = struct.unpack_from('=BBBBB', data, off)
    out = {'family': family, 'dst': None, 'dst_len': dst_len, 'table': table, 'oif': None, 'gateway': None}
    for typ, start, dummy3 in _nlas(data, off + 12, end):
        if typ == 1 and family == socket.AF_INET:
            out['dst'] = '%s/%d' % (_ip4(data, start), dst_len)
        elif typ == 4:
            out['oif'] = _u32(data, start)
        elif typ == 5 and family == socket.AF_INET:
            out['gateway'] = _ip4(data, start)
        elif typ == 15:
            out['table'] = _u32(data, start)
    return out


def request(cls, msg_type, nlm_flags=0, **fields):
    """A pyroute2 message of class ``cls`` (ifinfmsg, ifaddrmsg, rtmsg) ready for Channel.run."""
    msg = cls()
    msg['header']['type'] = msg_type
    msg['header']['flags'] = nlm_flags
    for key, value in fields.items():
        msg[key] = value
    return msg


def veth_request(ifname, peer_name, peer_netns_fd, master=None, mtu=None, mac=None, peer_mac=None):
    """RTM_NEWLINK creating a veth pair whose host end is up (on ``master``) and whose peer is born in the namespace
    behind ``peer_netns_fd``, named.  The peer stays down: the kernel cannot open a veth before its pair is complete
    (and it honours a peer ifindex only with a host ifindex, so the peer's is read back: the host end's IFLA_LINK)."""
    peer = {'attrs': [('IFLA_IFNAME', peer_name), ('IFLA_NET_NS_FD', peer_netns_fd)]}
    if peer_mac:
        peer['attrs'].append(('IFLA_ADDRESS', peer_mac))
    if mtu:
        peer['attrs'].append(('IFLA_MTU', mtu))
    attrs = [('IFLA_IFNAME', ifname)]
    if master:
        attrs.append(('IFLA_MASTER', master))
    if mtu:
        attrs.append(('IFLA_MTU', mtu))
    if mac:
        attrs.append(('IFLA_ADDRESS', mac))
    attrs.append(('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'veth'),
                                              ('IFLA_INFO_DATA', {'attrs': [('VETH_INFO_PEER', peer)]})]}))
    return request(ifinfmsg, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, flags=IFF_UP, change=IFF_UP, attrs=attrs)


def link_set_request(index=0, ifname=None, up=None, **attrs):
    """RTM_NEWLINK changing a link (by index, or by name with index 0): up/down, and IFLA_* attributes given as
    mtu=, address=, master=, group=, hairpin= (a bridge port's hairpin mode)."""
    nlas = []
    if ifname is not None:
        nlas.append(('IFLA_IFNAME', ifname))
    for key, nla in (('mtu', 'IFLA_MTU'), ('address', 'IFLA_ADDRESS'), ('master', 'IFLA_MASTER'), ('group', 'IFLA_GROUP')):
        if attrs.get(key) is not None:
            nlas.append((nla, attrs[key]))
    if attrs.get('hairpin') is not None:
        nlas.append(('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_SLAVE_KIND', 'bridge'),
                                                 ('IFLA_INFO_SLAVE_DATA', {'attrs': [('IFLA_BRPORT_MODE', int(attrs['hairpin']))]})]}))
    fields = {'index': index, 'attrs': nlas}
    if up is not None:
        fields.update(flags=IFF_UP if up else 0, change=IFF_UP)
    return request(ifinfmsg, RTM_NEWLINK, **fields)


def link_del_request(index=0, group=None):
    """RTM_DELLINK of one link, or of every link in ``group`` (one unregister batch in the kernel)."""
    if group is not None:
        return request(ifinfmsg, RTM_DELLINK, attrs=[('IFLA_GROUP', group)])
    return request(ifinfmsg, RTM_DELLINK, index=index, attrs=[])


def addr_request(msg_type, index, cidr):
    """RTM_NEWADDR / RTM_DELADDR of an IPv4 'a.b.c.d/len' on ifindex ``index``."""
    ip, plen = _split(cidr)
    return request(ifaddrmsg, msg_type, NLM_F_CREATE | NLM_F_EXCL if msg_type == RTM_NEWADDR else 0,
                   family=socket.AF_INET, prefixlen=plen, index=index, attrs=[('IFA_LOCAL', ip), ('IFA_ADDRESS', ip)])


def default_route_request(gateway, oif):
    """RTM_NEWROUTE replacing the main table's IPv4 default route with one via ``gateway`` on ``oif``."""
    return request(rtmsg, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, family=socket.AF_INET, table=254, proto=3, scope=0,
                   type=1, attrs=[('RTA_GATEWAY', gateway), ('RTA_OIF', oif)])


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


_PARSERS = {RTM_GETLINK: parse_link, RTM_GETADDR: parse_addr, RTM_GETROUTE: parse_route}
_DUMP_HEADS = {RTM_GETLINK: lambda family: struct.pack('=BxHiII', family, 0, 0, 0, 0),
               RTM_GETADDR: lambda family: struct.pack('=BBBBI', family, 0, 0, 0, 0),
               RTM_GETROUTE: lambda family: struct.pack('=BBBBBBBBI', family, 0, 0, 0, 0, 0, 0, 0, 0)}
