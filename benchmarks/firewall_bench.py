# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench's firewall cell (issue 25, item 3): one published port added to, and removed from, a host whose firewall
already holds N published ports (10 and 4,000 by default), on each backend, in a fresh emulated host per backend and
size (firewall_worker.py).  Each change is timed as the engine makes it: the plan (the host's rule set computed and
compared with the kernel's) and the firewall step (the transaction), and checked in the kernel's listing.  Beside
them, on nftables, the same change made by replacing the whole table (what a backend without sets does: Docker 29's
nftables backend, moby#53466; this collection's before its sets and maps).

Targets: the nftables firewall step of an add with 4,000 publishes under 20 ms and within 2x of the same step with 10.

    python benchmarks/firewall_bench.py [--sizes 10,4000] [--backends nftables,iptables] [--repeats 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import bench  # benchmarks/bench.py: the lab, the machine's state and description, the formats
from bench import BenchError, spread

HERE = bench.HERE
WORKER = os.path.join(HERE, 'firewall_worker.py')
STEP_MS = 20.0  # issue 25, item 3
STEP_RATIO = 2.0
MEASURES = ('plan', 'step', 'seconds')


class FirewallBench:
    def __init__(self, args):
        self.args = args
        self.b = bench.Bench(argparse.Namespace(python=args.python))
        self.python, self.tmp, self.collections = self.b.python, self.b.tmp, self.b.collections
        self.results = {}  # backend -> str(N) -> worker output

    def close(self):
        self.b.close()

    def cell(self, backend, n):
        lab = bench.hostnet_lab.Lab(os.path.join(self.tmp, 'fw-%s-%d' % (backend, n)))
        lab.up({'bench': {'address': '10.138.3.130/24'}})
        try:
            env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNET_COLLECTIONS': self.collections, 'LANG': 'C.UTF-8'}
            argv = [self.python, WORKER, backend, str(n), str(self.args.repeats), os.path.join(self.tmp, 'root-%s-%d' % (backend, n))]
            res = lab.run('bench', argv + (['--replace'] if backend == 'nftables' else []), check=False, timeout=1800, env=env)
            if res.returncode != 0:
                raise BenchError('%s N=%d failed: %s' % (backend, n, (res.stderr or res.stdout).strip()[-3000:]))
            return json.loads(res.stdout.strip().splitlines()[-1])
        finally:
            lab.down()

    def run(self, log):
        for backend in self.args.backends:
            for n in self.args.sizes:
                started = time.monotonic()
                out = self.cell(backend, n)
                self.results.setdefault(backend, {})[str(n)] = out
                log('%s N=%d: add step %s ms, remove step %s ms  (%.0f s)' % (
                    backend, n, ms(median(out['add'], 'step')), ms(median(out['remove'], 'step')), time.monotonic() - started))


def median(runs, measure):
    return statistics.median(r[measure] for r in runs) if runs else None


def ms(value):
    return '-' if value is None else '%.1f' % (value * 1000)


def table(results, args):
    lines = ['## One published port added, then removed', '',
             'Milliseconds, the median of %d changes (spread: (max - min) / median). plan: the host\'s rule set computed and compared '
             'with the kernel; step: the firewall transaction; both: plan + step.' % args.repeats, '',
             '| backend | publishes | change | plan | step | spread | both | replacing the whole table |', '|---|---|---|---|---|---|---|---|']
    for backend in args.backends:
        for n in args.sizes:
            out = results.get(backend, {}).get(str(n))
            if not out:
                continue
            for change in ('add', 'remove'):
                runs = out[change]
                whole = [r[change] for r in out.get('replace', [])]
                lines.append('| %s | %d | %s | %s | %s | %.0f%% | %s | %s |' % (
                    backend, n, change, ms(median(runs, 'plan')), ms(median(runs, 'step')), 100 * spread([r['step'] for r in runs]),
                    ms(median(runs, 'seconds')), ms(statistics.median(whole)) if whole else '-'))
    return lines


def targets(results, args):
    nft = results.get('nftables', {})
    small, big = min(args.sizes), max(args.sizes)
    if str(small) not in nft or str(big) not in nft or small == big:
        return []
    a, b = median(nft[str(small)]['add'], 'step'), median(nft[str(big)]['add'], 'step')
    return [(b * 1000 < STEP_MS, 'nftables: the firewall step adding one publish on a host with %d publishes under %.0f ms: %s ms' % (big, STEP_MS, ms(b))),
            (b / a <= STEP_RATIO, 'nftables: that step within %.0fx of the same step with %d publishes (%s ms): %.2fx' % (STEP_RATIO, small, ms(a), b / a))]


def report(fb, args, desc, elapsed, machine_ok, error):
    lines = ['# Firewall benchmark (issue 25, item 3): one published port on a host holding many', '']
    if error:
        lines += ['**The run FAILED: %s**' % error, '']
    lines += table(fb.results, args) + ['', '## Targets (issue 25, item 3)', '']
    checks = targets(fb.results, args)
    lines += ['- %s: %s' % ('met' if ok else 'NOT met', text) for ok, text in checks] or ['- not measured']
    lines += ['', '## Machine', ''] + ['- %s: %s' % kv for kv in desc.items()]
    lines += ['- run took %.0f s; the machine\'s own network, firewall and /run/netns were %s' % (
        elapsed, 'unchanged (checked)' if machine_ok else 'CHANGED'),
        '', 'Reproduce with `%s`.' % ' '.join(['python', 'benchmarks/firewall_bench.py'] + args.argv), '']
    return '\n'.join(lines), checks


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    p.add_argument('--sizes', default='10,4000', help='publishes already on the host, comma-separated')
    p.add_argument('--backends', default='nftables,iptables', help='firewall backends, comma-separated')
    p.add_argument('--repeats', type=int, default=5, help='changes of each cell (each an add and a remove)')
    p.add_argument('--out', default=os.path.join(HERE, 'results'), help='folder for the report (markdown and JSON)')
    p.add_argument('--python', help='interpreter with ansible-core, pyroute2 and netaddr (default: this one)')
    args = p.parse_args(argv)
    args.argv = argv
    args.sizes = [int(v) for v in args.sizes.split(',')]
    args.backends = args.backends.split(',')
    if any(n < 1 or n > 60000 for n in args.sizes) or args.repeats < 1 or not set(args.backends) <= {'nftables', 'iptables'}:
        p.error('sizes 1..60000, repeats >= 1, backends nftables and/or iptables')
    if os.geteuid() != 0:
        p.error('run as root: the benchmark builds emulated hosts (namespaces)')
    return args


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    fb = FirewallBench(args)
    return bench.run_bench('firewall bench', 'firewall', args, fb, lambda *run: report(fb, args, *run), lambda: {'results': fb.results})


if __name__ == '__main__':
    sys.exit(main())
