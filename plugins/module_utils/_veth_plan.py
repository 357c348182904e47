# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The veth_pair module's decisions: its options checked (``wanted``), the kernel read once (``snapshot``), and a
pure planner from the two to the steps (``plan``), which run through _kernel.Links (changes by interface name).

A snapshot is a plain dict, so every branch of the planner is unit-tested without root.  Links are dicts as
_kernel.Channel.link returns them (index, ifname, kind, mtu, mac, up, master, link, link_netnsid):
``netns_exists`` (peer_netns is a namespace), ``host`` (the link named ``name``), ``host_master`` (the name of its
bridge), ``master`` (the link named ``master``), ``peer`` (the link named ``peer_name`` where the peer goes),
``peer_addresses`` (both families, no link-local), ``peer_gateway`` and ``peer_gateway_v6`` (its default routes),
``record`` (the store's record of the pair, or None).

Ownership: the module changes or deletes a link named ``name`` only when its record (/var/lib/hostnet/veth/NAME.json,
written before the pair is created, removed after it is deleted) says veth_pair made it; any other link of that
name (the uplink, the user's own veth) is refused with an error naming it, and nothing changes.
"""

from __future__ import annotations

import socket

from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

KIND = 'veth'  # the store's records of the pairs veth_pair created: /var/lib/hostnet/veth/NAME.json


# -- wanted: the options, checked and normalised before anything is read or touched ---------------------------
def wanted(p):
    """Every option normalised once (addresses as 'a.b.c.d/len', MACs lower case); InputError naming a bad one."""
    want = {'name': _validate.validate_ifname(p['name'], 'name'), 'state': p['state']}
    if p['state'] == 'absent':
        return want
    peer = p['peer_name']
    if peer is None:
        if p['peer_netns'] is None:
            raise _validate.InputError('peer_name', None, 'is required when peer_netns is not set')
        peer = 'eth0'
    want['peer_name'] = _validate.validate_ifname(peer, 'peer_name')
    want['peer_netns'] = p['peer_netns']
    if p['peer_netns'] is None and want['peer_name'] == want['name']:
        raise _validate.InputError('peer_name', peer, 'must differ from name when both ends are in the host namespace')
    want['master'] = _validate.validate_ifname(p['master'], 'master') if p['master'] is not None else None
    if p['mtu'] is not None:
        _validate.mtu(p['mtu'])
    want['mtu'] = p['mtu']
    want['mac'] = _ipam.normalize_mac(p['mac'], 'mac') if p['mac'] is not None else None
    want['peer_mac'] = _ipam.normalize_mac(p['peer_mac'], 'peer_mac') if p['peer_mac'] is not None else None
    want['peer_addresses'] = _addresses(p['peer_addresses'])
    want['peer_gateway'], want['peer_gateway_v6'] = _gateways(p['peer_gateway'], p['peer_netns'], want['peer_addresses'])
    return want


def _interface_address(value, option):
    """An address with its prefix length, IPv4 ('a.b.c.d/len') or IPv6 ('x::y/len', not link-local: those are the
    kernel's), as a netaddr.IPNetwork."""
    if not (isinstance(value, str) and ':' in value):
        return _ipam.parse_interface_address(value, option)
    if '/' not in value:
        raise _validate.InputError(option, value, 'expected an IPv6 address with a prefix length, e.g. fd00:db8::2/64')
    try:
        net = _ipam.netaddr.IPNetwork(value, version=6)
    except (_ipam.netaddr.AddrFormatError, ValueError, TypeError):
        raise _validate.InputError(option, value, 'is not a valid IPv6 address with a prefix length')
    if net.ip.is_link_local() or net.ip.is_multicast() or net.ip.is_loopback() or int(net.ip) == 0:
        raise _validate.InputError(option, value, 'is a link-local, multicast, loopback or unspecified address, not one to give a peer')
    return net


def _addresses(values):
    if values is None:
        return None
    out = []
    for i, value in enumerate(values):
        net = _interface_address(value, 'peer_addresses[%d]' % i)
        text = '%s/%d' % (net.ip, net.prefixlen)
        if text in out:
            raise _validate.InputError('peer_addresses[%d]' % i, value, 'is listed twice')
        out.append(text)
    return out


def _gateways(value, netns, addresses):
    """(IPv4 gateway, IPv6 gateway) of peer_gateway: a string, or a list of at most one address per family."""
    values = [value] if isinstance(value, str) else list(value or [])
    found = {4: None, 6: None}
    for i, one in enumerate(values):
        option = 'peer_gateway' if len(values) == 1 else 'peer_gateway[%d]' % i
        gw_ip = _gateway(one, option, netns, addresses)
        if found[gw_ip.version] is not None:
            raise _validate.InputError(option, one, 'is a second IPv%d gateway (one default route per family)' % gw_ip.version)
        found[gw_ip.version] = str(gw_ip)
    return found[4], found[6]


def _gateway(value, option, netns, addresses):
    if netns is None:
        # A default route through a veth in the host's own namespace would replace the host's uplink.
        raise _validate.InputError(option, value, 'needs peer_netns: the default route is set inside that namespace')
    gw_ip = _ipam6.parse_either(value, option)
    if gw_ip.version == 6 and gw_ip.is_link_local():
        return gw_ip  # a router's fe80:: address is on every link
    nets = [_interface_address(a, 'peer_addresses') for a in (addresses or [])]
    if not any(gw_ip in n.cidr for n in nets if n.version == gw_ip.version):
        raise _validate.InputError(option, value, 'is not inside any of peer_addresses %s' % (addresses or []))
    if any(gw_ip == n.ip for n in nets):
        raise _validate.InputError(option, value, 'is one of the peer\'s own addresses')
    return gw_ip


# -- snapshot: the kernel, read once ------------------------------------------------------------------------
def snapshot(ns, want, root=None):
    """What the planner compares (see the module doc for the keys); a missing peer_netns is not opened."""
    host = ns.chan(None)
    snap = {'netns_exists': True, 'host': host.link(want['name']), 'host_master': None, 'master': None, 'peer': None,
            'peer_addresses': [], 'peer_gateway': None, 'peer_gateway_v6': None, 'record': _store.load(KIND, want['name'], root)}
    if snap['host'] is not None and snap['host']['master']:
        snap['host_master'] = (host.link(snap['host']['master']) or {}).get('ifname')
    if want['state'] == 'absent':
        return snap
    if want['master'] is not None:
        snap['master'] = host.link(want['master'])
    snap['ipv6'] = _snapshot.ipv6_enabled() if _wants_ipv6(want) else None
    netns = want['peer_netns']
    if netns is not None:
        try:
            ns.fd(netns)
        except _kernel.HostnetError:
            snap['netns_exists'] = False
            return snap
    peer_chan = ns.chan(netns)
    snap['peer'] = peer = peer_chan.link(want['peer_name'])
    if peer is not None:
        snap['peer_addresses'] = peer_chan.addresses(peer['index']) + _addresses6(peer_chan, peer['index'])
        snap['peer_gateway'] = peer_chan.default_gateway(peer['index'])
        snap['peer_gateway_v6'] = _default_gateway6(peer_chan, peer['index'])
    return snap


def _addresses6(chan, index):
    """The link's IPv6 addresses but the link-local ones (the kernel's, never the module's to add or remove)."""
    return _snapshot.global6(chan.dump(_kernel.RTM_GETADDR, socket.AF_INET6), index)


def _default_gateway6(chan, index):
    for route in chan.dump(_kernel.RTM_GETROUTE, socket.AF_INET6):
        if route['table'] == _kernel.MAIN_TABLE and route['dst_len'] == 0 and route['oif'] == index and route['gateway']:
            return route['gateway']
    return None


# -- the planner: (wanted, snapshot) -> (plan, before, after), nothing read, nothing changed ----------------
class Records:
    """Where the steps keep the pairs' records (the store under ``root``); unit tests pass a recorder instead."""

    def __init__(self, root=None):
        self.root = root

    def save(self, name, doc):
        _store.save(KIND, name, doc, self.root)

    def delete(self, name):
        _store.delete(KIND, name, self.root)


def plan(want, snap, links, records):
    """The steps that make the kernel match ``want``; ``links`` (a _kernel.Links) and ``records`` (Records) are what
    the steps call when run."""
    _check_references(want, snap)
    host = snap['host']
    steps = _plan.Plan()
    if want['state'] == 'absent':
        if host is not None:
            steps.add('delete veth %s' % want['name'], lambda: links.delete(None, want['name']))
        _plan_record(steps, want, snap.get('record'), None, records)
        return steps, describe(want, snap, host, None), None
    _plan_record(steps, want, snap.get('record'), record(want, snap.get('record')), records)
    peer = snap['peer'] if is_pair(want, host, snap['peer']) else None
    where = ' in %s' % want['peer_netns'] if want['peer_netns'] else ''
    fresh = host is None or peer is None
    if fresh:
        _plan_create(steps, want, snap, links, where)
        current = {'peer_addresses': [], 'peer_gateway': None, 'peer_gateway_v6': None, 'mtu': None, 'mac': None, 'peer_mac': None,
                   'master': None}
    else:
        _plan_repair(steps, want, snap, links, where)
        current = {'peer_addresses': snap['peer_addresses'], 'peer_gateway': snap['peer_gateway'],
                   'peer_gateway_v6': snap.get('peer_gateway_v6'), 'mtu': host['mtu'],
                   'mac': host['mac'], 'peer_mac': peer['mac'], 'master': snap['host_master']}
    _plan_addresses(steps, want, current, links, where, fresh)
    before = describe(want, snap, host, peer) if peer is not None else ({'name': host['ifname'], 'peer_name': None} if host else None)
    return steps, before, _after(want, current)


def _check_references(want, snap):
    """Refuse, before any step, references the host does not have and a name held by something else."""
    if want['state'] == 'present' and want['peer_netns'] is not None and not snap['netns_exists']:
        raise _validate.InputError('peer_netns', want['peer_netns'], 'network namespace does not exist (create it with hostnet.containers.netns)')
    if want['state'] == 'present' and snap.get('ipv6') is False:
        _refuse_ipv6(want)
    master = snap['master']
    if want['state'] == 'present' and want['master'] is not None:
        if master is None:
            raise _validate.InputError('master', want['master'], 'no such bridge on the host')
        if master['kind'] != 'bridge':
            raise _validate.InputError('master', want['master'], 'is a %s, not a bridge' % (master['kind'] or 'device'))
    host = snap['host']
    if host is not None and (host['kind'] != 'veth' or snap.get('record') is None):
        # The uplink, the user's own veth: never deleted, recreated or changed (nothing recorded says it is ours).
        raise _validate.ForeignLinkError('name', want['name'], want['name'],
                                         'the host already has an interface %s (a %s) and the collection has no record of creating it '
                                         '(veth_pair records its pairs in the store, kind %s); it is left alone: choose another name'
                                         % (want['name'], host['kind'] or 'device', KIND))


def _refuse_ipv6(want):
    """IPv6 asked for on a host where it is off: refused naming the first IPv6 option value."""
    option, value = next((('peer_addresses', a) for a in want['peer_addresses'] or [] if ':' in a), ('peer_gateway', want['peer_gateway_v6']))
    raise _validate.InputError(option, value, 'IPv6 is disabled on this host (no /proc/sys/net/ipv6, or net.ipv6.conf.all.disable_ipv6 '
                               'is 1); enable it or give IPv4 addresses only')


def record(want, old):
    """The record of the pair veth_pair makes (kept when it already says the same)."""
    return {'name': want['name'], 'peer_name': want['peer_name'], 'peer_netns': want['peer_netns'],
            'created': (old or {}).get('created') or _inspect._now()}  # pylint: disable=protected-access


def _plan_record(steps, want, old, new, records):
    """Write the record first (a run killed part-way leaves a record of what it may have made) or remove it last,
    each undone by putting the old record back."""
    name = want['name']
    if new == old:
        return
    undo = (lambda: records.save(name, old)) if old else (lambda: records.delete(name))
    if new is None:
        steps.add('forget veth %s' % name, lambda: records.delete(name), undo)
    else:
        steps.add('record veth %s' % name, lambda: records.save(name, new), undo)


def is_pair(want, host, peer):
    """Whether ``peer`` is the other end of ``host``: each end points at the other (ifindexes are per namespace, so the
    host end must also report a peer in another namespace exactly when peer_netns is set)."""
    return host is not None and peer is not None and peer['kind'] == 'veth' and peer['index'] == host['link'] \
        and peer['link'] == host['index'] and (host['link_netnsid'] is not None) == (want['peer_netns'] is not None)


def describe(want, snap, host, peer):
    """The pair as the module reports it (None when there is no host end)."""
    if host is None:
        return None
    out = {'name': host['ifname'], 'master': snap['host_master'], 'mtu': host['mtu'], 'mac': host['mac']}
    if peer is not None:
        out.update({'peer_name': peer['ifname'], 'peer_netns': want['peer_netns'], 'peer_mac': peer['mac'],
                    'peer_mtu': peer['mtu'], 'peer_up': peer['up'], 'up': host['up'], 'peer_addresses': snap['peer_addresses'],
                    'peer_gateway': snap['peer_gateway'], 'peer_gateway_v6': snap.get('peer_gateway_v6')})
    return out


def _after(want, current):
    return {'name': want['name'], 'master': want['master'] if want['master'] is not None else current['master'],
            'mtu': want['mtu'] or current['mtu'], 'mac': want['mac'] or current['mac'], 'peer_name': want['peer_name'],
            'peer_netns': want['peer_netns'], 'peer_mac': want['peer_mac'] or current['peer_mac'],
            'peer_mtu': want['mtu'] or current['mtu'], 'peer_up': True, 'up': True,
            'peer_addresses': want['peer_addresses'] if want['peer_addresses'] is not None else current['peer_addresses'],
            'peer_gateway': want['peer_gateway'] if want['peer_gateway'] is not None else current['peer_gateway'],
            'peer_gateway_v6': want['peer_gateway_v6'] if want['peer_gateway_v6'] is not None else current['peer_gateway_v6']}


def _plan_create(steps, want, snap, links, where):
    """A new pair: delete a pair whose peer is elsewhere, then one request for the pair and the peer up."""
    name, peer_name, netns = want['name'], want['peer_name'], want['peer_netns']
    host, taken = snap['host'], snap['peer']
    # The wanted peer name is free, or (both ends on the host) held by the old pair's own peer, which goes with it.
    if taken is not None and not (host is not None and netns is None and taken['index'] == host['link']):
        raise _validate.ForeignLinkError('peer_name', peer_name, peer_name, 'an interface with that name already exists%s and is not the '
                                         'peer of a pair veth_pair made; it is left alone' % (where or ' on the host'))
    if host is not None:
        steps.add('delete veth %s (its peer is not %s%s)' % (name, peer_name, where), lambda: links.delete(None, name))
    on_bridge = ' on bridge %s' % want['master'] if want['master'] else ''
    steps.add('create veth %s with peer %s%s%s' % (name, peer_name, where, on_bridge),
              lambda: links.create_veth(name, peer_name, netns, master=want['master'], mtu=want['mtu'], mac=want['mac'],
                                        peer_mac=want['peer_mac']),
              lambda: links.delete(None, name))
    if netns is not None and _wants_ipv6(want):
        # Before the peer is up: its link-local address then skips DAD too, usable at once (see _batch.IPV6_SYSCTLS).
        steps.add('set %s on %s%s' % (', '.join('%s %s' % kv for kv in _batch.IPV6_SYSCTLS), peer_name, where),
                  lambda: _batch.write_netns_link_sysctls(links.ns, netns, peer_name, _batch.IPV6_SYSCTLS))
    steps.add('set %s%s up' % (peer_name, where), lambda: links.set(netns, peer_name, up=True))


def _wants_ipv6(want):
    return want['peer_gateway_v6'] is not None or any(':' in addr for addr in want['peer_addresses'] or [])


def _plan_repair(steps, want, snap, links, where):
    """An existing pair: set what drifted, each with an undo that puts the old value back."""
    name, peer_name, netns = want['name'], want['peer_name'], want['peer_netns']
    host, peer = snap['host'], snap['peer']
    if want['master'] is not None and host['master'] != snap['master']['index']:
        _set(steps, links, 'attach %s to bridge %s' % (name, want['master']), None, name, 'master', want['master'], snap['host_master'] or 0)
    for end, link, ifname, text in ((None, host, name, name), (netns, peer, peer_name, peer_name + where)):
        if want['mtu'] and link['mtu'] != want['mtu']:
            _set(steps, links, 'set mtu %d on %s' % (want['mtu'], text), end, ifname, 'mtu', want['mtu'], link['mtu'])
    for end, link, ifname, mac, text in ((None, host, name, want['mac'], name), (netns, peer, peer_name, want['peer_mac'], peer_name + where)):
        if mac and link['mac'] != mac:
            _set(steps, links, 'set mac %s on %s' % (mac, text), end, ifname, 'address', mac, link['mac'] or None)
    if not host['up']:
        steps.add('set %s up' % name, lambda: links.set(None, name, up=True))
    if not peer['up']:
        steps.add('set %s%s up' % (peer_name, where), lambda: links.set(netns, peer_name, up=True))


def _set(steps, links, text, netns, ifname, attr, new, old):
    steps.add(text, lambda: links.set(netns, ifname, **{attr: new}), lambda: links.set(netns, ifname, **{attr: old}))


def _plan_addresses(steps, want, current, links, where, fresh):
    """Addresses and the default route of the peer; on a fresh pair the create step's undo takes them along."""
    netns, peer_name = want['peer_netns'], want['peer_name']
    if want['peer_addresses'] is not None:
        for addr in current['peer_addresses']:
            if addr not in want['peer_addresses']:
                steps.add('remove %s from %s%s' % (addr, peer_name, where), lambda addr=addr: links.del_address(netns, peer_name, addr),
                          lambda addr=addr: links.add_address(netns, peer_name, addr))
        for addr in want['peer_addresses']:
            if addr not in current['peer_addresses']:
                steps.add('add %s to %s%s' % (addr, peer_name, where), lambda addr=addr: links.add_address(netns, peer_name, addr),
                          None if fresh else (lambda addr=addr: links.del_address(netns, peer_name, addr)))
    for key in ('peer_gateway', 'peer_gateway_v6'):
        gateway, old = want[key], current[key]
        if gateway is not None and old != gateway:
            steps.add('set default route via %s dev %s%s' % (gateway, peer_name, where),
                      lambda gateway=gateway: links.set_default_route(netns, gateway, peer_name),
                      None if fresh else _gateway_undo(links, netns, peer_name, gateway, old))


def _gateway_undo(links, netns, peer_name, gateway, old):
    """Put the old default route back, or remove the new one when there was none."""
    if old is None:
        return lambda: links.del_default_route(netns, gateway, peer_name)
    return lambda: links.set_default_route(netns, old, peer_name)
