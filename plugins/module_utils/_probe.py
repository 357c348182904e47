# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checking a topology with packets: ping, TCP connect and name lookup from a namespace or the host.

Pure parts (unit tested, no root): option validation, hosts and resolv.conf parsing, the
search list, the DNS A query and the decoding of its answer, the ICMP echo packet, its
checksum and the matching of what a raw socket receives.

The rest sends packets, in-process: no ``ping``, ``ip`` or ``nc``.  Every socket is
created inside the namespace by entering it on the calling thread (``_netns.entered``)
and returning at once; a socket keeps the namespace it was created in, so everything it
sends and receives afterwards is that namespace's traffic.

Name lookup is what ``ip netns exec NETNS getent hosts NAME`` sees with
``hosts: files dns``: ``ip netns exec`` binds /etc/netns/NETNS/hosts and resolv.conf over
/etc's when they exist, so those replace /etc/hosts and /etc/resolv.conf.  The hosts
file is read first (the first line naming NAME wins, as glibc's files backend does);
otherwise DNS A queries go over UDP (TCP when the answer is truncated) to the effective
resolv.conf's name servers, from a socket inside the namespace, with its search
domains and ``ndots`` applied as glibc's res_search does.  IPv4 only.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import random
import re
import select
import socket
import struct
import time

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns

METHODS = ('ping', 'tcp', 'resolve')
EXPECTS = ('reachable', 'unreachable')
ETC = '/etc'
ETC_NETNS = '/etc/netns'
NETNS_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')
LABEL_RE = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$')

# glibc defaults (resolv/resolv.h): 3 name servers at most, ndots 1; 127.0.0.1 when none is listed.
MAXNS = 3
DEFAULT_NAMESERVER = '127.0.0.1'

DNS_PORT = 53
TYPE_A = 1
TYPE_CNAME = 5
CLASS_IN = 1
RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED'}
MAX_CNAME_CHAIN = 16

ICMP_ECHO_REPLY = 0
ICMP_DEST_UNREACH = 3
ICMP_ECHO_REQUEST = 8
ICMP_TIME_EXCEEDED = 11
SOL_RAW = 255
ICMP_FILTER = 1
ICMP_PAYLOAD_SIZE = 56  # what ping sends by default
UNREACH_CODES = {
    0: 'network unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable',
    4: 'fragmentation needed', 5: 'source route failed', 6: 'destination network unknown',
    7: 'destination host unknown', 9: 'network administratively prohibited',
    10: 'host administratively prohibited', 11: 'network unreachable for TOS', 12: 'host unreachable for TOS',
    13: 'communication administratively prohibited (filtered)',
}

SOCKET_REASONS = {
    errno.ECONNREFUSED: 'connection refused',
    errno.EHOSTUNREACH: 'host unreachable',
    errno.ENETUNREACH: 'network unreachable (no route)',
    errno.ETIMEDOUT: 'timed out',
    errno.EPERM: 'operation not permitted (a firewall rule rejected the packet)',
    errno.EACCES: 'permission denied',
    errno.ECONNRESET: 'connection reset',
    errno.EADDRNOTAVAIL: 'address not available',
}


class ProbeError(ValueError):
    """A bad input or an unusable environment: names the option and the value, and says what is wrong."""

    def __init__(self, option, value, message):
        self.option = option
        self.value = value
        self.message = message
        if value is None:
            super().__init__('%s: %s' % (option, message))
        else:
            super().__init__('%s %s: %s' % (option, "'%s'" % value if isinstance(value, str) else value, message))


class DNSFormatError(ValueError):
    """A malformed DNS message."""


class NotOurReply(DNSFormatError):
    """A well-formed message that does not answer our query (wrong id, not a response, other question)."""


# -- validation -------------------------------------------------------------------------
def parse_ipv4(text):
    """The dotted-quad text of an IPv4 address, or None when ``text`` is not one."""
    try:
        return str(ipaddress.IPv4Address(text))
    except (ipaddress.AddressValueError, ValueError, TypeError):
        return None


def is_host_name(name):
    """A DNS name we can look up: dot-separated labels (letters, digits, ``-``, ``_``), optional trailing dot."""
    if not isinstance(name, str) or not name or len(name.rstrip('.')) > 253 or name == '.':
        return False
    labels = name[:-1].split('.') if name.endswith('.') else name.split('.')
    return all(LABEL_RE.match(label) for label in labels)


def _number(option, value, kind):
    if isinstance(value, bool):
        raise ProbeError(option, value, 'must be a number')
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ProbeError(option, value, 'must be a number') from None


def validate(params):
    """The module's parameters checked and normalised; a ProbeError names the first bad option.

    Returns a dict: netns, target, name (the host name to look up, or None), ip (the
    target's IPv4 address when given as one), method, port, expect, expect_address,
    count, timeout.
    """
    netns = params.get('netns')
    if netns is not None and (not NETNS_RE.match(netns) or netns in ('.', '..')):
        raise ProbeError('netns', netns, 'not a valid namespace name (1-64 letters, digits, ".", "_" or "-")')
    method = params.get('method') or 'ping'
    if method not in METHODS:
        raise ProbeError('method', method, 'must be one of %s' % ', '.join(METHODS))
    expect = params.get('expect') or 'reachable'
    if expect not in EXPECTS:
        raise ProbeError('expect', expect, 'must be one of %s' % ', '.join(EXPECTS))

    target = params.get('target')
    if not isinstance(target, str) or not target.strip():
        raise ProbeError('target', target, 'must be an IPv4 address or a host name')
    target = target.strip()
    ip = parse_ipv4(target)
    name = None
    if ip is None:
        if ':' in target:
            raise ProbeError('target', target, 'IPv6 is not supported yet; use an IPv4 address or a host name')
        if re.match(r'^[0-9.]+$', target):
            raise ProbeError('target', target, 'not a valid IPv4 address')
        if not is_host_name(target):
            raise ProbeError('target', target, 'neither an IPv4 address nor a valid host name')
        name = target
    elif method == 'resolve':
        raise ProbeError('target', target, 'method resolve needs a host name, not an address')

    port = params.get('port')
    if method == 'tcp':
        if port is None:
            raise ProbeError('port', port, 'required with method tcp')
        port = _number('port', port, int)
        if not 1 <= port <= 65535:
            raise ProbeError('port', port, 'must be from 1 to 65535')
    elif port is not None:
        raise ProbeError('port', port, 'only used with method tcp, not %s' % method)

    expect_address = params.get('expect_address')
    if expect_address is not None:
        if method != 'resolve':
            raise ProbeError('expect_address', expect_address, 'only used with method resolve, not %s' % method)
        if expect != 'reachable':
            raise ProbeError('expect_address', expect_address, 'needs expect reachable (a name that must not resolve has no address)')
        parsed = parse_ipv4(expect_address)
        if parsed is None:
            raise ProbeError('expect_address', expect_address, 'not an IPv4 address')
        expect_address = parsed

    count = _number('count', 1 if params.get('count') is None else params['count'], int)
    if not 1 <= count <= 1000:
        raise ProbeError('count', count, 'must be from 1 to 1000')
    timeout = _number('timeout', 2.0 if params.get('timeout') is None else params['timeout'], float)
    if not 0 < timeout <= 3600:
        raise ProbeError('timeout', params['timeout'], 'must be more than 0 and at most 3600 seconds')

    return {'netns': netns, 'target': target, 'name': name, 'ip': ip, 'method': method, 'port': port,
            'expect': expect, 'expect_address': expect_address, 'count': count, 'timeout': timeout}


# -- hosts and resolv.conf ----------------------------------------------------------------
def etc_path(netns, fname):
    """The file ``ip netns exec NETNS`` sees as /etc/FNAME: /etc/netns/NETNS/FNAME when it exists."""
    if netns is not None:
        path = os.path.join(ETC_NETNS, netns, fname)
        if os.path.exists(path):
            return path
    return os.path.join(ETC, fname)


def read_text(path):
    """The file's text, or None when it cannot be read (a missing file is an empty configuration)."""
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except OSError:
        return None


def parse_hosts(text):
    """[(address, [names])] of a hosts file in file order; comments and lines without a name dropped."""
    entries = []
    for line in text.splitlines():
        fields = line.split('#', 1)[0].split()
        if len(fields) >= 2:
            entries.append((fields[0], fields[1:]))
    return entries


def hosts_lookup(text, name):
    """The IPv4 address of the first line naming ``name`` (canonical name or alias, any case), else None.

    This is glibc's files backend for gethostbyname(): one answer, from the first match;
    lines of another family (``::1 localhost``) are skipped.
    """
    want = name.lower()
    for address, names in parse_hosts(text):
        ip = parse_ipv4(address)
        if ip is not None and any(n.lower() == want for n in names):
            return ip
    return None


def _nameserver(text):
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def parse_resolv_conf(text):
    """nameservers (at most 3, default 127.0.0.1), search, ndots, as glibc's res_init reads them."""
    conf = {'nameservers': [], 'search': [], 'ndots': 1}
    for line in (text or '').splitlines():
        if line[:1] in ('#', ';'):
            continue
        words = line.split()
        if not words:
            continue
        key, args = words[0], words[1:]
        if key == 'nameserver' and args:
            server = _nameserver(args[0])
            if server is not None and len(conf['nameservers']) < MAXNS:
                conf['nameservers'].append(server)
        elif key == 'domain':
            conf['search'] = args[:1]  # domain and search override each other: the last one wins
        elif key == 'search':
            conf['search'] = args
        elif key == 'options':
            for opt in args:
                if opt.startswith('ndots:') and opt[6:].isdigit():
                    conf['ndots'] = min(int(opt[6:]), 15)
    if not conf['nameservers']:
        conf['nameservers'] = [DEFAULT_NAMESERVER]
    return conf


def search_names(name, search=(), ndots=1):
    """The names res_search tries for ``name``, in order.

    A trailing dot: only the name itself.  Fewer than ``ndots`` dots (a single label with
    the default ndots 1): each search domain first, the bare name last; otherwise the name
    first, then the search domains.
    """
    if name.endswith('.'):
        return [name[:-1]]
    suffixed = [name if dom in ('.', '') else '%s.%s' % (name, dom.rstrip('.')) for dom in search]
    tries = [name] + suffixed if name.count('.') >= ndots else suffixed + [name]
    out = []
    for candidate in tries:
        if candidate.lower() not in [o.lower() for o in out] and len(candidate) <= 253:
            out.append(candidate)
    return out


# -- DNS messages -----------------------------------------------------------------------------
def encode_name(name):
    """A domain name in DNS wire format (length-prefixed labels, a zero byte at the end)."""
    name = name.rstrip('.')
    out = b''
    for label in name.split('.') if name else []:
        raw = label.encode('ascii')
        if not 1 <= len(raw) <= 63:
            raise ValueError('label %r of %r must be 1-63 bytes' % (label, name))
        out += struct.pack('!B', len(raw)) + raw
    out += b'\0'
    if len(out) > 255:
        raise ValueError('name %r is longer than 255 bytes' % name)
    return out


def build_query(qid, name, qtype=TYPE_A):
    """A standard recursive query (RD set) for ``name``, one question, class IN."""
    return struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + struct.pack('!HH', qtype, CLASS_IN)


def read_name(data, offset):
    """(name, offset after it) of the possibly compressed name at ``offset``; DNSFormatError when malformed.

    Compression pointers must point backwards, which rules out loops.
    """
    labels = []
    end = None
    length_total = 0
    pos = offset
    while True:
        if pos >= len(data):
            raise DNSFormatError('a name runs past the end of the message')
        length = data[pos]
        if length & 0xC0 == 0xC0:
            if pos + 1 >= len(data):
                raise DNSFormatError('a compression pointer runs past the end of the message')
            pointer = ((length & 0x3F) << 8) | data[pos + 1]
            if pointer >= pos:
                raise DNSFormatError('a compression pointer does not point backwards')
            if end is None:
                end = pos + 2
            pos = pointer
            continue
        if length & 0xC0:
            raise DNSFormatError('unknown label type 0x%02x' % length)
        pos += 1
        if length == 0:
            break
        label = data[pos:pos + length]
        if len(label) < length:
            raise DNSFormatError('a label runs past the end of the message')
        length_total += length + 1
        if length_total > 255:
            raise DNSFormatError('a name is longer than 255 bytes')
        labels.append(label.decode('ascii', 'backslashreplace'))
        pos += length
    return '.'.join(labels), (end if end is not None else pos)


class DNSAnswer:
    """What a name server said: rcode, the A addresses of the name (after CNAMEs), truncated, canonical name."""

    def __init__(self, rcode, addresses=(), truncated=False, canonical=None):
        self.rcode = rcode
        self.addresses = list(addresses)
        self.truncated = truncated
        self.canonical = canonical

    @property
    def rcode_name(self):
        return RCODES.get(self.rcode, 'rcode %d' % self.rcode)

    def __repr__(self):
        return 'DNSAnswer(%s, %r, truncated=%r, canonical=%r)' % (self.rcode_name, self.addresses, self.truncated, self.canonical)


def parse_response(data, qid, qname, qtype=TYPE_A):
    """Decode the reply to build_query(qid, qname): a DNSAnswer.

    NotOurReply when the message is not a response to that query (wrong id, no QR bit,
    another question), DNSFormatError when it is malformed.  A truncated reply (TC set)
    is returned as such with no addresses: its records may be cut short, so the query is
    to be repeated over TCP.  CNAME records are followed from ``qname`` in any order.
    """
    if len(data) < 12:
        raise DNSFormatError('reply of %d bytes is shorter than a DNS header' % len(data))
    rid, flags, qdcount, ancount, _nscount, _arcount = struct.unpack('!HHHHHH', data[:12])
    if rid != qid:
        raise NotOurReply('reply id %d does not match query id %d' % (rid, qid))
    if not flags & 0x8000:
        raise NotOurReply('message is a query, not a response')
    opcode = (flags >> 11) & 0xF
    if opcode != 0:
        raise DNSFormatError('reply has opcode %d, not a standard query' % opcode)
    truncated = bool(flags & 0x0200)
    rcode = flags & 0xF
    offset = 12
    if qdcount != 1:
        if qdcount == 0 and rcode != 0:
            return DNSAnswer(rcode, truncated=truncated)  # some servers drop the question from error replies
        raise DNSFormatError('reply has %d questions, expected 1' % qdcount)
    name, offset = read_name(data, offset)
    if offset + 4 > len(data):
        raise DNSFormatError('the question runs past the end of the message')
    rtype, rclass = struct.unpack('!HH', data[offset:offset + 4])
    offset += 4
    if name.lower() != qname.rstrip('.').lower() or rtype != qtype or rclass != CLASS_IN:
        raise NotOurReply('reply is for %s type %d, not %s type %d' % (name, rtype, qname, qtype))
    if truncated:
        return DNSAnswer(rcode, truncated=True)

    cnames = {}
    records = []
    for _i in range(ancount):
        owner, offset = read_name(data, offset)
        if offset + 10 > len(data):
            raise DNSFormatError('an answer record runs past the end of the message')
        rtype, rclass, _ttl, rdlength = struct.unpack('!HHIH', data[offset:offset + 10])
        offset += 10
        if offset + rdlength > len(data):
            raise DNSFormatError('an answer record runs past the end of the message')
        if rclass == CLASS_IN and rtype == TYPE_A:
            if rdlength != 4:
                raise DNSFormatError('an A record has %d bytes of data, not 4' % rdlength)
            records.append((owner.lower(), socket.inet_ntoa(data[offset:offset + 4])))
        elif rclass == CLASS_IN and rtype == TYPE_CNAME:
            alias, after = read_name(data, offset)
            if after > offset + rdlength:
                raise DNSFormatError('a CNAME record runs past its data')
            cnames.setdefault(owner.lower(), alias.lower())
        offset += rdlength

    current = qname.rstrip('.').lower()
    seen = {current}
    while current in cnames:
        current = cnames[current]
        if current in seen or len(seen) > MAX_CNAME_CHAIN:
            raise DNSFormatError('CNAME loop at %s' % current)
        seen.add(current)
    addresses = []
    for owner, address in records:
        if owner == current and address not in addresses:
            addresses.append(address)
    return DNSAnswer(rcode, addresses, canonical=current)


# -- ICMP ------------------------------------------------------------------------------------------
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


def match_icmp(packet, target, ident, seq, payload):
    """What an IPv4 packet read from a raw ICMP socket says about our echo request to ``target``.

    ('reply', source) for its echo reply, ('error', source, reason) for an ICMP
    unreachable or time-exceeded message quoting it, None for anything else (other
    pings, our own request looped back on lo, bad checksums).
    """
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    if ihl < 20 or len(packet) < ihl + 8:
        return None
    source = socket.inet_ntoa(packet[12:16])
    icmp = packet[ihl:]
    if checksum(icmp) != 0:
        return None
    itype, code, _csum, rid, rseq = struct.unpack('!BBHHH', icmp[:8])
    if itype == ICMP_ECHO_REPLY:
        if code == 0 and rid == ident and rseq == seq and source == target and icmp[8:] == payload:
            return ('reply', source)
        return None
    if itype not in (ICMP_DEST_UNREACH, ICMP_TIME_EXCEEDED):
        return None
    inner = icmp[8:]
    if len(inner) < 20 or inner[0] >> 4 != 4:
        return None
    inner_ihl = (inner[0] & 0x0F) * 4
    if inner_ihl < 20 or len(inner) < inner_ihl + 8 or inner[9] != socket.IPPROTO_ICMP:
        return None
    if socket.inet_ntoa(inner[16:20]) != target:
        return None
    otype, _ocode, _ocsum, oid, oseq = struct.unpack('!BBHHH', inner[inner_ihl:inner_ihl + 8])
    if otype != ICMP_ECHO_REQUEST or oid != ident or oseq != seq:
        return None
    return ('error', source, icmp_reason(itype, code))


# -- sending packets ------------------------------------------------------------------------------------
def seconds(value):
    """2.0 -> '2', 0.5 -> '0.5': how a timeout reads in a message."""
    return '%g' % value


def socket_reason(exc, timeout=None):
    """An OSError from a socket call as a few words."""
    if isinstance(exc, socket.timeout):
        return 'timeout after %s s' % seconds(timeout) if timeout is not None else 'timed out'
    code = getattr(exc, 'errno', None)
    return SOCKET_REASONS.get(code) or (os.strerror(code) if code else str(exc))


class Resolution:
    """The outcome of a name lookup: addresses (empty when not found), where from, and why not."""

    def __init__(self, addresses=(), source=None, error=None):
        self.addresses = list(addresses)
        self.source = source
        self.error = error


class Prober:
    """Sockets inside one namespace (None: the namespace this process runs in)."""

    def __init__(self, netns=None):
        self.netns = netns
        self.fd = None
        if netns is not None:
            path = _netns.netns_path(netns)
            if not _netns.netns_exists(netns):
                raise ProbeError('netns', netns, 'no such network namespace (no %s)' % path)
            self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    @property
    def where(self):
        return 'namespace %s' % self.netns if self.netns is not None else "the host's namespace"

    def socket(self, family, kind, proto=0):
        """A socket created inside the namespace; failing to make one is an environment error, not a result."""
        try:
            if self.fd is None:
                return socket.socket(family, kind, proto)
            with _netns.entered(self.fd):
                return socket.socket(family, kind, proto)
        except OSError as exc:
            what = {socket.SOCK_RAW: 'a raw ICMP socket', socket.SOCK_STREAM: 'a TCP socket'}.get(kind, 'a UDP socket')
            raise _kernel.HostnetError(_kernel.describe(exc, 'opening %s in %s' % (what, self.where))) from None

    # -- ping -----------------------------------------------------------------------------------------
    def ping(self, ip, timeout, ident, seq):
        """One echo request: (True, rtt_ms, None) or (False, None, reason)."""
        payload = echo_payload(struct.pack('!HHd', ident, seq, time.time()))
        sock = self.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        try:
            try:
                # Only echo replies, unreachables and time-exceeded reach this socket (bits set = dropped).
                wanted = (1 << ICMP_ECHO_REPLY) | (1 << ICMP_DEST_UNREACH) | (1 << ICMP_TIME_EXCEEDED)
                sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack('I', ~wanted & 0xFFFFFFFF))
            except OSError:
                pass
            start = time.monotonic()
            try:
                sock.sendto(echo_request(ident, seq, payload), (ip, 0))
            except OSError as exc:
                return False, None, socket_reason(exc)
            deadline = start + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False, None, 'timeout after %s s' % seconds(timeout)
                readable, _w, _x = select.select([sock], [], [], remaining)
                if not readable:
                    continue
                try:
                    packet = sock.recv(65535)
                except OSError as exc:
                    return False, None, socket_reason(exc)
                now = time.monotonic()
                seen = match_icmp(packet, ip, ident, seq, payload)
                if seen is None:
                    continue
                if seen[0] == 'reply':
                    return True, round((now - start) * 1000, 3), None
                return False, None, '%s (ICMP from %s)' % (seen[2], seen[1])
        finally:
            sock.close()

    # -- TCP -------------------------------------------------------------------------------------------
    def tcp(self, ip, port, timeout):
        """One TCP connect: (True, rtt_ms, None) once the handshake completes, else (False, None, reason)."""
        sock = self.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            start = time.monotonic()
            err = sock.connect_ex((ip, port))
            if err in (errno.EINPROGRESS, errno.EAGAIN):
                _r, writable, _x = select.select([], [sock], [], timeout)
                if not writable:
                    return False, None, 'timeout after %s s' % seconds(timeout)
                err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                return False, None, socket_reason(OSError(err, os.strerror(err)))
            return True, round((time.monotonic() - start) * 1000, 3), None
        finally:
            sock.close()

    # -- names -------------------------------------------------------------------------------------------
    def resolve(self, name, timeout):
        """Look ``name`` up as ``ip netns exec NETNS getent hosts NAME`` would: hosts file, then DNS."""
        hosts_path = etc_path(self.netns, 'hosts')
        text = read_text(hosts_path)
        if text is not None:
            ip = hosts_lookup(text, name)
            if ip is not None:
                return Resolution([ip], hosts_path)
        conf_path = etc_path(self.netns, 'resolv.conf')
        conf = parse_resolv_conf(read_text(conf_path))
        errors = []
        for fqdn in search_names(name, conf['search'], conf['ndots']):
            failures = []
            answered = False
            for server in conf['nameservers']:
                try:
                    answer = self.query(server, fqdn, timeout)
                except DNSFormatError as exc:
                    failures.append('%s: malformed reply (%s)' % (server, exc))
                    answered = True
                    continue
                except OSError as exc:
                    failures.append('%s: %s' % (server, socket_reason(exc, timeout)))
                    continue
                answered = True
                if answer.rcode == 0 and answer.addresses:
                    return Resolution(answer.addresses, 'DNS %s (%s)' % (server, fqdn))
                if answer.rcode in (0, 3):
                    # An authoritative "no": the other servers are not asked, the next search name is.
                    failures = ['%s from %s' % ('NXDOMAIN' if answer.rcode == 3 else 'no A record', server)]
                    break
                failures.append('%s from %s' % (answer.rcode_name, server))
            errors.append('%s: %s' % (fqdn, ', '.join(failures)))
            if not answered:
                break  # no server answered at all: res_search gives up rather than trying more names
        where = 'not in %s' % hosts_path if text is not None else 'no %s' % hosts_path
        return Resolution(error='%s; DNS (%s): %s' % (where, conf_path, '; '.join(errors)))

    def query(self, server, name, timeout):
        """One A query over UDP from inside the namespace, repeated over TCP when the reply is truncated."""
        family = socket.AF_INET6 if ':' in server else socket.AF_INET
        qid = random.SystemRandom().getrandbits(16)
        query = build_query(qid, name)
        sock = self.socket(family, socket.SOCK_DGRAM)
        try:
            sock.connect((server, DNS_PORT))  # connected: the kernel drops datagrams from anyone else
            sock.send(query)
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise socket.timeout('timed out')
                readable, _w, _x = select.select([sock], [], [], remaining)
                if not readable:
                    continue
                data = sock.recv(65535)
                try:
                    answer = parse_response(data, qid, name)
                except NotOurReply:
                    continue  # a late or forged reply: keep waiting for ours
                break
        finally:
            sock.close()
        if answer.truncated:
            answer = self.query_tcp(server, name, timeout)
        return answer

    def query_tcp(self, server, name, timeout):
        family = socket.AF_INET6 if ':' in server else socket.AF_INET
        qid = random.SystemRandom().getrandbits(16)
        query = build_query(qid, name)
        sock = self.socket(family, socket.SOCK_STREAM)
        deadline = time.monotonic() + timeout

        def left():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout('timed out')
            return remaining

        try:
            sock.settimeout(left())
            sock.connect((server, DNS_PORT))
            sock.settimeout(left())
            sock.sendall(struct.pack('!H', len(query)) + query)
            size = struct.unpack('!H', _recv_exactly(sock, 2, left))[0]
            answer = parse_response(_recv_exactly(sock, size, left), qid, name)
        finally:
            sock.close()
        if answer.truncated:
            raise DNSFormatError('truncated reply over TCP')
        return answer


def _recv_exactly(sock, size, left):
    data = b''
    while len(data) < size:
        sock.settimeout(left())
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise DNSFormatError('the server closed the TCP connection after %d of %d bytes' % (len(data), size))
        data += chunk
    return data


# -- the probe ---------------------------------------------------------------------------------------------
def run(want, prober):
    """Probe as ``want`` (from validate()) says; the module's result without msg.

    ``reachable`` is true as soon as one of ``count`` attempts succeeds (later attempts are
    not made); for expect unreachable every attempt must fail.  A ping or TCP attempt that
    fails before its timeout is over waits out the rest before the next one.  A name that ping or tcp
    cannot resolve is a ProbeError: the network was never asked.
    """
    result = {'changed': False, 'reachable': False, 'address': want['ip'], 'addresses': [want['ip']] if want['ip'] else [],
              'resolved_from': None, 'rtt_ms': None, 'attempts': 0, 'error': None}
    count, timeout = want['count'], want['timeout']
    if want['method'] == 'resolve':
        for _i in range(count):
            result['attempts'] += 1
            start = time.monotonic()
            found = prober.resolve(want['name'], timeout)
            if found.addresses:
                result.update(reachable=True, address=found.addresses[0], addresses=found.addresses, resolved_from=found.source,
                              rtt_ms=round((time.monotonic() - start) * 1000, 3), error=None)
                break
            result['error'] = '%s not found (%s)' % (want['name'], found.error)
        return result

    if want['name'] is not None:
        found = prober.resolve(want['name'], timeout)
        if not found.addresses:
            raise ProbeError('target', want['name'], 'does not resolve from %s (%s); to check that a name does not resolve, '
                             'use method resolve with expect unreachable' % (prober.where, found.error))
        result.update(address=found.addresses[0], addresses=found.addresses, resolved_from=found.source)
    ident = random.SystemRandom().getrandbits(16)
    for seq in range(1, count + 1):
        result['attempts'] = seq
        start = time.monotonic()
        if want['method'] == 'ping':
            ok, rtt, error = prober.ping(result['address'], timeout, ident, seq)
        else:
            ok, rtt, error = prober.tcp(result['address'], want['port'], timeout)
        result.update(reachable=ok, rtt_ms=rtt, error=error)
        if ok:
            break
        if seq < count:
            # Attempts are paced by the timeout, as ping paces its echoes: a refusal that comes back at once
            # (a server still starting) is tried again after the timeout, not in a tight loop.
            time.sleep(max(0.0, timeout - (time.monotonic() - start)))
    return result


def verdict(want, result):
    """(agrees, msg): whether the network agrees with ``expect``, and a sentence saying what happened."""
    origin = want['netns'] if want['netns'] is not None else 'the host'
    target = want['target']
    if want['name'] is not None and result['address'] and want['method'] != 'resolve':
        target = '%s (%s)' % (target, result['address'])
    how = 'tcp port %d' % want['port'] if want['method'] == 'tcp' else want['method']
    head = 'probe from %s to %s (%s)' % (origin, target, how)
    got = 'reachable' if result['reachable'] else 'unreachable'
    if result['reachable']:
        if want['method'] == 'resolve':
            detail = '%s from %s' % (', '.join(result['addresses']), result['resolved_from'])
        else:
            detail = 'rtt %s ms' % result['rtt_ms']
    else:
        detail = result['error']
    tries = ' after %d attempts' % result['attempts'] if result['attempts'] > 1 and not result['reachable'] else ''
    if got != want['expect']:
        return False, '%s: expected %s, got %s%s (%s)' % (head, want['expect'], got, tries, detail)
    if want['expect_address'] is not None and want['expect_address'] not in result['addresses']:
        return False, '%s: expected %s, got %s (%s)' % (head, want['expect_address'], ', '.join(result['addresses']),
                                                        'from %s' % result['resolved_from'])
    return True, '%s: %s as expected%s (%s)' % (head, got, tries, detail)
