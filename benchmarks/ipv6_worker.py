# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One timed phase of the dual-stack benchmark, or one check, run INSIDE an emulated host.

    python ipv6_worker.py STACK PHASE N      prints one JSON object

benchmarks/ipv6_bench.py starts this through nsenter into a lab host (roles/lab/files/hostnet_lab.py): every namespace,
link, rule and state file below belongs to that host.  STACK is `v4` (the network of benchmarks/worker.py: 10.200.0.0/16,
masquerade, container i publishing host port 20000+i to its port 80) or `dual` (the same with `enable_ipv6`, subnet_v6
fd00:200::/64: every container also gets an IPv6 address and an IPv6 default route, and the firewall's NAT66 masquerade
and the `[::]` twin of every publish).  The firewall backend is iptables, as in bench.py.  Both stacks pass the same
options through docker_bridge's own argument spec (untimed), so the only difference between them is IPv6.

Phases:
  apply | reapply | teardown   the engine in-process (worker.engine_run: plan under the lock, then execute), timed
  profile                      an apply, then a re-apply, under cProfile: {seconds, top: [[function, calls, own s,
                               cumulative s]...], own: [...], reapply: {the same}}
  lab                          IPv6 on the emulated host's lab port (fd00:138::130/64, no DAD), for both stacks alike
  verify-up | verify-down      the state after an apply and after a teardown, for the stack (see the functions)
  clean                        what a teardown leaves by design (worker.clean)
"""

from __future__ import annotations

import cProfile
import ipaddress
import json
import os
import pstats
import socket
import struct
import subprocess
import sys

import worker  # benchmarks/worker.py: the engine's run, the module's argument spec, the IPv4 checks, netlink dumps

SUBNET6 = 'fd00:200::/64'
GATEWAY6 = 'fd00:200::1'
LAB6 = 'fd00:138::130/64'
PROFILE_MIN = 0.002  # the profile keeps the functions with at least this many cumulative seconds
PROFILE_OWN = 30


def options(stack, n, state='present'):
    """docker_bridge's options of the benchmark network: the same for both stacks but for the IPv6 ones."""
    opts = dict(name=worker.NETWORK, state=state, subnet=worker.SUBNET, firewall_backend='iptables', dns=False, force=True)
    if stack == 'dual':
        opts.update(enable_ipv6=True, subnet_v6=SUBNET6)
    if state == 'present':
        opts['endpoints'] = [{'name': worker.name_of(i), 'publish': ['%d:80' % (worker.FIRST_PORT + i)]} for i in range(n)]
    return opts


def params(stack, n, state='present'):
    return worker.module_params(options(stack, n, state))


def run_engine(stack, n, state):
    """One engine run, timed by worker.engine_run (the parameters are validated before the timer starts)."""
    return worker.engine_run(n, state, params(stack, n, state))


def _profiled(prepared, n):
    """One engine run under cProfile: its result, with every function of PROFILE_MIN cumulative seconds or more (`top`,
    by cumulative time) and the PROFILE_OWN first by own time (`own`), as [function, calls, own s, cumulative s]."""
    prof = cProfile.Profile()
    prof.enable()
    res = worker.engine_run(n, 'present', prepared)
    prof.disable()
    stats = pstats.Stats(prof)

    def rows(column):
        order = sorted(stats.stats.items(), key=lambda kv: kv[1][column], reverse=True)
        return [['%s:%d(%s)' % (_short(f), line, name), nc, round(tt, 4), round(ct, 4)] for (f, line, name), (dummy, nc, tt, ct, dummy2) in order]

    return dict(res, top=[row for row in rows(3) if row[3] >= PROFILE_MIN], own=rows(2)[:PROFILE_OWN])


def profile(stack, n):
    """An apply from nothing, then a re-apply (nothing to change), each under cProfile: where their time goes."""
    prepared = params(stack, n)
    apply = _profiled(prepared, n)
    reapply = _profiled(prepared, n)
    if not apply['changed'] or reapply['changed']:
        raise RuntimeError('profile: the apply reported changed=%s, the re-apply changed=%s' % (apply['changed'], reapply['changed']))
    return dict(apply, reapply=reapply)


def _short(path):
    """A profiled function's file without the folders that differ between checkouts and interpreters."""
    for marker in ('/ansible_collections/hostnet/containers/', '/site-packages/', '/dist-packages/', '/lib/python3'):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def lab():
    """Inside the emulated host only: its lab port gets an IPv6 address, without duplicate address detection."""
    worker.run(['sysctl', '-qw', 'net.ipv6.conf.ens33.disable_ipv6=0'])
    worker.run(['ip', '-6', 'addr', 'add', LAB6, 'dev', 'ens33', 'nodad'])
    return {'ok': True}


def _enter(name):
    """A netlink socket in container `name`'s namespace, and eth0's index there."""
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    home = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
    try:
        worker._ok(worker._LIBC.setns(fd, 0x40000000), 'setns')  # pylint: disable=protected-access
        sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
        try:
            eth0 = socket.if_nametoindex('eth0')
        except OSError:
            eth0 = None
    finally:
        worker._ok(worker._LIBC.setns(home, 0x40000000), 'setns')  # pylint: disable=protected-access
        os.close(home)
        os.close(fd)
    return sock, eth0


def container_state6(name):
    """(eth0's global IPv6 addresses as 'addr/len', gateways of eth0's IPv6 default routes) in a container, read
    in-process with worker.py's own netlink decoder (independent of the engine's)."""
    sock, eth0 = _enter(name)
    with sock:
        addrs, gateways = [], []
        if eth0 is None:
            return addrs, gateways
        for data, off, end in worker._dump(sock, 22, family=10):  # pylint: disable=protected-access
            index = struct.unpack_from('=I', data, off + 4)[0]
            attrs = worker._attrs(data, off + 8, end)  # pylint: disable=protected-access
            if index == eth0 and data[off + 3] == 0 and 1 in attrs:  # scope global: not the kernel's fe80::
                addrs.append('%s/%d' % (socket.inet_ntop(socket.AF_INET6, attrs[1]), data[off + 1]))
        for data, off, end in worker._dump(sock, 26, family=10):  # pylint: disable=protected-access
            attrs = worker._attrs(data, off + 12, end)  # pylint: disable=protected-access
            oif = struct.unpack('=I', attrs.get(4, b'\0\0\0\0'))[0]
            if data[off + 1] == 0 and data[off + 4] == 254 and 5 in attrs and oif == eth0:
                gateways.append(socket.inet_ntop(socket.AF_INET6, attrs[5]))
    return addrs, gateways


def _ping6(source, target):
    return subprocess.run(['ip', 'netns', 'exec', source, 'ping', '-6', '-c3', '-i0.2', '-W2', target], capture_output=True,
                          check=False).returncode == 0


def nat6_rules():
    """The IPv6 NAT rules of the host, as ip6tables-save writes them."""
    return worker.run(['ip6tables-save', '-t', 'nat']).splitlines()


def _published6(lines, port, address):
    """A DNAT of host port `port` to [address]:80 among ip6tables-save's `lines`."""
    return any(' --dport %d ' % port in line + ' ' and '--to-destination [%s]:80' % address in line for line in lines)


def verify_v6_up(n):
    """Every container has one global address in SUBNET6 (all different) and its IPv6 default route through GATEWAY6;
    the NAT66 masquerade of SUBNET6 and the [::] twin of every publish are in the firewall; then real packets over
    IPv6: c0 reaches the gateway and the last container."""
    problems, seen = [], {}
    net = ipaddress.ip_network(SUBNET6)
    for i in range(n):
        addrs, gateways = container_state6(worker.name_of(i))
        if len(addrs) != 1 or ipaddress.ip_interface(addrs[0]).network != net:
            problems.append('%s: eth0 has IPv6 %s, not one address in %s' % (worker.name_of(i), addrs, SUBNET6))
            continue
        seen.setdefault(addrs[0].partition('/')[0], []).append(i)
        if gateways != [GATEWAY6]:
            problems.append('%s: IPv6 default routes via %s, not via %s' % (worker.name_of(i), gateways, GATEWAY6))
    problems += ['%s shared by %s' % (a, ', '.join(worker.name_of(i) for i in who)) for a, who in seen.items() if len(who) > 1]
    address = {who[0]: a for a, who in seen.items()}
    rules = nat6_rules()
    problems += ['no IPv6 DNAT of port %d to [%s]:80' % (worker.FIRST_PORT + i, address[i]) for i in sorted(address)
                 if not _published6(rules, worker.FIRST_PORT + i, address[i])]
    if not any('masquerade' in line.lower() and SUBNET6 in line for line in rules):
        problems.append('no NAT66 masquerade of %s' % SUBNET6)
    for target in (GATEWAY6, address.get(n - 1)):
        if target and not _ping6(worker.name_of(0), target):
            problems.append('%s cannot ping %s' % (worker.name_of(0), target))
    return problems


def verify_up(stack, n):
    """worker.py's IPv4 checks (addresses, routes, bridge ports, DNAT, masquerade, pings) for both stacks; for `dual`
    the IPv6 ones as well, and for `v4` that no container has a global IPv6 address (so the two stacks differ in
    IPv6 only)."""
    problems = worker.verify_up(n)['problems']
    if stack == 'dual':
        problems += verify_v6_up(n)
    else:
        problems += ['%s has IPv6 %s on a v4-only network' % (worker.name_of(i), a) for i in range(n)
                     for a in [container_state6(worker.name_of(i))[0]] if a]
    return {'ok': not problems, 'problems': problems[:10]}


def verify_down(stack, n):
    """worker.py's checks (no eth0, no veth, no IPv4 publish left), and no IPv6 publish left."""
    problems = worker.verify_down(n)['problems']
    rules = nat6_rules()
    if any('dport %d ' % (worker.FIRST_PORT + i) in line + ' ' for line in rules for i in range(n)):
        problems.append('IPv6 published ports left in the nat table')
    return {'ok': not problems, 'problems': problems[:10]}


PHASES = {
    'apply': lambda stack, n: run_engine(stack, n, 'present'),
    'reapply': lambda stack, n: run_engine(stack, n, 'present'),
    'teardown': lambda stack, n: run_engine(stack, n, 'absent'),
    'profile': profile,
    'lab': lambda stack, n: lab(),
    'verify-up': verify_up,
    'verify-down': verify_down,
    'clean': lambda stack, n: worker.clean(n),
}


def main(argv):
    stack, phase, n = argv[0], argv[1], int(argv[2])
    os.makedirs(worker.STATE, exist_ok=True)
    print(json.dumps(PHASES[phase](stack, n)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
