# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay driver: one subnet across many hosts, a VXLAN with static forwarding (no multicast, no key-value store).

On each host the network is a bridge network (_bridge: the bridge with the gateway address, veth endpoints, firewall,
names) plus one VXLAN device on the bridge: VNI ``vni``, this host's underlay address as ``local``, learning off and
proxy on, no group and no remote.  Everything it knows is a static entry the run writes from its parameters: per peer
host an all-zero forwarding entry (head-end replication of broadcast and unknown unicast), per container on another
host a forwarding entry MAC -> that host and a neighbour entry IP -> MAC (the device answers ARP itself, so ARP never
crosses the underlay).  Every host's bridge holds the same gateway with the same MAC (Docker's from the address), so
a container's traffic out of the subnet leaves through its own host (anycast gateway).

Only what is the overlay's own lives here: its settings, the VXLAN device and its entries; the rest is _bridge's and
_planner's.
"""

from __future__ import annotations

import socket

from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _network6
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

DEFAULT_PORT = 4789
MAX_VNI = (1 << 24) - 1
# The encapsulation per underlay family: outer IPv4 20 (IPv6 40) + UDP 8 + VXLAN 8 + inner Ethernet 14.
OVERHEAD = {4: 50, 6: 70}
MIN_MTU = 576
FLOOD_MAC = '00:00:00:00:00:00'
HELD = '@remote:'  # key prefix of the remote endpoints' addresses held in the pool (no container name has '@')
# The bridge driver's options an overlay does not offer, at the values it keeps.
BRIDGE_DEFAULTS = {'stp': False, 'host_binding_ipv4': '0.0.0.0', 'gateway_mode_ipv4': 'nat', 'gateway_mode_ipv6': 'nat',
                   'trusted_host_interfaces': None, 'ip_forward': True, 'firewall': True, 'address_pools': None}
_ADDRESS_KEYS = {4: ('ip', 'subnet', 'enable_ipv4: true (the network is IPv6-only)'), 6: ('ipv6_address', 'subnet_v6', 'enable_ipv6: true')}


def mac_of(ip, ip6=None):
    """A container's (or the gateway's) MAC on the overlay, the same on every host without telling them: Docker's from
    the IPv4 address, else (IPv6-only) 02:42 and the last four bytes of the IPv6 address."""
    return _ipam.docker_mac(ip) if ip is not None else _ipam6.docker_mac(ip6)


def owns_vxlan(stored, name):
    """Whether the network's document records that the collection created the VXLAN device ``name``."""
    stored = stored or {}
    return stored.get('vxlan') == name and stored.get('vxlan_created') is True


# -- the wanted settings (pure: parameters, stored document and snapshot in) --------------------------------------
def check_vni(p, stored, others):
    vni = p.get('vni') if p.get('vni') is not None else stored.get('vni')
    if vni is None:
        raise _validate.InputError('vni', None, 'is required for a new overlay network (the same VNI on every host)')
    if not isinstance(vni, int) or not 1 <= vni <= MAX_VNI:
        raise _validate.InputError('vni', vni, 'must be 1-%d' % MAX_VNI)
    if stored.get('vni') is not None and vni != stored['vni']:
        raise _validate.InputError('vni', vni, 'the network has VNI %d; remove the network (on every host) to change it' % stored['vni'])
    for other, doc in sorted(others.items()):
        if doc.get('driver') == 'overlay' and doc.get('vni') == vni:
            raise _validate.InputError('vni', vni, "is also the VNI of overlay network '%s'" % other)
    return vni


def default_underlay(snap, version=4):
    """The interface of the host's IPv4 (``version`` 6: IPv6) default route, or None."""
    routes = snap.routes if version == 4 else getattr(snap, 'routes6', None)
    for route in routes or ():
        if route['dst_len'] == 0 and route['table'] == 254 and route['oif']:
            return snap.ifname_of(route['oif'])
    return None


def version_of(ip):
    return 6 if ':' in str(ip) else 4


def routable6(ip):
    """An IPv6 address other hosts can reach: not link-local (it needs a scope), loopback, multicast or unspecified."""
    return not (ip.is_link_local() or ip.is_loopback() or ip.is_multicast() or ip.value == 0)


def parse_vtep(value, option):
    """An underlay address, IPv4 or IPv6 (not link-local: a VTEP's address must route between hosts), in the one text
    form the kernel reads back (netaddr's compact one)."""
    if value is None or str(value).strip() == '':
        raise _validate.InputError(option, value, 'expected an IPv4 or IPv6 address')
    text = str(value).strip()
    if ':' not in text:
        return str(_ipam.parse_ip(text, option))
    try:
        ip = _ipam.netaddr.IPAddress(text, 6)
    except (_ipam.netaddr.AddrFormatError, ValueError, TypeError):
        raise _validate.InputError(option, value, 'is not a valid IPv6 address') from None
    if not routable6(ip):
        raise _validate.InputError(option, value, 'is not a global IPv6 address (a VTEP needs one the other hosts route to, '
                                   'not a link-local, loopback or multicast one)')
    return str(ip)


def host_addresses(snap, index, version):
    """The addresses of link ``index`` in one family: IPv4 in kernel order, IPv6 only global ones (not link-local)."""
    if version == 4:
        return [a.split('/')[0] for a in snap.addresses(index)]
    return [a['address'].split('/')[0] for a in getattr(snap, 'addrs6', None) or ()
            if a['index'] == index and a['address'] and routable6(_ipam.netaddr.IPAddress(a['address'].split('/')[0], 6))]


def _underlay_interface(p, snap):
    """(interface, the family its default gives) of the VTEP: as given, else the IPv4 default route's, else the IPv6 one's."""
    if p.get('underlay_interface'):
        return p['underlay_interface'], None
    for version in (4, 6):
        ifname = default_underlay(snap, version)
        if ifname:
            return ifname, version
    raise _validate.InputError('underlay_interface', None, 'the host has no IPv4 or IPv6 default route to take it from; give the '
                               'interface that reaches the other hosts')


def underlay(p, snap, must_exist=True):
    """(interface, its link, address) of this host's VTEP, checked against the host (but whether a given address is
    there yet when not ``must_exist``: at boot DHCP may not have given it; the kernel takes a VXLAN source it lacks)."""
    ifname, version = _underlay_interface(p, snap)
    _validate.validate_ifname(ifname, 'underlay_interface')
    link = snap.link(ifname)
    if link is None:
        raise _validate.InputError('underlay_interface', ifname, 'no such interface on the host')
    ip = p.get('underlay_ip')
    if ip is None:
        # From an IPv6 default route its global address; else the first IPv4 address, or a global IPv6 one without.
        mine = [a for v in ((version,) if version else (4, 6)) for a in host_addresses(snap, link['index'], v)]
        if not mine:
            raise _validate.InputError('underlay_interface', ifname, 'has no %s address to be the VTEP; give underlay_ip'
                                       % ('IPv6 global' if version == 6 else 'IPv4 or global IPv6'))
        return ifname, link, mine[0]
    ip = parse_vtep(ip, 'underlay_ip')
    mine = host_addresses(snap, link['index'], version_of(ip))
    every = [a['address'].split('/')[0] for a in list(snap.addrs) + list(getattr(snap, 'addrs6', None) or ()) if a['address']]
    if must_exist and ip not in every:
        raise _validate.InputError('underlay_ip', ip, 'is not an address of this host (the VTEP sends from it); addresses of %s: %s'
                                   % (ifname, ', '.join(mine) or 'none'))
    return ifname, link, ip


def overlay_mtu(p, ifname, link, version=4):
    """The overlay's MTU: the underlay's less the encapsulation (of an IPv4 or IPv6 underlay), or lower as asked."""
    overhead = OVERHEAD[version]
    room = (link['mtu'] or 1500) - overhead
    if room < MIN_MTU:
        raise _validate.InputError('underlay_interface', ifname, 'has MTU %d, which leaves %d after the %d bytes of IPv%d VXLAN '
                                   'encapsulation; an overlay needs at least %d' % (link['mtu'], room, overhead, version, MIN_MTU))
    mtu = p.get('mtu') or room
    _validate.mtu(mtu)
    if mtu > room:
        raise _validate.InputError('mtu', mtu, 'is above the underlay %s MTU %d less %d bytes of IPv%d VXLAN encapsulation (%d at most)'
                                   % (ifname, link['mtu'], overhead, version, room))
    return mtu


def check_peers(entries, own_ip):
    """{host: underlay ip} of the ``peers`` option, this host's own address left out; all of ``own_ip``'s family (a
    VXLAN device sends over one family: its local address's)."""
    peers, owner = {}, {}
    for i, entry in enumerate(entries):
        ip = parse_vtep(entry.get('underlay_ip'), 'peers[%d].underlay_ip' % i)
        if version_of(ip) != version_of(own_ip):
            raise _validate.InputError('peers[%d].underlay_ip' % i, ip, 'is an IPv%d address, but this host\'s underlay_ip %s is IPv%d; '
                                       'the VTEPs of an overlay are all IPv4 or all IPv6' % (version_of(ip), own_ip, version_of(own_ip)))
        host = entry.get('host') or ip
        if entry.get('host'):
            _validate.validate_hostname(host, 'peers[%d].host' % i)
        if ip == own_ip:
            continue
        if ip in owner:
            raise _validate.InputError('peers[%d].underlay_ip' % i, ip, "is also the underlay address of peer '%s'" % owner[ip])
        if host in peers:
            raise _validate.InputError('peers[%d].host' % i, host, 'is listed twice')
        peers[host] = ip
        owner[ip] = host
    return peers


def _remote_host(entry, i, peers):
    host = entry.get('host')
    by_ip = {ip: name for name, ip in peers.items()}
    if host in peers:
        return host
    if host in by_ip:
        return by_ip[host]
    raise _validate.InputError('remote_endpoints[%d].host' % i, host, 'is not a peer (a peers[].host or peers[].underlay_ip)')


def check_remote_names(remote, local_names):
    """A remote container's name or alias is nobody else's (case-insensitively, as DNS compares): the name servers of
    every host answer for all of them.  ``local_names``: {name or alias, lower-case: the local container}."""
    owner = dict(local_names)
    for i, (cname, ep) in enumerate(remote.items()):
        for option, name in [('name', cname)] + [('aliases', alias) for alias in ep['aliases']]:
            other = owner.setdefault(name.lower(), cname)
            if other != cname:
                raise _validate.InputError('remote_endpoints[%d].%s' % (i, option), name,
                                           "is already a name of container '%s'; a name resolves to one container" % other)


def _remote_address(entry, where, family, subnet, owner, name):
    """A remote container's address of ``family``: required when the network has that family (it is the other host's
    to allocate), refused when not; inside the subnet and nobody else's."""
    key, subnet_key, needs = _ADDRESS_KEYS[family]
    option, value = '%s.%s' % (where, key), entry.get(key)
    if subnet is None:
        if value:
            raise _validate.InputError(option, value, 'needs ' + needs)
        return None
    if not value:
        raise _validate.InputError(option, value, 'is required: the network has IPv%d, and a remote container\'s address is given by its host' % family)
    ip = _ipam.parse_ip(value, option) if family == 4 else _ipam6.parse_ip(value, option)
    if ip not in subnet:
        raise _validate.InputError(option, str(ip), 'is not inside %s %s' % (subnet_key, subnet))
    if str(ip) in owner:
        raise _validate.InputError(option, str(ip), "is also the address of container '%s'" % owner[str(ip)])
    owner[str(ip)] = name
    return str(ip)


def check_remote(entries, peers, subnets, local):
    """{name: {ip, mac, host, aliases, ip6?}} of the ``remote_endpoints`` option; ``subnets``: {4: subnet or None, 6: subnet_v6
    or None}; ``local``: {name: [explicit or held addresses]}."""
    out, owner = {}, {ip: name for name, ips in local.items() for ip in ips if ip}
    for i, entry in enumerate(entries):
        where = 'remote_endpoints[%d]' % i
        name = _validate.container_name(entry.get('name'), where + '.name')
        if name in local or name in out:
            raise _validate.InputError(where + '.name', name, 'is also %s' % ('a container on this host' if name in local else 'listed before'))
        ip, ip6 = (_remote_address(entry, where, family, subnets[family], owner, name) for family in (4, 6))
        mac = _ipam.normalize_mac(entry['mac'], where + '.mac') if entry.get('mac') else mac_of(ip, ip6)
        aliases = list(entry.get('aliases') or [])
        for alias in aliases:
            _validate.alias(alias, where + '.aliases')
        out[name] = {'ip': ip, 'mac': mac, 'host': _remote_host(entry, i, peers), 'aliases': aliases}
        if ip6 is not None:
            out[name]['ip6'] = ip6
    return out


def check_port(port):
    port = port or DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise _validate.InputError('port', port, 'must be a UDP port, 1-65535')
    return port


def members(p, stored, subnets, own_ip):
    """(peers, remote endpoints) as given, else as stored (the remote endpoints of the peers kept)."""
    peers = check_peers(p['peers'], own_ip) if p.get('peers') is not None else dict(stored.get('peers') or {})
    if p.get('remote_endpoints') is None:
        return peers, {n: ep for n, ep in (stored.get('remote_endpoints') or {}).items() if ep.get('host') in peers}
    specs = _model.endpoint_specs(p['endpoints'])
    local = {s.name: [s.ip, s.ip6] for s in specs}
    names = {n.lower(): s.name for s in specs for n in [s.name] + s.aliases}
    for cname, ep in (stored.get('endpoints') or {}).items():
        local.setdefault(cname, [ep.get('ip'), ep.get('ip6')])
        for name in [cname] + list(ep.get('aliases') or []):
            names.setdefault(name.lower(), cname)
    remote = check_remote(p['remote_endpoints'], peers, subnets, local)
    check_remote_names(remote, names)
    return peers, remote


def check_local_addresses(net, remote):
    """A container of this host never has a remote container's address (one held before that one was listed)."""
    owners = {ep.get(key): (n, key) for n, ep in remote.items() for key in ('ip', 'ip6') if ep.get(key)}
    for cname, ep in sorted(net.endpoints.items()):
        for ip in (ep.ip, ep.ip6):
            if ip in owners:
                raise _validate.InputError('remote_endpoints[%s].%s' % (owners[ip][0], 'ipv6_address' if owners[ip][1] == 'ip6' else 'ip'), ip,
                                           "is the address of container '%s' on this host" % cname)


def foreign_vxlan(snap, vni, port, mine):
    """A VXLAN device of the host with this VNI and port that is not ``mine`` (the kernel would refuse a second one)."""
    for ifname, link in sorted(snap.links.items()):
        vx = link.get('vxlan')
        if ifname != mine and vx and vx['id'] == vni and vx['port'] == port:
            return ifname
    return None


def read_underlay6(run):
    """The host's IPv6 addresses, and its IPv6 routes when the VTEP may come from the IPv6 default route (no interface
    given and no IPv4 default route), read once before planning into the snapshot (``addrs6``, ``routes6``)."""
    snap = run.snap
    if getattr(snap, 'underlay6_read', False):
        return
    snap.underlay6_read = True
    if run.p.get('underlay_ip') and ':' not in str(run.p['underlay_ip']):
        return  # an IPv4 VTEP: nothing IPv6 to look at for it (a network with IPv6 has its addresses read already)
    host = run.ns.chan(None)
    if getattr(snap, 'ipv6', None) is None:  # not read with the host (a network without IPv6)
        snap.addrs6 = host.dump(_kernel.RTM_GETADDR, socket.AF_INET6)
    if not run.p.get('underlay_interface') and default_underlay(snap) is None:
        snap.routes6 = [r for r in host.dump(_kernel.RTM_GETROUTE, socket.AF_INET6) if r['table'] == 254]


# -- the entries (pure) ----------------------------------------------------------------------------------------------
def wanted_entries(options):
    """(forwarding entries {(mac, underlay ip)}, neighbour entries {ip: mac}) of a VXLAN device."""
    peers = options.get('peers') or {}
    fdb = {(FLOOD_MAC, ip) for ip in peers.values()}
    neigh = {}
    for ep in (options.get('remote_endpoints') or {}).values():
        if ep.get('host') in peers:
            fdb.add((ep['mac'], peers[ep['host']]))
            # IPv4 (ARP) and IPv6 (neighbour discovery) entries alike: the device's proxy answers both itself.
            neigh.update((ip, ep['mac']) for ip in (ep.get('ip'), ep.get('ip6')) if ip)
    return fdb, neigh


def current_entries(entries):
    """(forwarding entries, neighbour entries {ip: mac} of the permanent ones, the other neighbour entries' ips) of a
    device as read (see read_entries)."""
    fdb = {(e['mac'], e['dst']) for e in entries.get('fdb') or () if e['flags'] & codec.NTF_SELF and e['dst'] and e['mac']}
    neigh, other = {}, set()
    for e in list(entries.get('neigh') or ()) + list(entries.get('neigh6') or ()):
        if e['dst'] and e['mac'] and e['state'] & codec.NUD_PERMANENT:
            neigh[e['dst']] = e['mac']
        elif e['dst']:
            other.add(e['dst'])
    return fdb, neigh, other


def entry_changes(want, have):
    """[(action, kind, key, value)] taking ``have`` (current_entries) to ``want`` (wanted_entries): removals first (a
    container that moved host loses its old forwarding entry before it gets the new one)."""
    fdb_want, neigh_want = want
    fdb_have, neigh_have, other = have
    out = [('del', 'fdb', mac, dst) for mac, dst in sorted(fdb_have - fdb_want)]
    out += [('del', 'neigh', ip, mac) for ip, mac in sorted(neigh_have.items()) if ip not in neigh_want]
    out += [('add', 'fdb', mac, dst) for mac, dst in sorted(fdb_want - fdb_have)]
    out += [('add', 'neigh', ip, mac) for ip, mac in sorted(neigh_want.items()) if neigh_have.get(ip) != mac or ip in other]
    return out


def entry_request(action, kind, key, value, index):
    """The request of one entry change (see entry_changes) on device ``index``."""
    msg = codec.RTM_NEWNEIGH if action == 'add' else codec.RTM_DELNEIGH
    if kind == 'fdb':
        return codec.neigh_request(msg, codec.AF_BRIDGE, index, key, value, append=key == FLOOD_MAC)
    return codec.neigh_request(msg, codec.family_of(key), index, value, key)


def entry_text(action, kind, key, value, device):
    if kind == 'fdb':
        what = 'flood entry to %s' % value if key == FLOOD_MAC else 'forwarding entry %s dst %s' % (key, value)
    else:
        what = 'neighbour entry %s lladdr %s' % (key, value)
    return '%s %s %s %s' % ('add' if action == 'add' else 'remove', what, 'to' if action == 'add' else 'from', device)


class EntryBatch(_plan.Batch):
    """A VXLAN device's entry changes of one plan sent in one write on the host's socket (Channel.run pipelines them);
    the device's index is looked up when they run (the plan may create the device)."""

    def __init__(self, chan, device):
        self.chan = chan
        self.device = device

    def run(self, steps):
        index = self.chan.index(self.device)
        errors = self.chan.run([step.do(index) for step in steps])
        for step, error in zip(steps, errors):
            if error is not None:
                raise _plan.BatchFailed(step, error, steps[:self.chan.sent])


def read_entries(chan, index, v6=False):
    """The forwarding and neighbour entries of the VXLAN device ``index`` (with ``v6`` its IPv6 neighbour entries too),
    read once before planning."""
    out = {'fdb': chan.neighbours(index, codec.AF_BRIDGE), 'neigh': chan.neighbours(index, socket.AF_INET)}
    if v6:
        out['neigh6'] = chan.neighbours(index, socket.AF_INET6)
    return out


def plan_entries(run, net, fresh):
    """The device's static entries: only the difference from what it has (all of them on a device this run makes)."""
    name = net.options['vxlan']
    have = current_entries({} if fresh else (getattr(run.snap, 'vxlan_entries', None) or {}))
    host = run.ns.chan(None)
    batch = EntryBatch(host, name)
    for change in entry_changes(wanted_entries(net.options), have):
        back = ('del' if change[0] == 'add' else 'add',) + change[1:]

        def undo(back=back):
            link = host.link(name)
            if link is not None:
                _batch.quiet(lambda: _batch.run_one(host, entry_request(*back, link['index'])), *_kernel.GONE)

        run.plan.add(entry_text(*change, name), lambda index, change=change: entry_request(*change, index), undo, batch=batch)


# -- the device ---------------------------------------------------------------------------------------------------
def _create_vxlan(host, name, vx, mtu, bridge):
    _batch.run_one(host, _kernel.vxlan_request(name, vx['id'], vx['local'], vx['link'], vx['port'], mtu))
    try:
        _batch.run_one(host, _kernel.link_set_request(ifname=name, master=host.index(bridge), up=True))
    except BaseException:
        _batch.delete_by_name(host, name)
        raise


def plan_vxlan(run, net):
    """The VXLAN device: created on the bridge, recreated when its VNI, address, underlay or port change, its bridge,
    MTU and state repaired.  Returns whether it is new (its entries are all to add)."""
    o, host = net.options, run.ns.chan(None)
    name, bridge = o['vxlan'], o['bridge']
    link = run.snap.link(name)
    if link is not None and (link['kind'] != 'vxlan' or not owns_vxlan(run.stored, name)):
        raise _validate.ForeignLinkError('name', run.name, name, 'the host already has an interface %s (a %s) that this network did not '
                                         'create; it is left alone' % (name, link['kind'] or 'device'))
    want = {'id': o['vni'], 'local': o['underlay_ip'], 'link': run.snap.link(o['underlay_interface'])['index'], 'port': o['port'],
            'learning': False, 'proxy': True}
    if link is not None and {k: link['vxlan'].get(k) for k in want} != want:
        old, old_mtu = dict(link['vxlan']), link['mtu']
        run.plan.add('delete %s (its VXLAN settings change)' % name, lambda: _batch.delete_by_name(host, name),
                     lambda: _create_vxlan(host, name, old, old_mtu, bridge))
        link = None
    if link is None:
        text = 'create vxlan %s (VNI %d, local %s dev %s, port %d) on %s' % (
            name, o['vni'], o['underlay_ip'], o['underlay_interface'], o['port'], bridge)
        run.plan.add(text, lambda: _create_vxlan(host, name, want, net.mtu, bridge), lambda: _batch.delete_by_name(host, name))
        return True
    br = run.snap.link(bridge)
    if br is None or link['master'] != br['index']:
        index = link['index']
        run.plan.add('attach %s to %s' % (name, bridge), lambda: _batch.run_one(host, _kernel.link_set_request(index, master=host.index(bridge))))
    if link['mtu'] != net.mtu:
        run.plan_set(None, link, 'set mtu %d on %s' % (net.mtu, name), batch=False, mtu=net.mtu)
    if not link['up']:
        run.plan_set(None, link, 'set %s up' % name, batch=False, up=True)
    return False


def overlay_subnets(run):
    """{4: subnet or None, 6: subnet_v6 or None}: given or held, never chosen from a pool (every host must have the
    same; the role chooses for the play), each overlapping no other network's."""
    p, stored = run.p, run.old
    families = _network6.families(p, stored, run.snap.ipv6 if _network6.wants_v6(p, stored) else True)
    out = {4: None, 6: None}
    for family, on, key in ((4, families[0], 'subnet'), (6, families[1], 'subnet_v6')):
        if not on:
            continue
        if not p.get(key) and not stored.get(key):
            raise _validate.InputError(key, None, 'is required for a new overlay network%s (the same subnet on every host)'
                                       % (' with enable_ipv6' if family == 6 else ''))
        # The clash with another network first: it explains the remote containers' addresses outside the others' subnet.
        if family == 4:
            out[4] = _ipam.parse_subnet(p['subnet'] or stored['subnet'])
            _ipam.check_subnet_overlaps(out[4], {n: d['subnet'] for n, d in run.others.items() if d.get('subnet')}, run.name)
        else:
            out[6] = _ipam6.parse_subnet(p.get('subnet_v6') or stored['subnet_v6'])
            _ipam6.check_overlaps(out[6], run.others)
    return out


def ipv6_only_macs(net, p):
    """An IPv6-only endpoint's MAC without a given one: from its IPv6 address (mac_of), as its remote hosts compute it,
    not from the host's own endpoint id."""
    for spec in _model.endpoint_specs(p['endpoints']):
        ep = net.endpoints[spec.name]
        if ep.ip is None and ep.ip6 is not None and not spec.mac:
            ep.mac = mac_of(None, ep.ip6)


class OverlayDriver(_bridge.BridgeDriver):
    """The overlay's part of planning: a bridge network's (see _bridge.BridgeDriver) with its VXLAN device."""

    name = 'overlay'
    bridge_prefix = 'ov-'
    not_mine = 'is already a %s network (manage it with that driver\'s module: docker_bridge, macvlan_net)'
    not_this = 'is a %s network, not an overlay one'

    @staticmethod
    def needs_routes(run):
        return run.p['state'] == 'present' and not run.p.get('underlay_interface')

    @staticmethod
    def needs_uplink(run):  # pylint: disable=unused-argument
        return False  # the MTU comes from the underlay (overlay_mtu)

    @staticmethod
    def ports_of(run):  # pylint: disable=unused-argument
        return None  # every link: a VNI is checked against every VXLAN device of the host (foreign_vxlan)

    @staticmethod
    def device_mac(net):
        """Docker's MAC of the gateway address: the same on every host without sharing the (random) network id, so every
        bridge of the overlay is the same gateway to its own containers (anycast)."""
        return mac_of(net.gateway, net.gateway6)

    @staticmethod
    def held_addresses(run, family=4):
        key = 'ip' if family == 4 else 'ip6'
        return {HELD + n: ep[key] for n, ep in run.overlay['remote_endpoints'].items() if ep.get(key)}

    def desired(self, run):
        p, stored = run.p, run.old
        if run.name == 'bridge':
            raise _validate.InputError('name', run.name, "is Docker's default bridge network, not an overlay")
        vni = check_vni(p, stored, run.others)
        port = check_port(p.get('port'))
        subnets = overlay_subnets(run)
        ifname, link, ip = underlay(p, run.snap, getattr(run, 'host_ip_must_exist', True))
        p['mtu'] = overlay_mtu(p, ifname, link, version_of(ip))
        peers, remote = members(p, stored, subnets, ip)
        run.overlay = {'remote_endpoints': remote}
        net = super().desired(run)
        check_local_addresses(net, remote)
        ipv6_only_macs(net, p)
        mine = stored.get('vxlan') or 'vx-' + net.id[:12]
        other = foreign_vxlan(run.snap, vni, port, mine if owns_vxlan(stored, mine) else None)
        if other:
            raise _validate.ForeignLinkError('vni', vni, other, 'the host already has a VXLAN device %s with VNI %d on port %d that the '
                                             'collection did not create; it is left alone' % (other, vni, port))
        net.options.update(vni=vni, port=port, vxlan=mine, vxlan_created=True, underlay_interface=ifname, underlay_ip=ip, peers=peers,
                           remote_endpoints=remote)
        return net

    def prefetch(self, run, net):
        super().prefetch(run, net)
        link = run.snap.link(net.options['vxlan'])
        if link is not None and link['kind'] == 'vxlan' and getattr(run.snap, 'vxlan_entries', None) is None:
            run.snap.vxlan_entries = read_entries(run.ns.chan(None), link['index'], 6 in net.families or bool(run.old.get('enable_ipv6')))

    def plan_device(self, run, net):
        super().plan_device(run, net)
        run.overlay['fresh'] = plan_vxlan(run, net)

    @staticmethod
    def plan_after(run, net):
        plan_entries(run, net, run.overlay.get('fresh'))

    def plan_teardown(self, run, old):
        super().plan_teardown(run, old)
        link = run.snap.link(old.options.get('vxlan'))
        if link is not None and owns_vxlan(run.stored, old.options['vxlan']):
            run.add('delete vxlan %s' % old.options['vxlan'], [('delete', link)])


class OverlayNetwork(_bridge.BridgeNetwork):
    """Plan one overlay network on this host (bridge, VXLAN device, entries, endpoints) in one pass."""
    driver = OverlayDriver()

    def __init__(self, params, ns, root=None, driver=None):
        params = dict(BRIDGE_DEFAULTS, **params)
        super().__init__(params, ns, root, driver)
        self.overlay = {'remote_endpoints': {}}

    def read(self, net, present=True):
        fresh = self.snap is None
        snap = super().read(net, present)
        if fresh and self.p['state'] == 'present':
            read_underlay6(self)  # with the host's first read: planning (desired) then only looks at the snapshot
        return snap
