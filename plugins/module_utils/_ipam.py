# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IP address management for hostnet.containers: pure logic, no kernel access.

Everything here validates user input once, at the edge, and returns normalised
values (netaddr objects, lower-case MACs, plain ints for ports).  Every bad
input raises IPAMError, whose text names the option and the value, so modules
can pass it straight to fail_json before touching the host.

Behaviour mirrors Docker's libnetwork IPAM where users rely on it: the
default-address-pools order, the gateway on the first host address, ip_range
allocation starting at the first address of the range, and the `docker run -p`
publish syntax.  Only IPv4 is supported for now.
"""

from __future__ import annotations

import re
import traceback

from ansible_collections.hostnet.containers.plugins.module_utils import _validate

try:
    import netaddr
except ImportError:
    HAS_NETADDR = False
    NETADDR_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_NETADDR = True
    NETADDR_IMPORT_ERROR = None


# libnetwork/ipamutils/utils.go localScopeDefaultNetworks: 172.17.0.0/16 ... 172.31.0.0/16
# as /16s, then 192.168.0.0/16 in /20 steps (31 subnets in all).
DEFAULT_ADDRESS_POOLS = (
    {'base': '172.17.0.0/16', 'size': 16},
    {'base': '172.18.0.0/16', 'size': 16},
    {'base': '172.19.0.0/16', 'size': 16},
    {'base': '172.20.0.0/14', 'size': 16},
    {'base': '172.24.0.0/14', 'size': 16},
    {'base': '172.28.0.0/14', 'size': 16},
    {'base': '192.168.0.0/16', 'size': 20},
)


# Subnets a network can never use: the kernel treats them specially.
_SPECIAL_NETWORKS = (
    ('0.0.0.0/8', '"this network" (0.0.0.0/8)'),
    ('127.0.0.0/8', 'loopback (127.0.0.0/8)'),
    ('224.0.0.0/4', 'multicast (224.0.0.0/4)'),
    ('255.255.255.255/32', 'the limited broadcast address'),
)

_OCTET = r'(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
# Strict dotted quad: netaddr 0.8 accepts inet_aton forms ('10.1', '010.0.0.1' as octal,
# trailing blanks) that netaddr 1.x and Docker reject, so parse the text ourselves.
_IPV4_RE = re.compile(r'^%s(?:\.%s){3}$' % (_OCTET, _OCTET))
_PREFIX_RE = re.compile(r'^(?:0|[1-9][0-9]?)$')
_MAC_SEP_RE = re.compile(r'^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})(?:\2[0-9a-fA-F]{2}){4}$')
_MAC_DOT_RE = re.compile(r'^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$')
_MAC_BARE_RE = re.compile(r'^[0-9a-fA-F]{12}$')


# ---------------------------------------------------------------------------
# Addresses and subnets
# ---------------------------------------------------------------------------

def _text(value, option, what):
    if isinstance(value, bool) or value is None:
        raise _validate.InputError(option, value, 'expected %s' % what)
    if HAS_NETADDR and isinstance(value, (netaddr.IPAddress, netaddr.IPNetwork)):
        return str(value)
    if not isinstance(value, str):
        raise _validate.InputError(option, value, 'expected %s as a string' % what)
    return value


def _check_ipv4_text(text, value, option, what):
    if ':' in text:
        raise _validate.InputError(option, value, 'IPv6 is not supported yet; use an IPv4 %s' % what)
    if not _IPV4_RE.match(text):
        raise _validate.InputError(option, value, 'not a valid IPv4 %s (expected dotted decimal like 10.0.0.2, no leading zeros)' % what)


def parse_ip(value, option='ip'):
    """Parse one IPv4 address (no prefix length); return a netaddr.IPAddress."""
    text = _text(value, option, 'an IPv4 address')
    if '/' in text:
        raise _validate.InputError(option, value, 'expected an address without a prefix length')
    _check_ipv4_text(text, value, option, 'address')
    return netaddr.IPAddress(text, 4)


def _split_cidr(value, option):
    """Return (text, address, prefixlen) of an IPv4 CIDR string; host bits may be set."""
    text = _text(value, option, 'an IPv4 network in CIDR notation')
    if '/' not in text:
        if ':' in text:
            raise _validate.InputError(option, value, 'IPv6 is not supported yet; use an IPv4 subnet')
        raise _validate.InputError(option, value, 'expected CIDR notation with a prefix length, e.g. 172.18.0.0/16')
    addr, prefix = text.split('/', 1)
    _check_ipv4_text(addr, value, option, 'network')
    if not _PREFIX_RE.match(prefix) or int(prefix) > 32:
        raise _validate.InputError(option, value, 'prefix length must be a number from 0 to 32')
    return text, addr, int(prefix)


def parse_subnet(value, option='subnet', min_prefixlen=1, max_prefixlen=32):
    """Parse an IPv4 subnet; its network address is required (172.18.0.1/16 is an error).

    Return a netaddr.IPNetwork.  Prefix lengths outside min_prefixlen..max_prefixlen and
    subnets in 0.0.0.0/8, loopback or multicast space are errors.
    """
    dummy, addr, prefixlen = _split_cidr(value, option)
    net = netaddr.IPNetwork('%s/%d' % (addr, prefixlen))
    if net.ip != net.network:
        raise _validate.InputError(option, value, 'host bits are set; did you mean %s?' % net.cidr)
    if prefixlen < min_prefixlen or prefixlen > max_prefixlen:
        raise _validate.InputError(option, value, 'prefix length /%d is out of range: use /%d to /%d' % (prefixlen, min_prefixlen, max_prefixlen))
    for special, label in _SPECIAL_NETWORKS:
        if networks_overlap(net, netaddr.IPNetwork(special)):
            raise _validate.InputError(option, value, 'overlaps %s, which cannot be used for a network' % label)
    return net.cidr


def parse_interface_address(value, option='address'):
    """Parse an address with prefix length (10.138.3.130/24); host bits allowed. Return a netaddr.IPNetwork."""
    dummy, addr, prefixlen = _split_cidr(value, option)
    return netaddr.IPNetwork('%s/%d' % (addr, prefixlen))


def networks_overlap(a, b):
    """True when two IPv4 networks (netaddr.IPNetwork) share at least one address."""
    return a.first <= b.last and b.first <= a.last


def _is_network_or_broadcast(subnet, ip_int):
    # /31 (RFC 3021) and /32 have no network or broadcast address to protect.
    if subnet.prefixlen >= 31:
        return None
    if ip_int == subnet.first:
        return 'the network address'
    if ip_int == subnet.last:
        return 'the broadcast address'
    return None


def default_gateway(subnet):
    """Docker's default gateway: the first host address (the first address of a /31 or /32)."""
    if subnet.prefixlen >= 31:
        return netaddr.IPAddress(subnet.first, 4)
    return netaddr.IPAddress(subnet.first + 1, 4)


def parse_gateway(value, subnet, option='gateway'):
    """Validate a gateway inside subnet, not its network or broadcast address; None gives default_gateway()."""
    if value is None or value == '':
        return default_gateway(subnet)
    ip = parse_ip(value, option)
    if ip not in subnet:
        raise _validate.InputError(option, value, 'is not inside subnet %s' % subnet)
    special = _is_network_or_broadcast(subnet, int(ip))
    if special:
        raise _validate.InputError(option, value, 'is %s of subnet %s' % (special, subnet))
    return ip


def parse_ip_range(value, subnet, option='ip_range'):
    """Validate an ip_range in CIDR notation (network address required) inside subnet; return it or None."""
    if value is None or value == '':
        return None
    ip_range = parse_subnet(value, option, min_prefixlen=1, max_prefixlen=32)
    if not (subnet.first <= ip_range.first and ip_range.last <= subnet.last):
        raise _validate.InputError(option, value, 'is not inside subnet %s' % subnet)
    return ip_range


def parse_aux_addresses(value, subnet, gateway=None, option='aux_addresses'):
    """Validate aux_addresses (dict name -> ip, or a list of 'name=ip') inside subnet.

    Each must not be the network or broadcast address, the gateway, or another aux
    address.  Return a dict name -> netaddr.IPAddress sorted by name.
    """
    if value is None or value == '':
        return {}
    if isinstance(value, (list, tuple)):
        pairs = []
        for item in value:
            if not isinstance(item, str) or '=' not in item:
                raise _validate.InputError(option, item, "expected 'name=ip' (as docker network create --aux-address)")
            name, ip = item.split('=', 1)
            pairs.append((name, ip))
    elif isinstance(value, dict):
        pairs = list(value.items())
    else:
        raise _validate.InputError(option, value, 'expected a dict of name: ip')
    result = {}
    seen = {}
    for name, ip in pairs:
        if not isinstance(name, str) or not name:
            raise _validate.InputError(option, name, 'aux address names must be non-empty strings')
        if name in result:
            raise _validate.InputError(option, name, 'aux address name is given twice')
        sub_option = '%s.%s' % (option, name)
        addr = parse_ip(ip, sub_option)
        if addr not in subnet:
            raise _validate.InputError(sub_option, ip, 'is not inside subnet %s' % subnet)
        special = _is_network_or_broadcast(subnet, int(addr))
        if special:
            raise _validate.InputError(sub_option, ip, 'is %s of subnet %s' % (special, subnet))
        if gateway is not None and addr == gateway:
            raise _validate.InputError(sub_option, ip, 'is the gateway of subnet %s' % subnet)
        if int(addr) in seen:
            raise _validate.InputError(sub_option, ip, "is also aux address '%s'" % seen[int(addr)])
        seen[int(addr)] = name
        result[name] = addr
    return dict(sorted(result.items()))


def check_subnet_overlaps(subnet, others, name=None, option='subnet'):
    """Fail when subnet overlaps a subnet of another managed network.

    others: mapping network name -> subnet (or list of subnets); the entry called
    `name` (this network itself) is ignored.
    """
    for other_name, other_subnets in others.items():
        if name is not None and other_name == name:
            continue
        if other_subnets is None:
            continue
        if not isinstance(other_subnets, (list, tuple)):
            other_subnets = [other_subnets]
        for other in other_subnets:
            other_net = parse_interface_address(other, option).cidr
            if networks_overlap(subnet, other_net):
                who = "network '%s'" % name if name is not None else 'this network'
                raise _validate.InputError(option, str(subnet), "subnet %s of %s overlaps subnet %s of network '%s'" % (subnet, who, other_net, other_name))


# ---------------------------------------------------------------------------
# Interfaces and MAC addresses
# ---------------------------------------------------------------------------

def normalize_mac(value, option='mac'):
    """Validate a unicast MAC (aa:bb:.., aa-bb-.., aabb.ccdd.eeff or 12 hex digits); return it lower-case with colons."""
    text = _text(value, option, 'a MAC address')
    if _MAC_SEP_RE.match(text):
        digits = re.sub('[:-]', '', text)
    elif _MAC_DOT_RE.match(text):
        digits = text.replace('.', '')
    elif _MAC_BARE_RE.match(text):
        digits = text
    else:
        raise _validate.InputError(option, value, 'not a valid MAC address (expected six hex octets like 02:42:ac:11:00:02)')
    digits = digits.lower()
    octets = [digits[i:i + 2] for i in range(0, 12, 2)]
    if int(octets[0], 16) & 1:
        raise _validate.InputError(option, value, 'is a multicast address; an interface needs a unicast MAC (even first octet)')
    if digits == '0' * 12:
        raise _validate.InputError(option, value, 'the all-zero MAC cannot be assigned to an interface')
    return ':'.join(octets)


def docker_mac(ip):
    """Docker's generated MAC for an IPv4 endpoint: 02:42 followed by the four address bytes."""
    addr = parse_ip(ip, 'ip')
    num = int(addr)
    return '02:42:' + ':'.join('%02x' % ((num >> shift) & 0xff) for shift in (24, 16, 8, 0))


def next_ifname(used, prefix='eth'):
    """The lowest prefixN (eth0, eth1, ...) not in used, as docker network connect picks eth1."""
    used = set(used)
    index = 0
    while '%s%d' % (prefix, index) in used:
        index += 1
    return '%s%d' % (prefix, index)


# ---------------------------------------------------------------------------
# default-address-pools
# ---------------------------------------------------------------------------

def _parse_int(value, option, what):
    if isinstance(value, bool):
        raise _validate.InputError(option, value, 'expected %s' % what)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.match(r'^[0-9]+$', value):
        return int(value)
    raise _validate.InputError(option, value, 'expected %s' % what)


def parse_address_pools(pools=None, option='default_address_pools'):
    """Validate default-address-pools (list of {base, size}); None gives Docker's defaults.

    Return a list of (base netaddr.IPNetwork, size int) in the given order.
    """
    if pools is None:
        pools = DEFAULT_ADDRESS_POOLS
    if not isinstance(pools, (list, tuple)) or not pools:
        raise _validate.InputError(option, pools, 'expected a non-empty list of {base, size}')
    result = []
    for index, pool in enumerate(pools):
        item_option = '%s[%d]' % (option, index)
        if not isinstance(pool, dict) or set(pool) != {'base', 'size'}:
            raise _validate.InputError(item_option, pool, 'expected exactly the keys base and size')
        base = parse_subnet(pool['base'], item_option + '.base')
        size = _parse_int(pool['size'], item_option + '.size', 'a prefix length')
        if size < base.prefixlen or size > 32:
            raise _validate.InputError(item_option + '.size', pool['size'], 'must be between the prefix length of base (/%d) and /32' % base.prefixlen)
        result.append((base, size))
    return result


def pool_subnets(pools=None):
    """Yield every candidate subnet of the pools, in Docker's order."""
    for base, size in parse_address_pools(pools):
        step = 1 << (32 - size)
        for first in range(base.first, base.last + 1, step):
            yield netaddr.IPNetwork('%s/%d' % (netaddr.IPAddress(first, 4), size))


def _taken_intervals(taken, option):
    """(first, last) ints of every IPv4 network or address in taken, sorted; IPv6 and /0 skipped."""
    intervals = []
    for item in taken:
        if HAS_NETADDR and isinstance(item, netaddr.IPAddress):
            if item.version == 4:
                intervals.append((int(item), int(item)))
            continue
        if HAS_NETADDR and isinstance(item, netaddr.IPNetwork):
            if item.version == 4 and item.prefixlen > 0:
                intervals.append((item.first, item.last))
            continue
        text = _text(item, option, 'an IPv4 network or address')
        if ':' in text:
            continue
        if '/' in text:
            net = parse_interface_address(text, option)
            # The default route covers everything; Docker ignores it too.
            if net.prefixlen > 0:
                intervals.append((net.first, net.last))
        else:
            ip = parse_ip(text, option)
            intervals.append((int(ip), int(ip)))
    intervals.sort()
    return intervals


def next_free_subnet(taken=(), pools=None, option='default_address_pools'):
    """The first pool subnet (Docker's order) that overlaps nothing in taken.

    taken: host routes, host addresses (with prefix: their connected network), other
    networks' subnets, as strings or netaddr objects.  IPv6 entries and default routes
    are ignored.  Raise IPAMError when every candidate is taken.
    """
    intervals = _taken_intervals(taken, 'taken')
    shown = list(pools) if pools is not None else list(DEFAULT_ADDRESS_POOLS)
    for base, size in parse_address_pools(pools, option):
        step = 1 << (32 - size)
        first = base.first
        while first + step - 1 <= base.last:
            last = first + step - 1
            blocked_until = None
            for t_first, t_last in intervals:
                if t_first > last:
                    break
                if t_last >= first and (blocked_until is None or t_last > blocked_until):
                    blocked_until = t_last
            if blocked_until is None:
                return netaddr.IPNetwork('%s/%d' % (netaddr.IPAddress(first, 4), size))
            # Skip every candidate the blocker covers: pools can hold thousands of subnets.
            first = ((blocked_until + 1 + step - 1) // step) * step
    raise _validate.InputError(option, shown, 'could not find an available, non-overlapping IPv4 subnet in the address pools: every candidate overlaps '
                               'a host route, a host address or another network; set subnet explicitly or add pools')


# ---------------------------------------------------------------------------
# Endpoint addresses
# ---------------------------------------------------------------------------

def _requests_list(requests, option):
    """Normalise endpoint requests to a list of (name, ip or None)."""
    if isinstance(requests, dict):
        items = list(requests.items())
    elif isinstance(requests, (list, tuple)):
        items = []
        for index, item in enumerate(requests):
            if isinstance(item, str):
                items.append((item, None))
            elif isinstance(item, dict) and isinstance(item.get('name'), str):
                items.append((item['name'], item.get('ip')))
            else:
                raise _validate.InputError('%s[%d]' % (option, index), item, 'expected an endpoint name or a dict with name and ip')
    else:
        raise _validate.InputError(option, requests, 'expected a list of endpoints')
    result = []
    seen = set()
    for name, ip in items:
        if not isinstance(name, str) or not name:
            raise _validate.InputError(option, name, 'endpoint names must be non-empty strings')
        if name in seen:
            raise _validate.InputError(option, name, 'endpoint is listed twice')
        seen.add(name)
        result.append((name, None if ip == '' else ip))
    return result


class AddressPool:
    """One network's IPv4 address space: subnet, gateway, ip_range and aux addresses.

    The constructor validates and normalises everything (raising IPAMError); the
    allocator never hands out the network or broadcast address, the gateway or an
    aux address.  option_prefix is prepended to option names in errors
    (e.g. 'networks[0].').
    """

    def __init__(self, subnet, gateway=None, ip_range=None, aux_addresses=None, option_prefix=''):
        self.option_prefix = option_prefix
        self.subnet = parse_subnet(subnet, self._opt('subnet'))
        self.ip_range = parse_ip_range(ip_range, self.subnet, self._opt('ip_range'))
        self.gateway = parse_gateway(gateway, self.subnet, self._opt('gateway'))
        self.aux_addresses = parse_aux_addresses(aux_addresses, self.subnet, self.gateway, self._opt('aux_addresses'))

    def _opt(self, name):
        return self.option_prefix + name

    def config(self):
        """Normalised settings as strings (for state files and inspect output)."""
        return {
            'subnet': str(self.subnet),
            'gateway': str(self.gateway),
            'ip_range': str(self.ip_range) if self.ip_range is not None else None,
            'aux_addresses': {name: str(ip) for name, ip in self.aux_addresses.items()},
        }

    def reserved(self):
        """Addresses never handed out: int address -> reason."""
        result = {}
        if self.subnet.prefixlen < 31:
            result[self.subnet.first] = 'the network address of subnet %s' % self.subnet
            result[self.subnet.last] = 'the broadcast address of subnet %s' % self.subnet
        result[int(self.gateway)] = 'the gateway of subnet %s' % self.subnet
        for name, ip in self.aux_addresses.items():
            result.setdefault(int(ip), "aux address '%s'" % name)
        return result

    def allocation_range(self):
        """(first, last) ints that automatic allocation draws from: ip_range, else the subnet."""
        span = self.ip_range if self.ip_range is not None else self.subnet
        return span.first, span.last

    def capacity(self):
        """How many addresses automatic allocation can hand out in an empty network."""
        first, last = self.allocation_range()
        reserved = sum(1 for ip in self.reserved() if first <= ip <= last)
        return last - first + 1 - reserved

    def check_ip(self, value, option='ip'):
        """Validate an explicit endpoint address: inside the subnet and not reserved. Return it."""
        ip = parse_ip(value, option)
        if ip not in self.subnet:
            raise _validate.InputError(option, value, 'is not inside subnet %s' % self.subnet)
        reason = self.reserved().get(int(ip))
        if reason:
            raise _validate.InputError(option, value, 'is %s' % reason)
        return ip

    def _usable(self, value):
        """An existing allocation still valid for this pool, or None (then it is reallocated)."""
        try:
            ip = parse_ip(value)
        except _validate.InputError:
            return None
        if ip not in self.subnet or int(ip) in self.reserved():
            return None
        return ip

    def allocate(self, requests, existing=None, option='endpoints'):
        """Give every requested endpoint an address; return {name: netaddr.IPAddress} in request order.

        requests: {name: ip or None}, or a list of names or of dicts with name and
        optional ip.  existing: the network's current allocation {name: ip}: a
        requested endpoint without an explicit ip keeps its address; an endpoint not
        requested still holds its address (drop it from existing to free it).
        Explicit ips are honoured first and fail when outside the subnet, reserved or
        held by another endpoint (the error names it); new endpoints get the lowest
        free address of ip_range (else the subnet), in request order.
        """
        allocated = self._allocate(
            _requests_list(requests, option),
            dict(existing or {}),
            describe=lambda key: "endpoint '%s'" % key,
            option_for=lambda key: '%s[%s].ip' % (option, key),
        )
        return allocated

    def allocate_across_hosts(self, requests_by_host, existing=None, option='endpoints'):
        """allocate() once for endpoints on many hosts sharing this segment (macvlan).

        requests_by_host: {host: requests as for allocate()}; existing: {host: {name: ip}}.
        Returns {host: {name: netaddr.IPAddress}}; no address is given twice across
        hosts.  Hosts are processed in the given order, endpoints in request order.
        """
        requests = []
        order = []
        for host, host_requests in requests_by_host.items():
            order.append(host)
            for name, ip in _requests_list(host_requests, '%s@%s' % (option, host)):
                requests.append(((host, name), ip))
        flat_existing = {}
        for host, entries in (existing or {}).items():
            for name, ip in (entries or {}).items():
                flat_existing[(host, name)] = ip
        allocated = self._allocate(
            requests,
            flat_existing,
            describe=lambda key: "endpoint '%s' on host '%s'" % (key[1], key[0]),
            option_for=lambda key: '%s[%s@%s].ip' % (option, key[1], key[0]),
        )
        result = {host: {} for host in order}
        for (host, name), ip in allocated.items():
            result[host][name] = ip
        return result

    def _allocate(self, requests, existing, describe, option_for):
        reserved = self.reserved()
        used = {}
        explicit = {}
        requested = set(key for key, dummy in requests)
        # Explicit addresses first: they never move.
        for key, value in requests:
            if value is None:
                continue
            ip = self.check_ip(value, option_for(key))
            holder = used.get(int(ip))
            if holder is not None:
                raise _validate.InputError(option_for(key), value, 'is also requested by %s' % describe(holder))
            used[int(ip)] = key
            explicit[key] = ip
        # Endpoints that are not part of this request keep what they hold.
        for key, value in existing.items():
            if key in requested:
                continue
            ip = self._usable(value)
            if ip is None:
                continue
            holder = used.get(int(ip))
            if holder in explicit:
                raise _validate.InputError(option_for(holder), str(ip), 'is already used by %s' % describe(key))
            if holder is None:
                used[int(ip)] = key
        # Requested endpoints without an explicit ip keep their previous address when still valid.
        kept = {}
        for key, value in requests:
            if value is not None or key not in existing:
                continue
            ip = self._usable(existing[key])
            if ip is None:
                continue
            holder = used.get(int(ip))
            if holder is not None:
                if holder in explicit:
                    raise _validate.InputError(option_for(holder), str(ip), 'is already used by %s' % describe(key))
                continue
            used[int(ip)] = key
            kept[key] = ip
        # Everyone else: lowest free address, deterministic.
        first, last = self.allocation_range()
        cursor = first
        result = {}
        for key, value in requests:
            if key in explicit:
                result[key] = explicit[key]
                continue
            if key in kept:
                result[key] = kept[key]
                continue
            while cursor <= last and (cursor in reserved or cursor in used):
                cursor += 1
            if cursor > last:
                where = 'ip_range' if self.ip_range is not None else 'subnet'
                span = self.ip_range if self.ip_range is not None else self.subnet
                raise _validate.InputError(self._opt(where), str(span),
                                           'no free address left for %s: all %d usable addresses are taken' % (describe(key), self.capacity()))
            used[cursor] = key
            result[key] = netaddr.IPAddress(cursor, 4)
        return result


# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------
