# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge driver: a Docker-style bridge network (a bridge with the gateway address, veth endpoints, firewall).

Only what is the bridge's own lives here: its settings, the bridge device, and the veth pair of an endpoint (host
end on the bridge with hairpin on, peer in the container).  Everything else is _planner's.
"""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp
from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _network6
from ansible_collections.hostnet.containers.plugins.module_utils import _outbound
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _planner
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _proxy
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _unmanaged
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def owns_bridge(stored, bridge):
    """Whether a network's state document records that the collection created ``bridge``.  A document written before
    ``bridge_created`` existed (no key) counts as created: only the collection's own runs wrote it, and they made the
    bridge or, in versions before ownership was recorded, already held it as the network's own."""
    stored = stored or {}
    return stored.get('bridge') == bridge and stored.get('bridge_created', True) is not False


def bridge_option(run):
    """The option that chose the bridge's name, for errors: bridge_name, or name for the default network."""
    return 'name' if run.name == _network.DEFAULT_NETWORK and not run.p.get('bridge_name') else 'bridge_name'


def check_foreign_subnet(run, subnet, ours):
    """A new subnet must not overlap an address of a link the collection did not make (a running Docker's docker0,
    the uplink, the user's own bridge): ``ours`` are the links the state documents record."""
    for addr in run.snap.addrs:
        link = run.snap.ifname_of(addr['index'])
        if not addr['address'] or link in ours:
            continue
        other = _ipam.parse_interface_address(addr['address'], 'subnet').cidr
        if _ipam.networks_overlap(subnet, other):
            raise _validate.ForeignLinkError('subnet', str(subnet), link, 'overlaps %s of %s, an interface the collection did not create; '
                                             'choose another subnet' % (other, link))


def bridge_mac(network_id):
    """A locally administered unicast MAC of the network's bridge, from its id: stable across reruns."""
    return '02:42:' + ':'.join(network_id[i:i + 2] for i in range(0, 8, 2))


_LEAVE_DEFAULT = ' or leave the default network out (role option bridge_network_default_bridge)'


def gateway_neigh_request(index, gateway, mac):
    """RTM_NEWNEIGH in a container: the permanent neighbour entry of its gateway (IPv4 or IPv6) on device ``index``,
    the bridge's MAC ``mac`` (encoded by the codec, as _overlay's entries).  Permanent, not learned: the kernel's
    neighbour table is one for every namespace and its limit (gc_thresh3, 1,024 by default) machine-wide, and counts
    only the entries it may collect; an entry per new container in any other state filled it when a network of 1,000
    was made (ENOBUFS, and no new entry for anyone, the machine's own namespace included, for seconds).  It goes with
    the container's interface."""
    return _kernel_codec.neigh_request(_kernel_codec.RTM_NEWNEIGH, _kernel_codec.family_of(gateway), index, mac, gateway)


def _gateway_neighbours(run, cname, ep, veth):
    """A new container's permanent neighbour entries of the gateways its default routes go through, with the bridge's
    MAC.  Why: a container's first ARP request (or neighbour solicitation) for its gateway is flooded by the bridge to
    every port before the host answers it, one packet per port into the CPU's receive backlog
    (net.core.netdev_max_backlog, 1,000 by default); on a bridge of about 1,000 ports the backlog is full when the
    host's answer is queued behind it, so the answer is dropped, every time: a new container's replies to the host and
    to the LAN went nowhere for 30 to 50 s.  Permanent (see gateway_neigh_request), so only where the bridge's
    MAC is the network's own and stays so: set when the bridge was made (an overlay's is the anycast gateway's,
    _overlay.OverlayDriver); none when the bridge has another (the user's, unmanaged; one made without it), nor where
    the host holds no gateway (isolated)."""
    net = run.net
    if net.options.get('unmanaged'):
        return []
    mac = run.driver.device_mac(net)
    bridge = run.snap.link(net.options['bridge'])
    if bridge is not None and (bridge.get('mac') or '').lower() != mac:
        return []
    gateways = [(net.gateway, ep.default_route and net.options.get('gateway_mode_ipv4') != 'isolated'),
                (net.gateway6, ep.ip6 is not None and run.route6.get(cname)
                 and net.options.get('gateway_mode_ipv6') != 'isolated')]
    return [(cname, lambda ctx, gw=gw: gateway_neigh_request(ctx.peer(veth), gw, mac)) for gw, wanted in gateways if gw and wanted]


def _own_host_end(run, cname, ep, link):
    """Whether ``link`` (named like the endpoint's host end, or as its record names it before a rename) is the
    collection's: the network's record lists the endpoint with that host end, and the link is a veth on the network's
    bridge (or on none, left by a failed attach)."""
    if link is None or link['kind'] != 'veth' or run.old_endpoint(cname).get('veth', ep.veth) != link['ifname'] or not run.old_endpoint(cname):
        return False
    bridge = run.snap.link(run.old.get('bridge') or (run.net.options['bridge'] if run.net else None))
    return not link['master'] or (bridge is not None and link['master'] == bridge['index'])


def _host_names(run, net):
    """{link name: what holds it} of the names the host's networks give their links: every recorded endpoint's host
    end (but this network's, planned now), bridges, shims and VXLAN devices."""
    out = {}
    for other, doc in run.others.items():
        for cname, ep in (doc.get('endpoints') or {}).items():
            if ep.get('veth'):
                out[ep['veth']] = 'the host end of %s on network %s' % (cname, other)
        for key, what in (('bridge', 'the bridge'), ('vxlan', 'the VXLAN device')):
            if doc.get(key):
                out[doc[key]] = '%s of network %s' % (what, other)
        if (doc.get('host_shim') or {}).get('name'):
            out[doc['host_shim']['name']] = 'the host shim of network %s' % other
    out[net.options['bridge']] = 'the bridge of network %s' % net.name
    return out


def check_host_ifnames(run, net, specs):
    """Each ``host_ifname`` asked for: no name another endpoint, network or device of the collection's has, and no
    link of the host's that is not this endpoint's own host end (never renamed or replaced)."""
    taken = _host_names(run, net)
    for cname, ep in net.endpoints.items():
        taken.setdefault(ep.veth, 'the host end of %s on network %s' % (cname, net.name))
    for spec in specs:
        name = spec.host_ifname
        if not name:
            continue
        option = spec.option + '.host_ifname'
        holder = taken.get(name)
        if holder and holder != 'the host end of %s on network %s' % (spec.name, net.name):
            raise _validate.InputError(option, name, 'is already %s: each endpoint needs a host end of its own' % holder)
        link = run.snap.link(name)
        if link is not None and run.old_endpoint(spec.name).get('veth') != name:
            raise _validate.ForeignLinkError(option, name, name, 'the host already has an interface of that name (a %s) that the '
                                             'collection did not make; it is left alone: choose another name or remove it'
                                             % (link['kind'] or 'device'))


def _plan_rename(run, cname, link, name):
    """Rename the host end ``link`` to ``name`` in place: down, renamed (the kernel renames a link only while it is
    down), up again; it stays on the bridge and the container end is not touched.  Undone by the old name."""
    index, old = link['index'], link['ifname']
    host = run.ns.chan(None)

    def requests(new):
        return [_kernel.link_set_request(index, up=False), _kernel.link_set_request(index, ifname=new), _kernel.link_set_request(index, up=True)]

    def undo():
        for request in requests(old):
            _batch.quiet(lambda request=request: _batch.run_one(host, request), *_kernel.GONE)
    run.add('rename %s to %s (host end of %s on %s)' % (old, name, cname, run.name),
            [(None, lambda ctx, i=i: requests(name)[i]) for i in range(3)], undo)


def _exposure_options(p, bridge):
    """gateway_mode_ipv4, gateway_mode_ipv6 and trusted_host_interfaces as the document keeps them: only when not Docker's defaults (nat,
    none), so a document written before they existed reads the same and a rerun of it changes nothing."""
    out = {}
    for key in ('gateway_mode_ipv4', 'gateway_mode_ipv6'):
        mode = _validate.choice(p.get(key) or 'nat', key, _firewall_rules.GATEWAY_MODES)
        if mode == 'isolated' and not p.get('internal'):
            raise _validate.InputError(key, mode, 'needs internal: true, as in Docker (an isolated network is an internal one '
                                       'whose bridge has no address either)')
        if mode != 'nat':
            out[key] = mode
    trusted = _validate.interface_names(p.get('trusted_host_interfaces'), 'trusted_host_interfaces')
    if bridge in trusted:
        raise _validate.InputError('trusted_host_interfaces', bridge, "is the network's own bridge, whose traffic is the containers' own")
    if trusted:
        out['trusted_host_interfaces'] = trusted
    return out


def _firewall_backend(run):
    """The firewall backend of a network with firewall rules (none without: firewall false, or unmanaged), as given or as
    the network has it."""
    p = run.p
    if p.get('firewall', True) is False or run.unmanaged:
        return None
    wanted = p.get('firewall_backend') or 'auto'
    stored = run.old.get('firewall_backend')
    return _firewall.resolve_backend(stored if wanted == 'auto' and stored else wanted)


def _dns_options(run):
    """``dns`` (on by default but on the default network) and, with a name server, its ``dns_domain`` (_dns); an
    unmanaged network's are _unmanaged.options'."""
    p = run.p
    if run.unmanaged:
        return {}
    dns = bool(p['dns']) if p.get('dns') is not None else run.name != _network.DEFAULT_NETWORK
    if dns:
        return {'dns': dns, 'dns_domain': _dns.network_domain(p.get('dns_domain'), run.old, run.name)}
    if p.get('dns_domain') is not None:
        raise _validate.InputError('dns_domain', p['dns_domain'], 'needs dns on (off by default on the default bridge network)')
    return {'dns': dns}


def _plan_gateway_address(run, net, br, host, family=4):
    """The gateway address of ``family`` on the bridge; none in Docker's isolated mode, so the host is not on that
    network either."""
    if family == 6:
        gw, have, key = net.cidr6(net.gateway6), run.snap.addresses6(br['index']) if br else [], 'gateway_mode_ipv6'
    else:
        gw, have, key = net.cidr(net.gateway), run.snap.addresses(br['index']) if br else [], 'gateway_mode_ipv4'
    bridge, batch = net.options['bridge'], run.batch
    if net.options.get(key) != 'isolated':
        if gw not in have:
            run.plan.add('add %s to %s' % (gw, bridge),
                         lambda: _batch.run_one(host, _kernel.addr_request(_kernel.RTM_NEWADDR, batch.device_index(), gw)))
    elif gw in have:
        index = br['index']
        run.plan.add('remove %s from %s (%s isolated)' % (gw, bridge, key),
                     lambda: _batch.run_one(host, _kernel.addr_request(_kernel.RTM_DELADDR, index, gw)),
                     lambda: _batch.run_one(host, _kernel.addr_request(_kernel.RTM_NEWADDR, index, gw)))


def _plan_bridge_ipv6(run, net, br):
    """IPv6 on the bridge (net.ipv6.conf.BRIDGE.disable_ipv6 0: a host whose default is 1 makes bridges without it;
    accept_dad 0),
    set before its gateway address is added, whenever that address is missing (so nothing is read while planning)."""
    if 6 not in net.families or net.options.get('gateway_mode_ipv6') == 'isolated':
        return
    bridge = net.options['bridge']
    if br is not None and net.cidr6(net.gateway6) in run.snap.addresses6(br['index']):
        return
    conf = 'net/ipv6/conf/%s/' % bridge

    def enable():
        # No duplicate address detection of the bridge's link-local address (derived from the network's own MAC):
        # until it ends the host sends no neighbour solicitation into the bridge, and the first packets to a new
        # container wait a second or two.  Set before the bridge goes up, as its gateway address is added NODAD.
        _sysctl.write_sysctl(run.ns, None, conf + 'accept_dad', 0)
        _sysctl.write_sysctl(run.ns, None, conf + 'disable_ipv6', 0)
    run.plan.add('enable IPv6 on %s (disable_ipv6 0, accept_dad 0)' % bridge, enable)


def _publish_scope(run, pool, pool6):
    """(the host's addresses of both families a publish's host_ip must be one of, None when not checked; the network's
    families)."""
    families = tuple(family for family, q in ((4, pool), (6, pool6)) if q is not None)
    if not getattr(run, 'host_ip_must_exist', True):
        return None, families
    gateways = [q.gateway for q in (pool, pool6) if q is not None]
    return _ports.host_addresses(list(run.snap.addrs) + list(getattr(run.snap, 'addrs6', None) or []), gateways), families


def _outbound_options(run, pool, pool6):
    """host_ipv4 / host_ipv6 as the document keeps them (_outbound), the host's addresses checked but in the
    boot-time restore (host_ip_must_exist false, as for publishes)."""
    families = tuple(family for family, q in ((4, pool), (6, pool6)) if q is not None)
    local = None
    if getattr(run, 'host_ip_must_exist', True):
        local = {4: _outbound.host_addresses(run.snap.addrs), 6: _outbound.host_addresses(getattr(run.snap, 'addrs6', None) or [])}
    return _outbound.options(run.p, families, local)


class BridgeDriver(_planner.Driver):
    """The bridge's part of planning (see _planner.Driver)."""

    name = 'bridge'
    firewall = True
    not_mine = 'is already a %s network (manage it with that driver\'s module: macvlan_net, overlay_net)'
    not_this = 'is a %s network, not a bridge one (manage it with that driver\'s module: macvlan_net, overlay_net)'

    # -- the wanted network ----------------------------------------------------------------------------------
    @staticmethod
    def needs_routes(run):
        return _planner.Driver.needs_routes(run) and run.name != _network.DEFAULT_NETWORK

    bridge_prefix = 'br-'

    @classmethod
    def _bridge_name(cls, run, net_id):
        default = _network.DEFAULT_BRIDGE if run.name == _network.DEFAULT_NETWORK else cls.bridge_prefix + net_id[:12]
        bridge = run.p['bridge_name'] or run.old.get('bridge') or default
        _validate.validate_ifname(bridge, 'bridge_name')
        for other, doc in run.others.items():
            if doc.get('bridge') == bridge:
                raise _validate.InputError('bridge_name', bridge, "is already the bridge of network '%s'" % other)
        return bridge

    @staticmethod
    def _options(run, bridge):
        """The bridge's own settings as its state document keeps them."""
        p = run.p
        host_ip = p.get('host_binding_ipv4') or '0.0.0.0'
        _ipam.parse_ip(host_ip, 'host_binding_ipv4')
        firewall = p.get('firewall', True) is not False
        backend = _firewall_backend(run)
        if p.get('internal') and any(ep.get('publish') for ep in p.get('endpoints') or []):
            raise _validate.InputError('endpoints[].publish', [ep['publish'] for ep in p['endpoints'] if ep.get('publish')][0],
                                       'an internal network has no traffic in or out, so it cannot publish ports')
        exposure = _exposure_options(p, bridge)
        # bridge_created: the record that this network made its bridge (teardown deletes only such a bridge).  A
        # document without the key keeps it absent (see owns_bridge), so an upgrade rewrites nothing.
        made = {} if run.old.get('bridge') == bridge and 'bridge_created' not in run.old else {'bridge_created': True}
        made.update({'bridge': bridge, 'stp': bool(p['stp']), 'icc': p.get('icc', True) is not False,
                     'ip_masquerade': p.get('ip_masquerade', True) is not False, 'host_binding_ipv4': host_ip,
                     'ip_forward': p.get('ip_forward', True) is not False, 'firewall': firewall, 'firewall_backend': backend})
        if p.get('userland_proxy'):
            # Kept only when on: a document without it (every earlier one) proxies explicit [::1] publishes only.
            made['userland_proxy'] = True
        made.update(_dns_options(run))
        made.update(exposure)
        if run.unmanaged:
            made.update(_unmanaged.options())
        return made

    def _pools(self, run, bridge):
        """The network's IPv4 and IPv6 address pools (None for a family it does not have)."""
        p, stored = run.p, run.old
        v4, v6 = _network6.families(p, stored, run.snap.ipv6 if _network6.wants_v6(p, stored) else True)
        pool = pool6 = None
        if v4:
            default = _network.DEFAULT_BIP if run.name == _network.DEFAULT_NETWORK else None
            subnet = _network.choose_subnet(p, stored, run.others, run.snap, default, _network.DEFAULT_NETWORK not in run.others)
            if str(subnet) != stored.get('subnet') and not run.unmanaged:
                # An unmanaged network's subnet is the LAN's, on purpose the subnet of the user's bridge.
                ours = {bridge} | {d.get('bridge') for d in run.others.values()} | {(d.get('host_shim') or {}).get('name') for d in run.others.values()}
                check_foreign_subnet(run, subnet, ours)
            pool = _network.address_pool(p, stored, run.others, subnet, run.name)
        if v6:
            subnet6 = _network6.choose_subnet(p, stored, run.others, run.snap, run.machine_id())
            pool6 = _network6.address_pool(p, stored, run.others, subnet6)
        return pool, pool6

    def desired(self, run):
        """The network we want, validated (InputError names the option and the value)."""
        p, stored = run.p, run.old
        net_id = stored.get('id') or _network.new_id(run.name)
        run.unmanaged = _unmanaged.wanted(p, run.stored)
        dhcp_ipam = _dhcp.desired(run, self.name, run.unmanaged)  # None but with ipam_driver dhcp
        lan = _unmanaged.check(run)
        bridge = self._bridge_name(run, net_id)
        pool, pool6 = self._pools(run, bridge) if dhcp_ipam is None else (None, None)
        _planner.check_mtu(p['mtu'])
        options = self._options(run, bridge)
        options.update(_outbound_options(run, pool, pool6))
        specs = _model.endpoint_specs(p['endpoints'])
        if len(specs) > _network.MAX_BRIDGE_PORTS:
            raise _validate.InputError('endpoints', len(specs), 'a Linux bridge holds at most %d ports' % _network.MAX_BRIDGE_PORTS)
        addresses, endpoints = _planner.allocate(specs, p['endpoints'], p['purge_endpoints'], pool, stored,
                                                 extra_existing=self.held_addresses(run))
        addresses6 = (_network6.allocate(specs, p['endpoints'], p['purge_endpoints'], pool6, stored, held=self.held_addresses(run, 6))
                      if pool6 else {})
        current = stored.get('endpoints') or {}
        bound = _ports.bound_ports(run.others, _store.load_all(_firewall.NAT_KIND, run.root))
        # A publish's host address must be one the host has (or the gateway this run gives the bridge); the boot-time
        # restore sets host_ip_must_exist false: DHCP may not have given the address yet (real-hosts.md).
        local, families = _publish_scope(run, pool, pool6)
        publishes = _ports.desired_publishes(p['endpoints'] or [], current, bound, {_ports.OURS: _proxy.held()}, options['host_binding_ipv4'],
                                             lambda: _sysctl.read_sysctl(run.ns, None, 'net/ipv4/ip_local_port_range'), local, families)
        for spec in specs:
            ep = _planner.endpoint(spec, addresses.get(spec.name), net_id, current.get(spec.name), addresses6.get(spec.name))
            ep.veth = spec.host_ifname or _network.veth_name(net_id, spec.name, ep.endpoint_id)
            ep.publish = publishes.get(spec.name, [])
            endpoints[spec.name] = ep
        created = stored.get('created') or _inspect._now()  # pylint: disable=protected-access
        # With ipam_driver dhcp the LAN's server gives the addresses (_dhcp): the subnet and gateway only as given.
        ipam = _dhcp.network_ipam(dhcp_ipam, (pool, pool6), options, p)
        # A new network without an mtu takes its host's default-route interface's (netavark 1.16); an existing one keeps its own.
        mtu = p['mtu'] or stored.get('mtu') or _unmanaged.mtu(lan) or run.snap.uplink_mtu or _network.DEFAULT_MTU
        _bandwidth.check(specs, mtu, self.name)
        net = _model.Network(run.name, net_id, self.name, created, ipam, mtu, bool(p.get('internal')), endpoints, options)
        check_host_ifnames(run, net, specs)
        return net

    @staticmethod
    def held_addresses(run, family=4):
        """{key: address} held in the ``family`` pool beside the endpoints' (an overlay's remote endpoints); a bridge has
        none, but the user's bridge of an unmanaged network holds the host's own addresses (_unmanaged.held)."""
        return _unmanaged.held(run, family)

    # -- what to read ----------------------------------------------------------------------------------------
    @staticmethod
    def needs_uplink(run):
        # An unmanaged network takes its bridge's MTU.
        return run.p['state'] == 'present' and not run.p.get('unmanaged') and run.p['mtu'] is None and not run.old.get('mtu')

    @staticmethod
    def device(net):
        return net.options['bridge']

    @staticmethod
    def ports_of(run):
        """An existing network's bridge, as its record names it (and the task does not rename it): its ports are the
        host ends a run checks; the few other links it looks at (a new endpoint's name, an address's link) are read
        by name or index."""
        bridge = run.old.get('bridge')
        return bridge if bridge and run.p.get('bridge_name') in (None, '', bridge) else None

    @staticmethod
    def reads_ports(run):
        """A task that lists some endpoints and keeps the others (``docker network connect``, the container module)
        looks at the listed ones' host ends alone: read by name, a few GETs, not a dump of every port of a large
        network. Every endpoint checked, some purged, or the network removed: its ports in one dump."""
        return run.p.get('endpoints') is None or bool(run.p.get('purge_endpoints')) or run.p['state'] == 'absent'

    @staticmethod
    def prefetch(run, net):
        if 'iptables' in (net.options.get('firewall_backend'), run.old.get('firewall_backend')):
            # The rule set is read by another process while this one reads the containers' namespaces.
            run.backends.setdefault('iptables', _firewall.backend('iptables', run.root)).prefetch()
        if run.snap.kernel_ipv6:
            # Which host ends of the checked endpoints have IPv6 on (plan_repair turns it off; see plan_create).
            ends = [run.host_end(cname, ep) for cname, ep in run.checked(net).items()]
            run.snap.host_ipv6 = _snapshot.host_ipv6_on([link['ifname'] for link in ends if link is not None and link['kind'] == 'veth'])

    @staticmethod
    def view_targets(run, net, present):
        """Each endpoint's namespace, through the peer its host end names (only that link is read); none to
        remove the network (deleting the host ends is all it takes)."""
        if not present:
            return []
        out = []
        for cname, ep in run.checked(net).items():
            link = run.host_end(cname, ep)
            out.append((cname, link['link'] if link is not None else None))
        return out

    @staticmethod
    def endpoint_link(run, cname, ep, view):
        """The container end of the endpoint's veth, when the pair is whole, named as wanted and recorded as this
        network's endpoint (its host end may have the name its record gives, which this run changes); else None."""
        link = run.host_end(cname, ep)
        if link is None or not link['link'] or not run.old_endpoint(cname):
            return None
        peer = view.by_index.get(link['link'])
        if peer is None or peer['kind'] != 'veth' or peer['link'] != link['index'] or (ep.ifname and peer['ifname'] != ep.ifname):
            return None
        return peer

    # -- planning --------------------------------------------------------------------------------------------
    @staticmethod
    def device_mac(net):
        """The bridge's own MAC: from the network's id."""
        return bridge_mac(net.id)

    @classmethod
    def plan_device(cls, run, net):
        """The bridge (_plan_bridge); none for an unmanaged network, whose bridge is the user's (checked by
        _unmanaged.check): never created, addressed, set or deleted."""
        if not net.options.get('unmanaged'):
            cls._plan_bridge(run, net)

    @classmethod
    def _plan_bridge(cls, run, net):
        """The bridge: created, or its MTU, gateway address and state repaired."""
        host = run.ns.chan(None)
        bridge = net.options['bridge']
        br = run.snap.link(bridge)
        if br is not None and br['kind'] != 'bridge':
            raise _validate.ForeignLinkError(bridge_option(run), run.p.get('bridge_name') or run.name, bridge,
                                             'the host already has an interface %s and it is a %s, not a bridge this network made'
                                             % (bridge, br['kind'] or 'device'))
        if br is not None and not owns_bridge(run.stored, bridge):
            # A running Docker's docker0, the user's own br0: never taken over, re-addressed or deleted.
            hint = _LEAVE_DEFAULT if run.name == _network.DEFAULT_NETWORK else ''
            raise _validate.ForeignLinkError(bridge_option(run), run.p.get('bridge_name') or run.name, bridge,
                                             'the bridge %s already exists and the collection has no record of creating it; '
                                             'it is left alone: choose another bridge_name%s' % (bridge, hint))
        if br is None:
            create = _kernel.bridge_request(bridge, net.mtu, cls.device_mac(net), net.options['stp'])
            run.plan.add('create bridge %s' % bridge, lambda: _batch.run_one(host, create), lambda: _batch.delete_by_name(host, bridge))
        elif br['mtu'] != net.mtu:
            run.plan_set(None, br, 'set mtu %d on %s' % (net.mtu, bridge), batch=False, mtu=net.mtu)
        _plan_bridge_ipv6(run, net, br)
        for family in net.families:
            _plan_gateway_address(run, net, br, host, family)
        batch = run.batch
        if br is None or not br['up']:
            run.plan.add('set %s up' % bridge, lambda: _batch.run_one(host, _kernel.link_set_request(batch.device_index(), up=True)))

    @staticmethod
    def plan_disconnect(run, cname, ep):
        link = run.snap.link(ep.veth)
        # A link of that name that is not the recorded endpoint's veth is someone else's: the endpoint is gone already.
        if _own_host_end(run, cname, ep, link):
            run.add('disconnect %s from %s (delete %s)' % (cname, run.name, ep.veth), [('delete', link)])

    @staticmethod
    def plan_stale(run, cname, ep, view):
        """A host end whose peer is not the endpoint's: deleted, if it is a port of this network's bridge; anything
        else with that name is someone else's interface, never touched.  Returns the ifindex of the link that goes
        with it in the container, if any."""
        link = run.host_end(cname, ep)
        if link is None:
            return None
        if not _own_host_end(run, cname, ep, link):
            master = run.snap.ifname_of(link['master']) if link['master'] else None
            raise _validate.ForeignLinkError('endpoints[%s]' % cname, cname, link['ifname'],
                                             "the host already has an interface %s (a %s%s) that this network did not make, and "
                                             "the endpoint's host end needs that name; it is left alone: rename or remove it"
                                             % (link['ifname'], link['kind'] or 'device', ' on %s' % master if master else ''))
        run.add('delete %s (its peer is not in %s)' % (link['ifname'], cname), [('delete', link)])
        peer = view.by_index.get(link['link']) if view is not None and link['link'] else None
        return peer['index'] if peer is not None and peer['kind'] == 'veth' and peer['link'] == link['index'] else None

    @staticmethod
    def plan_create(run, cname, ep):
        """The veth pair in one request (peer born in the namespace, named, with its MAC), hairpin on, then the
        peer's state, address and (first network) default route, all in the endpoint batch."""
        net, veth = run.net, ep.veth
        cidr = net.cidr(ep.ip) if ep.ip is not None else None
        host = run.ns.chan(None)
        # The host end is a bridge port, never a packet's source or destination: its IPv6 goes off before it comes
        # up (as LXD does), so it gets no address, routes or multicast groups of its own.  Three IPv6 routes per host
        # end made every link added or removed on the host walk them all, and their reports flooded the bridge.
        quiet = run.snap.kernel_ipv6
        ops = [(None, lambda ctx: _kernel.veth_request(veth, ep.ifname, ctx.fd(cname), master=ctx.device_index(),
                                                       mtu=net.mtu, peer_mac=ep.mac, echo=True, up=not quiet))]
        ops += _batch.no_ipv6_ops(None, veth, quiet)
        # Hairpin: a container reaching its own published port through the host's address gets the answer back
        # through the port it came in on (Docker does this without its userland proxy).
        ops += [(_batch.LATE if quiet else None, lambda ctx: _kernel.link_set_request(ifname=veth, hairpin=True, up=True if quiet else None)),
                ('peer', veth),
                (cname, lambda ctx: _kernel.link_set_request(ctx.peer(veth), up=True))]
        addresses = []
        if ep.ip is not None:  # none on an IPv6-only network
            addresses.append(cidr)
            ops.append((cname, lambda ctx: _kernel.addr_request(_kernel.RTM_NEWADDR, ctx.peer(veth), cidr)))
        if ep.default_route:
            ops.append((cname, lambda ctx: _kernel.default_route_request(net.gateway, ctx.peer(veth))))
        if ep.ip6 is not None:
            addresses.append(net.cidr6(ep.ip6))
            ops += _batch.ipv6_ops(cname, ep.ifname, veth, net.cidr6(ep.ip6), net.gateway6 if run.route6.get(cname) else None)
        else:
            ops += _batch.no_ipv6_ops(cname, ep.ifname, run.snap.kernel_ipv6)
        ops += _gateway_neighbours(run, cname, ep, veth)
        run.add('connect %s to %s: %s %s via %s' % (cname, run.name, ep.ifname, ' '.join(addresses), veth), ops,
                lambda: _batch.delete_by_name(host, veth))

    @staticmethod
    def plan_repair(run, cname, ep, view, link):
        """The host end: its name (``host_ifname`` changed: renamed in place), on the bridge, hairpin on, MTU and state."""
        host_end = run.host_end(cname, ep)
        if host_end['ifname'] != ep.veth:
            _plan_rename(run, cname, host_end, ep.veth)
        bridge = run.snap.link(run.net.options['bridge'])
        if bridge is None or host_end['master'] != bridge['index']:
            index = host_end['index']
            run.add('attach %s to %s' % (ep.veth, run.net.options['bridge']),
                    [(None, lambda ctx: _kernel.link_set_request(index, master=ctx.device_index()))])
        if not host_end.get('hairpin'):
            run.plan_set(None, dict(host_end, hairpin=False), 'set hairpin on %s' % ep.veth, hairpin=True)
        if host_end['ifname'] in run.snap.host_ipv6:
            # Made by an earlier version, or turned on since: a rename above runs before the batch's sysctls.
            veth = ep.veth
            run.add('turn IPv6 off on %s' % veth, _batch.no_ipv6_ops(None, veth),
                    lambda: _batch.write_link_sysctls(veth, (('disable_ipv6', '0'),)))
        run.plan_mtu_up(None, host_end, ep.veth)

    @staticmethod
    def plan_teardown(run, old):
        bridge = run.snap.link(old.options['bridge'])
        # Only a bridge the record says this network made; another one (never written by this version) stays.
        if bridge is not None and owns_bridge(run.stored, old.options['bridge']):
            # In the same batch as the endpoints: one kernel batch deletes the bridge and all its veths.
            run.add('delete bridge %s' % old.options['bridge'], [('delete', bridge)])


class BridgeNetwork(_planner.NetworkRun):
    """Plan one bridge network (and all its endpoints) against the host, in one pass."""
    driver = BridgeDriver()

    def build(self):
        """As NetworkRun.build; with foreign_bridge leave, a bridge of another (a running Docker's docker0) that a new
        network without endpoints would take leaves the network alone: nothing planned, ``left_alone`` names it."""
        try:
            return super().build()
        except _validate.ForeignLinkError as exc:
            if not self._leaves(exc):
                raise
            self.left_alone = exc.link
        self.plan = _plan.Plan()
        self.firewall, self.doc = {}, None
        return None, None

    def _leaves(self, exc):
        """Whether the refusal ``exc`` is of the bridge this new network would use and foreign_bridge is leave; with
        endpoints asked for, refused again, saying that the network is left alone and who cannot join it."""
        p = self.p
        bridge = p.get('bridge_name') or (_network.DEFAULT_BRIDGE if self.name == _network.DEFAULT_NETWORK else None)
        if p.get('foreign_bridge') != 'leave' or p['state'] != 'present' or self.stored is not None or exc.link != bridge:
            return False
        if p.get('endpoints'):
            raise _validate.ForeignLinkError('endpoints', [ep['name'] for ep in p['endpoints']], exc.link,
                                             _validate.left_alone(exc.link, self.name) + ', so no container can join it')
        return True
