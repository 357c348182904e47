# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""bridge_plan and bridge_endpoints: what ``docker run --network ...`` means for each network and namespace.

The bridge_network role turns its containers into one docker_bridge call per network
(bridge_endpoints selects a network's containers with a JMESPath query) and one netns
call per container namespace.
"""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _outbound
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_plan
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _unmanaged
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

import json
from collections.abc import Mapping

from ansible_collections.hostnet.containers.plugins.plugin_utils._plan import PlanError, plain as _plain, refused

try:
    import jmespath
except ImportError:  # reported when a filter is used
    jmespath = None

DEFAULT_NETWORK = 'bridge'
MODES = ('bridge', 'host', 'none')
DEFAULT_BRIDGE_MODES = ('auto', 'managed', 'unmanaged')
GATEWAY_MODES = ('nat', 'nat-unprotected', 'routed', 'isolated')
CONTAINER_KEYS = ('name', 'state', 'network_mode', 'networks', 'publish', 'publish_all', 'expose', 'dns', 'dns_search', 'hostname',
                  'extra_hosts')
NETWORK_PASS = ('subnet', 'gateway', 'ip_range', 'aux_addresses', 'bridge_name', 'mtu', 'icc', 'ip_masquerade', 'internal',
                'dns', 'dns_domain', 'stp', 'address_pools', 'gateway_mode_ipv4', 'trusted_host_interfaces',
                'enable_ipv4', 'enable_ipv6', 'subnet_v6', 'gateway_v6', 'ip_range_v6', 'gateway_mode_ipv6',
                'host_ipv4', 'host_ipv6', 'routes', 'no_default_route')
NETWORK_PASS += ('unmanaged',)  # on the user's own bridge (docker_bridge unmanaged, _unmanaged)
NETWORK_KEYS = ('name', 'state') + NETWORK_PASS
# The query bridge_endpoints runs: the present containers in bridge mode attached to the network.
ENDPOINTS_QUERY = "[?state=='present' && network_mode=='bridge'] | [?networks[?name==%s]]"


def _str_list(value, option):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise PlanError('%s: %r must be a list of strings' % (option, value))
    return list(value)


def _expose(value, option):
    """Declared ports ('80', 80, '53/udp', '8000-8001') as docker_bridge publish strings with no host port."""
    out = []
    for i, item in enumerate(value or []):
        sub = '%s[%d]' % (option, i)
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise PlanError('%s: %r must be a port like 80 or 53/udp' % (sub, item))
        text = str(item)
        if ':' in text:
            raise PlanError("%s: '%s' is a container port, without a host part" % (sub, text))
        with refused():
            _ports.parse_publish(text, sub)
        out.append(text)
    return out


def _container_ports(publishes, option):
    """{(container_port, proto)} of a list of -p strings (or long-syntax dicts)."""
    ports = set()
    for i, item in enumerate(publishes):
        with refused():
            for entry in _ports.parse_publish(item, '%s[%d]' % (option, i)):
                ports.add((entry['container_port'], entry['proto']))
    return ports


def _unknown_keys(item, known, option):
    unknown = sorted(set(item) - set(known))
    if unknown:
        raise PlanError('%s: unknown key %s (known: %s)' % (option, ', '.join(unknown), ', '.join(known)))


def _state(value, option):
    state = value or 'present'
    if state not in ('present', 'absent'):
        raise PlanError("%s: '%s' must be present or absent" % (option, state))
    return state


def _network_mode(c, option):
    """(network_mode as given, share_with): bridge, host, none, or container:NAME with the namespace NAME it shares."""
    name = c['name']
    mode = c.get('network_mode') or 'bridge'
    if not isinstance(mode, str):
        raise PlanError('%s.network_mode: %r must be bridge, host, none or container:NAME' % (option, mode))
    if c.get('hostname') is not None and not isinstance(c['hostname'], str):
        raise PlanError('%s.hostname: %r must be a string' % (option, c['hostname']))
    if not mode.startswith('container:'):
        if mode not in MODES:
            raise PlanError("%s.network_mode: '%s' must be bridge, host, none or container:NAME" % (option, mode))
        return mode, None
    share_with = mode.split(':', 1)[1]
    with refused():
        _validate.container_name(share_with, option + '.network_mode')
    if share_with == name:
        raise PlanError("%s.network_mode: '%s' is the container itself" % (option, mode))
    return mode, share_with


def _ipv6_address(net, sub):
    """A networks entry's IPv6 address: ``ip6`` (docker run --ip6) or ``ipv6_address`` (the container module's
    name), one address whichever is used; None without one."""
    given = [(key, net[key]) for key in ('ip6', 'ipv6_address') if net.get(key)]
    if not given:
        return None
    with refused():
        values = [(key, str(_ipam6.parse_ip(value, '%s.%s' % (sub, key)))) for key, value in given]
    if len(set(v for dummy, v in values)) > 1:
        raise PlanError("%s.ipv6_address: '%s' differs from ip6 '%s'; give one of them" % (sub, net['ipv6_address'], net['ip6']))
    return values[0][1]


def _attachment(item, sub, networks):
    """One entry of a container's networks ('name' or {name, ip, ip6, aliases, mac, gw_priority, bandwidth, host_ifname}) as a
    docker_bridge endpoint."""
    net = {'name': item} if isinstance(item, str) else item
    if not isinstance(net, Mapping) or not isinstance(net.get('name'), str) or not net['name']:
        raise PlanError('%s: %r must be a network name or a dict with name, ip and aliases' % (sub, item))
    extra = sorted(set(net) - {'name', 'ip', 'ip6', 'ipv6_address', 'aliases', 'mac', 'gw_priority', 'bandwidth', 'host_ifname'})
    if extra:
        raise PlanError('%s: unknown key %s (use name, ip, ip6, aliases, mac, gw_priority, bandwidth, host_ifname)' % (sub, ', '.join(extra)))
    if any(n['name'] == net['name'] for n in networks):
        raise PlanError("%s: network '%s' is listed twice" % (sub, net['name']))
    entry = {'name': net['name']}
    if net.get('ip'):
        entry['ip'] = net['ip']
    ip6 = _ipv6_address(net, sub)
    if ip6:
        entry['ipv6_address'] = ip6
    if net.get('mac'):
        with refused():
            _validate.mac(net['mac'], sub + '.mac')
        entry['mac'] = net['mac']
    aliases = _str_list(net.get('aliases'), sub + '.aliases')
    with refused():
        for one in aliases:
            _validate.alias(one, sub + '.aliases')
    if aliases:
        entry['aliases'] = aliases
    return _endpoint_settings(net, sub, entry)


def _endpoint_settings(net, sub, entry):
    """An attachment's gw_priority, bandwidth and host_ifname into ``entry``, each checked as docker_bridge will."""
    if net.get('gw_priority') is not None:
        with refused():
            entry['gw_priority'] = _validate.gw_priority(net['gw_priority'], sub + '.gw_priority')
    if net.get('bandwidth') is not None:
        with refused():
            # Checked here, so the role fails naming the container's entry before any network task runs.
            entry['bandwidth'] = _bandwidth.parse(net['bandwidth'], sub + '.bandwidth')
    if net.get('host_ifname'):
        with refused():
            entry['host_ifname'] = _validate.validate_ifname(net['host_ifname'], sub + '.host_ifname')
    return entry


def _attachments(c, option):
    networks = []
    for j, item in enumerate(c.get('networks') or []):
        networks.append(_attachment(item, '%s.networks[%d]' % (option, j), networks))
    return networks


def _check_mode_limits(c, mode, option, networks, publish):
    """As in Docker, only bridge mode joins networks and publishes ports; host mode has the host's resolver too."""
    for key, value in (('networks', networks), ('publish', publish), ('publish_all', c.get('publish_all'))):
        if value:
            raise PlanError('%s.%s: network_mode %s has no networks of its own (as in Docker, only bridge mode '
                            'joins networks and publishes ports)' % (option, key, mode))
    for key in ('dns', 'dns_search', 'hostname'):
        if mode == 'host' and c.get(key):
            raise PlanError('%s.%s: a host mode container uses the host\'s own %s' % (option, key, key))


def _publishes(c, option, publish, expose):
    """The container's -p strings, checked, with its exposed ports added under publish_all (docker run -P)."""
    if c.get('publish_all'):
        explicit = _container_ports(publish, option + '.publish')
        for port in expose:
            if not _container_ports([port], option + '.expose') <= explicit:
                publish.append(port)
    elif publish:
        _container_ports(publish, option + '.publish')
    return publish


def _resolver(c, daemon, option):
    """(dns, dns_search) of a container, the daemon's when it sets none; checked as the netns module would."""
    dns = _str_list(c['dns'] if c.get('dns') is not None else daemon.get('dns'), option + '.dns')
    dns_search = _str_list(c['dns_search'] if c.get('dns_search') is not None else daemon.get('dns_search'),
                           option + '.dns_search')
    with refused():  # what the netns module would refuse, refused before the role changes anything
        for j, server in enumerate(dns):
            _dns.host_ip(server, '%s.dns[%d]' % (option, j))
        for domain in dns_search:
            _validate.validate_domain(domain, option + '.dns_search')
        if c.get('hostname'):
            _validate.validate_hostname(c['hostname'], option + '.hostname')
    return dns, dns_search


def _extra_hosts(c, mode, option):
    """A container's extra_hosts (Compose's: a dict of name to address, or 'name:address' strings) as the netns module's
    hosts dict, checked as it checks them; host-gateway (the host's address on the container's network) is resolved
    by the netns call that runs after the networks."""
    value = c.get('extra_hosts')
    if not value:
        return None
    if mode != 'bridge' and mode != 'none':
        raise PlanError('%s.extra_hosts: network_mode %s uses the hosts file of %s (Docker refuses --add-host with it)'
                        % (option, mode, 'the host' if mode == 'host' else 'the container it shares'))
    if isinstance(value, Mapping):
        hosts = {str(k): str(v) for k, v in value.items()}
    elif isinstance(value, list) and all(isinstance(v, str) and ':' in v for v in value):
        hosts = dict(v.split(':', 1) for v in value)
    else:
        raise PlanError('%s.extra_hosts: %r must be a dict of name to address or a list of name:address strings' % (option, value))
    with refused(option + '.extra_hosts: '):
        _netns_plan.host_lines(hosts)
    return hosts


def _container(c, option, names, daemon):
    """One entry of the role's containers, checked, in the shape the rest of the plan uses."""
    if not isinstance(c, Mapping) or not isinstance(c.get('name'), str):
        raise PlanError('%s: %r needs a name' % (option, c))
    _unknown_keys(c, CONTAINER_KEYS, option)
    name = c['name']
    with refused():
        _validate.container_name(name, option + '.name')
    if name in names:
        raise PlanError("%s.name: container '%s' is listed twice" % (option, name))
    names.add(name)
    state = _state(c.get('state'), option + '.state')
    mode, share_with = _network_mode(c, option)
    networks = _attachments(c, option)
    # A -p string, or a dict in Compose's long syntax (with allow_from), which docker_bridge takes as it is.
    publish = [dict(p) if isinstance(p, Mapping) else str(p) for p in (c.get('publish') or [])]
    expose = _expose(c.get('expose'), option + '.expose')
    if mode != 'bridge':
        _check_mode_limits(c, mode, option, networks, publish)
    elif not networks:
        networks = [{'name': DEFAULT_NETWORK}]
    publish = _publishes(c, option, publish, expose)
    dns, dns_search = _resolver(c, daemon, option)
    return {'name': name, 'state': state, 'network_mode': 'container' if share_with else mode, 'share_with': share_with,
            'networks': networks, 'publish': publish, 'dns': dns, 'dns_search': dns_search,
            'hostname': c.get('hostname') or None, 'option': option,
            'extra_hosts': _extra_hosts(c, 'container' if share_with else mode, option) if state == 'present' else None}


def _check_shared(containers):
    """container:NAME joins a present container that has a namespace of its own."""
    present = {c['name']: c for c in containers if c['state'] == 'present'}
    for c in containers:
        if c['share_with'] and c['state'] == 'present':
            target = present.get(c['share_with'])
            if target is None:
                raise PlanError("%s.network_mode: container:%s names no present container of bridge_network_containers"
                                % (c['option'], c['share_with']))
            if target['network_mode'] in ('container', 'host'):
                raise PlanError('%s.network_mode: container:%s is in %s mode itself; join a container with a namespace of its '
                                'own' % (c['option'], c['share_with'], target['network_mode']))


def normalize_containers(containers, daemon=None):
    """The role's containers checked and in one shape; errors name the option (bridge_network_containers[i].x)."""
    daemon = _plain(daemon or {})
    containers = _plain(containers or [])
    if not isinstance(containers, list):
        raise PlanError('bridge_network_containers: %r must be a list' % (containers,))
    names = set()
    out = [_container(c, 'bridge_network_containers[%d]' % i, names, daemon) for i, c in enumerate(containers)]
    _check_shared(out)
    return out


def bridge_endpoints(containers, network):
    """The docker_bridge endpoints of ``network``: its present bridge-mode containers, selected with JMESPath.

    ``containers`` are normalized (bridge_plan's ``containers``, or the role's variable, which is normalized first).
    The first network a container lists gets its published ports.
    """
    if jmespath is None:
        raise PlanError('the bridge_endpoints filter needs the jmespath Python library on the controller')
    containers = _plain(containers or [])
    if containers and 'option' not in containers[0]:
        containers = normalize_containers(containers)
    selected = jmespath.search(ENDPOINTS_QUERY % ('`%s`' % json.dumps(str(network))), containers) or []
    endpoints = []
    for c in selected:
        index = next(i for i, n in enumerate(c['networks']) if n['name'] == network)
        # ethN follows the order the container lists its networks, whatever order the networks are made in.
        ep = dict(c['networks'][index], name=c['name'], ifname='eth%d' % index)
        if c['publish'] and c['networks'][0]['name'] == network:
            ep['publish'] = list(c['publish'])
        endpoints.append(ep)
    return endpoints


def _check_subnets(nets):
    """The role's own networks, checked together before any is made: valid IPAM of each family (aux_addresses holds
    both), no two subnets of a family overlapping."""
    seen, seen6 = {}, {}
    for name, net in nets.items():
        if net['state'] != 'present':
            continue
        option = net['option']
        with refused():
            aux4, aux6 = _ipam6.split_aux_addresses(net.get('aux_addresses'), option + '.aux_addresses')
            if net.get('subnet'):
                pool = _ipam.AddressPool(net['subnet'], net.get('gateway'), net.get('ip_range'), aux4, option_prefix=option + '.')
                _ipam.check_subnet_overlaps(pool.subnet, seen, name, option + '.subnet')
                seen[name] = str(pool.subnet)
            if net.get('subnet_v6'):
                pool6 = _ipam6.AddressPool(net['subnet_v6'], net.get('gateway_v6'), net.get('ip_range_v6'), aux6, option_prefix=option + '.')
                _ipam6.check_overlaps(pool6.subnet, seen6, option + '.subnet_v6')
                seen6[name] = {'subnet_v6': str(pool6.subnet)}


def _check_families(net, option):
    """A networks entry's address families: IPv6 options need enable_ipv6, and a network needs one family (as
    docker_bridge says, said here before any network is made)."""
    for key in ('enable_ipv4', 'enable_ipv6'):
        if net.get(key) is not None and not isinstance(net[key], bool):
            raise _validate.InputError(option + '.' + key, net[key], 'must be true or false')
    if not net.get('enable_ipv6'):
        for key in ('subnet_v6', 'gateway_v6', 'ip_range_v6', 'gateway_mode_ipv6'):
            if net.get(key) is not None:
                raise _validate.InputError(option + '.' + key, net[key], 'needs enable_ipv6: true')
        if net.get('enable_ipv4') is False:
            raise _validate.InputError(option + '.enable_ipv4', False, 'needs enable_ipv6: true (a network needs one address family)')


def _check_exposure(net, option):
    """A networks entry's gateway modes and trusted_host_interfaces, checked before any network is made."""
    for key in ('gateway_mode_ipv4', 'gateway_mode_ipv6'):
        if net.get(key) is not None:
            _validate.choice(net[key], option + '.' + key, GATEWAY_MODES)
            if net[key] == 'isolated' and not net.get('internal'):
                raise _validate.InputError(option + '.' + key, 'isolated', 'needs internal: true, as in Docker')
    if net.get('trusted_host_interfaces') is not None:
        _validate.interface_names(net['trusted_host_interfaces'], option + '.trusted_host_interfaces')


def _check_outbound(net, option):
    """A networks entry's host_ipv4 / host_ipv6: an address of its family, with the family on the network (whether the
    host holds it is docker_bridge's check, on the host)."""
    for family, key in sorted(_outbound.KEYS.items()):
        if net.get(key) is not None:
            _outbound.parse(net[key], '%s.%s' % (option, key), family)
    if net.get('host_ipv6') is not None and not net.get('enable_ipv6'):
        raise _validate.InputError(option + '.host_ipv6', net['host_ipv6'], 'needs enable_ipv6: true')


def _role_network(net, option, nets):
    """One entry of bridge_network_networks, checked, with its state and option settled."""
    if not isinstance(net, Mapping) or not isinstance(net.get('name'), str) or not net['name']:
        raise PlanError('%s: %r needs a name' % (option, net))
    _unknown_keys(net, NETWORK_KEYS, option)
    if net['name'] in nets:
        raise PlanError("%s.name: network '%s' is listed twice" % (option, net['name']))
    with refused():
        _validate.network_name(net['name'], option + '.name', 'bridge')
        if net.get('bridge_name') is not None:
            _validate.validate_ifname(net['bridge_name'], option + '.bridge_name')
        if net.get('mtu') is not None:
            _validate.mtu(net['mtu'], option + '.mtu')
        if net.get('dns_domain') is not None:
            _dns.check_domain(net['dns_domain'], option + '.dns_domain')
        _check_exposure(net, option)
        _check_families(net, option)
        _check_outbound(net, option)
        if net.get('unmanaged') is not None and not isinstance(net['unmanaged'], bool):
            raise _validate.InputError(option + '.unmanaged', net['unmanaged'], 'must be true or false')
        if net.get('unmanaged'):
            _unmanaged.check_options(net, option + '.')
    state = _state(net.get('state'), option + '.state')
    if net['name'] == DEFAULT_NETWORK and state == 'absent':
        raise PlanError("%s.state: the default network 'bridge' stays while the role is present (use "
                        "bridge_network_state absent)" % option)
    return dict(net, state=state, option=option)


def _role_networks(networks):
    """({name: network}, names in order, the default network first) of bridge_network_networks."""
    nets = {}
    order = [DEFAULT_NETWORK]
    for i, net in enumerate(_plain(networks or [])):
        entry = _role_network(net, 'bridge_network_networks[%d]' % i, nets)
        nets[entry['name']] = entry
        if entry['name'] != DEFAULT_NETWORK:
            order.append(entry['name'])
    return nets, order


def _default_network(daemon, override):
    """docker0 with the daemon's settings (bip, mtu, icc), overridable by a networks entry named bridge."""
    default = {'name': DEFAULT_NETWORK, 'state': 'present'}
    bip = daemon.get('bip')
    if bip:
        with refused():
            address = _ipam.parse_interface_address(bip, 'bridge_network_bip')
        default['subnet'] = str(address.cidr)
        default['gateway'] = str(address.ip)
    if daemon.get('mtu') is not None:
        with refused():
            _validate.mtu(daemon['mtu'], 'bridge_network_mtu')
    for key in ('mtu', 'icc'):
        if daemon.get(key) is not None:
            default[key] = daemon[key]
    default.update(_default_ipv6(daemon))
    default.update({k: v for k, v in override.items() if k != 'option'})
    default['option'] = override.get('option') or 'bridge_network_bip'
    return default


def _default_ipv6(daemon):
    """docker0's IPv6 from the daemon's ``ipv6`` and ``fixed-cidr-v6`` (bridge_network_ipv6, bridge_network_fixed_cidr_v6):
    the fixed CIDR is its subnet_v6; without one, Docker 27's rule, a /64 of the IPv6 default address pools."""
    fixed = daemon.get('fixed_cidr_v6') or None
    if not daemon.get('ipv6'):
        if fixed:
            raise PlanError("bridge_network_fixed_cidr_v6: '%s' needs bridge_network_ipv6: true" % fixed)
        return {}
    out = {'enable_ipv6': True}
    if fixed:
        with refused():
            out['subnet_v6'] = str(_ipam6.parse_subnet(fixed, 'bridge_network_fixed_cidr_v6'))
    return out


def _default_pools(params, pools):
    """The daemon's default-address-pools entries a network takes a subnet from: the IPv4 ones when it has no
    subnet, the IPv6 ones when it has IPv6 without subnet_v6 (Docker's daemon.json pools hold both families)."""
    v4 = [p for p in pools if ':' not in str((p or {}).get('base', ''))]
    v6 = [p for p in pools if ':' in str((p or {}).get('base', ''))]
    wanted = []
    if params.get('enable_ipv4', True) and 'subnet' not in params:
        wanted += v4
    if params.get('enable_ipv6') and 'subnet_v6' not in params:
        wanted += v6
    return wanted


def _default_bridge_mode(daemon):
    """bridge_network_default_bridge, checked: auto, managed or unmanaged."""
    with refused():
        return _validate.choice(daemon.get('default_bridge') or 'auto', 'bridge_network_default_bridge', DEFAULT_BRIDGE_MODES)


def _leave_default_out(containers, nets, order, reason):
    """The default network out of the plan; a container or networks entry that needs it is refused by name."""
    if nets[DEFAULT_NETWORK].get('option', '').startswith('bridge_network_networks'):
        raise PlanError("%s: the role does not manage the default network 'bridge' here: %s"
                        % (nets[DEFAULT_NETWORK]['option'], reason))
    for c in containers:
        if c['state'] == 'present' and c['network_mode'] == 'bridge' and any(n['name'] == DEFAULT_NETWORK for n in c['networks']):
            raise PlanError("%s: container '%s' joins the default network 'bridge', which the role does not manage here: %s; "
                            "give it a user-defined network (networks)" % (c['option'], c['name'], reason))
    del nets[DEFAULT_NETWORK]
    order.remove(DEFAULT_NETWORK)


def _check_joined(containers, nets):
    """Every network a present bridge-mode container joins is a present network of the role."""
    for c in containers:
        if c['state'] != 'present' or c['network_mode'] != 'bridge':
            continue
        for n in c['networks']:
            if n['name'] not in nets or nets[n['name']]['state'] != 'present':
                raise PlanError("%s.networks: network '%s' is not among bridge_network_networks (present)"
                                % (c['option'], n['name']))


def _network_call(name, net, daemon, containers):
    """The docker_bridge parameters of one present network, the daemon's settings added, with its endpoints."""
    params = {k: net[k] for k in NETWORK_PASS if net.get(k) is not None}
    params['name'] = name
    pools = _default_pools(params, daemon.get('default_address_pools') or []) if 'address_pools' not in params else None
    if pools:
        params['address_pools'] = pools
    if daemon.get('ip_forward') is not None:
        params['ip_forward'] = daemon['ip_forward']
    if daemon.get('iptables') is not None:
        params['firewall'] = daemon['iptables']
    if 'trusted_host_interfaces' not in params and daemon.get('trusted_host_interfaces') and not net.get('unmanaged'):
        params['trusted_host_interfaces'] = daemon['trusted_host_interfaces']
    params['endpoints'] = bridge_endpoints(containers, name)
    _check_unmanaged_publish(name, net, containers)
    return params


def _check_unmanaged_publish(name, net, containers):
    """A container whose publishes would go to an unmanaged network (its first): refused by its publish option."""
    if not net.get('unmanaged'):
        return
    for c in containers:
        if c['state'] == 'present' and c['network_mode'] == 'bridge' and c['publish'] and c['networks'][0]['name'] == name:
            with refused():
                _unmanaged.check_publish(c['option'] + '.publish', c['publish'])


def _namespace_calls(containers, owner=None):
    """(namespaces, shared, absent, hosts): netns parameters of own and container-mode namespaces, names to remove,
    and the extra hosts ({name, hosts}), written after the networks (host-gateway is an address of the container's
    network).  With ``owner``, each item records it (netns ``owner``): set here, once per container, rather than by a
    map('combine') in the role, which costs the controller a templating pass per container."""
    namespaces, shared, absent, hosts = [], [], [], []
    mine = {'owner': owner} if owner else {}
    for c in containers:
        if c['state'] == 'absent' or c['network_mode'] == 'host':
            absent.append(c['name'])
            continue
        params = dict(mine, name=c['name'])
        if c['share_with']:
            params['share_with'] = c['share_with']
        if c['hostname']:
            params['hostname'] = c['hostname']
        if c['dns'] or c['dns_search']:
            params['dns'] = c['dns']
            params['dns_search'] = c['dns_search']
        (shared if c['share_with'] else namespaces).append(params)
        if c.get('extra_hosts'):
            hosts.append(dict(mine, name=c['name'], hosts=c['extra_hosts']))
    return namespaces, shared, absent, hosts


def bridge_plan(containers, networks=None, daemon=None):
    """Everything the bridge_network role does, in order.

    Returns a dict: ``containers`` (normalized), ``networks`` (docker_bridge parameters, the
    default network first, each with its endpoints), ``namespaces`` (netns parameters of the
    containers with a namespace of their own), ``shared`` (container-mode namespaces, made after
    the networks), ``absent_namespaces`` (host-mode and absent containers) and
    ``absent_networks``, and ``names`` (every listed container's name, the role's gc ``keep``).  ``daemon``: the
    role's daemon-wide settings, ``default_bridge`` (auto, managed, unmanaged) among them: with auto, the default
    network's call leaves a docker0 of another alone (docker_bridge foreign_bridge leave); ``owner``: the label every
    netns item records.
    """
    daemon = _plain(daemon or {})
    with refused():
        _validate.interface_names(daemon.get('trusted_host_interfaces'), 'bridge_network_trusted_host_interfaces')
    normalized = normalize_containers(containers, daemon)
    nets, order = _role_networks(networks)
    nets[DEFAULT_NETWORK] = _default_network(daemon, nets.get(DEFAULT_NETWORK, {}))
    mode = _default_bridge_mode(daemon)
    if mode == 'unmanaged':
        _leave_default_out(normalized, nets, order, 'bridge_network_default_bridge is unmanaged')
    _check_subnets(nets)
    _check_joined(normalized, nets)
    out_networks = [_network_call(name, nets[name], daemon, normalized) for name in order if nets[name]['state'] != 'absent']
    if mode == 'auto' and not nets.get(DEFAULT_NETWORK, {}).get('option', '').startswith('bridge_network_networks'):
        # A docker0 the collection has no record of (a running Docker's) is left alone with the default network
        # (docker_bridge foreign_bridge leave), unless the role's networks name the default network themselves.
        for params in out_networks:
            if params['name'] == DEFAULT_NETWORK:
                params['foreign_bridge'] = 'leave'
    absent_networks = [name for name in order if nets[name]['state'] == 'absent']
    namespaces, shared, absent, hosts = _namespace_calls(normalized, daemon.get('owner'))
    return {'containers': normalized, 'networks': out_networks, 'namespaces': namespaces, 'shared': shared,
            'absent_namespaces': absent, 'absent_networks': absent_networks, 'hosts': hosts,
            'names': [c['name'] for c in normalized]}


class FilterModule:
    def filters(self):
        return {'bridge_plan': bridge_plan, 'bridge_endpoints': bridge_endpoints}
