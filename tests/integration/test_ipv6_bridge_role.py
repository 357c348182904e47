# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge_network role in IPv6 by ansible-playbook on an emulated host (host1), host2 the IPv6 LAN neighbour:
docker0 with --ipv6 --fixed-cidr-v6, a dual-stack network with a container's --ip6, an IPv6-only network whose
/64 comes from an IPv6 default address pool, and a published port reached from host2 over IPv6."""

from __future__ import annotations

import json

import pytest

from test_ipv6_firewall import HOST1, HOST2, add_ipv6
from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # see conftest.py

CONFIG = {
    'bridge_network_ipv6': True,
    'bridge_network_fixed_cidr_v6': 'fd00:17::/64',
    'bridge_network_default_address_pools': [{'base': '10.210.0.0/16', 'size': 24}, {'base': 'fd12:3456::/48', 'size': 64}],
    'bridge_network_networks': [{'name': 'web', 'enable_ipv6': True, 'subnet_v6': 'fd00:db8:1::/64'},
                                {'name': 'only6', 'enable_ipv4': False, 'enable_ipv6': True}],
    'bridge_network_containers': [
        {'name': 'site', 'networks': [{'name': 'web', 'ip6': 'fd00:db8:1::10'}], 'publish': ['8080:80']},
        {'name': 'd0'},
        {'name': 'a6', 'networks': ['only6']},
        {'name': 'b6', 'networks': [{'name': 'only6', 'ipv6_address': 'fd12:3456::20'}]},
    ],
}


def addrs6(host, netns):
    return host.run(['ip', '-n', netns, '-6', '-o', 'addr', 'show', 'scope', 'global']).stdout


def test_ipv6_networks_containers_and_a_publish_from_the_lan(two_hosts, run_role):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    rc, out, recap = run_role('bridge_network', {'host1': CONFIG}, only=('host1',))
    assert rc == 0, out
    assert 'fd00:db8:1::10/64' in addrs6(h1, 'site') and 'fd00:17::2/64' in addrs6(h1, 'd0')
    assert 'fd12:3456::2/64' in addrs6(h1, 'a6') and 'fd12:3456::20/64' in addrs6(h1, 'b6')
    # IPv6-only: no IPv4 address on a6's interface.
    assert 'inet ' not in h1.run(['ip', '-n', 'a6', '-4', '-o', 'addr', 'show', 'dev', 'eth0']).stdout
    only6 = json.loads(h1.run('cat /var/lib/hostnet/networks/only6.json').stdout)
    assert only6['subnet_v6'] == 'fd12:3456::/64' and only6.get('enable_ipv4') is False
    assert ping(h1, 'a6', 'fd12:3456::20') and ping(h1, 'site', 'fd00:db8:1::1')
    pid = serve(h1, 'site', 80, tag='site', family=6)
    try:
        # Published on [::] too: the IPv6 LAN host reaches it at host1's IPv6 address, its own address kept.
        assert connect(h2, None, HOST1, 8080) == 'site %s' % HOST2
    finally:
        h1.run(['kill', str(pid)], check=False)
    # A second run changes nothing.
    rc, out, recap = run_role('bridge_network', {'host1': CONFIG}, only=('host1',))
    assert rc == 0 and recap['host1']['changed'] == 0, out
