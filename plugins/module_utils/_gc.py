# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Leaked state: what the collection made that nothing holds any more, found from the store and the kernel, and
the plan removing it (the gc module's engine).

``snapshot`` reads the host once; ``find_leaks(snap, owner, keep)`` and ``plan(snap, leaks, changes)`` are pure
(a snapshot of plain dicts in, a list of leaks and a plan out).  Only what the store records as the collection's
is ever a leak: a namespace with a record, a veth named as a recorded endpoint's host end, an empty folder of the
store, a name server folder (/run/hostnet/dns/NET, the collection's own tree) of a network without a document, a [::1]
proxy folder (/run/hostnet/proxy/NET-PORT) of a port no network publishes there, a DHCP client (its folder
/run/hostnet/dhcp/NET:CONTAINER, its lease record) of an endpoint no DHCP network has.
A leak is ``{'kind', 'name', 'why', 'action'}``; ``action`` is ``remove``, or ``report`` for what gc does not rebuild
(the message says which module to re-run).
"""

from __future__ import annotations

import os
import shutil

from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_service
from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service
from ansible_collections.hostnet.containers.plugins.module_utils import _proxy
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _names
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store

REMOVE, REPORT = 'remove', 'report'


# -- snapshot: the store and the kernel, read once -------------------------------------------------------------
def snapshot(ns, root=None):
    """{records, networks, namespaces, host_links {ifname: link}, peers {veth: peer in its namespace?},
    store_dirs {kind: empty?}, etc_dirs {name: [entries]}, etc_root_noted, root, dns_dirs {network: our server's pid or
    None}}."""
    root = root or _store.STATE_DIR
    networks = _store.load_all(_network.KIND, root)
    namespaces = set(_netns.list_netns())
    host_links = {link['ifname']: {'kind': link['kind'], 'index': link['index'], 'link': link['link']}
                  for link in ns.chan(None).links()}
    return {'records': _store.load_all(_netns_record.KIND, root), 'networks': networks, 'namespaces': sorted(namespaces),
            'host_links': host_links, 'peers': _read_peers(ns, networks, namespaces, host_links),
            'store_dirs': _listing(root), 'etc_dirs': _etc_dirs(), 'root': root,
            'etc_root_noted': _store.load(_netns.ETC_ROOT_NOTE[0], _netns.ETC_ROOT_NOTE[1], root) is not None,
            'dns_dirs': _dns_dirs(), 'proxy_dirs': {name: _proxy.running(name) for name in _proxy.instances()},
            'dhcp_clients': {name: _dhcp_service.running(name) for name in set(_dhcp_service.instances()) | set(_dhcp_service.recorded(root))}}


def _dns_dirs():
    """{network: our server's pid or None} for each name server folder (the runtime files of a network's server)."""
    try:
        names = sorted(n for n in os.listdir(_dns_service.RUN_DIR) if os.path.isdir(os.path.join(_dns_service.RUN_DIR, n)))
    except OSError:
        return {}
    # A folder whose name is no network name was not made by _dns_service: never ours to judge.
    return {name: _dns_service.running(name) for name in names if _dns_service.is_network_name(name)}


def _read_peers(ns, networks, namespaces, host_links):
    """{veth: whether its peer is a veth in the endpoint's namespace}, for recorded host ends that exist."""
    peers = {}
    for cname, ep in _endpoints(networks):
        link = host_links.get(ep.get('veth') or '')
        if link is None or link['kind'] != 'veth':
            continue
        peer = None
        if cname in namespaces:
            peer = next((other for other in ns.chan(cname).links() if other['index'] == link['link']), None)
        peers[ep['veth']] = peer is not None and peer['kind'] == 'veth'
    return peers


def _listing(root):
    """{kind: True when its folder is empty} of the store's folders."""
    try:
        kinds = sorted(k for k in os.listdir(root) if os.path.isdir(os.path.join(root, k)))
    except OSError:
        return {}
    return {kind: not os.listdir(os.path.join(root, kind)) for kind in kinds}


def _etc_dirs():
    try:
        names = sorted(n for n in os.listdir(_netns.ETC_NETNS) if os.path.isdir(_netns.etc_dir(n)))
    except OSError:
        return {}
    return {name: sorted(os.listdir(_netns.etc_dir(name))) for name in names}


def _endpoints(networks):
    for dummy, doc in sorted(networks.items()):
        for cname, ep in sorted(((doc or {}).get('endpoints') or {}).items()):
            yield cname, ep


def leak(kind, name, why, action=REMOVE):
    return {'kind': kind, 'name': name, 'why': why, 'action': action}


# -- the planner: snapshot in, leaks out -------------------------------------------------------------------------
def find_leaks(snap, owner=None, keep=()):
    """Every leak of the snapshot; with ``owner``, only that owner's namespaces not in ``keep`` (a role's
    containers it no longer lists) and what goes with them."""
    if owner is not None:
        leaks = [leak('netns', name, 'created by %s, which no longer lists it' % owner)
                 for name, rec in sorted(snap['records'].items()) if (rec or {}).get('owner') == owner and name not in keep]
    else:
        leaks = _namespace_leaks(snap)
    removed = {item['name'] for item in leaks if item['action'] == REMOVE}
    leaks += _endpoint_leaks(snap, removed, owner is None)
    if owner is None:
        leaks += _network_reports(snap) + _dir_leaks(snap, {item['name'] for item in leaks if item['kind'] == 'netns'})
        leaks += _dns_leaks(snap) + _proxy_leaks(snap) + _dhcp_leaks(snap)
    return leaks


def _namespace_leaks(snap):
    """Recorded namespaces nobody holds: not wanted by the netns module, and no network has an endpoint in them."""
    out = []
    for name, rec in sorted(snap['records'].items()):
        by = (rec or {}).get('by') or []
        if _netns_record.BY_NETNS in by:
            if name not in snap['namespaces']:
                out.append(leak('netns', name, 'the namespace is gone; re-run the netns task that made it', REPORT))
            continue
        if not _netns_record.holders_of(name, snap['networks']):
            made = ', '.join(by) or 'nobody'
            out.append(leak('netns', name, 'created for %s; no network has an endpoint in it' % made))
    return out


def _endpoint_leaks(snap, removed, all_veths):
    """Endpoints of namespaces that are gone or go now (dropped; reported when the namespace has a record, which
    the restore or a rerun rebuilds), and the host ends of recorded veths whose peer is not in their namespace."""
    out = []
    for net, doc in sorted(snap['networks'].items()):
        for cname, ep in sorted(((doc or {}).get('endpoints') or {}).items()):
            lost = cname in removed or cname not in snap['namespaces']
            if lost and cname in snap['records'] and cname not in removed:
                out.append(leak('endpoint', '%s/%s' % (net, cname), 'namespace %s is gone; re-run network %s (or the '
                                'restore) to rebuild it' % (cname, net), REPORT))
            elif lost:
                out.append(leak('endpoint', '%s/%s' % (net, cname), 'namespace %s is gone: the endpoint is dropped from '
                                'network %s (its address is free again)' % (cname, net)))
            veth = ep.get('veth')
            if veth in snap['peers'] and (cname not in snap['namespaces'] or (all_veths and not snap['peers'][veth])):
                out.append(leak('veth', veth, 'host end of %s on network %s; its peer is not in namespace %s'
                                % (cname, net, cname)))
    return out


def _network_reports(snap):
    out = []
    for net, doc in sorted(snap['networks'].items()):
        # An overlay's VXLAN device is the network's too (its document records creating it).
        for device in ((doc or {}).get('bridge') or (doc or {}).get('parent'), (doc or {}).get('vxlan')):
            if device and device not in snap['host_links']:
                out.append(leak('network', net, '%s is gone from the host; re-run the network module (or the restore) to '
                                                'rebuild it' % device, REPORT))
    return out


def _dir_leaks(snap, removed):
    """Empty folders of the store, and /etc/netns/NAME folders (empty, or emptied by removing the namespace) of
    namespaces the collection made that are gone."""
    out = [leak('directory', os.path.join(snap['root'], kind), 'empty folder of the store')
           for kind, empty in sorted(snap['store_dirs'].items()) if empty]
    ours = set(snap['records']) | {cname for cname, dummy in _endpoints(snap['networks'])}
    for name, entries in sorted(snap['etc_dirs'].items()):
        if not entries and name in ours and name not in removed and name not in snap['namespaces']:
            out.append(leak('directory', _netns.etc_dir(name), 'empty folder of namespace %s, which is gone' % name))
    if snap['etc_root_noted'] and not snap['etc_dirs']:
        out.append(leak('directory', _netns.ETC_NETNS, 'empty, and created by the collection'))
    return out


def _dns_leaks(snap):
    """Name server folders of networks without a document (removed by a run that was killed, or by hand from the
    store): their server still answers on an address the network no longer has."""
    out = []
    for net, pid in sorted(snap.get('dns_dirs', {}).items()):
        if net not in snap['networks']:
            server = 'its server (pid %d) runs' % pid if pid else 'no server runs'
            out.append(leak('dns', net, 'name server files of network %s, which has no document; %s' % (net, server)))
    return out


def _proxy_leaks(snap):
    """[::1] proxy folders (/run/hostnet/proxy/NET-PORT) whose network has no document or no longer publishes that
    port on [::] or [::1] (a run killed before it stopped them): the port stays taken on [::1]."""
    out = []
    for name, pid in sorted(snap.get('proxy_dirs', {}).items()):
        net, port = _proxy.parse_instance(name)
        if port not in _proxy.proxied(snap['networks'].get(net)):
            proxy = 'its proxy (pid %d) runs' % pid if pid else 'no proxy runs'
            out.append(leak('proxy', name, '[::1]:%d proxy files of network %s, which does not publish it; %s' % (port, net, proxy)))
    return out


def _dhcp_leaks(snap):
    """DHCP clients (their folder, their lease record) of an endpoint that no network with ipam_driver dhcp has (a
    run killed before it stopped them, a document removed by hand): the client holds a lease the LAN's server keeps."""
    out = []
    for name, pid in sorted(snap.get('dhcp_clients', {}).items()):
        net, container = _dhcp_service.parse_instance(name)
        doc = snap['networks'].get(net) or {}
        if doc.get('ipam_driver') != 'dhcp' or container not in (doc.get('endpoints') or {}):
            client = 'its client (pid %d) runs' % pid if pid else 'no client runs'
            out.append(leak('dhcp', name, 'DHCP client of %s on network %s, which has no such endpoint; %s' % (container, net, client)))
    return out


def after_networks(snap, leaks):
    """The network documents with the leaked endpoints dropped."""
    drop = {tuple(item['name'].split('/', 1)) for item in leaks if item['kind'] == 'endpoint' and item['action'] == REMOVE}
    out = {}
    for net, doc in snap['networks'].items():
        eps = (doc or {}).get('endpoints') or {}
        if any((net, cname) in drop for cname in eps):
            doc = dict(doc, endpoints={c: e for c, e in eps.items() if (net, c) not in drop})
        out[net] = doc
    return out


def plan(snap, leaks, changes):
    """The removals, in order: namespaces, veths, then the network documents without their lost endpoints; the
    names and the firewall follow (``changes.plan_names`` / ``plan_firewall``), empty folders last."""
    steps = _plan.Plan()
    records = snap['records']
    for item in leaks:
        if item['action'] == REMOVE and item['kind'] == 'netns':
            steps.add('remove network namespace %s (%s)' % (item['name'], item['why']),
                      lambda name=item['name']: changes.remove_namespace(name),
                      lambda name=item['name']: changes.restore_namespace(name, records.get(name)))
    for item in leaks:
        if item['kind'] == 'veth':
            steps.add('delete %s (%s)' % (item['name'], item['why']), lambda name=item['name']: changes.delete_link(name))
    new = after_networks(snap, leaks)
    changes.plan_names(steps, snap['networks'], new)
    changes.plan_firewall(steps, snap['networks'], new)
    for net in sorted(new):
        if new[net] != snap['networks'][net]:
            steps.add('write network state %s (without its lost endpoints)' % net,
                      lambda net=net: changes.save_network(net, new[net]),
                      lambda net=net: changes.save_network(net, snap['networks'][net]))
    for item in leaks:
        if item['kind'] == 'dns':
            steps.add('stop the name server of network %s and remove %s (%s)' % (
                item['name'], _dns_service.paths(item['name'])['dir'], item['why']),
                lambda net=item['name']: changes.remove_dns(net))
        elif item['kind'] == 'proxy':
            steps.add('stop the [::1] proxy %s and remove %s (%s)' % (item['name'], _proxy.paths(item['name'])['dir'], item['why']),
                      lambda name=item['name']: changes.remove_proxy(name))
        elif item['kind'] == 'dhcp':
            steps.add('stop the DHCP client %s (its lease released) and remove its files (%s)' % (item['name'], item['why']),
                      lambda name=item['name']: changes.remove_dhcp(name))
    for item in leaks:
        if item['kind'] == 'directory':
            steps.add('remove empty folder %s' % item['name'], lambda path=item['name']: changes.remove_dir(path))
    return steps, new


class Changes:
    """What the gc plan's steps do, in the run's Namespaces ``ns``; also plans the names and the firewall, which
    read files and the firewall's rules."""

    def __init__(self, ns, root=None):
        self.ns = ns
        self.root = root
        self.firewall = {}

    def remove_namespace(self, name):
        _netns_record.remove_namespace(self.ns, name, self.root)

    def restore_namespace(self, name, record):
        if record is not None:
            _netns_record.restore_namespace(name, record, self.root)

    def delete_link(self, name):
        _batch.delete_by_name(self.ns.chan(None), name)

    def save_network(self, name, doc):
        _store.save(_network.KIND, name, doc, self.root)

    def remove_dir(self, path):
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass
        if path == _netns.ETC_NETNS:
            _store.delete(_netns.ETC_ROOT_NOTE[0], _netns.ETC_ROOT_NOTE[1], self.root)
        elif os.path.dirname(path) == (self.root or _store.STATE_DIR):
            try:
                os.rmdir(os.path.dirname(path))  # the store itself once empty (a mount point stays)
            except OSError:
                pass

    @staticmethod
    def remove_dns(network):
        """Our server only (_dns_service checks the pid file's process), then its folder, and the parent when empty."""
        _dns_service.stop(network)
        shutil.rmtree(_dns_service.paths(network)['dir'], ignore_errors=True)
        try:
            os.rmdir(_dns_service.RUN_DIR)
        except OSError:  # other networks' servers, or gone
            pass

    @staticmethod
    def remove_proxy(name):
        """Our proxy only (_proxy checks the pid file's process), then its folder, and the parent when empty."""
        _proxy.stop(name)
        _proxy.write(name, None)
        try:
            os.rmdir(_proxy.RUN_DIR)
        except OSError:  # other proxies, or gone
            pass

    def remove_dhcp(self, name):
        """Our client only (_dhcp_service checks the pid file's process: it releases its lease), then its files."""
        _dhcp_service.stop(name)
        _dhcp_service.forget(name, self.root)

    @staticmethod
    def plan_names(steps, old, new):
        _names.plan_names(steps, old, new)

    def plan_firewall(self, steps, old, new):
        """The host's rule set recomputed from the documents as they will be: rules of networks that are gone (or
        of dropped endpoints) go."""
        nats = _store.load_all(_firewall.NAT_KIND, self.root)
        self.firewall = _firewall.plan(steps, self.ns, old, new, nats, nats, self.root)
