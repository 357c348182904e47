# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backend-neutral firewall rule model: the rules and kernel knobs that the networks and port publishes on a host
call for.

A Rule says what is matched and what happens to it, in a logical chain; the backends (_firewall_iptables,
_firewall_nftables) render it.  desired_rules() is built concern by concern; within each logical chain the rules keep
the order Docker installs them in, since that order decides which rule wins.
"""

from __future__ import annotations

import collections
import os
import shutil
import subprocess

from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _network

USER_CHAIN = 'USER'
TABLES = ('raw', 'mangle', 'nat', 'filter')


# Logical chain -> table, and the built-in hook the chain is reached from (None: reached only by jumps).
CHAINS = {
    ('filter', 'FORWARD'): 'FORWARD',
    ('filter', 'INPUT'): 'INPUT',
    ('filter', USER_CHAIN): None,
    ('filter', 'ISOLATION-1'): None,
    ('filter', 'ISOLATION-2'): None,
    ('filter', 'PUBLISH'): None,
    ('nat', 'PREROUTING'): 'PREROUTING',
    ('nat', 'OUTPUT'): 'OUTPUT',
    ('nat', 'POSTROUTING'): 'POSTROUTING',
    ('nat', 'DNAT'): None,
    ('raw', 'PREROUTING'): 'PREROUTING',
    ('mangle', 'PREROUTING'): 'PREROUTING',
}


IP_FORWARD = 'net/ipv4/ip_forward'
IPV6_FORWARD = 'net/ipv6/conf/all/forwarding'
# The host-wide forwarding switches, and the directory of the per-device knobs writing one of them overwrites.
FORWARDS = {IP_FORWARD: 'net/ipv4/conf', IPV6_FORWARD: 'net/ipv6/conf'}
ACCEPT_REDIRECTS = 'net/ipv4/conf/all/accept_redirects'
BRIDGE_NF = 'net/bridge/bridge-nf-call-iptables'
BRIDGE_NF6 = 'net/bridge/bridge-nf-call-ip6tables'
LOOPBACK_NET = '127.0.0.0/8'
LOOPBACK6 = '::1'
# The ICMP of each family, as the routed mode lets it in (iptables-save and nft list ICMPv6 as ipv6-icmp).
ICMP = {4: 'icmp', 6: 'ipv6-icmp'}
WILDCARDS = (None, '0.0.0.0', '::')


class FirewallError(_kernel.HostnetError):
    """A firewall problem explained for users."""


class Rule:
    """One rule, backend-neutral: in ``chain`` of ``table``, packets matching ``match`` get ``target`` (ACCEPT, DROP,
    RETURN, MASQUERADE; JUMP to the chain ``arg``; DNAT/SNAT to the address ``arg``).

    match keys: src, dst (address or subnet), iif, oif (interface name), each negated by a leading '!'; proto with
    dport; ctstate ('RELATED,ESTABLISHED', or 'DNAT': the connection was destination-NATed); dst_type ('LOCAL').
    ``family`` 6: an IPv6 rule (a network's IPv6 side, the VXLAN guard of an overlay on an IPv6 underlay); the
    backends keep those apart (ip6tables, nftables' ip6 table).  An IPv6 DNAT's ``arg`` is '[address]:port'.
    ``each``: one of the rules a network repeats for every container or published port (the nftables backend keeps a
    run of them as the elements of one set or map, _firewall_nft_sets; iptables writes each).
    """

    __slots__ = ('table', 'chain', 'match', 'target', 'arg', 'rendered', 'family', 'each')

    def __init__(self, table, chain, target, arg=None, family=4, each=False, **match):
        self.table = table
        self.chain = chain
        self.target = target
        self.arg = arg
        self.family = family
        self.each = each
        self.match = match
        self.rendered = None  # a backend's rendering, made once: a rule set of thousands of publishes is compared and written from it

    def key(self):
        """What the rule means (one address is written one way: without /32, see nat_postrouting)."""
        return (self.table, self.chain, self.target, self.arg, self.family, tuple(sorted(self.match.items())))


def _one_address(value):
    """'10.0.0.1/32' -> '10.0.0.1' (and 'fd00::1/128' -> 'fd00::1'): a rule for one address is the same rule whichever
    way a user wrote it."""
    if value.endswith('/128'):
        return value[:-4]
    return value[:-3] if value.endswith('/32') and ':' not in value else value


# A port forward, whoever asked for it: a network's publish or a nat_rule of kind dnat.  bridge and hairpin_subnet
# are None for a nat_rule whose container is not on a bridge the host routes to; allow_from (the CIDRs that may
# connect, both families) is None but for a publish that limits its sources.
Forward = collections.namedtuple('Forward', 'host_ip host_port container_ip container_port proto bridge hairpin_subnet allow_from',
                                 defaults=(None,))


# -- the desired rule set ----------------------------------------------------------------------
def bridge_networks(networks, backend):
    """The managed bridge networks whose firewall this backend handles, in a stable order."""
    return [doc for name, doc in sorted(networks.items())
            if _network.bridge_like(doc) and doc.get('firewall', True) and doc.get('firewall_backend') == backend]


def publishes(doc):
    """(container, container ip, entry) for every published port of a network, stable order."""
    for cname, ep in sorted((doc.get('endpoints') or {}).items()):
        for entry in ep.get('publish') or []:
            yield cname, ep['ip'], entry


def _family_endpoints(doc, family):
    """The endpoints as one family sees them: ``ip`` the address of that family, only the publishes of that family."""
    key = 'ip' if family == 4 else 'ip6'
    out = {}
    for cname, ep in (doc.get('endpoints') or {}).items():
        ip = ep.get(key)
        # A publish on ::1 has no rule: the kernel cannot forward IPv6 loopback, the userland proxy serves it (_proxy).
        publish = [e for e in ep.get('publish') or [] if _ipam6.family(e.get('host_ip')) == family and e.get('host_ip') != LOOPBACK6] if ip else []
        out[cname] = dict(ep, ip=ip, publish=publish)
    return out


def has_family(doc, family):
    """Whether the network has that family (family_view's None test, without building the view's endpoints)."""
    if family == 4:
        return doc.get('enable_ipv4', True) is not False and not (doc.get('enable_ipv6') and not doc.get('subnet'))
    return bool(doc.get('enable_ipv6') and doc.get('subnet_v6'))


def family_view(doc, family):
    """The network as the rules of one family see it, in the IPv4 document's shape (subnet, gateway_mode_ipv4,
    endpoints' ip and publish of that family), or None when the network lacks that family.  An IPv4-only network's
    view is its document itself: its rules stay exactly what they were before IPv6."""
    if not has_family(doc, family):
        return None
    if family == 4:
        return dict(doc, endpoints=_family_endpoints(doc, 4)) if doc.get('enable_ipv6') else doc
    return dict(doc, subnet=doc['subnet_v6'], gateway=doc.get('gateway_v6'), gateway_mode_ipv4=doc.get('gateway_mode_ipv6'),
                endpoints=_family_endpoints(doc, 6),
                host_ipv4=doc.get('host_ipv6'))


def network_forwards(doc):
    """The Forwards of a network's publishes."""
    return [Forward(entry['host_ip'], entry['host_port'], cip, entry['container_port'], entry['proto'], doc['bridge'], doc['subnet'],
                    entry.get('allow_from'))
            for dummy, cip, entry in publishes(doc)]


def nat_forwards(nats):
    """The Forwards of nat_rules of kind dnat."""
    return [Forward(nat.get('host_ip'), nat['host_port'], nat['container_ip'], nat['container_port'], nat['proto'],
                    nat.get('bridge'), nat.get('bridge_subnet'))
            for nat in nats if nat['kind'] == 'dnat']


def nat_family(nat):
    """A nat_rule's family, from its addresses (nat_rule refuses a rule that mixes them): a dnat's container_ip, a
    masquerade's or snat's source or to_source; a rule with none of them (a masquerade by interface) is IPv4's."""
    addresses = (nat.get('container_ip'),) if nat.get('kind') == 'dnat' else (nat.get('source'), nat.get('to_source'))
    return 6 if any(_ipam6.family(ip) == 6 for ip in addresses) else 4


def is_loopback(ip):
    return bool(ip) and (ip.startswith('127.') or ip == LOOPBACK6)


def rule_inputs(networks, nat_rules, backend):
    """The documents a backend's rule set is computed from (desired_rules reads no other): the bridge-like networks
    it handles, every overlay with a firewall (their peers guard a VXLAN port whichever backend has it) and its
    nat_rules."""
    nets = {name: doc for name, doc in networks.items() if doc and doc.get('firewall', True)
            and (doc.get('driver') == 'overlay' or (_network.bridge_like(doc) and doc.get('firewall_backend') == backend))}
    return nets, {name: doc for name, doc in nat_rules.items() if doc.get('firewall_backend') == backend}


def desired_rules(networks, nat_rules, backend):
    """Every rule of one backend, in order (lists of Rule): the IPv4 ones, then the IPv6 ones (the same concerns, in
    the same order, for the networks with IPv6 and the nat_rules of IPv6 addresses)."""
    networks, nat_rules = rule_inputs(networks, nat_rules, backend)
    nets = bridge_networks(networks, backend)
    nats = [nat_rules[name] for name in sorted(nat_rules)]
    if not nets and not nats:
        return []
    nets4, nats4 = _of_family(nets, nats, 4)
    nets6, nats6 = _of_family(nets, nats, 6)
    rules = family_rules(nets4, nats4, 4) if nets4 or nats4 else []
    for rule in family_rules(nets6, nats6, 6) if nets6 or nats6 else []:
        rule.family = 6
        rules.append(rule)
    rules += vxlan_guard(nets, networks)
    return _dedupe(rules)


def _of_family(nets, nats, family):
    """(the networks' views of one family, the nat_rules of that family)."""
    return ([view for view in (family_view(doc, family) for doc in nets) if view is not None],
            [nat for nat in nats if nat_family(nat) == family])


def family_rules(nets, nats, family):
    """The rules of one family for the networks' views of it (family_view) and the nat_rules."""
    # A routed network publishes by opening the container's port (publish_accepts): no DNAT, masquerade or hairpin.
    forwards = [fwd for doc in nets if gateway_mode(doc) != 'routed' for fwd in network_forwards(doc)] + nat_forwards(nats)
    rules = user_hook()
    for doc in nets:
        rules += bridge_forward(doc)
    rules += nat_forward_accepts(nat_forwards(nats))
    rules += direct_routing_filter(nets)
    rules += routed_filter(nets, family)
    rules += isolation(nets, family)
    for doc in nets:
        rules += publish_accepts(doc)
    rules += source_limits(forwards, family)
    rules += localhost_dnat(forwards, family)
    for doc in nets:
        if gateway_mode(doc) != 'routed':
            rules += masquerade(doc, family)
    for nat in nats:
        rules += nat_postrouting(nat, family)
    rules += port_dnat(forwards)
    rules += loopback_guard(family)
    for doc in nets:
        rules += direct_routing_guard(doc)
    return rules


VXLAN_PORT = 4789


def vxlan_guard(nets, networks):
    """An overlay's VXLAN port takes packets from its peers' underlay addresses only, then drops the rest (Docker's
    overlay keeps one INPUT rule per peer): a VTEP decapsulates whatever arrives, so anyone else reaching the port
    could put frames on the overlay, past every rule of the bridge.  A port's accepts are the peers of every overlay
    on it, whichever backend handles that overlay: each backend's drop sees every packet of the port.  A port that an
    overlay on an IPv6 underlay uses is guarded in IPv6 too (its peers are IPv6 addresses)."""
    ports, ports6 = _vxlan_ports(nets, networks)
    rules = []
    for port, peers in sorted(ports.items()):
        rules += [Rule('filter', 'INPUT', 'ACCEPT', src=peer, proto='udp', dport=port) for peer in sorted(peers) if ':' not in peer]
        rules.append(Rule('filter', 'INPUT', 'DROP', proto='udp', dport=port))
    for port in sorted(ports6):
        rules += [Rule('filter', 'INPUT', 'ACCEPT', family=6, src=peer, proto='udp', dport=port) for peer in sorted(ports[port]) if ':' in peer]
        rules.append(Rule('filter', 'INPUT', 'DROP', family=6, proto='udp', dport=port))
    return rules


def _vxlan_ports(nets, networks):
    """({port: peers' underlay addresses} of the overlays of ``nets``' ports, the ports an IPv6 underlay uses)."""
    def port_of(doc):
        return int(doc.get('port') or VXLAN_PORT)
    ports = {port_of(doc): set() for doc in nets if doc.get('driver') == 'overlay'}
    ports6 = set()
    for doc in networks.values():
        if doc and doc.get('driver') == 'overlay' and doc.get('firewall', True) and port_of(doc) in ports:
            ports[port_of(doc)].update((doc.get('peers') or {}).values())
            if ':' in str(doc.get('underlay_ip') or ''):
                ports6.add(port_of(doc))
    return ports, ports6


def by_family(rules, family):
    """The rules of one address family (4 or 6), in order."""
    return [rule for rule in rules if rule.family == family]


def user_hook():
    """The user's own chain comes first in forward; then isolation between bridges."""
    return [Rule('filter', 'FORWARD', 'JUMP', USER_CHAIN), Rule('filter', 'FORWARD', 'JUMP', 'ISOLATION-1')]


def bridge_forward(doc):
    """What Docker accepts on a bridge: answers, published ports, the way out (not internal), and icc."""
    br = doc['bridge']
    rules = [Rule('filter', 'FORWARD', 'ACCEPT', oif=br, ctstate='RELATED,ESTABLISHED'),
             Rule('filter', 'FORWARD', 'JUMP', 'PUBLISH', oif=br)]
    if not doc.get('internal'):
        rules.append(Rule('filter', 'FORWARD', 'ACCEPT', iif=br, oif='!' + br))
    rules.append(Rule('filter', 'FORWARD', 'ACCEPT' if doc.get('icc', True) else 'DROP', iif=br, oif=br))
    return rules


def nat_forward_accepts(forwards):
    """A nat_rule's published port on a known bridge is let in to its container."""
    return [Rule('filter', 'FORWARD', 'ACCEPT', dst=fwd.container_ip, iif='!' + fwd.bridge, oif=fwd.bridge, proto=fwd.proto,
                 dport=fwd.container_port, each=True)
            for fwd in forwards if fwd.bridge]


def isolation(nets, family=4):
    """Bridges do not reach each other; an internal network reaches nothing outside its subnet, and nothing reaches in.
    In IPv6 an internal bridge's own frames are left to icc first: with bridge netfilter they pass FORWARD too, and
    neighbour discovery goes to solicited-node multicast from link-local addresses, outside the subnet (IPv4's ARP
    is no IP packet)."""
    rules = []
    for doc in nets:
        br = doc['bridge']
        if doc.get('internal') and family == 6:
            rules.append(Rule('filter', 'ISOLATION-1', 'RETURN', iif=br, oif=br))
        if doc.get('internal'):
            rules.append(Rule('filter', 'ISOLATION-1', 'DROP', src='!' + doc['subnet'], oif=br))
            rules.append(Rule('filter', 'ISOLATION-1', 'DROP', dst='!' + doc['subnet'], iif=br))
        else:
            rules.append(Rule('filter', 'ISOLATION-1', 'JUMP', 'ISOLATION-2', iif=br, oif='!' + br))
    rules.append(Rule('filter', 'ISOLATION-1', 'RETURN'))
    rules += [Rule('filter', 'ISOLATION-2', 'DROP', oif=doc['bridge']) for doc in nets]
    rules.append(Rule('filter', 'ISOLATION-2', 'RETURN'))
    return rules


def publish_accepts(doc):
    """A network's published ports are let in from outside the bridge; a publish with allow_from only from those
    sources (what reaches the container port without the host port: a routed network's, a trusted interface's)."""
    return [Rule('filter', 'PUBLISH', 'ACCEPT', dst=fwd.container_ip, iif='!' + fwd.bridge, oif=fwd.bridge, proto=fwd.proto,
                 dport=fwd.container_port, each=True, **source)
            for fwd in network_forwards(doc) for source in _sources(fwd)]


def _sources(fwd):
    """[{}] for a forward open to every source, else [{'src': cidr}] for each allowed CIDR of its family (none: closed)."""
    if fwd.allow_from is None:
        return [{}]
    family = _ipam6.family(fwd.container_ip)
    return [{'src': _one_address(net)} for net in fwd.allow_from if _ipam6.family(net) == family]


def source_limits(forwards, family=4):
    """A publish with allow_from: a new connection to its host port from any other source is dropped before DNAT, in
    mangle PREROUTING (nat's own chains cannot drop), so neither a LAN host nor a container through hairpin gets
    through; each allowed CIDR returns first.  The host's own connections (OUTPUT) are not limited: the host reaches
    the container's address anyway."""
    rules = []
    for fwd in forwards:
        if fwd.allow_from is None or is_loopback(fwd.host_ip):
            continue
        match = dict(dst=fwd.host_ip if fwd.host_ip not in WILDCARDS else None, proto=fwd.proto, dport=fwd.host_port, dst_type='LOCAL')
        rules += [Rule('mangle', 'PREROUTING', 'RETURN', **dict(match, **source)) for source in _sources(fwd)]
        rules.append(Rule('mangle', 'PREROUTING', 'DROP', ctstate='NEW', **match))
    return rules


def _dnat(chain, fwd):
    host_ip = fwd.host_ip if fwd.host_ip not in WILDCARDS else None
    to = '[%s]:%d' if ':' in fwd.container_ip else '%s:%d'
    return Rule('nat', chain, 'DNAT', to % (fwd.container_ip, fwd.container_port), dst=host_ip, proto=fwd.proto,
                dport=fwd.host_port, each=True)


def localhost_dnat(forwards, family=4):
    """The host's own connections: ports published on a loopback address are forwarded from OUTPUT, then every local
    destination, loopback included, goes through the DNAT chain, so a port published on all addresses answers on
    127.0.0.1 too (Docker with userland-proxy=false: no `! -d 127.0.0.0/8` on the OUTPUT jump).  In IPv6 ::1 is
    left out of the jump (Docker's `! -d ::1`): a DNAT of it is routed nowhere, the userland proxy listening on
    [::1] answers it (_proxy)."""
    rules = [_dnat('OUTPUT', fwd) for fwd in forwards if is_loopback(fwd.host_ip)]
    output = dict(dst='!' + LOOPBACK6) if family == 6 else {}
    return ([Rule('nat', 'PREROUTING', 'JUMP', 'DNAT', dst_type='LOCAL')] + rules
            + [Rule('nat', 'OUTPUT', 'JUMP', 'DNAT', dst_type='LOCAL', **output)])


def _hairpin(fwd):
    """A container reaching a published port through the host's address gets its answer back through the host, not
    straight over the bridge."""
    return Rule('nat', 'POSTROUTING', 'MASQUERADE', src=fwd.hairpin_subnet, dst=fwd.container_ip, oif=fwd.bridge,
                proto=fwd.proto, dport=fwd.container_port, ctstate='DNAT', each=True)


def _loopback_masquerade(bridge):
    """The host's connections from its loopback (127.0.0.1 to a published port) leave into the bridge with the
    bridge's address: a container cannot answer 127.0.0.1.  Only 127.0.0.0/8 is rewritten (not Docker's
    --src-type LOCAL, moby#45629), so a connection from the host's other addresses keeps its source."""
    return Rule('nat', 'POSTROUTING', 'MASQUERADE', src=LOOPBACK_NET, oif=bridge)


def _egress(doc):
    """The network's traffic leaving by another interface: masqueraded, or SNATed to its outbound address (host_ipv4;
    host_ipv6 in the IPv6 view), Docker's com.docker.network.host_ipv4."""
    if doc.get('host_ipv4'):
        return Rule('nat', 'POSTROUTING', 'SNAT', doc['host_ipv4'], src=doc['subnet'], oif='!' + doc['bridge'])
    return Rule('nat', 'POSTROUTING', 'MASQUERADE', src=doc['subnet'], oif='!' + doc['bridge'])


def masquerade(doc, family=4):
    """A network's traffic leaving by another interface is masqueraded (ip_masquerade, not internal; NAT66 in IPv6,
    as Docker does for a nat network); its hairpins, and the host's IPv4 loopback connections to its published ports
    (no IPv6 publish is reached from ::1: the kernel does not route IPv6 loopback out)."""
    rules = []
    if doc.get('ip_masquerade', True) and not doc.get('internal'):
        rules.append(_egress(doc))
    forwards = network_forwards(doc)
    rules += [_hairpin(fwd) for fwd in forwards]
    if forwards and family == 4:
        rules.append(_loopback_masquerade(doc['bridge']))
    return rules


def nat_postrouting(nat, family=4):
    """A nat_rule's masquerade or SNAT; for a dnat on a bridge, its hairpin and (IPv4: the host's 127.0.0.1 reaches
    it, no ::1 reaches an IPv6 one) loopback masquerades."""
    if nat['kind'] in ('masquerade', 'snat'):
        match = {}
        if nat.get('source'):
            match['src'] = _one_address(nat['source'])
        if nat.get('out_interface'):
            match['oif'] = nat['out_interface']
        elif nat.get('not_out_interface'):
            match['oif'] = '!' + nat['not_out_interface']
        if nat['kind'] == 'masquerade':
            return [Rule('nat', 'POSTROUTING', 'MASQUERADE', **match)]
        return [Rule('nat', 'POSTROUTING', 'SNAT', nat['to_source'], **match)]
    rules = []
    for fwd in nat_forwards([nat]):
        if fwd.bridge and fwd.hairpin_subnet:
            rules.append(_hairpin(fwd))
        if fwd.bridge and family == 4:
            rules.append(_loopback_masquerade(fwd.bridge))
    return rules


def port_dnat(forwards):
    """Published ports on a wildcard or a specific host address, reached through the DNAT chain."""
    return [_dnat('DNAT', fwd) for fwd in forwards if not is_loopback(fwd.host_ip)]


def loopback_guard(family=4):
    """Loopback-addressed packets arriving on any interface but lo are dropped before conntrack and NAT see them
    (CVE-2020-8558 class).  route_localnet is on for bridges with published ports, and the DNAT chain matches
    127.0.0.0/8 (every loopback address is local): without this, a LAN neighbour routing 127.0.0.1 to the host, or a
    container crafting a packet to it, would reach published ports and the host's loopback services.  A legitimate
    packet never carries 127.0.0.0/8 on the wire: answers to the host's loopback connections come back to the
    bridge's address and are un-NATed after this table.  In IPv6 the same for ::1 (the kernel drops it too, but
    only after PREROUTING: the DNAT chain would see it first)."""
    net = LOOPBACK_NET if family == 4 else LOOPBACK6
    return [Rule('raw', 'PREROUTING', 'DROP', dst=net, iif='!lo'),
            Rule('raw', 'PREROUTING', 'DROP', src=net, iif='!lo')]


# -- exposure: direct routing to container addresses (Docker 28, moby#48724, #49325, #49829, #49832) ------------
GATEWAY_MODES = ('nat', 'nat-unprotected', 'routed', 'isolated')


def gateway_mode(doc):
    """A network's gateway_mode_ipv4 (of a family_view: its family's mode); a document written before the option
    existed is nat, Docker's default."""
    return doc.get('gateway_mode_ipv4') or 'nat'


def direct_routing_guard(doc):
    """Packets from outside addressed straight to a container of a nat network are dropped before DNAT can make them
    look published (raw PREROUTING: a published port's own packets are still addressed to the host then).  The host's
    own packets never pass PREROUTING; the bridge's are the containers'.  A trusted host interface is let through to
    the filter, where only published container ports are open.  Left out without masquerade: the answers to the
    containers' own connections then come back addressed to them (the filter's established accept lets them in)."""
    if gateway_mode(doc) not in ('nat', 'isolated') or not doc.get('ip_masquerade', True):
        return []
    br = doc['bridge']
    ips = [ep['ip'] for dummy, ep in sorted((doc.get('endpoints') or {}).items()) if ep.get('ip')]
    # Every accept before every drop (each names one container, so no packet matches two of them): one run of each.
    return ([Rule('raw', 'PREROUTING', 'ACCEPT', dst=ip, iif=trusted, each=True) for ip in ips for trusted in doc.get('trusted_host_interfaces') or []]
            + [Rule('raw', 'PREROUTING', 'DROP', dst=ip, iif='!' + br, each=True) for ip in ips])


def direct_routing_filter(nets):
    """What reaches a nat bridge from outside and is neither an answer nor a published port (both accepted before) is
    dropped, as Docker's default drop does whatever the FORWARD policy; nat-unprotected accepts it (Docker 27's ACCEPT
    policy).  A routed network's filter is in routed_filter; an internal network's isolation lets nothing in already."""
    rules = []
    for doc in nets:
        mode = gateway_mode(doc)
        if mode != 'routed' and not doc.get('internal'):
            rules.append(Rule('filter', 'FORWARD', 'ACCEPT' if mode == 'nat-unprotected' else 'DROP', iif='!' + doc['bridge'], oif=doc['bridge']))
    return rules


def routed_filter(nets, family=4):
    """A routed network's containers are reached at their own addresses, from outside and from the other bridges,
    on their published ports and by ICMP (ICMPv6 in IPv6) only (Docker's routed mode); the answers to its containers' own connections
    come back from nat networks too (Docker's DOCKER-ISOLATION-STAGE-1).  First in ISOLATION-1, so the other
    bridges' accepts in FORWARD never see what is for a routed bridge."""
    rules = []
    for doc in nets:
        if gateway_mode(doc) != 'routed' or doc.get('internal'):
            continue  # an internal network's isolation lets nothing in, whatever its mode
        br = doc['bridge']
        rules += [Rule('filter', 'ISOLATION-1', 'ACCEPT', iif=br, ctstate='RELATED,ESTABLISHED'),
                  Rule('filter', 'ISOLATION-1', 'ACCEPT', oif=br, ctstate='RELATED,ESTABLISHED'),
                  Rule('filter', 'ISOLATION-1', 'JUMP', 'PUBLISH', iif='!' + br, oif=br),
                  Rule('filter', 'ISOLATION-1', 'ACCEPT', iif='!' + br, oif=br, proto=ICMP[family]),
                  Rule('filter', 'ISOLATION-1', 'DROP', iif='!' + br, oif=br)]
    return rules


def _dedupe(rules):
    seen = set()
    out = []
    for rule in rules:
        key = rule.key()
        if key not in seen:
            seen.add(key)
            out.append(rule)
    return out


def used_chains(rules):
    """Logical (table, chain) pairs the rule set needs: every chain with rules, and every jump target."""
    chains = set()
    for rule in rules:
        chains.add((rule.table, rule.chain))
        if rule.target == 'JUMP':
            chains.add((rule.table, rule.arg))
    return chains


def route_localnet_bridges(networks, nat_rules=None):
    """The bridges of managed networks that carry a published port (a network's publish or a nat_rule of kind dnat
    to a container on it): the host's connections to 127.0.0.1 are routed into them (route_localnet).  Only IPv4
    publishes count: 127.0.0.1 reaches no IPv6 one.  A bridge the collection does not manage is left as it is."""
    ours = {doc['bridge']: doc for doc in networks.values()
            if _network.bridge_like(doc) and doc.get('firewall', True) and doc.get('bridge')}
    used = _publishing_bridges(ours.values())
    used |= {nat.get('bridge') for nat in (nat_rules or {}).values()
             if nat and nat.get('kind') == 'dnat' and nat.get('bridge') in ours and nat_family(nat) == 4}
    return sorted(used)


def _publishing_bridges(docs):
    """The bridges of the networks among ``docs`` with an IPv4 publish."""
    views = [view for view in (family_view(doc, 4) for doc in docs) if view is not None]
    return {view['bridge'] for view in views if any(True for dummy in publishes(view))}


def desired_sysctls(networks, nat_rules=None):
    """Host-wide knobs: {key: value} wanted while these networks and nat rules exist, plus per-bridge ones."""
    want = {}
    for doc in networks.values():
        if not _network.bridge_like(doc) or not doc.get('firewall', True):
            continue
        # Each family's switches for the families the network has: an IPv6-only network leaves IPv4 forwarding alone.
        for family, forward, bridge_nf in ((4, IP_FORWARD, BRIDGE_NF), (6, IPV6_FORWARD, BRIDGE_NF6)):
            if not has_family(doc, family):
                continue
            if doc.get('ip_forward', True) and not doc.get('internal'):
                want[forward] = '1'
            if not doc.get('icc', True):
                want[bridge_nf] = '1'
    for bridge in route_localnet_bridges(networks, nat_rules):
        want['net/ipv4/conf/%s/route_localnet' % bridge] = '1'
    return want


# -- running the backends' commands ---------------------------------------------------------------
def command_path(name):
    """The command's path, looking in the sbin directories too (a non-login shell may lack them), or None."""
    return shutil.which(name, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')


def command_exists(name):
    return command_path(name) is not None


def _run(argv, data=None):
    res = subprocess.run([command_path(argv[0]) or argv[0]] + list(argv[1:]), input=data, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise FirewallError('%s failed (exit %d): %s' % (' '.join(argv), res.returncode, (res.stderr or res.stdout).strip()))
    return res.stdout


FW_KIND = 'firewall'
