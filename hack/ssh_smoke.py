# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SSH smoke test: the bridge_network role applied over a real SSH connection, the path users take on real hosts.

Usage: ssh_smoke.py COLLECTIONS_PATH   (a collections path holding an installed hostnet.containers)

Two emulated hosts from the installed collection's lab tool: host1 runs an sshd of its own (own config, host
key and authorized key in a temporary folder, listening on host1's lab address only); ansible-playbook runs
in host2's network namespace, so it reaches host1 over the lab's switch with ansible_connection=ssh and
OpenSSH's default file transfer (sftp). The play applies hostnet.containers.bridge_network, probes name
resolution and a ping between two containers, and removes everything again; between the runs the script
checks from outside that the namespaces are on host1 and not on this machine. sshd is stopped by its PID,
and the lab goes down even when a step fails.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SSHD = '/usr/sbin/sshd'
SFTP_SERVER = '/usr/lib/openssh/sftp-server'
TARGET = ('host1', '10.138.3.130')
CONTROLLER = ('host2', '10.138.3.131')

PLAY = '''\
- name: bridge_network over SSH
  hosts: sshhosts
  gather_facts: false
  vars:
    bridge_network_state: {state}
    bridge_network_networks:
      - name: smoke_net
        subnet: 172.30.0.0/24
    bridge_network_containers:
      - name: web01
        networks: [smoke_net]
      - name: db01
        networks: [{{name: smoke_net, aliases: [db]}}]
  roles:
    - role: hostnet.containers.bridge_network
  post_tasks:
    - name: web01 resolves db01's alias and pings it over smoke_net
      hostnet.containers.probe:
        netns: web01
        target: db
      when: bridge_network_state == 'present'

    - name: What the host holds now
      hostnet.containers.network_info:
      register: smoke_info

    - name: Show it
      ansible.builtin.debug:
        msg: "networks on {{{{ inventory_hostname }}}}: {{{{ smoke_info.networks | map(attribute='Name') | sort }}}}"
'''


def load_lab(collections):
    path = os.path.join(collections, 'ansible_collections', 'hostnet', 'containers', 'roles', 'lab', 'files', 'hostnet_lab.py')
    spec = importlib.util.spec_from_file_location('hostnet_lab', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sshd_child(nsenter_pid):
    """nsenter --pid forks: sshd is its child (its PID as this machine sees it)."""
    try:
        with open('/proc/%d/task/%d/children' % (nsenter_pid, nsenter_pid)) as f:
            kids = [int(p) for p in f.read().split()]
    except OSError:
        return None
    return kids[0] if kids else None


def main(collections):
    for program in (SSHD, SFTP_SERVER, shutil.which('ssh'), shutil.which('ssh-keygen')):
        if not program or not os.path.exists(program):
            print('ssh-smoke: %s is missing (make setup installs openssh-server and openssh-client)' % program)
            return 1
    bindir = os.path.dirname(sys.executable)
    hostnet_lab = load_lab(collections)
    tmp = tempfile.mkdtemp(prefix='hostnet-ssh-smoke-')
    lab = hostnet_lab.Lab(os.path.join(tmp, 'lab'))
    sshd = nsenter = None
    log = open(os.path.join(tmp, 'sshd.log'), 'w+')
    try:
        lab.up({TARGET[0]: {'address': TARGET[1] + '/24'}, CONTROLLER[0]: {'address': CONTROLLER[1] + '/24'}})
        ssh = os.path.join(tmp, 'ssh')
        os.makedirs(ssh, mode=0o700)
        for key in ('host_key', 'client_key'):
            subprocess.run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'hostnet-ssh-smoke', '-f', os.path.join(ssh, key)],
                           check=True)
        shutil.copy(os.path.join(ssh, 'client_key.pub'), os.path.join(ssh, 'authorized_keys'))
        with open(os.path.join(ssh, 'host_key.pub')) as f:
            host_key = ' '.join(f.read().split()[:2])
        with open(os.path.join(ssh, 'known_hosts'), 'w') as f:
            f.write('%s %s\n' % (TARGET[1], host_key))
        config = os.path.join(ssh, 'sshd_config')
        with open(config, 'w') as f:
            f.write('\n'.join([
                'ListenAddress %s:22' % TARGET[1],
                'HostKey %s' % os.path.join(ssh, 'host_key'),
                'AuthorizedKeysFile %s' % os.path.join(ssh, 'authorized_keys'),
                'PidFile none',
                'PermitRootLogin prohibit-password',
                'PasswordAuthentication no',
                'KbdInteractiveAuthentication no',
                'UsePAM no',
                # The keys live under /tmp (world-writable), which StrictModes would refuse.
                'StrictModes no',
                'Subsystem sftp %s' % SFTP_SERVER,
                'LogLevel VERBOSE',
            ]) + '\n')
        # sshd's privilege separation directory; /run is the emulated host's own tmpfs. root gets a home of its own
        # on host1, as on a fresh server: this machine's /root/.bashrc (which every SSH command and sftp session
        # would source) and ~/.ansible stay out of it. Both mounts are in host1's private mount namespace.
        lab.run(TARGET[0], ['mkdir', '-p', '-m', '0755', '/run/sshd'])
        lab.run(TARGET[0], ['mount', '-t', 'tmpfs', '-o', 'mode=0700', 'hostnet-ssh-smoke-root', '/root'])
        lab.run(TARGET[0], [SSHD, '-t', '-f', config])
        nsenter = subprocess.Popen(lab.command(TARGET[0], [SSHD, '-D', '-e', '-f', config]),
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

        controller_net = '--net=/proc/%d/ns/net' % lab.pid(CONTROLLER[0])
        ssh_args = ['-o', 'UserKnownHostsFile=%s' % os.path.join(ssh, 'known_hosts'), '-o', 'StrictHostKeyChecking=yes',
                    '-o', 'BatchMode=yes', '-i', os.path.join(ssh, 'client_key')]
        deadline = time.monotonic() + 15
        while True:
            probe = subprocess.run(['nsenter', controller_net, '--', 'ssh'] + ssh_args + ['root@' + TARGET[1], 'hostname'],
                                   capture_output=True, text=True, check=False)
            if probe.returncode == 0:
                break
            if time.monotonic() > deadline or nsenter.poll() is not None:
                log.seek(0)
                print('ssh-smoke: FAILED, no SSH login to %s: %s\nsshd log:\n%s' % (TARGET[1], probe.stderr.strip(), log.read()))
                return 1
            time.sleep(0.2)
        sshd = sshd_child(nsenter.pid)
        if probe.stdout.strip() != TARGET[0]:
            print('ssh-smoke: FAILED, the SSH login landed on %r, not %s' % (probe.stdout.strip(), TARGET[0]))
            return 1
        print('ssh-smoke: sshd (pid %s) inside %s answers on %s:22' % (sshd, TARGET[0], TARGET[1]))

        inventory = os.path.join(tmp, 'inventory.ini')
        with open(inventory, 'w') as f:
            f.write('[sshhosts]\n%s ansible_host=%s\n\n[sshhosts:vars]\n' % TARGET)
            f.write('ansible_connection=ssh\nansible_user=root\nansible_python_interpreter=/usr/bin/python3\n')
            f.write('ansible_ssh_private_key_file=%s\n' % os.path.join(ssh, 'client_key'))
            f.write("ansible_ssh_common_args='-o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes'\n"
                    % os.path.join(ssh, 'known_hosts'))
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
                   ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_RETRY_FILES_ENABLED='false',
                   ANSIBLE_PIPELINING='false', ANSIBLE_SSH_CONTROL_PATH_DIR=os.path.join(tmp, 'cp'),
                   ANSIBLE_LOCAL_TEMP=os.path.join(tmp, 'ansible-local'))

        def play(state):
            path = os.path.join(tmp, 'play-%s.yml' % state)
            with open(path, 'w') as f:
                f.write(PLAY.format(state=state))
            res = subprocess.run(['nsenter', controller_net, '--', os.path.join(bindir, 'ansible-playbook'), '-i', inventory, path],
                                 cwd=tmp, env=env, capture_output=True, text=True, check=False)
            print(res.stdout + res.stderr)
            recap = re.search(r'^host1\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', res.stdout, re.M)
            return res.returncode == 0 and recap is not None and recap.group(2) == '0' and recap.group(3) == '0', res.stdout

        def namespaces(where):
            out = (lab.run(TARGET[0], ['ip', 'netns', 'list']).stdout if where == 'host1'
                   else subprocess.run(['ip', 'netns', 'list'], capture_output=True, text=True, check=False).stdout)
            return {line.split()[0] for line in out.splitlines() if line.strip()}

        machine_before = namespaces('machine')
        ok, out = play('present')
        if not ok or "networks on host1: ['bridge', 'smoke_net']" not in out:
            print('ssh-smoke: FAILED, the role over SSH did not build the networks and pass the probe')
            return 1
        if not {'web01', 'db01'} <= namespaces('host1') or namespaces('machine') != machine_before:
            print('ssh-smoke: FAILED, the containers are not on host1 alone: host1 %s, machine %s'
                  % (sorted(namespaces('host1')), sorted(namespaces('machine'))))
            return 1
        ok, out = play('absent')
        if not ok or 'networks on host1: []' not in out or namespaces('host1') & {'web01', 'db01'}:
            print('ssh-smoke: FAILED, the role over SSH did not remove everything')
            return 1
        print('ssh-smoke: ok, bridge_network applied, probed and removed on %s over SSH' % TARGET[0])
        return 0
    finally:
        if nsenter is not None:
            sshd = sshd or sshd_child(nsenter.pid)
            if sshd is not None:
                try:
                    os.kill(sshd, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            try:
                nsenter.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nsenter.kill()
                nsenter.wait()
        log.close()
        lab.down()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main(os.path.abspath(sys.argv[1])))
