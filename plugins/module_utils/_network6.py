# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's address families: which it has (enable_ipv4, enable_ipv6), the checks of the IPv6 options, the
subnet_v6 choice and the IPv6 address pool, and the endpoints' IPv6 addresses.  Pure: the snapshot (the host's IPv6
addresses and routes, whether IPv6 is on) and the host's machine id are handed in.
"""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

MACHINE_ID = '/etc/machine-id'
_NEEDS_V6 = "needs enable_ipv6: true"
_V6_OPTIONS = ('subnet_v6', 'gateway_v6', 'ip_range_v6')


def read_machine_id(path=MACHINE_ID):
    """The host's machine id (the ULA pool's seed), '' when it has none."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return ''


def wants_v6(params, stored):
    """Whether a run of this network involves IPv6 (then the snapshot reads the IPv6 side of the host)."""
    return bool(params.get('enable_ipv6')) or bool((stored or {}).get('enable_ipv6'))


def _check_v6_off(params):
    """Every IPv6 option given while enable_ipv6 is false: an InputError naming it."""
    for key in _V6_OPTIONS:
        if params.get(key):
            raise _validate.InputError(key, params[key], _NEEDS_V6)
    if (params.get('gateway_mode_ipv6') or 'nat') != 'nat':
        raise _validate.InputError('gateway_mode_ipv6', params['gateway_mode_ipv6'], _NEEDS_V6)
    dummy, aux6 = _ipam6.split_aux_addresses(params.get('aux_addresses'))
    if aux6:
        name = sorted(aux6)[0]
        raise _validate.InputError('aux_addresses.%s' % name, aux6[name], _NEEDS_V6)
    dummy, pools6 = _ipam6.split_pools(params.get('address_pools'))
    if pools6:
        raise _validate.InputError('address_pools', str(pools6[0][0]), _NEEDS_V6)
    for i, ep in enumerate(params.get('endpoints') or []):
        if ep.get('ipv6_address'):
            raise _validate.InputError('endpoints[%d].ipv6_address' % i, ep['ipv6_address'], _NEEDS_V6)


def _check_v4_off(params):
    for key in ('subnet', 'gateway', 'ip_range'):
        if params.get(key):
            raise _validate.InputError(key, params[key], 'needs enable_ipv4: true (the network is IPv6-only)')
    aux4, dummy = _ipam6.split_aux_addresses(params.get('aux_addresses'))
    if aux4:
        name = sorted(aux4)[0]
        raise _validate.InputError('aux_addresses.%s' % name, aux4[name], 'needs enable_ipv4: true (the network is IPv6-only)')
    for i, ep in enumerate(params.get('endpoints') or []):
        if ep.get('ip'):
            raise _validate.InputError('endpoints[%d].ip' % i, ep['ip'], 'needs enable_ipv4: true (the network is IPv6-only)')


def families(params, stored, ipv6_on=True):
    """(IPv4, IPv6) the network has, every option checked against them; ``ipv6_on``: whether the host has IPv6.

    As in Docker, a network's families are set when it is made: changing them on a network with endpoints fails."""
    v4 = params.get('enable_ipv4', True) is not False
    v6 = bool(params.get('enable_ipv6'))
    if not v4 and not v6:
        raise _validate.InputError('enable_ipv4', False, 'a network needs an address family: set enable_ipv6: true for an IPv6-only network')
    if not v6:
        _check_v6_off(params)
    if not v4:
        _check_v4_off(params)
    if v6 and ipv6_on is False:
        raise _validate.InputError('enable_ipv6', True, 'IPv6 is disabled on this host (no /proc/sys/net/ipv6, or '
                                   'net.ipv6.conf.all.disable_ipv6 is 1); enable it or leave enable_ipv6 false')
    if stored and stored.get('endpoints'):
        for key, want, have in (('enable_ipv6', v6, bool(stored.get('enable_ipv6'))),
                                ('enable_ipv4', v4, stored.get('enable_ipv4', True) is not False)):
            if want != have:
                raise _validate.InputError(key, want, "network '%s' has endpoints and was made with %s: %s; as in Docker, a network's "
                                           "address families are fixed (remove its endpoints first)" % (stored['name'], key, str(have).lower()))
    return v4, v6


def choose_subnet(params, stored, others, snap, machine_id):
    """subnet_v6 as given, else as the network has it, else the first free /64 of the IPv6 address_pools (default
    Docker's ULA /48 from the host's machine id), never overlapping a host IPv6 route or address or another network."""
    if params.get('subnet_v6'):
        return _ipam6.parse_subnet(params['subnet_v6'])
    if stored.get('subnet_v6'):
        return _ipam6.parse_subnet(stored['subnet_v6'])
    dummy, pools = _ipam6.split_pools(params.get('address_pools'))
    taken = [r['dst'] for r in snap.routes6 if r['dst'] and r['dst_len']]
    taken += [a['address'] for a in snap.addrs6 if a['address']]
    taken += [doc['subnet_v6'] for doc in others.values() if doc.get('subnet_v6')]
    return _ipam6.next_free_subnet(taken, pools or _ipam6.ula_pool(machine_id))


def address_pool(params, stored, others, subnet):
    """The IPv6 pool: gateway_v6, ip_range_v6 and the IPv6 aux addresses as given, or as the network has them when
    omitted on an unchanged subnet_v6 (as the IPv4 ones)."""
    _ipam6.check_overlaps(subnet, others)
    same = stored.get('subnet_v6') == str(subnet)
    gateway = params.get('gateway_v6') or (stored.get('gateway_v6') if same else None)
    ip_range = params.get('ip_range_v6') or (stored.get('ip_range_v6') if same else None)
    dummy, aux = _ipam6.split_aux_addresses(params.get('aux_addresses'))
    if params.get('aux_addresses') is None and same:
        aux = stored.get('aux_addresses_v6')
    return _ipam6.AddressPool(str(subnet), gateway, ip_range, aux)


def allocate(specs, entries, purge, pool, stored, extra=(), held=None):
    """{name: IPv6 address} of the listed endpoints (explicit ipv6_address checked; the others keep theirs or get
    the lowest free one) with the unlisted endpoints the network keeps holding theirs.  ``extra``: the driver's own
    requests ({name, ip}: a macvlan host shim), ``held``: {name: address} held beside the endpoints' (the shim's, an
    overlay's remote containers'), as _planner.allocate."""
    current = stored.get('endpoints') or {}
    seen = {spec.name for spec in specs}
    keep = entries is None or not purge
    existing = {n: e.get('ip6') for n, e in current.items() if (keep or n in seen) and e.get('ip6')}
    existing.update(held or {})
    requested = [{'name': spec.name, 'ip': spec.ip6} for spec in specs] + list(extra)
    option = {spec.name: 'endpoints[%d].ipv6_address' % spec.index for spec in specs}
    try:
        return pool.allocate(requested, existing, option='endpoints')
    except _validate.InputError as exc:
        # The pool names endpoints[NAME].ip: say the option the user wrote.
        for name, opt in option.items():
            if exc.option == 'endpoints[%s].ip' % name:
                raise _validate.InputError(opt, exc.value, exc.message) from None
        raise
