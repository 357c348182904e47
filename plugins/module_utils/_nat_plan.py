# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nat_rule's planner: the rule document a nat_rule task asks for, from its parameters and a snapshot of the host
read once by the module.  Pure: no kernel reads, no module calls; a bad input raises InputError (or FirewallError for
a missing firewall command) naming the option and the value, before anything changes.
"""

from __future__ import annotations

import collections

from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

KIND_OPTIONS = {
    'masquerade': ('source', 'out_interface', 'not_out_interface'),
    'snat': ('source', 'out_interface', 'not_out_interface', 'to_source'),
    'dnat': ('host_ip', 'host_port', 'container_ip', 'container_port', 'proto', 'bridge'),
}
DEFAULTS = {'host_ip': '0.0.0.0', 'proto': 'tcp'}
_KIND_SPECIFIC = ('source', 'out_interface', 'not_out_interface', 'to_source', 'host_ip', 'host_port', 'container_ip',
                  'container_port', 'bridge')

# What the planner needs from the host, read once by the module:
#   nats: every stored nat rule {name: doc}; networks: every stored network {name: doc};
#   links: {ifname: ['address/len' of container_ip's family]} of the host's links the rule names or routes through;
#   route_dev: the interface the host routes container_ip through (IPv6: the link with an address whose prefix holds
#     it; None: unreachable or not asked);
#   listening: {proto: {(ip, port)}} sockets listening on the host; port_range: net.ipv4.ip_local_port_range;
#   installed: {command: bool} for iptables-restore and nft;
#   local: the host's addresses of host_ip's family (_ports.host_addresses), read when host_ip names one (None: not read);
#   ipv6: whether the host has IPv6 on (_snapshot.ipv6_enabled; None: not read, the rule is IPv4).
Snapshot = collections.namedtuple('Snapshot', 'nats networks links route_dev listening port_range installed local ipv6',
                                  defaults=(None, None))


def _check_kind_options(p):
    kind = p['kind']
    for option in _KIND_SPECIFIC:
        if p[option] is not None and option not in KIND_OPTIONS[kind] and p[option] != DEFAULTS.get(option):
            raise _validate.InputError(option, p[option], 'does not apply to kind %s' % kind)


def parse_ip(value, option):
    """One address of either family, normalised ('fd00::0:2' -> 'fd00::2'); InputError naming the option."""
    return str(_ipam6.parse_either(value, option))


def _ipv6_network(value, option):
    """An IPv6 subnet matched as a source (any prefix length, ::/0 too: a match, not a network to address)."""
    try:
        net = _ipam.netaddr.IPNetwork(value, version=6)
    except (_ipam.netaddr.AddrFormatError, ValueError, TypeError):
        raise _validate.InputError(option, value, 'expected an IPv6 address or network in CIDR notation')
    if net.ip != net.network:
        raise _validate.InputError(option, value, 'host bits are set; did you mean %s?' % net.cidr)
    return str(net.cidr)


def _source(value):
    if '/' not in value:
        return parse_ip(value, 'source')
    return _ipv6_network(value, 'source') if _ipam6.family(value) == 6 else str(_ipam.parse_subnet(value, 'source'))


def check_same_family(option, value, other_option, other_value):
    """A rule is of one family: an address option of the other family than the one it goes with is refused by name."""
    if other_value is not None and _ipam6.family(value) != _ipam6.family(other_value):
        raise _validate.InputError(option, value, 'is an IPv%d address but %s %s is IPv%d: a rule is of one address family'
                                   % (_ipam6.family(value), other_option, other_value, _ipam6.family(other_value)))


def _source_nat(p):
    """masquerade / snat: what is matched, and the address snat rewrites to (IPv6: NAT66 in the IPv6 tables)."""
    doc = {'kind': p['kind']}
    if p['source'] is not None:
        doc['source'] = _source(p['source'])
    if p['out_interface'] and p['not_out_interface']:
        raise _validate.InputError('not_out_interface', p['not_out_interface'], 'cannot be combined with out_interface')
    for option in ('out_interface', 'not_out_interface'):
        if p[option] is not None:
            doc[option] = _validate.validate_ifname(p[option], option)
    if p['kind'] == 'snat':
        if p['to_source'] is None:
            raise _validate.InputError('to_source', None, 'is required for kind snat')
        doc['to_source'] = parse_ip(p['to_source'], 'to_source')
        check_same_family('to_source', doc['to_source'], 'source', doc.get('source'))
    return doc


def bridge_subnet(addresses, ip):
    """The subnet of the bridge's address that holds ip: the containers a hairpin masquerade is for."""
    for cidr in addresses:
        net = _ipam.netaddr.IPNetwork(cidr)
        if _ipam.netaddr.IPAddress(ip) in net:
            return str(net.cidr)
    return None


def _bridge(p, container_ip, snap):
    """The bridge the container is on: the one named (it must exist), else the one the host routes container_ip to."""
    bridge = p['bridge']
    if bridge is None:
        return snap.route_dev
    _validate.validate_ifname(bridge, 'bridge')
    if bridge not in snap.links:
        raise _validate.InputError('bridge', bridge, 'no such interface on the host')
    return bridge


def _host_port(p, doc, stored, snap, others):
    """(host port, auto): the one asked for, free; or the one an earlier run picked, or the lowest free one."""
    bound = _ports.bound_ports(snap.networks, others)
    listening = dict(snap.listening)
    if p['host_port']:
        entry = {'host_ip': doc['host_ip'], 'host_port': _ports.parse_port(p['host_port'], 'host_port'), 'proto': doc['proto']}
        if not (stored and stored.get('host_port') == entry['host_port'] and stored.get('proto') == entry['proto']):
            _ports.check_port_free('host_port', p['host_port'], entry, bound, listening)
        return entry['host_port'], False
    key = (doc['host_ip'], doc['proto'])
    existing = {}
    if stored and stored.get('auto') and (stored.get('host_ip'), stored.get('proto')) == key:
        existing[key] = stored['host_port']
    taken = _ports.taken_ports(doc['proto'], bound, listening)
    return _ports.allocate_host_ports([key], taken, snap.port_range, existing, option='host_port')[key], True


def _destination_nat(p, stored, snap, others):
    """dnat: the published port, its container, and the bridge the forward accept and hairpin are for."""
    for option in ('container_ip', 'container_port'):
        if p[option] is None:
            raise _validate.InputError(option, None, 'is required for kind dnat')
    doc = {'kind': 'dnat', 'container_ip': parse_ip(p['container_ip'], 'container_ip')}
    doc['container_port'] = _ports.parse_port(p['container_port'], 'container_port')
    # Omitted, every host address of the container's family (Docker's 0.0.0.0 or [::]).
    doc['host_ip'] = parse_ip(p['host_ip'] or ('::' if _ipam6.family(doc['container_ip']) == 6 else '0.0.0.0'), 'host_ip')
    check_same_family('host_ip', doc['host_ip'], 'container_ip', doc['container_ip'])
    _ports.check_host_ip('host_ip', p['host_ip'], doc['host_ip'], snap.local or set())
    if doc['host_ip'] == _ports.LOOPBACK6:
        # The kernel never forwards from IPv6 loopback; only a network's publishes get the userland proxy (_proxy).
        raise _validate.InputError('host_ip', p['host_ip'], 'a nat_rule cannot publish on ::1: the kernel does not forward IPv6 '
                                   'loopback packets; publish on :: or a host address, or publish the port on its network '
                                   '(docker_bridge answers [::1] through its userland proxy)')
    doc['proto'] = p['proto']
    bridge = _bridge(p, doc['container_ip'], snap)
    doc['bridge'] = bridge
    doc['bridge_subnet'] = bridge_subnet(snap.links.get(bridge) or [], doc['container_ip']) if bridge else None
    doc['host_port'], doc['auto'] = _host_port(p, doc, stored, snap, others)
    return doc


def desired(p, name, snap):
    """The rule document the parameters ask for (state present), validated against the snapshot."""
    stored = snap.nats.get(name)
    others = {n: d for n, d in snap.nats.items() if n != name}
    _check_kind_options(p)
    doc = _destination_nat(p, stored, snap, others) if p['kind'] == 'dnat' else _source_nat(p)
    _check_ipv6_on(doc, snap)
    backend = p['firewall_backend'] if p['firewall_backend'] != 'auto' else (stored or {}).get('firewall_backend', 'auto')
    doc['firewall_backend'] = _firewall.resolve_backend(backend, exists=lambda tool: snap.installed.get(tool, False))
    return doc


def _check_ipv6_on(doc, snap):
    """An IPv6 rule on a host whose IPv6 is off is refused, naming the address option that made it IPv6."""
    if snap.ipv6 is not False:
        return
    for option in ('container_ip', 'source', 'to_source'):
        if _ipam6.family(doc.get(option)) == 6:
            raise _validate.InputError(option, doc[option], 'IPv6 is disabled on this host (no /proc/sys/net/ipv6, or '
                                       'net.ipv6.conf.all.disable_ipv6 is 1); enable it or give IPv4 addresses')


def plan_conntrack(plan, stored, doc):
    """After the firewall step: the flows of a dnat rule that changed or goes start again under the new rules."""
    return _conntrack.plan_delete(plan, _conntrack.nat_targets(stored, doc))
