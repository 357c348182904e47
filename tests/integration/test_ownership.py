# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ownership: the modules refuse, by name, every link in their way that the collection did not create, and change
nothing (check mode included); a running Docker's docker0, a user's bridge and the uplink survive untouched."""

from __future__ import annotations

import hashlib

import pytest

import foreign
from traffic import ping

pytestmark = pytest.mark.once  # see conftest.py: refusals decided from what the host holds, before any request


def failed_on(res, link, *words):
    assert res.get('failed') and res.get('foreign_link') == link, res
    for word in words:
        assert word in res['msg'], res['msg']
    return res


def refused_untouched(host, module, link, *words, **params):
    """The module refuses ``link`` in check mode and for real, and the host is exactly as before."""
    before = host.settled_snapshot()
    failed_on(host.module(module, check_mode=True, **params), link, *words)
    failed_on(host.module(module, **params), link, *words)
    assert host.settled_snapshot(like=before) == before


def veth_name(net_id, cname):
    return 'veth' + hashlib.sha256(('%s/%s' % (net_id, cname)).encode()).hexdigest()[:7]


def test_docker_bridge_refuses_a_foreign_bridge_and_its_subnet(host):
    foreign.docker(host)
    foreign.make(host, what='bridge', name='br0', address='10.99.0.1', prefixlen=24)
    docker0 = foreign.link_state(host, 'docker0')
    refused_untouched(host, 'docker_bridge', 'docker0', "name 'bridge'", 'docker0', 'no record of creating it',
                      name='bridge', endpoints=[{'name': 'web01'}])
    refused_untouched(host, 'docker_bridge', 'br0', "bridge_name 'br0'", 'no record of creating it',
                      name='custom', bridge_name='br0', endpoints=[{'name': 'web01'}])
    refused_untouched(host, 'docker_bridge', 'br0', "subnet '10.99.0.0/16'", 'overlaps 10.99.0.0/24 of br0',
                      name='custom', subnet='10.99.0.0/16')
    refused_untouched(host, 'docker_bridge', 'docker0', "subnet '172.17.0.0/16'", 'of docker0',
                      name='bridge', bridge_name='hostnet0', endpoints=[])
    # Without a subnet a network takes one no foreign link uses; absent of a network it never made does nothing.
    res = host.module('docker_bridge', name='custom', endpoints=[{'name': 'web01'}, {'name': 'web02'}])
    assert not res.get('failed'), res
    assert res['network']['IPAM']['Config'][0]['Subnet'] == '172.18.0.0/16'
    assert ping(host, 'web01', '172.18.0.3')
    assert not host.module('docker_bridge', name='bridge', state='absent', force=True)['changed']
    assert not host.module('docker_bridge', name='custom', state='absent', force=True).get('failed')
    assert foreign.link_state(host, 'docker0') == docker0 and ping(host, 'dockc', '172.17.0.1')


def test_squatted_endpoint_names_are_refused_not_deleted(host):
    res = host.module('docker_bridge', name='custom', endpoints=[{'name': 'c1'}])
    assert not res.get('failed'), res
    squat = veth_name(res['network']['Id'], 'c2')
    foreign.make(host, what='veth', name=squat)
    refused_untouched(host, 'docker_bridge', squat, "endpoints[c2] 'c2'", squat, 'did not make',
                      name='custom', endpoints=[{'name': 'c1'}, {'name': 'c2'}])
    # A container-side name held by a link of the user's in that namespace: an error naming it, the link kept.
    foreign.make(host, what='netns', netns='c3')
    foreign.make(host, what='veth', name='eth0', netns='c3')
    before = host.settled_snapshot()
    for check in (True, False):
        res = host.module('docker_bridge', check_mode=check, name='custom', endpoints=[{'name': 'c1'}, {'name': 'c3', 'ifname': 'eth0'}])
        assert res.get('failed') and "endpoints[c3].ifname 'eth0'" in res['msg'], res
    assert host.settled_snapshot(like=before) == before
    # Removing the network leaves the squatter alone.
    assert not host.module('docker_bridge', name='custom', state='absent', force=True).get('failed')
    assert host.run(['ip', 'link', 'show', squat], check=False).returncode == 0


def test_veth_pair_refuses_the_uplink(two_hosts):
    host1, host2 = two_hosts
    uplink = foreign.link_state(host1, 'ens33')
    for state in ('present', 'absent'):
        refused_untouched(host1, 'veth_pair', 'ens33', "name 'ens33'", 'no record of creating it',
                          name='ens33', peer_name='x0', state=state)
    assert foreign.link_state(host1, 'ens33') == uplink
    assert ping(host1, None, host2.address)
    # Its own pairs it still makes, repairs and removes, idempotently.
    res = host1.module('veth_pair', name='own0', peer_name='own1')
    assert res['changed'] and res['commands'][0] == 'record veth own0', res
    assert not host1.module('veth_pair', name='own0', peer_name='own1')['changed']
    assert host1.module('veth_pair', name='own0', state='absent')['changed']
    assert host1.run(['ip', 'link', 'show', 'own0'], check=False).returncode != 0
    assert not host1.module('veth_pair', name='own0', state='absent')['changed']
    # A netns-side peer name held by the user's link is refused too.
    foreign.make(host1, what='netns', netns='web01')
    foreign.make(host1, what='veth', name='eth0', netns='web01')
    refused_untouched(host1, 'veth_pair', 'eth0', "peer_name 'eth0'", 'in web01', name='vweb01', peer_name='eth0', peer_netns='web01')


def subnet_of(host, name):
    res = host.module('network_info', name=name)
    assert not res.get('failed'), res
    return res['networks'][0]['IPAM']['Config'][0]['Subnet']


def test_bridge_network_role_leaves_a_running_dockers_docker0_alone(run_role, two_hosts):
    host1, host2 = two_hosts
    foreign.docker(host1)
    docker0 = foreign.link_state(host1, 'docker0')
    role = {'bridge_network_networks': [{'name': 'custom'}],
            'bridge_network_containers': [{'name': 'app1', 'networks': ['custom']}, {'name': 'app2', 'networks': ['custom']}]}
    rc, out, recap = run_role('bridge_network', {'host1': role, 'host2': dict(role, bridge_network_default_bridge='unmanaged')})
    assert rc == 0, out
    assert 'docker0 exists and the collection has no record of creating it (a running Docker\'s?): it is left alone' in out
    for host in (host1, host2):
        assert subnet_of(host, 'custom') == '172.18.0.0/16'
        assert ping(host, 'app1', '172.18.0.3')
    assert foreign.link_state(host1, 'docker0') == docker0 and ping(host1, 'dockc', '172.17.0.1')
    assert host2.run(['ip', 'link', 'show', 'docker0'], check=False).returncode != 0  # unmanaged: never created
    rc, out, recap = run_role('bridge_network', {'host1': role, 'host2': dict(role, bridge_network_default_bridge='unmanaged')})
    assert rc == 0 and recap['host1']['changed'] == 0 and recap['host2']['changed'] == 0, out
    # A container that asks for the default network is refused by name (and nothing changes: the namespaces the role
    # made for the run are removed again); managed fails on the foreign docker0 (check mode too).
    web = dict(role, bridge_network_containers=role['bridge_network_containers'] + [{'name': 'web'}])
    rc, out, recap = run_role('bridge_network', {'host1': web}, only=('host1',))
    assert rc != 0 and "endpoints ['web']: docker0 exists and the collection has no record of creating it" in out, out
    assert "left alone, and the network 'bridge' with it (foreign_bridge leave), so no container can join it" in out, out
    rc, out, recap = run_role('bridge_network', {'host1': dict(role, bridge_network_default_bridge='managed')}, check=True,
                              only=('host1',))
    assert rc != 0 and "name 'bridge': the bridge docker0 already exists and the collection has no record of creating it" in out, out
    assert foreign.link_state(host1, 'docker0') == docker0 and ping(host1, 'dockc', '172.17.0.1')
    # Teardown removes the role's networks and containers, never docker0 or its container.
    rc, out, recap = run_role('bridge_network', {'host1': role, 'host2': dict(role, bridge_network_default_bridge='unmanaged')},
                              bridge_network_state='absent')
    assert rc == 0, out
    assert host1.run(['ls', '/run/netns'], check=False).stdout.split() == ['dockc']
    assert foreign.link_state(host1, 'docker0') == docker0 and ping(host1, 'dockc', '172.17.0.1')
