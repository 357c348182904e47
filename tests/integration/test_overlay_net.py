# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""overlay_net on three emulated hosts joined by the lab switch (and a fourth, outside every overlay).

One lab for the module (the machine is busy): ov1 spans the three hosts (c1, c2, c3), ov2 is internal on host1 and
host2 (d1, d2).  Every claim is proven with packets or kernel state: the full ping and TCP matrix of ov1, isolation
between the overlays, the internal overlay's reach, egress through the container's own host, names across hosts, the
VXLAN port closed to a non-peer, a rerun and check mode that change nothing, a host leaving and joining again, a
failure part-way rolled back.
"""

from __future__ import annotations

import json

import pytest

import traffic
from conftest import module_lab, run_restore, wait_until

HOSTS = {'host1': {'address': '10.138.3.130/24', 'gateway': '10.138.3.1'},
         'host2': {'address': '10.138.3.131/24', 'gateway': '10.138.3.1'},
         'host3': {'address': '10.138.3.132/24', 'gateway': '10.138.3.1'},
         'host4': {'address': '10.138.3.133/24'}}
UNDERLAY = {n: spec['address'].split('/', maxsplit=1)[0] for n, spec in HOSTS.items()}
MEMBERS = ('host1', 'host2', 'host3')
OV1 = {'name': 'ov1', 'vni': 4097, 'subnet': '10.20.0.0/24'}
# ov2 on the other firewall backend: both render the rule model's overlay rules and the VXLAN port guard.
OV2 = {'name': 'ov2', 'vni': 4098, 'subnet': '10.20.1.0/24', 'internal': True, 'firewall_backend': 'nftables'}
C = {'c1': ('host1', '10.20.0.2'), 'c2': ('host2', '10.20.0.3'), 'c3': ('host3', '10.20.0.4')}
D = {'d1': ('host1', '10.20.1.2'), 'd2': ('host2', '10.20.1.3')}


def params(net, placement, here, members=MEMBERS, **extra):
    """overlay_net's parameters on host ``here``: its containers of ``placement`` as endpoints, the others' as remote
    endpoints, every member as a peer (its own entry is skipped by the module)."""
    hosts = {h for h, dummy in placement.values()} | set(members)
    p = dict(net, peers=[{'host': h, 'underlay_ip': UNDERLAY[h]} for h in sorted(hosts) if h in members],
             endpoints=[{'name': c, 'ip': ip} for c, (h, ip) in sorted(placement.items()) if h == here],
             remote_endpoints=[{'name': c, 'ip': ip, 'host': h} for c, (h, ip) in sorted(placement.items()) if h != here and h in members])
    p.update(extra)
    return p


def apply(hosts, net, placement, members=MEMBERS, **extra):
    out = {}
    for name in members:
        res = hosts[name].module('hostnet.containers.overlay_net', **params(net, placement, name, members, **extra))
        assert not res.get('failed'), (name, res)
        out[name] = res
    return out


@pytest.fixture(scope='module')
def lab(tmp_path_factory, collection_path):
    with module_lab(tmp_path_factory, collection_path, 'overlay', HOSTS) as hosts:
        apply(hosts, OV1, C)
        apply(hosts, OV2, D, members=('host1', 'host2'))
        yield hosts


def where(name):
    return (C.get(name) or D.get(name))[0]


def test_full_matrix_ping_and_tcp_across_three_hosts(lab):
    for cname, (host, dummy) in C.items():
        traffic.serve(lab[host], cname, 8080)
    for src, (shost, sip) in C.items():
        for dst, (dummy, ip) in C.items():
            if src == dst:
                continue
            assert traffic.ping(lab[shost], src, ip, timeout=2), (src, dst)
            answer = traffic.connect(lab[shost], src, ip, 8080)
            # The server sees the container's own address: no NAT inside the overlay.
            assert answer == '%s %s' % (dst, sip), (src, dst, answer)
    # An IPv4-only overlay: IPv6 is off on every container end (no multicast listener reports crossing the underlay).
    for cname, (host, dummy) in C.items():
        assert lab[host].netns_run(cname, ['cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6']).stdout.strip() == '1', cname


def test_rerun_changes_nothing_and_check_mode_agrees(lab):
    for name in MEMBERS:
        res = lab[name].module('hostnet.containers.overlay_net', **params(OV1, C, name))
        assert res['changed'] is False, (name, res['commands'])
        res = lab[name].module('hostnet.containers.overlay_net', check_mode=True, **params(OV1, C, name))
        assert res['changed'] is False, (name, res['commands'])


def test_isolation_between_overlays(lab):
    assert traffic.ping(lab['host1'], 'd1', D['d2'][1], timeout=2)
    assert not traffic.ping(lab['host1'], 'c1', D['d2'][1])
    assert not traffic.ping(lab['host1'], 'c1', D['d1'][1])
    assert not traffic.ping(lab['host2'], 'd2', C['c1'][1])


def test_egress_through_own_host_and_internal_has_none(lab):
    # host4 is on the lab switch, in no overlay, with no route to the overlays' subnets: only a masqueraded packet
    # (source: the container's own host) gets its answer back.
    traffic.serve(lab['host4'], None, 9090, tag='outside')
    for cname, (host, dummy) in C.items():
        assert traffic.connect(lab[host], cname, UNDERLAY['host4'], 9090) == 'outside %s' % UNDERLAY[host], cname
    assert traffic.connect(lab['host1'], 'd1', UNDERLAY['host4'], 9090, timeout=1) is None
    assert not traffic.ping(lab['host1'], 'd1', UNDERLAY['host4'])


def test_names_resolve_across_hosts(lab):
    for src, (host, dummy) in C.items():
        for dst, (dummy2, ip) in C.items():
            res = lab[host].netns_run(src, ['getent', 'ahostsv4', dst], check=False)
            assert res.returncode == 0 and res.stdout.split()[0] == ip, (src, dst, res.stdout, res.stderr)


def entries(host, device):
    fdb = host.run(['bridge', '-j', 'fdb', 'show', 'dev', device]).stdout
    neigh = host.run(['ip', '-j', 'neigh', 'show', 'dev', device]).stdout
    fdb = {(e['mac'], e.get('dst')) for e in json.loads(fdb or '[]') if 'self' in e.get('flags', []) and e.get('dst')}
    neigh = {(e['dst'], e.get('lladdr')) for e in json.loads(neigh or '[]')}
    return fdb, neigh


def test_device_is_static_learning_off_with_entries_for_every_peer_and_remote(lab):
    res = lab['host1'].module('hostnet.containers.network_info', name='ov1')
    net = res['networks'][0]
    vx = net['Options']['hostnet.containers.vxlan']
    details = json.loads(lab['host1'].run(['ip', '-d', '-j', 'link', 'show', vx]).stdout)[0]['linkinfo']['info_data']
    assert details['id'] == 4097 and details['learning'] is False and details['proxy'] is True and details['port'] == 4789
    fdb, neigh = entries(lab['host1'], vx)
    assert fdb == {('00:00:00:00:00:00', UNDERLAY['host2']), ('00:00:00:00:00:00', UNDERLAY['host3']),
                   ('02:42:0a:14:00:03', UNDERLAY['host2']), ('02:42:0a:14:00:04', UNDERLAY['host3'])}
    assert neigh == {('10.20.0.3', '02:42:0a:14:00:03'), ('10.20.0.4', '02:42:0a:14:00:04')}
    # One gateway for the whole overlay: the same address and MAC on every host's bridge (anycast).
    for name in MEMBERS:
        bridge = lab[name].module('hostnet.containers.network_info', name='ov1')['networks'][0]['Options']['com.docker.network.bridge.name']
        shown = json.loads(lab[name].run(['ip', '-j', 'addr', 'show', bridge]).stdout)[0]
        assert shown['address'] == '02:42:0a:14:00:01' and [a['local'] for a in shown['addr_info'] if a['family'] == 'inet'] == ['10.20.0.1']


def test_guard_chains_in_both_backends(lab):
    rules = lab['host1'].run(['iptables', '-S', 'HOSTNET-INPUT']).stdout
    for peer in ('host2', 'host3'):
        assert '-A HOSTNET-INPUT -s %s/32 -p udp -m udp --dport 4789 -j ACCEPT' % UNDERLAY[peer] in rules
    assert '-A HOSTNET-INPUT -p udp -m udp --dport 4789 -j DROP' in rules
    assert UNDERLAY['host4'] not in rules
    nft = lab['host1'].run(['nft', 'list', 'chain', 'ip', 'hostnet', 'input']).stdout
    assert 'hook input' in nft and 'udp dport 4789 drop' in nft and 'ip saddr %s udp dport 4789 accept' % UNDERLAY['host3'] in nft


SINK = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('0.0.0.0', int(sys.argv[1])))
while True:
    data, peer = s.recvfrom(512)
    with open(sys.argv[2], 'a') as f:
        f.write(data.decode() + '\n')
'''
SEND = "import socket, sys; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))"


def test_vxlan_port_closed_to_a_non_peer(lab):
    """host4 (on the switch, no peer) builds its own VTEP of ov1's VNI aimed at host1 and sends a datagram to c1: the
    guard drops it.  Once host1 lists host4 as a peer the same datagram arrives: the drop was the guard's."""
    h1, h4 = lab['host1'], lab['host4']
    log = '/run/overlay-sink.log'
    sink = h1.run(['sh', '-c', 'rm -f %s; ip netns exec c1 python3 -c "$0" 7000 %s >/dev/null 2>&1 & echo $!' % (log, log), SINK])
    setup = ['ip link add vxi type vxlan id 4097 local %s dev ens33 dstport 4789 nolearning' % UNDERLAY['host4'],
             'ip addr add 10.20.0.200/24 dev vxi', 'ip link set vxi up',
             'bridge fdb append 00:00:00:00:00:00 dev vxi dst %s' % UNDERLAY['host1'],
             'ip neigh replace 10.20.0.2 lladdr 02:42:0a:14:00:02 dev vxi nud permanent']
    h4.run(['sh', '-c', ' && '.join(setup)])
    try:
        wait_until(lambda: h1.netns_run('c1', ['sh', '-c', 'grep -q ":1B58 " /proc/net/udp'], check=False).returncode == 0,
                   'the sink in c1 to listen')
        h4.run(['python3', '-c', SEND, '10.20.0.2', '7000', 'first'])
        res = h1.module('hostnet.containers.overlay_net', **params(OV1, C, 'host1', members=MEMBERS + ('host4',)))
        assert res['changed'] and not res.get('failed'), res
        h4.run(['python3', '-c', SEND, '10.20.0.2', '7000', 'second'])
        got = wait_until(lambda: 'second' in h1.run(['cat', log], check=False).stdout and h1.run(['cat', log]).stdout,
                         'the peer\'s datagram in c1')
        assert got.split() == ['second'], got
    finally:
        h4.run(['ip', 'link', 'del', 'vxi'], check=False)
        h1.run(['sh', '-c', 'kill %d; rm -f %s' % (int(sink.stdout.split()[-1]), log)], check=False)
        res = h1.module('hostnet.containers.overlay_net', **params(OV1, C, 'host1'))
        assert not res.get('failed'), res


def test_one_container_more_changes_one_fdb_and_one_neigh_entry_elsewhere(lab):
    placed = dict(C, c4=('host2', '10.20.0.5'))
    try:
        res = apply(lab, OV1, placed)
        assert [c for c in res['host1']['commands'] if 'entry' in c] == [
            'add forwarding entry 02:42:0a:14:00:05 dst %s to %s' % (UNDERLAY['host2'], vx_of(lab['host1'], 'ov1')),
            'add neighbour entry 10.20.0.5 lladdr 02:42:0a:14:00:05 to %s' % vx_of(lab['host1'], 'ov1')]
        vx3 = vx_of(lab['host3'], 'ov1')
        assert [c for c in res['host3']['commands'] if 'entry' in c] == [
            'add forwarding entry 02:42:0a:14:00:05 dst %s to %s' % (UNDERLAY['host2'], vx3),
            'add neighbour entry 10.20.0.5 lladdr 02:42:0a:14:00:05 to %s' % vx3]
        assert traffic.ping(lab['host3'], 'c3', '10.20.0.5', timeout=2)
    finally:
        apply(lab, OV1, C, purge_endpoints=True)
    assert not traffic.ping(lab['host3'], 'c3', '10.20.0.5')


def vx_of(host, net):
    return host.module('hostnet.containers.network_info', name=net)['networks'][0]['Options']['hostnet.containers.vxlan']


def test_check_mode_and_a_failure_part_way_change_nothing(lab):
    h1 = lab['host1']
    vx = vx_of(h1, 'ov1')
    placed = dict(C, c4=('host2', '10.20.0.5'))
    before, entries_before = h1.snapshot(), entries(h1, vx)
    res = h1.module('hostnet.containers.overlay_net', check_mode=True, **params(OV1, placed, 'host1'))
    assert res['changed'] and len(res['commands']) >= 2
    assert h1.snapshot() == before and entries(h1, vx) == entries_before
    res = h1.module('hostnet.containers.overlay_net', _env={'HOSTNET_TEST_FAIL_AT': 'add neighbour entry 10.20.0.5'},
                    **params(OV1, placed, 'host1'))
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert h1.snapshot() == before and entries(h1, vx) == entries_before


def test_a_host_leaves_and_joins_again(lab):
    h1 = lab['host1']
    vx = vx_of(h1, 'ov1')
    rest = {c: v for c, v in C.items() if v[0] != 'host3'}
    try:
        res = lab['host3'].module('hostnet.containers.overlay_net', name='ov1', state='absent', force=True)
        assert res['changed'] and not res.get('failed'), res
        assert lab['host3'].run(['ip', 'link', 'show', vx_of_gone(res)], check=False).returncode != 0
        res = apply(lab, OV1, rest, members=('host1', 'host2'))
        assert sorted(c for c in res['host1']['commands'] if 'entry' in c) == sorted([
            'remove flood entry to %s from %s' % (UNDERLAY['host3'], vx),
            'remove forwarding entry 02:42:0a:14:00:04 dst %s from %s' % (UNDERLAY['host3'], vx),
            'remove neighbour entry 10.20.0.4 lladdr 02:42:0a:14:00:04 from %s' % vx])
        fdb, neigh = entries(h1, vx)
        assert all(UNDERLAY['host3'] != dst for dummy, dst in fdb) and ('10.20.0.4', '02:42:0a:14:00:04') not in neigh
        assert traffic.ping(h1, 'c1', C['c2'][1], timeout=2)
    finally:
        apply(lab, OV1, C)
    assert traffic.ping(lab['host3'], 'c3', C['c1'][1], timeout=2) and traffic.ping(h1, 'c1', C['c3'][1], timeout=2)


def vx_of_gone(res):
    return res['before']['vxlan']


def test_the_container_module_joins_and_leaves_an_overlay(lab):
    """`docker run --network ov1` on host1: the container module plans the overlay from its stored settings (peers and
    remote containers kept); once host3 lists it as a remote container (what the role's rerun does), they meet."""
    h1, h3 = lab['host1'], lab['host3']
    try:
        res = h1.module('hostnet.containers.container', name='c9', networks=[{'name': 'ov1', 'ipv4_address': '10.20.0.9'}])
        assert not res.get('failed') and res['changed'], res
        assert traffic.ping(h1, 'c9', C['c1'][1], timeout=2)
        assert not h1.module('hostnet.containers.overlay_net', check_mode=True, **params(OV1, dict(C, c9=('host1', '10.20.0.9')), 'host1'))['changed']
        res = h3.module('hostnet.containers.overlay_net', **params(OV1, dict(C, c9=('host1', '10.20.0.9')), 'host3'))
        assert not res.get('failed'), res
        assert traffic.ping(h1, 'c9', C['c3'][1], timeout=2)
    finally:
        res = h1.module('hostnet.containers.container', name='c9', state='absent')
        assert not res.get('failed'), res
        assert not h3.module('hostnet.containers.overlay_net', **params(OV1, C, 'host3')).get('failed')
    assert h1.module('hostnet.containers.overlay_net', **params(OV1, C, 'host1'))['changed'] is False


def test_drift_is_repaired(lab):
    """Entries someone deleted or added by hand on the VXLAN device, and the device itself gone: a rerun puts back
    exactly what differs."""
    h1 = lab['host1']
    vx = vx_of(h1, 'ov1')
    want = entries(h1, vx)
    h1.run(['sh', '-c', 'ip neigh del 10.20.0.4 dev {vx} && bridge fdb del 02:42:0a:14:00:04 dev {vx} dst {ip} self && '
            'bridge fdb append 00:00:00:00:00:00 dev {vx} dst 10.138.3.99'.format(vx=vx, ip=UNDERLAY['host3'])])
    res = h1.module('hostnet.containers.overlay_net', **params(OV1, C, 'host1'))
    assert res['commands'] == ['remove flood entry to 10.138.3.99 from %s' % vx,
                               'add forwarding entry 02:42:0a:14:00:04 dst %s to %s' % (UNDERLAY['host3'], vx),
                               'add neighbour entry 10.20.0.4 lladdr 02:42:0a:14:00:04 to %s' % vx], res
    assert entries(h1, vx) == want
    h1.run(['ip', 'link', 'del', vx])
    res = h1.module('hostnet.containers.overlay_net', **params(OV1, C, 'host1'))
    assert res['changed'] and entries(h1, vx) == want
    assert traffic.ping(h1, 'c1', C['c3'][1], timeout=2)
    assert h1.module('hostnet.containers.overlay_net', **params(OV1, C, 'host1'))['changed'] is False


def test_a_reboot_and_a_flushed_firewall_are_restored(lab):
    """Last (it restarts the lab): every runtime object gone but /etc and /var/lib/hostnet, then hostnet-restore's
    engine on each host rebuilds both overlays, their entries and rules; after a firewall flush --firewall-only puts
    the guard back."""
    the_lab = lab['host1'].lab
    the_lab.down(keep_state=True)
    the_lab.up(HOSTS, keep_state=True)
    for name in MEMBERS:
        run_restore(lab[name])
    for src, (shost, dummy) in C.items():
        for dst, (dummy2, ip) in C.items():
            if src != dst:
                assert traffic.ping(lab[shost], src, ip, timeout=2), (src, dst)
    assert traffic.ping(lab['host1'], 'd1', D['d2'][1], timeout=2) and not traffic.ping(lab['host1'], 'c1', D['d2'][1])
    vx = vx_of(lab['host1'], 'ov1')
    assert ('10.20.0.4', '02:42:0a:14:00:04') in entries(lab['host1'], vx)[1]
    for name in MEMBERS:
        res = lab[name].module('hostnet.containers.overlay_net', **params(OV1, C, name))
        assert res['changed'] is False, (name, res['commands'])
    h1 = lab['host1']
    h1.run(['sh', '-c', 'iptables -F HOSTNET-INPUT && nft flush chain ip hostnet input'])
    run_restore(h1, '--firewall-only')
    assert '--dport 4789 -j DROP' in h1.run(['iptables', '-S', 'HOSTNET-INPUT']).stdout
    assert 'udp dport 4789 drop' in h1.run(['nft', 'list', 'chain', 'ip', 'hostnet', 'input']).stdout
