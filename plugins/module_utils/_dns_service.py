# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lifecycle of a network's name server (one dnsmasq per network with ``dns`` on): where its files are, who runs
it (systemd or this collection), whether it runs, start, stop, reload; and the port-53 listeners of the host.

It only acts: the network planner decides when to call what (and writes the conf, hosts and servers files first).

* ``paths(network)``: dict(dir, conf, servers, hosts, pid), all under ``RUN_DIR/network``.
* ``manager(root='/')``: ``'systemd'`` when systemd booted the host and the template unit is installed, else
  ``'supervised'`` (emulated hosts, containers, hosts without systemd).  The one place that decides.
* ``running(network)``: our server's pid, or None.  Ours: the pid in our pid file is a dnsmasq whose command line
  names our conf file.  Nothing else is ever signalled.
* ``start``, ``stop``, ``reload`` (SIGHUP: re-reads the servers file; hosts files are watched by dnsmasq itself),
  ``restart``.
* ``listeners(port=53)``: the sockets bound to ``port`` (from /proc/net/{tcp,udp,tcp6,udp6} of the caller's network
  namespace); ``socket_inodes(pid)``: the sockets a process holds, to tell our server's from anyone else's.
"""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import struct
import subprocess
import tempfile
import time

from ansible_collections.hostnet.containers.plugins.module_utils._kernel import HostnetError

RUN_DIR = '/run/hostnet/dns'
DNSMASQ = '/usr/sbin/dnsmasq'
UNIT = 'hostnet-dns@%s.service'
UNIT_TEMPLATE = 'etc/systemd/system/hostnet-dns@.service'
# sd_booted(3): systemd is the init system when this directory exists.
SYSTEMD_BOOTED = 'run/systemd/system'
# Ceilings only: the waits end on their condition; a loaded machine may take seconds to start a process.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
_POLL = 0.02
# A network name becomes a directory and a systemd instance name: Docker's network name rule keeps both safe.
_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


def is_network_name(name):
    return isinstance(name, str) and _NAME_RE.fullmatch(name) is not None


def paths(network):
    """Where a network's server files live; the network planner writes them, dnsmasq reads them."""
    if not is_network_name(network):
        raise HostnetError('not a network name for a name server directory: %r' % (network,))
    base = os.path.join(RUN_DIR, network)
    return dict(dir=base, conf=os.path.join(base, 'dnsmasq.conf'), servers=os.path.join(base, 'servers'),
                hosts=os.path.join(base, 'hosts'), pid=os.path.join(base, 'dnsmasq.pid'))


def manager(root='/'):
    """'systemd' or 'supervised'.  Both need the unit: a systemd host without our template (the role not applied)
    still gets a server, supervised, rather than a failed `systemctl start`."""
    booted = os.path.isdir(os.path.join(root, SYSTEMD_BOOTED))
    installed = os.path.isfile(os.path.join(root, UNIT_TEMPLATE))
    return 'systemd' if booted and installed else 'supervised'


# -- ownership -------------------------------------------------------------------------------------------------


def names_conf(argv, conf):
    """Whether a command line (a list of arguments) runs with ``conf`` as its conf file, in any of dnsmasq's
    spellings (--conf-file=F, --conf-file F, -C F, -CF)."""
    for i, arg in enumerate(argv):
        if arg in ('--conf-file=' + conf, '-C' + conf):
            return True
        if arg in ('--conf-file', '-C') and argv[i + 1:i + 2] == [conf]:
            return True
    return False


def read_file(path, mode='r'):
    """The file's content, or None when it is gone or cannot be read or decoded (the same as absent to a caller)."""
    try:
        with open(path, mode) as f:
            return f.read()
    except (OSError, ValueError):
        return None


def _is_dnsmasq(pid):
    """By the executable's name: after a package upgrade the kernel shows the old file as '... (deleted)'."""
    try:
        exe = os.readlink('/proc/%d/exe' % pid)
    except OSError:  # no permission (not root) or gone: the kernel's short name still tells
        return (read_file('/proc/%d/comm' % pid) or '').strip() == 'dnsmasq'
    return os.path.basename(exe.split(' (deleted)')[0]) == 'dnsmasq'


def _alive(pid):
    """A zombie is dead for us: it holds no socket and answers nothing; its parent reaps it."""
    stat = read_file('/proc/%d/stat' % pid)
    if stat is None:
        return False
    return stat.rpartition(')')[2].split()[:1] != ['Z']


def is_ours(pid, conf):
    """Whether process ``pid`` is a live dnsmasq started with our conf file."""
    raw = read_file('/proc/%d/cmdline' % pid, 'rb')
    if not raw or not _alive(pid) or not _is_dnsmasq(pid):
        return False
    return names_conf(raw.decode('utf-8', 'replace').split('\0'), conf)


def _pid_from_file(path):
    text = (read_file(path) or '').strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def running(network):
    """Our server's pid, or None (no pid file, a stale one, or a pid that is now someone else's process)."""
    p = paths(network)
    pid = _pid_from_file(p['pid'])
    return pid if pid is not None and is_ours(pid, p['conf']) else None


# -- signals, only to our own server -----------------------------------------------------------------------------


def _send(pid, conf, signum):
    """Through a pidfd where the kernel has them: the pid cannot be reused while the fd is open, so the ownership
    check made through it holds when the signal goes."""
    pidfd_open = getattr(os, 'pidfd_open', None)
    if pidfd_open is None:
        os.kill(pid, signum)
        return
    fd = pidfd_open(pid)
    try:
        if not is_ours(pid, conf):
            raise ProcessLookupError(pid)
        signal.pidfd_send_signal(fd, signum)
    finally:
        os.close(fd)


def _signal(network, signum):
    """Send ``signum`` to our server; False when it does not run."""
    pid = running(network)
    if pid is None:
        return False
    try:
        _send(pid, paths(network)['conf'], signum)
    except ProcessLookupError:  # it exited (or the pid is someone else's now)
        return False
    return True


def is_marked(pid, programs, mark):
    """Whether ``pid`` is a live process of one of ``programs`` (its executable's name) whose environment holds
    ``mark`` (NAME=VALUE): how the collection knows a helper process of its own (a proxy, a DHCP client)."""
    try:
        exe = os.path.basename(os.readlink('/proc/%d/exe' % pid).split(' (deleted)')[0])
    except OSError:
        return False
    environ = read_file('/proc/%d/environ' % pid, 'rb') or b''
    return exe in programs and _alive(pid) and mark.encode() in environ.split(b'\0')


def owned_pid(path, owned):
    """The pid in the pid file ``path`` when ``owned(pid)`` holds, else None (no file, a stale pid, someone else's)."""
    pid = _pid_from_file(path)
    return pid if pid is not None and owned(pid) else None


def signal_owned(pid, owned, signum):
    """``signum`` to ``pid`` through a pidfd, when ``owned(pid)`` holds with the fd open (the pid cannot be reused
    between the check and the signal); False when it is gone or not ours."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    try:
        if not owned(pid):
            return False
        signal.pidfd_send_signal(fd, signum)
    except ProcessLookupError:
        return False
    finally:
        os.close(fd)
    return True


def stop_owned(running_pid, owned, unit, systemd, what):
    """Stop a helper process of ours (a proxy, a DHCP client): its systemd ``unit`` when ``systemd`` runs it, then
    SIGTERM, and SIGKILL if it outlives the ceiling, each only while ``running_pid()`` names a process ``owned``
    accepts.  True when one ran; fails naming ``what`` when it does not stop."""
    was = running_pid()
    if systemd:
        _systemctl('stop', unit)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        pid = running_pid()
        if pid is None or not signal_owned(pid, owned, signum) or _wait(lambda: running_pid() is None, STOP_TIMEOUT):
            break
    left = running_pid()
    if left is not None:
        raise HostnetError('%s (pid %d) did not stop' % (what, left))
    return was is not None


def _wait(predicate, timeout):
    """Poll ``predicate`` until it holds or ``timeout`` passes; its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(_POLL)


# -- lifecycle --------------------------------------------------------------------------------------------------


def _command(network):
    """The one command both managers run: dnsmasq forks, writes its pid file, and its first process exits non-zero
    with its own message on stderr when it cannot start (a port taken, a bad conf)."""
    return [DNSMASQ, '--conf-file=' + paths(network)['conf']]


def _last_line(text):
    lines = [line.strip() for line in (text or '').splitlines() if line.strip()]
    return lines[-1] if lines else ''


def _exits_within(proc, timeout):
    """Whether ``proc`` ends within ``timeout``, told by its pidfd: one poll, then the caller's one wait.
    Popen.wait(timeout) polls waitpid in a loop instead, so how many wait calls a run makes would depend on the
    machine's speed (the fault tests find a run's steps by counting them)."""
    fd = os.pidfd_open(proc.pid)
    try:
        # poll, not select: a run that holds many namespaces open has descriptors above select's limit of 1024.
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(timeout * 1000))
    finally:
        os.close(fd)


def _start_supervised(network):
    """Detached: its own session, no inherited fds, so the server outlives the module (and, in an emulated host,
    dies with the host).  stderr goes to an unnamed file, not a pipe: the daemon may keep stderr open, and a pipe
    would then never reach end of file."""
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(_command(network), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True, close_fds=True)
        except OSError as exc:
            raise HostnetError('could not start the name server of network %s: %s' % (network, exc)) from exc
        if not _exits_within(proc, START_TIMEOUT):
            proc.kill()  # its first process, still ours to end: it has not handed over to the daemon
            proc.wait()
            raise HostnetError('the name server of network %s did not start within %d s' % (network, START_TIMEOUT))
        rc = proc.wait()
        err.seek(0)
        message = _last_line(err.read().decode('utf-8', 'replace'))
    if rc != 0:
        raise HostnetError('the name server of network %s could not start: %s' % (network, message or 'exit %d' % rc))


def _systemctl(*args):
    return subprocess.run(['systemctl'] + list(args), capture_output=True, text=True, check=False)


def start_unit(unit, what):
    """``systemctl start unit`` for a helper process of ours (a proxy, a DHCP client); fails naming ``what``."""
    res = _systemctl('start', unit)
    if res.returncode != 0:
        raise HostnetError('%s could not start (%s): %s' % (what, unit, res.stderr.strip()))


def _journal_message(unit, since):
    """dnsmasq's own words from the journal (under systemd its stderr goes there, not to systemctl), logged from
    ``since`` (epoch seconds) on, so an older failure's message is not taken for this one."""
    try:
        res = subprocess.run(['journalctl', '--unit', unit, '--since', '@%d' % since, '--output', 'cat', '--no-pager'],
                             capture_output=True, text=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ''
    found = [line for line in res.stdout.splitlines() if line.startswith('dnsmasq:')]
    return found[-1] if found else ''


def _start_systemd(network):
    unit = UNIT % network
    since = int(time.time())
    res = _systemctl('start', unit)
    if res.returncode != 0:
        message = _journal_message(unit, since) or _last_line(res.stderr)
        # Restart=on-failure would try again behind the caller's back (after it has rolled back): cancel that.
        _systemctl('stop', unit)
        _systemctl('reset-failed', unit)
        raise HostnetError('the name server of network %s could not start (%s): %s' % (network, unit, message))


def start(network):
    """Start the server (its conf written already); return its pid once the pid file names it.  A server that runs
    already is left as it is (start twice is one server); a conf change needs restart()."""
    pid = running(network)
    if pid is not None:
        return pid
    # Without it systemd skips the unit (ConditionPathExists) and reports success: say so here, for both managers.
    if not os.path.isfile(paths(network)['conf']):
        raise HostnetError('the name server of network %s has no conf file %s' % (network, paths(network)['conf']))
    if manager() == 'systemd':
        _start_systemd(network)
    else:
        _start_supervised(network)
    pid = _wait(lambda: running(network), START_TIMEOUT)
    if pid is None:
        stop(network)  # nothing half-started left behind
        raise HostnetError('the name server of network %s did not write its pid file %s' % (network, paths(network)['pid']))
    return pid


def stop(network):
    """Stop our server; True when one ran.  systemd's unit is stopped too (whichever manager started it: the unit
    may have been installed after a supervised start), then any server of ours still running gets SIGTERM, and
    SIGKILL if it outlives the ceiling."""
    was = running(network)
    if manager() == 'systemd':
        _systemctl('stop', UNIT % network)
    for signum in (signal.SIGTERM, signal.SIGKILL):
        if not _signal(network, signum):
            break
        if _wait(lambda: running(network) is None, STOP_TIMEOUT):
            break
    left = running(network)
    if left is not None:
        raise HostnetError('the name server of network %s (pid %d) did not stop' % (network, left))
    return was is not None


def reload(network):
    """SIGHUP: dnsmasq re-reads its servers file (hosts files in hostsdir are picked up by inotify without it).
    False when our server does not run (the planner starts it instead)."""
    return _signal(network, signal.SIGHUP)


def restart(network):
    """For a changed conf file, which dnsmasq reads only when it starts."""
    stop(network)
    return start(network)


# -- port listeners ---------------------------------------------------------------------------------------------

_PROC_NET = (('tcp', 'tcp', socket.AF_INET), ('udp', 'udp', socket.AF_INET),
             ('tcp6', 'tcp', socket.AF_INET6), ('udp6', 'udp', socket.AF_INET6))
_TCP_LISTEN = '0A'


def _address(hex_address, family):
    """/proc/net prints addresses as 32-bit words in the kernel's (host) byte order."""
    words = [int(hex_address[i:i + 8], 16) for i in range(0, len(hex_address), 8)]
    return socket.inet_ntop(family, struct.pack('=%dI' % len(words), *words))


def parse_listeners(text, proto, family, port=53):
    """The sockets bound to ``port`` in one /proc/net table: listening TCP sockets, every bound UDP socket (UDP has
    no listen state; a connected one still holds the port)."""
    found = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        hex_ip, _sep, hex_port = fields[1].partition(':')
        if int(hex_port, 16) != port or (proto == 'tcp' and fields[3] != _TCP_LISTEN):
            continue
        found.append(dict(proto=proto, ip=_address(hex_ip, family), port=port, inode=int(fields[9])))
    return found


def listeners(port=53):
    """The sockets bound to ``port`` in the caller's network namespace, as dicts(proto, ip, port, inode)."""
    found = []
    for table, proto, family in _PROC_NET:
        text = read_file('/proc/net/' + table)
        if text:  # tcp6/udp6 are absent when IPv6 is off
            found.extend(parse_listeners(text, proto, family, port))
    return found


def socket_inodes(pid):
    """The inodes of the sockets process ``pid`` holds (empty when it is gone or not readable)."""
    inodes = set()
    base = '/proc/%d/fd' % pid
    try:
        fds = os.listdir(base)
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(os.path.join(base, fd))
        except OSError:  # closed meanwhile
            continue
        if target.startswith('socket:['):
            inodes.add(int(target[8:-1]))
    return inodes
