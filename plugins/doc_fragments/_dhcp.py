# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Addresses from the LAN's DHCP server (macvlan_net, docker_bridge with unmanaged; _dhcp.py, docs/dhcp.md).
    DOCUMENTATION = r'''
options:
  ipam_driver:
    description:
      - Who gives the endpoints their IPv4 addresses. V(default), the collection, from O(subnet) (Docker's default IPAM).
      - V(dhcp), the LAN's own DHCP server (netavark's DHCP proxy, CNI's C(dhcp) IPAM plugin), for a macvlan network
        with a C(parent), or a bridge network with C(unmanaged=true). Each endpoint runs its own client
        (busybox's C(udhcpc), in the container's namespace; under the unit C(hostnet-dhcp@NETWORK:CONTAINER.service)
        where systemd runs the host and the unit is installed by the C(host_requirements) role, else started by the
        module itself, detached), which leases the address, its prefix, the router and the name servers, sends the
        container name as host name and a client identifier made of the network and container names, renews the lease,
        and releases it (DHCPRELEASE) when the endpoint is removed. A rerun, a restart of the client or a reboot asks
        for the recorded address again, so the endpoint keeps its lease.
      - The lease's router becomes the container's default route when the container has none or has it through this
        interface (not with O(no_default_route)); its name servers the container's C(/etc/netns/CONTAINER/resolv.conf)
        when that file is absent or was written by the client. The lease is recorded in
        C(/var/lib/hostnet/dhcp/NETWORK:CONTAINER.json) and shown by M(hostnet.containers.network_info).
      - The collection never allocates from such a network. O(subnet) and O(gateway) are optional; when given, a lease
        outside the subnet or with another router fails the run. O(endpoints[].ip), O(ip_range), O(aux_addresses),
        O(address_pools), IPv6 (O(enable_ipv6)) and a gateway in O(routes) (the extra routes are on-link there, as a
        container has no address until its lease comes) are refused, naming the option, before anything changes.
      - Fixed when the network is created; a change fails naming O(ipam_driver).
    type: str
    choices: [default, dhcp]
    default: default
  dhcp_timeout:
    description:
      - With O(ipam_driver=dhcp), how many seconds a new endpoint's client has to obtain its first lease. When no server
        answers in time, the run fails naming the network and the parent interface (or bridge), and everything it did is
        undone.
    type: int
    default: 30
'''
