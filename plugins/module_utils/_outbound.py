# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's outbound address: ``host_ipv4`` / ``host_ipv6`` (Docker's com.docker.network.host_ipv4 and host_ipv6).

The network's traffic leaving the host is SNATed to that host address instead of masqueraded (the rule itself is
_firewall_rules.masquerade's).  Parsing is pure and shared by the module and the bridge_network role's filter; the
check that the host holds the address takes the host's addresses from the caller's snapshot.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

# The option of each family.
KEYS = {4: 'host_ipv4', 6: 'host_ipv6'}
_FAMILY_HINT = {4: 'the network has no IPv4 (enable_ipv4: false)', 6: 'needs enable_ipv6: true'}


def parse(value, option, family):
    """One host address of ``family`` (4: host_ipv4, 6: host_ipv6), written one way; an address of the other family,
    a prefix length, or an address no packet leaves the host from (unspecified, loopback, multicast, link-local) is
    refused naming the option and the value."""
    ip = ipaddress.ip_address(str(_ipam6.parse_ip(value, option) if family == 6 else _ipam.parse_ip(value, option)))
    for bad, what in ((ip.is_unspecified, 'the unspecified address'), (ip.is_loopback, 'a loopback address'),
                      (ip.is_multicast, 'a multicast address'), (ip.is_link_local, 'a link-local address'),
                      (family == 4 and int(ip) == 0xFFFFFFFF, 'the broadcast address')):
        if bad:
            raise _validate.InputError(option, value, 'is %s; the outbound address must be a unicast address of the host' % what)
    return str(ip)


def host_addresses(addrs):
    """The addresses of a snapshot's address dump ({'address': 'addr/len'}) an outbound address may be, each written
    one way (no loopback or link-local one)."""
    found = (ipaddress.ip_address(a['address'].split('/', 1)[0]) for a in addrs if a.get('address'))
    return {str(ip) for ip in found if not (ip.is_loopback or ip.is_link_local)}


def _refuse_unused(p, family, option, value):
    """An outbound address the network would never use: no NAT of that family's traffic to give it to."""
    if p.get('internal'):
        raise _validate.InputError(option, value, 'an internal network has no outbound traffic to NAT')
    if p.get('ip_masquerade', True) is False:
        raise _validate.InputError(option, value, 'needs ip_masquerade: true (the outbound address replaces the masquerade, which is off)')
    mode_key = 'gateway_mode_ipv%d' % family
    if (p.get(mode_key) or 'nat') not in ('nat', 'nat-unprotected'):
        raise _validate.InputError(option, value, '%s %s has no NAT; the outbound address needs nat or nat-unprotected' % (mode_key, p[mode_key]))


def options(p, families, local):
    """{host_ipv4, host_ipv6} as the network's document keeps them (only those given), checked: the network's
    ``families`` have them, the network NATs that family's egress, and the host holds the address (``local``: {family:
    set of addresses}, None: not checked, as at boot, when DHCP may not have given it yet)."""
    out = {}
    for family, key in sorted(KEYS.items()):
        value = p.get(key)
        if value is None or value == '':
            continue
        address = parse(value, key, family)
        if family not in families:
            raise _validate.InputError(key, value, _FAMILY_HINT[family])
        _refuse_unused(p, family, key, value)
        if local is not None and address not in local.get(family, ()):
            held = sorted(local.get(family, ()), key=ipaddress.ip_address)
            raise _validate.InputError(key, value, 'is not an address of this host: use one of its addresses (%s)' % (', '.join(held) or 'none'))
        out[key] = address
    return out
