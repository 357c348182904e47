# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan edges in emulated hosts: passthru reruns and the parent's MAC, the 802.1q parent in check mode, MACs
distinct on a parent and across hosts, the role checking every host first, and broadcast addresses as Docker's."""

from __future__ import annotations

import json
import re

import pytest

from traffic import ping

SEED = dict(name='macnet', parent='ens33', subnet='10.0.0.0/24', ip_range='10.0.0.32/28', gateway='10.0.0.254')
MACNET = {'name': 'macnet', 'subnet': '10.0.0.0/24', 'ip_range': '10.0.0.32/28', 'gateway': '10.0.0.254'}


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def mac_of(host, ifname, netns=None):
    argv = ['ip', '-j', 'link', 'show', ifname]
    out = host.netns_run(netns, argv).stdout if netns else host.run(argv).stdout
    return json.loads(out)[0]['address']


def inet(host, ifname, netns=None):
    """{address/len: brd or None} of an interface, as the kernel holds them."""
    argv = ['ip', '-j', '-4', 'addr', 'show', 'dev', ifname]
    out = host.netns_run(netns, argv).stdout if netns else host.run(argv).stdout
    return {'%s/%d' % (a['local'], a['prefixlen']): a.get('broadcast') for a in json.loads(out)[0]['addr_info']}


@pytest.mark.once
def test_passthru_rerun_changes_nothing_and_the_parent_gets_its_mac_back(host):
    host.run('ip link add pt0 type veth peer name pt0p && ip link set pt0 up && ip link set pt0p up')
    own = mac_of(host, 'pt0')
    params = dict(name='pt', parent='pt0', mode='passthru', subnet='10.5.0.0/24', endpoints=[{'name': 'x'}])
    res = ok(host.module('macvlan_net', **params))
    lent = res['network']['Containers'][next(iter(res['network']['Containers']))]['MacAddress']
    assert lent == '02:42:0a:05:00:02' and mac_of(host, 'eth0', 'x') == lent
    # In passthru the kernel gives the parent the endpoint's MAC; the parent's own is recorded first.
    assert mac_of(host, 'pt0') == lent
    assert json.loads(host.run(['cat', '/var/lib/hostnet/networks/pt.json']).stdout)['parent_mac'] == own
    assert not ok(host.module('macvlan_net', check_mode=True, **params))['changed']
    again = ok(host.module('macvlan_net', **params))
    assert not again['changed'] and again['commands'] == [] and mac_of(host, 'pt0') == lent
    ok(host.module('macvlan_net', name='pt', state='absent', force=True))
    assert mac_of(host, 'pt0') == own


@pytest.mark.once
def test_8021q_parent_check_mode_predicts_the_real_run(host):
    params = dict(name='vl', parent='ens33.10', subnet='10.7.0.0/24', endpoints=[{'name': 'v'}])
    before = host.settled_snapshot()
    check = host.module('macvlan_net', check_mode=True, **params)
    assert host.settled_snapshot(like=before) == before
    real = host.module('macvlan_net', **params)
    if real.get('failed'):
        assert "parent 'ens33.10': this kernel has no 802.1q VLAN support" in real['msg'], real
        assert check.get('failed') and check['msg'] == real['msg'], (check, real)
        assert host.settled_snapshot(like=before) == before
        return
    assert not check.get('failed') and check['commands'] == real['commands'], (check, real)
    ok(host.module('macvlan_net', name='vl', state='absent', force=True))


@pytest.mark.once
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_a_mac_taken_on_the_parent_is_refused_before_any_change(host):
    ok(host.module('macvlan_net', endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}], **SEED))
    before = host.settled_snapshot()
    cases = [
        (dict(SEED, endpoints=[{'name': 'c1', 'ip': '10.0.0.100'}, {'name': 'c2', 'mac': '02:42:0A:00:00:64'}]),
         "endpoints[1].mac '02:42:0a:00:00:64': is also the MAC of container c1 on this network"),
        (dict(SEED, name='other', subnet='10.1.0.0/24', ip_range=None, gateway=None, endpoints=[{'name': 'c3', 'mac': '02:42:0a:00:00:64'}]),
         "endpoints[0].mac '02:42:0a:00:00:64': is also the MAC of container c1 on macvlan network macnet"),
    ]
    for params, needle in cases:
        for check_mode in (True, False):
            res = host.module('macvlan_net', check_mode=check_mode, **params)
            assert res.get('failed') and needle in res['msg'], res
    assert host.settled_snapshot(like=before) == before


@pytest.mark.once
def test_role_refuses_a_duplicate_mac_across_hosts_and_a_bad_host_before_any_change(two_hosts, run_role):
    h1, h2 = two_hosts

    def role_vars(containers, parent='ens33'):
        return {'macvlan_network_parent': parent, 'macvlan_network_networks': [MACNET], 'macvlan_network_containers': containers}

    c1, c2 = [{'name': 'c1', 'networks': ['macnet']}], [{'name': 'c2', 'networks': ['macnet']}]
    rc, out, _recap = run_role('macvlan_network', {'host1': role_vars(c1), 'host2': role_vars(c2)})
    assert rc == 0, out
    c2_mac = mac_of(h2, 'eth0', 'c2')
    before = h1.settled_snapshot(), h2.settled_snapshot()
    # c5 on host1 asks for c2's MAC: refused in the plan, naming the option; c2 is not renumbered.
    taken = c1 + [{'name': 'c5', 'networks': [{'name': 'macnet', 'mac': c2_mac}]}]
    rc, out, _recap = run_role('macvlan_network', {'host1': role_vars(taken), 'host2': role_vars(c2)})
    assert rc != 0 and re.search(r'macvlan_network_containers\[1\]\.networks\[0\]\.mac: %s of container c5 is also the MAC '
                                 r'of container c2 on host host2' % c2_mac, out), out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before
    # host2's parent cannot be made (or does not exist): the check on every host fails the play before host1, which
    # has a new container to connect, changes anything.
    vlan = h2.run('test -d /proc/net/vlan', check=False).returncode == 0
    bad = 'nosuch0' if vlan else 'ens33.10'
    c3 = c1 + [{'name': 'c3', 'networks': ['macnet']}]
    rc, out, _recap = run_role('macvlan_network', {'host1': role_vars(c3), 'host2': role_vars(c2, parent=bad)})
    assert rc != 0 and "parent '%s'" % bad in out, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before


def test_broadcast_addresses_as_docker_sets_them(host):
    # Not marked once: pyroute2 encodes the address requests, and IFA_BROADCAST must come out right under both.
    res = ok(host.module('docker_bridge', name='web', subnet='172.18.0.0/16', firewall=False, endpoints=[{'name': 'b1'}]))
    bridge = res['network']['Options']['com.docker.network.bridge.name']
    assert inet(host, bridge) == {'172.18.0.1/16': '172.18.255.255'}
    assert inet(host, 'eth0', 'b1') == {'172.18.0.2/16': '172.18.255.255'}
    res = ok(host.module('macvlan_net', endpoints=[{'name': 'm1', 'ip': '10.0.0.100'}], host_shim={'ip': '10.0.0.250'}, **SEED))
    shim = res['network']['Options']['hostnet.containers.host_shim']
    assert inet(host, 'eth0', 'm1') == {'10.0.0.100/24': '10.0.0.255'}
    assert inet(host, shim) == {'10.0.0.250/24': '10.0.0.255'}
    assert ping(host, None, '10.0.0.100') and ping(host, 'b1', '172.18.0.1')
    # A shim address an older version made has no broadcast: it is left as it is, and a rerun changes nothing.
    host.run(['sh', '-c', 'ip addr del 10.0.0.250/24 dev %s && ip addr add 10.0.0.250/24 dev %s' % (shim, shim)])
    assert inet(host, shim) == {'10.0.0.250/24': None}
    again = ok(host.module('macvlan_net', endpoints=[{'name': 'm1', 'ip': '10.0.0.100'}], host_shim={'ip': '10.0.0.250'}, **SEED))
    assert not again['changed'], again['commands']
    assert not ok(host.module('docker_bridge', name='web', subnet='172.18.0.0/16', firewall=False, endpoints=[{'name': 'b1'}]))['changed']
