# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MTU and sysctls that stick (issue 27, item 8), inside emulated hosts: a new network takes the MTU of the host's
default-route interface, and keeps it."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.once  # the route and link reads are the collection's own codec; the requests are docker_bridge's


def ok(res):
    assert not res.get('failed'), res
    return res


def mtu_of(host, ifname, netns=None):
    argv = 'ip -o link show %s' % ifname
    out = host.netns_run(netns, argv).stdout if netns else host.run(argv.split()).stdout
    return int(re.search(r' mtu (\d+) ', out).group(1))


def test_a_new_network_takes_the_uplink_mtu_and_keeps_it(host):
    # The emulated host's uplink (ens33) at 1450 with the default route through it, as on a VPN or a cloud NIC.
    host.run(['ip', 'link', 'set', 'ens33', 'mtu', '1450'])
    host.run(['ip', 'route', 'add', 'default', 'via', '10.138.3.1', 'dev', 'ens33'])
    check = ok(host.module('docker_bridge', check_mode=True, name='net1', endpoints=[{'name': 'c1'}]))
    assert check['changed'] and check['after']['mtu'] == 1450
    res = ok(host.module('docker_bridge', name='net1', endpoints=[{'name': 'c1'}]))
    assert res['after']['mtu'] == 1450 and res['network']['Options']['com.docker.network.driver.mtu'] == '1450'
    bridge = res['after']['bridge']
    veth = res['after']['endpoints']['c1']['veth']
    assert (mtu_of(host, bridge), mtu_of(host, veth), mtu_of(host, 'eth0', 'c1')) == (1450, 1450, 1450)
    # Packets: the container sends a full 1450-byte frame to its gateway unfragmented (DF set), and one byte more is
    # refused by its own interface.
    gateway = res['after']['gateway']
    assert host.netns_run('c1', 'ping -c1 -W2 -M do -s 1422 %s' % gateway).returncode == 0
    assert host.netns_run('c1', 'ping -c1 -W2 -M do -s 1423 %s' % gateway, check=False).returncode != 0
    # The uplink changing later moves nothing: the network keeps the MTU it was made with.
    host.run(['ip', 'link', 'set', 'ens33', 'mtu', '1500'])
    again = ok(host.module('docker_bridge', name='net1', endpoints=[{'name': 'c1'}]))
    assert not again['changed'] and again['after']['mtu'] == 1450, again
    assert mtu_of(host, bridge) == 1450
    # An mtu given wins, and changes the links.
    given = ok(host.module('docker_bridge', name='net1', mtu=1400, endpoints=[{'name': 'c1'}]))
    assert given['changed'] and given['after']['mtu'] == 1400 and mtu_of(host, 'eth0', 'c1') == 1400


def test_without_a_default_route_a_new_network_gets_1500(host):
    host.run(['ip', 'link', 'set', 'ens33', 'mtu', '1450'])  # no default route: the uplink is not the default route's
    res = ok(host.module('docker_bridge', name='net2', endpoints=[{'name': 'c2'}]))
    assert res['after']['mtu'] == 1500 and mtu_of(host, 'eth0', 'c2') == 1500
