# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Publishes in Compose's long syntax with allow_from, proven with packets on both backends: of two LAN hosts, the
one allow_from names connects to the published port and the other does not, over IPv4 and IPv6; a container of the
same network reaching the host's published address (hairpin) is held to the same list; the short strings work as
before.

host1 (10.138.3.130, fd00:138::130) runs the containers; host2 (.131, ::131) is the allowed LAN host, host3 (.132,
::132) the other one.  The IPv6 addresses are given inside the emulated hosts only.
"""

from __future__ import annotations

import pytest

from conftest import SEED_HOSTS, role_runner, run_restore, wait_until
from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # the firewall backends' rules and packets, no netlink request of their own

HOSTS = dict(SEED_HOSTS, host3={'address': '10.138.3.132/24'})
HOST1, HOST2, HOST3 = '10.138.3.130', '10.138.3.131', '10.138.3.132'
V6 = {'host1': 'fd00:138::130', 'host2': 'fd00:138::131', 'host3': 'fd00:138::132'}
WEB, PEER, WEB6, PEER6 = '10.70.0.2', '10.70.0.3', 'fd00:70::2', 'fd00:70::3'
ALLOW = [HOST2 + '/32', V6['host2'] + '/128']


def ok(res):
    assert not res.get('failed'), (res.get('msg'), res.get('stderr', '')[-1500:])
    return res


@pytest.fixture
def three_hosts(lab_factory):
    hosts = lab_factory(HOSTS)
    for name, host in hosts.items():
        host.run(['sh', '-c', 'sysctl -qw net.ipv6.conf.ens33.disable_ipv6=0 && ip -6 addr add %s/64 dev ens33 nodad' % V6[name]])
    for name in ('host2', 'host3'):
        wait_until(lambda name=name: ping(hosts['host1'], None, V6[name]), 'host1 to reach %s over IPv6' % name)
    return hosts


def reached(hosts, target, port=8080):
    """{who: the answer of the published port at ``target`` (host1's address), or None}: host2, host3 and the peer
    container through hairpin."""
    h1 = hosts['host1']
    return {'host2': connect(hosts['host2'], None, target, port, timeout=1), 'host3': connect(hosts['host3'], None, target, port, timeout=1),
            'peer': connect(h1, 'peer', target, port, timeout=1)}


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_allow_from_lan_ipv6_and_hairpin(three_hosts, backend):
    hosts = three_hosts
    h1 = hosts['host1']
    tables = h1.run('nft list tables').stdout

    def bridge(allow_from, check_mode=False):
        web = {'name': 'web', 'ip': WEB, 'ipv6_address': WEB6,
               'publish': [{'target': 80, 'published': 8080, 'allow_from': allow_from}, '8081:81']}
        return h1.module('docker_bridge', check_mode=check_mode, name='lim', subnet='10.70.0.0/24', enable_ipv6=True, subnet_v6='fd00:70::/64',
                         dns=False, firewall_backend=backend, endpoints=[web, {'name': 'peer', 'ip': PEER, 'ipv6_address': PEER6}])

    res = ok(bridge(ALLOW))
    assert res['after']['endpoints']['web']['publish'][0] == {'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': 80,
                                                              'proto': 'tcp', 'auto': False, 'allow_from': ALLOW}
    serve(h1, 'web', 80)
    serve(h1, 'web', 80, tag='web6', family=6)
    serve(h1, 'web', 81, tag='short')
    # The allowed LAN host connects, the other one and the container through hairpin do not, in both families.
    assert reached(hosts, HOST1) == {'host2': 'web %s' % HOST2, 'host3': None, 'peer': None}
    assert reached(hosts, V6['host1']) == {'host2': 'web6 %s' % V6['host2'], 'host3': None, 'peer': None}
    # A short string publishes to everyone as before; the host itself is not limited.
    assert connect(hosts['host3'], None, HOST1, 8081) == 'short %s' % HOST3
    assert connect(h1, None, '127.0.0.1', 8080).startswith('web ')
    assert not ok(bridge(ALLOW))['changed']

    # The network's own subnets allowed too: the peer gets through hairpin, host3 still not.  Check mode first.
    wider = ALLOW + ['10.70.0.0/24', 'fd00:70::/64']
    assert ok(bridge(wider, check_mode=True))['changed']
    assert connect(h1, 'peer', HOST1, 8080, timeout=1) is None
    ok(bridge(wider))
    got, got6 = reached(hosts, HOST1), reached(hosts, V6['host1'])
    assert (got['host2'], got['host3'], got6['host2'], got6['host3']) == ('web %s' % HOST2, None, 'web6 %s' % V6['host2'], None)
    assert got['peer'].startswith('web ') and got6['peer'].startswith('web6 '), (got, got6)
    assert not ok(bridge(wider))['changed']

    # The boot-time restore rebuilds the same network (the long syntax holds allow_from) and the same limits.
    run_restore(h1)
    assert not ok(bridge(wider))['changed']
    assert reached(hosts, HOST1)['host3'] is None and reached(hosts, HOST1)['host2'] == 'web %s' % HOST2

    # Without allow_from the publish is open again; removed, its rules go.
    web = {'name': 'web', 'publish': [{'target': 80, 'published': 8080}]}
    ok(h1.module('docker_bridge', name='lim', enable_ipv6=True, dns=False, firewall_backend=backend, endpoints=[web]))
    assert connect(hosts['host3'], None, HOST1, 8080) == 'web %s' % HOST3
    ok(h1.module('docker_bridge', name='lim', state='absent', force=True))
    assert 'HOSTNET' not in h1.run('iptables-save -t mangle; ip6tables-save -t mangle', check=False).stdout
    assert 'mangle_prerouting' not in h1.run('nft list ruleset').stdout
    assert h1.run('nft list tables').stdout == tables, 'the mangle table iptables-nft made for the rules is gone again'


def test_container_module_and_role(three_hosts, tmp_path, collection_path):
    hosts = three_hosts
    h1 = hosts['host1']
    # The container module: Compose's long syntax in published_ports.
    ok(h1.module('docker_bridge', name='bridge'))
    res = ok(h1.module('container', name='admin', published_ports=[{'target': 443, 'published': 9443, 'allow_from': [HOST2]}]))
    assert res['container']['NetworkSettings']['Ports']['443/tcp'] == [{'HostIp': '0.0.0.0', 'HostPort': '9443'}]
    serve(h1, 'admin', 443, tag='admin')
    assert connect(hosts['host2'], None, HOST1, 9443) == 'admin %s' % HOST2
    assert connect(hosts['host3'], None, HOST1, 9443, timeout=1) is None
    assert not ok(h1.module('container', name='admin', published_ports=[{'target': 443, 'published': 9443, 'allow_from': [HOST2]}]))['changed']
    ok(h1.module('container', name='admin', state='absent'))
    ok(h1.module('docker_bridge', name='bridge', state='absent', force=True))

    # The bridge_network role: a container's publish in the long syntax.
    run = role_runner({'host1': h1}, tmp_path, collection_path)
    role_vars = {'bridge_network_networks': [{'name': 'front', 'subnet': '10.71.0.0/24'}],
                 'bridge_network_containers': [{'name': 'api', 'networks': ['front'],
                                                'publish': [{'target': 80, 'published': 8088, 'allow_from': ['10.138.3.131/32']}]}]}
    rc, out, dummy = run('bridge_network', {'host1': role_vars})
    assert rc == 0, out
    serve(h1, 'api', 80, tag='api')
    assert connect(hosts['host2'], None, HOST1, 8088) == 'api %s' % HOST2
    assert connect(hosts['host3'], None, HOST1, 8088, timeout=1) is None
    rc, out, recap = run('bridge_network', {'host1': role_vars})
    assert rc == 0 and recap['host1']['changed'] == 0, out
    bad_publish = [{'target': 80, 'published': 8088, 'allow_from': ['10.138.3.999/32']}]
    bad = dict(role_vars, bridge_network_containers=[dict(role_vars['bridge_network_containers'][0], publish=bad_publish)])
    rc, out, dummy = run('bridge_network', {'host1': bad})
    assert rc != 0 and "bridge_network_containers[0].publish[0].allow_from '10.138.3.999/32': not a CIDR" in out, out
    assert connect(hosts['host2'], None, HOST1, 8088) == 'api %s' % HOST2


@pytest.mark.parametrize('publish, needle', [
    ({'target': 80, 'published': 8080, 'allow_from': ['lan']}, "endpoints[0].publish.allow_from 'lan': not a CIDR"),
    ({'target': 80, 'published': 8080, 'allow_from': ['10.138.3.131/24']}, "endpoints[0].publish.allow_from '10.138.3.131/24': host bits are set"),
    ({'target': 80, 'published': 8080, 'allow_from': '10.138.3.0/24'}, "endpoints[0].publish.allow_from '10.138.3.0/24': expected a non-empty list"),
    ({'target': 80, 'published': 8080, 'allow_from': ['fd00::/64']}, "endpoints[0].publish.allow_from ['fd00::/64']: has no IPv4 network"),
    ({'target': 80, 'published': 8080, 'mode': 'host'}, 'unknown key mode in the long syntax'),
    ({'published': 8080, 'allow_from': ['10.138.3.0/24']}, 'endpoints[0].publish.target null: the long syntax needs target'),
])
def test_bad_long_syntax_changes_nothing(host, publish, needle):
    ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web', 'publish': ['8081:81']}]))
    before = host.settled_snapshot()
    for check_mode in (True, False):
        res = host.module('docker_bridge', check_mode=check_mode, name='bridge', endpoints=[{'name': 'web', 'publish': ['8081:81', publish]}])
        assert res.get('failed') and needle in res['msg'], res
    res = host.module('container', name='web', published_ports=[publish])
    assert res.get('failed') and 'published_ports' in res['msg'] and needle.split(' ', 1)[1] in res['msg'], res
    assert host.settled_snapshot(like=before) == before


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_routed_network_takes_the_allowed_sources_only(three_hosts, backend):
    """No host port in routed mode: the container port, reached at the container's own address by LAN hosts that
    route the subnet through host1, is open to allow_from only."""
    hosts = three_hosts
    h1 = hosts['host1']
    ok(h1.module('docker_bridge', name='routed', subnet='10.72.0.0/24', gateway_mode_ipv4='routed', firewall_backend=backend, dns=False,
                 endpoints=[{'name': 'web', 'ip': '10.72.0.2', 'publish': [{'target': 80, 'allow_from': [HOST2 + '/32']}, '81']}]))
    serve(h1, 'web', 80)
    serve(h1, 'web', 81)
    for name in ('host2', 'host3'):
        hosts[name].run('ip route add 10.72.0.0/24 via %s' % HOST1)
    assert connect(hosts['host2'], None, '10.72.0.2', 80) == 'web %s' % HOST2
    assert connect(hosts['host3'], None, '10.72.0.2', 80, timeout=1) is None
    assert connect(hosts['host3'], None, '10.72.0.2', 81) == 'web %s' % HOST3
