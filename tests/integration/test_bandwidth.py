# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An endpoint's bandwidth (issue 27, item 4), inside an emulated host, with packets: a bulk TCP transfer through a
10 mbit ingress_rate and egress_rate is never faster than 125% of the limit in each direction, and the same transfer
without bandwidth is at least three times faster.  Only upper bounds on the shaped transfers and a lower bound on the
ratio to an unshaped one: load on the machine only slows a transfer down, so it cannot make these fail.

Runs under both pyroute2 versions: the tc requests (RTM_NEWQDISC, RTM_DELQDISC) are pyroute2's."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from conftest import SEED_HOSTS, run_restore

RATE = 10 * 10 ** 6  # bit/s
SIZE = 4 * 2 ** 20  # bytes per transfer: a few seconds at 10 mbit
PORT = 5201

RECEIVER = r'''
import json, socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen(1)
print('ready', flush=True)
c, peer = s.accept()
total, first = 0, None
while True:
    data = c.recv(1 << 16)
    if not data:
        break
    if first is None:
        first = time.monotonic()
    total += len(data)
# From the first byte to the last: the shortest interval, so the highest rate the transfer can be said to have had.
print(json.dumps({'bytes': total, 'seconds': time.monotonic() - first}), flush=True)
'''

SENDER = r'''
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=120)
chunk = b'x' * (1 << 16)
left = int(sys.argv[3])
while left > 0:
    s.sendall(chunk[:left])
    left -= len(chunk)
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
'''


def ok(res):
    assert not res.get('failed'), res
    return res


def _in(netns, argv):
    return (['ip', 'netns', 'exec', netns] if netns else []) + argv


def transfer(host, src, dst, dst_ip):
    """Bytes per second of one bulk TCP transfer of SIZE bytes from namespace ``src`` to ``dst`` (None: the host),
    as the receiver measures it."""
    proc = subprocess.Popen(host.lab.command(host.name, _in(dst, [sys.executable, '-c', RECEIVER, str(PORT)])),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == 'ready', proc.stderr.read()
        host.run(_in(src, [sys.executable, '-c', SENDER, dst_ip, str(PORT), str(SIZE)]), timeout=300)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()  # our own child, by its pid
            proc.wait()
    result = json.loads(out.strip().splitlines()[-1])
    assert result['bytes'] == SIZE, (out, err)
    return result['bytes'] / result['seconds']


def root_qdisc(host, ifname, netns=None):
    return host.run(_in(netns, ['tc', 'qdisc', 'show', 'dev', ifname, 'root'])).stdout.strip()


def endpoints(bandwidth=None):
    c1 = {'name': 'c1'}
    if bandwidth is not None:
        c1['bandwidth'] = bandwidth
    return [c1]


LIMIT = {'ingress_rate': '10mbit', 'ingress_burst': '32kb', 'egress_rate': '10mbit', 'egress_burst': '32kb'}


def test_shaped_both_ways_changed_and_removed(host):
    before = host.settled_snapshot()
    check = ok(host.module('docker_bridge', check_mode=True, name='net1', subnet='10.30.0.0/24', endpoints=endpoints(LIMIT)))
    assert check['changed'] and host.settled_snapshot(like=before) == before
    res = ok(host.module('docker_bridge', name='net1', subnet='10.30.0.0/24', endpoints=endpoints(LIMIT)))
    doc = res['after']
    veth = doc['endpoints']['c1']['veth']
    assert doc['endpoints']['c1']['bandwidth'] == {'ingress_rate': RATE, 'ingress_burst': 32768, 'egress_rate': RATE, 'egress_burst': 32768}
    assert any(c.startswith('set bandwidth of c1 on net1') for c in res['commands']), res['commands']
    # Ingress (into the container) on the host end, egress (out of it) on the container end, as tbf root qdiscs.
    assert re.search(r'tbf 1: root .*rate 10Mbit burst 32Kb lat 25ms', root_qdisc(host, veth))
    assert re.search(r'tbf 1: root .*rate 10Mbit burst 32Kb lat 25ms', root_qdisc(host, 'eth0', 'c1'))
    again = ok(host.module('docker_bridge', name='net1', subnet='10.30.0.0/24', endpoints=endpoints(LIMIT)))
    assert not again['changed'] and again['commands'] == [], again

    # Packets: neither direction faster than 125% of 10 mbit.
    gateway, c1 = doc['gateway'], doc['endpoints']['c1']['ip']
    into = transfer(host, None, 'c1', c1)
    out_of = transfer(host, 'c1', None, gateway)
    assert into <= 1.25 * RATE / 8, 'into the container at %d bytes/s through a %d bit/s limit' % (into, RATE)
    assert out_of <= 1.25 * RATE / 8, 'out of the container at %d bytes/s through a %d bit/s limit' % (out_of, RATE)

    # A change changes only the qdiscs: the veth, its peer, the address stay.
    links = host.run(['ip', '-o', 'link', 'show', veth]).stdout.split(':')[0]
    changed = ok(host.module('docker_bridge', diff=True, name='net1', subnet='10.30.0.0/24',
                             endpoints=endpoints({'egress_rate': '20mbit', 'egress_burst': 65536})))
    assert changed['changed'] and [c for c in changed['commands'] if not c.startswith('write network state')] == [
        'set bandwidth of c1 on net1: egress 20000000 bit/s burst 65536 (tbf on %s, eth0 in c1)' % veth], changed['commands']
    assert host.run(['ip', '-o', 'link', 'show', veth]).stdout.split(':')[0] == links
    assert 'tbf' not in root_qdisc(host, veth) and re.search(r'rate 20Mbit burst 64Kb', root_qdisc(host, 'eth0', 'c1'))

    # Drift: a qdisc deleted behind the collection's back is put back by a rerun.
    host.netns_run('c1', 'tc qdisc del dev eth0 root')
    repaired = ok(host.module('docker_bridge', name='net1', subnet='10.30.0.0/24',
                              endpoints=endpoints({'egress_rate': '20mbit', 'egress_burst': 65536})))
    assert repaired['changed'] and re.search(r'rate 20Mbit', root_qdisc(host, 'eth0', 'c1'))

    # Removed: the tbf goes, the veth keeps its default qdisc, and the same transfers are at least 3 times faster.
    removed = ok(host.module('docker_bridge', name='net1', subnet='10.30.0.0/24', endpoints=endpoints()))
    assert removed['changed'] and 'bandwidth' not in removed['after']['endpoints']['c1']
    assert 'tbf' not in root_qdisc(host, veth) and 'tbf' not in root_qdisc(host, 'eth0', 'c1')
    assert not ok(host.module('docker_bridge', name='net1', subnet='10.30.0.0/24', endpoints=endpoints()))['changed']
    free_into = transfer(host, None, 'c1', c1)
    free_out = transfer(host, 'c1', None, gateway)
    assert free_into >= 3 * into and free_out >= 3 * out_of, (into, free_into, out_of, free_out)


def test_container_module_and_teardown(host):
    ok(host.module('docker_bridge', name='net2', subnet='10.31.0.0/24'))
    res = ok(host.module('container', name='app', networks=[{'name': 'net2', 'bandwidth': {'ingress_rate': '500kbit'}}]))
    assert res['changed']
    stored = json.loads(host.run(['cat', '/var/lib/hostnet/networks/net2.json']).stdout)['endpoints']['app']
    assert stored['bandwidth'] == {'ingress_rate': 500000, 'ingress_burst': 32768}
    # The ingress direction only: the host end has a tbf of 500 kbit with the default burst, the container end none.
    assert 'rate 500Kbit burst 32Kb' in root_qdisc(host, stored['veth'])
    assert 'tbf' not in root_qdisc(host, 'eth0', 'app')
    # The same value as an integer is the same setting.
    assert not ok(host.module('container', name='app', networks=[{'name': 'net2', 'bandwidth': {'ingress_rate': 500000}}]))['changed']
    # Another container joining keeps app's shaping.
    ok(host.module('container', name='web', networks=[{'name': 'net2'}]))
    assert 'rate 500Kbit' in root_qdisc(host, stored['veth'])
    ok(host.module('container', name='app', state='absent'))
    assert host.run(['ip', 'link', 'show', stored['veth']], check=False).returncode != 0


@pytest.mark.once  # the role passes the option through; the requests are the module tests'
def test_the_bridge_network_role(two_hosts, run_role):
    h1 = two_hosts[0]
    containers = [{'name': 'shaped', 'networks': [{'name': 'bridge', 'bandwidth': {'egress_rate': '10mbit', 'egress_burst': '32kb'}}]}]
    rc, out, recap = run_role('bridge_network', {'host1': {'bridge_network_containers': containers}}, only=('host1',))
    assert rc == 0, out
    assert re.search(r'tbf 1: root .*rate 10Mbit burst 32Kb', root_qdisc(h1, 'eth0', 'shaped'))
    rc, out, recap = run_role('bridge_network', {'host1': {'bridge_network_containers': containers}}, only=('host1',))
    assert rc == 0 and recap['host1']['changed'] == 0, out
    containers[0]['networks'][0]['bandwidth'] = {'egress_rate': '10 parsecs'}
    rc, out, recap = run_role('bridge_network', {'host1': {'bridge_network_containers': containers}}, only=('host1',))
    assert rc != 0 and "bridge_network_containers[0].networks[0].bandwidth.egress_rate '10 parsecs'" in out, out


def test_a_reboot_puts_the_qdiscs_back(host):
    """The boot-time restore replays the stored bandwidth: the veths are new, their qdiscs with them."""
    res = ok(host.module('docker_bridge', name='net4', subnet='10.33.0.0/24', endpoints=endpoints(LIMIT)))
    veth = res['after']['endpoints']['c1']['veth']
    host.lab.down(keep_state=True)
    host.lab.up({'host1': SEED_HOSTS['host1']})
    assert host.run(['ip', 'link', 'show', veth], check=False).returncode != 0
    run_restore(host)
    assert re.search(r'rate 10Mbit burst 32Kb', root_qdisc(host, veth)) and re.search(r'rate 10Mbit burst 32Kb', root_qdisc(host, 'eth0', 'c1'))
    again = json.loads(run_restore(host, '--json'))
    assert again['changed'] is False and again['failed'] == [], again


def test_bad_input_changes_nothing(host):
    ok(host.module('docker_bridge', name='net3', subnet='10.32.0.0/24', endpoints=[{'name': 'c3'}]))
    before = host.settled_snapshot()
    cases = [({'ingress_rate': 'mbit'}, "endpoints[0].bandwidth.ingress_rate 'mbit'", 'no number'),
             ({'egress_rate': '10xb'}, "endpoints[0].bandwidth.egress_rate '10xb'", "unknown unit 'xb'"),
             ({'ingress_rate': -5}, 'endpoints[0].bandwidth.ingress_rate -5', 'positive'),
             ({'egress_rate': '-10mbit'}, "endpoints[0].bandwidth.egress_rate '-10mbit'", 'positive'),
             ({'ingress_burst': '32kb'}, "endpoints[0].bandwidth.ingress_burst '32kb'", 'needs ingress_rate'),
             ({'ingress_rate': '10mbit', 'ingress_burst': 100}, 'endpoints[0].bandwidth.ingress_burst 100', 'smaller than one frame')]
    for bandwidth, named, reason in cases:
        for check_mode in (True, False):
            res = host.module('docker_bridge', check_mode=check_mode, name='net3', subnet='10.32.0.0/24',
                              endpoints=[{'name': 'c3', 'bandwidth': bandwidth}])
            assert res.get('failed') and named in res['msg'] and reason in res['msg'], (bandwidth, res)
    res = host.module('container', name='c3', networks=[{'name': 'net3', 'bandwidth': {'egress_rate': '1 gbyte'}}])
    assert res.get('failed') and "networks[0].bandwidth.egress_rate '1 gbyte'" in res['msg'], res
    assert host.settled_snapshot(like=before) == before
