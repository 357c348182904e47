# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Emulated hosts for the hostnet.containers lab, tests and Molecule.

Each host is a process that is PID 1 of its own pid, net, mount, UTS and IPC
namespaces, with a private /run (and /run/netns), overlays on /etc, /var/lib and /usr/local (kept by
down --keep-state, a simulated reboot), its own /var/lib/hostnet, a fresh /sys and /proc.  Its /etc/resolv.conf names
the host's own LAN address, where nothing listens on port 53: the machine's name server is not reachable from a
lab, and a lookup of an unknown name (``ping web02`` on the default bridge) fails at once, from the host and from
its containers alike (which get the host's non-loopback resolvers, as Docker gives them), as on a LAN whose server
says NXDOMAIN, instead of after glibc's 2 x 5 s of timeouts.  A switch node holds the bridge sw0;
every host has an ``ens33`` veth whose other end sits on sw0.  Nothing is ever
created in the machine's own network or mount namespace: links are created from
inside the switch namespace with their peer placed straight into the host's.

This is lab tooling that runs on the control machine; it uses util-linux and
iproute2 inside the lab's own namespaces (the modules use pyroute2).

    hostnet_lab.py up     --dir DIR --host NAME=CIDR[,gw=IP] [--host ...] [--keep-state]
    hostnet_lab.py down   --dir DIR [--keep-state]
    hostnet_lab.py exec   --dir DIR NAME -- argv...
    hostnet_lab.py status --dir DIR
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

SWITCH = 'switch'
BRIDGE = 'sw0'
NSENTER_ALL = ('-m', '-u', '-i', '-n', '-p')
_MARK = 'hostnet-lab-init'


class LabError(Exception):
    pass


def _run(argv, check=True, **kw):
    res = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
    if check and res.returncode != 0:
        raise LabError('%s failed (rc=%d): %s' % (' '.join(argv), res.returncode, (res.stderr or res.stdout).strip()))
    return res


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as f:
            return f.read().split(b'\0')
    except OSError:
        return []


class Lab:
    """A set of emulated hosts joined by one switch, all kept under ``dir``."""

    def __init__(self, directory):
        self.dir = os.path.abspath(directory)
        self.meta_path = os.path.join(self.dir, 'lab.json')

    # -- bookkeeping --------------------------------------------------------
    def _meta(self):
        try:
            with open(self.meta_path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def _write_meta(self, meta):
        tmp = self.meta_path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(meta, f, indent=2, sort_keys=True)
        os.replace(tmp, self.meta_path)

    def pid_file(self, name):
        return os.path.join(self.dir, '%s.pid' % name)

    def pid(self, name):
        with open(self.pid_file(name)) as f:
            return int(f.read().strip())

    def state_dir(self, name):
        return os.path.join(self.dir, 'state', name)

    def _owned(self, pid):
        """True when pid is one of this lab's init processes (never signal anything else)."""
        argv = _cmdline(pid)
        return _MARK.encode() in argv and self.dir.encode() in argv

    # -- nodes ---------------------------------------------------------------
    def _spawn(self, name, meta):
        work = _overlay_dir(self.dir, name)
        for sub in ('etc-upper', 'etc-work', 'varlib-upper', 'varlib-work', 'usrlocal-upper', 'usrlocal-work'):
            os.makedirs(os.path.join(work, sub), exist_ok=True)
        os.makedirs(os.path.join(self.state_dir(name), 'hostnet'), exist_ok=True)
        ready = os.path.join(self.dir, '%s.ready' % name)
        if os.path.exists(ready):
            os.unlink(ready)
        log = open(os.path.join(self.dir, '%s.log' % name), 'ab')
        try:
            proc = subprocess.Popen(
                ['unshare', '--fork', '--pid', '--mount-proc', '--net', '--mount', '--uts', '--ipc',
                 '--propagation', 'private', '--kill-child=SIGKILL', sys.executable, os.path.abspath(__file__), _MARK,
                 '--dir', self.dir, '--name', name],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
        finally:
            log.close()
        # Recorded at once, so a run killed while the host starts still leaves it findable by down();
        # --kill-child makes the launcher's death take the whole host with it.
        meta['nodes'][name] = {'launcher': proc.pid}
        self._write_meta(meta)
        deadline = time.monotonic() + 15
        child = None
        while time.monotonic() < deadline:
            if child is None:
                try:
                    with open('/proc/%d/task/%d/children' % (proc.pid, proc.pid)) as f:
                        kids = f.read().split()
                    child = int(kids[0]) if kids else None
                except OSError:
                    pass
            if child is not None and os.path.exists(ready):
                return child, proc.pid
            if proc.poll() is not None:
                break
            time.sleep(0.005)
        with open(os.path.join(self.dir, '%s.log' % name), errors='replace') as f:
            tail = f.read()[-2000:]
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)
        raise LabError('emulated host %s did not start: %s' % (name, tail.strip() or 'no output'))

    def up(self, hosts, keep_state=False):
        """Build the lab.  ``hosts``: {name: {"address": CIDR, "gateway": IP|None}}."""
        for name, spec in hosts.items():
            if name == SWITCH or not name or len(name) > 32 or not name.replace('-', '').replace('_', '').isalnum():
                raise LabError('invalid host name %r' % name)
            _check_spec(name, spec)
        current = self._meta()
        if current is not None and self._matches(current, hosts):
            # Already built as asked and every node is alive: nothing to do.
            result = dict(current)
            result['changed'] = False
            return result
        if current is not None or os.path.isdir(os.path.join(self.dir, 'ovl')):
            self.down(keep_state=True)
        os.makedirs(self.dir, exist_ok=True)
        meta = {'dir': self.dir, 'nodes': {}, 'hosts': {}}
        self._write_meta(meta)
        try:
            for name in [SWITCH] + list(hosts):
                pid, launcher = self._spawn(name, meta)
                meta['nodes'][name] = {'pid': pid, 'launcher': launcher}
                self._write_meta(meta)
                with open(self.pid_file(name), 'w') as f:
                    f.write('%d\n' % pid)
            sw = meta['nodes'][SWITCH]['pid']
            self._nsip(sw, 'link', 'add', BRIDGE, 'type', 'bridge')
            self._nsip(sw, 'link', 'set', BRIDGE, 'up')
            for idx, (name, spec) in enumerate(hosts.items()):
                hp = meta['nodes'][name]['pid']
                # Interface names are at most 15 bytes; fall back to the host's index.
                port = 'swp-%s' % name if len('swp-%s' % name) <= 15 else 'swp%d' % idx
                self._nsip(sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'ens33', 'netns', str(hp))
                self._nsip(sw, 'link', 'set', port, 'master', BRIDGE, 'up')
                self._nsip(hp, 'addr', 'add', spec['address'], 'dev', 'ens33')
                self._nsip(hp, 'link', 'set', 'ens33', 'up')
                _run(['nsenter', '-t', str(hp), '-m', 'sh', '-c', 'cat > /etc/resolv.conf'],
                     input=RESOLV_CONF % spec['address'].partition('/')[0])
                if spec.get('gateway'):
                    self._nsip(hp, 'route', 'add', 'default', 'via', spec['gateway'])
                meta['hosts'][name] = {'pid': hp, 'pid_file': self.pid_file(name), 'address': spec['address'],
                                       'gateway': spec.get('gateway'), 'switch_port': port}
            self._write_meta(meta)
        except BaseException:
            self.down(keep_state=keep_state)
            raise
        result = dict(meta)
        result['changed'] = True
        return result

    def _matches(self, meta, hosts):
        """True when ``meta`` describes a healthy lab with exactly ``hosts``."""
        have = meta.get('hosts', {})
        if set(have) != set(hosts) or set(meta.get('nodes', {})) != set(hosts) | {SWITCH}:
            return False
        for name, spec in hosts.items():
            if have[name].get('address') != spec['address'] or have[name].get('gateway') != spec.get('gateway'):
                return False
        return all(n.get('pid') and _alive(n['pid']) and self._owned(n['pid']) for n in meta['nodes'].values())

    @staticmethod
    def _nsip(pid, *args):
        return _run(['nsenter', '-t', str(pid), '-n', 'ip'] + list(args))

    def down(self, keep_state=False):
        """Kill the lab's recorded processes and remove its files; True when there was anything to remove."""
        meta = self._meta() or {'nodes': {}}
        changed = bool(meta.get('nodes'))
        _kill_and_reap(self._owned_pids(meta))
        if not os.path.isdir(self.dir):
            return changed
        return self._remove_files(keep_state) or changed

    def _owned_pids(self, meta):
        """The live processes of ``meta``'s nodes that carry this lab's marker: each node's init and launcher."""
        pids = []
        for node in meta.get('nodes', {}).values():
            candidates = [node.get('pid'), node.get('launcher')]
            if node.get('launcher'):
                # A host whose start was interrupted has no recorded pid yet: its init is the launcher's child.
                candidates += _children(node['launcher'])
            for pid in candidates:
                # Both the launcher and the init carry the marker and this lab's dir in their argv.
                if pid and pid not in pids and _alive(pid) and self._owned(pid):
                    pids.append(pid)
        return pids

    def _remove_files(self, keep_state):
        """Remove the lab's folder (its state kept with ``keep_state``); True when anything was there."""
        changed = False
        for entry in os.listdir(self.dir):
            if keep_state and entry == 'state':
                continue
            changed = True
            path = os.path.join(self.dir, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
        if not keep_state:
            try:
                os.rmdir(self.dir)
                changed = True
            except OSError:
                pass
        return changed

    def status(self):
        meta = self._meta()
        if meta is None:
            return {'dir': self.dir, 'up': False, 'hosts': {}}
        healthy = all(n.get('pid') and _alive(n['pid']) and self._owned(n['pid']) for n in meta['nodes'].values())
        return {'dir': self.dir, 'up': healthy and bool(meta.get('hosts')), 'hosts': meta.get('hosts', {})}

    def command(self, name, argv):
        """The argv that runs ``argv`` inside every namespace of host ``name``."""
        return ['nsenter', '-t', str(self.pid(name))] + list(NSENTER_ALL) + ['--'] + list(argv)

    def run(self, name, argv, input=None, check=True, timeout=60, env=None):
        if isinstance(argv, str):
            argv = ['sh', '-c', argv]
        res = subprocess.run(self.command(name, argv), input=input, capture_output=True, text=True,
                             timeout=timeout, env=env, check=False)
        if check and res.returncode != 0:
            raise LabError('%s on %s failed (rc=%d): %s%s' % (argv, name, res.returncode, res.stdout, res.stderr))
        return res


def _kill_and_reap(pids):
    """SIGKILL each of ``pids`` and wait (10 s at most in all) until each is gone or a zombie, reaping our own."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 10
    for pid in pids:
        while _alive(pid) and time.monotonic() < deadline:
            try:
                # Reap it when it happens to be our own child (same-process up/down).
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            if not os.path.exists('/proc/%d' % pid) or _proc_state(pid) == 'Z':
                break
            time.sleep(0.005)


def _check_spec(name, spec):
    """Refuse a bad address or gateway before anything is started."""
    address = spec.get('address') or ''
    try:
        if '/' not in address:
            raise ValueError(address)
        iface = ipaddress.ip_interface(address)
    except ValueError:
        raise LabError('host %s: address must be a CIDR such as 10.138.3.130/24, got %r' % (name, address)) from None
    if spec.get('gateway'):
        try:
            gateway = ipaddress.ip_address(spec['gateway'])
        except ValueError:
            raise LabError('host %s: gateway %r is not an IP address' % (name, spec['gateway'])) from None
        if gateway not in iface.network or gateway == iface.ip:
            raise LabError('host %s: gateway %s is not another address of %s' % (name, gateway, iface.network))


def _children(pid):
    try:
        with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except (OSError, ValueError):
        return []


def _proc_state(pid):
    try:
        with open('/proc/%d/stat' % pid) as f:
            return f.read().rsplit(')', 1)[1].split()[0]
    except (OSError, IndexError):
        return None


# -- inside the emulated host (PID 1) -------------------------------------------
def _overlay_dir(directory, name):
    """The upper layers of a host's /etc, /var/lib and /usr/local: under its state, so a simulated reboot
    (down(keep_state=True), then up()) keeps them as a disk would."""
    return os.path.join(directory, 'state', name, 'ovl')


# No name server in the lab: the host's own address refuses at once (from the host, and from its containers, which
# cannot reach its 127.0.0.1), so unknown names fail fast.
RESOLV_CONF = '# hostnet_lab: no name server in the lab; this address refuses at once, so unknown names fail fast\nnameserver %s\n'


def _init(directory, name):
    def mount(*args):
        _run(['mount'] + list(args))

    work = _overlay_dir(directory, name)
    mount('-t', 'tmpfs', '-o', 'mode=755', 'tmpfs', '/run')
    os.makedirs('/run/netns', exist_ok=True)
    os.makedirs('/run/lock', exist_ok=True)
    # Like `ip netns add`: /run/netns is a shared mount so netns bind mounts
    # propagate into the mount namespaces `ip netns exec` creates.
    mount('--bind', '/run/netns', '/run/netns')
    mount('--make-shared', '/run/netns')
    mount('-t', 'overlay', 'overlay', '-o', 'lowerdir=/etc,upperdir=%s,workdir=%s' % (
        os.path.join(work, 'etc-upper'), os.path.join(work, 'etc-work')), '/etc')
    os.makedirs('/etc/netns', exist_ok=True)
    with open('/etc/hostname', 'w') as f:
        f.write(name + '\n')
    # Replaced, not written through: on many machines it is a symlink into a /run this host does not have.
    if os.path.lexists('/etc/resolv.conf'):
        os.unlink('/etc/resolv.conf')
    with open('/etc/resolv.conf', 'w') as f:
        f.write(RESOLV_CONF % '127.0.0.1')  # until up() knows the host's address
    mount('-t', 'overlay', 'overlay', '-o', 'lowerdir=/var/lib,upperdir=%s,workdir=%s' % (
        os.path.join(work, 'varlib-upper'), os.path.join(work, 'varlib-work')), '/var/lib')
    os.makedirs('/var/lib/hostnet', exist_ok=True)
    mount('--bind', os.path.join(directory, 'state', name, 'hostnet'), '/var/lib/hostnet')
    # What a role installs for the boot-time restore (/usr/local/sbin/hostnet-restore) stays in the host.
    mount('-t', 'overlay', 'overlay', '-o', 'lowerdir=/usr/local,upperdir=%s,workdir=%s' % (
        os.path.join(work, 'usrlocal-upper'), os.path.join(work, 'usrlocal-work')), '/usr/local')
    mount('-t', 'sysfs', 'sysfs', '/sys')
    socket.sethostname(name)
    _run(['ip', 'link', 'set', 'lo', 'up'])
    with open(os.path.join(directory, '%s.ready' % name), 'w') as f:
        f.write('ok\n')
    _reap_forever()


def _reap_forever():
    """PID 1's job: reap every orphan that the namespace hands to it; exit on SIGTERM/SIGINT/SIGHUP.

    The signals are blocked and taken with sigwait, so a SIGCHLD that arrives while reaping is
    never lost (a plain wait()/pause() loop would leave orphans as zombies once PID 1 has had
    no children for a moment).
    """
    stop = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    # A handler (not SIG_DFL, which discards SIGCHLD) keeps SIGCHLD pending while blocked.
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.pthread_sigmask(signal.SIG_BLOCK, stop | {signal.SIGCHLD})
    while True:
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        if signal.sigwait(stop | {signal.SIGCHLD}) in stop:
            os._exit(0)


def _parse_host(value):
    name, rest = value.partition('=')[::2]
    parts = rest.split(',')
    spec = {'address': parts[0]}
    for extra in parts[1:]:
        key, val = extra.partition('=')[::2]
        if key in ('gw', 'gateway'):
            spec['gateway'] = val
        else:
            raise argparse.ArgumentTypeError('unknown host option %r in %r' % (key, value))
    return name, spec


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == _MARK:
        p = argparse.ArgumentParser()
        p.add_argument('--dir', required=True)
        p.add_argument('--name', required=True)
        a = p.parse_args(argv[1:])
        _init(a.dir, a.name)
        return 0
    p = argparse.ArgumentParser(description='hostnet.containers emulated hosts')
    sub = p.add_subparsers(dest='cmd', required=True)
    up = sub.add_parser('up')
    up.add_argument('--dir', required=True)
    up.add_argument('--host', action='append', type=_parse_host, default=[])
    up.add_argument('--hosts-json', help='JSON list of {name, address, gateway?} (what the lab role passes)')
    up.add_argument('--keep-state', action='store_true')
    down = sub.add_parser('down')
    down.add_argument('--dir', required=True)
    down.add_argument('--keep-state', action='store_true')
    ex = sub.add_parser('exec')
    ex.add_argument('--dir', required=True)
    ex.add_argument('name')
    ex.add_argument('argv', nargs=argparse.REMAINDER)
    st = sub.add_parser('status')
    st.add_argument('--dir', required=True)
    a = p.parse_args(argv)
    lab = Lab(a.dir)
    try:
        if os.geteuid() != 0 and a.cmd != 'status':
            raise LabError('%s needs root (it creates and enters namespaces)' % a.cmd)
        if a.cmd == 'up':
            hosts = dict(a.host)
            for entry in json.loads(a.hosts_json or '[]'):
                hosts[entry['name']] = {'address': entry['address'], 'gateway': entry.get('gateway')}
            if not hosts:
                raise LabError('no hosts given (--host NAME=CIDR or --hosts-json)')
            print(json.dumps(lab.up(hosts, keep_state=a.keep_state), indent=2, sort_keys=True))
        elif a.cmd == 'down':
            print(json.dumps({'dir': lab.dir, 'changed': lab.down(keep_state=a.keep_state)}, sort_keys=True))
        elif a.cmd == 'status':
            print(json.dumps(lab.status(), indent=2, sort_keys=True))
        else:
            cmd = a.argv[1:] if a.argv[:1] == ['--'] else a.argv
            os.execvp('nsenter', lab.command(a.name, cmd or ['sh']))
    except LabError as exc:
        print('hostnet_lab: %s' % exc, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
