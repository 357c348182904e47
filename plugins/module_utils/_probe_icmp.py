# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe's ICMP packets, pure (unit tested, no root): the echo request, its checksum, and what a raw ICMP socket
receives matched against it (our echo reply, or an unreachable / time-exceeded message quoting our request)."""

from __future__ import annotations

import socket
import struct

ICMP_ECHO_REPLY = 0
ICMP_DEST_UNREACH = 3
ICMP_ECHO_REQUEST = 8
ICMP_TIME_EXCEEDED = 11
ICMP_PAYLOAD_SIZE = 56  # what ping sends by default
UNREACH_CODES = {
    0: 'network unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable',
    4: 'fragmentation needed', 5: 'source route failed', 6: 'destination network unknown',
    7: 'destination host unknown', 9: 'network administratively prohibited',
    10: 'host administratively prohibited', 11: 'network unreachable for TOS', 12: 'host unreachable for TOS',
    13: 'communication administratively prohibited (filtered)',
}
# The ICMP types a probe's raw socket lets through (ICMP_FILTER drops every type whose bit is set).
WANTED_TYPES = (1 << ICMP_ECHO_REPLY) | (1 << ICMP_DEST_UNREACH) | (1 << ICMP_TIME_EXCEEDED)


def checksum(data):
    """The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit words."""
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident, seq, payload):
    """An ICMP echo request with its checksum filled in."""
    header = struct.pack('!BBHHH', ICMP_ECHO_REQUEST, 0, 0, ident, seq)
    return struct.pack('!BBHHH', ICMP_ECHO_REQUEST, 0, checksum(header + payload), ident, seq) + payload


def echo_payload(token):
    """``token`` padded to ping's 56 bytes, so the reply can be told from any other's."""
    return (token + b'hostnet.containers probe ' * 3)[:ICMP_PAYLOAD_SIZE]


def icmp_reason(itype, code):
    if itype == ICMP_DEST_UNREACH:
        return UNREACH_CODES.get(code, 'destination unreachable (code %d)' % code)
    if itype == ICMP_TIME_EXCEEDED:
        return 'time to live exceeded in transit' if code == 0 else 'fragment reassembly time exceeded'
    return 'ICMP type %d code %d' % (itype, code)


def _ipv4_payload(packet):
    """(header length, what follows the header) of an IPv4 packet carrying at least 8 bytes, else None."""
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20 or len(packet) < ihl + 8:
        return None
    return ihl, packet[ihl:]


def _quotes_our_request(quoted, target, ident, seq):
    """Whether the packet an ICMP error quotes is our echo request to ``target``."""
    inner = _ipv4_payload(quoted)
    if inner is None or quoted[9] != socket.IPPROTO_ICMP or socket.inet_ntoa(quoted[16:20]) != target:
        return False
    otype, _ocode, _ocsum, oid, oseq = struct.unpack('!BBHHH', inner[1][:8])
    return otype == ICMP_ECHO_REQUEST and oid == ident and oseq == seq


def match_icmp(packet, target, ident, seq, payload):
    """What an IPv4 packet read from a raw ICMP socket says about our echo request to ``target``.

    ('reply', source) for its echo reply, ('error', source, reason) for an ICMP
    unreachable or time-exceeded message quoting it, None for anything else (other
    pings, our own request looped back on lo, bad checksums).
    """
    outer = _ipv4_payload(packet)
    if outer is None or checksum(outer[1]) != 0:
        return None
    icmp = outer[1]
    source = socket.inet_ntoa(packet[12:16])
    itype, code, _csum, rid, rseq = struct.unpack('!BBHHH', icmp[:8])
    if itype == ICMP_ECHO_REPLY:
        ours = code == 0 and rid == ident and rseq == seq and source == target and icmp[8:] == payload
        return ('reply', source) if ours else None
    if itype in (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED) and _quotes_our_request(icmp[8:], target, ident, seq):
        return ('error', source, icmp_reason(itype, code))
    return None
