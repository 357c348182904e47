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

import datetime
import errno
import hashlib
import os
import re
from socket import AF_INET

from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _netlink
from ansible_collections.hostnet.containers.plugins.module_utils import _store

KIND = 'networks'
DEFAULT_NETWORK = 'bridge'
DEFAULT_BRIDGE = 'docker0'
DEFAULT_BIP = '172.17.0.0/16'
MAX_BRIDGE_PORTS = 1023


def new_id(name):
    """A Docker-like 64 hex network id, random, so two hosts never share one by accident."""
    return hashlib.sha256(os.urandom(32) + name.encode()).hexdigest()


def endpoint_id(network_id, container):
    return hashlib.sha256(('%s/%s' % (network_id, container)).encode()).hexdigest()


def veth_name(network_id, container):
    # Docker names the host end veth + 7 hex; derive it so reruns find the same link.
    return 'veth' + endpoint_id(network_id, container)[:7]


# Docker's network names: a letter or digit, then letters, digits, '_', '.' or '-' (also this network's state file name).
NETWORK_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


def check_network_name(name, driver):
    """Fail (IPAMError naming the option and value) on a name Docker would refuse or that is Docker's own."""
    if not isinstance(name, str) or not NETWORK_NAME_RE.match(name) or name in ('host', 'none'):
        raise _ipam.IPAMError('name', name, "is not a valid network name (1-64 letters, digits, '_', '.' or '-', starting "
                              "with a letter or digit; 'host' and 'none' are Docker's, not %s networks)" % driver)


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


def bridge_mac(network_id):
    """A locally administered unicast MAC of the network's bridge, from its id: stable across reruns."""
    return '02:42:' + ':'.join(network_id[i:i + 2] for i in range(0, 8, 2))


def taken_subnets(ipr, others):
    """Everything a new subnet must not overlap: host routes, host addresses, other networks.

    ``ipr`` is the host's IPRoute or its _netlink.Channel.
    """
    taken = []
    if isinstance(ipr, _netlink.Channel):
        taken += [r['dst'] for r in ipr.dump(_netlink.RTM_GETROUTE, AF_INET) if r['table'] == 254 and r['dst'] and r['dst_len']]
        taken += [a['address'] for a in ipr.dump(_netlink.RTM_GETADDR, AF_INET) if a['address']]
    else:
        for msg in ipr.get_routes(family=2, table=254):
            dst = msg.get_attr('RTA_DST')
            if dst and msg['dst_len']:
                taken.append('%s/%d' % (dst, msg['dst_len']))
        for msg in ipr.get_addr(family=2):
            taken.append('%s/%d' % (msg.get_attr('IFA_ADDRESS'), msg['prefixlen']))
    taken.extend(doc['subnet'] for doc in others.values())
    return taken


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
                                                           (_netlink.RTM_GETADDR, AF_INET))
            self.links = [entry for entry in (link, lo) if entry]
            self.partial = True
        else:
            self.links = chan.dump(_netlink.RTM_GETLINK)
            self.addrs = chan.dump(_netlink.RTM_GETADDR, AF_INET)
            self.partial = False
        self._index()

    def _index(self):
        self.by_index = {link['index']: link for link in self.links}
        self.by_name = {link['ifname']: link for link in self.links}

    def complete(self):
        if self.partial:
            self.links = self.chan.dump(_netlink.RTM_GETLINK)
            self.partial = False
            self._index()
        return self

    @property
    def routes(self):
        if self._routes is None:
            self._routes = [r for r in self.chan.dump(_netlink.RTM_GETROUTE, AF_INET) if r['table'] == 254]
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


class EndpointBatch(_common.Batch):
    """Runs a network's endpoint steps in one pass (see _common.Batch).

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
                raise _netlink.HostnetError('bridge %s disappeared while the run was applying changes' % self.bridge)
            self._bridge_index = link['index']
        return self._bridge_index

    def run(self, steps):
        def failed(step, exc):
            raise _common.BatchFailed(step, exc, steps)

        netns = [(step, op[1]) for step in steps for op in step.do if op[0] == 'netns']
        if netns:
            try:
                self.ns.create_many([name for dummy, name in netns])
            except _netlink.HostnetError as exc:
                failed(next(step for step, name in netns if name == getattr(exc, 'netns', None)), exc)
        deletes = [(step, op[1]) for step in steps for op in step.do if op[0] == 'delete']
        if deletes:
            err = _netlink.delete_links(self.host, [link for dummy, link in deletes])
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
                        failed(step, _netlink.HostnetError('veth %s disappeared while the run was applying changes' % veth))
                    self._peers[veth] = link['link']
                peers = []
            items = by_socket[where]
            try:
                requests = [build(self) for dummy, build in items]
                results = self.ns.chan(where).run(requests)
            except (OSError, _netlink.HostnetError, _netlink.NetlinkError) as exc:
                failed(items[0][0], exc)
            for (step, dummy), err in zip(items, results):
                if err is not None:
                    failed(step, err)


def _quiet(func, *codes):
    """Run an undo, ignoring the kernel errors that mean it had nothing to undo."""
    try:
        func()
    except _netlink.NetlinkError as exc:
        if exc.code not in codes + (errno.ENODEV, errno.ENOENT):
            raise


def _delete_by_name(chan, ifname):
    link = chan.link(ifname)
    if link is not None:
        err = _netlink.delete_links(chan, [link])
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
        self.plan = _common.Plan()
        self.host_links = None
        self._views = {}
        self.batch = None
        self._firewalls = {}
        self.name = params['name']
        self.stored = _store.load(KIND, self.name, root)
        self.others = {n: d for n, d in _store.load_all(KIND, root).items() if n != self.name}
        self.doc = None
        self.firewall = {}

    # -- validation -------------------------------------------------------------------------
    def desired(self):
        """The network document we want, validated; raises IPAMError naming option and value."""
        p = self.p
        stored = self.stored or {}
        name = self.name
        check_network_name(name, 'bridge')
        if self.stored is not None and self.stored.get('driver', 'bridge') != 'bridge':
            raise _ipam.IPAMError('name', name, 'is already a %s network (manage it with macvlan_net)' % self.stored['driver'])
        net_id = stored.get('id') or new_id(name)
        bridge = p['bridge_name'] or stored.get('bridge') or (DEFAULT_BRIDGE if name == DEFAULT_NETWORK else 'br-' + net_id[:12])
        _ipam.validate_ifname(bridge, 'bridge_name')
        for other, doc in self.others.items():
            if doc.get('bridge') == bridge:
                raise _ipam.IPAMError('bridge_name', bridge, "is already the bridge of network '%s'" % other)
        if p['subnet'] is not None:
            subnet = _ipam.parse_subnet(p['subnet'])
        elif stored.get('subnet'):
            subnet = _ipam.parse_subnet(stored['subnet'])
        elif name == DEFAULT_NETWORK:
            subnet = _ipam.parse_subnet(DEFAULT_BIP)
        else:
            taken = taken_subnets(self.host, self.others)
            if DEFAULT_NETWORK not in self.others:
                # Docker's daemon always has docker0 on 172.17.0.0/16, so user-defined networks start at 172.18.0.0/16
                # even before the default network exists here.
                taken.append(DEFAULT_BIP)
            subnet = _ipam.next_free_subnet(taken, p.get('address_pools'), 'address_pools')
        _ipam.check_subnet_overlaps(subnet, {n: d['subnet'] for n, d in self.others.items()}, name)
        pool = _ipam.AddressPool(str(subnet), *pool_settings(p, stored, subnet))
        if p['mtu'] is not None and not 68 <= p['mtu'] <= 65535:
            raise _ipam.IPAMError('mtu', p['mtu'], 'must be between 68 and 65535')
        host_ip = p.get('host_binding_ipv4') or '0.0.0.0'
        _ipam.parse_ip(host_ip, 'host_binding_ipv4')
        firewall = p.get('firewall', True) is not False
        backend = None
        if firewall:
            wanted = p.get('firewall_backend') or 'auto'
            backend = _firewall.resolve_backend(stored.get('firewall_backend') if wanted == 'auto' and stored.get('firewall_backend') else wanted)
        if p.get('internal') and p.get('endpoints') and any(ep.get('publish') for ep in p['endpoints']):
            raise _ipam.IPAMError('endpoints[].publish', [ep['publish'] for ep in p['endpoints'] if ep.get('publish')][0],
                                  'an internal network has no traffic in or out, so it cannot publish ports')
        endpoints = self._desired_endpoints(pool, net_id, stored, host_ip)
        doc = {
            'name': name, 'id': net_id, 'driver': 'bridge', 'created': stored.get('created') or _now(),
            'bridge': bridge, 'mtu': p['mtu'] or stored.get('mtu') or 1500, 'stp': bool(p['stp']),
            'icc': p.get('icc', True) is not False, 'ip_masquerade': p.get('ip_masquerade', True) is not False,
            'internal': bool(p.get('internal')), 'host_binding_ipv4': host_ip, 'ip_forward': p.get('ip_forward', True) is not False,
            'firewall': firewall, 'firewall_backend': backend,
            'dns': bool(p['dns']) if p.get('dns') is not None else name != DEFAULT_NETWORK,
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
                raise _ipam.IPAMError('endpoints[%d].name' % i, cname, 'is not a valid container (namespace) name')
            if cname in seen:
                raise _ipam.IPAMError('endpoints[%d].name' % i, cname, 'is listed twice; a container joins a network once')
            seen.add(cname)
            if ep.get('ifname') is not None:
                _ipam.validate_ifname(ep['ifname'], 'endpoints[%d].ifname' % i)
            if ep.get('mac') is not None:
                _ipam.normalize_mac(ep['mac'], 'endpoints[%d].mac' % i)
            for alias in ep.get('aliases') or []:
                if not alias or not all(c.isalnum() or c in '-_.' for c in alias):
                    raise _ipam.IPAMError('endpoints[%d].aliases' % i, alias, 'is not a valid host name')
            requested.append({'name': cname, 'ip': ep.get('ip')})
        if len(requested) > MAX_BRIDGE_PORTS:
            raise _ipam.IPAMError('endpoints', len(requested), 'a Linux bridge holds at most %d ports' % MAX_BRIDGE_PORTS)
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
                'veth': veth_name(net_id, cname),
                'endpoint_id': endpoint_id(net_id, cname),
                'aliases': list(ep.get('aliases') or []),
            }
        return out

    def _desired_publishes(self, current, default_host_ip):
        """{container: [{host_ip, host_port, container_port, proto, auto}]}: explicit host ports checked against
        every other publish and listening socket on the host, the others allocated from ip_local_port_range
        and kept across reruns."""
        p = self.p
        bound = _firewall.bound_ports(self.others, _store.load_all(_firewall.NAT_KIND, self.root))
        listening = {}
        wanted = []
        for i, ep in enumerate(p['endpoints'] or []):
            option = 'endpoints[%d].publish' % i
            for value in ep.get('publish') or []:
                for entry in _ipam.parse_publishes([value], option):
                    entry['host_ip'] = entry['host_ip'] or default_host_ip
                    wanted.append((i, ep['name'], value, entry))
        result = {}
        requests = {}
        for i, cname, value, entry in wanted:
            option = 'endpoints[%d].publish' % i
            if entry['host_port'] is None:
                key = (cname, entry['host_ip'], entry['container_port'], entry['proto'])
                requests.setdefault(entry['proto'], {})[key] = entry.get('host_port_range')
                result.setdefault(cname, []).append(entry)
                continue
            _firewall.check_port_free(option, value, entry, bound, listening)
            bound.append((entry['host_ip'], entry['host_port'], entry['proto'], 'container %s' % cname))
            result.setdefault(cname, []).append(entry)
        port_range = None
        if requests:
            port_range = _netlink.read_sysctl(self.ns, None, 'net/ipv4/ip_local_port_range')
        for proto, reqs in requests.items():
            existing = {}
            for cname, ep in current.items():
                for e in ep.get('publish') or []:
                    if e.get('auto') and e['proto'] == proto:
                        existing[(cname, e['host_ip'], e['container_port'], proto)] = e['host_port']
            taken = _firewall.taken_ports(proto, bound, listening)
            ports = _ipam.allocate_host_ports(reqs, taken, port_range, existing, option='endpoints[].publish')
            for key, port in ports.items():
                for entry in result[key[0]]:
                    if entry['host_port'] is None and entry['container_port'] == key[2] and entry['proto'] == proto \
                            and entry['host_ip'] == key[1]:
                        entry['host_port'] = port
                        entry['auto'] = True
                        break
        return {cname: [{'host_ip': e['host_ip'], 'host_port': e['host_port'], 'container_port': e['container_port'],
                         'proto': e['proto'], 'auto': bool(e.get('auto'))} for e in entries]
                for cname, entries in result.items()}

    # -- planning ---------------------------------------------------------------------------
    # The kernel is read once per run: one link dump of the host, and one view (links, addresses, routes)
    # of each endpoint's namespace that exists.  Every endpoint step is part of one EndpointBatch.
    def _read_host(self):
        if self.host_links is None:
            self.host_links = {link['ifname']: link for link in self.host.dump(_netlink.RTM_GETLINK)}
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
            raise _netlink.HostnetError("bridge_name '%s': an interface with that name exists and is a %s, not a bridge"
                                        % (doc['bridge'], br['kind'] or 'device'))
        if br is None:
            # Without STP there is nothing to learn before forwarding: no forward delay, as ports come and go.
            # A MAC of its own (as Docker gives its bridges): else the bridge takes the lowest MAC of its ports and
            # changes it as containers come and go, and every container's ARP entry of the gateway goes stale.
            create = _netlink.request(_netlink.ifinfmsg, _netlink.RTM_NEWLINK, _netlink.NLM_F_CREATE | _netlink.NLM_F_EXCL, attrs=[
                ('IFLA_IFNAME', doc['bridge']), ('IFLA_MTU', doc['mtu']), ('IFLA_ADDRESS', bridge_mac(doc['id'])),
                ('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'bridge'), ('IFLA_INFO_DATA', {'attrs': [
                    ('IFLA_BR_STP_STATE', 1 if doc['stp'] else 0), ('IFLA_BR_FORWARD_DELAY', 1500 if doc['stp'] else 0)]})]})])
            self.plan.add('create bridge %s' % doc['bridge'], lambda: _run_one(host, create), lambda: _delete_by_name(host, doc['bridge']))
            br_addrs = []
        else:
            br_addrs = [a['address'] for a in host.dump(_netlink.RTM_GETADDR, AF_INET) if a['index'] == br['index']]
            if br['mtu'] != doc['mtu']:
                self._plan_set(None, br, 'set mtu %d on %s' % (doc['mtu'], doc['bridge']), batch=False, mtu=doc['mtu'])
        gw = '%s/%d' % (doc['gateway'], prefix)
        if gw not in br_addrs:
            self.plan.add('add %s to %s' % (gw, doc['bridge']),
                          lambda: _run_one(host, _netlink.addr_request(_netlink.RTM_NEWADDR, self.batch.bridge_index(), gw)))
        if br is None or not br['up']:
            self.plan.add('set %s up' % doc['bridge'],
                          lambda: _run_one(host, _netlink.link_set_request(self.batch.bridge_index(), up=True)))
        existing = set(_netlink.list_netns())
        links = self._read_host()
        if doc['firewall_backend'] == 'iptables' or (self.stored or {}).get('firewall_backend') == 'iptables':
            # The rule set is read by another process while this one reads the containers' namespaces.
            self._firewalls.setdefault('iptables', _firewall.backend('iptables', self.root)).prefetch()
        self._read_views([(c, links[ep['veth']]['link']) for c, ep in doc['endpoints'].items() if c in existing and ep['veth'] in links])
        for cname, ep in doc['endpoints'].items():
            self._plan_endpoint(cname, ep, prefix, doc, cname in existing)
        before = _public(self.stored)
        if self.stored != doc:
            # Planning the endpoints filled in their interface names: the document is complete now.
            plan_state_write(self.plan, write_at, self.name, doc, self.stored, self.root)
        self._plan_firewall(doc)
        self._plan_names(doc)
        return before, _public(doc)

    def _plan_names(self, doc):
        old = dict(self.others)
        if self.stored:
            old[self.name] = self.stored
        new = dict(self.others)
        if doc is not None:
            new[self.name] = doc
        plan_names(self.plan, old, new)

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
            _quiet(lambda: _run_one(chan, _netlink.link_set_request(index, **old)))

        if batch:
            self.plan.add(text, [('host' if netns is None else netns, lambda ctx: _netlink.link_set_request(index, **attrs))], undo,
                          batch=self.batch)
        else:
            self.plan.add(text, lambda: _run_one(chan, _netlink.link_set_request(index, **attrs)), undo)

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
                          lambda: (ns.forget(cname), _netlink.remove_netns(cname)) if _netlink.netns_exists(cname) else None, batch=batch)
            self.plan.add('set lo up in %s' % cname, [(cname, lambda ctx: _netlink.link_set_request(1, up=True))], batch=batch)
        hl = self._read_host().get(ep['veth'])
        pl = None
        view = None
        if exists:
            view = self._view(cname, hl['link'] if hl is not None else None)
            lo = view.by_index.get(1)
            if lo is not None and not lo['up']:
                self.plan.add('set lo up in %s' % cname, [(cname, lambda ctx: _netlink.link_set_request(1, up=True))], batch=batch)
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
                raise _netlink.HostnetError("endpoints[%s]: the host already has an interface %s (a %s%s) that this network "
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
                raise _netlink.HostnetError("endpoints[%s].ifname '%s': an interface with that name already exists in %s"
                                            % (cname, ep['ifname'], cname))
            first = view is None or view.default_gateway() is None
            ep['default_route'] = first
            cidr = '%s/%d' % (ep['ip'], prefix)
            veth = ep['veth']

            def create(ctx, ep=ep):
                return _netlink.veth_request(ep['veth'], ep['ifname'], ctx.fd(cname), master=ctx.bridge_index(), mtu=doc['mtu'],
                                             peer_mac=ep['mac'])

            ops = [('host', create),
                   # Hairpin: a container reaching its own published port through the host's address gets the
                   # answer back through the port it came in on (Docker does this without its userland proxy).
                   ('host', lambda ctx: _netlink.link_set_request(ifname=veth, hairpin=True)),
                   ('peer', veth),
                   (cname, lambda ctx: _netlink.link_set_request(ctx.peer(veth), up=True)),
                   (cname, lambda ctx: _netlink.addr_request(_netlink.RTM_NEWADDR, ctx.peer(veth), cidr))]
            if first:
                ops.append((cname, lambda ctx: _netlink.default_route_request(doc['gateway'], ctx.peer(veth))))

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
                          [('host', lambda ctx, index=hl['index']: _netlink.link_set_request(index, master=ctx.bridge_index()))],
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
                              [(cname, lambda ctx, addr=addr: _netlink.addr_request(_netlink.RTM_DELADDR, pl['index'], addr))],
                              lambda addr=addr: _quiet(lambda: _run_one(chan, _netlink.addr_request(_netlink.RTM_NEWADDR, pl['index'], addr)),
                                                       errno.EEXIST),
                              batch=batch)
        if want not in have:
            self.plan.add('add %s to %s in %s' % (want, pl['ifname'], cname),
                          [(cname, lambda ctx: _netlink.addr_request(_netlink.RTM_NEWADDR, pl['index'], want))],
                          lambda: _quiet(lambda: _run_one(chan, _netlink.addr_request(_netlink.RTM_DELADDR, pl['index'], want)),
                                         errno.EADDRNOTAVAIL),
                          batch=batch)
        if ep['default_route'] and view.default_gateway(pl['index']) != doc['gateway']:
            self.plan.add('set default route via %s dev %s in %s' % (doc['gateway'], pl['ifname'], cname),
                          [(cname, lambda ctx: _netlink.default_route_request(doc['gateway'], pl['index']))], batch=batch)

    def _plan_absent(self):
        stored = self.stored
        if stored is None:
            return None, None
        if stored.get('driver', 'bridge') != 'bridge':
            raise _ipam.IPAMError('name', self.name, 'is a %s network, not a bridge one (manage it with macvlan_net)' % stored['driver'])
        eps = stored.get('endpoints') or {}
        if eps and not self.p['force']:
            raise _netlink.HostnetError("name '%s': network has active endpoints (%s); disconnect them or set force: true"
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
        self.plan.add('remove network state %s' % self.name, lambda: _store.delete(KIND, self.name, self.root),
                      lambda: _store.save(KIND, self.name, stored, self.root))
        return _public(stored), None


HOSTS_BEGIN = '# BEGIN hostnet.containers network names (docker_bridge dns)\n'
HOSTS_END = '# END hostnet.containers network names\n'
LOCALHOST_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
ETC_NETNS = '/etc/netns'


def hosts_block(text):
    """The managed block of a hosts file (markers included), or ''."""
    if HOSTS_BEGIN not in (text or ''):
        return ''
    start = text.index(HOSTS_BEGIN)
    end = text.find(HOSTS_END, start)
    return text[start:] if end < 0 else text[start:end + len(HOSTS_END)]


def hosts_with_block(text, block):
    """text with its managed block replaced by block ('' removes it); the rest is kept as it is."""
    old = hosts_block(text)
    rest = text.replace(old, '') if old else text
    return rest + block


def names_by_container(networks):
    """{container: block text} for every container on a network with dns on: the other endpoints' names and
    aliases (and its own), as Docker's embedded DNS answers them on user-defined networks."""
    entries = {}
    for dummy, doc in sorted(networks.items()):
        if not doc or not doc.get('dns') or doc.get('driver', 'bridge') != 'bridge':
            continue
        eps = doc.get('endpoints') or {}
        lines = ['%s\t%s\n' % (ep['ip'], ' '.join([n] + [a for a in ep.get('aliases') or [] if a != n]))
                 for n, ep in sorted(eps.items())]
        for cname in eps:
            entries.setdefault(cname, []).extend(line for line in lines if line not in entries.get(cname, []))
    return {c: HOSTS_BEGIN + ''.join(lines) + HOSTS_END for c, lines in entries.items()}


def _write_text(path, content):
    """Replace a file atomically (None removes it, and its folder once empty); a failure leaves it as it was."""
    folder = os.path.dirname(path)
    tmp = path + '.tmp'
    if content is None:
        for name in (tmp, path):
            if os.path.exists(name):
                os.unlink(name)
        if os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
        return
    made = not os.path.isdir(folder)
    os.makedirs(folder, mode=0o755, exist_ok=True)
    try:
        _store.write_atomic(path, content, mode=0o644, tmp=tmp, fsync=False)
    except BaseException:
        if made and not os.listdir(folder):
            os.rmdir(folder)
        raise


def plan_names(plan, old_networks, new_networks, etc_dir=ETC_NETNS):
    """Steps that bring the managed block of /etc/netns/C/hosts of every affected container up to date."""
    want = names_by_container(new_networks)
    containers = set(want)
    for doc in list(old_networks.values()) + list(new_networks.values()):
        containers.update((doc or {}).get('endpoints') or {})
    for cname in sorted(containers):
        path = os.path.join(etc_dir, cname, 'hosts')
        try:
            with open(path) as f:
                old = f.read()
        except OSError:
            old = None
        block = want.get(cname, '')
        if old is None:
            new = LOCALHOST_HOSTS + block if block else None
        else:
            new = hosts_with_block(old, block)
            if not block and new == LOCALHOST_HOSTS and hosts_block(old):
                new = None  # the file only held localhost and our names: it was ours
        if new == old:
            continue
        what = 'write names of %d containers to' % (block.count('\n') - 2) if block else 'remove container names from'
        plan.add('%s %s' % (what, path), lambda path=path, new=new: _write_text(path, new),
                 lambda path=path, old=old: _write_text(path, old))


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _public(doc):
    """The document as users see it (before/after/diff): no volatile bookkeeping."""
    if doc is None:
        return None
    out = {k: v for k, v in doc.items() if k != 'endpoints'}
    out['endpoints'] = {n: {k: v for k, v in e.items() if k != 'default_route'} for n, e in (doc.get('endpoints') or {}).items()}
    return out


def inspect(doc):
    """A network document in `docker network inspect` shape."""
    config = {'Subnet': doc['subnet'], 'Gateway': doc['gateway']}
    if doc.get('ip_range'):
        config['IPRange'] = doc['ip_range']
    if doc.get('aux_addresses'):
        config['AuxiliaryAddresses'] = doc['aux_addresses']
    prefix = doc['subnet'].split('/')[1]
    if doc.get('driver') == 'macvlan':
        options = {'parent': doc['parent'], 'macvlan_mode': doc['mode']}
        if doc.get('host_shim'):
            # Not a Docker option: the host-side macvlan child and its address, so plays can see them.
            options['hostnet.containers.host_shim'] = doc['host_shim']['name']
            options['hostnet.containers.host_shim_ip'] = doc['host_shim']['ip']
    else:
        options = {'com.docker.network.bridge.name': doc['bridge'], 'com.docker.network.driver.mtu': str(doc.get('mtu', 1500))}
    if doc['name'] == DEFAULT_NETWORK:
        options['com.docker.network.bridge.default_bridge'] = 'true'
    return {
        'Name': doc['name'], 'Id': doc['id'], 'Created': doc['created'], 'Scope': 'local', 'Driver': doc.get('driver', 'bridge'),
        'EnableIPv4': True, 'EnableIPv6': False,
        'IPAM': {'Driver': 'default', 'Options': {}, 'Config': [config]},
        'Internal': bool(doc.get('internal', False)), 'Attachable': False, 'Ingress': False,
        'Containers': {ep['endpoint_id']: {'Name': n, 'EndpointID': ep['endpoint_id'], 'MacAddress': ep['mac'],
                                           'IPv4Address': '%s/%s' % (ep['ip'], prefix), 'IPv6Address': ''}
                       for n, ep in sorted((doc.get('endpoints') or {}).items())},
        'Options': options, 'Labels': {},
    }
