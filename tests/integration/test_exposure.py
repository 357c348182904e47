# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Exposure as Docker 28 has it, proven with packets on both backends: a LAN neighbour that routes the container
subnet through the host reaches only what each gateway_mode_ipv4 and trusted_host_interfaces let through.

host1 (10.138.3.130) runs the containers; host2 (10.138.3.131) is the neighbour, with a route to the subnet via host1.
"""

from __future__ import annotations

import pytest

from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # the firewall backends' commands, no netlink request of their own: see conftest.py

HOST1 = '10.138.3.130'
HOST2 = '10.138.3.131'
SUBNET = '10.50.0.0/24'
WEB = '10.50.0.2'
ENDPOINTS = [{'name': 'web', 'ip': WEB, 'publish': ['8080:80']}, {'name': 'sibling', 'ip': '10.50.0.3'}]


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def exposed(h1, h2):
    """What reaches web from where: {what: answered?}."""
    return {'neighbour ping': ping(h2, None, WEB),
            'neighbour unpublished': connect(h2, None, WEB, 81, timeout=1) is not None,
            'neighbour container port': connect(h2, None, WEB, 80, timeout=1),
            'neighbour host port': connect(h2, None, HOST1, 8080, timeout=1),
            'host unpublished': connect(h1, None, WEB, 81) is not None,
            'sibling unpublished': connect(h1, 'sibling', WEB, 81) is not None}


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_neighbour_routing_to_the_subnet_per_gateway_mode(two_hosts, backend):
    h1, h2 = two_hosts

    def bridge(check_mode=False, **options):
        return ok(h1.module('docker_bridge', check_mode=check_mode, name='exp', subnet=SUBNET, firewall_backend=backend,
                            endpoints=ENDPOINTS, **options))

    bridge()
    serve(h1, 'web', 80)
    serve(h1, 'web', 81)
    h2.run('ip route add %s via %s' % (SUBNET, HOST1))
    # nat (the default): only the published port, through the host's address; the host and the network's own
    # containers reach every port.
    assert exposed(h1, h2) == {'neighbour ping': False, 'neighbour unpublished': False, 'neighbour container port': None,
                               'neighbour host port': 'web %s' % HOST2, 'host unpublished': True, 'sibling unpublished': True}
    # A trusted interface reaches the published container port at the container's address; the rest stays closed.
    bridge(trusted_host_interfaces=['ens33'])
    got = exposed(h1, h2)
    assert (got['neighbour container port'], got['neighbour unpublished'], got['neighbour ping']) == ('web %s' % HOST2, False, False)
    # nat-unprotected: direct routing to every port, as Docker 27.
    bridge(gateway_mode_ipv4='nat-unprotected')
    got = exposed(h1, h2)
    assert got['neighbour ping'] and got['neighbour unpublished'] and got['neighbour host port'] == 'web %s' % HOST2
    # routed: the published container port at the container's own address (no NAT: the server sees host2), nothing else
    # but ICMP; the host port is not used.  Check mode says so first and changes nothing.
    assert bridge(check_mode=True, gateway_mode_ipv4='routed')['changed']
    assert connect(h2, None, WEB, 81, timeout=1) is not None
    assert bridge(gateway_mode_ipv4='routed')['changed']
    assert exposed(h1, h2) == {'neighbour ping': True, 'neighbour unpublished': False, 'neighbour container port': 'web %s' % HOST2,
                               'neighbour host port': None, 'host unpublished': True, 'sibling unpublished': True}
    assert not bridge(gateway_mode_ipv4='routed')['changed']
    # Back to nat: the protection is back.
    bridge()
    assert not ping(h2, None, WEB) and connect(h2, None, WEB, 80, timeout=1) is None
    # isolated (internal only): not even the host is on the network.
    res = h1.module('docker_bridge', name='iso', firewall_backend=backend, gateway_mode_ipv4='isolated', endpoints=[{'name': 'vault'}])
    assert res.get('failed') and "gateway_mode_ipv4 'isolated': needs internal: true" in res['msg']
    res = ok(h1.module('docker_bridge', name='iso', firewall_backend=backend, internal=True, gateway_mode_ipv4='isolated',
                       endpoints=[{'name': 'vault'}]))
    doc = res['after']
    assert h1.run('ip -4 -o addr show dev %s' % doc['bridge']).stdout.strip() == ''
    assert not ping(h1, None, doc['endpoints']['vault']['ip'])
