# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lean netlink layer: requests encoded by pyroute2 decode to what the kernel would report, ACKs map to steps.

No root: messages are built with pyroute2's own classes and fed to the parsers; the Channel runs on a
socketpair that plays the kernel.
"""

from __future__ import annotations

import errno
import socket
import struct

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec

pytest.importorskip('pyroute2')
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg  # noqa: E402  pylint: disable=wrong-import-position
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg  # noqa: E402  pylint: disable=wrong-import-position
from pyroute2.netlink.rtnl.rtmsg import rtmsg  # noqa: E402  pylint: disable=wrong-import-position


def encoded(msg, msg_type):
    msg['header']['type'] = msg_type
    msg.encode()
    return bytes(msg.data)


def parse_one(parse, data):
    [(dummy, dummy2, dummy3, off, end)] = list(_kernel_codec._messages(data))  # pylint: disable=protected-access
    return parse(data, off, end)


def test_a_bridge_port_veth_decodes_like_link_facts():
    msg = ifinfmsg()
    msg['index'], msg['flags'] = 7, 1
    msg['attrs'] = [('IFLA_IFNAME', 'veth1234567'), ('IFLA_MTU', 1400), ('IFLA_ADDRESS', '02:42:AC:11:00:02'),
                    ('IFLA_MASTER', 3), ('IFLA_LINK', 2), ('IFLA_LINK_NETNSID', 0), ('IFLA_GROUP', 5),
                    ('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'veth'), ('IFLA_INFO_SLAVE_KIND', 'bridge'),
                                                 ('IFLA_INFO_SLAVE_DATA', {'attrs': [('IFLA_BRPORT_MODE', 1)]})]})]
    link = parse_one(_kernel_codec.parse_link, encoded(msg, _kernel.RTM_NEWLINK))
    assert link == {'index': 7, 'ifname': 'veth1234567', 'kind': 'veth', 'mtu': 1400, 'mac': '02:42:ac:11:00:02', 'up': True,
                    'master': 3, 'link': 2, 'link_netnsid': 0, 'hairpin': True, 'group': 5}


def test_a_link_that_is_no_bridge_port_has_no_hairpin():
    msg = ifinfmsg()
    msg['index'] = 1
    msg['attrs'] = [('IFLA_IFNAME', 'lo'), ('IFLA_MTU', 65536)]
    link = parse_one(_kernel_codec.parse_link, encoded(msg, _kernel.RTM_NEWLINK))
    assert link['hairpin'] is None and link['kind'] is None and not link['up'] and link['master'] is None


def test_addresses_and_routes_decode():
    addr = ifaddrmsg()
    addr['family'], addr['prefixlen'], addr['index'] = socket.AF_INET, 16, 2
    addr['attrs'] = [('IFA_ADDRESS', '172.18.0.2'), ('IFA_LOCAL', '172.18.0.2'), ('IFA_LABEL', 'eth0')]
    assert parse_one(_kernel_codec.parse_addr, encoded(addr, _kernel.RTM_NEWADDR)) == {
        'index': 2, 'family': socket.AF_INET, 'address': '172.18.0.2/16', 'broadcast': None}
    route = rtmsg()
    route['family'], route['table'] = socket.AF_INET, 254
    route['attrs'] = [('RTA_GATEWAY', '172.18.0.1'), ('RTA_OIF', 2), ('RTA_TABLE', 254)]
    assert parse_one(_kernel_codec.parse_route, encoded(route, _kernel.RTM_NEWROUTE)) == {
        'family': socket.AF_INET, 'dst': None, 'dst_len': 0, 'table': 254, 'oif': 2, 'gateway': '172.18.0.1'}


def test_requests_carry_what_the_kernel_needs():
    veth = _kernel.veth_request('vethabc', 'eth0', 9, master=3, mtu=1500, peer_mac='02:42:ac:11:00:02')
    data = encoded(veth, _kernel.RTM_NEWLINK)
    back = ifinfmsg(data)
    back.decode()
    assert back['flags'] & 1 and back.get_attr('IFLA_MASTER') == 3 and back.get_attr('IFLA_IFNAME') == 'vethabc'
    peer = back.get_attr('IFLA_LINKINFO').get_attr('IFLA_INFO_DATA').get_attr('VETH_INFO_PEER')
    assert peer.get_attr('IFLA_IFNAME') == 'eth0' and peer.get_attr('IFLA_NET_NS_FD') == 9
    assert veth['header']['flags'] & (_kernel.NLM_F_CREATE | _kernel.NLM_F_EXCL) == _kernel.NLM_F_CREATE | _kernel.NLM_F_EXCL
    hairpin = ifinfmsg(encoded(_kernel.link_set_request(ifname='vethabc', hairpin=True), _kernel.RTM_NEWLINK))
    hairpin.decode()
    info = hairpin.get_attr('IFLA_LINKINFO')
    assert hairpin['index'] == 0 and info.get_attr('IFLA_INFO_SLAVE_DATA').get_attr('IFLA_BRPORT_MODE') == 1
    group = ifinfmsg(encoded(_kernel.link_del_request(group=77), _kernel.RTM_DELLINK))
    group.decode()
    assert group['index'] == 0 and group.get_attr('IFLA_GROUP') == 77


class FakeKernel:
    """The other end of a socketpair: ACKs each request in a write, failing the ones whose sequence is listed."""

    def __init__(self, sock, fail=()):
        self.sock = sock
        self.fail = dict(fail)
        self.requests = 0

    def answer(self):
        data = self.sock.recv(1 << 20)
        out = b''
        for typ, flags, seq, off, end in _kernel_codec._messages(data):  # pylint: disable=protected-access
            self.requests += 1
            code = -self.fail.get(self.requests, 0)
            out += struct.pack('=IHHII', 36, _kernel.NLMSG_ERROR, 0, seq, 0) + struct.pack('=i', code) + data[off - 16:off]
        self.sock.send(out)


def channel_pair(monkeypatch, fail=()):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    chan = _kernel.Channel.__new__(_kernel.Channel)
    chan.sock, chan.seq = ours, 0
    kernel = FakeKernel(theirs, fail)
    real_send = ours.send

    def send(data):
        n = real_send(data)
        kernel.answer()
        return n

    monkeypatch.setattr(chan, 'sock', type('S', (), {'send': staticmethod(send), 'recv': ours.recv, 'close': ours.close})())
    return chan, kernel


def test_pipelined_requests_report_each_error_at_its_place(monkeypatch):
    chan, kernel = channel_pair(monkeypatch, fail={2: errno.EEXIST})
    results = chan.run([_kernel.link_set_request(i, up=True) for i in range(1, 4)])
    assert kernel.requests == 3
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], _kernel.NetlinkError) and results[1].code == errno.EEXIST


def test_after_a_failed_write_the_rest_is_not_sent(monkeypatch):
    monkeypatch.setattr(_kernel, '_CHUNK', 2)
    chan, kernel = channel_pair(monkeypatch, fail={1: errno.ENODEV})
    results = chan.run([_kernel.link_set_request(i, up=True) for i in range(1, 6)])
    assert kernel.requests == 2 and chan.sent == 2
    assert results[0].code == errno.ENODEV and results[2:] == [None, None, None]


def test_apply_raises_the_first_error_unless_the_object_is_already_gone(monkeypatch):
    chan, dummy = channel_pair(monkeypatch)
    assert chan.apply(_kernel.link_set_request(1, up=True))
    chan, dummy = channel_pair(monkeypatch, fail={1: errno.ENODEV})
    assert not chan.apply(_kernel.link_del_request(ifname='gone0'), gone_ok=True)
    chan, dummy = channel_pair(monkeypatch, fail={1: errno.ENODEV})
    with pytest.raises(_kernel.NetlinkError) as err:
        chan.apply(_kernel.link_del_request(ifname='gone0'))
    assert err.value.code == errno.ENODEV
    chan, dummy = channel_pair(monkeypatch, fail={2: errno.EEXIST})
    with pytest.raises(_kernel.NetlinkError):
        chan.apply(_kernel.link_set_request(1, up=True), _kernel.link_set_request(2, up=True), gone_ok=True)


def test_reads_are_encoded_for_the_kernel():
    data = _kernel_codec.read_request(('link', 'eth0'), 7)
    [(typ, flags, seq, off, end)] = list(_kernel_codec._messages(data))  # pylint: disable=protected-access
    assert (typ, flags, seq) == (_kernel.RTM_GETLINK, _kernel.NLM_F_REQUEST, 7) and b'eth0\0' in data[off:end]
    data = _kernel_codec.read_request(('route', '10.0.0.1'), 8)
    assert socket.inet_aton('10.0.0.1') in data and list(_kernel_codec._messages(data))[0][0] == _kernel.RTM_GETROUTE  # pylint: disable=protected-access
    data = _kernel_codec.read_request((_kernel.RTM_GETADDR, socket.AF_INET), 9)
    assert list(_kernel_codec._messages(data))[0][1] == _kernel.NLM_F_REQUEST | _kernel_codec.NLM_F_DUMP  # pylint: disable=protected-access


def reply(msg, msg_type, seq, flags=0):
    msg['header']['type'], msg['header']['sequence_number'], msg['header']['flags'] = msg_type, seq, flags
    msg.encode()
    return bytes(msg.data)


def error(seq, code):
    return struct.pack('=IHHII', 36, _kernel.NLMSG_ERROR, 0, seq, 0) + struct.pack('=i', -code) + b'\0' * 16


class FakeRtnl(FakeKernel):
    """Answers reads: links eth0 (2) and lo (1), addresses of eth0, a route to 172.18.0.0/16; the first address
    dump is refused with EBUSY when ``busy`` (one dump at a time per socket)."""

    def __init__(self, sock, busy=False):
        super().__init__(sock)
        self.busy = busy

    def answer(self):
        data = self.sock.recv(1 << 20)
        out = b''
        for typ, flags, seq, off, end in _kernel_codec._messages(data):  # pylint: disable=protected-access
            self.requests += 1
            out += self.read(typ, flags, seq, bytes(data[off:end]))
        self.sock.send(out)

    def read(self, typ, flags, seq, body):
        if typ == _kernel.RTM_GETLINK:
            index = struct.unpack_from('=i', body, 4)[0]
            name = body[20:].split(b'\0')[0].decode() if len(body) > 16 else None
            found = {'lo': 1, 'eth0': 2}.get(name) or (index if index in (1, 2) else None)
            if found is None:
                return error(seq, errno.ENODEV)
            msg = ifinfmsg()
            msg['index'], msg['flags'] = found, 1
            msg['attrs'] = [('IFLA_IFNAME', {1: 'lo', 2: 'eth0'}[found]), ('IFLA_MTU', 1500)]
            return reply(msg, _kernel.RTM_NEWLINK, seq)
        if typ == _kernel.RTM_GETADDR:
            if self.busy:
                self.busy = False
                return error(seq, errno.EBUSY)
            out = b''
            for ip in ('172.18.0.2', '172.18.0.3'):
                msg = ifaddrmsg()
                msg['family'], msg['prefixlen'], msg['index'] = socket.AF_INET, 16, 2
                msg['attrs'] = [('IFA_ADDRESS', ip)]
                out += reply(msg, _kernel.RTM_NEWADDR, seq, flags=2)
            return out + struct.pack('=IHHII', 20, _kernel.NLMSG_DONE, 2, seq, 0) + b'\0' * 4
        if flags & _kernel_codec.NLM_F_DUMP:
            return self.routes(seq)
        if socket.inet_ntoa(body[-4:]).startswith('172.18.'):
            msg = rtmsg()
            msg['family'], msg['dst_len'], msg['table'] = socket.AF_INET, 16, 254
            msg['attrs'] = [('RTA_DST', '172.18.0.0'), ('RTA_OIF', 2)]
            return reply(msg, _kernel.RTM_NEWROUTE, seq)
        return error(seq, errno.ENETUNREACH)

    @staticmethod
    def routes(seq):
        """A local-table route, then the main table's default route via 172.18.0.1 on eth0."""
        out = b''
        for table, attrs in ((255, [('RTA_DST', '172.18.0.2'), ('RTA_OIF', 2)]),
                             (254, [('RTA_GATEWAY', '172.18.0.1'), ('RTA_OIF', 2)])):
            msg = rtmsg()
            msg['family'], msg['table'], msg['dst_len'] = socket.AF_INET, table, 32 if table == 255 else 0
            msg['attrs'] = attrs
            out += reply(msg, _kernel.RTM_NEWROUTE, seq, flags=2)
        return out + struct.pack('=IHHII', 20, _kernel.NLMSG_DONE, 2, seq, 0) + b'\0' * 4


def rtnl_pair(monkeypatch, busy=False):
    chan, dummy = channel_pair(monkeypatch)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    kernel = FakeRtnl(theirs, busy)

    def send(data):
        n = ours.send(data)
        kernel.answer()
        return n

    monkeypatch.setattr(chan, 'sock', type('S', (), {'send': staticmethod(send), 'recv': ours.recv, 'close': ours.close})())
    return chan, kernel


@pytest.mark.parametrize('busy', [False, True])
def test_a_query_answers_gets_and_dumps_in_order(monkeypatch, busy):
    chan, kernel = rtnl_pair(monkeypatch, busy)
    eth0, gone, lo, addrs, route, unreachable, state = chan.query(
        ('link', 'eth0'), ('link', 'nope0'), ('link', 1), (_kernel.RTM_GETADDR, socket.AF_INET), ('route', '172.18.0.9'),
        ('route', '10.9.9.9'), ('state', 'eth0'))
    assert (eth0['index'], eth0['ifname'], eth0['mtu'], eth0['up']) == (2, 'eth0', 1500, True)
    assert gone is None and lo['ifname'] == 'lo' and unreachable is None
    # A state read is the same GET, decoded to index, name and up alone.
    assert state == dict(eth0, kind=None, mtu=None, mac='', master=None, link=None, group=0, hairpin=None)
    assert [a['address'] for a in addrs] == ['172.18.0.2/16', '172.18.0.3/16']
    assert route['dst'] == '172.18.0.0/16' and route['oif'] == 2
    assert kernel.requests == (8 if busy else 7)  # the refused dump is asked again on its own


def test_channel_reads_by_name(monkeypatch):
    chan, dummy = rtnl_pair(monkeypatch)
    assert chan.link('eth0')['index'] == 2 and chan.link('nope0') is None and chan.index('lo') == 1
    with pytest.raises(_kernel.HostnetError, match='nope0 does not exist'):
        chan.index('nope0')
    assert chan.addresses(2) == ['172.18.0.2/16', '172.18.0.3/16'] and chan.addresses(7) == []
    assert chan.addresses() == {2: ['172.18.0.2/16', '172.18.0.3/16']}
    assert chan.route_to('172.18.0.9')['oif'] == 2
    assert chan.default_gateway() == '172.18.0.1' and chan.default_gateway(2) == '172.18.0.1' and chan.default_gateway(3) is None
