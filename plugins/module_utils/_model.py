# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The network model: what a user asks for (EndpointSpec) and what a network is (Network, Endpoint), normalised once.

Module parameters become EndpointSpecs here (validated in this one place, whichever driver), and a network's
state document (/var/lib/hostnet/networks/NAME.json) becomes a Network and back without loss: ``to_doc()`` of a
loaded document gives the document again (keys this version does not know included), so existing hosts load
unchanged.  Addresses are kept per address family ({4: ...}): IPv6 subnets and endpoint addresses go in the
same maps.  Driver-specific settings (a bridge's name and firewall settings, a macvlan parent and mode) live in
``options``, so a new driver adds keys, not fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

# Keys of an endpoint's and a network's document that the model holds in fields; any other key is kept as is.
_EP_KEYS = ('ip', 'ip6', 'mac', 'ifname', 'endpoint_id', 'aliases', 'veth', 'publish', 'default_route', 'gw_priority', 'connected')
_EP_KEYS += ('bandwidth',)
IPAM_KEYS = ('subnet', 'gateway', 'ip_range', 'aux_addresses')
# The IPv6 pool's keys in a document (the IPv4 ones are IPAM_KEYS), in the order IPAM_KEYS lists their IPv4 twins.
IPAM6_KEYS = ('subnet_v6', 'gateway_v6', 'ip_range_v6', 'aux_addresses_v6')
_NET_KEYS = ('name', 'id', 'driver', 'created', 'mtu', 'internal', 'endpoints', 'enable_ipv4', 'enable_ipv6') + IPAM_KEYS + IPAM6_KEYS


@dataclass
class EndpointSpec:
    """One entry of the ``endpoints`` option, validated: MAC lower-case with colons, aliases as a list.
    ``ip`` stays as given (the address pool checks it, naming the option)."""
    name: str
    index: int
    ip: Optional[str] = None
    ifname: Optional[str] = None
    mac: Optional[str] = None
    aliases: list = field(default_factory=list)
    publish: list = field(default_factory=list)
    gw_priority: int = 0
    ip6: Optional[str] = None
    host_ifname: Optional[str] = None  # the host end's name (a veth driver's endpoints); None: the driver's default
    bandwidth: Optional[dict] = None  # _bandwidth.parse: rates in bit/s, bursts in bytes, only the directions given

    @property
    def option(self):
        return 'endpoints[%d]' % self.index


def _check_container_name(cname, option, reserved):
    _validate.container_name(cname, option)
    if cname in reserved:
        raise _validate.InputError(option, cname, 'is a name the network keeps for itself')


def _check_aliases(aliases, option):
    for alias in aliases:
        _validate.alias(alias, option)


def endpoint_specs(entries, reserved=()):
    """The ``endpoints`` option as EndpointSpecs, every entry checked (name, twice listed, ifname, mac, aliases).
    ``reserved``: names a driver keeps for itself (the macvlan host shim's key)."""
    specs = []
    seen = set()
    for i, ep in enumerate(entries or []):
        cname = ep['name']
        _check_container_name(cname, 'endpoints[%d].name' % i, reserved)
        if cname in seen:
            raise _validate.InputError('endpoints[%d].name' % i, cname, 'is listed twice; a container joins a network once')
        seen.add(cname)
        if ep.get('ifname') is not None:
            _validate.validate_ifname(ep['ifname'], 'endpoints[%d].ifname' % i)
        if ep.get('host_ifname') is not None:
            _validate.validate_ifname(ep['host_ifname'], 'endpoints[%d].host_ifname' % i)
        mac = _ipam.normalize_mac(ep['mac'], 'endpoints[%d].mac' % i) if ep.get('mac') is not None else None
        aliases = list(ep.get('aliases') or [])
        _check_aliases(aliases, 'endpoints[%d].aliases' % i)
        specs.append(EndpointSpec(cname, i, ep.get('ip'), ep.get('ifname'), mac or None, aliases, list(ep.get('publish') or []),
                                  _validate.gw_priority(ep.get('gw_priority'), 'endpoints[%d].gw_priority' % i),
                                  ep.get('ipv6_address') or None, ep.get('host_ifname') or None))
        specs[-1].bandwidth = _bandwidth.parse(ep.get('bandwidth'), 'endpoints[%d].bandwidth' % i)
    return specs


@dataclass
class Endpoint:
    """A container's place on a network.  ``addresses`` by family ({4: 'a.b.c.d'}, an IPv6 address under 6);
    ``veth`` (the host end) and ``publish`` only where the driver has them; ``default_route`` is filled by planning
    (does this endpoint hold the container's default route); ``gw_priority`` (Docker's --gw-priority, kept in the
    document only when not 0) and ``connected`` (when the container joined, for the default-route election; None in
    documents written before it existed) are _default_route's.  Per-endpoint settings a later version records
    (routes, a host-side name, bandwidth) are kept in ``extra`` until the model
    gives them a field: a document written by a newer version loads and saves back unchanged."""
    addresses: dict
    mac: str
    ifname: Optional[str]
    endpoint_id: str
    aliases: list = field(default_factory=list)
    veth: Optional[str] = None
    publish: Optional[list] = None
    default_route: Optional[bool] = None
    extra: dict = field(default_factory=dict)
    gw_priority: int = 0
    connected: Optional[str] = None
    bandwidth: Optional[dict] = None  # as EndpointSpec's; in the document only when set

    @property
    def ip(self):
        return self.addresses.get(4)

    @property
    def ip6(self):
        return self.addresses.get(6)

    @classmethod
    def from_doc(cls, doc):
        addresses = {family: doc[key] for family, key in ((4, 'ip'), (6, 'ip6')) if doc.get(key)}
        return cls(addresses, doc.get('mac'), doc.get('ifname'), doc.get('endpoint_id'),
                   doc.get('aliases'), doc.get('veth'), doc.get('publish'), doc.get('default_route'),
                   {k: v for k, v in doc.items() if k not in _EP_KEYS}, int(doc.get('gw_priority') or 0), doc.get('connected'),
                   doc.get('bandwidth') or None)

    def to_doc(self):
        out = dict(self.extra)
        out.update(ip=self.ip, mac=self.mac, ifname=self.ifname, endpoint_id=self.endpoint_id, aliases=self.aliases)
        if self.ip6:
            out['ip6'] = self.ip6
        for key in ('veth', 'publish', 'default_route', 'connected'):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.gw_priority:
            out['gw_priority'] = self.gw_priority
        if self.bandwidth:
            out['bandwidth'] = dict(self.bandwidth)
        return out


@dataclass
class Network:
    """A network as its state document holds it.  ``ipam`` by family ({4: {subnet, gateway, ip_range,
    aux_addresses}}, an IPv6 pool under 6); ``options``: the driver's own settings (bridge: bridge, stp, icc,
    firewall...; macvlan: parent, parent_created, mode, host_shim; a vxlan driver: its VNI and peers), so a
    driver adds keys there, not fields here."""
    name: str
    id: str
    driver: str
    created: str
    ipam: dict
    mtu: int
    internal: bool = False
    endpoints: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)

    @property
    def families(self):
        """The address families the network has: (4,), (4, 6) or (6,) (IPv6-only)."""
        return tuple(family for family in (4, 6) if family in self.ipam)

    @property
    def subnet(self):
        return self.ipam.get(4, {}).get('subnet')

    @property
    def gateway(self):
        return self.ipam.get(4, {}).get('gateway')

    @property
    def prefix(self):
        return int(self.subnet.split('/')[1]) if self.subnet else None

    def cidr(self, ip):
        return '%s/%d' % (ip, self.prefix)

    @property
    def subnet6(self):
        return self.ipam.get(6, {}).get('subnet')

    @property
    def gateway6(self):
        return self.ipam.get(6, {}).get('gateway')

    def cidr6(self, ip):
        return '%s/%s' % (ip, self.subnet6.split('/')[1])

    @classmethod
    def from_doc(cls, doc):
        ipam = {}
        if doc.get('enable_ipv4', True) is not False:
            ipam[4] = {k: doc.get(k) for k in IPAM_KEYS}
        if doc.get('enable_ipv6'):
            ipam[6] = {k: doc.get(k6) for k, k6 in zip(IPAM_KEYS, IPAM6_KEYS)}
        return cls(doc['name'], doc['id'], doc.get('driver', 'bridge'), doc.get('created'), ipam, doc.get('mtu'), doc.get('internal'),
                   {n: Endpoint.from_doc(e) for n, e in (doc.get('endpoints') or {}).items()},
                   {k: v for k, v in doc.items() if k not in _NET_KEYS})

    def to_doc(self):
        """The document; an IPv4-only network's has no IPv6 key (as before IPv6 existed), an IPv6-only one's the four
        IPv4 keys null and ``enable_ipv4: false``."""
        out = {'name': self.name, 'id': self.id, 'driver': self.driver, 'created': self.created}
        out.update(self.options)
        out.update(mtu=self.mtu, internal=self.internal, endpoints={n: e.to_doc() for n, e in self.endpoints.items()})
        out.update(self.ipam.get(4) or dict.fromkeys(IPAM_KEYS))
        if 4 not in self.ipam:
            out['enable_ipv4'] = False
        if 6 in self.ipam:
            out['enable_ipv6'] = True
            out.update((k6, self.ipam[6].get(k)) for k, k6 in zip(IPAM_KEYS, IPAM6_KEYS))
            out['aux_addresses_v6'] = dict(out['aux_addresses_v6'] or {})
        return out
