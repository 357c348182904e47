# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Concurrency: two runs at once on one host both end correct (the host-wide flock in /run/lock serialises them),
and a lock left by a run killed with SIGKILL does not block the next one (the kernel drops an flock with its holder).
"""

from __future__ import annotations

import collections
import re
import threading
import time

import conftest
import reliability as R


def second_view(host, tmp_path):
    """Another Host object on the same emulated host, with its own folder: two threads never share an arguments file."""
    folder = tmp_path / 'second'
    folder.mkdir(exist_ok=True)
    return conftest.Host(host.lab, host.name, host.collection_path, str(folder))


def at_once(*calls):
    """Run (host, module, params) calls in threads started together; their results and end times, in order."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def worker(i, host, module, params):
        start.wait()
        res = host.module(module, **params)
        results[i] = (res, time.monotonic())

    threads = [threading.Thread(target=worker, args=(i,) + call) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    return results


def owned_rules(host):
    return [ln for ln in host.run('iptables-save').stdout.splitlines() if 'HOSTNET' in ln and not ln.startswith(':')]


def container_addresses(host):
    """Every IPv4 address of every container namespace."""
    out = []
    for ns in host.run('ls /run/netns').stdout.split():
        out += re.findall(r'inet (\S+)', host.run(['ip', '-n', ns, '-4', '-o', 'addr', 'show', 'scope', 'global']).stdout)
    return out


def assert_consistent(host):
    """Nothing duplicated: addresses, rules (jumps from built-in chains included), subnets of the networks."""
    addrs = container_addresses(host)
    assert len(addrs) == len(set(addrs)), collections.Counter(addrs)
    rules = owned_rules(host)
    dupes = [r for r, n in collections.Counter(rules).items() if n > 1]
    assert not dupes, dupes
    docs = [d for p, d in R.state_docs(host).items() if '/networks/' in p]
    subnets = [d['subnet'] for d in docs]
    assert len(subnets) == len(set(subnets)), subnets
    for doc in docs:
        ips = [e['ip'] for e in doc['endpoints'].values()]
        assert len(ips) == len(set(ips)), doc


def eps(prefix):
    return [{'name': '%s%d' % (prefix, i), 'publish': ['80']} for i in range(4)]


def test_two_networks_applied_at_once(host, tmp_path):
    # Both networks take their subnet from the default pools: without the lock both would pick 172.18.0.0/16.
    (ra, dummy), (rb, dummy2) = at_once((host, 'docker_bridge', {'name': 'neta', 'endpoints': eps('a')}),
                                        (second_view(host, tmp_path), 'docker_bridge', {'name': 'netb', 'endpoints': eps('b')}))
    R.ok(ra)
    R.ok(rb)
    assert {ra['network']['IPAM']['Config'][0]['Subnet'], rb['network']['IPAM']['Config'][0]['Subnet']} == \
        {'172.18.0.0/16', '172.19.0.0/16'}
    assert_consistent(host)
    # Eight automatic host ports, all different.
    ports = [p for r in (ra, rb) for ps in r['published'].values() for p in ps]
    assert len(ports) == 8 and len({p.split('->')[0] for p in ports}) == 8, ports
    for name, ep in (('neta', eps('a')), ('netb', eps('b'))):
        again = R.ok(host.module('docker_bridge', name=name, endpoints=ep))
        assert not again['changed'], again['commands']


def test_one_network_extended_by_two_runs_at_once(host, tmp_path):
    R.ok(host.module('docker_bridge', name='shared', endpoints=[{'name': 'base'}]))
    first = [{'name': 'base'}] + [{'name': 'x%d' % i} for i in range(3)]
    second = [{'name': 'base'}] + [{'name': 'y%d' % i} for i in range(3)]
    (r1, dummy), (r2, dummy2) = at_once((host, 'docker_bridge', {'name': 'shared', 'endpoints': first}),
                                        (second_view(host, tmp_path), 'docker_bridge', {'name': 'shared', 'endpoints': second}))
    R.ok(r1)
    R.ok(r2)
    assert_consistent(host)
    doc = R.state_docs(host)['/var/lib/hostnet/networks/shared.json']
    assert sorted(doc['endpoints']) == ['base', 'x0', 'x1', 'x2', 'y0', 'y1', 'y2']
    # Every container reaches every other one: the addresses are real and unique on the bridge.
    assert host.netns_run('x0', 'ping -c1 -W2 %s' % doc['endpoints']['y2']['ip']).returncode == 0
    again = R.ok(host.module('docker_bridge', name='shared', endpoints=first + second[1:]))
    assert not again['changed'], again['commands']


def test_the_lock_serialises_runs(host, tmp_path):
    """A run slowed down while it holds the lock makes a second run wait for it (the second one ends after it)."""
    other = second_view(host, tmp_path)
    results = {}

    def slow():
        # 1.5 s of delay on the 3rd netlink request: the lock is taken before the first one.
        dummy, res = R.traced_module(host, 'docker_bridge', inject='sendto:delay_enter=1500000:when=3', name='slow',
                                     endpoints=[{'name': 's1'}])
        results['slow'] = (res, time.monotonic())

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.8)  # the slow run is inside its delay, holding the lock
    fast = R.ok(other.module('docker_bridge', name='fast', endpoints=[{'name': 'f1'}]))
    fast_end = time.monotonic()
    thread.join(60)
    slow_res, slow_end = results['slow']
    R.ok(slow_res)
    assert fast_end > slow_end, 'the second run did not wait for the lock'
    # The lock made them take turns: 'fast' saw 'slow' and took the next subnet.
    assert slow_res['network']['IPAM']['Config'][0]['Subnet'] == '172.18.0.0/16'
    assert fast['network']['IPAM']['Config'][0]['Subnet'] == '172.19.0.0/16'
    assert_consistent(host)


def test_a_killed_run_leaves_no_lock_behind(host):
    # A run killed while it holds the lock (at its 5th netlink request, part-way through building the network).
    dummy, res = R.traced_module(host, 'docker_bridge', inject='sendto:signal=KILL:when=5', name='net', endpoints=[{'name': 'c1'}])
    assert res is None, 'the run was not killed'
    assert host.run('test -e /run/lock/hostnet.lock').returncode == 0
    # The lock file is still there but nobody holds it: flock -n takes it at once, and the next run goes through.
    assert host.run(['flock', '-n', '/run/lock/hostnet.lock', 'true'], check=False).returncode == 0
    started = time.monotonic()
    R.ok(host.module('docker_bridge', name='net', endpoints=[{'name': 'c1'}]))
    assert time.monotonic() - started < 30
    # A live holder does block (so the check above means something): a run waits while `flock` holds the lock.
    holder = host.lab.command(host.name, ['flock', '/run/lock/hostnet.lock', 'sleep', '2'])
    proc = conftest.subprocess.Popen(holder)
    try:
        time.sleep(0.5)
        started = time.monotonic()
        again = R.ok(host.module('docker_bridge', name='net', endpoints=[{'name': 'c1'}, {'name': 'c2'}]))
        assert time.monotonic() - started > 1.0 and again['changed']
    finally:
        proc.wait(10)
