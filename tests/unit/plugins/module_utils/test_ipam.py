# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/_ipam.py (pure logic, no root)."""

from __future__ import annotations

import pytest

netaddr = pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position


ipam = _ipam
IPAMError = _validate.InputError
IP = netaddr.IPAddress
NET = netaddr.IPNetwork


def _strs(mapping):
    return {key: str(value) for key, value in mapping.items()}


# ---------------------------------------------------------------------------
# IPAMError
# ---------------------------------------------------------------------------

def test_error_names_option_and_value():
    err = _validate.InputError('subnet', '172.18.0.1/16', 'host bits are set')
    assert str(err) == "subnet '172.18.0.1/16': host bits are set"
    assert (err.option, err.value, err.message) == ('subnet', '172.18.0.1/16', 'host bits are set')
    assert isinstance(err, ValueError)


def test_error_renders_containers_and_none():
    assert str(_validate.InputError('x', [{'base': 'a', 'size': 16}], 'm')) == "x [{'base': 'a', 'size': 16}]: m"
    assert str(_validate.InputError('x', None, 'm')) == 'x null: m'


def test_has_netaddr_flags():
    assert ipam.HAS_NETADDR is True
    assert ipam.NETADDR_IMPORT_ERROR is None


# ---------------------------------------------------------------------------
# parse_ip
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('value', ['10.0.0.1', '0.0.0.0', '255.255.255.255', '172.17.0.2'])
def test_parse_ip_ok(value):
    assert ipam.parse_ip(value) == IP(value)


def test_parse_ip_accepts_netaddr_object():
    assert ipam.parse_ip(IP('10.0.0.9')) == IP('10.0.0.9')


@pytest.mark.parametrize('value', ['010.0.0.1', '10.1', '1', '10.0.0.256', '10.0.0.1 ', ' 10.0.0.1', 'a.b.c.d', '', '10.0.0.-1', '1.2.3.4.5'])
def test_parse_ip_rejects_what_netaddr_08_would_accept(value):
    with pytest.raises(IPAMError) as exc:
        ipam.parse_ip(value, 'endpoints[web].ip')
    assert exc.value.option == 'endpoints[web].ip'
    assert "endpoints[web].ip '%s'" % value in str(exc.value)


@pytest.mark.parametrize('value', [None, 10, True, ['10.0.0.1']])
def test_parse_ip_rejects_non_strings(value):
    with pytest.raises(IPAMError):
        ipam.parse_ip(value)


def test_parse_ip_ipv6_names_the_family():
    with pytest.raises(IPAMError, match='is an IPv6 address; this option takes IPv4'):
        ipam.parse_ip('fd00::1')


def test_parse_ip_rejects_prefix():
    with pytest.raises(IPAMError, match='without a prefix length'):
        ipam.parse_ip('10.0.0.1/24')


# ---------------------------------------------------------------------------
# parse_subnet and friends
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('value', ['172.18.0.0/16', '10.0.0.0/24', '192.168.16.0/20', '10.0.0.0/8', '10.0.0.4/30', '10.0.0.0/31', '10.0.0.7/32'])
def test_parse_subnet_ok(value):
    net = ipam.parse_subnet(value)
    assert net == NET(value)
    assert str(net) == value


def test_parse_subnet_host_bits_did_you_mean():
    with pytest.raises(IPAMError) as exc:
        ipam.parse_subnet('172.18.0.1/16')
    assert str(exc.value) == "subnet '172.18.0.1/16': host bits are set; did you mean 172.18.0.0/16?"


def test_parse_subnet_requires_prefix():
    with pytest.raises(IPAMError, match='CIDR notation'):
        ipam.parse_subnet('172.18.0.0')


def test_parse_subnet_ipv6_names_the_family():
    with pytest.raises(IPAMError, match='is an IPv6 network; this option takes IPv4'):
        ipam.parse_subnet('fd00:dead:beef::/64')
    with pytest.raises(IPAMError, match='is an IPv6 network; this option takes IPv4'):
        ipam.parse_subnet('fd00::')


@pytest.mark.parametrize('value', ['10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/024', '10.0.0.0/x', '10.0.0/24', '300.0.0.0/8', '10.0.0.0/24/1'])
def test_parse_subnet_bad_syntax(value):
    with pytest.raises(IPAMError) as exc:
        ipam.parse_subnet(value)
    assert exc.value.option == 'subnet'
    assert exc.value.value == value


def test_parse_subnet_prefix_limits():
    with pytest.raises(IPAMError, match='out of range'):
        ipam.parse_subnet('0.0.0.0/0')
    with pytest.raises(IPAMError, match=r'use /8 to /30'):
        ipam.parse_subnet('10.0.0.0/31', min_prefixlen=8, max_prefixlen=30)
    with pytest.raises(IPAMError, match=r'use /8 to /30'):
        ipam.parse_subnet('10.0.0.0/7', min_prefixlen=8, max_prefixlen=30)


@pytest.mark.parametrize('value, label', [('127.0.0.0/8', 'loopback'), ('127.1.0.0/16', 'loopback'), ('224.0.0.0/24', 'multicast'),
                                          ('0.0.0.0/8', 'this network'), ('255.255.255.255/32', 'limited broadcast')])
def test_parse_subnet_special_ranges(value, label):
    with pytest.raises(IPAMError, match=label):
        ipam.parse_subnet(value)


def test_parse_interface_address_keeps_host_bits():
    addr = ipam.parse_interface_address('10.138.3.130/24')
    assert addr.ip == IP('10.138.3.130')
    assert addr.cidr == NET('10.138.3.0/24')


@pytest.mark.parametrize('a, b, expected', [
    ('172.18.0.0/16', '172.18.5.0/24', True),
    ('172.18.0.0/16', '172.19.0.0/16', False),
    ('10.0.0.0/8', '10.255.255.255/32', True),
    ('10.0.0.0/25', '10.0.0.128/25', False),
])
def test_networks_overlap(a, b, expected):
    assert ipam.networks_overlap(NET(a), NET(b)) is expected
    assert ipam.networks_overlap(NET(b), NET(a)) is expected


# ---------------------------------------------------------------------------
# gateway, ip_range, aux_addresses
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('subnet, gateway', [('172.17.0.0/16', '172.17.0.1'), ('10.0.0.0/24', '10.0.0.1'), ('10.0.0.4/30', '10.0.0.5'),
                                             ('10.0.0.0/31', '10.0.0.0'), ('10.0.0.9/32', '10.0.0.9')])
def test_default_gateway(subnet, gateway):
    assert ipam.default_gateway(NET(subnet)) == IP(gateway)
    assert ipam.parse_gateway(None, NET(subnet)) == IP(gateway)


def test_parse_gateway_explicit_ok():
    assert ipam.parse_gateway('10.0.0.254', NET('10.0.0.0/24')) == IP('10.0.0.254')


@pytest.mark.parametrize('gateway, message', [
    ('10.0.1.1', 'is not inside subnet 10.0.0.0/24'),
    ('10.0.0.0', 'is the network address of subnet 10.0.0.0/24'),
    ('10.0.0.255', 'is the broadcast address of subnet 10.0.0.0/24'),
    ('10.0.0', 'not a valid IPv4 address'),
])
def test_parse_gateway_errors(gateway, message):
    with pytest.raises(IPAMError) as exc:
        ipam.parse_gateway(gateway, NET('10.0.0.0/24'))
    assert exc.value.option == 'gateway'
    assert message in str(exc.value)
    assert "'%s'" % gateway in str(exc.value)


def test_parse_gateway_slash31_both_addresses_allowed():
    assert ipam.parse_gateway('10.0.0.1', NET('10.0.0.0/31')) == IP('10.0.0.1')
    assert ipam.parse_gateway('10.0.0.0', NET('10.0.0.0/31')) == IP('10.0.0.0')


def test_parse_ip_range_ok_and_none():
    assert ipam.parse_ip_range('10.0.0.32/28', NET('10.0.0.0/24')) == NET('10.0.0.32/28')
    assert ipam.parse_ip_range('10.0.0.0/24', NET('10.0.0.0/24')) == NET('10.0.0.0/24')
    assert ipam.parse_ip_range(None, NET('10.0.0.0/24')) is None


def test_parse_ip_range_outside_subnet():
    with pytest.raises(IPAMError, match=r"ip_range '10\.0\.1\.0/28': is not inside subnet 10\.0\.0\.0/24"):
        ipam.parse_ip_range('10.0.1.0/28', NET('10.0.0.0/24'))
    with pytest.raises(IPAMError, match='is not inside subnet'):
        ipam.parse_ip_range('10.0.0.0/23', NET('10.0.0.0/24'))


def test_parse_ip_range_host_bits():
    with pytest.raises(IPAMError, match='did you mean 10.0.0.32/28'):
        ipam.parse_ip_range('10.0.0.33/28', NET('10.0.0.0/24'))


def test_parse_aux_addresses_dict_and_list():
    subnet = NET('10.0.0.0/24')
    expected = {'a': IP('10.0.0.2'), 'router': IP('10.0.0.1')}
    assert ipam.parse_aux_addresses({'router': '10.0.0.1', 'a': '10.0.0.2'}, subnet, IP('10.0.0.254')) == expected
    assert ipam.parse_aux_addresses(['router=10.0.0.1', 'a=10.0.0.2'], subnet, IP('10.0.0.254')) == expected
    assert list(ipam.parse_aux_addresses({'z': '10.0.0.3', 'a': '10.0.0.2'}, subnet)) == ['a', 'z']
    assert not ipam.parse_aux_addresses(None, subnet)


@pytest.mark.parametrize('aux, option, message', [
    ({'r': '10.0.1.1'}, 'aux_addresses.r', 'is not inside subnet 10.0.0.0/24'),
    ({'r': '10.0.0.254'}, 'aux_addresses.r', 'is the gateway'),
    ({'r': '10.0.0.0'}, 'aux_addresses.r', 'is the network address'),
    ({'r': '10.0.0.255'}, 'aux_addresses.r', 'is the broadcast address'),
    ({'a': '10.0.0.5', 'b': '10.0.0.5'}, 'aux_addresses.b', "is also aux address 'a'"),
    ({'': '10.0.0.5'}, 'aux_addresses', 'non-empty'),
    ({'r': 'bogus'}, 'aux_addresses.r', 'not a valid IPv4 address'),
    (['r:10.0.0.5'], 'aux_addresses', 'name=ip'),
    ('r=10.0.0.5', 'aux_addresses', 'expected a dict'),
])
def test_parse_aux_addresses_errors(aux, option, message):
    with pytest.raises(IPAMError) as exc:
        ipam.parse_aux_addresses(aux, NET('10.0.0.0/24'), IP('10.0.0.254'))
    assert exc.value.option == option
    assert message in str(exc.value)


# ---------------------------------------------------------------------------
# Overlap between managed networks
# ---------------------------------------------------------------------------

def test_check_subnet_overlaps_names_both_networks():
    others = {'bridge': '172.17.0.0/16', 'web': '172.18.0.0/16'}
    with pytest.raises(IPAMError) as exc:
        ipam.check_subnet_overlaps(NET('172.18.5.0/24'), others, name='db')
    text = str(exc.value)
    assert "network 'db'" in text and "network 'web'" in text
    assert '172.18.5.0/24' in text and '172.18.0.0/16' in text
    assert exc.value.option == 'subnet'


def test_check_subnet_overlaps_ignores_itself_and_disjoint():
    others = {'bridge': '172.17.0.0/16', 'web': ['172.18.0.0/16'], 'empty': None}
    ipam.check_subnet_overlaps(NET('172.18.0.0/16'), others, name='web')
    ipam.check_subnet_overlaps(NET('172.19.0.0/16'), others, name='db')


# ---------------------------------------------------------------------------
# MAC and interface names
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [
    ('02:42:AC:11:00:02', '02:42:ac:11:00:02'),
    ('02-42-ac-11-00-02', '02:42:ac:11:00:02'),
    ('0242.ac11.0002', '02:42:ac:11:00:02'),
    ('0242AC110002', '02:42:ac:11:00:02'),
])
def test_normalize_mac_ok(value, expected):
    assert ipam.normalize_mac(value) == expected


@pytest.mark.parametrize('value, message', [
    ('01:00:5e:00:00:01', 'multicast'),
    ('ff:ff:ff:ff:ff:ff', 'multicast'),
    ('00:00:00:00:00:00', 'all-zero'),
    ('02:42:ac:11:00', 'not a valid MAC'),
    ('02:42-ac:11:00:02', 'not a valid MAC'),
    ('2:42:ac:11:0:2', 'not a valid MAC'),
    ('zz:42:ac:11:00:02', 'not a valid MAC'),
    ('', 'not a valid MAC'),
])
def test_normalize_mac_errors(value, message):
    with pytest.raises(IPAMError, match=message) as exc:
        ipam.normalize_mac(value, 'endpoints[web].mac')
    assert exc.value.option == 'endpoints[web].mac'


@pytest.mark.parametrize('ip, mac', [('172.17.0.2', '02:42:ac:11:00:02'), ('10.0.0.100', '02:42:0a:00:00:64'), ('192.168.255.254', '02:42:c0:a8:ff:fe')])
def test_docker_mac(ip, mac):
    assert ipam.docker_mac(ip) == mac
    assert ipam.docker_mac(IP(ip)) == mac
    assert ipam.normalize_mac(mac) == mac


@pytest.mark.parametrize('name', ['eth0', 'docker0', 'br-0123456789ab', 'ens33.10', 'a' * 15, 'veth-é1'])
def test_validate_ifname_ok(name):
    assert _validate.validate_ifname(name) == name


@pytest.mark.parametrize('name, message', [
    ('a' * 16, 'limited to 15 bytes'),
    ('vethéééééééé', 'limited to 15 bytes'),
    ('.', "'.' and '..'"),
    ('..', "'.' and '..'"),
    ('eth/0', 'cannot contain'),
    ('eth:0', 'cannot contain'),
    ('eth 0', 'cannot contain'),
    ('eth\t0', 'cannot contain'),
    ('', 'non-empty'),
    (None, 'non-empty'),
])
def test_validate_ifname_errors(name, message):
    with pytest.raises(IPAMError, match=message) as exc:
        _validate.validate_ifname(name, 'bridge_name')
    assert exc.value.option == 'bridge_name'


def test_next_ifname():
    assert ipam.next_ifname([]) == 'eth0'
    assert ipam.next_ifname(['eth0']) == 'eth1'
    assert ipam.next_ifname(['eth0', 'eth2', 'lo']) == 'eth1'


# ---------------------------------------------------------------------------
# default-address-pools
# ---------------------------------------------------------------------------

def test_default_pools_expand_like_docker():
    subnets = [str(net) for net in ipam.pool_subnets()]
    assert subnets[:15] == ['172.%d.0.0/16' % i for i in range(17, 32)]
    assert subnets[15:] == ['192.168.%d.0/20' % (i * 16) for i in range(16)]
    assert len(subnets) == 31


def test_first_custom_network_is_172_18_when_docker0_holds_172_17():
    assert ipam.next_free_subnet(['172.17.0.0/16']) == NET('172.18.0.0/16')


def test_default_bridge_gets_172_17_on_an_empty_host():
    assert ipam.next_free_subnet([]) == NET('172.17.0.0/16')


def test_next_free_subnet_skips_host_addresses_and_routes():
    taken = ['172.17.0.1/16', '172.18.0.0/16', '10.138.3.130/24', '172.19.200.0/24', '0.0.0.0/0', 'fe80::1/64', '127.0.0.1/8']
    assert ipam.next_free_subnet(taken) == NET('172.20.0.0/16')


def test_next_free_subnet_accepts_netaddr_objects_and_bare_addresses():
    taken = [NET('172.17.0.0/16'), IP('172.18.3.4'), '172.19.0.1', NET('fd00::/64'), IP('::1')]
    assert ipam.next_free_subnet(taken) == NET('172.20.0.0/16')


def test_next_free_subnet_big_blocker_skips_to_192_168():
    assert ipam.next_free_subnet(['172.16.0.0/12']) == NET('192.168.0.0/20')
    assert ipam.next_free_subnet(['172.16.0.0/12', '192.168.1.0/24']) == NET('192.168.16.0/20')


def test_next_free_subnet_exhausted():
    with pytest.raises(IPAMError) as exc:
        ipam.next_free_subnet(['172.16.0.0/12', '192.168.0.0/16'])
    assert exc.value.option == 'default_address_pools'
    assert 'could not find an available, non-overlapping IPv4 subnet' in str(exc.value)
    assert '172.17.0.0/16' in str(exc.value)


def test_next_free_subnet_user_pools():
    pools = [{'base': '10.10.0.0/16', 'size': 24}]
    assert ipam.next_free_subnet([], pools) == NET('10.10.0.0/24')
    assert ipam.next_free_subnet(['10.10.0.0/24', '10.10.1.0/25'], pools) == NET('10.10.2.0/24')
    assert ipam.next_free_subnet(['10.10.0.0/24'], [{'base': '10.10.0.0/16', 'size': '24'}]) == NET('10.10.1.0/24')


def test_next_free_subnet_large_pool_is_fast():
    pools = [{'base': '10.0.0.0/8', 'size': 24}]
    taken = ['10.0.0.0/9', '10.128.0.0/10', '10.192.0.0/24']
    assert ipam.next_free_subnet(taken, pools) == NET('10.192.1.0/24')


@pytest.mark.parametrize('pools, option, message', [
    ([], 'default_address_pools', 'non-empty list'),
    ('172.17.0.0/16', 'default_address_pools', 'non-empty list'),
    ([{'base': '10.0.0.0/8'}], 'default_address_pools[0]', 'base and size'),
    ([{'base': '10.0.0.0/8', 'size': 24, 'x': 1}], 'default_address_pools[0]', 'base and size'),
    ([{'base': '10.0.0.1/8', 'size': 24}], 'default_address_pools[0].base', 'did you mean 10.0.0.0/8'),
    ([{'base': '10.0.0.0/16', 'size': 8}], 'default_address_pools[0].size', 'between'),
    ([{'base': '10.0.0.0/16', 'size': 33}], 'default_address_pools[0].size', 'between'),
    ([{'base': '10.0.0.0/16', 'size': 'big'}], 'default_address_pools[0].size', 'prefix length'),
])
def test_parse_address_pools_errors(pools, option, message):
    with pytest.raises(IPAMError, match=message) as exc:
        ipam.parse_address_pools(pools)
    assert exc.value.option == option


# ---------------------------------------------------------------------------
# AddressPool: validation
# ---------------------------------------------------------------------------

def test_pool_defaults_like_docker_bridge():
    pool = ipam.AddressPool('172.17.0.0/16')
    assert pool.gateway == IP('172.17.0.1')
    assert pool.config() == {'subnet': '172.17.0.0/16', 'gateway': '172.17.0.1', 'ip_range': None, 'aux_addresses': {}}


def test_pool_gateway_default_ignores_ip_range():
    pool = ipam.AddressPool('10.0.0.0/24', ip_range='10.0.0.32/28')
    assert pool.gateway == IP('10.0.0.1')


def test_pool_option_prefix_in_errors():
    with pytest.raises(IPAMError) as exc:
        ipam.AddressPool('10.0.0.0/24', gateway='10.0.1.1', option_prefix='networks[0].')
    assert exc.value.option == 'networks[0].gateway'


def test_pool_aux_equal_to_default_gateway_fails():
    with pytest.raises(IPAMError, match='is the gateway'):
        ipam.AddressPool('10.0.0.0/24', aux_addresses={'r': '10.0.0.1'})


def test_pool_reserved_and_capacity():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/28', aux_addresses={'r': '10.0.0.33'})
    reserved = pool.reserved()
    assert reserved[int(IP('10.0.0.0'))].startswith('the network address')
    assert reserved[int(IP('10.0.0.255'))].startswith('the broadcast address')
    assert reserved[int(IP('10.0.0.254'))].startswith('the gateway')
    assert reserved[int(IP('10.0.0.33'))] == "aux address 'r'"
    assert pool.capacity() == 15
    assert ipam.AddressPool('10.0.0.0/24').capacity() == 253


# ---------------------------------------------------------------------------
# AddressPool: allocation
# ---------------------------------------------------------------------------

def test_seed_custom_bridge_first_containers():
    pool = ipam.AddressPool('172.18.0.0/16')
    assert _strs(pool.allocate(['c1', 'c2'])) == {'c1': '172.18.0.2', 'c2': '172.18.0.3'}


def test_seed_macvlan_allocates_first_address_of_ip_range():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/28')
    assert _strs(pool.allocate(['c1', 'c2'])) == {'c1': '10.0.0.32', 'c2': '10.0.0.33'}


def test_seed_macvlan_explicit_ips():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/28')
    assert _strs(pool.allocate({'c1': '10.0.0.100', 'c2': '10.0.0.101'})) == {'c1': '10.0.0.100', 'c2': '10.0.0.101'}


def test_ip_range_at_subnet_start_skips_network_and_gateway():
    pool = ipam.AddressPool('10.0.0.0/24', ip_range='10.0.0.0/28')
    assert _strs(pool.allocate(['a'])) == {'a': '10.0.0.2'}


def test_allocation_skips_gateway_and_aux():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.2', aux_addresses={'x': '10.0.0.3', 'y': '10.0.0.5'})
    assert _strs(pool.allocate(['a', 'b', 'c'])) == {'a': '10.0.0.1', 'b': '10.0.0.4', 'c': '10.0.0.6'}


def test_allocation_accepts_endpoint_dicts_in_order():
    pool = ipam.AddressPool('172.18.0.0/16')
    result = pool.allocate([{'name': 'b'}, {'name': 'a', 'ip': '172.18.0.2'}, {'name': 'c', 'ip': ''}])
    assert list(result) == ['b', 'a', 'c']
    assert _strs(result) == {'b': '172.18.0.3', 'a': '172.18.0.2', 'c': '172.18.0.4'}


def test_allocation_is_deterministic():
    pool = ipam.AddressPool('172.18.0.0/16')
    first = pool.allocate(['x', 'y', 'z'])
    assert pool.allocate(['x', 'y', 'z']) == first


def test_existing_allocation_is_stable():
    pool = ipam.AddressPool('172.18.0.0/16')
    existing = {'web': '172.18.0.3', 'db': '172.18.0.2'}
    result = pool.allocate(['new', 'web', 'db'], existing=existing)
    assert _strs(result) == {'new': '172.18.0.4', 'web': '172.18.0.3', 'db': '172.18.0.2'}


def test_existing_endpoint_not_requested_keeps_its_address():
    pool = ipam.AddressPool('172.18.0.0/16')
    result = pool.allocate(['new'], existing={'old': '172.18.0.2'})
    assert _strs(result) == {'new': '172.18.0.3'}


def test_freed_address_is_reused_lowest_first():
    pool = ipam.AddressPool('172.18.0.0/16')
    result = pool.allocate(['c', 'd'], existing={'a': '172.18.0.2', 'c': '172.18.0.4'})
    assert _strs(result) == {'c': '172.18.0.4', 'd': '172.18.0.3'}


def test_existing_allocation_now_reserved_is_moved():
    pool = ipam.AddressPool('172.18.0.0/16', aux_addresses={'r': '172.18.0.2'})
    assert _strs(pool.allocate(['a'], existing={'a': '172.18.0.2'})) == {'a': '172.18.0.3'}


def test_existing_allocation_outside_subnet_is_moved():
    pool = ipam.AddressPool('172.19.0.0/16')
    assert _strs(pool.allocate(['a'], existing={'a': '172.18.0.2'})) == {'a': '172.19.0.2'}


def test_existing_allocation_outside_ip_range_is_kept():
    pool = ipam.AddressPool('10.0.0.0/24', ip_range='10.0.0.32/28')
    assert _strs(pool.allocate(['a'], existing={'a': '10.0.0.7'})) == {'a': '10.0.0.7'}


def test_duplicate_existing_addresses_are_repaired():
    pool = ipam.AddressPool('172.18.0.0/16')
    result = pool.allocate(['a', 'b'], existing={'a': '172.18.0.2', 'b': '172.18.0.2'})
    assert _strs(result) == {'a': '172.18.0.2', 'b': '172.18.0.3'}


def test_explicit_ip_outside_ip_range_but_inside_subnet_is_allowed():
    pool = ipam.AddressPool('10.0.0.0/24', ip_range='10.0.0.32/28')
    assert _strs(pool.allocate({'a': '10.0.0.200', 'b': None})) == {'a': '10.0.0.200', 'b': '10.0.0.32'}


@pytest.mark.parametrize('ip, message', [
    ('10.0.1.5', 'is not inside subnet 10.0.0.0/24'),
    ('10.0.0.254', 'is the gateway of subnet 10.0.0.0/24'),
    ('10.0.0.0', 'is the network address of subnet 10.0.0.0/24'),
    ('10.0.0.255', 'is the broadcast address of subnet 10.0.0.0/24'),
    ('10.0.0.40', "is aux address 'router'"),
    ('10.0.0.x', 'not a valid IPv4 address'),
])
def test_explicit_ip_errors(ip, message):
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/28', aux_addresses={'router': '10.0.0.40'})
    with pytest.raises(IPAMError) as exc:
        pool.allocate({'web': ip})
    assert exc.value.option == 'endpoints[web].ip'
    assert exc.value.value == ip
    assert message in str(exc.value)


def test_explicit_ip_requested_twice_names_other_endpoint():
    pool = ipam.AddressPool('10.0.0.0/24')
    with pytest.raises(IPAMError, match="is also requested by endpoint 'a'") as exc:
        pool.allocate({'a': '10.0.0.9', 'b': '10.0.0.9'})
    assert exc.value.option == 'endpoints[b].ip'


def test_explicit_ip_held_by_unrequested_endpoint_names_holder():
    pool = ipam.AddressPool('10.0.0.0/24')
    with pytest.raises(IPAMError, match="is already used by endpoint 'old'") as exc:
        pool.allocate({'b': '10.0.0.9'}, existing={'old': '10.0.0.9'})
    assert exc.value.option == 'endpoints[b].ip'


def test_explicit_ip_held_by_requested_endpoint_names_holder():
    pool = ipam.AddressPool('10.0.0.0/24')
    with pytest.raises(IPAMError, match="is already used by endpoint 'a'"):
        pool.allocate({'a': None, 'b': '10.0.0.2'}, existing={'a': '10.0.0.2'})


def test_endpoint_moving_its_own_explicit_ip_is_fine():
    pool = ipam.AddressPool('10.0.0.0/24')
    assert _strs(pool.allocate({'a': '10.0.0.9'}, existing={'a': '10.0.0.2'})) == {'a': '10.0.0.9'}


def test_endpoint_listed_twice_fails():
    pool = ipam.AddressPool('10.0.0.0/24')
    with pytest.raises(IPAMError, match='listed twice'):
        pool.allocate(['a', 'a'])


def test_bad_requests_fail():
    pool = ipam.AddressPool('10.0.0.0/24')
    with pytest.raises(IPAMError, match='expected a list'):
        pool.allocate('a')
    with pytest.raises(IPAMError, match='name and ip'):
        pool.allocate([{'ip': '10.0.0.5'}])


def test_ip_range_exhausted():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/30')
    assert len(pool.allocate(['a', 'b', 'c', 'd'])) == 4
    with pytest.raises(IPAMError) as exc:
        pool.allocate(['a', 'b', 'c', 'd', 'e'])
    assert exc.value.option == 'ip_range'
    assert exc.value.value == '10.0.0.32/30'
    assert "no free address left for endpoint 'e'" in str(exc.value)


def test_slash31_and_slash32():
    assert _strs(ipam.AddressPool('10.0.0.0/31').allocate(['a'])) == {'a': '10.0.0.1'}
    with pytest.raises(IPAMError, match='no free address'):
        ipam.AddressPool('10.0.0.0/31').allocate(['a', 'b'])
    with pytest.raises(IPAMError, match='no free address'):
        ipam.AddressPool('10.0.0.7/32').allocate(['a'])


def test_slash30_has_one_endpoint():
    assert _strs(ipam.AddressPool('10.0.0.4/30').allocate(['a'])) == {'a': '10.0.0.6'}


def test_large_allocation_is_quick_and_unique():
    pool = ipam.AddressPool('172.18.0.0/16')
    names = ['c%d' % i for i in range(2000)]
    result = pool.allocate(names)
    assert len(set(result.values())) == 2000
    assert str(result['c1999']) == '172.18.7.209'


# ---------------------------------------------------------------------------
# Allocation across hosts (macvlan role)
# ---------------------------------------------------------------------------

def test_across_hosts_no_duplicates():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/28')
    result = pool.allocate_across_hosts({'host1': ['c1'], 'host2': ['c1', 'c2']})
    assert {host: _strs(eps) for host, eps in result.items()} == {
        'host1': {'c1': '10.0.0.32'},
        'host2': {'c1': '10.0.0.33', 'c2': '10.0.0.34'},
    }


def test_across_hosts_explicit_first_and_existing_kept():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/28')
    result = pool.allocate_across_hosts(
        {'host1': {'a': None, 'b': '10.0.0.32'}, 'host2': {'c': None, 'd': None}, 'host3': {}},
        existing={'host2': {'c': '10.0.0.40', 'gone': '10.0.0.33'}},
    )
    assert {host: _strs(eps) for host, eps in result.items()} == {
        'host1': {'a': '10.0.0.34', 'b': '10.0.0.32'},
        'host2': {'c': '10.0.0.40', 'd': '10.0.0.35'},
        'host3': {},
    }


def test_across_hosts_duplicate_explicit_names_both_hosts():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254')
    with pytest.raises(IPAMError) as exc:
        pool.allocate_across_hosts({'host1': {'c1': '10.0.0.100'}, 'host2': {'c2': '10.0.0.100'}})
    assert exc.value.option == 'endpoints[c2@host2].ip'
    assert "endpoint 'c1' on host 'host1'" in str(exc.value)


def test_across_hosts_macs_are_unique():
    pool = ipam.AddressPool('10.0.0.0/24', gateway='10.0.0.254', ip_range='10.0.0.32/28')
    result = pool.allocate_across_hosts({'h%d' % i: ['c'] for i in range(10)})
    macs = [ipam.docker_mac(eps['c']) for eps in result.values()]
    assert len(set(macs)) == 10
