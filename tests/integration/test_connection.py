# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hostnet.containers.nsenter connection, driven by a real ansible-playbook run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.once  # see conftest.py

ANSIBLE_PLAYBOOK = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

PLAYBOOK = textwrap.dedent('''\
    - name: Every action runs inside the target
      hosts: all
      gather_facts: false
      tasks:
        - name: Raw runs in the target's namespaces
          ansible.builtin.raw: hostname; ip -o link | wc -l
          register: raw_out
        - name: Modules run there too
          ansible.builtin.command: hostname
          register: cmd_out
          changed_when: false
        - name: Ping
          ansible.builtin.ping:
        - name: Gather facts inside the target
          ansible.builtin.setup:
            gather_subset: [min, network]
        - name: Copy a file in
          ansible.builtin.copy:
            content: "hello {{ inventory_hostname }}\\n"
            dest: "/var/lib/hostnet/hello-{{ inventory_hostname }}"
            mode: "0644"
        - name: Fetch it back
          ansible.builtin.fetch:
            src: "/var/lib/hostnet/hello-{{ inventory_hostname }}"
            dest: "{{ out_dir }}/"
        - name: Check where we were
          ansible.builtin.assert:
            that:
              - raw_out.stdout_lines[0] == expect_hostname
              - (raw_out.stdout_lines[1] | int) == expect_links
              - cmd_out.stdout == expect_hostname
              - ansible_facts.hostname == expect_hostname
              - ('ens33' in ansible_facts.interfaces) == (expect_links == 2)
    ''')


def _write(path, text):
    with open(path, 'w') as f:
        f.write(text)
    return path


def _playbook(tmp_path, inventory, collection_path, extra_env=None, runner=None):
    inv = _write(str(tmp_path / 'inventory.yml'), inventory)
    play = _write(str(tmp_path / 'play.yml'), PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1',
               ANSIBLE_HOST_KEY_CHECKING='False', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))
    env.update(extra_env or {})
    argv = [ANSIBLE_PLAYBOOK, '-i', inv, play, '-e', 'out_dir=%s' % (tmp_path / 'out')]
    if runner is not None:
        return runner(argv, env)
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.mark.parametrize('pipelining', ['True', 'False'])
def test_playbook_runs_inside_hosts_and_a_container(two_hosts, tmp_path, collection_path, pipelining):
    h1, h2 = two_hosts
    h1.run('ip netns add c1 && ip -n c1 link set lo up')
    inventory = textwrap.dedent('''\
        all:
          vars:
            ansible_connection: hostnet.containers.nsenter
            ansible_python_interpreter: {python}
          hosts:
            host1: {{hostnet_nsenter_pid_file: {pf1}, expect_hostname: host1, expect_links: 2}}
            host2: {{hostnet_nsenter_pid: {pid2}, expect_hostname: host2, expect_links: 2}}
            c1: {{hostnet_nsenter_pid_file: {pf1}, hostnet_nsenter_netns: c1, expect_hostname: host1, expect_links: 1}}
        ''').format(python=sys.executable, pf1=h1.pid_file, pid2=h2.pid)
    res = _playbook(tmp_path, inventory, collection_path, {'ANSIBLE_PIPELINING': pipelining, 'ANSIBLE_VERBOSITY': '3'})
    assert res.returncode == 0, res.stdout + res.stderr
    # With pipelining the module goes through stdin; without it, AnsiballZ files are put into the target.
    puts = [line for line in res.stdout.splitlines() if ' PUT ' in line and 'AnsiballZ_' in line]
    assert bool(puts) == (pipelining == 'False'), puts
    for name, content in (('host1', 'hello host1'), ('host2', 'hello host2'), ('c1', 'hello c1')):
        fetched = tmp_path / 'out' / name / 'var' / 'lib' / 'hostnet' / ('hello-%s' % name)
        assert fetched.read_text().strip() == content
    # The files landed inside the hosts (c1 shares host1's filesystem), never on the machine.
    assert h1.run('cat /var/lib/hostnet/hello-host1 /var/lib/hostnet/hello-c1').stdout.split('\n')[:2] == [
        'hello host1', 'hello c1']
    assert h2.run('cat /var/lib/hostnet/hello-host2').stdout.strip() == 'hello host2'
    assert h2.run('test -e /var/lib/hostnet/hello-host1', check=False).returncode != 0
    assert not os.path.exists('/var/lib/hostnet')


def test_netns_alone_is_a_namespace_of_the_controller(host, tmp_path, collection_path):
    # The controller here is the emulated host itself, so its /run/netns is the one the plugin uses.
    host.run('ip netns add c1 && ip -n c1 link set lo up')
    inventory = textwrap.dedent('''\
        all:
          hosts:
            c1:
              ansible_connection: hostnet.containers.nsenter
              ansible_python_interpreter: {python}
              hostnet_nsenter_netns: c1
              expect_hostname: host1
              expect_links: 1
        ''').format(python=sys.executable)

    def inside_host(argv, env):
        return subprocess.run(host.lab.command(host.name, argv), capture_output=True, text=True, env=env,
                              timeout=300, check=False)

    res = _playbook(tmp_path, inventory, collection_path, runner=inside_host)
    assert res.returncode == 0, res.stdout + res.stderr
    assert host.netns_run('c1', 'cat /var/lib/hostnet/hello-c1').stdout.strip() == 'hello c1'


def test_clear_errors_for_a_missing_target(host, tmp_path, collection_path):
    dead = host.pid_file + '.missing'
    inventory = textwrap.dedent('''\
        all:
          vars:
            ansible_connection: hostnet.containers.nsenter
            ansible_python_interpreter: {python}
            expect_hostname: x
            expect_links: 0
          hosts:
            nofile: {{hostnet_nsenter_pid_file: {dead}}}
            deadpid: {{hostnet_nsenter_pid: 4194304}}
            nons: {{hostnet_nsenter_pid_file: {pf}, hostnet_nsenter_netns: nosuch}}
            self: {{hostnet_nsenter_pid: {me}}}
        ''').format(python=sys.executable, dead=dead, pf=host.pid_file, me=os.getpid())
    res = _playbook(tmp_path, inventory, collection_path)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert 'pid file %s does not exist' % dead in out
    assert 'process 4194304 (from pid option) is not running' in out
    assert 'network namespace nosuch does not exist inside process %d' % host.pid in out
    assert "shares the controller's own network namespace" in out
    for name in ('nofile', 'deadpid', 'nons', 'self'):
        assert '%s ' % name in out and 'unreachable=1' in out


ROLE_PLAYBOOK = textwrap.dedent('''\
    - name: Build or tear down the lab
      hosts: localhost
      gather_facts: false
      tasks:
        - name: The lab role
          ansible.builtin.include_role:
            name: hostnet.containers.lab
          vars:
            lab_hosts:
              - {name: host1, address: 10.138.3.130/24, groups: [web]}
              - {name: host2, address: 10.138.3.131/24, gateway: 10.138.3.1}

    - name: Use the hosts
      hosts: web
      gather_facts: false
      tasks:
        - name: Ping host2 over the lab switch
          ansible.builtin.command: ping -c1 -W2 10.138.3.131
          changed_when: false
          when: lab_state | default('present') == 'present'
    ''')


def _recap(out, host):
    for line in out.splitlines():
        if line.startswith(host + ' ') and 'ok=' in line:
            return dict(item.split('=') for item in line.split(':', 1)[1].split())
    raise AssertionError('no recap for %s in:\n%s' % (host, out))


def test_lab_role_present_twice_then_absent_twice(tmp_path, collection_path):
    lab_dir = str(tmp_path / 'lab')
    play = _write(str(tmp_path / 'role.yml'), ROLE_PLAYBOOK)
    inv = _write(str(tmp_path / 'hosts.ini'),
                 'localhost ansible_connection=local ansible_python_interpreter=%s\n' % sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))

    def play_run(state):
        res = subprocess.run([ANSIBLE_PLAYBOOK, '-i', inv, play, '-e', 'lab_dir=%s' % lab_dir,
                              '-e', 'lab_state=%s' % state], capture_output=True, text=True, env=env,
                             timeout=300, check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    try:
        out = play_run('present')
        assert _recap(out, 'localhost')['changed'] == '1'
        assert _recap(out, 'host1')['ok'] == '1'
        out = play_run('present')
        assert _recap(out, 'localhost')['changed'] == '0'
        assert os.path.exists(os.path.join(lab_dir, 'host2.pid'))
        out = play_run('absent')
        assert _recap(out, 'localhost')['changed'] == '1'
        assert not os.path.exists(lab_dir)
        out = play_run('absent')
        assert _recap(out, 'localhost')['changed'] == '0'
    finally:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), 'roles', 'lab', 'files'))
        import hostnet_lab  # pylint: disable=import-outside-toplevel
        hostnet_lab.Lab(lab_dir).down()
