# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lean netlink codec of _kernel.Channel: the message and attribute walk, the decoders of links, addresses and
routes (struct, only the attributes the engines compare), and the encoded reads (GETs and dumps) a Channel sends.

pyroute2 decodes every attribute of every message generically; reading a host of 1000 links that way costs most of
an idempotent run (see PERF_NOTES), so reads are decoded here in one pass each.  The requests a network sends by
the hundreds (a veth, a link set up, an address, a default route, a neighbour entry) are encoded here too, with the
bytes pyroute2 gives them; the rarer ones are pyroute2 messages (see _kernel's builders).
"""

from __future__ import annotations

import socket
import struct

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 1
NLM_F_ACK = 4
NLM_F_ECHO = 8
NLM_F_DUMP_INTR = 0x10
NLM_F_ACK_TLVS = 0x200
NLM_F_REPLACE = 0x100
NLM_F_EXCL = 0x200
NLM_F_CREATE = 0x400
NLM_F_DUMP = 0x300
RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK = 16, 17, 18
RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR = 20, 21, 22
RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE = 24, 25, 26
RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH = 28, 29, 30
RTM_NEWQDISC, RTM_DELQDISC, RTM_GETQDISC = 36, 37, 38
AF_BRIDGE = 7
NTF_SELF = 0x02
NUD_PERMANENT = 0x80
NLM_F_APPEND = 0x800
IFF_UP = 1
RTM_F_FIB_MATCH = 0x2000

_HDR = struct.Struct('=IHHII')
_IFINFO = struct.Struct('=BxHiII')
_NLA = struct.Struct('=HH')
_U32 = struct.Struct('=I')
_I32 = struct.Struct('=i')
_LINK_U32 = {4: 'mtu', 10: 'master', 5: 'link', 27: 'group'}


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
        length, typ = _NLA.unpack_from(data, off)
        if length < 4:
            break
        yield typ & 0x3fff, off + 4, off + length
        off += (length + 3) & ~3


def error_code(data, off):
    """The errno of an NLMSG_ERROR payload (0 for an ACK)."""
    return -_I32.unpack_from(data, off)[0]


def ext_ack_msg(data, off, end, flags):
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
    return _U32.unpack_from(data, start)[0]


def _ip4(data, start):
    return socket.inet_ntoa(bytes(data[start:start + 4]))


def _ip6(data, start):
    return socket.inet_ntop(socket.AF_INET6, bytes(data[start:start + 16]))


def _ip(data, start, stop):
    """An address attribute of either family, told apart by its length (4 or 16 bytes), or None."""
    if stop - start == 4:
        return _ip4(data, start)
    return _ip6(data, start) if stop - start == 16 else None


def _packed(ip):
    """The wire form of an IPv4 or IPv6 address in text."""
    return socket.inet_pton(socket.AF_INET6, ip) if ':' in ip else socket.inet_aton(ip)


def _link_head(data, off):
    """parse_link's dict of a link message with what its ifinfomsg header says (index, up), the rest unset."""
    dummy, dummy2, index, flags, dummy3 = _IFINFO.unpack_from(data, off)
    return {'index': index, 'ifname': None, 'kind': None, 'mtu': None, 'mac': '', 'up': bool(flags & IFF_UP),
            'master': None, 'link': None, 'link_netnsid': None, 'hairpin': None, 'group': 0}


def parse_link(data, off, end):
    """An RTM_NEWLINK message as a dict: index, ifname, kind, mtu, mac, up, master, link, link_netnsid, hairpin
    (a bridge port's hairpin mode, None for links that are no bridge port) and group.

    One pass over the attributes with struct, reading only the ones compared (a link carries ~40, most of
    them statistics and per-protocol settings): this is what keeps reading a host of 1000 links cheap.  An attribute
    is looked up once by its type as sent (nested flag and all: _LINK_FIELDS holds both forms), so the ones skipped
    cost one dict lookup each.
    """
    out = _link_head(data, off)
    pos = off + 16
    unpack = _NLA.unpack_from
    field = _LINK_FIELDS.get
    while pos + 4 <= end:
        length, typ = unpack(data, pos)
        if length < 4:
            break
        read = field(typ)
        if read is not None:
            read(data, pos + 4, pos + length, out)
        pos += (length + 3) & ~3
    return out


def parse_link_state(data, off, end):
    """A link's index, ifname and up flag only, as parse_link's dict (its other keys unset): the answer to a
    ('state', index) read, a namespace's lo, whose one setting a run checks is whether it is up.  IFLA_IFNAME comes
    first in the kernel's link messages: the loop stops there, not at the ~40 attributes after it."""
    out = _link_head(data, off)
    for typ, start, stop in _nlas(data, off + 16, end):
        if typ == 3:
            out['ifname'] = _str(data, start, stop)
            break
    return out


def _link_u32(key):
    def read(data, start, dummy, out):
        out[key] = _U32.unpack_from(data, start)[0]
    return read


def _link_ifname(data, start, stop, out):
    out['ifname'] = _str(data, start, stop)


def _link_mac(data, start, stop, out):
    out['mac'] = bytes(data[start:stop]).hex(':')


def _link_netnsid(data, start, dummy, out):
    out['link_netnsid'] = _I32.unpack_from(data, start)[0]


def _parse_linkinfo(data, off, end, out):
    slave_kind = None
    mode = None
    info = None
    for ityp, istart, istop in _nlas(data, off, end):
        if ityp == 1:
            out['kind'] = _str(data, istart, istop)
        elif ityp == 2:
            info = (istart, istop)
        elif ityp == 4:
            slave_kind = _str(data, istart, istop)
        elif ityp == 5:
            for btyp, bstart, dummy in _nlas(data, istart, istop):
                if btyp == 4:  # IFLA_BRPORT_MODE, the 4th of a bridge port's ~40 attributes: the rest are not read
                    mode = bool(data[bstart])
                    break
    if slave_kind == 'bridge':
        out['hairpin'] = bool(mode)
    if out['kind'] == 'vxlan' and info:
        out['vxlan'] = _parse_vxlan(data, *info)


# parse_link's readers by attribute type: the u32 ones, IFLA_ADDRESS (1), IFLA_IFNAME (3), IFLA_LINKINFO (18) and
# IFLA_LINK_NETNSID (37); each also under its type with NLA_F_NESTED set (0x8000), as a kernel may send it.
_LINK_FIELDS = dict([(typ, _link_u32(key)) for typ, key in _LINK_U32.items()]
                    + [(1, _link_mac), (3, _link_ifname), (18, _parse_linkinfo), (37, _link_netnsid)])
_LINK_FIELDS.update({typ | 0x8000: read for typ, read in list(_LINK_FIELDS.items())})


# IFLA_VXLAN_* attributes an overlay compares: its VNI, local address (IFLA_VXLAN_LOCAL, or LOCAL6 on an IPv6
# underlay: both read as 'local'), underlay link, UDP port, learning and proxy.
_VXLAN = {1: 'id', 4: 'local', 17: 'local', 3: 'link', 15: 'port', 7: 'learning', 11: 'proxy'}


def _parse_vxlan(data, off, end):
    """A vxlan link's settings (only links of that kind carry the key 'vxlan'): id, local, link, port, learning, proxy."""
    out = {'id': None, 'local': None, 'link': None, 'port': 4789, 'learning': None, 'proxy': None}
    for typ, start, stop in _nlas(data, off, end):
        key = _VXLAN.get(typ)
        if key in ('id', 'link'):
            out[key] = _u32(data, start)
        elif key == 'local':
            out[key] = _ip(data, start, stop) or out[key]
        elif key == 'port':
            out[key] = struct.unpack_from('>H', data, start)[0]  # network order (be16)
        elif key:
            out[key] = bool(data[start])
    return out


def parse_addr(data, off, end):
    """An RTM_NEWADDR message: {'index', 'address' ('a.b.c.d/len', or 'x::y/len' in a dump of AF_INET6), 'family',
    'broadcast' (IFA_BROADCAST or None)}.

    Planners compare addresses by 'a.b.c.d/len' only: an address an older version added without a broadcast is
    left as it is (see _kernel.broadcast), so a rerun after an upgrade changes nothing."""
    family, prefixlen, dummy, dummy2, index = struct.unpack_from('=BBBBI', data, off)
    out = {'index': index, 'family': family, 'address': None, 'broadcast': None}
    for typ, start, stop in _nlas(data, off + 8, end):
        if typ == 1 and family == socket.AF_INET:
            out['address'] = '%s/%d' % (_ip4(data, start), prefixlen)
        elif typ == 1 and family == socket.AF_INET6 and stop - start == 16:
            out['address'] = '%s/%d' % (_ip6(data, start), prefixlen)
        elif typ == 4 and family == socket.AF_INET:
            out['broadcast'] = _ip4(data, start)
    return out


def parse_route(data, off, end):
    """An RTM_NEWROUTE message: {'family', 'dst' ('a.b.c.d/len', 'x::/len' or None), 'table', 'oif', 'gateway'}, and
    'priority' (the metric) when the message has one (an IPv4 route of metric 0 has none)."""
    family, dst_len, dummy, dummy2, table = struct.unpack_from('=BBBBB', data, off)
    out = {'family': family, 'dst': None, 'dst_len': dst_len, 'table': table, 'oif': None, 'gateway': None}
    for typ, start, stop in _nlas(data, off + 12, end):
        if typ == 1:
            out['dst'] = '%s/%d' % (_ip(data, start, stop), dst_len)
        elif typ == 4:
            out['oif'] = _u32(data, start)
        elif typ == 5:
            out['gateway'] = _ip(data, start, stop)
        elif typ == 6:
            out['priority'] = _u32(data, start)
        elif typ == 15:
            out['table'] = _u32(data, start)
    return out


_TCMSG = struct.Struct('=BxxxiIII')
# struct tc_tbf_qopt: rate and peakrate (struct tc_ratespec: cell_log, linklayer, overhead, cell_align, mpu, rate),
# limit, buffer, mtu.
_TBF_QOPT = struct.Struct('=BBHhHI BBHhHI III')


def parse_qdisc(data, off, end):
    """An RTM_NEWQDISC message: {'index', 'handle', 'parent', 'kind'}, and for a tbf its 'rate' (bytes per second),
    'limit' (bytes) and 'buffer' (scheduler ticks), None otherwise."""
    dummy, index, handle, parent, dummy2 = _TCMSG.unpack_from(data, off)
    out = {'index': index, 'handle': handle, 'parent': parent, 'kind': None, 'rate': None, 'limit': None, 'buffer': None}
    options = None
    for typ, start, stop in _nlas(data, off + _TCMSG.size, end):
        if typ == 1:
            out['kind'] = _str(data, start, stop)
        elif typ == 2:
            options = (start, stop)
    if out['kind'] == 'tbf' and options:
        for typ, start, stop in _nlas(data, options[0], options[1]):
            if typ == 1 and stop - start >= _TBF_QOPT.size:
                fields = _TBF_QOPT.unpack_from(data, start)
                out.update(rate=fields[5], limit=fields[12], buffer=fields[13])
    return out


PARSERS = {RTM_GETLINK: parse_link, RTM_GETADDR: parse_addr, RTM_GETROUTE: parse_route, RTM_GETQDISC: parse_qdisc}
DUMP_HEADS = {RTM_GETLINK: lambda family: struct.pack('=BxHiII', family, 0, 0, 0, 0),
              RTM_GETADDR: lambda family: struct.pack('=BBBBI', family, 0, 0, 0, 0),
              RTM_GETROUTE: lambda family: struct.pack('=BBBBBBBBI', family, 0, 0, 0, 0, 0, 0, 0, 0),
              RTM_GETQDISC: lambda family: _TCMSG.pack(family, 0, 0, 0, 0)}
# Reads answered by one message (or an error): how each is decoded.
GETS = {'link': parse_link, 'state': parse_link_state, 'route': parse_route}


def dump_request(msg_type, family, seq, master=None):
    """A dump of ``msg_type`` objects; with ``master`` (an ifindex, RTM_GETLINK only) the kernel answers with the
    links enslaved to that device alone (IFLA_MASTER in the request: link_dump_filtered, every kernel since 4.3), so a
    bridge's ports are read without filling a message for every other link of the host."""
    head = DUMP_HEADS[msg_type](family)
    if master is not None:
        head += nla(IFLA['IFLA_MASTER'], _U32.pack(master))
    return dump_head(msg_type, seq, len(head)) + head


def dump_head(msg_type, seq, body):
    """The netlink header of a dump request whose body is ``body`` bytes long."""
    return _HDR.pack(_HDR.size + body, msg_type, NLM_F_REQUEST | NLM_F_DUMP, seq, 0)


def read_request(query, seq):
    """The encoded read of a Channel.query entry: ('link', index or name), ('state', index or name) (the same read,
    decoded to index, ifname and up), ('route', ip) or (dump type, family)."""
    what = query[0]
    if what in ('link', 'state'):
        if isinstance(query[1], int):
            body = struct.pack('=BxHiII', 0, 0, query[1], 0, 0)
        else:
            name = query[1].encode() + b'\0'
            body = struct.pack('=BxHiII', 0, 0, 0, 0, 0) + struct.pack('=HH', 4 + len(name), 3) + name
            body += b'\0' * (-len(body) % 4)
        return _HDR.pack(_HDR.size + len(body), RTM_GETLINK, NLM_F_REQUEST, seq, 0) + body
    if what == 'route':
        # RTM_F_FIB_MATCH: the routing table entry a lookup of this IPv4 destination matches (ip route get fibmatch).
        body = struct.pack('=BBBBBBBBI', socket.AF_INET, 32, 0, 0, 0, 0, 0, 0, RTM_F_FIB_MATCH) + \
            struct.pack('=HH4s', 8, 1, socket.inet_aton(query[1]))
        return _HDR.pack(_HDR.size + len(body), RTM_GETROUTE, NLM_F_REQUEST, seq, 0) + body
    return dump_request(what, query[1], seq)


# -- neighbours: a vxlan device's forwarding entries (AF_BRIDGE, NTF_SELF) and its ARP entries (AF_INET) ---------------
_NDMSG = struct.Struct('=BxxxiHBB')


def parse_neigh(data, off, end):
    """An RTM_NEWNEIGH message: {'family', 'index', 'state', 'flags', 'dst' (NDA_DST: the IPv4 address, or a vxlan
    forwarding entry's remote VTEP, IPv4 or IPv6), 'mac' (NDA_LLADDR)}."""
    family, index, state, flags, dummy = _NDMSG.unpack_from(data, off)
    out = {'family': family, 'index': index, 'state': state, 'flags': flags, 'dst': None, 'mac': None}
    for typ, start, stop in _nlas(data, off + _NDMSG.size, end):
        if typ == 1:
            out['dst'] = _ip(data, start, stop)
        elif typ == 2 and stop - start == 6:
            out['mac'] = bytes(data[start:stop]).hex(':')
    return out


def neigh_dump_request(family, index, seq):
    """A neighbour dump of one device: AF_BRIDGE with an ifinfomsg head whose index names the bridge port (the kernel
    reads the port filter from it when strict checking is off, as on a Channel's socket), AF_INET with an ndmsg head
    and NDA_IFINDEX.  Callers still keep only that device's entries: an older kernel may ignore the filter."""
    if family == AF_BRIDGE:
        body = struct.pack('=BxHiII', AF_BRIDGE, 0, index, 0, 0)
    else:
        body = _NDMSG.pack(family, 0, 0, 0, 0) + _NLA.pack(8, 8) + _U32.pack(index)  # NDA_IFINDEX
    return dump_head(RTM_GETNEIGH, seq, len(body)) + body


class RawRequest:
    """A change request encoded here with struct, run by Channel.run like a pyroute2 message (it reads ['header'],
    calls encode() and sends .data); its fields (index, family, attrs, ...) read as a message's.  Neighbour entries
    are encoded here also because pyroute2's NDA_DST encoding depends on the message family, which for AF_BRIDGE
    differs between its versions."""

    def __init__(self, msg_type, nlm_flags, body, **fields):
        self.header = {'type': msg_type, 'flags': nlm_flags, 'sequence_number': 0}
        self.body = body
        self.data = b''
        self.fields = fields  # what a caller may read back, as from a pyroute2 message ('family')

    def __getitem__(self, key):
        if key == 'header':
            return self.header
        return self.fields[key]

    def get_attr(self, name):
        """The value of attribute ``name`` as given to the builder (None when absent), as a message's get_attr."""
        return next((value for key, value in self.fields.get('attrs') or () if key == name), None)

    def encode(self):
        h = self.header
        self.data = _HDR.pack(_HDR.size + len(self.body), h['type'], h['flags'], h['sequence_number'], 0) + self.body


# -- the link and address requests a network sends by the hundreds, encoded with struct ------------------------------
# pyroute2's generic attribute machinery took about 0.2 ms to encode one of these (a veth into a namespace, setting a
# link up, an address): a third of an apply of 500 containers.  The bytes are pyroute2's own, attribute for attribute
# (test_kernel_encoding pins them under both its versions); the rarer requests (bridges, macvlan, vxlan, tc) stay its.
IFLA = {'IFLA_ADDRESS': 1, 'IFLA_IFNAME': 3, 'IFLA_MTU': 4, 'IFLA_MASTER': 10, 'IFLA_LINKINFO': 18, 'IFLA_GROUP': 27,
        'IFLA_NET_NS_FD': 28}
IFA = {'IFA_ADDRESS': 1, 'IFA_LOCAL': 2, 'IFA_BROADCAST': 4}
_IFADDR = struct.Struct('=BBBBI')
IFLA_INFO_KIND, IFLA_INFO_DATA, IFLA_INFO_SLAVE_KIND, IFLA_INFO_SLAVE_DATA = 1, 2, 4, 5
VETH_INFO_PEER = 1
IFLA_BRPORT_MODE = 4


def nla(typ, payload):
    """One attribute: its header, ``payload`` and the padding to 4 bytes (a nest's payload is its attributes)."""
    return _NLA.pack(4 + len(payload), typ) + payload + b'\0' * (-len(payload) % 4)


def _link_attrs(attrs):
    """IFLA_* attributes from (name, value) pairs: a name is a string, an address a MAC, the rest u32."""
    out = []
    for name, value in attrs:
        if name == 'IFLA_IFNAME':
            out.append(nla(IFLA[name], value.encode() + b'\0'))
        elif name == 'IFLA_ADDRESS':
            out.append(nla(IFLA[name], bytes.fromhex(value.replace(':', ''))))
        else:
            out.append(nla(IFLA[name], _U32.pack(value)))
    return b''.join(out)


def link_request(msg_type, flags, index=0, up=None, attrs=(), linkinfo=None):
    """``msg_type`` (RTM_NEWLINK) of ifindex ``index`` (0: by IFLA_IFNAME) with IFF_UP set or cleared when ``up`` is
    not None, the (name, value) ``attrs`` in their order, then IFLA_LINKINFO's encoded payload ``linkinfo``."""
    ifi_flags, change = (IFF_UP if up else 0, IFF_UP) if up is not None else (0, 0)
    body = _IFINFO.pack(0, 0, index, ifi_flags, change) + _link_attrs(attrs)
    if linkinfo is not None:
        body += nla(IFLA['IFLA_LINKINFO'], linkinfo)
    return RawRequest(msg_type, flags, body, index=index, flags=ifi_flags, change=change,
                      attrs=list(attrs) + ([('IFLA_LINKINFO', linkinfo)] if linkinfo is not None else []))


def veth_info(peer_attrs):
    """IFLA_LINKINFO's payload of a new veth whose peer has the (name, value) ``peer_attrs``."""
    peer = _IFINFO.pack(0, 0, 0, 0, 0) + _link_attrs(peer_attrs)
    return nla(IFLA_INFO_KIND, b'veth\0') + nla(IFLA_INFO_DATA, nla(VETH_INFO_PEER, peer))


def hairpin_info(on):
    """IFLA_LINKINFO's payload setting a bridge port's hairpin mode."""
    return nla(IFLA_INFO_SLAVE_KIND, b'bridge\0') + nla(IFLA_INFO_SLAVE_DATA, nla(IFLA_BRPORT_MODE, bytes([int(bool(on))])))


def addr_request(msg_type, flags, family, prefixlen, ifa_flags, index, attrs):
    """RTM_NEWADDR / RTM_DELADDR with the (IFA name, address text) ``attrs`` in their order."""
    body = _IFADDR.pack(family, prefixlen, ifa_flags, 0, index)
    body += b''.join(nla(IFA[name], _packed(ip)) for name, ip in attrs)
    return RawRequest(msg_type, flags, body, family=family, prefixlen=prefixlen, flags=ifa_flags, index=index, attrs=list(attrs))


def family_of(address):
    """AF_INET6 for an IPv6 address text (it holds a colon), else AF_INET (also for None)."""
    return socket.AF_INET6 if address and ':' in address else socket.AF_INET


def neigh_request(msg_type, family, index, mac, dst, append=False):
    """RTM_NEWNEIGH / RTM_DELNEIGH of a permanent entry on device ``index``: AF_BRIDGE, a vxlan forwarding entry
    (``bridge fdb append|add|del MAC dev VX dst DST self permanent``), or AF_INET, an ARP entry (``ip neigh add DST
    lladdr MAC dev VX nud permanent``).  ``append`` (NLM_F_APPEND): one more all-zero flood entry beside the
    others (head-end replication to every peer); else a new entry is created or replaced.  A forwarding entry's
    ``dst`` is IPv6 on a device with an IPv6 underlay (NDA_DST of 16 bytes)."""
    flags = NTF_SELF if family == AF_BRIDGE else 0
    body = _NDMSG.pack(family, index, NUD_PERMANENT, flags, 0)
    packed = _packed(dst)
    body += _NLA.pack(4 + len(packed), 1) + packed
    if mac:
        body += _NLA.pack(10, 2) + bytes.fromhex(mac.replace(':', '')) + b'\0\0'
    how = 0
    if msg_type == RTM_NEWNEIGH:
        how = NLM_F_CREATE | (NLM_F_APPEND if append else NLM_F_REPLACE)
    return RawRequest(msg_type, how, body)


_RTMSG = struct.Struct('=BBBBBBBBI')


def route_request(msg_type, flags, family, table, scope, proto=0, rtype=0, gateway=None, oif=None, dst=None, priority=None):
    """RTM_NEWROUTE / RTM_DELROUTE of a default route (no destination) in ``table`` (< 256), with RTA_GATEWAY and RTA_OIF
    when given.  Encoded here: pyroute2's rtmsg encoder took 1 to 2 ms a message (twice as long for IPv6), the largest
    part of a dual-stack container's requests.  ``dst`` ('a.b.c.d/len' or 'x::/len') and ``priority`` (the metric):
    a network's extra route (_routes)."""
    dst_len = int(dst.split('/')[1]) if dst else 0
    body = _RTMSG.pack(family, dst_len, 0, 0, table, proto, scope, rtype, 0)
    if dst:
        packed = _packed(dst.split('/')[0])
        body += _NLA.pack(4 + len(packed), 1) + packed
    if priority is not None:
        body += _NLA.pack(8, 6) + _U32.pack(priority)
    if gateway:
        packed = _packed(gateway)
        body += _NLA.pack(4 + len(packed), 5) + packed
    if oif:
        body += _NLA.pack(8, 4) + _U32.pack(oif)
    return RawRequest(msg_type, flags, body, family=family)
