# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dual-stack benchmark (issue 23): one bridge network of N containers with IPv6 beside the same network IPv4-only.

The network is bench.py's (10.200.0.0/16, masquerade, container i publishing host port 20000+i to its port 80,
iptables), built by docker_bridge twice in the same run: IPv4-only, and dual-stack (`enable_ipv6`, subnet_v6
fd00:200::/64), where every container also gets an IPv6 address and default route and the firewall holds the NAT66
masquerade and the `[::]` twin of every publish.  Each measurement runs in a fresh emulated host whose lab port has an
IPv6 address (fd00:138::130/64) in both stacks.  Columns: the engine (docker_bridge's module_utils in-process,
benchmarks/ipv6_worker.py) and the module (ansible-playbook, nsenter connection, one task with all N endpoints).
Phases: apply from nothing, re-apply (must report changed=false), teardown; each state verified (bench.py's IPv4
checks for both stacks, and for dual-stack every container's IPv6 address and default route, the IPv6 DNAT of every
publish, the NAT66 masquerade and pings over IPv6; for IPv4-only, no global IPv6 address in a container).

The stacks and columns run interleaved: every repeat runs every (stack, column) cell once, each column's two stacks
one right after the other (which goes first alternates) and the columns rotated from repeat to repeat, so a busy
moment of a shared machine falls on both stacks alike.  The report gives medians, the
ratio dual-stack / IPv4-only of the medians and of each repeat's pair, and the issue's target: the dual-stack apply
within 1.3x of the IPv4-only apply at N=500.  --profile adds a cProfile of one engine apply and re-apply per stack at the
largest N (where the dual-stack runs spend the time the IPv4-only ones do not).  The machine's own network, firewall and
namespaces are compared before and after, as by bench.py.

    python benchmarks/ipv6_bench.py [--sizes 500] [--repeats 3] [--tools engine,module] [--profile] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import bench  # benchmarks/bench.py: the lab, the machine's state and description, the playbook runner, the formats
from bench import BenchError, fmt, spread

HERE = bench.HERE
WORKER = os.path.join(HERE, 'ipv6_worker.py')
STACKS = ('v4', 'dual')
STACK_LABELS = {'v4': 'IPv4-only', 'dual': 'dual-stack'}
TOOLS = ('engine', 'module')
PHASES = ('apply', 'reapply', 'teardown')
# What the engine's apply reports beside its seconds (worker.kernel_counters): its own CPU, the machine's softirq time,
# the packets the emulated host's interfaces sent.
KERNEL_KEYS = ('cpu_seconds', 'softirq_seconds', 'packets')
TARGET_N = 500
TARGET = 1.3
LAB_ADDRESS = '10.138.3.130/24'
SUBNET6 = 'fd00:200::/64'
PLAY = '''- name: One bridge network of many containers, IPv4-only or dual-stack
  hosts: bench
  gather_facts: false
  tasks:
    - name: The benchmark network
      hostnet.containers.docker_bridge:
        name: benchnet
        subnet: 10.200.0.0/16
        enable_ipv6: "{{ bench_ipv6 }}"
        subnet_v6: "{{ bench_subnet_v6 | default(omit) }}"
        firewall_backend: iptables
        dns: false
        force: true
        state: "{{ bench_state }}"
        endpoints: "{{ bench_endpoints | default(omit) }}"
'''


def loadavg():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


class V6Run(bench.Run):
    """One (stack, column) cell at N in a fresh emulated host: apply, re-apply, teardown, every state verified."""

    def __init__(self, vb, stack, tool, n):
        super().__init__(vb, tool, n, kind=stack)
        self.stack = stack

    def worker(self, tool, phase):
        env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNET_COLLECTIONS': self.bench.collections, 'LANG': 'C.UTF-8'}
        res = self.lab.run('bench', [self.bench.python, WORKER, self.stack, phase, str(self.n)], check=False, timeout=1800, env=env)
        if res.returncode != 0:
            raise BenchError('%s %s %s N=%d failed: %s' % (self.stack, tool, phase, self.n, (res.stderr or res.stdout).strip()[-3000:]))
        return json.loads(res.stdout.strip().splitlines()[-1])

    def module(self, state):
        variables = {'bench_state': state, 'bench_ipv6': self.stack == 'dual'}
        if self.stack == 'dual':
            variables['bench_subnet_v6'] = SUBNET6
        if state == 'present':
            variables['bench_endpoints'] = [{'name': 'c%d' % i, 'publish': ['%d:80' % (20000 + i)]} for i in range(self.n)]
        return self.playbook(self.bench.playbook, variables, 'docker_bridge %s N=%d state=%s' % (self.stack, self.n, state))

    def verify(self, what):
        res = self.worker('any', what)
        if not res['ok']:
            raise BenchError('%s after %s %s N=%d: %s' % (what, self.stack, self.tool, self.n, '; '.join(res['problems'])))

    def up(self):
        self.lab.up({'bench': {'address': LAB_ADDRESS}})
        self.worker('any', 'lab')

    def execute(self):
        """{phase: seconds, 'load': the 1-minute load average at the start}."""
        out = {'load': loadavg()}
        self.up()
        try:
            res = self.timed('apply')
            out['apply'] = res['seconds']
            out['kernel'] = {key: res[key] for key in KERNEL_KEYS if key in res}
            self.verify('verify-up')
            res = self.timed('reapply')
            if res['changed']:
                raise BenchError('%s %s re-apply N=%d reported changed=true' % (self.stack, self.tool, self.n))
            out['reapply'] = res['seconds']
            out['teardown'] = self.timed('teardown')['seconds']
            self.verify('verify-down')
            self.worker('any', 'clean')
        finally:
            self.lab.down()
        return out

    def profile(self):
        """An engine apply under cProfile in a fresh host (its seconds are not among the results)."""
        self.up()
        try:
            return self.worker('engine', 'profile')
        finally:
            self.lab.down()


def cell_order(tools, rep):
    """The (stack, column) cells of repeat ``rep``: the columns rotated from repeat to repeat, and each column's two
    stacks next to each other (a pair shares the machine's moment), the one to go first alternating."""
    k = rep % len(tools)
    stacks = STACKS if rep % 2 == 0 else STACKS[::-1]
    return [(stack, tool) for tool in tools[k:] + tools[:k] for stack in stacks]


class V6Bench:
    def __init__(self, args):
        self.args = args
        self.b = bench.Bench(argparse.Namespace(python=args.python))
        self.python, self.tmp, self.collections, self.ansible_playbook = self.b.python, self.b.tmp, self.b.collections, self.b.ansible_playbook
        self.playbook = os.path.join(self.tmp, 'ipv6.yml')
        with open(self.playbook, 'w') as f:
            f.write(PLAY)
        self.results = {}  # {stack: {tool: {n: {phase: [seconds per repeat]}}}}
        self.kernel = {}  # {stack: {tool: {n: {KERNEL_KEYS item: [value per repeat]}}}} (the engine's applies)
        self.loads = []
        self.profiles = {}

    def close(self):
        self.b.close()

    def run(self, log):
        for n in self.args.sizes:
            for rep in range(self.args.repeats):
                for stack, tool in cell_order(self.args.tools, rep):
                    started = time.monotonic()
                    out = V6Run(self, stack, tool, n).execute()
                    self.loads.append(out.pop('load'))
                    cell = self.results.setdefault(stack, {}).setdefault(tool, {}).setdefault(n, {p: [] for p in PHASES})
                    for phase in PHASES:
                        cell[phase].append(out[phase])
                    for key, value in out.pop('kernel').items():
                        self.kernel.setdefault(stack, {}).setdefault(tool, {}).setdefault(n, {}).setdefault(key, []).append(value)
                    log('N=%-4d run %d/%d %-10s %-6s %s  (load %.2f, %.0f s)' % (
                        n, rep + 1, self.args.repeats, STACK_LABELS[stack], tool, '  '.join('%s %.3f s' % (p, out[p]) for p in PHASES),
                        self.loads[-1], time.monotonic() - started))
        if self.args.profile:
            n = max(self.args.sizes)
            for stack in STACKS:
                self.profiles[stack] = V6Run(self, stack, 'engine', n).profile()
                log('profile %s N=%d: apply %.3f s, re-apply %.3f s under cProfile' % (
                    STACK_LABELS[stack], n, self.profiles[stack]['seconds'], self.profiles[stack]['reapply']['seconds']))


# -- the report --------------------------------------------------------------------------------------------------------
def cell(results, stack, tool, n):
    return results.get(stack, {}).get(tool, {}).get(n)


def target_size(sizes):
    return TARGET_N if TARGET_N in sizes else max(sizes)


def pair_ratios(v4, dual):
    """dual / v4 of each repeat: the two ran in the same repeat, close in time."""
    return [d / v for v, d in zip(v4, dual) if v]


def ratio_table(results, args):
    lines = ['## Dual-stack / IPv4-only', '',
             'Median seconds of each stack, the ratio dual-stack / IPv4-only of the medians, and the ratio of each repeat\'s '
             'pair (the two stacks of one repeat ran next to each other); spread = (max - min) / median of the repeats.', '',
             '| N | column | phase | IPv4-only, median s | dual-stack, median s | dual-stack / IPv4-only | per-repeat ratios | '
             'IPv4-only repeats (s) | dual-stack repeats (s) | spread IPv4-only | spread dual-stack |',
             '|---|---|---|---|---|---|---|---|---|---|---|']
    for n in args.sizes:
        for tool in args.tools:
            v4, dual = cell(results, 'v4', tool, n), cell(results, 'dual', tool, n)
            if not v4 or not dual:
                continue
            for phase in PHASES:
                a, b = v4[phase], dual[phase]
                if not a or not b:
                    continue
                ma, mb = statistics.median(a), statistics.median(b)
                lines.append('| %d | %s | %s | %s | %s | %s | %s | %s | %s | %.2f | %.2f |' % (
                    n, tool, phase, fmt(ma), fmt(mb), bench.fmt_ratio(bench.ratio(mb, ma)),
                    ' '.join('%.2f' % r for r in pair_ratios(a, b)), ' '.join(fmt(v) for v in a), ' '.join(fmt(v) for v in b),
                    spread(a), spread(b)))
    return lines + ['']


def kernel_table(kernel, args):
    """Where each stack's engine apply goes: the engine's own CPU and the kernel's softirq work beside it (medians)."""
    lines = ['## The engine and the kernel during the apply', '',
             'Medians per apply: the engine process\'s CPU seconds (user + system), the machine\'s softirq seconds and the '
             'packets the emulated host\'s interfaces sent in the same window. With IPv6 on, every new container interface '
             'sends multicast listener reports that the bridge floods to all its ports (no querier on the bridge, as on '
             'Docker\'s), so that work grows with the square of N; IPv4-only networks turn IPv6 off on container ends and '
             'send none.', '',
             '| N | stack | engine CPU s | softirq s | packets sent |', '|---|---|---|---|---|']
    for n in args.sizes:
        for stack in STACKS:
            cell = kernel.get(stack, {}).get('engine', {}).get(n)
            if cell:
                medians = [statistics.median(cell[key]) for key in KERNEL_KEYS]
                lines.append('| %d | %s | %.3f | %.3f | %d |' % tuple([n, STACK_LABELS[stack]] + medians))
    v4, dual = (kernel.get(s, {}).get('engine', {}).get(target_size(args.sizes)) for s in STACKS)
    if v4 and dual:
        lines += ['', '- engine CPU, dual-stack / IPv4-only, N=%d: %.2fx' % (
            target_size(args.sizes), statistics.median(dual['cpu_seconds']) / statistics.median(v4['cpu_seconds']))]
    return lines + ['']


def targets(results, args):
    """(met, text) per column: the dual-stack apply within TARGET x of the IPv4-only apply at N=500 (or the largest N)."""
    n = target_size(args.sizes)
    out = []
    for tool in args.tools:
        v4, dual = cell(results, 'v4', tool, n), cell(results, 'dual', tool, n)
        if not v4 or not dual or not v4['apply'] or not dual['apply']:
            continue
        ma, mb = statistics.median(v4['apply']), statistics.median(dual['apply'])
        value = mb / ma
        pairs = pair_ratios(v4['apply'], dual['apply'])
        out.append((value <= TARGET, 'dual-stack apply within %.1fx of the IPv4-only apply, N=%d, %s: %.2fx (%s s vs %s s, medians of %d '
                    'repeats; per-repeat ratios %s); re-apply %.2fx (%s s vs %s s)' % (
                        TARGET, n, tool, value, fmt(mb), fmt(ma), len(v4['apply']), ' '.join('%.2f' % r for r in pairs),
                        statistics.median(dual['reapply']) / statistics.median(v4['reapply']), fmt(statistics.median(dual['reapply'])),
                        fmt(statistics.median(v4['reapply'])))))
    return out


def grown(v4, dual, top=15):
    """Table rows of the functions whose cumulative time grew most from the IPv4-only profile to the dual-stack one."""
    before = {row[0]: row for row in v4}
    after = {row[0]: row for row in dual}
    lines = ['| function | IPv4-only, cumulative s | dual-stack, cumulative s | more | calls IPv4-only | calls dual-stack |', '|---|---|---|---|---|---|']
    for key in sorted(after, key=lambda k: after[k][3] - (before[k][3] if k in before else 0.0), reverse=True)[:top]:
        old = before.get(key, [key, 0, 0.0, 0.0])
        lines.append('| `%s` | %.3f | %.3f | %+.3f | %d | %d |' % (key, old[3], after[key][3], after[key][3] - old[3], old[1], after[key][1]))
    return lines


def profile_section(profiles, args):
    """Where one engine apply (and the re-apply after it) spends its time, per stack, and what grows from IPv4-only
    to dual-stack."""
    if not profiles:
        return []
    v4, dual = profiles['v4'], profiles['dual']
    lines = ['## Profile of one engine apply and re-apply at N=%d (cProfile, a fresh host per stack)' % max(args.sizes), '',
             'Seconds under cProfile (slower than without it): apply IPv4-only %s s (of which planning %s s), dual-stack %s s (%s s); '
             're-apply IPv4-only %s s, dual-stack %s s.' % (
                 fmt(v4['seconds']), fmt(v4['plan_seconds']), fmt(dual['seconds']), fmt(dual['plan_seconds']),
                 fmt(v4['reapply']['seconds']), fmt(dual['reapply']['seconds'])), '',
             'Apply: what grew most from IPv4-only to dual-stack (cumulative seconds of the function and what it calls):', '']
    lines += grown(v4['top'], dual['top'])
    lines += ['', 'Re-apply: what grew most from IPv4-only to dual-stack:', ''] + grown(v4['reapply']['top'], dual['reapply']['top'])
    lines += ['', 'Dual-stack apply, by own time (the function alone):', '', '| function | calls | own s | cumulative s |', '|---|---|---|---|']
    lines += ['| `%s` | %d | %.3f | %.3f |' % tuple(row) for row in dual['own'][:15]]
    return lines + ['']


def report(vb, args, desc, elapsed, machine_ok, error):
    lines = ['# hostnet.containers dual-stack benchmark (issue 23)', '',
             'One bridge network (`docker_bridge`, 10.200.0.0/16, masquerade, one published port per container, iptables), '
             'IPv4-only and dual-stack (`enable_ipv6: true`, `subnet_v6: %s`: IPv6 addresses, IPv6 default routes, NAT66 '
             'masquerade, the `[::]` twin of every publish) in the same run, interleaved; each cell in a fresh emulated host '
             'with IPv6 on its lab port; %d repeat(s); every state verified. Reproduce with `%s`.' % (
                 SUBNET6, args.repeats, ' '.join(['python', 'benchmarks/ipv6_bench.py'] + args.argv)), '']
    if error:
        lines += ['**The run FAILED: %s**' % error, '']
    lines += ratio_table(vb.results, args) + kernel_table(vb.kernel, args) + ['## Target (issue 23)', '']
    checks = targets(vb.results, args)
    lines += ['- %s: %s' % ('met' if ok else 'NOT met', text) for ok, text in checks] or ['- not measured']
    lines += [''] + profile_section(vb.profiles, args)
    if vb.loads:
        desc['1-minute load average at the start of each cell'] = 'min %.2f, median %.2f, max %.2f (%d cells)' % (
            min(vb.loads), statistics.median(vb.loads), max(vb.loads), len(vb.loads))
    lines += ['## Machine', ''] + ['- %s: %s' % kv for kv in desc.items()]
    lines += ['- run took %.0f s; the machine\'s own network, firewall and /run/netns were %s' % (
        elapsed, 'unchanged (checked)' if machine_ok else 'CHANGED'), '']
    return '\n'.join(lines), checks


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    p.add_argument('--sizes', default=str(TARGET_N), help='comma-separated numbers of containers (1..1000)')
    p.add_argument('--repeats', type=int, default=3, help='runs of each (stack, column) cell, each in a fresh emulated host')
    p.add_argument('--tools', default=','.join(TOOLS), help='engine (in-process), module (ansible-playbook), or both')
    p.add_argument('--settle', type=float, default=1.5, help='seconds to wait before re-apply and teardown, per 250 containers (at least once)')
    p.add_argument('--profile', action='store_true', help='add a cProfile of one engine apply and re-apply per stack at the largest N')
    p.add_argument('--out', default=os.path.join(HERE, 'results'), help='folder for the report (markdown and JSON)')
    p.add_argument('--python', help='interpreter with ansible-core, pyroute2 and netaddr (default: this one)')
    args = p.parse_args(argv)
    args.argv = argv
    try:
        args.sizes = [int(s) for s in args.sizes.split(',') if s]
    except ValueError:
        p.error('--sizes takes numbers')
    args.tools = [t for t in args.tools.split(',') if t]
    if not args.sizes or any(not 1 <= n <= 1000 for n in args.sizes) or args.repeats < 1 or not args.tools or set(args.tools) - set(TOOLS):
        p.error('sizes 1..1000 (a Linux bridge holds 1023 ports), repeats >= 1, tools among %s' % ','.join(TOOLS))
    if os.geteuid() != 0:
        p.error('run as root: the benchmark builds emulated hosts (namespaces)')
    return args


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    vb = V6Bench(args)
    return bench.run_bench('ipv6 bench', 'ipv6', args, vb, lambda *run: report(vb, args, *run),
                           lambda: {'results': vb.results, 'kernel': vb.kernel, 'loads': vb.loads, 'profiles': vb.profiles})


if __name__ == '__main__':
    sys.exit(main())
