# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Published TCP ports answering on [::1] from the host: a userland proxy per port (Docker's docker-proxy).

The kernel cannot send a connection from IPv6 loopback to a container (no route_localnet for IPv6: a DNAT of ::1 in
OUTPUT is routed nowhere), so a port a network publishes on '::1', or on '::' (the twin of an omitted host_ip
included) when the network has ``userland_proxy``, gets systemd's ``systemd-socket-proxyd``: ``systemd-socket-activate`` binds [::1]:host_port and, at the first
connection, execs the proxy (same pid) that relays every connection to [container ip6]:container_port.  The other
addresses of a '::' publish are the kernel's DNAT, as before.  Not in gateway mode routed (no port mapping there).

One proxy per published port, instance ``NETWORK-PORT``, files under ``RUN_DIR/INSTANCE``: ``env`` (LISTEN, TARGET,
PROXYD: read by both managers) and ``pid``.  Who runs it is decided as for the name servers (_dns_service.manager):
systemd with the template unit ``hostnet-proxy@.service`` when systemd runs the host and the unit is installed, else
the collection, detached.  Ownership: the pid file's process is a live systemd-socket-activate or
systemd-socket-proxyd whose environment holds ``HOSTNET_PROXY=INSTANCE``; nothing else is ever signalled.

``plan`` is pure (a network document and ``read``'s snapshot in, steps out); the rest acts.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess

from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils._kernel import HostnetError

RUN_DIR = '/run/hostnet/proxy'
UNIT = 'hostnet-proxy@%s.service'
UNIT_TEMPLATE = 'etc/systemd/system/hostnet-proxy@.service'
ACTIVATE = '/usr/bin/systemd-socket-activate'
# Debian's path first; merged-/usr distributions (Fedora) have only the second.
PROXYDS = ('/lib/systemd/systemd-socket-proxyd', '/usr/lib/systemd/systemd-socket-proxyd')
PROGRAMS = ('systemd-socket-activate', 'systemd-socket-proxyd')
MARK = 'HOSTNET_PROXY'
LOOPBACK6 = '::1'
START_TIMEOUT = _dns_service.START_TIMEOUT
# The name servers' process helpers, the same rules here: a zombie is dead; waits poll their condition to a ceiling.
_wait = _dns_service._wait  # pylint: disable=protected-access


# -- what a network wants (pure) -----------------------------------------------------------------------------------
def instance(network, port):
    return '%s-%d' % (network, port)


def parse_instance(name):
    """(network, port) of an instance name, or None for a name that is not one."""
    network, dash, port = name.rpartition('-')
    if not dash or not port.isdigit() or not _dns_service.is_network_name(network):
        return None
    return network, int(port)


def proxied(doc):
    """{host port: (container ip6, container port)} of the TCP ports network ``doc`` publishes on '::1', and on '::'
    when the network has ``userland_proxy`` (none without IPv6 or in gateway mode routed, where no host port is
    mapped).  Without it a '::' publish is the kernel's alone, as Docker's with userland-proxy false: one process per
    port is what a [::1] answer costs, so a user asks for it, once for the network or by publishing on [::1]."""
    out = {}
    if not doc or not doc.get('enable_ipv6') or doc.get('gateway_mode_ipv6') == 'routed':
        return out
    hosts = ('::', LOOPBACK6) if doc.get('userland_proxy') else (LOOPBACK6,)
    for dummy, ep in sorted((doc.get('endpoints') or {}).items()):
        for entry in ep.get('publish') or []:
            if ep.get('ip6') and entry['proto'] == 'tcp' and entry['host_ip'] in hosts:
                out[entry['host_port']] = (ep['ip6'], entry['container_port'])
    return out


def env_text(port, target, proxyd):
    """The env file both managers read.  systemd-socket-proxyd splits its target at the last ':' and does not take
    brackets, so an IPv6 target is written bare (fd00::2:80 is fd00::2, port 80)."""
    return 'LISTEN=[%s]:%d\nTARGET=%s:%d\nPROXYD=%s\n' % (LOOPBACK6, port, target[0], target[1], proxyd)


def parse_env(text):
    return dict(line.split('=', 1) for line in (text or '').splitlines() if '=' in line)


def command(text):
    """The one command both managers run (the unit's ExecStart with its env file's values)."""
    env = parse_env(text)
    return [ACTIVATE, '--listen=' + env['LISTEN'], '--setenv=' + MARK, env['PROXYD'], env['TARGET']]


# -- files and processes -------------------------------------------------------------------------------------------
def paths(name):
    if parse_instance(name) is None:
        raise HostnetError('not a proxy instance name: %r' % (name,))
    base = os.path.join(RUN_DIR, name)
    return dict(dir=base, env=os.path.join(base, 'env'), pid=os.path.join(base, 'pid'), log=os.path.join(base, 'log'))


def proxyd():
    """The proxy program's path on this host (the first of PROXYDS there, else Debian's, which start then names)."""
    return next((p for p in PROXYDS if os.path.isfile(p)), PROXYDS[0])


def manager(root='/'):
    """'systemd' or 'supervised', by the rule of _dns_service.manager, with this unit."""
    booted = os.path.isdir(os.path.join(root, _dns_service.SYSTEMD_BOOTED))
    return 'systemd' if booted and os.path.isfile(os.path.join(root, UNIT_TEMPLATE)) else 'supervised'


def is_ours(pid, name):
    """Whether ``pid`` is a live proxy of ours for instance ``name`` (before its first connection it is
    systemd-socket-activate, after it the proxy it became; the mark is in its environment either way)."""
    return _dns_service.is_marked(pid, PROGRAMS, '%s=%s' % (MARK, name))


def running(name):
    """Our proxy's pid, or None."""
    return _dns_service.owned_pid(paths(name)['pid'], lambda pid: is_ours(pid, name))


def instances():
    """The instance names under RUN_DIR."""
    try:
        return sorted(n for n in os.listdir(RUN_DIR) if parse_instance(n) is not None)
    except OSError:
        return []


def held():
    """{('::1', port)} of the proxies of ours that run: their sockets are no foreign listeners (_ports.OURS)."""
    return {(LOOPBACK6, parse_instance(n)[1]) for n in instances() if running(n) is not None}


def read(network):
    """The snapshot ``plan`` takes: {'proxyd': path, 'instances': {name: {'env': text, 'pid': pid}}} of network's."""
    found = {}
    for name in instances():
        if parse_instance(name)[0] == network:
            found[name] = {'env': _dns_service.read_file(paths(name)['env']), 'pid': running(name)}
    return {'proxyd': proxyd(), 'instances': found}


def loopback_listeners():
    """{port: inode} of the TCP sockets listening on [::1], from one read of /proc/net/tcp6."""
    found = {}
    for line in (_dns_service.read_file('/proc/net/tcp6') or '').splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != '0A':
            continue
        hex_ip, dummy, hex_port = fields[1].partition(':')
        if _dns_service._address(hex_ip, socket.AF_INET6) == LOOPBACK6:  # pylint: disable=protected-access
            found[int(hex_port, 16)] = int(fields[9])
    return found


def _start_supervised(name, text):
    """Detached (own session, no inherited fds): it outlives the module.  Its pid file is written here; its stderr
    goes to the instance's log, which says why it could not bind."""
    p = paths(name)
    env = dict(os.environ, **{MARK: name})
    with open(p['log'], 'ab') as log:
        try:
            proc = subprocess.Popen(command(text), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                    env=env, start_new_session=True, close_fds=True)
        except OSError as exc:
            raise HostnetError('could not start the [::1] proxy %s: %s' % (name, exc)) from exc
    _store.write_atomic(p['pid'], '%d\n' % proc.pid, mode=0o644, fsync=False)
    return proc


def _start_systemd(name):
    unit = UNIT % name
    _dns_service.start_unit(unit, 'the [::1] proxy %s' % name)
    res = subprocess.run(['systemctl', 'show', '--property=MainPID', '--value', unit], capture_output=True, text=True, check=False)
    pid = res.stdout.strip()
    if pid.isdigit() and int(pid) > 0:
        _store.write_atomic(paths(name)['pid'], pid + '\n', mode=0o644, fsync=False)


def _failed(name, text):
    """Why a proxy did not come up: its last message (the log of a supervised one), or the wait's ceiling."""
    log = (_dns_service.read_file(paths(name)['log']) or '').strip()
    reason = log.splitlines()[-1] if log else 'it did not listen within %d s' % START_TIMEOUT
    return HostnetError('the [::1] proxy %s (%s) could not start: %s' % (name, parse_env(text).get('LISTEN'), reason))


def start_many(names):
    """Start the proxies ``names`` (their env files written), all first, then wait for them together (a network of
    many publishes starts its proxies in parallel); {name: pid} once each listens on [::1]:port.  When one does not
    come up, the ones this call started are stopped and its reason raised."""
    pids = {name: running(name) for name in names}
    texts = {}
    for name in [n for n in names if pids[n] is None]:
        texts[name] = _dns_service.read_file(paths(name)['env'])
        if texts[name] is None:
            raise HostnetError('the [::1] proxy %s has no env file %s' % (name, paths(name)['env']))
    procs = {}
    try:
        for name in texts:
            if manager() == 'systemd':
                _start_systemd(name)
            else:
                procs[name] = _start_supervised(name, texts[name])
        failed = _wait_listening(texts, procs, pids)
    except HostnetError:
        for name in texts:
            stop(name)
        raise
    if failed is not None:
        for name in texts:
            stop(name)
        raise _failed(failed, texts[failed])
    return pids


def _wait_listening(texts, procs, pids):
    """Wait until every proxy of ``texts`` listens (its pid into ``pids``); the name of one that exited or did not
    listen in time, else None."""
    def pending():
        listening = loopback_listeners()
        for name in [n for n in texts if pids[n] is None]:
            if name in procs and procs[name].poll() is not None:
                return name
            pid = running(name)
            if pid is not None and listening.get(parse_instance(name)[1]) in _dns_service.socket_inodes(pid):
                pids[name] = pid
        left = [n for n in texts if pids[n] is None]
        return left[0] if left else True

    last = [None]

    def done():
        last[0] = pending()
        return last[0] is True or (last[0] in procs and procs[last[0]].poll() is not None)

    _wait(done, START_TIMEOUT)
    return None if last[0] is True else last[0]


def start(name):
    """Start the proxy of instance ``name`` (its env file written); its pid once it listens on [::1]:port."""
    return start_many([name])[name]


class StartBatch(_plan.Batch):
    """The start steps of one run together (each step's ``do`` is its instance name): start_many of ``svc``."""

    def __init__(self, svc):
        self.svc = svc

    def run(self, steps):
        try:
            self.svc.start_many([step.do for step in steps])
        except Exception as exc:
            # start_many's errors name the instance ('the [::1] proxy NAME ...'): that start is the step that failed.
            failed = next((step for step in steps if 'proxy %s ' % step.do in str(exc)), steps[0])
            raise _plan.BatchFailed(failed, exc, steps) from exc


def stop(name):
    """Stop our proxy (systemd's unit too when systemd runs); True when one ran."""
    return _dns_service.stop_owned(lambda: running(name), lambda pid: is_ours(pid, name), UNIT % name, manager() == 'systemd',
                                   'the [::1] proxy %s' % name)


def write(name, text):
    """The instance's folder and env file (None: the folder removed)."""
    p = paths(name)
    if text is None:
        shutil.rmtree(p['dir'], ignore_errors=True)
        return
    os.makedirs(p['dir'], mode=0o755, exist_ok=True)
    _store.write_atomic(p['env'], text, mode=0o644, fsync=False)


def restart(name):
    stop(name)
    return start(name)


# -- the plan (pure) -------------------------------------------------------------------------------------------------
def plan(steps, network, doc, snap, svc):
    """Add to ``steps`` the proxies network ``network`` (its document ``doc``, None when it goes) needs: started
    when missing or not running, restarted when their target changed, stopped and removed when their publish went.
    ``svc``: this module (a fake in unit tests)."""
    want = {instance(network, port): env_text(port, target, snap['proxyd']) for port, target in proxied(doc).items()}
    have = snap['instances']
    starts = []
    for name in sorted(set(want) | set(have)):
        text, state = want.get(name), have.get(name) or {'env': None, 'pid': None}
        old = state['env']
        if text is None:
            if state['pid'] is not None:
                steps.add('stop [::1] proxy %s' % name, lambda name=name: svc.stop(name), lambda name=name: svc.start(name))
            steps.add('remove %s' % svc.paths(name)['dir'], lambda name=name: svc.write(name, None),
                      lambda name=name, old=old: svc.write(name, old))
            continue
        if old != text:
            # Undone last (steps undo in reverse): the old target back, and a proxy that runs restarted onto it.
            steps.add('write %s' % svc.paths(name)['env'], lambda name=name, text=text: svc.write(name, text),
                      lambda name=name, old=old: (svc.write(name, old), svc.restart(name) if old and svc.running(name) else None))
        if state['pid'] is None:
            starts.append(name)
        elif old != text:
            steps.add('restart [::1] proxy %s' % name, lambda name=name: svc.restart(name))
    # Last and together (StartBatch): each proxy's start is a step of its own, for the commands and the rollback.
    batch = StartBatch(svc)
    for name in starts:
        steps.add('start [::1] proxy %s (%s)' % (name, svc.manager()), name, lambda name=name: svc.stop(name), batch=batch)
    return steps
