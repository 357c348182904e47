# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The conntrack entries of a moved IPv6 publish and of a removed endpoint's IPv6 address are deleted from the IPv6
table: a UDP flow over IPv6 follows a moved publish at once.

host1 (fd00:138::130) runs the containers; host2 (fd00:138::131) sends every datagram of a flow from one source
port.  Not marked once: the IPv6 table is read and written through pyroute2's Conntrack of the AF_INET6 family,
whose construction differs between pyroute2 0.7 and 0.9.
"""

from __future__ import annotations

import json
import sys

import pytest

from test_conntrack import answer
from test_ipv6_firewall import HOST1, add_ipv6, ok
from traffic import serve

TABLE6 = r'''
import json, socket
from pyroute2.conntrack import Conntrack
ct = Conntrack(nfgen_family=socket.AF_INET6)
print(json.dumps([[e.tuple_orig.saddr, e.tuple_orig.daddr, e.tuple_orig.dport, e.tuple_reply.saddr] for e in ct.dump_entries()]))
ct.close()
'''

A, B = 'fd00:60::2', 'fd00:60::3'


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_moved_ipv6_udp_publish_and_removed_endpoint(two_hosts, backend):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    eps = [{'name': 'ct6a', 'ipv6_address': A, 'publish': ['[::]:5000:9000/udp']}, {'name': 'ct6b', 'ipv6_address': B}]

    def bridge(endpoints, **more):
        return ok(h1.module('docker_bridge', name='ct6', enable_ipv6=True, subnet_v6='fd00:60::/64', firewall_backend=backend,
                            dns=False, endpoints=endpoints, **more))

    bridge(eps)
    for name in ('ct6a', 'ct6b'):
        serve(h1, name, 9000, tag=name, proto='udp', family=6)
    assert answer(h2, 5000, 40000, ip=HOST1) == 'ct6a'
    eps[0]['publish'], eps[1]['publish'] = [], ['[::]:5000:9000/udp']
    res = bridge(eps)
    assert 'delete conntrack entries of udp [::]:5000->[%s]:9000' % A in res['commands'] and not res.get('warnings')
    assert answer(h2, 5000, 40000, ip=HOST1) == 'ct6b'
    # ct6b goes: the IPv6 table has none of its flows left.
    assert [e for e in json.loads(h1.run([sys.executable, '-c', TABLE6]).stdout) if B in e]
    res = bridge(eps[:1], purge_endpoints=True)
    assert 'address %s' % B in ' '.join(res['commands']) and not res.get('warnings')
    assert not [e for e in json.loads(h1.run([sys.executable, '-c', TABLE6]).stdout) if B in e]
    ok(h1.module('docker_bridge', name='ct6', state='absent', force=True))
