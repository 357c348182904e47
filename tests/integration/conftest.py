# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration fixtures: every test gets fresh emulated hosts (roles/lab/files/hostnet_lab.py).

Nothing here touches the machine's own namespaces; a session-wide check asserts that
its links, addresses, routes (all tables), rules, /run/netns, /etc/netns, /var/lib/hostnet,
netns-related mounts and firewall rules are unchanged at the end of the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import select
import shlex
import subprocess
import sys
import tempfile
import threading
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'roles', 'lab', 'files'))

import hostnet_lab  # noqa: E402  pylint: disable=wrong-import-position

SEED_HOSTS = {'host1': {'address': '10.138.3.130/24'}, 'host2': {'address': '10.138.3.131/24'}}


HERE = os.path.dirname(os.path.abspath(__file__))


def wait_until(predicate, what, timeout=90.0, pause=0.05):
    """predicate()'s first true value, polled every ``pause`` seconds.

    Tests wait on conditions (an address usable, a rule present, a process ready), never on time: the ceiling is
    generous (a loaded 2-core machine may take many times longer than a quiet one) and only bounds a failure, which
    names ``what`` was awaited and the last value seen.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError('waited %d s for %s; last seen: %r' % (timeout, what, value))
        time.sleep(pause)


def pytest_configure(config):
    # pyroute2 only encodes the requests that change the kernel (_kernel's builders), pinned to the same bytes under
    # both versions by tests/unit/plugins/module_utils/test_kernel_encoding.py; make test runs the files of what differs by
    # version (hack/test.sh, DEB_TESTS) under Debian's 0.7.x too, without their tests marked once (docs/development.md).
    config.addinivalue_line('markers', 'once: what the test proves does not depend on the pyroute2 of the managed host (playbooks, '
                            'roles, the connection plugin, the lab and bench harnesses, the firewall backends, the probe, '
                            'bad input, the host-wide lock), so make test never runs it under Debian\'s pyroute2, and runs it '
                            'in stages of its own beside the other integration tests')


def pytest_collection_modifyitems(config, items):
    if os.geteuid() == 0:
        return
    skip = pytest.mark.skip(reason='integration tests build network namespaces and need root')
    for item in items:
        # This hook sees every collected item of the session; only skip the ones in this folder.
        if str(item.path).startswith(HERE + os.sep):
            item.add_marker(skip)


def machine_network_state():
    """What must never change in the machine's own namespace."""
    out = {}
    for key, argv in (('links', ['ip', '-d', '-j', 'link']), ('addrs', ['ip', '-j', 'addr']),
                      ('routes', ['ip', '-j', 'route', 'show', 'table', 'all']),
                      ('routes6', ['ip', '-6', '-j', 'route', 'show', 'table', 'all']),
                      ('rules', ['ip', '-j', 'rule']), ('rules6', ['ip', '-6', '-j', 'rule'])):
        data = json.loads(subprocess.run(argv, capture_output=True, text=True, check=True).stdout or '[]')
        for entry in data if isinstance(data, list) else []:
            for volatile in ('stats64', 'stats', 'valid_life_time', 'preferred_life_time', 'expires'):
                entry.pop(volatile, None)
            for info in entry.get('addr_info', []):
                info.pop('valid_life_time', None)
                info.pop('preferred_life_time', None)
        out[key] = data
    out['run_netns'] = sorted(os.listdir('/run/netns')) if os.path.isdir('/run/netns') else None
    out['etc_netns'] = sorted(os.listdir('/etc/netns')) if os.path.isdir('/etc/netns') else None
    out['var_lib_hostnet'] = os.path.exists('/var/lib/hostnet')
    out['sysctl_d_file'] = os.path.exists('/etc/sysctl.d/90-hostnet.conf')  # the collection's: written only inside emulated hosts
    with open('/proc/sys/net/ipv4/ip_forward') as f:
        out['ip_forward'] = f.read().strip()
    out['netns_mounts'] = netns_mounts()
    out['firewall'] = firewall_state()
    return out


# Mount points the lab and the modules mount over inside their own namespaces; none may appear outside.
_WATCHED_MOUNTS = ('/run', '/run/netns', '/etc', '/etc/netns', '/var/lib', '/var/lib/hostnet', '/sys', '/proc')


def netns_mounts(path='/proc/self/mountinfo'):
    """(mount point, fs type) of every netns-related mount in the machine's mount namespace."""
    found = []
    with open(path) as f:
        for line in f:
            fields = line.split()
            point = fields[4]
            fstype = fields[fields.index('-') + 1]
            if (fstype in ('nsfs', 'overlay') or point in _WATCHED_MOUNTS
                    or point.startswith(('/run/netns/', '/etc/netns/', '/var/lib/hostnet/'))):
                found.append((point, fstype))
    return sorted(found)


def firewall_state():
    """The machine's nftables and iptables rules, packet counters removed."""
    state = {}
    for key, argv in (('nft', ['nft', 'list', 'ruleset']), ('iptables', ['iptables-save']),
                      ('ip6tables', ['ip6tables-save'])):
        try:
            res = subprocess.run(argv, capture_output=True, text=True, check=False)
        except OSError:
            state[key] = None
            continue
        text = re.sub(r'counter packets \d+ bytes \d+', 'counter', res.stdout)
        text = re.sub(r'\[\d+:\d+\]', '[]', text)
        state[key] = [ln for ln in text.splitlines() if not ln.startswith('#')]
    return state


# Paths whose appearance or removal in the machine's mount namespace is checked around every test (one stat each), so
# the session guard can name the test during which it happened.
_WATCHED_PATHS = ('/run/netns', '/etc/netns', '/var/lib/hostnet')
_first_change = {}


@pytest.fixture(scope='session', autouse=True)
def machine_namespace_untouched():
    if os.geteuid() != 0:
        yield
        return
    before = machine_network_state()
    yield
    after = machine_network_state()
    changed = sorted(key for key in before if before[key] != after.get(key))
    seen = ''.join('\n%s %s during %s (or by another process on this machine while it ran)' % (path, how, test)
                   for path, (how, test) in sorted(_first_change.items()))
    assert not changed, "the machine's own namespaces changed during the test session: %s%s\nbefore: %r\nafter: %r" % (
        ', '.join(changed), seen, {k: before[k] for k in changed}, {k: after.get(k) for k in changed})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):  # pylint: disable=unused-argument
    """Records the first test (its setup, call or teardown, module fixtures included) during which /run/netns,
    /etc/netns or /var/lib/hostnet appeared or went away on this machine; the session guard above names it."""
    before = {path: os.path.lexists(path) for path in _WATCHED_PATHS}
    yield
    for path, existed in before.items():
        if path not in _first_change and os.path.lexists(path) != existed:
            _first_change[path] = ('went away' if existed else 'appeared', item.nodeid)


@pytest.fixture(scope='session')
def machine_mounts():
    """A function returning the machine's netns-related mounts, for before/after checks inside a test."""
    return netns_mounts


@pytest.fixture(scope='session')
def collection_path():
    """A collections path whose hostnet.containers is this checkout."""
    root = tempfile.mkdtemp(prefix='hostnet-coll-')
    ns_dir = os.path.join(root, 'ansible_collections', 'hostnet')
    os.makedirs(ns_dir)
    os.symlink(REPO, os.path.join(ns_dir, 'containers'))
    yield root
    os.unlink(os.path.join(ns_dir, 'containers'))
    subprocess.run(['rm', '-rf', root], check=False)


def module_path(name):
    """Python module path of a module given as a short name, a FQCN or a Python path.

    ``netns`` and ``hostnet.containers.netns`` -> ansible_collections.hostnet.containers.plugins.modules.netns;
    ``ansible.builtin.ping`` -> ansible.modules.ping; ``ansible.modules.ping`` is used as it is.
    """
    parts = name.split('.')
    if len(parts) == 1:
        return 'ansible_collections.hostnet.containers.plugins.modules.%s' % name
    if name.startswith(('ansible_collections.', 'ansible.modules.')):
        return name
    if len(parts) == 3 and parts[:2] in (['ansible', 'builtin'], ['ansible', 'legacy']):
        return 'ansible.modules.%s' % parts[2]
    if len(parts) == 3:
        return 'ansible_collections.%s.%s.plugins.modules.%s' % tuple(parts)
    raise ValueError('not a module name: %r' % name)


MODULE_SERVER = os.path.join(HERE, 'module_server.py')
_HOSTS = []  # every Host made, until its lab goes down (lab_down)
# HOSTNET_TEST_MODULE_SERVER=0: every Host.module run starts its own Python, as `python -m MODULE ARGS` (the server's
# children run the same code; set it to rule the server out when a test behaves differently under it).
USE_MODULE_SERVER = os.environ.get('HOSTNET_TEST_MODULE_SERVER', '1') != '0'


class ModuleServer:
    """module_server.py inside one emulated host: a module run forked from a Python that has imported what the
    modules import (see there). Used by one run at a time; Host.module runs the module on its own while it is busy."""

    def __init__(self, lab, name, collection_path):
        self.lab = lab
        self.name = name
        self.host_pid = lab.pid(name)
        self.busy = threading.Lock()
        self.proc = subprocess.Popen(lab.command(name, ['env', 'PYTHONPATH=%s' % collection_path, sys.executable, MODULE_SERVER]),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if 'ready' not in self._answer(120):
            raise AssertionError('the module server did not start in %s' % name)

    def usable(self):
        """Alive, and in the host as it is now (a host brought down and up again has new namespaces)."""
        return self.proc.poll() is None and self.lab.pid(self.name) == self.host_pid

    def _answer(self, timeout):
        # The ceiling only stops a hung run, as Host.run's does.
        ready, dummy, dummy = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ''
        if not line:
            raise AssertionError('the module server in %s gave no answer in %d s' % (self.name, timeout))
        return json.loads(line)

    def run(self, modname, args_path, env, out_path, err_path):
        """The module's exit status; its stdout and stderr are in out_path and err_path."""
        request = {'module': modname, 'args': args_path, 'out': out_path, 'err': err_path, 'env': env}
        self.proc.stdin.write(json.dumps(request) + '\n')
        self.proc.stdin.flush()
        return self._answer(300)['rc']

    def close(self):
        """End of input ends the server; nsenter, our child, then exits with it."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child (nsenter), by its PID
            self.proc.wait()


class Host:
    """One emulated host: run commands and modules inside it."""

    def __init__(self, lab, name, collection_path, tmpdir):
        self.lab = lab
        self.name = name
        self.collection_path = collection_path
        self.tmpdir = tmpdir
        self.address = lab.status()['hosts'][name]['address'].split('/')[0]
        self._count = 0
        self._server = None
        self._server_lock = threading.Lock()
        _HOSTS.append(self)

    @property
    def pid(self):
        return self.lab.pid(self.name)

    @property
    def pid_file(self):
        return self.lab.pid_file(self.name)

    def run(self, argv, check=True, input=None, timeout=60):
        return self.lab.run(self.name, argv, input=input, check=check, timeout=timeout)

    def netns_run(self, netns, argv, check=True, timeout=60):
        if isinstance(argv, str):
            argv = ['sh', '-c', argv]
        return self.run(['ip', 'netns', 'exec', netns] + list(argv), check=check, timeout=timeout)

    def module(self, module_name, /, check_mode=False, diff=False, _env=None, **params):
        """Run a module inside the host exactly as Ansible does (args file, JSON out)."""
        self._count += 1
        args = dict(params)
        args['_ansible_check_mode'] = check_mode
        args['_ansible_diff'] = diff
        path = os.path.join(self.tmpdir, '%s-args-%d.json' % (self.name, self._count))
        with open(path, 'w') as f:
            json.dump({'ANSIBLE_MODULE_ARGS': args}, f)
        modname = module_path(module_name)
        server = self._idle_server()
        if server is not None:
            try:
                res = self._served(server, modname, path, _env)
            finally:
                server.busy.release()
        else:
            env = ['%s=%s' % kv for kv in sorted((_env or {}).items())]
            # The ceiling only stops a hung run; a module takes seconds even on a loaded machine.
            res = self.run(['env', 'PYTHONPATH=%s' % self.collection_path] + env + [sys.executable, '-m', modname, path], check=False,
                           timeout=300)
        try:
            return json.loads(res.stdout[res.stdout.index('{'):])
        except ValueError:
            return {'failed': True, 'msg': 'module produced no JSON', 'rc': res.returncode,
                    'stdout': res.stdout, 'stderr': res.stderr}

    def _idle_server(self):
        """This host's module server, taken for one run (started, or started again when the host was); None when it
        is in use by a run of another thread (that run and this one then run side by side) or is turned off."""
        if not USE_MODULE_SERVER:
            return None
        with self._server_lock:
            if self._server is not None and not self._server.usable():
                self._server.close()
                self._server = None
            if self._server is None:
                self._server = ModuleServer(self.lab, self.name, self.collection_path)
            return self._server if self._server.busy.acquire(blocking=False) else None

    def _served(self, server, modname, path, env):
        out, err = path + '.out', path + '.err'
        rc = server.run(modname, path, {k: str(v) for k, v in (env or {}).items()}, out, err)
        with open(out) as f_out, open(err) as f_err:
            return subprocess.CompletedProcess([modname, path], rc, f_out.read(), f_err.read())

    def close(self):
        """Stop this host's module server (before its lab goes down)."""
        with self._server_lock:
            if self._server is not None:
                self._server.close()
                self._server = None

    def snapshot(self):
        """Kernel and on-disk state of the host, for before/after comparisons.

        A dict of sections (links, addrs, routes, rules, netns, ns NAME, files,
        nft, iptables, sysctl), each a list of normalised lines.  Left out is only what the kernel changes on its
        own after the command that caused it has returned: counters and timers, a link's operational state and
        carrier flags and a route's linkdown flag (a new bridge or veth goes from UNKNOWN/NO-CARRIER to UP/LOWER_UP by itself, up to a second
        later through the kernel's linkwatch; a bridge port's STP state follows), DAD flags, address lifetimes, and
        IPv6 link-local addresses and routes (they come and go with DAD timing; the collection is IPv4), and a bridge
        port's number (the kernel gives a new port the lowest free one, and a port of a deleted namespace's veth is
        freed later, in a work queue).
        Neighbour entries are not read at all.  Everything else (names, flags set by a command, masters, MACs,
        addresses, routes, rules, namespaces, files, the name servers' files and command lines (not their pids),
        firewall rules, sysctls) is compared.
        """
        link_filter = ('s/ (qlen|numtxqueues|numrxqueues|gso_max_[a-z]+|gro_max_[a-z]+|tso_max_[a-z]+|gso_ipv4_max_[a-z]+'
                       '|gro_ipv4_max_[a-z]+) [0-9]+//g; s/ [a-z_]+_timer +[0-9.]+//g; s/ state [A-Z]+ / /; '
                       's/(NO-CARRIER|LOWER_UP|M-DOWN|DORMANT),?//g; s/,>/>/; s/ bridge_slave state [a-z]+/ bridge_slave/; '
                       's/ (port_id|port_no) 0x[0-9a-f]+| designated_port [0-9]+//g')
        addr_filter = 's/ (tentative|dadfailed|optimistic)//g; s/ valid_lft .*//'
        script = 'LINK_FILTER=%s\nADDR_FILTER=%s\n' % (shlex.quote(link_filter), shlex.quote(addr_filter)) + r'''
set -u
echo '### links'; ip -d -o link | sed -E "$LINK_FILTER"
echo '### addrs'; ip -o addr | sed -E "$ADDR_FILTER"
echo '### routes'; ip route show table all | sed -E 's/ linkdown//'
echo '### rules'; ip rule
echo '### netns'; ls -1 /run/netns
for ns in $(ls /run/netns); do
  echo "### ns $ns"; ip -n "$ns" -o link | cut -d' ' -f2- | sed -E "$LINK_FILTER"
  ip -n "$ns" -o addr | sed -E "$ADDR_FILTER"; ip -n "$ns" route show table all | sed -E 's/ linkdown//'
done
echo '### files'; { find /var/lib/hostnet /etc/netns -mindepth 1 ! -name '.lock' -printf '%p %s\n'
  find /etc/sysctl.d -name 90-hostnet.conf -printf '%p %s\n'; } 2>/dev/null | sort
echo '### dns'; find /run/hostnet/dns -mindepth 1 ! -name '*.pid' -printf '%p %s\n' 2>/dev/null | sort
for p in $(pgrep -x dnsmasq); do tr '\0' ' ' < /proc/$p/cmdline 2>/dev/null; echo; done | sort
echo '### nft'; nft list ruleset 2>/dev/null | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'
echo '### iptables'; iptables-save 2>/dev/null | grep -v '^#' | sed -E 's/\[[0-9]+:[0-9]+\]/[0:0]/'
echo '### sysctl'; cat /proc/sys/net/ipv4/ip_forward
'''
        sections = {}
        current = None
        for line in self.run(script).stdout.splitlines():
            if line.startswith('### '):
                current = sections.setdefault(line[4:], [])
            elif current is not None and 'fe80::' not in line and not line.startswith(KERNEL_V6_LINES):
                current.append(line)
        return sections

    def settled_snapshot(self, like=None, timeout=90.0, pause=0.2):
        """snapshot() once the kernel has finished what the last command started (a namespace's links are deleted
        from a work queue, a netns id is given on first use, ...): the first of two reads ``pause`` apart that agree.
        With ``like`` (what the host should hold), a read equal to it is returned at once, so a check that nothing
        changed costs one read when nothing did, and waits for the host to settle before judging when it differs."""
        deadline = time.monotonic() + timeout
        last = self.snapshot()
        while last != like:
            time.sleep(pause)
            now = self.snapshot()
            if now == last or time.monotonic() > deadline:
                return now
            last = now
        return last


# What the kernel adds by itself, some time after an interface comes up with IPv6 (as the fe80:: addresses and routes
# the snapshot leaves out): a snapshot taken right after a host starts may or may not hold it yet.
KERNEL_V6_LINES = ('multicast ff00::/8 ',)

HOST_LOCK = '/run/lock/hostnet.lock'


def lock_holders(host):
    """PIDs (as the host sees them) holding an flock(2) lock inside the emulated host, from its /proc/locks, which lists
    only the host's own processes. The modules take one host-wide lock, so this is who holds it."""
    out = []
    for line in host.run(['cat', '/proc/locks']).stdout.splitlines():
        fields = line.split()
        if 'FLOCK' in fields and '->' not in fields:
            out.append(int(fields[fields.index('FLOCK') + 3]))
    return out


def process_state(host, pid):
    """The state letter of a process inside the host (R, S, t for stopped under strace, ...), None when gone."""
    res = host.run(['cat', '/proc/%d/stat' % pid], check=False)
    return res.stdout.rsplit(')', 1)[1].split()[0] if res.returncode == 0 else None


@contextlib.contextmanager
def lock_held(host):
    """The host-wide lock held by a `flock ... cat` inside the host until the block ends (its stdin is closed): the
    test decides when the lock is released, instead of a holder that sleeps for a guessed time."""
    proc = subprocess.Popen(host.lab.command(host.name, ['flock', HOST_LOCK, 'cat']), stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: lock_holders(host) or proc.poll() is not None, 'flock holding %s in %s' % (HOST_LOCK, host.name))
        assert proc.poll() is None, 'flock exited before holding the lock'
        yield proc
    finally:
        proc.stdin.close()
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()  # our own child (nsenter), by its PID
            proc.wait()


def found_the_lock_taken(trace_file):
    """True once a run traced with trace=flock (reliability.traced_module) has tried the host-wide lock and found it
    held: the modules poll flock(LOCK_EX|LOCK_NB), so a waiting run shows as EAGAIN in its own trace."""
    try:
        with open(trace_file) as f:
            return any(line.startswith('flock(') and 'EAGAIN' in line for line in f)
    except FileNotFoundError:
        return False


def result_after_the_lock(host, run, trace_file):
    """What ``run()`` (a module run traced with trace=flock into ``trace_file``) returns when it starts while `flock`
    holds the host-wide lock: proven to wait by state, not by the clock (seen finding the lock taken in its own trace,
    and not ended while the lock is held), then let go on."""
    results = {}
    thread = threading.Thread(target=lambda: results.update(res=run()))
    try:
        with lock_held(host):
            thread.start()
            wait_until(lambda: found_the_lock_taken(trace_file), 'the run finding the lock flock holds')
            assert 'res' not in results, 'the run ended while flock held the lock: %r' % results['res']
    finally:
        if thread.is_alive():
            thread.join(300)
    return results['res']


def run_restore(host, *args):
    """hostnet-restore's engine inside the emulated ``host`` (the same _restore.main the installed entry point runs,
    from this checkout), with ``args`` (``--firewall-only``...); its output.  Fails the test when the restore fails."""
    entry = ['env', 'PYTHONPATH=%s' % host.collection_path, sys.executable, '-c',
             'import sys; from ansible_collections.hostnet.containers.plugins.module_utils import _restore; '
             'sys.exit(_restore.main(sys.argv[1:]))']
    res = host.run(entry + list(args), check=False, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def lab_down(lab, **kwargs):
    """lab.down(), after stopping the module servers of the Hosts made for it (a server a test left running, or one
    in a host already gone, ends with its host anyway)."""
    for host in [h for h in _HOSTS if h.lab is lab]:
        host.close()
        _HOSTS.remove(host)
    lab.down(**kwargs)


@contextlib.contextmanager
def module_lab(tmp_path_factory, collection_path, name, hosts):
    """{name: Host} of emulated ``hosts`` ({name: address}) shared by the tests of one file (a module-scoped fixture
    yields from this), torn down when they are done, also when setting them up fails."""
    tmp = tmp_path_factory.mktemp(name)
    lab = hostnet_lab.Lab(str(tmp / 'lab'))
    try:
        lab.up(dict(hosts))
        yield {n: Host(lab, n, collection_path, str(tmp)) for n in hosts}
    finally:
        lab_down(lab)


@pytest.fixture
def lab_factory(tmp_path, collection_path):
    labs = []

    def make(hosts=None, name='lab'):
        lab = hostnet_lab.Lab(str(tmp_path / name))
        lab.up(dict(hosts or SEED_HOSTS))
        labs.append(lab)
        return {n: Host(lab, n, collection_path, str(tmp_path)) for n in (hosts or SEED_HOSTS)}

    yield make
    for lab in labs:
        lab_down(lab)


@pytest.fixture
def host(lab_factory):
    return lab_factory({'host1': SEED_HOSTS['host1']})['host1']


@pytest.fixture
def two_hosts(lab_factory):
    hosts = lab_factory()
    return hosts['host1'], hosts['host2']


ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

ROLE_PLAY = '''\
- name: The role under test
  hosts: lab
  gather_facts: false
  roles:
    - role: hostnet.containers.%s
'''


def role_runner(hosts, tmp_path, collection_path):
    """run(role, host_vars, check=False, only=None, verbose=False, **extra_vars) -> (returncode, output, recap) for the emulated
    ``hosts`` ({name: Host}); ``only`` (host names) leaves the others out of the inventory. See run_role."""
    count = [0]

    def run(role, host_vars, check=False, only=None, verbose=False, **extra):
        count[0] += 1
        # The boot-time restore is installed by default for users; the tests that are about it (test_restore.py)
        # ask for it, the others leave it out: it is a template and a copy of four units per host per run.
        extra.setdefault('%s_restore_service' % role, False)
        inventory_hosts = {}
        for name, host in hosts.items():
            if only is None or name in only:
                inventory_hosts[name] = dict(host_vars.get(name, {}), hostnet_nsenter_pid_file=host.pid_file,
                                             lab_address='%s/24' % host.address)
        inventory = {'all': {'children': {'lab': {'hosts': inventory_hosts}},
                             'vars': {'ansible_connection': 'hostnet.containers.nsenter',
                                      'ansible_python_interpreter': sys.executable}}}
        inv = tmp_path / ('inventory-%d.json' % count[0])
        inv.write_text(json.dumps(inventory))
        playbook = tmp_path / ('play-%s.yml' % role)
        playbook.write_text(ROLE_PLAY % role)
        argv = [ANSIBLE_PLAYBOOK, '-i', str(inv), str(playbook), '-e', json.dumps(extra)]
        if check:
            argv.append('--check')
        if verbose:  # every task's result in the output: the probe results of the roles' verification, by label
            argv.append('-v')
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
                   ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))
        res = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)
        out = res.stdout + res.stderr
        recap = {}
        for match in re.finditer(r'^(host\d)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)', out, re.M):
            recap[match.group(1)] = {'ok': int(match.group(2)), 'changed': int(match.group(3)), 'failed': int(match.group(4))}
        return res.returncode, out, recap

    return run


@pytest.fixture
def run_role(two_hosts, tmp_path, collection_path):
    """run_role(role, host_vars, check=False, only=None, **extra_vars) -> (returncode, output, recap).  ROLE_restore_service
    is false unless given (test_restore.py gives it).  ``only=('host1',)`` leaves host2 out of the play (a test where
    it is only the LAN neighbour: the role run on it with nothing to do costs as much CPU as on host1).

    Runs ``ansible-playbook`` with a play applying the collection's ``role`` to host1 and host2 (the
    nsenter connection), ``host_vars`` as {host: {var: value}} and ``extra_vars`` with -e. ``recap``
    is {host: {ok, changed, failed}} from the PLAY RECAP.
    """
    h1, h2 = two_hosts
    return role_runner({'host1': h1, 'host2': h2}, tmp_path, collection_path)
