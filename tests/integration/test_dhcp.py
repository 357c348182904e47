# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ipam_driver dhcp: container addresses leased from a real DHCP server (dnsmasq) on the lab's LAN.

Three emulated hosts on the lab switch: ``lan`` (10.138.3.1) runs dnsmasq, serving 10.138.3.100-199 with the
shortest lease it gives (two minutes) and itself as router and name server; host1 and host2 each put two containers
on the macvlan network ``dhcpnet`` (parent ens33), whose clients lease from it.  Everything is checked with packets
and with the server's own lease file."""

from __future__ import annotations

import ipaddress
import json

import pytest

from conftest import module_lab, run_restore, wait_until
from traffic import ping

# The hosts' own addresses lie outside the server's pool, as on a real LAN: the server (--no-ping) would lease them.
LAN, HOST1, HOST2 = '10.138.3.1', '10.138.3.30', '10.138.3.31'
SUBNET = '10.138.3.0/24'
RANGE = (ipaddress.ip_address('10.138.3.100'), ipaddress.ip_address('10.138.3.199'))
LEASES = '/run/dnsmasq-lab.leases'
CONTAINERS = {'host1': ('c1', 'c2'), 'host2': ('c3', 'c4')}


def ok(res):
    assert not res.get('failed'), (res.get('msg'), res.get('stderr', '')[-1500:])
    return res


def start_server(lan, *extra):
    """dnsmasq on the LAN host, DHCP only (port 0: no DNS), detached: it dies with the emulated host."""
    lan.run(['/usr/sbin/dnsmasq', '--port=0', '--interface=ens33', '--bind-interfaces', '--dhcp-authoritative', '--no-ping',
             '--dhcp-range=10.138.3.100,10.138.3.199,2m', '--dhcp-option=option:router,%s' % LAN,
             '--dhcp-option=option:dns-server,%s' % LAN, '--dhcp-leasefile=%s' % LEASES, '--pid-file=/run/dnsmasq-lab.pid'] + list(extra))


def server_leases(lan):
    """{host name: address} of the server's lease file."""
    text = lan.run(['cat', LEASES], check=False).stdout
    return {fields[3]: fields[2] for fields in (line.split() for line in text.splitlines()) if len(fields) >= 4}


def network(host, names, check_mode=False, **options):
    params = dict(name='dhcpnet', parent='ens33', ipam_driver='dhcp', subnet=SUBNET, gateway=LAN,
                  endpoints=[{'name': n} for n in names])
    params.update(options)
    return host.module('macvlan_net', check_mode=check_mode, **params)


def leases(host):
    """{container: lease} as network_info shows them."""
    info = ok(host.module('network_info', name='dhcpnet'))
    return {ep['Name']: ep.get('lease') for ep in info['networks'][0]['Containers'].values()}


def address_in(host, netns):
    out = json.loads(host.netns_run(netns, ['ip', '-j', '-4', 'addr', 'show', 'eth0']).stdout)
    return [a['local'] for a in out[0]['addr_info']]


def client_pid(host, cname):
    text = host.run(['cat', '/run/hostnet/dhcp/dhcpnet:%s/pid' % cname], check=False).stdout.strip()
    return int(text) if text.isdigit() else None


@pytest.fixture(scope='module')
def lab(tmp_path_factory, collection_path):
    hosts = {'lan': {'address': LAN + '/24'}, 'host1': {'address': HOST1 + '/24'}, 'host2': {'address': HOST2 + '/24'}}
    with module_lab(tmp_path_factory, collection_path, 'dhcp', hosts) as made:
        start_server(made['lan'])
        yield made


@pytest.fixture(scope='module')
def leased(lab):
    """The four containers, leased; {container: address}."""
    for name, cnames in CONTAINERS.items():
        ok(network(lab[name], cnames))
    got = {}
    for name in CONTAINERS:
        got.update({c: lease['address'] for c, lease in leases(lab[name]).items()})
    return got


def test_four_containers_lease_from_the_lan_server_and_reach_each_other(lab, leased):
    assert sorted(leased) == ['c1', 'c2', 'c3', 'c4']
    assert len(set(leased.values())) == 4
    for address in leased.values():
        assert RANGE[0] <= ipaddress.ip_address(address) <= RANGE[1]
    assert server_leases(lab['lan']) == leased  # each sent its container name as host name
    for name, cnames in CONTAINERS.items():
        host = lab[name]
        for cname in cnames:
            assert address_in(host, cname) == [leased[cname]]
            lease = leases(host)[cname]
            assert (lease['prefix'], lease['gateway'], lease['dns'], lease['server']) == (24, LAN, [LAN], LAN)
            resolv = host.run(['cat', '/etc/netns/%s/resolv.conf' % cname]).stdout
            assert 'nameserver %s' % LAN in resolv
            route = host.netns_run(cname, ['ip', 'route', 'show', 'default']).stdout
            assert route.startswith('default via %s dev eth0' % LAN), route
            assert ping(host, cname, LAN) and ping(lab['lan'], None, leased[cname])  # both ways with the LAN host
            for other, address in leased.items():
                if other != cname:
                    assert ping(host, cname, address), (cname, other)
        # The seed's rule holds on leased addresses too: the host cannot reach its own macvlan containers.
        assert not ping(host, None, leased[cnames[0]])


def test_a_rerun_keeps_the_leases_and_changes_nothing(lab, leased):
    for name, cnames in CONTAINERS.items():
        pids = {c: client_pid(lab[name], c) for c in cnames}
        res = ok(network(lab[name], cnames))
        assert not res['changed'], res.get('commands')
        assert {c: client_pid(lab[name], c) for c in cnames} == pids
        assert {c: lease['address'] for c, lease in leases(lab[name]).items()} == {c: leased[c] for c in cnames}


def test_a_restarted_client_and_the_restore_get_the_same_lease_back(lab, leased):
    host = lab['host2']
    pid = client_pid(host, 'c3')
    host.run(['kill', '-KILL', str(pid)])  # the client the module started (no release: as a crash or a power cut)
    wait_until(lambda: host.run(['kill', '-0', str(pid)], check=False).returncode != 0, 'the client to be gone')
    res = ok(network(host, CONTAINERS['host2'], check_mode=True))
    assert res['changed'] and any('DHCP client of c3' in c for c in res['commands']), res['commands']
    out = run_restore(host)
    assert 'dhcpnet' in out
    assert client_pid(host, 'c3') not in (None, pid)
    assert leases(host)['c3']['address'] == leased['c3']
    assert address_in(host, 'c3') == [leased['c3']]
    assert ping(host, 'c3', leased['c1'])


@pytest.mark.once  # a minute of waiting for the renewal: once, under the newest pyroute2
def test_a_short_lease_is_renewed_while_a_ping_keeps_running(lab, leased):
    host = lab['host1']
    before = leases(host)['c1']
    assert before['lease_time'] == 120  # dnsmasq's shortest
    # ping in the container, in the background of the emulated host (ip netns exec execs it: $! is ping's pid).
    pid = host.run(['sh', '-c', 'ip netns exec c1 ping -n -i 0.2 %s >/run/renew-ping.out 2>&1 & echo $!' % LAN]).stdout.strip()
    try:
        # udhcpc renews at half the lease: its hook records the renewed lease (a later 'obtained').
        wait_until(lambda: leases(host)['c1']['obtained'] != before['obtained'], 'the lease to be renewed', timeout=240, pause=1)
    finally:
        host.run(['kill', '-INT', pid], check=False)
        wait_until(lambda: host.run(['kill', '-0', pid], check=False).returncode != 0, 'ping to end')
    out = host.run(['cat', '/run/renew-ping.out']).stdout
    summary = next(line for line in out.splitlines() if 'packets transmitted' in line)
    sent, received = int(summary.split()[0]), int(summary.split()[3])
    assert sent > 0 and received == sent, summary
    assert leases(host)['c1']['address'] == before['address']
    assert address_in(host, 'c1') == [before['address']]


def test_the_container_module_joins_a_leased_network_and_refuses_an_address_there(lab, leased):
    host = lab['host2']
    res = host.module('container', name='c5', networks=[{'name': 'dhcpnet', 'ipv4_address': '10.138.3.150'}])
    assert res.get('failed') and 'networks[0].ipv4_address' in res['msg'], res['msg']
    res = ok(host.module('container', name='c5', networks=[{'name': 'dhcpnet'}]))
    address = leases(host)['c5']['address']
    shown = res['container']['NetworkSettings']['Networks']['dhcpnet']
    assert (shown['IPAddress'], shown['IPPrefixLen'], shown['Gateway']) == (address, 24, LAN)
    assert RANGE[0] <= ipaddress.ip_address(address) <= RANGE[1] and address not in leased.values()
    assert ping(host, 'c5', LAN)
    assert not ok(host.module('container', name='c5', networks=[{'name': 'dhcpnet'}]))['changed']


def test_removing_an_endpoint_releases_its_lease(lab, leased):
    host = lab['host1']
    pid = client_pid(host, 'c2')
    ok(network(host, ['c1'], purge_endpoints=True))
    wait_until(lambda: 'c2' not in server_leases(lab['lan']), 'the server to drop the released lease')
    assert host.run(['kill', '-0', str(pid)], check=False).returncode != 0
    assert host.run(['test', '-e', '/var/lib/hostnet/dhcp/dhcpnet:c2.json'], check=False).returncode != 0
    assert host.run(['test', '-e', '/run/hostnet/dhcp/dhcpnet:c2'], check=False).returncode != 0
    assert 'c1' in server_leases(lab['lan'])


def test_removing_the_network_releases_every_lease_and_leaves_nothing(lab, leased):
    host = lab['host2']
    ok(network(host, [], state='absent', force=True))
    wait_until(lambda: not {'c3', 'c4'} & set(server_leases(lab['lan'])), 'the server to drop both leases')
    assert host.run(['sh', '-c', 'ls /run/hostnet/dhcp /var/lib/hostnet/dhcp 2>/dev/null | grep -v "^hook$\\|^/\\|^$"'],
                    check=False).stdout.strip() == ''
    # The namespaces the network made go with it; c5 is the container module's and stays.
    assert host.run(['ip', 'netns', 'list']).stdout.split() == ['c5']


@pytest.mark.once
def test_a_lease_outside_the_given_subnet_fails_and_leaves_nothing(lab, leased):
    """The network says 10.99.0.0/24; the LAN's server leases from 10.138.3.0/24: the run fails naming the network,
    the parent and why, and is rolled back."""
    host = lab['host1']
    before = host.settled_snapshot()
    res = host.module('macvlan_net', name='wrong', parent='ens33', ipam_driver='dhcp', subnet='10.99.0.0/24', endpoints=[{'name': 'w1'}])
    assert res.get('failed'), res
    assert 'network wrong' in res['msg'] and 'parent ens33' in res['msg'] and 'outside the subnet 10.99.0.0/24' in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before
    # Its client is gone with its files.  (The server keeps the offer until it expires: udhcpc sends its DHCPRELEASE
    # from the leased address, which a refused lease never put on the interface.)
    assert host.run(['test', '-e', '/run/hostnet/dhcp/wrong:w1'], check=False).returncode != 0
    assert host.run(['test', '-e', '/var/lib/hostnet/dhcp/wrong:w1.json'], check=False).returncode != 0


def test_gc_stops_the_client_of_a_network_removed_by_hand(lab, leased):
    """A network document gone (a run killed part-way, a hand in the store): gc finds c1's client, which holds a lease
    for an endpoint nothing records, stops it (the lease released) and removes its files."""
    host = lab['host1']
    pid = client_pid(host, 'c1')
    host.run(['rm', '/var/lib/hostnet/networks/dhcpnet.json'])
    res = ok(host.module('gc'))
    assert ('dhcp', 'dhcpnet:c1') in [(item['kind'], item['name']) for item in res['leaks']], res['leaks']
    wait_until(lambda: 'c1' not in server_leases(lab['lan']), 'the server to drop the released lease')
    assert host.run(['kill', '-0', str(pid)], check=False).returncode != 0
    assert host.run(['test', '-e', '/var/lib/hostnet/dhcp/dhcpnet:c1.json'], check=False).returncode != 0
    assert not [item for item in ok(host.module('gc'))['leaks'] if item['kind'] == 'dhcp']


@pytest.mark.once
def test_no_server_fails_naming_the_network_and_parent_and_leaves_nothing(lab_factory):
    host = lab_factory({'host1': {'address': HOST1 + '/24'}})['host1']
    before = host.settled_snapshot()
    res = host.module('macvlan_net', name='quiet', parent='ens33', ipam_driver='dhcp', dhcp_timeout=3, endpoints=[{'name': 'c1'}])
    assert res.get('failed')
    assert 'network quiet' in res['msg'] and 'parent ens33' in res['msg'] and 'within 3 s' in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before
    assert host.run(['sh', '-c', 'pgrep -f "[u]dhcpc" || true']).stdout.strip() == ''
    assert host.run(['sh', '-c', 'ls -A /run/hostnet/dhcp 2>/dev/null | grep -v "^hook$" || true']).stdout.strip() == ''


@pytest.mark.once
@pytest.mark.parametrize('params, option', [
    (dict(endpoints=[{'name': 'c1', 'ip': '10.138.3.150'}]), 'endpoints[0].ip'),
    (dict(parent=None), 'parent'),
    (dict(enable_ipv6=True), 'enable_ipv6'),
    (dict(ip_range='10.138.3.128/25'), 'ip_range'),
    (dict(dhcp_timeout=0), 'dhcp_timeout'),
    (dict(host_shim={'name': 'shim0'}), 'host_shim'),
])
def test_bad_input_is_refused_naming_the_option(lab_factory, params, option):
    host = lab_factory({'host1': {'address': HOST1 + '/24'}})['host1']
    before = host.settled_snapshot()
    args = dict(name='bad', parent='ens33', ipam_driver='dhcp', endpoints=[{'name': 'c1'}])
    args.update(params)
    res = host.module('macvlan_net', **{k: v for k, v in args.items() if v is not None})
    assert res.get('failed') and option in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before


@pytest.mark.once
def test_a_managed_bridge_refuses_dhcp(lab_factory):
    host = lab_factory({'host1': {'address': HOST1 + '/24'}})['host1']
    res = host.module('docker_bridge', name='br', ipam_driver='dhcp', endpoints=[{'name': 'c1'}])
    assert res.get('failed') and 'ipam_driver' in res['msg'] and 'unmanaged' in res['msg'], res['msg']


@pytest.mark.once
def test_an_unmanaged_bridge_leases_from_the_lan(lab_factory):
    """br0 on host1 enslaves ens33 (the user's bridge, as a real host's network configuration makes it); a container on
    it leases from the LAN server and is reached from the LAN host at its leased address."""
    hosts = lab_factory({'lan': {'address': LAN + '/24'}, 'host1': {'address': HOST1 + '/24'}})
    lan, h1 = hosts['lan'], hosts['host1']
    start_server(lan)
    mac = json.loads(h1.run(['ip', '-j', 'link', 'show', 'ens33']).stdout)[0]['address']
    h1.run(['sh', '-c', 'ip link add br0 address %s type bridge && ip addr del %s/24 dev ens33 && ip link set ens33 master br0 && '
            'ip addr add %s/24 dev br0 && ip link set br0 up' % (mac, HOST1, HOST1)])
    params = dict(name='lan', unmanaged=True, bridge_name='br0', ipam_driver='dhcp', endpoints=[{'name': 'c1'}])
    ok(h1.module('docker_bridge', **params))
    lease = leases_of(h1, 'lan')['c1']
    assert RANGE[0] <= ipaddress.ip_address(lease['address']) <= RANGE[1]
    assert server_leases(lan) == {'c1': lease['address']}
    assert ping(lan, None, lease['address'])
    assert not ok(h1.module('docker_bridge', **params))['changed']
    ok(h1.module('docker_bridge', name='lan', state='absent', force=True))
    wait_until(lambda: server_leases(lan) == {}, 'the server to drop the released lease')
    assert not ping(lan, None, lease['address'])


def leases_of(host, name):
    info = ok(host.module('network_info', name=name))
    return {ep['Name']: ep.get('lease') for ep in info['networks'][0]['Containers'].values()}
