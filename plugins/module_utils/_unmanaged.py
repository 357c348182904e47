# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An unmanaged bridge network (docker_bridge ``unmanaged: true``): containers on a bridge the user owns (br0 enslaving
the LAN NIC; netavark's mode=unmanaged, libvirt's forward mode='bridge').

The collection attaches and addresses the endpoints and nothing else: no address on the bridge (the gateway is the LAN
router), no NAT or firewall rule of any kind, no name server (it would need an address on the bridge), and the bridge
itself is never changed or deleted (``bridge_created: false`` in the network's document).  The checks here run before
anything is planned, so bad input changes nothing, in check mode too.
"""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

# Options that ask for rules or an address of the collection's on the bridge, with the value that does: refused.
_NEEDS_RULES = (('internal', True), ('icc', False), ('userland_proxy', True), ('gateway_mode_ipv4', 'routed'),
                ('gateway_mode_ipv4', 'nat-unprotected'), ('gateway_mode_ipv4', 'isolated'), ('gateway_mode_ipv6', 'routed'),
                ('gateway_mode_ipv6', 'nat-unprotected'), ('gateway_mode_ipv6', 'isolated'))
_NEEDS_VALUE = ('host_ipv4', 'host_ipv6', 'trusted_host_interfaces')
_NO_RULES = 'an unmanaged network gets no address, NAT or firewall rule of the collection'


def wanted(p, stored):
    """Whether the network is unmanaged: as asked; changing it on an existing network is refused (the bridge would
    change owner, and the firewall rules and gateway address would come or go under running containers)."""
    want = bool(p.get('unmanaged'))
    if stored is not None and bool(stored.get('unmanaged')) != want:
        raise _validate.InputError('unmanaged', want, "network '%s' exists %s; it cannot change: remove the network and "
                                   'create it again' % (p['name'], 'unmanaged' if stored.get('unmanaged') else 'as a managed bridge network'))
    return want


def check_options(p, prefix=''):
    """The options of an unmanaged network (``p``: docker_bridge's parameters or a bridge_network role's networks entry,
    ``prefix`` before the option names in errors), before anything is read."""
    if p.get('name') == _network.DEFAULT_NETWORK:
        raise _validate.InputError(prefix + 'unmanaged', True, "the default network '%s' is docker0, the collection's own; "
                                   'give an unmanaged network another name' % p['name'])
    if not p.get('bridge_name'):
        raise _validate.InputError(prefix + 'bridge_name', p.get('bridge_name'),
                                   'unmanaged: true needs the name of an existing bridge of the host (such as br0)')
    _validate.validate_ifname(p['bridge_name'], prefix + 'bridge_name')
    # The LAN's subnet is the user's to give: the collection cannot pick a free one on someone else's segment.
    # (But with ipam_driver dhcp: the LAN's DHCP server gives the addresses, the subnet is then optional.)
    if p.get('enable_ipv4', True) is not False and not p.get('subnet') and p.get('ipam_driver') != 'dhcp':
        raise _validate.InputError(prefix + 'subnet', p.get('subnet'), "unmanaged: true needs the LAN's subnet (and its router as gateway)")
    if p.get('enable_ipv6') and not p.get('subnet_v6'):
        raise _validate.InputError(prefix + 'subnet_v6', p.get('subnet_v6'), "unmanaged: true with enable_ipv6 needs the LAN's IPv6 subnet")
    if p.get('dns'):
        raise _validate.InputError(prefix + 'dns', p['dns'], "the network's name server listens on the gateway address on the bridge, "
                                   'and an unmanaged network has none (the gateway is the LAN router): set dns false or leave it out')
    if p.get('dns_domain') is not None:
        raise _validate.InputError(prefix + 'dns_domain', p['dns_domain'], 'an unmanaged network has no name server (dns is off)')
    for option, value in _NEEDS_RULES:
        if p.get(option) == value:
            raise _validate.InputError(prefix + option, value, _NO_RULES)
    for option in _NEEDS_VALUE:
        if p.get(option):
            raise _validate.InputError(prefix + option, p[option], _NO_RULES)


def check_publish(option, value):
    """A publish on an unmanaged network: refused."""
    raise _validate.InputError(option, value, '%s, so it cannot publish ports: its containers are on the LAN, reach them at '
                               'their own address' % _NO_RULES)


def check(run):
    """The options of an unmanaged network, then its bridge: it exists on the host and is a bridge.  Returns its link
    (None for a network that is not unmanaged)."""
    p = run.p
    if not run.unmanaged:
        return None
    check_options(p)
    for i, ep in enumerate(p.get('endpoints') or []):
        if ep.get('publish'):
            check_publish('endpoints[%d].publish' % i, ep['publish'])
    br = run.snap.link(p['bridge_name'])
    if br is None:
        raise _validate.InputError('bridge_name', p['bridge_name'], 'the host has no interface %s; unmanaged: true attaches containers to '
                                   'an existing bridge and never creates one' % p['bridge_name'])
    if br['kind'] != 'bridge':
        raise _validate.InputError('bridge_name', p['bridge_name'], 'is a %s, not a bridge; unmanaged: true needs a bridge'
                                   % (br['kind'] or 'device'))
    if p.get('mtu') is not None and p['mtu'] != br['mtu']:
        # A bridge whose MTU nobody set takes the lowest of its ports': a smaller veth would lower the user's bridge.
        raise _validate.InputError('mtu', p['mtu'], 'an unmanaged network has the MTU of its bridge %s (%d): leave mtu out or give that'
                                   % (p['bridge_name'], br['mtu']))
    return br


def options():
    """What the network's document records of an unmanaged network: the bridge is not the collection's, and the
    firewall, the forwarding sysctls and the name server leave the network out."""
    return {'unmanaged': True, 'bridge_created': False, 'firewall': False, 'firewall_backend': None, 'ip_masquerade': False,
            'ip_forward': False, 'dns': False}


def held(run, family=4):
    """{key: address} of the host's own addresses on an unmanaged network's bridge (in the network's subnet or not, the
    pool ignores what is outside): no container is given one of them.  None for another network."""
    br = run.snap.link(run.p.get('bridge_name')) if run.unmanaged else None
    if br is None:
        return None
    have = run.snap.addresses(br['index']) if family == 4 else run.snap.addresses6(br['index'])
    ips = [a.split('/')[0] for a in have]
    return {'%s (the host, on %s)' % (ip, br['ifname']): ip for ip in ips}


def mtu(br):
    """An unmanaged network's MTU when not given: its bridge's (None for another network)."""
    return br['mtu'] if br is not None else None
