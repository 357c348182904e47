# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker network inspect: a network's state document shown the way Docker shows it."""

from __future__ import annotations

import datetime

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


def inspect(doc):
    """A network document in `docker network inspect` shape."""
    config = {'Subnet': doc['subnet'], 'Gateway': doc['gateway']}
    if doc.get('ip_range'):
        config['IPRange'] = doc['ip_range']
    if doc.get('aux_addresses'):
        config['AuxiliaryAddresses'] = doc['aux_addresses']
    prefix = doc['subnet'].split('/')[1] if doc.get('subnet') else None  # None: an IPv6-only network
    if doc.get('driver') == 'macvlan':
        options = {'parent': doc['parent'], 'macvlan_mode': doc['mode']}
        if doc.get('host_shim'):
            # Not a Docker option: the host-side macvlan child and its address, so plays can see them.
            options['hostnet.containers.host_shim'] = doc['host_shim']['name']
            options['hostnet.containers.host_shim_ip'] = doc['host_shim']['ip']
    else:
        options = {'com.docker.network.bridge.name': doc['bridge'], 'com.docker.network.driver.mtu': str(doc.get('mtu', 1500))}
        # Shown, as Docker shows a network's options, only when given; Docker separates the interfaces with colons.
        if doc.get('gateway_mode_ipv4'):
            options['com.docker.network.bridge.gateway_mode_ipv4'] = doc['gateway_mode_ipv4']
        if doc.get('trusted_host_interfaces'):
            options['com.docker.network.bridge.trusted_host_interfaces'] = ':'.join(doc['trusted_host_interfaces'])
        if doc.get('dns_domain'):
            # Not a Docker option (Docker's names have no domain): the domain the network's name server answers.
            options['hostnet.containers.dns_domain'] = doc['dns_domain']
    if doc['name'] == _network.DEFAULT_NETWORK:
        options['com.docker.network.bridge.default_bridge'] = 'true'
    out = {
        'Name': doc['name'], 'Id': doc['id'], 'Created': doc['created'], 'Scope': 'local', 'Driver': doc.get('driver', 'bridge'),
        'EnableIPv4': True, 'EnableIPv6': False,
        'IPAM': {'Driver': 'default', 'Options': {}, 'Config': [config] if prefix else []},
        'Internal': bool(doc.get('internal', False)), 'Attachable': False, 'Ingress': False,
        'Containers': {ep['endpoint_id']: {'Name': n, 'EndpointID': ep['endpoint_id'], 'MacAddress': ep['mac'],
                                           'IPv4Address': '%s/%s' % (ep['ip'], prefix) if ep.get('ip') else '', 'IPv6Address': ''}
                       for n, ep in sorted((doc.get('endpoints') or {}).items())},
        'Options': options, 'Labels': {},
    }
    if doc.get('driver') == 'overlay':
        _overlay_view(doc, out, prefix)
    return out


def _overlay_view(doc, out, prefix):
    """What `docker network inspect` shows of an overlay on a swarm node: scope swarm, the VNI among the options, the
    peers; the containers on other hosts under RemoteContainers (not Docker's: it lists only the local ones)."""
    out['Scope'] = 'swarm'
    out['Attachable'] = True
    out['Options']['com.docker.network.driver.overlay.vxlanid_list'] = str(doc['vni'])
    out['Options']['hostnet.containers.vxlan'] = doc['vxlan']
    out['Options']['hostnet.containers.underlay'] = '%s@%s' % (doc['underlay_ip'], doc['underlay_interface'])
    out['Peers'] = [{'Name': host, 'IP': ip} for host, ip in sorted((doc.get('peers') or {}).items())]
    out['RemoteContainers'] = {n: {'Name': n, 'MacAddress': ep['mac'], 'IPv4Address': '%s/%s' % (ep['ip'], prefix), 'Host': ep.get('host')}
                               for n, ep in sorted((doc.get('remote_endpoints') or {}).items())}
