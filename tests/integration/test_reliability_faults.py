# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Faults: a module killed with SIGKILL at a step of a large apply, then rerun, ends exactly as a clean apply; a
kernel or file error at a step rolls back what that run made; a name collision on the Nth endpoint touches nothing.

The steps are found by tracing an unfaulted run (reliability.write_steps): every netlink request that changes
something, every state or config file put in place, every wait for iptables-restore / nft. strace then kills the
module (or fails the syscall) at one of them, in a fresh emulated host per case. HOSTNET_FAULTS=all visits each
step (make test sets it under the newest pyroute2); otherwise the first step of each kind and every few steps are
visited, other ones under each pyroute2 version.
"""

from __future__ import annotations

import contextlib
import hashlib

import pytest

import reliability as R

BIG = {'name': 'big', 'endpoints': [{'name': 'c%d' % i, 'publish': ['%d:80' % (8000 + i)], 'aliases': ['web%d' % i]}
                                    for i in range(3)]}
MACVLAN = {'name': 'mac', 'subnet': '10.40.0.0/24', 'host_shim': {'enabled': True},
           'endpoints': [{'name': 'm%d' % i} for i in range(3)]}


@pytest.fixture
def fresh(tmp_path, collection_path):
    count = [0]

    def make():
        count[0] += 1
        return R.fresh_host(str(tmp_path / ('lab%d' % count[0])), collection_path, str(tmp_path))
    return make


def run_setup(host, setup):
    for module, params in setup:
        R.ok(host.module(module, **params))


def clean_run(fresh, tmp_path, module, params, setup):
    """(the steps of a traced run of ``module`` after ``setup`` on a fresh host, the host it left, comparable)."""
    trace = str(tmp_path / 'steps.trace')
    with fresh() as host:
        run_setup(host, setup)
        dummy, res = R.traced_module(host, module, trace=trace, **params)
        R.ok(res)
        return R.write_steps(trace), R.settled(host)


def kill_matrix(fresh, tmp_path, module, params, setup=(), every=12):
    """Kill ``module`` at each sampled step (after ``setup`` on a fresh host), rerun it, compare with a clean run."""
    steps, want = clean_run(fresh, tmp_path, module, params, setup)
    steps = R.sample(steps, every)
    assert len(steps) >= 6, steps
    failures = []
    for syscall, nth, text in steps:
        case = '%s #%d (%s)' % (syscall, nth, text)
        with fresh() as host:
            run_setup(host, setup)
            dummy, res = R.traced_module(host, module, inject='%s:signal=KILL:when=%d' % (syscall, nth), **params)
            if res is not None:
                failures.append((case, 'the run was not killed', res.get('msg')))
                continue
            again = host.module(module, **params)
            if again.get('failed'):
                failures.append((case, 'the rerun failed', again['msg']))
                continue
            # Same kernel objects, rules and state documents as a clean run: nothing duplicated, nothing leaked,
            # and nothing left for a third run to do.
            got = R.settled(host, like=want)
            if got != want:
                failures.append((case, 'differs from a clean run', R.explain(want, got)))
    assert not failures, '\n'.join('%s: %s\n%s' % failure for failure in failures)
    return steps


def test_bridge_apply_killed_at_each_step_converges_on_rerun(fresh, tmp_path):
    steps = kill_matrix(fresh, tmp_path, 'docker_bridge', dict(BIG, firewall_backend='iptables'))
    texts = ' '.join(t for dummy, dummy2, t in steps)
    # The sample reaches every kind of step: links, addresses and routes in both namespaces, state, the name server's
    # files and the containers' resolv.conf, firewall.
    for kind in ('RTM_NEWLINK', 'RTM_NEWADDR', '0x14', '0x18', 'networks/big.json', 'firewall/iptables.json',
                 'firewall/sysctls.json', '/etc/netns/c0/resolv.conf', '/run/hostnet/dns/big/', 'firewall command'):
        assert kind in texts, (kind, steps)


def test_bridge_teardown_killed_at_each_step_converges_on_rerun(fresh, tmp_path):
    setup = [('docker_bridge', dict(BIG, firewall_backend='nftables'))]
    steps = kill_matrix(fresh, tmp_path, 'docker_bridge', {'name': 'big', 'state': 'absent', 'force': True}, setup, every=8)
    assert any('unlink /var/lib/hostnet/networks/big.json' in t for dummy, dummy2, t in steps), steps


def test_macvlan_apply_killed_at_each_step_converges_on_rerun(fresh, tmp_path):
    # The macvlan run pipelines each socket's requests in one write: a 3-endpoint apply is about 12 writes, so a
    # sample of every 4th keeps at least 6 steps (every kind of step still among them).
    kill_matrix(fresh, tmp_path, 'macvlan_net', MACVLAN, every=4)


def error_matrix(fresh, tmp_path, module, params, setup, every):
    """Fail ``module``'s syscall at each sampled step (EEXIST for netlink, EACCES for a rename): the run fails
    with a message saying it rolled back, and the host is exactly as before the run. A host that came back as it
    was serves the next case; one that did not is replaced."""
    steps = clean_run(fresh, tmp_path, module, params, setup)[0]
    # waiting for a child cannot fail in a way the module sees; the firewall commands' own failures are faults too
    steps = [s for s in R.sample(steps, every) if s[0] != 'wait4']
    failures = []
    with contextlib.ExitStack() as stack:
        host = before = None
        for syscall, nth, text in steps:
            case = '%s #%d (%s)' % (syscall, nth, text)
            if host is None:
                stack.close()
                host = stack.enter_context(fresh())
                run_setup(host, setup)
                before = R.settled(host)
            error = 'EEXIST' if syscall == 'sendto' else 'EACCES'
            dummy, res = R.traced_module(host, module, inject='%s:error=%s:when=%d' % (syscall, error, nth), **params)
            if not (res or {}).get('failed') or 'rolled back' not in res.get('msg', ''):
                failures.append((case, 'expected a failure that rolled back', res))
            got = R.settled(host, like=before)
            if got != before:
                failures.append((case, 'the host changed', R.diff(before, got)))
                host = None
    assert not failures, '\n'.join('%s: %s\n%s' % failure for failure in failures)
    return steps


def test_bridge_failure_at_each_step_rolls_back_that_run(fresh, tmp_path):
    # The hard case: containers that already have their namespaces (a failed connect cannot lean on removing
    # the namespace), a network that already exists (the run extends it: its state and rules must come back).
    setup = [('netns', {'name': 'c1'}), ('netns', {'name': 'c2'}),
             ('docker_bridge', dict(BIG, endpoints=BIG['endpoints'][:1], firewall_backend='iptables'))]
    steps = error_matrix(fresh, tmp_path, 'docker_bridge', dict(BIG, firewall_backend='iptables'), setup, every=6)
    assert any('networks/big.json' in t for dummy, dummy2, t in steps)


def test_macvlan_failure_at_each_step_rolls_back_that_run(fresh, tmp_path):
    error_matrix(fresh, tmp_path, 'macvlan_net', MACVLAN, [('netns', {'name': 'm1'})], every=6)


def test_name_collision_on_the_nth_endpoint_touches_nothing(host):
    """A foreign interface holding the host-end name of the 3rd endpoint: the run fails before any change and
    names the endpoint and the interface; the foreign interface is left alone."""
    R.ok(host.module('docker_bridge', name='big', endpoints=BIG['endpoints'][:2]))
    net_id = R.state_docs(host)['/var/lib/hostnet/networks/big.json']['id']
    taken = 'veth' + hashlib.sha256(('%s/%s' % (net_id, 'c2')).encode()).hexdigest()[:7]
    for kind in ('bridge', 'veth peer name %sp' % taken[:14]):
        host.run('ip link add %s type %s' % (taken, kind))
        before = host.settled_snapshot()
        res = host.module('docker_bridge', name='big', endpoints=BIG['endpoints'])
        assert res.get('failed') and 'endpoints[c2]' in res['msg'] and taken in res['msg'], res
        assert host.settled_snapshot(like=before) == before
        host.run('ip link del %s' % taken)
    # With the name free again the same run goes through.
    assert R.ok(host.module('docker_bridge', name='big', endpoints=BIG['endpoints']))['changed']


OVERLAY = {'name': 'ovl', 'vni': 4097, 'subnet': '10.50.0.0/24', 'underlay_interface': 'ens33', 'firewall_backend': 'iptables',
           'peers': [{'host': 'host2', 'underlay_ip': '10.138.3.131'}],
           'endpoints': [{'name': 'o%d' % i} for i in range(2)],
           'remote_endpoints': [{'name': 'r%d' % i, 'ip': '10.50.0.%d' % (100 + i), 'host': 'host2'} for i in range(2)]}


def test_overlay_failure_at_each_step_rolls_back_that_run(fresh, tmp_path):
    # A network that exists already (the run extends it), so its VXLAN device, entries, rules and state must come back.
    setup = [('overlay_net', dict(OVERLAY, endpoints=OVERLAY['endpoints'][:1], remote_endpoints=OVERLAY['remote_endpoints'][:1]))]
    error_matrix(fresh, tmp_path, 'overlay_net', OVERLAY, setup, every=6)
