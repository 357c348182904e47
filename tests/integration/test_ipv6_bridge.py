# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker_bridge with IPv6, inside emulated hosts: dual-stack and IPv6-only networks, packets over IPv6, the IPv6
default route, repair, check mode, bad input and the restore after a reboot."""

from __future__ import annotations

import hashlib
import json

import pytest

import traffic
from conftest import run_restore, wait_until

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
    assert not res.get('failed'), res.get('stderr', res)
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
    # Link-local addresses too (accept_dad 0 on both ends): neighbour discovery into the bridge starts at once.
    assert not [a for link in out for a in link['addr_info'] if a.get('tentative')]
    eth0 = json.loads(host.netns_run('c1', 'ip -j -6 addr show dev eth0').stdout)
    assert not [a for link in eth0 for a in link['addr_info'] if a.get('tentative')]
    assert route6(host, 'c1').startswith('default via fd00:db8:1::1 dev eth0')
    for key, want in (('accept_ra', '0'), ('disable_ipv6', '0'), ('accept_dad', '0')):
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


def test_deleted_ipv6_address_and_route_are_repaired(host):
    eps = [{'name': 'c1'}, {'name': 'c2'}]
    ok(dual(host, eps))
    host.netns_run('c1', 'ip -6 route del default')
    host.netns_run('c2', 'ip -6 addr del fd00:db8:1::3/64 dev eth0')
    host.netns_run('c2', 'ip -6 addr add fd00:db8:1::99/64 dev eth0 nodad')  # a stray address: removed
    check = ok(host.module('docker_bridge', check_mode=True, name='dual', enable_ipv6=True, subnet_v6=SUBNET6, endpoints=eps, dns=False))
    assert check['changed'] and route6(host, 'c1') == ''
    res = ok(dual(host, eps))
    assert res['changed']
    assert any('set default route via fd00:db8:1::1 dev eth0 in c1' in c for c in res['commands']), res['commands']
    assert route6(host, 'c1').startswith('default via fd00:db8:1::1 dev eth0')
    assert addrs6(host, 'c2') == [('fd00:db8:1::3', 64, False)]
    # Link-local addresses are the kernel's: never removed.
    assert 'fe80::' in host.netns_run('c2', 'ip -6 addr show dev eth0').stdout
    # c2's address came back: c1 resolves it again (neighbour discovery), awaited as on a loaded machine.
    wait_until(lambda: traffic.ping(host, 'c1', 'fd00:db8:1::3', timeout=2), 'c1 to reach the repaired address of c2')
    assert not ok(dual(host, eps))['changed']
    ok(host.module('docker_bridge', name='dual', state='absent', force=True))


def test_ipv6_only_network_from_the_ula_pool(host):
    before = host.settled_snapshot()
    eps = [{'name': 'v1'}, {'name': 'v2'}]
    params = dict(name='v6only', enable_ipv4=False, enable_ipv6=True, endpoints=eps, dns=False)
    ok(host.module('docker_bridge', **params))
    doc = stored(host, 'v6only')
    machine_id = host.run('cat /etc/machine-id', check=False).stdout.strip()
    base = _ula(machine_id)
    assert doc['enable_ipv4'] is False and doc['subnet'] is None and doc['endpoints']['v1']['ip'] is None
    assert doc['subnet_v6'] == base + '/64' and doc['gateway_v6'] == base + '1'
    assert host.netns_run('v1', 'ip -o -4 addr show dev eth0').stdout.strip() == ''
    assert traffic.ping(host, 'v1', doc['endpoints']['v2']['ip6'], timeout=2)
    assert traffic.ping(host, 'v2', doc['gateway_v6'], timeout=2)
    assert route6(host, 'v2').startswith('default via %s dev eth0' % doc['gateway_v6'])
    assert host.netns_run('v1', 'ip -4 route show default').stdout.strip() == ''
    assert not ok(host.module('docker_bridge', **params))['changed']
    ok(host.module('docker_bridge', name='v6only', state='absent', force=True))
    assert host.settled_snapshot(like=before) == before


def _ula(machine_id):
    digest = hashlib.sha256(machine_id.encode()).hexdigest()
    return 'fd%s:%s:%s::' % (digest[:2], digest[2:6].lstrip('0') or '0', digest[6:10].lstrip('0') or '0')


def test_ipv6_default_route_elected_among_networks(host):
    ok(dual(host, [{'name': 'c1'}]))
    ok(host.module('docker_bridge', name='other', enable_ipv6=True, subnet_v6='fd00:db8:2::/64', dns=False, endpoints=[{'name': 'c1'}]))
    # First connected keeps it, as for IPv4.
    assert route6(host, 'c1').startswith('default via fd00:db8:1::1 dev eth0')
    assert addrs6(host, 'c1', 'eth1') == [('fd00:db8:2::2', 64, False)]
    # A higher gw_priority takes both families' default routes.
    res = ok(host.module('docker_bridge', name='other', enable_ipv6=True, subnet_v6='fd00:db8:2::/64', dns=False,
                         endpoints=[{'name': 'c1', 'gw_priority': 10}]))
    assert res['changed']
    assert route6(host, 'c1').startswith('default via fd00:db8:2::1 dev eth1')
    assert 'dev eth1' in host.netns_run('c1', 'ip -4 route show default').stdout
    # Leaving it gives the IPv6 default route back to the first network.
    ok(host.module('docker_bridge', name='other', state='absent', force=True))
    assert route6(host, 'c1').startswith('default via fd00:db8:1::1 dev eth0')
    ok(host.module('docker_bridge', name='dual', state='absent', force=True))


def _link_local(mac):
    """The kernel's EUI-64 link-local address of an interface with ``mac``."""
    b = [int(x, 16) for x in mac.split(':')]
    b[0] ^= 2
    words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, 0xfe00 | b[3], (b[4] << 8) | b[5]]
    return 'fe80::' + ':'.join('%x' % w for w in words)


def _sysctl6(host, netns, ifname, key='disable_ipv6'):
    return host.netns_run(netns, ['cat', '/proc/sys/net/ipv6/conf/%s/%s' % (ifname, key)]).stdout.strip()


def test_ipv4_only_networks_give_their_container_ends_no_ipv6(host):
    """As Docker since 26.0.2: a container end on an IPv4-only network has IPv6 off (no link-local address, no
    multicast groups, nothing answered over IPv6), on a dual-stack one it has it; one container on both has both."""
    ok(host.module('docker_bridge', name='v4', subnet='10.61.0.0/24', dns=False, endpoints=[{'name': 'c1'}, {'name': 'c2'}]))
    ok(dual(host, [{'name': 'c1'}]))
    for cname, ifname, off in (('c1', 'eth0', '1'), ('c2', 'eth0', '1'), ('c1', 'eth1', '0')):
        assert _sysctl6(host, cname, ifname) == off, (cname, ifname)
    assert 'inet6' not in host.netns_run('c2', 'ip -6 addr show dev eth0').stdout
    assert 'fe80::' in host.netns_run('c1', 'ip -6 addr show dev eth1').stdout
    # From the host, over each bridge: c2's link-local address (from its MAC) does not answer; c1's on the
    # dual-stack network does.
    c2_mac = stored(host, 'v4')['endpoints']['c2']['mac']
    bridge4 = stored(host, 'v4')['bridge']
    assert 'fe80::' in host.run(['ip', '-6', 'addr', 'show', 'dev', bridge4]).stdout  # the host end can ask
    assert host.run(['ping', '-6', '-c', '1', '-W', '1', '%s%%%s' % (_link_local(c2_mac), bridge4)], check=False).returncode != 0
    c1_mac = stored(host, 'dual')['endpoints']['c1']['mac']
    bridge6 = stored(host, 'dual')['bridge']
    wait_until(lambda: host.run(['ping', '-6', '-c', '1', '-W', '1', '%s%%%s' % (_link_local(c1_mac), bridge6)], check=False).returncode == 0,
               "c1's link-local address on the dual-stack network answering")
    # IPv4 is unchanged on the IPv4-only network.
    assert traffic.ping(host, 'c2', stored(host, 'v4')['endpoints']['c1']['ip'])
    # A rerun changes nothing.
    assert not ok(host.module('docker_bridge', name='v4', subnet='10.61.0.0/24', dns=False,
                              endpoints=[{'name': 'c1'}, {'name': 'c2'}]))['changed']


@pytest.mark.parametrize('params, option, text', [
    ({'subnet_v6': 'fd00:db8:1::/127'}, 'subnet_v6', 'too small'),
    ({'subnet_v6': 'fd00:db8:5::/64', 'gateway_v6': 'fd00:db8:9::1'}, 'gateway_v6', 'not inside subnet'),
    ({'subnet_v6': '10.9.0.0/24'}, 'subnet_v6', 'IPv4 network; this option takes IPv6'),
    ({'subnet': 'fd00:db8:1::/64'}, 'subnet', 'IPv6 network; this option takes IPv4'),
    ({'subnet_v6': 'fd00:db8::/32'}, 'subnet_v6', "overlaps subnet_v6 fd00:db8:1::/64 of network 'dual'"),
    ({'enable_ipv6': False, 'subnet_v6': 'fd00:db8:7::/64'}, 'subnet_v6', 'needs enable_ipv6: true'),
    ({'endpoints': [{'name': 'b1', 'ipv6_address': '10.0.0.5'}]}, 'endpoints[0].ipv6_address', 'IPv4 address'),
])
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_bad_input_names_option_and_value_and_changes_nothing(host, params, option, text):
    ok(dual(host, [{'name': 'c1'}]))
    before = host.settled_snapshot()
    args = dict(name='bad', enable_ipv6=True, dns=False, endpoints=[{'name': 'b1'}])
    args.update(params)
    res = host.module('docker_bridge', **args)
    assert res.get('failed') and res['msg'].startswith(option + ' '), res
    assert text in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before


@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_ipv6_disabled_on_the_host_is_refused(host):
    before_cmd = 'cat /proc/sys/net/ipv6/conf/all/disable_ipv6'
    host.run('sysctl -qw net.ipv6.conf.all.disable_ipv6=1')  # the emulated host's own namespace
    try:
        before = host.settled_snapshot()
        res = dual(host, [{'name': 'c1'}])
        assert res.get('failed') and res['msg'].startswith('enable_ipv6 ') and 'IPv6 is disabled on this host' in res['msg'], res
        assert host.settled_snapshot(like=before) == before
    finally:
        host.run('sysctl -qw net.ipv6.conf.all.disable_ipv6=0')
    assert host.run(before_cmd).stdout.strip() == '0'


def test_ipv6_comes_back_after_a_reboot(lab_factory):
    hosts = lab_factory({'host1': {'address': '10.138.3.130/24'}})
    host = hosts['host1']
    ok(dual(host, [{'name': 'c1'}, {'name': 'c2'}]))
    ok(host.module('docker_bridge', name='v6only', enable_ipv4=False, enable_ipv6=True, subnet_v6='fd00:db8:3::/64', dns=False,
                   endpoints=[{'name': 'c1', 'ipv6_address': 'fd00:db8:3::30'}]))
    host.lab.down(keep_state=True)
    host.lab.up({'host1': {'address': '10.138.3.130/24'}})
    assert host.run('ls /run/netns', check=False).stdout.split() == []
    run_restore(host)
    assert addrs6(host, 'c1') == [('fd00:db8:1::2', 64, False)]
    assert addrs6(host, 'c1', 'eth1') == [('fd00:db8:3::30', 64, False)]
    assert route6(host, 'c1').startswith('default via fd00:db8:1::1 dev eth0')
    assert traffic.ping(host, 'c2', 'fd00:db8:1::2', timeout=2)
    assert traffic.ping(host, 'c1', 'fd00:db8:3::1', timeout=2)
    again = json.loads(run_restore(host, '--json'))
    assert again['changed'] is False and again['failed'] == [], again


def test_container_module_joins_with_an_ipv6_address(host):
    ok(dual(host, [{'name': 'c1'}]))
    ok(host.module('docker_bridge', name='other', enable_ipv6=True, subnet_v6='fd00:db8:2::/64', dns=False))
    nets = [{'name': 'dual', 'ipv6_address': 'fd00:db8:1::40'}, {'name': 'other', 'ipv6_address': 'fd00:db8:2::40'}]
    res = ok(host.module('container', name='app', networks=nets))
    assert res['changed']
    assert addrs6(host, 'app') == [('fd00:db8:1::40', 64, False)]
    assert addrs6(host, 'app', 'eth1') == [('fd00:db8:2::40', 64, False)]
    assert route6(host, 'app').startswith('default via fd00:db8:1::1 dev eth0')
    assert traffic.ping(host, 'app', 'fd00:db8:1::2', timeout=2)
    assert not ok(host.module('container', name='app', networks=nets))['changed']
    bad = host.module('container', name='app', networks=[{'name': 'dual', 'ipv6_address': 'fd00:db8:9::1'}])
    assert bad.get('failed') and bad['msg'].startswith("networks[0].ipv6_address 'fd00:db8:9::1'"), bad
    ok(host.module('container', name='app', state='absent'))
    for name in ('other', 'dual'):
        ok(host.module('docker_bridge', name=name, state='absent', force=True))
