# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checking a topology with packets: ping, TCP connect and name lookup from a namespace or the host.

Pure parts (unit tested, no root): option validation, the attempts and their pacing (``run``) and the verdict;
the ICMP packets are in ``_probe_icmp``.

Ping and TCP send packets in-process: no ``ping``, ``ip`` or ``nc``.  Every socket is created inside the
namespace by entering it on the calling thread (``_netns.entered``) and returning at once; a socket keeps the
namespace it was created in, so everything it sends and receives afterwards is that namespace's traffic.

Name lookup is the system resolver's, run in a child inside the namespace as ``ip netns exec`` runs a program
(``_probe_names``): /etc/netns/NETNS/hosts and resolv.conf replace /etc's when they exist.

IPv4 and IPv6 take the same path; only the socket family and the echo packets (``_probe_icmp6``) differ. A
link-local IPv6 target carries its interface (``fe80::1%eth0``), looked up inside the namespace.
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

try:
    import netaddr
except ImportError:  # reported when an IPv6 target is given (host_requirements installs it)
    netaddr = None

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_icmp
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_icmp6
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_names
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

METHODS = ('ping', 'tcp', 'resolve')
EXPECTS = ('reachable', 'unreachable')
FAMILIES = ('any', 'ipv4', 'ipv6')
IFNAME_RE = re.compile(r'^[^/%\s]{1,15}$')
NETNS_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')
LABEL_RE = re.compile(r'^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$')
SOL_RAW = 255
ICMP_FILTER = 1

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

Resolution = _probe_names.Resolution
seconds = _probe_names.seconds


class ProbeError(_validate.InputError):
    """A bad input or an unusable environment: names the option and the value, and says what is wrong.

    An InputError like every other module's; a missing value reads as the option alone ("port: required ...").
    """

    def __init__(self, option, value, message):
        super().__init__(option, value, message)
        if value is None:
            self.args = ('%s: %s' % (option, message),)


# -- validation -------------------------------------------------------------------------
def parse_ipv4(text):
    """The dotted-quad text of an IPv4 address, or None when ``text`` is not one."""
    try:
        return str(ipaddress.IPv4Address(text))
    except (ipaddress.AddressValueError, ValueError, TypeError):
        return None


def parse_ipv6(text):
    """(address, scope) of an IPv6 literal (``fd00::1``, ``[fd00::1]``, ``fe80::1%eth0``): the address in its
    compact form and the interface name after ``%`` (None without); None when ``text`` is not one. Raises a
    ProbeError for a scope that is no interface name, a link-local address without one, or a scope on an address
    that is not link-local (the kernel would ignore it)."""
    if not isinstance(text, str) or ':' not in text:
        return None
    bare = text[1:-1] if text.startswith('[') and text.endswith(']') else text
    address, _sep, scope = bare.partition('%')
    if netaddr is None:
        raise ProbeError('target', text, 'an IPv6 target needs the Python library netaddr on the managed host')
    if not netaddr.valid_ipv6(address):
        return None
    ip = netaddr.IPAddress(address, 6)
    if ip.is_ipv4_mapped():
        raise ProbeError('target', text, 'an IPv4-mapped IPv6 address; give the IPv4 address %s' % ip.ipv4())
    if _sep and not IFNAME_RE.match(scope):
        raise ProbeError('target', text, 'the part after %% must be an interface name (fe80::1%%eth0)')
    if ip.is_link_local() and not scope:
        raise ProbeError('target', text, 'a link-local address needs its interface: %s%%IFNAME (for example %s%%eth0)'
                         % (ip, ip))
    if scope and not ip.is_link_local():
        raise ProbeError('target', text, 'an interface (%%%s) is only taken with a link-local (fe80::/10) address' % scope)
    return str(ip.format(netaddr.ipv6_compact)), scope or None


def address_family(ip):
    """'ipv6' or 'ipv4' for an address text the probe made."""
    return 'ipv6' if ':' in ip else 'ipv4'


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


def _choice(params, option, default, choices):
    value = params.get(option) or default
    if value not in choices:
        raise ProbeError(option, value, 'must be one of %s' % ', '.join(choices))
    return value


def _netns_name(netns):
    if netns is not None and (not NETNS_RE.match(netns) or netns in ('.', '..')):
        raise ProbeError('netns', netns, 'not a valid namespace name (1-64 letters, digits, ".", "_" or "-")')
    return netns


def _target(target, method, family):
    """(target, ip, name): the target stripped, its IPv4 or IPv6 address when it is one (an IPv6 link-local one
    with its ``%ifname``), else the host name to look up."""
    if not isinstance(target, str) or not target.strip():
        raise ProbeError('target', target, 'must be an IPv4 address, an IPv6 address or a host name')
    target = target.strip()
    ip = parse_ipv4(target)
    if ip is None and ':' in target:
        parsed = parse_ipv6(target)
        if parsed is None:
            raise ProbeError('target', target, 'not a valid IPv6 address')
        ip = parsed[0] if parsed[1] is None else '%s%%%s' % parsed
    if ip is not None:
        if method == 'resolve':
            raise ProbeError('target', target, 'method resolve needs a host name, not an address')
        if family != 'any' and address_family(ip) != family:
            raise ProbeError('family', family, 'target %s is an %s address' % (target, address_family(ip).replace('ipv', 'IPv')))
        return target, ip, None
    if re.match(r'^[0-9.]+$', target):
        raise ProbeError('target', target, 'not a valid IPv4 address')
    if not is_host_name(target):
        raise ProbeError('target', target, 'neither an IPv4 address nor a valid host name')
    return target, None, target


def _port(port, method):
    if method != 'tcp':
        if port is not None:
            raise ProbeError('port', port, 'only used with method tcp, not %s' % method)
        return None
    if port is None:
        raise ProbeError('port', port, 'required with method tcp')
    port = _number('port', port, int)
    if not 1 <= port <= 65535:
        raise ProbeError('port', port, 'must be from 1 to 65535')
    return port


def _expect_address(value, method, expect, family):
    if value is None:
        return None
    if method != 'resolve':
        raise ProbeError('expect_address', value, 'only used with method resolve, not %s' % method)
    if expect != 'reachable':
        raise ProbeError('expect_address', value, 'needs expect reachable (a name that must not resolve has no address)')
    parsed = parse_ipv4(value)
    if parsed is None and isinstance(value, str) and ':' in value and '%' not in value:
        parsed = (parse_ipv6(value) or (None,))[0]
    if parsed is None:
        raise ProbeError('expect_address', value, 'not an IPv4 or IPv6 address')
    if family != 'any' and address_family(parsed) != family:
        raise ProbeError('expect_address', value, 'not an %s address (family %s)' % (family.replace('ipv', 'IPv'), family))
    return parsed


def _count_and_timeout(params):
    count = _number('count', 1 if params.get('count') is None else params['count'], int)
    if not 1 <= count <= 1000:
        raise ProbeError('count', count, 'must be from 1 to 1000')
    timeout = _number('timeout', 2.0 if params.get('timeout') is None else params['timeout'], float)
    if not 0 < timeout <= 3600:
        raise ProbeError('timeout', params['timeout'], 'must be more than 0 and at most 3600 seconds')
    return count, timeout


def validate(params):
    """The module's parameters checked and normalised; a ProbeError names the first bad option.

    Returns a dict: netns, target, name (the host name to look up, or None), ip (the
    target's IPv4 or IPv6 address when given as one, ``fe80::1%eth0`` for a link-local one), method, port,
    expect, expect_address, family, count, timeout.
    """
    netns = _netns_name(params.get('netns'))
    method = _choice(params, 'method', 'ping', METHODS)
    expect = _choice(params, 'expect', 'reachable', EXPECTS)
    family = _choice(params, 'family', 'any', FAMILIES)
    target, ip, name = _target(params.get('target'), method, family)
    port = _port(params.get('port'), method)
    expect_address = _expect_address(params.get('expect_address'), method, expect, family)
    count, timeout = _count_and_timeout(params)
    return {'netns': netns, 'target': target, 'name': name, 'ip': ip, 'method': method, 'port': port,
            'expect': expect, 'expect_address': expect_address, 'family': family, 'count': count, 'timeout': timeout}


# -- sending packets ------------------------------------------------------------------------------------
def socket_reason(exc, timeout=None):
    """An OSError from a socket call as a few words."""
    if isinstance(exc, socket.timeout):
        return 'timeout after %s s' % seconds(timeout) if timeout is not None else 'timed out'
    code = getattr(exc, 'errno', None)
    return SOCKET_REASONS.get(code) or (os.strerror(code) if code else str(exc))


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

    def inside(self, call, *args):
        """call(*args) on this thread inside the namespace (in the host's when there is none): a socket made there,
        an interface name looked up there, belong to that namespace."""
        if self.fd is None:
            return call(*args)
        with _netns.entered(self.fd):
            return call(*args)

    def socket(self, family, kind, proto=0):
        """A socket created inside the namespace; failing to make one is an environment error, not a result."""
        try:
            return self.inside(socket.socket, family, kind, proto)
        except OSError as exc:
            raw = 'a raw ICMPv6 socket' if family == socket.AF_INET6 else 'a raw ICMP socket'
            what = {socket.SOCK_RAW: raw, socket.SOCK_STREAM: 'a TCP socket'}.get(kind, 'a UDP socket')
            raise _kernel.HostnetError(_kernel.describe(exc, 'opening %s in %s' % (what, self.where))) from None

    def sockaddr(self, ip, port):
        """(family, socket address) for ``ip``; a link-local IPv6 address's ``%ifname`` becomes the index that
        interface has inside the namespace (interface indexes are per namespace)."""
        if ':' not in ip:
            return socket.AF_INET, (ip, port)
        address, _sep, scope = ip.partition('%')
        if not scope:
            return socket.AF_INET6, (address, port, 0, 0)
        try:
            index = self.inside(socket.if_nametoindex, scope)
        except OSError:
            raise ProbeError('target', ip, 'no interface %s in %s' % (scope, self.where)) from None
        return socket.AF_INET6, (address, port, 0, index)

    # -- ping -----------------------------------------------------------------------------------------
    def ping(self, ip, timeout, ident, seq):
        """One echo request: (True, rtt_ms, None) or (False, None, reason)."""
        if ':' in ip:
            return self.ping6(ip, timeout, ident, seq)
        payload = _probe_icmp.echo_payload(struct.pack('!HHd', ident, seq, time.time()))
        sock = self.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        try:
            try:
                # Only echo replies, unreachables and time-exceeded reach this socket (bits set = dropped).
                sock.setsockopt(SOL_RAW, ICMP_FILTER, struct.pack('I', ~_probe_icmp.WANTED_TYPES & 0xFFFFFFFF))
            except OSError:
                pass
            start = time.monotonic()
            try:
                sock.sendto(_probe_icmp.echo_request(ident, seq, payload), (ip, 0))
            except OSError as exc:
                return False, None, socket_reason(exc)
            return _await_echo(sock, start, timeout, lambda packet, _source: _probe_icmp.match_icmp(packet, ip, ident, seq, payload))
        finally:
            sock.close()

    def ping6(self, ip, timeout, ident, seq):
        """One ICMPv6 echo request, as ping() for IPv4: (True, rtt_ms, None) or (False, None, reason)."""
        family, address = self.sockaddr(ip, 0)
        payload = _probe_icmp.echo_payload(struct.pack('!HHd', ident, seq, time.time()))
        sock = self.socket(family, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        try:
            try:
                sock.setsockopt(socket.IPPROTO_ICMPV6, _probe_icmp6.ICMP6_FILTER, _probe_icmp6.icmp6_filter())
            except OSError:
                pass
            start = time.monotonic()
            try:
                sock.sendto(_probe_icmp6.echo_request(ident, seq, payload), address)
            except OSError as exc:
                return False, None, socket_reason(exc)
            return _await_echo(sock, start, timeout,
                               lambda packet, source: _probe_icmp6.match_icmp6(packet, source[0], address[0], ident, seq, payload))
        finally:
            sock.close()

    # -- TCP -------------------------------------------------------------------------------------------
    def tcp(self, ip, port, timeout):
        """One TCP connect: (True, rtt_ms, None) once the handshake completes, else (False, None, reason)."""
        family, address = self.sockaddr(ip, port)
        sock = self.socket(family, socket.SOCK_STREAM)
        try:
            sock.setblocking(False)
            start = time.monotonic()
            err = sock.connect_ex(address)
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
    def resolve(self, name, timeout, family='ipv4'):
        """Look ``name`` up with the system resolver (A, AAAA or both as ``family`` says), in a child inside the
        namespace with the namespace's /etc/netns files over /etc's, as a program run by ``ip netns exec NETNS``
        would."""
        return _probe_names.resolution(_probe_names.lookup(self.fd, self.netns, name, timeout, family), self.netns)


def _await_echo(sock, start, timeout, match):
    """Read the raw socket until ``match`` recognises our reply or an ICMP error about our request, or time is up."""
    deadline = start + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False, None, 'timeout after %s s' % seconds(timeout)
        readable, _w, _x = select.select([sock], [], [], remaining)
        if not readable:
            continue
        try:
            packet, source = sock.recvfrom(65535)
        except OSError as exc:
            return False, None, socket_reason(exc)
        now = time.monotonic()
        seen = match(packet, source)
        if seen is None:
            continue
        if seen[0] == 'reply':
            return True, round((now - start) * 1000, 3), None
        return False, None, '%s (ICMP from %s)' % (seen[2], seen[1])


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
            found = prober.resolve(want['name'], timeout, want['family'])
            if found.addresses:
                result.update(reachable=True, address=found.addresses[0], addresses=found.addresses, resolved_from=found.source,
                              rtt_ms=round((time.monotonic() - start) * 1000, 3), error=None)
                break
            result['error'] = '%s not found (%s)' % (want['name'], found.error)
        return result

    if want['name'] is not None:
        found = prober.resolve(want['name'], timeout, want['family'])
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


def headline(want, address=None):
    """What was probed, as a message starts: ``probe from web01 to db (172.18.0.3) (tcp port 80)``."""
    origin = want['netns'] if want['netns'] is not None else 'the host'
    target = want['target']
    if want['name'] is not None and address and want['method'] != 'resolve':
        target = '%s (%s)' % (target, address)
    how = 'tcp port %d' % want['port'] if want['method'] == 'tcp' else want['method']
    return 'probe from %s to %s (%s)' % (origin, target, how)


def verdict(want, result):
    """(agrees, msg): whether the network agrees with ``expect``, and a sentence saying what happened."""
    head = headline(want, result['address'])
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
