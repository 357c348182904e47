#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: nat_rule
short_description: One NAT rule owned by the collection (masquerade, SNAT, or a published port)
version_added: 0.2.0
description:
  - Adds a masquerade, SNAT or DNAT rule to the host's firewall, reconciled with every managed network and every other
    nat_rule in one transaction (iptables C(HOSTNET-*) chains or the nftables C(hostnet) table). Rules the collection
    does not own are never touched.
  - O(kind=dnat) is a port publish like C(docker run -p), with the forward accept, the hairpin masquerade (a container on
    O(bridge) reaching the port through the host's address) and the localhost handling. The port answers the host on
    127.0.0.1 too (when the container is on a bridge of a network the collection manages, which gets C(route_localnet));
    with O(host_ip=127.0.0.1) it answers only the host; packets from outside addressed to or from 127.0.0.0/8 are dropped.
    When the rule changes or goes, the conntrack entries of the flows its old mapping NATed are deleted after the new
    rules are in place, so a UDP flow follows at once.
  - The rule is kept in C(/var/lib/hostnet/nat/NAME.json), so an automatically chosen host port stays the same across reruns.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
  - hostnet.containers._common.engine
options:
  name:
    description: Name of the rule (its identity for reruns and removal).
    type: str
    required: true
  state:
    description: C(present) adds or repairs the rule; C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  kind:
    description: V(masquerade) and V(snat) rewrite the source of outgoing traffic; V(dnat) publishes a port.
    type: str
    choices: [masquerade, snat, dnat]
    default: masquerade
  source:
    description:
      - Source subnet or address matched (masquerade, snat), for example V(172.17.0.0/16), or IPv6 (V(fd00:db8:1::/64)).
      - The rule's family is that of its addresses. An IPv6 O(source) or O(to_source) makes an IPv6 rule (NAT66, in
        ip6tables or the nftables C(ip6 hostnet6) table); a masquerade without either is IPv4 (give V(::/0) for every
        IPv6 source).
    type: str
  out_interface:
    description: Match only traffic leaving by this interface (masquerade, snat).
    type: str
  not_out_interface:
    description: Match only traffic leaving by any other interface than this one (masquerade, snat), as Docker does with its bridge.
    type: str
  to_source:
    description: Address the source is rewritten to (snat, required there), of the family of O(source).
    type: str
  host_ip:
    description:
      - Host address the port is published on (dnat). V(127.0.0.1) makes it reachable from the host only.
      - It must be an address the host has (on any interface), an IPv4 loopback address, V(0.0.0.0) or V(::); any other
        fails before anything changes, in check mode too. V(::1) is refused, since the kernel does not forward IPv6 loopback
        packets to a container.
      - Omitted, V(0.0.0.0), or V(::) when O(container_ip) is an IPv6 address. It must be of O(container_ip)'s family.
    type: str
  host_port:
    description: Host port (dnat). 0 or omitted picks a free port from C(ip_local_port_range), returned and kept across reruns.
    type: int
  container_ip:
    description:
      - Address the traffic is sent to (dnat, required there). An IPv6 address makes an IPv6 publish (rules in the IPv6
        tables, hairpin included; the host's C(::1) does not reach it).
    type: str
  container_port:
    description: Port the traffic is sent to (dnat, required there).
    type: int
  proto:
    description: Protocol of the published port (dnat).
    type: str
    choices: [tcp, udp, sctp]
    default: tcp
  bridge:
    description:
      - Bridge the container is on (dnat). Adds the forward accept and the hairpin masquerade.
        Omitted, the bridge whose subnet holds O(container_ip) is found from the host's routes (for IPv6, the interface with
        an address whose prefix holds it).
    type: str
  firewall_backend:
    description: V(iptables), V(nftables), or V(auto) (iptables where the command exists, else nftables).
    type: str
    choices: [auto, iptables, nftables]
    default: auto
'''

EXAMPLES = r'''
- name: Masquerade 172.17.0.0/16 leaving by any interface but docker0 (what Docker installs for docker0)
  hostnet.containers.nat_rule:
    name: docker0-masquerade
    kind: masquerade
    source: 172.17.0.0/16
    not_out_interface: docker0

- name: Publish port 22 of a namespace on docker0 by hand (docker run -p 10.138.3.130:20022:22)
  hostnet.containers.nat_rule:
    name: ssh-publish
    kind: dnat
    host_ip: 10.138.3.130
    host_port: 20022
    container_ip: 172.17.0.2
    container_port: 22
    bridge: docker0

- name: Publish port 80 of an IPv6 container on every IPv6 address of the host (docker run -p '[::]:8080:80')
  hostnet.containers.nat_rule:
    name: web6
    kind: dnat
    host_port: 8080
    container_ip: "fd00:db8:1::2"
    container_port: 80

- name: NAT66 for an IPv6 subnet leaving by eth0
  hostnet.containers.nat_rule:
    name: lab6-masquerade
    kind: masquerade
    source: "fd00:db8:1::/64"
    out_interface: eth0

- name: A free host port for 172.17.0.3:80
  hostnet.containers.nat_rule:
    name: web
    kind: dnat
    container_ip: 172.17.0.3
    container_port: 80
  register: web

- name: Show the port chosen
  ansible.builtin.debug:
    msg: "published on {{ web.rule.host_port }}"
'''

RETURN = r'''
rule:
  description: The rule as stored (absent after removal).
  returned: when state is present
  type: dict
  sample: {"kind": "dnat", "host_ip": "0.0.0.0", "host_port": 32768, "container_ip": "172.17.0.3", "container_port": 80,
           "proto": "tcp", "bridge": "docker0", "firewall_backend": "iptables"}
before:
  description: The stored rule before the run (null when it did not exist).
  returned: always
  type: dict
after:
  description: The rule after the run (null when absent).
  returned: always
  type: dict
firewall:
  description: Per firewall backend whose rules the run changed, the lines the collection owned before and after.
  returned: always
  type: dict
commands:
  description: The changes made (or that check mode would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["apply iptables rule set (12 rules)", "write nat rule web"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

import socket

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _nat_plan
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def _valid(check, value):
    """The checked value, or None when it fails the check: the planner reports it, with the option's name."""
    try:
        return check(value)
    except _validate.InputError:
        return None


def _route_dev(chan, ip):
    """The interface the host routes ip through (the container's bridge), or None."""
    try:
        route = chan.query(('route', ip))[0]
        found = chan.query(('link', route['oif']))[0] if route and route['oif'] else None
    except _kernel.NetlinkError:
        return None
    return found['ifname'] if found else None


def _route_dev6(chan, addrs6, ip):
    """The interface with an IPv6 address whose prefix holds ip (the container's bridge: its connected route), or None."""
    target = _ipam.netaddr.IPAddress(ip)
    for addr in addrs6:
        if addr['address'] and target in _ipam.netaddr.IPNetwork(addr['address']):
            found = chan.query(('link', addr['index']))[0]
            return found['ifname'] if found else None
    return None


def _links(chan, names, addrs):
    """{ifname: [addresses]} of the links among names that exist (addrs: an address dump of the rule's family)."""
    if not names:
        return {}
    found = {name: info for name, info in zip(names, chan.query(*[('link', name) for name in names])) if info}
    if not found:
        return {}
    by_index = {}
    for addr in addrs:
        if addr['address']:
            by_index.setdefault(addr['index'], []).append(addr['address'])
    return {name: by_index.get(info['index'], []) for name, info in found.items()}


def snapshot(p, ns):
    """What the planner needs from the host, read once (only what the rule's kind needs)."""
    nats = _store.load_all(_firewall.NAT_KIND)
    networks = _store.load_all(_network.KIND)
    installed = {tool: _firewall_rules.command_exists(tool) for tool in ('iptables-restore', 'nft')}
    ipv6 = _snapshot.ipv6_enabled() if any(_ipam6.family(p[o]) == 6 for o in ('container_ip', 'source', 'to_source')) else None
    if p['state'] != 'present' or p['kind'] != 'dnat':
        return _nat_plan.Snapshot(nats, networks, {}, None, {}, None, installed, None, ipv6)
    chan = ns.chan(None)
    container_ip = _valid(lambda v: _nat_plan.parse_ip(v, 'container_ip'), p['container_ip']) if p['container_ip'] else None
    addrs = _addresses(chan, container_ip)
    route_dev = None
    if p['bridge'] is None and container_ip is not None:
        route_dev = _route_dev6(chan, addrs, container_ip) if _ipam6.family(container_ip) == 6 else _route_dev(chan, container_ip)
    names = [name for name in (p['bridge'], route_dev) if name and _valid(_validate.validate_ifname, name)]
    listening = {p['proto']: _ports.listening(p['proto'])}
    port_range = None if p['host_port'] else _sysctl.read_sysctl(ns, None, 'net/ipv4/ip_local_port_range')
    return _nat_plan.Snapshot(nats, networks, _links(chan, names, addrs), route_dev, listening, port_range, installed,
                              _local(chan, p['host_ip'], container_ip, addrs), ipv6)


def _addresses(chan, ip):
    """The host's address dump of ip's family."""
    return chan.dump(_kernel.RTM_GETADDR, socket.AF_INET6 if _ipam6.family(ip) == 6 else socket.AF_INET)


def _local(chan, host_ip, container_ip, addrs):
    """The host's addresses of host_ip's family when host_ip names one (None: a wildcard or loopback, nothing to check)."""
    if host_ip in _ports.WILDCARDS or str(host_ip).startswith('127.'):
        return None
    same = _ipam6.family(host_ip) == _ipam6.family(container_ip)
    return _ports.host_addresses(addrs if same else _addresses(chan, host_ip))


def run(module):
    p = module.params
    name = _validate.rule_name(p['name'])
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        snap = snapshot(p, ns)
        stored = snap.nats.get(name)
        doc = _nat_plan.desired(p, name, snap) if p['state'] == 'present' else None
        plan = _plan.Plan()
        if doc is not None and doc != stored:
            plan.add('write nat rule %s' % name, lambda: _store.save(_firewall.NAT_KIND, name, doc),
                     (lambda: _store.save(_firewall.NAT_KIND, name, stored)) if stored else
                     (lambda: _store.delete(_firewall.NAT_KIND, name)))
        elif doc is None and stored is not None:
            plan.add('remove nat rule %s' % name, lambda: _store.delete(_firewall.NAT_KIND, name),
                     lambda: _store.save(_firewall.NAT_KIND, name, stored))
        new = {n: d for n, d in snap.nats.items() if n != name}
        if doc is not None:
            new[name] = doc
        changes = _firewall.plan(plan, ns, snap.networks, snap.networks, snap.nats, new)
        _nat_plan.plan_conntrack(plan, stored, doc)
        result = _common.plan_result(module, plan, stored, doc, firewall=changes)
        _common.apply_plan(module, plan, result)
        for warning in _conntrack.warnings(plan):
            module.warn(warning)
        if doc is not None:
            result['rule'] = doc
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            kind=dict(type='str', default='masquerade', choices=['masquerade', 'snat', 'dnat']),
            source=dict(type='str'),
            out_interface=dict(type='str'),
            not_out_interface=dict(type='str'),
            to_source=dict(type='str'),
            host_ip=dict(type='str'),
            host_port=dict(type='int'),
            container_ip=dict(type='str'),
            container_port=dict(type='int'),
            proto=dict(type='str', default='tcp', choices=['tcp', 'udp', 'sctp']),
            bridge=dict(type='str'),
            firewall_backend=dict(type='str', default='auto', choices=['auto', 'iptables', 'nftables']),
        ),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
