# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench-scale: 4,000 containers on one host over 8 networks against one network of 500 (issue 25, item 5).

Two cells, each in a fresh emulated host per repeat, interleaved (which goes first alternates between repeats):
- one: network scale0 of N containers (500 by default): apply from nothing, re-apply, teardown;
- many: networks scale0 .. scale(M-1) (M = 8 by default) of N containers each, applied one after the other (the
  k-th on a host already holding k*N containers), then each re-applied, then each torn down.
Every network is docker_bridge with its defaults, as users get them (name resolution on, firewall backend auto;
scale_worker.py), run as Ansible runs a module on a host (its own process, timed to its exit), and every apply is
verified (veths, pings, a name resolved), every re-apply must report changed=false, the teardowns must leave no
veth, no published port and no name server.  Seconds per container of each phase: the phase's seconds over all
networks divided by M*N.  Targets: apply, re-apply and teardown per container of the many cell within 1.3x of the
one cell's (linear), and the module's peak resident memory (the largest of any run) under 300 MB.

    python benchmarks/scale_bench.py [--networks 8] [--size 500] [--repeats 3] [--settle 1.5] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import bench  # benchmarks/bench.py: the lab, the machine's state and description, the formats
from bench import BenchError, fmt, spread

HERE = bench.HERE
WORKER = os.path.join(HERE, 'scale_worker.py')
PHASES = ('apply', 'reapply', 'teardown')
LINEAR = 1.3  # issue 25, item 5: per container within 1.3x of N=500
PEAK_MB = 300.0


class ScaleRun(bench.Run):
    """One cell in a fresh emulated host: `networks` networks of N containers applied, re-applied, torn down."""

    def __init__(self, sb, networks, n):
        super().__init__(sb, 'scale', n, kind='scale-%d' % networks)
        self.networks = networks

    def step(self, phase, k):
        env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNET_COLLECTIONS': self.bench.collections, 'LANG': 'C.UTF-8'}
        res = self.lab.run('bench', [self.bench.python, WORKER, phase, str(k), str(self.n)], check=False, timeout=1800, env=env)
        if res.returncode != 0:
            raise BenchError('%s of network %d (N=%d) failed: %s' % (phase, k, self.n, (res.stderr or res.stdout).strip()[-3000:]))
        return json.loads(res.stdout.strip().splitlines()[-1])

    def phase(self, phase):
        """[{seconds, changed, peak_mb}] of every network, in order, each after the host settled."""
        out = []
        for k in range(self.networks):
            if phase != 'apply' or k:
                self.settle()
            res = self.step(phase, k)
            if res['changed'] != (phase != 'reapply'):
                raise BenchError('%s of network %d (N=%d) reported changed=%s' % (phase, k, self.n, res['changed']))
            if phase == 'apply':
                check = self.step('verify-up', k)
                if not check['ok']:
                    raise BenchError('after the apply of network %d (N=%d): %s' % (k, self.n, '; '.join(check['problems'])))
            out.append(res)
        return out

    def execute(self):
        self.lab.up({'bench': {'address': '10.138.3.130/24'}})
        try:
            out = {phase: self.phase(phase) for phase in PHASES}
            check = self.step('verify-down', 0)
            if not check['ok']:
                raise BenchError('after the teardowns (%d networks): %s' % (self.networks, '; '.join(check['problems'])))
            return out
        finally:
            self.lab.down()


class ScaleBench:
    def __init__(self, args):
        self.args = args
        self.b = bench.Bench(argparse.Namespace(python=args.python))
        self.python, self.tmp, self.collections = self.b.python, self.b.tmp, self.b.collections
        self.results = {'one': [], 'many': []}  # [{phase: [{seconds, changed, peak_mb} per network]} per repeat]

    def close(self):
        self.b.close()

    def run(self, log):
        cells = [('one', 1), ('many', self.args.networks)]
        for rep in range(self.args.repeats):
            for cell, networks in cells if rep % 2 == 0 else cells[::-1]:
                started = time.monotonic()
                out = ScaleRun(self, networks, self.args.size).execute()
                self.results[cell].append(out)
                log('run %d/%d %-4s (%d x %d) %s  peak %.0f MB  (%.0f s)' % (
                    rep + 1, self.args.repeats, cell, networks, self.args.size,
                    '  '.join('%s %.2f s' % (p, sum(r['seconds'] for r in out[p])) for p in PHASES),
                    peak(out), time.monotonic() - started))


def peak(out):
    return max(r['peak_mb'] for runs in out.values() for r in runs)


def per_container(runs, phase, containers):
    """Seconds per container of ``phase`` in each repeat: its seconds over every network, over the containers."""
    return [sum(r['seconds'] for r in run[phase]) / containers for run in runs]


def ms(value):
    return '%.2f' % (value * 1000)


def table(results, args):
    one, many = args.size, args.size * args.networks
    lines = ['## Seconds per container', '',
             'Each phase\'s seconds over every network of the cell, divided by its containers: milliseconds, the median of '
             '%d repeats (spread: (max - min) / median); the ratio many / one of the medians.' % args.repeats, '',
             '| phase | one network of %d, ms | spread | %d networks of %d (%d containers), ms | spread | many / one |' % (
                 one, args.networks, args.size, many), '|---|---|---|---|---|---|']
    ratios = {}
    for phase in PHASES:
        a, b = per_container(results['one'], phase, one), per_container(results['many'], phase, many)
        if not a or not b:
            continue
        ratios[phase] = statistics.median(b) / statistics.median(a)
        row = (phase, ms(statistics.median(a)), 100 * spread(a), ms(statistics.median(b)), 100 * spread(b), ratios[phase])
        lines.append('| %s | %s | %.0f%% | %s | %.0f%% | %.2fx |' % row)
    return lines, ratios


def by_network(results, args):
    """The many cell's seconds per network (medians over the repeats): how the k-th network's cost grows with the
    containers already on the host."""
    runs = results['many']
    if not runs:
        return []
    lines = ['', '## The many cell, network by network', '',
             'Median seconds of each network\'s run; the k-th apply runs on a host already holding k x %d containers.' % args.size, '',
             '| network | containers already on the host | apply | re-apply | teardown | module peak MB |', '|---|---|---|---|---|---|']
    for k in range(args.networks):
        cells = [fmt(statistics.median(run[p][k]['seconds'] for run in runs)) for p in PHASES]
        top = max(run[p][k]['peak_mb'] for run in runs for p in PHASES)
        lines.append('| scale%d | %d | %s | %.0f |' % (k, k * args.size, ' | '.join(cells), top))
    return lines


def targets(results, ratios, args):
    checks = []
    for phase in PHASES:
        if phase in ratios:
            checks.append((ratios[phase] <= LINEAR, '%s per container with %d containers on %d networks within %.1fx of one network of %d: %.2fx' % (
                phase, args.size * args.networks, args.networks, LINEAR, args.size, ratios[phase])))
    peaks = [peak(run) for runs in results.values() for run in runs]
    if peaks:
        checks.append((max(peaks) < PEAK_MB, 'the module\'s peak resident memory under %.0f MB: %.0f MB (the largest of any run)' % (PEAK_MB, max(peaks))))
    return checks


def report(sb, args, desc, elapsed, machine_ok, error):
    lines = ['# Scale benchmark (issue 25, item 5): %d networks of %d containers on one host' % (args.networks, args.size), '']
    if error:
        lines += ['**The run FAILED: %s**' % error, '']
    rows, ratios = table(sb.results, args)
    lines += rows + by_network(sb.results, args) + ['', '## Targets (issue 25, item 5)', '']
    checks = targets(sb.results, ratios, args)
    lines += ['- %s: %s' % ('met' if ok else 'NOT met', text) for ok, text in checks] or ['- not measured']
    lines += ['', '## Machine', ''] + ['- %s: %s' % kv for kv in desc.items()]
    lines += ['- run took %.0f s; the machine\'s own network, firewall and /run/netns were %s' % (
        elapsed, 'unchanged (checked)' if machine_ok else 'CHANGED'),
        '', 'Reproduce with `make bench-scale` (`%s`).' % ' '.join(['python', 'benchmarks/scale_bench.py'] + args.argv), '']
    return '\n'.join(lines), checks


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    p.add_argument('--networks', type=int, default=8, help='networks of the many cell (1..8)')
    p.add_argument('--size', type=int, default=500, help='containers per network (1..1000)')
    p.add_argument('--repeats', type=int, default=3, help='runs of each cell, each in a fresh emulated host')
    p.add_argument('--settle', type=float, default=1.5, help='seconds to wait before each timed run but the first, per 250 containers (at least once)')
    p.add_argument('--out', default=os.path.join(HERE, 'results'), help='folder for the report (markdown and JSON)')
    p.add_argument('--python', help='interpreter with ansible-core, pyroute2 and netaddr (default: this one)')
    args = p.parse_args(argv)
    args.argv = argv
    if not 1 <= args.networks <= 8 or not 1 <= args.size <= 1000 or args.repeats < 1:
        p.error('networks 1..8, size 1..1000 (a Linux bridge holds 1023 ports), repeats >= 1')
    if os.geteuid() != 0:
        p.error('run as root: the benchmark builds emulated hosts (namespaces)')
    return args


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    sb = ScaleBench(args)
    return bench.run_bench('scale bench', 'scale', args, sb, lambda *run: report(sb, args, *run), lambda: {'results': sb.results})


if __name__ == '__main__':
    sys.exit(main())
