# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan_net with IPv6, proven with packets over IPv6 between two emulated hosts on one segment: containers on both
hosts to each other, to a LAN host's IPv6 address through the segment's IPv6 router (gateway_v6), the host to its own
containers through the shim; a rerun changes nothing; an IPv6-only network; the phase-1 bad-input messages; the
boot-time restore.

host1 and host2 get fd00:138::130 / ::131 on their lab ports (inside the emulated hosts only); host2 also plays the
segment's IPv6 router, fd00:60::1 (the default gateway_v6 of subnet_v6 fd00:60::/64).
"""

from __future__ import annotations

import json

import pytest

from conftest import run_restore, wait_until
from traffic import connect, ping, serve

HOST1, HOST2 = 'fd00:138::130', 'fd00:138::131'
SUBNET6 = 'fd00:60::/64'
ROUTER6 = 'fd00:60::1'
NET = dict(name='mac6', parent='ens33', subnet='10.0.0.0/24', enable_ipv6=True, subnet_v6=SUBNET6)


def ok(res):
    assert not res.get('failed'), (res.get('msg'), res.get('stderr', '')[-1500:])
    return res


def lan6(h1, h2):
    """IPv6 on both lab ports, and host2 the segment's IPv6 router (its address fd00:60::1 on ens33)."""
    for host, addr in ((h1, HOST1), (h2, HOST2)):
        host.run(['sh', '-c', 'sysctl -qw net.ipv6.conf.ens33.disable_ipv6=0 && ip -6 addr add %s/64 dev ens33 nodad' % addr])
    h2.run(['ip', '-6', 'addr', 'add', ROUTER6 + '/64', 'dev', 'ens33', 'nodad'])
    wait_until(lambda: ping(h1, None, HOST2), 'host1 to reach host2 over IPv6')


def addrs6(host, netns, ifname='eth0'):
    """(address, prefix, tentative?) of the global IPv6 addresses of ifname in netns (None: the host)."""
    cmd = 'ip -j -6 addr show dev %s' % ifname
    out = json.loads((host.netns_run(netns, cmd) if netns else host.run(cmd)).stdout)
    return [(a['local'], a['prefixlen'], bool(a.get('tentative'))) for link in out for a in link['addr_info']
            if a.get('scope') == 'global']


def test_dual_stack_across_two_hosts_the_lan_and_the_shim(two_hosts):
    h1, h2 = two_hosts
    lan6(h1, h2)
    params1 = dict(NET, endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], host_shim={'ip': '10.0.0.250', 'ipv6_address': 'fd00:60::250'})
    params2 = dict(NET, endpoints=[{'name': 'c2', 'ip': '10.0.0.101', 'ipv6_address': 'fd00:60::101'}])
    before = h1.settled_snapshot()
    check = ok(h1.module('macvlan_net', check_mode=True, **params1))
    assert check['changed'] and h1.settled_snapshot(like=before) == before
    res = ok(h1.module('macvlan_net', diff=True, **params1))
    assert len(res['commands']) == len(check['commands'])  # the same steps (the network id in the shim's name is new)
    ok(h2.module('macvlan_net', **params2))
    doc = res['after']
    assert (doc['enable_ipv6'], doc['subnet_v6'], doc['gateway_v6']) == (True, SUBNET6, ROUTER6)
    # The endpoint's address is the lowest free one (::1 is the router's), usable at once; its sysctls.
    assert doc['endpoints']['c1']['ip6'] == 'fd00:60::2' and doc['host_shim']['ip6'] == 'fd00:60::250'
    assert addrs6(h1, 'c1') == [('fd00:60::2', 64, False)]
    for key, want in (('accept_ra', '0'), ('disable_ipv6', '0'), ('accept_dad', '0')):
        assert h1.netns_run('c1', 'cat /proc/sys/net/ipv6/conf/eth0/%s' % key).stdout.strip() == want
    assert h1.netns_run('c1', 'ip -6 route show default').stdout.startswith('default via %s dev eth0' % ROUTER6)
    # The router address is the LAN's: the collection added it nowhere on host1.
    assert ROUTER6 not in h1.run('ip -6 addr').stdout
    net = res['network']
    assert net['EnableIPv6'] and net['IPAM']['Config'][1] == {'Subnet': SUBNET6, 'Gateway': ROUTER6}
    assert [c['IPv6Address'] for c in net['Containers'].values()] == ['fd00:60::2/64']
    assert net['Options']['hostnet.containers.host_shim_ip6'] == 'fd00:60::250'
    shim = net['Options']['hostnet.containers.host_shim']
    assert addrs6(h1, None, shim) == [('fd00:60::250', 64, False)]
    assert 'fd00:60::/64 dev %s' % shim in h1.run('ip -6 route show %s' % SUBNET6).stdout
    # Packets over IPv6: across the segment both ways, a TCP connection across hosts, the LAN host through the
    # segment's router, the host and its container through the shim.
    assert ping(h1, 'c1', 'fd00:60::101') and ping(h2, 'c2', 'fd00:60::2')
    serve(h2, 'c2', 8080, family=6)
    assert connect(h1, 'c1', 'fd00:60::101', 8080) == 'c2 fd00:60::2'
    assert ping(h1, 'c1', HOST2), 'c1 reaches the LAN host through gateway_v6'
    assert ping(h1, None, 'fd00:60::2') and ping(h1, 'c1', 'fd00:60::250')
    serve(h1, 'c1', 8081, family=6)
    assert connect(h1, None, 'fd00:60::2', 8081) == 'c1 fd00:60::250', 'the host connects through its shim'
    assert ping(h1, 'c1', '10.0.0.101'), 'IPv4 still works beside IPv6'
    # A rerun changes nothing; drift (the address and the route removed by hand) is repaired.
    again = ok(h1.module('macvlan_net', **params1))
    assert not again['changed'] and again['commands'] == []
    h1.netns_run('c1', 'ip -6 addr flush dev eth0 scope global')
    h1.run(['ip', '-6', 'addr', 'del', 'fd00:60::250/64', 'dev', shim])
    fixed = ok(h1.module('macvlan_net', **params1))
    assert fixed['changed'] and addrs6(h1, 'c1') == [('fd00:60::2', 64, False)]
    # c1 resolves c2 again (its neighbour entry went with the address): awaited, as on a loaded machine it takes a while.
    wait_until(lambda: ping(h1, 'c1', 'fd00:60::101'), 'c1 to reach c2 over IPv6 after the repair')
    wait_until(lambda: ping(h1, None, 'fd00:60::2'), 'the shim to have its IPv6 address (and the route) back')
    # Removal leaves nothing of the network.
    ok(h1.module('macvlan_net', name='mac6', state='absent', force=True))
    assert shim not in h1.run('ip -o link').stdout and 'fd00:60::' not in h1.run('ip -6 route').stdout


def test_ipv6_only_network_and_modes(host):
    host.run(['sysctl', '-qw', 'net.ipv6.conf.ens33.disable_ipv6=0'])
    params = dict(name='only6', parent='ens33', enable_ipv4=False, enable_ipv6=True, subnet_v6='fd00:61::/64',
                  ip_range_v6='fd00:61::100/120', host_shim={}, endpoints=[{'name': 'a'}, {'name': 'b'}])
    res = ok(host.module('macvlan_net', **params))
    doc = res['after']
    assert doc['subnet'] is None and doc['enable_ipv4'] is False
    assert [doc['endpoints'][n]['ip6'] for n in ('a', 'b')] == ['fd00:61::100', 'fd00:61::101']
    assert doc['host_shim']['ip'] is None and doc['host_shim']['ip6'] == 'fd00:61::102'
    assert res['network']['IPAM']['Config'] == [{'Subnet': 'fd00:61::/64', 'Gateway': 'fd00:61::1', 'IPRange': 'fd00:61::100/120'}]
    assert host.netns_run('a', 'ip -4 addr show dev eth0').stdout.strip() == ''
    assert ping(host, 'a', 'fd00:61::101') and ping(host, None, 'fd00:61::100')
    assert not ok(host.module('macvlan_net', **params))['changed']
    # Private mode: the endpoints of one parent do not talk over IPv6 either.
    ok(host.module('macvlan_net', name='priv6', parent='ens33', mode='private', enable_ipv4=False, enable_ipv6=True,
                   subnet_v6='fd00:62::/64', endpoints=[{'name': 'p'}, {'name': 'q'}]))
    assert not ping(host, 'p', 'fd00:62::3')


@pytest.mark.parametrize('params,option,text', [
    ({'subnet_v6': 'fd00:60::/127'}, 'subnet_v6', 'is too small'),
    ({'gateway_v6': 'fd00:99::1'}, 'gateway_v6', 'not inside subnet'),
    ({'subnet_v6': '10.9.0.0/24'}, 'subnet_v6', 'IPv4 network; this option takes IPv6'),
    ({'subnet': 'fd00:70::/64'}, 'subnet', 'IPv6 network; this option takes IPv4'),
    ({'subnet_v6': 'fd00::/16'}, 'subnet_v6', "overlaps subnet_v6 fd00:60::/64 of network 'mac6'"),
    ({'enable_ipv6': False}, 'subnet_v6', 'needs enable_ipv6: true'),
    ({'endpoints': [{'name': 'b1', 'ipv6_address': '10.0.0.5'}]}, 'endpoints[0].ipv6_address', 'IPv4 address'),
    ({'host_shim': {'ipv6_address': 'fd00:99::5'}}, 'host_shim.ipv6_address', 'not inside subnet'),
    ({'enable_ipv4': False, 'host_shim': {'ip': '10.0.1.5'}}, 'host_shim.ip', 'needs enable_ipv4: true'),
])
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_bad_input_names_option_and_value_and_changes_nothing(host, params, option, text):
    ok(host.module('macvlan_net', **dict(NET, endpoints=[{'name': 'c1'}])))
    before = host.settled_snapshot()
    args = dict(name='bad', parent='ens33', subnet='10.0.1.0/24', enable_ipv6=True, subnet_v6='fd00:63::/64', endpoints=[{'name': 'b1'}])
    args.update(params)
    if args.get('enable_ipv4') is False:
        args.pop('subnet')
    res = host.module('macvlan_net', **args)
    assert res.get('failed') and res['msg'].startswith(option + ' '), res
    assert text in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before


@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_ipv6_disabled_on_the_host_is_refused(host):
    host.run('sysctl -qw net.ipv6.conf.all.disable_ipv6=1')  # the emulated host's own namespace
    try:
        before = host.settled_snapshot()
        res = host.module('macvlan_net', **dict(NET, endpoints=[{'name': 'c1'}]))
        assert res.get('failed') and res['msg'].startswith('enable_ipv6 ') and 'IPv6 is disabled on this host' in res['msg'], res
        assert host.settled_snapshot(like=before) == before
    finally:
        host.run('sysctl -qw net.ipv6.conf.all.disable_ipv6=0')


def test_ipv6_macvlan_comes_back_after_a_reboot(lab_factory):
    spec = {'host1': {'address': '10.138.3.130/24'}}
    host = lab_factory(spec)['host1']
    ok(host.module('macvlan_net', **dict(NET, host_shim={}, endpoints=[{'name': 'c1'}, {'name': 'c2', 'ipv6_address': 'fd00:60::20'}])))
    host.lab.down(keep_state=True)
    host.lab.up(spec)
    run_restore(host)
    assert addrs6(host, 'c2') == [('fd00:60::20', 64, False)]
    assert ping(host, 'c1', 'fd00:60::20') and ping(host, None, 'fd00:60::20')
    again = json.loads(run_restore(host, '--json'))
    assert again['changed'] is False and again['failed'] == [], again


def test_passthru_endpoint_with_ipv6(host):
    # The parent is one end of a veth pair made for the test inside the emulated host; its peer talks to the endpoint.
    host.run('ip link add pt0 type veth peer name pt0p && ip link set pt0 up && ip link set pt0p up')
    host.run(['ip', '-6', 'addr', 'add', 'fd00:64::fe/64', 'dev', 'pt0p', 'nodad'])
    params = dict(name='pt6', parent='pt0', mode='passthru', subnet='10.5.0.0/24', enable_ipv6=True, subnet_v6='fd00:64::/64',
                  endpoints=[{'name': 'x'}])
    res = ok(host.module('macvlan_net', **params))
    assert res['after']['endpoints']['x']['ip6'] == 'fd00:64::2'
    assert 'macvlan mode passthru' in host.netns_run('x', 'ip -d -o link show eth0').stdout
    assert addrs6(host, 'x') == [('fd00:64::2', 64, False)]
    assert ping(host, 'x', 'fd00:64::fe') and ping(host, None, 'fd00:64::2')
    assert not ok(host.module('macvlan_net', **params))['changed']
