# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""veth_pair module: real veths into namespaces inside an emulated host, proven with packets."""

from __future__ import annotations

import pytest

import conftest
import reliability as R

CONTAINER = dict(name='vethweb01', master='docker0', peer_netns='web01', peer_name='eth0', peer_mac='02:42:ac:11:00:02',
                 peer_addresses=['172.17.0.2/16'], peer_gateway='172.17.0.1', mtu=1500)


def make_bridge(host):
    # An explicit MAC and a permanent port keep the bridge's own MAC stable while the test adds and removes
    # ports, so before/after snapshots compare only what the module did (carrier is left out of them).
    host.run('ip link add docker0 address 02:42:00:00:00:01 type bridge forward_delay 0 && ip addr add 172.17.0.1/16 dev docker0'
             ' && ip link add keep0 type veth peer name keep1 && ip link set keep0 master docker0 up'
             ' && ip link set keep1 up && ip link set docker0 up')
    res = host.module('netns', name='web01')
    assert res['changed'], res


@pytest.fixture
def bridge_host(host):
    make_bridge(host)
    return host


@pytest.fixture(scope='module')
def shared_bridge_host(tmp_path_factory, collection_path):
    """One host with the bridge, web01 and a foreign veth pair in web01 (taken0/taken1) for the bad-input cases, which
    must change nothing: one host instead of one per case (rebuilt when a case changed it)."""
    def setup(host):
        make_bridge(host)
        host.netns_run('web01', 'ip link add taken0 type veth peer name taken1')

    env = R.SharedHost(tmp_path_factory.mktemp('veth-bad-input'), collection_path, setup)
    env.build()
    yield env
    env.close()


def test_container_on_a_bridge_pings_the_host(bridge_host):
    host = bridge_host
    before = host.settled_snapshot()
    check = host.module('veth_pair', check_mode=True, **CONTAINER)
    assert check['changed'] and not check.get('failed'), check
    assert host.settled_snapshot(like=before) == before

    res = host.module('veth_pair', diff=True, **CONTAINER)
    assert res['changed'] and not res.get('failed'), res
    assert res['commands'] == check['commands']
    # The record of the pair is written before the pair is made (ownership: the module only touches pairs it recorded).
    assert res['commands'][:2] == ['record veth vethweb01', 'create veth vethweb01 with peer eth0 in web01 on bridge docker0']
    assert res['diff']['before'] == {} and res['diff']['after']['peer_addresses'] == ['172.17.0.2/16']

    assert host.netns_run('web01', 'ping -c1 -W2 172.17.0.1').returncode == 0
    assert host.run('ping -c1 -W2 172.17.0.2').returncode == 0
    eth0 = host.netns_run('web01', 'ip -o link show eth0').stdout
    assert 'link/ether 02:42:ac:11:00:02' in eth0 and 'mtu 1500' in eth0
    assert 'default via 172.17.0.1 dev eth0' in host.netns_run('web01', 'ip route').stdout
    assert 'master docker0' in host.run('ip -o link show vethweb01').stdout

    again = host.module('veth_pair', diff=True, **CONTAINER)
    assert not again['changed'] and again['commands'] == [], again
    assert again['before'] == again['after'] == res['after']

    gone = host.module('veth_pair', name='vethweb01', state='absent')
    assert gone['changed'] and not gone.get('failed'), gone
    assert host.run('ip link show vethweb01', check=False).returncode != 0
    assert 'eth0' not in host.netns_run('web01', 'ip -o link').stdout
    assert not host.module('veth_pair', name='vethweb01', state='absent')['changed']


def test_two_containers_on_one_bridge_ping_each_other(bridge_host):
    host = bridge_host
    host.module('netns', name='web02')
    assert not host.module('veth_pair', **CONTAINER).get('failed')
    res = host.module('veth_pair', **dict(CONTAINER, name='vethweb02', peer_netns='web02', peer_mac='02:42:ac:11:00:03',
                                          peer_addresses=['172.17.0.3/16']))
    assert res['changed'] and not res.get('failed'), res
    assert host.netns_run('web01', 'ping -c1 -W2 172.17.0.3').returncode == 0


def test_drift_is_detected_and_repaired(bridge_host):
    host = bridge_host
    host.run('ip link add br1 type bridge')
    host.module('veth_pair', **CONTAINER)
    host.run('ip link set vethweb01 nomaster && ip link set vethweb01 master br1')
    host.netns_run('web01', 'ip addr del 172.17.0.2/16 dev eth0 && ip addr add 172.17.0.9/16 dev eth0 && ip link set eth0 mtu 1400')
    check = host.module('veth_pair', check_mode=True, **CONTAINER)
    assert check['changed'], check
    res = host.module('veth_pair', diff=True, **CONTAINER)
    assert res['commands'] == check['commands'] == [
        'attach vethweb01 to bridge docker0', 'set mtu 1500 on eth0 in web01', 'remove 172.17.0.9/16 from eth0 in web01',
        'add 172.17.0.2/16 to eth0 in web01', 'set default route via 172.17.0.1 dev eth0 in web01']
    assert res['diff']['before']['master'] == 'br1' and res['diff']['after']['master'] == 'docker0'
    assert host.netns_run('web01', 'ping -c1 -W2 172.17.0.1').returncode == 0
    assert not host.module('veth_pair', **CONTAINER)['changed']


def test_peer_moved_away_is_recreated(bridge_host):
    host = bridge_host
    host.module('netns', name='web02')
    host.module('veth_pair', **CONTAINER)
    res = host.module('veth_pair', **dict(CONTAINER, peer_netns='web02'))
    assert res['changed'] and res['commands'][0] == 'record veth vethweb01' and res['commands'][1].startswith('delete veth vethweb01'), res
    assert '172.17.0.2/16' in host.netns_run('web02', 'ip -o addr show eth0').stdout
    assert 'eth0' not in host.netns_run('web01', 'ip -o link').stdout


def test_plain_pair_on_the_host(host):
    res = host.module('veth_pair', name='left0', peer_name='right0', mtu=1450, mac='02:00:00:00:00:01')
    assert res['changed'] and not res.get('failed'), res
    assert 'mtu 1450' in host.run('ip -o link show right0').stdout
    assert '02:00:00:00:00:01' in host.run('ip -o link show left0').stdout
    assert not host.module('veth_pair', name='left0', peer_name='right0', mtu=1450, mac='02:00:00:00:00:01')['changed']


@pytest.mark.parametrize('step', ['set eth0 in web01 up', 'add 172.17.0.2/16', 'set default route'])
def test_failure_part_way_rolls_back(bridge_host, step):
    host = bridge_host
    before = host.settled_snapshot()
    res = host.module('veth_pair', _env={'HOSTNET_TEST_FAIL_AT': step}, **CONTAINER)
    assert res.get('failed'), res
    assert 'rolled back' in res['msg'] and step in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before


def test_failure_while_repairing_restores_the_old_settings(bridge_host):
    host = bridge_host
    host.module('veth_pair', **CONTAINER)
    host.netns_run('web01', 'ip addr add 172.17.0.9/16 dev eth0 && ip link set eth0 mtu 1400')
    before = host.settled_snapshot()
    res = host.module('veth_pair', _env={'HOSTNET_TEST_FAIL_AT': 'remove 172.17.0.9/16'}, **CONTAINER)
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert host.settled_snapshot(like=before) == before


@pytest.mark.parametrize('params, needle', [
    (dict(name='averyveryverylongname', peer_name='p'), "name 'averyveryverylongname'"),
    (dict(name='bad/name', peer_name='p'), "name 'bad/name'"),
    (dict(name='ok0'), 'peer_name'),
    (dict(name='ok0', peer_name='ok0'), 'must differ'),
    (dict(name='ok0', peer_name='eth0', peer_netns='missing'), "peer_netns 'missing'"),
    (dict(name='ok0', peer_netns='web01', master='nosuchbr'), "master 'nosuchbr'"),
    (dict(name='ok0', peer_netns='web01', master='lo'), "master 'lo'"),
    (dict(name='ok0', peer_netns='web01', mtu=10), 'mtu 10:'),
    (dict(name='ok0', peer_netns='web01', mtu=70000), 'mtu 70000:'),
    (dict(name='ok0', peer_netns='web01', mac='zz:zz'), "mac 'zz:zz'"),
    (dict(name='ok0', peer_netns='web01', peer_mac='01:00:5e:00:00:01'), "peer_mac '01:00:5e:00:00:01'"),
    (dict(name='ok0', peer_netns='web01', peer_addresses=['172.17.0.300/16']), "peer_addresses[0] '172.17.0.300/16'"),
    (dict(name='ok0', peer_netns='web01', peer_addresses=['172.17.0.2/16', '172.17.0.2/16']), 'peer_addresses[1]'),
    (dict(name='ok0', peer_netns='web01', peer_addresses=['172.17.0.2/16'], peer_gateway='10.0.0.1'), "peer_gateway '10.0.0.1'"),
    (dict(name='ok0', peer_netns='web01', peer_addresses=['172.17.0.2/16'], peer_gateway='172.17.0.2'), "peer_gateway '172.17.0.2'"),
    (dict(name='docker0', peer_netns='web01'), "name 'docker0'"),
    (dict(name='ok0', peer_netns='web01', peer_name='lo'), "peer_name 'lo'"),
    (dict(name='ok0', peer_netns='web01', peer_name='taken0'), "peer_name 'taken0'"),
    (dict(name='ok0', peer_name='keep1'), "peer_name 'keep1'"),
    (dict(name='ok0', peer_name='p0', peer_addresses=['10.9.0.2/24'], peer_gateway='10.9.0.1'), "peer_gateway '10.9.0.1'"),
    (dict(name='ok0', peer_netns='web01', master='keep0'), "master 'keep0'"),
    (dict(name='ok0', peer_netns='bad/ns'), "peer_netns 'bad/ns'"),
])
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_bad_input_fails_and_changes_nothing(shared_bridge_host, params, needle):
    res = shared_bridge_host.host.module('veth_pair', **params)
    changed = shared_bridge_host.changes()
    assert res.get('failed'), res
    assert needle in res['msg'], res['msg']
    assert not changed, changed


def test_runs_wait_for_the_host_wide_lock(bridge_host, tmp_path):
    """Proven by state, not by the clock: while `flock` holds the lock, a run is seen finding it taken (its own trace)
    and has not ended; it goes through once the lock is let go. Check mode ends while the lock is still held."""
    host = bridge_host
    trace = str(tmp_path / 'veth.trace')

    def run():
        return R.traced_module(host, 'veth_pair', trace=trace, syscalls=('flock',), **CONTAINER)[1]

    res = conftest.result_after_the_lock(host, run, trace)
    assert res['changed'] and not res.get('failed'), res
    with conftest.lock_held(host) as holder:
        assert not host.module('veth_pair', check_mode=True, **CONTAINER)['changed']
        assert holder.poll() is None and conftest.lock_holders(host), 'check mode waited for the lock'


def test_many_containers_one_call_each(bridge_host):
    """Five containers, one netns and one veth_pair call each (as a playbook loops), every one pings the bridge.
    (What a call costs is measured by the benchmarks, not here.)"""
    host = bridge_host
    count = 5
    for i in range(count):
        R.ok(host.module('netns', name='c%d' % i))
    for i in range(count):
        res = host.module('veth_pair', name='vc%d' % i, master='docker0', peer_netns='c%d' % i,
                          peer_addresses=['172.17.1.%d/16' % (i + 2)], peer_gateway='172.17.0.1')
        assert res['changed'] and not res.get('failed'), res
    for i in range(count):
        assert host.netns_run('c%d' % i, 'ping -c1 -W2 172.17.0.1').returncode == 0


def test_existing_pair_with_a_missing_namespace_names_the_option(bridge_host):
    host = bridge_host
    host.module('veth_pair', **CONTAINER)
    before = host.settled_snapshot()
    res = host.module('veth_pair', **dict(CONTAINER, peer_netns='missing'))
    assert res.get('failed') and "peer_netns 'missing'" in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_removing_the_namespace_removes_the_pair(bridge_host):
    host = bridge_host
    host.module('veth_pair', **CONTAINER)
    host.module('netns', name='web01', state='absent')
    # The namespace goes in a kernel work queue once unmounted; its veth with it.
    conftest.wait_until(lambda: host.run('ip link show vethweb01', check=False).returncode != 0, 'vethweb01 gone with web01')
    # The record outlived the pair: absent forgets it (nothing else to do), then nothing changes.
    assert host.module('veth_pair', name='vethweb01', state='absent')['commands'] == ['forget veth vethweb01']
    assert not host.module('veth_pair', name='vethweb01', state='absent')['changed']
