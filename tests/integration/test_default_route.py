# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The default route of a container on several networks, elected as Docker 28 does, in one emulated host.

Which gateway carries a packet is read from the packet itself: the container connects to a server on the host's
LAN address, outside all its subnets, so the packet leaves by the default route, with the address of that route's
link as its source; the server answers with the source it saw (traffic.serve).  Traffic to the host itself is not
masqueraded, so the source names the elected network.
"""

from __future__ import annotations

import pytest

import traffic

pytestmark = pytest.mark.once  # the route requests are the ones test_docker_bridge sends under both pyroute2: see conftest.py

PORT = 7070
# An internal network (a macvlan network without a parent) and two bridge networks.
INTERNAL = dict(name='inner', subnet='10.30.0.0/24')
FRONT = dict(name='front', subnet='10.31.0.0/24')
BACK = dict(name='back', subnet='10.32.0.0/24')


def ok(res):
    assert not res.get('failed'), res
    return res


def converged(host, module, **params):
    """Run a module, then again: the second run must change nothing."""
    res = ok(host.module(module, **params))
    again = ok(host.module(module, **params))
    assert not again['changed'] and again['commands'] == [], again
    return res


def default_route(host, netns):
    return host.netns_run(netns, 'ip -4 route show default').stdout.strip()


def source_seen(host, netns):
    """The address the host's server saw for a connection from ``netns`` to the host's LAN address (None: no way out)."""
    answer = traffic.connect(host, netns, host.address, PORT)
    return answer.split()[-1] if answer else None


def test_election_across_connect_priority_readdress_and_disconnect(host):
    traffic.serve(host, None, PORT)

    # An internal network joined first gives no default route: nothing outside its subnet is reachable.
    converged(host, 'macvlan_net', endpoints=[{'name': 'c', 'ip': '10.30.0.2'}], **INTERNAL)
    assert default_route(host, 'c') == ''
    assert not traffic.ping(host, 'c', host.address)

    # The first network with a gateway takes it, joined second; a higher priority on the internal one changes nothing.
    converged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.31.0.2'}], **FRONT)
    assert default_route(host, 'c').startswith('default via 10.31.0.1 dev eth1')
    assert source_seen(host, 'c') == '10.31.0.2'
    converged(host, 'macvlan_net', endpoints=[{'name': 'c', 'ip': '10.30.0.2', 'gw_priority': 100}], **INTERNAL)
    assert default_route(host, 'c').startswith('default via 10.31.0.1 dev eth1')

    # Equal priorities: the network connected first keeps it.
    converged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.32.0.2'}], **BACK)
    assert default_route(host, 'c').startswith('default via 10.31.0.1 dev eth1')
    assert source_seen(host, 'c') == '10.31.0.2'

    # A higher gw_priority wins, in one run (check mode predicts it).
    params = dict(endpoints=[{'name': 'c', 'ip': '10.32.0.2', 'gw_priority': 5}], **BACK)
    check = ok(host.module('docker_bridge', check_mode=True, **params))
    res = converged(host, 'docker_bridge', **params)
    assert check['commands'] == res['commands'] and 'set default route via 10.32.0.1 dev eth2 in c' in res['commands']
    assert default_route(host, 'c').startswith('default via 10.32.0.1 dev eth2')
    assert source_seen(host, 'c') == '10.32.0.2'
    # A run of another of its networks leaves the elected route alone.
    converged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.31.0.2'}], **FRONT)

    # Changing the holder's address keeps the route, in one run.
    converged(host, 'docker_bridge', endpoints=[{'name': 'c', 'ip': '10.32.0.9', 'gw_priority': 5}], **BACK)
    assert default_route(host, 'c').startswith('default via 10.32.0.1 dev eth2')
    assert source_seen(host, 'c') == '10.32.0.9'

    # Disconnecting the holder elects the next: front (the internal network never).
    res = converged(host, 'docker_bridge', endpoints=[], purge_endpoints=True, **BACK)
    assert 'set default route via 10.31.0.1 dev eth1 in c' in res['commands']
    assert default_route(host, 'c').startswith('default via 10.31.0.1 dev eth1')
    assert source_seen(host, 'c') == '10.31.0.2'

    # Off its last network with a gateway, the container has no default route (only the internal one is left).
    converged(host, 'docker_bridge', endpoints=[], purge_endpoints=True, **FRONT)
    assert default_route(host, 'c') == ''
    assert not traffic.ping(host, 'c', host.address)
    converged(host, 'macvlan_net', state='absent', force=True, name=INTERNAL['name'])
