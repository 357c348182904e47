# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hosts value host-gateway: which network and address it stands for, the hosts file, the container module's
etc_hosts and the role's extra_hosts."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _container
from ansible_collections.hostnet.containers.plugins.module_utils import _host_gateway
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

sys.path.insert(0, os.path.dirname(__file__))
from test_netns_plan import plan_for, snap  # noqa: E402  pylint: disable=wrong-import-position

DOCS = {
    'front': {'driver': 'bridge', 'gateway': '10.1.0.1', 'enable_ipv6': True, 'gateway_v6': 'fd00:1::1',
              'endpoints': {'web01': {'connected': '2', 'default_route': True}}},
    'back': {'driver': 'bridge', 'gateway': '10.2.0.1', 'endpoints': {'web01': {'connected': '1'}, 'db': {'connected': '1'}}},
    'mac': {'driver': 'macvlan', 'gateway': '10.3.0.254', 'host_shim': {'name': 'mvs', 'ip': '10.3.0.250'}, 'endpoints': {'m': {}}},
    'dark': {'driver': 'macvlan', 'gateway': '10.4.0.254', 'endpoints': {'m2': {}}},
    'iso': {'driver': 'bridge', 'gateway': '10.5.0.1', 'gateway_mode_ipv4': 'isolated', 'internal': True, 'endpoints': {'i': {}}},
}


def test_the_network_of_the_default_route_then_the_first_joined():
    assert _host_gateway.addresses(DOCS, 'web01') == ['10.1.0.1', 'fd00:1::1']
    assert _host_gateway.addresses(DOCS, 'db') == ['10.2.0.1']
    # A macvlan network: the host shim is the host's address there; without one, none.
    assert _host_gateway.addresses(DOCS, 'm') == ['10.3.0.250']
    assert _host_gateway.addresses(DOCS, 'm2') == [] and _host_gateway.addresses(DOCS, 'i') == []
    assert _host_gateway.addresses(DOCS, 'nobody') == []
    assert _host_gateway.addresses(DOCS, 'web01', order=['back', 'front']) == ['10.2.0.1']


def test_the_hosts_file_has_a_line_per_address():
    text = _netns_plan.hosts_file({'host.docker.internal': 'host-gateway'}, 'web01', ['10.1.0.1', 'fd00:1::1'])
    assert text == _netns.LOCALHOST_HOSTS + '10.1.0.1\thost.docker.internal\nfd00:1::1\thost.docker.internal\n'
    with pytest.raises(_validate.InputError, match=r"hosts\[gw\].ip 'host-gateway': network namespace lonely is on no network"):
        _netns_plan.hosts_file({'gw': 'host-gateway'}, 'lonely', [])


def test_the_planner_takes_the_addresses_from_the_snapshot():
    steps, dummy, after, dummy2 = plan_for(snap(exists=True, lo_up=True, etc_dir=True, host_gateways=['10.1.0.1']),
                                           hosts=[{'ip': 'host-gateway', 'names': ['host.docker.internal', 'gw']}])
    assert steps.commands == ['write /etc/netns/web01/hosts']
    assert after['files']['hosts'].endswith('10.1.0.1\thost.docker.internal gw\n')
    with pytest.raises(_validate.InputError, match=r"hosts\[0\].ip 'host-gateway'"):
        plan_for(snap(exists=True, lo_up=True), hosts=[{'ip': 'host-gateway', 'names': ['gw']}])
    assert _netns_plan.wants_host_gateway(_netns_plan.wanted({'name': 'x', 'hosts': {'gw': 'host-gateway'}}))
    assert not _netns_plan.wants_host_gateway(_netns_plan.wanted({'name': 'x', 'hosts': {'gw': '10.0.0.1'}}))


def test_the_container_module_looks_at_the_networks_it_joins():
    want = _container.wanted({'name': 'new', 'networks': [{'name': 'back'}, {'name': 'front', 'gw_priority': 5}],
                              'etc_hosts': {'host.docker.internal': 'host-gateway'}})
    assert _container.netns_params(want)['hosts'] == {'host.docker.internal': 'host-gateway'}
    assert _container.gateway_order(want, DOCS) == ['front', 'back']
    want = _container.wanted({'name': 'web01', 'networks': [{'name': 'back'}]})
    assert _container.gateway_order(want, DOCS) == ['front', 'back']
    with pytest.raises(_validate.InputError, match='etc_hosts'):
        _container.wanted({'name': 'side', 'network_mode': 'container:web01', 'etc_hosts': {'a': '10.0.0.1'}})
