# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""overlay_net on an IPv6 underlay: two emulated hosts with ULA addresses on the lab switch (given inside the lab
hosts only), and a third on the switch that is no peer.

ov6a (iptables, port 4789) and ov6b (nftables, port 4790) span host1 and host2.  Proven with packets and kernel state:
ping and TCP across the hosts, a full-size packet at MTU 1430 (the 1500 underlay less 70), the VXLAN device sending
from the IPv6 VTEP, a rerun and check mode that change nothing, each backend's IPv6 guard dropping a non-peer's VXLAN
frames (and passing them once it is a peer), a reboot and a firewall flush restored, and removal taking the IPv6 guard
away.
"""

from __future__ import annotations

import json

import pytest

import traffic
from conftest import module_lab, run_restore, wait_until
from test_overlay_net import SEND, SINK

HOSTS = {'host1': {'address': '10.138.6.130/24'}, 'host2': {'address': '10.138.6.131/24'}, 'host3': {'address': '10.138.6.132/24'}}
V6 = {'host1': 'fd00:138::130', 'host2': 'fd00:138::131', 'host3': 'fd00:138::132'}
MEMBERS = ('host1', 'host2')
OV6A = {'name': 'ov6a', 'vni': 4201, 'subnet': '10.60.0.0/24', 'firewall_backend': 'iptables'}
OV6B = {'name': 'ov6b', 'vni': 4202, 'subnet': '10.60.1.0/24', 'firewall_backend': 'nftables', 'port': 4790}
PLACED = {'ov6a': {'a1': ('host1', '10.60.0.2'), 'a2': ('host2', '10.60.0.3')},
          'ov6b': {'b1': ('host1', '10.60.1.2'), 'b2': ('host2', '10.60.1.3')}}


def params(net, here, members=MEMBERS, **extra):
    placed = PLACED[net['name']]
    p = dict(net, underlay_interface='ens33', underlay_ip=V6[here],
             peers=[{'host': h, 'underlay_ip': V6[h]} for h in members],
             endpoints=[{'name': c, 'ip': ip} for c, (h, ip) in sorted(placed.items()) if h == here],
             remote_endpoints=[{'name': c, 'ip': ip, 'host': h} for c, (h, ip) in sorted(placed.items()) if h != here])
    p.update(extra)
    return p


def apply(hosts, **extra):
    out = {}
    for net in (OV6A, OV6B):
        for name in MEMBERS:
            res = hosts[name].module('hostnet.containers.overlay_net', **params(net, name, **extra))
            assert not res.get('failed'), (name, res)
            out[(net['name'], name)] = res
    return out


def add_ipv6(hosts):
    for name, host in hosts.items():
        # Inside the emulated host only: IPv6 on its lab port, the ULA without duplicate address detection.
        host.run(['sh', '-c', 'sysctl -qw net.ipv6.conf.ens33.disable_ipv6=0 && ip -6 addr add %s/64 dev ens33 nodad' % V6[name]])
    wait_until(lambda: traffic.ping(hosts['host1'], None, V6['host2']), 'host1 to reach host2 over IPv6')


@pytest.fixture(scope='module')
def lab(tmp_path_factory, collection_path):
    with module_lab(tmp_path_factory, collection_path, 'overlay6', HOSTS) as hosts:
        add_ipv6(hosts)
        apply(hosts)
        yield hosts


def test_ping_tcp_and_full_size_packets_across_an_ipv6_underlay(lab):
    for net, placed in sorted(PLACED.items()):
        (src, (shost, dummy)), (dst, (dhost, dip)) = sorted(placed.items())
        traffic.serve(lab[dhost], dst, 8080, tag=dst)
        assert traffic.connect(lab[shost], src, dip, 8080) == '%s %s' % (dst, placed[src][1]), net
        sip = placed[src][1]
        assert traffic.ping(lab[dhost], dst, sip), net
        # 1430 less 28 bytes of IPv4 and ICMP headers, never fragmented: the MTU is the underlay's less 70.
        full = lab[shost].netns_run(src, ['ping', '-c1', '-W2', '-M', 'do', '-s', '1402', dip], check=False)
        assert full.returncode == 0, (net, full.stdout, full.stderr)
        over = lab[shost].netns_run(src, ['ping', '-c1', '-W1', '-M', 'do', '-s', '1403', dip], check=False)
        assert over.returncode != 0, net


def test_device_sends_from_the_ipv6_vtep_with_mtu_1430(lab):
    for (net, name), res in sorted(apply(lab).items()):
        assert not res['changed'], (net, name, res.get('commands'))
        doc = res['network']
        vx = 'vx-' + doc['Id'][:12]
        details = json.loads(lab[name].run(['ip', '-d', '-j', 'link', 'show', vx]).stdout)[0]
        info = details['linkinfo']['info_data']
        assert details['mtu'] == 1430 and info.get('local6', info.get('local')) == V6[name], details
        fdb = lab[name].run(['bridge', 'fdb', 'show', 'dev', vx]).stdout
        other = V6['host2' if name == 'host1' else 'host1']
        assert '00:00:00:00:00:00 dst %s self permanent' % other in fdb, fdb
    # Check mode agrees: nothing to do.
    res = lab['host1'].module('hostnet.containers.overlay_net', check_mode=True, **params(OV6A, 'host1'))
    assert not res['changed'], res


def test_ipv6_guard_chains_in_both_backends(lab):
    ipt = lab['host1'].run(['ip6tables', '-S', 'HOSTNET-INPUT']).stdout
    assert '-A HOSTNET-INPUT -s %s/128 -p udp -m udp --dport 4789 -j ACCEPT' % V6['host2'] in ipt, ipt
    assert '-A HOSTNET-INPUT -p udp -m udp --dport 4789 -j DROP' in ipt and '4790' not in ipt, ipt
    nft = lab['host1'].run(['nft', 'list', 'table', 'ip6', 'hostnet6']).stdout
    assert 'ip6 saddr %s udp dport 4790 accept' % V6['host2'] in nft and 'udp dport 4790 drop' in nft, nft


@pytest.mark.parametrize('net', [OV6A, OV6B], ids=['iptables', 'nftables'])
def test_vxlan_port_closed_to_a_non_peer_over_ipv6(lab, net):
    """host3 (on the switch, no peer) builds a VTEP of the overlay's VNI aimed at host1 over IPv6 and sends a datagram
    to host1's container: the guard drops it.  Once host1 lists host3 as a peer the same datagram arrives."""
    h1, h3 = lab['host1'], lab['host3']
    (cname, (dummy, cip)), = [(c, v) for c, v in PLACED[net['name']].items() if v[0] == 'host1']
    log = '/run/overlay6-sink.log'
    sink = h1.run(['sh', '-c', 'rm -f %s; ip netns exec %s python3 -c "$0" 7000 %s >/dev/null 2>&1 & echo $!' % (log, cname, log), SINK])
    port = net.get('port', 4789)
    setup = ['ip link add vxi type vxlan id %d local %s dev ens33 dstport %d nolearning' % (net['vni'], V6['host3'], port),
             'ip link set vxi mtu 1430', 'ip addr add %s.200/24 dev vxi' % cip.rsplit('.', 1)[0], 'ip link set vxi up',
             'bridge fdb append 00:00:00:00:00:00 dev vxi dst %s' % V6['host1'],
             'ip neigh replace %s lladdr %s dev vxi nud permanent' % (cip, mac_of(cip))]
    try:
        h3.run(['sh', '-c', ' && '.join(setup)])
        wait_until(lambda: h1.netns_run(cname, ['sh', '-c', 'grep -q ":1B58 " /proc/net/udp'], check=False).returncode == 0,
                   'the sink in %s to listen' % cname)
        h3.run(['python3', '-c', SEND, cip, '7000', 'first'])
        res = h1.module('hostnet.containers.overlay_net', **params(net, 'host1', members=MEMBERS + ('host3',)))
        assert res['changed'] and not res.get('failed'), res
        h3.run(['python3', '-c', SEND, cip, '7000', 'second'])
        got = wait_until(lambda: 'second' in h1.run(['cat', log], check=False).stdout and h1.run(['cat', log]).stdout,
                         'the peer\'s datagram in %s' % cname)
        assert got.split() == ['second'], got
    finally:
        h3.run(['ip', 'link', 'del', 'vxi'], check=False)
        h1.run(['sh', '-c', 'kill %d; rm -f %s' % (int(sink.stdout.split()[-1]), log)], check=False)
        res = h1.module('hostnet.containers.overlay_net', **params(net, 'host1'))
        assert not res.get('failed'), res


def mac_of(ip):
    return '02:42:' + ':'.join('%02x' % int(part) for part in ip.split('.'))


def test_a_reboot_and_a_flushed_firewall_are_restored(lab):
    """Every runtime object gone but /etc and /var/lib/hostnet (the IPv6 addresses given again, as the host's own
    network configuration would), then hostnet-restore's engine rebuilds both overlays; after a flush of both IPv6
    guards --firewall-only puts them back."""
    the_lab = lab['host1'].lab
    the_lab.down(keep_state=True)
    the_lab.up(HOSTS, keep_state=True)
    add_ipv6(lab)
    for name in MEMBERS:
        run_restore(lab[name])
    for placed in PLACED.values():
        (src, (shost, dummy)), (dummy2, (dummy3, dip)) = sorted(placed.items())
        assert traffic.ping(lab[shost], src, dip, timeout=2), placed
    h1 = lab['host1']
    h1.run(['sh', '-c', 'ip6tables -F HOSTNET-INPUT && nft flush chain ip6 hostnet6 input'])
    run_restore(h1, '--firewall-only')
    assert '--dport 4789 -j DROP' in h1.run(['ip6tables', '-S', 'HOSTNET-INPUT']).stdout
    assert 'udp dport 4790 drop' in h1.run(['nft', 'list', 'chain', 'ip6', 'hostnet6', 'input']).stdout
    for (net, name), res in sorted(apply(lab).items()):
        assert not res['changed'], (net, name, res.get('commands'))


def test_removal_takes_the_ipv6_guard_away(lab):
    for net in (OV6A, OV6B):
        for name in MEMBERS:
            res = lab[name].module('hostnet.containers.overlay_net', name=net['name'], state='absent', force=True)
            assert res['changed'] and not res.get('failed'), res
    for name in MEMBERS:
        assert lab[name].run(['ip6tables', '-S', 'HOSTNET-INPUT'], check=False).returncode != 0
        assert lab[name].run(['nft', 'list', 'table', 'ip6', 'hostnet6'], check=False).returncode != 0
        assert 'ov6' not in lab[name].run(['ip', '-j', 'link']).stdout
