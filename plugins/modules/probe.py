#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: probe
short_description: Check a topology with packets - ping, TCP connect or name lookup from a container or the host
version_added: 0.2.0
description:
  - From a container (a named network namespace) or the host, sends a ping, opens a TCP connection or looks up a
    name, and compares what the network did with O(expect). The task fails when the network disagrees, so a play,
    a Molecule C(verify) or a user can state a topology's connectivity as a list of probes.
  - Read-only; never reports C(changed). Check mode runs the probe as usual.
  - No program is run (no C(ping), C(ip), C(nc) or C(getent)). Ping and TCP happen inside the module's own process;
    each socket is created inside the namespace, so the packets are the container's own, with its addresses, routes
    and firewall.
  - Name lookup is the system resolver's, asked from inside the namespace the way a program run with C(ip netns exec
    NETNS) asks it. A child process enters the namespace and a private mount namespace where
    C(/etc/netns/NETNS/hosts) and C(/etc/netns/NETNS/resolv.conf) (the files the M(hostnet.containers.netns) options
    O(hostnet.containers.netns#module:hosts) and O(hostnet.containers.netns#module:dns) write) cover C(/etc/hosts)
    and C(/etc/resolv.conf), as C(ip netns exec) arranges, and calls the C library's C(getaddrinfo) for the
    families O(family) names (A and AAAA records, hosts file lines of either family). The
    services C(/etc/nsswitch.conf) lists for hosts answer (C(files dns) on Debian), so every hosts file line naming
    the target counts, and otherwise DNS is asked from inside the namespace, with the C(search) domains, C(ndots) and
    CNAMEs handled by the resolver. As with C(ip netns exec), a service that asks a daemon of the host (nscd,
    systemd-resolved's C(resolve)) gets that daemon's answer, made from the host's namespace.
  - IPv4 and IPv6 are probed the same way, with the same options, attempts and verdict; an IPv6 ping is an ICMPv6
    echo request on a raw ICMPv6 socket.
  - With O(probes) instead of O(target), one task runs a list of probes side by side (a verification matrix in one
    module run, as long as its slowest probe rather than the sum of their timeouts), and fails when any of them
    disagrees, returning every result.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._read_only
options:
  netns:
    description:
      - Container (network namespace under C(/run/netns)) to probe from. Omitted, the host's own namespace.
      - A namespace that does not exist is an error.
    type: str
  target:
    description:
      - IPv4 address, IPv6 address or host name to probe. A name is looked up from O(netns) first, as described
        above (the first address of the families O(family) allows is probed); for O(method=ping) and
        O(method=tcp) a name that does not resolve fails the task whatever O(expect) says.
      - An IPv6 address may be written in brackets (V([fd00::1])); the port is always O(port). A link-local IPv6
        address (C(fe80::/10)) needs the interface it is reached over, as V(fe80::1%eth0), the interface of
        O(netns) (or of the host); an interface suffix on any other address is refused.
      - With O(method=resolve), a host name.
      - One of O(target) and O(probes) is required; they are mutually exclusive.
    type: str
  probes:
    description:
      - A list of probes to run in one task, concurrently (on up to 32 threads, each probe from its own namespace
        descriptor), instead of the one O(target) names. The results come back in the order of the list, in
        RV(probes), and the task fails when any probe disagrees with its O(probes[].expect).
      - Each item takes the options of the task. An option an item leaves out (or sets to null) is the task's, so
        the task's O(netns), O(method), O(expect), O(family), O(count), O(timeout) (and their defaults) apply to every
        item that does not say otherwise.
      - Every item is checked, and every namespace looked up, before any probe is sent; a bad item fails the task
        naming the option as V(probes[N].OPTION) (N counts from 0) and the value.
      - A probe that cannot be made (for O(method=ping) or O(method=tcp) a name that does not resolve) fails that
        item with the reason as its RV(probes[].error); the other items still run and report.
    type: list
    elements: dict
    version_added: 0.3.0
    suboptions:
      netns:
        description:
          - As O(netns); defaults to the task's O(netns).
          - An item cannot probe from the host when the task names a namespace (null means the task's); leave the
            task's O(netns) out and name the namespace in the items that need one.
        type: str
      target:
        description: As O(target).
        type: str
        required: true
      method:
        description: As O(method); defaults to the task's O(method).
        type: str
        choices: [ping, tcp, resolve]
      port:
        description: As O(port); defaults to the task's O(port).
        type: int
      expect:
        description: As O(expect); defaults to the task's O(expect).
        type: str
        choices: [reachable, unreachable]
      expect_address:
        description: As O(expect_address); defaults to the task's O(expect_address).
        type: str
      family:
        description: As O(family); defaults to the task's O(family).
        type: str
        choices: [any, ipv4, ipv6]
      count:
        description: As O(count); defaults to the task's O(count).
        type: int
      timeout:
        description: As O(timeout); defaults to the task's O(timeout).
        type: float
      label:
        description:
          - A few words saying what the probe checks (V(c1 to c2 across the hosts)); the item's RV(probes[].msg) starts
            with them, so a failure names the part of the topology that disagrees. Only for items (the task has none).
        type: str
  method:
    description:
      - V(ping) sends ICMP echo requests, ICMPv6 ones to an IPv6 address (a raw socket, as C(ping) does).
      - V(tcp) opens a TCP connection to O(port). A refused connection (the host is there, the port is closed)
        counts as unreachable, with RV(error) C(connection refused).
      - V(resolve) looks O(target) up; reachable means the name resolves.
    type: str
    choices: [ping, tcp, resolve]
    default: ping
  port:
    description: TCP port (1-65535). Required with O(method=tcp), refused with the other methods.
    type: int
  expect:
    description:
      - What the network must do. V(reachable) fails the task when no attempt succeeds; V(unreachable) fails it
        when one does (an isolation check).
    type: str
    choices: [reachable, unreachable]
    default: reachable
  expect_address:
    description:
      - With O(method=resolve) and O(expect=reachable), the IPv4 or IPv6 address O(target) must resolve to (one
        of the addresses, when DNS returns several).
    type: str
  family:
    description:
      - Which addresses a name is looked up for. V(any) asks for both (A and AAAA records) and lists the IPv4
        addresses first, so O(method=ping) and O(method=tcp) probe a name that has both over IPv4, and one that
        has only IPv6 addresses over IPv6; V(ipv4) only A, V(ipv6) only AAAA (to probe a dual-stack name over IPv6).
      - An address O(target) or O(expect_address) of the other family is an error.
    type: str
    choices: [any, ipv4, ipv6]
    default: any
  count:
    description:
      - Number of attempts (1-1000). The probe is reachable as soon as one attempt succeeds, and stops there;
        it is unreachable when all of them fail.
      - Ping and TCP attempts are paced by O(timeout), as C(ping) paces its echoes. An attempt that fails early (a
        refused connection) waits out the rest of its timeout before the next one, so O(count) times O(timeout) is
        how long a service may take to come up.
    type: int
    default: 1
  timeout:
    description:
      - Seconds to wait for each attempt (a reply, a TCP handshake, each DNS answer). More than 0, at most 3600.
      - The resolver counts whole seconds, so each DNS answer is waited for O(timeout) rounded up, at least 1 s; each
        name server is asked once per name tried.
    type: float
    default: 2
seealso:
  - module: hostnet.containers.netns
  - module: hostnet.containers.docker_bridge
'''

EXAMPLES = r'''
# These examples assume docker0 with web01 (172.17.0.2) and web02 (172.17.0.3), and custom_network
# (172.18.0.0/16) with app (172.18.0.2), which runs a web server on port 80, and db01 (172.18.0.3).
- name: Web01 reaches web02 on the default bridge (docker exec web01 ping -c1 172.17.0.3)
  hostnet.containers.probe:
    netns: web01
    target: 172.17.0.3

- name: The host reaches its container
  hostnet.containers.probe:
    target: 172.17.0.2
    count: 3

- name: Containers on two different bridges are isolated
  hostnet.containers.probe:
    netns: web01
    target: 172.18.0.2
    expect: unreachable
    timeout: 1

- name: The web server in app listens on port 80 (by name, from db01's /etc/netns/db01/hosts)
  hostnet.containers.probe:
    netns: db01
    target: app
    method: tcp
    port: 80

- name: Nothing listens on port 5432 there
  hostnet.containers.probe:
    netns: db01
    target: app
    method: tcp
    port: 5432
    expect: unreachable

- name: Db01 resolves to its address inside app
  hostnet.containers.probe:
    netns: app
    target: db01
    method: resolve
    expect_address: 172.18.0.3
  register: db01_lookup

# The IPv6 examples assume docker0 also has fd00:17::1 and fe80::1, web01 fd00:17::2 and web02 fd00:17::3 (a web
# server on port 80 there), and that app's hosts file (/etc/netns/app/hosts) also gives db01 fd00:18::3.
- name: Over IPv6 - a container reaches another's ULA address, and a TCP port on it
  hostnet.containers.probe:
    netns: web01
    target: fd00:17::3
    method: "{{ item.method }}"
    port: "{{ item.port | default(omit) }}"
  loop:
    - method: ping
    - method: tcp
      port: 80

- name: The bridge's link-local address, over the container's eth0
  hostnet.containers.probe:
    netns: web01
    target: fe80::1%eth0

- name: Db01 has an IPv6 address (an AAAA record or an IPv6 hosts file line)
  hostnet.containers.probe:
    netns: app
    target: db01
    method: resolve
    family: ipv6
    expect_address: fd00:18::3

- name: Show where the answer came from
  ansible.builtin.debug:
    msg: "{{ db01_lookup.address }} from {{ db01_lookup.resolved_from }}"

- name: A verification matrix in one task, the probes side by side (from web01 unless an item says otherwise)
  hostnet.containers.probe:
    netns: web01
    probes:
      - target: 172.17.0.3
      - target: app
        netns: db01
        method: tcp
        port: 80
      - target: 172.18.0.2
        expect: unreachable
        timeout: 1
  register: matrix

- name: Each probe's result, in order
  ansible.builtin.debug:
    msg: "{{ matrix.probes | map(attribute='msg') | list }}"
'''

RETURN = r'''
reachable:
  description: Whether the target answered (ping, tcp) or the name resolved (resolve), whatever O(expect) is.
  returned: with target
  type: bool
  sample: true
address:
  description:
    - The address probed (IPv4 or IPv6, a link-local one with its C(%ifname)), or the first address the name
      resolved to; null when it did not resolve.
  returned: with target
  type: str
  sample: 172.17.0.3
addresses:
  description:
    - Every address (of the families O(family) allows) the name resolved to (the hosts file and DNS may give several), in the resolver's order; the
      target address for an address.
  returned: with target
  type: list
  elements: str
  sample: ["172.17.0.3"]
resolved_from:
  description:
    - Where a name was found - the hosts file the namespace sees when it alone gives the answer, else
      C(DNS SERVERS (NAME)) with the name servers its resolv.conf lists and the canonical name; null for an address
      or a name not found.
  returned: with target
  type: str
  sample: /etc/netns/web01/hosts
rtt_ms:
  description:
    - Round-trip time of the successful attempt in milliseconds (ICMP echo, TCP handshake, or the whole lookup);
      null when no attempt succeeded.
  returned: with target
  type: float
  sample: 0.061
attempts:
  description: Number of attempts made (stops at the first success).
  returned: with target
  type: int
  sample: 1
error:
  description: Why the last attempt failed (C(timeout after 2 s), C(connection refused), C(host unreachable ...)); null when reachable.
  returned: with target
  type: str
  sample: timeout after 2 s
msg:
  description:
    - One sentence saying what was probed and what happened.
    - With O(probes), how many probes disagree and the RV(probes[].msg) of each that does, or that all went as
      expected.
  returned: always
  type: str
  sample: "probe from web01 to 172.17.0.3 (ping): reachable as expected (rtt 0.061 ms)"
probes:
  description:
    - With O(probes), one result per probe, in the order of O(probes), each with the keys the single form returns
      (RV(reachable), RV(address), RV(addresses), RV(resolved_from), RV(rtt_ms), RV(attempts), RV(error), RV(msg))
      and what was probed.
    - Returned when the task fails because a probe disagrees, too.
  returned: with probes
  type: list
  elements: dict
  contains:
    reachable:
      description: As RV(reachable).
      type: bool
      sample: true
    address:
      description: As RV(address).
      type: str
      sample: 172.17.0.3
    addresses:
      description: As RV(addresses).
      type: list
      elements: str
      sample: ["172.17.0.3"]
    resolved_from:
      description: As RV(resolved_from).
      type: str
      sample: null
    rtt_ms:
      description: As RV(rtt_ms).
      type: float
      sample: 0.061
    attempts:
      description: As RV(attempts); 0 when the probe could not be made.
      type: int
      sample: 1
    error:
      description: As RV(error), or why the probe could not be made (a name ping or tcp cannot resolve).
      type: str
      sample: null
    msg:
      description: As RV(msg), for this probe.
      type: str
      sample: "probe from web01 to 172.17.0.3 (ping): reachable as expected (rtt 0.061 ms)"
    netns:
      description: The namespace the probe was sent from; null for the host's.
      type: str
      sample: web01
    target:
      description: The probe's target.
      type: str
      sample: 172.17.0.3
    method:
      description: The probe's method.
      type: str
      sample: ping
    expect:
      description: What the probe expected.
      type: str
      sample: reachable
    agrees:
      description: Whether the probe went as expected (and, with O(expect_address), resolved to that address).
      type: bool
      sample: true
    label:
      description: The item's O(probes[].label); null when it has none.
      type: str
      sample: web01 to web02 on the default bridge
'''

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _probe
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_many

# One probe's options, written once: the task has them with DEFAULTS; an item of probes has them with none, so what an
# item leaves out reads as None and is the task's (_probe_many.items), and it must name its target.
OPTIONS = dict(
    netns=dict(type='str'),
    target=dict(type='str'),
    method=dict(type='str', choices=list(_probe.METHODS)),
    port=dict(type='int'),
    expect=dict(type='str', choices=list(_probe.EXPECTS)),
    expect_address=dict(type='str'),
    family=dict(type='str', choices=list(_probe.FAMILIES)),
    count=dict(type='int'),
    timeout=dict(type='float'),
)
DEFAULTS = dict(method='ping', expect='reachable', family='any', count=1, timeout=2.0)
ITEM_SPEC = dict(OPTIONS, target=dict(type='str', required=True), label=dict(type='str'))


def run_many(module):
    """The list form: every item checked, then the probes side by side; fails when any disagrees."""
    try:
        results = _probe_many.run(_probe_many.validate(module.params))
    except (_probe.ProbeError, _kernel.HostnetError) as exc:
        module.fail_json(msg=str(exc))
    agrees, msg = _probe_many.summary(results)
    if not agrees:
        module.fail_json(msg=msg, changed=False, probes=results)
    module.exit_json(msg=msg, changed=False, probes=results)


def run(module):
    try:
        want = _probe.validate(module.params)
        with _probe.Prober(want['netns']) as prober:
            result = _probe.run(want, prober)
        agrees, result['msg'] = _probe.verdict(want, result)
    except (_probe.ProbeError, _kernel.HostnetError) as exc:
        module.fail_json(msg=str(exc))
    if not agrees:
        module.fail_json(**result)
    module.exit_json(**result)


ARGUMENT_SPEC = dict({name: dict(spec, default=DEFAULTS[name]) if name in DEFAULTS else dict(spec) for name, spec in OPTIONS.items()},
                     probes=dict(type='list', elements='dict', options=ITEM_SPEC))
# One target, or a list of probes (whose items may leave out everything but their target).
ONE_OF = [('target', 'probes')]


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, required_one_of=ONE_OF, mutually_exclusive=ONE_OF,
                           supports_check_mode=True)
    if module.params['probes'] is not None:
        run_many(module)
    else:
        run(module)


if __name__ == '__main__':
    main()
