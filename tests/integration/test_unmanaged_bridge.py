# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docker_bridge unmanaged: containers on the user's own LAN bridge, proven with packets.  Inside host1 (an emulated
host, never the machine) br0 takes ens33's address and enslaves it, as a real host's network configuration would; a
container on br0 reaches host2, the LAN host, and host2 reaches it, while br0's addresses and settings and the host's
firewall stay exactly as the user left them, from before the apply to after the teardown."""

from __future__ import annotations

import json

import pytest

from conftest import run_restore, wait_until
from traffic import connect, ping, reaches, serve

pytestmark = pytest.mark.once  # the veths join an existing bridge by the requests every bridge test sends

HOST1, HOST2, ROUTER = '10.138.3.130', '10.138.3.131', '10.138.3.1'
SUBNET = '10.138.3.0/24'
HOST1_V6, HOST2_V6, ROUTER_V6, SUBNET_V6 = 'fd00:138::130', 'fd00:138::131', 'fd00:138::1', 'fd00:138::/64'


def ok(res):
    assert not res.get('failed'), (res.get('msg'), res.get('stderr', '')[-1500:])
    return res


def make_br0(h1, h2=None):
    """br0 with ens33's MAC (a fixed address, as networkd gives it), ens33's address moved to it, ens33 enslaved; with
    ``h2``, IPv6 addresses on br0 and on host2's ens33 too."""
    mac = json.loads(h1.run(['ip', '-j', 'link', 'show', 'ens33']).stdout)[0]['address']
    h1.run(['sh', '-c', 'ip link add br0 address %s type bridge && ip addr del %s/24 dev ens33 && ip link set ens33 master br0 && '
            'ip addr add %s/24 dev br0 && ip link set br0 up' % (mac, HOST1, HOST1)])
    if h2 is not None:
        for host, dev, addr in ((h1, 'br0', HOST1_V6), (h2, 'ens33', HOST2_V6)):
            host.run(['sh', '-c', 'sysctl -qw net.ipv6.conf.%s.disable_ipv6=0 && ip -6 addr add %s/64 dev %s nodad' % (dev, addr, dev)])


def bridge_state(h1):
    """br0's addresses and settings (its link, its bridge options, its ports but the containers' veths) and the
    host's firewall, as the user sees them."""
    link = json.loads(h1.run(['ip', '-d', '-j', 'link', 'show', 'br0']).stdout)[0]
    info = {k: v for k, v in link['linkinfo']['info_data'].items() if not k.endswith('_timer')}
    addrs = [(a['family'], a['local'], a['prefixlen']) for a in json.loads(h1.run(['ip', '-j', 'addr', 'show', 'br0']).stdout)[0]['addr_info']]
    ports = h1.run(['sh', '-c', "ip -o link show master br0 | awk '{print $2}' | grep -v '^veth'"], check=False).stdout
    firewall = h1.run(['sh', '-c', "(iptables-save; ip6tables-save) | grep -v '^#' | sed -E 's/\\[[0-9]+:[0-9]+\\]//'; "
                       "nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'"]).stdout
    forward = h1.run(['cat', '/proc/sys/net/ipv4/ip_forward']).stdout
    return {'forward': forward, 'mtu': link['mtu'], 'address': link['address'], 'flags': link['flags'], 'info': info, 'addrs': addrs, 'ports': ports,
            'firewall': firewall}


def lan(h1, check_mode=False, v6=False, **options):
    params = dict(name='lan', unmanaged=True, bridge_name='br0', subnet=SUBNET, gateway=ROUTER, ip_range='10.138.3.192/27',
                  endpoints=[{'name': 'c1'}, {'name': 'c2', 'ip': '10.138.3.250'}])
    if v6:
        params.update(enable_ipv6=True, subnet_v6=SUBNET_V6, gateway_v6=ROUTER_V6,
                      endpoints=[{'name': 'c1'}, {'name': 'c2', 'ip': '10.138.3.250', 'ipv6_address': 'fd00:138::250'}])
    params.update(options)
    return h1.module('docker_bridge', check_mode=check_mode, diff=True, **params)


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_containers_on_the_users_lan_bridge(two_hosts, backend):
    """Beside a managed network whose rules the backend holds (masquerade, isolation, the direct-routing guard): none
    of them names br0 or the LAN, before, during or after."""
    h1, h2 = two_hosts
    make_br0(h1, h2)
    wait_until(lambda: ping(h1, None, HOST2) and ping(h1, None, HOST2_V6), 'host1 to reach host2 through br0')
    ok(h1.module('docker_bridge', name='other', subnet='10.62.0.0/24', firewall_backend=backend, endpoints=[{'name': 'o1'}]))
    before = bridge_state(h1)
    assert 'HOSTNET' in before['firewall'] or 'hostnet' in before['firewall']

    # Check mode reports the change and makes none.
    snap = h1.settled_snapshot()
    assert ok(lan(h1, check_mode=True, v6=True))['changed']
    assert h1.settled_snapshot(like=snap) == snap

    res = ok(lan(h1, v6=True))
    assert res['changed']
    doc = res['after']
    assert doc['unmanaged'] is True and doc['bridge_created'] is False and doc['firewall'] is False and doc['dns'] is False
    assert doc['endpoints']['c1']['ip'] == '10.138.3.192' and doc['endpoints']['c2']['ip'] == '10.138.3.250'
    assert doc['endpoints']['c1']['ip6'] == 'fd00:138::2' and doc['endpoints']['c2']['ip6'] == 'fd00:138::250'
    assert doc['mtu'] == before['mtu']
    assert not ok(lan(h1, v6=True))['changed'], 'a rerun changes nothing'
    assert not ok(lan(h1, check_mode=True, v6=True))['changed']

    # Nothing of the collection's on br0 or in the firewall while the network exists.
    during = bridge_state(h1)
    assert during == before
    for needle in ('br0', '10.138.3.', 'fd00:138:'):
        assert needle not in during['firewall'], during['firewall']
    route = h1.netns_run('c1', 'ip route show default').stdout
    assert route.startswith('default via %s dev eth0' % ROUTER), route
    route6 = h1.netns_run('c1', 'ip -6 route show default').stdout
    assert route6.startswith('default via %s dev eth0' % ROUTER_V6), route6

    # The container and the LAN host reach each other; the host reaches it through its address on br0.
    assert reaches(h1, 'c1', HOST2)
    assert reaches(h2, None, '10.138.3.192') and reaches(h2, None, '10.138.3.250')
    serve(h1, 'c2', 8080, tag='c2')
    assert connect(h2, None, '10.138.3.250', 8080).split()[0] == 'c2'
    serve(h2, None, 9000, tag='lan')
    assert connect(h1, 'c1', HOST2, 9000).split() == ['lan', '10.138.3.192'], 'the LAN host sees the container itself, no NAT'
    assert ping(h1, None, '10.138.3.192')
    # IPv6 alike, with the addresses of the LAN's IPv6 subnet.
    assert reaches(h1, 'c1', HOST2_V6) and reaches(h2, None, 'fd00:138::250') and reaches(h1, None, 'fd00:138::2')
    serve(h2, None, 9006, tag='lan6', family=6)
    assert connect(h1, 'c2', HOST2_V6, 9006).split() == ['lan6', 'fd00:138::250']

    # The boot-time restore rebuilds a lost endpoint on br0 and adds nothing else either.
    h1.run(['ip', 'netns', 'del', 'c1'])
    wait_until(lambda: not ping(h2, None, '10.138.3.192'), 'c1 to be gone')
    run_restore(h1)
    wait_until(lambda: ping(h2, None, '10.138.3.192'), 'c1 back on br0')
    assert bridge_state(h1) == before

    info = ok(h1.module('network_info', name='lan'))['networks'][0]
    assert info['Driver'] == 'bridge' and info['Options']['com.docker.network.bridge.name'] == 'br0'
    assert info['Options']['hostnet.containers.mode'] == 'unmanaged'
    assert info['IPAM']['Config'] == [{'Subnet': SUBNET, 'Gateway': ROUTER, 'IPRange': '10.138.3.192/27'},
                                      {'Subnet': SUBNET_V6, 'Gateway': ROUTER_V6}]

    # Teardown removes the endpoints only: br0 is the user's, as it was.
    assert ok(h1.module('docker_bridge', name='lan', state='absent', force=True))['changed']
    assert bridge_state(h1) == before
    assert h1.run(['ls', '/var/lib/hostnet/networks']).stdout.split() == ['other.json']
    assert ping(h1, 'o1', HOST2), 'the managed network beside it still works'
    assert ping(h1, None, HOST2)


BAD = [
    ({'bridge_name': 'br9'}, "bridge_name 'br9'", 'has no interface br9'),
    ({'bridge_name': 'ens33'}, "bridge_name 'ens33'", 'not a bridge'),
    ({'bridge_name': None}, 'bridge_name', 'needs the name of an existing bridge'),
    ({'subnet': None}, 'subnet', "needs the LAN's subnet"),
    ({'dns': True}, 'dns', 'name server'),
    ({'endpoints': [{'name': 'c1', 'publish': ['8080:80']}]}, 'endpoints[0].publish', 'cannot publish ports'),
    ({'internal': True}, 'internal', 'no address, NAT or firewall rule'),
    ({'endpoints': [{'name': 'c1', 'ip': HOST1}]}, 'endpoints[c1].ip', 'the host, on br0'),
    ({'mtu': 1400}, 'mtu 1400', 'has the MTU of its bridge br0 (1500)'),
]


@pytest.mark.parametrize('options, option, message', BAD, ids=[b[1] for b in BAD])
def test_bad_input_changes_nothing(host, options, option, message):
    h1 = host
    make_br0(h1)
    snap = h1.settled_snapshot()
    for check_mode in (True, False):
        res = lan(h1, check_mode=check_mode, **options)
        assert res.get('failed') and option in res['msg'] and message in res['msg'], res.get('msg')
        assert h1.settled_snapshot(like=snap) == snap


def test_unmanaged_cannot_change(host):
    h1 = host
    make_br0(h1)
    ok(h1.module('docker_bridge', name='lan', subnet='10.61.0.0/24', endpoints=[{'name': 'c1'}]))
    snap = h1.settled_snapshot()
    res = lan(h1)
    assert res.get('failed') and 'unmanaged True:' in res['msg'] and 'cannot change' in res['msg'], res['msg']
    assert h1.settled_snapshot(like=snap) == snap
    ok(h1.module('docker_bridge', name='lan', state='absent', force=True))
    ok(lan(h1))
    res = h1.module('docker_bridge', name='lan', bridge_name='br0', subnet=SUBNET, endpoints=[{'name': 'c1'}])
    assert res.get('failed') and 'unmanaged False:' in res['msg'], res['msg']


def test_the_bridge_network_role_puts_containers_on_br0(two_hosts, run_role):
    """The role's networks entry passes unmanaged to docker_bridge: a container on br0 reaches host2, a rerun changes
    nothing, and the role's teardown leaves br0 as it was."""
    h1, h2 = two_hosts
    make_br0(h1)
    wait_until(lambda: ping(h1, None, HOST2), 'host1 to reach host2 through br0')
    before = bridge_state(h1)
    host_vars = {'bridge_network_networks': [{'name': 'lan', 'unmanaged': True, 'bridge_name': 'br0', 'subnet': SUBNET,
                                              'gateway': ROUTER, 'ip_range': '10.138.3.192/27'}],
                 'bridge_network_containers': [{'name': 'nas01', 'networks': [{'name': 'lan', 'ip': '10.138.3.200'}]},
                                               {'name': 'web01'}]}
    rc, out, recap = run_role('bridge_network', {'host1': host_vars}, only=('host1',))
    assert rc == 0, out
    assert reaches(h1, 'nas01', HOST2) and reaches(h2, None, '10.138.3.200')
    rc, out, recap = run_role('bridge_network', {'host1': host_vars}, only=('host1',))
    assert rc == 0 and recap['host1']['changed'] == 0, out
    during = bridge_state(h1)
    assert 'br0' not in during['firewall'] and '10.138.3.' not in during['firewall'], during['firewall']
    rc, out, recap = run_role('bridge_network', {'host1': host_vars}, only=('host1',), bridge_network_state='absent')
    assert rc == 0, out
    assert bridge_state(h1) == before
    assert ping(h1, None, HOST2)


def test_the_container_module_joins_an_unmanaged_network(two_hosts):
    """A container joining through the container module gets its port on br0 the same way; published_ports, which
    would go to that network, is refused by name and changes nothing."""
    h1, h2 = two_hosts
    make_br0(h1)
    wait_until(lambda: ping(h1, None, HOST2), 'host1 to reach host2 through br0')
    ok(lan(h1, endpoints=[]))
    before = bridge_state(h1)
    snap = h1.settled_snapshot()
    res = h1.module('container', name='app01', networks=[{'name': 'lan'}], published_ports=['8080:80'])
    assert res.get('failed') and 'published_ports' in res['msg'] and 'cannot publish ports' in res['msg'], res.get('msg')
    assert h1.settled_snapshot(like=snap) == snap
    res = ok(h1.module('container', name='app01', networks=[{'name': 'lan', 'ipv4_address': '10.138.3.210'}]))
    assert res['changed'] and reaches(h1, 'app01', HOST2) and reaches(h2, None, '10.138.3.210')
    assert not ok(h1.module('container', name='app01', networks=[{'name': 'lan', 'ipv4_address': '10.138.3.210'}]))['changed']
    assert bridge_state(h1) == before
    ok(h1.module('container', name='app01', state='absent'))
    assert bridge_state(h1) == before
