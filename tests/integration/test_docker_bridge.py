# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker_bridge: the seed experiments at the address level, inside an emulated host."""

from __future__ import annotations

import json
import re

import pytest

from conftest import wait_until


def ids_masked(commands):
    # The network id is random until the network exists, so check mode names other veths and bridges.
    return [re.sub(r'br-[0-9a-f]{12}', 'br-X', re.sub(r'veth[0-9a-f]{7}', 'vethX', c)) for c in commands]


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def test_default_bridge_and_two_containers(host):
    before = host.settled_snapshot()
    check = ok(host.module('docker_bridge', check_mode=True, name='bridge', endpoints=[{'name': 'web01'}, {'name': 'web02'}]))
    assert check['changed'] and host.settled_snapshot(like=before) == before
    res = ok(host.module('docker_bridge', diff=True, name='bridge', endpoints=[{'name': 'web01'}, {'name': 'web02'}]))
    assert ids_masked(res['commands']) == ids_masked(check['commands'])
    net = res['network']
    assert net['Name'] == 'bridge' and net['Options']['com.docker.network.bridge.name'] == 'docker0'
    assert net['IPAM']['Config'] == [{'Subnet': '172.17.0.0/16', 'Gateway': '172.17.0.1'}]
    addrs = sorted(c['IPv4Address'] for c in net['Containers'].values())
    assert addrs == ['172.17.0.2/16', '172.17.0.3/16']
    assert '172.17.0.1/16' in host.run('ip -o -4 addr show docker0').stdout
    assert host.netns_run('web01', 'ping -c1 -W2 172.17.0.3').returncode == 0
    assert host.run('ping -c1 -W2 172.17.0.2').returncode == 0
    assert '02:42:ac:11:00:02' in host.netns_run('web01', 'ip -o link show eth0').stdout
    again = ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web01'}, {'name': 'web02'}]))
    assert not again['changed'] and again['commands'] == [], again


def test_custom_network_gets_172_18_and_connect_gives_eth1(host):
    ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web01'}]))
    res = ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'app'}]))
    net = res['network']
    assert net['IPAM']['Config'][0]['Subnet'] == '172.18.0.0/16'
    bridge = net['Options']['com.docker.network.bridge.name']
    assert bridge == 'br-' + net['Id'][:12]
    # Different bridges: web01 cannot reach app until it is connected to custom_network (eth1).
    assert host.netns_run('web01', 'ping -c1 -W1 172.18.0.2', check=False).returncode != 0
    res = ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'app'}, {'name': 'web01'}]))
    assert '172.18.0.3/16' in host.netns_run('web01', 'ip -o -4 addr show eth1').stdout
    routes = host.netns_run('web01', 'ip route').stdout
    assert 'default via 172.17.0.1 dev eth0' in routes and 'default via 172.18' not in routes
    assert host.netns_run('web01', 'ping -c1 -W2 172.18.0.2').returncode == 0
    # The host reaches containers on both bridges.
    assert host.run('ping -c1 -W2 172.17.0.2').returncode == 0
    assert host.run('ping -c1 -W2 172.18.0.2').returncode == 0
    # docker network disconnect: purge_endpoints drops web01's eth1.
    res = ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'app'}], purge_endpoints=True))
    assert res['changed'] and 'eth1' not in host.netns_run('web01', 'ip -o link').stdout


def test_remove_refused_with_endpoints_unless_forced(host):
    before = host.settled_snapshot()
    ok(host.module('docker_bridge', name='custom_network', subnet='172.18.0.0/16', endpoints=[{'name': 'app', 'ip': '172.18.0.10'}]))
    res = host.module('docker_bridge', name='custom_network', state='absent')
    assert res.get('failed') and 'active endpoints' in res['msg'] and 'app' in res['msg']
    ok(host.module('docker_bridge', name='custom_network', state='absent', force=True))
    assert not host.module('docker_bridge', name='custom_network', state='absent')['changed']
    # The network created app's namespace, so it went with the network: nothing is left behind.
    assert host.settled_snapshot(like=before) == before


def test_addresses_survive_a_reboot(lab_factory, tmp_path):
    hosts = lab_factory({'host1': {'address': '10.138.3.130/24'}})
    host = hosts['host1']
    eps = [{'name': 'a'}, {'name': 'b'}, {'name': 'c'}]
    first = ok(host.module('docker_bridge', name='custom_network', endpoints=eps))['network']
    lab = host.lab
    lab.down(keep_state=True)
    lab.up({'host1': {'address': '10.138.3.130/24'}})
    assert host.run('ip link show', check=False).stdout.count('br-') == 0
    second = ok(host.module('docker_bridge', name='custom_network', endpoints=list(reversed(eps))))['network']
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert host.netns_run('c', 'ping -c1 -W2 ' + first['IPAM']['Config'][0]['Gateway']).returncode == 0


def test_network_info_inspect_and_query(host):
    ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'minos'}]))
    ok(host.module('docker_bridge', name='macnet_like', subnet='10.0.0.0/24', ip_range='10.0.0.32/28', gateway='10.0.0.254',
                   aux_addresses={'router': '10.0.0.33'}, endpoints=[{'name': 'c1'}, {'name': 'c2', 'ip': '10.0.0.100'}]))
    info = ok(host.module('network_info'))
    assert [n['Name'] for n in info['networks']] == ['bridge', 'macnet_like']
    mac = info['networks'][1]
    assert mac['IPAM']['Config'] == [{'Subnet': '10.0.0.0/24', 'IPRange': '10.0.0.32/28', 'Gateway': '10.0.0.254',
                                      'AuxiliaryAddresses': {'router': '10.0.0.33'}}]
    assert sorted(c['IPv4Address'] for c in mac['Containers'].values()) == ['10.0.0.100/24', '10.0.0.32/24']
    for eid, c in mac['Containers'].items():
        assert c['EndpointID'] == eid and c['MacAddress'].startswith('02:42:0a:00:00:')
    one = ok(host.module('network_info', name='bridge', query="[0].Containers.* | [?Name=='minos'].IPv4Address | [0]"))
    assert one['query_result'] == '172.17.0.2/16'
    assert ok(host.module('network_info', query='[].Name'))['query_result'] == ['bridge', 'macnet_like']
    assert info['exists'] is True and one['exists'] is True
    # Like community.docker's docker_network_info: an unknown name is an answer, not an error.
    unknown = ok(host.module('network_info', name='nope', query='[].Name'))
    assert unknown['exists'] is False and unknown['networks'] == [] and unknown['query_result'] == []
    bad = host.module('network_info', query='[')
    assert bad.get('failed') and "query '['" in bad['msg']


BAD_INPUTS = [
    (dict(name='x/y'), "name 'x/y'"),
    (dict(name='host'), "name 'host'"),
    (dict(name='n', bridge_name='averyveryverylongbridge'), "bridge_name 'averyveryverylongbridge'"),
    (dict(name='n', bridge_name='br 0'), "bridge_name 'br 0'"),
    (dict(name='n', bridge_name='ens33'), "bridge_name 'ens33'"),
    (dict(name='n', subnet='172.18.0.1/16'), 'did you mean 172.18.0.0/16'),
    (dict(name='n', subnet='172.18.0.0/33'), "subnet '172.18.0.0/33'"),
    (dict(name='n', subnet='notacidr'), "subnet 'notacidr'"),
    (dict(name='n', subnet='127.0.0.0/8'), "subnet '127.0.0.0/8'"),
    (dict(name='n', subnet='fd00::/64'), 'IPv6'),
    (dict(name='n', subnet='10.9.0.0/24'), "of network 'existing'"),
    (dict(name='n', subnet='10.9.0.0/16'), "of network 'existing'"),
    (dict(name='n', subnet='172.18.0.0/16', gateway='172.19.0.1'), "gateway '172.19.0.1'"),
    (dict(name='n', subnet='172.18.0.0/16', gateway='172.18.0.0'), "gateway '172.18.0.0'"),
    (dict(name='n', subnet='172.18.0.0/16', gateway='172.18.255.255'), "gateway '172.18.255.255'"),
    (dict(name='n', subnet='172.18.0.0/16', gateway='bogus'), "gateway 'bogus'"),
    (dict(name='n', subnet='172.18.0.0/16', ip_range='172.19.0.0/24'), "ip_range '172.19.0.0/24'"),
    (dict(name='n', subnet='172.18.0.0/16', ip_range='172.18.0.1/24'), "ip_range '172.18.0.1/24'"),
    (dict(name='n', subnet='172.18.0.0/16', aux_addresses={'r': '10.0.0.1'}), "aux_addresses"),
    (dict(name='n', subnet='172.18.0.0/16', aux_addresses={'r': '172.18.0.1'}), "aux_addresses"),
    (dict(name='n', mtu=60), 'mtu 60'),
    (dict(name='n', mtu=70000), 'mtu 70000'),
    (dict(name='n', mtu=1200, enable_ipv6=True, subnet_v6='fd00:db8:9::/64'), 'mtu 1200: must be at least 1280 on a network with IPv6'),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'ip': '172.19.0.2'}]), "endpoints[a].ip '172.19.0.2'"),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'ip': '172.18.0.1'}]), 'gateway'),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'ip': '172.18.0.0'}]), 'network address'),
    (dict(name='n', subnet='172.18.0.0/16', aux_addresses={'r': '172.18.0.5'}, endpoints=[{'name': 'a', 'ip': '172.18.0.5'}]), "aux address 'r'"),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'ip': '172.18.0.5'}, {'name': 'b', 'ip': '172.18.0.5'}]),
     "endpoints[b].ip '172.18.0.5'"),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a'}, {'name': 'a'}]), "endpoints[1].name 'a'"),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a/b'}]), "endpoints[0].name 'a/b'"),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'ifname': 'eth0000000000000'}]), "endpoints[0].ifname"),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'mac': 'nope'}]), "endpoints[0].mac 'nope'"),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'aliases': ['bad alias']}]), "endpoints[0].aliases 'bad alias'"),
    (dict(name='n', subnet='172.18.0.0/30', endpoints=[{'name': 'a'}, {'name': 'b'}]), 'no free address'),
    (dict(name='n', subnet='172.18.0.0/16', endpoints=[{'name': 'a', 'ip': 'x'}]), "endpoints[a].ip 'x'"),
    (dict(name='n', address_pools=[{'base': '10.9.0.0/16', 'size': 16}]), 'could not find an available'),
    (dict(name='n', address_pools=[{'base': '10.0.0.0/8', 'size': 4}]), 'address_pools'),
    (dict(name='existing', state='absent'), 'active endpoints'),
]


@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_bad_input_fails_before_any_change(host):
    # One host for the whole matrix: each case must leave it exactly as it was.
    ok(host.module('docker_bridge', name='existing', subnet='10.9.0.0/24', endpoints=[{'name': 'keep'}]))
    before = host.settled_snapshot()
    failures = []
    for params, needle in BAD_INPUTS:
        res = host.module('docker_bridge', **params)
        if not res.get('failed') or needle not in res.get('msg', ''):
            failures.append((params, res.get('msg'), needle))
    assert not failures, failures
    assert host.settled_snapshot(like=before) == before
    assert len(BAD_INPUTS) >= 30


def test_failure_part_way_leaves_nothing_behind(host):
    before = host.settled_snapshot()
    eps = [{'name': 'a'}, {'name': 'b'}, {'name': 'c'}]
    res = host.module('docker_bridge', name='custom_network', endpoints=eps, _env={'HOSTNET_TEST_FAIL_AT': 'connect c to'})
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert host.settled_snapshot(like=before) == before
    res = host.module('docker_bridge', name='custom_network', endpoints=eps, _env={'HOSTNET_TEST_FAIL_AT': 'write network state'})
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_name_resolution_on_user_defined_networks_only(host):
    # The seed: on the default bridge, ping by name fails; on a user-defined network it works, aliases too.
    ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web01'}, {'name': 'web02'}]))
    assert host.netns_run('web01', 'ping -c1 -W1 web02', check=False).returncode != 0
    ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'app', 'aliases': ['api']}, {'name': 'db'}]))
    assert host.netns_run('db', 'ping -c1 -W2 app').returncode == 0
    assert host.netns_run('db', 'ping -c1 -W2 api').returncode == 0
    assert host.netns_run('app', 'getent hosts db').stdout.split()[0] == '172.18.0.3'
    assert host.netns_run('app', 'getent hosts localhost').returncode == 0
    # A user's own entries (netns hosts, like --add-host) and the network's names live side by side.
    ok(host.module('netns', name='app', hosts={'10.138.3.131': ['host2']}))
    assert host.netns_run('app', 'getent hosts host2').returncode == 0 and host.netns_run('app', 'getent hosts db').returncode == 0
    again = ok(host.module('netns', name='app', hosts={'10.138.3.131': ['host2']}))
    assert not again['changed']
    # web01 joins custom_network: it now resolves app, and app resolves it; names follow the containers.
    ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'app', 'aliases': ['api']}, {'name': 'db'}, {'name': 'web01'}]))
    assert host.netns_run('web01', 'ping -c1 -W2 api').returncode == 0
    assert host.netns_run('app', 'getent hosts web01').stdout.split()[0] == '172.18.0.4'
    assert host.netns_run('web01', 'getent hosts web02', check=False).returncode != 0, 'not on a dns network with web02'
    rerun = ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'app', 'aliases': ['api']}, {'name': 'db'}, {'name': 'web01'}]))
    assert not rerun['changed'], rerun['commands']
    ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'app', 'aliases': ['api']}, {'name': 'db'}], purge_endpoints=True))
    # The network's name server drops the removed records file's names by itself (inotify): waited for.
    wait_until(lambda: host.netns_run('app', 'getent hosts web01', check=False).returncode != 0, 'web01 no longer resolves')
    assert host.run('test -e /etc/netns/web01/hosts', check=False).returncode != 0
    ok(host.module('docker_bridge', name='custom_network', state='absent', force=True))
    assert host.run('test -e /etc/netns/db', check=False).returncode != 0
    assert 'host2' in host.run('cat /etc/netns/app/hosts').stdout and 'BEGIN' not in host.run('cat /etc/netns/app/hosts').stdout


def test_dns_option_overrides_the_default(host):
    ok(host.module('docker_bridge', name='bridge', dns=True, endpoints=[{'name': 'web01'}, {'name': 'web02'}]))
    assert host.netns_run('web01', 'ping -c1 -W2 web02').returncode == 0
    ok(host.module('docker_bridge', name='quiet', dns=False, endpoints=[{'name': 'a'}, {'name': 'b'}]))
    assert host.netns_run('a', 'getent hosts b', check=False).returncode != 0


def test_the_bridge_keeps_its_own_mac_as_containers_come_and_go(host):
    eps = [{'name': 'a'}, {'name': 'b'}, {'name': 'c'}]
    net = ok(host.module('docker_bridge', name='custom_network', endpoints=eps))['network']
    bridge = net['Options']['com.docker.network.bridge.name']
    mac = '02:42:%s:%s:%s:%s' % (net['Id'][0:2], net['Id'][2:4], net['Id'][4:6], net['Id'][6:8])

    def bridge_mac():
        return json.loads(host.run(['ip', '-j', 'link', 'show', bridge]).stdout)[0]['address']

    assert bridge_mac() == mac
    # Without a MAC of its own a bridge takes its ports' lowest, and the gateway's MAC changes under the containers.
    ok(host.module('docker_bridge', name='custom_network', endpoints=eps[2:], purge_endpoints=True))
    assert bridge_mac() == mac
    assert host.netns_run('c', 'ping -c1 -W2 %s' % net['IPAM']['Config'][0]['Gateway']).returncode == 0


def gateway_neighbours(host, netns):
    """The container's neighbour entries, {address: (MAC, states)}, as the kernel holds them."""
    rows = json.loads(host.netns_run(netns, ['ip', '-j', 'neigh', 'show', 'dev', 'eth0']).stdout or '[]')
    return {r['dst']: (r.get('lladdr'), r.get('state')) for r in rows}


def test_a_new_container_knows_its_gateways_mac_before_its_first_packet(host):
    # On a bridge of about 1,000 ports the host's answer to a new container's first ARP request for its gateway is
    # dropped behind the flood of that request (one packet per port into the CPU's backlog): the engine gives the
    # container the entry, with the bridge's MAC, permanent (the kernel's table limit, machine-wide, counts only the
    # entries it may collect), so no broadcast is needed for it.
    SUBNET6 = 'fd00:db8:77::/64'
    net = ok(host.module('docker_bridge', name='dual', enable_ipv6=True, subnet_v6=SUBNET6, dns=False,
                         endpoints=[{'name': 'a'}]))['network']
    mac = '02:42:%s:%s:%s:%s' % (net['Id'][0:2], net['Id'][2:4], net['Id'][4:6], net['Id'][6:8])
    gateways = [c['Gateway'] for c in net['IPAM']['Config']]
    entries = gateway_neighbours(host, 'a')
    for gateway in gateways:
        assert entries.get(gateway, (None,))[0] == mac, (gateway, entries)
        assert entries[gateway][1] == ['PERMANENT'], entries
    assert host.netns_run('a', 'ping -c1 -W2 %s' % gateways[0]).returncode == 0
    assert host.netns_run('a', 'ping -6 -c1 -W2 %s' % gateways[1]).returncode == 0
    # A second network gives no default route, so no entry; nor does an internal one.
    second = ok(host.module('docker_bridge', name='other', dns=False, endpoints=[{'name': 'a'}, {'name': 'b'}]))['network']
    inner = ok(host.module('docker_bridge', name='inner', internal=True, dns=False, endpoints=[{'name': 'c'}]))['network']
    assert second['IPAM']['Config'][0]['Gateway'] not in json.dumps(host.netns_run('a', ['ip', '-j', 'neigh']).stdout)
    assert gateway_neighbours(host, 'c') == {}
    assert gateway_neighbours(host, 'b')  # b's default route is on "other"
    # Re-applied, nothing changes: the entry is the kernel's to keep, not state the network checks.
    assert not ok(host.module('docker_bridge', name='dual', enable_ipv6=True, subnet_v6=SUBNET6, dns=False,
                              endpoints=[{'name': 'a'}]))['changed']
    assert inner['Internal']


def bridge_ports(host, bridge):
    return [link['ifname'] for link in json.loads(host.run(['ip', '-j', 'link', 'show', 'master', bridge]).stdout or '[]')]


def test_the_host_ends_have_no_ipv6_of_their_own(host):
    # A host end is a bridge port, never a packet's source or destination: the engine turns its IPv6 off before it
    # comes up (LXD does the same), so it gets no link-local address, routes or multicast groups of its own.  With
    # them, every link added or removed on the host walked all those routes (three per host end), and a network of
    # hundreds flooded its bridge with their multicast reports.  The containers' IPv6 is untouched.
    SUBNET6 = 'fd00:db8:78::/64'
    dual = ok(host.module('docker_bridge', name='dual', enable_ipv6=True, subnet_v6=SUBNET6, dns=False,
                          endpoints=[{'name': 'a'}, {'name': 'b'}]))['network']
    # An MTU under IPv6's minimum (1280): the kernel gives such links no IPv6 at all, nothing to turn off.
    small = ok(host.module('docker_bridge', name='small', mtu=1200, dns=False, endpoints=[{'name': 'c'}]))['network']
    for net, count in ((dual, 2), (small, 1)):
        bridge = net['Options']['com.docker.network.bridge.name']
        ports = bridge_ports(host, bridge)
        assert len(ports) == count, ports
        for port in ports:
            assert host.run(['ip', '-6', 'addr', 'show', 'dev', port]).stdout.strip() == '', port
            assert host.run(['ip', '-6', 'route', 'show', 'table', 'all', 'dev', port]).stdout.strip() == '', port
    for port in bridge_ports(host, dual['Options']['com.docker.network.bridge.name']):
        assert host.run(['cat', '/proc/sys/net/ipv6/conf/%s/disable_ipv6' % port]).stdout.strip() == '1'
    assert 'fd00:db8:78::1/64' in host.run(['ip', '-6', 'addr', 'show', 'dev', dual['Options']['com.docker.network.bridge.name']]).stdout
    assert 'fe80::' in host.netns_run('a', 'ip -6 addr show dev eth0').stdout
    b6 = [c['IPv6Address'].split('/')[0] for c in dual['Containers'].values() if c['Name'] == 'b'][0]
    assert host.netns_run('a', 'ping -6 -c1 -W2 fd00:db8:78::1').returncode == 0
    assert host.netns_run('a', 'ping -6 -c1 -W2 %s' % b6).returncode == 0
    assert host.netns_run('c', 'ping -c1 -W2 -s 1100 %s' % small['IPAM']['Config'][0]['Gateway']).returncode == 0
    assert not ok(host.module('docker_bridge', name='small', mtu=1200, dns=False, endpoints=[{'name': 'c'}]))['changed']
    # A host end whose IPv6 is on again (or that an earlier version made) is turned off by the next run that checks it.
    port = bridge_ports(host, dual['Options']['com.docker.network.bridge.name'])[0]
    sysctl = '/proc/sys/net/ipv6/conf/%s/disable_ipv6' % port
    host.run(['sh', '-c', 'echo 0 > %s' % sysctl])
    params = dict(name='dual', enable_ipv6=True, subnet_v6=SUBNET6, dns=False, endpoints=[{'name': 'a'}, {'name': 'b'}])
    check = ok(host.module('docker_bridge', check_mode=True, **params))
    assert check['changed'] and check['commands'] == ['turn IPv6 off on %s' % port], check['commands']
    assert host.run(['cat', sysctl]).stdout.strip() == '0'
    assert ok(host.module('docker_bridge', **params))['commands'] == ['turn IPv6 off on %s' % port]
    assert host.run(['cat', sysctl]).stdout.strip() == '1'
    assert host.run(['ip', '-6', 'addr', 'show', 'dev', port]).stdout.strip() == ''
    assert not ok(host.module('docker_bridge', **params))['changed']


def test_containers_may_be_named_like_the_engine_operations(host):
    # The endpoint batch once told its operations from the namespace a request goes to by the first word: containers
    # named peer or host crashed the run.
    names = ['peer', 'host', 'netns', 'find', 'delete']
    res = ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': n} for n in names]))
    assert res['changed']
    for i, name in enumerate(names):
        assert host.netns_run(name, 'ping -c1 -W2 172.17.0.%d' % (2 + (i + 1) % len(names))).returncode == 0
    assert not ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': n} for n in names]))['changed']


def test_a_run_reads_and_repairs_only_the_endpoints_it_lists(host):
    # docker network connect: connecting one container leaves the others alone, drift included; a run that lists
    # them all (the roles, the boot-time restore) repairs it.
    eps = [{'name': 'a'}, {'name': 'b'}]
    ok(host.module('docker_bridge', name='custom_network', endpoints=eps))
    host.netns_run('a', 'ip addr flush dev eth0')
    res = ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'c'}]))
    assert res['changed'] and not [c for c in res['commands'] if re.search(r'\ba\b', c)], '\n'.join(res['commands'])
    assert sorted(res['network']['Containers'][k]['Name'] for k in res['network']['Containers']) == ['a', 'b', 'c']
    assert 'inet ' not in host.netns_run('a', 'ip -o -4 addr show eth0').stdout
    assert host.netns_run('c', 'ping -c1 -W2 172.18.0.3').returncode == 0
    assert not ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'c'}]))['changed']
    res = ok(host.module('docker_bridge', name='custom_network', endpoints=eps + [{'name': 'c'}]))
    assert res['changed'] and '172.18.0.2/16' in host.netns_run('a', 'ip -o -4 addr show eth0').stdout
    assert host.netns_run('c', 'ping -c1 -W2 172.18.0.2').returncode == 0
