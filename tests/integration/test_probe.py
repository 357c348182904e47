# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""probe: ping, TCP connect and name lookup proven against real namespaces inside an emulated host."""

from __future__ import annotations

import contextlib
import os
import sys
import textwrap
import threading

import pytest

import conftest
from conftest import wait_until

pytestmark = pytest.mark.once  # reads and sockets, no request pyroute2 encodes: see conftest.py

TCP_SERVER = r'''
import socket, sys
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[2], int(sys.argv[3])))
srv.listen(16)
open(sys.argv[1], 'w').close()
while True:
    conn, _peer = srv.accept()
    conn.close()
'''

# A tiny authoritative server for lab.example: A records, a CNAME, NXDOMAIN, a reply that
# only fits over TCP, and "whoami", whose address is the source address of the query.
DNS_SERVER = r'''
import socket, struct, sys, threading

ZONE = {'db.lab.example': ['172.18.0.99'], 'multi.lab.example': ['172.18.0.21', '172.18.0.22']}
CNAMES = {'www.lab.example': 'db.lab.example'}

def name_at(data, off):
    labels = []
    while data[off]:
        labels.append(data[off + 1:off + 1 + data[off]].decode())
        off += 1 + data[off]
    return '.'.join(labels), off + 1

def encode(name):
    return b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0'

def answer(data, peer, tcp):
    qid, = struct.unpack('!H', data[:2])
    qname, end = name_at(data, 12)
    question = data[12:end + 4]
    key = qname.lower()
    qtype, = struct.unpack('!H', data[end:end + 2])
    records = []
    rcode, tc = 0, False
    if key in CNAMES:
        records.append(b'\xc0\x0c' + struct.pack('!HHIH', 5, 1, 60, len(encode(CNAMES[key]))) + encode(CNAMES[key]))
        owner, key = encode(CNAMES[key]), CNAMES[key]
    else:
        owner = b'\xc0\x0c'
    if key == 'whoami.lab.example':
        addresses = [peer[0]]
    elif key == 'big.lab.example':
        addresses = ['172.18.%d.%d' % (i // 250, i % 250 + 1) for i in range(40)]
        tc = not tcp
    else:
        addresses = ZONE.get(key, [])
    if not addresses and key not in ZONE:
        rcode = 3
    if tc:
        records = []
    elif qtype == 1:  # A; an AAAA query (the probe's family any asks both) gets the CNAME and no address
        records += [owner + struct.pack('!HHIH', 1, 1, 60, 4) + socket.inet_aton(a) for a in addresses]
    flags = 0x8400 | 0x0100 | 0x0080 | (0x0200 if tc else 0) | rcode
    return struct.pack('!HHHHHH', qid, flags, 1, len(records), 0, 0) + question + b''.join(records)

def read_exactly(conn, size):
    data = b''
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data

def serve_tcp(srv):
    while True:
        conn, peer = srv.accept()
        # The resolver may send its A and AAAA queries on one connection: answer each until it closes.
        while True:
            head = read_exactly(conn, 2)
            data = head and read_exactly(conn, struct.unpack('!H', head)[0])
            if not data:
                break
            reply = answer(data, peer, True)
            conn.sendall(struct.pack('!H', len(reply)) + reply)
        conn.close()

udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((sys.argv[2], 53))
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((sys.argv[2], 53))
tcp.listen(8)
threading.Thread(target=serve_tcp, args=(tcp,), daemon=True).start()
open(sys.argv[1], 'w').close()
while True:
    data, peer = udp.recvfrom(512)
    udp.sendto(answer(data, peer, False), peer)
'''


def ok(res):
    assert not res.get('failed'), (res.get('msg'), res)
    return res


def failed(res, *needles):
    assert res.get('failed'), res
    for needle in needles:
        assert needle in res['msg'], (needle, res['msg'])
    return res


@contextlib.contextmanager
def server(host, netns, tmp_path, name, source, *args):
    """Run ``source`` with python inside ``netns`` as a child of the emulated host; kill that PID at the end."""
    script = tmp_path / ('%s.py' % name)
    script.write_text(textwrap.dedent(source))
    ready = tmp_path / ('%s.ready' % name)
    argv = ' '.join([sys.executable, str(script), str(ready)] + [str(a) for a in args])
    pid = host.netns_run(netns, '%s </dev/null >%s 2>&1 & echo $!' % (argv, tmp_path / ('%s.log' % name))).stdout.strip()
    assert pid.isdigit(), pid
    try:
        wait_until(lambda: os.path.exists(ready), '%s ready in %s (log: %s)' % (name, netns, tmp_path / ('%s.log' % name)))
        yield int(pid)
    finally:
        stop(host, pid)


def stop(host, pid):
    """Kill a process of the emulated host by its PID and wait until it is gone (its orphan is reaped by the host's
    init), so the test goes on without it."""
    host.run(['kill', str(pid)], check=False)
    wait_until(lambda: host.run(['kill', '-0', str(pid)], check=False).returncode != 0, 'process %s gone' % pid)


@pytest.fixture
def bridge(host):
    """docker0 with web01 (172.17.0.2) and web02 (172.17.0.3)."""
    res = ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web01'}, {'name': 'web02'}]))
    ips = sorted(c['IPv4Address'] for c in res['network']['Containers'].values())
    assert ips == ['172.17.0.2/16', '172.17.0.3/16']
    return host


def test_ping_container_to_container_and_host_to_container(bridge):
    host = bridge
    res = ok(host.module('probe', netns='web01', target='172.17.0.3'))
    assert res['reachable'] is True and res['changed'] is False and res['attempts'] == 1 and res['error'] is None
    assert isinstance(res['rtt_ms'], float) and res['rtt_ms'] >= 0 and res['address'] == '172.17.0.3'
    assert res['msg'].startswith('probe from web01 to 172.17.0.3 (ping): reachable as expected')
    res = ok(host.module('probe', target='172.17.0.2', count=2))
    assert res['reachable'] and res['attempts'] == 1 and res['msg'].startswith('probe from the host to 172.17.0.2')
    # Check mode runs the probe as usual; it changes nothing either way.
    before = host.settled_snapshot()
    res = ok(host.module('probe', check_mode=True, netns='web02', target='172.17.0.1'))
    assert res['reachable'] and not res['changed']
    assert host.settled_snapshot(like=before) == before
    # The packets are the namespace's own: a namespace without a route to the bridge cannot reach it.
    ok(host.module('netns', name='lonely'))
    res = failed(host.module('probe', netns='lonely', target='172.17.0.3'), 'probe from lonely to 172.17.0.3 (ping): expected '
                 'reachable, got unreachable (network unreachable')
    assert res['reachable'] is False and res['rtt_ms'] is None


def nobody_there(error, timeout):
    """True when ``error`` is what a probe to an on-link address nobody holds may legitimately say.

    The kernel first asks ARP, which gives up after about 3 s (3 solicitations, 1 s apart). Until then the
    packet waits in the neighbour queue and the attempt times out. Once ARP has failed, the neighbour entry is
    FAILED and the kernel answers at once: sendto/connect fail with EHOSTUNREACH, or a packet already queued
    comes back as ICMP host unreachable from the sender's own address. On a quiet machine the attempts below end
    before ARP gives up; on a loaded one (the probe starting slowly, a second module run right after the first)
    they need not. Both mean "nobody there"; a reply, a refusal or "network unreachable" would not.
    """
    return error == 'timeout after %s s' % timeout or (error or '').startswith('host unreachable')


def test_ping_nobody_behind_the_address(bridge):
    host = bridge
    res = ok(host.module('probe', netns='web01', target='172.17.0.99', expect='unreachable', timeout=0.5, count=2))
    assert res['reachable'] is False and res['attempts'] == 2 and nobody_there(res['error'], '0.5'), res
    assert res['msg'] == ('probe from web01 to 172.17.0.99 (ping): unreachable as expected after 2 attempts (%s)'
                          % res['error'])
    res = failed(host.module('probe', netns='web01', target='172.17.0.99', timeout=1),
                 'probe from web01 to 172.17.0.99 (ping): expected reachable, got unreachable (')
    assert nobody_there(res['error'], '1') and res['msg'].endswith('(%s)' % res['error']), res
    assert res['reachable'] is False and res['changed'] is False and res['rtt_ms'] is None
    # expect unreachable fails when something answers.
    failed(host.module('probe', netns='web01', target='172.17.0.3', expect='unreachable'),
           'probe from web01 to 172.17.0.3 (ping): expected unreachable, got reachable (rtt ')


def test_tcp_open_and_closed_port(bridge, tmp_path):
    host = bridge
    with server(host, 'web02', tmp_path, 'tcp', TCP_SERVER, '172.17.0.3', 8080):
        res = ok(host.module('probe', netns='web01', target='172.17.0.3', method='tcp', port=8080))
        assert res['reachable'] and isinstance(res['rtt_ms'], float) and res['error'] is None
        assert res['msg'].startswith('probe from web01 to 172.17.0.3 (tcp port 8080): reachable as expected')
        ok(host.module('probe', target='172.17.0.3', method='tcp', port=8080))
        failed(host.module('probe', netns='web01', target='172.17.0.3', method='tcp', port=8080, expect='unreachable'),
               'expected unreachable, got reachable')
        # Refused: the host answers, the port is closed.
        res = ok(host.module('probe', netns='web01', target='172.17.0.3', method='tcp', port=8081, expect='unreachable'))
        assert res['reachable'] is False and res['error'] == 'connection refused'
        failed(host.module('probe', netns='web01', target='172.17.0.3', method='tcp', port=8081),
               'probe from web01 to 172.17.0.3 (tcp port 8081): expected reachable, got unreachable (connection refused)')
    # Nobody behind the address: a timeout or EHOSTUNREACH (see nobody_there), not a refusal.
    res = ok(host.module('probe', netns='web01', target='172.17.0.99', method='tcp', port=80, expect='unreachable', timeout=0.5))
    assert nobody_there(res['error'], '0.5'), res


def syn_count(host, netns, port):
    """Connection attempts (SYNs) to ``port`` that reached ``netns``, from the counter of a rule that only counts."""
    out = host.netns_run(netns, ['iptables', '-w', '-t', 'filter', '-L', 'INPUT', '-n', '-v', '-x']).stdout
    return sum(int(line.split()[0]) for line in out.splitlines() if 'dpt:%d' % port in line)


def test_attempts_are_paced_so_a_starting_server_is_caught(bridge, tmp_path):
    """Proven by what the probe does, not by the clock: the server starts only after the kernel has counted two
    refused attempts, and the probe, still going, connects; every attempt it reports reached web02 (one SYN each).
    Without the pacing, the 400 attempts would all be refused before a server could start; with it, the probe
    waits up to 400 x 0.25 s, a generous ceiling on a loaded machine."""
    host = bridge
    host.netns_run('web02', ['iptables', '-w', '-I', 'INPUT', '-p', 'tcp', '--dport', '8090', '--syn'])
    other = conftest.Host(host.lab, host.name, host.collection_path, str(tmp_path))
    results = {}
    probe = threading.Thread(target=lambda: results.update(res=other.module(
        'probe', netns='web01', target='172.17.0.3', method='tcp', port=8090, count=400, timeout=0.25)))
    probe.start()
    try:
        wait_until(lambda: syn_count(host, 'web02', 8090) >= 2 or not probe.is_alive(), 'two refused attempts')
        assert 'res' not in results, results['res']
        with server(host, 'web02', tmp_path, 'late', TCP_SERVER, '172.17.0.3', 8090):
            probe.join(300)
            res = ok(results['res'])
    finally:
        probe.join(300)
    assert res['reachable'] and 3 <= res['attempts'] < 400, res
    assert syn_count(host, 'web02', 8090) == res['attempts'], res


def getent(host, netns, name):
    res = host.netns_run(netns, ['getent', 'hosts', name], check=False)
    return res.stdout.split()[0] if res.returncode == 0 else None


def test_resolve_from_the_namespace_hosts_file(bridge):
    host = bridge
    ok(host.module('netns', name='web01', hosts={'db01': '172.18.0.3', '172.18.0.4': ['cache', 'cache.lab.example']},
                   dns=['127.0.0.1']))
    ok(host.module('netns', name='web02', hosts={'other': '172.18.0.5'}, dns=['127.0.0.1']))
    # A name only the emulated host's /etc/hosts knows: web01's own hosts file replaces it.
    host.run("echo '10.9.9.9 onlyhost' >> /etc/hosts")
    res = ok(host.module('probe', netns='web01', target='db01', method='resolve', expect_address='172.18.0.3'))
    assert res['reachable'] and res['address'] == '172.18.0.3' and res['resolved_from'] == '/etc/netns/web01/hosts'
    assert res['msg'] == 'probe from web01 to db01 (resolve): reachable as expected (172.18.0.3 from /etc/netns/web01/hosts)'
    assert ok(host.module('probe', netns='web01', target='CACHE.lab.example', method='resolve'))['address'] == '172.18.0.4'
    failed(host.module('probe', netns='web01', target='db01', method='resolve', expect_address='172.18.0.9'),
           'probe from web01 to db01 (resolve): expected 172.18.0.9, got 172.18.0.3')
    # Not found in web02 (no such entry; its name server refuses at once), which expect unreachable accepts.
    res = ok(host.module('probe', netns='web02', target='db01', method='resolve', expect='unreachable'))
    assert res['reachable'] is False and res['address'] is None
    assert '/etc/netns/web02/hosts' in res['error'] and 'DNS 127.0.0.1 (/etc/netns/web02/resolv.conf): no name server answered' in res['error']
    failed(host.module('probe', netns='web02', target='db01', method='resolve'),
           'probe from web02 to db01 (resolve): expected reachable, got unreachable (db01 not found')
    res = ok(host.module('probe', target='onlyhost', method='resolve'))
    assert res['address'] == '10.9.9.9' and res['resolved_from'] == '/etc/hosts'
    ok(host.module('probe', netns='web01', target='onlyhost', method='resolve', expect='unreachable'))
    # Exactly what `ip netns exec NETNS getent hosts NAME` sees.
    for netns, name in (('web01', 'db01'), ('web01', 'cache'), ('web01', 'onlyhost'), ('web02', 'db01'),
                        ('web02', 'other'), ('web03', 'onlyhost')):
        if netns == 'web03':
            ok(host.module('netns', name='web03'))
        res = host.module('probe', netns=netns, target=name, method='resolve', timeout=0.5, expect='reachable')
        assert res['address'] == getent(host, netns, name), (netns, name, res)
    # ping and tcp look the name up the same way first.
    ok(host.module('netns', name='web01', hosts={'peer': '172.17.0.3'}, dns=['127.0.0.1']))
    res = ok(host.module('probe', netns='web01', target='peer'))
    assert res['address'] == '172.17.0.3' and res['msg'].startswith('probe from web01 to peer (172.17.0.3) (ping)')
    failed(host.module('probe', netns='web01', target='nosuchname', expect='unreachable'),
           "target 'nosuchname': does not resolve from namespace web01", 'method resolve with expect unreachable')


def test_dns_lookup_from_another_namespace(host, tmp_path):
    # dns off: the test's own server in ns1 is the only one the client asks (with it on, the network's name server
    # comes first in resolv.conf; test_dns.py covers that).
    ok(host.module('docker_bridge', name='dnsnet', subnet='172.18.0.0/16', dns=False,
                   endpoints=[{'name': 'ns1', 'ip': '172.18.0.53'}, {'name': 'client', 'ip': '172.18.0.10'}]))
    ok(host.module('netns', name='client', dns=['172.18.0.53'], dns_search=['lab.example']))
    ok(host.module('netns', name='ns1', dns=['172.18.0.53']))
    with server(host, 'ns1', tmp_path, 'dns', DNS_SERVER, '172.18.0.53'):
        # A single-label name gets the search domain.
        res = ok(host.module('probe', netns='client', target='db', method='resolve', expect_address='172.18.0.99'))
        assert res['resolved_from'] == 'DNS 172.18.0.53 (db.lab.example)'
        assert ok(host.module('probe', netns='client', target='www.lab.example', method='resolve'))['address'] == '172.18.0.99'
        res = ok(host.module('probe', netns='client', target='multi', method='resolve', expect_address='172.18.0.22'))
        assert res['addresses'] == ['172.18.0.21', '172.18.0.22']
        # A truncated UDP answer is asked again over TCP.
        res = ok(host.module('probe', netns='client', target='big', method='resolve'))
        assert len(res['addresses']) == 40
        # The query leaves from inside the namespace: the server sees the client's address.
        ok(host.module('probe', netns='client', target='whoami', method='resolve', expect_address='172.18.0.10'))
        ok(host.module('probe', netns='ns1', target='whoami.lab.example', method='resolve', expect_address='172.18.0.53'))
        res = ok(host.module('probe', netns='client', target='nope', method='resolve', expect='unreachable'))
        assert 'DNS 172.18.0.53 (/etc/netns/client/resolv.conf): NXDOMAIN' in res['error']
        failed(host.module('probe', netns='client', target='nope', method='resolve'), 'expected reachable, got unreachable',
               'NXDOMAIN')
        # The same answers as getent inside the namespace.
        for name in ('db', 'www.lab.example', 'nope'):
            res = host.module('probe', netns='client', target=name, method='resolve')
            assert res['address'] == getent(host, 'client', name), (name, res)
        # ping by a DNS name.
        ok(host.module('probe', netns='client', target='whoami'))
    # The server is gone: nobody answers on port 53 any more.
    res = ok(host.module('probe', netns='client', target='db', method='resolve', expect='unreachable', timeout=0.5))
    # glibc reports a refused query and a silent server alike (it does not say which server failed how).
    assert 'DNS 172.18.0.53 (/etc/netns/client/resolv.conf): no name server answered' in res['error'] \
        or 'timeout after' in res['error'], res


BAD_INPUTS = [
    (dict(target='172.17.0.3', method='tcp'), 'port: required with method tcp'),
    (dict(target='172.17.0.3', port=80), "port 80: only used with method tcp, not ping"),
    (dict(target='db', method='resolve', port=53), 'port 53: only used with method tcp, not resolve'),
    (dict(target='172.17.0.3', method='tcp', port=70000), 'port 70000: must be from 1 to 65535'),
    (dict(target='172.17.0.3', method='udp'), 'method'),
    (dict(target='172.17.0.3', netns='web99'), "netns 'web99': no such network namespace (no /run/netns/web99)"),
    (dict(target='172.17.0.3', netns='a/b'), "netns 'a/b'"),
    (dict(target='172.17.0.300'), "target '172.17.0.300'"),
    (dict(target='fd00::zz'), "target 'fd00::zz': not a valid IPv6 address"),
    (dict(target='fe80::1'), "target 'fe80::1': a link-local address needs its interface"),
    (dict(target='fd00::1%eth0'), "target 'fd00::1%eth0': an interface (%eth0) is only taken with a link-local"),
    (dict(target='fd00::1', family='ipv4'), "family 'ipv4': target fd00::1 is an IPv6 address"),
    (dict(target='db', method='resolve', expect_address='fd00::1', family='ipv4'), "expect_address 'fd00::1': not an IPv4"),
    (dict(target='172.17.0.3', method='resolve'), "target '172.17.0.3': method resolve needs a host name"),
    (dict(target='db', expect_address='10.0.0.1'), "expect_address '10.0.0.1': only used with method resolve"),
    (dict(target='172.17.0.3', count=0), 'count 0'),
    (dict(target='172.17.0.3', timeout=0), 'timeout 0'),
]


def test_bad_input_fails_naming_the_option(host):
    failures = []
    for params, needle in BAD_INPUTS:
        res = host.module('probe', **params)
        if not res.get('failed') or needle not in res.get('msg', ''):
            failures.append((params, res.get('msg'), needle))
    assert not failures, failures


# -- the list form ------------------------------------------------------------------------------------------------
ITEM_KEYS = {'reachable', 'address', 'addresses', 'resolved_from', 'rtt_ms', 'attempts', 'error', 'msg', 'netns', 'target',
             'method', 'expect', 'agrees', 'label'}


def test_probes_in_one_call_from_two_namespaces_and_the_host(bridge, tmp_path):
    """One module run: ping, tcp, an isolation check, ping by name and a lookup, from web01, web02 and the host,
    each with the task's options unless it says otherwise, every result back in the order asked."""
    host = bridge
    ok(host.module('netns', name='web01', hosts={'db01': '172.18.0.3', 'peer': '172.17.0.3'}, dns=['127.0.0.1']))
    probes = [
        {'target': '172.17.0.3'},
        {'target': '172.17.0.2', 'netns': 'web02', 'method': 'tcp', 'port': 8080},
        {'target': '172.17.0.99', 'expect': 'unreachable', 'timeout': 0.5},
        {'target': 'db01', 'method': 'resolve', 'expect_address': '172.18.0.3'},
        {'target': 'peer', 'count': 2},
        {'target': '172.17.0.3', 'netns': 'web02', 'method': 'tcp', 'port': 8081, 'expect': 'unreachable'},
    ]
    with server(host, 'web01', tmp_path, 'tcp', TCP_SERVER, '172.17.0.2', 8080):
        res = ok(host.module('probe', netns='web01', probes=probes))
    # Items that leave netns out probe from the task's web01.
    assert res['changed'] is False and res['msg'] == '6 probes: all as expected'
    results = res['probes']
    assert [(r['netns'], r['target'], r['method'], r['expect']) for r in results] == [
        ('web01', '172.17.0.3', 'ping', 'reachable'), ('web02', '172.17.0.2', 'tcp', 'reachable'),
        ('web01', '172.17.0.99', 'ping', 'unreachable'), ('web01', 'db01', 'resolve', 'reachable'),
        ('web01', 'peer', 'ping', 'reachable'), ('web02', '172.17.0.3', 'tcp', 'unreachable')]
    assert all(set(r) == ITEM_KEYS and r['agrees'] is True for r in results), results
    assert results[0]['reachable'] and results[0]['msg'].startswith('probe from web01 to 172.17.0.3 (ping): reachable as expected')
    assert results[1]['reachable'] and results[1]['msg'].startswith('probe from web02 to 172.17.0.2 (tcp port 8080): reachable')
    assert not results[2]['reachable'] and nobody_there(results[2]['error'], '0.5'), results[2]
    assert results[3]['address'] == '172.18.0.3' and results[3]['resolved_from'] == '/etc/netns/web01/hosts'
    assert results[4]['address'] == '172.17.0.3' and results[4]['attempts'] == 1
    assert results[5]['error'] == 'connection refused'
    # From the host (no netns anywhere), and in check mode, which probes as usual.
    res = ok(host.module('probe', check_mode=True, probes=[{'target': '172.17.0.2'}, {'target': '172.17.0.3', 'netns': 'web01'}]))
    assert [(r['netns'], r['reachable']) for r in res['probes']] == [(None, True), ('web01', True)]
    assert res['probes'][0]['msg'].startswith('probe from the host to 172.17.0.2 (ping): reachable as expected')


def test_a_disagreeing_probe_fails_the_task_with_every_result(bridge):
    host = bridge
    res = failed(host.module('probe', netns='web01', timeout=0.5, probes=[
        {'target': '172.17.0.3'},
        {'target': '172.17.0.3', 'expect': 'unreachable'},
        {'target': 'nosuchname'},
        {'target': '172.17.0.1', 'netns': 'web02'},
    ]), '2 of 4 probes disagree: probe from web01 to 172.17.0.3 (ping): expected unreachable, got reachable (rtt ',
        "; probe from web01 to nosuchname (ping): target 'nosuchname': does not resolve from namespace web01")
    assert res['changed'] is False
    assert [r['agrees'] for r in res['probes']] == [True, False, False, True]
    assert [r['reachable'] for r in res['probes']] == [True, True, False, True]
    assert res['probes'][2]['error'].startswith("target 'nosuchname': does not resolve from namespace web01")
    assert res['probes'][2]['attempts'] == 0 and res['probes'][2]['address'] is None
    assert 'reachable' not in res  # the single form's keys are not returned with probes


@pytest.mark.parametrize('params, needle', [
    (dict(probes=[{'target': '172.17.0.3'}, {'target': '172.17.0.4', 'port': 80}]),
     'probes[1].port 80: only used with method tcp, not ping'),
    (dict(netns='web01', probes=[{'target': '172.17.0.3'}, {'target': '172.17.0.3', 'netns': 'web02'},
                                 {'target': '172.17.0.3', 'netns': 'web99'}]),
     "probes[2].netns 'web99': no such network namespace (no /run/netns/web99)"),
    (dict(netns='web99', probes=[{'target': '172.17.0.3', 'netns': 'web01'}, {'target': '172.17.0.3'}]),
     "probes[1].netns 'web99': no such network namespace"),
    (dict(method='tcp', probes=[{'target': '172.17.0.3', 'port': 80}, {'target': '172.17.0.3'}]),
     'probes[1].port: required with method tcp'),
    (dict(probes=[]), 'probes []: must list at least one probe'),
    (dict(target='172.17.0.3', probes=[{'target': '172.17.0.3'}]), 'mutually exclusive: target|probes'),
    (dict(netns='web01'), 'one of the following is required: target, probes'),
    (dict(probes=[{'netns': 'web01'}]), 'target'),
])
def test_a_bad_item_fails_before_anything_is_sent(bridge, params, needle):
    res = failed(bridge.module('probe', **params), needle)
    assert 'probes' not in res, res


# -- IPv6 ---------------------------------------------------------------------------------------------------------
TCP6_SERVER = TCP_SERVER.replace('socket.AF_INET,', 'socket.AF_INET6,')


@pytest.fixture
def v6(host):
    """Inside the emulated host only: namespaces a and b joined by a veth pair (eth1 in each) with ULA addresses
    fd00:23::1 and fd00:23::2 and link-local fe80::1 and fe80::2, all added with nodad so they are usable at once."""
    for name in ('a', 'b'):
        ok(host.module('netns', name=name))
        host.netns_run(name, 'sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0')
    host.run(['ip', '-n', 'a', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', 'b'])
    for name, last in (('a', 1), ('b', 2)):
        host.netns_run(name, 'ip link set lo up && ip -6 addr add fd00:23::%d/64 dev eth1 nodad && '
                             'ip -6 addr add fe80::%d/64 dev eth1 nodad && ip link set eth1 up' % (last, last))
    wait_until(lambda: 'state UP' in host.netns_run('a', ['ip', 'link', 'show', 'eth1']).stdout
               and 'state UP' in host.netns_run('b', ['ip', 'link', 'show', 'eth1']).stdout, 'both veth ends up')
    return host


def test_ping_over_ipv6(v6):
    host = v6
    res = ok(host.module('probe', netns='a', target='fd00:23::2'))
    assert res['reachable'] and res['address'] == 'fd00:23::2' and res['attempts'] == 1 and res['error'] is None, res
    assert res['msg'].startswith('probe from a to fd00:23::2 (ping): reachable as expected (rtt ')
    # Brackets and the long form are the same address.
    assert ok(host.module('probe', netns='b', target='[fd00:0023:0000::0001]'))['address'] == 'fd00:23::1'
    # A link-local address over the namespace's own eth1 (its index there, not the emulated host's).
    res = ok(host.module('probe', netns='a', target='fe80::2%eth1', count=2))
    assert res['address'] == 'fe80::2%eth1' and res['attempts'] == 1, res
    failed(host.module('probe', netns='a', target='fe80::2%eth9'), "target 'fe80::2%eth9': no interface eth9 in namespace a")
    # Check mode probes as usual and changes nothing.
    before = host.settled_snapshot()
    assert ok(host.module('probe', check_mode=True, netns='b', target='fd00:23::1'))['reachable']
    assert host.settled_snapshot(like=before) == before
    # expect unreachable fails when something answers.
    failed(host.module('probe', netns='a', target='fd00:23::2', expect='unreachable'),
           'probe from a to fd00:23::2 (ping): expected unreachable, got reachable (rtt ')


def test_ping_over_ipv6_nobody_there(v6):
    host = v6
    # On-link, nobody holds it: neighbour discovery fails (a timeout, or ICMPv6 address unreachable once it has).
    res = ok(host.module('probe', netns='a', target='fd00:23::99', expect='unreachable', timeout=0.5, count=2))
    assert res['reachable'] is False and res['attempts'] == 2 and nobody_there(res['error'], '0.5'), res
    res = failed(host.module('probe', netns='a', target='fd00:23::99', timeout=1),
                 'probe from a to fd00:23::99 (ping): expected reachable, got unreachable (')
    assert nobody_there(res['error'], '1') and res['rtt_ms'] is None, res
    # No IPv6 route at all from a namespace with only lo.
    ok(host.module('netns', name='lonely'))
    res = failed(host.module('probe', netns='lonely', target='fd00:23::2'), 'expected reachable, got unreachable (network unreachable')
    assert res['reachable'] is False


def test_tcp_over_ipv6_open_and_closed_port(v6, tmp_path):
    host = v6
    with server(host, 'b', tmp_path, 'tcp6', TCP6_SERVER, 'fd00:23::2', 8080):
        res = ok(host.module('probe', netns='a', target='fd00:23::2', method='tcp', port=8080))
        assert res['reachable'] and res['msg'].startswith('probe from a to fd00:23::2 (tcp port 8080): reachable as expected')
        ok(host.module('probe', netns='a', target='[fd00:23::2]', method='tcp', port=8080))
        res = ok(host.module('probe', netns='a', target='fd00:23::2', method='tcp', port=8081, expect='unreachable'))
        assert res['error'] == 'connection refused', res
        failed(host.module('probe', netns='a', target='fd00:23::2', method='tcp', port=8081),
               'probe from a to fd00:23::2 (tcp port 8081): expected reachable, got unreachable (connection refused)')


def test_resolve_aaaa_from_the_namespace_hosts_file(v6, tmp_path):
    host = v6
    # The namespace's own hosts file (inside the emulated host's private /etc), as ip netns exec shows it.
    host.run(['sh', '-c', 'mkdir -p /etc/netns/a && printf "%s" > /etc/netns/a/hosts'
              % '127.0.0.1 localhost\\nfd00:23::2 bee\\n172.18.0.7 dual\\nfd00:23::7 dual\\n'])
    res = ok(host.module('probe', netns='a', target='bee', method='resolve', expect_address='fd00:23::2'))
    assert res['addresses'] == ['fd00:23::2'] and res['resolved_from'] == '/etc/netns/a/hosts', res
    res = ok(host.module('probe', netns='a', target='bee', method='resolve', family='ipv4', expect='unreachable'))
    assert res['addresses'] == [] and 'bee not found' in res['error'], res
    assert ok(host.module('probe', netns='a', target='dual', method='resolve', family='ipv6'))['addresses'] == ['fd00:23::7']
    assert ok(host.module('probe', netns='a', target='dual', method='resolve', family='ipv4'))['addresses'] == ['172.18.0.7']
    # family any: both, IPv4 first, so a dual-stack name is still probed over IPv4 (family ipv6 for IPv6).
    res = ok(host.module('probe', netns='a', target='dual', method='resolve', expect_address='fd00:23::7'))
    assert res['addresses'] == ['172.18.0.7', 'fd00:23::7'] and res['address'] == '172.18.0.7', res
    # ping and tcp by a name that has only an IPv6 address.
    res = ok(host.module('probe', netns='a', target='bee'))
    assert res['address'] == 'fd00:23::2' and res['msg'].startswith('probe from a to bee (fd00:23::2) (ping)'), res
    with server(host, 'b', tmp_path, 'tcp6', TCP6_SERVER, 'fd00:23::2', 8080):
        ok(host.module('probe', netns='a', target='bee', method='tcp', port=8080, family='ipv6'))
    failed(host.module('probe', netns='a', target='bee', family='ipv4'), "target 'bee': does not resolve from namespace a")
