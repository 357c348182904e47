# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge driver: a Docker-style bridge network (bridge, gateway address, veth endpoints) planned against the host
in one pass.
"""

from __future__ import annotations

import errno
from socket import AF_INET

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _names
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def bridge_mac(network_id):
    """A locally administered unicast MAC of the network's bridge, from its id: stable across reruns."""
    return '02:42:' + ':'.join(network_id[i:i + 2] for i in range(0, 8, 2))


class NetnsView:
    """A container namespace as one run sees it: its links, IPv4 addresses and main-table routes, read once.

    With ``peer`` (the ifindex the host end of a veth names) only that link is read, with the addresses and
    the route a lookup of a class E address matches, all in one write: when that is a default route via the
    peer, it is all that checking an existing endpoint needs; anything else reads the routes (``routes``).
    ``complete()`` reads every link.
    """

    PROBE = '240.0.0.1'  # outside every subnet a container uses: its lookup matches the default route

    def __init__(self, chan, peer=None):
        self.chan = chan
        self._routes = None
        self._probe = None
        if peer:
            # GETs finish inside the write, so the address dump can follow them in the same write (a second dump
            # could not: the kernel holds one dump per socket until it is read).
            # ifindex 1 is always the namespace's lo (its state is part of the endpoint's).
            link, lo, self._probe, self.addrs = chan.query(('link', peer), ('link', 1), ('route', self.PROBE),
                                                           (_kernel.RTM_GETADDR, AF_INET))
            self.links = [entry for entry in (link, lo) if entry]
            self.partial = True
        else:
            self.links = chan.dump(_kernel.RTM_GETLINK)
            self.addrs = chan.dump(_kernel.RTM_GETADDR, AF_INET)
            self.partial = False
        self._index()

    def _index(self):
        self.by_index = {link['index']: link for link in self.links}
        self.by_name = {link['ifname']: link for link in self.links}

    def complete(self):
        if self.partial:
            self.links = self.chan.dump(_kernel.RTM_GETLINK)
            self.partial = False
            self._index()
        return self

    @property
    def routes(self):
        if self._routes is None:
            self._routes = [r for r in self.chan.dump(_kernel.RTM_GETROUTE, AF_INET) if r['table'] == 254]
        return self._routes

    def addresses(self, index):
        return [a['address'] for a in self.addrs if a['index'] == index and a['address']]

    def default_gateway(self, oif=None):
        probe = self._probe
        if probe is not None and probe['dst_len'] == 0 and probe['table'] == 254 and (oif is None or probe['oif'] == oif):
            return probe['gateway']
        for route in self.routes:
            if route['dst_len'] == 0 and (oif is None or route['oif'] == oif):
                return route['gateway']
        return None


class EndpointBatch(_plan.Batch):
    """Runs a network's endpoint steps in one pass (see _plan.Batch).

    A step's ``do`` is a list of operations: ('netns', name) creates a namespace, ('delete', link) deletes a
    host link (all of them in one kernel batch), ('host', build) and (netns name, build) send the request
    ``build(self)`` returns on the host's or the namespace's socket; ('peer', veth) reads, after the host's
    requests, the ifindex the peer of a new veth got in its namespace (``peer(veth)``, one write for all).
    Order: namespaces, deletions, host requests, peers, then each namespace's requests, each socket's
    requests pipelined in one write.
    """

    def __init__(self, ns, bridge):
        self.ns = ns
        self.bridge = bridge
        self._bridge_index = None
        self._peers = {}

    def peer(self, veth):
        return self._peers[veth]

    @property
    def host(self):
        return self.ns.chan(None)

    def fd(self, netns):
        return self.ns.fd(netns)

    def bridge_index(self):
        if self._bridge_index is None:
            link = self.host.link(self.bridge)
            if link is None:
                raise _kernel.HostnetError('bridge %s disappeared while the run was applying changes' % self.bridge)
            self._bridge_index = link['index']
        return self._bridge_index

    def run(self, steps):
        def failed(step, exc):
            raise _plan.BatchFailed(step, exc, steps)

        netns = [(step, op[1]) for step in steps for op in step.do if op[0] == 'netns']
        if netns:
            try:
                self.ns.create_many([name for dummy, name in netns])
            except _kernel.HostnetError as exc:
                failed(next(step for step, name in netns if name == getattr(exc, 'netns', None)), exc)
        deletes = [(step, op[1]) for step in steps for op in step.do if op[0] == 'delete']
        if deletes:
            err = _kernel.delete_links(self.host, [link for dummy, link in deletes])
            if err is not None:
                failed(deletes[0][0], err)
        by_socket = {}
        peers = []
        for step in steps:
            for op in step.do:
                if op[0] == 'peer':
                    peers.append((step, op[1]))
                elif op[0] not in ('netns', 'delete'):
                    by_socket.setdefault(None if op[0] == 'host' else op[0], []).append((step, op[1]))
        order = ([None] if None in by_socket else []) + [k for k in by_socket if k is not None]
        for where in order:
            if where is not None and peers:
                # The host end's IFLA_LINK is the peer's ifindex in its namespace: one write asks for every new veth.
                links = self.host.query(*[('link', veth) for dummy, veth in peers])
                for (step, veth), link in zip(peers, links):
                    if link is None or not link['link']:
                        failed(step, _kernel.HostnetError('veth %s disappeared while the run was applying changes' % veth))
                    self._peers[veth] = link['link']
                peers = []
            items = by_socket[where]
            try:
                requests = [build(self) for dummy, build in items]
                results = self.ns.chan(where).run(requests)
            except (OSError, _kernel.HostnetError, _kernel.NetlinkError) as exc:
                failed(items[0][0], exc)
            for (step, dummy), err in zip(items, results):
                if err is not None:
                    failed(step, err)


def _quiet(func, *codes):
    """Run an undo, ignoring the kernel errors that mean it had nothing to undo."""
    try:
        func()
    except _kernel.NetlinkError as exc:
        if exc.code not in codes + (errno.ENODEV, errno.ENOENT):
            raise


def _delete_by_name(chan, ifname):
    link = chan.link(ifname)
    if link is not None:
        err = _kernel.delete_links(chan, [link])
        if err is not None and err.code not in (errno.ENODEV, errno.ENOENT):
            raise err


def _run_one(chan, request):
    err = chan.run([request])[0]
    if err is not None:
        raise err


class BridgeNetwork:
    """Plan one bridge network (and all its endpoints) against the host, in one pass."""

    def __init__(self, params, ns, root=None):
        self.p = params
        self.ns = ns
        self.root = root
        self.host = ns.chan(None)
        self.plan = _plan.Plan()
        self.host_links = None
        self._views = {}
        self.batch = None
        self._firewalls = {}
        self.name = params['name']
        self.stored = _store.load(_network.KIND, self.name, root)
        self.others = {n: d for n, d in _store.load_all(_network.KIND, root).items() if n != self.name}
        self.doc = None
        self.firewall = {}

    # -- validation -------------------------------------------------------------------------
    def desired(self):
        """The network document we want, validated; raises IPAMError naming option and value."""
        p = self.p
        stored = self.stored or {}
        name = self.name
        _validate.check_network_name(name, 'bridge')
        if self.stored is not None and self.stored.get('driver', 'bridge') != 'bridge':
            raise _validate.InputError('name', name, 'is already a %s network (manage it with macvlan_net)' % self.stored['driver'])
        net_id = stored.get('id') or _network.new_id(name)
        bridge = p['bridge_name'] or stored.get('bridge') or (_network.DEFAULT_BRIDGE if name == _network.DEFAULT_NETWORK else 'br-' + net_id[:12])
        _validate.validate_ifname(bridge, 'bridge_name')
        for other, doc in self.others.items():
            if doc.get('bridge') == bridge:
                raise _validate.InputError('bridge_name', bridge, "is already the bridge of network '%s'" % other)
        if p['subnet'] is not None:
            subnet = _ipam.parse_subnet(p['subnet'])
        elif stored.get('subnet'):
            subnet = _ipam.parse_subnet(stored['subnet'])
        elif name == _network.DEFAULT_NETWORK:
            subnet = _ipam.parse_subnet(_network.DEFAULT_BIP)
        else:
            taken = _network.taken_subnets(self.host, self.others)
            if _network.DEFAULT_NETWORK not in self.others:
                # Docker's daemon always has docker0 on 172.17.0.0/16, so user-defined networks start at 172.18.0.0/16
                # even before the default network exists here.
                taken.append(_network.DEFAULT_BIP)
            subnet = _ipam.next_free_subnet(taken, p.get('address_pools'), 'address_pools')
        _ipam.check_subnet_overlaps(subnet, {n: d['subnet'] for n, d in self.others.items()}, name)
        pool = _ipam.AddressPool(str(subnet), *_network.pool_settings(p, stored, subnet))
        if p['mtu'] is not None and not 68 <= p['mtu'] <= 65535:
            raise _validate.InputError('mtu', p['mtu'], 'must be between 68 and 65535')
        host_ip = p.get('host_binding_ipv4') or '0.0.0.0'
        _ipam.parse_ip(host_ip, 'host_binding_ipv4')
        firewall = p.get('firewall', True) is not False
        backend = None
        if firewall:
            wanted = p.get('firewall_backend') or 'auto'
            backend = _firewall.resolve_backend(stored.get('firewall_backend') if wanted == 'auto' and stored.get('firewall_backend') else wanted)
        if p.get('internal') and p.get('endpoints') and any(ep.get('publish') for ep in p['endpoints']):
            raise _validate.InputError('endpoints[].publish', [ep['publish'] for ep in p['endpoints'] if ep.get('publish')][0],
                                       'an internal network has no traffic in or out, so it cannot publish ports')
        endpoints = self._desired_endpoints(pool, net_id, stored, host_ip)
        doc = {
            'name': name, 'id': net_id, 'driver': 'bridge', 'created': stored.get('created') or _inspect._now(),
            'bridge': bridge, 'mtu': p['mtu'] or stored.get('mtu') or 1500, 'stp': bool(p['stp']),
            'icc': p.get('icc', True) is not False, 'ip_masquerade': p.get('ip_masquerade', True) is not False,
            'internal': bool(p.get('internal')), 'host_binding_ipv4': host_ip, 'ip_forward': p.get('ip_forward', True) is not False,
            'firewall': firewall, 'firewall_backend': backend,
            'dns': bool(p['dns']) if p.get('dns') is not None else name != _network.DEFAULT_NETWORK,
            'endpoints': endpoints,
        }
        doc.update(pool.config())
        return doc, pool

    def _desired_endpoints(self, pool, net_id, stored, host_ip):
        p = self.p
        current = dict((stored.get('endpoints') or {}))
        requested = []
        seen = set()
        for i, ep in enumerate(p['endpoints'] or []):
            cname = ep['name']
            if not cname or '/' in cname or len(cname) > 64 or cname in ('.', '..'):
                raise _validate.InputError('endpoints[%d].name' % i, cname, 'is not a valid container (namespace) name')
            if cname in seen:
                raise _validate.InputError('endpoints[%d].name' % i, cname, 'is listed twice; a container joins a network once')
            seen.add(cname)
            if ep.get('ifname') is not None:
                _validate.validate_ifname(ep['ifname'], 'endpoints[%d].ifname' % i)
            if ep.get('mac') is not None:
                _ipam.normalize_mac(ep['mac'], 'endpoints[%d].mac' % i)
            for alias in ep.get('aliases') or []:
                if not alias or not all(c.isalnum() or c in '-_.' for c in alias):
                    raise _validate.InputError('endpoints[%d].aliases' % i, alias, 'is not a valid host name')
            requested.append({'name': cname, 'ip': ep.get('ip')})
        if len(requested) > _network.MAX_BRIDGE_PORTS:
            raise _validate.InputError('endpoints', len(requested), 'a Linux bridge holds at most %d ports' % _network.MAX_BRIDGE_PORTS)
        existing = {n: e['ip'] for n, e in current.items() if p['purge_endpoints'] is False or n in seen}
        addresses = pool.allocate(requested, existing, option='endpoints')
        out = {}
        if not p['purge_endpoints'] and p['endpoints'] is not None:
            for n, e in current.items():
                if n not in seen:
                    out[n] = e
        elif p['endpoints'] is None:
            out.update(current)
        publishes = self._desired_publishes(current, host_ip)
        for i, ep in enumerate(p['endpoints'] or []):
            cname = ep['name']
            ip = addresses[cname]
            old = current.get(cname, {})
            out[cname] = {
                'publish': publishes.get(cname, []),
                'ip': str(ip),
                'mac': _ipam.normalize_mac(ep['mac'], 'endpoints[%d].mac' % i) if ep.get('mac') else _ipam.docker_mac(ip),
                'ifname': ep.get('ifname') or old.get('ifname'),
                'veth': _network.veth_name(net_id, cname),
                'endpoint_id': _network.endpoint_id(net_id, cname),
                'aliases': list(ep.get('aliases') or []),
            }
        return out

    def _desired_publishes(self, current, default_host_ip):
        bound = _ports.bound_ports(self.others, _store.load_all(_firewall.NAT_KIND, self.root))
        return _ports.desired_publishes(self.p['endpoints'] or [], current, bound, {}, default_host_ip,
                                        lambda: _sysctl.read_sysctl(self.ns, None, 'net/ipv4/ip_local_port_range'))

    # -- planning ---------------------------------------------------------------------------
    # The kernel is read once per run: one link dump of the host, and one view (links, addresses, routes)
    # of each endpoint's namespace that exists.  Every endpoint step is part of one EndpointBatch.
    def _read_host(self):
        if self.host_links is None:
            self.host_links = {link['ifname']: link for link in self.host.dump(_kernel.RTM_GETLINK)}
        return self.host_links

    def _read_views(self, todo):
        """The views of many existing endpoints' namespaces ((name, peer ifindex) pairs), read up front, their
        sockets opened in one pass."""
        self.ns.open_many([cname for cname, dummy in todo])
        for cname, peer in todo:
            self._view(cname, peer)

    def _view(self, cname, peer=None):
        if cname not in self._views:
            self._views[cname] = NetnsView(self.ns.chan(cname), peer)
        return self._views[cname]

    def build(self):
        if self.p['state'] == 'absent':
            return self._plan_absent()
        doc, pool = self.desired()
        self.doc = doc
        prefix = pool.subnet.prefixlen
        host = self.host
        links = self._read_host()
        self.batch = EndpointBatch(self.ns, doc['bridge'])
        stored_eps = (self.stored or {}).get('endpoints') or {}
        for cname in sorted(set(stored_eps) - set(doc['endpoints'])):
            self._plan_disconnect(cname, stored_eps[cname])
        # The network's state is written before anything is created (and after what is removed), so a run killed
        # part-way leaves a state that names everything it may have made: the id, and so the bridge and veth names.
        write_at = len(self.plan.steps)
        br = links.get(doc['bridge'])
        if br is not None and br['kind'] != 'bridge':
            raise _kernel.HostnetError("bridge_name '%s': an interface with that name exists and is a %s, not a bridge"
                                       % (doc['bridge'], br['kind'] or 'device'))
        if br is None:
            # Without STP there is nothing to learn before forwarding: no forward delay, as ports come and go.
            # A MAC of its own (as Docker gives its bridges): else the bridge takes the lowest MAC of its ports and
            # changes it as containers come and go, and every container's ARP entry of the gateway goes stale.
            create = _kernel.request(_kernel.ifinfmsg, _kernel.RTM_NEWLINK, _kernel.NLM_F_CREATE | _kernel.NLM_F_EXCL, attrs=[
                ('IFLA_IFNAME', doc['bridge']), ('IFLA_MTU', doc['mtu']), ('IFLA_ADDRESS', bridge_mac(doc['id'])),
                ('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'bridge'), ('IFLA_INFO_DATA', {'attrs': [
                    ('IFLA_BR_STP_STATE', 1 if doc['stp'] else 0), ('IFLA_BR_FORWARD_DELAY', 1500 if doc['stp'] else 0)]})]})])
            self.plan.add('create bridge %s' % doc['bridge'], lambda: _run_one(host, create), lambda: _delete_by_name(host, doc['bridge']))
            br_addrs = []
        else:
            br_addrs = [a['address'] for a in host.dump(_kernel.RTM_GETADDR, AF_INET) if a['index'] == br['index']]
            if br['mtu'] != doc['mtu']:
                self._plan_set(None, br, 'set mtu %d on %s' % (doc['mtu'], doc['bridge']), batch=False, mtu=doc['mtu'])
        gw = '%s/%d' % (doc['gateway'], prefix)
        if gw not in br_addrs:
            self.plan.add('add %s to %s' % (gw, doc['bridge']),
                          lambda: _run_one(host, _kernel.addr_request(_kernel.RTM_NEWADDR, self.batch.bridge_index(), gw)))
        if br is None or not br['up']:
            self.plan.add('set %s up' % doc['bridge'],
                          lambda: _run_one(host, _kernel.link_set_request(self.batch.bridge_index(), up=True)))
        existing = set(_netns.list_netns())
        links = self._read_host()
        if doc['firewall_backend'] == 'iptables' or (self.stored or {}).get('firewall_backend') == 'iptables':
            # The rule set is read by another process while this one reads the containers' namespaces.
            self._firewalls.setdefault('iptables', _firewall.backend('iptables', self.root)).prefetch()
        self._read_views([(c, links[ep['veth']]['link']) for c, ep in doc['endpoints'].items() if c in existing and ep['veth'] in links])
        for cname, ep in doc['endpoints'].items():
            self._plan_endpoint(cname, ep, prefix, doc, cname in existing)
        before = _inspect._public(self.stored)
        if self.stored != doc:
            # Planning the endpoints filled in their interface names: the document is complete now.
            _network.plan_state_write(self.plan, write_at, self.name, doc, self.stored, self.root)
        self._plan_firewall(doc)
        self._plan_names(doc)
        return before, _inspect._public(doc)

    def _plan_names(self, doc):
        old = dict(self.others)
        if self.stored:
            old[self.name] = self.stored
        new = dict(self.others)
        if doc is not None:
            new[self.name] = doc
        _names.plan_names(self.plan, old, new)

    def _plan_firewall(self, doc):
        """The host's rule set and kernel knobs, recomputed from every network with this one as it will be."""
        old = dict(self.others)
        if self.stored:
            old[self.name] = self.stored
        new = dict(self.others)
        if doc is not None:
            new[self.name] = doc
        nats = _store.load_all(_firewall.NAT_KIND, self.root)
        self.firewall = _firewall.plan(self.plan, self.ns, old, new, nats, nats, self.root, backends_cache=self._firewalls)

    def _plan_set(self, netns, link, text, batch=True, **attrs):
        """A step changing attributes of a link (mtu, address, master, hairpin, up), undone by setting the old values."""
        old = {}
        for key in attrs:
            old[key] = {'address': link['mac'], 'master': link['master'] or 0, 'up': link['up']}.get(key, link.get(key))
        index = link['index']
        chan = self.ns.chan(netns)

        def undo():
            _quiet(lambda: _run_one(chan, _kernel.link_set_request(index, **old)))

        if batch:
            self.plan.add(text, [('host' if netns is None else netns, lambda ctx: _kernel.link_set_request(index, **attrs))], undo,
                          batch=self.batch)
        else:
            self.plan.add(text, lambda: _run_one(chan, _kernel.link_set_request(index, **attrs)), undo)

    def _plan_disconnect(self, cname, ep):
        link = self._read_host().get(ep['veth'])
        if link is not None:
            self.plan.add('disconnect %s from %s (delete %s)' % (cname, self.name, ep['veth']), [('delete', link)], batch=self.batch)

    def _plan_endpoint(self, cname, ep, prefix, doc, exists):
        host = self.host
        ns = self.ns
        batch = self.batch
        if not exists:
            self.plan.add('create network namespace %s' % cname, [('netns', cname)],
                          lambda: (ns.forget(cname), _netns.remove_netns(cname)) if _netns.netns_exists(cname) else None, batch=batch)
            self.plan.add('set lo up in %s' % cname, [(cname, lambda ctx: _kernel.link_set_request(1, up=True))], batch=batch)
        hl = self._read_host().get(ep['veth'])
        pl = None
        view = None
        if exists:
            view = self._view(cname, hl['link'] if hl is not None else None)
            lo = view.by_index.get(1)
            if lo is not None and not lo['up']:
                self.plan.add('set lo up in %s' % cname, [(cname, lambda ctx: _kernel.link_set_request(1, up=True))], batch=batch)
            if hl is not None:
                pl = view.by_index.get(hl['link']) if hl['link'] else None
                if pl is not None and (pl['kind'] != 'veth' or pl['link'] != hl['index'] or (ep['ifname'] and pl['ifname'] != ep['ifname'])):
                    pl = None
        if hl is not None and pl is None:
            host_links = self._read_host()
            bridge = host_links.get(doc['bridge'])
            if hl['kind'] != 'veth' or bridge is None or hl['master'] != bridge['index']:
                # Not a port of this network: someone else's interface that happens to have the name. Never touch it.
                master = [link['ifname'] for link in host_links.values() if hl['master'] and link['index'] == hl['master']]
                raise _kernel.HostnetError("endpoints[%s]: the host already has an interface %s (a %s%s) that this network "
                                           "did not make, and the endpoint's host end needs that name; rename or remove it"
                                           % (cname, ep['veth'], hl['kind'] or 'device', ' on %s' % master[0] if master else ''))
            self.plan.add('delete %s (its peer is not in %s)' % (ep['veth'], cname), [('delete', hl)], batch=batch)
            hl = None
        if hl is None:
            if view is not None:
                view.complete()
            if not ep['ifname']:
                ep['ifname'] = _ipam.next_ifname(list(view.by_name) if view else [])
            elif view and ep['ifname'] in view.by_name:
                raise _kernel.HostnetError("endpoints[%s].ifname '%s': an interface with that name already exists in %s"
                                           % (cname, ep['ifname'], cname))
            first = view is None or view.default_gateway() is None
            ep['default_route'] = first
            cidr = '%s/%d' % (ep['ip'], prefix)
            veth = ep['veth']

            def create(ctx, ep=ep):
                return _kernel.veth_request(ep['veth'], ep['ifname'], ctx.fd(cname), master=ctx.bridge_index(), mtu=doc['mtu'],
                                            peer_mac=ep['mac'])

            ops = [('host', create),
                   # Hairpin: a container reaching its own published port through the host's address gets the
                   # answer back through the port it came in on (Docker does this without its userland proxy).
                   ('host', lambda ctx: _kernel.link_set_request(ifname=veth, hairpin=True)),
                   ('peer', veth),
                   (cname, lambda ctx: _kernel.link_set_request(ctx.peer(veth), up=True)),
                   (cname, lambda ctx: _kernel.addr_request(_kernel.RTM_NEWADDR, ctx.peer(veth), cidr))]
            if first:
                ops.append((cname, lambda ctx: _kernel.default_route_request(doc['gateway'], ctx.peer(veth))))

            self.plan.add('connect %s to %s: %s %s via %s' % (cname, self.name, ep['ifname'], cidr, ep['veth']), ops,
                          lambda ep=ep: _delete_by_name(host, ep['veth']), batch=batch)
            return
        # The endpoint exists: repair what drifted.
        ep['ifname'] = pl['ifname']
        stored = ((self.stored or {}).get('endpoints') or {}).get(cname) or {}
        ep['default_route'] = stored.get('default_route', False)
        br = self._read_host().get(doc['bridge'])
        if br is None or hl['master'] != br['index']:
            self.plan.add('attach %s to %s' % (ep['veth'], doc['bridge']),
                          [('host', lambda ctx, index=hl['index']: _kernel.link_set_request(index, master=ctx.bridge_index()))],
                          batch=batch)
        if not hl.get('hairpin'):
            self._plan_set(None, dict(hl, hairpin=False), 'set hairpin on %s' % ep['veth'], hairpin=True)
        if pl['mac'] != ep['mac']:
            self._plan_set(cname, pl, 'set mac %s on %s in %s' % (ep['mac'], pl['ifname'], cname), address=ep['mac'])
        for link, where, netns in ((hl, ep['veth'], None), (pl, '%s in %s' % (pl['ifname'], cname), cname)):
            if link['mtu'] != doc['mtu']:
                self._plan_set(netns, link, 'set mtu %d on %s' % (doc['mtu'], where), mtu=doc['mtu'])
            if not link['up']:
                self._plan_set(netns, link, 'set %s up' % where, up=True)
        want = '%s/%d' % (ep['ip'], prefix)
        have = view.addresses(pl['index'])
        chan = ns.chan(cname)
        for addr in have:
            if addr != want:
                self.plan.add('remove %s from %s in %s' % (addr, pl['ifname'], cname),
                              [(cname, lambda ctx, addr=addr: _kernel.addr_request(_kernel.RTM_DELADDR, pl['index'], addr))],
                              lambda addr=addr: _quiet(lambda: _run_one(chan, _kernel.addr_request(_kernel.RTM_NEWADDR, pl['index'], addr)),
                                                       errno.EEXIST),
                              batch=batch)
        if want not in have:
            self.plan.add('add %s to %s in %s' % (want, pl['ifname'], cname),
                          [(cname, lambda ctx: _kernel.addr_request(_kernel.RTM_NEWADDR, pl['index'], want))],
                          lambda: _quiet(lambda: _run_one(chan, _kernel.addr_request(_kernel.RTM_DELADDR, pl['index'], want)),
                                         errno.EADDRNOTAVAIL),
                          batch=batch)
        if ep['default_route'] and view.default_gateway(pl['index']) != doc['gateway']:
            self.plan.add('set default route via %s dev %s in %s' % (doc['gateway'], pl['ifname'], cname),
                          [(cname, lambda ctx: _kernel.default_route_request(doc['gateway'], pl['index']))], batch=batch)

    def _plan_absent(self):
        stored = self.stored
        if stored is None:
            return None, None
        if stored.get('driver', 'bridge') != 'bridge':
            raise _validate.InputError('name', self.name, 'is a %s network, not a bridge one (manage it with macvlan_net)' % stored['driver'])
        eps = stored.get('endpoints') or {}
        if eps and not self.p['force']:
            raise _kernel.HostnetError("name '%s': network has active endpoints (%s); disconnect them or set force: true"
                                       % (self.name, ', '.join(sorted(eps))))
        self.batch = EndpointBatch(self.ns, stored['bridge'])
        for cname in sorted(eps):
            self._plan_disconnect(cname, eps[cname])
        bridge = self._read_host().get(stored['bridge'])
        if bridge is not None:
            # In the same batch as the endpoints: one kernel batch deletes the bridge and all its veths.
            self.plan.add('delete bridge %s' % stored['bridge'], [('delete', bridge)], batch=self.batch)
        self._plan_firewall(None)
        self._plan_names(None)
        # Last: while the state is there, a rerun of a run killed part-way finds what is left to remove.
        self.plan.add('remove network state %s' % self.name, lambda: _store.delete(_network.KIND, self.name, self.root),
                      lambda: _store.save(_network.KIND, self.name, stored, self.root))
        return _inspect._public(stored), None
