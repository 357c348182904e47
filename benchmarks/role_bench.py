# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role benchmark (issue 25, items 1 and 2): the bridge_network role as users run it, against a trivial play.

Each cell (N containers over M user-defined networks) runs in a fresh emulated host (roles/lab/files/hostnet_lab.py)
per repeat, through ansible-playbook with the nsenter connection (pipelining on, as the connection recommends),
as tests/integration/conftest.py's role_runner runs the roles, and the role's defaults (the boot-time restore
installed, name resolution on, firewall backend auto, the default network docker0 managed):

- the trivial play: one ansible.builtin.ping task, in the same lab, first: the unit of every ratio;
- apply: the role from nothing (must report changed for the host), then real packets: in every network, its
  first container pings its last by address and by name (name resolution through the network's name server);
- rerun: the role again with nothing to change (must report changed=0 for the host, or the bench fails), then
  the same packets.

Container i is `ci`, on network `net(i mod M)`, with no subnet given (the role takes them from Docker's pools).
A callback shipped here (benchmarks/callback_plugins/module_runs.py, enabled only for these runs) counts the module
runs of every task: how many tasks ran a module on the host, a loop once per item.  The targets: at 100x2 apply
within 6x and rerun within 4x the trivial play, at 1,000x4 apply within 20x (ratios taken per repeat in the same
lab, median of the repeats); the role's module runs per play do not grow with the number of containers (between
the smallest and the largest cell, no task runs more often, beyond the growth of the number of networks for a
task that runs once per network).  The machine's own network, firewall and namespaces are compared before and
after, as by bench.py.

The change cell (issue 25, item 2): per firewall backend (bridge_network_firewall_backend) and size N (--change-sizes,
10 and 1000), the role builds net0 with N containers publishing a port each (untimed), then one role run adds container
cN publishing 8080:80 (timed) and one with cN left out of the list removes it (timed), each checked by TCP connects
from the host: target, at N=1,000 within 1.5x of N=10.  --cells picks apply (item 1), change (item 2) or both.

    python benchmarks/role_bench.py [--sizes 100x2,1000x4] [--repeats 3] [--settle 1.5] [--cells apply,change]
                                    [--change-sizes 10,1000] [--change-backends iptables,nftables] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

import bench  # benchmarks/bench.py: the machine's state and description, the lab, the number formats, the change cell
from bench import BenchError, bench_worker, fmt, fmt_ratio, hostnet_lab, spread

HERE = bench.HERE
CALLBACKS = os.path.join(HERE, 'callback_plugins')
HOST = 'bench'
TRIVIAL_PLAY = '''- name: A trivial play
  hosts: bench
  gather_facts: false
  tasks:
    - name: One module run
      ansible.builtin.ping:
'''
ROLE_PLAY = '''- name: The bridge_network role with its defaults
  hosts: bench
  gather_facts: false
  roles:
    - role: hostnet.containers.bridge_network
'''
MEASURES = ('trivial', 'apply', 'rerun')
ROLE_MEASURES = ('apply', 'rerun')
LABELS = {'trivial': 'trivial play (one ping task)', 'apply': 'role apply, from nothing', 'rerun': 'role rerun, nothing to change'}
# Issue 25, item 1: (cell, measure, at most this many trivial plays).
TARGETS = (((100, 2), 'apply', 6.0), ((100, 2), 'rerun', 4.0), ((1000, 4), 'apply', 20.0))


def cell_key(cell):
    return '%dx%d' % cell


def role_vars(n, nets):
    """The role's variables for N containers over M networks: only what a user must say, every default left."""
    return {'bridge_network_networks': [{'name': 'net%d' % k} for k in range(nets)],
            'bridge_network_containers': [{'name': 'c%d' % i, 'networks': ['net%d' % (i % nets)]} for i in range(n)]}


def pairs(n, nets):
    """(network, first container, last container) of every network with two containers or more."""
    out = []
    for k in range(nets):
        members = list(range(k, n, nets))
        if len(members) > 1:
            out.append(('net%d' % k, 'c%d' % members[0], 'c%d' % members[-1]))
    return out


class RoleRun:
    """One cell in a fresh emulated host: the trivial play, the role's apply and its rerun, every state checked."""

    def __init__(self, rb, n, nets, rep):
        self.rb = rb
        self.n, self.nets = n, nets
        self.what = '%d containers over %d networks' % (n, nets)
        self.lab = hostnet_lab.Lab(os.path.join(rb.tmp, 'role-%dx%d-%d' % (n, nets, rep)))

    def playbook(self, playbook, name, variables):
        """One timed ansible-playbook run: {seconds, changed, ok, tasks} (tasks: the callback's count for the play)."""
        b = self.rb.b
        inventory = os.path.join(self.lab.dir, 'inventory-%s.json' % name)
        with open(inventory, 'w') as f:
            json.dump({'all': {'hosts': {HOST: dict(variables, ansible_connection='hostnet.containers.nsenter',
                                                    hostnet_nsenter_pid_file=self.lab.pid_file(HOST),
                                                    ansible_python_interpreter=b.python)}}}, f)
        counts = os.path.join(self.lab.dir, 'module-runs-%s.json' % name)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=b.collections, ANSIBLE_PIPELINING='True', ANSIBLE_NOCOLOR='1',
                   ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_LOCAL_TEMP=os.path.join(b.tmp, 'ansible-tmp'),
                   ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_HOME=os.path.join(b.tmp, 'ansible-home'),
                   ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED='module_runs', HOSTNET_BENCH_MODULE_RUNS=counts)
        start = time.monotonic()
        res = subprocess.run([b.ansible_playbook, '-i', inventory, playbook], capture_output=True, text=True, env=env,
                             timeout=600 + 3 * self.n, check=False)
        seconds = time.monotonic() - start
        recap = re.search(r'^%s\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)' % HOST, res.stdout, re.M)
        if res.returncode != 0 or not recap or recap.group(3) != '0' or recap.group(4) != '0':
            raise BenchError('%s (%s) failed (rc=%d): %s' % (name, self.what, res.returncode, (res.stdout + res.stderr)[-3000:]))
        with open(counts) as f:
            [play] = json.load(f)
        return {'seconds': seconds, 'ok': int(recap.group(1)), 'changed': int(recap.group(2)), 'tasks': play['tasks']}

    def in_host(self, argv, check=True):
        return self.lab.run(HOST, argv, check=check, timeout=120)

    def address(self, container):
        """The container's IPv4 address on its network (its eth0), read inside the host; None when it has none."""
        out = self.in_host(['ip', '-n', container, '-4', '-o', 'addr', 'show', 'dev', 'eth0'], check=False).stdout
        found = re.search(r' inet (\d+\.\d+\.\d+\.\d+)/', out)
        return found.group(1) if found else None

    def reaches(self, source, target):
        """Whether a ping from the container ``source`` to ``target`` (an address or a name) is answered, tried until it
        is or a minute has passed: a name server picks a new name up asynchronously, ARP takes its first packet."""
        deadline = time.monotonic() + 60
        while True:
            res = self.in_host(['ip', 'netns', 'exec', source, 'ping', '-c', '1', '-W', '2', target], check=False)
            if res.returncode == 0 or time.monotonic() > deadline:
                return res.returncode == 0
            time.sleep(0.2)

    def verify(self, after):
        """Every container's namespace is there, and in every network the first container reaches the last by address
        and by name."""
        present = set(self.in_host(['ls', '/run/netns']).stdout.split())
        missing = sorted({'c%d' % i for i in range(self.n)} - present, key=lambda name: int(name[1:]))
        problems = ['no namespace for %s' % ', '.join(missing[:10])] if missing else []
        for network, first, last in pairs(self.n, self.nets):
            address = self.address(last)
            if address is None:
                problems.append('%s: %s has no IPv4 address on eth0' % (network, last))
            for target in (address, last) if address else ():
                if not self.reaches(first, target):
                    problems.append('%s: %s does not reach %s (%s)' % (network, first, last, target))
        if problems:
            raise BenchError('after the %s (%s): %s' % (after, self.what, '; '.join(problems)))

    def settle(self):
        """As bench.py's settle: the kernel's IPv6 setup of hundreds of new links would otherwise fall on the next run."""
        time.sleep(self.rb.args.settle * max(1.0, self.n / 250.0))

    def execute(self):
        """{measure: playbook result} of this cell, every state checked."""
        rb = self.rb
        variables = role_vars(self.n, self.nets)
        out = {}
        self.lab.up({HOST: {'address': '10.138.3.130/24'}})
        try:
            out['trivial'] = self.playbook(rb.trivial, 'trivial', {})
            out['apply'] = self.playbook(rb.role, 'apply', variables)
            if not out['apply']['changed']:
                raise BenchError('the apply from nothing (%s) reported changed=0' % self.what)
            self.verify('apply')
            self.settle()
            out['rerun'] = self.playbook(rb.role, 'rerun', variables)
            if out['rerun']['changed']:
                changed = [t['name'] for t in out['rerun']['tasks'] if t['changed']]
                raise BenchError('the rerun with nothing to change (%s) reported changed=%d for %s (tasks: %s)' % (
                    self.what, out['rerun']['changed'], HOST, ', '.join(changed)))
            self.verify('rerun')
        finally:
            self.lab.down()
        return out


def change_vars(n, backend, added):
    """The role's variables of the change cell: network net0 with c0..c(N-1), and cN when ``added``, each container
    publishing its port as in bench.py's change cell, on the firewall backend ``backend``; every other default left."""
    containers = bench_worker.change_endpoints(n) + ([bench_worker.change_added(n)] if added else [])
    return {'bridge_network_networks': [{'name': 'net0'}], 'bridge_network_firewall_backend': backend,
            'bridge_network_containers': [dict(c, networks=['net0']) for c in containers]}


class RoleChangeRun(RoleRun):
    """The change cell (issue 25, item 2) in a fresh emulated host: the role builds net0 with N containers (untimed),
    then a role run with cN (publishing 8080:80) added to its list adds it (timed), and one with cN left out removes it
    (timed: the role's default remove_unlisted removes the containers it created that are no longer listed).  Each
    change must report changed, and is checked as bench.py's change cell checks it (TCP connects from the host)."""

    def __init__(self, rb, n, backend, rep):
        super().__init__(rb, n, 1, rep)
        self.backend = backend
        self.what = 'network of %d containers, %s' % (n, backend)
        self.lab = hostnet_lab.Lab(os.path.join(rb.tmp, 'role-change-%s-%d-%d' % (backend, n, rep)))

    def execute(self):
        """{'ready': {seconds}, 'add': {seconds, module_runs}, 'remove': {...}}"""
        out = {}
        self.lab.up({HOST: {'address': '10.138.3.130/24'}})
        try:
            if not self.playbook(self.rb.role, 'build', change_vars(self.n, self.backend, False))['changed']:
                raise BenchError('building the %s reported changed=0' % self.what)
            out['ready'] = bench.change_ready(lambda: bench.run_worker(self.rb.b, self.lab, self.n, ['change', 'ready']), self.settle)
            for step in bench.CHANGES:
                res = self.playbook(self.rb.role, step, change_vars(self.n, self.backend, step == 'add'))
                if not res['changed']:
                    raise BenchError('the role\'s %s of c%d (%s) reported changed=0' % (step, self.n, self.what))
                check = bench.run_worker(self.rb.b, self.lab, self.n, ['change', 'verify-' + step])
                if not check['ok']:
                    raise BenchError('after the role\'s %s of c%d (%s): %s' % (step, self.n, self.what, '; '.join(check['problems'])))
                out[step] = {'seconds': res['seconds'], 'module_runs': module_runs(res), 'answered': check.get('answered')}
        finally:
            self.lab.down()
        return out


class RoleBench:
    def __init__(self, args):
        self.args = args
        self.python = args.python or sys.executable
        self.b = bench.Bench(argparse.Namespace(python=self.python))
        self.tmp = self.b.tmp
        self.trivial = os.path.join(self.tmp, 'trivial.yml')
        self.role = os.path.join(self.tmp, 'role.yml')
        for path, text in ((self.trivial, TRIVIAL_PLAY), (self.role, ROLE_PLAY)):
            with open(path, 'w') as f:
                f.write(text)
        self.results = {}
        self.change = {}

    def close(self):
        self.b.close()

    def run(self, log):
        """Every cell once per repeat, the order rotated from repeat to repeat so a busy moment of a shared machine
        does not fall on one cell."""
        cells = self.args.sizes
        for rep in range(self.args.repeats if 'apply' in self.args.cells else 0):
            k = rep % len(cells)
            for n, nets in cells[k:] + cells[:k]:
                started = time.monotonic()
                out = RoleRun(self, n, nets, rep).execute()
                cell = self.results.setdefault(cell_key((n, nets)), {m: [] for m in MEASURES})
                for m in MEASURES:
                    cell[m].append(out[m])
                log('%dx%d run %d/%d  trivial %s s  apply %s s (%s)  rerun %s s (%s)  module runs: apply %d, rerun %d  (%.0f s)' % (
                    n, nets, rep + 1, self.args.repeats, fmt(out['trivial']['seconds']), fmt(out['apply']['seconds']),
                    fmt_ratio(out['apply']['seconds'] / out['trivial']['seconds']), fmt(out['rerun']['seconds']),
                    fmt_ratio(out['rerun']['seconds'] / out['trivial']['seconds']), module_runs(out['apply']), module_runs(out['rerun']),
                    time.monotonic() - started))
        if 'change' in self.args.cells:
            self.run_change(log)

    def run_change(self, log):
        """The change cell: every backend and size once per repeat, rotated from repeat to repeat."""
        cells = bench.change_cells(self.args, ['role'])
        for rep in range(self.args.repeats):
            k = rep % len(cells)
            for cell in cells[k:] + cells[:k]:
                started = time.monotonic()
                out = RoleChangeRun(self, cell[1], cell[0], rep).execute()
                log('change run %d/%d %s, module runs: add %d, remove %d  (%.0f s)' % (
                    rep + 1, self.args.repeats, bench.record_change(self.change, cell, out), out['add']['module_runs'],
                    out['remove']['module_runs'], time.monotonic() - started))


# -- the report --------------------------------------------------------------------------------------------------------
def module_runs(result):
    return sum(t['module_runs'] for t in result['tasks'])


def seconds(cell, measure):
    return [r['seconds'] for r in cell[measure]]


def ratios(cell, measure):
    """The measure over the trivial play of the same lab, per repeat."""
    return [r['seconds'] / t['seconds'] for r, t in zip(cell[measure], cell['trivial'])]


def runs_span(cell, measure):
    return bench.span(sorted(module_runs(r) for r in cell[measure]))


def seconds_table(results, cells):
    lines = ['## Seconds', '',
             '| containers | networks | run | median s | / trivial play (same lab), median | spread | min-max s | runs | '
             'changed (recap) | module runs |', '|---|---|---|---|---|---|---|---|---|---|']
    for cell in cells:
        data = results.get(cell_key(cell))
        if not data:
            continue
        for m in MEASURES:
            secs = seconds(data, m)
            ratio = '1' if m == 'trivial' else fmt_ratio(statistics.median(ratios(data, m)))
            lines.append('| %d | %d | %s | %s | %s | %.2f | %s-%s | %d | %s | %s |' % (
                cell[0], cell[1], LABELS[m], fmt(statistics.median(secs)), ratio, spread(secs), fmt(min(secs)), fmt(max(secs)),
                len(secs), bench.span(sorted(r['changed'] for r in data[m])), runs_span(data, m)))
    return lines + ['']


def task_runs(data, measure):
    """{(task, action): module runs} of a measure's first repeat (every repeat runs the same tasks)."""
    return {(t['name'], t['action']): t['module_runs'] for t in data[measure][0]['tasks']}


def tasks_table(results, cells):
    """Module runs per task of the role's plays, one column per cell and play."""
    cols = [(cell, m) for cell in cells if cell_key(cell) in results for m in ROLE_MEASURES]
    order = []
    for cell, m in cols:
        for key in task_runs(results[cell_key(cell)], m):
            if key not in order:
                order.append(key)
    lines = ['## Module runs per task', '',
             'Per task of the role\'s play, the results that ran a module on the host (a loop: one per item; an action that '
             'runs modules, such as template or copy: one per task or item), from the first repeat; tasks that ran no module '
             '(set_fact, debug, raw, includes) or were skipped show 0.', '',
             '| task | action | ' + ' | '.join('%s %s' % (cell_key(cell), m) for cell, m in cols) + ' |',
             '|---|---|' + '---|' * len(cols)]
    for key in order:
        cells_text = [str(task_runs(results[cell_key(cell)], m).get(key, '-')) for cell, m in cols]
        if any(c not in ('0', '-') for c in cells_text):
            name, action = (k.replace('hostnet.containers.', '') for k in key)
            lines.append('| %s | %s | %s |' % (name.replace('|', '/'), action, ' | '.join(cells_text)))
    lines.append('| **total** | | %s |' % ' | '.join(runs_span(results[cell_key(cell)], m) for cell, m in cols))
    return lines + ['']


def stand_in(cells, wanted, big):
    """The cell a target is checked on: its own cell when the run has it, else the smallest (the 100x2 targets) or the
    largest (the 1000x4 target), unless that one is another target's own cell or the other stand-in; None: not measured."""
    if wanted in cells:
        return wanted
    cell = cells[-1] if big else cells[0]
    others = {t[0] for t in TARGETS if t[0] != wanted} | ({stand_in(cells, TARGETS[0][0], False)} if big else set())
    return None if cell in others else cell


def ratio_targets(results, cells):
    out = []
    for wanted, measure, factor in TARGETS:
        cell = stand_in(cells, wanted, wanted == TARGETS[-1][0])
        data = results.get(cell_key(cell)) if cell else None
        if not data:
            continue
        rs = ratios(data, measure)
        value = statistics.median(rs)
        note = '' if cell == wanted else ' (the issue\'s cell is %s; this run\'s stands in)' % cell_key(wanted)
        out.append((value <= factor, '%s of %d containers over %d networks within %gx the trivial play%s: %.2fx (median of %d '
                    'repeat(s), each in its own lab: %s; %s s vs %s s, medians)' % (
                        {'apply': 'apply', 'rerun': 'rerun with nothing to change'}[measure], cell[0], cell[1], factor, note, value,
                        len(rs), ' '.join('%.2f' % r for r in rs), fmt(statistics.median(seconds(data, measure))),
                        fmt(statistics.median(seconds(data, 'trivial'))))))
    return out


def growth_targets(results, cells):
    """(met, text) per role play: between the cells with the fewest and the most containers, no task runs a module
    more often, except by the growth of the networks (a task that runs once per network)."""
    have = [c for c in cells if cell_key(c) in results]
    small, big = min(have, key=lambda c: c[0]), max(have, key=lambda c: c[0])
    if small[0] == big[0]:
        return []
    allowed = max(1.0, big[1] / float(small[1]))
    out = []
    for m in ROLE_MEASURES:
        a, b = task_runs(results[cell_key(small)], m), task_runs(results[cell_key(big)], m)
        grew = ['%s (%s): %d -> %d' % (key[0], key[1], a.get(key, 0), runs) for key, runs in b.items() if runs > a.get(key, 0) * allowed]
        total_a, total_b = sum(a.values()), sum(b.values())
        out.append((not grew, 'module runs of the %s do not grow with the containers: %d at %s, %d at %s (%.2fx the containers; '
                    'a task may run %.2fx as often, the growth of the networks); tasks that grew more: %s' % (
                        m, total_a, cell_key(small), total_b, cell_key(big), big[0] / float(small[0]), allowed, '; '.join(grew) or 'none')))
    return out


def bridge_runs(results, cells):
    """For information (the issue: no network planned twice): docker_bridge's module runs per play and cell."""
    parts = []
    for cell in cells:
        data = results.get(cell_key(cell))
        if data:
            parts.append('%s: apply %s, rerun %s' % (cell_key(cell), *(sum(
                v for (name, action), v in task_runs(data, m).items() if action.endswith('docker_bridge')) for m in ROLE_MEASURES)))
    if not parts:
        return []
    return [(None, 'docker_bridge module runs per play (the user-defined networks, plus docker0 the role manages by default; '
                   'a network run more than once is planned twice): %s' % '; '.join(parts))]


ROLE_CHANGE_HOW = (
    'The bridge_network role as in the cells above (its defaults, `bridge_network_firewall_backend` iptables or nftables), '
    'in a fresh emulated host per backend, size and repeat: net0 with N containers c0..c(N-1), container i publishing host '
    'port 20000+i to its port 80, built untimed by the role; then the role with cN publishing `%d:80` added to '
    '`bridge_network_containers` (timed), then the role with cN left out again (timed: the role\'s default '
    '`bridge_network_remove_unlisted` removes it). Each run is a whole role run over every container of the network, '
    'as users change one container through the role.' % bench_worker.CHANGE_PORT)


def report(results, args, desc, elapsed, machine_ok, error, change=None):
    cells = args.sizes
    lines = ['# hostnet.containers role benchmark (issue 25, items 1 and 2)', '',
             'The bridge_network role as users run it: `ansible-playbook` with the `nsenter` connection (pipelining on) into a '
             'fresh emulated host per cell and repeat, the role\'s defaults (boot-time restore installed, name resolution on, '
             'firewall backend auto, docker0 managed), N containers `cI` over M user-defined networks `netK` (container I on '
             'network I mod M, subnets from the role\'s pools). In each lab: a trivial play (one `ansible.builtin.ping` task, the '
             'unit of the ratios), the role from nothing (must report changed), the role again (must report changed=0); after '
             'each, every namespace is checked and in every network the first container pings its last by address and by '
             'name. %d repeat(s); spread = (max - min) / median. Reproduce with `%s`.' % (
                 args.repeats, ' '.join(['python', 'benchmarks/role_bench.py'] + args.argv)), '']
    if error:
        lines += ['**The run FAILED: %s**' % error, '']
    lines += seconds_table(results, cells) + tasks_table(results, cells) if results else []
    checks = (ratio_targets(results, cells) + growth_targets(results, cells) + bridge_runs(results, cells)) if results else []
    if 'apply' in args.cells:
        lines += ['## Targets (issue 25, item 1)', '']
        lines += ['- %s: %s' % ({True: 'met', False: 'NOT met', None: 'measured'}[ok], text) for ok, text in checks] or ['- not measured']
    change_lines, change_checks = bench.change_section(change, args, ['role'], ROLE_CHANGE_HOW)
    lines += change_lines
    checks += change_checks
    lines += ['', '## Machine', ''] + ['- %s: %s' % kv for kv in desc.items()]
    lines += ['- run took %.0f s; the machine\'s own network, firewall and /run/netns were %s' % (
        elapsed, 'unchanged (checked)' if machine_ok else 'CHANGED'), '']
    return '\n'.join(lines), checks


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    p.cells = ('apply', 'change')
    p.add_argument('--sizes', default='100x2,1000x4', help='cells as CONTAINERSxNETWORKS, comma-separated')
    p.add_argument('--cells', default=','.join(p.cells),
                   help='comma-separated subset of apply (the role\'s apply and rerun, item 1) and change (item 2)')
    p.add_argument('--change-sizes', default='10,1000', help='networks the change cell adds one container to and removes it from')
    p.add_argument('--change-backends', default=','.join(bench.BACKENDS), help='firewall backends of the change cell')
    p.add_argument('--repeats', type=int, default=3, help='runs of each cell, each in a fresh lab (medians are reported)')
    p.add_argument('--settle', type=float, default=1.5, help='seconds to wait before the rerun, per 250 containers (at least once)')
    p.add_argument('--out', default=os.path.join(HERE, 'results'), help='folder for the report (markdown and JSON)')
    p.add_argument('--python', help='interpreter with ansible-core, pyroute2, netaddr and jmespath (default: this one)')
    args = p.parse_args(argv)
    args.argv = argv
    try:
        args.sizes = [tuple(int(x) for x in s.split('x')) for s in args.sizes.split(',') if s]
    except ValueError:
        p.error('--sizes takes CONTAINERSxNETWORKS pairs such as 100x2,1000x4')
    if not args.sizes or any(len(s) != 2 or not 1 <= s[1] <= 16 or not s[1] <= s[0] <= 1000 * s[1] for s in args.sizes):
        p.error('--sizes takes CONTAINERSxNETWORKS pairs such as 100x2,1000x4: 1 to 16 networks, at least one and at most '
                '1000 containers per network (a Linux bridge holds 1023 ports)')
    args.sizes = sorted(set(args.sizes))
    if args.repeats < 1:
        p.error('--repeats must be 1 or more')
    bench.change_options(p, args)
    if os.geteuid() != 0:
        p.error('run as root: the benchmark builds emulated hosts (namespaces)')
    return args


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    rb = RoleBench(args)
    return bench.run_bench('role bench', 'role', args, rb, lambda *run: report(rb.results, args, *run, rb.change),
                           lambda: {'results': rb.results, 'change': rb.change})


if __name__ == '__main__':
    sys.exit(main())
