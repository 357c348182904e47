# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge network model: a Docker-style network (bridge, subnet, endpoints) planned against the kernel.

What the kernel cannot hold (name, id, ip_range, aux addresses, created, the endpoints'
addresses) is kept in /var/lib/hostnet/networks/NAME.json so a rerun after a reboot
rebuilds the same network with the same addresses.  The kernel is the source of truth
for everything else: each run reads it and plans only the difference.
"""

from __future__ import annotations

import hashlib
import os

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _store

KIND = 'networks'
DEFAULT_NETWORK = 'bridge'
DEFAULT_BRIDGE = 'docker0'
DEFAULT_BIP = '172.17.0.0/16'
DEFAULT_MTU = 1500  # a network's MTU when neither the task nor the host's default-route interface gives one
MAX_BRIDGE_PORTS = 1023
# Drivers whose networks are a Linux bridge with the gateway address and veth endpoints: the firewall rule model, the
# name server and the containers' resolv.conf treat them alike (an overlay's bridge also has its VXLAN port).
BRIDGE_LIKE = ('bridge', 'overlay')


def bridge_like(doc):
    """Whether a network document is of a bridge-like driver (a document without a driver is a bridge one)."""
    return bool(doc) and doc.get('driver', 'bridge') in BRIDGE_LIKE


def new_id(name):
    """A Docker-like 64 hex network id, random, so two hosts never share one by accident."""
    return hashlib.sha256(os.urandom(32) + name.encode()).hexdigest()


def endpoint_id(network_id, container):
    return hashlib.sha256(('%s/%s' % (network_id, container)).encode()).hexdigest()


def veth_name(network_id, container, eid=None):
    # Docker names the host end veth + 7 hex; derive it so reruns find the same link.  ``eid``: the endpoint id of
    # (network_id, container), when the caller has it already.
    return 'veth' + (eid or endpoint_id(network_id, container))[:7]


def pool_settings(params, stored, subnet):
    """gateway, ip_range and aux_addresses: as given, or, when omitted on an unchanged subnet, as the network has them
    (like the subnet: a rerun that only lists containers keeps the network's IPAM, as docker network connect does)."""
    same = bool(stored) and stored.get('subnet') == str(subnet)
    return [params[key] if params[key] is not None or not same else stored.get(key)
            for key in ('gateway', 'ip_range', 'aux_addresses')]


def plan_state_write(plan, index, name, doc, stored, root):
    """The step writing a network's state document, placed at ``index`` (before the kernel work it names); undone by
    putting back the stored document, or removing it when there was none."""
    plan.insert(index, 'write network state %s' % name, lambda: _store.save(KIND, name, doc, root),
                (lambda: _store.save(KIND, name, stored, root)) if stored else (lambda: _store.delete(KIND, name, root)))


def taken_subnets(routes, addrs, others):
    """Everything a new subnet must not overlap: host routes (main table), host addresses, other networks."""
    taken = [r['dst'] for r in routes if r['table'] == 254 and r['dst'] and r['dst_len']]
    taken += [a['address'] for a in addrs if a['address']]
    taken.extend(doc['subnet'] for doc in others.values() if doc.get('subnet'))  # an IPv6-only network has none
    return taken


def choose_subnet(params, stored, others, snap, default=None, skip_default=True):
    """The subnet as given, else as the network has it, else ``default``, else the first free one of the pools."""
    if params['subnet'] is not None:
        return _ipam.parse_subnet(params['subnet'])
    if stored.get('subnet'):
        return _ipam.parse_subnet(stored['subnet'])
    if default is not None:
        return _ipam.parse_subnet(default)
    taken = taken_subnets(snap.routes or [], snap.addrs, others)
    if skip_default:
        # Docker's daemon always has docker0 on 172.17.0.0/16, so user-defined networks start at 172.18.0.0/16
        # even before the default network exists here.
        taken.append(DEFAULT_BIP)
    return _ipam.next_free_subnet(taken, params.get('address_pools'), 'address_pools')


def address_pool(params, stored, others, subnet, name):
    """The IPv4 AddressPool of a subnet (checked against the other networks' subnets), its settings as pool_settings
    gives them."""
    _ipam.check_subnet_overlaps(subnet, {n: d['subnet'] for n, d in others.items() if d.get('subnet')}, name)
    gateway, ip_range, aux = pool_settings(params, stored, subnet)
    if params.get('enable_ipv6') and aux:
        aux = _ipam6.split_aux_addresses(aux)[0]  # the IPv6 aux addresses are the IPv6 pool's
    return _ipam.AddressPool(str(subnet), gateway, ip_range, aux)
