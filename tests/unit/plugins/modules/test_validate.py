# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Input validation of netns and veth_pair: normalised once, errors name the option and the value."""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _validate

import pytest

from ansible_collections.hostnet.containers.plugins.modules import netns, veth_pair

NETNS_DEFAULTS = dict(name='web01', state='present', share_with=None, hosts=None, dns=None, dns_search=None, hostname=None, sysctls=None)
VETH_DEFAULTS = dict(name='veth0', state='present', peer_name=None, peer_netns='web01', master=None, mtu=None, mac=None,
                     peer_mac=None, peer_addresses=None, peer_gateway=None)


def test_netns_files_render():
    files, sysctls = netns.validate(dict(NETNS_DEFAULTS, hostname='web01', dns=['10.0.0.2', '10.0.0.3'], dns_search=['a.example'],
                                         hosts=[{'ip': '172.18.0.3', 'names': ['db', 'db.a.example']}],
                                         sysctls={'net.ipv4.ip_local_port_range': '20000\t30000'}))
    assert files['resolv.conf'] == 'search a.example\nnameserver 10.0.0.2\nnameserver 10.0.0.3\n'
    assert files['hosts'].endswith('172.18.0.3\tdb db.a.example\n') and files['hosts'].startswith('127.0.0.1\tlocalhost\n')
    assert files['hostname'] == 'web01\n'
    assert sysctls == {'net.ipv4.ip_local_port_range': '20000 30000'}


def test_netns_leaves_unmanaged_files_alone():
    assert netns.validate(dict(NETNS_DEFAULTS)) == ({}, {})


@pytest.mark.parametrize('extra, option', [
    ({'name': 'a/b'}, 'name'), ({'name': '..'}, 'name'), ({'share_with': 'web01'}, 'share_with'),
    ({'share_with': 'x/y'}, 'share_with'), ({'dns': ['fd00::zz']}, 'dns[0]'), ({'hostname': '-x'}, 'hostname'),
    ({'hosts': [{'ip': '1.2.3.4', 'names': []}]}, 'hosts[0].names'), ({'sysctls': {'vm.swappiness': 1}}, 'sysctls'),
    ({'sysctls': {'net..x': 1}}, 'sysctls'),
])
def test_netns_bad_input(extra, option):
    with pytest.raises(_validate.InputError) as err:
        netns.validate(dict(NETNS_DEFAULTS, **extra))
    assert err.value.option == option


def test_veth_normalises():
    want = veth_pair.validate(dict(VETH_DEFAULTS, mac='02-42-AC-11-00-02', peer_addresses=['172.17.0.2/16'], peer_gateway='172.17.0.1', mtu=1500))
    assert want['peer_name'] == 'eth0'
    assert want['mac'] == '02:42:ac:11:00:02'
    assert want['peer_addresses'] == ['172.17.0.2/16'] and want['peer_gateway'] == '172.17.0.1'


def test_veth_absent_needs_only_the_name():
    assert veth_pair.validate(dict(VETH_DEFAULTS, state='absent', mtu=1)) == {'name': 'veth0'}


@pytest.mark.parametrize('extra, option', [
    ({'name': 'x' * 16}, 'name'), ({'peer_netns': None}, 'peer_name'), ({'peer_netns': None, 'peer_name': 'veth0'}, 'peer_name'),
    ({'mtu': 67}, 'mtu'), ({'mtu': 65536}, 'mtu'), ({'mac': 'nope'}, 'mac'), ({'peer_mac': '00:00:00:00:00:00'}, 'peer_mac'),
    ({'peer_addresses': ['10.0.0.1']}, 'peer_addresses[0]'), ({'peer_addresses': ['10.0.0.1/24', '10.0.0.1/24']}, 'peer_addresses[1]'),
    ({'peer_addresses': ['10.0.0.1/24'], 'peer_gateway': '10.0.1.1'}, 'peer_gateway'),
    ({'peer_gateway': '10.0.1.1'}, 'peer_gateway'), ({'master': 'bad name'}, 'master'),
])
def test_veth_bad_input(extra, option):
    with pytest.raises(_validate.InputError) as err:
        veth_pair.validate(dict(VETH_DEFAULTS, **extra))
    assert err.value.option == option


@pytest.mark.parametrize('hosts, expected', [
    ({'db01': '172.18.0.3', 'cache': '172.18.0.4'}, '172.18.0.4\tcache\n172.18.0.3\tdb01\n'),
    ({'172.18.0.3': ['db01', 'db'], '172.18.0.4': 'cache'}, '172.18.0.3\tdb01 db\n172.18.0.4\tcache\n'),
    ([{'ip': '172.18.0.3', 'names': 'db01'}], '172.18.0.3\tdb01\n'),
    ([], ''),
    ({}, ''),
])
def test_netns_hosts_forms(hosts, expected):
    files, _sysctls = netns.validate(dict(NETNS_DEFAULTS, hosts=hosts))
    assert files['hosts'] == netns.LOCALHOST + expected


@pytest.mark.parametrize('hosts, option', [
    ('db01=1.2.3.4', 'hosts'), ([['1.2.3.4', 'db']], 'hosts[0]'), ([{'ip': '1.2.3.4'}], 'hosts[0]'),
    ([{'ip': '1.2.3.4', 'names': ['a'], 'extra': 1}], 'hosts[0]'), ([{'ip': '1.2.3.4', 'names': 5}], 'hosts[0].names'),
    ({'db01': 'nope'}, 'hosts[db01].ip'), ({'1.2.3.4': []}, 'hosts[1.2.3.4].names'), ({'1.2.3.4': ['bad name']}, 'hosts[1.2.3.4].names'),
    ({'1.2.3.999': 'x'}, 'hosts[1.2.3.999].ip'),
])
def test_netns_bad_hosts(hosts, option):
    with pytest.raises(_validate.InputError) as err:
        netns.validate(dict(NETNS_DEFAULTS, hosts=hosts))
    assert err.value.option == option


def test_netns_sysctl_values_normalise():
    _files, sysctls = netns.validate(dict(NETNS_DEFAULTS, sysctls={'net.ipv4.ip_forward': True, 'net.ipv4.conf.all.rp_filter': 0,
                                                                   'net.ipv4.ping_group_range': ' 0  2147483647 '}))
    assert sysctls == {'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '0', 'net.ipv4.ping_group_range': '0 2147483647'}


def test_veth_gateway_needs_a_namespace():
    with pytest.raises(_validate.InputError) as err:
        veth_pair.validate(dict(VETH_DEFAULTS, peer_netns=None, peer_name='p0', peer_addresses=['10.0.0.2/24'], peer_gateway='10.0.0.1'))
    assert err.value.option == 'peer_gateway' and 'peer_netns' in str(err.value)


def test_veth_peer_name_defaults_to_eth0_only_in_a_namespace():
    assert veth_pair.validate(dict(VETH_DEFAULTS))['peer_name'] == 'eth0'
    assert veth_pair.validate(dict(VETH_DEFAULTS, peer_netns=None, peer_name='p0'))['peer_name'] == 'p0'


@pytest.mark.parametrize('name', ['x' * 16, 'é' * 8, 'a b', 'a/b', 'a:b', '.', '..', ''])
def test_veth_interface_names_the_kernel_refuses(name):
    with pytest.raises(_validate.InputError) as err:
        veth_pair.validate(dict(VETH_DEFAULTS, name=name))
    assert err.value.option == 'name'
