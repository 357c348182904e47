# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker network inspect: a network's state document shown the way Docker shows it."""

from __future__ import annotations

import datetime

from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_hook
from ansible_collections.hostnet.containers.plugins.module_utils import _network


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _public(doc):
    """The document as users see it (before/after/diff): no volatile bookkeeping."""
    if doc is None:
        return None
    out = {k: v for k, v in doc.items() if k != 'endpoints'}
    out['endpoints'] = {n: {k: v for k, v in e.items() if k not in ('default_route', 'connected')} for n, e in (doc.get('endpoints') or {}).items()}
    return out


def _config(subnet, gateway, ip_range, aux):
    config = {'Subnet': subnet, 'Gateway': gateway}
    if ip_range:
        config['IPRange'] = ip_range
    if aux:
        config['AuxiliaryAddresses'] = aux
    return config


def ipam_config(doc):
    """IPAM.Config as Docker lists it: the IPv4 entry (none on an IPv6-only network), then the IPv6 one."""
    out = []
    if doc.get('subnet'):
        out.append(_config(doc['subnet'], doc.get('gateway'), doc.get('ip_range'), doc.get('aux_addresses')))
    if doc.get('enable_ipv6') and doc.get('subnet_v6'):
        out.append(_config(doc['subnet_v6'], doc.get('gateway_v6'), doc.get('ip_range_v6'), doc.get('aux_addresses_v6')))
    return out


def with_prefix(ip, subnet):
    """'addr/prefix' as Docker shows an endpoint's address, '' when it has none of that family."""
    return '%s/%s' % (ip, subnet.split('/')[1]) if ip and subnet else ''


def _macvlan_options(doc):
    options = {'parent': doc['parent'], 'macvlan_mode': doc['mode']}
    if doc.get('host_shim'):
        # Not a Docker option: the host-side macvlan child and its address, so plays can see them.
        options['hostnet.containers.host_shim'] = doc['host_shim']['name']
        for key, option in (('ip', 'host_shim_ip'), ('ip6', 'host_shim_ip6')):
            if doc['host_shim'].get(key):
                options['hostnet.containers.' + option] = doc['host_shim'][key]
    return options


def _bridge_options(doc):
    options = {'com.docker.network.bridge.name': doc['bridge'], 'com.docker.network.driver.mtu': str(doc.get('mtu', 1500))}
    # Shown, as Docker shows a network's options, only when given; Docker separates the interfaces with colons.
    for key in ('gateway_mode_ipv4', 'gateway_mode_ipv6'):
        if doc.get(key):
            options['com.docker.network.bridge.' + key] = doc[key]
    if doc.get('trusted_host_interfaces'):
        options['com.docker.network.bridge.trusted_host_interfaces'] = ':'.join(doc['trusted_host_interfaces'])
    for key in ('host_ipv4', 'host_ipv6'):
        if doc.get(key):
            options['com.docker.network.' + key] = doc[key]
    if doc.get('unmanaged'):
        # Docker's option for a bridge that gets no address of the engine's, and netavark's mode=unmanaged.
        options['com.docker.network.bridge.inhibit_ipv4'] = 'true'
        options['hostnet.containers.mode'] = 'unmanaged'
    if doc.get('dns_domain'):
        # Not a Docker option (Docker's names have no domain): the domain the network's name server answers.
        options['hostnet.containers.dns_domain'] = doc['dns_domain']
    return options


LEASE_KEYS = ('address', 'prefix', 'gateway', 'dns', 'domain', 'lease_time', 'server', 'obtained', 'expires')


def _container(n, ep, doc, leases):
    """One endpoint as `docker network inspect` shows it; on a DHCP network its address from its lease (``leases``:
    {container: lease record}), and the lease itself."""
    out = {'Name': n, 'EndpointID': ep['endpoint_id'], 'MacAddress': ep['mac'], 'IPv4Address': with_prefix(ep.get('ip'), doc.get('subnet')),
           'IPv6Address': with_prefix(ep.get('ip6'), doc.get('subnet_v6'))}
    if doc.get('ipam_driver') == 'dhcp':
        lease = _dhcp_hook.applied((leases or {}).get(n))
        out['IPv4Address'] = '%s/%s' % (lease['address'], lease['prefix']) if lease else ''
        out['lease'] = {k: lease.get(k) for k in LEASE_KEYS} if lease else None
    return out


def inspect(doc, leases=None):
    """A network document in `docker network inspect` shape (``leases``: a DHCP network's, by container)."""
    options = _macvlan_options(doc) if doc.get('driver') == 'macvlan' else _bridge_options(doc)
    if doc['name'] == _network.DEFAULT_NETWORK:
        options['com.docker.network.bridge.default_bridge'] = 'true'
    out = {
        'Name': doc['name'], 'Id': doc['id'], 'Created': doc['created'], 'Scope': 'local', 'Driver': doc.get('driver', 'bridge'),
        'EnableIPv4': doc.get('enable_ipv4') is not False, 'EnableIPv6': bool(doc.get('enable_ipv6')),
        'IPAM': {'Driver': doc.get('ipam_driver') or 'default', 'Options': {}, 'Config': ipam_config(doc)},
        'Internal': bool(doc.get('internal', False)), 'Attachable': False, 'Ingress': False,
        'Containers': {ep['endpoint_id']: _container(n, ep, doc, leases) for n, ep in sorted((doc.get('endpoints') or {}).items())},
        'Options': options, 'Labels': {},
    }
    if doc.get('driver') == 'overlay':
        _overlay_view(doc, out)
    return out


def _overlay_view(doc, out):
    """What `docker network inspect` shows of an overlay on a swarm node: scope swarm, the VNI among the options, the
    peers; the containers on other hosts under RemoteContainers (not Docker's: it lists only the local ones)."""
    out['Scope'] = 'swarm'
    out['Attachable'] = True
    out['Options']['com.docker.network.driver.overlay.vxlanid_list'] = str(doc['vni'])
    out['Options']['hostnet.containers.vxlan'] = doc['vxlan']
    out['Options']['hostnet.containers.underlay'] = '%s@%s' % (doc['underlay_ip'], doc['underlay_interface'])
    out['Peers'] = [{'Name': host, 'IP': ip} for host, ip in sorted((doc.get('peers') or {}).items())]
    out['RemoteContainers'] = {n: {'Name': n, 'MacAddress': ep['mac'], 'IPv4Address': with_prefix(ep.get('ip'), doc.get('subnet')),
                                   'IPv6Address': with_prefix(ep.get('ip6'), doc.get('subnet_v6')), 'Host': ep.get('host')}
                               for n, ep in sorted((doc.get('remote_endpoints') or {}).items())}
