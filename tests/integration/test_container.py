# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""container: one container on several managed networks, with published ports and network modes, in emulated hosts.

Marked once: the module only composes the netns and network engines, whose kernel requests are tested under both
pyroute2 versions by their own files.
"""

from __future__ import annotations

import pytest

from traffic import connect, serve

pytestmark = pytest.mark.once

HOST1 = '10.138.3.130'


def ok(res):
    assert not res.get('failed'), res
    return res


def test_two_networks_ports_rerun_check_purge_absent(two_hosts):
    h1, h2 = two_hosts
    ok(h1.module('docker_bridge', name='bridge', endpoints=[{'name': 'web'}]))
    ok(h1.module('docker_bridge', name='custom_network', subnet='172.18.0.0/16', endpoints=[{'name': 'db', 'aliases': ['database']}]))
    before = h1.settled_snapshot()
    args = dict(name='app', networks=[{'name': 'bridge'}, {'name': 'custom_network', 'ipv4_address': '172.18.0.10', 'aliases': ['api']}],
                published_ports=['8080:80', {'container_port': 53, 'protocol': 'udp'}], dns=['10.138.3.1'], hostname='app')
    check = ok(h1.module('container', check_mode=True, **args))
    assert check['changed'] and h1.settled_snapshot(like=before) == before, 'check mode changed the host'
    res = ok(h1.module('container', diff=True, **args))
    assert res['commands'] == check['commands']
    assert set(res['diff']['after']['networks']) == {'bridge', 'custom_network'} and 'networks' not in res['diff']['before']
    nets = res['container']['NetworkSettings']['Networks']
    assert nets['custom_network']['IPAddress'] == '172.18.0.10' and nets['custom_network']['Aliases'] == ['api']
    assert nets['bridge']['IPAddress'] == '172.17.0.3' and nets['bridge']['Gateway'] == '172.17.0.1'
    assert nets['bridge']['IPPrefixLen'] == 16 and nets['bridge']['MacAddress'] == '02:42:ac:11:00:03'
    ports = res['container']['NetworkSettings']['Ports']
    assert ports['80/tcp'] == [{'HostIp': '0.0.0.0', 'HostPort': '8080'}] and ports['53/udp'][0]['HostPort'].isdigit()
    assert res['container']['NetworkSettings']['SandboxKey'] == '/run/netns/app'
    # The first network by name holds the default route (Docker 28 with equal gw_priority); the other its subnet.
    routes = h1.netns_run('app', 'ip route').stdout
    assert 'default via 172.17.0.1 dev eth0' in routes and 'default via 172.18' not in routes, routes
    assert '172.18.0.10/16' in h1.netns_run('app', 'ip -o -4 addr show eth1').stdout
    assert 'nameserver 10.138.3.1' in h1.netns_run('app', 'cat /etc/resolv.conf').stdout
    # Containers of both networks reach app, and app's names resolve on the user-defined network.
    assert h1.netns_run('web', 'ping -c1 -W2 172.17.0.3').returncode == 0
    assert h1.netns_run('db', 'getent hosts api').stdout.split()[0] == '172.18.0.10'
    serve(h1, 'app', 80)
    assert connect(h1, 'db', '172.18.0.10', 80).startswith('app ')
    # The published port answers from a second host.
    assert connect(h2, None, HOST1, 8080) == 'app 10.138.3.131'
    again = ok(h1.module('container', **args))
    assert not again['changed'] and again['commands'] == [], again
    assert not ok(h1.module('container', check_mode=True, **args))['changed']

    # Dropping bridge with purge_networks disconnects app from it only; peer stays as it was.
    args['networks'] = args['networks'][1:]
    args['published_ports'] = []
    res = ok(h1.module('container', purge_networks=True, **args))
    assert set(res['container']['NetworkSettings']['Networks']) == {'custom_network'}
    assert 'eth0' not in h1.netns_run('app', 'ip -o link').stdout
    assert h1.netns_run('web', 'ping -c1 -W1 172.17.0.3', check=False).returncode != 0
    assert h1.netns_run('web', 'ping -c1 -W2 172.17.0.1').returncode == 0
    assert connect(h1, 'db', '172.18.0.10', 80).startswith('app ')

    # Joining another network in the run that leaves the default-route one gives the new link the default route.
    ok(h1.module('container', purge_networks=True, name='app', networks=[{'name': 'bridge'}]))
    ok(h1.module('docker_bridge', name='other', subnet='172.19.0.0/16'))
    ok(h1.module('container', purge_networks=True, name='app', networks=[{'name': 'other'}]))
    assert 'default via 172.19.0.1' in h1.netns_run('app', 'ip route').stdout

    res = ok(h1.module('container', name='app', state='absent'))
    assert res['changed'] and res['container'] is None
    assert 'app' not in h1.run('ip netns list').stdout
    assert not ok(h1.module('container', name='app', state='absent'))['changed']


def test_network_modes(host):
    ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web'}, {'name': 'lonely'}]))
    # lonely's namespace was made by the network; as a none mode container it leaves the network and keeps it.
    res = ok(host.module('container', name='lonely', network_mode='none'))
    assert [ln.split(':')[1].strip() for ln in host.netns_run('lonely', 'ip -o link').stdout.splitlines()] == ['lo']
    assert res['container']['HostConfig']['NetworkMode'] == 'none'
    assert not ok(host.module('container', name='lonely', network_mode='none'))['changed']
    # container:NAME is web's own stack under a second name.
    res = ok(host.module('container', name='sidecar', network_mode='container:web'))
    assert '172.17.0.2/16' in host.netns_run('sidecar', 'ip -o -4 addr').stdout
    assert not ok(host.module('container', name='sidecar', network_mode='container:web'))['changed']
    # A container on bridge that goes to host mode leaves its networks and its namespace.
    ok(host.module('container', name='hosty'))
    assert 'hosty' in host.run('ip netns list').stdout
    res = ok(host.module('container', name='hosty', network_mode='host'))
    assert res['changed'] and 'hosty' not in host.run('ip netns list').stdout
    docs = ok(host.module('network_info', name='bridge'))
    assert 'hosty' not in str(docs)


@pytest.mark.parametrize('args, option, value', [
    ({'networks': [{'name': 'nowhere'}]}, 'networks[0].name', 'nowhere'),
    ({'published_ports': ['8080:80:90:100']}, 'published_ports[0]', '8080:80:90:100'),
    ({'published_ports': ['80-81:90-95']}, 'published_ports[0]', '80-81:90-95'),
    ({'networks': [{'name': 'bridge', 'ipv4_address': '10.9.9.9'}]}, 'networks[0].ipv4_address', '10.9.9.9'),
])
def test_bad_input_changes_nothing(host, args, option, value):
    ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web'}]))
    before = host.settled_snapshot()
    res = host.module('container', name='app', **args)
    assert res.get('failed') and option in res['msg'] and value in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_failure_on_the_second_network_undoes_the_first(host):
    ok(host.module('docker_bridge', name='bridge', endpoints=[{'name': 'web'}]))
    ok(host.module('docker_bridge', name='custom_network', endpoints=[{'name': 'db'}]))
    before = host.settled_snapshot()
    res = host.module('container', name='app', networks=[{'name': 'bridge'}, {'name': 'custom_network'}], published_ports=['8080:80'],
                      _env={'HOSTNET_TEST_FAIL_AT': 'connect app to custom_network'})
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert any(c.startswith('connect app to bridge') for c in res['commands'])
    assert host.settled_snapshot(like=before) == before
