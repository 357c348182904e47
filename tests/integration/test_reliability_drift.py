# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Drift: an address, route, link, namespace, firewall rule, sysctl or file the collection made, deleted or changed
by hand, is reported by check mode (changed, and a diff that says what) without touching anything, and repaired by
the next run, which leaves the host as it was before the drift.
"""

from __future__ import annotations

import pytest

import reliability as R

WEB = dict(name='web', bridge_name='br-web', firewall_backend='iptables',
           endpoints=[{'name': 'a', 'publish': ['8080:80']}, {'name': 'b'}])
NFT = dict(name='nft', bridge_name='br-nft', firewall_backend='nftables', endpoints=[{'name': 'n1', 'publish': ['8081:80']}])
MAC = dict(name='mac', parent='ens33', subnet='10.0.0.0/24', host_shim={'enabled': True, 'name': 'mvshim'},
           endpoints=[{'name': 'm1'}])
VETH = dict(name='pv0', peer_netns='a', peer_name='eth9', peer_addresses=['10.60.0.2/24'])
NETNS = dict(name='a', hostname='a.example', sysctls={'net.ipv4.ip_unprivileged_port_start': 80})
ALL = [('netns', NETNS), ('docker_bridge', WEB), ('docker_bridge', NFT), ('macvlan_net', MAC), ('veth_pair', VETH)]


def veth_of(host, container):
    """The host end of a container's endpoint on network web."""
    return R.state_docs(host)['/var/lib/hostnet/networks/web.json']['endpoints'][container]['veth']


# (what drifted, the shell command that makes the drift, the module and params that own it, text the diff must show)
DRIFTS = [
    ('address deleted in a container', 'ip -n a addr flush dev eth0', ('docker_bridge', WEB), 'add 172.18.0.2/16 to eth0 in a'),
    ('default route deleted', 'ip -n b route del default', ('docker_bridge', WEB), 'set default route via 172.18.0.1 dev eth0 in b'),
    ('host end detached from the bridge', 'ip link set {veth_a} nomaster', ('docker_bridge', WEB), 'attach {veth_a} to br-web'),
    ('host end deleted', 'ip link del {veth_b}', ('docker_bridge', WEB), 'connect b to web'),
    ('container MAC changed', 'ip -n b link set eth0 address 02:00:00:00:00:99', ('docker_bridge', WEB), 'set mac 02:42:ac:12:00:03'),
    ('bridge address deleted', 'ip addr flush dev br-web', ('docker_bridge', WEB), 'add 172.18.0.1/16 to br-web'),
    # The namespace itself goes in a kernel work queue after the unmount; the drift is complete when its veth is gone.
    ('container namespace deleted', 'ip netns del b && timeout 90 sh -c "while ip link show {veth_b} >/dev/null 2>&1; do sleep 0.05; done"',
     ('docker_bridge', WEB), 'create network namespace b'),
    ('iptables rule deleted', "iptables -t nat -D HOSTNET-DNAT $(iptables -t nat -S HOSTNET-DNAT | grep 8080 | cut -d' ' -f3-)",
     ('docker_bridge', WEB), '--dport 8080 -j DNAT'),
    ('iptables rule changed', 'iptables -t nat -R HOSTNET-DNAT 1 -p tcp --dport 9999 -j DNAT --to-destination 192.0.2.1:80',
     ('docker_bridge', WEB), '--dport 9999'),
    ('nftables rule deleted', "nft delete rule ip hostnet port_dnat handle $(nft -a list chain ip hostnet port_dnat | "
     "grep 'dnat to' | sed -E 's/.*handle ([0-9]+)/\\1/')", ('docker_bridge', NFT), 'port_dnat: dnat to meta l4proto . th dport map'),
    # A published port is an element of the DNAT maps (_firewall_nft_sets): one gone is put back by itself.
    ('nftables map element deleted', "nft delete element ip hostnet $(nft list table ip hostnet | "
     "sed -n -E 's/^\\s*map (nat_dnat_dnat_[0-9a-f]+_addr) .*/\\1/p') '{{ tcp . 8081 }}'", ('docker_bridge', NFT), 'tcp . 8081 : 172.'),
    ('ip_forward turned off', 'echo 0 > /proc/sys/net/ipv4/ip_forward', ('docker_bridge', WEB), 'set net.ipv4.ip_forward = 1'),
    ('sysctl.d file removed', 'rm /etc/sysctl.d/90-hostnet.conf', ('docker_bridge', WEB), 'write /etc/sysctl.d/90-hostnet.conf'),
    ('records file of a container removed', 'rm /run/hostnet/dns/web/hosts/b', ('docker_bridge', WEB),
     'write names of b to /run/hostnet/dns/web/hosts/b'),
    ('name server killed', 'p=$(cat /run/hostnet/dns/web/dnsmasq.pid) && kill $p && timeout 90 sh -c "while kill -0 $p 2>/dev/null; do sleep 0.05; done"',
     ('docker_bridge', WEB), 'start name server of network web'),
    ('macvlan endpoint address deleted', 'ip -n m1 addr flush dev eth0', ('macvlan_net', MAC), 'add 10.0.0.2/24 to eth0 in m1'),
    ('macvlan host shim deleted', 'ip link del mvshim', ('macvlan_net', MAC), 'create host shim mvshim'),
    ('veth peer address changed', 'ip -n a addr flush dev eth9; ip -n a addr add 10.60.0.9/24 dev eth9', ('veth_pair', VETH),
     'add 10.60.0.2/24 to eth9 in a'),
    ('namespace hostname file changed', 'echo other > /etc/netns/a/hostname', ('netns', NETNS), 'write /etc/netns/a/hostname'),
    ('namespace sysctl changed', 'ip netns exec a sh -c "echo 1024 > /proc/sys/net/ipv4/ip_unprivileged_port_start"', ('netns', NETNS),
     'set sysctl net.ipv4.ip_unprivileged_port_start=80 in a'),
]


@pytest.fixture(scope='module')
def built(tmp_path_factory, collection_path):
    tmp = tmp_path_factory.mktemp('drift')
    with R.fresh_host(str(tmp / 'lab'), collection_path, str(tmp)) as host:
        for module, params in ALL:
            R.ok(host.module(module, **params))
        host.names = {'veth_a': veth_of(host, 'a'), 'veth_b': veth_of(host, 'b')}
        yield host


@pytest.mark.parametrize('what,command,owner,shows', DRIFTS, ids=[d[0].replace(' ', '-') for d in DRIFTS])
def test_drift_is_reported_by_check_mode_and_repaired(built, what, command, owner, shows):
    host = built
    # What the previous case left, when it ended with the host repaired to exactly that (else read again).
    want = host.__dict__.pop('want', None) or R.settled(host)
    host.run(command.format(**host.names))
    drifted = R.settled(host)
    if 'sysctl' not in what:  # a namespace's sysctls are not in the snapshot
        assert drifted != want, 'the command made no drift: %s' % what
    module, params = owner
    check = R.ok(host.module(module, check_mode=True, diff=True, **params))
    assert check['changed'], (what, check)
    diff = check['diff']
    text = diff.get('prepared', '') + repr(diff.get('before')) + repr(diff.get('after'))
    assert shows.format(**host.names) in text, (what, diff)
    after_check = R.settled(host, like=drifted)
    if after_check != drifted:
        pytest.fail('check mode changed the host (%s):\n%s' % (what, R.explain(drifted, after_check)))
    fixed = R.ok(host.module(module, diff=True, **params))
    assert fixed['changed'] and fixed['commands'] == check['commands'], (fixed['commands'], check['commands'])
    got = R.settled(host, like=want)
    if got != want:
        pytest.fail('the repaired host differs from the one before the drift (%s):\n%s' % (what, R.explain(want, got)))
    host.want = got


def test_nothing_left_to_repair(built):
    for module, params in ALL:
        assert not R.ok(built.module(module, **params))['changed'], (module, params)
