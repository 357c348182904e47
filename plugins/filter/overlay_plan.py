# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""overlay_plan: one plan for every host of a play that shares VXLAN overlay networks.

An overlay has no key-value store: the inventory is the only place that knows every host, so this filter sees
every host's request at once (the overlay_network role hands it in as the fact ``overlay_network_request``) and
settles what must be the same everywhere (VNI, subnet, every container's address and MAC) and, per host, what
the other hosts are to it (its peers' VTEPs and the remote endpoints it needs static entries for).
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _validate
# The address and MAC rules of a segment are the same for a macvlan segment and an overlay: one copy of them.
from ansible_collections.hostnet.containers.plugins.filter.macvlan_plan import (
    _check_macs as check_macs, _endpoint_mac as endpoint_mac, _endpoints as endpoints_of, _network_keys as network_keys, _segment_requests as segment_requests)
from ansible_collections.hostnet.containers.plugins.plugin_utils._plan import PlanError, host_request, plain as _plain, refused, requests_from

REQUEST_FACT = 'overlay_network_request'
STATES = ('present', 'absent')
# What every host of an overlay must agree on; the first host that gives a value sets it.
SHARED_KEYS = ('vni', 'subnet', 'gateway', 'ip_range', 'aux_addresses', 'mtu', 'internal', 'ip_masquerade', 'icc', 'port',
               'enable_ipv4', 'enable_ipv6', 'subnet_v6', 'gateway_v6', 'ip_range_v6')
NETWORK_KEYS = ('name', 'state') + SHARED_KEYS
CALL_KEYS = ('mtu', 'internal', 'ip_masquerade', 'icc', 'enable_ipv4', 'enable_ipv6')
VNI_MAX = 16777215
DEFAULT_VNI_BASE = 4096  # Docker's first overlay VNI is 4097
DEFAULT_PORT = 4789      # IANA's VXLAN port, Linux's and Docker's default
DEFAULT_POOLS = [{'base': '10.0.0.0/8', 'size': 24}]  # Docker swarm's default address pool
VXLAN_OPTION = 'com.docker.network.driver.overlay.vxlanid_list'


def _where(host, option):
    return 'host %s, %s' % (host, option)


def _int(value, host, option, low, high):
    """An integer low..high, or its decimal text."""
    number = int(value) if isinstance(value, str) and value.isdigit() else value
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise PlanError('%s: %r must be an integer from %d to %d' % (_where(host, option), value, low, high))
    return number


def _underlay(host, request):
    """(interface, address) of this host's VTEP; the address is required, as every peer sends to it."""
    interface = request.get('underlay_interface') or None
    address = request.get('underlay_ip') or None
    if interface is not None:
        with refused('host %s, ' % host):
            _validate.validate_ifname(interface, 'overlay_network_underlay_interface')
    if address is None:
        raise PlanError('%s: the host has no underlay address (no IPv4 or IPv6 default route%s to take it from); set '
                        'overlay_network_underlay_ip (and overlay_network_underlay_interface) for this host'
                        % (_where(host, 'overlay_network_underlay_ip'), ' on %s' % interface if interface else ''))
    try:
        parsed = _ipam.netaddr.IPAddress(str(address))
    except (ValueError, TypeError, _ipam.netaddr.AddrFormatError):
        raise PlanError('%s: %r is not an IP address' % (_where(host, 'overlay_network_underlay_ip'), address)) from None
    if '/' in str(address) or parsed.is_loopback() or parsed.is_multicast() or int(parsed) == 0 or \
            (parsed.version == 6 and parsed.is_link_local()):
        raise PlanError('%s: %s is not a unicast host address other hosts can reach (an IPv6 one must be global, not '
                        'link-local)' % (_where(host, 'overlay_network_underlay_ip'), address))
    return interface, str(parsed)


def _check_families(names, hosts, parsed):
    """A VXLAN device sends over its local address's family: an overlay's VTEPs are all IPv4 or all IPv6."""
    for name in names:
        first = None
        for host in _members(name, hosts, parsed):
            version = _ipam.netaddr.IPAddress(parsed[host]['underlay_ip']).version
            if first is None:
                first = (host, version, parsed[host]['underlay_ip'])
            elif version != first[1]:
                raise PlanError('%s: %s is an IPv%d address, but host %s is on overlay %s with the IPv%d address %s; the VTEPs of '
                                'an overlay are all IPv4 or all IPv6'
                                % (_where(host, 'overlay_network_underlay_ip'), parsed[host]['underlay_ip'], version, first[0], name,
                                   first[1], first[2]))


def _network(host, net, option, networks):
    """One entry of a host's overlay_network_networks, checked."""
    network_keys(host, net, option, networks, NETWORK_KEYS)
    state = net.get('state') or 'present'
    if state not in STATES:
        raise PlanError("%s: '%s' must be present or absent" % (_where(host, option + '.state'), state))
    entry = {k: v for k, v in net.items() if v not in (None, '')}
    entry.update(state=state, option=option, shim={'enabled': False})
    with refused('host %s, ' % host):
        _validate.network_name(net['name'], option + '.name', 'overlay')
    return _network_values(host, entry, option)


def _network_values(host, entry, option):
    """The entry with its MTU, VNI, port and flags checked and normalised."""
    if entry.get('mtu') is not None:
        with refused('host %s, ' % host):
            entry['mtu'] = _validate.mtu(entry['mtu'], option + '.mtu')
    if entry.get('vni') is not None:
        entry['vni'] = _int(entry['vni'], host, option + '.vni', 1, VNI_MAX)
    if entry.get('port') is not None:
        entry['port'] = _int(entry['port'], host, option + '.port', 1, 65535)
    for flag in ('internal', 'ip_masquerade', 'icc', 'enable_ipv4', 'enable_ipv6'):
        if flag in entry and not isinstance(entry[flag], bool):
            raise PlanError('%s: %r must be true or false' % (_where(host, '%s.%s' % (option, flag)), entry[flag]))
    return entry


def _existing(request):
    """({network: {container: ip}}, {network: {container: mac}}, {network: {vni, subnet, subnet_v6}}, {network:
    {container: IPv6 address}}) held on the host now."""
    ips, macs, held, ips6 = {}, {}, {}, {}
    for net in request.get('existing') or []:
        if not isinstance(net, Mapping) or net.get('Driver') != 'overlay':
            continue
        eps = (net.get('Containers') or {}).values()
        ips[net['Name']], ips6[net['Name']] = (_held_addresses(eps, key) for key in ('IPv4Address', 'IPv6Address'))
        macs[net['Name']] = {ep['Name']: ep['MacAddress'] for ep in eps if ep.get('MacAddress')}
        vni = (net.get('Options') or {}).get(VXLAN_OPTION)
        configs = (net.get('IPAM') or {}).get('Config') or []
        subnets = {':' in str(c.get('Subnet')): c.get('Subnet') for c in configs}
        held[net['Name']] = {'vni': int(vni) if str(vni).isdigit() else None, 'subnet': subnets.get(False), 'subnet_v6': subnets.get(True)}
    return ips, macs, held, ips6


def _held_addresses(eps, key):
    """{container: address} of network_info's containers, from their IPv4Address or IPv6Address ('' when none)."""
    return {ep['Name']: ep[key].split('/')[0] for ep in eps if ep.get(key)}


def _without_ipv6(request):
    """(the request with no ipv6_address in its containers' networks, {(container, network): ipv6_address}): the
    endpoint checks shared with macvlan_plan see the IPv4 keys, the IPv6 address joins the endpoint after them."""
    v6, containers = {}, []
    for container in request.get('containers') or []:
        if isinstance(container, Mapping) and isinstance(container.get('networks'), list):
            items = []
            for item in container['networks']:
                if isinstance(item, Mapping) and 'ipv6_address' in item:
                    v6[(container.get('name'), item.get('name'))] = item['ipv6_address']
                    item = {k: v for k, v in item.items() if k != 'ipv6_address'}
                items.append(item)
            container = dict(container, networks=items)
        containers.append(container)
    return dict(request, containers=containers), v6


def _parse(requests, hosts):
    """{host: parsed request} of every host, each checked."""
    parsed = {}
    for host in hosts:
        request = host_request(requests, host, 'overlay', 'an overlay is planned once for every host of the play, so each '
                               'must take part')
        state = request.get('state') or 'present'
        if state not in STATES:
            raise PlanError("%s: '%s' must be present or absent" % (_where(host, 'overlay_network_state'), state))
        networks = {}
        for i, net in enumerate(request.get('networks') or []):
            entry = _network(host, net, 'overlay_network_networks[%d]' % i, networks)
            networks[entry['name']] = entry
        ips, macs, held, ips6 = _existing(request)
        request, v6 = _without_ipv6(request)
        entry = {'state': state, 'networks': networks, 'existing': ips, 'existing_macs': macs, 'held': held, 'existing6': ips6,
                 'endpoints': endpoints_of(host, request, networks, 'overlay_network')}
        for name, eps in entry['endpoints'].items():
            for ep in eps:
                if v6.get((ep['name'], name)) not in (None, ''):
                    ep['ipv6_address'] = v6[(ep['name'], name)]
        if state == 'present':
            entry['underlay_interface'], entry['underlay_ip'] = _underlay(host, request)
        parsed[host] = entry
    return parsed


def _check_underlays(hosts, parsed):
    """Two VTEPs on one address would each take the other's traffic."""
    seen = {}
    for host in hosts:
        address = parsed[host].get('underlay_ip')
        if address is None:
            continue
        if address in seen:
            raise PlanError('%s: %s is also the underlay address of host %s; every host needs a VTEP address of its own'
                            % (_where(host, 'overlay_network_underlay_ip'), address, seen[address]))
        seen[address] = host


def _definitions(hosts, parsed):
    """{name: {key: (value, host, option)}}: each overlay's shared settings, which every host giving them must agree on."""
    defs = {}
    for host in hosts:
        for name, net in parsed[host]['networks'].items():
            known = defs.setdefault(name, {})
            for key in SHARED_KEYS:
                if net.get(key) is None:
                    continue
                if key in known and known[key][0] != net[key]:
                    raise PlanError('%s: %r differs from %r on host %s; every host of overlay %s must agree on %s'
                                    % (_where(host, '%s.%s' % (net['option'], key)), net[key], known[key][0], known[key][1],
                                       name, ', '.join(SHARED_KEYS)))
                known.setdefault(key, (net[key], host, '%s.%s' % (net['option'], key)))
    return defs


def _cidr(value, option, key='subnet'):
    if key == 'subnet_v6':
        return _ipam6.parse_subnet(value, option)
    return _ipam.parse_interface_address(value, option).cidr


def _held(name, key, hosts, parsed):
    """(value, host) of ``key`` ('vni', 'subnet' or 'subnet_v6') that a host holds for overlay ``name`` now, else (None, None)."""
    for host in hosts:
        value = parsed[host]['held'].get(name, {}).get(key)
        if value is not None:
            return value, host
    return None, None


def _settle(name, key, defs, hosts, parsed):
    """The given value of ``key`` (checked against what hosts hold: a VNI or subnet never changes in place), else the held."""
    held, holder = _held(name, key, hosts, parsed)
    given = defs[name].get(key)
    if given is None:
        return held, None
    value, host, option = given
    with refused('host %s, ' % host):
        same = value == held if key == 'vni' else held is None or _cidr(value, option, key) == _cidr(held, option, key)
    if held is not None and not same:
        raise PlanError('%s: %s, but network %s has %s %s on host %s; remove the network first to change it'
                        % (_where(host, option), value, name, key, held, holder))
    return value, (host, option)


def _kept(names, key, defs, hosts, parsed, clash):
    """({name: value}, {name: (host, option) or None}) of the overlays whose ``key`` is given or held.  ``clash(value,
    other)`` is the error text (with %s for the other network) when two overlays may not have these values; it names
    the overlay whose value was given (a held one cannot be helped here)."""
    kept, origin = {}, {}
    for name in names:
        value, where = _settle(name, key, defs, hosts, parsed)
        if value is None:
            continue
        host, option = where or (hosts[0], 'overlay_network_networks')
        if key != 'vni':
            with refused('host %s, ' % host):
                value = _cidr(value, option, key)
        for other, other_value in kept.items():
            text = clash(value, other_value)
            if text:
                blamed = (host, option) if where else (origin[other] or (host, option))
                raise PlanError('%s: %s' % (_where(*blamed), text % (other if where else name)))
        kept[name], origin[name] = value, where
    return kept


def _vnis(names, defs, hosts, parsed, base):
    """{name: VNI}: given or held ones kept (two networks on one VNI refused), the rest from base + 1 upward."""
    vnis = _kept(names, 'vni', defs, hosts, parsed, lambda v, o: '%s is also the VNI of network %%s' % v if v == o else None)
    candidate = base
    for name in names:
        if name not in vnis:
            candidate += 1
            while candidate in vnis.values():
                candidate += 1
            if candidate > VNI_MAX:
                raise PlanError('overlay_network_vni_base: %s leaves no free VNI for network %s' % (base, name))
            vnis[name] = candidate
    return vnis


def _subnets(names, defs, hosts, parsed, pools):
    """{name: subnet}: given or held ones kept (two overlapping overlays refused), the rest the first free pool subnet."""
    subnets = _kept(names, 'subnet', defs, hosts, parsed, lambda v, o: (
        '%s overlaps %s, the subnet of network %%s; overlays are routed by the containers, so their subnets must not '
        'overlap' % (v, o)) if _ipam.networks_overlap(v, o) else None)
    # Underlay addresses are taken too: a container must never shadow a VTEP.
    taken = list(subnets.values()) + [parsed[h]['underlay_ip'] for h in hosts if parsed[h].get('underlay_ip')]
    for name in names:
        if name not in subnets:
            with refused():
                subnets[name] = _ipam.next_free_subnet(taken, pools, 'overlay_network_address_pools')
            taken.append(subnets[name])
    return {name: str(subnet) for name, subnet in subnets.items()}


def _subnets6(names, defs, hosts, parsed, pools):
    """{name: subnet_v6} of the overlays with IPv6: given or held ones kept (two overlapping refused), the rest the first
    free /64 of the IPv6 entries of the pools, else of a ULA /48 of the overlay's own (from its name: the same on
    every host and every run, as a host's /48 comes from its machine id)."""
    subnets = _kept(names, 'subnet_v6', defs, hosts, parsed, lambda v, o: (
        '%s overlaps %s, the subnet_v6 of network %%s; overlays are routed by the containers, so their subnets must not '
        'overlap' % (v, o)) if _ipam.networks_overlap(v, o) else None)
    taken = [str(s) for s in subnets.values()] + [parsed[h]['underlay_ip'] for h in hosts if parsed[h].get('underlay_ip')]
    with refused():
        pools6 = _ipam6.split_pools(pools, 'overlay_network_address_pools')[1]
    for name in names:
        if name not in subnets:
            with refused():
                subnets[name] = _ipam6.next_free_subnet(taken, pools6 or _ipam6.ula_pool('hostnet.containers overlay ' + name),
                                                        'overlay_network_address_pools')
            taken.append(str(subnets[name]))
    return {name: str(subnet) for name, subnet in subnets.items()}


def _families(name, defs):
    """(IPv4, IPv6) of overlay ``name``: enable_ipv4 (default true) and enable_ipv6 (default false), one at least."""
    v4 = defs[name].get('enable_ipv4', (True,))[0] is not False
    v6 = bool(defs[name].get('enable_ipv6', (False,))[0])
    if not v4 and not v6:
        dummy, host, option = defs[name]['enable_ipv4']
        raise PlanError('%s: false, but network %s has no IPv6 either; set enable_ipv6: true for an IPv6-only overlay'
                        % (_where(host, option), name))
    return v4, v6


def _pool(name, subnet, defs, family=4):
    """The overlay's IPv4 (``family`` 6: IPv6) address pool, from its given gateway, ip_range and aux_addresses of that family."""
    host, option = next(((h, o.rsplit('.', 1)[0]) for _v, h, o in defs[name].values()), (None, 'overlay_network_networks'))
    keys = ('gateway', 'ip_range') if family == 4 else ('gateway_v6', 'ip_range_v6')
    given = {k.replace('_v6', ''): defs[name][k][0] for k in keys if k in defs[name]}
    with refused('host %s, ' % host if host else ''):
        if 'aux_addresses' in defs[name]:
            given['aux_addresses'] = _ipam6.split_aux_addresses(defs[name]['aux_addresses'][0], option + '.aux_addresses')[family == 6]
        return (_ipam.AddressPool if family == 4 else _ipam6.AddressPool)(subnet, option_prefix=option + '.', **given)


def _check_names(name, members, parsed):
    """Names resolve across the overlay (every host's name server answers for every container of it), so a name or
    alias, compared case-insensitively as DNS does, belongs to one container of the overlay on all its hosts."""
    owner = {}
    for host in members:
        for ep in parsed[host]['endpoints'][name]:
            for option, label in [('', ep['name'])] + [('.aliases', alias) for alias in ep.get('aliases') or []]:
                other = owner.setdefault(label.lower(), (host, ep['name']))
                if other != (host, ep['name']):
                    raise PlanError('%s: %s is also a name of container %s on host %s in network %s; names resolve across '
                                    'the overlay, so each must belong to one container'
                                    % (_where(host, ep['option'] + option), label, other[1], other[0], name))


def _allocate(name, members, parsed, pool):
    """{host: [endpoint with ip and mac]} of overlay ``name``: every address allocated once for all its hosts."""
    _check_names(name, members, parsed)
    check_macs(name, members, parsed)
    requests_by_host, existing = segment_requests(name, members, parsed)
    try:
        got = pool.allocate_across_hosts(requests_by_host, existing, option='overlay_network_containers')
    except _validate.InputError as exc:
        raise PlanError('network %s: %s' % (name, exc)) from None
    macs, out = {}, {}
    for host in members:
        out[host] = []
        for ep in parsed[host]['endpoints'][name]:
            ip = str(got[host][ep['name']])
            endpoint_mac(host, name, ep, ip, macs)  # checked there: distinct on the overlay
            mac = _ipam.normalize_mac(ep['mac']) if ep.get('mac') else _ipam.docker_mac(ip)
            out[host].append(dict({k: v for k, v in ep.items() if k != 'option'}, ip=ip, mac=mac))
    return out


def _addresses(name, members, parsed, pool, pool6):
    """{host: [endpoint with ip, ipv6_address and mac]} of overlay ``name``: each family's addresses allocated once
    for all its hosts; an IPv6-only endpoint's MAC from its IPv6 address (as overlay_net makes it)."""
    if pool is not None:
        out = _allocate(name, members, parsed, pool)
    else:
        _check_names(name, members, parsed)
        out = {h: [{k: v for k, v in ep.items() if k != 'option'} for ep in parsed[h]['endpoints'][name]] for h in members}
    if pool6 is None:
        _check_no_ipv6(name, members, parsed)
    else:
        _addresses6(name, members, parsed, pool6, out, pool is None)
    return out


def _check_no_ipv6(name, members, parsed):
    """An ipv6_address on an overlay without IPv6 names itself."""
    for host in members:
        for ep in parsed[host]['endpoints'][name]:
            if ep.get('ipv6_address'):
                raise PlanError('%s: %s needs enable_ipv6: true on network %s'
                                % (_where(host, ep['option'] + '.ipv6_address'), ep['ipv6_address'], name))


def _addresses6(name, members, parsed, pool6, out, ipv6_only):
    """Each endpoint of ``out`` ({host: [endpoint]}) gets its IPv6 address, allocated once for all hosts (and on an
    IPv6-only overlay its MAC from it)."""
    requests = {h: [{'name': ep['name'], 'ip': ep.get('ipv6_address')} for ep in parsed[h]['endpoints'][name]] for h in members}
    try:
        got = pool6.allocate_across_hosts(requests, {h: dict(parsed[h]['existing6'].get(name, {})) for h in members},
                                          option='overlay_network_containers')
    except _validate.InputError as exc:
        raise PlanError('network %s: %s' % (name, str(exc).replace('].ip ', '].ipv6_address '))) from None
    for host in members:
        for ep, asked in zip(out[host], parsed[host]['endpoints'][name]):
            ep['ipv6_address'] = str(got[host][ep['name']])
            if ipv6_only:
                with refused('host %s, ' % host):
                    ep['mac'] = _ipam.normalize_mac(asked['mac'], asked['option'] + '.mac') if asked.get('mac') else \
                        _ipam6.docker_mac(ep['ipv6_address'])


def _members(name, hosts, parsed):
    """The hosts that take part in overlay ``name``: present themselves, with the network present."""
    return [h for h in hosts if parsed[h]['state'] == 'present' and parsed[h]['networks'].get(name, {}).get('state') == 'present']


def _overlay(name, hosts, parsed, settled):
    """What every host gets for overlay ``name``: {host: module parameters}."""
    members = _members(name, hosts, parsed)
    defs = settled['defs'][name]
    pool = _pool(name, settled['subnets'][name], settled['defs']) if name in settled['subnets'] else None
    pool6 = _pool(name, settled['subnets6'][name], settled['defs'], 6) if name in settled['subnets6'] else None
    endpoints = _addresses(name, members, parsed, pool, pool6) if members else {}
    shared = dict(pool.config() if pool else {}, name=name, state='present', vni=settled['vnis'][name],
                  port=defs['port'][0] if 'port' in defs else DEFAULT_PORT)
    if pool6 is not None:
        config = pool6.config()
        shared.update(subnet_v6=config['subnet'], gateway_v6=config['gateway'], ip_range_v6=config['ip_range'],
                      aux_addresses=dict(shared.get('aux_addresses') or {}, **config['aux_addresses']))
    shared.update((k, defs[k][0]) for k in CALL_KEYS if k in defs)
    shared = {k: v for k, v in shared.items() if v not in (None, {}, '')}
    calls = {}
    for host in hosts:
        if host in members:
            calls[host] = _host_call(host, shared, members, parsed, endpoints)
        elif name in parsed[host]['networks']:
            calls[host] = {'name': name, 'state': 'absent'}
    return calls


def _host_call(host, shared, members, parsed, endpoints):
    """overlay_net's parameters on ``host``: its VTEP, its containers, the other members as peers and remote endpoints."""
    call = dict(shared, underlay_ip=parsed[host]['underlay_ip'], endpoints=endpoints[host],
                peers=[{'host': h, 'underlay_ip': parsed[h]['underlay_ip']} for h in members if h != host],
                remote_endpoints=[dict(_remote(ep), host=h) for h in members if h != host for ep in endpoints[h]])
    if parsed[host]['underlay_interface']:
        call['underlay_interface'] = parsed[host]['underlay_interface']
    return call


def _remote(ep):
    return {k: ep[k] for k in ('name', 'ip', 'ipv6_address', 'mac', 'aliases') if ep.get(k)}


def plan(requests, hosts=None, vni_base=DEFAULT_VNI_BASE, address_pools=None):
    """The plan for ``requests`` ({host: request}); see the filter's documentation for the shapes."""
    requests = _plain(requests)
    hosts = list(hosts) if hosts is not None else list(requests)
    parsed = _parse(requests, hosts)
    _check_underlays(hosts, parsed)
    vni_base = _int(vni_base, hosts[0] if hosts else '-', 'overlay_network_vni_base', 0, VNI_MAX - 1)
    names = list(dict.fromkeys(n for host in hosts for n in parsed[host]['networks']))
    defs = _definitions(hosts, parsed)
    present = [n for n in names if _members(n, hosts, parsed)]
    _check_families(present, hosts, parsed)
    settled = _settled(present, defs, hosts, parsed, vni_base, address_pools)
    calls = {host: [] for host in hosts}
    for name in names:
        # An overlay no host keeps is removed wherever it is listed.
        by_host = _overlay(name, hosts, parsed, settled) if name in present else \
            {h: {'name': name, 'state': 'absent'} for h in hosts if name in parsed[h]['networks']}
        for host, call in by_host.items():
            calls[host].append(call)
    return {host: _host_result(host, calls[host], parsed) for host in hosts}


def _settled(present, defs, hosts, parsed, vni_base, address_pools):
    """What is the same on every host of each present overlay: {defs, vnis, subnets, subnets6} (IPv4 subnets from the
    pools' IPv4 entries, of the overlays with IPv4; subnet_v6 of those with IPv6)."""
    families = {n: _families(n, defs) for n in present}
    pools = _plain(address_pools) or DEFAULT_POOLS
    with refused():
        pools4 = _ipam6.split_pools(pools, 'overlay_network_address_pools')[0] or DEFAULT_POOLS
    return {'defs': defs, 'vnis': _vnis(present, defs, hosts, parsed, vni_base),
            'subnets': _subnets([n for n in present if families[n][0]], defs, hosts, parsed, pools4),
            'subnets6': _subnets6([n for n in present if families[n][1]], defs, hosts, parsed, pools)}


def _per_network(present, key, endpoint_key=None):
    """{network: its call's ``key``} (with ``endpoint_key``: {network: {container: that key}}) of the calls that have it."""
    if endpoint_key is None:
        return {c['name']: c[key] for c in present if c.get(key)}
    return {c['name']: {ep['name']: ep[endpoint_key] for ep in c['endpoints'] if ep.get(endpoint_key)} for c in present if c.get(key)}


def _host_result(host, calls, parsed):
    """One host's share: its module calls, its addresses, the peers it must reach, what verify probes."""
    present = [c for c in calls if c['state'] == 'present']
    peers = {}
    for call in present:
        for peer in call['peers']:
            peers.setdefault(peer['underlay_ip'], peer['host'])
    return {'networks': calls, 'state': parsed[host]['state'],
            'addresses': _per_network(present, 'name', 'ip'), 'addresses_v6': _per_network(present, 'subnet_v6', 'ipv6_address'),
            'vnis': _per_network(present, 'vni'), 'subnets': _per_network(present, 'subnet'), 'subnets_v6': _per_network(present, 'subnet_v6'),
            'peers': [{'host': h, 'underlay_ip': ip} for ip, h in peers.items()],
            'probes': _probes(present)}


def _probes(present):
    """What the role's verification checks from this host, as items of the probe module's ``probes``: [{netns, target,
    method, expect, count, label}, with expect_address and family where they apply]."""
    probes = []
    joined = {}
    for call in present:
        for ep in call['endpoints']:
            joined[ep['name']] = joined.get(ep['name'], 0) + 1
    for call in present:
        for ep in call['endpoints']:
            probes.extend(_remote_probes(call, ep, joined[ep['name']] == 1))
            for other in present:
                # Overlays are isolated from each other as bridge networks are: a container reaches only its own.
                if other is not call and not any(e['name'] == ep['name'] for e in other['endpoints']):
                    for remote in other['remote_endpoints'][:1]:
                        probes.append({'netns': ep['name'], 'target': remote.get('ip') or remote['ipv6_address'], 'method': 'ping',
                                       'expect': 'unreachable', 'count': 1,
                                       'label': '%s (overlay %s) to %s on %s (overlay %s): isolated'
                                                % (ep['name'], call['name'], remote['name'], remote['host'], other['name'])})
    return probes


def _remote_probes(call, ep, only_network):
    """``ep`` reaches every remote container of its overlay by address, and by name.  A container on several overlays
    resolves a name on the one its resolver asks first (as in Docker), so its address is checked only when ``ep`` is on
    one overlay of this host."""
    probes = []
    for remote in call['remote_endpoints']:
        for key, family in (('ip', None), ('ipv6_address', 'ipv6')):
            if not remote.get(key):
                continue
            why = '%s to %s on %s across overlay %s%s' % (ep['name'], remote['name'], remote['host'], call['name'], ' over IPv6' if family else '')
            # A reachable ping is tried 3 times (an ARP or neighbour discovery may lose the first), a lookup once.
            probes.append({'netns': ep['name'], 'target': remote[key], 'method': 'ping', 'expect': 'reachable', 'count': 3, 'label': why})
            resolve = {'netns': ep['name'], 'target': remote['name'], 'method': 'resolve', 'expect': 'reachable', 'count': 1,
                       'label': why + ' by name'}
            if family:
                resolve['family'] = family
            if only_network:
                resolve['expect_address'] = remote[key]
            probes.append(resolve)
    return probes


def overlay_plan(hostvars, hosts, vni_base=DEFAULT_VNI_BASE, address_pools=None):
    """The filter: ``hostvars | hostnet.containers.overlay_plan(ansible_play_hosts_all, vni_base, address_pools)``."""
    hosts, requests = requests_from(hostvars, hosts, REQUEST_FACT)
    return plan(requests, hosts, vni_base, address_pools)


class FilterModule:
    def filters(self):
        return {'overlay_plan': overlay_plan}
