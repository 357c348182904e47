# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: nsenter
short_description: Run tasks inside an emulated host or a container's network namespace
version_added: 0.1.0
description:
  - Runs every action, C(raw) included, inside the namespaces of a process on the controller with
    C(nsenter) from util-linux, the way C(docker exec) runs a command inside a container.
  - With O(pid_file) or O(pid) the target is an emulated host built by the C(hostnet.containers.lab) role
    (the PID 1 of its pid, net, mount, UTS and IPC namespaces).
  - With O(netns) as well, the command runs in that named network namespace inside the emulated host
    (C(ip netns exec NAME) inside it). With O(netns) alone, it runs in that named network namespace of the
    controller itself, which is how a container made by this collection is reached.
  - Files are copied in and out by streaming them through C(cat) inside the target, so the target needs
    only a POSIX shell and C(cat); pipelining is supported and recommended.
  - For safety the plugin refuses a PID whose network namespace is the controller's own, so a stale pid
    file whose PID was reused can never point a play at the machine's own network.
author:
  - hostnet.containers contributors (@hostnet)
notes:
  - Needs root on the controller (C(nsenter) enters namespaces with C(CAP_SYS_ADMIN)).
  - The remote user is ignored; commands run as the user running C(ansible-playbook), inside the target.
extends_documentation_fragment:
  - connection_pipelining
  - hostnet.containers._controller.connection
options:
  pid_file:
    description:
      - File holding the PID of the target process (an emulated host's PID 1), as written by the lab role.
      - Read on every connection, so a host rebuilt under the same pid file is found again.
    type: path
    vars:
      - name: hostnet_nsenter_pid_file
    env:
      - name: HOSTNET_NSENTER_PID_FILE
  pid:
    description:
      - PID of the target process. Ignored when O(pid_file) is set.
    type: int
    vars:
      - name: hostnet_nsenter_pid
    env:
      - name: HOSTNET_NSENTER_PID
  netns:
    description:
      - Name of a network namespace (a container) under C(/run/netns).
      - With O(pid_file) or O(pid), the namespace inside that target; alone, a namespace of the controller.
    type: str
    vars:
      - name: hostnet_nsenter_netns
    env:
      - name: HOSTNET_NSENTER_NETNS
  nsenter_path:
    description:
      - Path or name of the C(nsenter) executable on the controller.
    type: str
    default: nsenter
    vars:
      - name: hostnet_nsenter_path
'''

EXAMPLES = r'''
# Inventory entries for emulated hosts (the lab role adds these itself)
# host1 ansible_connection=hostnet.containers.nsenter hostnet_nsenter_pid_file=/tmp/hostnet-lab/default/host1.pid

# A container (named network namespace) on the controller, like docker exec
# web01 ansible_connection=hostnet.containers.nsenter hostnet_nsenter_netns=web01

# A container inside an emulated host
# host1-web01 ansible_connection=hostnet.containers.nsenter
#   hostnet_nsenter_pid_file=/tmp/hostnet-lab/default/host1.pid hostnet_nsenter_netns=web01
'''

import os
import re
import shlex
import shutil
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError, AnsibleFileNotFound
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()

_NETNS_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$')


class Connection(ConnectionBase):
    """Run commands inside the namespaces of a process or of a named network namespace."""

    transport = 'hostnet.containers.nsenter'
    has_pipelining = True
    has_tty = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pid = None
        self._nsenter = None

    # -- target resolution ------------------------------------------------------
    def _target_pid(self):
        """The target PID, checked to be alive and not in the controller's own network namespace."""
        pid_file = self.get_option('pid_file')
        pid = self.get_option('pid')
        if pid_file:
            try:
                with open(pid_file, 'rb') as handle:
                    text = to_text(handle.read(), errors='surrogate_or_strict').strip()
            except FileNotFoundError:
                raise AnsibleConnectionFailure(
                    'hostnet.containers.nsenter: pid file %s does not exist; is the emulated host up '
                    '(hostnet.containers.lab with lab_state=present)?' % pid_file)
            except OSError as exc:
                raise AnsibleConnectionFailure('hostnet.containers.nsenter: cannot read pid file %s: %s'
                                               % (pid_file, to_native(exc)))
            try:
                pid = int(text)
            except ValueError:
                raise AnsibleConnectionFailure('hostnet.containers.nsenter: pid file %s does not hold a PID: %r'
                                               % (pid_file, text[:40]))
            source = 'pid file %s' % pid_file
        elif pid is not None:
            source = 'pid option'
        else:
            return None
        if pid <= 1:
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: invalid PID %d from %s' % (pid, source))
        if not _alive(pid):
            raise AnsibleConnectionFailure(
                'hostnet.containers.nsenter: process %d (from %s) is not running; the emulated host is down'
                % (pid, source))
        try:
            target_net = os.readlink('/proc/%d/ns/net' % pid)
            own_net = os.readlink('/proc/self/ns/net')
        except OSError as exc:
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: cannot inspect process %d (from %s): %s; '
                                           'the plugin needs root on the controller' % (pid, source, to_native(exc)))
        if target_net == own_net:
            raise AnsibleConnectionFailure(
                'hostnet.containers.nsenter: process %d (from %s) shares the controller\'s own network namespace; '
                'refusing to run there (stale pid file?)' % (pid, source))
        return pid

    def _check_netns(self, pid):
        netns = self.get_option('netns')
        if not netns:
            return
        if not _NETNS_NAME.match(netns):
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: invalid netns name %r' % netns)
        # /proc/PID/root shows the target's mount namespace, so its /run/netns is checked without a fork.
        root = '/proc/%d/root' % pid if pid else ''
        if not os.path.exists('%s/run/netns/%s' % (root, netns)):
            where = 'inside process %d' % pid if pid else 'on the controller'
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: network namespace %s does not exist %s'
                                           % (netns, where))

    def _connect(self):
        if self._connected:
            return self
        if os.geteuid() != 0:
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: needs root on the controller to enter namespaces')
        nsenter = self.get_option('nsenter_path')
        self._nsenter = shutil.which(nsenter) if os.path.basename(nsenter) == nsenter else nsenter
        if not self._nsenter or not os.access(self._nsenter, os.X_OK):
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: %s (util-linux) not found on the controller'
                                           % nsenter)
        pid = self._target_pid()
        if pid is None and not self.get_option('netns'):
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: set hostnet_nsenter_pid_file, '
                                           'hostnet_nsenter_pid or hostnet_nsenter_netns for %s'
                                           % self._play_context.remote_addr)
        self._check_netns(pid)
        self._pid = pid
        display.vvv('ESTABLISH NSENTER CONNECTION pid=%s netns=%s' % (pid, self.get_option('netns')),
                    host=self._play_context.remote_addr)
        self._connected = True
        return self

    def _argv(self, argv):
        """argv that runs ``argv`` inside the target."""
        if self._pid is not None:
            # Fail clearly when the host died since the connection was made.
            if not _alive(self._pid):
                raise AnsibleConnectionFailure('hostnet.containers.nsenter: process %d is no longer running'
                                               % self._pid)
            prefix = [self._nsenter, '-t', str(self._pid), '-m', '-u', '-i', '-n', '-p', '--']
        else:
            prefix = []
        netns = self.get_option('netns')
        if netns:
            prefix += ['ip', 'netns', 'exec', netns]
        return prefix + list(argv)

    # -- the connection API ------------------------------------------------------
    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        executable = self._play_context.executable or '/bin/sh'
        argv = self._argv([executable, '-c', to_text(cmd, errors='surrogate_or_strict')])
        display.vvv('EXEC %s' % ' '.join(shlex.quote(to_text(a)) for a in argv), host=self._play_context.remote_addr)
        try:
            proc = subprocess.Popen([to_bytes(a, errors='surrogate_or_strict') for a in argv],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise AnsibleConnectionFailure('hostnet.containers.nsenter: cannot run %s: %s' % (argv[0], to_native(exc)))
        stdout, stderr = proc.communicate(in_data)
        return proc.returncode, stdout, stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._connect()
        display.vvv('PUT %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        if not os.path.exists(to_bytes(in_path, errors='surrogate_or_strict')):
            raise AnsibleFileNotFound('file or module does not exist: %s' % to_native(in_path))
        argv = self._argv(['/bin/sh', '-c', 'cat > %s' % shlex.quote(to_text(out_path))])
        with open(to_bytes(in_path, errors='surrogate_or_strict'), 'rb') as src:
            proc = subprocess.Popen([to_bytes(a, errors='surrogate_or_strict') for a in argv],
                                    stdin=src, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            stdout, stderr = proc.communicate()
        if proc.returncode != 0:
            raise AnsibleError('failed to transfer file %s to %s:\n%s\n%s'
                               % (to_native(in_path), to_native(out_path), to_native(stdout), to_native(stderr)))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._connect()
        display.vvv('FETCH %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        argv = self._argv(['/bin/sh', '-c', 'cat < %s' % shlex.quote(to_text(in_path))])
        out_b = to_bytes(out_path, errors='surrogate_or_strict')
        tmp_b = out_b + b'.hostnet-part'
        try:
            with open(tmp_b, 'wb') as dst:
                proc = subprocess.Popen([to_bytes(a, errors='surrogate_or_strict') for a in argv],
                                        stdin=subprocess.DEVNULL, stdout=dst, stderr=subprocess.PIPE)
                stderr = proc.communicate()[1]
            if proc.returncode != 0:
                raise AnsibleError('failed to fetch file %s to %s:\n%s'
                                   % (to_native(in_path), to_native(out_path), to_native(stderr)))
            os.replace(tmp_b, out_b)
        finally:
            if os.path.exists(tmp_b):
                os.unlink(tmp_b)

    def reset(self):
        self.close()

    def close(self):
        self._connected = False
        self._pid = None


def _alive(pid):
    """True when ``pid`` exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            state = handle.read().rsplit(b')', 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in (b'Z', b'X')
