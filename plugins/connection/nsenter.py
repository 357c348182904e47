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
  - Runs every action, C(raw) included, inside the namespaces of a process on the controller's machine, addressed by
    its PID or a PID file; that is how Ansible reaches the emulated hosts that the C(hostnet.containers.lab) role builds.
  - With O(netns), the command runs inside that named network namespace (like C(docker exec)), with the files of
    C(/etc/netns/NAME) bound over C(/etc) as C(ip netns exec) does; inside the emulated host when O(pid) or O(pid_file)
    is also set, on the controller's own host otherwise.
  - Uses C(nsenter) from util-linux and C(ip) from iproute2 on the controller; must run as root.
author:
  - hostnet.containers contributors (@hostnet)
options:
  pid:
    description: PID of a process whose mount, UTS, IPC, network and PID namespaces the tasks run in.
    type: int
    vars:
      - name: hostnet_nsenter_pid
  pid_file:
    description: File holding that PID (the lab writes one per emulated host). Used when O(pid) is not set.
    type: path
    vars:
      - name: hostnet_nsenter_pid_file
  netns:
    description: Named network namespace to run in (a container's network stack).
    type: str
    vars:
      - name: hostnet_nsenter_netns
  nsenter_path:
    description: Path of the nsenter executable.
    type: str
    default: nsenter
    vars:
      - name: hostnet_nsenter_path
'''

EXAMPLES = r'''
# inventory.yml: an emulated host from the lab role, and a container inside it
# all:
#   hosts:
#     host1:
#       ansible_connection: hostnet.containers.nsenter
#       hostnet_nsenter_pid_file: /tmp/hostnet-lab/default/host1.pid
#     web01:
#       ansible_connection: hostnet.containers.nsenter
#       hostnet_nsenter_pid_file: /tmp/hostnet-lab/default/host1.pid
#       hostnet_nsenter_netns: web01

- name: Look at the container's interfaces, like docker exec web01 ip addr
  ansible.builtin.raw: ip -br addr
  delegate_to: web01
'''

import os
import shlex
import subprocess

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()


class Connection(ConnectionBase):
    """Run commands inside the namespaces of an emulated host or a container."""

    transport = 'hostnet.containers.nsenter'
    has_pipelining = True
    has_tty = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pid = None

    def _target_pid(self):
        pid = self.get_option('pid')
        if pid is None:
            pid_file = self.get_option('pid_file')
            if pid_file is None:
                return None
            try:
                with open(pid_file) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError) as exc:
                raise AnsibleConnectionFailure('nsenter: cannot read pid_file %s: %s (is the lab up?)' % (pid_file, exc))
        if not os.path.exists('/proc/%d/ns/net' % pid):
            raise AnsibleConnectionFailure('nsenter: process %d is not running (pid_file %s); is the lab up?'
                                           % (pid, self.get_option('pid_file')))
        return pid

    def _connect(self):
        if not self._connected:
            self._pid = self._target_pid()
            if self._pid is None and self.get_option('netns') is None:
                raise AnsibleConnectionFailure('nsenter: set pid, pid_file or netns for host %s' % self._play_context.remote_addr)
            display.vvv('ESTABLISH NSENTER CONNECTION pid=%s netns=%s' % (self._pid, self.get_option('netns')),
                        host=self._play_context.remote_addr)
            self._connected = True
        return self

    def _wrap(self, argv):
        prefix = []
        if self._pid is not None:
            prefix = [self.get_option('nsenter_path'), '-t', str(self._pid), '-m', '-u', '-i', '-n', '-p', '--']
        netns = self.get_option('netns')
        if netns is not None:
            prefix += ['ip', 'netns', 'exec', netns]
        return prefix + argv

    def _run(self, argv, in_data=None, stdin=subprocess.PIPE):
        display.vvv('EXEC %s' % ' '.join(shlex.quote(a) for a in argv), host=self._play_context.remote_addr)
        try:
            proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise AnsibleConnectionFailure('nsenter: cannot run %s: %s' % (argv[0], exc))
        stdout, stderr = proc.communicate(in_data)
        return proc.returncode, stdout, stderr

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        shell = self._play_context.executable or '/bin/sh'
        rc, stdout, stderr = self._run(self._wrap([shell, '-c', to_text(cmd)]), in_data=in_data)
        if rc != 0 and self.get_option('netns') is not None and b'Cannot open network namespace' in stderr:
            raise AnsibleConnectionFailure('nsenter: network namespace %r does not exist: %s'
                                           % (self.get_option('netns'), to_text(stderr).strip()))
        return rc, stdout, stderr

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        display.vvv('PUT %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        if not os.path.exists(to_bytes(in_path, errors='surrogate_or_strict')):
            raise AnsibleError('nsenter: file or module does not exist: %s' % in_path)
        # The target may have another mount namespace, so stream the file through a shell inside it.
        with open(to_bytes(in_path, errors='surrogate_or_strict'), 'rb') as src:
            rc, _stdout, stderr = self._run(self._wrap(['/bin/sh', '-c', 'cat > %s' % shlex.quote(out_path)]), stdin=src)
        if rc != 0:
            raise AnsibleError('nsenter: failed to transfer %s to %s: %s' % (in_path, out_path, to_text(stderr)))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        display.vvv('FETCH %s TO %s' % (in_path, out_path), host=self._play_context.remote_addr)
        with open(to_bytes(out_path, errors='surrogate_or_strict'), 'wb') as dst:
            rc, _stdout, stderr = self._run(self._wrap(['/bin/sh', '-c', 'cat %s' % shlex.quote(in_path)]), stdin=subprocess.DEVNULL)
            if rc != 0:
                raise AnsibleError('nsenter: failed to fetch %s: %s' % (in_path, to_text(stderr)))
            dst.write(_stdout)

    def close(self):
        self._connected = False
