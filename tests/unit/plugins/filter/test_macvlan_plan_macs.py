# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""macvlan_plan: MACs distinct on a segment, checked across the hosts before any address is allocated."""

from __future__ import annotations

import os
import sys

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.filter import macvlan_plan as mp  # noqa: E402

# ansible-test units imports test files by their path, not with their folder on sys.path: put it there.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_macvlan_plan import addresses, request  # noqa: E402  pylint: disable=wrong-import-position


def held(endpoints):
    """network_info's macnet with ``endpoints`` {container: (ip, mac)}."""
    return [{'Name': 'macnet', 'Driver': 'macvlan', 'Options': {'parent': 'ens33', 'macvlan_mode': 'bridge'},
             'Containers': {'id-' + c: {'Name': c, 'IPv4Address': ip + '/24', 'MacAddress': mac} for c, (ip, mac) in endpoints.items()}}]


def test_a_mac_a_container_holds_on_another_host_is_refused_not_renumbered():
    # c2 on host2 holds 10.0.0.33 and its MAC; c5 on host1 asks for that MAC (Docker's MAC of .33).
    reqs = {'host1': request('c1', {'name': 'c5', 'networks': [{'name': 'macnet', 'mac': '02:42:0A:00:00:21'}]}),
            'host2': request('c2', existing=held({'c2': ('10.0.0.33', '02:42:0a:00:00:21')}))}
    with pytest.raises(mp.PlanError, match=r'host host1, macvlan_network_containers\[1\]\.networks\[0\]\.mac: 02:42:0a:00:00:21 '
                                           r'of container c5 is also the MAC of container c2 on host host2 in network macnet'):
        mp.plan(reqs, ['host1', 'host2'])


def test_an_explicit_mac_another_host_holds_for_an_unlisted_endpoint_is_refused():
    reqs = {'host1': request({'name': 'c5', 'networks': [{'name': 'macnet', 'mac': '02:00:00:00:00:07'}]}),
            'host2': request('c2', existing=held({'manual': ('10.0.0.40', '02:00:00:00:00:07')}))}
    with pytest.raises(mp.PlanError, match=r'networks\[0\]\.mac: 02:00:00:00:00:07 of container c5 is also the MAC of container '
                                           r'manual on host host2'):
        mp.plan(reqs, ['host1', 'host2'])


def test_held_endpoints_and_distinct_explicit_macs_pass():
    reqs = {'host1': request('c1', {'name': 'c5', 'networks': [{'name': 'macnet', 'mac': '02:00:00:00:00:07'}]},
                             existing=held({'c1': ('10.0.0.32', '02:42:0a:00:00:20')})),
            'host2': request('c2', existing=held({'c2': ('10.0.0.33', '02:42:0a:00:00:21')}))}
    got = addresses(mp.plan(reqs, ['host1', 'host2']))
    assert got == {'host1': {'macnet': {'c1': '10.0.0.32', 'c5': '10.0.0.34'}}, 'host2': {'macnet': {'c2': '10.0.0.33'}}}


def test_two_hosts_asking_one_mac_is_refused_on_the_later():
    one = {'name': 'macnet', 'mac': '02:00:00:00:00:09'}
    reqs = {'host1': request({'name': 'a', 'networks': [one]}), 'host2': request({'name': 'b', 'networks': [one]})}
    with pytest.raises(mp.PlanError, match=r'host host2, macvlan_network_containers\[0\]\.networks\[0\]\.mac: 02:00:00:00:00:09 '
                                           r'of container b is also the MAC of container a on host host1'):
        mp.plan(reqs, ['host1', 'host2'])
