# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge_network role by ansible-playbook on an emulated host (host1), host2 standing outside."""

from __future__ import annotations

import json

import pytest

from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # see conftest.py


@pytest.fixture
def play(run_role):
    """play(host1_vars, check=False, **extra_vars): the bridge_network role on host1 (host2, outside the play, is the
    LAN neighbour)."""
    return lambda host_vars, check=False, **extra: run_role('bridge_network', {'host1': host_vars}, check=check, only=('host1',), **extra)


def names_in(host):
    return set(host.run('ls /run/netns').stdout.split())


def addrs(host, netns):
    return host.run(['ip', '-n', netns, '-4', '-o', 'addr', 'show']).stdout.split('\n')


def identity(host, netns):
    return host.run(['stat', '-L', '-c', '%d:%i', '/run/netns/%s' % netns]).stdout.strip()


def resolves(host, netns, name):
    res = host.module('probe', netns=netns, target=name, method='resolve', timeout=0.3)
    return res.get('address') if res.get('reachable') else None


MODES = {
    'bridge_network_networks': [{'name': 'custom_network'}],
    'bridge_network_containers': [
        {'name': 'bbox01'},
        {'name': 'bbox02'},
        {'name': 'app', 'networks': [{'name': 'custom_network', 'aliases': ['api']}]},
        {'name': 'web', 'networks': ['custom_network', 'bridge'], 'hostname': 'web.example'},
        {'name': 'side', 'network_mode': 'container:bbox01'},
        {'name': 'hosty', 'network_mode': 'host'},
        {'name': 'lonely', 'network_mode': 'none'},
    ],
}


def test_the_four_modes_and_name_resolution(two_hosts, play):
    h1, h2 = two_hosts
    rc, out, recap = play(MODES)
    assert rc == 0, out
    # bridge: eth0 on docker0 with Docker's first addresses.
    assert any(' eth0 ' in a and '172.17.0.2/16' in a for a in addrs(h1, 'bbox01'))
    assert ping(h1, 'bbox01', '172.17.0.3')
    # container: bbox01's namespace under a second name (same namespace, same interfaces and address).
    assert identity(h1, 'side') == identity(h1, 'bbox01') and addrs(h1, 'side') == addrs(h1, 'bbox01')
    # none: a namespace with only lo, up.
    links = h1.run(['ip', '-n', 'lonely', '-o', 'link']).stdout.strip().split('\n')
    assert len(links) == 1 and ': lo: ' in links[0] and 'UP' in links[0]
    assert not ping(h1, 'lonely', '172.17.0.1')
    # host: no namespace of its own.
    assert 'hosty' not in names_in(h1) and {'bbox01', 'bbox02', 'app', 'web', 'side', 'lonely'} <= names_in(h1)
    # web joined custom_network first: eth0 there (default route), eth1 on docker0.
    web = '\n'.join(addrs(h1, 'web'))
    assert 'eth0    inet 172.18.0.3/16' in web and 'eth1    inet 172.17.0.4/16' in web
    assert h1.run('cat /etc/netns/web/hostname').stdout.strip() == 'web.example'
    # Names: on custom_network by name and alias; on the default bridge not at all.
    assert resolves(h1, 'web', 'app') == '172.18.0.2' and resolves(h1, 'web', 'api') == '172.18.0.2'
    assert resolves(h1, 'app', 'web') == '172.18.0.3'
    assert resolves(h1, 'bbox01', 'bbox02') is None and resolves(h1, 'web', 'bbox01') is None
    assert h1.module('probe', netns='app', target='web')['reachable']
    # Isolation: app (custom_network only) cannot reach bbox01 on docker0.
    assert not ping(h1, 'app', '172.17.0.2')
    # Nothing changes on a rerun, or in check mode.
    rc, out, recap = play(MODES)
    assert rc == 0 and recap['host1']['changed'] == 0, out
    rc, out, recap = play(MODES, check=True)
    assert rc == 0 and recap['host1']['changed'] == 0, out


def test_mode_changes_and_container_removal(two_hosts, play):
    h1, dummy = two_hosts
    base = [{'name': 'a'}, {'name': 'b'}]
    assert play({'bridge_network_containers': base + [{'name': 'c'}]})[0] == 0
    assert ping(h1, 'a', '172.17.0.4')
    # c becomes a none-mode container: disconnected (purged from docker0), its namespace keeps only lo.
    rc, out, dummy = play({'bridge_network_containers': base + [{'name': 'c', 'network_mode': 'none'}]})
    assert rc == 0, out
    assert h1.run(['ip', '-n', 'c', '-o', 'link']).stdout.count('\n') == 1 and not ping(h1, 'a', '172.17.0.4')
    info = h1.module('network_info', name='bridge')
    assert sorted(c['Name'] for c in info['networks'][0]['Containers'].values()) == ['a', 'b']
    # Then host mode: its namespace goes.
    rc, out, dummy = play({'bridge_network_containers': base + [{'name': 'c', 'network_mode': 'host'}]})
    assert rc == 0 and 'c' not in names_in(h1), out
    # b is removed; a second name for a comes and goes.
    rc, out, dummy = play({'bridge_network_containers': [{'name': 'a'}, {'name': 'b', 'state': 'absent'},
                                                         {'name': 'a2', 'network_mode': 'container:a'}]})
    assert rc == 0 and names_in(h1) == {'a', 'a2'}, out
    rc, out, dummy = play({'bridge_network_containers': [{'name': 'a'}, {'name': 'a2', 'state': 'absent'}]})
    assert rc == 0 and names_in(h1) == {'a'} and ping(h1, 'a', '172.17.0.1'), out


def test_daemon_options_publish_and_dns(two_hosts, play):
    h1, h2 = two_hosts
    config = {
        'bridge_network_bip': '10.200.0.1/24',
        'bridge_network_dns': ['10.200.0.53'],
        'bridge_network_dns_search': ['lab.example'],
        'bridge_network_default_address_pools': [{'base': '10.210.0.0/16', 'size': 24}],
        'bridge_network_trusted_host_interfaces': ['ens33'],
        'bridge_network_networks': [{'name': 'user', 'gateway_mode_ipv4': 'routed'}],
        'bridge_network_containers': [
            {'name': 'web01', 'publish_all': True, 'expose': [80]},
            {'name': 'web02', 'publish': ['8080:80'], 'dns': ['10.200.0.54']},
            {'name': 'inner', 'networks': ['user']},
        ],
    }
    rc, out, dummy = play(config)
    assert rc == 0, out
    assert '10.200.0.2/24' in '\n'.join(addrs(h1, 'web01')) and '10.210.0.2/24' in '\n'.join(addrs(h1, 'inner'))
    assert {'nameserver 10.200.0.53', 'search lab.example'} <= set(h1.run('cat /etc/netns/web01/resolv.conf').stdout.split('\n'))
    assert 'nameserver 10.200.0.54' in h1.run('cat /etc/netns/web02/resolv.conf').stdout
    user = json.loads(h1.run('cat /var/lib/hostnet/networks/user.json').stdout)
    assert (user['gateway_mode_ipv4'], user['trusted_host_interfaces']) == ('routed', ['ens33'])
    # The published ports answer from the outside host.
    info = h1.module('network_info', name='bridge')
    assert info['networks'][0]['IPAM']['Config'][0] == {'Subnet': '10.200.0.0/24', 'Gateway': '10.200.0.1'}
    pids = [serve(h1, 'web01', 80, tag='web01'), serve(h1, 'web02', 80, tag='web02')]
    try:
        assert connect(h2, None, h1.address, 8080).startswith('web02 ')
        assert connect(h2, None, h1.address, 32768).startswith('web01 ')  # -P: the first port of ip_local_port_range
        # The role's trusted interface: host2, routing docker0's subnet through host1, reaches a published container port.
        h2.run('ip route add 10.200.0.0/24 via %s' % h1.address)
        assert connect(h2, None, '10.200.0.3', 80).startswith('web02 ')
    finally:
        for pid in pids:
            h1.run(['kill', str(pid)], check=False)


def test_iptables_false_leaves_the_firewall_alone(two_hosts, play):
    h1, dummy = two_hosts
    rules = 'iptables-save | grep -v "^#"; nft list ruleset; cat /proc/sys/net/ipv4/ip_forward'
    before = h1.run(rules).stdout
    rc, out, dummy = play({'bridge_network_iptables': False, 'bridge_network_ip_forward': False,
                           'bridge_network_networks': [{'name': 'user'}],
                           'bridge_network_containers': [{'name': 'a'}, {'name': 'b', 'networks': ['user']}]})
    assert rc == 0, out
    assert h1.run(rules).stdout == before
    assert ping(h1, 'a', '172.17.0.1') and ping(h1, 'b', '172.18.0.1')


def test_absent_tears_everything_down(two_hosts, play):
    h1, h2 = two_hosts
    before = h1.settled_snapshot(), h2.settled_snapshot()
    assert play(MODES)[0] == 0
    rc, out, recap = play(MODES, bridge_network_state='absent')
    assert rc == 0 and recap['host1']['changed'] > 0, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before
    rc, out, recap = play(MODES, bridge_network_state='absent')
    assert rc == 0 and recap['host1']['changed'] == 0, out


def test_bad_input_fails_before_anything_changes(two_hosts, play):
    h1, dummy = two_hosts
    before = h1.settled_snapshot()
    for containers, needle in (
        ([{'name': 'a', 'network_mode': 'container:ghost'}], 'container:ghost names no present container'),
        ([{'name': 'a', 'networks': ['nowhere']}], "network 'nowhere' is not among bridge_network_networks"),
        ([{'name': 'a', 'network_mode': 'host', 'publish': ['80']}], 'network_mode host has no networks'),
        ([{'name': 'a', 'publish': ['99999']}], 'bridge_network_containers[0].publish[0]'),
    ):
        rc, out, dummy = play({'bridge_network_containers': containers})
        assert rc != 0 and needle in out, (needle, out)
    rc, out, dummy = play({'bridge_network_containers': [{'name': 'a', 'network_mode': 7}]})
    assert rc != 0 and 'network_mode' in out, out
    assert h1.settled_snapshot(like=before) == before
