#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: netns
short_description: Manage a named network namespace (a container's network stack)
version_added: 0.1.0
description:
  - Creates or removes a named network namespace under C(/run/netns), the way C(ip netns add) does, with C(lo) up.
  - A namespace is what a container's network stack is; C(share_with) gives one namespace a second name,
    which is Docker's C(--network container:NAME) mode.
  - Optionally writes C(/etc/netns/NAME/hosts), C(resolv.conf) and C(hostname), which C(ip netns exec) and the
    C(hostnet.containers.nsenter) connection bind over C(/etc) inside the namespace, and sets C(net.*) sysctls in it.
  - "Ownership: a namespace this module (or a network module) creates is recorded in
    C(/var/lib/hostnet/netns/NAME.json): who wants it (C(netns), C(network:NAME)), what it shares, the sysctls set
    and an O(owner) label. A namespace that exists without a record is the user's: O(state=absent) refuses to remove
    it, and O(state=present) uses it as it is when nothing would change in it (C(lo) up, the files and sysctls as
    asked) and refuses anything else, with an error naming it and nothing changed. O(adopt) hands it over."
  - Namespaces made before records existed (round-1 hosts) have no record and are treated as the user's; set
    O(adopt=true) once to let the collection manage or remove them.
  - "Many namespaces in one call: O(namespaces) lists them, each with the options of the single form. The host is
    read once, every item is checked and planned before anything changes, the records and the new namespaces are
    written in one pass, and a failure part-way rolls back what the call did: a role's cost does not grow by a module
    run per container."
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
  - hostnet.containers._common.engine
options:
  name:
    description:
      - Name of the namespace (the file C(/run/netns/NAME)).
      - Letters, digits, C(.), C(_) and C(-), at most 64 characters.
      - One of O(name) (the single form) and O(namespaces) (the list form) is required.
    type: str
  state:
    description:
      - C(present) creates the namespace and applies the other options; C(absent) removes it and C(/etc/netns/NAME).
        Removing a namespace that is already gone is not an error.
      - Removing a namespace destroys the interfaces inside it (a veth's host end goes with it), unless
        another name still refers to it through O(share_with). Removing either name of a shared namespace
        is allowed and removes only that name; the stack lives on under the other one, as a Docker
        container started with C(--network container:NAME) keeps its network when the other exits.
    type: str
    choices: [present, absent]
    default: present
  share_with:
    description:
      - Name of an existing namespace this one is another name for (container mode).
      - Fails if O(name) already exists as a different namespace; remove it first.
    type: str
  hosts:
    description:
      - Entries written to C(/etc/netns/NAME/hosts) after the localhost lines (Docker's C(--add-host)).
        Omit to leave the file alone; an empty list or dict leaves only the localhost lines.
      - "Either a list of C({ip, names}) entries (C(names) a list or a single name), or a dict
        mapping a host name to its IP (V({db01: 172.18.0.3})) or an IP to its names
        (V({172.18.0.3: [db01, db]}))."
      - A list keeps its order; a dict's entries are written sorted by key.
      - An IP may be IPv4 or IPv6 (V(fd00:db8::3), or in brackets as C(--add-host db6:[fd00:db8::3]) has it); it is
        written normalised.
      - The IP V(host-gateway) stands for the host's own address on the namespace's network, as C(docker run --add-host
        host.docker.internal:host-gateway) does. The network is the one giving the namespace its default route, else the one
        it joined first (of O(share_with)'s namespace in container mode); the address is its gateway (on the bridge) or, for
        a macvlan network, its host shim's address. The name gets a line for the IPv4 address and, when the network has IPv6,
        one for the IPv6 address. The address is read when the module runs; a namespace on no such network is refused,
        naming the entry (C(hosts[NAME].ip 'host-gateway')).
    type: raw
  dns:
    description:
      - Name servers for C(/etc/netns/NAME/resolv.conf), IPv4 or IPv6 addresses. Omit both O(dns) and O(dns_search)
        to leave the file alone.
    type: list
    elements: str
  dns_search:
    description: Search domains for C(/etc/netns/NAME/resolv.conf).
    type: list
    elements: str
  hostname:
    description: Written to C(/etc/netns/NAME/hostname).
    type: str
  sysctls:
    description:
      - C(net.*) sysctls set inside the namespace, for example C(net.ipv4.ip_unprivileged_port_start).
        Other sysctls are not per namespace and are refused. Booleans are written as C(1)/C(0).
      - Sysctls not listed are left alone; the namespace keeps no record of earlier values.
    type: dict
  owner:
    description:
      - A label recorded with the namespace naming what manages it (the roles set their own name), so a later run
        of that role knows which namespaces it made and can remove those it no longer lists
        (M(hostnet.containers.gc) with O(hostnet.containers.gc#module:owner)).
      - Omit to keep the recorded label.
    type: str
  adopt:
    description:
      - Take over an existing namespace that has no record (made by hand, or by a collection version before
        records); it gets a record as if this module had created it, so it can be changed and removed.
      - Without it, such a namespace is never removed or changed.
    type: bool
    default: false
  namespaces:
    description:
      - Many namespaces in one call (the list form), each item with the options of the single form, checked as they
        are; the single form's options are then not given at the top level.
      - Every item is checked and planned against one read of the host before anything changes; a bad item fails the
        call naming C(namespaces[INDEX].OPTION) and its value, and nothing is changed (in check mode as in a real run).
        A name listed twice is refused, naming both indexes.
      - The items apply in list order, so an item's O(namespaces[].share_with) may name a namespace an earlier item
        creates (and not one an earlier item removes or a later one creates). A failure part-way rolls back what the
        call did; the namespaces items remove go after every change that can be undone.
      - An empty list is a no-op (C(changed=false)); the roles skip the task instead, which saves the module run.
    type: list
    elements: dict
    suboptions:
      name:
        description: As O(name).
        type: str
        required: true
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
        default: present
      share_with:
        description: As O(share_with); may name a namespace an earlier item of the list creates.
        type: str
      hosts:
        description: As O(hosts).
        type: raw
      dns:
        description: As O(dns).
        type: list
        elements: str
      dns_search:
        description: As O(dns_search).
        type: list
        elements: str
      hostname:
        description: As O(hostname).
        type: str
      sysctls:
        description: As O(sysctls).
        type: dict
      owner:
        description: As O(owner).
        type: str
      adopt:
        description: As O(adopt).
        type: bool
        default: false
'''

EXAMPLES = r'''
- name: A container's network stack, with name resolution files
  hostnet.containers.netns:
    name: web01
    hostname: web01
    dns: [10.138.3.2]
    dns_search: [lab.example]
    hosts:
      - ip: 172.18.0.3
        names: [db01]

- name: Extra host entries as a dict (name to IP), like docker run --add-host
  hostnet.containers.netns:
    name: web02
    hosts:
      db01: 172.18.0.3
      cache: 172.18.0.4
    sysctls:
      net.ipv4.ip_unprivileged_port_start: 0

- name: Let web02 reach the host as host.docker.internal (docker run --add-host host.docker.internal:host-gateway)
  hostnet.containers.docker_bridge:
    name: gwnet
    subnet: 10.79.2.0/24
    endpoints:
      - name: web02

- name: The name resolves to gwnet's gateway on the host (10.79.2.1)
  hostnet.containers.netns:
    name: web02
    hosts:
      host.docker.internal: host-gateway

- name: "Container mode: web01-sidecar shares the network stack of web01"
  hostnet.containers.netns:
    name: web01-sidecar
    share_with: web01

- name: A namespace a role manages, labelled so the role can remove it once it is no longer listed
  hostnet.containers.netns:
    name: web03
    owner: bridge_network

- name: Hand a namespace made by hand (no record) to the collection, so it may change or remove it
  hostnet.containers.netns:
    name: legacy01
    adopt: true

- name: "Several containers in one call: one read of the host, one plan, all or nothing"
  hostnet.containers.netns:
    namespaces:
      - name: app01
        hostname: app01
        dns: [10.138.3.2]
        owner: my_app
      - name: app02
        hostname: app02
        hosts:
          db01: 172.18.0.3
        owner: my_app
      - name: app02-sidecar  # container mode on a namespace an earlier item creates
        share_with: app02
        owner: my_app
      - name: web02
        state: absent

- name: Remove a namespace
  hostnet.containers.netns:
    name: web01
    state: absent
'''

RETURN = r'''
netns:
  description: Name of the namespace.
  returned: in the single form (O(name))
  type: str
  sample: web01
interfaces:
  description:
    - Interfaces inside the namespace with their IPv4 addresses, in ifindex order (empty when absent,
      and in check mode for a namespace that does not exist yet).
  returned: in the single form (O(name))
  type: list
  elements: dict
  sample: [{"name": "lo", "mac": "00:00:00:00:00:00", "mtu": 65536, "up": true, "addresses": ["127.0.0.1/8"]}]
addresses:
  description: Every IPv4 address inside the namespace (all interfaces, loopback included).
  returned: in the single form (O(name))
  type: list
  elements: str
  sample: ["127.0.0.1/8", "172.17.0.2/16"]
owned_unlisted:
  description:
    - The namespaces recorded with an O(namespaces[].owner) label of the items that the call does not list, that
      is what M(hostnet.containers.gc) with that O(hostnet.containers.gc#module:owner) would remove (a role skips
      that run when the list is empty).
  returned: in the list form, when an item has O(namespaces[].owner)
  type: list
  elements: str
  sample: ["old-web"]
namespaces:
  description:
    - One result per item of O(namespaces), in list order, each with what the single form returns about its
      namespace and what the call did to it.
  returned: in the list form (O(namespaces))
  type: list
  elements: dict
  contains:
    netns:
      description: Name of the namespace.
      type: str
      sample: app01
    interfaces:
      description: As RV(interfaces).
      type: list
      elements: dict
    addresses:
      description: As RV(addresses).
      type: list
      elements: str
    changed:
      description: Whether the call changes this namespace.
      type: bool
    commands:
      description: The changes to this namespace, in order (the call's RV(commands) hold every item's).
      type: list
      elements: str
    before:
      description: As RV(before), for this namespace.
      type: dict
    after:
      description: As RV(after), for this namespace.
      type: dict
before:
  description:
    - State before the run (null when the namespace did not exist).
    - In the list form, the same for each item, keyed by namespace name.
  returned: always
  type: dict
after:
  description:
    - State after the run (null when absent); in check mode, the state a real run would produce.
    - In the list form, the same for each item, keyed by namespace name.
  returned: always
  type: dict
commands:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create network namespace web01", "set lo up in web01"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_plan


# The option checks as tests/unit/plugins/modules/test_validate.py calls them; the module itself uses
# _netns_plan.wanted.
LOCALHOST = _netns.LOCALHOST_HOSTS


def validate(params):
    """(files, sysctls) the options ask for; InputError naming a bad option and its value."""
    want = _netns_plan.wanted(params)
    return _netns_plan.wanted_files(want, {}), want['sysctls']


def run(module):
    if module.params['namespaces'] is not None:
        run_many(module)
        return
    want = _netns_plan.wanted(module.params)
    name = want['name']
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        plan, before, after = _netns_plan.plan(want, _netns_plan.snapshot(ns, want), _netns_plan.Changes(ns))
        result = _common.plan_result(module, plan, before, after, netns=name, interfaces=[], addresses=[])
        _common.apply_plan(module, plan, result)
        if want['state'] == 'present':
            _with_interfaces(result, _netns_plan.interfaces_of(ns, [name]).get(name))
    module.exit_json(**result)


def _with_interfaces(target, interfaces):
    """A namespace's interfaces and all their addresses into ``target`` (a result, or an item of the list form's);
    None (the namespace is not there) leaves it as it is."""
    if interfaces is not None:
        target['interfaces'] = interfaces
        target['addresses'] = [a for i in interfaces for a in i['addresses']]


def run_many(module):
    """The list form: every item checked, the host read once, one plan for all items."""
    wants = _netns_plan.wanted_many(module.params['namespaces'])
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        plan, items = _netns_plan.plan_many(wants, _netns_plan.snapshots(ns, wants), _netns_plan.Changes(ns))
        before = {item['netns']: item['before'] for item in items}
        after = {item['netns']: item['after'] for item in items}
        result = _common.plan_result(module, plan, before, after, namespaces=items)
        unlisted = _netns_plan.owned_unlisted(wants)
        if unlisted is not None:
            result['owned_unlisted'] = unlisted
        _common.apply_plan(module, plan, result)
        found = _netns_plan.interfaces_of(ns, [want['name'] for want in wants if want['state'] == 'present'])
        for item in items:
            item.update(interfaces=[], addresses=[])
            _with_interfaces(item, found.get(item['netns']))
    module.exit_json(**result)


# The single form's options: with namespaces, each item gives them.
SINGLE = ('name', 'state', 'share_with', 'hosts', 'dns', 'dns_search', 'hostname', 'sysctls', 'owner', 'adopt')


def main():
    options = dict(
        share_with=dict(type='str'),
        hosts=dict(type='raw'),
        dns=dict(type='list', elements='str'),
        dns_search=dict(type='list', elements='str'),
        hostname=dict(type='str'),
        sysctls=dict(type='dict'),
        owner=dict(type='str'),
        adopt=dict(type='bool', default=False),
    )
    spec = _common.argument_spec(**options)
    item = dict(spec, name=dict(type='str', required=True))
    spec.update(name=dict(type='str'), namespaces=dict(type='list', elements='dict', options=item))
    module = AnsibleModule(
        argument_spec=spec,
        mutually_exclusive=[('namespaces', option) for option in SINGLE],
        required_one_of=[('name', 'namespaces')],
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
