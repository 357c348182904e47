# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The macvlan network model: `docker network create -d macvlan` planned against the kernel.

Each endpoint is a macvlan child of the parent interface, created directly inside the
container's namespace with its final name, MAC and MTU in one request.  The network is kept in
the same store as bridge networks (driver "macvlan"), so subnets of both kinds never overlap and
network_info lists both.

Parents: an existing interface; an ``ens33.10`` style name, created as an 802.1q link when
missing and removed with the last network that uses it; or none, in which case the network is
internal and its parent is one end of a veth pair the collection creates (this kernel has no dummy
driver; a veth end serves the same purpose: a device that never leaves the host).

The host cannot reach its own macvlan children through the parent (the kernel does not pass
traffic between a macvlan parent and its children).  ``host_shim`` adds a host-side macvlan
child in bridge mode with an address in the subnet, so the host talks to the containers through it.
"""

from __future__ import annotations

import errno

from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

MODES = ('bridge', 'private', 'vepa', 'passthru')
SHIM_KEY = '__host_shim__'


def vlan_parent(parent):
    """('ens33', 10) for an 802.1q style name, else None."""
    base, dot, tag = (parent or '').rpartition('.')
    if dot and base and tag.isdigit():
        vid = int(tag)
        if not 1 <= vid <= 4094:
            raise _validate.InputError('parent', parent, 'the VLAN id after the dot must be 1-4094')
        return base, vid
    return None


class MacvlanNetwork:
    """Plan one macvlan network (parent, shim and all endpoints) against the host, in one pass."""

    def __init__(self, params, ns, root=None):
        self.p = params
        self.ns = ns
        self.root = root
        self.host = ns.ipr(None)
        self.plan = _plan.Plan()
        self.name = params['name']
        self.stored = _store.load(_network.KIND, self.name, root)
        self.others = {n: d for n, d in _store.load_all(_network.KIND, root).items() if n != self.name}
        self.doc = None

    # -- validation -------------------------------------------------------------------------------
    def _parent(self, stored, net_id):
        """(parent name, how it is made: None existing / 'vlan' / 'veth') validated against the host."""
        p = self.p
        parent = p['parent']
        if parent is None and stored.get('parent_created') == 'veth':
            return stored['parent'], 'veth'
        if parent is None:
            parent = 'hnv-' + net_id[:10]
            return parent, 'veth'
        _validate.validate_ifname(parent, 'parent')
        if parent == 'lo':
            raise _validate.InputError('parent', parent, 'the loopback cannot carry macvlan endpoints')
        link = _kernel.link(self.host, parent)
        vlan = vlan_parent(parent)
        if link is None and vlan is None:
            raise _validate.InputError('parent', parent, 'no such interface on the host')
        if link is None and _kernel.link(self.host, vlan[0]) is None:
            raise _validate.InputError('parent', parent, "the 802.1q parent's own parent %s does not exist" % vlan[0])
        if link is not None and link['kind'] == 'loopback':
            raise _validate.InputError('parent', parent, 'the loopback cannot carry macvlan endpoints')
        made = 'vlan' if (link is None or stored.get('parent_created') == 'vlan') and vlan else None
        for other, doc in sorted(self.others.items()):
            if doc.get('driver') == 'macvlan' and doc.get('parent') == parent and 'passthru' in (doc.get('mode'), p['mode']):
                raise _validate.InputError('parent', parent, "is already used by macvlan network '%s'%s; a passthru parent carries "
                                           'one network with one endpoint' % (other, ' in passthru mode' if doc.get('mode') == 'passthru' else ''))
        return parent, made

    def desired(self):
        p = self.p
        stored = self.stored or {}
        name = self.name
        _validate.check_network_name(name, 'macvlan')
        if self.stored is not None and self.stored.get('driver') != 'macvlan':
            raise _validate.InputError('name', name, 'is already a %s network' % self.stored.get('driver', 'bridge'))
        if p['mode'] not in MODES:
            raise _validate.InputError('mode', p['mode'], 'must be one of %s' % ', '.join(MODES))
        net_id = stored.get('id') or _network.new_id(name)
        parent, made = self._parent(stored, net_id)
        if p['subnet'] is not None:
            subnet = _ipam.parse_subnet(p['subnet'])
        elif stored.get('subnet'):
            subnet = _ipam.parse_subnet(stored['subnet'])
        else:
            taken = _network.taken_subnets(self.host, self.others) + [_network.DEFAULT_BIP]
            subnet = _ipam.next_free_subnet(taken, p.get('address_pools'), 'address_pools')
        _ipam.check_subnet_overlaps(subnet, {n: d['subnet'] for n, d in self.others.items()}, name)
        pool = _ipam.AddressPool(str(subnet), *_network.pool_settings(p, stored, subnet))
        parent_link = _kernel.link(self.host, parent) if made is None else None
        if parent_link:
            parent_mtu = parent_link['mtu']
        elif made == 'vlan':
            parent_mtu = _kernel.link(self.host, vlan_parent(parent)[0])['mtu']
        else:
            parent_mtu = 1500
        mtu = p['mtu'] or parent_mtu
        if not 68 <= mtu <= 65535:
            raise _validate.InputError('mtu', mtu, 'must be between 68 and 65535')
        if mtu > parent_mtu:
            raise _validate.InputError('mtu', mtu, 'is above the MTU of the parent %s (%d); a macvlan endpoint cannot exceed it'
                                       % (parent, parent_mtu))
        endpoints, shim = self._desired_endpoints(pool, net_id, stored)
        if p['mode'] == 'passthru' and len(endpoints) > 1:
            raise _validate.InputError('endpoints', sorted(endpoints), 'mode passthru gives the parent to one endpoint only, '
                                       'as the kernel does')
        if p['mode'] == 'passthru' and shim:
            raise _validate.InputError('host_shim', p['host_shim'], 'a passthru parent cannot carry a host shim')
        doc = {
            'name': name, 'id': net_id, 'driver': 'macvlan', 'created': stored.get('created') or _inspect._now(),  # pylint: disable=protected-access
            'parent': parent, 'parent_created': made, 'mode': p['mode'], 'mtu': mtu,
            'internal': made == 'veth', 'endpoints': endpoints, 'host_shim': shim,
        }
        doc.update(pool.config())
        return doc, pool

    def _desired_endpoints(self, pool, net_id, stored):
        p = self.p
        current = dict(stored.get('endpoints') or {})
        requested, seen = [], set()
        for i, ep in enumerate(p['endpoints'] or []):
            cname = ep['name']
            if not cname or '/' in cname or len(cname) > 64 or cname in ('.', '..') or cname == SHIM_KEY:
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
        shim_p = p.get('host_shim') or {}
        shim_on = bool(shim_p) and shim_p.get('enabled', True)
        if shim_on:
            if shim_p.get('name') is not None:
                _validate.validate_ifname(shim_p['name'], 'host_shim.name')
            requested.append({'name': SHIM_KEY, 'ip': shim_p.get('ip')})
        keep = p['endpoints'] is None or not p['purge_endpoints']
        existing = {n: e['ip'] for n, e in current.items() if keep or n in seen}
        if shim_on and (stored.get('host_shim') or {}).get('ip'):
            existing[SHIM_KEY] = stored['host_shim']['ip']
        addresses = pool.allocate(requested, existing, option='endpoints')
        out = {n: e for n, e in current.items() if keep and n not in seen}
        for i, ep in enumerate(p['endpoints'] or []):
            cname = ep['name']
            ip = addresses[cname]
            old = current.get(cname, {})
            out[cname] = {
                'ip': str(ip),
                'mac': _ipam.normalize_mac(ep['mac'], 'endpoints[%d].mac' % i) if ep.get('mac') else _ipam.docker_mac(ip),
                'ifname': ep.get('ifname') or old.get('ifname'),
                'endpoint_id': _network.endpoint_id(net_id, cname),
                'aliases': list(ep.get('aliases') or []),
            }
        shim = None
        if shim_on:
            shim = {'name': shim_p.get('name') or (stored.get('host_shim') or {}).get('name') or 'mvs-' + net_id[:10],
                    'ip': str(addresses[SHIM_KEY])}
        return out, shim

    # -- planning ---------------------------------------------------------------------------------
    def build(self):
        if self.p['state'] == 'absent':
            return self._plan_absent()
        doc, pool = self.desired()
        self.doc = doc
        prefix = pool.subnet.prefixlen
        stored_eps = (self.stored or {}).get('endpoints') or {}
        for cname in sorted(set(stored_eps) - set(doc['endpoints'])):
            self._plan_disconnect(cname, stored_eps[cname])
        # State first (after removals): a run killed part-way leaves the id, so the parent and shim names, on record.
        write_at = len(self.plan.steps)
        self._plan_parent(doc)
        for cname, ep in doc['endpoints'].items():
            self._plan_endpoint(cname, ep, prefix, doc)
        self._plan_shim(doc, prefix)
        if self.stored != doc:
            _network.plan_state_write(self.plan, write_at, self.name, doc, self.stored, self.root)
        return _inspect._public(self.stored), _inspect._public(doc)  # pylint: disable=protected-access

    def _plan_parent(self, doc):
        host = self.host
        parent = doc['parent']
        link = _kernel.link(host, parent)
        if doc['parent_created'] == 'vlan' and link is None:
            base, vid = vlan_parent(parent)

            def create_vlan():
                try:
                    host.link('add', ifname=parent, kind='vlan', link=_kernel.index_of(host, base), vlan_id=vid)
                except _kernel.NetlinkError as exc:
                    if exc.code in (errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL) or 'not supported' in str(exc).lower():
                        raise _kernel.HostnetError("parent '%s': this kernel has no 802.1q VLAN support (8021q module); "
                                                   'create the VLAN interface another way or use an existing parent' % parent)
                    raise
            self.plan.add('create 802.1q parent %s (VLAN %d on %s)' % (parent, vid, base), create_vlan,
                          lambda: _kernel.delete_link(host, parent))
        elif doc['parent_created'] == 'veth' and link is None:
            self.plan.add('create internal parent %s (one end of a veth pair; no dummy driver needed)' % parent,
                          lambda: host.link('add', ifname=parent, kind='veth', peer=parent + 'p', mtu=doc['mtu']),
                          lambda: _kernel.delete_link(host, parent))
        peer = _kernel.link(host, parent + 'p') if doc['parent_created'] == 'veth' and link is not None else None
        if link is None or not link['up'] or (peer is not None and not peer['up']):
            def up():
                _kernel.set_up(host, _kernel.index_of(host, parent))
                if doc['parent_created'] == 'veth':
                    _kernel.set_up(host, _kernel.index_of(host, parent + 'p'))
            self.plan.add('set %s up' % parent, up)

    def _plan_disconnect(self, cname, ep):
        if not _netns.netns_exists(cname) or not ep.get('ifname'):
            return
        cipr = self.ns.ipr(cname)
        if _kernel.link(cipr, ep['ifname']) is not None:
            self.plan.add('disconnect %s from %s (delete %s)' % (cname, self.name, ep['ifname']),
                          lambda: _kernel.delete_link(cipr, ep['ifname']))

    def _plan_endpoint(self, cname, ep, prefix, doc):
        host, ns = self.host, self.ns
        created_ns = not _netns.netns_exists(cname)
        if created_ns:
            self.plan.add('create network namespace %s' % cname,
                          lambda: _netns.create_netns(cname), lambda: (ns.forget(cname), _netns.remove_netns(cname)))
            self.plan.add('set lo up in %s' % cname, lambda: _kernel.set_up(ns.ipr(cname), _kernel.index_of(ns.ipr(cname), 'lo')))
        else:
            lo = _kernel.link(ns.ipr(cname), 'lo')
            if lo is not None and not lo['up']:
                self.plan.add('set lo up in %s' % cname, lambda: _kernel.set_up(ns.ipr(cname), lo['index']))
        link = None
        if not created_ns and ep['ifname']:
            link = _kernel.link(ns.ipr(cname), ep['ifname'])
            if link is not None and link['kind'] != 'macvlan':
                raise _kernel.HostnetError("endpoints[%s].ifname '%s': %s already has an interface of that name (a %s)"
                                           % (cname, ep['ifname'], cname, link['kind'] or 'device'))
        if link is None:
            if not ep['ifname']:
                used = [] if created_ns else [i['ifname'] for i in _kernel.links(ns.ipr(cname))]
                ep['ifname'] = _ipam.next_ifname(used)
            first = created_ns or _kernel.default_gateway(ns.ipr(cname)) is None
            ep['default_route'] = first

            def connect(ep=ep, first=first):
                cipr = ns.ipr(cname)
                host.link('add', ifname=ep['ifname'], kind='macvlan', link=_kernel.index_of(host, doc['parent']),
                          macvlan_mode=doc['mode'], net_ns_fd=ns.fd(cname), address=ep['mac'], mtu=doc['mtu'])
                try:
                    idx = _kernel.index_of(cipr, ep['ifname'])
                    cipr.addr('add', index=idx, address=ep['ip'], prefixlen=prefix)
                    _kernel.set_up(cipr, idx)
                    if first:
                        cipr.route('replace', dst='0.0.0.0/0', gateway=doc['gateway'], oif=idx)
                except BaseException:
                    _kernel.delete_link(cipr, ep['ifname'])  # the step leaves all or nothing
                    raise

            text = 'connect %s to %s: %s %s/%d (macvlan %s on %s)' % (
                cname, self.name, ep['ifname'], ep['ip'], prefix, doc['mode'], doc['parent'])
            self.plan.add(text, connect, lambda ep=ep: _kernel.delete_link(ns.ipr(cname), ep['ifname']))
            return
        cipr = ns.ipr(cname)
        stored = ((self.stored or {}).get('endpoints') or {}).get(cname) or {}
        ep['default_route'] = stored.get('default_route', False)
        if link['mac'] != ep['mac']:
            _common.plan_link_set(self.plan, cipr, link, 'mac', ep['mac'], 'set mac %s on %s in %s' % (ep['mac'], ep['ifname'], cname))
        if link['mtu'] != doc['mtu']:
            _common.plan_link_set(self.plan, cipr, link, 'mtu', doc['mtu'], 'set mtu %d on %s in %s' % (doc['mtu'], ep['ifname'], cname))
        if not link['up']:
            self.plan.add('set %s up in %s' % (ep['ifname'], cname), lambda: _kernel.set_up(cipr, link['index']))
        self._plan_address(cipr, link, '%s/%d' % (ep['ip'], prefix), '%s in %s' % (ep['ifname'], cname))
        if ep['default_route'] and _kernel.default_gateway(cipr, link['index']) != doc['gateway']:
            self.plan.add('set default route via %s dev %s in %s' % (doc['gateway'], ep['ifname'], cname),
                          lambda: cipr.route('replace', dst='0.0.0.0/0', gateway=doc['gateway'], oif=link['index']))

    def _plan_address(self, ipr, link, want, where):
        have = _kernel.addresses(ipr, link['index'])
        for addr in have:
            if addr != want:
                ip, plen = addr.split('/')
                self.plan.add('remove %s from %s' % (addr, where),
                              lambda ip=ip, plen=plen: ipr.addr('del', index=link['index'], address=ip, prefixlen=int(plen)))
        if want not in have:
            ip, plen = want.split('/')
            self.plan.add('add %s to %s' % (want, where),
                          lambda: ipr.addr('add', index=_kernel.index_of(ipr, link['ifname']), address=ip, prefixlen=int(plen)))

    def _plan_shim(self, doc, prefix):
        host = self.host
        old = (self.stored or {}).get('host_shim')
        shim = doc['host_shim']
        if old and (not shim or old['name'] != shim['name']) and _kernel.link(host, old['name']) is not None:
            self.plan.add('delete host shim %s' % old['name'], lambda: _kernel.delete_link(host, old['name']))
        if not shim:
            return
        link = _kernel.link(host, shim['name'])
        if link is not None and link['kind'] != 'macvlan':
            raise _kernel.HostnetError("host_shim.name '%s': the host already has a %s of that name"
                                       % (shim['name'], link['kind'] or 'device'))
        if link is None:
            def create():
                host.link('add', ifname=shim['name'], kind='macvlan', link=_kernel.index_of(host, doc['parent']),
                          macvlan_mode='bridge', mtu=doc['mtu'])
                try:
                    idx = _kernel.index_of(host, shim['name'])
                    # With the subnet's prefix the kernel adds the route to the containers through the shim.
                    host.addr('add', index=idx, address=shim['ip'], prefixlen=prefix)
                    _kernel.set_up(host, idx)
                except BaseException:
                    _kernel.delete_link(host, shim['name'])
                    raise
            self.plan.add('create host shim %s %s/%d (macvlan bridge on %s)' % (shim['name'], shim['ip'], prefix, doc['parent']),
                          create, lambda: _kernel.delete_link(host, shim['name']))
            return
        if not link['up']:
            self.plan.add('set %s up' % shim['name'], lambda: _kernel.set_up(host, link['index']))
        self._plan_address(host, link, '%s/%d' % (shim['ip'], prefix), shim['name'])

    def _plan_absent(self):
        stored = self.stored
        host = self.host
        if stored is None:
            return None, None
        if stored.get('driver') != 'macvlan':
            raise _validate.InputError('name', self.name, 'is a %s network, not a macvlan one' % stored.get('driver', 'bridge'))
        eps = stored.get('endpoints') or {}
        if eps and not self.p['force']:
            raise _kernel.HostnetError("name '%s': network has active endpoints (%s); disconnect them or set force: true"
                                       % (self.name, ', '.join(sorted(eps))))
        for cname in sorted(eps):
            self._plan_disconnect(cname, eps[cname])
        shim = stored.get('host_shim')
        if shim and _kernel.link(host, shim['name']) is not None:
            self.plan.add('delete host shim %s' % shim['name'], lambda: _kernel.delete_link(host, shim['name']))
        parent = stored['parent']
        still_used = any(d.get('parent') == parent for d in self.others.values())
        if stored.get('parent_created') and not still_used and _kernel.link(host, parent) is not None:
            self.plan.add('delete %s parent %s (no network uses it now)' % (stored['parent_created'], parent),
                          lambda: _kernel.delete_link(host, parent))
        self.plan.add('remove network state %s' % self.name, lambda: _store.delete(_network.KIND, self.name, self.root),
                      lambda: _store.save(_network.KIND, self.name, stored, self.root))
        return _inspect._public(stored), None  # pylint: disable=protected-access
