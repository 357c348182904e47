# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IPv6 address management: the parsers of the IPv6 options, the ULA default pool and the IPv6 address pool.

Pure, as _ipam (whose pool arithmetic and allocator it reuses): the host's machine id, routes and addresses are
read by the caller and handed in.  Docker 27's rules where users rely on them: a network without subnet_v6 gets the
first free /64 of a ULA /48 derived from the host's identity; the gateway is the subnet's first address (::1); the
subnet-router anycast address (the subnet's ::0, RFC 4291) is never handed out.  IPv6 has no broadcast address, so
the subnet's last address is a host address.
"""

from __future__ import annotations

import hashlib

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

try:
    import netaddr
except ImportError:  # _ipam reports it
    netaddr = None

# The smallest subnet: room for the gateway and one endpoint besides the subnet-router anycast address.
MAX_PREFIXLEN = 126
DEFAULT_SIZE = 64
_SPECIAL = (
    ('::/128', 'the unspecified address (::)'),
    ('::1/128', 'loopback (::1)'),
    ('::ffff:0:0/96', 'IPv4-mapped space (::ffff:0:0/96)'),
    ('fe80::/10', 'link-local space (fe80::/10), which every interface has of its own'),
    ('ff00::/8', 'multicast (ff00::/8)'),
)


def family(value):
    """4 or 6: the family an address (or network) is written in: an IPv6 one has a colon; None or a non-string is
    IPv4's.  The one test every module, the publishes, nat_rule and the rule model ask."""
    return 6 if isinstance(value, str) and ':' in value else 4


def parse_either(value, option):
    """One address of either family (its family by family()), as that family's parser checks it: a netaddr.IPAddress;
    InputError naming the option."""
    return parse_ip(value, option) if family(value) == 6 else _ipam.parse_ip(value, option)


def _text(value, option, what):
    if isinstance(value, bool) or value is None:
        raise _validate.InputError(option, value, 'expected %s' % what)
    if netaddr is not None and isinstance(value, (netaddr.IPAddress, netaddr.IPNetwork)):
        return str(value)
    if not isinstance(value, str):
        raise _validate.InputError(option, value, 'expected %s as a string' % what)
    return value


def _address(text, value, option, what):
    """A netaddr.IPAddress of an IPv6 text; an IPv4 one is named as such (the option takes IPv6)."""
    if ':' not in text:
        if _ipam._IPV4_RE.match(text):  # pylint: disable=protected-access
            raise _validate.InputError(option, value, 'is an IPv4 %s; this option takes IPv6' % what)
        raise _validate.InputError(option, value, 'not a valid IPv6 %s' % what)
    try:
        return netaddr.IPAddress(text, 6)
    except (netaddr.AddrFormatError, ValueError, TypeError):
        raise _validate.InputError(option, value, 'not a valid IPv6 %s' % what)


def parse_ip(value, option='ipv6_address'):
    """One IPv6 address without a prefix length, as a netaddr.IPAddress."""
    text = _text(value, option, 'an IPv6 address')
    if '/' in text:
        raise _validate.InputError(option, value, 'expected an address without a prefix length')
    return _address(text, value, option, 'address')


def parse_subnet(value, option='subnet_v6', max_prefixlen=MAX_PREFIXLEN):
    """An IPv6 subnet in CIDR form, network address required, with room for the gateway and one endpoint."""
    text = _text(value, option, 'an IPv6 network in CIDR notation')
    if '/' not in text:
        raise _validate.InputError(option, value, 'expected CIDR notation with a prefix length, e.g. fd00:1::/64')
    addr, prefix = text.split('/', 1)
    ip = _address(addr, value, option, 'network')
    if not prefix.isdigit() or int(prefix) > 128:
        raise _validate.InputError(option, value, 'prefix length must be a number from 0 to 128')
    net = netaddr.IPNetwork('%s/%s' % (ip, int(prefix)))
    if net.ip != net.network:
        raise _validate.InputError(option, value, 'host bits are set; did you mean %s?' % net.cidr)
    if net.prefixlen > max_prefixlen:
        raise _validate.InputError(option, value, 'is too small: a network needs room for its gateway and at least one endpoint '
                                   'besides the subnet-router anycast address; use /%d or shorter' % max_prefixlen)
    for special, label in _SPECIAL:
        if _ipam.networks_overlap(net, netaddr.IPNetwork(special)):
            raise _validate.InputError(option, value, 'overlaps %s, which cannot be used for a network' % label)
    return net.cidr


def _host_address(value, subnet, option):
    ip = parse_ip(value, option)
    if ip not in subnet:
        raise _validate.InputError(option, value, 'is not inside subnet %s' % subnet)
    if int(ip) == subnet.first:
        raise _validate.InputError(option, value, 'is the subnet-router anycast address of subnet %s' % subnet)
    return ip


def parse_aux_addresses(value, subnet, gateway, option='aux_addresses'):
    """The IPv6 aux addresses ({name: ip}), each inside subnet, not its ::0 nor the gateway nor another aux address."""
    result = {}
    seen = {}
    for name, ip in (value or {}).items():
        sub_option = '%s.%s' % (option, name)
        addr = _host_address(ip, subnet, sub_option)
        if addr == gateway:
            raise _validate.InputError(sub_option, ip, 'is the gateway of subnet %s' % subnet)
        if int(addr) in seen:
            raise _validate.InputError(sub_option, ip, "is also aux address '%s'" % seen[int(addr)])
        seen[int(addr)] = name
        result[name] = addr
    return dict(sorted(result.items()))


def split_aux_addresses(value, option='aux_addresses'):
    """aux_addresses split by family: ({name: IPv4}, {name: IPv6}) (the option holds both, as Docker's --aux-address)."""
    if value is None or value == '':
        return None, None
    pairs = _ipam._aux_pairs(value, option)  # pylint: disable=protected-access
    v4 = {name: ip for name, ip in pairs if not (isinstance(ip, str) and ':' in ip)}
    v6 = {name: ip for name, ip in pairs if isinstance(ip, str) and ':' in ip}
    return v4, v6


class AddressPool(_ipam.AddressPool):
    """An IPv6 network's address space: _ipam.AddressPool's allocator with the IPv6 parsers; reserved are the
    subnet-router anycast address, the gateway and the aux addresses (there is no broadcast address)."""

    def __init__(self, subnet, gateway=None, ip_range=None, aux_addresses=None, option_prefix='', suffix='_v6'):  # pylint: disable=super-init-not-called
        self.option_prefix = option_prefix
        self.subnet = parse_subnet(subnet, self._opt('subnet' + suffix))
        self.ip_range = None
        if ip_range:
            self.ip_range = parse_subnet(ip_range, self._opt('ip_range' + suffix), max_prefixlen=128)
            if not (self.subnet.first <= self.ip_range.first and self.ip_range.last <= self.subnet.last):
                raise _validate.InputError(self._opt('ip_range' + suffix), ip_range, 'is not inside subnet %s' % self.subnet)
        self.gateway = _host_address(gateway, self.subnet, self._opt('gateway' + suffix)) if gateway else \
            netaddr.IPAddress(self.subnet.first + 1, 6)
        self.aux_addresses = parse_aux_addresses(aux_addresses, self.subnet, self.gateway, self._opt('aux_addresses'))

    def reserved(self):
        result = {self.subnet.first: 'the subnet-router anycast address of subnet %s' % self.subnet,
                  int(self.gateway): 'the gateway of subnet %s' % self.subnet}
        for name, ip in self.aux_addresses.items():
            result.setdefault(int(ip), "aux address '%s'" % name)
        return result

    parse_address = staticmethod(parse_ip)


# -- the subnet of a network without subnet_v6 -------------------------------------------------------------------------
def ula_pool(machine_id):
    """Docker 27's default IPv6 pool: the ULA /48 fdXX:XXXX:XXXX::/48 whose 40-bit global ID is the first 40 bits of
    the sha256 of the host's identity (here /etc/machine-id; Docker hashes its engine id), in /64s."""
    digest = hashlib.sha256((machine_id or '').strip().encode()).digest()[:5]
    number = (0xfd << 120) | (int.from_bytes(digest, 'big') << 80)
    return [(netaddr.IPNetwork('%s/48' % netaddr.IPAddress(number, 6)), DEFAULT_SIZE)]


def split_pools(pools, option='address_pools'):
    """``address_pools`` by family: (the IPv4 entries or None, [(base, size)] of the IPv6 ones)."""
    if pools is None:
        return None, []
    v4, v6 = [], []
    for index, pool in enumerate(pools):
        base = pool.get('base') if isinstance(pool, dict) else None
        if not (isinstance(base, str) and ':' in base):
            v4.append(pool)
            continue
        item = '%s[%d]' % (option, index)
        if set(pool) != {'base', 'size'}:
            raise _validate.InputError(item, pool, 'expected exactly the keys base and size')
        net = parse_subnet(base, item + '.base', max_prefixlen=128)
        size = _ipam._parse_int(pool['size'], item + '.size', 'a prefix length')  # pylint: disable=protected-access
        if size < net.prefixlen or size > MAX_PREFIXLEN:
            raise _validate.InputError(item + '.size', pool['size'], 'must be between the prefix length of base (/%d) and /%d'
                                       % (net.prefixlen, MAX_PREFIXLEN))
        v6.append((net, size))
    return v4 or None, v6


def _interval(item):
    """(first, last) of an IPv6 network or address text (routes, addresses, subnets); None for IPv4 or ::/0."""
    if not item or ':' not in str(item):
        return None
    net = netaddr.IPNetwork(str(item))
    if '/' in str(item) and net.prefixlen == 0:
        return None
    return (net.first, net.last) if '/' in str(item) else (int(net.ip), int(net.ip))


def next_free_subnet(taken, pools, option='subnet_v6'):
    """The first pool subnet (pools: [(base, size)]) that overlaps nothing in taken (IPv6 routes, addresses, other
    networks' subnet_v6, as text); InputError naming ``option`` when every candidate is taken."""
    intervals = sorted(i for i in (_interval(t) for t in taken) if i is not None)
    for base, size in pools:
        subnet = _ipam._first_free_in(base, size, intervals)  # pylint: disable=protected-access
        if subnet is not None:
            return subnet.cidr
    raise _validate.InputError(option, None, 'could not find an available, non-overlapping IPv6 subnet in %s: every candidate '
                               'overlaps a host route, a host address or another network; set subnet_v6' % ', '.join(str(b) for b, dummy in pools))


def check_overlaps(subnet, others, option='subnet_v6'):
    """Fail when subnet overlaps the subnet_v6 of another network (``others``: {name: document})."""
    for name, doc in sorted(others.items()):
        other = doc.get('subnet_v6')
        if other and _ipam.networks_overlap(subnet, netaddr.IPNetwork(other)):
            raise _validate.InputError(option, str(subnet), "overlaps subnet_v6 %s of network '%s'" % (other, name))


def docker_mac(ip):
    """A MAC of an IPv6-only endpoint that every host computes alike from its address (an overlay's, whose hosts share
    no endpoint id): 02:42 followed by the address's last four bytes, as Docker's IPv4 MAC has the four IPv4 bytes."""
    num = int(parse_ip(ip, 'ipv6_address'))
    return '02:42:' + ':'.join('%02x' % ((num >> shift) & 0xff) for shift in (24, 16, 8, 0))
