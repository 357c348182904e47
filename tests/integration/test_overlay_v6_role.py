# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay_network role on two emulated hosts that have an IPv6 default route and no IPv4 one: the VTEP comes from
facts (the IPv6 default route's interface and its global address), the IPv6 peers are checked, packets cross."""

from __future__ import annotations

import pytest

from conftest import role_runner
from traffic import ping

pytestmark = pytest.mark.once  # see conftest.py

HOSTS = {'host1': {'address': '10.138.6.130/24'}, 'host2': {'address': '10.138.6.131/24'}}
V6 = {'host1': 'fd00:138::130', 'host2': 'fd00:138::131'}


def test_vtep_from_the_ipv6_default_route(lab_factory, tmp_path, collection_path):
    hosts = lab_factory(HOSTS)
    for name, host in hosts.items():
        # Inside the emulated host only: IPv6 on its lab port and a default route to no router (nothing leaves the lab).
        host.run(['sh', '-c', 'sysctl -qw net.ipv6.conf.ens33.disable_ipv6=0 && ip -6 addr add %s/64 dev ens33 nodad && '
                  'ip -6 route add default via fd00:138::1 dev ens33' % V6[name]])
    run = role_runner(hosts, tmp_path, collection_path)
    host_vars = {h: {'overlay_network_networks': [{'name': 'blue'}], 'overlay_network_containers': [{'name': 'c' + h[-1], 'networks': ['blue']}]}
                 for h in HOSTS}
    rc, out, recap = run('overlay_network', host_vars, overlay_network_verify=True, verbose=True)
    assert rc == 0, out
    assert ('overlay_network_underlay_ip of host host2: probe from the host to fd00:138::131 (ping): reachable as expected'
            in out), 'the IPv6 peer check ran'
    h1, h2 = hosts['host1'], hosts['host2']
    net = next(n for n in h1.module('network_info')['networks'] if n['Name'] == 'blue')
    assert net['Peers'] == [{'Name': 'host2', 'IP': V6['host2']}], net
    net2 = next(n for n in h2.module('network_info')['networks'] if n['Name'] == 'blue')
    c2 = next(ep['IPv4Address'].split('/')[0] for ep in net2['Containers'].values())
    assert ping(h1, 'c1', c2)
    assert '1430' in h1.run(['cat', '/sys/class/net/%s/mtu' % net['Options']['hostnet.containers.vxlan']]).stdout
    rc, out, recap = run('overlay_network', host_vars)
    assert rc == 0 and all(r['changed'] == 0 for r in recap.values()), out
