#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: container
short_description: One container's networking, as docker_container's network options, without a container engine
version_added: 0.3.0
description:
  - The networking half of C(community.docker.docker_container) and C(containers.podman.podman_container) for one
    container, which here is a named network namespace (C(/run/netns/NAME)), that is the networks it is on, its address,
    aliases and MAC on each, its published ports, its network mode, and its C(/etc/netns/NAME) resolver and host name.
  - Joining and leaving networks is declarative. Each network is one the collection manages
    (M(hostnet.containers.docker_bridge) or M(hostnet.containers.macvlan_net)), planned by that network's own engine
    from its stored settings with this one container connected, changed or disconnected and every other container
    of the network left exactly as it is.
  - Everything the run changes (the namespace, every network it touches, the firewall, the name files) is one plan,
    so check mode reports what a real run does, and a failure part-way undoes the whole run.
  - The namespace is created when missing and recorded as the collection's (as M(hostnet.containers.netns) does);
    O(state=absent) disconnects the container from every network and removes the namespace only when the collection
    created it. A namespace the collection did not create is used as it is and never removed.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
  - hostnet.containers._common.engine
options:
  name:
    description: Container name, the network namespace C(/run/netns/NAME).
    type: str
    required: true
  state:
    description:
      - C(present) creates the namespace and connects it as asked (C(docker run), C(docker network connect)).
      - C(absent) disconnects it from every managed network and removes its namespace when the collection created it (C(docker rm -f)).
    type: str
    choices: [present, absent]
    default: present
  network_mode:
    description:
      - V(bridge) (the default) joins O(networks), or the default network V(bridge) when O(networks) is empty, as Docker does.
      - V(host) runs in the host's network stack; the container has no namespace of its own (one the collection made is removed).
      - V(none) is a namespace with C(lo) only.
      - V(container:NAME) shares the namespace of container NAME (a second name of the same namespace).
      - Only V(bridge) takes O(networks) and O(published_ports); V(host) and V(container:NAME) take no O(dns),
        O(dns_search) or O(hostname) (Docker refuses them too).
    type: str
    default: bridge
  networks:
    description:
      - The networks the container is on (C(docker run --network), C(docker network connect)). Each must exist; a name
        the collection does not manage fails naming C(networks[N].name), as Docker's C(network not found).
      - A network the container is on but that is not listed is left as it is, unless O(purge_networks) is set.
      - The container's default route is elected as for every network module (see docs/docker-network.md). Internal
        networks give none; of the others the highest O(networks[].gw_priority) wins, then the network the container
        was connected to first. Networks joined in one run are connected in order of priority, then name; other
        networks give their subnet route only.
    type: list
    elements: dict
    suboptions:
      name:
        description: Network name.
        type: str
        required: true
      ipv4_address:
        description: IPv4 address on the network. Omitted, the address it has, else the lowest free one.
        type: str
      ipv6_address:
        description:
          - IPv6 address on a bridge network with IPv6 (C(--ip6)). Omitted, the address it has, else the lowest free one.
          - On a network without IPv6, or one of another driver, it fails naming the option.
        type: str
      aliases:
        description: Extra names of the container on this network (C(--network-alias)).
        type: list
        elements: str
      mac_address:
        description: MAC address. Omitted, C(02:42) followed by the IPv4 address, as Docker does.
        type: str
      gw_priority:
        description: Docker 28's C(gw-priority) of the endpoint; the highest gives the container its default route.
        type: int
      bandwidth:
        description:
          - Traffic shaping of the container on this network, as O(hostnet.containers.docker_bridge#module:endpoints[].bandwidth)
            (the CNI bandwidth plugin's meaning, C(ingress) into the container and C(egress) out of it; rates in bit/s
            or with a unit such as V(10mbit), bursts in bytes or with a unit such as V(32kb)).
          - On a macvlan network it fails naming the option.
        type: dict
        suboptions:
          ingress_rate:
            description: Rate into the container (V(10mbit), V(500kbit), V(1gbit), or bit/s as an integer).
            type: raw
          ingress_burst:
            description: Bucket size into the container (V(32kb), or bytes as an integer); omitted, the rate's 10 ms, at least 32 KiB.
            type: raw
          egress_rate:
            description: Rate out of the container, as O(networks[].bandwidth.ingress_rate).
            type: raw
          egress_burst:
            description: Bucket size out of the container, as O(networks[].bandwidth.ingress_burst).
            type: raw
      host_ifname:
        description:
          - Name of the endpoint's host end on a bridge network (netavark's C(host_interface_name)), as
            M(hostnet.containers.docker_bridge)'s O(hostnet.containers.docker_bridge#module:endpoints[].host_ifname).
            Omitted, Docker's C(veth) and 7 hex; a change renames the veth in place.
          - A macvlan network has no host end, so it fails naming the option.
        type: str
  purge_networks:
    description: Disconnect the container from the managed networks not in O(networks) (C(docker network disconnect)).
    type: bool
    default: false
  published_ports:
    description:
      - Ports published as C(docker run -p) does, on the container's endpoint of its first bridge network in
        default-route order (macvlan networks publish nothing, as in Docker).
      - Strings in Docker's forms, V(80) (a free host port, kept across reruns), V(8080:80), V(8080:80/udp),
        V(127.0.0.1:8080:80), V(127.0.0.1::80), V(8000-8010:80-90) (ranges of equal length), or dicts with
        C(container_port), C(host_port), C(host_ip) and C(protocol) (V(tcp), V(udp) or V(sctp)).
      - A string Docker would refuse fails with what Docker reads there.
      - "Or dicts in Compose's long syntax, C(target) (required), C(published), C(host_ip), C(protocol), with C(allow_from):
        the CIDRs that may connect, every other source dropped before DNAT (see M(hostnet.containers.docker_bridge)'s
        O(hostnet.containers.docker_bridge#module:endpoints[].publish)). An unknown key is refused."
    type: list
    elements: raw
  dns:
    description: Name servers written to C(/etc/netns/NAME/resolv.conf) (C(--dns)).
    type: list
    elements: str
  dns_search:
    description: Search domains written to C(/etc/netns/NAME/resolv.conf) (C(--dns-search)).
    type: list
    elements: str
  hostname:
    description: Host name written to C(/etc/netns/NAME/hostname) (C(--hostname)).
    type: str
  etc_hosts:
    description:
      - Extra lines of C(/etc/netns/NAME/hosts), host name to address (C(--add-host), community.docker's C(etc_hosts)), as
        the M(hostnet.containers.netns) module's O(hostnet.containers.netns#module:hosts) dict form.
      - The address V(host-gateway) stands for the host's own address on the container's network (the gateway of the
        network giving it its default route, both IPv4 and IPv6 when it has IPv6), as C(--add-host host.docker.internal:host-gateway).
    type: dict
'''

EXAMPLES = r'''
- name: Run web01 on the default network with port 8080 published (docker run -d --name web01 -p 8080:80)
  hostnet.containers.container:
    name: web01
    published_ports:
      - "8080:80"

- name: Run admin with port 9443 reached from the LAN 10.138.3.0/24 only (Compose's long syntax, with allow_from)
  hostnet.containers.container:
    name: admin
    published_ports:
      - target: 443
        published: 9443
        allow_from: [10.138.3.0/24]

- name: Put app on two networks with a fixed address and an alias
  hostnet.containers.container:
    name: app
    networks:
      - name: bridge
      - name: custom_network
        ipv4_address: 172.18.0.10
        aliases: [api]
    dns: [10.138.3.1]
    hostname: app
    etc_hosts:
      host.docker.internal: host-gateway  # the host's address on app's network (docker run --add-host)
  register: app

- name: Show app's address on custom_network, as docker inspect shows it
  ansible.builtin.debug:
    msg: "{{ app.container.NetworkSettings.Networks.custom_network.IPAddress }}"

- name: Keep app on custom_network only (docker network disconnect bridge app)
  hostnet.containers.container:
    name: app
    networks:
      - name: custom_network
        ipv4_address: 172.18.0.10
        aliases: [api]
        host_ifname: hn-app  # the veth on custom_network's bridge (netavark's host_interface_name)
    purge_networks: true

- name: Run sidecar in app's network stack (docker run --network container:app)
  hostnet.containers.container:
    name: sidecar
    network_mode: container:app

- name: Remove app and its namespace (docker rm -f app)
  hostnet.containers.container:
    name: app
    state: absent
'''

RETURN = r'''
container:
  description:
    - The container in C(docker inspect) shape (its network half); null after O(state=absent) or in host mode
      without a namespace.
    - C(NetworkSettings.Networks) has, per network, C(IPAddress), C(IPPrefixLen), C(Gateway), C(MacAddress),
      C(Aliases), C(NetworkID), C(EndpointID), C(GwPriority) and C(DNSNames); C(NetworkSettings.Ports) maps
      C(80/tcp) to its host bindings; C(NetworkSettings.SandboxKey) is the namespace's path.
    - On a network with IPv6, C(GlobalIPv6Address), C(GlobalIPv6PrefixLen) and C(IPv6Gateway) are the container's IPv6
      address, its prefix length and the network's C(gateway_v6), as Docker shows them (V(''), V(0) and V('') on a
      network without IPv6); on an IPv6-only network C(IPAddress) and C(Gateway) are V('') and C(IPPrefixLen) V(0).
  returned: always
  type: dict
  sample:
    Name: /app
    Config: {Hostname: app}
    HostConfig: {NetworkMode: bridge, Dns: [10.138.3.1], DnsSearch: []}
    NetworkSettings:
      SandboxKey: /run/netns/app
      Ports: {"80/tcp": [{HostIp: 0.0.0.0, HostPort: "8080"}]}
      Networks:
        custom_network: {IPAddress: 172.18.0.10, IPPrefixLen: 16, Gateway: 172.18.0.1, MacAddress: "02:42:ac:12:00:0a",
                         Aliases: [api], NetworkID: 0123abcd, EndpointID: 4567ef01, GwPriority: 0,
                         GlobalIPv6Address: "", GlobalIPv6PrefixLen: 0, IPv6Gateway: ""}
before:
  description: The container before the run (its namespace files and its endpoints per network; null when it did not exist).
  returned: always
  type: dict
after:
  description: The container after the run (null when absent).
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
  sample: ["create network namespace app", "connect app to custom_network: eth0 172.18.0.10/16 via veth1a2b3c4"]
foreign_link:
  description: The interface the module refused because the collection has no record of creating it (the run changed nothing).
  returned: when the module fails on such an interface
  type: str
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _container
from ansible_collections.hostnet.containers.plugins.module_utils import _netns


def run(module):
    want = _container.wanted(module.params)
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        job = _container.ContainerJob(want, ns)
        before, after = job.build()
        result = _common.plan_result(module, job.plan, before, after, firewall=job.firewall)
        _common.apply_plan(module, job.plan, result)
        result['container'] = job.inspect(not job.gone)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            network_mode=dict(type='str', default='bridge'),
            networks=dict(type='list', elements='dict', options=dict(
                name=dict(type='str', required=True),
                ipv4_address=dict(type='str'),
                ipv6_address=dict(type='str'),
                aliases=dict(type='list', elements='str'),
                mac_address=dict(type='str'),
                gw_priority=dict(type='int'),
                bandwidth=_bandwidth.ARGUMENT_SPEC,
                host_ifname=dict(type='str'),
            )),
            purge_networks=dict(type='bool', default=False),
            published_ports=dict(type='list', elements='raw'),
            dns=dict(type='list', elements='str'),
            dns_search=dict(type='list', elements='str'),
            hostname=dict(type='str'),
            etc_hosts=dict(type='dict'),
        ),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
