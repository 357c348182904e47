# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IP address management for hostnet.containers: pure address math, no kernel access.

Every function validates user input once, at the edge, and returns normalised values (netaddr objects, lower-case
MACs); a bad value raises _validate.InputError naming the option and the value, before the host is touched.
Behaviour mirrors Docker's libnetwork IPAM where users rely on it: the default-address-pools order, the gateway on
the first host address, allocation from the first address of ip_range.  The arithmetic works on either family
(ADDRESS_BITS); these parsers take IPv4, _ipam6's IPv6.
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

# Subnets a network can never use, per family: the kernel treats them specially.
_SPECIAL_NETWORKS = {4: (
    ('0.0.0.0/8', '"this network" (0.0.0.0/8)'),
    ('127.0.0.0/8', 'loopback (127.0.0.0/8)'),
    ('224.0.0.0/4', 'multicast (224.0.0.0/4)'),
    ('255.255.255.255/32', 'the limited broadcast address'),
)}

_OCTET = r'(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
# Strict dotted quad: netaddr 0.8 accepts inet_aton forms ('10.1', '010.0.0.1' as octal,
# trailing blanks) that netaddr 1.x and Docker reject, so parse the text ourselves.
_IPV4_RE = re.compile(r'^%s(?:\.%s){3}$' % (_OCTET, _OCTET))
_PREFIX_RE = re.compile(r'^(?:0|[1-9][0-9]?)$')

# Address bits per family: prefix-length limits and pool steps follow from it (IPv6 then needs parsers, no new math).
ADDRESS_BITS = {4: 32, 6: 128}


def _bits(network):
    """How many bits an address of network's family (netaddr object) has."""
    return ADDRESS_BITS[network.version]


def _network(number, prefixlen, version):
    """The network starting at ``number`` with ``prefixlen`` as a netaddr.IPNetwork."""
    return netaddr.IPNetwork('%s/%d' % (netaddr.IPAddress(number, version), prefixlen))


# --- Addresses and subnets --------------------------------------------------------------------------------------------

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
        raise _validate.InputError(option, value, 'is an IPv6 %s; this option takes IPv4 (the IPv6 ones end in _v6 or ipv6_)' % what)
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
            raise _validate.InputError(option, value, 'is an IPv6 network; this option takes IPv4 (the IPv6 one is subnet_v6)')
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
    for special, label in _SPECIAL_NETWORKS.get(net.version, ()):
        if networks_overlap(net, netaddr.IPNetwork(special)):
            raise _validate.InputError(option, value, 'overlaps %s, which cannot be used for a network' % label)
    return net.cidr


def parse_interface_address(value, option='address'):
    """Parse an address with prefix length (10.138.3.130/24); host bits allowed. Return a netaddr.IPNetwork."""
    dummy, addr, prefixlen = _split_cidr(value, option)
    return netaddr.IPNetwork('%s/%d' % (addr, prefixlen))


def networks_overlap(a, b):
    """True when two networks of one family (netaddr.IPNetwork) share at least one address."""
    return a.first <= b.last and b.first <= a.last


def _is_point_to_point(subnet):
    """A /31 (RFC 3021) or /32: no network or broadcast address to protect; the gateway is the first address."""
    return subnet.prefixlen >= _bits(subnet) - 1


def _is_network_or_broadcast(subnet, ip_int):
    if _is_point_to_point(subnet):
        return None
    if ip_int == subnet.first:
        return 'the network address'
    if ip_int == subnet.last:
        return 'the broadcast address'
    return None


def default_gateway(subnet):
    """Docker's default gateway: the first host address (the first address of a /31 or /32)."""
    if _is_point_to_point(subnet):
        return netaddr.IPAddress(subnet.first, subnet.version)
    return netaddr.IPAddress(subnet.first + 1, subnet.version)


def parse_gateway(value, subnet, option='gateway'):
    """Validate a gateway inside subnet, not its network or broadcast address; None gives default_gateway()."""
    if value is None or value == '':
        return default_gateway(subnet)
    return _host_address(value, subnet, option)


def _host_address(value, subnet, option):
    """An address a host of subnet may hold: inside it, not its network or broadcast address."""
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
    ip_range = parse_subnet(value, option, min_prefixlen=1, max_prefixlen=_bits(subnet))
    if not (subnet.first <= ip_range.first and ip_range.last <= subnet.last):
        raise _validate.InputError(option, value, 'is not inside subnet %s' % subnet)
    return ip_range


def _aux_pairs(value, option):
    """aux_addresses as [(name, ip)]: a dict, or a list of 'name=ip' as docker network create --aux-address takes."""
    if isinstance(value, dict):
        return list(value.items())
    if not isinstance(value, (list, tuple)):
        raise _validate.InputError(option, value, 'expected a dict of name: ip')
    pairs = []
    for item in value:
        if not isinstance(item, str) or '=' not in item:
            raise _validate.InputError(option, item, "expected 'name=ip' (as docker network create --aux-address)")
        pairs.append(tuple(item.split('=', 1)))
    return pairs


def _aux_address(ip, subnet, gateway, sub_option):
    """One aux address: inside subnet, not its network or broadcast address, not the gateway."""
    addr = _host_address(ip, subnet, sub_option)
    if gateway is not None and addr == gateway:
        raise _validate.InputError(sub_option, ip, 'is the gateway of subnet %s' % subnet)
    return addr


def parse_aux_addresses(value, subnet, gateway=None, option='aux_addresses'):
    """Validate aux_addresses (dict name -> ip, or a list of 'name=ip') inside subnet.

    Each must not be the network or broadcast address, the gateway, or another aux
    address.  Return a dict name -> netaddr.IPAddress sorted by name.
    """
    if value is None or value == '':
        return {}
    result, seen = {}, {}
    for name, ip in _aux_pairs(value, option):
        if not isinstance(name, str) or not name:
            raise _validate.InputError(option, name, 'aux address names must be non-empty strings')
        if name in result:
            raise _validate.InputError(option, name, 'aux address name is given twice')
        sub_option = '%s.%s' % (option, name)
        addr = _aux_address(ip, subnet, gateway, sub_option)
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


# --- Interfaces and MAC addresses -------------------------------------------------------------------------------------

def normalize_mac(value, option='mac'):
    """Validate a unicast MAC (aa:bb:.., aa-bb-.., aabb.ccdd.eeff or 12 hex digits); return it lower-case with colons."""
    return _validate.mac(value, option)


def docker_mac(ip):
    """Docker's generated MAC for an IPv4 endpoint: 02:42 followed by the four address bytes.  ``ip``: text (checked),
    or an address the pool gave (netaddr.IPAddress, used as it is: a network of hundreds asks for one each)."""
    num = int(ip) if isinstance(ip, netaddr.IPAddress) and ip.version == 4 else int(parse_ip(ip, 'ip'))
    return '02:42:' + ':'.join('%02x' % ((num >> shift) & 0xff) for shift in (24, 16, 8, 0))


def next_ifname(used, prefix='eth'):
    """The lowest prefixN (eth0, eth1, ...) not in used, as docker network connect picks eth1."""
    used = set(used)
    index = 0
    while '%s%d' % (prefix, index) in used:
        index += 1
    return '%s%d' % (prefix, index)


# --- default-address-pools --------------------------------------------------------------------------------------------

def _parse_int(value, option, what):
    if isinstance(value, int) and not isinstance(value, bool):
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
        if size < base.prefixlen or size > _bits(base):
            raise _validate.InputError(item_option + '.size', pool['size'], 'must be between the prefix length of base (/%d) and /%d'
                                       % (base.prefixlen, _bits(base)))
        result.append((base, size))
    return result


def pool_subnets(pools=None):
    """Yield every candidate subnet of the pools, in Docker's order."""
    for base, size in parse_address_pools(pools):
        step = 1 << (_bits(base) - size)
        for first in range(base.first, base.last + 1, step):
            yield _network(first, size, base.version)


def _interval(item, option, version):
    """(first, last) ints of one taken network or address of family ``version``; None for another family or /0."""
    if not (HAS_NETADDR and isinstance(item, (netaddr.IPAddress, netaddr.IPNetwork))):
        text = _text(item, option, 'an IPv4 network or address')
        if (':' in text) != (version == 6):
            return None
        item = parse_interface_address(text, option) if '/' in text else parse_ip(text, option)
    if item.version != version:
        return None
    if isinstance(item, netaddr.IPAddress):
        return int(item), int(item)
    # The default route covers everything; Docker ignores it too.
    return (item.first, item.last) if item.prefixlen > 0 else None


def _taken_intervals(taken, option, version=4):
    """(first, last) ints of every network or address of family ``version`` in taken, sorted; others and /0 skipped."""
    intervals = (_interval(item, option, version) for item in taken)
    return sorted(interval for interval in intervals if interval is not None)


def _blocked_until(intervals, first, last):
    """The last address of the taken intervals that overlap first..last, or None when none does."""
    blocked_until = None
    for t_first, t_last in intervals:
        if t_first > last:
            break
        if t_last >= first and (blocked_until is None or t_last > blocked_until):
            blocked_until = t_last
    return blocked_until


def _first_free_in(base, size, intervals):
    """The first size-long subnet of base that overlaps no interval, or None."""
    step = 1 << (_bits(base) - size)
    first = base.first
    while first + step - 1 <= base.last:
        blocked_until = _blocked_until(intervals, first, first + step - 1)
        if blocked_until is None:
            return _network(first, size, base.version)
        # Skip every candidate the blocker covers: pools can hold thousands of subnets.
        first = ((blocked_until + 1 + step - 1) // step) * step
    return None


def next_free_subnet(taken=(), pools=None, option='default_address_pools'):
    """The first pool subnet (Docker's order) that overlaps nothing in taken.

    taken: host routes, host addresses (with prefix: their connected network), other
    networks' subnets, as strings or netaddr objects.  IPv6 entries and default routes
    are ignored.  Raise IPAMError when every candidate is taken.
    """
    intervals = {}
    shown = list(pools) if pools is not None else list(DEFAULT_ADDRESS_POOLS)
    for base, size in parse_address_pools(pools, option):
        if base.version not in intervals:
            intervals[base.version] = _taken_intervals(taken, 'taken', base.version)
        subnet = _first_free_in(base, size, intervals[base.version])
        if subnet is not None:
            return subnet
    raise _validate.InputError(option, shown, 'could not find an available, non-overlapping IPv4 subnet in the address pools: every candidate overlaps '
                               'a host route, a host address or another network; set subnet explicitly or add pools')


# --- Endpoint addresses -----------------------------------------------------------------------------------------------

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
    result, seen = [], set()
    for name, ip in items:
        if not isinstance(name, str) or not name:
            raise _validate.InputError(option, name, 'endpoint names must be non-empty strings')
        if name in seen:
            raise _validate.InputError(option, name, 'endpoint is listed twice')
        seen.add(name)
        result.append((name, None if ip == '' else ip))
    return result


class AddressPool:
    """One network's address space (one family): subnet, gateway, ip_range and aux addresses.

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

    parse_address = staticmethod(parse_ip)  # the parser of the pool's family (_ipam6.AddressPool: IPv6's)

    def check_ip(self, value, option='ip'):
        """Validate an explicit endpoint address: inside the subnet and not reserved. Return it."""
        ip = self.parse_address(value, option)
        if ip not in self.subnet:
            raise _validate.InputError(option, value, 'is not inside subnet %s' % self.subnet)
        reason = self.reserved().get(int(ip))
        if reason:
            raise _validate.InputError(option, value, 'is %s' % reason)
        return ip

    def _usable(self, value, reserved):
        """An existing allocation still valid for this pool (``reserved``: what reserved() returns, computed once
        per allocation run), or None (then it is reallocated)."""
        try:
            ip = self.parse_address(value)
        except _validate.InputError:
            return None
        if ip not in self.subnet or int(ip) in reserved:
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
        return self._allocate(_requests_list(requests, option), dict(existing or {}),
                              describe=lambda key: "endpoint '%s'" % key, option_for=lambda key: '%s[%s].ip' % (option, key))

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
        allocated = self._allocate(requests, flat_existing, describe=lambda key: "endpoint '%s' on host '%s'" % (key[1], key[0]),
                                   option_for=lambda key: '%s[%s@%s].ip' % (option, key[1], key[0]))
        result = {host: {} for host in order}
        for (host, name), ip in allocated.items():
            result[host][name] = ip
        return result

    def _allocate(self, requests, existing, describe, option_for):
        """Addresses for requests [(key, ip or None)] given existing {key: ip}: explicit first, then held, then new."""
        claim = _Claim(self, describe, option_for)
        explicit = claim.claim_explicit(requests)
        requested = set(key for key, dummy in requests)
        # Endpoints that are not part of this request keep what they hold.
        for key, value in existing.items():
            if key not in requested:
                claim.hold(key, value)
        # Requested endpoints without an explicit ip keep their previous address when still valid.
        kept = {}
        for key, value in requests:
            if value is None and key in existing:
                ip = claim.hold(key, existing[key])
                if ip is not None:
                    kept[key] = ip
        # Everyone else: lowest free address, deterministic.
        result = {}
        for key, dummy in requests:
            if key in explicit:
                result[key] = explicit[key]
            else:
                result[key] = kept[key] if key in kept else claim.next_free(key)
        return result


class _Claim:
    """One allocation run over an AddressPool: which address each endpoint key holds."""

    def __init__(self, pool, describe, option_for):
        self.pool = pool
        self.describe = describe
        self.option_for = option_for
        self.reserved = pool.reserved()
        self.used = {}       # int address -> key
        self.explicit = {}   # key -> netaddr.IPAddress, requested by the user; never moves
        self.cursor, self.last = pool.allocation_range()

    def claim_explicit(self, requests):
        """Claim every explicit address (they never move); two endpoints asking for one fail naming both."""
        for key, value in requests:
            if value is None:
                continue
            ip = self.pool.check_ip(value, self.option_for(key))
            holder = self.used.get(int(ip))
            if holder is not None:
                raise _validate.InputError(self.option_for(key), value, 'is also requested by %s' % self.describe(holder))
            self.used[int(ip)] = key
            self.explicit[key] = ip
        return self.explicit

    def hold(self, key, value):
        """Let key keep the address it holds when still usable and free; return it, or None (a new one is given)."""
        ip = self.pool._usable(value, self.reserved)
        if ip is None:
            return None
        holder = self.used.get(int(ip))
        if holder in self.explicit:
            raise _validate.InputError(self.option_for(holder), str(ip), 'is already used by %s' % self.describe(key))
        if holder is not None:
            # Two endpoints held one address (a repaired duplicate): the first keeps it.
            return None
        self.used[int(ip)] = key
        return ip

    def next_free(self, key):
        """The lowest address of the allocation range neither reserved nor used, now held by key."""
        while self.cursor <= self.last and (self.cursor in self.reserved or self.cursor in self.used):
            self.cursor += 1
        if self.cursor > self.last:
            pool = self.pool
            where, span = ('ip_range', pool.ip_range) if pool.ip_range is not None else ('subnet', pool.subnet)
            raise _validate.InputError(pool._opt(where), str(span), 'no free address left for %s: all %d usable addresses are '
                                       'taken' % (self.describe(key), pool.capacity()))
        self.used[self.cursor] = key
        return netaddr.IPAddress(self.cursor, self.pool.subnet.version)
