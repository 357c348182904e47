# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay benchmark (issue 24): one VXLAN overlay over H emulated hosts with C containers each.

Each cell (H hosts, C containers per host) runs in a fresh lab of H emulated hosts on one lab switch
(roles/lab/files/hostnet_lab.py), the overlay_net module's engine called in-process inside each host as bench.py's
engine column calls docker_bridge's (benchmarks/overlay_worker.py), with the parameters the overlay_network role
hands each host: the whole play's peers and every other host's containers as remote endpoints, addresses chosen
once for the play.  Measures, per host:

- apply: every host in turn from nothing (must report changed=true), then real packets and names across hosts;
- re-apply: every host again, nothing changed (must report changed=false and write no entry);
- one-container change: one container added on host1 (its run), then the same new remote endpoint handed to every
  other host (each one's run), with the VXLAN device's FDB and neighbour entries each run added and removed
  counted (must be exactly 1 FDB + 1 neighbour entry added and none removed on every other host), then packets
  and names between the new container and the last host's.

The hosts run one after another, so each run has the machine to itself; a play with forks >= H runs them side by
side (the wall time of an apply is then about the slowest host's, on enough cores).  Median of the repeats (each in
a fresh lab), spread = (max - min) / median.  The machine's own network, firewall and namespaces are compared before
and after, as by bench.py.

    python benchmarks/overlay_bench.py [--hosts 2,4,8] [--containers 50] [--extra 4x25] [--repeats 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

import bench  # benchmarks/bench.py: the machine's state and description, the lab, the number formats
from bench import BenchError, fmt, hostnet_lab, spread

HERE = bench.HERE
WORKER = os.path.join(HERE, 'overlay_worker.py')
NETWORK = 'benchov'
VNI = 4097
SUBNET = '10.210.0.0/16'
GATEWAY = '10.210.0.1'
UNDERLAY = 'ens33'
MEASURES = ('apply', 'reapply', 'change_local', 'change_remote')
PLAY_MEASURES = ('apply', 'reapply', 'change')
TOOLS = ('engine', 'module')
# The module column: one play over every host with forks = H, as the overlay_network role's last task runs it.
PLAY = '''- name: One overlay over every host of the play
  hosts: all
  gather_facts: false
  tasks:
    - name: The overlay on this host
      hostnet.containers.overlay_net:
        name: "{{ p.name }}"
        vni: "{{ p.vni }}"
        subnet: "{{ p.subnet }}"
        gateway: "{{ p.gateway }}"
        underlay_interface: "{{ p.underlay_interface }}"
        underlay_ip: "{{ p.underlay_ip }}"
        firewall_backend: "{{ p.firewall_backend }}"
        dns: "{{ p.dns }}"
        peers: "{{ p.peers }}"
        endpoints: "{{ p.endpoints }}"
        remote_endpoints: "{{ p.remote_endpoints }}"
'''
LABELS = {'apply': 'apply, each host', 'reapply': 're-apply, each host', 'change_local': 'one-container change, host1',
          'change_remote': 'one-container change, each other host'}


def host_name(h):
    return 'host%d' % h


def underlay_ip(h):
    return '10.138.4.%d' % (10 + h)


def container(h, i):
    """Container i of host h: its name, address and MAC, the same on every host (chosen once for the play, as the
    overlay_plan filter does)."""
    return {'name': 'h%dc%d' % (h, i), 'ip': '10.210.%d.%d' % (h, 10 + i), 'mac': '02:42:0a:d2:%02x:%02x' % (h, 10 + i)}


def overlay_params(h, hosts, counts, dns):
    """overlay_net's options for host h of `hosts` when host k holds containers 0..counts[k]-1."""
    local = [dict(container(h, i)) for i in range(counts[h])]
    remote = [dict(container(k, i), host=host_name(k)) for k in hosts if k != h for i in range(counts[k])]
    return {'name': NETWORK, 'vni': VNI, 'subnet': SUBNET, 'gateway': GATEWAY, 'underlay_interface': UNDERLAY,
            'underlay_ip': underlay_ip(h), 'firewall_backend': 'iptables', 'dns': dns,
            'peers': [{'host': host_name(k), 'underlay_ip': underlay_ip(k)} for k in hosts if k != h],
            'endpoints': local, 'remote_endpoints': remote}


def cells_of(args):
    """(H, C) of every cell: each --hosts at --containers, then each --extra not among them."""
    main = [(h, args.containers) for h in args.hosts]
    return main + [cell for cell in args.extra if cell not in main]


class OverlayRun:
    """One cell in a fresh lab: H hosts, C containers each, every measure of every host."""

    def __init__(self, ob, hosts, containers, tool='engine'):
        self.ob = ob
        self.hosts = list(range(1, hosts + 1))
        self.c = containers
        self.tool = tool
        self.lab = hostnet_lab.Lab(os.path.join(ob.tmp, 'ovl-%s-%d-%d' % (tool, hosts, containers)))

    def worker(self, h, phase, request):
        env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNET_COLLECTIONS': self.ob.collections, 'LANG': 'C.UTF-8'}
        res = self.lab.run(host_name(h), [self.ob.python, WORKER, phase], input=json.dumps(request), check=False, timeout=1800, env=env)
        if res.returncode != 0:
            raise BenchError('%s on %s (H=%d, C=%d) failed: %s' % (phase, host_name(h), len(self.hosts), self.c,
                                                                   (res.stderr or res.stdout).strip()[-3000:]))
        return json.loads(res.stdout.strip().splitlines()[-1])

    def apply(self, h, counts, what, changed):
        out = self.worker(h, 'run', {'params': overlay_params(h, self.hosts, counts, self.ob.args.dns)})
        if out['changed'] != changed:
            raise BenchError('%s on %s (H=%d, C=%d) reported changed=%s' % (what, host_name(h), len(self.hosts), self.c, out['changed']))
        return out

    def expect(self, out, what, h, fdb, neigh):
        """The entries a run wrote, exactly: (added, removed) of FDB and of neighbour entries."""
        got = ((out['fdb']['added'], out['fdb']['removed']), (out['neigh']['added'], out['neigh']['removed']))
        if got != (fdb, neigh):
            raise BenchError('%s on %s (H=%d, C=%d): FDB entries (added, removed) %s and neighbour entries %s, expected %s and %s' % (
                what, host_name(h), len(self.hosts), self.c, got[0], got[1], fdb, neigh))

    def verify(self, source_host, source, targets):
        res = self.worker(source_host, 'verify', {'from': source['name'], 'to': targets, 'names': self.ob.args.dns})
        if not res['ok']:
            raise BenchError('H=%d, C=%d: %s' % (len(self.hosts), self.c, '; '.join(res['problems'])))

    def settle(self):
        """As bench.py's settle: the kernel's IPv6 setup of hundreds of new links would otherwise fall on the next run."""
        time.sleep(self.ob.args.settle * max(1.0, len(self.hosts) * self.c / 250.0))

    def play(self, counts, what, changed):
        """One timed ansible-playbook run of overlay_net on every host (forks = H): {seconds, changed: [host...]}."""
        b = self.ob
        inventory = os.path.join(self.lab.dir, 'inventory.json')
        with open(inventory, 'w') as f:
            json.dump({'all': {'vars': {'ansible_connection': 'hostnet.containers.nsenter', 'ansible_python_interpreter': b.python},
                               'hosts': {host_name(h): {'hostnet_nsenter_pid_file': self.lab.pid_file(host_name(h)),
                                                        'p': overlay_params(h, self.hosts, counts, b.args.dns)} for h in self.hosts}}}, f)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=b.collections, ANSIBLE_PIPELINING='True', ANSIBLE_NOCOLOR='1',
                   ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_LOCAL_TEMP=os.path.join(b.tmp, 'ansible-tmp'),
                   ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_HOME=os.path.join(b.tmp, 'ansible-home'), ANSIBLE_FORKS=str(len(self.hosts)))
        start = time.monotonic()
        res = subprocess.run([b.b.ansible_playbook, '-i', inventory, b.playbook], capture_output=True, text=True, env=env, timeout=1800, check=False)
        seconds = time.monotonic() - start
        recap = {m.group(1): (m.group(2), m.group(3), m.group(4)) for m in re.finditer(
            r'^(host\d+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', res.stdout, re.M)}
        if res.returncode != 0 or sorted(recap) != sorted(host_name(h) for h in self.hosts) or any(v[1:] != ('0', '0') for v in recap.values()):
            raise BenchError('%s (H=%d, C=%d) failed (rc=%d): %s' % (what, len(self.hosts), self.c, res.returncode, (res.stdout + res.stderr)[-3000:]))
        got = sorted(name for name, v in recap.items() if v[0] != '0')
        if got != sorted(host_name(h) for h in changed):
            raise BenchError('%s (H=%d, C=%d): changed on %s, expected on %s' % (what, len(self.hosts), self.c, got, [host_name(h) for h in changed]))
        return {'seconds': seconds}

    def execute_module(self):
        """{measure: seconds} of the play over every host: apply, re-apply, the one-container change."""
        hosts, c, last = self.hosts, self.c, self.hosts[-1]
        counts = {h: c for h in hosts}
        out = {}
        self.lab.up({host_name(h): {'address': underlay_ip(h) + '/24'} for h in hosts})
        try:
            out['apply'] = self.play(counts, 'apply', hosts)['seconds']
            self.verify(1, container(1, 0), [container(k, i) for k in hosts[1:] for i in (0, c - 1)])
            self.settle()
            out['reapply'] = self.play(counts, 're-apply', [])['seconds']
            self.settle()
            counts[1] = c + 1
            out['change'] = self.play(counts, 'adding %s' % container(1, c)['name'], hosts)['seconds']
            self.verify(last, container(last, 0), [container(1, c)])
        finally:
            self.lab.down()
        return out

    def execute(self):
        """{measure: [per-host result]} of this cell, every state checked."""
        if self.tool == 'module':
            return self.execute_module()
        hosts, c, last = self.hosts, self.c, self.hosts[-1]
        counts = {h: c for h in hosts}
        remote = (len(hosts) - 1) * c
        out = {m: [] for m in MEASURES}
        self.lab.up({host_name(h): {'address': underlay_ip(h) + '/24'} for h in hosts})
        try:
            for h in hosts:
                res = self.apply(h, counts, 'apply', True)
                # one FDB entry per peer (head-end replication) and one per remote container, one neighbour entry each
                self.expect(res, 'apply', h, (len(hosts) - 1 + remote, 0), (remote, 0))
                out['apply'].append(res)
            self.verify(1, container(1, 0), [container(k, i) for k in hosts[1:] for i in (0, c - 1)])
            self.verify(last, container(last, c - 1), [container(1, 0)])
            self.settle()
            for h in hosts:
                res = self.apply(h, counts, 're-apply', False)
                self.expect(res, 're-apply', h, (0, 0), (0, 0))
                out['reapply'].append(res)
            self.settle()
            counts[1] = c + 1
            res = self.apply(1, counts, 'adding %s' % container(1, c)['name'], True)
            self.expect(res, 'adding a local container', 1, (0, 0), (0, 0))
            out['change_local'].append(res)
            for h in hosts[1:]:
                res = self.apply(h, counts, 'adding remote %s' % container(1, c)['name'], True)
                self.expect(res, 'adding a remote container', h, (1, 0), (1, 0))
                out['change_remote'].append(res)
            self.verify(1, container(1, c), [container(last, 0)])
            self.verify(last, container(last, 0), [container(1, c)])
        finally:
            self.lab.down()
        return out


class OverlayBench:
    def __init__(self, args):
        self.args = args
        self.python = args.python or sys.executable
        self.b = bench.Bench(argparse.Namespace(python=self.python))
        self.tmp, self.collections = self.b.tmp, self.b.collections
        self.playbook = os.path.join(self.tmp, 'overlay.yml')
        with open(self.playbook, 'w') as f:
            f.write(PLAY)
        self.results = {}
        self.plays = {}

    def close(self):
        self.b.close()

    def run(self, log):
        """Every cell once per repeat, the order rotated from repeat to repeat so a busy moment of a shared machine
        does not fall on one cell."""
        cells = [(h, c, t) for h, c in cells_of(self.args) for t in TOOLS if t in self.args.tools]
        for rep in range(self.args.repeats):
            k = rep % len(cells)
            for hosts, c, tool in cells[k:] + cells[:k]:
                started = time.monotonic()
                out = OverlayRun(self, hosts, c, tool).execute()
                if tool == 'module':
                    cell = self.plays.setdefault('%dx%d' % (hosts, c), {m: [] for m in PLAY_MEASURES})
                    for m in PLAY_MEASURES:
                        cell[m].append(out[m])
                    log('H=%d C=%-3d run %d/%d  play: apply %s s  re-apply %s s  change %s s  (%.0f s)' % (
                        hosts, c, rep + 1, self.args.repeats, fmt(out['apply']), fmt(out['reapply']), fmt(out['change']),
                        time.monotonic() - started))
                    continue
                cell = self.results.setdefault('%dx%d' % (hosts, c), {m: [] for m in MEASURES})
                for m in MEASURES:
                    cell[m].append(out[m])
                log('H=%d C=%-3d run %d/%d  apply %s s  re-apply %s s  change host1 %s s, others %s s  (%.0f s)' % (
                    hosts, c, rep + 1, self.args.repeats, fmt(statistics.median(r['seconds'] for r in out['apply'])),
                    fmt(statistics.median(r['seconds'] for r in out['reapply'])), fmt(out['change_local'][0]['seconds']),
                    fmt(statistics.median(r['seconds'] for r in out['change_remote'])), time.monotonic() - started))


# -- the report --------------------------------------------------------------------------------------------------------
def values(cell, measure, key='seconds'):
    """Every host's `key` of every repeat of a measure, flattened."""
    return [r[key] for rep in cell[measure] for r in rep if r.get(key) is not None]


def per_repeat_sum(cell, measure):
    """The median over the repeats of the sum over the hosts: the serial cost of the measure for the whole play."""
    return statistics.median(sum(r['seconds'] for r in rep) for rep in cell[measure])


def span_of(vals):
    return bench.span(sorted(vals)) if vals else '-'


def measure_table(results, measure, cells):
    lines = ['| H hosts | C per host | remote endpoints per host | median s | spread | min-max s | runs | sum over hosts, s | '
             'planning, median s | steps | FDB added | neighbours added | removed | files written |',
             '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for hosts, c in cells:
        cell = results.get('%dx%d' % (hosts, c))
        if not cell or not values(cell, measure):
            continue
        secs = values(cell, measure)
        fdb = [r['fdb']['added'] for rep in cell[measure] for r in rep]
        neigh = [r['neigh']['added'] for rep in cell[measure] for r in rep]
        removed = [r['fdb']['removed'] + r['neigh']['removed'] for rep in cell[measure] for r in rep]
        files = [r['files']['written'] for rep in cell[measure] for r in rep]
        plan = values(cell, measure, 'plan_seconds')
        lines.append('| %d | %d | %d | %s | %.2f | %s-%s | %d | %s | %s | %s | %s | %s | %s | %s |' % (
            hosts, c, (hosts - 1) * c, fmt(statistics.median(secs)), spread(secs), fmt(min(secs)), fmt(max(secs)), len(secs),
            fmt(per_repeat_sum(cell, measure)), fmt(statistics.median(plan)) if plan else '-', span_of(values(cell, measure, 'steps')),
            span_of(fdb), span_of(neigh), span_of(removed), span_of(files)))
    return lines


def growth_table(results, cells):
    """One row per cell: each measure's per-host median, and the other hosts' change against the first cell's."""
    lines = ['## Per-host cost as the play grows', '',
             'The other hosts\' run of the one-container change split in two: planning (the lock, reading the kernel, the '
             'document and the name server\'s files, deciding) and executing the plan (the writes).', '',
             '| H hosts | C per host | remote endpoints per host | apply s | re-apply s | change, host1 s | change, each other host s | '
             'that, / first row | of which planning s | of which executing s | its FDB + neighbour writes |', '|---|---|---|---|---|---|---|---|---|---|---|']
    base = None
    for hosts, c in cells:
        cell = results.get('%dx%d' % (hosts, c))
        if not cell or not values(cell, 'change_remote'):
            continue
        med = {m: statistics.median(values(cell, m)) for m in MEASURES}
        base = base or med['change_remote']
        writes = [r['fdb']['added'] + r['neigh']['added'] for rep in cell['change_remote'] for r in rep]
        planned = [r for rep in cell['change_remote'] for r in rep if r.get('plan_seconds') is not None]
        split = ('-', '-') if not planned else (fmt(statistics.median(r['plan_seconds'] for r in planned)),
                                                fmt(statistics.median(r['seconds'] - r['plan_seconds'] for r in planned)))
        lines.append('| %d | %d | %d | %s | %s | %s | %s | %.2fx | %s | %s | %s |' % (
            hosts, c, (hosts - 1) * c, fmt(med['apply']), fmt(med['reapply']), fmt(med['change_local']), fmt(med['change_remote']),
            med['change_remote'] / base, split[0], split[1], span_of(writes)))
    return lines + ['']


def play_table(plays, cells):
    """The module column: wall seconds of one ansible-playbook run over every host (forks = H)."""
    rows = [(hosts, c, plays['%dx%d' % (hosts, c)]) for hosts, c in cells if '%dx%d' % (hosts, c) in plays]
    if not rows:
        return []
    lines = ['## As Ansible runs it: one play over every host', '',
             'One `ansible-playbook` run of the `overlay_net` task on every host at once (forks = H, the `nsenter` connection, '
             'pipelining), wall seconds from start to end, median of the repeats and the range; every host reported changed '
             '(apply, change) or unchanged (re-apply) as expected, packets checked after the apply and the change. The controller\'s '
             'cost (starting ansible-playbook, a Python process per host for the module) is part of every figure.', '',
             '| H hosts | C per host | apply s | re-apply s | one-container change s | apply range | re-apply range | change range |',
             '|---|---|---|---|---|---|---|---|']
    for hosts, c, cell in rows:
        lines.append('| %d | %d | %s | %s | %s | %s | %s | %s |' % (
            hosts, c, fmt(statistics.median(cell['apply'])), fmt(statistics.median(cell['reapply'])), fmt(statistics.median(cell['change'])),
            *('%s-%s' % (fmt(min(cell[m])), fmt(max(cell[m]))) for m in PLAY_MEASURES)))
    return lines + ['']


def verdict(results, args):
    """(met, text) for the issue's criterion: on every other host the one-container change writes exactly one FDB
    and one neighbour entry, whatever H and C (the harness fails a run that does not, so a finished run has it), and
    how that run's time grows with H and with the containers elsewhere."""
    cells = {key: cell for key, cell in results.items() if values(cell, 'change_remote')}
    if not cells:
        return []
    writes = sorted({(r['fdb']['added'], r['fdb']['removed'], r['neigh']['added'], r['neigh']['removed'])
                     for cell in cells.values() for rep in cell['change_remote'] for r in rep})
    names = ', '.join('H=%d C=%d' % key for key in sorted(tuple(map(int, k.split('x'))) for k in cells))
    out = [(writes == [(1, 0, 1, 0)], 'kernel writes of the one-container change on every other host, as (FDB entries added, removed, '
            'neighbour entries added, removed): %s in every run of every cell (%s)' % (' or '.join(str(w) for w in writes), names))]
    out += growth(cells, [(h, args.containers) for h in args.hosts], 'H=%d', 0)
    for hosts, c in args.extra:
        out += growth(cells, sorted({(hosts, c), (hosts, args.containers)}, key=lambda x: x[1]), 'C=%d per host at H=' + str(hosts), 1)
    return out


def growth(cells, pairs, label, axis):
    """The other hosts' one-container change time at the largest of `pairs` against the smallest: informational, as
    the run reads the device's entries and the network document whole (O(remote endpoints)) while writing O(1)."""
    have = [p for p in pairs if '%dx%d' % p in cells]
    if len(have) < 2:
        return []
    small, big = have[0], have[-1]
    a, b = values(cells['%dx%d' % small], 'change_remote'), values(cells['%dx%d' % big], 'change_remote')
    ma, mb = statistics.median(a), statistics.median(b)
    tol = max(spread(a), spread(b))
    return [(None, 'time of that run on each other host, %s vs %s: %s s vs %s s (%.2fx, %+.1f ms; the repeats\' spread %.2f); '
             'remote endpoints per host %d vs %d (%.2fx)' % (
                 label % big[axis], label % small[axis], fmt(mb), fmt(ma), mb / ma, 1000 * (mb - ma), tol,
                 (big[0] - 1) * big[1], (small[0] - 1) * small[1], ((big[0] - 1) * big[1]) / float((small[0] - 1) * small[1])))]


def report(results, plays, args, desc, elapsed, machine_ok, error):
    cells = cells_of(args)
    lines = ['# hostnet.containers overlay benchmark (issue 24)', '',
             'One VXLAN overlay (`overlay_net`, VNI %d, %s, learning off, static FDB and neighbour entries) over H emulated hosts on '
             'one lab switch, C containers on each host, name resolution %s. Each cell in a fresh lab, %d repeat(s); the hosts run one '
             'after another, each run the overlay_net module\'s `run()` in-process inside its host (the options validated by its own '
             'argument spec beforehand; the timer holds the lock, the kernel and document reads, the plan, its execution and the '
             'result). Every run\'s kernel writes are counted on the VXLAN device (its own FDB entries and its neighbour entries, '
             'before and after) and checked exactly; packets and names across hosts checked after the apply and after the change. '
             'Reproduce with `%s`.' % (VNI, SUBNET, 'on' if args.dns else 'off', args.repeats,
                                       ' '.join(['python', 'benchmarks/overlay_bench.py'] + args.argv)), '']
    if error:
        lines += ['**The run FAILED: %s**' % error, '']
    for measure in MEASURES:
        lines += ['## %s' % LABELS[measure], ''] + measure_table(results, measure, cells) + ['']
    lines += ['Columns: median, spread and range of every host\'s run over the repeats; the sum over the hosts (median of the '
              'repeats) is the serial cost for the play; planning: the time until the run handed its plan to execution; '
              'files written under /etc/netns, /run/hostnet and /var/lib/hostnet (new or rewritten).', '']
    lines += growth_table(results, cells) + play_table(plays, cells) + ['## Verdict (issue 24)', '']
    checks = verdict(results, args)
    lines += ['- %s: %s' % ({True: 'met', False: 'NOT met', None: 'measured'}[ok], text) for ok, text in checks] or ['- not measured']
    lines += ['', '## Machine', ''] + ['- %s: %s' % kv for kv in desc.items()]
    lines += ['- run took %.0f s; the machine\'s own network, firewall and /run/netns were %s' % (
        elapsed, 'unchanged (checked)' if machine_ok else 'CHANGED'), '']
    return '\n'.join(lines), checks


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    p.add_argument('--hosts', default='2,4,8', help='comma-separated numbers of emulated hosts (2..16)')
    p.add_argument('--containers', type=int, default=50, help='containers on each host (1..240)')
    p.add_argument('--extra', default='4x25', help='more cells as HxC, comma-separated (another container count at one H); empty for none')
    p.add_argument('--repeats', type=int, default=3, help='runs of each cell, each in a fresh lab (medians are reported)')
    p.add_argument('--settle', type=float, default=1.5, help='seconds to wait before re-apply and the change, per 250 containers of the lab')
    p.add_argument('--tools', default=','.join(TOOLS), help='engine (overlay_net\'s run() in-process, per host), module (one '
                   'ansible-playbook over every host), or both')
    p.add_argument('--no-dns', dest='dns', action='store_false', help='name resolution off (on by default, as overlay_net\'s default)')
    p.add_argument('--out', default=os.path.join(HERE, 'results'), help='folder for the report (markdown and JSON)')
    p.add_argument('--python', help='interpreter with ansible-core, pyroute2 and netaddr (default: this one)')
    args = p.parse_args(argv)
    args.argv = argv
    try:
        args.hosts = [int(s) for s in args.hosts.split(',') if s]
        args.extra = [tuple(int(x) for x in s.split('x')) for s in args.extra.split(',') if s]
    except ValueError:
        p.error('--hosts takes numbers, --extra HxC pairs such as 4x25')
    args.tools = [t for t in args.tools.split(',') if t]
    problem = bad_sizes(args)
    if problem:
        p.error(problem)
    if os.geteuid() != 0:
        p.error('run as root: the benchmark builds emulated hosts (namespaces)')
    return args


def bad_sizes(args):
    """What is wrong with the cells asked for, or None.  Container i of host h is 10.210.h.(10+i): one /24 each."""
    if any(len(e) != 2 for e in args.extra):
        return '--extra takes HxC pairs such as 4x25'
    if not args.hosts or any(not 2 <= h <= 16 for h in args.hosts + [e[0] for e in args.extra]):
        return 'hosts 2..16'
    if any(not 1 <= c <= 240 for c in [args.containers] + [e[1] for e in args.extra]):
        return 'containers 1..240 per host'
    if not args.tools or set(args.tools) - set(TOOLS):
        return '--tools among %s' % ','.join(TOOLS)
    return None if args.repeats >= 1 else 'repeats >= 1'


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%d-%H%M%S')
    ob = OverlayBench(args)
    desc, elapsed, before, after, error = bench.measured(ob)
    text, checks = report(ob.results, ob.plays, args, desc, elapsed, before == after, error)
    failed = bench.conclude('overlay bench', (args.out, 'overlay-%s' % stamp, 'overlay-latest.md'), text, {
        'machine': desc, 'args': argv, 'results': ob.results, 'plays': ob.plays, 'checks': checks, 'error': str(error) if error else None},
        before, after, error)
    if failed:
        return failed
    missed = [text for ok, text in checks if ok is False]
    if missed:
        print('overlay bench: criterion not met:\n  ' + '\n  '.join(missed))
        return 3
    return 0


if __name__ == '__main__':
    sys.exit(main())
