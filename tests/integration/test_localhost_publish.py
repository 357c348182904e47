# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Published ports on the host's loopback and on every host address, with packets, on both backends (issue 20,
points 2 and 4): a wildcard publish answers the host on 127.0.0.1 and on each of its addresses, a neighbour, and a
sibling container through the host's address; a port bound to 127.0.0.1 answers the host only; loopback-addressed
packets from a neighbour or a container are dropped; a host_ip the host does not have is refused.

host1 (10.138.3.130) runs the containers; host2 (10.138.3.131) is a neighbour on the same LAN.
"""

from __future__ import annotations

import pytest

from traffic import connect, serve

pytestmark = pytest.mark.once  # iptables-restore and nft, no netlink request of their own: see conftest.py

HOST1 = '10.138.3.130'
HOST2 = '10.138.3.131'
SECOND = '10.138.3.140'  # a second address of host1, added by hand
GATEWAY = '172.17.0.1'
EPS = [{'name': 'web', 'publish': ['8080:80', '127.0.0.1:8081:81']}, {'name': 'client'}]


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def send_loopback_to(host, netns, via, dev):
    """Make host (or its container netns) send packets for 127.0.0.2 to ``via`` as the next hop: its own loopback
    route for 127.0.0.0/8 goes (127.0.0.1 keeps its own) and route_localnet lets the kernel route them (the CVE-2020-8558 attacker's setup)."""
    pre = 'ip netns exec %s ' % netns if netns else ''
    host.run(['sh', '-c', 'set -e; {p}ip route del local 127.0.0.0/8 dev lo table local; '
              '{p}ip route add 127.0.0.2/32 via {via} dev {dev} onlink; '
              '{p}sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.{dev}.route_localnet=1'.format(p=pre, via=via, dev=dev)])


def remove_guard(host, backend):
    if backend == 'iptables':
        host.run('iptables -t raw -D HOSTNET-PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP')
    else:
        host.run('nft flush chain ip hostnet raw_prerouting')


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_published_port_answers_on_loopback_and_every_address(two_hosts, backend):
    h1, h2 = two_hosts
    h1.run('ip addr add %s/24 dev ens33' % SECOND)
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=EPS))
    assert h1.run('cat /proc/sys/net/ipv4/conf/docker0/route_localnet').stdout.strip() == '1'
    serve(h1, 'web', 80)
    serve(h1, 'web', 81, tag='local')
    serve(h1, None, 7000, tag='hostsvc')  # a service of the host itself, on all its addresses
    # The host itself, on 127.0.0.1 (answered from the bridge's address) and on each of its addresses.
    assert connect(h1, None, '127.0.0.1', 8080) == 'web %s' % GATEWAY
    for ip in (HOST1, SECOND, GATEWAY):
        assert (connect(h1, None, ip, 8080) or '').startswith('web '), ip
    # A neighbour, on each LAN address; the container sees the real client.
    assert connect(h2, None, HOST1, 8080) == 'web %s' % HOST2
    assert connect(h2, None, SECOND, 8080) == 'web %s' % HOST2
    # A sibling container, through the host's addresses (hairpin).
    assert connect(h1, 'client', HOST1, 8080) == 'web %s' % GATEWAY
    assert connect(h1, 'client', GATEWAY, 8080) == 'web %s' % GATEWAY
    # 127.0.0.1:8081 answers the host only.
    assert connect(h1, None, '127.0.0.1', 8081) == 'local %s' % GATEWAY
    assert connect(h2, None, HOST1, 8081, timeout=1) is None
    assert connect(h1, 'client', HOST1, 8081, timeout=1) is None
    # Loopback-addressed packets from a neighbour routing 127.0.0.2 to host1, or from a container routing it to its
    # gateway, reach neither a published port nor the host's own services.
    send_loopback_to(h2, None, HOST1, 'ens33')
    send_loopback_to(h1, 'client', GATEWAY, 'eth0')
    probes = ((h2, None, 8080), (h2, None, 8081), (h1, 'client', 8080), (h1, 'client', 7000))
    for host, netns, port in probes:
        assert connect(host, netns, '127.0.0.2', port, timeout=1) is None, (host.name, netns, port)
    # The guard is what stops them: without it the packets get through (the setup above is a real attack) ...
    remove_guard(h1, backend)
    assert connect(h2, None, '127.0.0.2', 8080) == 'web %s' % HOST2
    assert connect(h1, 'client', '127.0.0.2', 7000) == 'hostsvc 172.17.0.3'
    # ... and a rerun puts it back.
    again = ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=EPS))
    assert again['changed']
    assert connect(h2, None, '127.0.0.2', 8080, timeout=1) is None
    assert connect(h1, 'client', '127.0.0.2', 7000, timeout=1) is None
    assert not ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=EPS))['changed']


def test_host_ip_not_on_the_host_is_refused(host):
    before = host.settled_snapshot()
    bad = [{'name': 'web', 'publish': ['8080:80']}, {'name': 'api', 'publish': ['10.138.3.99:8081:80']}]
    for check in (True, False):
        res = host.module('docker_bridge', check_mode=check, name='bridge', endpoints=bad)
        assert res.get('failed') and "endpoints[1].publish '10.138.3.99:8081:80': host address 10.138.3.99 is not an address" in res['msg'], res
        assert HOST1 in res['msg']
        res = host.module('docker_bridge', check_mode=check, name='bridge', host_binding_ipv4='10.138.3.98', endpoints=bad[:1])
        assert res.get('failed') and "endpoints[0].publish '8080:80': host address 10.138.3.98 (from host_binding_ipv4)" in res['msg'], res
        res = host.module('nat_rule', check_mode=check, name='web', kind='dnat', host_ip='192.0.2.1', host_port=8082,
                          container_ip='172.17.0.2', container_port=80)
        assert res.get('failed') and "host_ip '192.0.2.1': host address 192.0.2.1 is not an address of this host" in res['msg'], res
    assert host.settled_snapshot(like=before) == before
    # The host's own addresses are accepted: its LAN address, and the gateway the run gives the new bridge.
    good = [{'name': 'web', 'publish': ['%s:8080:80' % HOST1, '172.18.0.1:8081:80']}]
    ok(host.module('docker_bridge', name='net1', subnet='172.18.0.0/16', endpoints=good))
    ok(host.module('nat_rule', name='web', kind='dnat', host_ip=HOST1, host_port=8082, container_ip='172.18.0.2', container_port=80))
    # A nat_rule dnat on all addresses into a managed bridge answers the host on 127.0.0.1 as a publish does.
    ok(host.module('nat_rule', name='any', kind='dnat', host_port=8083, container_ip='172.18.0.2', container_port=80))
    serve(host, 'web', 80)
    assert connect(host, None, '127.0.0.1', 8083) == 'web 172.18.0.1'
    assert (connect(host, None, HOST1, 8082) or '').startswith('web ')
