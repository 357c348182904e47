# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for the bridge_plan and bridge_endpoints filters (docker run --network ... as module calls)."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')
pytest.importorskip('jmespath')

from ansible_collections.hostnet.containers.plugins.filter import bridge_plan as bp  # noqa: E402


def plan(containers, networks=None, daemon=None):
    return bp.bridge_plan(containers, networks, daemon)


def by_name(items):
    return {i['name']: i for i in items}


def test_the_four_modes():
    p = plan([{'name': 'web_n1'}, {'name': 'centos', 'network_mode': 'container:web_n1'},
              {'name': 'nginx_host', 'network_mode': 'host'}, {'name': 'lonely', 'network_mode': 'none'}])
    # bridge: on docker0 by default; none: a namespace, no network; container: made after the networks; host: none.
    # The default network leaves a docker0 of another alone (auto, the default: docker_bridge foreign_bridge leave).
    assert p['networks'] == [{'name': 'bridge', 'endpoints': [{'name': 'web_n1', 'ifname': 'eth0'}], 'foreign_bridge': 'leave'}]
    assert [n['name'] for n in p['namespaces']] == ['web_n1', 'lonely']
    assert p['shared'] == [{'name': 'centos', 'share_with': 'web_n1'}]
    assert p['absent_namespaces'] == ['nginx_host'] and p['absent_networks'] == []


def test_the_owner_on_every_netns_item_and_the_names_of_every_container():
    # The role gives its owner label through the plan (not a map('combine') per container) and takes gc's keep from it.
    containers = [{'name': 'web_n1', 'extra_hosts': ['db:10.0.0.5']}, {'name': 'centos', 'network_mode': 'container:web_n1'},
                  {'name': 'nginx_host', 'network_mode': 'host'}, {'name': 'gone', 'state': 'absent'}]
    p = plan(containers, None, {'owner': 'bridge_network'})
    assert [i.get('owner') for i in p['namespaces'] + p['shared'] + p['hosts']] == ['bridge_network'] * 3
    assert p['absent_namespaces'] == ['nginx_host', 'gone']
    assert p['names'] == ['web_n1', 'centos', 'nginx_host', 'gone']
    assert 'owner' not in plan(containers)['namespaces'][0]


def test_one_call_per_network_with_its_containers_selected_by_jmespath():
    containers = [{'name': 'default_bbox01'}, {'name': 'default_bbox02'},
                  {'name': 'custom_bbox01', 'networks': ['custom_network']},
                  {'name': 'custom_bbox02', 'networks': [{'name': 'custom_network', 'ip': '172.18.0.20', 'aliases': ['db']}]},
                  {'name': 'both', 'networks': ['custom_network', 'bridge'], 'publish': ['8080:80']},
                  {'name': 'gone', 'state': 'absent', 'networks': ['custom_network']},
                  {'name': 'hostly', 'network_mode': 'host'}]
    p = plan(containers, [{'name': 'custom_network', 'internal': False}, {'name': 'old', 'state': 'absent'}])
    nets = by_name(p['networks'])
    assert list(nets) == ['bridge', 'custom_network']
    # ethN follows the order a container lists its networks; the first one gets the published ports.
    assert nets['bridge']['endpoints'] == [{'name': 'default_bbox01', 'ifname': 'eth0'}, {'name': 'default_bbox02', 'ifname': 'eth0'},
                                           {'name': 'both', 'ifname': 'eth1'}]
    assert nets['custom_network'] == {'name': 'custom_network', 'internal': False, 'endpoints': [
        {'name': 'custom_bbox01', 'ifname': 'eth0'}, {'name': 'custom_bbox02', 'ip': '172.18.0.20', 'aliases': ['db'], 'ifname': 'eth0'},
        {'name': 'both', 'publish': ['8080:80'], 'ifname': 'eth0'}]}
    assert p['absent_networks'] == ['old'] and p['absent_namespaces'] == ['gone', 'hostly']
    # The filter on its own, on the role's variable as users write it.
    assert bp.bridge_endpoints(containers, 'custom_network') == nets['custom_network']['endpoints']
    assert bp.bridge_endpoints(containers, "it's") == []


def test_daemon_settings_land_on_docker0_and_the_containers():
    pools = [{'base': '10.10.0.0/16', 'size': 24}]
    p = plan([{'name': 'a', 'dns': ['9.9.9.9']}, {'name': 'b', 'hostname': 'bee'}], [{'name': 'user'}],
             {'bip': '10.200.0.1/24', 'mtu': 1400, 'icc': False, 'ip_forward': True, 'iptables': False,
              'default_address_pools': pools, 'dns': ['1.1.1.1'], 'dns_search': ['lab.example']})
    nets = by_name(p['networks'])
    assert nets['bridge'] == {'name': 'bridge', 'subnet': '10.200.0.0/24', 'gateway': '10.200.0.1', 'mtu': 1400, 'icc': False,
                              'ip_forward': True, 'firewall': False, 'foreign_bridge': 'leave',
                              'endpoints': [{'name': 'a', 'ifname': 'eth0'}, {'name': 'b', 'ifname': 'eth0'}]}
    assert nets['user'] == {'name': 'user', 'address_pools': pools, 'ip_forward': True, 'firewall': False, 'endpoints': []}
    spaces = by_name(p['namespaces'])
    assert spaces['a'] == {'name': 'a', 'dns': ['9.9.9.9'], 'dns_search': ['lab.example']}
    assert spaces['b'] == {'name': 'b', 'hostname': 'bee', 'dns': ['1.1.1.1'], 'dns_search': ['lab.example']}
    # A networks entry named bridge overrides the daemon's settings for docker0.
    p = plan([], [{'name': 'bridge', 'icc': True, 'subnet': '10.200.0.0/16'}], {'icc': False, 'bip': '10.200.0.1/24'})
    assert p['networks'][0] == {'name': 'bridge', 'subnet': '10.200.0.0/16', 'gateway': '10.200.0.1', 'icc': True, 'endpoints': []}
    # ... and one that leaves bip's gateway outside its subnet is refused before the role changes anything.
    with pytest.raises(bp.PlanError, match=r"bridge_network_networks\[0\]\.gateway '10\.200\.0\.1': is not inside subnet 10\.9\.0\.0/16"):
        plan([], [{'name': 'bridge', 'icc': True, 'subnet': '10.9.0.0/16'}], {'icc': False, 'bip': '10.200.0.1/24'})


def test_publish_all_publishes_the_exposed_ports_not_already_published():
    p = plan([{'name': 'web01', 'publish_all': True, 'expose': [80, '443', '53/udp']},
              {'name': 'web02', 'publish': ['8080:80'], 'publish_all': True, 'expose': ['80/tcp', 22]},
              {'name': 'web03', 'expose': [80]}])
    eps = by_name(p['networks'][0]['endpoints'])
    assert eps['web01']['publish'] == ['80', '443', '53/udp']
    assert eps['web02']['publish'] == ['8080:80', '22']
    assert 'publish' not in eps['web03']  # expose alone publishes nothing, as in Docker


@pytest.mark.parametrize('containers, networks, needle', [
    ([{'name': 'a', 'network_mode': 7}], None, r"bridge_network_containers\[0\]\.network_mode: 7 must be"),
    ([{'name': 'a', 'hostname': ['x']}], None, r"\.hostname: \['x'\] must be a string"),
    ([{'name': 'a', 'network_mode': 'overlay'}], None, r"bridge_network_containers\[0\]\.network_mode: 'overlay' must be"),
    ([{'name': 'a', 'network_mode': 'container:b'}], None, r'container:b names no present container'),
    ([{'name': 'a', 'network_mode': 'container:a'}], None, 'is the container itself'),
    ([{'name': 'h', 'network_mode': 'host'}, {'name': 'a', 'network_mode': 'container:h'}], None, 'is in host mode itself'),
    ([{'name': 'a', 'network_mode': 'host', 'publish': ['80']}], None, r'\.publish: network_mode host has no networks'),
    ([{'name': 'a', 'network_mode': 'none', 'networks': ['bridge']}], None, r'\.networks: network_mode none'),
    ([{'name': 'a', 'network_mode': 'host', 'hostname': 'x'}], None, "uses the host's own hostname"),
    ([{'name': 'a', 'networks': ['nope']}], None, r"\.networks: network 'nope' is not among bridge_network_networks"),
    ([{'name': 'a', 'networks': ['old']}], [{'name': 'old', 'state': 'absent'}], "network 'old' is not among"),
    ([{'name': 'a'}, {'name': 'a'}], None, "container 'a' is listed twice"),
    ([{'name': 'a/b'}], None, 'not a valid container name'),
    ([{'name': 'a', 'colour': 1}], None, 'unknown key colour'),
    ([{'name': 'a', 'publish': ['80:80:80:80']}], None, r'bridge_network_containers\[0\]\.publish\[0\]'),
    ([{'name': 'a', 'publish_all': True, 'expose': ['8080:80']}], None, 'is a container port, without a host part'),
    ([{'name': 'a', 'networks': ['bridge', 'bridge']}], None, "network 'bridge' is listed twice"),
    ([], [{'name': 'bridge', 'state': 'absent'}], "the default network 'bridge' stays"),
    ([], [{'name': 'x'}, {'name': 'x'}], "network 'x' is listed twice"),
    ([], [{'name': 'x', 'driver': 'overlay'}], 'unknown key driver'),
])
def test_bad_input_names_the_option(containers, networks, needle):
    with pytest.raises(bp.PlanError, match=needle):
        plan(containers, networks)


def test_bad_bip():
    with pytest.raises(bp.PlanError, match='bridge_network_bip'):
        plan([], None, {'bip': '10.200.0.1'})


# -- the default bridge: managed, left out by choice, or left alone by its call when it is not the collection's ------
def test_the_default_network_left_out():
    p = plan([{'name': 'app', 'networks': ['custom']}, {'name': 'solo', 'network_mode': 'none'}], [{'name': 'custom'}],
             {'default_bridge': 'unmanaged'})
    assert [n['name'] for n in p['networks']] == ['custom'] and p['absent_networks'] == []


def test_auto_leaves_a_foreign_docker0_to_the_call_and_managed_or_a_listed_default_network_insists():
    for daemon, networks, leave in (({}, None, True), ({'default_bridge': 'auto'}, None, True), ({'default_bridge': 'managed'}, None, False),
                                    ({}, [{'name': 'bridge', 'mtu': 1400}], False)):
        [bridge] = plan([{'name': 'web'}], networks, daemon)['networks']
        assert bridge['name'] == 'bridge' and (bridge.get('foreign_bridge') == 'leave') is leave
        assert [ep['name'] for ep in bridge['endpoints']] == ['web']


def test_a_container_on_a_default_network_left_alone_is_refused_by_name():
    with pytest.raises(bp.PlanError, match=r"container 'web' joins the default network 'bridge'.*bridge_network_default_bridge is unmanaged"):
        plan([{'name': 'web', 'networks': ['bridge']}], None, {'default_bridge': 'unmanaged'})
    with pytest.raises(bp.PlanError, match=r"bridge_network_networks\[0\]: the role does not manage the default network"):
        plan([], [{'name': 'bridge', 'mtu': 1400}], {'default_bridge': 'unmanaged'})


def test_default_bridge_mode_checked():
    with pytest.raises(bp.PlanError, match="bridge_network_default_bridge 'sometimes': must be one of auto, managed, unmanaged"):
        plan([], None, {'default_bridge': 'sometimes'})


def test_gateway_mode_and_trusted_interfaces_pass_through_with_the_role_default():
    nets = [{'name': 'routed', 'gateway_mode_ipv4': 'routed'}, {'name': 'own', 'trusted_host_interfaces': ['ens34']},
            {'name': 'iso', 'internal': True, 'gateway_mode_ipv4': 'isolated'}]
    got = by_name(plan([], nets, {'trusted_host_interfaces': ['wg0']})['networks'])
    assert (got['routed']['gateway_mode_ipv4'], got['routed']['trusted_host_interfaces']) == ('routed', ['wg0'])
    assert got['own']['trusted_host_interfaces'] == ['ens34'], "a network's own list replaces the role's"
    assert got['bridge']['trusted_host_interfaces'] == ['wg0'] and 'gateway_mode_ipv4' not in got['bridge']
    assert 'trusted_host_interfaces' not in by_name(plan([], nets)['networks'])['routed']


@pytest.mark.parametrize('networks, daemon, needle', [
    ([{'name': 'n', 'gateway_mode_ipv4': 'open'}], None, r"bridge_network_networks\[0\]\.gateway_mode_ipv4 'open': must be one of"),
    ([{'name': 'n', 'gateway_mode_ipv4': 'isolated'}], None, r"bridge_network_networks\[0\]\.gateway_mode_ipv4 'isolated': needs internal"),
    ([{'name': 'n', 'trusted_host_interfaces': ['a b']}], None, r"bridge_network_networks\[0\]\.trusted_host_interfaces 'a b'"),
    ([], {'trusted_host_interfaces': ['x' * 16]}, r"bridge_network_trusted_host_interfaces 'x{16}'"),
])
def test_bad_exposure_options_are_refused_by_name(networks, daemon, needle):
    with pytest.raises(bp.PlanError, match=needle):
        plan([], networks, daemon)
