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

import pytest

import conftest
import reliability as R

pytestmark = pytest.mark.once  # the host-wide lock; the requests are those of the modules' own tests: see conftest.py


def second_view(host, tmp_path):
    """Another Host object on the same emulated host, with its own folder: two threads never share an arguments file."""
    folder = tmp_path / 'second'
    folder.mkdir(exist_ok=True)
    return conftest.Host(host.lab, host.name, host.collection_path, str(folder))


def at_once(*calls):
    """Run (host, module, params) calls in threads started together; their results, in order."""
    results = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def worker(i, host, module, params):
        start.wait()
        res = host.module(module, **params)
        results[i] = res

    threads = [threading.Thread(target=worker, args=(i,) + call) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    return results


def owned_rules(host):
    """The collection's iptables rules, each with its table: the jump from PREROUTING is in raw and in nat."""
    out, table = [], None
    for ln in host.run('iptables-save').stdout.splitlines():
        if ln.startswith('*'):
            table = ln[1:]
        elif 'HOSTNET' in ln and not ln.startswith(':'):
            out.append('%s %s' % (table, ln))
    return out


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
    ra, rb = at_once((host, 'docker_bridge', {'name': 'neta', 'endpoints': eps('a')}),
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
    r1, r2 = at_once((host, 'docker_bridge', {'name': 'shared', 'endpoints': first}),
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
    """A run stopped while it holds the lock makes a second run wait for it, proven by state, not by the clock: the
    first run is frozen inside its protected section (SIGSTOP at its 3rd netlink request; the lock is taken before
    the first), the second is seen finding the lock taken (its own trace), and once the first goes on, the second one's
    result holds what the first one had written (it took the next free subnet)."""
    other = second_view(host, tmp_path)
    results = {}

    def slow():
        results['slow'] = R.traced_module(host, 'docker_bridge', inject='sendto:signal=STOP:when=3', name='slow',
                                          endpoints=[{'name': 's1'}])[1]

    trace = str(tmp_path / 'fast.trace')

    def fast():
        results['fast'] = R.traced_module(other, 'docker_bridge', trace=trace, syscalls=('flock',), name='fast',
                                          endpoints=[{'name': 'f1'}])[1]

    slow_thread = threading.Thread(target=slow)
    slow_thread.start()
    fast_thread = holder = None
    try:
        holder = conftest.wait_until(
            lambda: [p for p in conftest.lock_holders(host) if conftest.process_state(host, p) == 't'],
            'the first run stopped while it holds the lock')[0]
        fast_thread = threading.Thread(target=fast)
        fast_thread.start()
        conftest.wait_until(lambda: conftest.found_the_lock_taken(trace), 'the second run finding the lock taken')
        assert 'fast' not in results, 'the second run ended while the first one held the lock: %r' % results['fast']
    finally:
        # Let the first run go on in any case, so that neither thread outlives the test.
        if holder is not None:
            host.run(['kill', '-CONT', str(holder)], check=False)
        slow_thread.join(300)
        if fast_thread is not None:
            fast_thread.join(300)
    slow_res, fast_res = R.ok(results['slow']), R.ok(results['fast'])
    # The lock made them take turns: 'fast' saw what 'slow' had written and took the next subnet.
    assert slow_res['network']['IPAM']['Config'][0]['Subnet'] == '172.18.0.0/16'
    assert fast_res['network']['IPAM']['Config'][0]['Subnet'] == '172.19.0.0/16'
    assert_consistent(host)


def test_a_killed_run_leaves_no_lock_behind(host, tmp_path):
    # A run killed while it holds the lock (at its 5th netlink request, part-way through building the network).
    dummy, res = R.traced_module(host, 'docker_bridge', inject='sendto:signal=KILL:when=5', name='net', endpoints=[{'name': 'c1'}])
    assert res is None, 'the run was not killed'
    assert host.run('test -e /run/lock/hostnet.lock').returncode == 0
    # The lock file is still there but nobody holds it: flock -n takes it at once, and the next run goes through.
    assert conftest.lock_holders(host) == []
    assert host.run(['flock', '-n', '/run/lock/hostnet.lock', 'true'], check=False).returncode == 0
    R.ok(host.module('docker_bridge', name='net', endpoints=[{'name': 'c1'}]))
    # A live holder does block (so the check above means something): a run waits while `flock` holds the lock, and
    # goes on when it lets go.
    trace = str(tmp_path / 'again.trace')
    again = conftest.result_after_the_lock(host, lambda: R.traced_module(
        second_view(host, tmp_path), 'docker_bridge', trace=trace, syscalls=('flock',), name='net',
        endpoints=[{'name': 'c1'}, {'name': 'c2'}])[1], trace)
    assert R.ok(again)['changed']
