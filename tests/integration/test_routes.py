# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A network's extra routes and no_default_route (podman's --route and no_default_route), in emulated hosts.

Which route a packet takes is read from the kernel (``ip route get`` inside the container: the gateway and the
device it picks) and proven by packets to an address that only that route reaches: a container on a second
network behind a router container (bridge), and an address of another LAN host that only it routes (macvlan).
"""

from __future__ import annotations

import json

import pytest

import traffic

pytestmark = pytest.mark.once  # route requests are struct-encoded (_kernel_codec.route_request), not pyroute2's

# c (10.41.0.2) reaches far (192.168.77.1, fd00:77::1), a namespace behind r, a container of the network that
# forwards to it (r, the routes' gateway, does not get them itself).
FRONT = dict(name='front', subnet='10.41.0.0/24', enable_ipv6=True, subnet_v6='fd00:41::/64')
BACK = dict(name='back', subnet='10.43.0.0/24')
TO_FAR = [{'destination': '192.168.77.0/24', 'gateway': '10.41.0.5'}, {'destination': 'fd00:77::/64', 'gateway': 'fd00:41::5'}]
FAR_SETUP = """
ip netns add far
ip link add far0 netns r type veth peer name eth0 netns far
ip netns exec r sysctl -qw net.ipv6.conf.far0.accept_dad=0; ip netns exec far sysctl -qw net.ipv6.conf.eth0.accept_dad=0
ip -n r addr add 192.168.77.254/24 dev far0; ip -n r addr add fd00:77::fe/64 dev far0 nodad; ip -n r link set far0 up
ip -n far addr add 192.168.77.1/24 dev eth0; ip -n far addr add fd00:77::1/64 dev eth0 nodad; ip -n far link set eth0 up
ip -n far route add 10.41.0.0/24 via 192.168.77.254; ip -n far route add fd00:41::/64 via fd00:77::fe
ip netns exec r sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
"""
ON_LINK = {'destination': '198.51.100.0/24', 'metric': 50}


def ok(res):
    assert not res.get('failed'), res
    return res


def converged(host, module, **params):
    """Run a module in check mode, then for real, then again: check mode predicts the run, the rerun changes nothing."""
    check = ok(host.module(module, check_mode=True, **params))
    res = ok(host.module(module, **params))
    # (A new network's id, so its bridge's name, is drawn again by each run: the route steps are compared.)
    assert check['changed'] == res['changed'] and route_steps(check) == route_steps(res), (check['commands'], res['commands'])
    again = ok(host.module(module, **params))
    assert not again['changed'] and again['commands'] == [], again
    return res


def route_steps(res):
    return [c for c in res['commands'] if 'route' in c]


def ep(name, ip, ip6):
    return {'name': name, 'ip': ip, 'ipv6_address': ip6}


def route_get(host, netns, ip):
    """The route the container's kernel picks for ``ip`` ({dst, gateway, dev, ...}; None: unreachable)."""
    res = host.netns_run(netns, ['ip', '-j', 'route', 'get', ip], check=False)
    return json.loads(res.stdout)[0] if res.returncode == 0 else None


def default_routes(host, netns, family=4):
    return host.netns_run(netns, 'ip -%d route show default' % family).stdout.strip()


def test_bridge_routes_through_a_router_container_v4_and_v6(host):
    res = converged(host, 'docker_bridge', routes=TO_FAR + [ON_LINK],
                    endpoints=[ep('c', '10.41.0.2', 'fd00:41::2'), ep('r', '10.41.0.5', 'fd00:41::5')], **FRONT)
    assert 'add route 192.168.77.0/24 via 10.41.0.5 dev eth0 metric 100 in c' in res['commands']
    assert 'add route fd00:77::/64 via fd00:41::5 dev eth0 metric 100 in c' in res['commands']
    assert not [c for c in res['commands'] if ' via ' in c and c.endswith(' in r')], res['commands']
    host.run(['sh', '-ec', FAR_SETUP])

    # The kernel picks the network's route: through r, by the container's interface on the network.
    got = route_get(host, 'c', '192.168.77.1')
    assert (got['gateway'], got['dev']) == ('10.41.0.5', 'eth0'), got
    got = route_get(host, 'c', 'fd00:77::1')
    assert (got['gateway'], got['dev']) == ('fd00:41::5', 'eth0'), got
    # The on-link route: no gateway, the network's interface, the metric asked.
    got = route_get(host, 'c', '198.51.100.7')
    assert 'gateway' not in got and got['dev'] == 'eth0', got
    assert '198.51.100.0/24 dev eth0 proto static scope link metric 50' in host.netns_run('c', 'ip -4 route').stdout
    # Packets through r: only the routes reach far (the host has no route to it).
    # The first packets through r wait on neighbour resolution on both hops of a path just made.
    assert traffic.reaches(host, 'c', '192.168.77.1')
    assert traffic.reaches(host, 'c', 'fd00:77::1')

    # Without the IPv4 route, c's packets to far go to the host's gateway, which has no way there.
    res = converged(host, 'docker_bridge', routes=[TO_FAR[1], ON_LINK],
                    endpoints=[ep('c', '10.41.0.2', 'fd00:41::2'), ep('r', '10.41.0.5', 'fd00:41::5')], **FRONT)
    # Only the route changes (and the document that records it), nothing else.
    assert res['commands'] == ['write network state front', 'remove route 192.168.77.0/24 via 10.41.0.5 dev eth0 metric 100 in c'], res['commands']
    assert route_get(host, 'c', '192.168.77.1')['gateway'] == '10.41.0.1'
    assert not traffic.ping(host, 'c', '192.168.77.1')
    assert traffic.ping(host, 'c', 'fd00:77::1')

    # A gateway of the network changed in place (the same destination and metric): replaced.
    moved = [{'destination': 'fd00:77::/64', 'gateway': 'fd00:41::6'}, ON_LINK]
    res = converged(host, 'docker_bridge', routes=moved, endpoints=[ep('c', '10.41.0.2', 'fd00:41::2')], **FRONT)
    assert res['commands'] == ['write network state front', 'remove route fd00:77::/64 via fd00:41::5 dev eth0 metric 100 in c',
                               'add route fd00:77::/64 via fd00:41::6 dev eth0 metric 100 in c'], res['commands']
    assert route_get(host, 'c', 'fd00:77::1')['gateway'] == 'fd00:41::6'

    # The restore at boot rebuilds them (the document keeps the routes).
    doc = json.loads(host.run(['cat', '/var/lib/hostnet/networks/front.json']).stdout)
    assert doc['routes'][0] == {'destination': 'fd00:77::/64', 'gateway': 'fd00:41::6', 'metric': 100}
    host.netns_run('c', 'ip -6 route del fd00:77::/64')
    # With endpoints not listed every container is checked: c's route put back, and r (the old gateway, left out of the
    # run above that listed only c) gets the route through the new one.
    res = ok(host.module('docker_bridge', routes=moved, **FRONT))
    assert res['commands'] == ['add route fd00:77::/64 via fd00:41::6 dev eth0 metric 100 in c',
                               'add route fd00:77::/64 via fd00:41::6 dev eth0 metric 100 in r'], res['commands']


def test_no_default_route_and_the_election(two_hosts):
    host, lan = two_hosts
    to_lan = [{'destination': '10.138.3.0/24', 'gateway': '10.41.0.1'}]
    front = dict(FRONT, no_default_route=True, routes=to_lan)
    converged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.41.0.2'}], **front)
    # No default route through the network, in either family; its subnet and its routes still work.
    assert default_routes(host, 'c', 4) == '' and default_routes(host, 'c', 6) == ''
    assert route_get(host, 'c', '192.0.2.1') is None
    got = route_get(host, 'c', lan.address)
    assert (got['gateway'], got['dev']) == ('10.41.0.1', 'eth0'), got
    assert traffic.reaches(host, 'c', lan.address)  # only the extra route reaches the LAN host
    assert not traffic.ping(host, 'c', '192.0.2.1')

    # A second network gives the default route, though front was joined first.
    converged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.43.0.2'}], **BACK)
    assert default_routes(host, 'c').startswith('default via 10.43.0.1 dev eth1')
    assert route_get(host, 'c', lan.address)['gateway'] == '10.41.0.1'  # the extra route stays the more specific one

    # front gives the default route again when the option goes (first connected), and takes it back off when it returns.
    front_default = {**front, 'no_default_route': False, 'endpoints': [{'name': 'c', 'ip': '10.41.0.2'}]}
    res = converged(host, 'docker_bridge', **front_default)
    assert 'set default route via 10.41.0.1 dev eth0 in c' in res['commands']
    assert default_routes(host, 'c').startswith('default via 10.41.0.1 dev eth0')
    res = converged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.41.0.2'}], **front)
    assert res['commands'] == ['write network state front', 'set default route via 10.43.0.1 dev eth1 in c',
                               'remove default route via fd00:41::1 from c (none of its networks gives one)'], res['commands']
    assert default_routes(host, 'c', 6) == ''
    assert default_routes(host, 'c').startswith('default via 10.43.0.1 dev eth1')


def test_macvlan_route_to_an_address_only_a_lan_host_routes(two_hosts):
    host, lan = two_hosts
    lan.run(['sh', '-ec', 'ip addr add 192.168.99.1/32 dev lo; ip addr add fd00:99::1/128 dev lo; '
                          'ip addr add fd00:60::131/64 dev ens33 nodad'])
    routes = [{'destination': '192.168.99.0/24', 'gateway': lan.address}, {'destination': 'fd00:99::/64', 'gateway': 'fd00:60::131'}]
    params = dict(name='mac', parent='ens33', subnet='10.138.3.0/24', gateway='10.138.3.1', enable_ipv6=True, subnet_v6='fd00:60::/64',
                  routes=routes, endpoints=[{'name': 'm', 'ip': '10.138.3.140', 'ipv6_address': 'fd00:60::140'}])
    converged(host, 'macvlan_net', **params)
    got = route_get(host, 'm', '192.168.99.1')
    assert (got['gateway'], got['dev']) == (lan.address, 'eth0'), got
    got = route_get(host, 'm', 'fd00:99::1')
    assert (got['gateway'], got['dev']) == ('fd00:60::131', 'eth0'), got
    assert traffic.reaches(host, 'm', '192.168.99.1')
    assert traffic.reaches(host, 'm', 'fd00:99::1')
    # The network's default route (10.138.3.1, fd00:60::1: no such routers) does not reach them.
    without = {**params, 'routes': []}
    converged(host, 'macvlan_net', **without)
    assert route_get(host, 'm', '192.168.99.1')['gateway'] == '10.138.3.1'
    assert route_get(host, 'm', 'fd00:99::1')['gateway'] == 'fd00:60::1'
    assert not traffic.ping(host, 'm', '192.168.99.1')
    # no_default_route on the only network: no default route at all, in either family.
    no_default = {**params, 'no_default_route': True}
    converged(host, 'macvlan_net', **no_default)
    assert default_routes(host, 'm') == '' and default_routes(host, 'm', 6) == ''
    assert traffic.ping(host, 'm', 'fd00:99::1')


@pytest.mark.parametrize('routes, option, words', [
    ([{'destination': '10.99.0.0/24', 'gateway': '10.50.0.1'}], 'routes[0].gateway', 'outside every subnet of the network'),
    ([{'destination': '10.99.0.300/24'}], 'routes[0].destination', 'is not a CIDR'),
    ([{'destination': '10.99.0.0'}], 'routes[0].destination', 'is not a CIDR'),
    ([{'destination': '10.99.0.0/24', 'metric': 0}], 'routes[0].metric', 'must be an integer from 1'),
    ([{'destination': 'fd00:99::/64'}], 'routes[0].destination', 'the network has no IPv6 subnet'),
])
def test_bad_routes_change_nothing(host, routes, option, words):
    ok(host.module('docker_bridge', name='bad', subnet='10.44.0.0/24', endpoints=[{'name': 'c'}]))
    before = host.settled_snapshot()
    for check_mode in (True, False):
        res = host.module('docker_bridge', check_mode=check_mode, name='bad', subnet='10.44.0.0/24', routes=routes, endpoints=[{'name': 'c'}])
        assert res.get('failed') and option in res['msg'] and words in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_overlay_routes_through_a_container_on_the_other_host(two_hosts):
    """The overlay driver is the bridge driver's planner path: a route via a container of the overlay on the other host."""
    hosts = dict(zip(('host1', 'host2'), two_hosts))
    placement = {'o1': ('host1', '10.60.0.2'), 'o2': ('host2', '10.60.0.3')}
    net = {'name': 'ovr', 'vni': 4200, 'subnet': '10.60.0.0/24', 'no_default_route': True,
           'routes': [{'destination': '192.168.88.0/24', 'gateway': '10.60.0.3'}]}
    peers = [{'host': name, 'underlay_ip': host.address} for name, host in sorted(hosts.items())]
    for name, host in hosts.items():
        converged(host, 'overlay_net', peers=peers, underlay_interface='ens33',
                  endpoints=[{'name': c, 'ip': ip} for c, (h, ip) in placement.items() if h == name],
                  remote_endpoints=[{'name': c, 'ip': ip, 'host': h} for c, (h, ip) in placement.items() if h != name], **net)
    hosts['host2'].netns_run('o2', 'ip addr add 192.168.88.1/32 dev lo')
    got = route_get(hosts['host1'], 'o1', '192.168.88.1')
    assert (got['gateway'], got['dev']) == ('10.60.0.3', 'eth0'), got
    assert default_routes(hosts['host1'], 'o1') == ''
    assert traffic.reaches(hosts['host1'], 'o1', '192.168.88.1')
