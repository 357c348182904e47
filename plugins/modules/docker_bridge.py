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
  - Ownership is recorded, never guessed from a name. The state document records that the network created its bridge
    (C(bridge_created)); a bridge that already exists without that record (the C(docker0) of a running Docker, the
    user's own C(br0)) is refused with an error naming it and the option (O(bridge_name), or O(name) for the default
    network), also in check mode, and nothing changes; teardown deletes only a bridge the record says the network
    created. A document written before C(bridge_created) existed counts as created (only the collection wrote it).
    Likewise an endpoint's host end, container interface or stale link is changed or deleted only when the network's
    endpoint records name it; any other interface in the way is refused by name.
  - An explicit O(subnet) (or the default network's 172.17.0.0/16) that overlaps an address of an interface the
    collection did not create (a running Docker's C(docker0), the uplink) fails naming the subnet and the interface.
  - With O(firewall=true) (the default) the host's firewall gets what Docker installs for the network, reconciled
    with every other managed network in one transaction (iptables C(HOSTNET-*) chains or the nftables C(hostnet) table),
    that is masquerade of the subnet, forwarding, published ports (DNAT, hairpin, 127.0.0.1-only ports), icc, isolation
    between bridges, internal networks. Rules the collection does not own are never touched.
  - The bridge's and the containers' addresses carry their broadcast address as Docker's do (C(brd 172.17.255.255));
    an address an older version made without one is left as it is.
  - Unpublished container ports are closed to other hosts, also to one that routes the subnet through this host, as in
    Docker 28 (O(gateway_mode_ipv4), O(trusted_host_interfaces)).
  - A port published on all addresses answers the host itself on 127.0.0.1 and on each of its addresses, other hosts,
    and containers reaching it through the host's address, as Docker's does; the bridge gets C(route_localnet) for
    the host's 127.0.0.1 connections, and packets from outside addressed to or from 127.0.0.0/8 are dropped (the
    CVE-2020-8558 guard).
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
      - Network name, as in C(docker network create NAME). V(bridge) is the default network on C(docker0).
      - One of O(name) (the single form) and O(networks) (the list form) is required.
    type: str
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
  enable_ipv4:
    description:
      - Give the network IPv4 (C(docker network create --ipv4)). V(false) makes an IPv6-only network (O(enable_ipv6=true)
        needed); then O(subnet), O(gateway), O(ip_range), IPv4 O(aux_addresses) and O(endpoints[].ip) are errors.
      - As in Docker, a network's address families are fixed once it has endpoints.
    type: bool
    default: true
  enable_ipv6:
    description:
      - Give the network IPv6 (C(docker network create --ipv6)), besides IPv4 or alone (O(enable_ipv4=false)).
      - The bridge gets O(gateway_v6) with its prefix length and every endpoint an IPv6 address and, when this network
        gives the container its default route (elected for IPv6 as for IPv4, among the container's networks with IPv6),
        an IPv6 default route. Addresses are added without duplicate address detection (the network's IPAM makes them
        unique), so they are usable when the module returns. The container end gets C(accept_ra) 0 and
        C(disable_ipv6) 0 in its namespace; link-local addresses are the kernel's and never removed.
      - Fails naming O(enable_ipv6) on a host where IPv6 is disabled (no C(/proc/sys/net/ipv6), or
        C(net.ipv6.conf.all.disable_ipv6=1)), before anything changes.
      - Every IPv6 option given with O(enable_ipv6=false) fails naming the option.
    type: bool
    default: false
  subnet_v6:
    description:
      - IPv6 subnet in CIDR form, network address required, with room for the gateway and one endpoint (/126 or
        shorter). Must not overlap another network's.
      - Omitted, the first free /64 of the IPv6 entries of O(address_pools), else of Docker's default pool, a ULA /48
        C(fdXX:XXXX:XXXX::/48) whose 40-bit global ID is the start of the sha256 of the host's C(/etc/machine-id);
        never one overlapping a host IPv6 route or address or another network. Kept across reruns.
    type: str
  gateway_v6:
    description:
      - IPv6 gateway address on the bridge. Default the subnet's first address (C(::1)).
      - Omitted on a network that exists with the same O(subnet_v6), the network keeps the value it has.
    type: str
  ip_range_v6:
    description:
      - Sub-range (CIDR) automatic IPv6 endpoint addresses are taken from (else O(subnet_v6)).
      - Omitted on a network that exists with the same O(subnet_v6), the network keeps the value it has.
    type: str
  gateway_mode_ipv6:
    description:
      - As O(gateway_mode_ipv4), for IPv6 (C(com.docker.network.bridge.gateway_mode_ipv6)).
    type: str
    choices: [nat, nat-unprotected, routed, isolated]
    default: nat
  gateway:
    description:
      - Gateway address on the bridge. Default the first address of the subnet.
      - Omitted on a network that exists with the same subnet, the network keeps the value it has (as Docker keeps a network's IPAM).
    type: str
  ip_range:
    description:
      - Sub-range (CIDR) automatic endpoint addresses are taken from.
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
      - Pools to take the subnet from when O(subnet) is omitted, like the daemon's C(default-address-pools).
      - "IPv6 entries (V({base: fd12:3456::/48, size: 64})) are for O(subnet_v6), the others for O(subnet)."
    type: list
    elements: dict
  mtu:
    description:
      - MTU of the bridge and the endpoints' veths (68-65535).
      - Omitted on a new network, the MTU of the host's default-route interface (the first IPv4 default route of the main
        table, else the first IPv6 one), as netavark 1.16; 1500 when the host has no default route. The value taken is
        stored and reported (C(mtu) of RV(after)); a network that exists keeps its MTU when O(mtu) is omitted.
    type: int
  stp:
    description: Spanning tree on the bridge.
    type: bool
    default: false
  endpoints:
    description:
      - Containers connected to the network. A missing namespace is created.
      - A run reads and repairs only the endpoints it lists (all of them when O(endpoints) is not given). One it does
        not list stays as recorded and is not looked at, as C(docker network connect) leaves the other containers
        alone, so connecting one container costs the same on a network of 1,000 as on a network of 1. List every
        container (the roles and the boot-time restore do) to repair drift anywhere on the network.
      - "The container's default route is elected as Docker 28 does, among every network (bridge or macvlan) it is on:
        an internal network never gives one; of the others the endpoint with the highest O(endpoints[].gw_priority)
        wins, then the one connected first (C(docker network connect) adds only the subnet route). Re-elected when
        the endpoint holding it disconnects; kept when an address changes. A default route that none of the
        container's networks gave is left alone."
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
      ipv6_address:
        description:
          - IPv6 address (O(enable_ipv6=true) needed), inside O(subnet_v6), not its gateway, an aux address or another
            endpoint's. Omitted, the lowest free address of O(ip_range_v6) (else O(subnet_v6)), kept across reruns.
        type: str
      ifname:
        description: Interface name in the container. Default the next free C(ethN).
        type: str
      host_ifname:
        description:
          - Name of the endpoint's host end, the veth on the bridge (netavark's C(host_interface_name)); at most 15 bytes,
            a valid interface name. Default C(veth) followed by 7 hex of the endpoint id, as Docker names it.
          - It must not be the name of another endpoint's host end or of a network's device, and not of a link the host
            already has that the collection did not make (refused before anything changes, the link left alone).
          - A change renames the host end in place, the veth staying on the bridge and the container's end untouched
            (the kernel renames a link only while it is down, so the veth is set down, renamed and set up again, the
            container's traffic pauses for that moment). The network's document records the new name, so the
            collection keeps owning it. No firewall rule of the collection names a veth, so none changes.
        type: str
      mac:
        description: MAC address. Default C(02:42) followed by the four bytes of the IPv4 address, as Docker does.
        type: str
      aliases:
        description: Extra names of the container on this network.
        type: list
        elements: str
      gw_priority:
        description:
          - Gateway priority of this endpoint, as Docker 28's C(docker network connect --gw-priority); any integer,
            negative too. The container's default route goes through the network whose endpoint has the highest.
          - Omitted, 0.
        type: int
      bandwidth:
        description:
          - Traffic shaping of this endpoint, as the CNI bandwidth plugin's C(ingressRate), C(ingressBurst),
            C(egressRate), C(egressBurst); C(ingress) is the
            traffic into the container, C(egress) the traffic out of it.
          - Each direction with a rate is a token bucket filter (C(tbf) qdisc, latency 25 ms, as CNI) at the root of
            one end of the veth, set through netlink (C(RTM_NEWQDISC)); ingress on the host end (what the host sends to
            the container), egress on the container end (what the container sends; for a veth pair the egress of one
            end is the ingress of the other, the traffic CNI redirects to an C(ifb) device). A process that is root
            in the container's namespace can remove the egress one.
          - Changing it replaces only the qdiscs; removing it (or a direction) deletes the collection's tbf and the
            link goes back to its default qdisc. A rerun reads the qdiscs back and changes nothing when they match.
          - Not for macvlan networks (no host end to shape).
        type: dict
        suboptions:
          ingress_rate:
            description:
              - Rate into the container, in bit/s as an integer, or a number with a unit as C(tc) writes it,
                V(bit), V(kbit), V(mbit), V(gbit), V(tbit) (powers of 1000), V(kibit)... V(tibit) (powers of 1024),
                V(bps), V(kbps), V(mbps), V(gbps) (bytes per second), for example V(10mbit), V(500kbit), V(1gbit).
              - At most 34359738360 bit/s (tbf's 32-bit byte rate).
            type: raw
          ingress_burst:
            description:
              - Bucket size into the container, in bytes as an integer or a number with a unit, V(b), V(kb) or V(k),
                V(mb) or V(m), V(gb) or V(g) (powers of 1024, as C(tc)), V(kbit), V(mbit), V(gbit), for example V(32kb).
              - At least one frame of the network (MTU + 14). Omitted, what the rate sends in 10 ms, at least 32 KiB.
              - Only with O(endpoints[].bandwidth.ingress_rate).
            type: raw
          egress_rate:
            description: As O(endpoints[].bandwidth.ingress_rate), for the traffic out of the container.
            type: raw
          egress_burst:
            description: As O(endpoints[].bandwidth.ingress_burst), for the traffic out of the container.
            type: raw
      publish:
        description:
          - Published ports as in C(docker run -p), for example V(80) (a free host port from C(ip_local_port_range),
            returned and kept across reruns), V(8080:80), V(127.0.0.1::80) (only the host reaches it),
            V(10.138.3.130:20022:22), each with an optional V(/udp) or V(/sctp).
          - A host port already published or listened on fails with a message naming it.
          - When a publish changes or goes, or an endpoint is disconnected or readdressed, the conntrack entries of its
            old flows are deleted after the new rules are in place (as Docker does), so a UDP flow follows the new
            mapping at once; when the kernel refuses, the run warns and the old flows keep it until their entries expire.
          - The host address must be one the host has (on any of its interfaces, or the gateway of this network), a
            loopback address or V(0.0.0.0); any other fails before anything changes, in check mode too, as Docker
            refuses to start such a container.
          - IPv6 host addresses go in brackets, V([2001:db8::5]:8080:80), V([::]:8080:80) (every IPv6 address of the
            host), and need O(enable_ipv6=true); they reach the container's IPv6 address.
          - The host reaches a TCP port published on V([::]) (an omitted host address's IPv6 entry included) or on
            V([::1]) (V([::1]:8080:80), which only the host reaches) at V([::1]:PORT) through a userland proxy per
            port, C(systemd-socket-proxyd) (from the C(systemd) package), as Docker's C(docker-proxy) does, since the
            kernel does not forward IPv6 loopback to a container. It runs under systemd (C(hostnet-proxy@NET-PORT.service)) when
            systemd runs the host and the unit is installed, else detached; it is started and stopped with the
            publish, and C(hostnet-restore) starts it at boot. V([::1]) with V(/udp) or V(/sctp) is refused (the
            proxy relays TCP only). Not in O(gateway_mode_ipv6=routed), where no host port is mapped.
          - Without a host address, on a network with O(enable_ipv6=true), a publish binds V(0.0.0.0) and V([::]) with
            one host port, as Docker does (two entries in RV(published)); on an IPv6-only network only V([::]). An
            explicit IPv4 or IPv6 host address binds that family only; V(0.0.0.0:80) and V([::]:80) do not conflict.
          - "A publish may also be a dict in Compose's long syntax, C(target) (the container port or range, required),
            C(published) (the host port or range; omitted, a free one), C(host_ip) and C(protocol) (V(tcp), V(udp),
            V(sctp)), with C(allow_from): a list of CIDRs (IPv4 and IPv6; an address alone is its /32 or /128) that
            may connect. A new connection to the host port from any other source is dropped before DNAT (mangle
            PREROUTING), from the LAN and from a container through hairpin alike; the host's own connections are not
            limited (it reaches the container's address anyway). The container port reached without the host port
            (O(gateway_mode_ipv4=routed), O(trusted_host_interfaces)) takes the same sources only. A family the
            publish binds with no CIDR of its own in C(allow_from) is closed to every source of it; none at all is
            refused. Changing C(allow_from) deletes the publish's conntrack entries, so no flow of a source it no
            longer allows lives on. An unknown key, or no C(target), is refused."
        type: list
        elements: raw
  icc:
    description:
      - Inter-container communication on this bridge (C(com.docker.network.bridge.enable_icc)). V(false) drops traffic
        between containers of the bridge; that traffic crosses the bridge at layer 2, so it needs bridge netfilter
        (C(net.bridge.bridge-nf-call-iptables), turned on by the module; without the br_netfilter kernel module it fails).
    type: bool
    default: true
  ip_masquerade:
    description: Masquerade traffic of the subnet leaving by any other interface (C(com.docker.network.bridge.enable_ip_masquerade)).
    type: bool
    default: true
  internal:
    description: No traffic into or out of the subnet through the host (C(docker network create --internal)); no masquerade, no published ports.
    type: bool
    default: false
  host_ipv4:
    description:
      - The host address the network's traffic leaving the host takes as its source (C(com.docker.network.host_ipv4)), by
        SNAT to it instead of the masquerade (which takes the address of the interface the packet leaves by), for example
        a second address of the uplink that the LAN's firewall knows. Answers, published ports and hairpin are unchanged.
      - It must be an IPv4 address the host has (on any interface), checked before anything changes, also in check mode;
        an IPv6 value, a loopback or multicast address, or one on a network without masquerade (O(internal=true),
        O(ip_masquerade=false), O(gateway_mode_ipv4=routed)) is refused naming the option and the value. At boot,
        C(hostnet-restore) puts the rule back even when the address has not come yet (DHCP).
      - Changing it replaces only that rule. Flows already open keep the source they started with until their
        conntrack entries expire. Omitted, the masquerade.
    type: str
  host_ipv6:
    description:
      - As O(host_ipv4), for the network's IPv6 traffic (C(com.docker.network.host_ipv6), Docker 28), SNAT instead of the
        NAT66 masquerade; needs O(enable_ipv6=true) and an IPv6 address of the host (not link-local); with
        O(gateway_mode_ipv6=routed) refused.
    type: str
  gateway_mode_ipv4:
    description:
      - How the network meets the outside world (C(com.docker.network.bridge.gateway_mode_ipv4), Docker 28).
      - V(nat) (Docker's default) masquerades the subnet and reaches published ports through the host's addresses. Everything
        else is closed to other hosts, also to a neighbour that routes the subnet through this host (direct routing). Packets
        from outside addressed to a container are dropped in the raw table before any NAT. The forward filter drops whatever
        enters the bridge from outside and is neither an answer nor a published port. Only the host itself and the network's
        own containers reach its unpublished ports. With O(ip_masquerade=false) the raw drop is left out, because the answers
        to the containers' own connections come back addressed to them.
      - V(nat-unprotected) is NAT and masquerade as V(nat), with direct routing allowed to every port (Docker 27's behaviour).
      - V(routed) has no masquerade and no DNAT. Containers are reached at their own addresses, from other hosts that route
        the subnet through this host and from the other bridges, on their published container ports and by ICMP only. The
        host port of a publish is not used.
      - V(isolated) needs O(internal=true) and gives the bridge no address, so not even the host is on the network.
    type: str
    choices: [nat, nat-unprotected, routed, isolated]
    default: nat
  trusted_host_interfaces:
    description:
      - Host interfaces from which the containers' published ports may be reached directly at the container addresses,
        in V(nat) mode (C(com.docker.network.bridge.trusted_host_interfaces), Docker 28.2). Unpublished ports stay closed.
      - The bridge_network role has a default for all its networks, O(hostnet.containers.bridge_network#role:main:bridge_network_trusted_host_interfaces).
    type: list
    elements: str
  host_binding_ipv4:
    description:
      - Host address published ports bind to when their C(publish) string names none (C(com.docker.network.bridge.host_binding_ipv4)).
      - Like an address in C(publish), it must be one the host has, or V(0.0.0.0), once a publish uses it.
    type: str
    default: 0.0.0.0
  userland_proxy:
    description:
      - Answer the network's TCP ports published on the IPv6 wildcard (V([::]:8080:80), and the IPv6 entry of V(8080:80)
        on a network with O(enable_ipv6)) on V([::1]) from the host too, through a userland proxy per port
        (systemd's C(systemd-socket-proxyd), as Docker's C(docker-proxy) with its daemon's C(userland-proxy)).
        The kernel cannot forward a connection from IPv6 loopback, so only a proxy answers there.
      - V(false) (the default) leaves a V(::) publish to the kernel alone, as Docker with C(userland-proxy) off, and
        starts no process; a port published on V([::1]) explicitly gets its proxy either way. IPv4 publishes never
        need one (the host's V(127.0.0.1) is forwarded by the kernel, see O(endpoints[].publish)).
    type: bool
    default: false
  ip_forward:
    description:
      - Turn on C(net.ipv4.ip_forward) while a network needs it (the daemon's C(--ip-forward)). The value it had before is
        restored when the last network that needed it is removed.
    type: bool
    default: true
  firewall:
    description: Manage firewall rules for this network. V(false) leaves the firewall alone, like the daemon's C(--iptables=false).
    type: bool
    default: true
  firewall_backend:
    description:
      - V(iptables) writes C(HOSTNET-*) chains with C(iptables-restore --noflush); V(nftables) writes the C(ip hostnet) table
        with one C(nft) transaction, each container's published ports and address as elements of its sets and maps.
        V(auto) picks iptables where the command exists, else nftables. The choice is kept for the network.
    type: str
    choices: [auto, iptables, nftables]
    default: auto
  dns:
    description:
      - Name resolution between the network's containers, by name and alias (A and PTR records), served by a name server
        of the network (C(dnsmasq)) listening on the gateway address in the host's namespace; every other name is
        forwarded to the host's own resolvers (nothing on an O(internal) network). Containers' C(/etc/netns/NAME/resolv.conf)
        name it, with the network's O(dns_domain) as search domain. A container's name and aliases must then be DNS names,
        one container per name, and port 53 on the gateway must be free. See C(docs/name-resolution.md).
      - Default on for user-defined networks and off for V(bridge), as in Docker (V(true) gives the default network a name
        server too). Off on an O(unmanaged) network, where V(true) is refused.
    type: bool
  dns_domain:
    description:
      - The DNS domain of the network's names (C(web.NETWORK.hostnet.internal)), and the search domain of its containers.
        Default the network's name, lowercased with characters a DNS label cannot hold replaced by C(-), then C(.hostnet.internal);
        kept for the network once chosen. Needs O(dns) on.
    type: str
  purge_endpoints:
    description: Disconnect endpoints of this network that are not in O(endpoints) (C(docker network disconnect)).
    type: bool
    default: false
  force:
    description: Remove the network even when containers are still connected (they are disconnected first). Without it, refuse, as Docker does.
    type: bool
    default: false
  foreign_bridge:
    description:
      - What a new network does when its bridge already exists and the collection has no record of creating it (the
        C(docker0) of a running Docker for V(bridge), the user's own O(bridge_name)).
      - V(fail) refuses it, naming it in the error and in RV(foreign_link), and changes nothing.
      - V(leave) leaves it, and the network with it, alone; the run changes nothing for the network, warns, and
        returns the bridge in RV(foreign_link). A network asked to have O(endpoints) is still refused (its containers
        would need the bridge). The P(hostnet.containers.bridge_network#role) role's default C(auto) for the default
        network is this.
    type: str
    choices: [fail, leave]
    default: fail
  unmanaged:
    description:
      - Attach the containers to an existing bridge of the host that the user owns (a C(br0) enslaving the LAN NIC), as
        netavark's C(mode=unmanaged) and libvirt's C(forward mode='bridge'), so that the containers sit on the LAN beside the host.
      - O(bridge_name) (the existing bridge) and O(subnet) (the LAN's; O(subnet_v6) with O(enable_ipv6)) are required;
        O(gateway) is the LAN router (default the subnet's first address), which is never given to the bridge. Addresses
        are static (O(endpoints[].ip)) or allocated from O(subnet), or from O(ip_range) to keep out of the DHCP server's
        range; the host's own addresses on the bridge are never given to a container. Each container's default route
        goes via O(gateway). The network has the bridge's MTU (another O(mtu) is refused, as a bridge takes the lowest
        MTU of its ports).
      - The collection adds no address to the bridge, no NAT and no firewall rule of any kind for the network, and never
        changes or deletes the bridge (the document records C(bridge_created=false)); removing the network removes only
        its endpoints. The host reaches the containers through its own address on the bridge (unlike macvlan).
      - O(dns) is off, as the name server needs an address of the network on the bridge; O(dns=true), O(dns_domain),
        O(endpoints[].publish), O(internal), O(icc=false), O(userland_proxy), O(host_ipv4), O(host_ipv6),
        O(trusted_host_interfaces) and a gateway mode other than V(nat) are refused, naming the option. So are a
        bridge that does not exist or is not a bridge, and changing O(unmanaged) on an existing network.
      - The bridge should have a fixed MAC address (systemd-networkd, NetworkManager and ifupdown's C(hwaddress) give
        it one), as a bridge without one takes the lowest MAC of its ports, which a new veth may change.
    type: bool
    default: false
  networks:
    description:
      - Many networks in one call (the list form), each item with the options of the single form; the single form's
        options are then not given at the top level. One module run builds every network of a host (the
        P(hostnet.containers.bridge_network#role) role makes one such call), under one lock.
      - The items apply in list order, each planned once against the host as the items before it left it (in check
        mode, the networks the earlier items plan stand in for them, so a later network does not take the subnet an
        earlier one picks). A network listed twice is refused, naming both indexes.
      - An item that is refused (bad input, an interface in the way) or fails part-way undoes what every earlier
        item changed, so the host is as before the call; the error names the item (C(networks[1].subnet ...)).
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
      bridge_name:
        description: As O(bridge_name).
        type: str
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
      gateway_mode_ipv6:
        description: As O(gateway_mode_ipv6).
        type: str
        choices: [nat, nat-unprotected, routed, isolated]
        default: nat
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
      stp:
        description: As O(stp).
        type: bool
        default: false
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
          host_ifname:
            description: As O(endpoints[].host_ifname).
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
          publish:
            description: As O(endpoints[].publish).
            type: list
            elements: raw
          bandwidth:
            description: As O(endpoints[].bandwidth).
            type: dict
            suboptions:
              ingress_rate: {description: "As O(endpoints[].bandwidth.ingress_rate).", type: raw}
              ingress_burst: {description: "As O(endpoints[].bandwidth.ingress_burst).", type: raw}
              egress_rate: {description: "As O(endpoints[].bandwidth.egress_rate).", type: raw}
              egress_burst: {description: "As O(endpoints[].bandwidth.egress_burst).", type: raw}
      icc:
        description: As O(icc).
        type: bool
        default: true
      ip_masquerade:
        description: As O(ip_masquerade).
        type: bool
        default: true
      internal:
        description: As O(internal).
        type: bool
        default: false
      host_ipv4:
        description: As O(host_ipv4).
        type: str
      host_ipv6:
        description: As O(host_ipv6).
        type: str
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
      gateway_mode_ipv4:
        description: As O(gateway_mode_ipv4).
        type: str
        choices: [nat, nat-unprotected, routed, isolated]
        default: nat
      trusted_host_interfaces:
        description: As O(trusted_host_interfaces).
        type: list
        elements: str
      host_binding_ipv4:
        description: As O(host_binding_ipv4).
        type: str
        default: 0.0.0.0
      userland_proxy:
        description: As O(userland_proxy).
        type: bool
        default: false
      ip_forward:
        description: As O(ip_forward).
        type: bool
        default: true
      firewall:
        description: As O(firewall).
        type: bool
        default: true
      firewall_backend:
        description: As O(firewall_backend).
        type: str
        choices: [auto, iptables, nftables]
        default: auto
      dns:
        description: As O(dns).
        type: bool
      dns_domain:
        description: As O(dns_domain).
        type: str
      purge_endpoints:
        description: As O(purge_endpoints).
        type: bool
        default: false
      force:
        description: As O(force).
        type: bool
        default: false
      foreign_bridge:
        description: As O(foreign_bridge).
        type: str
        choices: [fail, leave]
        default: fail
      unmanaged:
        description: As O(unmanaged).
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

- name: Create custom_network with a fixed address (docker network create custom_network gets 172.18.0.0/16)
  hostnet.containers.docker_bridge:
    name: custom_network
    endpoints:
      - name: app
        ip: 172.18.0.10
        aliases: [api]

- name: A container on custom_network limited to 10 Mbit/s each way (the CNI bandwidth plugin's options)
  hostnet.containers.docker_bridge:
    name: custom_network
    endpoints:
      - name: limited
        bandwidth:
          ingress_rate: 10mbit
          ingress_burst: 32kb
          egress_rate: 10mbit
          egress_burst: 32kb

- name: Publish ports on the default bridge with the iptables backend (docker run -p 8080:80 -p 127.0.0.1::80)
  hostnet.containers.docker_bridge:
    name: bridge
    firewall_backend: iptables
    endpoints:
      - name: web02
        publish: ["8080:80"]
      - name: web04
        publish: ["127.0.0.1::80"]
  register: bridge

- name: The host port Docker would show for web04
  ansible.builtin.debug:
    msg: "{{ bridge.published.web04 }}"

- name: Port 8443 of web03 open to the LAN 10.138.3.0/24 only, in Compose's long syntax with allow_from
  hostnet.containers.docker_bridge:
    name: bridge
    endpoints:
      - name: web03
        publish:
          - target: 443
            published: 8443
            allow_from: [10.138.3.0/24]

- name: An internal network without icc
  hostnet.containers.docker_bridge:
    name: backend
    internal: true
    icc: false
    endpoints:
      - name: db

- name: A routed network (no NAT) whose container answers on port 80 at its own address, and only there
  hostnet.containers.docker_bridge:
    name: routed_net
    subnet: 192.0.2.0/24
    gateway_mode_ipv4: routed
    endpoints:
      - name: web
        publish: ["80"]

- name: A nat network whose published ports are also reached directly from the VPN interface wg0
  hostnet.containers.docker_bridge:
    name: mynet
    trusted_host_interfaces: [wg0]
    endpoints:
      - name: api
        publish: ["8081:80"]

- name: A network whose containers reach the LAN from the host's 10.138.3.130 (-o com.docker.network.host_ipv4=10.138.3.130)
  hostnet.containers.docker_bridge:
    name: egress
    host_ipv4: 10.138.3.130
    endpoints:
      - name: worker

- name: A dual-stack network (docker network create --ipv6 --subnet fd00:db8:1::/64 dual)
  hostnet.containers.docker_bridge:
    name: dual
    enable_ipv6: true
    subnet_v6: fd00:db8:1::/64
    endpoints:
      - name: web01
      - name: web02
        ipv6_address: fd00:db8:1::20

- name: An IPv6-only network with a subnet from Docker's default ULA pool
  hostnet.containers.docker_bridge:
    name: v6only
    enable_ipv4: false
    enable_ipv6: true
    endpoints:
      - name: app01

- name: The host end of web01's veth is called hn-web01 (netavark's host_interface_name); a new name renames it in place
  hostnet.containers.docker_bridge:
    name: named_ends
    subnet: 10.79.1.0/24
    endpoints:
      - name: web01
        host_ifname: hn-web01

- name: Extra routes in every container (podman --route), and no default route from this network (no_default_route)
  hostnet.containers.docker_bridge:
    name: routed_lab
    subnet: 10.78.0.0/24
    no_default_route: true
    routes:
      - destination: 192.168.60.0/24
        gateway: 10.78.0.254
      - destination: 198.51.100.0/24  # on-link, through the container's interface on the network
        metric: 50
    endpoints:
      - name: tool01

- name: Containers on the host's own LAN bridge br0 (which the host has), outside the DHCP range, routed by the LAN router
  hostnet.containers.docker_bridge:
    name: lan
    unmanaged: true
    bridge_name: br0
    subnet: 10.138.3.0/24
    gateway: 10.138.3.2
    ip_range: 10.138.3.192/27
    endpoints:
      - name: nas01
      - name: printer01
        ip: 10.138.3.200

- name: Remove custom_network even with containers attached (docker network rm custom_network)
  hostnet.containers.docker_bridge:
    name: custom_network
    state: absent
    force: true

- name: Every network of the host in one run (the list form); a bad item changes nothing, not even the earlier items
  hostnet.containers.docker_bridge:
    networks:
      - name: front
        endpoints:
          - name: web01
            publish: ["8090:80"]
      - name: back
        internal: true
        endpoints:
          - name: web01
          - name: db01
      - name: old
        state: absent
        force: true
  register: all_networks

- name: The published ports, per container
  ansible.builtin.debug:
    msg: "{{ all_networks.networks | map(attribute='published', default={}) | combine(list_merge='append') }}"
'''

RETURN = r'''
foreign_link:
  description:
    - The interface the module refused because the collection has no record of creating it (the run changed nothing).
    - With O(foreign_bridge=leave), the bridge it left alone with its network (in the list form, in that item's result).
  returned: when the module fails on such an interface, or leaves it alone
  type: str
  sample: docker0
network:
  description: The network in C(docker network inspect) shape (absent after removal).
  returned: when state is present, in the single form
  type: dict
  sample: {"Name": "custom_network", "Driver": "bridge", "IPAM": {"Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"}]}}
before:
  description:
    - The stored network before the run (null when it did not exist).
    - In the list form, a dict of network name to that.
  returned: always
  type: dict
after:
  description:
    - The network after the run (null when absent).
    - Its C(mtu) is the MTU the network has (taken from the host's default-route interface when O(mtu) was omitted on
      a new network).
    - In the list form, a dict of network name to that.
  returned: always
  type: dict
published:
  description: Published ports per container, in C(docker port) notation.
  returned: when state is present, in the single form
  type: dict
  sample: {"web04": ["127.0.0.1:32768->80/tcp"], "web05": ["0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp"]}
networks:
  description: One result per item of O(networks), in list order.
  returned: in the list form (O(networks))
  type: list
  elements: dict
  contains:
    name:
      description: The network's name.
      type: str
      sample: front
    changed:
      description: Whether the run changed this network (its bridge, endpoints, rules or state).
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
    firewall:
      description: As RV(firewall), for this network's step of the firewall.
      type: dict
    network:
      description: As RV(network).
      type: dict
      returned: when the item's state is present
    published:
      description: As RV(published).
      type: dict
      returned: when the item's state is present
firewall:
  description:
    - Per firewall backend whose rules the run changed, the lines the collection owned before and after.
    - In the list form, before the first item and after the last.
  returned: always
  type: dict
  sample: {"iptables": {"before": [], "after": ["nat -A HOSTNET-POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"]}}
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

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _routes


def published(doc):
    return {'published': {n: [_ports.format_publish(e) for e in ep.get('publish') or []]
                          for n, ep in sorted(doc['endpoints'].items()) if ep.get('publish')}}


def run(module):
    _common.run_network(module, _bridge.BridgeNetwork, published)


def main():
    spec, exclusive, one_of = _common.network_spec(
        bridge_name=dict(type='str'),
        **_common.ipam_options(**_dhcp.argument_spec()),
        gateway_mode_ipv6=dict(type='str', default='nat', choices=['nat', 'nat-unprotected', 'routed', 'isolated']),
        address_pools=dict(type='list', elements='dict'),
        stp=dict(type='bool', default=False),
        endpoints=dict(type='list', elements='dict',
                       options=_common.endpoint_options(publish=dict(type='list', elements='raw'), ipv6_address=dict(type='str'),
                                                        bandwidth=_bandwidth.ARGUMENT_SPEC, host_ifname=dict(type='str'))),
        icc=dict(type='bool', default=True),
        ip_masquerade=dict(type='bool', default=True),
        internal=dict(type='bool', default=False),
        host_ipv4=dict(type='str'),
        host_ipv6=dict(type='str'),
        **_routes.argument_spec(),
        gateway_mode_ipv4=dict(type='str', default='nat', choices=['nat', 'nat-unprotected', 'routed', 'isolated']),
        trusted_host_interfaces=dict(type='list', elements='str'),
        host_binding_ipv4=dict(type='str', default='0.0.0.0'),
        userland_proxy=dict(type='bool', default=False),
        ip_forward=dict(type='bool', default=True),
        firewall=dict(type='bool', default=True),
        firewall_backend=dict(type='str', default='auto', choices=['auto', 'iptables', 'nftables']),
        dns=dict(type='bool'),
        dns_domain=dict(type='str'),
        purge_endpoints=dict(type='bool', default=False),
        force=dict(type='bool', default=False),
        foreign_bridge=dict(type='str', default='fail', choices=['fail', 'leave']),
        unmanaged=dict(type='bool', default=False),
    )
    module = AnsibleModule(argument_spec=spec, mutually_exclusive=exclusive, required_one_of=one_of, supports_check_mode=True)
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
