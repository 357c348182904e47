# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay_network role, run by ansible-playbook on three emulated hosts: one plan for the play, hosts joining and
leaving, and bad input refused before any host changes.  Few runs: each is seconds of CPU on a busy machine."""

from __future__ import annotations

import json

import pytest

from conftest import role_runner
from traffic import ping

pytestmark = pytest.mark.once  # see conftest.py

# A default route (to no router: nothing leaves the lab) so the underlay defaults come from facts as on real hosts.
HOSTS = {'host1': {'address': '10.138.3.130/24', 'gateway': '10.138.3.1'},
         'host2': {'address': '10.138.3.131/24', 'gateway': '10.138.3.1'},
         'host3': {'address': '10.138.3.132/24', 'gateway': '10.138.3.1'}}
BLUE = {'name': 'blue'}


@pytest.fixture
def three(lab_factory, tmp_path, collection_path):
    """(hosts, play): three emulated hosts and play(host_vars, only=None, check=False, **extra) running the role on them."""
    hosts = lab_factory(HOSTS)
    run = role_runner(hosts, tmp_path, collection_path)
    return hosts, lambda host_vars, only=None, check=False, **extra: run('overlay_network', host_vars, check=check, only=only, **extra)


def host_vars(containers, networks=(BLUE,), explicit_underlay=True, **more):
    """{host: vars}: containers as {host: [names]} on every network; the VTEP given explicitly unless told not to."""
    out = {}
    for host, names in containers.items():
        out[host] = {'overlay_network_networks': list(networks),
                     'overlay_network_containers': [{'name': n, 'networks': [net['name'] for net in networks]} for n in names]}
        if explicit_underlay:
            out[host].update(overlay_network_underlay_interface='ens33',
                             overlay_network_underlay_ip=HOSTS[host]['address'].split('/')[0])
        out[host].update(more.get(host, {}))
    return out


def overlay(host, name='blue'):
    """network_info's view of overlay ``name`` on ``host`` (None when it does not exist there)."""
    res = host.module('network_info')
    assert not res.get('failed'), res
    return next((net for net in res['networks'] if net['Name'] == name), None)


def fdb_and_neighbours(host, net):
    """The VXLAN device's FDB and neighbour entries, as `bridge` and `ip` print them."""
    dev = net['Options']['hostnet.containers.vxlan']
    return host.run(['bridge', 'fdb', 'show', 'dev', dev]).stdout, host.run(['ip', 'neigh', 'show', 'dev', dev]).stdout


def address(host, container, name='blue'):
    net = overlay(host, name)
    return next(ep['IPv4Address'].split('/')[0] for ep in net['Containers'].values() if ep['Name'] == container)


def test_bad_input_fails_before_any_host_changes(three):
    hosts, play = three
    # host3 has no default route (so no underlay from facts) and an address no peer can reach.
    hosts['host3'].run(['ip', 'route', 'del', 'default'])
    hosts['host3'].run(['ip', 'addr', 'add', '192.0.2.3/32', 'dev', 'ens33'])
    before = {n: h.settled_snapshot() for n, h in hosts.items()}
    containers = {'host1': ['c1'], 'host2': ['c2'], 'host3': ['c3']}

    clash = [{'name': 'blue', 'vni': 4097}, {'name': 'red', 'vni': 4097}]
    rc, out, _recap = play(host_vars(containers, networks=clash))
    assert rc != 0 and 'host host1, overlay_network_networks[1].vni: 4097 is also the VNI of network blue' in out, out

    clash = [{'name': 'blue', 'subnet': '10.5.0.0/16'}, {'name': 'red', 'subnet': '10.5.3.0/24'}]
    rc, out, _recap = play(host_vars(containers, networks=clash))
    assert rc != 0 and 'host host1, overlay_network_networks[1].subnet: 10.5.3.0/24 overlaps 10.5.0.0/16' in out, out

    no_underlay = host_vars(containers)
    del no_underlay['host3']['overlay_network_underlay_ip'], no_underlay['host3']['overlay_network_underlay_interface']
    rc, out, _recap = play(no_underlay)
    assert rc != 0 and 'host host3, overlay_network_underlay_ip: the host has no underlay address' in out, out

    # The plan is fine, but host3's underlay MTU leaves too little for the overlay: its check in check mode stops every host.
    hosts['host3'].run(['ip', 'link', 'set', 'ens33', 'mtu', '600'])
    before['host3'] = hosts['host3'].settled_snapshot()
    rc, out, recap = play(host_vars(containers))
    assert rc != 0 and recap['host3']['failed'] == 1 and 'underlay_interface' in out and '600' in out, out
    assert all(r['changed'] == 0 for r in recap.values()), out
    hosts['host3'].run(['ip', 'link', 'set', 'ens33', 'mtu', '1500'])
    before['host3'] = hosts['host3'].settled_snapshot()

    # Every host's check passes (192.0.2.3 is host3's), but no peer reaches it: the peer check stops every host.
    rc, out, recap = play(host_vars(containers, host3={'overlay_network_underlay_ip': '192.0.2.3'}))
    assert rc != 0, out
    assert 'overlay_network_underlay_ip of host host3: probe from the host to 192.0.2.3 (ping): expected reachable, got unreachable' in out, out
    assert all(r['changed'] == 0 for r in recap.values()), out
    assert {n: h.settled_snapshot(like=before[n]) for n, h in hosts.items()} == before


def test_hosts_join_rerun_and_leave(three):
    hosts, play = three
    h1, h2, h3 = hosts['host1'], hosts['host2'], hosts['host3']
    # Two hosts first. host2's VTEP comes from facts (its default route's interface and address).
    both = host_vars({'host1': ['c1'], 'host2': ['c2']})
    both['host2'] = host_vars({'host2': ['c2']}, explicit_underlay=False)['host2']
    rc, out, _recap = play(both, only=['host1', 'host2'], overlay_network_verify=True, verbose=True)
    assert rc == 0, out
    assert 'c1 to c2 on host2 across overlay blue by name: probe from c1 to c2 (resolve): reachable as expected' in out, out
    net1 = overlay(h1)
    assert net1['Options']['com.docker.network.driver.overlay.vxlanid_list'] == '4097'
    assert net1['IPAM']['Config'][0]['Subnet'] == '10.0.0.0/24'
    assert net1['Peers'] == [{'Name': 'host2', 'IP': '10.138.3.131'}]
    assert overlay(h3) is None

    # host3 joins, in check mode first: every host says what it would change, and nothing changes.
    all3 = dict(both, **host_vars({'host3': ['c3']}))
    before = {n: h.settled_snapshot() for n, h in hosts.items()}
    rc, out, recap = play(all3, check=True)
    assert rc == 0 and all(r['changed'] >= 1 for r in recap.values()) and len(recap) == 3, out
    assert {n: h.settled_snapshot(like=before[n]) for n, h in hosts.items()} == before

    # Then for real: every host is wired to it, packets flow both ways and names resolve (verify).
    rc, out, recap = play(all3, overlay_network_verify=True, verbose=True)
    assert rc == 0, out
    assert recap['host1']['changed'] >= 1 and recap['host2']['changed'] >= 1 and recap['host3']['changed'] >= 2, out
    assert 'c3 to c1 on host1 across overlay blue by name: probe from c3 to c1 (resolve): reachable as expected' in out, out
    c3_ip = address(h3, 'c3')
    assert ping(h1, 'c1', c3_ip) and ping(h3, 'c3', address(h2, 'c2'))
    fdb, neigh = fdb_and_neighbours(h1, overlay(h1))
    assert 'dst 10.138.3.132' in fdb and c3_ip in neigh, (fdb, neigh)

    # The same again: nothing changes anywhere.
    rc, out, recap = play(all3)
    assert rc == 0 and all(r['changed'] == 0 for r in recap.values()) and len(recap) == 3, out

    # host3 leaves: its overlay and container go, and the others stop sending to it in the same run.
    leave = dict(all3, host3=dict(all3['host3'], overlay_network_state='absent'))
    rc, out, recap = play(leave)
    assert rc == 0, out
    assert overlay(h3) is None and 'c3' not in h3.run(['ls', '/run/netns']).stdout.split()
    for host in (h1, h2):
        net = overlay(host)
        assert [p['Name'] for p in net['Peers']] == [p for p in ('host1', 'host2') if p != host.name]
        fdb, neigh = fdb_and_neighbours(host, net)
        assert '10.138.3.132' not in fdb and c3_ip not in neigh, (fdb, neigh)
        assert 'c3' not in json.dumps(net.get('RemoteContainers'))
    assert ping(h1, 'c1', address(h2, 'c2'))
