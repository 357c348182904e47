# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker_bridge with IPv6, inside emulated hosts: dual-stack and IPv6-only networks, packets over IPv6, the IPv6
default route, repair, check mode, bad input and the restore after a reboot."""

from __future__ import annotations

import json

import traffic
from conftest import wait_until

SUBNET6 = 'fd00:db8:1::/64'
TCP_CLIENT6 = r'''
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.settimeout(5)
s.connect((sys.argv[1], int(sys.argv[2])))
print(s.recv(512).decode().strip())
'''
TCP_SERVER6 = r'''
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('::', int(sys.argv[1])))
s.listen(8)
while True:
    c, peer = s.accept()
    c.sendall(('v6 %s\n' % peer[0]).encode())
    c.close()
'''


def ok(res):
    assert not res.get('failed'), res
    return res


def dual(host, eps, **more):
    params = dict(name='dual', enable_ipv6=True, subnet_v6=SUBNET6, endpoints=eps, dns=False)
    params.update(more)
    return host.module('docker_bridge', **params)


def addrs6(host, netns, ifname='eth0'):
    """The global IPv6 addresses of ifname in netns, with their flags ('tentative' when DAD still runs)."""
    out = json.loads(host.netns_run(netns, 'ip -j -6 addr show dev %s' % ifname).stdout)
    return [(a['local'], a['prefixlen'], bool(a.get('tentative'))) for link in out for a in link['addr_info']
            if a.get('scope') == 'global']


def route6(host, netns):
    return host.netns_run(netns, 'ip -6 route show default').stdout.strip()


def stored(host, name):
    return json.loads(host.run(['cat', '/var/lib/hostnet/networks/%s.json' % name]).stdout)


def serve6(host, netns, port):
    res = host.run(['sh', '-c', '"$@" >/dev/null 2>&1 & echo $!', 'serve', 'ip', 'netns', 'exec', netns, 'python3', '-c', TCP_SERVER6, str(port)])
    return int(res.stdout.split()[-1])


def connect6(host, netns, ip, port):
    res = host.netns_run(netns, ['python3', '-c', TCP_CLIENT6, ip, str(port)], check=False)
    return res.stdout.strip() if res.returncode == 0 else None


def test_dual_stack_two_containers_talk_over_ipv6(host):
    before = host.settled_snapshot()
    eps = [{'name': 'c1'}, {'name': 'c2', 'ipv6_address': 'fd00:db8:1::20'}]
    check = ok(host.module('docker_bridge', check_mode=True, name='dual', enable_ipv6=True, subnet_v6=SUBNET6, endpoints=eps, dns=False))
    assert check['changed'] and host.settled_snapshot(like=before) == before
    res = ok(host.module('docker_bridge', diff=True, name='dual', enable_ipv6=True, subnet_v6=SUBNET6, endpoints=eps, dns=False))
    doc = stored(host, 'dual')
    assert (doc['enable_ipv6'], doc['subnet_v6'], doc['gateway_v6'], doc['aux_addresses_v6']) == (True, SUBNET6, 'fd00:db8:1::1', {})
    assert 'enable_ipv4' not in doc and doc['subnet'].startswith('172.')
    assert (doc['endpoints']['c1']['ip6'], doc['endpoints']['c2']['ip6']) == ('fd00:db8:1::2', 'fd00:db8:1::20')
    assert any('fd00:db8:1::2/64' in c for c in res['commands'])
    # The addresses are usable when the module returns: not tentative (no DAD), so packets go at once.
    assert addrs6(host, 'c1') == [('fd00:db8:1::2', 64, False)]
    assert addrs6(host, 'c2') == [('fd00:db8:1::20', 64, False)]
    bridge = doc['bridge']
    out = json.loads(host.run('ip -j -6 addr show dev %s' % bridge).stdout)
    assert ('fd00:db8:1::1', 64) in [(a['local'], a['prefixlen']) for link in out for a in link['addr_info'] if not a.get('tentative')]
    assert route6(host, 'c1').startswith('default via fd00:db8:1::1 dev eth0')
    for key, want in (('accept_ra', '0'), ('disable_ipv6', '0')):
        assert host.netns_run('c1', 'cat /proc/sys/net/ipv6/conf/eth0/%s' % key).stdout.strip() == want
    assert traffic.ping(host, 'c1', 'fd00:db8:1::20', timeout=2)
    assert traffic.ping(host, 'c2', 'fd00:db8:1::1', timeout=2)
    assert traffic.ping(host, 'c1', doc['endpoints']['c2']['ip'], timeout=2)  # IPv4 still works
    pid = serve6(host, 'c2', 8080)
    try:
        wait_until(lambda: connect6(host, 'c1', 'fd00:db8:1::20', 8080), 'the IPv6 server in c2 to answer c1', pause=0.1)
        assert connect6(host, 'c1', 'fd00:db8:1::20', 8080) == 'v6 fd00:db8:1::2'
    finally:
        host.run(['kill', str(pid)], check=False)
    again = ok(dual(host, eps))
    assert not again['changed'] and again['commands'] == [], again
    ok(host.module('docker_bridge', name='dual', state='absent', force=True))
    assert host.settled_snapshot(like=before) == before
