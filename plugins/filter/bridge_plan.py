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

from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
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
CONTAINER_KEYS = ('name', 'state', 'network_mode', 'networks', 'publish', 'publish_all', 'expose', 'dns', 'dns_search', 'hostname')
NETWORK_PASS = ('subnet', 'gateway', 'ip_range', 'aux_addresses', 'bridge_name', 'mtu', 'icc', 'ip_masquerade', 'internal',
                'dns', 'dns_domain', 'stp', 'address_pools', 'gateway_mode_ipv4', 'trusted_host_interfaces')
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
    """{(container_port, proto)} of a list of -p strings."""
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


def _attachment(item, sub, networks):
    """One entry of a container's networks ('name' or {name, ip, aliases, mac, gw_priority}) as a docker_bridge endpoint."""
    net = {'name': item} if isinstance(item, str) else item
    if not isinstance(net, Mapping) or not isinstance(net.get('name'), str) or not net['name']:
        raise PlanError('%s: %r must be a network name or a dict with name, ip and aliases' % (sub, item))
    extra = sorted(set(net) - {'name', 'ip', 'aliases', 'mac', 'gw_priority'})
    if extra:
        raise PlanError('%s: unknown key %s (use name, ip, aliases, mac, gw_priority)' % (sub, ', '.join(extra)))
    if any(n['name'] == net['name'] for n in networks):
        raise PlanError("%s: network '%s' is listed twice" % (sub, net['name']))
    entry = {'name': net['name']}
    if net.get('ip'):
        entry['ip'] = net['ip']
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
    if net.get('gw_priority') is not None:
        with refused():
            entry['gw_priority'] = _validate.gw_priority(net['gw_priority'], sub + '.gw_priority')
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
    publish = [str(p) for p in (c.get('publish') or [])]
    expose = _expose(c.get('expose'), option + '.expose')
    if mode != 'bridge':
        _check_mode_limits(c, mode, option, networks, publish)
    elif not networks:
        networks = [{'name': DEFAULT_NETWORK}]
    publish = _publishes(c, option, publish, expose)
    dns, dns_search = _resolver(c, daemon, option)
    return {'name': name, 'state': state, 'network_mode': 'container' if share_with else mode, 'share_with': share_with,
            'networks': networks, 'publish': publish, 'dns': dns, 'dns_search': dns_search,
            'hostname': c.get('hostname') or None, 'option': option}


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
    """The role's own networks, checked together before any is made: valid IPAM, no two subnets overlapping."""
    seen = {}
    for name, net in nets.items():
        if net['state'] != 'present' or not net.get('subnet'):
            continue
        option = net['option']
        with refused():
            pool = _ipam.AddressPool(net['subnet'], net.get('gateway'), net.get('ip_range'), net.get('aux_addresses'),
                                     option_prefix=option + '.')
            _ipam.check_subnet_overlaps(pool.subnet, seen, name, option + '.subnet')
        seen[name] = str(pool.subnet)


def _check_exposure(net, option):
    """A networks entry's gateway_mode_ipv4 and trusted_host_interfaces, checked before any network is made."""
    if net.get('gateway_mode_ipv4') is not None:
        _validate.choice(net['gateway_mode_ipv4'], option + '.gateway_mode_ipv4', GATEWAY_MODES)
        if net['gateway_mode_ipv4'] == 'isolated' and not net.get('internal'):
            raise _validate.InputError(option + '.gateway_mode_ipv4', 'isolated', 'needs internal: true, as in Docker')
    if net.get('trusted_host_interfaces') is not None:
        _validate.interface_names(net['trusted_host_interfaces'], option + '.trusted_host_interfaces')


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
    default.update({k: v for k, v in override.items() if k != 'option'})
    default['option'] = override.get('option') or 'bridge_network_bip'
    return default


def _default_left_out(daemon):
    """Why the role leaves the default network out (a message), or None when it manages it: the
    bridge_network_default_bridge option, or the foreign bridge the role found (``foreign_default_bridge``: the
    link a read-only docker_bridge run refused as not the collection's)."""
    with refused():
        mode = _validate.choice(daemon.get('default_bridge') or 'auto', 'bridge_network_default_bridge', DEFAULT_BRIDGE_MODES)
    if mode == 'unmanaged':
        return 'bridge_network_default_bridge is unmanaged'
    foreign = daemon.get('foreign_default_bridge')
    if mode == 'auto' and foreign:
        return ('%s is not the collection\'s (no record of creating it: a running Docker\'s?) and is left alone '
                '(bridge_network_default_bridge auto)' % foreign)
    return None


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
    if daemon.get('default_address_pools') and 'subnet' not in params and 'address_pools' not in params:
        params['address_pools'] = daemon['default_address_pools']
    if daemon.get('ip_forward') is not None:
        params['ip_forward'] = daemon['ip_forward']
    if daemon.get('iptables') is not None:
        params['firewall'] = daemon['iptables']
    if 'trusted_host_interfaces' not in params and daemon.get('trusted_host_interfaces'):
        params['trusted_host_interfaces'] = daemon['trusted_host_interfaces']
    params['endpoints'] = bridge_endpoints(containers, name)
    return params


def _namespace_calls(containers):
    """(namespaces, shared, absent): netns parameters of own and container-mode namespaces, and names to remove."""
    namespaces, shared, absent = [], [], []
    for c in containers:
        if c['state'] == 'absent' or c['network_mode'] == 'host':
            absent.append(c['name'])
            continue
        params = {'name': c['name']}
        if c['share_with']:
            params['share_with'] = c['share_with']
        if c['hostname']:
            params['hostname'] = c['hostname']
        if c['dns'] or c['dns_search']:
            params['dns'] = c['dns']
            params['dns_search'] = c['dns_search']
        (shared if c['share_with'] else namespaces).append(params)
    return namespaces, shared, absent


def bridge_plan(containers, networks=None, daemon=None):
    """Everything the bridge_network role does, in order.

    Returns a dict: ``containers`` (normalized), ``networks`` (docker_bridge parameters, the
    default network first, each with its endpoints), ``namespaces`` (netns parameters of the
    containers with a namespace of their own), ``shared`` (container-mode namespaces, made after
    the networks), ``absent_namespaces`` (host-mode and absent containers) and
    ``absent_networks``.  ``daemon``: the role's daemon-wide settings, ``default_bridge`` (auto, managed,
    unmanaged) and ``foreign_default_bridge`` among them (see _default_left_out).
    """
    daemon = _plain(daemon or {})
    with refused():
        _validate.interface_names(daemon.get('trusted_host_interfaces'), 'bridge_network_trusted_host_interfaces')
    normalized = normalize_containers(containers, daemon)
    nets, order = _role_networks(networks)
    nets[DEFAULT_NETWORK] = _default_network(daemon, nets.get(DEFAULT_NETWORK, {}))
    left_out = _default_left_out(daemon)
    if left_out:
        _leave_default_out(normalized, nets, order, left_out)
    _check_subnets(nets)
    _check_joined(normalized, nets)
    out_networks = [_network_call(name, nets[name], daemon, normalized) for name in order if nets[name]['state'] != 'absent']
    absent_networks = [name for name in order if nets[name]['state'] == 'absent']
    namespaces, shared, absent = _namespace_calls(normalized)
    return {'containers': normalized, 'networks': out_networks, 'namespaces': namespaces, 'shared': shared,
            'absent_namespaces': absent, 'absent_networks': absent_networks}


class FilterModule:
    def filters(self):
        return {'bridge_plan': bridge_plan, 'bridge_endpoints': bridge_endpoints}
