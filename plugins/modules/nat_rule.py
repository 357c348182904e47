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
    O(bridge) reaching the port through the host's address) and, for O(host_ip=127.0.0.1), the localhost-only handling
    (packets for it arriving from outside are dropped).
  - The rule is kept in C(/var/lib/hostnet/nat/NAME.json), so an automatically chosen host port stays the same across reruns.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
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
    description: Source subnet or address matched (masquerade, snat), for example V(172.17.0.0/16).
    type: str
  out_interface:
    description: Match only traffic leaving by this interface (masquerade, snat).
    type: str
  not_out_interface:
    description: Match only traffic leaving by any other interface than this one (masquerade, snat), as Docker does with its bridge.
    type: str
  to_source:
    description: Address the source is rewritten to (snat, required there).
    type: str
  host_ip:
    description: Host address the port is published on (dnat). V(127.0.0.1) makes it reachable from the host only.
    type: str
    default: 0.0.0.0
  host_port:
    description: Host port (dnat). 0 or omitted picks a free port from C(ip_local_port_range), returned and kept across reruns.
    type: int
  container_ip:
    description: Address the traffic is sent to (dnat, required there).
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
        Omitted, the bridge whose subnet holds O(container_ip) is found from the host's routes.
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

- name: docker run -p 10.138.3.130:20022:22, done by hand for a namespace on docker0
  hostnet.containers.nat_rule:
    name: ssh-publish
    kind: dnat
    host_ip: 10.138.3.130
    host_port: 20022
    container_ip: 172.17.0.2
    container_port: 22
    bridge: docker0

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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


KIND_OPTIONS = {
    'masquerade': ('source', 'out_interface', 'not_out_interface'),
    'snat': ('source', 'out_interface', 'not_out_interface', 'to_source'),
    'dnat': ('host_ip', 'host_port', 'container_ip', 'container_port', 'proto', 'bridge'),
}
DEFAULTS = {'host_ip': '0.0.0.0', 'proto': 'tcp'}


def desired(p, stored, ns, others, networks):
    """The rule document, validated; raises IPAMError naming the option and the value."""
    kind = p['kind']
    for option in ('source', 'out_interface', 'not_out_interface', 'to_source', 'host_ip', 'host_port', 'container_ip',
                   'container_port', 'bridge'):
        if p[option] is not None and option not in KIND_OPTIONS[kind] and p[option] != DEFAULTS.get(option):
            raise _validate.InputError(option, p[option], 'does not apply to kind %s' % kind)
    doc = {'kind': kind}
    if kind in ('masquerade', 'snat'):
        if p['source'] is not None:
            doc['source'] = str(_ipam.parse_subnet(p['source'], 'source')) if '/' in p['source'] \
                else str(_ipam.parse_ip(p['source'], 'source'))
        if p['out_interface'] and p['not_out_interface']:
            raise _validate.InputError('not_out_interface', p['not_out_interface'], 'cannot be combined with out_interface')
        for option in ('out_interface', 'not_out_interface'):
            if p[option] is not None:
                _validate.validate_ifname(p[option], option)
                doc[option] = p[option]
        if kind == 'snat':
            if p['to_source'] is None:
                raise _validate.InputError('to_source', None, 'is required for kind snat')
            doc['to_source'] = str(_ipam.parse_ip(p['to_source'], 'to_source'))
    else:
        for option in ('container_ip', 'container_port'):
            if p[option] is None:
                raise _validate.InputError(option, None, 'is required for kind dnat')
        doc['container_ip'] = str(_ipam.parse_ip(p['container_ip'], 'container_ip'))
        doc['container_port'] = _ports.parse_port(p['container_port'], 'container_port')
        doc['host_ip'] = str(_ipam.parse_ip(p['host_ip'] or '0.0.0.0', 'host_ip'))
        doc['proto'] = p['proto']
        bridge = p['bridge']
        if bridge is not None:
            _validate.validate_ifname(bridge, 'bridge')
            if _kernel.link(ns.ipr(None), bridge) is None:
                raise _validate.InputError('bridge', bridge, 'no such interface on the host')
        else:
            bridge = _route_dev(ns, doc['container_ip'])
        doc['bridge'] = bridge
        doc['bridge_subnet'] = _bridge_subnet(ns, bridge, doc['container_ip']) if bridge else None
        bound = _ports.bound_ports(networks, others)
        listening = {}
        if p['host_port']:
            entry = {'host_ip': doc['host_ip'], 'host_port': _ports.parse_port(p['host_port'], 'host_port'), 'proto': doc['proto']}
            if not (stored and stored.get('host_port') == entry['host_port'] and stored.get('proto') == entry['proto']):
                _ports.check_port_free('host_port', p['host_port'], entry, bound, listening)
            doc['host_port'] = entry['host_port']
            doc['auto'] = False
        else:
            key = (doc['host_ip'], doc['proto'])
            existing = {}
            if stored and stored.get('auto') and (stored.get('host_ip'), stored.get('proto')) == key:
                existing[key] = stored['host_port']
            taken = _ports.taken_ports(doc['proto'], bound, listening)
            port_range = _sysctl.read_sysctl(ns, None, 'net/ipv4/ip_local_port_range')
            doc['host_port'] = _ports.allocate_host_ports([key], taken, port_range, existing, option='host_port')[key]
            doc['auto'] = True
    backend = p['firewall_backend'] if p['firewall_backend'] != 'auto' else (stored or {}).get('firewall_backend', 'auto')
    doc['firewall_backend'] = _firewall.resolve_backend(backend)
    return doc


def _bridge_subnet(ns, bridge, ip):
    """The subnet of the bridge's address that holds ip: the containers a hairpin masquerade is for."""
    host = ns.ipr(None)
    found = _kernel.link(host, bridge)
    for cidr in _kernel.addresses(host, found['index']) if found else []:
        net = _ipam.netaddr.IPNetwork(cidr)
        if _ipam.netaddr.IPAddress(ip) in net:
            return str(net.cidr)
    return None


def _route_dev(ns, ip):
    """The interface the host routes ip through (the container's bridge), or None."""
    try:
        routes = ns.ipr(None).route('get', dst=ip)
    except _kernel.NetlinkError:
        return None
    for msg in routes:
        oif = msg.get_attr('RTA_OIF')
        if oif:
            return _kernel.ifname_of(ns.ipr(None), oif)
    return None


def run(module):
    p = module.params
    name = p['name']
    if not name or '/' in name or name in ('.', '..') or len(name) > 64:
        module.fail_json(msg="name '%s': not a valid rule name" % name)
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        nats = _store.load_all(_firewall.NAT_KIND)
        stored = nats.get(name)
        others = {n: d for n, d in nats.items() if n != name}
        networks = _store.load_all(_network.KIND)
        plan = _plan.Plan()
        doc = None
        if p['state'] == 'present':
            doc = desired(p, stored, ns, others, networks)
            if doc != stored:
                plan.add('write nat rule %s' % name, lambda: _store.save(_firewall.NAT_KIND, name, doc),
                         (lambda: _store.save(_firewall.NAT_KIND, name, stored)) if stored else
                         (lambda: _store.delete(_firewall.NAT_KIND, name)))
        elif stored is not None:
            plan.add('remove nat rule %s' % name, lambda: _store.delete(_firewall.NAT_KIND, name),
                     lambda: _store.save(_firewall.NAT_KIND, name, stored))
        new = dict(others)
        if doc is not None:
            new[name] = doc
        changes = _firewall.plan(plan, ns, networks, networks, nats, new)
        result = _common.plan_result(module, plan, stored, doc, firewall=changes)
        _common.apply_plan(module, plan, result)
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
            host_ip=dict(type='str', default='0.0.0.0'),
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
