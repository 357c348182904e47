# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The DHCP clients of the endpoints on networks with ``ipam_driver: dhcp``: where their files are, who runs them,
whether they run, start (and wait for the first lease), stop (which releases the lease).

The client is busybox's udhcpc, one per endpoint, in the container's network namespace, with the hook
_dhcp_hook.py (written out to ``HOOK``) applying and recording each lease.  Instance ``NETWORK:CONTAINER``; files:

* ``RUN_DIR/INSTANCE/``: ``env`` (HOSTNET_DHCP_ARGS, udhcpc's arguments, and the HOSTNET_DHCP_* values the hook
  reads: read by both managers), ``netns`` (a symlink to the container's /run/netns entry: the unit's
  NetworkNamespacePath), ``pid`` (udhcpc's -p), ``log`` (a supervised client's stderr);
* ``LEASE_DIR/INSTANCE.json``: the lease record, written by the hook (address, prefix, gateway, dns, domain,
  lease_time, server, obtained, expires, client_pid), kept while the endpoint exists and across reboots (its address
  is what the next client asks for).

Who runs it is decided as for the name servers (_dns_service.manager): systemd with the template unit
``hostnet-dhcp@.service`` when systemd runs the host and the unit is installed, else the collection, detached (an
emulated host, a container).  Ownership: the pid file's process is a live busybox (or udhcpc) whose environment
holds ``HOSTNET_DHCP=INSTANCE``; nothing else is ever signalled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_hook
from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils._kernel import HostnetError

RUN_DIR = '/run/hostnet/dhcp'
HOOK = RUN_DIR + '/hook'
LEASE_KIND = 'dhcp'  # LEASE_DIR is STATE_DIR/dhcp
UNIT = 'hostnet-dhcp@%s.service'
UNIT_TEMPLATE = 'etc/systemd/system/hostnet-dhcp@.service'
PROGRAMS = ('busybox', 'udhcpc')
MARK = 'HOSTNET_DHCP'
# udhcpc's pacing: a discover every 2 s, 4 of them, then 5 s of rest before the next round (it never gives up; the
# module's wait for the first lease is dhcp_timeout).
RETRY_ARGS = ['-t', '4', '-T', '2', '-A', '5']
_wait = _dns_service._wait  # pylint: disable=protected-access


# -- names and the env file (pure) ---------------------------------------------------------------------------------
def instance(network, container):
    return '%s:%s' % (network, container)


def parse_instance(name):
    """(network, container) of an instance name, or None."""
    network, colon, container = name.partition(':')
    if not colon or not _dns_service.is_network_name(network) or not container or '/' in container or ':' in container:
        return None
    return network, container


def client_id(network, container):
    """DHCP option 61, type 0 (not a hardware address) and a text that names the endpoint: the server keeps the lease
    of the endpoint, whatever its MAC, across reruns, restarts and reboots."""
    return '00' + ('hostnet:%s:%s' % (network, container)).encode().hex()


def env_text(network, container, ifname, settings, record=None):
    """The env file both managers read.  ``settings``: dict(route (bool), subnet, gateway, resolv (path or None));
    ``record``: the endpoint's last lease, whose address the client asks for again."""
    inst = instance(network, container)
    args = ['-f', '-R', '-i', ifname, '-s', HOOK, '-p', paths(inst)['pid']] + RETRY_ARGS
    args += ['-x', 'hostname:' + container, '-x', '0x3d:' + client_id(network, container)]
    if record and record.get('address'):
        args += ['-r', record['address']]
    values = [('HOSTNET_DHCP_ARGS', ' '.join(args)), ('HOSTNET_DHCP_NETWORK', network), ('HOSTNET_DHCP_CONTAINER', container),
              ('HOSTNET_DHCP_LEASE', lease_path(inst)), ('HOSTNET_DHCP_ROUTE', '1' if settings.get('route') else '0'),
              ('HOSTNET_DHCP_RESOLV', settings.get('resolv') or ''), ('HOSTNET_DHCP_SUBNET', settings.get('subnet') or ''),
              ('HOSTNET_DHCP_GATEWAY', settings.get('gateway') or '')]
    return ''.join('%s=%s\n' % kv for kv in values)


def parse_env(text):
    return dict(line.split('=', 1) for line in (text or '').splitlines() if '=' in line)


def same_client(have, want):
    """Whether a running client's env file asks what ``want`` asks, but for the address it requests (``-r``: the
    lease it holds may differ from the one recorded when it started)."""
    def key(text):
        env = parse_env(text)
        args = env.get('HOSTNET_DHCP_ARGS', '').split()
        if '-r' in args:
            i = args.index('-r')
            del args[i:i + 2]
        env['HOSTNET_DHCP_ARGS'] = args
        return env
    return have is not None and key(have) == key(want)


# -- files ---------------------------------------------------------------------------------------------------------
def paths(name):
    if parse_instance(name) is None:
        raise HostnetError('not a DHCP client instance name: %r' % (name,))
    base = os.path.join(RUN_DIR, name)
    return dict(dir=base, env=os.path.join(base, 'env'), netns=os.path.join(base, 'netns'), pid=os.path.join(base, 'pid'),
                log=os.path.join(base, 'log'))


def lease_path(name, root=None):
    return os.path.join(root or _store.STATE_DIR, LEASE_KIND, name + '.json')


def instances():
    """The instance names of the client folders under RUN_DIR."""
    try:
        return sorted(n for n in os.listdir(RUN_DIR) if parse_instance(n) is not None)
    except OSError:
        return []


def recorded(root=None):
    """The instance names of the lease records."""
    folder = os.path.join(root or _store.STATE_DIR, LEASE_KIND)
    try:
        return sorted(n[:-5] for n in os.listdir(folder) if n.endswith('.json') and parse_instance(n[:-5]) is not None)
    except OSError:
        return []


def read_lease(name, root=None):
    return _dhcp_hook.read_record(lease_path(name, root))


def leases(doc, root=None):
    """{container: lease record} of a network document's endpoints (none but on a DHCP network)."""
    if (doc or {}).get('ipam_driver') != 'dhcp':
        return {}
    return {c: read_lease(instance(doc['name'], c), root) for c in doc.get('endpoints') or {}}


def hook_text():
    """The hook, run by the Python that runs the engine (it has pyroute2)."""
    # Imported here only: every module run imports this file, and only a client start writes the hook.
    import inspect  # pylint: disable=import-outside-toplevel

    return '#!%s\n%s' % (sys.executable or '/usr/bin/python3', inspect.getsource(_dhcp_hook))


def busybox():
    """The client's program on this host, or None."""
    return shutil.which('busybox')


def manager(root='/'):
    """'systemd' or 'supervised', by the rule of _dns_service.manager, with this unit."""
    booted = os.path.isdir(os.path.join(root, _dns_service.SYSTEMD_BOOTED))
    return 'systemd' if booted and os.path.isfile(os.path.join(root, UNIT_TEMPLATE)) else 'supervised'


def write(name, text):
    """The instance's folder (env file, the netns link) and the hook; None: the folder removed."""
    p = paths(name)
    if text is None:
        shutil.rmtree(p['dir'], ignore_errors=True)
        return
    os.makedirs(p['dir'], mode=0o755, exist_ok=True)
    _store.write_atomic(p['env'], text, mode=0o644, fsync=False)
    target = _netns.netns_path(parse_instance(name)[1])
    if os.path.islink(p['netns']) and os.readlink(p['netns']) != target:
        os.unlink(p['netns'])
    if not os.path.islink(p['netns']):
        os.symlink(target, p['netns'])
    # The folder the hook writes the lease's resolv.conf into (ip netns exec binds it over /etc/resolv.conf).
    _netns.make_etc_dir(parse_instance(name)[1])
    hook = hook_text()
    if _dns_service.read_file(HOOK) != hook:
        _store.write_atomic(HOOK, hook, mode=0o755, fsync=False)


def forget(name, root=None):
    """The endpoint is gone: its runtime folder, its lease record, and the resolv.conf its hook wrote."""
    write(name, None)
    network, container = parse_instance(name)
    resolv = os.path.join(_netns.etc_dir(container), 'resolv.conf')
    text = _dns_service.read_file(resolv)
    for path in ([lease_path(name, root)] + ([resolv] if text is not None and _dhcp_hook.may_write_resolv(text, network) else [])):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    if not instances():  # the last client: the hook and the folder go too
        for path, remove in ((HOOK, os.unlink), (RUN_DIR, os.rmdir)):
            try:
                remove(path)
            except OSError:
                pass
    try:
        os.rmdir(_netns.etc_dir(container))  # only when nothing else is in it
    except OSError:
        return
    _netns._tidy_etc_root()  # pylint: disable=protected-access


# -- processes -----------------------------------------------------------------------------------------------------
def is_ours(pid, name):
    return _dns_service.is_marked(pid, PROGRAMS, '%s=%s' % (MARK, name))


def running(name):
    """Our client's pid, or None."""
    return _dns_service.owned_pid(paths(name)['pid'], lambda pid: is_ours(pid, name))


def read(network, containers, root=None):
    """The snapshot planning takes: {container: {'env': text, 'pid': pid, 'lease': record}} of ``containers``."""
    out = {}
    for container in containers:
        name = instance(network, container)
        out[container] = {'env': _dns_service.read_file(paths(name)['env']), 'pid': running(name), 'lease': read_lease(name, root)}
    return out


def _start_supervised(name, text, program):
    """Detached, in the container's namespace (entered between fork and exec), its stderr to the instance's log."""
    p = paths(name)
    env = dict(os.environ, **parse_env(text))
    env[MARK] = name
    fd = os.open(p['netns'], os.O_RDONLY | os.O_CLOEXEC)
    try:
        with open(p['log'], 'ab') as log:
            proc = subprocess.Popen([program, 'udhcpc'] + env['HOSTNET_DHCP_ARGS'].split(), stdin=subprocess.DEVNULL,
                                    stdout=log, stderr=log, env=env, start_new_session=True, close_fds=True,
                                    preexec_fn=lambda: _netns.setns(fd))  # pylint: disable=subprocess-popen-preexec-fn
    except OSError as exc:
        raise HostnetError('could not start the DHCP client %s: %s' % (name, exc)) from exc
    finally:
        os.close(fd)
    _store.write_atomic(p['pid'], '%d\n' % proc.pid, mode=0o644, fsync=False)
    return proc


def _start_systemd(name):
    _dns_service.start_unit(UNIT % name, 'the DHCP client %s' % name)


def _lease_of(name, pid):
    """The record of the lease the client ``pid`` took (or refused), None while it has none."""
    record = read_lease(name)
    if record and record.get('client_pid') == pid and (record.get('address') or record.get('refused')):
        return record
    return None


def start_many(clients, program):
    """Start the clients ``clients`` ({instance: (env text, timeout, where)}: their folders written), all first, then
    wait for each one's first lease together; {instance: lease record}.  When one gets none in its time (no server
    answered), exits, or is offered a lease the network refuses, every client this call started is stopped (a
    taken lease released) and the reason raised, naming the network and ``where`` (the parent or bridge)."""
    procs, started = {}, []
    systemd = manager() == 'systemd'
    try:
        for name, (text, dummy, dummy2) in clients.items():
            write(name, text)
            stop(name)  # a client of a link this run replaced holds the old one
            started.append(name)
            if systemd:
                _start_systemd(name)
            else:
                procs[name] = _start_supervised(name, text, program)
        return _wait_leases(clients, procs, systemd)
    except BaseException:
        for name in started:
            stop(name)
        raise


def _unit_failed(name):
    """Why the client's systemd unit failed (its Result: exit-code, start-limit-hit...), or None while it runs or is
    being restarted (Restart=on-failure: a client that cannot run is restarted until systemd's start limit)."""
    res = subprocess.run(['systemctl', 'show', '--property=ActiveState', '--property=Result', UNIT % name],
                         capture_output=True, text=True, check=False)
    props = dict(line.split('=', 1) for line in res.stdout.splitlines() if '=' in line)
    return (props.get('Result') or 'failed') if props.get('ActiveState') == 'failed' else None


class _Progress:
    """How one client's first lease is coming: its lease record, or why it will not come (its process exited, or,
    under systemd, its unit failed: looked up once a second, not at every poll)."""

    def __init__(self, name, proc, systemd):
        self.name, self.proc, self.systemd = name, proc, systemd
        self.next_check = 0.0
        self.failure = None

    def __call__(self):
        if self.proc is not None and self.proc.poll() is not None:
            log = (_dns_service.read_file(paths(self.name)['log']) or '').strip().splitlines()
            self.failure = 'it exited: %s' % (log[-1] if log else 'no message')
            return True
        if self.systemd and time.monotonic() >= self.next_check:
            self.next_check = time.monotonic() + 1.0
            failed = _unit_failed(self.name)
            if failed:
                self.failure = 'its unit %s failed (%s; journalctl -u %s)' % (UNIT % self.name, failed, UNIT % self.name)
                return True
        pid = running(self.name)
        return _lease_of(self.name, pid) if pid is not None else None


def _wait_leases(clients, procs, systemd):
    leases = {}
    begun = time.monotonic()
    for name, (dummy, timeout, where) in clients.items():
        network, container = parse_instance(name)
        progress = _Progress(name, procs.get(name), systemd)
        lease = _wait(progress, max(0.0, timeout - (time.monotonic() - begun)))
        if progress.failure:
            raise HostnetError('network %s: the DHCP client of %s on %s did not run: %s' % (network, container, where, progress.failure))
        if not lease:
            raise HostnetError('network %s: no DHCP server answered %s on %s within %d s (dhcp_timeout)'
                               % (network, container, where, timeout))
        if lease.get('refused'):
            raise HostnetError('network %s: the DHCP server on %s offered %s a lease the network refuses: %s'
                               % (network, where, container, lease['refused']))
        leases[name] = lease
    return leases


def stop(name):
    """Stop our client (systemd's unit too when systemd runs): on SIGTERM udhcpc releases its lease (-R) and its hook
    removes the address.  True when one ran."""
    return _dns_service.stop_owned(lambda: running(name), lambda pid: is_ours(pid, name), UNIT % name, manager() == 'systemd',
                                   'the DHCP client %s' % name)


class StartBatch(_plan.Batch):
    """The client starts of one run together (each step's ``do``: (instance, env text, timeout, where))."""

    def __init__(self, program):
        self.program = program

    def run(self, steps):
        try:
            start_many({step.do[0]: step.do[1:] for step in steps}, self.program)
        except Exception as exc:
            failed = next((step for step in steps if ' %s ' % parse_instance(step.do[0])[1] in str(exc)), steps[0])
            raise _plan.BatchFailed(failed, exc, steps) from exc
