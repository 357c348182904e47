# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input, every module: each case fails before anything changes, with a message that names the option and the
value, and the host (links, addresses, routes, rules, namespaces, files, nftables, iptables, sysctls) is identical
before and after. One emulated host serves the whole matrix: it holds a network, containers, a veth pair, a macvlan
network and a published port for the cases to collide with, and each case must leave it as it found it.
(test_docker_bridge.py has docker_bridge's IPAM cases; the role-level cases are in test_reliability_roles.py.)
"""

from __future__ import annotations

import pytest

import reliability as R

pytestmark = pytest.mark.once  # every case fails before a request is built: see conftest.py

SETUP = [
    ('docker_bridge', dict(name='existing', bridge_name='br-existing', subnet='10.9.0.0/24', aux_addresses={'router': '10.9.0.250'},
                           firewall_backend='iptables', endpoints=[{'name': 'keep', 'publish': ['8080:80']}])),
    ('netns', dict(name='box')),
    ('veth_pair', dict(name='hostv0', peer_name='hostv1')),
    ('veth_pair', dict(name='boxv0', peer_netns='box', peer_name='eth0', peer_addresses=['10.77.0.2/24'])),
    ('macvlan_net', dict(name='macexisting', parent='ens33', subnet='10.20.0.0/24', endpoints=[{'name': 'mbox'}])),
    ('nat_rule', dict(name='pub', kind='dnat', host_port=9090, container_ip='10.9.0.2', container_port=80, bridge='br-existing',
                      firewall_backend='iptables')),
]

LONG = 'averyveryverylongname'  # 21 bytes: over IFNAMSIZ
UTF8 = 'vethé' * 3  # 15 characters, 18 bytes

# (module, params, option named in the message, value named in the message)
CASES = [
    # netns
    ('netns', dict(name='x' * 65), 'name', 'x' * 65),
    ('netns', dict(name='bad name'), 'name', 'bad name'),
    ('netns', dict(name='side', share_with='ghost'), 'share_with', 'ghost'),
    ('netns', dict(name='box', share_with='keep'), 'share_with', 'keep'),
    ('netns', dict(name='n1', hosts={'999.1.1.1': ['x']}), 'hosts', '999.1.1.1'),
    ('netns', dict(name='n1', dns=['1.2.3']), 'dns[0]', '1.2.3'),
    ('netns', dict(name='n1', hostname='host_name!'), 'hostname', 'host_name!'),
    ('netns', dict(name='n1', sysctls={'kernel.panic': 1}), 'sysctls', 'kernel.panic'),
    ('netns', dict(name='box', sysctls={'net.ipv4.no_such_knob': 1}), 'sysctls', 'net.ipv4.no_such_knob'),
    # veth_pair
    ('veth_pair', dict(name=LONG, peer_name='p0'), 'name', LONG),
    ('veth_pair', dict(name=UTF8, peer_name='p0'), 'name', UTF8),
    ('veth_pair', dict(name='v0'), 'peer_name', 'peer_netns'),
    ('veth_pair', dict(name='v0', peer_netns='ghost'), 'peer_netns', 'ghost'),
    ('veth_pair', dict(name='v0', peer_name='p0', master='nobr0'), 'master', 'nobr0'),
    ('veth_pair', dict(name='v0', peer_name='p0', master='hostv0'), 'master', 'hostv0'),
    ('veth_pair', dict(name='v0', peer_name='p0', mac='zz:00:00:00:00:01'), 'mac', 'zz:00:00:00:00:01'),
    ('veth_pair', dict(name='br-existing', peer_name='p0'), 'name', 'br-existing'),
    ('veth_pair', dict(name='v0', peer_netns='box', peer_name='eth0'), 'peer_name', 'eth0'),
    # docker_bridge (its IPAM cases are in test_docker_bridge.py)
    ('docker_bridge', dict(name='bad name!'), 'name', 'bad name!'),
    ('docker_bridge', dict(name='n', subnet='10.9.0.128/25'), 'subnet', '10.9.0.128/25'),
    ('docker_bridge', dict(name='n', subnet='10.20.0.0/16'), 'subnet', '10.20.0.0/16'),
    ('docker_bridge', dict(name='n', subnet='10.30.0.0/24', ip_range='10.30.0.0/23'), 'ip_range', '10.30.0.0/23'),
    ('docker_bridge', dict(name='existing', endpoints=[{'name': 'keep'}, {'name': 'new', 'ip': '10.9.0.2'}]), 'endpoints[new].ip', '10.9.0.2'),
    ('docker_bridge', dict(name='existing', endpoints=[{'name': 'keep'}, {'name': 'new', 'ip': '10.9.0.250'}]), 'endpoints[new].ip', '10.9.0.250'),
    ('docker_bridge', dict(name='existing', endpoints=[{'name': 'keep'}, {'name': 'keep'}]), 'endpoints[1].name', 'keep'),
    ('docker_bridge', dict(name='n', endpoints=[{'name': 'a', 'publish': ['70000:80']}]), 'endpoints[0].publish', '70000:80'),
    ('docker_bridge', dict(name='n', endpoints=[{'name': 'a', 'publish': ['80/icmp']}]), 'endpoints[0].publish', '80/icmp'),
    ('docker_bridge', dict(name='n', endpoints=[{'name': 'a', 'publish': ['300.1.1.1:80:80']}]), 'endpoints[0].publish', '300.1.1.1:80:80'),
    ('docker_bridge', dict(name='n', endpoints=[{'name': 'a', 'publish': ['8080:80']}]), 'endpoints[0].publish', '8080:80'),
    ('docker_bridge', dict(name='n', endpoints=[{'name': 'a', 'publish': ['9090:80']}]), 'endpoints[0].publish', '9090:80'),
    ('docker_bridge', dict(name='n', internal=True, endpoints=[{'name': 'a', 'publish': ['80']}]), 'endpoints[].publish', '80'),
    ('docker_bridge', dict(name='n', bridge_name='br-existing'), 'bridge_name', 'br-existing'),
    ('docker_bridge', dict(name='n', bridge_name='hostv0'), 'bridge_name', 'hostv0'),
    ('docker_bridge', dict(name='macexisting', endpoints=[{'name': 'a'}]), 'name', 'macexisting'),
    # macvlan_net
    ('macvlan_net', dict(name='m', parent='eth9', subnet='10.21.0.0/24'), 'parent', 'eth9'),
    ('macvlan_net', dict(name='m', parent='lo', subnet='10.21.0.0/24'), 'parent', 'lo'),
    ('macvlan_net', dict(name='m', parent='ens33', subnet='10.21.0/24'), 'subnet', '10.21.0/24'),
    ('macvlan_net', dict(name='m', parent='ens33', mode='bogus', subnet='10.21.0.0/24'), 'mode', 'bogus'),
    ('macvlan_net', dict(name='m', parent='ens33', subnet='10.9.0.0/16'), 'subnet', '10.9.0.0/16'),
    ('macvlan_net', dict(name='m', parent='ens33', subnet='10.21.0.0/24', gateway='10.22.0.1'), 'gateway', '10.22.0.1'),
    ('macvlan_net', dict(name='m', parent='hostv0', mode='passthru', subnet='10.21.0.0/24', endpoints=[{'name': 'a'}, {'name': 'b'}]),
     'endpoints', "'a'"),
    ('macvlan_net', dict(name='m', parent='ens33', mode='passthru', subnet='10.21.0.0/24'), 'parent', 'ens33'),
    ('macvlan_net', dict(name='m', parent='ens33', subnet='10.21.0.0/24', endpoints=[{'name': 'a', 'ip': '10.22.0.5'}]),
     'endpoints[a].ip', '10.22.0.5'),
    ('macvlan_net', dict(name='macexisting', parent='ens33', subnet='10.20.0.0/24', endpoints=[{'name': 'mbox'}, {'name': 'b', 'ip': '10.20.0.2'}]),
     'endpoints[b].ip', '10.20.0.2'),
    ('macvlan_net', dict(name='m', parent='ens33', subnet='10.21.0.0/24', host_shim={'name': 'hostv0'}), 'host_shim.name', 'hostv0'),
    ('macvlan_net', dict(name='m', parent='ens33', subnet='10.21.0.0/24', endpoints=[{'name': 'box', 'ifname': 'eth0'}]),
     'endpoints[box].ifname', 'eth0'),
    ('macvlan_net', dict(name='existing', parent='ens33', subnet='10.9.0.0/24'), 'name', 'existing'),
    # nat_rule
    ('nat_rule', dict(name='r', kind='redirect'), 'kind', 'redirect'),
    ('nat_rule', dict(name='r', kind='dnat', container_port=80), 'container_ip', 'null'),
    ('nat_rule', dict(name='r', kind='dnat', container_ip='10.9.0.2', container_port=80, host_port=70000), 'host_port', '70000'),
    ('nat_rule', dict(name='r', kind='dnat', container_ip='10.9.0.2', container_port=80, host_port=8080), 'host_port', '8080'),
    ('nat_rule', dict(name='r', kind='dnat', container_ip='10.9.0.2', container_port=80, bridge='nobr0'), 'bridge', 'nobr0'),
    ('nat_rule', dict(name='r', kind='snat', source='10.9.0.0/24'), 'to_source', 'null'),
    ('nat_rule', dict(name='r', kind='masquerade', source='10.9.0.0/24', out_interface=LONG), 'out_interface', LONG),
    # the read-only modules
    ('network_info', dict(query='Containers[?'), 'query', 'Containers[?'),
    ('probe', dict(netns='ghost', target='10.9.0.2'), 'netns', 'ghost'),
    ('probe', dict(target='10.9.0.2', method='tcp', port=70000), 'port', '70000'),
]


def build_setup(host):
    for module, params in SETUP:
        R.ok(host.module(module, **params))


@pytest.fixture(scope='module')
def shared(tmp_path_factory, collection_path):
    env = R.SharedHost(tmp_path_factory.mktemp('input'), collection_path, build_setup)
    env.build()
    yield env
    env.close()


def test_matrix_is_large_and_covers_every_module():
    assert len(CASES) >= 55  # and 20 role cases in test_reliability_roles.py
    assert {c[0] for c in CASES} == {'netns', 'veth_pair', 'docker_bridge', 'macvlan_net', 'nat_rule', 'network_info', 'probe'}


@pytest.mark.parametrize('module,params,option,value', CASES, ids=['%s-%d' % (c[0], i) for i, c in enumerate(CASES)])
def test_bad_input_fails_before_any_change(shared, module, params, option, value):
    res = shared.host.module(module, **params)
    changed = shared.changes()
    assert res.get('failed'), res
    msg = res.get('msg', '')
    assert option in msg and value in msg, 'the message must name %s and %r: %s' % (option, value, msg)
    assert 'Traceback' not in msg and 'exception' not in res, res
    assert not changed, changed


def test_check_mode_fails_the_same_way(shared):
    """Check mode validates exactly as a real run does (a play in --check mode shows the same errors)."""
    for module, params, option, value in CASES[::14]:
        res = shared.host.module(module, check_mode=True, **params)
        assert res.get('failed') and option in res['msg'] and value in res['msg'], (module, params, res)
    assert not shared.changes()


def test_the_shared_host_holds_what_the_cases_collide_with(shared):
    """Else the cases above could fail for another reason than the one they name."""
    module, params = SETUP[0]
    assert R.ok(shared.host.module(module, **params))['changed'] is False
    assert set(shared.host.run('ls /run/netns').stdout.split()) == {'keep', 'box', 'mbox'}
    assert not shared.changes()
