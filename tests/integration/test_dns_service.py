# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's name server (_dns_service) in an emulated host: a real dnsmasq started from a conf the test writes,
answering a lookup made from a namespace; reload, stop, start twice, a port taken, someone else's dnsmasq, a reboot.
The network planner's use of it is tested with the names (test_names*.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import SEED_HOSTS, wait_until

pytestmark = pytest.mark.once  # see conftest.py: the name server's service, not the managed host's pyroute2

NET = 'tnet'
DIR = '/run/hostnet/dns/' + NET
GATEWAY = '10.99.0.1'
CONF = '''\
pid-file={dir}/dnsmasq.pid
listen-address={gw}
bind-interfaces
port=53
no-hosts
no-resolv
user=dnsmasq
addn-hosts={dir}/extra
address=/web.{net}.test/10.99.0.9
'''.format(dir=DIR, gw=GATEWAY, net=NET)

# Run inside the host: call one function of the service and print its result (or the HostnetError's message) as JSON.
CALL = '''\
import json, sys
from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service as s
from ansible_collections.hostnet.containers.plugins.module_utils._kernel import HostnetError
try:
    print(json.dumps({'value': getattr(s, sys.argv[1])(*[int(a) if a.isdigit() else a for a in sys.argv[2:]])}, default=sorted))
except HostnetError as exc:
    print(json.dumps({'error': str(exc)}))
'''

# A process that holds a port (the test's stand-in for "someone else's server"), printing its pid once bound.
HOLD_PORT = '''\
import os, signal, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print(os.getpid(), flush=True)
signal.pause()
'''


def call(host, func, *args):
    res = host.run(['env', 'PYTHONPATH=%s' % host.collection_path, sys.executable, '-c', CALL, func] + [str(a) for a in args])
    return json.loads(res.stdout)


def dnsmasq_pids(host, conf_path):
    """Every dnsmasq in the host whose command line names ``conf_path`` (ours or not: the test's own view)."""
    script = ('import os\n'
              'for p in filter(str.isdigit, os.listdir("/proc")):\n'
              '    try:\n'
              '        a = open("/proc/%%s/cmdline" %% p, "rb").read().decode().split("\\0")\n'
              '    except OSError:\n'
              '        continue\n'
              '    if a[0].endswith("dnsmasq") and any(%r in x for x in a):\n'
              '        print(p)\n') % conf_path
    return [int(p) for p in host.run([sys.executable, '-c', script]).stdout.split()]


def lookup(host, name):
    res = host.netns_run('client', ['getent', 'ahostsv4', name], check=False)
    return res.stdout.split()[0] if res.returncode == 0 and res.stdout else None


@pytest.fixture
def net_host(host):
    """A gateway address on a veth in the host and a client namespace behind it, resolving through GATEWAY."""
    host.run('ip netns add client && ip -n client link set lo up'
             ' && ip link add dnsv0 type veth peer name eth0 netns client'
             ' && ip addr add %s/24 dev dnsv0 && ip link set dnsv0 up'
             ' && ip -n client addr add 10.99.0.2/24 dev eth0 && ip -n client link set eth0 up' % GATEWAY)
    host.run('mkdir -p /etc/netns/client && echo "nameserver %s" > /etc/netns/client/resolv.conf' % GATEWAY)
    host.run(['sh', '-c', 'mkdir -p %s && cat > %s/dnsmasq.conf && : > %s/extra' % (DIR, DIR, DIR)], input=CONF)
    yield host
    host.run(['env', 'PYTHONPATH=%s' % host.collection_path, sys.executable, '-c', CALL, 'stop', NET], check=False)


def test_start_answers_reload_and_stop(net_host):
    host = net_host
    assert call(host, 'running', NET) == {'value': None}
    pid = call(host, 'start', NET)['value']
    assert pid and call(host, 'running', NET) == {'value': pid}
    assert wait_until(lambda: lookup(host, 'web.%s.test' % NET), 'an answer from the server') == '10.99.0.9'
    # Its sockets are the ones on port 53 at the gateway: how the planner tells ours from someone else's.
    inodes = set(call(host, 'socket_inodes', pid)['value'])
    mine = [s for s in call(host, 'listeners')['value'] if s['ip'] == GATEWAY]
    assert {s['proto'] for s in mine} == {'tcp', 'udp'} and {s['inode'] for s in mine} <= inodes, (mine, inodes)

    # Start twice is one server.
    assert call(host, 'start', NET) == {'value': pid}
    assert dnsmasq_pids(host, DIR + '/dnsmasq.conf') == [pid]

    # SIGHUP re-reads the extra hosts file: the new name answers, the same process serves it.
    host.run('echo "10.99.0.77 late.%s.test" > %s/extra' % (NET, DIR))
    assert call(host, 'reload', NET) == {'value': True}
    assert wait_until(lambda: lookup(host, 'late.%s.test' % NET), 'the reloaded name') == '10.99.0.77'
    assert call(host, 'running', NET) == {'value': pid}

    assert call(host, 'restart', NET)['value'] not in (None, pid)
    assert call(host, 'stop', NET) == {'value': True}
    assert call(host, 'running', NET) == {'value': None} and dnsmasq_pids(host, DIR + '/dnsmasq.conf') == []
    assert lookup(host, 'web.%s.test' % NET) is None
    # Stopping what does not run, or reloading it, is no error.
    assert call(host, 'stop', NET) == {'value': False} and call(host, 'reload', NET) == {'value': False}


def test_port_taken_names_the_network_and_leaves_nothing(net_host):
    host = net_host
    holder = subprocess.Popen(host.lab.command(host.name, [sys.executable, '-c', HOLD_PORT, GATEWAY]),
                              stdout=subprocess.PIPE, text=True)
    holder_pid = holder.stdout.readline().strip()
    try:
        assert holder_pid.isdigit(), holder_pid
        res = call(host, 'start', NET)
        assert 'error' in res and NET in res['error'] and 'Address already in use' in res['error'], res
        assert call(host, 'running', NET) == {'value': None} and dnsmasq_pids(host, DIR + '/dnsmasq.conf') == []
        taken = [s for s in call(host, 'listeners')['value'] if s['ip'] == GATEWAY]
        assert [s['inode'] for s in taken] == sorted(call(host, 'socket_inodes', int(holder_pid))['value']), taken
    finally:
        if holder_pid.isdigit():
            host.run(['kill', holder_pid], check=False)
        else:
            holder.kill()
        holder.wait(timeout=60)


def test_someone_elses_dnsmasq_is_never_stopped(net_host):
    host = net_host
    # Another dnsmasq (its own conf) whose pid happens to sit in our pid file: not ours, so never signalled.
    other = '/run/other-dns/dnsmasq.conf'
    host.run(['sh', '-c', 'mkdir -p /run/other-dns && cat > %s' % other],
             input='pid-file=%s/dnsmasq.pid\nlisten-address=127.0.0.1\nbind-interfaces\nport=5300\nno-resolv\n' % DIR)
    host.run(['/usr/sbin/dnsmasq', '--conf-file=' + other])
    [other_pid] = wait_until(lambda: dnsmasq_pids(host, other), 'the other dnsmasq')
    try:
        assert int(host.run('cat %s/dnsmasq.pid' % DIR).stdout) == other_pid
        assert call(host, 'running', NET) == {'value': None}
        assert call(host, 'stop', NET) == {'value': False} and call(host, 'reload', NET) == {'value': False}
        assert dnsmasq_pids(host, other) == [other_pid]
    finally:
        host.run(['kill', str(other_pid)], check=False)


@pytest.mark.once
def test_after_a_reboot_nothing_runs(net_host):
    host = net_host
    assert call(host, 'start', NET)['value']
    host.lab.down(keep_state=True)
    host.lab.up({host.name: SEED_HOSTS[host.name]})
    assert call(host, 'running', NET) == {'value': None}
    assert host.run(['test', '-e', DIR], check=False).returncode != 0
    # Its files are the restore's to write again: until then a start says what is missing.
    assert call(host, 'start', NET) == {'error': 'the name server of network %s has no conf file %s/dnsmasq.conf' % (NET, DIR)}


def test_the_host_decides_supervised(host):
    # An emulated host has no systemd (its /run is its own): the one code path picks the supervised server.
    assert call(host, 'manager') == {'value': 'supervised'}
