# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The IPv6 firewall proven with packets over IPv6, both backends: NAT66, publishes on [::] and on a given IPv6 host
address, gateway_mode_ipv6 (nat, nat-unprotected, routed), isolation between IPv6 networks, internal networks, and
the rules gone after removal.

host1 (fd00:138::130 on its lab port) runs the containers; host2 (fd00:138::131) is the IPv6 LAN neighbour.  The
addresses are given inside the emulated hosts only.
"""

from __future__ import annotations

import json

import pytest

from conftest import run_restore, wait_until
from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # the firewall backends' commands and packets, no netlink request of their own

HOST1, HOST2 = 'fd00:138::130', 'fd00:138::131'
HOST1_V4 = '10.138.3.130'
SUBNET6 = 'fd00:50::/64'
WEB, SIBLING = 'fd00:50::2', 'fd00:50::3'


def ok(res):
    assert not res.get('failed'), (res.get('msg'), res.get('stderr', '')[-1500:])
    return res


def add_ipv6(h1, h2):
    for host, addr in ((h1, HOST1), (h2, HOST2)):
        # Inside the emulated host only: IPv6 on its lab port, without duplicate address detection.
        host.run(['sh', '-c', 'sysctl -qw net.ipv6.conf.ens33.disable_ipv6=0 && ip -6 addr add %s/64 dev ens33 nodad' % addr])
    wait_until(lambda: ping(h1, None, HOST2), 'host1 to reach host2 over IPv6')


def owned6(host, backend):
    """The collection's IPv6 rules in host's kernel: HOSTNET lines of ip6tables-save, or the ip6 hostnet6 table."""
    if backend == 'iptables':
        return [line for line in host.run('ip6tables-save').stdout.splitlines() if 'HOSTNET' in line]
    res = host.run('nft -j list table ip6 hostnet6', check=False)
    return json.loads(res.stdout)['nftables'][1:] if res.returncode == 0 else []


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_nat66_publishes_and_gateway_modes(two_hosts, backend):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    endpoints = [{'name': 'web', 'ipv6_address': WEB, 'publish': ['8080:80', '[%s]:8443:80' % HOST1]},
                 {'name': 'sibling', 'ipv6_address': SIBLING}]

    def bridge(**options):
        return ok(h1.module('docker_bridge', name='v6fw', subnet='10.50.0.0/24', enable_ipv6=True, subnet_v6=SUBNET6,
                            firewall_backend=backend, dns=False, endpoints=endpoints, **options))

    res = bridge()
    web = res['after']['endpoints']['web']
    assert web['publish'] == [{'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp', 'auto': False},
                              {'host_ip': '::', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp', 'auto': False},
                              {'host_ip': HOST1, 'host_port': 8443, 'container_port': 80, 'proto': 'tcp', 'auto': False}]
    assert h1.run('cat /proc/sys/net/ipv6/conf/all/forwarding').stdout.strip() == '1'
    serve(h1, 'web', 80, family=6)
    serve(h1, 'web', 81, family=6)
    serve(h1, 'web', 80, tag='web4')  # the IPv4 side of the same container
    serve(h2, None, 9000, tag='lan', family=6)
    # Container to container over the bridge, and out to the LAN through NAT66: the LAN host sees host1's address.
    assert connect(h1, 'sibling', WEB, 81) == 'web %s' % SIBLING
    assert connect(h1, 'web', HOST2, 9000) == 'lan %s' % HOST1
    # Published on [::] and on the given IPv6 host address, reached from the IPv6 LAN host (no source NAT); the IPv4
    # publish is still there.
    assert connect(h2, None, HOST1, 8080) == 'web %s' % HOST2
    assert connect(h2, None, HOST1, 8443) == 'web %s' % HOST2
    assert connect(h2, None, HOST1_V4, 8080) == 'web4 10.138.3.131'
    # A neighbour with a route to subnet_v6 reaches neither unpublished ports nor the published container port
    # directly, nor pings (nat's direct-routing protection).
    h2.run('ip -6 route add %s via %s' % (SUBNET6, HOST1))
    assert connect(h2, None, WEB, 81, timeout=1) is None and connect(h2, None, WEB, 80, timeout=1) is None
    assert not ping(h2, None, WEB)
    assert not bridge()['changed']
    # nat-unprotected lets it through, as Docker 27 did.
    assert bridge(gateway_mode_ipv6='nat-unprotected')['changed']
    assert connect(h2, None, WEB, 81) == 'web %s' % HOST2 and ping(h2, None, WEB)
    # routed: no NAT66 (the LAN host sees the container's own address), the published container port and ICMPv6
    # from outside, nothing else; the IPv4 side stays nat.
    bridge(gateway_mode_ipv6='routed')
    assert connect(h1, 'web', HOST2, 9000) == 'lan %s' % WEB
    assert connect(h2, None, WEB, 80) == 'web %s' % HOST2 and ping(h2, None, WEB)
    assert connect(h2, None, WEB, 81, timeout=1) is None
    assert connect(h2, None, HOST1_V4, 8080) == 'web4 10.138.3.131'
    assert not bridge(gateway_mode_ipv6='routed')['changed']
    assert owned6(h1, backend)
    ok(h1.module('docker_bridge', name='v6fw', state='absent', force=True))
    assert owned6(h1, backend) == []
    assert h1.run('cat /proc/sys/net/ipv6/conf/all/forwarding').stdout.strip() == '0'


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_isolation_and_internal_over_ipv6(two_hosts, backend):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    common = dict(firewall_backend=backend, dns=False, enable_ipv6=True)
    # The IPv6-only one last: a network choosing its IPv4 subnet while an IPv6-only one exists fails in the engine
    # (taken_subnets reads the other's null subnet; reported, not this test's concern).
    ok(h1.module('docker_bridge', name='b6', subnet_v6='fd00:52::/64', endpoints=[{'name': 'b1'}], **common))
    ok(h1.module('docker_bridge', name='in6', subnet_v6='fd00:53::/64', internal=True, endpoints=[{'name': 'i1'}, {'name': 'i2'}], **common))
    ok(h1.module('docker_bridge', name='a6', subnet_v6='fd00:51::/64', enable_ipv4=False, endpoints=[{'name': 'a1'}, {'name': 'a2'}], **common))
    for netns, port in (('a2', 80), ('b1', 80), ('i2', 80)):
        serve(h1, netns, port, family=6)
    serve(h2, None, 9000, tag='lan', family=6)
    # Within a network yes; between the two networks no, either way; out to the LAN yes (NAT66).
    assert connect(h1, 'a1', 'fd00:51::3', 80) == 'a2 fd00:51::2'
    assert connect(h1, 'a1', 'fd00:52::2', 80, timeout=1) is None
    assert connect(h1, 'b1', 'fd00:51::3', 80, timeout=1) is None
    assert connect(h1, 'a1', HOST2, 9000) == 'lan %s' % HOST1
    # The internal network: its own containers only; not the LAN, not the other networks, not in from them.
    assert connect(h1, 'i1', 'fd00:53::3', 80) == 'i2 fd00:53::2'
    assert connect(h1, 'i1', HOST2, 9000, timeout=1) is None
    assert connect(h1, 'i1', 'fd00:51::3', 80, timeout=1) is None
    assert connect(h1, 'a1', 'fd00:53::3', 80, timeout=1) is None
    # The IPv6-only network last: its removal alone must take the IPv6 rules away (no IPv4 rules are left to apply).
    for name in ('b6', 'in6', 'a6'):
        ok(h1.module('docker_bridge', name=name, state='absent', force=True))
    assert owned6(h1, backend) == []
    assert 'HOSTNET' not in h1.run('iptables-save').stdout + h1.run('nft list ruleset').stdout


def test_ipv6_publish_comes_back_after_a_reboot(two_hosts):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    params = dict(name='v6pub', enable_ipv6=True, subnet_v6=SUBNET6, firewall_backend='nftables', dns=False,
                  endpoints=[{'name': 'web', 'ipv6_address': WEB, 'publish': ['80']}])
    web = ok(h1.module('docker_bridge', **params))['after']['endpoints']['web']
    (v4, v6) = web['publish']
    assert (v4['host_ip'], v6['host_ip'], v6['host_port'], v6['auto']) == ('0.0.0.0', '::', v4['host_port'], True)
    # A simulated reboot: the emulated hosts come back with their /etc and /var/lib/hostnet only.
    h1.lab.down(keep_state=True)
    h1.lab.up({'host1': {'address': '10.138.3.130/24'}, 'host2': {'address': '10.138.3.131/24'}})
    add_ipv6(h1, h2)
    run_restore(h1)
    serve(h1, 'web', 80, family=6)
    # A generous connect timeout (the client's SYN is retransmitted): right after the bridge is made its link-local
    # address is still in duplicate address detection, and until it is done the host sends no neighbour
    # solicitation for the container (ndisc needs a usable link-local source), so the first forwarded packets wait.
    assert connect(h2, None, HOST1, v6['host_port'], timeout=15) == 'web %s' % HOST2
    # The restore keeps the port (the entries as stored); a rerun of the task changes no rule.
    again = ok(h1.module('docker_bridge', **params))
    assert not [c for c in again['commands'] if c.startswith('apply ')], again['commands']
    assert [(e['host_ip'], e['host_port']) for e in again['after']['endpoints']['web']['publish']] == [('0.0.0.0', v4['host_port']), ('::', v4['host_port'])]
