# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The network planner every driver shares: the wanted network (model) and a snapshot in, a plan out.

It holds what does not depend on the driver: the network's identity and IPAM, endpoint allocation, the
namespaces, creating or repairing or readdressing or disconnecting an endpoint, the state document, the
firewall and the names.  A driver (_bridge.BridgeDriver, _macvlan.MacvlanDriver) adds only its own device
(bridge; parent and shim) and how an endpoint's link is made and checked (veth; macvlan child).

``NetworkRun.build()`` reads the kernel twice, both before planning (the host, then the endpoints'
namespaces: _snapshot), and ``plan_present`` / ``plan_absent`` read nothing: they run on any Snapshot.
"""

from __future__ import annotations

import errno

from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _names
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


# -- the wanted network ------------------------------------------------------------------------------------------
def choose_subnet(params, stored, others, snap, default=None, skip_default=True):
    """The subnet as given, else as the network has it, else ``default``, else the first free one of the pools."""
    if params['subnet'] is not None:
        return _ipam.parse_subnet(params['subnet'])
    if stored.get('subnet'):
        return _ipam.parse_subnet(stored['subnet'])
    if default is not None:
        return _ipam.parse_subnet(default)
    taken = _network.taken_subnets(snap.routes or [], snap.addrs, others)
    if skip_default:
        # Docker's daemon always has docker0 on 172.17.0.0/16, so user-defined networks start at 172.18.0.0/16
        # even before the default network exists here.
        taken.append(_network.DEFAULT_BIP)
    return _ipam.next_free_subnet(taken, params.get('address_pools'), 'address_pools')


def address_pool(params, stored, others, subnet, name):
    _ipam.check_subnet_overlaps(subnet, {n: d['subnet'] for n, d in others.items()}, name)
    return _ipam.AddressPool(str(subnet), *_network.pool_settings(params, stored, subnet))


def allocate(specs, entries, purge, pool, stored, extra=(), extra_existing=None):
    """Addresses for the requested endpoints (``extra``: the driver's own, e.g. a host shim) and the endpoints the
    network keeps unlisted: {name: address}, {name: stored Endpoint}.  Unlisted endpoints stay unless the list
    is given with purge, as with docker network connect; a listed one keeps its address unless it asks another."""
    current = stored.get('endpoints') or {}
    seen = {spec.name for spec in specs}
    keep = entries is None or not purge
    existing = {n: e['ip'] for n, e in current.items() if keep or n in seen}
    existing.update(extra_existing or {})
    requested = [{'name': spec.name, 'ip': spec.ip} for spec in specs] + list(extra)
    addresses = pool.allocate(requested, existing, option='endpoints')
    kept = {n: _model.Endpoint.from_doc(e) for n, e in current.items() if keep and n not in seen}
    return addresses, kept


def endpoint(spec, ip, net_id, old):
    """The wanted Endpoint of a listed container: its MAC as given or Docker's from the address, its interface
    name as given or as it has it."""
    return _model.Endpoint({4: str(ip)}, spec.mac or _ipam.docker_mac(ip), spec.ifname or (old or {}).get('ifname'),
                           _network.endpoint_id(net_id, spec.name), list(spec.aliases))


def check_driver(stored, driver, name, message):
    if stored is not None and stored.get('driver', 'bridge') != driver:
        raise _validate.InputError('name', name, message % stored.get('driver', 'bridge'))


def check_mtu(mtu):
    if mtu is not None:
        _validate.mtu(mtu)


# -- the driver interface ------------------------------------------------------------------------------------------
class Driver:
    """What a driver tells the planner; a new driver (vxlan...) is one file with a subclass of this.

    ``name`` is the driver in state documents; ``not_mine`` / ``not_this``: the messages refusing a network of
    another driver (present / absent; %s is that driver); ``firewall``: whether the host's firewall and the
    names files follow this driver's networks.  The planner calls, in order: ``needs_routes(run)`` (does
    choosing the subnet need the host's routes), ``desired(run)`` -> _model.Network, ``device(net)`` (the host
    link new endpoints hang on), ``prefetch(run, net)``, ``view_targets(run, net, present)`` -> [(container,
    link index or name)], then for planning ``plan_disconnect``, ``plan_device``, per endpoint
    ``endpoint_link`` (the container's link when the endpoint is whole, else None) and either ``plan_stale`` +
    ``plan_create`` or ``plan_repair``, then ``plan_after``; to remove a network ``plan_disconnect`` and
    ``plan_teardown``."""

    name = None
    firewall = False
    not_mine = 'is already a %s network'
    not_this = 'is a %s network, not one of this driver'

    @staticmethod
    def needs_routes(run):
        return run.p['state'] == 'present' and run.p['subnet'] is None and not run.old.get('subnet')

    @staticmethod
    def prefetch(run, net):
        """Start slow reads that run while the namespaces are read (a firewall's rule set)."""

    @staticmethod
    def plan_stale(run, cname, ep, view):
        """Clean up what is left of a broken endpoint outside its namespace; the ifindex of a container link that
        goes with it, if any."""
        return None

    @staticmethod
    def plan_repair(run, cname, ep, view, link):
        """Repair the driver's own part of a whole endpoint (the shared checks of its link follow)."""

    @staticmethod
    def plan_after(run, net):
        """Devices planned after the endpoints."""


# -- planning ------------------------------------------------------------------------------------------------------
class NetworkRun:
    """One run of one network: ``build()`` reads the snapshot, plans, and returns (before, after) as users see
    them; ``plan`` is then ready to check or execute, ``doc`` the network's new document."""

    driver = None

    def __init__(self, params, ns, root=None, driver=None):
        self.p = params
        self.ns = ns
        self.root = root
        self.driver = driver or self.driver
        self.plan = _plan.Plan()
        self.name = params['name']
        self.stored = _store.load(_network.KIND, self.name, root)
        self.others = {n: d for n, d in _store.load_all(_network.KIND, root).items() if n != self.name}
        self.net = None
        self.doc = None
        self.firewall = {}
        self.snap = None
        self.batch = None
        self.backends = {}
        self._records = {}
        self.made = []  # namespaces this run creates (recorded before they are)
        self.released = []  # namespaces of endpoints this run disconnects

    @property
    def old(self):
        return self.stored or {}

    def old_endpoint(self, cname):
        return (self.old.get('endpoints') or {}).get(cname) or {}

    def read(self, net, present=True):
        """The snapshot: the host, then the namespaces of the endpoints the driver looks at (of ``net``, wanted
        or, with present false, as it was)."""
        self.snap = self.snap or _snapshot.read_host(self.ns.chan(None), routes=self.driver.needs_routes(self))
        if net is not None:
            self.driver.prefetch(self, net)
            targets = self.driver.view_targets(self, net, present)
            _snapshot.read_views(self.ns, self.snap, targets, lambda cname, view: self.wants(net, cname, view, present))
        return self.snap

    def wants(self, net, cname, view, present=True):
        """What planning an endpoint will look at in its namespace beyond its own link: every link (to name or
        check a new interface) and the routes (when the probe does not answer the default route question)."""
        ep = net.endpoints.get(cname)
        if ep is None or not present:
            return False, False
        link = self.driver.endpoint_link(self, cname, ep, view)
        if link is None:
            # A new link: every name, and every route (the probe may answer through a link the plan deletes).
            return True, True
        return False, not view.probe_answers(link['index'])

    def build(self):
        if self.p['state'] == 'absent':
            self.read(None)
            old = self.leaving()
            if old is not None:
                self.read(old, present=False)
            return self.plan_absent(old)
        check_driver(self.stored, self.driver.name, self.name, self.driver.not_mine)
        _validate.check_network_name(self.name, self.driver.name)
        self.read(None)
        net = self.driver.desired(self)
        self.read(net)
        return self.plan_present(net)

    def plan_present(self, net):
        """The plan for a network that should exist, from ``net`` (wanted) and the snapshot."""
        self.net = net
        self.batch = _batch.EndpointBatch(self.ns, self.driver.device(net))
        for cname in sorted(set(self.old.get('endpoints') or {}) - set(net.endpoints)):
            self.driver.plan_disconnect(self, cname, _model.Endpoint.from_doc(self.old_endpoint(cname)))
            self.released.append(cname)
        # The network's state is written before anything is created (and after what is removed), so a run killed
        # part-way leaves a state that names everything it may have made: the id, and so the device and link names.
        write_at = len(self.plan.steps)
        self.driver.plan_device(self, net)
        for cname, ep in net.endpoints.items():
            self.plan_endpoint(cname, ep)
        self.driver.plan_after(self, net)
        self.doc = net.to_doc()
        # The namespaces this run creates are recorded (after the network's state) before anything is created.
        _netns_record.plan_claims(self.plan, write_at, self.made, self.records(self.made), self.claim, self.root)
        if self.stored != self.doc:
            # Planning the endpoints filled in their interface names: the document is complete now.
            _network.plan_state_write(self.plan, write_at, self.name, self.doc, self.stored, self.root)
        if self.driver.firewall:
            self.plan_firewall(self.doc)
            self.plan_names(self.doc)
        self.plan_releases(self.doc)
        return _inspect._public(self.stored), _inspect._public(self.doc)  # pylint: disable=protected-access

    def leaving(self):
        """The network as it is, when it is there to remove (and may be: this driver's, and no endpoints or force)."""
        stored = self.stored
        if stored is None:
            return None
        check_driver(stored, self.driver.name, self.name, self.driver.not_this)
        eps = stored.get('endpoints') or {}
        if eps and not self.p['force']:
            raise _kernel.HostnetError("name '%s': network has active endpoints (%s); disconnect them or set force: true"
                                       % (self.name, ', '.join(sorted(eps))))
        return _model.Network.from_doc(stored)

    def plan_absent(self, old):
        """The plan removing ``old`` (see leaving) from the snapshot: endpoints, the driver's devices, firewall, names,
        then the state."""
        stored = self.stored
        if old is None:
            return None, None
        self.batch = _batch.EndpointBatch(self.ns, self.driver.device(old))
        for cname in sorted(old.endpoints):
            self.driver.plan_disconnect(self, cname, old.endpoints[cname])
        self.released = sorted(old.endpoints)
        self.driver.plan_teardown(self, old)
        if self.driver.firewall:
            self.plan_firewall(None)
            self.plan_names(None)
        self.plan_releases(None)
        # Last: while the state is there, a rerun of a run killed part-way finds what is left to remove.
        self.plan.add('remove network state %s' % self.name, lambda: _store.delete(_network.KIND, self.name, self.root),
                      lambda: _store.save(_network.KIND, self.name, stored, self.root))
        return _inspect._public(stored), None  # pylint: disable=protected-access

    def _networks(self, doc):
        old = dict(self.others)
        if self.stored:
            old[self.name] = self.stored
        new = dict(self.others)
        if doc is not None:
            new[self.name] = doc
        return old, new

    def records(self, names):
        """The namespace records of ``names`` (None: no record), read once each: only the namespaces a run creates
        or lets go are read, so a rerun of a large network reads none."""
        for name in names:
            if name not in self._records:
                self._records[name] = _store.load(_netns_record.KIND, name, self.root)
        return {name: self._records[name] for name in names}

    @property
    def claim(self):
        return _netns_record.claim(self.name)

    def plan_releases(self, doc):
        """After everything else that touches them (links, firewall, names): the namespaces this network created
        for the endpoints it disconnects are let go, and removed when no one else wants them."""
        networks = self._networks(doc)[1]
        records = self.records(self.released)
        for cname in self.released:
            _netns_record.plan_release(self.plan, self.ns, cname, records[cname], self.claim,
                                       _netns_record.holders_of(cname, networks, skip=self.name), self.root)

    def plan_names(self, doc):
        _names.plan_names(self.plan, *self._networks(doc))

    def plan_firewall(self, doc):
        """The host's rule set and kernel knobs, recomputed from every network with this one as it will be."""
        nats = _store.load_all(_firewall.NAT_KIND, self.root)
        old, new = self._networks(doc)
        self.firewall = _firewall.plan(self.plan, self.ns, old, new, nats, nats, self.root, backends_cache=self.backends)
        # After the rules: the flows of changed mappings and gone endpoints start again under the new ones.
        _conntrack.plan_delete(self.plan, _conntrack.network_targets(self.stored, doc))

    # -- one endpoint ------------------------------------------------------------------------------------------
    def add(self, text, ops, undo=None):
        """A step of the endpoint batch."""
        self.plan.add(text, ops, undo, batch=self.batch)

    def plan_endpoint(self, cname, ep):
        """Create, repair or readdress one endpoint: its namespace and lo, then its link (made by the driver when
        missing), the link's MAC, MTU, state, address and default route."""
        view = self.snap.views.get(cname) if cname in self.snap.netns else None
        self.plan_namespace(cname, view)
        link = self.driver.endpoint_link(self, cname, ep, view) if view is not None else None
        if link is None:
            gone = self.driver.plan_stale(self, cname, ep, view)
            self.plan_create(cname, ep, view, gone)
            return
        ep.ifname = link['ifname']
        ep.default_route = self.old_endpoint(cname).get('default_route', False)
        self.driver.plan_repair(self, cname, ep, view, link)
        self.plan_link(cname, ep, link)
        self.plan_addresses(cname, link, self.net.cidr(ep.ip), view.addresses(link['index']))
        if ep.default_route and view.default_gateway(link['index']) != self.net.gateway:
            gateway, index = self.net.gateway, link['index']
            self.add('set default route via %s dev %s in %s' % (gateway, link['ifname'], cname),
                     [(cname, lambda ctx: _kernel.default_route_request(gateway, index))])

    def plan_namespace(self, cname, view):
        ns = self.ns
        if cname not in self.snap.netns:
            self.made.append(cname)
            self.add('create network namespace %s' % cname, [('netns', cname)],
                     lambda: (ns.forget(cname), _netns.remove_netns(cname)) if _netns.netns_exists(cname) else None)
            self.add('set lo up in %s' % cname, [(cname, lambda ctx: _kernel.link_set_request(1, up=True))])
            return
        lo = view.by_index.get(1) if view is not None else None
        if lo is not None and not lo['up']:
            self.add('set lo up in %s' % cname, [(cname, lambda ctx: _kernel.link_set_request(1, up=True))])

    def plan_create(self, cname, ep, view, gone=None):
        """A new link for the endpoint: named as asked or the next free ethN; it takes the default route when the
        container has none (the first network it joins) but through ``gone`` (the stale link the plan deletes)."""
        if not ep.ifname:
            ep.ifname = _ipam.next_ifname(list(view.by_name) if view else [])
        elif view and ep.ifname in view.by_name:
            link = view.by_name[ep.ifname]
            raise _kernel.HostnetError("endpoints[%s].ifname '%s': %s already has an interface of that name (a %s)"
                                       % (cname, ep.ifname, cname, link['kind'] or 'device'))
        ep.default_route = self.elect_default_route(view, gone)
        self.driver.plan_create(self, cname, ep)

    @staticmethod
    def elect_default_route(view, gone=None):
        """Whether a new endpoint holds its container's default route: when the container has none (but through
        ``gone``), as Docker gives it to the first network a container joins.  The one place a priority among
        a container's networks would decide."""
        return view is None or view.default_gateway(gone=gone) is None

    def plan_link(self, cname, ep, link):
        where = '%s in %s' % (link['ifname'], cname)
        if link['mac'] != ep.mac:
            self.plan_set(cname, link, 'set mac %s on %s' % (ep.mac, where), address=ep.mac)
        self.plan_mtu_up(cname, link, where)

    def plan_mtu_up(self, netns, link, where):
        if link['mtu'] != self.net.mtu:
            self.plan_set(netns, link, 'set mtu %d on %s' % (self.net.mtu, where), mtu=self.net.mtu)
        if not link['up']:
            self.plan_set(netns, link, 'set %s up' % where, up=True)

    def plan_request(self, netns, text, build, undo_build, ignore=(), batch=True):
        """A step sending the request ``build()`` on the socket of ``netns`` (None: the host), in the endpoint batch
        or on its own; undone by sending ``undo_build()``, quietly when there is nothing to undo."""
        chan = self.ns.chan

        def undo():
            _batch.quiet(lambda: _batch.run_one(chan(netns), undo_build()), *ignore)

        if batch:
            self.add(text, [('host' if netns is None else netns, lambda ctx: build())], undo)
        else:
            self.plan.add(text, lambda: _batch.run_one(chan(netns), build()), undo)

    def plan_set(self, netns, link, text, batch=True, **attrs):
        """A step changing attributes of a link (mtu, address, master, hairpin, up), undone by setting the old values."""
        old = {key: {'address': link['mac'], 'master': link['master'] or 0, 'up': link['up']}.get(key, link.get(key))
               for key in attrs}
        index = link['index']
        self.plan_request(netns, text, lambda: _kernel.link_set_request(index, **attrs), lambda: _kernel.link_set_request(index, **old),
                          batch=batch)

    def plan_addresses(self, netns, link, want, have, batch=True):
        """Remove every address of the link but ``want``, add ``want`` if missing; each undone on its own."""
        where = link['ifname'] if netns is None else '%s in %s' % (link['ifname'], netns)
        index = link['index']
        for addr in have:
            if addr != want:
                self.plan_request(netns, 'remove %s from %s' % (addr, where),
                                  lambda addr=addr: _kernel.addr_request(_kernel.RTM_DELADDR, index, addr),
                                  lambda addr=addr: _kernel.addr_request(_kernel.RTM_NEWADDR, index, addr), (errno.EEXIST,), batch)
        if want not in have:
            self.plan_request(netns, 'add %s to %s' % (want, where), lambda: _kernel.addr_request(_kernel.RTM_NEWADDR, index, want),
                              lambda: _kernel.addr_request(_kernel.RTM_DELADDR, index, want), (errno.EADDRNOTAVAIL,), batch)
