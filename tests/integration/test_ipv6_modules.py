# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""veth_pair, netns and nat_rule over IPv6, proven with packets inside emulated hosts: a dual-stack veth pair usable
at once (no tentative address), its IPv6 default route, IPv6 hosts entries and net.ipv6 sysctls in a namespace, and
nat_rule's NAT66 masquerade and IPv6 publish (dnat on [::] and on a host address) reached from an IPv6 LAN host, with
both firewall backends.
"""

from __future__ import annotations

import pytest

from conftest import wait_until
from test_ipv6_firewall import HOST1, HOST2, add_ipv6, ok, owned6
from traffic import connect, ping, serve

BR, GW4, GW6 = 'br77', '10.77.0.1', 'fd00:77::1'
C1_6, C2_6 = 'fd00:77::2', 'fd00:77::3'


def pair(host, name, netns, addr4, addr6, **extra):
    extra.setdefault('peer_gateway', [GW4, GW6])
    return host.module('veth_pair', name=name, master=BR, peer_netns=netns, peer_addresses=['%s/24' % addr4, '%s/64' % addr6], **extra)


def lan_bridge(host):
    """A bridge of the test's own inside the emulated host, with both gateways (what docker_bridge would make)."""
    host.run(['sh', '-c', 'ip link add %s type bridge && ip link set %s up && ip addr add %s/24 dev %s && '
              'ip -6 addr add %s/64 dev %s nodad' % (BR, BR, GW4, BR, GW6, BR)])


def containers(host):
    lan_bridge(host)
    for name in ('c1', 'c2'):
        ok(host.module('netns', name=name))
    ok(pair(host, 'vc1', 'c1', '10.77.0.2', C1_6))
    ok(pair(host, 'vc2', 'c2', '10.77.0.3', C2_6))


def test_veth_pair_dual_stack_usable_at_once(host):
    lan_bridge(host)
    ok(host.module('netns', name='c1', hosts={'peer6': C2_6}, sysctls={'net.ipv6.conf.all.accept_ra': 0}))
    ok(host.module('netns', name='c2'))
    res = ok(pair(host, 'vc1', 'c1', '10.77.0.2', C1_6))
    assert res['changed'] and res['after']['peer_gateway'] == GW4 and res['after']['peer_gateway_v6'] == GW6
    # nodad: the address is not tentative when the module returns, so the first packet goes (the link-local one may
    # wait for the kernel's carrier event a moment longer; accept_dad 0 spares it the DAD after that).
    shown = host.netns_run('c1', 'ip -6 addr show dev eth0 scope global').stdout
    assert C1_6 in shown and 'tentative' not in shown
    ok(pair(host, 'vc2', 'c2', '10.77.0.3', C2_6))
    # One echo each, answered within 5 s: on a busy machine the first neighbour solicitation to a new port can be lost,
    # and the kernel sends the next one a second later (a wait of 1 s failed in CI under load).
    assert ping(host, 'c1', C2_6, timeout=5) and ping(host, 'c1', GW6, timeout=5) and ping(host, 'c1', '10.77.0.3', timeout=5)
    assert 'default via %s dev eth0' % GW6 in host.netns_run('c1', 'ip -6 route show default').stdout
    # The hosts entry and the net.ipv6 sysctl the netns module wrote, as the namespace sees them.
    assert ping(host, 'c1', 'peer6')
    assert host.netns_run('c1', 'cat /proc/sys/net/ipv6/conf/all/accept_ra').stdout.strip() == '0'
    # A rerun changes nothing; drift of the IPv6 side (address gone, default route gone) is repaired.
    assert not ok(pair(host, 'vc1', 'c1', '10.77.0.2', C1_6))['changed']
    host.netns_run('c1', 'ip -6 route del default && ip -6 addr del %s/64 dev eth0' % C1_6)
    res = ok(pair(host, 'vc1', 'c1', '10.77.0.2', C1_6))
    assert 'add %s/64 to eth0 in c1' % C1_6 in res['commands'] and 'set default route via %s dev eth0 in c1' % GW6 in res['commands']
    wait_until(lambda: ping(host, 'c2', C1_6), 'c2 to reach the repaired address of c1')  # resolved again: awaited
    # The link-local address is the kernel's: listing only IPv4 addresses leaves it, and removes the global IPv6 one.
    ok(host.module('veth_pair', name='vc1', master=BR, peer_netns='c1', peer_addresses=['10.77.0.2/24']))
    shown = host.netns_run('c1', 'ip -6 addr show dev eth0').stdout
    assert C1_6 not in shown and 'fe80::' in shown


@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_veth_pair_bad_ipv6_input_changes_nothing(host):
    lan_bridge(host)
    ok(host.module('netns', name='c1'))
    res = pair(host, 'vc1', 'c1', '10.77.0.2', C1_6, peer_gateway=['fd00:99::1'])
    assert res['failed'] and "peer_gateway 'fd00:99::1'" in res['msg']
    assert host.run(['ip', 'link', 'show', 'vc1'], check=False).returncode != 0
    # IPv6 off in the (emulated) host: refused naming the address, nothing made; so is an IPv6 nat_rule.
    host.run(['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1'])
    res = pair(host, 'vc1', 'c1', '10.77.0.2', C1_6)
    assert res['failed'] and "peer_addresses '%s/64': IPv6 is disabled" % C1_6 in res['msg'], res['msg']
    assert host.run(['ip', 'link', 'show', 'vc1'], check=False).returncode != 0
    res = host.module('nat_rule', name='m6', kind='masquerade', source='fd00:77::/64')
    assert res['failed'] and "source 'fd00:77::/64': IPv6 is disabled" in res['msg'], res['msg']
    assert not host.run(['ls', '/var/lib/hostnet/nat'], check=False).stdout.strip()


@pytest.mark.once  # the firewall backends' commands and packets
@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_nat_rule_masquerade_and_publish_over_ipv6(two_hosts, backend):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    containers(h1)
    # Forwarding is the host's (docker_bridge turns it on for its networks; nat_rule leaves it to the user).
    h1.run(['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1'])
    ok(h1.module('nat_rule', name='m6', kind='masquerade', source='fd00:77::/64', out_interface='ens33', firewall_backend=backend))
    pub = ok(h1.module('nat_rule', name='p6', kind='dnat', host_port=8080, container_ip=C1_6, container_port=80, firewall_backend=backend))
    assert pub['rule']['host_ip'] == '::' and pub['rule']['bridge'] == BR and pub['rule']['bridge_subnet'] == 'fd00:77::/64'
    ok(h1.module('nat_rule', name='p6h', kind='dnat', host_ip=HOST1, host_port=8443, container_ip=C1_6, container_port=80,
                 bridge=BR, firewall_backend=backend))
    serve(h1, 'c1', 80, tag='c1', family=6)
    serve(h2, None, 9000, tag='lan', family=6)
    # NAT66: the LAN host sees host1's address; the publishes keep the client's address (no source NAT).
    assert connect(h1, 'c1', HOST2, 9000) == 'lan %s' % HOST1
    assert connect(h2, None, HOST1, 8080) == 'c1 %s' % HOST2
    assert connect(h2, None, HOST1, 8443) == 'c1 %s' % HOST2
    # The hairpin: c2 reaches c1's publish through host1's address and c1 answers through the host.
    assert connect(h1, 'c2', HOST1, 8080) == 'c1 %s' % GW6
    assert owned6(h1, backend)
    for name in ('m6', 'p6', 'p6h'):
        assert not ok(h1.module('nat_rule', name=name, kind='dnat' if name != 'm6' else 'masquerade',
                                **_again(name), firewall_backend=backend))['changed']
    # Moving the publish to another port: the old one stops answering, the new one answers.
    ok(h1.module('nat_rule', name='p6', kind='dnat', host_port=8081, container_ip=C1_6, container_port=80, firewall_backend=backend))
    wait_until(lambda: connect(h2, None, HOST1, 8081) == 'c1 %s' % HOST2, 'the moved IPv6 publish to answer')
    assert connect(h2, None, HOST1, 8080, timeout=1) is None
    # Removed: no rule of the collection is left in the IPv6 tables, and no IPv6 publish answers.
    for name in ('m6', 'p6', 'p6h'):
        ok(h1.module('nat_rule', name=name, state='absent', firewall_backend=backend))
    assert not owned6(h1, backend)
    assert connect(h2, None, HOST1, 8081, timeout=1) is None


def _again(name):
    return {'m6': dict(source='fd00:77::/64', out_interface='ens33'),
            'p6': dict(host_port=8080, container_ip=C1_6, container_port=80),
            'p6h': dict(host_ip=HOST1, host_port=8443, container_ip=C1_6, container_port=80, bridge=BR)}[name]


@pytest.mark.once
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_nat_rule_mixed_families_refused_and_nothing_changed(host):
    res = host.module('nat_rule', name='bad', kind='dnat', host_ip='0.0.0.0', host_port=8080, container_ip=C1_6, container_port=80)
    assert res['failed'] and "host_ip '0.0.0.0'" in res['msg'] and 'IPv6' in res['msg']
    res = host.module('nat_rule', name='bad', kind='snat', source='fd00:77::/64', to_source='10.0.0.1')
    assert res['failed'] and "to_source '10.0.0.1'" in res['msg']
    assert not host.run(['ls', '/var/lib/hostnet/nat'], check=False).stdout.strip()
