# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe's ICMPv6 packets, pure (unit tested, no root): the echo request and what a raw ICMPv6 socket receives
matched against it (our echo reply, or an unreachable / time-exceeded message quoting our request).

Unlike IPv4, a raw IPPROTO_ICMPV6 socket neither hands over nor takes an IP header: the kernel fills in the ICMPv6
checksum on send (it covers a pseudo-header with addresses only the kernel picks), drops packets whose checksum is
wrong on receive, and the source address comes from recvfrom.
"""

from __future__ import annotations

import socket
import struct

ICMP6_DST_UNREACH = 1
ICMP6_PACKET_TOO_BIG = 2
ICMP6_TIME_EXCEEDED = 3
ICMP6_ECHO_REQUEST = 128
ICMP6_ECHO_REPLY = 129
IPV6_HEADER = 40
NEXT_HEADER_ICMPV6 = 58
# The ICMPV6_FILTER socket option (IPPROTO_ICMPV6 level): 256 bits, a set bit blocks that type (Linux semantics).
ICMP6_FILTER = 1
UNREACH_CODES = {
    0: 'network unreachable (no route)', 1: 'communication administratively prohibited (filtered)',
    2: 'beyond scope of source address', 3: 'host unreachable', 4: 'port unreachable',
    5: 'source address failed ingress/egress policy', 6: 'reject route to destination',
}
WANTED_TYPES = (ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ICMP6_ECHO_REPLY)


def icmp6_filter(wanted=WANTED_TYPES):
    """The ICMP6_FILTER value that lets only ``wanted`` types through: eight 32-bit words, bit set = blocked."""
    words = [0xFFFFFFFF] * 8
    for itype in wanted:
        words[itype >> 5] &= ~(1 << (itype & 31)) & 0xFFFFFFFF
    return struct.pack('8I', *words)


def echo_request(ident, seq, payload):
    """An ICMPv6 echo request with a zero checksum: the kernel computes it on a raw ICMPv6 socket."""
    return struct.pack('!BBHHH', ICMP6_ECHO_REQUEST, 0, 0, ident, seq) + payload


def same_address(one, other):
    """Whether two IPv6 texts are the same address (scope suffix ignored: recvfrom gives the scope apart)."""
    try:
        return socket.inet_pton(socket.AF_INET6, one.split('%')[0]) == socket.inet_pton(socket.AF_INET6, other.split('%')[0])
    except (OSError, ValueError, AttributeError):
        return False


def icmp6_reason(itype, code):
    if itype == ICMP6_DST_UNREACH:
        return UNREACH_CODES.get(code, 'destination unreachable (code %d)' % code)
    if itype == ICMP6_TIME_EXCEEDED:
        return 'hop limit exceeded in transit' if code == 0 else 'fragment reassembly time exceeded'
    if itype == ICMP6_PACKET_TOO_BIG:
        return 'packet too big'
    return 'ICMPv6 type %d code %d' % (itype, code)


def _quotes_our_request(quoted, target, ident, seq):
    """Whether the IPv6 packet an ICMPv6 error quotes is our echo request to ``target`` (no extension headers:
    the probe's requests carry none)."""
    if len(quoted) < IPV6_HEADER + 8 or quoted[0] >> 4 != 6 or quoted[6] != NEXT_HEADER_ICMPV6:
        return False
    if not same_address(socket.inet_ntop(socket.AF_INET6, quoted[24:40]), target):
        return False
    otype, _ocode, _ocsum, oid, oseq = struct.unpack('!BBHHH', quoted[IPV6_HEADER:IPV6_HEADER + 8])
    return otype == ICMP6_ECHO_REQUEST and oid == ident and oseq == seq


def match_icmp6(message, source, target, ident, seq, payload):
    """What an ICMPv6 message from ``source`` (as read from a raw ICMPv6 socket) says about our echo request.

    ('reply', source) for its echo reply, ('error', source, reason) for an error message quoting it, None for
    anything else (other pings, another attempt's reply, a reply from elsewhere).
    """
    if len(message) < 8:
        return None
    itype, code, _csum, rid, rseq = struct.unpack('!BBHHH', message[:8])
    if itype == ICMP6_ECHO_REPLY:
        ours = code == 0 and rid == ident and rseq == seq and same_address(source, target) and message[8:] == payload
        return ('reply', source.split('%')[0]) if ours else None
    if itype in (ICMP6_DST_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED) and \
            _quotes_our_request(message[8:], target, ident, seq):
        return ('error', source.split('%')[0], icmp6_reason(itype, code))
    return None
