# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One container as docker_container sees it: a named namespace, the managed networks it is on, its published ports.

The container module adds no planning of its own.  Its namespace and /etc/netns files are the netns module's
planner's (_netns_plan); each network it joins, changes or leaves is planned by that network's own driver on the
shared planner (_planner.NetworkRun) from the network's stored settings (_restore.network_params), with this one
endpoint listed (join or change) or dropped (leave) and every other endpoint kept exactly as stored
(docker_bridge's ``purge_endpoints: false``).  The plans are joined into one, so a failure anywhere undoes all.

Pure here: the options (``wanted``), which networks are joined and left (``connections``), and the
``docker inspect`` view (``inspect``).  ``ContainerJob`` reads the host once per network (NetworkRun.build) and
joins the plans; ``ContainerRun`` is the planner's run with the few hooks one container across several networks
needs: the namespace is made once, the default route and the interface names are given out once.
"""

from __future__ import annotations

import re

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_hook
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_service
from ansible_collections.hostnet.containers.plugins.module_utils import _host_gateway
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_plan
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _planner
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

MODES = ('bridge', 'host', 'none')
PORT_KEYS = ('container_port', 'host_port', 'host_ip', 'protocol')
DOCKER_PORT_FORM = ('Docker reads a published port as [host_ip:][host_port:]container_port[/tcp|udp|sctp]: '
                    '8080:80 is host port 8080 to container port 80, 127.0.0.1::80 a free host port on 127.0.0.1 only, '
                    '8000-8010:80-90 a range of equal length')
# What a network run's option names are in this module's words (an endpoint's ip is the network's ipv4_address).
_SUFFIXES = (('.ip', '.ipv4_address'), ('.mac', '.mac_address'), ('.aliases', '.aliases'), ('.ifname', ''))


# -- the options ---------------------------------------------------------------------------------------------------
def network_mode(value):
    """(mode, share_with): bridge, host, none, or container for container:NAME sharing namespace NAME."""
    value = value or 'bridge'
    if value in MODES:
        return value, None
    if not value.startswith('container:'):
        raise _validate.InputError('network_mode', value, 'must be bridge, host, none or container:NAME')
    target = value.split(':', 1)[1]
    _validate.container_name(target, 'network_mode')
    return 'container', target


def _port_string(entry, option):
    """A dict of published_ports as Docker's string."""
    if set(entry) - set(PORT_KEYS) or entry.get('container_port') in (None, ''):
        raise _validate.InputError(option, entry, 'must be a dict with container_port and optionally %s' % ', '.join(PORT_KEYS[1:]))
    host = entry.get('host_port')
    text = '%s:%s:%s' % (entry.get('host_ip') or '', '' if host in (None, 0, '0') else host, entry['container_port'])
    if not entry.get('host_ip'):
        text = text[1:] if host not in (None, 0, '0') else str(entry['container_port'])
    return text + ('/%s' % entry['protocol'] if entry.get('protocol') else '')


def _long_syntax(value):
    """A dict in Compose's long syntax (target, published, host_ip, protocol, allow_from), not this module's own dict
    form (container_port, host_port)."""
    return isinstance(value, dict) and not {'container_port', 'host_port'} & set(value)


def port_strings(values):
    """published_ports (Docker's strings and dicts) as checked `docker run -p` strings, a dict in Compose's long syntax
    (with allow_from) kept as it is; a string Docker would refuse is refused with what Docker reads there."""
    out = []
    for i, value in enumerate(values or []):
        option = 'published_ports[%d]' % i
        if _long_syntax(value):
            _ports.parse_publish(value, option)  # its errors name the key (published_ports[1].allow_from)
            out.append(dict(value))
            continue
        text = _port_string(value, option) if isinstance(value, dict) else value
        try:
            _ports.parse_publish(text, option)
        except _validate.InputError as exc:
            raise _validate.InputError(option, value, '%s (%s)' % (exc.message, DOCKER_PORT_FORM)) from None
        out.append(str(text))
    try:
        _ports.parse_publishes(out, 'published_ports')
    except _validate.InputError as exc:
        raise _validate.InputError(exc.option, exc.value, exc.message) from None
    return out


def _entry_addresses(entry, option):
    """(ipv4_address, ipv6_address) of one ``networks`` entry, each checked and normalised, or None."""
    ip, ip6 = entry.get('ipv4_address'), entry.get('ipv6_address')
    return (str(_ipam.parse_ip(ip, option + '.ipv4_address')) if ip else None,
            str(_ipam6.parse_ip(ip6, option + '.ipv6_address')) if ip6 else None)


def _network_entry(entry, i, seen):
    """One entry of ``networks``, checked: {name, ipv4_address, aliases, mac_address, gw_priority, index}."""
    option = 'networks[%d]' % i
    if not isinstance(entry, dict) or not entry.get('name'):
        raise _validate.InputError(option, entry, 'must be a dict with at least a name')
    name = entry['name']
    if name in seen:
        raise _validate.InputError(option + '.name', name, 'is listed twice; a container joins a network once')
    seen.add(name)
    ip, ip6 = _entry_addresses(entry, option)
    mac = _ipam.normalize_mac(entry['mac_address'], option + '.mac_address') if entry.get('mac_address') else None
    aliases = list(entry.get('aliases') or [])
    for alias in aliases:
        _validate.alias(alias, option + '.aliases')
    prio = entry.get('gw_priority')
    if prio is not None and (isinstance(prio, bool) or not isinstance(prio, int)):
        raise _validate.InputError(option + '.gw_priority', prio, 'must be an integer (Docker 28 gw-priority)')
    host_ifname = entry.get('host_ifname') or None
    if host_ifname:
        _validate.validate_ifname(host_ifname, option + '.host_ifname')
    return {'name': name, 'ipv4_address': ip or None, 'ipv6_address': ip6 or None, 'aliases': aliases, 'mac_address': mac,
            'gw_priority': prio, 'index': i, 'bandwidth': _bandwidth.parse(entry.get('bandwidth'), option + '.bandwidth'),
            'host_ifname': host_ifname}


def _check_mode(want, params):
    """As Docker: only bridge mode joins networks and publishes; host and container modes have no files of their own."""
    mode = want['mode']
    if mode == 'bridge':
        return
    shown = params.get('network_mode')
    if params.get('networks'):
        raise _validate.InputError('networks', [n.get('name') if isinstance(n, dict) else n for n in params['networks']],
                                   'network_mode %s has no networks of its own (as in Docker, only bridge mode joins networks)' % shown)
    if want['ports']:
        raise _validate.InputError('published_ports', params['published_ports'],
                                   'network_mode %s publishes no ports (Docker refuses -p with this mode)' % shown)
    if mode in ('host', 'container'):
        for key in ('dns', 'dns_search', 'hostname', 'etc_hosts'):
            if params.get(key):
                raise _validate.InputError(key, params[key], 'network_mode %s uses the %s of %s' % (
                    shown, key, 'host' if mode == 'host' else 'container ' + want['share_with']))


def wanted(params):
    """The options checked and normalised, before anything is read; InputError names the option and the value."""
    name = params['name']
    _validate.container_name(name, 'name')
    mode, share = network_mode(params.get('network_mode'))
    if share == name:
        raise _validate.InputError('network_mode', params['network_mode'], 'is the container itself')
    seen = set()
    networks = [_network_entry(entry, i, seen) for i, entry in enumerate(params.get('networks') or [])]
    want = {'name': name, 'state': params.get('state') or 'present', 'mode': mode, 'share_with': share,
            'networks': networks, 'ports': port_strings(params.get('published_ports')),
            'dns': params.get('dns'), 'dns_search': params.get('dns_search'), 'hostname': params.get('hostname'),
            'purge': bool(params.get('purge_networks')), 'etc_hosts': params.get('etc_hosts')}
    if want['state'] == 'present':
        _check_mode(want, params)
        if mode == 'bridge' and not networks:
            # As Docker: a container without --network is on the default network.
            want['networks'] = [{'name': _network.DEFAULT_NETWORK, 'ipv4_address': None, 'ipv6_address': None, 'aliases': [], 'mac_address': None,
                                 'gw_priority': None, 'index': None}]
    return want


def netns_params(want):
    """The netns module's options for the container's namespace."""
    return {'name': want['name'], 'state': 'present', 'share_with': want['share_with'], 'dns': want['dns'],
            'dns_search': want['dns_search'], 'hostname': want['hostname'], 'hosts': want.get('etc_hosts')}


def gateway_order(want, docs):
    """The networks whose host address ``host-gateway`` stands for, in order (_host_gateway): of those the container
    stays on, the one holding its default route first, then the ones it joins in default-route election order."""
    name = want['name']
    joins = [e['name'] for e in _order(want['networks'])]
    staying = set(joins) if want['purge'] else set(joins) | set(member_of(name, docs))
    current = [n for n in _host_gateway.order_of(docs, name) if n in staying]
    return current + [n for n in joins if n not in current]


# -- which networks are joined and left (pure) ---------------------------------------------------------------------
def member_of(name, docs):
    """The managed networks with an endpoint of container ``name``, sorted."""
    return sorted(n for n, doc in docs.items() if name in (doc.get('endpoints') or {}))


def _entry_option(entry):
    return 'networks[%d].name' % entry['index'] if entry['index'] is not None else 'network_mode'


def _order(entries):
    """The order the networks are joined in: the highest gw_priority first, then by name.  Joined in this order, they
    are connected in it too, so the default-route election (_default_route: priority, then first connected) gives
    the route to the first of them, as Docker 28 does for a container started on several networks."""
    return sorted(entries, key=lambda e: (-(e['gw_priority'] or 0), e['name']))


def _publisher(want, docs, joins):
    """The network whose endpoint gets the published ports: as Docker, the one holding the default route (the first
    bridge network in election order); a container on macvlan networks only cannot publish."""
    if not want['ports']:
        return None
    for entry in joins:
        if docs[entry['name']].get('driver', 'bridge') == 'bridge':
            return entry['name']
    raise _validate.InputError('published_ports', want['ports'], 'needs a bridge network: %s publish no ports (as Docker)'
                               % ', '.join(e['name'] for e in joins))


def endpoint_entry(want, entry, doc, publish):
    """The one endpoint handed to the network's planner: as asked, its interface name as it is."""
    current = (doc.get('endpoints') or {}).get(want['name']) or {}
    ep = {'name': want['name'], 'ip': entry['ipv4_address'], 'mac': entry['mac_address'], 'aliases': list(entry['aliases']),
          'ifname': current.get('ifname')}
    if entry['gw_priority'] is not None:
        ep['gw_priority'] = entry['gw_priority']
    if doc.get('driver', 'bridge') == 'bridge':
        ep['publish'] = list(publish)
        ep['ipv6_address'] = entry.get('ipv6_address')
        ep['host_ifname'] = entry.get('host_ifname')
    elif entry.get('host_ifname'):
        raise _validate.InputError('networks[%d].host_ifname' % entry['index'], entry['host_ifname'],
                                   'only bridge networks have a host end (network %s is a %s one)' % (entry['name'], doc.get('driver')))
    elif entry.get('ipv6_address'):
        raise _validate.InputError('networks[%d].ipv6_address' % entry['index'], entry['ipv6_address'],
                                   'only bridge networks have IPv6 in this version (network %s is a %s one)' % (entry['name'], doc.get('driver')))
    if entry.get('bandwidth'):
        if doc.get('driver', 'bridge') == 'macvlan':
            raise _validate.InputError('networks[%d].bandwidth' % entry['index'], entry['bandwidth'], 'a macvlan endpoint has no host '
                                       'end to shape (network %s is a macvlan one); bandwidth applies to bridge and overlay networks' % entry['name'])
        ep['bandwidth'] = dict(entry['bandwidth'])
    return ep


def run_params(doc, endpoints):
    """The network's module parameters: its stored settings, ``endpoints`` listed, every other endpoint kept."""
    params = _restore.network_params(doc)[1]
    params.update(endpoints=endpoints, purge_endpoints=False, state='present')
    return params


def connections(want, docs):
    """[(network, 'join' | 'leave', parameters)] in plan order: leaves first, then joins in default-route election
    order.  A network that does not exist is an error naming its entry, as Docker's 'network not found'."""
    name = want['name']
    joins = [] if want['state'] == 'absent' or want['mode'] != 'bridge' else _order(want['networks'])
    for entry in joins:
        if entry['name'] not in docs:
            raise _validate.InputError(_entry_option(entry), entry['name'], 'network not found: no network of that name is managed '
                                       'on this host (create it with docker_bridge or macvlan_net first)')
    listed = {e['name'] for e in joins}
    keep = listed if want['purge'] or want['state'] == 'absent' or want['mode'] != 'bridge' else set(member_of(name, docs))
    out = [(n, 'leave', run_params(docs[n], [])) for n in member_of(name, docs) if n not in keep]
    publisher = _publisher(want, docs, joins)
    for entry in joins:
        ports = want['ports'] if entry['name'] == publisher else []
        out.append((entry['name'], 'join', run_params(docs[entry['name']], [endpoint_entry(want, entry, docs[entry['name']], ports)])))
    return out


def map_error(exc, entry_option):
    """A network run's InputError in this module's option names: endpoints[c].ip is networks[N].ipv4_address."""
    option = exc.option or ''
    if option.startswith('endpoints'):
        rest = re.sub(r'^endpoints(\[[^\]]*\])?', '', option)
        if '.publish' in rest:
            return _validate.InputError('published_ports' + rest.split('.publish', 1)[1], exc.value, exc.message)
        for old, new in _SUFFIXES:
            rest = re.sub(re.escape(old) + r'\b', new, rest)
        return _validate.InputError(entry_option + (rest or '.ipv4_address'), exc.value, exc.message)
    return exc


# -- docker inspect (pure) ------------------------------------------------------------------------------------------
def _prefix(subnet):
    return int(subnet.split('/')[1]) if subnet else 0


def _ipam_config(asked):
    """IPAMConfig as Docker shows it: the addresses the container asked for ({family key: address}), None without."""
    keys = {4: 'IPv4Address', 6: 'IPv6Address'}
    out = {keys[f]: a for f, a in sorted((asked or {}).items()) if a}
    return out or None


def _addresses(doc, ep, lease=None):
    """The address fields of one network: Docker's empty values for a family the endpoint has no address of (a
    gateway is shown per endpoint, only beside an address of its family); on a DHCP network, its lease's."""
    ip, ip6 = ep.get('ip') or '', ep.get('ip6') or ''
    if _dhcp_hook.applied(lease):
        return {'Gateway': lease.get('gateway') or '', 'IPAddress': lease['address'], 'IPPrefixLen': lease.get('prefix') or 0,
                'IPv6Gateway': '', 'GlobalIPv6Address': '', 'GlobalIPv6PrefixLen': 0}
    return {'Gateway': doc.get('gateway') or '' if ip else '', 'IPAddress': ip, 'IPPrefixLen': _prefix(doc.get('subnet')) if ip else 0,
            'IPv6Gateway': doc.get('gateway_v6') or '' if ip6 else '', 'GlobalIPv6Address': ip6,
            'GlobalIPv6PrefixLen': _prefix(doc.get('subnet_v6')) if ip6 else 0}


def _endpoint_settings(cname, doc, ep, asked=None, lease=None):
    """One network of NetworkSettings.Networks."""
    out = {'IPAMConfig': _ipam_config(asked), 'Links': None, 'Aliases': list(ep.get('aliases') or []) or None,
           'MacAddress': ep.get('mac') or '', 'DriverOpts': None, 'GwPriority': ep.get('gw_priority') or 0,
           'NetworkID': doc['id'], 'EndpointID': ep.get('endpoint_id') or ''}
    out.update(_addresses(doc, ep, lease))
    out['DNSNames'] = [cname] + [a for a in ep.get('aliases') or [] if a != cname]
    return out


def _ports_block(endpoints):
    ports = {}
    for ep in endpoints:
        for pub in ep.get('publish') or []:
            key = '%d/%s' % (pub['container_port'], pub.get('proto') or 'tcp')
            ports.setdefault(key, []).append({'HostIp': pub.get('host_ip') or '0.0.0.0', 'HostPort': str(pub['host_port'])})
    return ports


def inspect(want, docs, exists=True, leases=None):
    """The container in `docker inspect` shape (its network half): Name, Config.Hostname, HostConfig (NetworkMode,
    Dns, DnsSearch) and NetworkSettings (Networks per network, Ports, SandboxKey).  None when it does not exist.
    ``leases``: {network: lease record} of its networks with ipam_driver dhcp, whose address is the lease's."""
    if not exists or want['state'] == 'absent':
        return None
    name, mode = want['name'], want['mode']
    asked = {e['name']: {4: e.get('ipv4_address'), 6: e.get('ipv6_address')} for e in want['networks']}
    mine = {n: docs[n]['endpoints'][name] for n in member_of(name, docs)}
    networks = {n: _endpoint_settings(name, docs[n], ep, asked.get(n), (leases or {}).get(n)) for n, ep in mine.items()}
    if mode in ('host', 'none'):
        networks = {mode: {'NetworkID': '', 'EndpointID': '', 'IPAddress': '', 'Gateway': '', 'MacAddress': ''}}
    shown_mode = 'container:' + want['share_with'] if mode == 'container' else (mode if mode != 'bridge' else 'bridge')
    sandbox = '' if mode == 'host' else _netns.netns_path(name)
    return {'Name': '/' + name,
            'Config': {'Hostname': want['hostname'] or ''},
            'HostConfig': {'NetworkMode': shown_mode, 'Dns': list(want['dns'] or []), 'DnsSearch': list(want['dns_search'] or [])},
            'NetworkSettings': {'Bridge': '', 'SandboxID': '', 'SandboxKey': sandbox, 'HairpinMode': False,
                                'Ports': _ports_block(mine.values()), 'Networks': networks}}


def summary(name, docs, netns_side):
    """before/after as users see them: the namespace (netns planner's view) and this container's endpoints."""
    eps = {n: {k: v for k, v in docs[n]['endpoints'][name].items() if k != 'default_route'} for n in member_of(name, docs)}
    if netns_side is None and not eps:
        return None
    return {'name': name, 'namespace': netns_side, 'networks': eps}


def kept_record(netns_want, snap, gone):
    """The namespace's record once the netns plan has run: with the netns claim when the container keeps its
    namespace (a namespace without a record, the user's, stays without one)."""
    record = snap['record']
    if gone or (snap['exists'] and record is None):
        return record
    return _netns_plan.claimed_record(netns_want, record)


# -- the run ---------------------------------------------------------------------------------------------------------
class Shared:
    """What the network runs of one container hand on to each other: the namespace is created once (by the netns
    plan, first), the default route goes to one network, and interface names are not given out twice."""

    def __init__(self, name, made, leaving_all, record):
        self.name = name
        self.made = made  # the netns plan creates the namespace earlier in this plan
        self.leaving_all = leaving_all  # absent or host mode: the netns plan removes a recorded namespace last
        self.record = record  # the namespace's record as the steps planned so far leave it
        self.ifnames = set()


class ContainerRun(_planner.NetworkRun):
    """The planner's run of one network, for one container among several networks (see Shared)."""

    def __init__(self, params, ns, driver, shared, leave=False):
        super().__init__(params, ns, driver=driver)
        self.shared = shared
        self.leave = leave

    def plan_present(self, net):
        if self.leave:
            # Dropped from the wanted network: the planner disconnects it; every other endpoint stays as it is.
            net.endpoints.pop(self.shared.name, None)
        return super().plan_present(net)

    def checked(self, net):
        # The container this run is about is read even on a network it leaves (listed nowhere then), so the
        # disconnect sees its namespace as a listed endpoint's would be seen.
        out = super().checked(net)
        if self.shared.name in net.endpoints:
            out[self.shared.name] = net.endpoints[self.shared.name]
        return out

    def plan_namespace(self, cname, view):
        if cname == self.shared.name and self.shared.made:
            return  # created (lo up) by the netns plan that runs first
        super().plan_namespace(cname, view)

    def plan_create(self, cname, ep, view, gone=None):
        if cname == self.shared.name:
            if not ep.ifname:
                ep.ifname = _ipam.next_ifname(sorted(set(view.by_name if view else []) | self.shared.ifnames))
            self.shared.ifnames.add(ep.ifname)
        super().plan_create(cname, ep, view, gone)

    def planned_links(self, cname, cands):
        """This container's links that the runs of the networks planned before this one create: they take part in the
        election as if they were there, so one plan leaves the route the election gives (and a second run agrees)."""
        if cname != self.shared.name:
            return {}
        return {n: c for n, c in cands.items() if n != self.name and c.ifname in self.shared.ifnames}

    def records(self, names):
        out = super().records(names)
        if self.shared.name in out:
            # Not the record on disk: the one the netns plan and the networks planned before this one write.
            out[self.shared.name] = self.shared.record
        return out

    def plan_releases(self, doc):
        name = self.shared.name
        if self.shared.leaving_all and name in self.released:
            # The namespace goes (or stays) with the container's own record, planned after every network.
            self.released = [c for c in self.released if c != name]
        super().plan_releases(doc)
        record = self.shared.record
        if name in self.released and record is not None and self.claim in (record.get('by') or []):
            left = _netns_record.release(record, self.claim, _netns_record.holders_of(name, self._networks(doc)[1], skip=self.name))
            self.shared.record = dict(record, by=left) if left else None


class ContainerJob:
    """Plan one container: its namespace (netns planner) and every network it joins or leaves (their drivers), as
    one plan.  ``build()`` returns (before, after); ``plan``, ``firewall`` and ``docs`` (every network after) follow."""

    def __init__(self, want, ns, root=None):
        self.want = want
        self.ns = ns
        self.root = root
        self.plan = _plan.Plan()
        self.firewall = {}
        self.docs = _store.load_all(_network.KIND, root)
        self.before_docs = dict(self.docs)
        self.netns_after = None
        self.netns_before = None

    @property
    def gone(self):
        return self.want['state'] == 'absent' or self.want['mode'] == 'host'

    def build(self):
        want = self.want
        steps = connections(want, self.docs)
        netns_want = _netns_plan.wanted(netns_params(want))
        snap = _netns_plan.snapshot(self.ns, netns_want)
        if _netns_plan.wants_host_gateway(netns_want):
            # The networks this plan joins are not in the store yet: their documents are (the container's endpoint is not).
            snap['host_gateways'] = _host_gateway.addresses(self.docs, want['name'], gateway_order(want, self.docs))
        shared = Shared(want['name'], not snap['exists'] and not self.gone, self.gone, kept_record(netns_want, snap, self.gone))
        if not self.gone:
            self._add_netns(netns_want, snap)
        for name, action, params in steps:
            self._add_network(name, action, params, shared)
        if self.gone and snap['record'] is not None:
            self._add_netns(dict(netns_want, state='absent'), snap)
        before = summary(want['name'], self.before_docs, self.netns_before)
        return before, summary(want['name'], self.docs, self.netns_after)

    def _add_netns(self, netns_want, snap):
        steps, self.netns_before, self.netns_after = _netns_plan.plan(netns_want, snap, _netns_plan.Changes(self.ns))
        self.plan.steps.extend(steps.steps)

    def _add_network(self, name, action, params, shared):
        driver = _restore.DRIVERS[self.docs[name].get('driver', 'bridge')][1].driver
        run = ContainerRun(params, self.ns, driver, shared, leave=action == 'leave')
        # The networks planned before this one are as this plan leaves them (names, firewall, bound ports).
        run.others = {n: d for n, d in self.docs.items() if n != name}
        entry = next((e for e in self.want['networks'] if e['name'] == name), None)
        try:
            run.build()
        except _validate.InputError as exc:
            raise map_error(exc, 'networks[%d]' % entry['index'] if entry and entry['index'] is not None else 'network_mode') from None
        self.plan.steps.extend(run.plan.steps)
        self.docs[name] = run.doc
        for backend, lines in run.firewall.items():
            first = self.firewall.get(backend, lines)
            self.firewall[backend] = {'before': first['before'], 'after': lines['after']}

    def inspect(self, exists):
        name = self.want['name']
        leases = {n: _dhcp_service.read_lease(_dhcp_service.instance(n, name)) for n in member_of(name, self.docs)
                  if self.docs[n].get('ipam_driver') == 'dhcp'}
        return inspect(self.want, self.docs, exists, leases)
