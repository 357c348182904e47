#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: macvlan_net
short_description: Docker-style macvlan network and its endpoints, without a daemon
version_added: 0.2.0
description:
  - Creates a macvlan network the way C(docker network create -d macvlan) does and connects containers (named network
    namespaces) to it, in one call for all of them. Each endpoint is a macvlan child of O(parent), created directly inside
    the container's namespace with its name, MAC address and MTU.
  - Containers on the same segment reach each other across hosts. The host cannot reach its own containers through
    the parent (the kernel passes no traffic between a macvlan parent and its children); O(host_shim) adds a host-side
    macvlan child with an address in the subnet so it can.
  - The network is kept in C(/var/lib/hostnet/networks/NAME.json) with the bridge networks, so subnets never overlap
    and M(hostnet.containers.network_info) lists both kinds.
  - Only interfaces the network's document records are changed or deleted, never one guessed from its name; a host shim
    name or a container interface name held by an interface the network did not create is refused with an error
    naming it, and nothing changes.
  - Addresses (endpoints and the host shim) carry their broadcast address as Docker's do (C(brd 10.0.0.255)); an
    address an older version made without one is left as it is.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
  - hostnet.containers._common.engine
  - hostnet.containers._routes
  - hostnet.containers._dhcp
options:
  name:
    description:
      - Network name, as in C(docker network create -d macvlan NAME).
      - One of O(name) (the single form) and O(networks) (the list form) is required.
    type: str
  state:
    description: C(present) creates or repairs the network and its endpoints; C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  parent:
    description:
      - Host interface the endpoints are macvlan children of (C(-o parent=ens33)).
      - A missing C(ens33.10) style name is created as an 802.1q VLAN link on C(ens33) and removed with the last
        network that uses it; on a kernel without 802.1q support the module fails saying so, in check mode too and
        before anything changes (whether the kernel can make one is read from C(/proc/net/vlan), C(/sys/module/8021q)
        and the running kernel's C(modules.dep), without making one).
      - Omitted, the network is internal, on a parent of its own that never leaves the host (one end of a veth pair,
        as the kernel may lack the dummy driver Docker uses).
    type: str
  mode:
    description:
      - Macvlan mode. V(bridge) lets endpoints on one parent talk; V(private) forbids it; V(vepa) sends their traffic
        to the switch (which must hairpin it back); V(passthru) gives the parent to a single endpoint.
      - In V(passthru) the endpoint and the parent share one MAC, the endpoint's (as Docker sets it); the parent's own
        MAC is recorded in the network's document before it changes and given back when the endpoint or the network goes.
    type: str
    choices: [bridge, private, vepa, passthru]
    default: bridge
  subnet:
    description: IPv4 subnet in CIDR form. Omitted, the first free subnet of Docker's default address pools.
    type: str
  enable_ipv4:
    description:
      - Give the network IPv4. V(false) makes an IPv6-only network (O(enable_ipv6=true) needed); then O(subnet),
        O(gateway), O(ip_range), IPv4 O(aux_addresses), O(endpoints[].ip) and O(host_shim.ip) are errors.
      - As in Docker, a network's address families are fixed once it has endpoints.
    type: bool
    default: true
  enable_ipv6:
    description:
      - Give the network IPv6 (C(docker network create -d macvlan --ipv6)), besides IPv4 or alone (O(enable_ipv4=false)).
      - Every endpoint gets an IPv6 address, added without duplicate address detection (the network's IPAM makes it
        unique on the segment) so it is usable when the module returns, and, when this network gives the container
        its default route (elected for IPv6 as for IPv4), an IPv6 default route through O(gateway_v6). The endpoint
        gets C(accept_ra) 0 and C(disable_ipv6) 0 in its namespace, so router advertisements on the segment add no
        address or route the network does not know; link-local addresses are the kernel's and never removed.
      - Fails naming O(enable_ipv6) on a host where IPv6 is disabled (no C(/proc/sys/net/ipv6), or
        C(net.ipv6.conf.all.disable_ipv6=1)), before anything changes. Every IPv6 option given with
        O(enable_ipv6=false) fails naming the option.
    type: bool
    default: false
  subnet_v6:
    description:
      - IPv6 subnet of the segment in CIDR form, network address required, /126 or shorter. Must not overlap another
        network's.
      - Omitted, the first free /64 of the IPv6 entries of O(address_pools), else of Docker's default ULA pool (from the
        host's C(/etc/machine-id), so two hosts choose different ones; give it when several hosts share the segment).
    type: str
  gateway_v6:
    description:
      - The segment's IPv6 router (outside the host; the collection adds this address nowhere, as O(gateway)). Default
        the subnet's first address (C(::1)).
      - Omitted on a network that exists with the same O(subnet_v6), the network keeps the value it has.
    type: str
  ip_range_v6:
    description:
      - Sub-range (CIDR) automatic IPv6 endpoint addresses are taken from (else O(subnet_v6)).
      - Omitted on a network that exists with the same O(subnet_v6), the network keeps the value it has.
    type: str
  gateway:
    description:
      - Gateway of the segment (a router outside the host). Default the first address of the subnet.
      - Omitted on a network that exists with the same subnet, the network keeps the value it has (as Docker keeps a network's IPAM).
    type: str
  ip_range:
    description:
      - Sub-range (CIDR) automatic endpoint addresses are taken from (C(--ip-range)).
      - Omitted on a network that exists with the same subnet, the network keeps the value it has (as Docker keeps a network's IPAM).
    type: str
  aux_addresses:
    description:
      - Addresses never handed out, name to address (C(--aux-address)).
      - Omitted on a network that exists with the same subnet, the network keeps the value it has (as Docker keeps a network's IPAM). Give V({}) to drop them.
      - IPv6 values are the IPv6 pool's (O(enable_ipv6=true) needed), the others the IPv4 pool's.
    type: dict
  address_pools:
    description:
      - Pools to take the subnet from when O(subnet) is omitted.
      - "IPv6 entries (V({base: fd12:3456::/48, size: 64})) are for O(subnet_v6), the others for O(subnet)."
    type: list
    elements: dict
  mtu:
    description: MTU of the endpoints. Default the parent's; never above it.
    type: int
  endpoints:
    description:
      - Containers connected to the network. A missing namespace is created.
      - A run reads and repairs only the endpoints it lists (all of them when O(endpoints) is not given). One it does
        not list stays as recorded and is not looked at, as C(docker network connect) leaves the other containers
        alone, so connecting one container costs the same on a network of 1,000 as on a network of 1. List every
        container (the roles and the boot-time restore do) to repair drift anywhere on the network.
      - The default route is elected among a container's networks (see O(endpoints[].gw_priority)).
    type: list
    elements: dict
    suboptions:
      name:
        description: Container (network namespace) name.
        type: str
        required: true
      ip:
        description: IPv4 address, anywhere in the subnet but the gateway and aux addresses. Omitted, the lowest free address of O(ip_range).
        type: str
      ipv6_address:
        description:
          - IPv6 address (O(enable_ipv6=true) needed), inside O(subnet_v6), not its gateway, an aux address or another
            endpoint's. Omitted, the lowest free address of O(ip_range_v6) (else O(subnet_v6)), kept across reruns.
        type: str
      ifname:
        description: Interface name in the container. Default the next free C(ethN).
        type: str
      mac:
        description:
          - MAC address. Default C(02:42) followed by the IPv4 address bytes (on an IPv6-only network, by four bytes of
            the endpoint id).
          - Must differ from the MAC of every other endpoint on the same parent (of this or another macvlan network), of the
            host's macvlan interfaces on it and, but with O(mode=passthru), of the parent itself, as the kernel requires; checked
            before anything changes.
        type: str
      aliases:
        description: Extra names of the container on this network.
        type: list
        elements: str
      gw_priority:
        description:
          - Gateway priority of this endpoint, as Docker 28's C(--gw-priority); any integer, negative too. Of a
            container's networks (bridge or macvlan) that give a gateway (not internal ones, such as a macvlan
            network without a parent), the highest gives its default route, then the one connected first.
          - Omitted, 0.
        type: int
  purge_endpoints:
    description: Disconnect endpoints of this network that are not in O(endpoints).
    type: bool
    default: false
  force:
    description: Remove the network even when containers are still connected. Without it, refuse, as Docker does.
    type: bool
    default: false
  host_shim:
    description:
      - A host-side macvlan child (mode bridge) on the parent with an address in the subnet, so the host and its
        containers reach each other. The subnet's route goes through it.
      - With O(enable_ipv6), it has an IPv6 address in O(subnet_v6) too (NODAD, C(accept_ra) 0), and the route to
        O(subnet_v6) goes through it.
    type: dict
    suboptions:
      enabled:
        description: Whether the shim exists.
        type: bool
        default: true
      name:
        description: Interface name. Default C(mvs-) and 10 hex of the network id.
        type: str
      ip:
        description: The shim's address. Omitted, allocated like an endpoint's (give it explicitly when several hosts share the segment).
        type: str
      ipv6_address:
        description: The shim's IPv6 address (O(enable_ipv6=true)). Omitted, allocated like an endpoint's.
        type: str
  networks:
    description:
      - Many networks in one call (the list form), each item with the options of the single form; the single form's
        options are then not given at the top level. One module run makes every macvlan network of a host (the
        P(hostnet.containers.macvlan_network#role) role makes one such call), under one lock.
      - The items apply in list order, each planned once against the host as the items before it left it (in check
        mode, the networks the earlier items plan stand in for them). A network listed twice is refused, naming both
        indexes.
      - An item that is refused (bad input, a missing parent, an interface in the way) or fails part-way undoes what
        every earlier item changed, so the host is as before the call; the error names the item
        (C(networks[1].parent ...)).
      - An empty list is a no-op (C(changed=false)).
    type: list
    elements: dict
    suboptions:
      name:
        description: As O(name) (each network listed once).
        type: str
        required: true
      state:
        description: As O(state).
        type: str
        choices: [present, absent]
        default: present
      parent:
        description: As O(parent).
        type: str
      mode:
        description: As O(mode).
        type: str
        choices: [bridge, private, vepa, passthru]
        default: bridge
      subnet:
        description: As O(subnet).
        type: str
      enable_ipv4:
        description: As O(enable_ipv4).
        type: bool
        default: true
      enable_ipv6:
        description: As O(enable_ipv6).
        type: bool
        default: false
      subnet_v6:
        description: As O(subnet_v6).
        type: str
      gateway_v6:
        description: As O(gateway_v6).
        type: str
      ip_range_v6:
        description: As O(ip_range_v6).
        type: str
      gateway:
        description: As O(gateway).
        type: str
      ip_range:
        description: As O(ip_range).
        type: str
      aux_addresses:
        description: As O(aux_addresses).
        type: dict
      address_pools:
        description: As O(address_pools).
        type: list
        elements: dict
      mtu:
        description: As O(mtu).
        type: int
      endpoints:
        description: As O(endpoints).
        type: list
        elements: dict
        suboptions:
          name:
            description: As O(endpoints[].name).
            type: str
            required: true
          ip:
            description: As O(endpoints[].ip).
            type: str
          ipv6_address:
            description: As O(endpoints[].ipv6_address).
            type: str
          ifname:
            description: As O(endpoints[].ifname).
            type: str
          mac:
            description: As O(endpoints[].mac).
            type: str
          aliases:
            description: As O(endpoints[].aliases).
            type: list
            elements: str
          gw_priority:
            description: As O(endpoints[].gw_priority).
            type: int
      purge_endpoints:
        description: As O(purge_endpoints).
        type: bool
        default: false
      force:
        description: As O(force).
        type: bool
        default: false
      routes:
        description: As O(routes).
        type: list
        elements: dict
        suboptions:
          destination:
            description: As O(routes[].destination).
            type: str
            required: true
          gateway:
            description: As O(routes[].gateway).
            type: str
          metric:
            description: As O(routes[].metric).
            type: int
            default: 100
      no_default_route:
        description: As O(no_default_route).
        type: bool
        default: false
      ipam_driver:
        description: As O(ipam_driver).
        type: str
        choices: [default, dhcp]
        default: default
      dhcp_timeout:
        description: As O(dhcp_timeout).
        type: int
        default: 30
      host_shim:
        description: As O(host_shim).
        type: dict
        suboptions:
          enabled:
            description: As O(host_shim.enabled).
            type: bool
            default: true
          name:
            description: As O(host_shim.name).
            type: str
          ip:
            description: As O(host_shim.ip).
            type: str
          ipv6_address:
            description: As O(host_shim.ipv6_address).
            type: str
'''

EXAMPLES = r'''
- name: The seed - docker network create -d macvlan --subnet=10.0.0.0/24 --ip-range=10.0.0.32/28 --gateway=10.0.0.254 -o parent=ens33 macnet
  hostnet.containers.macvlan_net:
    name: macnet
    parent: ens33
    subnet: 10.0.0.0/24
    ip_range: 10.0.0.32/28
    gateway: 10.0.0.254
    endpoints:
      - name: c1
        ip: 10.0.0.100

- name: The same, and the host reaches its containers through a shim
  hostnet.containers.macvlan_net:
    name: macnet
    parent: ens33
    subnet: 10.0.0.0/24
    ip_range: 10.0.0.32/28
    gateway: 10.0.0.254
    host_shim:
      ip: 10.0.0.250
    endpoints:
      - name: c1
        ip: 10.0.0.100

- name: Dual stack - docker network create -d macvlan --ipv6 --subnet fd00:10::/64 ... -o parent=ens33 macnet6
  hostnet.containers.macvlan_net:
    name: macnet6
    parent: ens33
    subnet: 10.0.1.0/24
    enable_ipv6: true
    subnet_v6: fd00:10::/64
    gateway_v6: fd00:10::fffe
    host_shim:
      ip: 10.0.1.250
      ipv6_address: fd00:10::250
    endpoints:
      - name: c1
        ipv6_address: fd00:10::100

- name: Containers reach 192.168.99.0/24 through a router of the LAN, not through the segment's gateway
  hostnet.containers.macvlan_net:
    name: macnet
    parent: ens33
    subnet: 10.0.0.0/24
    ip_range: 10.0.0.32/28
    gateway: 10.0.0.254
    host_shim:
      ip: 10.0.0.250
    routes:
      - destination: 192.168.99.0/24
        gateway: 10.0.0.253
    endpoints:
      - name: c1
        ip: 10.0.0.100

- name: Remove it, disconnecting its containers
  hostnet.containers.macvlan_net:
    name: macnet
    state: absent
    force: true

- name: Several networks in one run (the list form); a bad item changes nothing, not even the earlier items
  hostnet.containers.macvlan_net:
    networks:
      - name: macnet6
        state: absent
        force: true
      - name: front
        parent: ens33
        subnet: 10.0.2.0/24
        endpoints:
          - name: c2
'''

RETURN = r'''
foreign_link:
  description: The interface the module refused because the collection has no record of creating it (the run changed nothing).
  returned: when the module fails on such an interface
  type: str
  sample: docker0
network:
  description: The network in C(docker network inspect) shape (absent after removal).
  returned: when state is present, in the single form
  type: dict
  sample: {"Name": "macnet", "Driver": "macvlan", "Options": {"parent": "ens33", "macvlan_mode": "bridge"}}
before:
  description:
    - The stored network before the run (null when it did not exist).
    - In the list form, a dict of network name to that.
  returned: always
  type: dict
after:
  description:
    - The network after the run (null when absent).
    - In the list form, a dict of network name to that.
  returned: always
  type: dict
networks:
  description: One result per item of O(networks), in list order.
  returned: in the list form (O(networks))
  type: list
  elements: dict
  contains:
    name:
      description: The network's name.
      type: str
      sample: macnet
    changed:
      description: Whether the run changed this network.
      type: bool
    before:
      description: As RV(before) of the single form.
      type: dict
    after:
      description: As RV(after) of the single form.
      type: dict
    commands:
      description: This network's changes, in order.
      type: list
      elements: str
    network:
      description: As RV(network).
      type: dict
      returned: when the item's state is present
commands:
  description: The changes made (or that check mode would make), in order.
  returned: always
  type: list
  elements: str
  sample: ["create network namespace c1", "connect c1 to macnet: eth0 10.0.0.100/24 (macvlan bridge on ens33)"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp
from ansible_collections.hostnet.containers.plugins.module_utils import _macvlan
from ansible_collections.hostnet.containers.plugins.module_utils import _routes


def run(module):
    _common.run_network(module, _macvlan.MacvlanNetwork)


def main():
    spec, exclusive, one_of = _common.network_spec(
        parent=dict(type='str'),
        mode=dict(type='str', default='bridge', choices=list(_macvlan.MODES)),
        **_common.ipam_options(**_dhcp.argument_spec()),
        address_pools=dict(type='list', elements='dict'),
        endpoints=dict(type='list', elements='dict', options=_common.endpoint_options(ipv6_address=dict(type='str'))),
        purge_endpoints=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
        **_routes.argument_spec(),
        host_shim=dict(type='dict', options=dict(
            enabled=dict(type='bool', default=True),
            name=dict(type='str'),
            ip=dict(type='str'),
            ipv6_address=dict(type='str'),
        )),
    )
    module = AnsibleModule(argument_spec=spec, mutually_exclusive=exclusive, required_one_of=one_of, supports_check_mode=True)
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
