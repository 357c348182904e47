# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan_plan: one address plan for every host of a play that shares macvlan segments.

Docker's IPAM is per host: two hosts on one macvlan segment each hand out the first free
address of the range, so their containers collide.  This filter sees every host's request
at once (the macvlan_network role hands it in as the fact ``macvlan_network_request``) and
allocates each segment's addresses once, keeping what every host already holds.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _network6
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

from collections.abc import Mapping

from ansible_collections.hostnet.containers.plugins.plugin_utils._plan import PlanError, host_request, plain as _plain, refused, requests_from

REQUEST_FACT = 'macvlan_network_request'
SHIM = ':shim'  # never a container name: _validate.container_name refuses ':'
MODES = ('bridge', 'private', 'vepa', 'passthru')
STATES = ('present', 'absent')
NETWORK_KEYS = ('name', 'state', 'parent', 'mode', 'subnet', 'gateway', 'ip_range', 'aux_addresses', 'mtu', 'host_shim',
                'enable_ipv4', 'enable_ipv6', 'subnet_v6', 'gateway_v6', 'ip_range_v6',
                'routes', 'no_default_route', 'ipam_driver', 'dhcp_timeout')
ENDPOINT_KEYS = ('name', 'ip', 'mac', 'ifname', 'aliases', 'gw_priority')
# A macvlan container's network entry takes an IPv6 address too (the overlay plan shares _endpoint with ENDPOINT_KEYS).
MACVLAN_ENDPOINT_KEYS = ENDPOINT_KEYS + ('ipv6_address',)
SEGMENT_KEYS = ('subnet', 'gateway', 'ip_range', 'aux_addresses')
SHIM_KEYS = ('enabled', 'ip', 'ipv6_address', 'name')
IPAM_DRIVERS = ('default', 'dhcp')


def _where(host, option):
    return 'host %s, %s' % (host, option)


def _shim_spec(value, default, host, option):
    """host_shim as {enabled, ip, name}; True/False or a dict, the role's default when unset."""
    if value is None:
        value = default
    if value is None or isinstance(value, bool):
        return {'enabled': bool(value), 'ip': None, 'ipv6_address': None, 'name': None}
    if not isinstance(value, Mapping):
        raise PlanError('%s: %r must be true, false or a dict with enabled, ip, ipv6_address and name' % (_where(host, option), value))
    unknown = sorted(set(value) - set(SHIM_KEYS))
    if unknown:
        raise PlanError('%s: unknown key %s (use %s)' % (_where(host, option), ', '.join(unknown), ', '.join(SHIM_KEYS)))
    enabled = value.get('enabled', True)
    if not isinstance(enabled, bool):
        raise PlanError('%s: %r must be true or false' % (_where(host, option + '.enabled'), enabled))
    if value.get('name') is not None:
        _validate.validate_ifname(value['name'], option + '.name')  # the caller names the host
    return {'enabled': enabled, 'ip': value.get('ip'), 'ipv6_address': value.get('ipv6_address'), 'name': value.get('name')}


def _optional(validator, value, option):
    """validator(value, option) when the value is set (neither None nor empty)."""
    if value not in (None, ''):
        validator(value, option)


def _network_keys(host, net, option, networks, keys=NETWORK_KEYS):
    """A network entry is a dict with a name not listed before and only the ``keys`` the role knows."""
    if not isinstance(net, Mapping) or not isinstance(net.get('name'), str) or not net['name']:
        raise PlanError('%s: %r needs a name' % (_where(host, option), net))
    unknown = sorted(set(net) - set(keys))
    if unknown:
        raise PlanError('%s: unknown key %s (known: %s)' % (_where(host, option), ', '.join(unknown), ', '.join(keys)))
    if net['name'] in networks:
        raise PlanError('%s: network %s is listed twice' % (_where(host, option), net['name']))


def _network(host, request, net, option, networks):
    """One entry of a host's macvlan_network_networks, checked, with its parent, shim and (present) pool settled."""
    _network_keys(host, net, option, networks)
    state = net.get('state') or 'present'
    if state not in STATES:
        raise PlanError("%s: '%s' must be present or absent" % (_where(host, option + '.state'), state))
    mode = net.get('mode') or 'bridge'
    if mode not in MODES:
        raise PlanError("%s: '%s' must be one of %s" % (_where(host, option + '.mode'), mode, ', '.join(MODES)))
    entry = dict(net, state=state, mode=mode, option=option, dhcp=_ipam_driver(host, net, option) == 'dhcp')
    with refused('host %s, ' % host):
        _validate.network_name(net['name'], option + '.name', 'macvlan')
        _optional(_validate.validate_ifname, net.get('parent'), option + '.parent')
        _optional(_validate.mtu, net.get('mtu'), option + '.mtu')
        entry['parent'] = net.get('parent') or request.get('parent') or None
        entry['shim'] = _shim_spec(net.get('host_shim'), request.get('host_shim'), host, option + '.host_shim')
    if state == 'present' and entry['dhcp']:
        entry['pool'], entry['pool6'] = _check_dhcp(host, entry, option)
    elif state == 'present':
        entry['pool'], entry['pool6'] = _pools(host, net, option)
    return entry


def _ipam_driver(host, net, option):
    """The network's ipam_driver (default or dhcp), its dhcp_timeout checked."""
    driver = net.get('ipam_driver') or 'default'
    if driver not in IPAM_DRIVERS:
        raise PlanError("%s: '%s' must be default or dhcp" % (_where(host, option + '.ipam_driver'), driver))
    timeout = net.get('dhcp_timeout')
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1):
        raise PlanError('%s: %r must be a whole number of seconds, at least 1' % (_where(host, option + '.dhcp_timeout'), timeout))
    return driver


def _check_dhcp(host, entry, option):
    """A present network whose endpoints lease their addresses (ipam_driver: dhcp): (None, None), no pool to
    allocate from.  Refused as macvlan_net refuses it, before any host changes: IPv6, no parent, a shim without the
    subnet and its own address; subnet and gateway, optional, are checked when given."""
    why = 'with ipam_driver dhcp (network %s)' % entry['name']
    if entry.get('enable_ipv6'):
        raise PlanError('%s: true is refused %s; the DHCP server leases IPv4 addresses only' % (_where(host, option + '.enable_ipv6'), why))
    if entry.get('enable_ipv4') is False:
        raise PlanError('%s: false is refused %s, which leases IPv4 addresses' % (_where(host, option + '.enable_ipv4'), why))
    if not entry['parent']:
        raise PlanError('%s: required %s: the endpoints lease from the DHCP server of the LAN of the parent (set it, '
                        'or macvlan_network_parent)' % (_where(host, option + '.parent'), why))
    if entry['shim']['enabled'] and not (entry.get('subnet') and entry['shim']['ip']):
        raise PlanError('%s: a host shim %s needs the network\'s subnet and host_shim.ip (the role allocates no address on '
                        'a DHCP network)' % (_where(host, option + '.host_shim'), why))
    if entry.get('subnet'):
        with refused('host %s, ' % host):
            pool = _ipam.AddressPool(entry['subnet'], entry.get('gateway'), option_prefix=option + '.')
        entry['lease_segment'] = {'subnet': str(pool.subnet), 'gateway': str(pool.gateway) if entry.get('gateway') else None}
    elif entry.get('gateway'):
        try:
            entry['lease_segment'] = {'subnet': None, 'gateway': str(ipaddress.IPv4Address(entry['gateway']))}
        except ValueError:
            raise PlanError("%s: '%s' is not an IPv4 address" % (_where(host, option + '.gateway'), entry['gateway'])) from None
    return None, None


def _pools(host, net, option):
    """(IPv4 pool or None, IPv6 pool or None) of a present network, its address families checked as the module checks
    them; the subnet of each family it has is required: the hosts sharing the segment must agree on it (the default
    ULA subnet_v6 differs from host to host)."""
    with refused('host %s, %s.' % (host, option)):
        v4, v6 = _network6.families({k: net.get(k) for k in NETWORK_KEYS if k in net}, None)
    for on, key in ((v4, 'subnet'), (v6, 'subnet_v6')):
        if on and not net.get(key):
            raise PlanError('%s: required; the hosts of the play share the segment of network %s and must agree on '
                            'its %s' % (_where(host, option + '.' + key), net['name'], key))
    with refused('host %s, ' % host):
        aux4, aux6 = _ipam6.split_aux_addresses(net.get('aux_addresses'), option + '.aux_addresses')
        pool = _ipam.AddressPool(net['subnet'], net.get('gateway'), net.get('ip_range'), aux4 if v6 else net.get('aux_addresses'),
                                 option_prefix=option + '.') if v4 else None
        pool6 = _ipam6.AddressPool(net['subnet_v6'], net.get('gateway_v6'), net.get('ip_range_v6'), aux6,
                                   option_prefix=option + '.') if v6 else None
    return pool, pool6


def _check_passthru(host, entry, networks):
    """A passthru parent carries one network; checked for the play as a whole, as each network alone would pass."""
    for other in networks.values():
        if entry['state'] == 'present' == other['state'] and entry['parent'] and entry['parent'] == other['parent'] \
                and 'passthru' in (entry['mode'], other['mode']):
            raise PlanError("%s: parent '%s' is also the parent of network %s; a passthru parent carries one network "
                            'with one endpoint' % (_where(host, entry['option'] + '.parent'), entry['parent'], other['name']))


def _networks(host, request):
    """{name: network} of one host's request, checked, with its parent and shim settled."""
    networks = {}
    with refused('host %s, ' % host):
        _optional(_validate.validate_ifname, request.get('parent'), 'macvlan_network_parent')
    for i, net in enumerate(request.get('networks') or []):
        option = 'macvlan_network_networks[%d]' % i
        entry = _network(host, request, net, option, networks)
        _check_passthru(host, entry, networks)
        networks[entry['name']] = entry
    return networks


def _endpoint(host, cname, item, sub, networks, by_network, prefix='macvlan_network', keys=ENDPOINT_KEYS):
    """One network a container joins ('name' or {name, ip, mac, ifname, aliases}), checked: (network, endpoint).
    ``prefix`` is the role's variable prefix, for messages (the overlay plan shares these checks)."""
    endpoint = {'name': item} if isinstance(item, str) else item
    if not isinstance(endpoint, Mapping) or not isinstance(endpoint.get('name'), str):
        raise PlanError('%s: %r must be a network name or a dict with name, ip, mac, ifname, aliases' % (_where(host, sub), item))
    unknown = sorted(set(endpoint) - set(keys))
    if unknown:
        raise PlanError('%s: unknown key %s (use %s)' % (_where(host, sub), ', '.join(unknown), ', '.join(keys)))
    net = endpoint['name']
    if net not in networks:
        raise PlanError("%s: container %s joins network '%s', which is not in %s_networks of this host"
                        % (_where(host, sub), cname, net, prefix))
    if any(e['name'] == cname for e in by_network[net]):
        raise PlanError('%s: container %s joins network %s twice' % (_where(host, sub), cname, net))
    with refused('host %s, ' % host):
        _optional(_validate.validate_ifname, endpoint.get('ifname'), sub + '.ifname')
        for one in endpoint.get('aliases') if isinstance(endpoint.get('aliases'), list) else []:
            _validate.alias(one, sub + '.aliases')
        _optional(_validate.gw_priority, endpoint.get('gw_priority'), sub + '.gw_priority')
    out = {'name': cname}
    out.update((k, endpoint[k]) for k in keys if k != 'name' and endpoint.get(k) not in (None, '', []))
    out['option'] = sub
    return net, out


def _container_name(host, container, option, seen):
    """The name of one entry of a host's macvlan_network_containers, checked (a namespace name, listed once)."""
    if not isinstance(container, Mapping) or not isinstance(container.get('name'), str) or not container['name']:
        raise PlanError('%s: %r needs a name' % (_where(host, option), container))
    unknown = sorted(set(container) - {'name', 'networks'})
    if unknown:
        raise PlanError('%s: unknown key %s (use name, networks)' % (_where(host, option), ', '.join(unknown)))
    cname = container['name']
    with refused('host %s, ' % host):
        _validate.container_name(cname, option + '.name')
    if cname in seen:
        raise PlanError('%s: container %s is listed twice' % (_where(host, option), cname))
    seen.add(cname)
    return cname


def _endpoints(host, request, networks, prefix='macvlan_network', keys=ENDPOINT_KEYS):
    """{network: [endpoint dict]} of one host's containers, in the order they are listed."""
    by_network = {name: [] for name in networks}
    seen = set()
    for i, container in enumerate(request.get('containers') or []):
        option = '%s_containers[%d]' % (prefix, i)
        cname = _container_name(host, container, option, seen)
        for j, item in enumerate(container.get('networks') or []):
            net, endpoint = _endpoint(host, cname, item, '%s.networks[%d]' % (option, j), networks, by_network, prefix, keys)
            by_network[net].append(endpoint)
    return by_network


def _existing(request, key='IPv4Address', shim_option='host_shim_ip'):
    """{network: {container or SHIM: ip}} held on the host now, from network_info's networks (``key``, ``shim_option``:
    IPv6Address and host_shim_ip6 for the IPv6 addresses)."""
    held = {}
    for net in request.get('existing') or []:
        if not isinstance(net, Mapping) or net.get('Driver') != 'macvlan':
            continue
        entries = {}
        for ep in (net.get('Containers') or {}).values():
            if ep.get(key):
                entries[ep['Name']] = ep[key].split('/')[0]
        shim_ip = (net.get('Options') or {}).get('hostnet.containers.' + shim_option)
        if shim_ip:
            entries[SHIM] = shim_ip
        held[net['Name']] = entries
    return held


def _existing_macs(request):
    """{network: {container: MAC}} held on the host now, from network_info's networks."""
    held = {}
    for net in request.get('existing') or []:
        if isinstance(net, Mapping) and net.get('Driver') == 'macvlan':
            held[net['Name']] = {ep['Name']: ep['MacAddress'] for ep in (net.get('Containers') or {}).values() if ep.get('MacAddress')}
    return held


def _docker_mac_ip(mac):
    """The IPv4 address whose Docker MAC ``mac`` is (02:42 and four address bytes), else None."""
    if not isinstance(mac, str):
        return None
    try:
        octets = _ipam.normalize_mac(mac).split(':')
    except _validate.InputError:
        return None  # reported with the option's name once the plan is made
    if octets[:2] != ['02', '42']:
        return None
    return '.'.join(str(int(o, 16)) for o in octets[2:])


def _segment(pool):
    return {k: v for k, v in pool.config().items() if k in SEGMENT_KEYS}


def _refuse_leased_addresses(host, networks, endpoints):
    """A container entry with an address on a network whose addresses come from the DHCP server is refused, naming
    the entry and the network's ipam_driver, before anything changes."""
    for name, net in networks.items():
        if not net['dhcp'] or net['state'] != 'present':
            continue
        for ep in endpoints[name]:
            for key in ('ip', 'ipv6_address'):
                if ep.get(key):
                    raise PlanError("%s: container %s asks for %s on network %s, whose addresses come from the LAN's DHCP "
                                    'server (%s.ipam_driver is dhcp); leave %s out, or give the network ipam_driver default'
                                    % (_where(host, ep['option'] + '.' + key), ep['name'], ep[key], name, net['option'], key))


def _parse(requests, hosts):
    """{host: {networks, endpoints, existing, verify_isolation}} of every host's request, each checked."""
    parsed = {}
    for host in hosts:
        request = host_request(requests, host, 'macvlan', 'addresses are allocated once for every host of the play, so each '
                               'must take part')
        networks = _networks(host, request)
        endpoints = _endpoints(host, request, networks, keys=MACVLAN_ENDPOINT_KEYS)
        _refuse_leased_addresses(host, networks, endpoints)
        parsed[host] = {'networks': networks, 'endpoints': endpoints,
                        'existing': _existing(request), 'existing6': _existing(request, 'IPv6Address', 'host_shim_ip6'),
                        'existing_macs': _existing_macs(request), 'verify_isolation': bool(request.get('verify_isolation', True))}
    return parsed


def _segment_pool(name, members, parsed, key='pool'):
    """The pool (``key`` pool6: the IPv6 one) of network ``name``, which every member host must declare alike (one
    segment, one IPAM per family)."""
    first = members[0]
    pool = parsed[first]['networks'][name][key]
    for host in members[1:]:
        other = parsed[host]['networks'][name]
        if (other[key] is None) != (pool is None) or (pool is not None and _segment(other[key]) != _segment(pool)):
            seg, first_seg = (_segment(q) if q is not None else None for q in (other[key], pool))
            keys = 'subnet, gateway, ip_range and aux_addresses' if key == 'pool' else 'enable_ipv6, subnet_v6, gateway_v6, ip_range_v6 and IPv6 aux_addresses'
            raise PlanError('%s: network %s is %s on host %s but %s on host %s; hosts sharing a segment must agree on %s'
                            % (_where(host, other['option']), name, seg, host, first_seg, first, keys))
    return pool


def _segment_requests(name, members, parsed):
    """({host: [{name, ip}]}, {host: {key: ip}}): what each member asks for on ``name`` and what it holds."""
    requests_by_host = {}
    existing = {}
    for host in members:
        net = parsed[host]['networks'][name]
        wanted = [{'name': ep['name'], 'ip': ep.get('ip')} for ep in parsed[host]['endpoints'][name]]
        if net['shim']['enabled']:
            wanted.append({'name': SHIM, 'ip': net['shim']['ip']})
        requests_by_host[host] = wanted
        existing[host] = dict(parsed[host]['existing'].get(name, {}))
    # An explicit 02:42 MAC is Docker's MAC of some address: automatic allocation skips that address, so the
    # endpoint that would get it does not end up with the same MAC.
    explicit_ips = {ep['ip'] for h in members for ep in requests_by_host[h] if ep['ip']}
    for host in members:
        for ep in parsed[host]['endpoints'][name]:
            ip = _docker_mac_ip(ep.get('mac'))
            if ip is not None and ip not in explicit_ips:
                existing[host][':mac:' + ep['name']] = ip
    return requests_by_host, existing


def _endpoint_mac(host, name, ep, ip, macs):
    """The MAC of an endpoint (explicit, else Docker's of its address), distinct on the segment."""
    with refused('host %s, ' % host):
        mac = _ipam.normalize_mac(ep['mac'], ep['option'] + '.mac') if ep.get('mac') else _ipam.docker_mac(str(ip))
    holder = macs.get(mac)
    if holder is not None:
        raise PlanError('%s: %s of container %s is also the MAC of container %s on host %s in network %s; '
                        'one segment needs distinct MACs' % (_where(host, ep['option'] + '.mac'), mac, ep['name'],
                                                             holder[1], holder[0], name))
    macs[mac] = (host, ep['name'])


def _claim(name, claims, mac, who):
    """Take ``mac`` for ``who`` (host, container, its option or None, whether the MAC is given explicitly); a MAC
    claimed twice, once explicitly at least, fails naming the option of the later claim.  Two claims that both
    follow from an address are the same address, which the allocation reports."""
    other = claims.get(mac)
    if other is None:
        claims[mac] = who
        return
    if not (who[3] or other[3]):
        return
    blamed, holder = (who, other) if who[2] is not None else (other, who)
    raise PlanError('%s: %s of container %s is also the MAC of container %s on host %s in network %s; one segment needs '
                    'distinct MACs' % (_where(blamed[0], blamed[2]), mac, blamed[1], holder[1], holder[0], name))


def _listed_mac(host, ep, held):
    """The MAC of a listed endpoint when it is known before allocation (explicit, or Docker's of its explicit or
    held address; None when its address is yet to be allocated) and whether it is held (no explicit MAC or address)."""
    if ep.get('mac'):
        with refused('host %s, ' % host):
            return _ipam.normalize_mac(ep['mac'], ep['option'] + '.mac'), False
    ip = ep.get('ip') or held.get(ep['name'])
    try:
        return (_ipam.docker_mac(ip) if ip else None), not ep.get('ip')
    except _validate.InputError:
        return None, False  # a bad address: the allocation names it


def _check_macs(name, members, parsed):
    """Before any address is allocated: an explicit MAC that another container of the segment (on any host) has or
    will have is refused, naming the option, rather than met by renumbering that container or found after the
    allocation.  What the hosts hold (MACs of the endpoints they have, Docker's of held addresses) is claimed first,
    then what the request asks (explicit MACs, Docker's of explicit addresses), in play order."""
    claims = {}
    asked = []
    for host in members:
        # A leased endpoint keeps the MAC it has (from its endpoint id), whatever address it holds.
        leased = parsed[host]['networks'][name].get('dhcp')
        held = {} if leased else parsed[host]['existing'].get(name, {})
        held_macs = parsed[host]['existing_macs'].get(name, {}) if leased else {}
        listed = set()
        for ep in parsed[host]['endpoints'][name]:
            listed.add(ep['name'])
            mac, holds = _listed_mac(host, ep, held)
            if mac is None and held_macs.get(ep['name']):
                mac, holds = held_macs[ep['name']], True
            if mac is not None:
                who = (mac, (host, ep['name'], ep['option'] + '.mac', bool(ep.get('mac'))))
                if holds:
                    _claim(name, claims, *who)
                else:
                    asked.append(who)
        for cname, mac in sorted(parsed[host]['existing_macs'].get(name, {}).items()):
            if cname not in listed:
                _claim(name, claims, mac, (host, cname, None, False))
    for mac, who in asked:
        _claim(name, claims, mac, who)


def _allocate_segment6(name, members, parsed, allocations6, shims6):
    """The IPv6 addresses of network ``name`` on every member host, once for the segment (as the IPv4 ones)."""
    pool6 = _segment_pool(name, members, parsed, 'pool6')
    if pool6 is None:
        return
    requests_by_host, existing = {}, {}
    for host in members:
        net = parsed[host]['networks'][name]
        requests_by_host[host] = [{'name': ep['name'], 'ip': ep.get('ipv6_address')} for ep in parsed[host]['endpoints'][name]]
        if net['shim']['enabled']:
            requests_by_host[host].append({'name': SHIM, 'ip': net['shim']['ipv6_address']})
        existing[host] = dict(parsed[host]['existing6'].get(name, {}))
    try:
        got = pool6.allocate_across_hosts(requests_by_host, existing, option='macvlan_network_containers')
    except _validate.InputError as exc:
        text = str(exc).replace("endpoint '%s'" % SHIM, 'the host shim').replace('].ip ', '].ipv6_address ')
        raise PlanError('network %s: %s' % (name, text)) from None
    for host in members:
        for cname, ip in got[host].items():
            if cname == SHIM:
                shims6[host][name] = str(ip)
            else:
                allocations6[host].setdefault(name, {})[cname] = str(ip)


def _segment_leased(name, members, parsed):
    """Whether network ``name`` leases its addresses (ipam_driver dhcp); every member host must say alike, with the
    same subnet and gateway when given."""
    first = parsed[members[0]]['networks'][name]
    for host in members[1:]:
        other = parsed[host]['networks'][name]
        if other['dhcp'] != first['dhcp']:
            raise PlanError('%s: network %s has ipam_driver %s on host %s but %s on host %s; hosts sharing a segment must '
                            'agree on it' % (_where(host, other['option'] + '.ipam_driver'), name, 'dhcp' if other['dhcp'] else 'default',
                                             host, 'dhcp' if first['dhcp'] else 'default', members[0]))
        if first['dhcp'] and other.get('lease_segment') != first.get('lease_segment'):
            raise PlanError('%s: network %s is %s on host %s but %s on host %s; hosts sharing a segment must agree on subnet '
                            'and gateway' % (_where(host, other['option']), name, other.get('lease_segment'), host,
                                             first.get('lease_segment'), members[0]))
    return first['dhcp']


def _leased_segment(name, members, parsed, shims):
    """A DHCP network: no address allocated; explicit MACs checked, each host shim's explicit address taken once."""
    _check_macs(name, members, parsed)
    holders = {}
    for host in members:
        net = parsed[host]['networks'][name]
        ip = net['shim']['ip'] if net['shim']['enabled'] else None
        if ip is None:
            continue
        if ip in holders:
            raise PlanError('%s: %s is also the host shim address of host %s in network %s; each host shim needs its own'
                            % (_where(host, net['option'] + '.host_shim.ip'), ip, holders[ip], name))
        holders[ip] = host
        shims[host][name] = ip


def _allocate_segment(name, members, parsed, allocations, shims):
    """Addresses of network ``name`` on every member host, once for the segment, into allocations and shims."""
    if _segment_leased(name, members, parsed):
        _leased_segment(name, members, parsed, shims)
        return
    pool = _segment_pool(name, members, parsed)
    _check_macs(name, members, parsed)
    if pool is None:
        return  # IPv6-only: no IPv4 address; a MAC not given comes from the endpoint id (macvlan_net), not an address
    requests_by_host, existing = _segment_requests(name, members, parsed)
    try:
        got = pool.allocate_across_hosts(requests_by_host, existing, option='macvlan_network_containers')
    except _validate.InputError as exc:
        raise PlanError('network %s: %s' % (name, str(exc).replace("endpoint '%s'" % SHIM, 'the host shim'))) from None
    macs = {}
    for host in members:
        for ep in parsed[host]['endpoints'][name]:
            ip = got[host][ep['name']]
            _endpoint_mac(host, name, ep, ip, macs)
            allocations[host].setdefault(name, {})[ep['name']] = str(ip)
        if SHIM in got[host]:
            shims[host][name] = str(got[host][SHIM])


def _with_addresses(ep, ip, ip6):
    out = {k: v for k, v in ep.items() if k not in ('option', 'ip', 'ipv6_address')}
    out.update((k, v) for k, v in (('ip', ip), ('ipv6_address', ip6)) if v is not None)
    return out


def _network_call(host, name, net, parsed, allocations, shims):
    """The macvlan_net parameters of one network of ``host``: endpoints with their addresses, the shim's
    (``allocations``, ``shims``: the IPv4 ones and the IPv6 ones)."""
    out = {k: net[k] for k in NETWORK_KEYS if k not in ('host_shim',) and net.get(k) is not None}
    out['parent'] = net['parent']
    if net['state'] != 'present':
        return out
    (v4, v6), (shims4, shims6) = ([a[host].get(name, {}) for a in allocations], [s[host] for s in shims])
    out['endpoints'] = [_with_addresses(ep, v4.get(ep['name']), v6.get(ep['name'])) for ep in parsed[host]['endpoints'][name]]
    shim = net['shim']
    if shim['enabled']:
        out['host_shim'] = {'enabled': True}
        out['host_shim'].update((k, v) for k, v in (('ip', shims4.get(name)), ('ipv6_address', shims6.get(name))) if v is not None)
        if shim['name']:
            out['host_shim']['name'] = shim['name']
    else:
        out['host_shim'] = {'enabled': False}
    return out


def plan(requests, hosts=None):
    """The plan for ``requests`` ({host: request}); see the filter's documentation for the shapes."""
    requests = _plain(requests)
    hosts = list(hosts) if hosts is not None else list(requests)
    parsed = _parse(requests, hosts)
    allocations, allocations6, shims, shims6 = _allocate_all(hosts, parsed)
    targets = _with_leases(hosts, parsed, allocations)
    result = {}
    for host in hosts:
        networks = [_network_call(host, name, net, parsed, (allocations, allocations6), (shims, shims6))
                    for name, net in parsed[host]['networks'].items()]
        result[host] = {'networks': networks, 'addresses': allocations[host], 'shims': shims[host],
                        'addresses6': allocations6[host], 'shims6': shims6[host], 'leased': _leased(parsed[host]),
                        'probes': _probes(host, hosts, parsed, targets, shims) + _probes(host, hosts, parsed, allocations6, shims6)}
    return result


def _allocate_all(hosts, parsed):
    """(allocations, allocations6, shims, shims6), each {host: {network: ...}}: one allocation per network name across
    the hosts that have it present."""
    allocations, allocations6 = {host: {} for host in hosts}, {host: {} for host in hosts}
    shims, shims6 = {host: {} for host in hosts}, {host: {} for host in hosts}
    names = []
    for host in hosts:
        names.extend(n for n in parsed[host]['networks'] if n not in names)
    for name in names:
        members = [h for h in hosts if parsed[h]['networks'].get(name, {}).get('state') == 'present']
        if members:
            _allocate_segment(name, members, parsed, allocations, shims)
            _allocate_segment6(name, members, parsed, allocations6, shims6)
    return allocations, allocations6, shims, shims6


def _leased(parsed_host):
    """The networks of a host whose endpoints lease their addresses (ipam_driver dhcp)."""
    return [name for name, net in parsed_host['networks'].items() if net['dhcp'] and net['state'] == 'present']


def _with_leases(hosts, parsed, allocations):
    """The IPv4 probe targets: the allocated addresses, and None for each endpoint of a DHCP network (its address is
    the lease it gets, which the role's verification reads from network_info after the change)."""
    targets = {host: dict(allocations[host]) for host in hosts}
    for host in hosts:
        for name, net in parsed[host]['networks'].items():
            if net['dhcp'] and net['state'] == 'present':
                targets[host][name] = {ep['name']: None for ep in parsed[host]['endpoints'][name]}
    return targets


def _probe(netns, target, expect, why):
    """One probe, as an item of the probe module's ``probes`` (``label`` says why; a reachable one is tried 3 times, an
    isolation check once); ``target`` an address, or (host, network, container) of a leased endpoint: then the probe
    says ``lease`` {host, network, container} and its target is null (the role reads it after the change)."""
    probe = {'netns': netns, 'target': target, 'expect': expect, 'count': 3 if expect == 'reachable' else 1, 'label': why}
    if isinstance(target, tuple):
        probe.update(target=None, lease=dict(zip(('host', 'network', 'container'), target)))
    return probe


def _segment_probes(host, hosts, parsed, allocations, name, cname):
    """``cname`` on ``host`` reaches every container of network ``name`` on the other hosts, across the segment."""
    probes = []
    net = parsed[host]['networks'][name]
    for other in hosts:
        if other == host:
            continue
        onet = parsed[other]['networks'].get(name)
        if not onet or onet['state'] != 'present' or not net['parent'] or not onet['parent']:
            continue  # an internal network (no parent) never leaves its host
        for oname, oip in allocations[other].get(name, {}).items():
            probes.append(_probe(cname, oip or (other, name, oname), 'reachable', '%s to %s on %s across the segment' % (cname, oname, other)))
    return probes


def _local_probes(host, net, cname, mine):
    """``cname`` and its neighbours on the same host: reachable in bridge mode, not in private mode."""
    probes = []
    for oname, oip in mine.items():
        if oname == cname or net['mode'] not in ('bridge', 'private'):
            continue  # vepa needs a hairpinning switch; passthru has one endpoint
        expect = 'reachable' if net['mode'] == 'bridge' else 'unreachable'
        probes.append(_probe(cname, oip or (host, net['name'], oname), expect,
                             '%s to %s on the same host (mode %s)' % (cname, oname, net['mode'])))
    return probes


def _host_probes(net, cname, ip, shim_ip, verify_isolation):
    """The host and ``cname`` (``ip``: its address, or its lease as (host, network, container)): through the shim both
    ways, or (without one) not at all."""
    if shim_ip and net['mode'] == 'bridge':
        # The kernel delivers between two children of one parent only when both are in bridge mode.
        return [_probe(None, ip, 'reachable', 'the host to %s through its shim %s' % (cname, shim_ip)),
                _probe(cname, shim_ip, 'reachable', '%s to its host through the shim' % cname)]
    if not shim_ip and verify_isolation and net['mode'] in ('bridge', 'private'):
        # Unless the switch reflects frames back (which vepa assumes), the host never sees its children.
        return [_probe(None, ip, 'unreachable', 'the host to %s without a shim (a macvlan parent never talks to its children)' % cname)]
    return []


def _probes(host, hosts, parsed, allocations, shims):
    """What the role's verification checks from ``host``: [{netns, target, expect, count, label}] (and ``lease`` when the target
    is a leased address, see _probe)."""
    probes = []
    for name, net in parsed[host]['networks'].items():
        if net['state'] != 'present':
            continue
        mine = allocations[host].get(name, {})
        for cname, ip in mine.items():
            probes.extend(_segment_probes(host, hosts, parsed, allocations, name, cname))
            probes.extend(_local_probes(host, net, cname, mine))
            probes.extend(_host_probes(net, cname, ip or (host, name, cname), shims[host].get(name), parsed[host]['verify_isolation']))
    return probes


def macvlan_plan(hostvars, hosts):
    """The filter: ``hostvars | hostnet.containers.macvlan_plan(ansible_play_hosts_all)``."""
    hosts, requests = requests_from(hostvars, hosts, REQUEST_FACT)
    return plan(requests, hosts)


class FilterModule:
    def filters(self):
        return {'macvlan_plan': macvlan_plan}
