# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Conntrack entries of changed mappings and removed endpoints are deleted: a UDP flow follows a moved publish at
once, with both firewall backends.

host1 (10.138.3.130) runs the containers; host2 (10.138.3.131) is a LAN neighbour whose UDP client sends every
datagram of a flow from the same source port, so each datagram after the first meets the flow's conntrack entry
(and its NAT binding), never the rules: without the deletion the old container keeps answering.
"""

from __future__ import annotations

import json
import sys

import pytest

from conftest import wait_until
from traffic import ping, serve


HOST1 = '10.138.3.130'

# One datagram of a flow (IPv4 or IPv6, as ``host`` is): always from source port ``sport``, so it is the same conntrack
# tuple every time.
FLOW_CLIENT = r'''
import socket, sys
host, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
family, wildcard = (socket.AF_INET6, '::') if ':' in host else (socket.AF_INET, '0.0.0.0')
s = socket.socket(family, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((wildcard, sport))
s.settimeout(2)
s.sendto(b'hello', (host, port))
try:
    print(s.recvfrom(512)[0].decode().split()[0])
except OSError:
    print('')
'''

# The host's IPv4 conntrack table, read with pyroute2 (the interpreter the modules run with).
TABLE = r'''
import json
from pyroute2.conntrack import Conntrack
ct = Conntrack()
out = [[e.tuple_orig.proto, e.tuple_orig.saddr, e.tuple_orig.daddr, e.tuple_orig.sport, e.tuple_orig.dport,
        e.tuple_reply.saddr, e.tuple_reply.sport] for e in ct.dump_entries()]
ct.close()
print(json.dumps(out))
'''


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def answer(host, port, sport, ip=HOST1):
    """Which container answers the flow from ``sport`` to ``ip``:``port`` (its tag), waiting past a datagram lost
    while a server starts; never past a wrong answer, which is returned as it is."""
    argv = [sys.executable, '-c', FLOW_CLIENT, ip, str(port), str(sport)]

    def tag():
        return host.run(argv).stdout.strip()

    return wait_until(tag, 'an answer to the UDP flow from port %d' % sport)


def table(host):
    return json.loads(host.run([sys.executable, '-c', TABLE]).stdout)


def flows_of(entries, ip):
    return [e for e in entries if ip in (e[1], e[2], e[5])]


# Not marked once: pyroute2's Conntrack is a synchronous socket in 0.7 and a wrapper of an asyncio core in 0.9, so
# the deletion runs under both versions.
@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_moved_udp_publish_and_removed_endpoint(two_hosts, backend):
    h1, h2 = two_hosts
    eps = [{'name': 'ct_a', 'publish': ['5000:9000/udp']}, {'name': 'ct_b'}, {'name': 'ct_c', 'publish': ['5001:9000/udp']},
           {'name': 'ct_d'}]
    net = ok(h1.module('docker_bridge', name='ctnet', firewall_backend=backend, endpoints=eps))
    ips = {c['Name']: c['IPv4Address'].split('/')[0] for c in net['network']['Containers'].values()}
    for name in ('ct_a', 'ct_b', 'ct_c', 'ct_d'):
        serve(h1, name, 9000, tag=name, proto='udp')
    assert answer(h2, 5000, 40000) == 'ct_a'
    assert answer(h2, 5001, 40001) == 'ct_c'  # a flow no change below is about
    # The host's own flow to ct_d's address: goes with ct_d.
    assert answer(h1, 9000, 40003, ip=ips['ct_d']) == 'ct_d'

    # Check mode shows the deletion and deletes nothing: the flow still reaches ct_a.
    eps[0]['publish'], eps[1]['publish'] = [], ['5000:9000/udp']
    check = ok(h1.module('docker_bridge', check_mode=True, name='ctnet', firewall_backend=backend, endpoints=eps))
    step = 'delete conntrack entries of udp 0.0.0.0:5000->%s:9000' % ips['ct_a']
    assert step in check['commands']
    assert answer(h2, 5000, 40000) == 'ct_a'

    # The publish moves to ct_b, after the rule set: the flow's next datagram reaches ct_b, though ct_a still serves.
    res = ok(h1.module('docker_bridge', name='ctnet', firewall_backend=backend, endpoints=eps))
    assert res['commands'].index(step) > max(i for i, c in enumerate(res['commands']) if c.startswith('apply '))
    assert answer(h2, 5000, 40000) == 'ct_b' and not res.get('warnings')
    rerun = ok(h1.module('docker_bridge', name='ctnet', firewall_backend=backend, endpoints=eps))
    assert not rerun['changed']

    # The container port changes: the flow follows to the new port.
    serve(h1, 'ct_b', 9001, tag='ct_b9001', proto='udp')
    eps[1]['publish'] = ['5000:9001/udp']
    ok(h1.module('docker_bridge', name='ctnet', firewall_backend=backend, endpoints=eps))
    assert answer(h2, 5000, 40000) == 'ct_b9001'

    # ct_d goes: every entry of its address goes with it (its ping's too), the unrelated flow's entry stays.
    assert ping(h1, None, ips['ct_d'])
    assert {e[0] for e in flows_of(table(h1), ips['ct_d'])} == {1, 17}
    res = ok(h1.module('docker_bridge', name='ctnet', firewall_backend=backend, endpoints=eps[:3], purge_endpoints=True))
    assert 'delete conntrack entries of address %s' % ips['ct_d'] in res['commands'] and not res.get('warnings')
    entries = table(h1)
    assert not flows_of(entries, ips['ct_d'])
    assert [e for e in entries if e[4] == 5001 and e[3] == 40001 and e[5] == ips['ct_c']], entries
    assert answer(h2, 5001, 40001) == 'ct_c'


@pytest.mark.once  # the same deletion as above, planned by nat_rule
def test_nat_rule_dnat_moved(two_hosts):
    h1, h2 = two_hosts
    net = ok(h1.module('docker_bridge', name='ctnat', endpoints=[{'name': 'ct_e'}, {'name': 'ct_f'}]))
    ips = {c['Name']: c['IPv4Address'].split('/')[0] for c in net['network']['Containers'].values()}
    for name in ('ct_e', 'ct_f'):
        serve(h1, name, 9000, tag=name, proto='udp')
    rule = dict(name='ctdnat', kind='dnat', host_port=5002, container_port=9000, proto='udp')
    ok(h1.module('nat_rule', container_ip=ips['ct_e'], **rule))
    assert answer(h2, 5002, 40002) == 'ct_e'
    res = ok(h1.module('nat_rule', container_ip=ips['ct_f'], **rule))
    assert 'delete conntrack entries of udp 0.0.0.0:5002->%s:9000' % ips['ct_e'] in res['commands'] and not res.get('warnings')
    assert answer(h2, 5002, 40002) == 'ct_f'
    res = ok(h1.module('nat_rule', state='absent', **rule))
    assert 'delete conntrack entries of udp 0.0.0.0:5002->%s:9000' % ips['ct_f'] in res['commands']
    assert not [e for e in table(h1) if e[4] == 5002 and e[3] == 40002]
