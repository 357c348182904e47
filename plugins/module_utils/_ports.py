# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Port publishing (docker run -p): parsing Docker's publish syntax, host ports in use, and host ports allocated from
ip_local_port_range.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

# Linux's default net.ipv4.ip_local_port_range.
DEFAULT_PORT_RANGE = (32768, 60999)
PROTOCOLS = ('tcp', 'udp', 'sctp')
_PORT_RE = re.compile(r'^[0-9]{1,5}$')


def parse_port(value, option='port', allow_zero=False):
    """Validate a TCP/UDP/SCTP port number (1..65535, or 0 when allow_zero); return an int."""
    if isinstance(value, bool):
        raise _validate.InputError(option, value, 'expected a port number')
    if isinstance(value, int):
        port = value
    elif isinstance(value, str) and _PORT_RE.match(value):
        port = int(value)
    else:
        raise _validate.InputError(option, value, 'expected a port number from 1 to 65535')
    if port > 65535 or port < 0 or (port == 0 and not allow_zero):
        raise _validate.InputError(option, value, 'port must be from %d to 65535' % (0 if allow_zero else 1))
    return port


def parse_proto(value, option='proto'):
    """Validate a protocol name (tcp, udp, sctp; case-insensitive); return it lower-case."""
    if not isinstance(value, str) or value.lower() not in PROTOCOLS:
        raise _validate.InputError(option, value, 'unknown protocol: use tcp, udp or sctp')
    return value.lower()


def parse_port_range(value, option='ip_local_port_range'):
    """Parse net.ipv4.ip_local_port_range ('32768\\t60999'), 'low-high' or a pair; return (low, high)."""
    if isinstance(value, (list, tuple)):
        parts = list(value)
    elif isinstance(value, str):
        parts = value.split('-') if '-' in value else value.split()
    else:
        raise _validate.InputError(option, value, "expected 'low high' or 'low-high'")
    if len(parts) != 2:
        raise _validate.InputError(option, value, "expected two ports, 'low high' or 'low-high'")
    low = parse_port(parts[0].strip() if isinstance(parts[0], str) else parts[0], option)
    high = parse_port(parts[1].strip() if isinstance(parts[1], str) else parts[1], option)
    if low > high:
        raise _validate.InputError(option, value, 'the first port must not be above the second')
    return low, high


def _request_ranges(requests, port_range, option):
    """[(key, (low, high))] in request order."""
    default_range = parse_port_range(port_range, 'ip_local_port_range') if port_range is not None else DEFAULT_PORT_RANGE
    if isinstance(requests, dict):
        return [(key, parse_port_range(rng, option) if rng is not None else default_range) for key, rng in requests.items()]
    return [(key, default_range) for key in requests]


def _lowest_free(key, low, high, used, option):
    port = low
    while port <= high and port in used:
        port += 1
    if port > high:
        raise _validate.InputError(option, '%d-%d' % (low, high), 'no free port left in the range for %s' % (_validate.show(key),))
    return port


def allocate_host_ports(requests, taken=(), port_range=None, existing=None, option='host_port'):
    """Pick host ports for publishes without one; return {key: port} in request order.

    requests: keys (any hashable, e.g. (endpoint, container_port, proto)) or a mapping
    key -> (low, high) range for that key (None: port_range).  taken: ports in use by
    others on the same protocol (must not hold the existing assignments themselves).
    existing: {key: port} from an earlier run, kept while free and inside the key's
    range; the rest get the lowest free port, deterministic.
    """
    items = _request_ranges(requests, port_range, option)
    used = set(parse_port(port, 'taken', allow_zero=True) for port in taken)
    result = {}
    for key, (low, high) in items:  # the earlier run's ports first, so a new publish cannot take one
        port = (existing or {}).get(key)
        port = parse_port(port, option) if port is not None else None
        if port is not None and low <= port <= high and port not in used:
            result[key] = port
            used.add(port)
    for key, (low, high) in items:
        if key not in result:
            result[key] = _lowest_free(key, low, high, used, option)
            used.add(result[key])
    return {key: result[key] for key, dummy in items}


def allocate_host_port(taken=(), port_range=None, existing=None, option='host_port'):
    """One free host port: existing when still free and in range, else the lowest free in port_range."""
    existing_map = {'port': existing} if existing is not None else None
    return allocate_host_ports(['port'], taken, port_range, existing_map, option)['port']


def _parse_port_span(text, value, option, what):
    """'80' or '8080-8081' -> (first, last)."""
    try:
        if '-' in text:
            low_text, dummy, high_text = text.partition('-')
            low = parse_port(low_text, option)
            high = parse_port(high_text, option)
        else:
            low = high = parse_port(text, option)
    except _validate.InputError:
        raise _validate.InputError(option, value, 'invalid %s %s: expected a port from 1 to 65535 or a range like 8080-8081'
                                   % (what, _validate.show(text))) from None
    if low > high:
        raise _validate.InputError(option, value, 'invalid %s range %s: the start is above the end' % (what, text))
    return low, high


def _split_proto(value, option):
    """'8080:80/udp' -> ('8080:80', 'udp'); tcp when no suffix."""
    text, slash, proto_text = value.partition('/')
    if not slash:
        return text, 'tcp'
    if '/' in proto_text:
        raise _validate.InputError(option, value, "only one '/proto' suffix is allowed")
    try:
        return text, parse_proto(proto_text, option)
    except _validate.InputError:
        raise _validate.InputError(option, value, 'unknown protocol %s: use tcp, udp or sctp' % _validate.show(proto_text)) from None


def parse_ip6(text, value, option):
    """An IPv6 host address ('2001:db8::1', '::'), written one way (RFC 5952, as netaddr and the kernel write it)."""
    try:
        if '/' in text or '%' in text:
            raise ValueError('expected an address without a prefix length or zone')
        return str(ipaddress.IPv6Address(text))
    except ValueError as exc:
        raise _validate.InputError(option, value, 'invalid IPv6 host address %s: %s' % (_validate.show(text), exc)) from None


def _split_bracketed(text, value, option):
    """'[2001:db8::1]:8080:80' -> ('2001:db8::1', '8080:80'): an IPv6 host address is written in brackets, as Docker
    takes it."""
    addr, bracket, rest = text[1:].partition(']')
    if not bracket or not rest.startswith(':'):
        raise _validate.InputError(option, value, "expected [ipv6_address]:[host_port]:container_port, e.g. '[2001:db8::1]:8080:80'")
    return parse_ip6(addr, value, option), rest[1:]


def _split_host(text, value, option):
    """'ip:host:container', '[ip6]:host:container', 'host:container' or 'container' -> (host_ip or None, host port
    text, container port text)."""
    host_ip = None
    if text.startswith('['):
        host_ip, text = _split_bracketed(text, value, option)
        parts = text.split(':')
        if len(parts) != 2:
            raise _validate.InputError(option, value, 'expected [ipv6_address]:[host_port]:container_port')
        parts = [''] + parts
    else:
        parts = text.split(':')
        if len(parts) > 3:
            raise _validate.InputError(option, value, "expected [host_ip:][host_port:]container_port[/proto]; an IPv6 host address goes in "
                                       "brackets: '[2001:db8::1]:8080:80'")
        parts = [''] * (3 - len(parts)) + parts
    ip_text, host_text, container_text = parts
    if ip_text:
        try:
            host_ip = str(_ipam.parse_ip(ip_text, option))
        except _validate.InputError as exc:
            raise _validate.InputError(option, value, 'invalid host IP %s: %s' % (_validate.show(ip_text), exc.message)) from None
    if not container_text:
        raise _validate.InputError(option, value, 'no container port given')
    return host_ip, host_text, container_text


def _port_pairs(host_text, container_text, value, option):
    """[(host port or None, host port range or None, container port)], one per container port."""
    c_low, c_high = _parse_port_span(container_text, value, option, 'container port')
    if not host_text or host_text == '0':
        return [(None, None, port) for port in range(c_low, c_high + 1)]
    h_low, h_high = _parse_port_span(host_text, value, option, 'host port')
    if h_high - h_low == c_high - c_low:
        return [(h_low + offset, None, c_low + offset) for offset in range(c_high - c_low + 1)]
    if c_low == c_high:
        # Docker: a host range with one container port is a range to pick a free port from.
        return [(None, [h_low, h_high], c_low)]
    raise _validate.InputError(option, value, 'host port range %s and container port range %s have different lengths' % (host_text, container_text))


# Compose's long syntax of a publish, with the collection's allow_from.
LONG_KEYS = ('target', 'published', 'host_ip', 'protocol', 'allow_from')


def parse_allow_from(value, option):
    """allow_from: the sources (CIDRs of either family; an address alone is its /32 or /128) that may connect to a
    publish, written one way, IPv4 first; None when not given (every source)."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not value:
        raise _validate.InputError(option, value, 'expected a non-empty list of CIDRs (leave allow_from out to let every source connect)')
    nets = set()
    for item in value:
        if not isinstance(item, str) or not item or '%' in item:
            raise _validate.InputError(option, item, 'expected a CIDR like 192.0.2.0/24 or 2001:db8::/64')
        try:
            net = ipaddress.ip_network(item)
        except ValueError as exc:
            if 'host bits set' in str(exc):
                raise _validate.InputError(option, item, 'host bits are set; did you mean %s?' % ipaddress.ip_network(item, strict=False)) from None
            raise _validate.InputError(option, item, 'not a CIDR (expected one like 192.0.2.0/24 or 2001:db8::/64)') from None
        nets.add(net)
    return [str(net) for net in sorted(nets, key=lambda n: (n.version, n))]


def _long_port_text(value, option, what, required):
    """A port or range of the long syntax (int or string) as the short syntax's text; '' when not given."""
    if value is None or value == '' or (not required and value == 0):
        if required:
            raise _validate.InputError(option, value, 'the long syntax needs target, the container port (as in Compose)')
        return ''
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _validate.InputError(option, value, 'expected a %s like 80 or a range like 8080-8081' % what)
    text = str(value)
    _parse_port_span(text, value, option, what)
    return text


def _long_host_ip(value, option):
    """The long syntax's host_ip: an IPv4 or IPv6 address (brackets optional), written one way; None when not given."""
    if value is None or value == '':
        return None
    if not isinstance(value, str):
        raise _validate.InputError(option, value, 'expected a host address')
    text = value[1:-1] if value.startswith('[') and value.endswith(']') else value
    if ':' in text:
        return parse_ip6(text, value, option)
    return str(_ipam.parse_ip(text, option))


def parse_long(value, option='publish'):
    """One publish in Compose's long syntax ({target, published, host_ip, protocol}) with allow_from, as
    parse_publish's entries (each with ``allow_from`` when given); an unknown key or no target is refused."""
    unknown = sorted(str(key) for key in set(value) - set(LONG_KEYS))
    if unknown:
        raise _validate.InputError(option, value, 'unknown key %s in the long syntax (known: %s)' % (', '.join(unknown), ', '.join(LONG_KEYS)))
    container_text = _long_port_text(value.get('target'), option + '.target', 'container port', True)
    host_text = _long_port_text(value.get('published'), option + '.published', 'host port', False)
    host_ip = _long_host_ip(value.get('host_ip'), option + '.host_ip')
    proto = parse_proto(value.get('protocol') or 'tcp', option + '.protocol')
    allow_from = parse_allow_from(value.get('allow_from'), option + '.allow_from')
    entries = []
    for host_port, host_range, container_port in _port_pairs(host_text, container_text, value, option):
        entry = {'host_ip': host_ip, 'host_port': host_port, 'host_port_range': host_range, 'container_port': container_port, 'proto': proto}
        if allow_from is not None:
            entry['allow_from'] = allow_from
        entries.append(entry)
    return entries


def parse_publish(value, option='publish'):
    """Parse one `docker run -p` string (or a dict in the long syntax, parse_long) into a list of publishes, one per port.

    Forms: 80, 8080:80, 127.0.0.1::80, 10.138.3.130:20022:22, 8080-8081:80-81,
    8000-8010:80 (any free host port of that range), [2001:db8::1]:8080:80, [::]::80 (IPv6 host addresses in
    brackets), each with an optional /tcp,
    /udp or /sctp.  Each entry is {host_ip (None: unset), host_port (None: pick a
    free one), host_port_range ([low, high] or None), container_port, proto}.
    A host port of 0 means unset, as in Docker.
    """
    if isinstance(value, dict):
        return parse_long(value, option)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value:
        raise _validate.InputError(option, value, "expected a string like 8080:80/tcp or a dict like {target: 80, published: 8080}")
    if any(char.isspace() for char in value):
        raise _validate.InputError(option, value, 'must not contain whitespace')
    text, proto = _split_proto(value, option)
    host_ip, host_text, container_text = _split_host(text, value, option)
    return [
        {'host_ip': host_ip, 'host_port': host_port, 'host_port_range': host_range, 'container_port': container_port, 'proto': proto}
        for host_port, host_range, container_port in _port_pairs(host_text, container_text, value, option)
    ]


def parse_publishes(values, option='publish'):
    """parse_publish() for a list; fail when one host ip/port/proto is published twice."""
    if isinstance(values, (str, int)) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, (list, tuple)):
        raise _validate.InputError(option, values, 'expected a list of publish strings')
    result = []
    bound = {}
    for value in values:
        for entry in parse_publish(value, option):
            port = entry['host_port']
            if port is not None:
                for (ip, other_port, proto), other_value in bound.items():
                    if other_port == port and proto == entry['proto'] and overlaps(ip, entry['host_ip']):
                        raise _validate.InputError(option, value, 'host port %d/%s is already published by %s' % (port, proto, _validate.show(other_value)))
                bound[(entry['host_ip'], port, entry['proto'])] = value
            result.append(entry)
    return result


WILDCARDS = (None, '', '0.0.0.0')
WILDCARD6 = '::'
LOOPBACK6 = '::1'


def overlaps(ip, other):
    """Two publishes' host addresses share a socket address: the same family and the same address or a wildcard of
    it (0.0.0.0:80 and [::]:80 do not: Docker binds both).  None (a host_ip not given yet) may be either family."""
    if ip is None or other is None:
        return True
    if _ipam6.family(ip) != _ipam6.family(other):
        return False
    return ip == other or bool({ip, other} & {'0.0.0.0', '', WILDCARD6})


def host_addresses(addrs, extra=()):
    """The set of IPv4 addresses the host has, from a snapshot's address dump ({'address': 'a.b.c.d/len'}), plus
    ``extra`` (addresses the run itself adds, such as the gateway of the network it creates)."""
    found = {str(a['address']).split('/', maxsplit=1)[0] for a in addrs if a.get('address')}
    return found | {str(ip) for ip in extra if ip}


def check_host_ip(option, value, host_ip, local, source=None):
    """Fail (InputError naming option and value) when host_ip is neither a wildcard, an IPv4 loopback address (Linux
    routes all of 127.0.0.0/8 to lo) nor an address of the host (``local``: host_addresses(); None: not checked).
    Docker refuses such a publish too: the container does not start (bind: cannot assign requested address).
    ``source``: where host_ip came from when the value does not name it (host_binding_ipv4).  ::1 is always the
    host's, though the kernel never forwards a packet from IPv6 loopback to another interface (no
    route_localnet for IPv6): a TCP publish on ::1 is served by the userland proxy (_proxy), see check_proxied."""
    if local is None or host_ip in WILDCARDS or host_ip in (WILDCARD6, LOOPBACK6) or host_ip.startswith('127.') or host_ip in local:
        return
    same = sorted((ip for ip in local if _ipam6.family(ip) == _ipam6.family(host_ip)), key=ipaddress.ip_address)
    wildcard = '[::]' if _ipam6.family(host_ip) == 6 else '0.0.0.0'
    raise _validate.InputError(option, value, 'host address %s%s is not an address of this host: use one of its addresses (%s) or '
                               '%s for all of them' % (host_ip, ' (from %s)' % source if source else '', ', '.join(same) or 'none', wildcard))


def check_proxied(option, value, entry):
    """Refuse a publish on ::1 of another protocol than TCP: the kernel cannot forward IPv6 loopback packets, and the
    userland proxy that answers there (systemd-socket-proxyd, _proxy) relays streams only."""
    if entry['host_ip'] == LOOPBACK6 and entry['proto'] != 'tcp':
        raise _validate.InputError(option, value, 'host address ::1 takes TCP only: the kernel does not forward IPv6 loopback packets to '
                                   'a container (there is no route_localnet for IPv6) and the userland proxy that answers on '
                                   '[::1] relays TCP streams only; publish %s on [::] or on one of the host\'s addresses' % entry['proto'])


def format_publish(entry, default_host_ip='0.0.0.0'):
    """Docker's `docker ps` notation of one publish: 0.0.0.0:8080->80/tcp, [::]:8080->80/tcp."""
    host_ip = entry.get('host_ip') or default_host_ip
    host_ip = '[%s]' % host_ip if _ipam6.family(host_ip) == 6 else host_ip
    host_port = entry.get('host_port')
    host = '%s:%s' % (host_ip, host_port if host_port is not None else '')
    return '%s->%d/%s' % (host, entry['container_port'], entry.get('proto') or 'tcp')


class BoundPorts(list):
    """bound_ports' list of (host_ip, port, proto, who), also indexed by (port, proto): checking one publish
    against thousands costs a lookup, not a scan (a network of N publishes would otherwise cost N*N)."""

    def __init__(self, items=()):
        super().__init__()
        self.index = {}
        for item in items:
            self.append(item)

    def append(self, item):
        super().append(item)
        self.index.setdefault((item[1], item[2]), []).append(item)


def bound_ports(networks, nat_rules, skip_nat=None):
    """(host_ip, port, proto, who) of every port the collection publishes on the host (a BoundPorts)."""
    bound = BoundPorts()
    for name, doc in sorted(networks.items()):
        for cname, ep in sorted(((doc or {}).get('endpoints') or {}).items()):
            for e in ep.get('publish') or []:
                bound.append((e['host_ip'], e['host_port'], e['proto'], 'container %s on network %s' % (cname, name)))
    for name, rule in sorted(nat_rules.items()):
        if rule.get('kind') == 'dnat' and name != skip_nat:
            bound.append((rule.get('host_ip') or '0.0.0.0', rule['host_port'], rule['proto'], 'nat_rule %s' % name))
    return bound


def check_port_free(option, value, entry, bound, listening_cache, held=False):
    """Fail (IPAMError naming option and value) when entry's host ip/port/proto is published or listened on.  A port
    the publish already ``held`` (the last run published it) is checked against the other publishes only: a process
    listening on it now came after it, and a rerun that changes nothing must not fail for it (Docker checks a port
    when it publishes it, not again)."""
    port, proto, ip = entry['host_port'], entry['proto'], entry['host_ip'] or '0.0.0.0'
    same = bound.index.get((port, proto), []) if isinstance(bound, BoundPorts) else bound
    for other_ip, other_port, other_proto, who in same:
        if other_port == port and other_proto == proto and overlaps(ip, other_ip):
            raise _validate.InputError(option, value, 'host port %d/%s is already published by %s' % (port, proto, who))
    if held:
        return
    listeners = listening_cache.setdefault(('by port', proto), {})
    if not listeners:
        for other_ip, other_port in cached_listening(proto, listening_cache):
            listeners.setdefault(other_port, []).append(other_ip)
    for other_ip in listeners.get(port, []):
        if overlaps(ip, other_ip):
            shown = '[%s]' % other_ip if _ipam6.family(other_ip) == 6 else other_ip
            raise _validate.InputError(option, value, 'host port %d/%s is already in use: a process on the host listens on %s:%d'
                                       % (port, proto, shown, port))


def taken_ports(proto, bound, listening_cache):
    """Host ports of one protocol a new automatic publish must not get."""
    return sorted({b[1] for b in bound if b[2] == proto} | {port for dummy, port in cached_listening(proto, listening_cache)})


# A listening cache's key for the sockets of the collection's own userland proxies ({(ip, port)}): a rerun must not
# see the proxy of a publish it keeps as a foreign listener on that port.
OURS = 'ours'


def cached_listening(proto, cache):
    if proto not in cache:
        cache[proto] = listening(proto) - (cache.get(OURS) or set()) if proto == 'tcp' else listening(proto)
    return cache[proto]


def _listen_addresses(addr):
    """The host addresses a socket of /proc/net/{tcp,udp}{,6}'s hex address is bound on: an IPv6 wildcard socket
    takes both families' ports (unless IPV6_V6ONLY, which /proc does not show), a v4-mapped one is IPv4."""
    if set(addr) == {'0'}:
        return ['0.0.0.0', WILDCARD6] if len(addr) == 32 else ['0.0.0.0']
    if len(addr) == 8:
        return ['.'.join(str(b) for b in bytes.fromhex(addr)[::-1])]
    if addr.startswith('0000000000000000FFFF0000'):
        return ['.'.join(str(b) for b in bytes.fromhex(addr[24:])[::-1])]
    # Four 32-bit words, each in the host's (little-endian) byte order.
    raw = b''.join(bytes.fromhex(addr[i:i + 8])[::-1] for i in range(0, 32, 8))
    return [str(ipaddress.IPv6Address(raw))]


def listening(proto):
    """(ip, port) of every socket bound on this namespace for a protocol (an IPv6 wildcard socket counts as 0.0.0.0
    and ::)."""
    found = set()
    if proto == 'sctp':
        try:
            with open('/proc/net/sctp/eps') as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    found.add(('0.0.0.0', int(fields[5])))
        except (OSError, ValueError, IndexError):
            pass
        return found
    for suffix in ('', '6'):
        try:
            with open('/proc/net/%s%s' % (proto, suffix)) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if proto == 'tcp' and state != '0A':
                continue
            addr, port = local.split(':')
            found.update((ip, int(port, 16)) for ip in _listen_addresses(addr))
    return found


def _family_entries(i, value, entry, default_host_ip, families):
    """The entries one parsed publish makes on a network of ``families``: an omitted host_ip on a network with IPv6
    binds every IPv6 address too ('::', Docker's -p 8080:80 on 0.0.0.0 and [::]; only '::' on an IPv6-only network),
    the second entry the twin of the first (same host port, auto or not).  A host_ip of a family the network lacks
    is refused: the container has no address of that family to forward to."""
    option = 'endpoints[%d].publish' % i
    if entry['host_ip']:
        if _ipam6.family(entry['host_ip']) not in families:
            raise _validate.InputError(option, value, 'host address %s is IPv%d but the network has no IPv%d (the container has no such '
                                       'address to forward to)%s' % (entry['host_ip'], _ipam6.family(entry['host_ip']), _ipam6.family(entry['host_ip']),
                                                                     ': set enable_ipv6 true' if _ipam6.family(entry['host_ip']) == 6 else ''))
        return [entry]
    entries = []
    if 4 in families:
        entries.append(dict(entry, host_ip=default_host_ip))
    # A host_binding_ipv4 of one address narrows the default to that address, as in Docker: no IPv6 twin then.
    if 6 in families and (4 not in families or default_host_ip in WILDCARDS):
        entries.append(dict(entry, host_ip=WILDCARD6, twin=bool(entries)))
    return entries


def _wanted(endpoints, default_host_ip, local=None, families=(4,)):
    """(index, container, publish string, entry) of every port the endpoints publish, host_ip defaulted and, with
    ``local`` (the host's addresses), checked to be one of them.  ``families``: the network's (4 and/or 6)."""
    wanted = []
    for i, ep in enumerate(endpoints):
        for value in ep.get('publish') or []:
            for parsed in parse_publishes([value], 'endpoints[%d].publish' % i):
                source = None if parsed['host_ip'] else 'host_binding_ipv4'
                entries = _family_entries(i, value, parsed, default_host_ip, families)
                check_allow_from('endpoints[%d].publish.allow_from' % i, parsed.get('allow_from'), entries)
                for entry in entries:
                    check_host_ip('endpoints[%d].publish' % i, value, entry['host_ip'], local, source if _ipam6.family(entry['host_ip']) == 4 else None)
                    check_proxied('endpoints[%d].publish' % i, value, entry)
                    wanted.append((i, ep['name'], value, entry))
    return wanted


def check_allow_from(option, allow_from, entries):
    """An allow_from with no network of the family of any address the publish binds would let no one connect:
    refused (on a dual-stack wildcard, a family without one is closed to every source)."""
    if allow_from is None:
        return
    families = {_ipam6.family(entry['host_ip']) for entry in entries}
    if not any(_ipam6.family(net) in families for net in allow_from):
        shown = ' or '.join('IPv%d' % family for family in sorted(families))
        raise _validate.InputError(option, allow_from, 'has no %s network, the family the publish binds: no one could connect to it' % shown)


def _earlier_auto_ports(current, proto):
    """{(container, host_ip, container_port, proto): host port} the earlier run picked for a protocol."""
    return {(cname, e['host_ip'], e['container_port'], proto): e['host_port']
            for cname, ep in current.items() for e in ep.get('publish') or [] if e.get('auto') and e['proto'] == proto}


def _assign(entries, key, port):
    """Give the allocated port to the container's first unset publish the key names."""
    dummy, host_ip, container_port, proto = key
    for entry in entries:
        if entry['host_port'] is None and (entry['container_port'], entry['proto'], entry['host_ip']) == (container_port, proto, host_ip):
            entry['host_port'] = port
            entry['auto'] = True
            return


def desired_publishes(endpoints, current, bound, listening, default_host_ip, read_port_range, local=None, families=(4,)):
    """{container: [{host_ip, host_port, container_port, proto, auto}]}: explicit host ports checked against
    every other publish (``bound``, a BoundPorts) and listening socket on the host (``listening``: {proto: {(ip, port)}},
    a snapshot; a proto missing from it is read once, when needed), the others allocated from ip_local_port_range
    (``read_port_range()``, read only when one is needed) and kept across reruns (``current``: the endpoints as stored).
    ``local``: the host's addresses a host_ip must be one of (None: not checked).  ``families``: the network's; an
    omitted host_ip makes an IPv6 twin entry (_family_entries) that gets its IPv4 entry's port, one port for both
    (chosen free in both families: every publish and listener of the protocol counts as taken)."""
    result = {}
    requests = {}
    twins = []
    held = _held_ports(current)
    for i, cname, value, entry in _wanted(endpoints, default_host_ip, local, families):
        result.setdefault(cname, []).append(entry)
        twin = entry.pop('twin', False)
        if twin:
            twins.append((result[cname][-2], entry))
        if entry['host_port'] is None:
            if not twin:
                key = (cname, entry['host_ip'], entry['container_port'], entry['proto'])
                requests.setdefault(entry['proto'], {})[key] = entry.get('host_port_range')
            continue
        kept = (cname, entry['host_ip'], entry['host_port'], entry['proto']) in held
        check_port_free('endpoints[%d].publish' % i, value, entry, bound, listening, held=kept)
        bound.append((entry['host_ip'], entry['host_port'], entry['proto'], 'container %s' % cname))
    port_range = read_port_range() if requests else None
    for proto, reqs in requests.items():
        taken = taken_ports(proto, bound, listening)
        ports = allocate_host_ports(reqs, taken, port_range, _earlier_auto_ports(current, proto), option='endpoints[].publish')
        for key, port in ports.items():
            _assign(result[key[0]], key, port)
    for first, twin in twins:
        twin['host_port'], twin['auto'] = first['host_port'], first.get('auto')
    return {cname: [_stored(e) for e in entries] for cname, entries in result.items()}


def _held_ports(current):
    """{(container, host_ip, host_port, proto)} of the explicit publishes the network's document holds (``current``:
    its endpoints as stored)."""
    return {(cname, e['host_ip'], e['host_port'], e['proto']) for cname, ep in current.items()
            for e in ep.get('publish') or [] if not e.get('auto')}


def _stored(entry):
    """A publish as the network's document keeps it (allow_from only when given: earlier documents read the same)."""
    out = {'host_ip': entry['host_ip'], 'host_port': entry['host_port'], 'container_port': entry['container_port'],
           'proto': entry['proto'], 'auto': bool(entry.get('auto'))}
    if entry.get('allow_from') is not None:
        out['allow_from'] = list(entry['allow_from'])
    return out
