# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated hosts themselves: isolation, the switch, private state, clean teardown."""

from __future__ import annotations

import os
import signal
import time

import hostnet_lab
import pytest

import conftest

pytestmark = pytest.mark.once  # see conftest.py

SEED_HOSTS = {'host1': {'address': '10.138.3.130/24'}, 'host2': {'address': '10.138.3.131/24'}}


def _mounts():
    with open('/proc/self/mountinfo') as f:
        return f.read()


def test_hosts_ping_each_other_over_the_switch(two_hosts):
    h1, h2 = two_hosts
    assert h1.run('ping -c1 -W2 10.138.3.131').returncode == 0
    assert h2.run('ping -c1 -W2 10.138.3.130').returncode == 0


def test_unknown_address_on_the_switch_is_unreachable(two_hosts):
    h1 = two_hosts[0]
    assert h1.run('ping -c1 -W1 10.138.3.199', check=False).returncode != 0


def test_each_host_has_its_own_namespaces(two_hosts):
    h1, h2 = two_hosts
    assert h1.run('hostname').stdout.strip() == 'host1'
    assert h2.run('hostname').stdout.strip() == 'host2'
    own = os.readlink('/proc/self/ns/net')
    n1 = h1.run('readlink /proc/self/ns/net').stdout.strip()
    n2 = h2.run('readlink /proc/self/ns/net').stdout.strip()
    assert len({own, n1, n2}) == 3
    assert h1.run('ip -o link show ens33').stdout
    assert '10.138.3.130/24' in h1.run('ip -o addr show ens33').stdout
    # PID 1 of the host is the lab's reaper, and the host sees only its own processes.
    assert h1.run('cat /proc/1/cmdline').stdout.split('\0')[2] == hostnet_lab._MARK


def test_private_run_etc_netns_and_state(two_hosts):
    h1, h2 = two_hosts
    h1.run('mkdir -p /etc/netns/probe && echo one > /etc/netns/probe/hosts && touch /run/netns/marker /var/lib/hostnet/marker')
    assert h2.run('test -e /etc/netns/probe', check=False).returncode != 0
    assert h2.run('test -e /run/netns/marker', check=False).returncode != 0
    assert h2.run('test -e /var/lib/hostnet/marker', check=False).returncode != 0
    assert not os.path.exists('/etc/netns/probe')
    assert not os.path.exists('/run/netns/marker')
    assert not os.path.exists('/var/lib/hostnet')


def test_ip_netns_add_stays_inside_the_host(host):
    host.run('ip netns add c1 && ip -n c1 link set lo up')
    assert 'c1' in host.run('ip netns list').stdout
    assert host.netns_run('c1', 'ip -o link').stdout.count('\n') == 1
    assert not os.path.exists('/run/netns/c1')


def test_state_survives_a_reboot_with_keep_state(tmp_path):
    lab = hostnet_lab.Lab(str(tmp_path / 'lab'))
    spec = {'host1': {'address': '10.138.3.130/24'}}
    try:
        lab.up(spec)
        lab.run('host1', 'echo kept > /var/lib/hostnet/state.json && ip netns add gone')
        lab.down(keep_state=True)
        lab.up(spec)
        assert lab.run('host1', 'cat /var/lib/hostnet/state.json').stdout.strip() == 'kept'
        assert lab.run('host1', 'ls /run/netns').stdout.strip() == ''
    finally:
        lab.down()
    assert not os.path.exists(str(tmp_path / 'lab'))


def test_down_is_idempotent_and_leaves_nothing(tmp_path):
    before = _mounts().count('\n')
    lab = hostnet_lab.Lab(str(tmp_path / 'lab'))
    meta = lab.up({'host1': {'address': '10.138.3.130/24', 'gateway': '10.138.3.1'}})
    pids = [n['pid'] for n in meta['nodes'].values()]
    assert 'default via 10.138.3.1' in lab.run('host1', 'ip route').stdout
    lab.down()
    lab.down()
    for pid in pids:
        assert not os.path.exists('/proc/%d' % pid) or hostnet_lab._proc_state(pid) == 'Z'
    assert not os.path.exists(str(tmp_path / 'lab'))
    assert _mounts().count('\n') == before


def test_down_after_the_host_died_and_up_over_a_stale_lab(tmp_path):
    lab = hostnet_lab.Lab(str(tmp_path / 'lab'))
    spec = {'host1': {'address': '10.138.3.130/24'}}
    try:
        lab.up(spec)
        os.kill(lab.pid('host1'), signal.SIGKILL)
        conftest.wait_until(lambda: not lab.status()['up'], 'the lab seen down once host1 died')
        lab.up(spec)  # cleans the stale lab first
        assert lab.status()['up']
        assert lab.run('host1', 'hostname').stdout.strip() == 'host1'
    finally:
        lab.down()


def test_bad_host_spec_is_refused_before_anything_starts(tmp_path):
    lab = hostnet_lab.Lab(str(tmp_path / 'lab'))
    with pytest.raises(hostnet_lab.LabError, match='CIDR'):
        lab.up({'host1': {'address': '10.138.3.130'}})
    assert not os.path.exists(str(tmp_path / 'lab'))


def test_up_again_on_a_healthy_lab_changes_nothing(tmp_path):
    lab = hostnet_lab.Lab(str(tmp_path / 'lab'))
    spec = {'host1': {'address': '10.138.3.130/24'}}
    try:
        first = lab.up(spec)
        again = lab.up(spec)
        assert first['changed'] and not again['changed']
        assert again['nodes'] == first['nodes']
        changed = lab.up({'host1': {'address': '10.138.3.132/24'}})
        assert changed['changed']
        assert '10.138.3.132/24' in lab.run('host1', 'ip -o addr show ens33').stdout
    finally:
        lab.down()


def test_cli_up_status_exec_down(tmp_path):
    import json
    import subprocess
    import sys
    script = hostnet_lab.__file__
    d = str(tmp_path / 'cli')
    try:
        out = subprocess.run([sys.executable, script, 'up', '--dir', d, '--host', 'host1=10.138.3.130/24,gw=10.138.3.1'],
                             capture_output=True, text=True, check=True).stdout
        assert json.loads(out)['hosts']['host1']['gateway'] == '10.138.3.1'
        st = json.loads(subprocess.run([sys.executable, script, 'status', '--dir', d],
                                       capture_output=True, text=True, check=True).stdout)
        assert st['up']
        res = subprocess.run([sys.executable, script, 'exec', '--dir', d, 'host1', '--', 'hostname'],
                             capture_output=True, text=True, check=True)
        assert res.stdout.strip() == 'host1'
    finally:
        subprocess.run([sys.executable, script, 'down', '--dir', d], check=True)
    assert not os.path.exists(d)


def test_module_runs_inside_the_host(host):
    res = host.module('ansible.modules.ping', data='pong')
    assert res['ping'] == 'pong'
    assert not res.get('failed')
    # A FQCN works too; a failing module returns failed=true instead of raising.
    res = host.module('ansible.builtin.command', argv=['false'])
    assert res['failed'] and res['rc'] == 1
    assert host.module('ansible.builtin.ping', data='crash')['msg'] == 'module produced no JSON'
    # command skips in check mode: the flag reached the module.
    assert host.module('ansible.builtin.command', argv=['hostname'], check_mode=True)['skipped'] is True
    assert host.module('ansible.builtin.command', argv=['hostname'])['stdout'] == 'host1'
    snap = host.snapshot()
    assert any('ens33' in line for line in snap['links'])
    assert any('10.138.3.130/24' in line for line in snap['addrs'])


def test_pid1_reaps_orphans(host):
    orphan = host.run('sh -c "sleep 0.1 & echo \\$!"').stdout.strip()
    # /proc/PID/stat of every process in the host's pid namespace (no procps needed).
    conftest.wait_until(lambda: host.run(['test', '-e', '/proc/%s' % orphan], check=False).returncode != 0,
                        'the orphan %s exited and reaped (a zombie keeps its /proc entry)' % orphan)
    stats = host.run('cat /proc/[0-9]*/stat').stdout.splitlines()
    assert len(stats) >= 2, stats  # PID 1 and cat itself
    assert not [line for line in stats if line.rsplit(')', 1)[1].split()[0] == 'Z'], stats


def test_down_after_pid1_was_killed(tmp_path, machine_mounts):
    before = machine_mounts()
    lab = hostnet_lab.Lab(str(tmp_path / 'lab'))
    lab.up(SEED_HOSTS)
    os.kill(lab.pid('host1'), signal.SIGKILL)
    assert lab.down()
    assert lab.down() is False
    assert not os.path.exists(str(tmp_path / 'lab'))
    assert machine_mounts() == before


def test_down_after_up_was_killed_midway_leaves_no_process(tmp_path):
    import subprocess
    import sys
    d = str(tmp_path / 'crash')
    hosts = ['--host=h%d=10.138.3.%d/24' % (i, i) for i in range(1, 5)]
    proc = subprocess.Popen([sys.executable, hostnet_lab.__file__, 'up', '--dir', d] + hosts,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.2)
    proc.kill()
    proc.wait()
    hostnet_lab.Lab(d).down()

    def leftovers():
        found = []
        for entry in os.listdir('/proc'):
            if entry.isdigit():
                argv = hostnet_lab._cmdline(int(entry))
                if hostnet_lab._MARK.encode() in argv and d.encode() in argv and hostnet_lab._proc_state(int(entry)) != 'Z':
                    found.append(int(entry))
        return found

    conftest.wait_until(lambda: leftovers() == [], 'no process of the interrupted lab left')
    assert not os.path.exists(d)


def test_the_dhcp_lab_leases_from_dnsmasq_and_passes_its_matrix(tmp_path, collection_path):
    """make lab-dhcp as the playbook runs it: a dnsmasq on the LAN host leases the four containers' addresses, the probe
    matrix over the leases passes, and the lab (with the server) is gone afterwards."""
    import re
    import subprocess
    import sys
    lab_dir = str(tmp_path / 'lab')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0',
               ANSIBLE_RETRY_FILES_ENABLED='False', ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))
    playbook = os.path.join(conftest.REPO, 'playbooks', 'macvlan_lab_dhcp.yml')
    res = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), playbook,
                          '-e', 'macvlan_lab_dir=%s' % lab_dir], capture_output=True, text=True, env=env, timeout=600, check=False)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    # Each container reached the other three and the LAN host (4 x 4 probes), and each host failed to reach its two.
    assert len(re.findall(r'^ok: \[host\d\] => \(item=c\d to (c\d|the LAN host) \(10\.0\.0\.\d+\)\)', out, re.M)) == 16, out
    assert len(re.findall(r'^ok: \[host\d\] => \(item=host\d to c\d \(10\.0\.0\.1\d\d\)\)', out, re.M)) == 4, out
    for name in ('c1', 'c2', 'c3', 'c4'):
        assert re.search(r'%s leased 10\.0\.0\.1\d\d' % name, out), out
    assert re.search(r'^lan\s+: ok=\d+\s+changed=1\s+unreachable=0\s+failed=0', out, re.M), out
    assert not os.path.exists(lab_dir)
