# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One step of the scale benchmark (issue 25, item 5), run INSIDE an emulated host.

    python scale_worker.py PHASE K N      prints one JSON object

benchmarks/scale_bench.py starts this through nsenter into a lab host (roles/lab/files/hostnet_lab.py): every namespace,
link, rule, name server and state file below belongs to that host.  Network K (0..7) is `scaleK`, 10.(201+K).0.0/16, with
containers sK-0 .. sK-(N-1), container i publishing host port 20000+K*N+i to its port 80; every other option is
docker_bridge's default, as users get it: name resolution on, firewall backend auto.

Phases:
  apply | reapply | teardown   docker_bridge for network K, run as Ansible runs a module on a host (its Python module
                               with an arguments file, in a process of its own), timed from start to exit:
                               {seconds, changed, peak_mb: the module process's peak resident memory}
  verify-up                    network K as the apply left it: its containers' veths on a bridge, the first container
                               pings the gateway and the last one, and resolves the last one's name
  verify-down                  no veth and no published port left, no name server running
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

MODULE = 'ansible_collections.hostnet.containers.plugins.modules.docker_bridge'
FIRST_PORT = 20000


def subnet(k):
    return '10.%d.0.0/16' % (201 + k)


def gateway(k):
    return '10.%d.0.1' % (201 + k)


def name_of(k, i):
    return 's%d-%d' % (k, i)


def options(k, n, state):
    """docker_bridge's options for network K: the defaults but for the subnet (and `force` on, to remove a network
    with its containers)."""
    opts = {'name': 'scale%d' % k, 'subnet': subnet(k), 'state': state, 'force': True}
    if state == 'present':
        opts['endpoints'] = [{'name': name_of(k, i), 'publish': ['%d:80' % (FIRST_PORT + k * n + i)]} for i in range(n)]
    return opts


def run_module(params):
    """The module as Ansible runs it on a host (AnsiballZ unpacked): its own process, the arguments in a file.
    (result, seconds, peak resident MB of that process)."""
    with tempfile.NamedTemporaryFile('w', suffix='.json', delete=False) as f:
        json.dump({'ANSIBLE_MODULE_ARGS': dict(params, _ansible_check_mode=False, _ansible_diff=False)}, f)
    env = dict(os.environ, PYTHONPATH=os.environ['HOSTNET_COLLECTIONS'])
    try:
        start = time.monotonic()
        res = subprocess.run([sys.executable, '-m', MODULE, f.name], capture_output=True, text=True, env=env, check=False)
        seconds = time.monotonic() - start
    finally:
        os.unlink(f.name)
    # The module is the only child this process has waited for: the children's peak is its peak (KiB on Linux).
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    try:
        result = json.loads(res.stdout[res.stdout.index('{'):])
    except ValueError:
        result = {'failed': True, 'msg': 'no JSON (rc %d): %s' % (res.returncode, (res.stdout + res.stderr)[-2000:])}
    return result, seconds, peak_mb


def step(state):
    def run(k, n):
        result, seconds, peak_mb = run_module(options(k, n, state))
        if result.get('failed'):
            raise SystemExit('docker_bridge %s of scale%d (N=%d) failed: %s' % (state, k, n, result.get('msg')))
        return {'seconds': seconds, 'changed': bool(result.get('changed')), 'peak_mb': peak_mb}
    return run


def _sh(argv):
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _bridged_veths():
    links = json.loads(_sh(['ip', '-j', 'link', 'show', 'type', 'veth']).stdout or '[]')
    return [link['ifname'] for link in links if link.get('master')]


def verify_up(k, n):
    problems = []
    veths = _bridged_veths()
    if len(veths) != (k + 1) * n:
        problems.append('%d veths on a bridge after network %d, not %d' % (len(veths), k, (k + 1) * n))
    first, last = name_of(k, 0), name_of(k, n - 1)
    for target in (gateway(k), last):
        if _sh(['ip', 'netns', 'exec', first, 'ping', '-c2', '-i0.2', '-W2', target]).returncode:
            problems.append('%s cannot ping %s' % (first, target))
    if not _sh(['ip', 'netns', 'exec', first, 'getent', 'hosts', last]).stdout.strip():
        problems.append('%s does not resolve %s' % (first, last))
    return {'ok': not problems, 'problems': problems[:10]}


def verify_down(dummy_k, dummy_n):
    problems = []
    left = _bridged_veths()
    if left:
        problems.append('veths left on a bridge: %s' % ', '.join(left[:5]))
    rules = _sh(['iptables-save', '-t', 'nat']).stdout + _sh(['nft', 'list', 'ruleset']).stdout
    if 'DNAT' in rules or 'dnat' in rules:
        problems.append('a published port (a DNAT rule) is left in the firewall')
    if _sh(['pgrep', '-x', 'dnsmasq']).returncode == 0:
        problems.append('a name server is still running')
    return {'ok': not problems, 'problems': problems}


PHASES = {'apply': step('present'), 'reapply': step('present'), 'teardown': step('absent'),
          'verify-up': verify_up, 'verify-down': verify_down}


def main(argv):
    phase, k, n = argv[0], int(argv[1]), int(argv[2])
    print(json.dumps(PHASES[phase](k, n)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
