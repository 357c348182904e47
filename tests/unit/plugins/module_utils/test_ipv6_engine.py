# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The IPv6 engine's pure parts: the model's document keys, the IPv6 parsers and pool, the ULA default pool and the
subnet_v6 choice from snapshots, the option checks, and the IPv6 kernel requests."""

from __future__ import annotations

import copy
import hashlib
import json
import socket

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _default_route
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _network6
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

V4_DOC = {'name': 'n', 'id': 'a' * 64, 'driver': 'bridge', 'created': 'now', 'bridge': 'br-x', 'mtu': 1500, 'internal': False,
          'endpoints': {'c1': {'ip': '172.18.0.2', 'mac': '02:42:ac:12:00:02', 'ifname': 'eth0', 'endpoint_id': 'e', 'aliases': []}},
          'subnet': '172.18.0.0/16', 'gateway': '172.18.0.1', 'ip_range': None, 'aux_addresses': {}}
DUAL_DOC = dict(V4_DOC, enable_ipv6=True, subnet_v6='fd00:1::/64', gateway_v6='fd00:1::1', ip_range_v6=None,
                aux_addresses_v6={'r': 'fd00:1::9'}, gateway_mode_ipv6='routed',
                endpoints={'c1': dict(V4_DOC['endpoints']['c1'], ip6='fd00:1::2')})
V6_DOC = dict(DUAL_DOC, subnet=None, gateway=None, ip_range=None, aux_addresses=None, enable_ipv4=False,
              endpoints={'c1': dict(V4_DOC['endpoints']['c1'], ip=None, ip6='fd00:1::2')})


def dumps(doc):
    return json.dumps(doc, sort_keys=False)


# -- the model ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('doc', [V4_DOC, DUAL_DOC, V6_DOC], ids=['ipv4', 'dual', 'ipv6-only'])
def test_documents_round_trip(doc):
    written = _model.Network.from_doc(copy.deepcopy(doc)).to_doc()
    assert written == doc
    # What the module wrote reads back byte-identical (an IPv4 document as before IPv6 existed).
    assert dumps(_model.Network.from_doc(copy.deepcopy(written)).to_doc()) == dumps(written)
    if doc is V4_DOC:
        assert dumps(written) == dumps(doc)


def test_model_fields_per_family():
    v4, dual, v6 = (_model.Network.from_doc(copy.deepcopy(d)) for d in (V4_DOC, DUAL_DOC, V6_DOC))
    assert (v4.families, dual.families, v6.families) == ((4,), (4, 6), (6,))
    assert (dual.subnet6, dual.gateway6, dual.cidr6('fd00:1::2')) == ('fd00:1::/64', 'fd00:1::1', 'fd00:1::2/64')
    assert (v6.subnet, v6.gateway, v6.prefix) == (None, None, None)
    assert dual.endpoints['c1'].ip6 == 'fd00:1::2' and v4.endpoints['c1'].ip6 is None
    assert 'ip6' not in v4.endpoints['c1'].to_doc() and v6.endpoints['c1'].to_doc()['ip'] is None
    assert dual.options['gateway_mode_ipv6'] == 'routed'


def test_endpoint_spec_takes_ipv6_address():
    spec = _model.endpoint_specs([{'name': 'c1', 'ipv6_address': 'fd00:1::5'}])[0]
    assert spec.ip6 == 'fd00:1::5' and spec.ip is None


# -- parsers and the pool ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize('value, text', [
    ('fd00:1::/127', 'too small'),
    ('fd00:1::/128', 'too small'),
    ('fd00:1::1/64', 'host bits are set'),
    ('10.0.0.0/24', 'is an IPv4 network; this option takes IPv6'),
    ('fe80::/64', 'link-local'),
    ('ff02::/64', 'multicast'),
    ('fd00:1::', 'CIDR notation'),
])
def test_bad_subnet_v6_names_option_and_value(value, text):
    with pytest.raises(_validate.InputError) as exc:
        _ipam6.parse_subnet(value)
    assert exc.value.option == 'subnet_v6' and str(exc.value).startswith("subnet_v6 '%s'" % value) or value in str(exc.value)
    assert text in str(exc.value)


def test_pool_gateway_outside_and_ipv4_values_refused():
    with pytest.raises(_validate.InputError, match="gateway_v6 'fd00:2::1'.*not inside subnet fd00:1::/64"):
        _ipam6.AddressPool('fd00:1::/64', 'fd00:2::1')
    with pytest.raises(_validate.InputError, match="gateway_v6 '10.0.0.1'.*IPv4 address; this option takes IPv6"):
        _ipam6.AddressPool('fd00:1::/64', '10.0.0.1')
    with pytest.raises(_validate.InputError, match='gateway_v6.*subnet-router anycast'):
        _ipam6.AddressPool('fd00:1::/64', 'fd00:1::')


def test_pool_allocates_skipping_anycast_gateway_and_aux():
    pool = _ipam6.AddressPool('fd00:1::/126', None, None, {'r': 'fd00:1::2'})
    assert str(pool.gateway) == 'fd00:1::1'
    got = pool.allocate([{'name': 'a', 'ip': None}])
    assert str(got['a']) == 'fd00:1::3'
    with pytest.raises(_validate.InputError, match='no free address'):
        pool.allocate([{'name': 'a', 'ip': None}, {'name': 'b', 'ip': None}])
    with pytest.raises(_validate.InputError, match='is the gateway'):
        pool.check_ip('fd00:1::1')


def test_explicit_ipv6_address_errors_name_the_endpoint_option():
    pool = _ipam6.AddressPool('fd00:1::/64')
    specs = _model.endpoint_specs([{'name': 'c1'}, {'name': 'c2', 'ipv6_address': 'fd00:2::5'}])
    with pytest.raises(_validate.InputError) as exc:
        _network6.allocate(specs, [{}, {}], False, pool, {})
    assert exc.value.option == 'endpoints[1].ipv6_address' and 'not inside subnet' in str(exc.value)
    stored = {'endpoints': {'c1': {'ip6': 'fd00:1::7'}}}
    specs = _model.endpoint_specs([{'name': 'c1'}, {'name': 'c2', 'ipv6_address': 'fd00:1::7'}])
    with pytest.raises(_validate.InputError, match="endpoints\\[1\\].ipv6_address 'fd00:1::7'.*already used by endpoint 'c1'"):
        _network6.allocate(specs, [{}, {}], False, pool, stored)


# -- the ULA pool and the subnet_v6 choice -----------------------------------------------------------------------------
def test_ula_pool_from_machine_id():
    base, size = _ipam6.ula_pool('0123456789abcdef0123456789abcdef\n')[0]
    digest = hashlib.sha256(b'0123456789abcdef0123456789abcdef').hexdigest()
    assert size == 64 and base.prefixlen == 48
    assert str(base) == str(_ipam6.netaddr.IPNetwork('fd%s:%s:%s::/48' % (digest[:2], digest[2:6], digest[6:10])))


def snap6(routes=(), addrs=()):
    snap = _snapshot.Snapshot([])
    snap.routes6 = [{'dst': r, 'dst_len': int(r.split('/')[1]), 'table': 254, 'oif': 2, 'gateway': None} for r in routes]
    snap.addrs6 = [{'index': 2, 'address': a} for a in addrs]
    return snap


def test_subnet_v6_skips_host_routes_addresses_and_other_networks():
    base = _ipam6.ula_pool('m')[0][0]
    first = base.network
    nets = ['%s/64' % _ipam6.netaddr.IPAddress(int(first) + (i << 64), 6) for i in range(4)]
    snap = snap6(routes=[nets[0], '::/0', 'fe80::/64'], addrs=[nets[1].replace('::/64', '::5/64')])
    others = {'o': {'subnet_v6': nets[2]}}
    assert str(_network6.choose_subnet({}, {}, others, snap, 'm')) == nets[3]
    # The IPv6 entries of address_pools come first, the IPv4 ones are the IPv4 subnet's.
    params = {'address_pools': [{'base': '10.10.0.0/16', 'size': 24}, {'base': 'fd12:3456::/48', 'size': 64}]}
    assert str(_network6.choose_subnet(params, {}, {}, snap6(), 'm')) == 'fd12:3456::/64'
    # Kept across reruns.
    assert str(_network6.choose_subnet({}, {'subnet_v6': 'fd99::/64'}, {}, snap, 'm')) == 'fd99::/64'


def test_subnet_v6_overlapping_another_network_refused():
    with pytest.raises(_validate.InputError, match="subnet_v6 'fd00:1::/64'.*overlaps subnet_v6 fd00:1::/48 of network 'o'"):
        _network6.address_pool({}, {}, {'o': {'subnet_v6': 'fd00:1::/48'}}, _ipam6.parse_subnet('fd00:1::/64'))


# -- option checks -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('params, option', [
    ({'subnet_v6': 'fd00::/64'}, 'subnet_v6'),
    ({'gateway_v6': 'fd00::1'}, 'gateway_v6'),
    ({'ip_range_v6': 'fd00::/80'}, 'ip_range_v6'),
    ({'gateway_mode_ipv6': 'routed'}, 'gateway_mode_ipv6'),
    ({'aux_addresses': {'r': 'fd00::9'}}, 'aux_addresses.r'),
    ({'address_pools': [{'base': 'fd00::/48', 'size': 64}]}, 'address_pools'),
    ({'endpoints': [{'name': 'c', 'ipv6_address': 'fd00::5'}]}, 'endpoints[0].ipv6_address'),
])
def test_ipv6_options_need_enable_ipv6(params, option):
    with pytest.raises(_validate.InputError) as exc:
        _network6.families(params, {})
    assert exc.value.option == option and 'needs enable_ipv6: true' in str(exc.value)


def test_families_checks():
    assert _network6.families({'enable_ipv6': True}, {}) == (True, True)
    assert _network6.families({'enable_ipv6': True, 'enable_ipv4': False}, {}) == (False, True)
    with pytest.raises(_validate.InputError, match='^enable_ipv4 '):
        _network6.families({'enable_ipv4': False}, {})
    with pytest.raises(_validate.InputError, match="^subnet '10.0.0.0/24'.*needs enable_ipv4"):
        _network6.families({'enable_ipv4': False, 'enable_ipv6': True, 'subnet': '10.0.0.0/24'}, {})
    with pytest.raises(_validate.InputError, match='^enable_ipv6 .*IPv6 is disabled on this host'):
        _network6.families({'enable_ipv6': True}, {}, ipv6_on=False)
    with pytest.raises(_validate.InputError, match='^enable_ipv6 .*address families are fixed'):
        _network6.families({'enable_ipv6': True}, copy.deepcopy(V4_DOC))


# -- default route election and kernel requests ------------------------------------------------------------------------
def test_ipv6_candidates_use_gateway_v6():
    docs = {'dual': DUAL_DOC, 'v4': dict(V4_DOC, name='v4')}
    cands = _default_route.memberships(docs, 6)['c1']
    assert cands['dual'].gateway == 'fd00:1::1' and cands['v4'].gateway is None
    assert _default_route.elect(list(cands.values())).network == 'dual'


def test_ipv6_requests():
    msg = _kernel.addr_request(_kernel.RTM_NEWADDR, 5, 'fd00:1::2/64')
    assert msg['family'] == socket.AF_INET6 and msg['flags'] & _kernel.IFA_F_NODAD and msg['prefixlen'] == 64
    assert _kernel.default_route_request('fd00:1::1', 5)['family'] == socket.AF_INET6
    assert _kernel.route_del_request('fd00:1::1', 5)['family'] == socket.AF_INET6
    assert _kernel.route_del_request(None, 5)['family'] == socket.AF_INET


def test_global_addresses_leave_link_local_out():
    addrs = [{'index': 3, 'address': 'fe80::1/64'}, {'index': 3, 'address': 'fd00:1::2/64'}, {'index': 4, 'address': 'fd00:1::3/64'}]
    assert _snapshot.global6(addrs, 3) == ['fd00:1::2/64']


# -- restore -----------------------------------------------------------------------------------------------------------
def test_restore_parameters_carry_ipv6():
    p = _restore.bridge_params(copy.deepcopy(DUAL_DOC))
    assert (p['enable_ipv6'], p['enable_ipv4'], p['subnet_v6'], p['gateway_v6'], p['gateway_mode_ipv6']) == \
        (True, True, 'fd00:1::/64', 'fd00:1::1', 'routed')
    assert p['aux_addresses'] == {'r': 'fd00:1::9'} and p['endpoints'][0]['ipv6_address'] == 'fd00:1::2'
    p = _restore.bridge_params(copy.deepcopy(V6_DOC))
    assert p['enable_ipv4'] is False and p['endpoints'][0]['ip'] is None
    assert _restore.publish_strings([{'host_ip': '::', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp'}]) == ['[::]:8080:80/tcp']


def test_a_restore_that_would_move_an_ipv6_address_is_refused():
    after = copy.deepcopy(DUAL_DOC)
    after['endpoints']['c1']['ip6'] = 'fd00:1::3'
    assert _restore.moved(copy.deepcopy(DUAL_DOC), after) == ['c1 ip6 fd00:1::2 -> fd00:1::3']
