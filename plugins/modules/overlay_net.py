#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: overlay_net
short_description: One host's part of a multi-host overlay network (VXLAN with static forwarding), without a daemon
version_added: 0.3.0
description:
  - Builds this host's part of an overlay network, one subnet shared by containers on many hosts, as Docker's overlay
    driver does on a swarm node but without Swarm, multicast or a key-value store. Every host of the overlay runs the
    module with the same O(name), O(vni) and O(subnet), its own O(endpoints), the other hosts as O(peers) and their
    containers as O(remote_endpoints). The P(hostnet.containers.overlay_network#role) role computes all of it from the inventory.
  - On the host the network is a bridge network (bridge C(ov-) and 12 hex of the network id, the gateway address, veth
    endpoints, firewall, names, as M(hostnet.containers.docker_bridge)) plus one VXLAN device C(vx-) and 12 hex on the bridge, with
    VNI O(vni), this host's O(underlay_ip) as source on O(underlay_interface), UDP O(port), learning off and ARP proxy on,
    no multicast group.
  - The VXLAN device learns nothing; each run writes static entries, and only the ones that differ from what the device
    has. Per peer an all-zero forwarding entry (broadcast and unknown unicast are copied to every peer); per remote
    container a forwarding entry (its MAC to its host's underlay address) and a neighbour entry (its address to its MAC,
    so the device answers ARP itself). Adding or removing one container anywhere changes one forwarding and one neighbour
    entry on each other host. Entries on the device that are not wanted are removed (the device is the network's).
  - Every host's bridge has the same gateway address with the same MAC (Docker's, from the address), so a container
    leaves the subnet through its own host (masqueraded unless O(ip_masquerade=false) or O(internal=true)).
  - The host's firewall lets UDP O(port) in only from the peers' underlay addresses and drops it from anyone else
    (chain C(HOSTNET-INPUT) from C(INPUT), or the C(input) chain of the nftables C(hostnet) table). On an IPv6 underlay the
    same guard is in ip6tables' C(HOSTNET-INPUT), or the C(input) chain of the collection's own nftables table C(ip6 hostnet6).
  - The underlay may be IPv6 (O(underlay_ip) and every O(peers[].underlay_ip) of one family), whatever the overlay's own
    address families.
  - With O(enable_ipv6=true) the overlay carries IPv6 too (or only, with O(enable_ipv4=false)), as a dual-stack
    M(hostnet.containers.docker_bridge) network. Every host's bridge has the same O(gateway_v6) (anycast, as the IPv4
    gateway), each container an IPv6 address and default route, NAT66 out through its own host, the IPv6 firewall rules of
    a bridge, and the VXLAN device one permanent IPv6 neighbour entry per remote container beside its IPv4 one (its proxy
    answers neighbour solicitations itself). One container added anywhere changes one forwarding, one IPv4 and one IPv6
    neighbour entry on each other host. The MTU is the same as without IPv6.
  - The network's name server answers for the remote containers too, so every container resolves every other one of the
    overlay by name and alias, on every host.
  - The network id, VNI, peers and every address are kept in C(/var/lib/hostnet/networks/NAME.json) (driver C(overlay)),
    so the boot-time restore rebuilds it. The bridge and VXLAN device are the collection's only when that document
    records it; a VXLAN device of the same VNI and port that the collection did not create is refused by name.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
  - hostnet.containers._common.engine
  - hostnet.containers._routes
options:
  name:
    description: Network name (the same on every host).
    type: str
    required: true
  state:
    description: V(absent) removes this host's part (bridge, VXLAN device, rules, state); the other hosts drop it from their O(peers).
    type: str
    choices: [present, absent]
    default: present
  force:
    description: Remove the network even when containers of this host are still connected.
    type: bool
    default: false
  vni:
    description:
      - VXLAN network identifier, 1-16777215, the same on every host. Required when the network does not exist yet on this
        host; the stored one is kept, and a different one is an error. Another overlay of the host with this VNI is an error.
    type: int
  subnet:
    description:
      - IPv4 subnet of the overlay, the same on every host. Required when the network does not exist yet on this host
        (unless O(enable_ipv4=false)).
    type: str
  enable_ipv4:
    description:
      - Give the overlay IPv4. V(false) makes an IPv6-only overlay (O(enable_ipv6=true) needed); then O(subnet),
        O(gateway), O(ip_range), IPv4 O(aux_addresses), O(endpoints[].ip) and O(remote_endpoints[].ip) are errors.
      - In an IPv6-only overlay a container's MAC, and the gateway's, is V(02:42) followed by the last four bytes of its
        IPv6 address (every host computes the same).
      - As in Docker, a network's address families are fixed once it has endpoints.
    type: bool
    default: true
  enable_ipv6:
    description:
      - Give the overlay IPv6, besides IPv4 or alone (O(enable_ipv4=false)), the same on every host.
      - Every IPv6 option given with O(enable_ipv6=false) fails naming the option; so does O(enable_ipv6=true) on a host
        where IPv6 is disabled.
    type: bool
    default: false
  subnet_v6:
    description:
      - IPv6 subnet of the overlay, the same on every host (room for the gateway and one container, /126 or shorter).
        Required with O(enable_ipv6=true) when the network does not exist yet on this host (no per-host pool, as every host
        would choose its own); the P(hostnet.containers.overlay_network#role) role chooses one for the play.
    type: str
  gateway_v6:
    description: IPv6 gateway address, held by the bridge of every host. Default the first address of O(subnet_v6) (C(::1)).
    type: str
  ip_range_v6:
    description: Sub-range (CIDR) automatic IPv6 endpoint addresses are taken from (else O(subnet_v6)).
    type: str
  gateway:
    description: Gateway address, held by the bridge of every host. Default the first address of the subnet.
    type: str
  ip_range:
    description: Sub-range (CIDR) automatic endpoint addresses are taken from.
    type: str
  aux_addresses:
    description: Addresses never handed out, name to address. IPv6 values are the IPv6 pool's (O(enable_ipv6=true) needed).
    type: dict
  mtu:
    description:
      - MTU of the bridge, the VXLAN device and the endpoints. Default the underlay interface's less the VXLAN
        encapsulation, 50 bytes on an IPv4 underlay and 70 on an IPv6 one; never above it. An underlay that leaves less
        than 576 is an error naming O(underlay_interface).
    type: int
  underlay_interface:
    description:
      - The interface that reaches the other hosts. Default the interface of the host's IPv4 default route, or without
        one the interface of its IPv6 default route (an IPv6 underlay).
    type: str
  underlay_ip:
    description:
      - This host's VTEP address, the source of its VXLAN packets and what the peers list for it. Must be an address of
        this host. IPv4, or a global IPv6 address (not link-local) for an IPv6 underlay.
      - Default the first IPv4 address of O(underlay_interface), or without one its first global IPv6 address; when
        O(underlay_interface) comes from the IPv6 default route, that interface's first global IPv6 address.
    type: str
  port:
    description: UDP port of the VXLAN packets (the IANA port by default), the same on every host.
    type: int
    default: 4789
  peers:
    description:
      - The other hosts of the overlay. An entry with this host's own O(underlay_ip) is skipped, so every host may get the
        same list. Omitted, the stored peers are kept.
    type: list
    elements: dict
    suboptions:
      host:
        description: The peer's name, for messages, O(remote_endpoints[].host) and C(network_info). Default its O(peers[].underlay_ip).
        type: str
      underlay_ip:
        description: The peer's VTEP address, of the same family as O(underlay_ip) (a mix is an error naming the entry).
        type: str
        required: true
  remote_endpoints:
    description:
      - The overlay's containers on other hosts. Their addresses are never given to a container of this host.
      - Omitted, the stored ones are kept (but those of hosts no longer among the peers).
    type: list
    elements: dict
    suboptions:
      name:
        description: Container name (not one of this host's containers).
        type: str
        required: true
      ip:
        description: Its IPv4 address, inside O(subnet). Required unless O(enable_ipv4=false).
        type: str
      ipv6_address:
        description: Its IPv6 address, inside O(subnet_v6). Required with O(enable_ipv6=true), an error without.
        type: str
      mac:
        description:
          - Its MAC. Default C(02:42) followed by the IPv4 address bytes (IPv6-only, the last four bytes of the IPv6
            address), as its host gives it.
        type: str
      aliases:
        description: Its extra names on this network.
        type: list
        elements: str
      host:
        description: The peer it runs on, by O(peers[].host) or O(peers[].underlay_ip).
        type: str
        required: true
  endpoints:
    description:
      - This host's containers on the overlay, as for M(hostnet.containers.docker_bridge), without published ports (an
        overlay has no ingress). A missing namespace is created. A run reads and repairs only the endpoints it lists (all when omitted).
    type: list
    elements: dict
    suboptions:
      name:
        description: Container (network namespace) name.
        type: str
        required: true
      ip:
        description: IPv4 address. Omitted, the lowest free one (give it explicitly when several hosts share the subnet; the role does).
        type: str
      ipv6_address:
        description:
          - IPv6 address (O(enable_ipv6=true) needed), inside O(subnet_v6). Omitted, the lowest free one that no remote
            container has (give it explicitly when several hosts share the subnet; the role does).
        type: str
      ifname:
        description: Interface name in the container. Default the next free C(ethN).
        type: str
      mac:
        description: MAC address. Default C(02:42) followed by the IPv4 address bytes (IPv6-only, the last four bytes of the IPv6 address).
        type: str
      aliases:
        description: Extra names of the container on this network.
        type: list
        elements: str
      gw_priority:
        description: Gateway priority of this endpoint, as Docker 28's C(--gw-priority). Omitted, 0.
        type: int
  purge_endpoints:
    description: Disconnect endpoints of this host that are not in O(endpoints).
    type: bool
    default: false
  internal:
    description:
      - No traffic into or out of the subnet through the host (no default route, no masquerade); the containers of all
        hosts still reach each other.
    type: bool
    default: false
  ip_masquerade:
    description: Masquerade traffic of the subnet leaving this host by any other interface (egress through each container's own host).
    type: bool
    default: true
  icc:
    description: Traffic between containers of the same host on this network (V(false) needs bridge netfilter, as for a bridge).
    type: bool
    default: true
  bridge_name:
    description: The bridge's name. Default C(ov-) and 12 hex of the network id; kept once chosen.
    type: str
  firewall_backend:
    description: V(iptables), V(nftables), or V(auto) (iptables where the command exists). Kept for the network.
    type: str
    choices: [auto, iptables, nftables]
    default: auto
  dns:
    description: Name resolution between the overlay's containers on every host, by name and alias (a C(dnsmasq) on the gateway). Default on.
    type: bool
  dns_domain:
    description: The DNS domain of the network's names. Default the network's name then C(.hostnet.internal). Needs O(dns) on.
    type: str
seealso:
  - module: hostnet.containers.docker_bridge
  - module: hostnet.containers.network_info
'''

EXAMPLES = r'''
# The seed's two hosts: host1 10.138.3.130 and host2 10.138.3.131 on ens33. host2 runs the same tasks with its own
# endpoints and web1 as a remote endpoint.
- name: Host1's part of overlay ov1 (web1 here, web2 on host2)
  hostnet.containers.overlay_net:
    name: ov1
    vni: 4097
    subnet: 10.10.0.0/24
    underlay_interface: ens33
    underlay_ip: 10.138.3.130
    peers:
      - host: host1
        underlay_ip: 10.138.3.130
      - host: host2
        underlay_ip: 10.138.3.131
    endpoints:
      - name: web1
        ip: 10.10.0.2
    remote_endpoints:
      - name: web2
        ip: 10.10.0.3
        host: host2

- name: An internal overlay (no egress) on the same hosts, the VTEP address taken from ens33
  hostnet.containers.overlay_net:
    name: backend
    vni: 4098
    subnet: 10.10.1.0/24
    internal: true
    underlay_interface: ens33
    peers:
      - host: host2
        underlay_ip: 10.138.3.131
    endpoints:
      - name: db1
        ip: 10.10.1.2

# Assumes fd00:138::130/64 on ens33 (host2 fd00:138::131).
- name: An overlay on an IPv6 underlay (MTU 1430 on a 1500 underlay; the containers' addresses stay IPv4)
  hostnet.containers.overlay_net:
    name: ov6
    vni: 4099
    subnet: 10.10.2.0/24
    underlay_interface: ens33
    underlay_ip: fd00:138::130
    peers:
      - host: host2
        underlay_ip: fd00:138::131

- name: A dual-stack overlay (host2 runs it with web4 and web3 swapped, and host1 as its peer)
  hostnet.containers.overlay_net:
    name: dual
    vni: 4100
    subnet: 10.10.3.0/24
    enable_ipv6: true
    subnet_v6: fd00:10:3::/64
    underlay_interface: ens33
    peers:
      - host: host2
        underlay_ip: 10.138.3.131
    endpoints:
      - name: web3
        ip: 10.10.3.2
        ipv6_address: fd00:10:3::2
    remote_endpoints:
      - name: web4
        ip: 10.10.3.3
        ipv6_address: fd00:10:3::3
        host: host2

- name: Take this host out of the overlay (the other hosts drop it from their peers)
  hostnet.containers.overlay_net:
    name: ov1
    state: absent
    force: true
'''

RETURN = r'''
foreign_link:
  description: The interface the module refused because the collection has no record of creating it (the run changed nothing).
  returned: when the module fails on such an interface
  type: str
  sample: vxlan100
network:
  description:
    - The network in C(docker network inspect) shape (absent after removal), with C(Peers) as on a swarm node, the VNI
      in C(Options) (C(com.docker.network.driver.overlay.vxlanid_list)) and the containers of the other hosts under C(RemoteContainers).
  returned: when state is present
  type: dict
  sample: {"Name": "ov1", "Driver": "overlay", "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4097"},
           "Peers": [{"Name": "b", "IP": "192.0.2.12"}]}
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
  sample: ["create vxlan vx-0123456789ab (VNI 4097, local 192.0.2.11 dev eth0, port 4789) on ov-0123456789ab",
           "add forwarding entry 02:42:0a:0a:00:03 dst 192.0.2.12 to vx-0123456789ab"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _overlay
from ansible_collections.hostnet.containers.plugins.module_utils import _routes


def run(module):
    _common.run_network(module, _overlay.OverlayNetwork)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            vni=dict(type='int'),
            **_common.ipam_options(),
            underlay_interface=dict(type='str'),
            underlay_ip=dict(type='str'),
            port=dict(type='int', default=_overlay.DEFAULT_PORT),
            peers=dict(type='list', elements='dict', options=dict(
                host=dict(type='str'),
                underlay_ip=dict(type='str', required=True),
            )),
            remote_endpoints=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                ip=dict(type='str'),
                ipv6_address=dict(type='str'),
                mac=dict(type='str'),
                aliases=dict(type='list', elements='str'),
                host=dict(type='str', required=True),
            )),
            endpoints=dict(type='list', elements='dict', options=_common.endpoint_options(ipv6_address=dict(type='str'))),
            purge_endpoints=dict(type='bool', default=False),
            force=dict(type='bool', default=False),
            internal=dict(type='bool', default=False),
            **_routes.argument_spec(),
            ip_masquerade=dict(type='bool', default=True),
            icc=dict(type='bool', default=True),
            bridge_name=dict(type='str'),
            firewall_backend=dict(type='str', default='auto', choices=['auto', 'iptables', 'nftables']),
            dns=dict(type='bool'),
            dns_domain=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
