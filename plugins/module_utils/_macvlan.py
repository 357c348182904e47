# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The macvlan driver: `docker network create -d macvlan` planned against the kernel.

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

Only what is macvlan's own lives here (the parent, the shim, the macvlan child of an endpoint); the rest is
_planner's.
"""

from __future__ import annotations

import errno
import os

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _network6
from ansible_collections.hostnet.containers.plugins.module_utils import _planner
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

MODES = ('bridge', 'private', 'vepa', 'passthru')
MODE_BITS = {'private': 1, 'vepa': 2, 'bridge': 4, 'passthru': 8}  # MACVLAN_MODE_* of linux/if_link.h
SHIM_KEY = '__host_shim__'
_NEEDS_V6 = 'needs enable_ipv6: true'
NO_VLAN = ("parent '%s': this kernel has no 802.1q VLAN support (8021q module); create the VLAN interface another way "
           'or use an existing parent')


def vlan_support(root='/'):
    """Whether this kernel can make 802.1q links, found without changing anything: True, False, or None (cannot tell).

    Check mode must fail exactly where the real run would, so it cannot ask the kernel for a vlan link (that loads
    the 8021q module on demand, a change) nor guess from a name.  What is reliable:
    - /proc/net/vlan exists in every namespace once the 8021q driver is in the kernel (built in or loaded; this is
      its procfs directory, made per namespace when the driver starts), and a built-in or loaded 8021q also has
      /sys/module/8021q (the driver declares a version);
    - otherwise the kernel loads it when asked for a vlan link ("rtnl-link-vlan") only if it has module support
      (/proc/modules exists), module loading is not switched off (/proc/sys/kernel/modules_disabled is 0) and the
      running kernel's module tree lists 8021q.ko (in modules.dep, however it is compressed).
    Anything else cannot make one (this machine's kernel: no 8021q, no modules).  Without /proc/net we cannot tell.
    A module listed but refused at load (a modprobe.d "install 8021q /bin/false") still fails in the real run, with
    the same message, and that run is rolled back."""
    def path(*parts):
        return os.path.join(root, *parts)

    if os.path.isdir(path('proc', 'net', 'vlan')) or os.path.isdir(path('sys', 'module', '8021q')):
        return True
    if not os.path.isdir(path('proc', 'net')):
        return None
    if not os.path.exists(path('proc', 'modules')):
        return False
    try:
        with open(path('proc', 'sys', 'kernel', 'modules_disabled')) as f:
            if f.read().strip() != '0':
                return False
        with open(path('proc', 'sys', 'kernel', 'osrelease')) as f:
            release = f.read().strip()
        with open(path('lib', 'modules', release, 'modules.dep')) as f:
            return any(line.split(':', 1)[0].rsplit('/', 1)[-1].startswith('8021q.ko') for line in f)
    except OSError:
        return False


def vlan_parent(parent):
    """('ens33', 10) for an 802.1q style name, else None."""
    base, dot, tag = (parent or '').rpartition('.')
    if dot and base and tag.isdigit():
        vid = int(tag)
        if not 1 <= vid <= 4094:
            raise _validate.InputError('parent', parent, 'the VLAN id after the dot must be 1-4094')
        return base, vid
    return None


# -- requests (Channel path; _kernel has no builder for these kinds yet) ----------------------------------------------
def macvlan_request(ifname, parent_index, mode, netns_fd=None, mac=None, mtu=None):
    return _kernel.new_link_request(ifname, 'macvlan', [('IFLA_MACVLAN_MODE', MODE_BITS[mode])], link=parent_index, mtu=mtu, address=mac,
                                    net_ns_fd=netns_fd)


def _create_vlan(host, parent, base_index, vid):
    try:
        _batch.run_one(host, _kernel.vlan_request(parent, base_index, vid))
    except _kernel.NetlinkError as exc:
        if exc.code in (errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL) or 'not supported' in str(exc).lower():
            raise _kernel.HostnetError(NO_VLAN % parent)
        raise


def _macs_on_parent(snap, parent, mode):
    """{MAC: what has it} of the parent (but in passthru, where its endpoint shares it) and its macvlan children on the
    host."""
    taken = {}
    link = snap.link(parent)
    if link is None:
        return taken
    if mode != 'passthru' and link['mac']:
        taken[link['mac']] = 'the parent %s itself' % parent
    for ifname, other in sorted(snap.links.items()):
        if other['kind'] == 'macvlan' and other['link'] == link['index'] and other['mac']:
            taken.setdefault(other['mac'], 'the macvlan interface %s on the host' % ifname)
    return taken


def _check_macs(run, parent, mode, endpoints, specs):
    """Every MAC on one parent distinct, checked before any change: the kernel refuses a macvlan child whose MAC
    another child of the parent (or, but in passthru, the parent itself) has, which an apply would only learn
    part-way (EADDRINUSE).  Taken: the parent, its macvlan children on the host (shims), the endpoints of the other
    macvlan networks on it, then this network's endpoints (those the network keeps unlisted first, so the message
    names the listed one, by its option)."""
    options = {spec.name: spec.option + '.mac' for spec in specs}
    taken = _macs_on_parent(run.snap, parent, mode)
    for net_name, doc in sorted(run.others.items()):
        if doc.get('driver') == 'macvlan' and doc.get('parent') == parent:
            for cname, ep in sorted((doc.get('endpoints') or {}).items()):
                taken.setdefault(ep.get('mac'), 'container %s on macvlan network %s' % (cname, net_name))
    for cname in sorted(endpoints, key=lambda name: (name in options, options.get(name, ''), name)):
        mac = endpoints[cname].mac
        if mac in taken:
            raise _validate.InputError(options.get(cname, 'endpoints[%s].mac' % cname), mac,
                                       'is also the MAC of %s; macvlan endpoints on one parent need distinct MACs' % taken[mac])
        taken[mac] = 'container %s on this network' % cname


def _plan_new_shim(run, net, shim):
    """Create the host shim with its address of each family the network has."""
    ns, host, parent = run.ns, run.ns.chan(None), net.options['parent']
    cidrs = ([net.cidr(shim['ip'])] if shim.get('ip') else []) + ([net.cidr6(shim['ip6'])] if shim.get('ip6') else [])
    run.plan.add('create host shim %s %s (macvlan bridge on %s)' % (shim['name'], ' '.join(cidrs), parent),
                 lambda: _create_shim(ns, shim['name'], parent, net.mtu, cidrs), lambda: _batch.delete_by_name(host, shim['name']))


def _plan_shim_repair(run, net, shim, link):
    """The recorded shim up, with its addresses (of each family) and no other."""
    if not link['up']:
        run.plan_set(None, link, 'set %s up' % shim['name'], batch=False, up=True)
    if shim.get('ip'):
        run.plan_addresses(None, link, net.cidr(shim['ip']), run.snap.addresses(link['index']), batch=False)
    if shim.get('ip6'):
        _plan_shim_ipv6(run, link, net.cidr6(shim['ip6']))


def _plan_shim_ipv6(run, link, cidr6):
    """The shim's IPv6 address repaired; its sysctls set first when the address is missing (a shim made before the
    network had IPv6, or whose IPv6 was switched off by hand)."""
    have = run.snap.addresses6(link['index'])
    if cidr6 not in have:
        ns, shim = run.ns, link['ifname']
        run.plan.add('enable IPv6 on host shim %s (disable_ipv6 0, accept_ra 0, accept_dad 0)' % shim, lambda: _shim_ipv6(ns, shim))
    run.plan_addresses(None, link, cidr6, have, batch=False)


def _plan_parent_mac_back(run, options):
    """Give the parent its own MAC back once its passthru endpoint is gone (passthru gave it the endpoint's: see
    MacvlanDriver.plan_create).  Recent kernels put it back themselves when the last child goes; the recorded one
    makes it certain, and the request changes nothing when the kernel already did."""
    parent, mac = options['parent'], options.get('parent_mac')
    link = run.snap.link(parent)
    if not mac or link is None or link['mac'] == mac:
        return
    host = run.ns.chan(None)
    run.plan.add('give parent %s its own MAC %s back (its passthru endpoint had lent it its own)' % (parent, mac),
                 lambda: _batch.run_one(host, _kernel.link_set_request(ifname=parent, address=mac)))


def _shim_ipv6(ns, shim):
    """IPv6 on the host shim before its address: on (a host whose default is disable_ipv6 1 makes links without it),
    no router advertisements (its routes are the network's: a LAN router's RAs would add addresses and a second
    default route through the shim) and no DAD of its link-local address (its MAC is unique on the parent)."""
    for key, value in _batch.IPV6_SYSCTLS:
        _sysctl.write_sysctl(ns, None, 'net/ipv6/conf/%s/%s' % (shim, key), value)


def _create_shim(ns, shim, parent, mtu, cidrs):
    """The shim with its addresses (IPv4, IPv6 or both): with the subnet's prefix the kernel adds the route to the
    containers through the shim, for each family (an IPv6 one as soon as the NODAD address is there)."""
    host = ns.chan(None)
    _batch.run_one(host, macvlan_request(shim, host.link(parent)['index'], 'bridge', mtu=mtu))
    try:
        index = host.link(shim)['index']
        if any(':' in cidr for cidr in cidrs):
            _shim_ipv6(ns, shim)
        for cidr in cidrs:
            _batch.run_one(host, _kernel.addr_request(_kernel.RTM_NEWADDR, index, cidr))
        _batch.run_one(host, _kernel.link_set_request(index, up=True))
    except BaseException:
        _batch.delete_by_name(host, shim)
        raise


def _shim_request(shim_p, old_shim, key, option):
    """(extra, held) of the host shim for one family's allocation (see _planner.allocate): what it asks (``option``
    of host_shim) and what it holds (``key`` of the stored shim)."""
    if not shim_p:
        return [], {}
    return [{'name': SHIM_KEY, 'ip': shim_p.get(option)}], ({SHIM_KEY: old_shim[key]} if old_shim.get(key) else {})


def _shim_option(exc, option):
    """An allocation error about the shim names the option the user wrote (host_shim.ip, host_shim.ipv6_address)."""
    if exc.option.startswith('endpoints[%s]' % SHIM_KEY):
        return _validate.InputError(option, exc.value, exc.message)
    return exc


def _ipv6_ops(cname, ifname, cidr6, gateway6):
    """A new endpoint's IPv6 (as a bridge's container end, _batch.ipv6_ops): its sysctls (on, accept_ra 0: a LAN
    router's RAs must not add addresses or routes the network does not know; no DAD of its link-local address) when
    the link is in the namespace, the NODAD address, and with ``gateway6`` the IPv6 default route through the LAN's
    router (gateway_v6)."""
    ops = [('sysctl', cname, ifname, _batch.IPV6_SYSCTLS),
           (cname, lambda ctx: _kernel.addr_request(_kernel.RTM_NEWADDR, ctx.index(cname, ifname), cidr6))]
    if gateway6:
        ops.append((cname, lambda ctx: _kernel.default_route_request(gateway6, ctx.index(cname, ifname))))
    return ops


class MacvlanDriver(_planner.Driver):
    """The macvlan part of planning (see _planner.Driver).  A macvlan endpoint is all inside its namespace: no host
    end to clean up or repair."""

    name = 'macvlan'
    not_mine = 'is already a %s network'
    not_this = 'is a %s network, not a macvlan one'

    # -- the wanted network ----------------------------------------------------------------------------------
    @staticmethod
    def _check_parent_link(run, parent):
        if parent == 'lo':
            raise _validate.InputError('parent', parent, 'the loopback cannot carry macvlan endpoints')
        link = run.snap.link(parent)
        vlan = vlan_parent(parent)
        if link is None and vlan is None:
            raise _validate.InputError('parent', parent, 'no such interface on the host')
        if link is None and run.snap.link(vlan[0]) is None:
            raise _validate.InputError('parent', parent, "the 802.1q parent's own parent %s does not exist" % vlan[0])
        if link is not None and link['kind'] == 'loopback':
            raise _validate.InputError('parent', parent, 'the loopback cannot carry macvlan endpoints')
        return link, vlan

    def _parent(self, run, net_id):
        """(parent name, how it is made: None existing / 'vlan' / 'veth') validated against the host."""
        parent, stored = run.p['parent'], run.old
        if parent is None:
            return (stored['parent'], 'veth') if stored.get('parent_created') == 'veth' else ('hnv-' + net_id[:10], 'veth')
        _validate.validate_ifname(parent, 'parent')
        link, vlan = self._check_parent_link(run, parent)
        made = 'vlan' if (link is None or stored.get('parent_created') == 'vlan') and vlan else None
        for other, doc in sorted(run.others.items()):
            if doc.get('driver') == 'macvlan' and doc.get('parent') == parent and 'passthru' in (doc.get('mode'), run.p['mode']):
                raise _validate.InputError('parent', parent, "is already used by macvlan network '%s'%s; a passthru parent carries "
                                           'one network with one endpoint' % (other, ' in passthru mode' if doc.get('mode') == 'passthru' else ''))
        return parent, made

    @staticmethod
    def _mtu(run, parent, made):
        if made is None:
            parent_mtu = run.snap.link(parent)['mtu']
        elif made == 'vlan':
            parent_mtu = run.snap.link(vlan_parent(parent)[0])['mtu']
        else:
            parent_mtu = 1500
        mtu = run.p['mtu'] or parent_mtu
        _planner.check_mtu(mtu)
        if mtu > parent_mtu:
            raise _validate.InputError('mtu', mtu, 'is above the MTU of the parent %s (%d); a macvlan endpoint cannot exceed it'
                                       % (parent, parent_mtu))
        return mtu

    @staticmethod
    def _parent_mac(run, parent, mode, endpoints):
        """The parent's own MAC, recorded in the network's document (``parent_mac``) before a passthru endpoint
        changes it, so it can be given back.  Not recorded when the parent already has an endpoint's MAC (a
        network an older version made and reran): its own is unknown then, and the kernel's own restore is all
        there is."""
        recorded = run.old.get('parent_mac')
        link = run.snap.link(parent)
        if recorded or mode != 'passthru' or link is None or not link['mac']:
            return recorded
        lent = {ep.mac for ep in endpoints.values()} | {ep.get('mac') for ep in (run.old.get('endpoints') or {}).values()}
        return None if link['mac'] in lent else link['mac']

    @staticmethod
    def _shim_wanted(run):
        shim_p = run.p.get('host_shim') or {}
        if not shim_p or not shim_p.get('enabled', True):
            return None
        if shim_p.get('name') is not None:
            _validate.validate_ifname(shim_p['name'], 'host_shim.name')
        return shim_p

    @staticmethod
    def _pools(run):
        """The network's IPv4 and IPv6 address pools (None for a family it does not have), as docker_bridge's."""
        p, stored = run.p, run.old
        v4, v6 = _network6.families(p, stored, run.snap.ipv6 if _network6.wants_v6(p, stored) else True)
        shim_p = p.get('host_shim') or {}
        for on, key, message in ((v4, 'ip', 'needs enable_ipv4: true (the network is IPv6-only)'), (v6, 'ipv6_address', _NEEDS_V6)):
            if not on and shim_p.get(key):
                raise _validate.InputError('host_shim.' + key, shim_p[key], message)
        pool = pool6 = None
        if v4:
            subnet = _network.choose_subnet(p, stored, run.others, run.snap)
            pool = _network.address_pool(p, stored, run.others, subnet, run.name)
        if v6:
            subnet6 = _network6.choose_subnet(p, stored, run.others, run.snap, run.machine_id())
            pool6 = _network6.address_pool(p, stored, run.others, subnet6)
        return pool, pool6

    def _endpoints(self, run, pool, pool6, net_id, dhcp_ipam=None):
        """The endpoints and the host shim ({name, ip, ip6?} or None), their addresses allocated together, per family
        (on a DHCP network, ``dhcp_ipam`` its IPv4 settings, none but the shim's, as given)."""
        p, stored = run.p, run.old
        specs = _model.endpoint_specs(p['endpoints'], reserved=(SHIM_KEY,))
        shim_p = self._shim_wanted(run)
        old_shim = stored.get('host_shim') or {}
        try:
            addresses, endpoints = _planner.allocate(specs, p['endpoints'], p['purge_endpoints'], pool, stored,
                                                     *_shim_request(shim_p, old_shim, 'ip', 'ip'))
        except _validate.InputError as exc:
            raise _shim_option(exc, 'host_shim.ip') from None
        if dhcp_ipam is not None:
            addresses.update(_dhcp.shim_address(shim_p, dhcp_ipam, SHIM_KEY))
        addresses6 = {}
        if pool6 is not None:
            try:
                addresses6 = _network6.allocate(specs, p['endpoints'], p['purge_endpoints'], pool6, stored,
                                                *_shim_request(shim_p, old_shim, 'ip6', 'ipv6_address'))
            except _validate.InputError as exc:
                raise _shim_option(exc, 'host_shim.ipv6_address') from None
        current = stored.get('endpoints') or {}
        for spec in specs:
            endpoints[spec.name] = _planner.endpoint(spec, addresses.get(spec.name), net_id, current.get(spec.name), addresses6.get(spec.name))
        shim = None
        if shim_p:
            # 'ip' is null on an IPv6-only network; 'ip6' is there only with IPv6 (an IPv4 network's shim is as before).
            shim = {'name': shim_p.get('name') or old_shim.get('name') or 'mvs-' + net_id[:10],
                    'ip': str(addresses[SHIM_KEY]) if SHIM_KEY in addresses else None}
            if SHIM_KEY in addresses6:
                shim['ip6'] = str(addresses6[SHIM_KEY])
        return endpoints, shim

    def desired(self, run):
        """The network we want, validated (InputError names the option and the value)."""
        p, stored = run.p, run.old
        if p['mode'] not in MODES:
            raise _validate.InputError('mode', p['mode'], 'must be one of %s' % ', '.join(MODES))
        net_id = stored.get('id') or _network.new_id(run.name)
        dhcp_ipam = _dhcp.desired(run, self.name)  # None but with ipam_driver dhcp
        parent, made = self._parent(run, net_id)
        pool, pool6 = self._pools(run) if dhcp_ipam is None else (None, None)
        mtu = self._mtu(run, parent, made)
        endpoints, shim = self._endpoints(run, pool, pool6, net_id, dhcp_ipam)
        if p['mode'] == 'passthru' and len(endpoints) > 1:
            raise _validate.InputError('endpoints', sorted(endpoints), 'mode passthru gives the parent to one endpoint only, '
                                       'as the kernel does')
        if p['mode'] == 'passthru' and shim:
            raise _validate.InputError('host_shim', p['host_shim'], 'a passthru parent cannot carry a host shim')
        specs = _model.endpoint_specs(p['endpoints'], reserved=(SHIM_KEY,))
        _bandwidth.check(specs, mtu, 'macvlan')
        _check_macs(run, parent, p['mode'], endpoints, specs)
        created = stored.get('created') or _inspect._now()  # pylint: disable=protected-access
        options = {'parent': parent, 'parent_created': made, 'mode': p['mode'], 'host_shim': shim}
        parent_mac = self._parent_mac(run, parent, p['mode'], endpoints)
        if parent_mac:
            options['parent_mac'] = parent_mac
        ipam = _dhcp.network_ipam(dhcp_ipam, (pool, pool6), options, p)
        return _model.Network(run.name, net_id, 'macvlan', created, ipam, mtu, made == 'veth', endpoints, options)

    # -- what to read ----------------------------------------------------------------------------------------
    @staticmethod
    def device(net):
        return net.options['parent']

    @staticmethod
    def prefetch(run, net):
        """Whether the kernel can make the 802.1q parent this run would create (read here, planning reads nothing)."""
        if net.options['parent_created'] == 'vlan' and run.snap.link(net.options['parent']) is None and not hasattr(run.snap, 'vlan_support'):
            run.snap.vlan_support = vlan_support()

    @staticmethod
    def view_targets(run, net, present):
        """Each endpoint's namespace, through its interface name (only that link is read), and the namespaces of
        the endpoints leaving the network."""
        out = [(cname, ep.ifname) for cname, ep in (run.checked(net) if present else net.endpoints).items() if present or ep.ifname]
        if present:
            gone = sorted(set(run.old.get('endpoints') or {}) - set(net.endpoints))
            out += [(cname, run.old_endpoint(cname)['ifname']) for cname in gone if run.old_endpoint(cname).get('ifname')]
        return out

    @staticmethod
    def endpoint_link(run, cname, ep, view):
        """The endpoint's macvlan child, only when the network's record lists the endpoint with that interface name:
        a link of the name that the collection did not make is never repaired (re-addressed), planning refuses it."""
        link = view.by_name.get(ep.ifname) if ep.ifname and run.old_endpoint(cname).get('ifname') == ep.ifname else None
        return link if link is not None and link['kind'] == 'macvlan' else None

    # -- planning --------------------------------------------------------------------------------------------
    @staticmethod
    def plan_device(run, net):
        """The parent: an 802.1q link or an internal veth pair created when missing, and up."""
        host = run.ns.chan(None)
        parent, made = net.options['parent'], net.options['parent_created']
        link = run.snap.link(parent)
        if made == 'vlan' and link is None:
            if getattr(run.snap, 'vlan_support', None) is False:
                # The real run would fail creating it: fail now, in check mode as in a real run, with nothing changed.
                raise _kernel.HostnetError(NO_VLAN % parent)
            base, vid = vlan_parent(parent)
            base_index = run.snap.link(base)['index']
            run.plan.add('create 802.1q parent %s (VLAN %d on %s)' % (parent, vid, base),
                         lambda: _create_vlan(host, parent, base_index, vid), lambda: _batch.delete_by_name(host, parent))
        elif made == 'veth' and link is None:
            run.plan.add('create internal parent %s (one end of a veth pair; no dummy driver needed)' % parent,
                         lambda: _batch.run_one(host, _kernel.veth_pair_request(parent, parent + 'p', net.mtu)),
                         lambda: _batch.delete_by_name(host, parent))
        peer = run.snap.link(parent + 'p') if made == 'veth' and link is not None else None
        if link is None or not link['up'] or (peer is not None and not peer['up']):
            names = [parent] + ([parent + 'p'] if made == 'veth' else [])
            run.plan.add('set %s up' % parent, lambda: [_batch.run_one(host, _kernel.link_set_request(ifname=name, up=True))
                                                        for name in names])

    @staticmethod
    def plan_disconnect(run, cname, ep):
        view = run.snap.views.get(cname)
        link = view.by_name.get(ep.ifname) if view is not None and ep.ifname else None
        if link is not None and link['kind'] == 'macvlan':
            run.add('disconnect %s from %s (delete %s)' % (cname, run.name, ep.ifname), [('delete', link, cname)])

    @staticmethod
    def plan_create(run, cname, ep):
        """The macvlan child, born in the namespace with its name, MAC and MTU; then its state, address and (first
        network) default route, all in the endpoint batch."""
        net, ifname = run.net, ep.ifname
        mode = net.options['mode']
        cidrs = [net.cidr(ep.ip)] if ep.ip is not None else []  # none on an IPv6-only network
        ops = [(None, lambda ctx: macvlan_request(ifname, ctx.device_index(), mode, ctx.fd(cname), ep.mac, net.mtu)),
               ('find', cname, ifname)]
        if mode == 'passthru':
            # The kernel gives a passthru child its parent's MAC whatever the request asks; setting the child's MAC
            # then sets the parent's too (as Docker does, setting the endpoint's MAC in the container).  A rerun
            # finds the endpoint with its own MAC and changes nothing.
            ops.append((cname, lambda ctx: _kernel.link_set_request(ctx.index(cname, ifname), address=ep.mac)))
        ops.append((cname, lambda ctx: _kernel.link_set_request(ctx.index(cname, ifname), up=True)))
        if cidrs:
            ops.append((cname, lambda ctx: _kernel.addr_request(_kernel.RTM_NEWADDR, ctx.index(cname, ifname), cidrs[0])))
        if ep.default_route:
            ops.append((cname, lambda ctx: _kernel.default_route_request(net.gateway, ctx.index(cname, ifname))))
        if ep.ip6 is not None:
            cidrs.append(net.cidr6(ep.ip6))
            ops += _ipv6_ops(cname, ifname, net.cidr6(ep.ip6), net.gateway6 if run.route6.get(cname) else None)
        else:
            ops += _batch.no_ipv6_ops(cname, ifname, run.snap.kernel_ipv6)
        chan = run.ns.chan
        run.add('connect %s to %s: %s %s (macvlan %s on %s)' % (cname, run.name, ifname, ' '.join(cidrs), mode, net.options['parent']),
                ops, lambda: _batch.delete_by_name(chan(cname), ifname))

    @staticmethod
    def plan_after(run, net):
        """The host shim: a host-side macvlan child with an address in the subnet (replaced when renamed)."""
        host = run.ns.chan(None)
        old = run.old.get('host_shim')
        shim = net.options['host_shim']
        if old and (not shim or old['name'] != shim['name']) and run.snap.link(old['name']) is not None:
            run.plan.add('delete host shim %s' % old['name'], lambda: _batch.delete_by_name(host, old['name']))
        if run.released and not net.endpoints:
            _plan_parent_mac_back(run, net.options)
        if not shim:
            return
        link = run.snap.link(shim['name'])
        if link is not None and (link['kind'] != 'macvlan' or (old or {}).get('name') != shim['name']):
            # Only the shim this network's record names is repaired (re-addressed); any other link of that name is not ours.
            raise _validate.ForeignLinkError('host_shim.name', shim['name'], shim['name'],
                                             'the host already has a %s of that name that this network did not create; it is left alone'
                                             % (link['kind'] or 'device'))
        if link is None:
            _plan_new_shim(run, net, shim)
        else:
            _plan_shim_repair(run, net, shim, link)

    @staticmethod
    def plan_teardown(run, old):
        host = run.ns.chan(None)
        shim = old.options.get('host_shim')
        if shim and run.snap.link(shim['name']) is not None:
            run.plan.add('delete host shim %s' % shim['name'], lambda: _batch.delete_by_name(host, shim['name']))
        parent, made = old.options['parent'], old.options.get('parent_created')
        still_used = any(d.get('parent') == parent for d in run.others.values())
        if made and not still_used and run.snap.link(parent) is not None:
            run.plan.add('delete %s parent %s (no network uses it now)' % (made, parent), lambda: _batch.delete_by_name(host, parent))
        else:
            _plan_parent_mac_back(run, old.options)


class MacvlanNetwork(_planner.NetworkRun):
    """Plan one macvlan network (parent, shim and all endpoints) against the host, in one pass."""
    driver = MacvlanDriver()
