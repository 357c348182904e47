# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""nat_rule's planner from snapshots: every kind, the bridge named or found from the routes, host ports explicit or
automatic and kept across reruns, conflicts, and each bad input refused naming the option and the value."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _nat_plan  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position

BOTH = {'iptables-restore': True, 'nft': True}


def params(**given):
    p = dict(name='r', state='present', kind='masquerade', source=None, out_interface=None, not_out_interface=None, to_source=None,
             host_ip='0.0.0.0', host_port=None, container_ip=None, container_port=None, proto='tcp', bridge=None, firewall_backend='auto')
    p.update(given)
    return p


def snap(nats=None, networks=None, links=None, route_dev=None, listening=None, port_range='40000 40010', installed=None,
         local=frozenset({'10.138.3.130', '172.17.0.1'})):
    return _nat_plan.Snapshot(nats or {}, networks or {}, links if links is not None else {'docker0': ['172.17.0.1/16']}, route_dev,
                              listening or {'tcp': set(), 'udp': set()}, port_range,
                              installed if installed is not None else BOTH, local)


def test_masquerade_and_snat():
    doc = _nat_plan.desired(params(source='192.168.77.0/24', out_interface='ens33'), 'r', snap())
    assert doc == {'kind': 'masquerade', 'source': '192.168.77.0/24', 'out_interface': 'ens33', 'firewall_backend': 'iptables'}
    doc = _nat_plan.desired(params(kind='snat', source='10.1.0.1', not_out_interface='br0', to_source='10.138.3.130'), 'r', snap())
    assert doc == {'kind': 'snat', 'source': '10.1.0.1', 'not_out_interface': 'br0', 'to_source': '10.138.3.130', 'firewall_backend': 'iptables'}


def test_backend_auto_keeps_the_stored_one_and_falls_back_to_nft():
    stored = {'r': {'kind': 'masquerade', 'firewall_backend': 'nftables'}}
    assert _nat_plan.desired(params(), 'r', snap(nats=stored))['firewall_backend'] == 'nftables'
    assert _nat_plan.desired(params(), 'r', snap(installed={'nft': True}))['firewall_backend'] == 'nftables'
    with pytest.raises(_firewall_rules.FirewallError, match="firewall_backend 'iptables': the iptables-restore command is not installed"):
        _nat_plan.desired(params(firewall_backend='iptables'), 'r', snap(installed={'nft': True}))
    with pytest.raises(_firewall_rules.FirewallError, match='neither iptables-restore nor nft'):
        _nat_plan.desired(params(), 'r', snap(installed={}))


def test_dnat_on_a_named_bridge_with_a_hairpin_subnet():
    doc = _nat_plan.desired(params(kind='dnat', host_ip='10.138.3.130', host_port=20022, container_ip='172.17.0.2', container_port=22,
                                   bridge='docker0'), 'r', snap())
    assert doc == {'kind': 'dnat', 'container_ip': '172.17.0.2', 'container_port': 22, 'host_ip': '10.138.3.130', 'proto': 'tcp',
                   'bridge': 'docker0', 'bridge_subnet': '172.17.0.0/16', 'host_port': 20022, 'auto': False, 'firewall_backend': 'iptables'}


def test_dnat_bridge_found_from_the_routes_or_none():
    doc = _nat_plan.desired(params(kind='dnat', container_ip='172.17.0.3', container_port=80), 'r', snap(route_dev='docker0'))
    assert (doc['bridge'], doc['bridge_subnet'], doc['host_port'], doc['auto']) == ('docker0', '172.17.0.0/16', 40000, True)
    doc = _nat_plan.desired(params(kind='dnat', container_ip='10.9.0.3', container_port=80), 'r', snap(route_dev=None))
    assert (doc['bridge'], doc['bridge_subnet']) == (None, None)
    doc = _nat_plan.desired(params(kind='dnat', container_ip='10.9.0.3', container_port=80), 'r', snap(route_dev='ens33', links={'ens33': ['10.138.3.130/24']}))
    assert (doc['bridge'], doc['bridge_subnet']) == ('ens33', None), 'an address outside the link subnets: no hairpin'


def test_automatic_port_kept_across_reruns_and_avoiding_others():
    nats = {'r': {'kind': 'dnat', 'host_ip': '0.0.0.0', 'host_port': 40004, 'proto': 'tcp', 'auto': True},
            'other': {'kind': 'dnat', 'host_ip': '0.0.0.0', 'host_port': 40000, 'proto': 'tcp'}}
    p = params(kind='dnat', container_ip='172.17.0.3', container_port=80, bridge='docker0')
    assert _nat_plan.desired(p, 'r', snap(nats=nats))['host_port'] == 40004
    networks = {'n': {'endpoints': {'c': {'publish': [{'host_ip': '0.0.0.0', 'host_port': 40001, 'proto': 'tcp'}]}}}}
    got = _nat_plan.desired(p, 'new', snap(nats=nats, networks=networks, listening={'tcp': {('127.0.0.1', 40002)}}))
    assert got['host_port'] == 40003, 'another rule, a network publish, a listening socket and the stored rule r hold 40000-40002 and 40004'
    udp = _nat_plan.desired(dict(p, proto='udp'), 'r', snap(nats=nats))
    assert (udp['host_port'], udp['auto']) == (40000, True), 'another protocol: the stored port is no longer its own'
    with pytest.raises(_validate.InputError, match='no free port left') as exc:
        _nat_plan.desired(p, 'new', snap(nats=nats, port_range='40000 40000'))
    assert exc.value.option == 'host_port'


def test_explicit_port_conflicts_except_with_itself():
    nats = {'r': {'kind': 'dnat', 'host_ip': '0.0.0.0', 'host_port': 8080, 'proto': 'tcp', 'auto': False}}
    p = params(kind='dnat', host_port=8080, container_ip='172.17.0.2', container_port=80, bridge='docker0')
    assert _nat_plan.desired(p, 'r', snap(nats=nats))['host_port'] == 8080
    with pytest.raises(_validate.InputError, match="host_port 8080: host port 8080/tcp is already published by nat_rule r"):
        _nat_plan.desired(p, 'dup', snap(nats=nats))
    with pytest.raises(_validate.InputError, match='listens on 0.0.0.0:8080'):
        _nat_plan.desired(p, 'dup', snap(listening={'tcp': {('0.0.0.0', 8080)}}))


@pytest.mark.parametrize('given, option, value', [
    (dict(kind='masquerade', container_ip='172.17.0.2'), 'container_ip', '172.17.0.2'),
    (dict(kind='dnat', container_port=80, source='10.0.0.0/8'), 'source', '10.0.0.0/8'),
    (dict(kind='snat', source='10.0.0.0/8'), 'to_source', None),
    (dict(kind='snat', source='10.0.0.0/8', to_source='10.0.0.300'), 'to_source', '10.0.0.300'),
    (dict(kind='masquerade', source='10.0.0.1/8'), 'source', '10.0.0.1/8'),
    (dict(kind='masquerade', source='bogus'), 'source', 'bogus'),
    (dict(kind='masquerade', out_interface='a' * 16), 'out_interface', 'a' * 16),
    (dict(kind='masquerade', out_interface='eth0', not_out_interface='eth1'), 'not_out_interface', 'eth1'),
    (dict(kind='dnat', container_port=80), 'container_ip', None),
    (dict(kind='dnat', container_ip='172.17.0.2'), 'container_port', None),
    (dict(kind='dnat', container_ip='172.17.0.300', container_port=80), 'container_ip', '172.17.0.300'),
    (dict(kind='dnat', container_ip='172.17.0.2', container_port=70000), 'container_port', 70000),
    (dict(kind='dnat', container_ip='172.17.0.2', container_port=80, host_ip='nowhere'), 'host_ip', 'nowhere'),
    (dict(kind='dnat', container_ip='172.17.0.2', container_port=80, host_port=70000), 'host_port', 70000),
    (dict(kind='dnat', container_ip='172.17.0.2', container_port=80, bridge='nosuchbr'), 'bridge', 'nosuchbr'),
    (dict(kind='dnat', container_ip='172.17.0.2', container_port=80, bridge='bad/name'), 'bridge', 'bad/name'),
])
def test_bad_input_names_option_and_value(given, option, value):
    with pytest.raises(_validate.InputError) as exc:
        _nat_plan.desired(params(**given), 'r', snap())
    assert (exc.value.option, exc.value.value) == (option, value)


@pytest.mark.parametrize('name', ['', 'a/b', '.', '..', 'x' * 65])
def test_rule_names(name):
    with pytest.raises(_validate.InputError, match='not a valid rule name'):
        _validate.rule_name(name)
    assert _validate.rule_name('web-1.x') == 'web-1.x'


@pytest.mark.parametrize('host_ip', ['0.0.0.0', '10.138.3.130', '172.17.0.1', '127.0.0.1', '127.0.0.5'])
def test_dnat_host_ip_of_the_host_loopback_or_wildcard(host_ip):
    doc = _nat_plan.desired(params(kind='dnat', host_ip=host_ip, container_ip='172.17.0.2', container_port=80), 'r', snap(route_dev='docker0'))
    assert doc['host_ip'] == host_ip


def test_dnat_host_ip_not_on_the_host_is_refused_naming_it():
    with pytest.raises(_validate.InputError) as err:
        _nat_plan.desired(params(kind='dnat', host_ip='10.138.3.200', container_ip='172.17.0.2', container_port=80), 'r', snap())
    assert err.value.option == 'host_ip' and err.value.value == '10.138.3.200'
    assert "host_ip '10.138.3.200'" in str(err.value) and '10.138.3.130, 172.17.0.1' in str(err.value)
