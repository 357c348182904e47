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

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack
from ansible_collections.hostnet.containers.plugins.module_utils import _default_route
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service
from ansible_collections.hostnet.containers.plugins.module_utils import _proxy
from ansible_collections.hostnet.containers.plugins.module_utils import _routes
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _network6
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


# -- the wanted network ------------------------------------------------------------------------------------------
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
    # An IPv6-only network (no IPv4 pool) gives no IPv4 address.
    addresses = pool.allocate(requested, existing, option='endpoints') if pool is not None else {}
    kept = {n: _model.Endpoint.from_doc(e) for n, e in current.items() if keep and n not in seen}
    return addresses, kept


def endpoint(spec, ip, net_id, old, ip6=None):
    """The wanted Endpoint of a listed container: its MAC as given or Docker's from the IPv4 address (an IPv6-only
    endpoint's from its endpoint id, as stable), its interface name as given or as it has it, its gw_priority, and when
    it joined (now, for a new endpoint: the default-route election's "first connected"; an endpoint recorded before
    that key existed keeps none)."""
    connected = old.get('connected') if old else _inspect._now()  # pylint: disable=protected-access
    addresses = {family: str(addr) for family, addr in ((4, ip), (6, ip6)) if addr is not None}
    eid = _network.endpoint_id(net_id, spec.name)
    mac = spec.mac or (_ipam.docker_mac(ip) if ip is not None else '02:42:' + ':'.join(eid[i:i + 2] for i in range(0, 8, 2)))
    return _model.Endpoint(addresses, mac, spec.ifname or (old or {}).get('ifname'),
                           eid, list(spec.aliases), gw_priority=spec.gw_priority,
                           connected=connected, bandwidth=spec.bandwidth)


def check_driver(stored, driver, name, message):
    if stored is not None and stored.get('driver', 'bridge') != driver:
        raise _validate.InputError('name', name, message % stored.get('driver', 'bridge'))


def check_mtu(mtu):
    if mtu is not None:
        _validate.mtu(mtu)


IPV6_MIN_MTU = 1280


def check_ipv6_mtu(net):
    """A network with IPv6 needs links of at least IPv6's minimum MTU: the kernel gives a smaller one no IPv6."""
    if 6 in net.families and net.mtu is not None and net.mtu < IPV6_MIN_MTU:
        raise _validate.InputError('mtu', net.mtu, 'must be at least %d on a network with IPv6 (enable_ipv6): the kernel '
                                   'gives a link with a smaller MTU no IPv6' % IPV6_MIN_MTU)


def _same_route(want, current):
    """Whether the default route ``current`` ({gateway, oif} or None) is ``want`` ((gateway, ifindex, ifname) or None)."""
    if want is None or current is None:
        return want is None and current is None
    return (current['gateway'], current['oif']) == want[:2]


# -- the driver interface ------------------------------------------------------------------------------------------
class Driver:
    """What a driver tells the planner; a new driver (vxlan...) is one file with a subclass of this.

    ``name`` is the driver in state documents; ``not_mine`` / ``not_this``: the messages refusing a network of
    another driver (present / absent; %s is that driver); ``firewall``: whether the host's firewall and the
    names files follow this driver's networks.  The planner calls, in order: ``needs_routes(run)`` (does
    choosing the subnet need the host's routes), ``needs_uplink(run)`` (does the MTU come from the host's
    default-route interface), ``desired(run)`` -> _model.Network, ``device(net)`` (the host
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
    def needs_uplink(run):  # pylint: disable=unused-argument
        """Whether ``desired`` takes the MTU of the host's default-route interface (Snapshot.uplink_mtu)."""
        return False

    @staticmethod
    def ports_of(run):  # pylint: disable=unused-argument
        """The device whose ports are all of the host's links the run reads up front (read_host's ports_of), any
        other read when asked for; None: every link."""
        return None

    @staticmethod
    def reads_ports(run):  # pylint: disable=unused-argument
        """With ports_of: whether the run reads all of that device's ports up front (else each link it asks for)."""
        return True

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
    left_alone = None  # a foreign bridge the run left alone, and the network with it (docker_bridge foreign_bridge leave)
    unmanaged = False  # docker_bridge unmanaged: the network is on the user's bridge (_unmanaged)

    def __init__(self, params, ns, root=None, driver=None):
        self.p = params
        self.ns = ns
        self.root = root
        self.driver = driver or self.driver
        self.plan = _plan.Plan()
        self.name = params['name']
        # Every network read once (the one of a large network is its biggest file); a name with no file is looked up
        # on its own, so a name the store cannot hold fails as it always has.
        self.others = _store.load_all(_network.KIND, root)
        self.stored = self.others.pop(self.name) if self.name in self.others else _store.load(_network.KIND, self.name, root)
        self.net = None
        self.doc = None
        self.firewall = {}
        self.snap = None
        self.early = None  # _snapshot.EarlyViews begun before the host is read
        self.batch = None
        self.backends = {}
        self._records = {}
        self.made = []  # namespaces this run creates (recorded before they are)
        self.released = []  # namespaces of endpoints this run disconnects
        self._members = {}  # {family: {container: {network: _default_route.Candidate}}} of the other networks
        self.route6 = {}  # {container: whether this network gives its IPv6 default route}
        self._machine_id = None
        self.dhcp_starts = []  # (text, do, undo) of the DHCP clients this run starts (_dhcp), one batch after the endpoints

    @property
    def old(self):
        return self.stored or {}

    def old_endpoint(self, cname):
        return (self.old.get('endpoints') or {}).get(cname) or {}

    def host_end(self, cname, ep):
        """The endpoint's host end: the link of its wanted name (``host_ifname`` or the default), else, while this run
        renames it, the link its record names."""
        link = self.snap.link(ep.veth)
        recorded = self.old_endpoint(cname).get('veth')
        if link is None and recorded and recorded != ep.veth:
            return self.snap.link(recorded)
        return link

    @property
    def v6(self):
        """Whether this run involves IPv6 (the network has it or is asked to): then the IPv6 side is read."""
        return _network6.wants_v6(self.p, self.stored)

    def machine_id(self):
        """The host's machine id (the default IPv6 pool's seed), read once, only when a subnet_v6 is chosen."""
        if self._machine_id is None:
            self._machine_id = _network6.read_machine_id()
        return self._machine_id

    def read(self, net, present=True):
        """The snapshot: the host, then the namespaces of the endpoints the driver looks at (of ``net``, wanted
        or, with present false, as it was)."""
        v6 = self.v6
        routes6 = v6 and self.p['state'] == 'present' and not self.p.get('subnet_v6') and not self.old.get('subnet_v6')
        if self.snap is None and self.p['state'] == 'present':
            self.early = _snapshot.EarlyViews(self.ns, _snapshot.early_targets(self.p, self.old), bool(self.p.get('enable_ipv6')))
        self.snap = self.snap or _snapshot.read_host(self.ns.chan(None), routes=self.driver.needs_routes(self), v6=v6, routes6=routes6,
                                                     uplink=self.driver.needs_uplink(self), ports_of=self.driver.ports_of(self),
                                                     ports=self.driver.reads_ports(self))
        if net is not None:
            self.driver.prefetch(self, net)
            targets = self.driver.view_targets(self, net, present)
            # A container leaving this network for good stays on others: its default route is elected again.
            listed = {cname for cname, dummy in targets}
            targets += [(cname, None) for cname in self.leaving_names(net, present) if cname not in listed and self.memberships(cname)]
            _snapshot.read_views(self.ns, self.snap, targets, lambda cname, view: self.wants(net, cname, view, present),
                                 v6=6 in net.families, early=self.early)
            if present:
                _bandwidth.read(self.ns, self.snap, _bandwidth.involved(self.checked(net), self.stored))
                _dhcp.read(self, net)
        return self.snap

    def wants(self, net, cname, view, present=True):
        """What planning an endpoint will look at in its namespace beyond its own link: every link (to name or
        check a new interface) and the routes (when the probe does not answer the default route question)."""
        ep = net.endpoints.get(cname) if present else None
        others = bool(self.memberships(cname))
        if ep is None:
            # Leaving: the links of its other networks and the default route, to elect again.
            return others, others and not view.probe_answers()
        link = self.driver.endpoint_link(self, cname, ep, view)
        if link is None:
            # A new link: every name, and every route (the probe may answer through a link the plan deletes).
            return True, True
        # The network's extra routes (_routes) are compared with the container's table.
        routes = _routes.wants_routes(net, self.stored)
        if others:
            # On other networks too: their links (is each there, its index) and whichever default route it has.
            return True, routes or not view.probe_answers()
        return False, routes or not view.probe_answers(link['index'])

    def checked(self, net):
        """The endpoints this run reads and repairs: the ones the task lists, or all when it lists none (the
        restore and the roles list every container). One it does not name stays as recorded and untouched, as
        ``docker network connect`` leaves the others alone, so adding one container to a network of N costs what
        adding it to a network of 1 does."""
        listed = self.p.get('endpoints')
        if listed is None:
            return net.endpoints
        names = {entry['name'] for entry in listed}
        return {cname: ep for cname, ep in net.endpoints.items() if cname in names}

    def leaving_names(self, net, present=True):
        """The containers this run takes off the network."""
        return sorted(set(self.old.get('endpoints') or {}) - set(net.endpoints)) if present else sorted(net.endpoints)

    def memberships(self, cname, family=4):
        """{network: _default_route.Candidate} of the other networks (the store's) ``cname`` is on, their gateways
        of ``family``."""
        if family not in self._members:
            self._members[family] = _default_route.memberships(self.others, family)
        return self._members[family].get(cname, {})

    def build(self):
        try:
            return self._build()
        finally:
            if self.early is not None:
                self.early.close()

    def _build(self):
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
        check_ipv6_mtu(net)
        _routes.set_options(self.p, net)
        self.read(net)
        return self.plan_present(net)

    def plan_present(self, net):
        """The plan for a network that should exist, from ``net`` (wanted) and the snapshot."""
        self.net = net
        self.batch = _batch.EndpointBatch(self.ns, self.driver.device(net))
        for cname in self.leaving_names(net):
            _dhcp.plan_stop(self, cname)
            self.driver.plan_disconnect(self, cname, _model.Endpoint.from_doc(self.old_endpoint(cname)))
            self.released.append(cname)
        self.plan_reelections(self.released)
        # The network's state is written before anything is created (and after what is removed), so a run killed
        # part-way leaves a state that names everything it may have made: the id, and so the device and link names.
        write_at = len(self.plan.steps)
        self.driver.plan_device(self, net)
        for cname, ep in self.checked(net).items():
            self.plan_endpoint(cname, ep)
        _dhcp.plan_starts(self)
        self.driver.plan_after(self, net)
        _bandwidth.plan(self, net)
        self.doc = net.to_doc()
        # The namespaces this run creates are recorded (after the network's state) before anything is created.
        _netns_record.plan_claims(self.plan, write_at, self.made, self.records(self.made), self.claim, self.root)
        if self.stored != self.doc:
            # Planning the endpoints filled in their interface names: the document is complete now.
            _network.plan_state_write(self.plan, write_at, self.name, self.doc, self.stored, self.root)
        if self.driver.firewall:
            self.plan_firewall(self.doc)
            self.plan_proxies(self.doc)
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
            _dhcp.plan_stop(self, cname)
            self.driver.plan_disconnect(self, cname, old.endpoints[cname])
        self.released = sorted(old.endpoints)
        self.plan_reelections(self.released)
        self.driver.plan_teardown(self, old)
        if self.driver.firewall:
            self.plan_firewall(None)
            self.plan_proxies(None)
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
        """The network's name server and its containers' resolv.conf (_dns): one records file per changed container,
        no other container's files."""
        old, new = self._networks(doc)
        snap = _dns.read(self.name, old, new, _dns_service, self.records)
        options = {ep['name']: 'endpoints[%d]' % i for i, ep in enumerate(self.p.get('endpoints') or [])}
        _dns.plan(self.plan, self.name, old, new, snap, _dns_service, options)

    def plan_firewall(self, doc):
        """The host's rule set and kernel knobs, recomputed from every network with this one as it will be."""
        nats = _store.load_all(_firewall.NAT_KIND, self.root)
        old, new = self._networks(doc)
        self.firewall = _firewall.plan(self.plan, self.ns, old, new, nats, nats, self.root, backends_cache=self.backends)
        # After the rules: the flows of changed mappings and gone endpoints start again under the new ones.
        _conntrack.plan_delete(self.plan, _conntrack.network_targets(self.stored, doc))

    def plan_proxies(self, doc):
        """The userland proxies that answer the network's IPv6 publishes on [::1] (_proxy), after the rule set."""
        _proxy.plan(self.plan, self.name, doc, _proxy.read(self.name), _proxy)

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
        self.driver.plan_repair(self, cname, ep, view, link)
        self.plan_link(cname, ep, link)
        readdressed = ep.ip is not None and self.plan_addresses(cname, link, self.net.cidr(ep.ip), view.addresses(link['index']))
        # Taking the old address away flushes the routes through the link: the default route is set again after.
        ep.default_route = self.plan_default_route(cname, ep, view, link['index'], readdressed=readdressed)
        readdressed6 = False
        if ep.ip6 is not None:
            readdressed6 = self.plan_addresses(cname, link, self.net.cidr6(ep.ip6), view.addresses6(link['index']))
            self.route6[cname] = self.plan_default_route(cname, ep, view, link['index'], readdressed=readdressed6, family=6)
        _routes.plan_endpoint(self, cname, ep, view, link['index'], {4: readdressed, 6: readdressed6})
        _dhcp.plan_check(self, cname, ep, view, link)

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
        # When this network wins the election the driver's create sends the default route with the new link.
        ep.default_route = self.plan_default_route(cname, ep, view, gone=gone)
        if ep.ip6 is not None:
            self.route6[cname] = self.plan_default_route(cname, ep, view, gone=gone, family=6)
        self.driver.plan_create(self, cname, ep)
        _routes.plan_new(self, cname, ep)
        _dhcp.plan_start(self, cname, ep)

    # -- the default route ---------------------------------------------------------------------------------------
    def plan_reelections(self, cnames):
        """After disconnecting ``cnames``: each that stays on another network gets the default route elected again
        (the kernel dropped the one through the deleted link)."""
        for cname in cnames:
            view = self.snap.views.get(cname)
            if view is None or not self.memberships(cname):
                continue
            link = view.by_name.get(self.old_endpoint(cname).get('ifname'))
            self.plan_default_route(cname, None, view, gone=link['index'] if link else None)
            if self.old.get('enable_ipv6'):
                self.plan_default_route(cname, None, view, gone=link['index'] if link else None, family=6)

    def route_candidates(self, cname, ep, view, index=None, gone=None, family=4):
        """The container's networks ({network: _default_route.Candidate}: the store's and, unless ``ep`` is None,
        this one's) and those whose link it has ({ifindex: Candidate}; this network's under ``index``, None for a new
        link), not counting ``gone``."""
        cands = dict(self.memberships(cname, family))
        links = view.by_name if view is not None else {}
        here = {links[c.ifname]['index']: c for c in cands.values() if c.ifname in links and links[c.ifname]['index'] != gone}
        for network, cand in self.planned_links(cname, cands).items():
            here[('planned', network)] = cand
        if ep is not None:
            net = self.net
            # A network with no_default_route gives no gateway to elect (_default_route.candidate for the others).
            # Nor does a DHCP network: its client's hook sets the route through the lease's router (_dhcp_hook).
            gateway = None if net.options.get('no_default_route') or _dhcp.is_dhcp(net.options) else net.gateway if family == 4 else net.gateway6
            cands[self.name] = here[index] = _default_route.Candidate(self.name, gateway, ep.ifname, ep.gw_priority, ep.connected or '',
                                                                      net.created or '', bool(net.internal), _dhcp.is_dhcp(net.options))
        return cands, here

    def planned_links(self, cname, cands):  # pylint: disable=unused-argument
        """{network: Candidate} of ``cands`` whose link an earlier part of the same plan creates (the container module
        plans several networks in one plan); a network run alone has none."""
        return {}

    def elect_route(self, cname, ep, view, index=None, gone=None, family=4):
        """(elected Candidate or None, the key of its link in the candidates, the current default route), or None when
        the current default route is one none of the container's networks gave (the user's own, left alone)."""
        cands, here = self.route_candidates(cname, ep, view, index, gone, family)
        current = None if view is None else view.default_route(gone) if family == 4 else view.default_route6(gone)
        incumbent = _default_route.holder(cands.values(), current, {i: c.network for i, c in here.items()})
        if current is not None and (incumbent is None or cands[incumbent].leased):
            return None  # the user's own route, or a DHCP client's (the lease's router), left alone
        elected = _default_route.elect(list(here.values()), incumbent)
        return elected, next(i for i, c in here.items() if c is elected) if elected else None, current

    def plan_default_route(self, cname, ep, view, index=None, gone=None, readdressed=False, family=4):
        """Elect the default route of ``cname`` among every network it is on (_default_route) and plan the step
        that makes the kernel agree; whether ``ep`` (this network's endpoint; None: it is leaving) holds it.
        ``index``: its link's (None: a new link, whose create sends the route when it wins); ``gone``: a link the
        plan deletes.  A default route that none of the container's networks gave (the user's own) is left alone.
        ``family``: the election of the IPv4 or of the IPv6 default route (among the networks with that family)."""
        got = self.elect_route(cname, ep, view, index, gone, family)
        if got is None:
            return False
        elected, key, current = got
        mine = elected is not None and elected.network == self.name
        if mine and index is None:
            return True
        if isinstance(key, tuple):
            return False  # the link is made earlier in this plan, and its creation sends the route
        want = (elected.gateway, key, elected.ifname) if elected else None
        if not _same_route(want, current) or (mine and readdressed):
            self.plan_route(cname, want, current)
        return mine

    def plan_route(self, cname, want, current):
        """Set the default route to ``want`` (gateway, ifindex, ifname) or, None, remove ``current``; undone by
        putting back ``current``."""
        back = (lambda: _kernel.default_route_request(current['gateway'], current['oif'])) if current else None
        if want is None:
            gateway, oif = current['gateway'], current['oif']
            self.plan_request(cname, 'remove default route via %s from %s (none of its networks gives one)' % (gateway, cname),
                              lambda: _kernel.route_del_request(gateway, oif), back, (errno.ESRCH, errno.ENETUNREACH))
            return
        gateway, oif, ifname = want
        self.plan_request(cname, 'set default route via %s dev %s in %s' % (gateway, ifname, cname),
                          lambda: _kernel.default_route_request(gateway, oif),
                          back or (lambda: _kernel.route_del_request(gateway, oif)), (errno.ESRCH, errno.ENETUNREACH))

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
            self.add(text, [(netns, lambda ctx: build())], undo)
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
        changed = want not in have or len(have) > 1
        for addr in have:
            if addr != want:
                self.plan_request(netns, 'remove %s from %s' % (addr, where),
                                  lambda addr=addr: _kernel.addr_request(_kernel.RTM_DELADDR, index, addr),
                                  lambda addr=addr: _kernel.addr_request(_kernel.RTM_NEWADDR, index, addr), (errno.EEXIST,), batch)
        if want not in have:
            self.plan_request(netns, 'add %s to %s' % (want, where), lambda: _kernel.addr_request(_kernel.RTM_NEWADDR, index, want),
                              lambda: _kernel.addr_request(_kernel.RTM_DELADDR, index, want), (errno.EADDRNOTAVAIL,), batch)
        return changed
