# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan_net: the seed's two-host macvlan experiment, the modes, the shim and the errors, in emulated hosts."""

from __future__ import annotations

import pytest

from conftest import wait_until
from traffic import ping

SEED = dict(name='macnet', parent='ens33', subnet='10.0.0.0/24', ip_range='10.0.0.32/28', gateway='10.0.0.254')
HOST1 = '10.138.3.130'


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def test_seed_two_hosts_and_the_shim(two_hosts):
    h1, h2 = two_hosts
    before = h1.settled_snapshot()
    check = ok(h1.module('macvlan_net', check_mode=True, endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], **SEED))
    assert check['changed'] and h1.settled_snapshot(like=before) == before
    res = ok(h1.module('macvlan_net', diff=True, endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], **SEED))
    assert res['commands'] == check['commands'] and res['diff']['before'] == {}
    ok(h2.module('macvlan_net', endpoints=[{'name': 'c2', 'ip': '10.0.0.101'}], **SEED))
    net = res['network']
    assert net['Driver'] == 'macvlan' and net['Options'] == {'parent': 'ens33', 'macvlan_mode': 'bridge'}
    assert net['IPAM']['Config'] == [{'Subnet': '10.0.0.0/24', 'Gateway': '10.0.0.254', 'IPRange': '10.0.0.32/28'}]
    link = h1.netns_run('c1', 'ip -d -o link show eth0').stdout
    assert 'macvlan mode bridge' in link and '02:42:0a:00:00:64' in link
    assert 'default via 10.0.0.254 dev eth0' in h1.netns_run('c1', 'ip route').stdout
    # An IPv4-only network: IPv6 off on the endpoint (as Docker), so it neither joins multicast groups nor answers
    # neighbour discovery or router advertisements on the LAN.
    assert h1.netns_run('c1', ['cat', '/proc/sys/net/ipv6/conf/eth0/disable_ipv6']).stdout.strip() == '1'
    assert 'inet6' not in h1.netns_run('c1', 'ip -6 addr show dev eth0').stdout
    # The seed's results: across hosts the containers talk; neither reaches its own host, nor the host it.
    assert ping(h1, 'c1', '10.0.0.101') and ping(h2, 'c2', '10.0.0.100')
    assert not ping(h1, 'c1', HOST1) and not ping(h1, None, '10.0.0.100')
    again = ok(h1.module('macvlan_net', endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], **SEED))
    assert not again['changed'] and again['commands'] == []
    # The fix: a host-side macvlan child with an address in the subnet.
    res = ok(h1.module('macvlan_net', endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], host_shim={'ip': '10.0.0.250'}, **SEED))
    assert res['changed'] and ping(h1, None, '10.0.0.100') and ping(h1, 'c1', '10.0.0.250')
    shim_name = res['network']['Options']['hostnet.containers.host_shim']
    assert res['network']['Options']['hostnet.containers.host_shim_ip'] == '10.0.0.250' and shim_name.startswith('mvs-')
    assert ping(h1, None, '10.0.0.101'), 'the shim reaches the other host\'s container over the segment too'
    again = ok(h1.module('macvlan_net', endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], host_shim={'ip': '10.0.0.250'}, **SEED))
    assert not again['changed']
    # Drift: the address removed by hand comes back.
    h1.netns_run('c1', 'ip addr flush dev eth0')
    fixed = ok(h1.module('macvlan_net', endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], host_shim={'ip': '10.0.0.250'}, **SEED))
    assert fixed['changed'] and '10.0.0.100/24' in h1.netns_run('c1', 'ip -o -4 addr show eth0').stdout
    # Its ARP entries went with its last address: c1 resolves c2 again, awaited (slow on a loaded machine).
    wait_until(lambda: ping(h1, 'c1', '10.0.0.101'), 'c1 to reach c2 again after the repair')
    # Removal: refused with endpoints, then forced; nothing of the network is left.
    res = h1.module('macvlan_net', name='macnet', state='absent')
    assert res.get('failed') and 'active endpoints' in res['msg']
    ok(h1.module('macvlan_net', name='macnet', state='absent', force=True))
    snap = h1.snapshot()
    assert not any('macvlan' in ln or 'mvs-' in ln for ln in snap['links'])
    assert not any('/var/lib/hostnet/networks/macnet' in ln for ln in snap['files'])


def test_automatic_addresses_come_from_ip_range(host):
    res = ok(host.module('macvlan_net', endpoints=[{'name': 'a'}, {'name': 'b'}], aux_addresses={'router': '10.0.0.32'}, **SEED))
    addrs = sorted(c['IPv4Address'] for c in res['network']['Containers'].values())
    assert addrs == ['10.0.0.33/24', '10.0.0.34/24']


def test_bridge_mode_talks_private_mode_does_not(host):
    ok(host.module('macvlan_net', name='mb', parent='ens33', subnet='10.1.0.0/24', endpoints=[{'name': 'a'}, {'name': 'b'}]))
    assert ping(host, 'a', '10.1.0.3')
    ok(host.module('macvlan_net', name='mp', parent='ens33', mode='private', subnet='10.2.0.0/24', endpoints=[{'name': 'p'}, {'name': 'q'}]))
    assert 'macvlan mode private' in host.netns_run('p', 'ip -d -o link show eth0').stdout
    assert not ping(host, 'p', '10.2.0.3')


def test_vepa_needs_a_hairpinning_switch(host):
    # The emulated switch is a Linux bridge without hairpin on ens33's port: frames sent up to it do not come back,
    # so two vepa endpoints of one host cannot talk, as on a real switch without reflective relay.
    ok(host.module('macvlan_net', name='mv', parent='ens33', mode='vepa', subnet='10.3.0.0/24', endpoints=[{'name': 'v1'}, {'name': 'v2'}]))
    assert 'macvlan mode vepa' in host.netns_run('v1', 'ip -d -o link show eth0').stdout
    assert not ping(host, 'v1', '10.3.0.3')


def test_internal_network_without_parent(host):
    res = ok(host.module('macvlan_net', name='inner', subnet='10.4.0.0/24', endpoints=[{'name': 'i1'}, {'name': 'i2'}]))
    assert res['network']['Internal'] is True
    parent = res['network']['Options']['parent']
    assert parent.startswith('hnv-') and 'veth' in host.run(['ip', '-d', '-o', 'link', 'show', parent]).stdout
    assert ping(host, 'i1', '10.4.0.3')
    assert not ping(host, None, '10.4.0.2')
    again = ok(host.module('macvlan_net', name='inner', subnet='10.4.0.0/24', endpoints=[{'name': 'i1'}, {'name': 'i2'}]))
    assert not again['changed']
    ok(host.module('macvlan_net', name='inner', state='absent', force=True))
    assert host.run(['ip', 'link', 'show', parent], check=False).returncode != 0


def test_passthru_takes_one_endpoint(host):
    host.run('ip link add pt0 type veth peer name pt0p && ip link set pt0 up && ip link set pt0p up')
    res = host.module('macvlan_net', name='pt', parent='pt0', mode='passthru', subnet='10.5.0.0/24',
                      endpoints=[{'name': 'x'}, {'name': 'y'}])
    assert res.get('failed') and 'passthru' in res['msg'] and 'one endpoint' in res['msg'], res
    ok(host.module('macvlan_net', name='pt', parent='pt0', mode='passthru', subnet='10.5.0.0/24', endpoints=[{'name': 'x'}]))
    assert 'macvlan mode passthru' in host.netns_run('x', 'ip -d -o link show eth0').stdout
    res = host.module('macvlan_net', name='pt2', parent='pt0', subnet='10.6.0.0/24', endpoints=[{'name': 'z'}])
    assert res.get('failed') and "parent 'pt0': is already used by macvlan network 'pt' in passthru mode" in res['msg'], res


def test_8021q_parent(host):
    res = host.module('macvlan_net', name='vl', parent='ens33.10', subnet='10.7.0.0/24', endpoints=[{'name': 'v'}])
    supported = host.run('ip link add vprobe link ens33 type vlan id 99 && ip link del vprobe', check=False).returncode == 0
    if not supported:
        assert res.get('failed') and "parent 'ens33.10': this kernel has no 802.1q VLAN support" in res['msg'], res
        assert host.run('ip link show ens33.10', check=False).returncode != 0
        assert host.run('test -e /run/netns/v', check=False).returncode != 0, 'the failed run was rolled back'
        pytest.skip('this kernel has no 8021q driver: the module fails with a clear message (checked); the VLAN parent '
                    'life cycle runs where the kernel has it')
    ok(res)
    assert 'vlan protocol 802.1Q id 10' in host.run('ip -d link show ens33.10').stdout
    ok(host.module('macvlan_net', name='vl', state='absent', force=True))
    assert host.run('ip link show ens33.10', check=False).returncode != 0


def test_part_way_failure_leaves_nothing(host):
    before = host.settled_snapshot()
    res = host.module('macvlan_net', endpoints=[{'name': 'c1'}, {'name': 'c2'}], host_shim={'ip': '10.0.0.250'},
                      _env={'HOSTNET_TEST_FAIL_AT': 'create host shim'}, **SEED)
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert host.settled_snapshot(like=before) == before


@pytest.mark.parametrize('params, needle', [
    ({'parent': 'nosuch0'}, "parent 'nosuch0': no such interface"),
    ({'parent': 'lo'}, "parent 'lo': the loopback"),
    ({'parent': 'ens33', 'mtu': 9000}, 'mtu 9000: is above the MTU of the parent ens33 (1500)'),
    ({'parent': 'ens33', 'endpoints': [{'name': 'a', 'ip': '10.0.0.1'}]}, "endpoints[a].ip '10.0.0.1'"),
    ({'parent': 'ens33', 'endpoints': [{'name': 'a', 'ip': '10.9.0.1'}]}, "endpoints[a].ip '10.9.0.1'"),
    ({'parent': 'ens33', 'endpoints': [{'name': 'a', 'ip': '10.0.0.5'}, {'name': 'b', 'ip': '10.0.0.5'}]}, "'10.0.0.5'"),
    ({'parent': 'ens33', 'endpoints': [{'name': 'a', 'ifname': 'a' * 16}]}, 'endpoints[0].ifname'),
    ({'parent': 'ens33', 'endpoints': [{'name': 'a'}, {'name': 'a'}]}, "endpoints[1].name 'a': is listed twice"),
    ({'parent': 'ens33', 'subnet': '10.0.0.1/24'}, "subnet '10.0.0.1/24'"),
    ({'parent': 'ens33', 'ip_range': '10.9.0.0/28'}, "ip_range '10.9.0.0/28'"),
    ({'parent': 'ens33', 'gateway': '10.9.0.1'}, "gateway '10.9.0.1'"),
    ({'parent': 'ens33.5000'}, "parent 'ens33.5000': the VLAN id"),
    ({'parent': 'ens33', 'host_shim': {'name': 'x' * 16}}, 'host_shim.name'),
])
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_bad_input_fails_before_any_change(host, params, needle):
    base = {'name': 'macnet', 'subnet': '10.0.0.0/24'}
    base.update(params)
    before = host.settled_snapshot()
    res = host.module('macvlan_net', **base)
    assert res.get('failed') and needle in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_subnet_overlapping_a_bridge_network_fails(host):
    ok(host.module('docker_bridge', name='custom_network', subnet='10.0.0.0/16', firewall=False))
    res = host.module('macvlan_net', **SEED)
    assert res.get('failed') and 'custom_network' in res['msg'], res
