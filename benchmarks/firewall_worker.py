# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The firewall cell's worker (benchmarks/firewall_bench.py), run inside an emulated host: the firewall of a host
whose one network holds N containers with a published port each, then one container with a published port added
and removed again, REPEATS times, each change timed as the engine runs it (_firewall.plan, then its steps) and
checked in the kernel's own listing (nft list / iptables-save).  With --replace (nftables), the same change is also
made the way a backend that rewrites its rule set does it (Docker 29's nftables backend, this collection's before
sets and maps): the whole table deleted and made again in one transaction.

    python firewall_worker.py BACKEND N REPEATS ROOT [--replace]   (prints one JSON line)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

sys.path[:0] = [os.environ['HOSTNET_COLLECTIONS']] if os.environ.get('HOSTNET_COLLECTIONS') else []

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _netns  # noqa: E402
from ansible_collections.hostnet.containers.plugins.module_utils import _plan  # noqa: E402

PORT = 20000


def endpoint(i):
    return {'ip': '10.%d.%d.%d' % (80 + i // 62500, (i // 250) % 250, i % 250 + 2),
            'publish': [{'host_ip': '0.0.0.0', 'host_port': PORT + i, 'container_port': 80, 'proto': 'tcp', 'auto': False}]}


def network(backend, n):
    """A network of n containers, each publishing host port 20000+i to its port 80 (the documents the engine keeps)."""
    return {'bench': {'name': 'bench', 'driver': 'bridge', 'bridge': 'br-bench', 'subnet': '10.80.0.0/12', 'gateway': '10.80.0.1',
                      'firewall': True, 'firewall_backend': backend, 'icc': True, 'ip_masquerade': True, 'internal': False,
                      'ip_forward': True, 'endpoints': {'c%05d' % i: endpoint(i) for i in range(n)}}}


def change(ns, old, new, root):
    """One firewall change as a module run makes it: {plan, step, seconds} (the plan: the rule set computed and
    compared with the kernel; the step: the transaction)."""
    start = time.perf_counter()
    plan = _plan.Plan()
    _firewall.plan(plan, ns, old, new, {}, {}, root)
    planned = time.perf_counter()
    plan.execute()
    done = time.perf_counter()
    if not plan.steps:
        raise SystemExit('the change planned nothing')
    return {'plan': planned - start, 'step': done - planned, 'seconds': done - start}


def listing(backend):
    if backend == 'nftables':
        return subprocess.run(['nft', 'list', 'table', 'ip', 'hostnet'], capture_output=True, text=True, check=True).stdout
    return subprocess.run(['iptables-save', '-t', 'nat'], capture_output=True, text=True, check=True).stdout


def holds(backend, port):
    """Whether the kernel's listing holds the published port's DNAT (an element of the map, or a rule)."""
    text = listing(backend)
    return ('tcp . %d : ' % port in text) if backend == 'nftables' else ('--dport %d ' % port in text)


def replace(small, big):
    """The same change as one transaction that deletes the table and makes it again with every rule: {seconds}."""
    out = {}
    for what, nets in (('add', big), ('remove', small)):
        cmds = _firewall_nftables.commands(_firewall_rules.desired_rules(nets, {}, 'nftables'), [], True)
        start = time.perf_counter()
        _firewall_nftables.nft_json('-f', '-', data=json.dumps({'nftables': cmds}))
        out[what] = time.perf_counter() - start
    return out


def main(argv):
    backend, n, repeats, root = argv[0], int(argv[1]), int(argv[2]), argv[3]
    small, big = network(backend, n), network(backend, n + 1)
    ns = _netns.Namespaces()
    out = {'add': [], 'remove': [], 'replace': []}
    try:
        change(ns, {}, small, root)
        for dummy in range(repeats):
            out['add'].append(change(ns, small, big, root))
            if not holds(backend, PORT + n):
                raise SystemExit('after the add the kernel lacks port %d' % (PORT + n))
            out['remove'].append(change(ns, big, small, root))
            if holds(backend, PORT + n) or not holds(backend, PORT + n - 1):
                raise SystemExit('after the remove the kernel holds port %d, or lost port %d' % (PORT + n, PORT + n - 1))
        if '--replace' in argv:
            for dummy in range(repeats):
                out['replace'].append(replace(small, big))
        change(ns, small, {}, root)
    finally:
        ns.close()
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1:])
