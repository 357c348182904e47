# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The [::1] userland proxies (issue 23): which ports of a network get one, their files and command, the plan from a
snapshot (start, restart, stop, nothing on a rerun), and the firewall leaving ::1 to them.  No kernel, no process."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _proxy

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
PROXYD = '/lib/systemd/systemd-socket-proxyd'


def pub(host_ip, host_port, container_port=80, proto='tcp'):
    return {'host_ip': host_ip, 'host_port': host_port, 'container_port': container_port, 'proto': proto, 'auto': False}


def network(publish, ip6='fd00:50::2', **extra):
    doc = {'name': 'v6', 'enable_ipv6': True, 'bridge': 'br-v6', 'subnet': '10.50.0.0/24', 'subnet_v6': 'fd00:50::/64',
           'gateway_v6': 'fd00:50::1', 'userland_proxy': True, 'endpoints': {'web': {'ip': '10.50.0.2', 'ip6': ip6, 'publish': publish}}}
    doc.update(extra)
    return doc


def test_instance_names_round_trip():
    assert _proxy.instance('my-net', 8080) == 'my-net-8080'
    assert _proxy.parse_instance('my-net-8080') == ('my-net', 8080)
    for bad in ('8080', 'net-', 'net-80a', '.hidden-80', '-80'):
        assert _proxy.parse_instance(bad) is None
    with pytest.raises(_proxy.HostnetError):
        _proxy.paths('../x')


def test_tcp_publishes_on_the_ipv6_wildcard_and_loopback_are_proxied():
    doc = network([pub('0.0.0.0', 8080), pub('::', 8080), pub('::1', 9090), pub('fd00:138::130', 8443),
                   pub('::', 5353, 53, 'udp'), pub('127.0.0.1', 7070)])
    assert _proxy.proxied(doc) == {8080: ('fd00:50::2', 80), 9090: ('fd00:50::2', 80)}
    # Without userland_proxy (the default, absent from the document) only the explicit [::1] publish is proxied.
    assert _proxy.proxied({k: v for k, v in doc.items() if k != 'userland_proxy'}) == {9090: ('fd00:50::2', 80)}
    # None without IPv6, without the container's IPv6 address, or in gateway mode routed (no host port mapped).
    assert _proxy.proxied(dict(doc, enable_ipv6=False)) == {}
    assert _proxy.proxied(network([pub('::', 8080)], ip6=None)) == {}
    assert _proxy.proxied(dict(doc, gateway_mode_ipv6='routed')) == {}
    assert _proxy.proxied(None) == {}


def test_env_and_command_match_the_unit():
    text = _proxy.env_text(8080, ('fd00:50::2', 80), PROXYD)
    # systemd-socket-proxyd splits its target at the last ':' and takes no brackets.
    assert text == 'LISTEN=[::1]:8080\nTARGET=fd00:50::2:80\nPROXYD=%s\n' % PROXYD
    argv = _proxy.command(text)
    assert argv == [_proxy.ACTIVATE, '--listen=[::1]:8080', '--setenv=HOSTNET_PROXY', PROXYD, 'fd00:50::2:80']
    with open(os.path.join(REPO, 'roles', 'host_requirements', 'files', 'systemd', 'hostnet-proxy@.service')) as f:
        unit = f.read()
    exec_start = re.search(r'^ExecStart=(.*)$', unit, re.M).group(1).split()
    env = _proxy.parse_env(text)
    assert [re.sub(r'\$\{(\w+)\}', lambda m: env[m.group(1)], arg) for arg in exec_start] == argv
    assert 'EnvironmentFile=%s\n' % _proxy.paths('NET-1')['env'].replace('NET-1', '%i') in unit
    assert 'Environment=%s=%%i\n' % _proxy.MARK in unit
    assert '[Install]' not in unit  # never enabled


class FakeService:
    """_proxy's actions, recorded."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def paths(name):
        return _proxy.paths(name)

    @staticmethod
    def manager():
        return 'supervised'

    def __getattr__(self, action):
        return lambda *args: self.calls.append((action,) + args)


def plan(doc, instances):
    svc = FakeService()
    steps = _proxy.plan(_plan.Plan(), 'v6', doc, {'proxyd': PROXYD, 'instances': instances}, svc)
    return steps, svc


def test_plan_starts_keeps_restarts_and_stops():
    doc = network([pub('0.0.0.0', 8080), pub('::', 8080), pub('::1', 9090)])
    env8080, env9090 = _proxy.env_text(8080, ('fd00:50::2', 80), PROXYD), _proxy.env_text(9090, ('fd00:50::2', 80), PROXYD)
    steps, svc = plan(doc, {})
    assert steps.commands == ['write /run/hostnet/proxy/v6-8080/env', 'write /run/hostnet/proxy/v6-9090/env',
                              'start [::1] proxy v6-8080 (supervised)', 'start [::1] proxy v6-9090 (supervised)']
    steps.execute()
    # The starts together, in one call: a network of many publishes starts its proxies in parallel.
    assert svc.calls == [('write', 'v6-8080', env8080), ('write', 'v6-9090', env9090), ('start_many', ['v6-8080', 'v6-9090'])]
    # A rerun with both running: nothing.  After a reboot (/run empty) or a killed proxy: started again.
    running = {'v6-8080': {'env': env8080, 'pid': 10}, 'v6-9090': {'env': env9090, 'pid': 11}}
    assert not plan(doc, running)[0]
    assert plan(doc, dict(running, **{'v6-9090': {'env': env9090, 'pid': None}}))[0].commands == ['start [::1] proxy v6-9090 (supervised)']
    # The container's address changed: the env rewritten and the proxy restarted.
    moved = network([pub('::', 8080)], ip6='fd00:50::9')
    assert plan(moved, running)[0].commands == ['write /run/hostnet/proxy/v6-8080/env', 'restart [::1] proxy v6-8080',
                                                'stop [::1] proxy v6-9090', 'remove /run/hostnet/proxy/v6-9090']
    # The network gone: every proxy stopped, its folder removed.
    assert plan(None, running)[0].commands == ['stop [::1] proxy v6-8080', 'remove /run/hostnet/proxy/v6-8080',
                                               'stop [::1] proxy v6-9090', 'remove /run/hostnet/proxy/v6-9090']


class RefusingService(FakeService):
    def start_many(self, names):
        self.calls.append(('start_many', names))
        raise _proxy.HostnetError('the [::1] proxy v6-9090 ([::1]:9090) could not start: Address already in use')


def test_a_failed_start_is_undone():
    doc = network([pub('::', 8080), pub('::1', 9090)])
    svc = RefusingService()
    steps = _proxy.plan(_plan.Plan(), 'v6', doc, {'proxyd': PROXYD, 'instances': {}}, svc)
    with pytest.raises(_plan.PlanFailed, match=r'^start \[::1\] proxy v6-9090 \(supervised\): .*Address already in use'):
        steps.execute()
    # Every start of the batch and every write undone, in reverse: the folders removed again.
    assert svc.calls[-4:] == [('stop', 'v6-9090'), ('stop', 'v6-8080'), ('write', 'v6-9090', None), ('write', 'v6-8080', None)]


def test_ipv6_rules_leave_loopback_to_the_proxy():
    doc = network([pub('0.0.0.0', 8080), pub('::', 8080), pub('::1', 9090)], firewall_backend='nftables')
    rules = _firewall_rules.desired_rules({'v6': doc}, {}, 'nftables')
    six = _firewall_rules.by_family(rules, 6)
    jumps = [r.match for r in six if (r.table, r.chain, r.target, r.arg) == ('nat', 'OUTPUT', 'JUMP', 'DNAT')]
    assert jumps == [{'dst_type': 'LOCAL', 'dst': '!::1'}]
    # Nothing for the ::1 publish (the loopback guard's drops of ::1 from outside stay).
    assert not [r for r in six if r.table != 'raw' and (r.match.get('dport') == 9090 or r.match.get('dst') == '::1')]
    assert [r.arg for r in six if r.target == 'DNAT'] == ['[fd00:50::2]:80']
    # IPv4 as before: its OUTPUT jump takes every local destination, 127.0.0.1 included.
    four = _firewall_rules.by_family(rules, 4)
    assert [r.match for r in four if (r.chain, r.target) == ('OUTPUT', 'JUMP')] == [{'dst_type': 'LOCAL'}]
