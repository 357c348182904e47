# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The container module's pure parts (no root): options, which networks are joined and left, errors, inspect."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _container
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

pytest.importorskip('netaddr')


def params(**kw):
    out = {'name': 'app', 'state': 'present', 'network_mode': 'bridge', 'networks': None, 'published_ports': None,
           'dns': None, 'dns_search': None, 'hostname': None, 'purge_networks': False}
    out.update(kw)
    return out


def doc(name, driver='bridge', endpoints=None, subnet='172.18.0.0/16', gateway='172.18.0.1'):
    out = {'name': name, 'id': name * 4, 'driver': driver, 'created': 't', 'subnet': subnet, 'gateway': gateway,
           'mtu': 1500, 'endpoints': endpoints or {}}
    if driver == 'bridge':
        out.update(bridge='br-' + name, stp=False, icc=True, ip_masquerade=True, host_binding_ipv4='0.0.0.0',
                   ip_forward=True, firewall=True, firewall_backend='iptables', dns=True)
    else:
        out.update(parent='ens33', mode='bridge')
    return out


def ep(ip, **kw):
    out = {'ip': ip, 'mac': '02:42:00:00:00:01', 'ifname': 'eth0', 'endpoint_id': 'e' * 64, 'aliases': []}
    out.update(kw)
    return out


def raises(option, fn, *args):
    with pytest.raises(_validate.InputError) as err:
        fn(*args)
    assert err.value.option == option, str(err.value)
    return str(err.value)


@pytest.mark.parametrize('value, expected', [
    (None, ('bridge', None)), ('host', ('host', None)), ('none', ('none', None)), ('container:web', ('container', 'web')),
])
def test_network_mode(value, expected):
    assert _container.network_mode(value) == expected


def test_network_mode_refused():
    raises('network_mode', _container.network_mode, 'macvlan')
    raises('network_mode', _container.wanted, params(network_mode='container:app'))


@pytest.mark.parametrize('value, text', [
    ('8080:80', '8080:80'), ({'container_port': 80}, '80'), ({'container_port': 80, 'host_port': 8080}, '8080:80'),
    ({'container_port': 53, 'protocol': 'udp', 'host_ip': '127.0.0.1'}, '127.0.0.1::53/udp'),
    ({'container_port': 80, 'host_port': 8080, 'host_ip': '127.0.0.1'}, '127.0.0.1:8080:80'),
    ('8000-8010:80-90', '8000-8010:80-90'), ('127.0.0.1::80', '127.0.0.1::80'),
])
def test_port_strings(value, text):
    assert _container.port_strings([value]) == [text]


@pytest.mark.parametrize('value', ['8080:80:90:100', '80-81:90-95', 'abc', '80/icmp', {'host_port': 80}, {'container_port': 80, 'x': 1}])
def test_port_strings_refused_with_docker_meaning(value):
    msg = raises('published_ports[0]', _container.port_strings, [value])
    if isinstance(value, str):
        assert 'Docker reads a published port as' in msg


def test_port_published_twice():
    raises('published_ports', _container.port_strings, ['8080:80', '8080:81'])


def test_wanted_defaults_to_the_default_network():
    want = _container.wanted(params())
    assert [n['name'] for n in want['networks']] == ['bridge'] and want['networks'][0]['index'] is None


@pytest.mark.parametrize('kw, option', [
    ({'networks': [{'name': 'a'}, {'name': 'a'}]}, 'networks[1].name'),
    ({'networks': [{'name': 'a', 'ipv4_address': '300.1.1.1'}]}, 'networks[0].ipv4_address'),
    ({'networks': [{'name': 'a', 'mac_address': 'zz'}]}, 'networks[0].mac_address'),
    ({'networks': [{'name': 'a', 'gw_priority': 'high'}]}, 'networks[0].gw_priority'),
    ({'networks': [{'name': 'a', 'aliases': ['bad name']}]}, 'networks[0].aliases'),
    ({'network_mode': 'none', 'networks': [{'name': 'a'}]}, 'networks'),
    ({'network_mode': 'host', 'published_ports': ['80']}, 'published_ports'),
    ({'network_mode': 'container:web', 'dns': ['1.1.1.1']}, 'dns'),
    ({'network_mode': 'host', 'hostname': 'h'}, 'hostname'),
])
def test_wanted_refuses(kw, option):
    raises(option, _container.wanted, params(**kw))


def test_connections_join_in_election_order_and_publish_on_the_first_bridge():
    docs = {'bridge': doc('bridge', subnet='172.17.0.0/16', gateway='172.17.0.1'), 'zeta': doc('zeta'),
            'mac': doc('mac', driver='macvlan', subnet='10.9.0.0/24', gateway='10.9.0.1')}
    want = _container.wanted(params(networks=[{'name': 'bridge'}, {'name': 'zeta', 'gw_priority': 5}, {'name': 'mac'}],
                                    published_ports=['80']))
    out = _container.connections(want, docs)
    assert [(n, a) for n, a, _p in out] == [('zeta', 'join'), ('bridge', 'join'), ('mac', 'join')]
    eps = {n: p['endpoints'] for n, _a, p in out}
    assert eps['zeta'][0]['publish'] == ['80'] and eps['zeta'][0]['gw_priority'] == 5
    assert eps['bridge'][0]['publish'] == [] and 'gw_priority' not in eps['bridge'][0]
    assert 'publish' not in eps['mac'][0]
    assert all(p['purge_endpoints'] is False for _n, _a, p in out)


def test_connections_keep_unlisted_unless_purge():
    docs = {'bridge': doc('bridge', endpoints={'app': ep('172.17.0.2'), 'web': ep('172.17.0.3')}), 'b': doc('b', endpoints={'app': ep('172.18.0.2')})}
    want = _container.wanted(params(networks=[{'name': 'b'}]))
    assert [(n, a) for n, a, _p in _container.connections(want, docs)] == [('b', 'join')]
    want['purge'] = True
    out = _container.connections(want, docs)
    assert [(n, a) for n, a, _p in out] == [('bridge', 'leave'), ('b', 'join')]
    assert out[0][2]['endpoints'] == []
    # The current interface name is kept: the planner repairs the link rather than making another.
    assert out[1][2]['endpoints'][0]['ifname'] == 'eth0'


def test_connections_absent_and_other_modes_leave_everything():
    docs = {'bridge': doc('bridge', endpoints={'app': ep('172.17.0.2')}), 'b': doc('b')}
    for kw in ({'state': 'absent'}, {'network_mode': 'none'}, {'network_mode': 'host'}, {'network_mode': 'container:web'}):
        out = _container.connections(_container.wanted(params(**kw)), docs)
        assert [(n, a) for n, a, _p in out] == [('bridge', 'leave')], kw


def test_connections_unknown_network_and_ports_without_bridge():
    docs = {'mac': doc('mac', driver='macvlan')}
    msg = raises('networks[1].name', _container.connections, _container.wanted(params(networks=[{'name': 'mac'}, {'name': 'nowhere'}])), docs)
    assert 'network not found' in msg
    raises('network_mode', _container.connections, _container.wanted(params()), docs)
    raises('published_ports', _container.connections, _container.wanted(params(networks=[{'name': 'mac'}], published_ports=['80'])), docs)


@pytest.mark.parametrize('option, mapped', [
    ('endpoints[app].ip', 'networks[1].ipv4_address'), ('endpoints', 'networks[1].ipv4_address'),
    ('endpoints[0].mac', 'networks[1].mac_address'), ('endpoints[].publish', 'published_ports'), ('subnet', 'subnet'),
])
def test_map_error(option, mapped):
    exc = _container.map_error(_validate.InputError(option, 'v', 'bad'), 'networks[1]')
    assert exc.option == mapped and exc.value == 'v'


def test_inspect_shape():
    docs = {'bridge': doc('bridge', subnet='172.17.0.0/16', gateway='172.17.0.1', endpoints={
        'app': ep('172.17.0.2', aliases=['api'], publish=[{'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp'}])})}
    want = _container.wanted(params(networks=[{'name': 'bridge', 'ipv4_address': '172.17.0.2'}], hostname='app', dns=['1.1.1.1']))
    out = _container.inspect(want, docs)
    net = out['NetworkSettings']['Networks']['bridge']
    assert net['IPAddress'] == '172.17.0.2' and net['IPPrefixLen'] == 16 and net['Gateway'] == '172.17.0.1'
    assert net['Aliases'] == ['api'] and net['DNSNames'] == ['app', 'api'] and net['GwPriority'] == 0
    assert net['IPAMConfig'] == {'IPv4Address': '172.17.0.2'} and net['NetworkID'] == docs['bridge']['id']
    assert out['NetworkSettings']['Ports'] == {'80/tcp': [{'HostIp': '0.0.0.0', 'HostPort': '8080'}]}
    assert out['NetworkSettings']['SandboxKey'] == '/run/netns/app'
    assert out['Config']['Hostname'] == 'app' and out['HostConfig'] == {'NetworkMode': 'bridge', 'Dns': ['1.1.1.1'], 'DnsSearch': []}
    assert _container.inspect(_container.wanted(params(state='absent')), docs) is None
    none = _container.inspect(_container.wanted(params(network_mode='none')), {})
    assert list(none['NetworkSettings']['Networks']) == ['none']


def test_summary():
    docs = {'bridge': doc('bridge', endpoints={'app': ep('172.17.0.2', default_route=True)})}
    assert _container.summary('app', docs, None)['networks']['bridge']['ip'] == '172.17.0.2'
    assert 'default_route' not in _container.summary('app', docs, None)['networks']['bridge']
    assert _container.summary('other', docs, None) is None
