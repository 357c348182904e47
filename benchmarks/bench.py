# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench: the cost of one bridge network of N containers, hostnet.containers against its peers.

Every measurement runs inside a fresh emulated host (roles/lab/files/hostnet_lab.py), one per tool,
size and repeat, so every tool starts from the same empty host and nothing touches the machine's
own network: the machine's links, addresses, routes, rules, namespaces, firewall and CNI state are
compared before and after the run, and the run fails loudly if anything changed.

Columns: the docker_bridge module as Ansible runs it (ansible-playbook, nsenter connection, one task
with all N endpoints), the module_utils engine called in-process, the fastest pure-pyroute2 recipe
(the floor), `ip -batch`, Debian's CNI plugins (bridge + host-local + portmap) and Debian's netavark.
Phases: apply from nothing, re-apply (must report changed=false), apply after drift (10% of the
endpoints damaged; must report changed=true and repair them), teardown.  Each state is verified after
each phase (addresses, routes, bridge ports, DNAT and masquerade rules, and pings).  The table gives
medians; the ratios compare medians of the same run.

The add cell (issue 22), for the module and engine columns: a network with name resolution on (docker_bridge's
default `dns`) and N containers, built untimed, then ONE container added alone (timed), for N = 1 and each of
--sizes up to --add-max, in the same run: the cost of the (N+1)th container against the cost of the 2nd, and
how many files under /etc/netns and /run/hostnet/dns the add wrote.

The change cell (issue 25, item 2), for the module, container and engine columns, on each firewall backend: a network
with name resolution on and N containers publishing a port each, built untimed, then ONE container with one published
port (8080:80) added (timed) and removed again (timed), for each of --change-sizes (10 and 1000): through docker_bridge
(module: `docker network connect`, then the network's other containers listed with purge_endpoints), through the
container module (container: `docker run --network -p`, then `docker rm -f`) and in-process (engine): target, at
N=1,000 within 1.5x of N=10.  The container column runs in the change cell only.  --cells picks which of the three
(network, add, change) a run measures.

    python benchmarks/bench.py [--sizes 10,100,500,1000] [--repeats 3] [--tools ...] [--peers-max 500] [--add-max 500]
                               [--cells network,add,change] [--change-sizes 10,1000] [--change-backends iptables,nftables] [--out DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, 'roles', 'lab', 'files'))

import hostnet_lab  # noqa: E402  pylint: disable=wrong-import-position
import worker as bench_worker  # noqa: E402  pylint: disable=wrong-import-position

WORKER = os.path.join(HERE, 'worker.py')
NETWORK_TOOLS = ('module', 'engine', 'floor', 'ipbatch', 'cni', 'netavark')
TOOLS = NETWORK_TOOLS + ('container',)
PEERS = ('cni', 'netavark')
SLOW = ('cni', 'netavark', 'ipbatch')  # run up to --peers-max only: one request per container
LABELS = {'module': 'module (ansible-playbook)', 'engine': 'engine (in-process)', 'floor': 'pyroute2 floor',
          'ipbatch': 'ip -batch', 'cni': 'CNI bridge+portmap', 'netavark': 'netavark', 'container': 'container module (ansible-playbook)'}
PHASES = ('apply', 'reapply', 'drift', 'teardown')
HOSTNET_PHASES = ('module', 'engine')
NEEDS = {'cni': ['/usr/lib/cni/bridge', '/usr/lib/cni/host-local', '/usr/lib/cni/portmap'],
         'netavark': ['/usr/lib/podman/netavark'], 'ipbatch': [], 'floor': [], 'engine': [], 'module': [], 'container': []}
# Targets of issue 9, for N=500.
TARGET_N = 500
TARGETS = [('apply', 'cni', 10.0, 'apply at least 10x faster than the CNI bridge plugin'),
           ('apply', 'netavark', 15.0, 'apply at least 15x faster than netavark'),
           ('apply', 'floor', 0.5, 'apply within 2x of the pure-pyroute2 floor'),
           ('teardown', 'cni', 10.0, 'teardown at least 10x faster than CNI DEL')]
PLAY = '''- name: One bridge network of many containers
  hosts: bench
  gather_facts: false
  tasks:
    - name: The benchmark network
      hostnet.containers.docker_bridge:
        name: benchnet
        subnet: 10.200.0.0/16
        firewall_backend: iptables
        dns: false
        force: true
        state: "{{ bench_state }}"
        endpoints: "{{ bench_endpoints | default(omit) }}"
'''
# The unit of the through-Ansible targets (issue 25, item 4): what any play costs on the same host, one module run.
TRIVIAL_PLAY = '''- name: A trivial play
  hosts: bench
  gather_facts: false
  tasks:
    - name: One ping
      ansible.builtin.ping:
'''
THROUGH_ANSIBLE = (1.3, 0.1)  # module apply minus the trivial play within 1.3x of the engine; its re-apply at most 0.1 of it
# The add cell's one container, with the options worker.py's DNS_OPTIONS builds the network with (`dns` left to
# its default, on): only the endpoint is new, so the run adds it and changes nothing else.
# The change cell (issue 25, item 2) runs it too, with its firewall backend, and with purge_endpoints on to remove one.
ADD_PLAY = '''- name: One more container on a network with name resolution on
  hosts: bench
  gather_facts: false
  tasks:
    - name: The new container
      hostnet.containers.docker_bridge:
        name: benchdns
        subnet: 10.200.0.0/16
        firewall_backend: "{{ bench_backend | default('iptables') }}"
        purge_endpoints: "{{ bench_purge | default(false) }}"
        endpoints: "{{ bench_endpoints }}"
'''
# The change cell's one-container module, as users run `docker run --network NET -p 8080:80` and `docker rm -f`.
CONTAINER_PLAY = '''- name: One container, as docker run and docker rm -f
  hosts: bench
  gather_facts: false
  tasks:
    - name: The container
      hostnet.containers.container:
        name: "{{ bench_name }}"
        state: "{{ bench_state }}"
        networks: "{{ [{'name': 'benchdns'}] if bench_state == 'present' else omit }}"
        published_ports: "{{ bench_ports if bench_state == 'present' else omit }}"
'''
ADD_TOOLS = ('module', 'engine')
CHANGE_TOOLS = ('module', 'container', 'engine')
ADD_BASE = 1  # the add every other is compared with: the 2nd container, added to a network of 1
CELLS = ('network', 'add', 'change')
CHANGES = ('add', 'remove')
BACKENDS = ('iptables', 'nftables')
CHANGE_TARGET = (10, 1000, 1.5)  # issue 25, item 2: at N=1,000 within 1.5x of the cost at N=10


class BenchError(Exception):
    pass


# -- the machine's own state, which no benchmark may change -----------------------------------------------------
def _out(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False).stdout
    except OSError:
        return None


def machine_state():
    state = {}
    for key, argv in (('links', ['ip', '-o', 'link']), ('addrs', ['ip', '-o', 'addr']), ('routes', ['ip', 'route', 'show', 'table', 'all']),
                      ('routes6', ['ip', '-6', 'route', 'show', 'table', 'all']), ('rules', ['ip', 'rule']),
                      ('iptables', ['iptables-save']), ('ip6tables', ['ip6tables-save']), ('nft', ['nft', 'list', 'ruleset'])):
        text = _out(argv) or ''
        text = re.sub(r'(valid_lft|preferred_lft) \S+', '', text)
        text = re.sub(r'counter packets \d+ bytes \d+', 'counter', text)
        text = re.sub(r'\[\d+:\d+\]', '[]', text)
        text = re.sub(r' expires \S+', '', text)
        state[key] = sorted(line for line in text.splitlines() if not line.startswith('#'))
    for path in ('/run/netns', '/var/lib/cni', '/run/cni', '/var/lib/containers', '/run/containers', '/etc/netns', '/var/lib/hostnet'):
        state[path] = sorted(os.listdir(path)) if os.path.isdir(path) else None
    with open('/proc/sys/net/ipv4/ip_forward') as f:
        state['ip_forward'] = f.read().strip()
    with open('/proc/self/mountinfo') as f:
        state['nsfs_mounts'] = sorted(line.split()[4] for line in f if ' nsfs ' in line or '/run/netns' in line)
    return state


def machine_description(python):
    def first(pattern, text):
        found = re.search(pattern, text or '', re.M)
        return found.group(1).strip() if found else 'unknown'

    with open('/proc/cpuinfo') as f:
        cpu = first(r'^model name\s*:\s*(.*)$', f.read())
    desc = {'cpu': cpu, 'cores': os.cpu_count(), 'kernel': platform.release(), 'debian': (_out(['cat', '/etc/debian_version']) or '').strip(),
            'python': platform.python_version()}
    for pkg in ('containernetworking-plugins', 'netavark', 'iproute2', 'iptables', 'python3-pyroute2'):
        desc[pkg] = (_out(['dpkg-query', '-W', '-f=${Version}', pkg]) or 'not installed').strip() or 'not installed'
    desc['pyroute2 (engine, floor)'] = (_out([python, '-c', 'import importlib.metadata as m; print(m.version("pyroute2"))']) or '').strip()
    desc['ansible-core'] = (_out([python, '-c', 'import importlib.metadata as m; print(m.version("ansible-core"))']) or '').strip()
    with open('/proc/meminfo') as f:
        desc['memory'] = first(r'^MemTotal:\s*(.*)$', f.read())
    return desc


def run_worker(bench, lab, n, what, extra=()):
    """worker.py's ``what`` (TOOL, PHASE) for N containers, with ``extra`` arguments, inside the lab's host `bench`:
    its JSON result."""
    env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNET_COLLECTIONS': bench.collections, 'LANG': 'C.UTF-8'}
    res = lab.run('bench', [bench.python, WORKER] + list(what) + [str(n)] + list(extra), check=False, timeout=1800, env=env)
    if res.returncode != 0:
        raise BenchError('%s N=%d failed: %s' % (' '.join(list(what) + list(extra)), n, (res.stderr or res.stdout).strip()[-3000:]))
    return json.loads(res.stdout.strip().splitlines()[-1])


# -- one run: a fresh emulated host, every phase of one tool ---------------------------------------------------------
class Run:
    def __init__(self, bench, tool, n, kind='lab'):
        self.bench = bench
        self.tool = tool
        self.n = n
        self.lab = hostnet_lab.Lab(os.path.join(bench.tmp, '%s-%s-%d' % (kind, tool, n)))

    def worker(self, tool, phase, extra=()):
        return run_worker(self.bench, self.lab, self.n, [tool, phase], extra)

    def module(self, state):
        endpoints = [{'name': 'c%d' % i, 'publish': ['%d:80' % (20000 + i)]} for i in range(self.n)] if state == 'present' else None
        return self.playbook(self.bench.playbook, {'bench_state': state, 'bench_endpoints': endpoints} if endpoints else {'bench_state': state},
                             'docker_bridge N=%d state=%s' % (self.n, state))

    def playbook(self, playbook, variables, what):
        """One timed ansible-playbook run against the emulated host: {seconds, changed}."""
        b = self.bench
        extra = os.path.join(b.tmp, 'vars-%d.json' % self.n)
        with open(extra, 'w') as f:
            json.dump(variables, f)
        inventory = os.path.join(b.tmp, 'inventory.json')
        with open(inventory, 'w') as f:
            json.dump({'all': {'hosts': {'bench': {'ansible_connection': 'hostnet.containers.nsenter',
                                                   'hostnet_nsenter_pid_file': self.lab.pid_file('bench'),
                                                   'ansible_python_interpreter': b.python}}}}, f)
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=b.collections, ANSIBLE_PIPELINING='True',
                   ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_LOCAL_TEMP=os.path.join(b.tmp, 'ansible-tmp'),
                   ANSIBLE_LOCALHOST_WARNING='False', ANSIBLE_HOME=os.path.join(b.tmp, 'ansible-home'))
        start = time.monotonic()
        res = subprocess.run([b.ansible_playbook, '-i', inventory, playbook, '-e', '@' + extra], capture_output=True, text=True,
                             env=env, timeout=1800, check=False)
        seconds = time.monotonic() - start
        recap = re.search(r'^bench\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', res.stdout, re.M)
        if res.returncode != 0 or not recap or recap.group(3) != '0' or recap.group(4) != '0':
            raise BenchError('%s failed (rc=%d): %s' % (what, res.returncode, (res.stdout + res.stderr)[-3000:]))
        return {'seconds': seconds, 'changed': recap.group(2) != '0'}

    def settle(self):
        """Let the emulated host settle before a timed phase: for a few seconds after hundreds of interfaces appear,
        the kernel is busy with their IPv6 link-local setup (DAD, router solicitations), and whatever is measured
        then pays for it.  Every tool gets the same pause."""
        time.sleep(self.bench.args.settle * max(1.0, self.n / 250.0))

    def timed(self, phase):
        if phase != 'apply':
            self.settle()
        if self.tool == 'module':
            return self.module('absent' if phase == 'teardown' else 'present')
        return self.worker(self.tool, phase)

    def verify(self, what):
        res = self.worker('any', what)
        if not res['ok']:
            raise BenchError('%s after %s N=%d: %s' % (what, self.tool, self.n, '; '.join(res['problems'])))

    def execute(self):
        """{phase: seconds} of this tool, every state verified."""
        out = {}
        self.lab.up({'bench': {'address': '10.138.3.130/24'}})
        try:
            if self.tool == 'module':  # the same host's trivial play: the part of every play that is not the module's
                out['trivial'] = self.playbook(self.bench.trivial_playbook, {}, 'the trivial play')['seconds']
            out['apply'] = self.timed('apply')['seconds']
            self.verify('verify-up')
            if self.tool in HOSTNET_PHASES:
                res = self.timed('reapply')
                if res['changed']:
                    raise BenchError('%s re-apply N=%d reported changed=true' % (self.tool, self.n))
                out['reapply'] = res['seconds']
                self.worker('any', 'damage')
                res = self.timed('drift')
                if not res['changed']:
                    raise BenchError('%s apply after drift N=%d reported changed=false' % (self.tool, self.n))
                out['drift'] = res['seconds']
                self.verify('verify-up')
            out['teardown'] = self.timed('teardown')['seconds']
            self.verify('verify-down')
            self.worker('any', 'clean')
        finally:
            self.lab.down()
        return out


class AddRun(Run):
    """The add cell in a fresh emulated host: a network of N containers with name resolution on (built untimed by
    the engine), one container added alone by this column (timed), the files it wrote counted, the new name
    resolved both ways."""

    def __init__(self, bench, tool, n):
        super().__init__(bench, tool, n, kind='add')

    def execute(self):
        """{seconds, files: {written, created, changed, removed, by_folder, ...}}"""
        self.lab.up({'bench': {'address': '10.138.3.130/24'}})
        try:
            self.worker('dns', 'build')
            self.settle()
            self.worker('dns', 'files-before')
            if self.tool == 'module':
                res = self.playbook(self.bench.add_playbook, {'bench_endpoints': [{'name': 'c%d' % self.n}]},
                                    'docker_bridge adding c%d to a network of %d' % (self.n, self.n))
            else:
                res = self.worker('dns', 'add')
            if not res['changed']:
                raise BenchError('%s adding c%d to a network of %d reported changed=false' % (self.tool, self.n, self.n))
            files = self.worker('dns', 'files-after')
            check = self.worker('dns', 'verify-add')
            if not check['ok']:
                raise BenchError('after %s added c%d to a network of %d: %s' % (self.tool, self.n, self.n, '; '.join(check['problems'])))
        finally:
            self.lab.down()
        # The engine says how much of its add was planning and how many steps it ran: where the time goes.
        return {'seconds': res['seconds'], 'files': files, 'plan_seconds': res.get('plan_seconds'), 'steps': res.get('steps')}


class ChangeRun(Run):
    """The change cell (issue 25, item 2) in a fresh emulated host: a network of N containers, each publishing a
    port, with name resolution on (built untimed by the engine), then one container with one published port added
    by this column (timed) and removed again (timed).  After each change: it reported changed, its port answers a
    TCP connect from the host (after the add) or is refused and in no rule (after the remove), and the engine run
    again with the same parameters changes nothing."""

    def __init__(self, bench, tool, n, backend):
        super().__init__(bench, tool, n, kind='change-' + backend)
        self.backend = backend

    def change(self, step):
        what = '%s %s of c%d on a network of %d (%s)' % (self.tool, step, self.n, self.n, self.backend)
        if self.tool == 'module':
            endpoints = [bench_worker.change_added(self.n)] if step == 'add' else bench_worker.change_endpoints(self.n)
            res = self.playbook(self.bench.add_playbook, {'bench_endpoints': endpoints, 'bench_backend': self.backend,
                                                          'bench_purge': step == 'remove'}, what)
        elif self.tool == 'container':
            # The container module plans the network from its stored settings (its firewall backend too).
            added = bench_worker.change_added(self.n)
            res = self.playbook(self.bench.container_playbook, {'bench_name': added['name'], 'bench_ports': added['publish'],
                                                                'bench_state': 'present' if step == 'add' else 'absent'}, what)
        else:
            res = self.worker('change', step, (self.backend,))
        if not res['changed']:
            raise BenchError('%s reported changed=false' % what)
        check = self.worker('change', 'verify-' + step, (self.backend,))
        if not check['ok']:
            raise BenchError('after the %s: %s' % (what, '; '.join(check['problems'])))
        if self.worker('change', step, (self.backend,))['changed']:
            raise BenchError('the %s, run again by the engine, reported changed=true' % what)
        return {'seconds': res['seconds'], 'plan_seconds': res.get('plan_seconds'), 'steps': res.get('steps'), 'answered': check.get('answered')}

    def execute(self):
        """{'ready': {seconds}, 'add': {seconds, plan_seconds, steps}, 'remove': {...}} (plan_seconds and steps: the
        engine's only; ready: how long after the build the network first answered)."""
        self.lab.up({'bench': {'address': '10.138.3.130/24'}})
        try:
            self.worker('change', 'build', (self.backend,))
            out = {'ready': change_ready(lambda: self.worker('change', 'ready'), self.settle)}
            out.update((step, self.change(step)) for step in CHANGES)
            return out
        finally:
            self.lab.down()


def change_ready(ready, settle):
    """After the change cell's untimed build: wait until the network answers (worker.py's change_ready, through the
    callable ``ready``), then ``settle()``; {'seconds': how long the network took to answer}."""
    res = ready()
    if not res['ok']:
        raise BenchError('the network never answered after its build: %s' % '; '.join(res['problems']))
    settle()
    return {'seconds': res['seconds']}


def change_cells(args, columns):
    """The change cell's (backend, N, column) of a run, in the order of its first repeat."""
    return [(b, n, col) for b in args.change_backends for n in args.change_sizes for col in columns]


def record_change(store, cell, out):
    """Add one run's {'ready': {seconds}, 'add': {seconds, ...}, 'remove': {...}} to ``store`` (backend -> column -> N -> step -> lists)."""
    backend, n, col = cell
    steps = store.setdefault(backend, {}).setdefault(col, {}).setdefault(n, {})
    for step, res in out.items():
        for key, value in res.items():
            if value is not None:
                steps.setdefault(step, {}).setdefault(key, []).append(value)
    return '%s N=%-5d %-6s add %s s (its port answered %s s after it), remove %s s (the network answered %s s after its build)' % (
        backend, n, col, fmt(out['add']['seconds']), fmt(out['add']['answered']), fmt(out['remove']['seconds']), fmt(out['ready']['seconds']))


class Bench:
    def __init__(self, args):
        self.args = args
        self.python = args.python or sys.executable
        self.ansible_playbook = os.path.join(os.path.dirname(self.python), 'ansible-playbook')
        self.tmp = tempfile.mkdtemp(prefix='hostnet-bench-')
        self.collections = os.path.join(self.tmp, 'collections')
        os.makedirs(os.path.join(self.collections, 'ansible_collections', 'hostnet'))
        os.symlink(REPO, os.path.join(self.collections, 'ansible_collections', 'hostnet', 'containers'))
        self.playbook = os.path.join(self.tmp, 'bench.yml')
        with open(self.playbook, 'w') as f:
            f.write(PLAY)
        self.add_playbook = os.path.join(self.tmp, 'add.yml')
        with open(self.add_playbook, 'w') as f:
            f.write(ADD_PLAY)
        self.container_playbook = os.path.join(self.tmp, 'container.yml')
        with open(self.container_playbook, 'w') as f:
            f.write(CONTAINER_PLAY)
        self.trivial_playbook = os.path.join(self.tmp, 'trivial.yml')
        with open(self.trivial_playbook, 'w') as f:
            f.write(TRIVIAL_PLAY)
        self.results = {}
        self.add = {}
        self.change = {}

    def close(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def tools_for(self, n):
        return [t for t in self.args.tools if t in NETWORK_TOOLS and (t not in SLOW or n <= self.args.peers_max)]

    def run(self, log):
        for n in self.args.sizes if 'network' in self.args.cells else ():
            for rep in range(self.args.repeats):
                tools = self.tools_for(n)
                # Rotate the order from repeat to repeat, so slow moments of a shared machine do not fall on one tool.
                k = rep % len(tools)
                for tool in tools[k:] + tools[:k]:
                    started = time.monotonic()
                    phases = Run(self, tool, n).execute()
                    for phase, seconds in phases.items():
                        self.results.setdefault(tool, {}).setdefault(n, {}).setdefault(phase, []).append(seconds)
                    done = '  '.join('%s %.3f s' % kv for kv in phases.items())
                    log('N=%-5d run %d/%d %-9s %s  (%.0f s)' % (n, rep + 1, self.args.repeats, tool, done, time.monotonic() - started))
        if 'add' in self.args.cells:
            self.run_add(log)
        if 'change' in self.args.cells:
            self.run_change(log)

    def run_change(self, log):
        """The change cell: every backend, size and column once per repeat, rotated from repeat to repeat."""
        cells = change_cells(self.args, [t for t in CHANGE_TOOLS if t in self.args.tools])
        for rep in range(self.args.repeats if cells else 0):
            k = rep % len(cells)
            for cell in cells[k:] + cells[:k]:
                started = time.monotonic()
                out = ChangeRun(self, cell[2], cell[1], cell[0]).execute()
                done = record_change(self.change, cell, out)
                log('change run %d/%d %s  (%.0f s)' % (rep + 1, self.args.repeats, done, time.monotonic() - started))

    def run_add(self, log):
        """The add cell: every size and column once per repeat, sizes and columns rotated from repeat to repeat, so the
        add to a network of 1 and the add to a network of N share the run's slow and quiet moments."""
        tools = [t for t in ADD_TOOLS if t in self.args.tools]
        cells = [(n, t) for n in add_sizes(self.args) for t in tools]
        for rep in range(self.args.repeats if cells else 0):
            k = rep % len(cells)
            for n, tool in cells[k:] + cells[:k]:
                started = time.monotonic()
                out = AddRun(self, tool, n).execute()
                cell = self.add.setdefault(tool, {}).setdefault(n, {'seconds': [], 'files': [], 'plan_seconds': [], 'steps': []})
                for key in cell:
                    if out[key] is not None:
                        cell[key].append(out[key])
                log('add to N=%-5d run %d/%d %-7s %.3f s, %d files written (%s)  (%.0f s)' % (
                    n, rep + 1, self.args.repeats, tool, out['seconds'], out['files']['written'],
                    ', '.join('%s %d' % kv for kv in out['files']['by_folder'].items()), time.monotonic() - started))


# -- the report ------------------------------------------------------------------------------------------------------------
def median(results, tool, n, phase):
    values = results.get(tool, {}).get(n, {}).get(phase)
    return statistics.median(values) if values else None


def fmt(seconds):
    return '-' if seconds is None else ('%.3f' % seconds if seconds < 10 else '%.1f' % seconds)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def fmt_ratio(value):
    return '-' if value is None else ('%.2fx' % value if value < 10 else '%.0fx' % value)


def add_sizes(args):
    """The add cell's networks: of 1 container (the base) and of each --sizes up to --add-max."""
    return sorted({ADD_BASE} | {n for n in args.sizes if n <= args.add_max})


def spread(values):
    """The relative range of a cell's repeats, (max - min) / median: 0 with one repeat (nothing measured)."""
    return (max(values) - min(values)) / statistics.median(values) if len(values) > 1 and statistics.median(values) else 0.0


def span(values):
    return '-' if not values else ('%d' % values[0] if min(values) == max(values) else '%d-%d' % (min(values), max(values)))


def add_report(add, args):
    """The add cell's section: one row per network size and column."""
    lines = ['', '## Adding one container to a network of N (name resolution on; issue 22)', '',
             'A network with `dns` on (docker_bridge\'s default) and N containers, built untimed in a fresh emulated host, then '
             'one container added alone (`endpoints: [cN]`, purge_endpoints off, as `docker run --network` adds one): seconds of '
             'that add, median of the repeats and each repeat; the files under /etc/netns and /run/hostnet/dns it wrote '
             '(new, or rewritten: another inode or mtime) and removed; every add verified (address, default route, names '
             'resolved both ways between c0 and the new container by getent inside them, pings). The engine column also '
             'gives how much of its add was planning (reading the host and deciding) and how many plan steps it ran; the '
             'module column\'s seconds include a play\'s fixed cost (about 1.2 s).', '',
             '| network of N | column | add, median s | repeats (s) | spread | / add to N=%d | files written | under /etc/netns | '
             'under /run/hostnet/dns | removed | of which planning, median s | steps |' % ADD_BASE, '|---|---|---|---|---|---|---|---|---|---|---|---|']
    for n in add_sizes(args):
        for col in ADD_TOOLS:
            cell = add.get(col, {}).get(n)
            if not cell:
                continue
            base = add[col].get(ADD_BASE)
            m = statistics.median(cell['seconds'])
            files = cell['files']
            lines.append('| %d | %s | %s | %s | %.2f | %s | %s | %s | %s | %s | %s | %s |' % (
                n, col, fmt(m), ' '.join(fmt(v) for v in cell['seconds']), spread(cell['seconds']),
                fmt_ratio(ratio(m, statistics.median(base['seconds']) if base else None)),
                span([f['written'] for f in files]), span([f['by_folder']['/etc/netns'] for f in files]),
                span([f['by_folder']['/run/hostnet/dns'] for f in files]), span([f['removed'] for f in files]),
                fmt(statistics.median(cell['plan_seconds']) if cell.get('plan_seconds') else None), span(cell.get('steps'))))
    return lines


def add_targets(add, args):
    """(met, text) for issue 22's benchmark: the add to a network of 500 (or the largest measured) costs no more than
    the add to a network of 1.  "No more than" within what the run itself can tell apart: met when the ratio of the
    medians is at most 1 plus the larger relative range of the two cells' repeats."""
    out = []
    sizes = add_sizes(args)
    n = TARGET_N if TARGET_N in sizes else max(sizes)
    for col in ADD_TOOLS:
        base, big = add.get(col, {}).get(ADD_BASE), add.get(col, {}).get(n)
        if n == ADD_BASE or not base or not big:
            continue
        mb, mn = statistics.median(base['seconds']), statistics.median(big['seconds'])
        tol = max(spread(base['seconds']), spread(big['seconds']))
        value = mn / mb
        out.append((value <= 1.0 + tol, 'one-container add at N=%d within 1.0x (no more than) of the add at N=%d, %s: %.2fx (%s s vs %s s, '
                    'medians of %d and %d repeats); tolerance 1.00 + the run\'s spread %.2f = %.2f (spread: the larger (max-min)/median '
                    'of the two cells\' repeats); files the add wrote: %s vs %s' % (
                        n, ADD_BASE, col, value, fmt(mn), fmt(mb), len(big['seconds']), len(base['seconds']), tol, 1.0 + tol,
                        span([f['written'] for f in big['files']]), span([f['written'] for f in base['files']]))))
    return out


def add_section(add, args):
    """(report lines, targets) of the add cell; nothing when it did not run."""
    if not add:
        return [], []
    checks = add_targets(add, args)
    lines = add_report(add, args) + ['', '## Targets (issue 22)', '']
    lines += ['- %s: %s' % ('met' if ok else 'NOT met', text) for ok, text in checks] or ['- not measured (no add to a network larger than 1)']
    return lines, checks


def change_ends(sizes):
    """(base, big) of the change target: N=10 and N=1,000 when the run has them, else its smallest and largest."""
    base, big, dummy = CHANGE_TARGET
    return (base if base in sizes else min(sizes)), (big if big in sizes else max(sizes))


def change_table(change, args, columns):
    lines = ['| firewall backend | network of N | column | add, median s | repeats (s) | spread | remove, median s | repeats (s) | '
             'spread | planning add / remove, median s | steps add / remove | new port answered after the add, median s (max) | '
             'first answer after the build, median s |', '|---|---|---|---|---|---|---|---|---|---|---|---|---|']
    for backend, n, col in change_cells(args, columns):
        cell = change.get(backend, {}).get(col, {}).get(n)
        if not cell:
            continue
        row = ['| %s | %d | %s' % (backend, n, col)]
        for step in CHANGES:
            secs = cell[step]['seconds']
            row.append('%s | %s | %.2f' % (fmt(statistics.median(secs)), ' '.join(fmt(v) for v in secs), spread(secs)))
        plans = [cell[step].get('plan_seconds') for step in CHANGES]
        row.append(' / '.join(fmt(statistics.median(p)) if p else '-' for p in plans))
        row.append(' / '.join(span(cell[step].get('steps')) for step in CHANGES))
        answered = cell['add']['answered']
        row.append('%s (%s)' % (fmt(statistics.median(answered)), fmt(max(answered))))
        row.append(fmt(statistics.median(cell['ready']['seconds'])) + ' |')
        lines.append(' | '.join(row))
    return lines


def change_targets(change, args, columns):
    """(met, text) per backend, column and change: at N=1,000 within 1.5x of the same change at N=10 (issue 25, item 2)."""
    out = []
    base, big = change_ends(args.change_sizes)
    for backend, col in ((b, c) for b in args.change_backends for c in columns):
        cells = change.get(backend, {}).get(col, {})
        if base == big or base not in cells or big not in cells:
            continue
        for step in CHANGES:
            mb, mn = statistics.median(cells[base][step]['seconds']), statistics.median(cells[big][step]['seconds'])
            out.append((mn <= CHANGE_TARGET[2] * mb, 'one-container %s (one published port) at N=%d within %.1fx of N=%d, %s, %s: %.2fx '
                        '(%s s vs %s s, medians of %d and %d repeats)' % (
                            step, big, CHANGE_TARGET[2], base, backend, col, mn / mb, fmt(mn), fmt(mb),
                            len(cells[big][step]['seconds']), len(cells[base][step]['seconds']))))
    return out


def change_section(change, args, columns, how):
    """(report lines, targets) of the change cell (issue 25, item 2), ``how`` saying how its columns change the
    network; nothing when it did not run."""
    if not change:
        return [], []
    checks = change_targets(change, args, columns)
    lines = ['', '## One-container change: add, and remove, one container with one published port on a network of N (issue 25, item 2)',
             '', how + ' Seconds of the add and of the remove, median of the repeats and each repeat; spread = (max - min) / '
             'median. After each change: the run reported changed; after the add, the new container has an address and a '
             'default route, and a TCP connect from the host to its own address and port %d (and to c0\'s port %d) is accepted '
             'in the container; after the remove, the container is off the network, port %d is refused and named by no '
             'firewall rule, and c0\'s port still answers. Before the add, untimed, the run waits until c0\'s port answers '
             '(the last column), then settles. The connects are retried for up to 120 s (the column before the last; not '
             'part of the timed change): on a bridge of about 1,000 ports a new container\'s port used to answer only after '
             'tens of seconds, and the network after its build as long, since every broadcast and multicast report was '
             'flooded to each port into a per-CPU backlog of net.core.netdev_max_backlog (1,000) packets and what came '
             'past it was dropped; a new container now knows its gateway\'s MAC, and the host ends send nothing of their '
             'own (IPv6 off).' % (
                 bench_worker.CHANGE_PORT, bench_worker.FIRST_PORT, bench_worker.CHANGE_PORT),
             ''] + change_table(change, args, columns) + ['', '## Targets (issue 25, item 2)', '']
    lines += ['- %s: %s' % ('met' if ok else 'NOT met', text) for ok, text in checks] or [
        '- not measured (the change cell needs two network sizes)']
    return lines, checks


CHANGE_HOW = ('A network with name resolution on (docker_bridge\'s default `dns`) and N containers c0..c(N-1), container i '
              'publishing host port 20000+i to its port 80, built untimed by the engine in a fresh emulated host per backend, '
              'size, column and repeat (`firewall_backend` iptables or nftables); then container cN publishing `%d:80` added '
              'alone (`endpoints: [cN]`, purge_endpoints off), and removed again (`endpoints: [c0..c(N-1)]` with '
              '`purge_endpoints: true`: the module has no per-endpoint absent, so the remove lists the network\'s other '
              'containers). The container column makes the same change through the container module, one container\'s '
              'networking as `docker run --network benchdns -p %d:80` and `docker rm -f` give it (`state: present` with '
              '`networks` and `published_ports`, then `state: absent`): the module plans the network from its stored '
              'settings with only that container changed, so its arguments do not grow with N. Each change is then run '
              'again by the engine in-process with the same parameters and must report changed=false. The module and '
              'container columns\' seconds include a play\'s fixed cost (about 1.1 s); the engine '
              'column gives how much of each change was planning and how many plan steps it ran.' % ((bench_worker.CHANGE_PORT,) * 2))


def report(results, args, desc, elapsed, machine_ok, add=None, change=None):
    head = ['# hostnet.containers benchmark', '',
            'One bridge network, N containers, masquerade, one published port each, inside an emulated host. '
            'Median seconds of %d runs per cell; every state verified after every phase. '
            'Reproduce with `make bench` (`%s`).' % (args.repeats, ' '.join(['python', 'benchmarks/bench.py'] + args.argv))]
    lines, checks = network_section(results, args) if results else ([], [])
    add_lines, add_checks = add_section(add, args)
    change_lines, change_checks = change_section(change, args, [t for t in CHANGE_TOOLS if t in args.tools], CHANGE_HOW)
    lines = head + lines + add_lines + change_lines
    checks = checks + add_checks + change_checks
    lines += ['', '## Machine', '']
    lines += ['- %s: %s' % (k, v) for k, v in desc.items()]
    lines += ['- run took %.0f s; the machine\'s own network, firewall and /run/netns were %s' % (
        elapsed, 'unchanged (checked)' if machine_ok else 'CHANGED'), '']
    return '\n'.join(lines), checks


def network_section(results, args):
    """(report lines, targets) of the network of N built, re-applied, repaired and torn down by every column."""
    sizes = args.sizes
    tools = [t for t in TOOLS if t in results]
    lines = ['', '## Seconds (median)', '',
             '| N | phase | ' + ' | '.join(LABELS[t] for t in tools) + ' |',
             '|---|---|' + '---|' * len(tools)]
    for n in sizes:
        for phase in PHASES + ('trivial',):
            cells = [fmt(median(results, t, n, phase)) for t in tools]
            if any(c != '-' for c in cells):
                lines.append('| %d | %s | %s |' % (n, phase, ' | '.join(cells)))
    lines += ['', '## Ratios (peer median / hostnet median; for the floor, hostnet / floor; for re-apply, re-apply / apply)', '',
              '| N | column | apply vs CNI | apply vs netavark | apply vs ip -batch | apply / floor | re-apply / apply | '
              'drift / apply | teardown vs CNI | teardown vs netavark |', '|---|---|---|---|---|---|---|---|---|---|']
    for n in sizes:
        for col in HOSTNET_PHASES:
            if col not in results or n not in results[col]:
                continue
            m = {phase: median(results, col, n, phase) for phase in PHASES}
            lines.append('| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (
                n, col, fmt_ratio(ratio(median(results, 'cni', n, 'apply'), m['apply'])),
                fmt_ratio(ratio(median(results, 'netavark', n, 'apply'), m['apply'])),
                fmt_ratio(ratio(median(results, 'ipbatch', n, 'apply'), m['apply'])),
                fmt_ratio(ratio(m['apply'], median(results, 'floor', n, 'apply'))),
                fmt_ratio(ratio(m['reapply'], m['apply'])), fmt_ratio(ratio(m['drift'], m['apply'])),
                fmt_ratio(ratio(median(results, 'cni', n, 'teardown'), m['teardown'])),
                fmt_ratio(ratio(median(results, 'netavark', n, 'teardown'), m['teardown']))))
    lines += ['', '## Cost per container (apply, median ms / N): linear when the row stays flat', '',
              '| tool | ' + ' | '.join('N=%d' % n for n in sizes) + ' |', '|---|' + '---|' * len(sizes)]
    for t in tools:
        cells = []
        for n in sizes:
            m = median(results, t, n, 'apply')
            cells.append('-' if m is None else '%.1f' % (1000 * m / n))
        lines.append('| %s | %s |' % (LABELS[t], ' | '.join(cells)))
    checks = targets(results, sizes)
    lines += ['', '## Targets (issue 9)', '']
    lines += ['- %s: %s' % ('met' if ok else 'NOT met', text) for ok, text in checks] or ['- not measured (no run of N=%d with the peers)' % target_size(sizes)]
    through = through_ansible(results, sizes)
    lines += ['', '## Through Ansible (issue 25, item 4)', '',
              'The module column less the trivial play (one `ansible.builtin.ping` task) timed on the same emulated host before '
              'each apply: what the module itself costs when Ansible runs it, against the engine in-process.', '']
    lines += ['- %s: %s' % ('met' if ok else 'NOT met', text) for ok, text in through] or ['- not measured (needs the module and engine columns)']
    return lines, checks + through


def through_ansible(results, sizes):
    """(met, text) of issue 25's item 4 at 500 containers (see target_size): the module's apply less the trivial play
    within 1.3x of the engine's apply, and its re-apply less the trivial play at most 0.1 of that."""
    n = target_size(sizes)
    trivial, apply, reapply = (median(results, 'module', n, phase) for phase in ('trivial', 'apply', 'reapply'))
    engine = median(results, 'engine', n, 'apply')
    if None in (trivial, apply, reapply, engine) or not engine:
        return []
    # On a busy moment the trivial play may take as long as the apply: then no share of it is the module's to compare.
    own, factor, share = max(apply - trivial, 1e-9), THROUGH_ANSIBLE[0], THROUGH_ANSIBLE[1]
    ratio_apply, ratio_reapply = own / engine, (reapply - trivial) / own
    apply_text = 'module apply minus the trivial play within %.1fx of the engine in-process, N=%d: %.2fx (%s s - %s s vs %s s)' % (
        factor, n, ratio_apply, fmt(apply), fmt(trivial), fmt(engine))
    reapply_text = 'module re-apply minus the trivial play at most %.1f of its apply, N=%d: %.3f (%s s - %s s vs %s s)' % (
        share, n, ratio_reapply, fmt(reapply), fmt(trivial), fmt(own))
    return [(ratio_apply <= factor, apply_text), (ratio_reapply <= share, reapply_text)]


def target_size(sizes):
    """The issue states its targets for 500 containers; a smaller run checks them on its largest size."""
    return TARGET_N if TARGET_N in sizes else max(sizes)


def targets(results, sizes):
    """(met, text) for each target of the issue, at 500 containers (see target_size)."""
    out = []
    n = target_size(sizes)
    for col in HOSTNET_PHASES:
        for phase, peer, factor, text in TARGETS:
            if median(results, col, n, phase) is None or median(results, peer, n, phase) is None:
                continue
            mine, theirs = median(results, col, n, phase), median(results, peer, n, phase)
            if peer == 'floor':
                value = mine / theirs
                out.append((value <= 1 / factor, '%s, N=%d, %s: %.2fx the floor (%s s vs %s s)' % (text, n, col, value, fmt(mine), fmt(theirs))))
            else:
                value = theirs / mine
                out.append((value >= factor, '%s, N=%d, %s: %.1fx (%s s vs %s s)' % (text, n, col, value, fmt(mine), fmt(theirs))))
        if median(results, col, n, 'reapply') is not None:
            value = median(results, col, n, 'reapply') / median(results, col, n, 'apply')
            out.append((value < 0.1, 're-apply under 1/10 of the apply time, N=%d, %s: %.3f of apply (%s s vs %s s)' % (
                n, col, value, fmt(median(results, col, n, 'reapply')), fmt(median(results, col, n, 'apply')))))
    return out


def write_report(out, stem, latest, text, data):
    """STEM.md and LATEST (the report), STEM.json (the data) in the folder `out`."""
    os.makedirs(out, exist_ok=True)
    for name in (stem + '.md', latest):
        with open(os.path.join(out, name), 'w') as f:
            f.write(text)
    with open(os.path.join(out, stem + '.json'), 'w') as f:
        json.dump(data, f, indent=1, sort_keys=True)
    print('written to %s' % os.path.join(out, stem + '.md'))


def failure(what, before, after, error):
    """The exit status of a run that failed, said on stderr: 2 when the machine's own state changed, 1 on an error;
    0 otherwise."""
    changed = sorted(k for k in before if before[k] != after[k])
    if changed:
        for key in changed:
            print('MACHINE STATE CHANGED: %s\n  before: %s\n  after:  %s' % (key, before[key], after[key]), file=sys.stderr)
        print('%s: FAILED, the machine\'s own state changed (%s)' % (what, ', '.join(changed)), file=sys.stderr)
        return 2
    if error:
        print('%s: FAILED: %s' % (what, error), file=sys.stderr)
        return 1
    return 0


def conclude(what, where, text, data, before, after, error):
    """Print the report, write it (``where``: write_report's folder, stem and latest name) and its data, and say on
    stderr what failed: the exit status, as failure() gives it."""
    print()
    print(text)
    write_report(*where, text, data)
    return failure(what, before, after, error)


def run_bench(what, stem, args, runner, report_of, data_of):
    """A benchmark's main from its runner on: measured() runs it, ``report_of(desc, elapsed, machine_ok, error)`` gives
    (text, checks), ``data_of()`` the data kept beside the report (STEM-STAMP.json, with the machine, the arguments,
    the checks and the error); then conclude().  The exit status: conclude's, else 0 (a target not met is printed,
    never fatal)."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%d-%H%M%S')
    desc, elapsed, before, after, error = measured(runner)
    text, checks = report_of(desc, elapsed, before == after, error)
    data = dict(data_of(), machine=desc, args=args.argv, targets=checks, error=str(error) if error else None)
    failed = conclude(what, (args.out, '%s-%s' % (stem, stamp), '%s-latest.md' % stem), text, data, before, after, error)
    if failed:
        return failed
    missed = [text for ok, text in checks if ok is False]
    if missed:
        print('%s: target not met:\n  ' % what + '\n  '.join(missed))
    return 0


def loadavg():
    """The 1, 5 and 15 minute load averages, as /proc/loadavg has them."""
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def _stopped(signum, dummy):
    # Once: a second SIGTERM must not break off the teardown the first one started.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise BenchError('stopped by signal %d' % signum)


def measured(runner):
    """``runner.run(log)``, then ``runner.close()``, between two reads of the machine's own state, the machine and its
    load described: (description, seconds, state before, state after, the BenchError, LabError or timeout that
    stopped the run or None).  bench.py, overlay_bench.py and ipv6_bench.py run their benchmark through it."""
    started = time.monotonic()
    before = machine_state()
    desc = machine_description(runner.python)
    desc['load average at start'] = loadavg()
    error = None
    # A SIGTERM (a CI job's timeout, a kill) stops the run as an error does: the emulated host of the cell that runs is
    # taken down by its own finally, the runner's folder removed, the machine's state compared and the report written.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        runner.run(lambda msg: print(msg, flush=True))
    except (BenchError, hostnet_lab.LabError, subprocess.TimeoutExpired) as exc:
        error = exc
    finally:
        signal.signal(signal.SIGTERM, previous)
        runner.close()
    after = machine_state()
    desc['load average at end'] = loadavg()
    return desc, time.monotonic() - started, before, after, error


def change_options(p, args):
    """Parse --cells, --change-sizes and --change-backends (bench.py's and role_bench.py's) into lists, or fail."""
    args.cells = [c for c in args.cells.split(',') if c]
    args.change_sizes = sorted({int(s) for s in args.change_sizes.split(',') if s})
    args.change_backends = [b for b in args.change_backends.split(',') if b]
    if not set(args.cells) <= set(p.cells):
        p.error('--cells must be among %s' % ', '.join(p.cells))
    if 'change' in args.cells and (not args.change_sizes or not args.change_backends or any(
            n < 1 or n > 1000 for n in args.change_sizes) or not set(args.change_backends) <= set(BACKENDS)):
        p.error('--change-sizes takes networks of 1..1000 containers, --change-backends %s' % ' and/or '.join(BACKENDS))


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    p.cells = CELLS
    p.add_argument('--sizes', default='10,100,500,1000', help='comma-separated numbers of containers')
    p.add_argument('--repeats', type=int, default=3, help='runs per tool and size (medians are reported)')
    p.add_argument('--tools', default=','.join(TOOLS), help='comma-separated subset of %s' % ','.join(TOOLS))
    p.add_argument('--peers-max', type=int, default=500, help='largest N the peers (CNI, netavark, ip -batch) run at (they are slow)')
    p.add_argument('--add-max', type=int, default=500,
                   help='largest network the add cell (issue 22) adds one container to; 0 measures only the add to a network of 1')
    p.add_argument('--cells', default=','.join(CELLS),
                   help='comma-separated subset of %s: the network of N by every column, the add cell (issue 22), the change '
                        'cell (issue 25, item 2)' % ','.join(CELLS))
    p.add_argument('--change-sizes', default='10,1000', help='networks the change cell adds one container to and removes it from')
    p.add_argument('--change-backends', default=','.join(BACKENDS), help='firewall backends of the change cell')
    p.add_argument('--settle', type=float, default=1.5,
                   help='seconds to wait before each timed phase after apply, per 250 containers (at least once)')
    p.add_argument('--out', default=os.path.join(HERE, 'results'), help='folder for the report (markdown and JSON)')
    p.add_argument('--python', help='interpreter with ansible-core, pyroute2 and netaddr (default: this one)')
    args = p.parse_args(argv)
    args.argv = argv
    args.sizes = [int(s) for s in args.sizes.split(',') if s]
    args.tools = [t for t in args.tools.split(',') if t]
    unknown = [t for t in args.tools if t not in TOOLS]
    if unknown or any(n < 1 or n > 1000 for n in args.sizes) or args.repeats < 1:
        p.error('tools must be among %s, sizes 1..1000 (a Linux bridge holds 1023 ports), repeats >= 1' % ', '.join(TOOLS))
    change_options(p, args)
    if os.geteuid() != 0:
        p.error('run as root: the benchmark builds emulated hosts (namespaces)')
    missing = [path for t in args.tools for path in NEEDS[t] if not os.path.exists(path)]
    if missing:
        p.error('missing %s: run benchmarks/setup.sh (make bench does) to install the peers' % ', '.join(missing))

    stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%d-%H%M%S')
    bench = Bench(args)
    desc, elapsed, before, after, error = measured(bench)
    text, checks = report(bench.results, args, desc, elapsed, before == after, bench.add, bench.change)
    failed = conclude('bench', (args.out, 'bench-%s' % stamp, 'latest.md'), text, {
        'machine': desc, 'args': argv, 'results': bench.results, 'add': bench.add, 'change': bench.change, 'targets': checks,
        'error': str(error) if error else None},
        before, after, error)
    if failed:
        return failed
    missed = [text for ok, text in checks if not ok]
    if missed:
        print('bench: targets not met:\n  ' + '\n  '.join(missed))
    return 0


if __name__ == '__main__':
    sys.exit(main())
