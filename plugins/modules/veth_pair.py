#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: veth_pair
short_description: Manage a veth pair, optionally with its peer inside a network namespace
version_added: 0.1.0
description:
  - Creates a veth pair whose host end is O(name) and whose peer is O(peer_name), the plumbing Docker uses to
    connect a container to a bridge.
  - The peer is created directly inside O(peer_netns), already named, in one netlink request (no move and rename).
  - The host end can be attached to a bridge with O(master); the peer can get addresses and a default route.
  - Drift (wrong master, MTU, MAC, missing or extra address, wrong gateway, peer in another namespace) is
    detected and repaired.
  - The pair is identified by O(name). When a veth of that name exists but its peer is not O(peer_name) in
    O(peer_netns), the old pair is deleted and the wanted one created (the C(commands) say so).
  - Ownership is recorded, never guessed from a name. The module records each pair it creates in
    C(/var/lib/hostnet/veth/NAME.json) (before creating it; the record goes after the pair is deleted) and changes,
    recreates or deletes only a pair it has a record of. An existing interface named O(name) without a record (the
    host's uplink, a veth the user made, a pair made by an earlier version of the collection) is refused with an error naming it, in
    both states and in check mode, and nothing changes; so is an interface named O(peer_name) that is not the peer
    of the recorded pair.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
  - hostnet.containers._common.engine
options:
  name:
    description: Name of the host end (at most 15 bytes).
    type: str
    required: true
  state:
    description: C(present) creates or repairs the pair; C(absent) deletes it (both ends go together).
    type: str
    choices: [present, absent]
    default: present
  peer_name:
    description:
      - Name of the peer end (at most 15 bytes).
      - Defaults to C(eth0) when O(peer_netns) is set, as in a container; required otherwise,
        since both ends then share the host's namespace and need distinct names.
      - Fails, before anything is touched, when another interface of that name already exists where the
        peer goes.
    type: str
  peer_netns:
    description:
      - Named network namespace (see M(hostnet.containers.netns)) that holds the peer. It must exist.
      - Omit to keep the peer in the host's namespace.
    type: str
  master:
    description:
      - Bridge the host end is attached to. It must exist and be a bridge.
      - Omit to leave the host end's master alone (a new pair is then unattached).
    type: str
  mtu:
    description: MTU of both ends (68-65535). Omit to keep the kernel's default.
    type: int
  mac:
    description: MAC address of the host end. Omit to let the kernel choose.
    type: str
  peer_mac:
    description: MAC address of the peer end. Omit to let the kernel choose.
    type: str
  peer_addresses:
    description:
      - Addresses of the peer in CIDR form, IPv4 (V(172.17.0.2/16)), IPv6 (V(fd00:db8:1::2/64)) or both. This is the
        complete list when given; other addresses on the peer are removed, but for its IPv6 link-local (C(fe80::)) ones,
        which are the kernel's. Omit to leave addresses alone.
      - IPv6 addresses are added without duplicate address detection (C(nodad)), so they are usable when the module
        returns; keeping them unique is the caller's part, as with IPv4.
    type: list
    elements: str
  peer_gateway:
    description:
      - Default route inside O(peer_netns) through this address, which must be inside one of O(peer_addresses) of its
        family and must not be one of them (an IPv6 link-local router address, V(fe80::1), is taken as it is).
        Requires O(peer_netns) (the host's own default route is never touched).
      - One address, or a list of one per family (V([172.17.0.1, fd00:db8:1::1])) for an IPv4 and an IPv6 default route.
      - Replaces another default route of that family in that namespace. Omit to leave routes alone.
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: Connect container web01 to docker0 the way docker run does
  hostnet.containers.veth_pair:
    name: veth0a1b2c
    master: docker0
    peer_netns: web01
    peer_name: eth0
    peer_mac: "02:42:ac:11:00:02"
    peer_addresses: [172.17.0.2/16]
    peer_gateway: 172.17.0.1

- name: A dual-stack container end (docker run --ip 172.17.0.3 --ip6 fd00:db8:1::3)
  hostnet.containers.veth_pair:
    name: veth0d4e5f
    master: docker0
    peer_netns: web02
    peer_addresses: [172.17.0.3/16, "fd00:db8:1::3/64"]
    peer_gateway: [172.17.0.1, "fd00:db8:1::1"]

- name: A plain veth pair on the host
  hostnet.containers.veth_pair:
    name: left0
    peer_name: right0
    mtu: 1450

- name: Remove it (both ends)
  hostnet.containers.veth_pair:
    name: veth0a1b2c
    state: absent
'''

RETURN = r'''
foreign_link:
  description: The interface the module refused because the collection has no record of creating it (the run changed nothing).
  returned: when the module fails on such an interface
  type: str
  sample: docker0
name:
  description: Host end name.
  returned: always
  type: str
  sample: veth0a1b2c
peer_name:
  description: Peer end name.
  returned: when state is present
  type: str
  sample: eth0
before:
  description: The pair before the run (null when it did not exist).
  returned: always
  type: dict
  sample: null
after:
  description:
    - The pair after the run (null when absent); in check mode, what a real run would produce.
    - C(peer_gateway) is the IPv4 default route's gateway, C(peer_gateway_v6) the IPv6 one's (null without one).
  returned: always
  type: dict
  sample: {"name": "veth0a1b2c", "master": "docker0", "mtu": 1500, "mac": "96:1e:5c:aa:10:01", "peer_name": "eth0",
           "peer_netns": "web01", "peer_mac": "02:42:ac:11:00:02", "peer_addresses": ["172.17.0.2/16"],
           "peer_gateway": "172.17.0.1", "peer_gateway_v6": null}
commands:
  description: The changes made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create veth veth0a1b2c with peer eth0 in web01", "add 172.17.0.2/16 to eth0 in web01"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _veth_plan


def validate(params):
    """The options normalised, without state (as tests/unit/plugins/modules/test_validate.py calls it; the module itself
    uses _veth_plan.wanted); InputError naming a bad option and its value."""
    want = _veth_plan.wanted(params)
    del want['state']
    return want


def run(module):
    want = _veth_plan.wanted(module.params)
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        plan, before, after = _veth_plan.plan(want, _veth_plan.snapshot(ns, want), _kernel.Links(ns), _veth_plan.Records())
        result = _common.plan_result(module, plan, before, after, name=want['name'])
        if want['state'] == 'present':
            result['peer_name'] = want['peer_name']
        if _common.apply_plan(module, plan, result) and want['state'] == 'present':
            # What the kernel chose (MACs it generated) is only known once it is done.
            snap = _veth_plan.snapshot(ns, want)
            peer = snap['peer'] if _veth_plan.is_pair(want, snap['host'], snap['peer']) else None
            result['after'] = _veth_plan.describe(want, snap, snap['host'], peer)
            if module._diff:  # pylint: disable=protected-access
                result['diff']['after'] = result['after']
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            peer_name=dict(type='str'),
            peer_netns=dict(type='str'),
            master=dict(type='str'),
            mtu=dict(type='int'),
            mac=dict(type='str'),
            peer_mac=dict(type='str'),
            peer_addresses=dict(type='list', elements='str'),
            peer_gateway=dict(type='list', elements='str'),
        ),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
