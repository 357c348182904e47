#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: docker_bridge
short_description: Docker-style bridge network with IPAM and endpoints, without a daemon
version_added: 0.2.0
description:
  - Creates a bridge network the way C(docker network create) does, and connects containers (named network
    namespaces) to it the way C(docker run --network) and C(docker network connect) do, in one call for all of them.
  - O(name=bridge) is Docker's default network on device C(docker0) with 172.17.0.0/16.
  - Without O(subnet), a network takes the first free subnet of Docker's default address pools
    (172.17.0.0/16 ... 172.31.0.0/16, then 192.168.0.0/20 steps), skipping every subnet that overlaps a host route,
    a host address or another managed network, so the first custom network gets 172.18.0.0/16.
  - The network id, bridge name, subnet and endpoint addresses are kept in C(/var/lib/hostnet/networks/NAME.json),
    so a rerun after a reboot rebuilds the same network with the same addresses.
  - Firewall behaviour (masquerade, published ports, icc, isolation) is not managed by this release.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
options:
  name:
    description: Network name, as in C(docker network create NAME). V(bridge) is the default network on C(docker0).
    type: str
    required: true
  state:
    description: C(present) creates or repairs the network and its endpoints; C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  bridge_name:
    description: Bridge device (at most 15 bytes). Default C(docker0) for V(bridge), else C(br-) and 12 hex of the network id.
    type: str
  subnet:
    description: IPv4 subnet in CIDR form, network address required. Omitted, the first free pool subnet.
    type: str
  gateway:
    description: Gateway address on the bridge. Default the first address of the subnet.
    type: str
  ip_range:
    description: Sub-range (CIDR) automatic endpoint addresses are taken from.
    type: str
  aux_addresses:
    description: Addresses never handed out, name to address (C(--aux-address)).
    type: dict
  address_pools:
    description: Pools to take the subnet from when O(subnet) is omitted, like the daemon's C(default-address-pools).
    type: list
    elements: dict
  mtu:
    description: MTU of the bridge and the endpoints' veths (68-65535). Default 1500.
    type: int
  stp:
    description: Spanning tree on the bridge.
    type: bool
    default: false
  endpoints:
    description:
      - Containers connected to the network. A missing namespace is created.
      - The container's first network gets its default route; a further network only its subnet route (C(docker network connect)).
    type: list
    elements: dict
    suboptions:
      name:
        description: Container (network namespace) name.
        type: str
        required: true
      ip:
        description: IPv4 address. Omitted, the lowest free address of O(ip_range) (else the subnet).
        type: str
      ifname:
        description: Interface name in the container. Default the next free C(ethN).
        type: str
      mac:
        description: MAC address. Default C(02:42) followed by the four bytes of the IPv4 address, as Docker does.
        type: str
      aliases:
        description: Extra names of the container on this network.
        type: list
        elements: str
  purge_endpoints:
    description: Disconnect endpoints of this network that are not in O(endpoints) (C(docker network disconnect)).
    type: bool
    default: false
  force:
    description: Remove the network even when containers are still connected (they are disconnected first). Without it, refuse, as Docker does.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Docker's default network, docker0 with 172.17.0.0/16, and two containers on it
  hostnet.containers.docker_bridge:
    name: bridge
    endpoints:
      - name: web01
      - name: web02

- name: docker network create custom_network (gets 172.18.0.0/16) with a fixed address
  hostnet.containers.docker_bridge:
    name: custom_network
    endpoints:
      - name: app
        ip: 172.18.0.10
        aliases: [api]

- name: docker network rm custom_network, even with containers attached
  hostnet.containers.docker_bridge:
    name: custom_network
    state: absent
    force: true
'''

RETURN = r'''
network:
  description: The network in C(docker network inspect) shape (absent after removal).
  returned: when state is present
  type: dict
  sample: {"Name": "custom_network", "Driver": "bridge", "IPAM": {"Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]}}
before:
  description: The stored network before the run (null when it did not exist).
  returned: always
  type: dict
after:
  description: The network after the run (null when absent).
  returned: always
  type: dict
commands:
  description: The changes made (or that check mode would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create bridge br-0123456789ab", "add 172.18.0.1/16 to br-0123456789ab"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _netlink
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _store


def run(module):
    with _netlink.Namespaces() as ns:
        with _store.HostLock():
            net = _network.BridgeNetwork(module.params, ns)
            try:
                before, after = net.build()
            except _ipam.IPAMError as exc:
                module.fail_json(msg=str(exc))
            result = _common.plan_result(module, net.plan, before, after)
            _common.apply_plan(module, net.plan, result)
            if net.doc is not None:
                result['network'] = _network.inspect(net.doc)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            bridge_name=dict(type='str'),
            subnet=dict(type='str'),
            gateway=dict(type='str'),
            ip_range=dict(type='str'),
            aux_addresses=dict(type='dict'),
            address_pools=dict(type='list', elements='dict'),
            mtu=dict(type='int'),
            stp=dict(type='bool', default=False),
            endpoints=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                ip=dict(type='str'),
                ifname=dict(type='str'),
                mac=dict(type='str'),
                aliases=dict(type='list', elements='str'),
            )),
            purge_endpoints=dict(type='bool', default=False),
            force=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
