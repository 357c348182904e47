# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Publishes on IPv6 (issue 23): the bracketed syntax, host_ip checks (::1 for TCP only), the two entries of an omitted
host_ip on a network with IPv6 (one host port, kept across reruns), conflicts per family.  No kernel."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _ports  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position

LOCAL = {'10.138.3.130', '2001:db8::5'}
DUAL = (4, 6)


def pub(host_port, container_port, host_ip='0.0.0.0', proto='tcp', auto=False):
    return {'host_ip': host_ip, 'host_port': host_port, 'container_port': container_port, 'proto': proto, 'auto': auto}


def plan(publish, families=DUAL, current=None, bound=None, listening=None, default_host_ip='0.0.0.0'):
    bound = bound if bound is not None else _ports.BoundPorts()
    listening = listening if listening is not None else {'tcp': set(), 'udp': set(), 'sctp': set()}
    return _ports.desired_publishes([{'name': 'web', 'publish': publish}], current or {}, bound, listening, default_host_ip,
                                    lambda: '32768\t60999', LOCAL, families).get('web')


@pytest.mark.parametrize('value, host_ip, host_port, container_port', [
    ('[2001:db8::1]:8080:80', '2001:db8::1', 8080, 80),
    ('[::]:8080:80', '::', 8080, 80),
    ('[::]::80', '::', None, 80),
    ('[2001:DB8:0::1]:8080:80/udp', '2001:db8::1', 8080, 80),
])
def test_bracketed_ipv6_host_addresses(value, host_ip, host_port, container_port):
    entry, = _ports.parse_publish(value)
    assert (entry['host_ip'], entry['host_port'], entry['container_port']) == (host_ip, host_port, container_port)


@pytest.mark.parametrize('value, error', [
    ('2001:db8::1:8080:80', 'in brackets'),
    ('[2001:db8::1]80', 'ipv6_address'),
    ('[2001:db8::zz]:8080:80', 'invalid IPv6 host address'),
    ('[10.0.0.1]:8080:80', 'invalid IPv6 host address'),
    ('[fe80::1%eth0]:8080:80', 'zone'),
])
def test_bad_ipv6_publish_names_the_value(value, error):
    with pytest.raises(_validate.InputError, match=error) as exc:
        _ports.parse_publish(value, 'endpoints[0].publish')
    assert exc.value.option == 'endpoints[0].publish' and exc.value.value == value


def test_omitted_host_ip_binds_both_families_with_one_port():
    assert plan(['8080:80']) == [pub(8080, 80), pub(8080, 80, '::')]
    got = plan(['80'])
    assert [e['host_ip'] for e in got] == ['0.0.0.0', '::'] and got[0]['host_port'] == got[1]['host_port'] == 32768
    assert got[0]['auto'] and got[1]['auto']
    # A rerun keeps the port for both, though a lower one is free now.
    current = {'web': {'publish': [pub(40000, 80, auto=True), pub(40000, 80, '::', auto=True)]}}
    assert [e['host_port'] for e in plan(['80'], current=current)] == [40000, 40000]


def test_the_auto_port_is_free_in_both_families():
    listening = {'tcp': {('2001:db8::5', 32768)}}
    got = plan(['80'], listening=listening)
    assert got[0]['host_port'] == got[1]['host_port'] == 32769


def test_ipv6_only_network_binds_ipv6_only_and_refuses_ipv4():
    assert plan(['8080:80'], families=(6,)) == [pub(8080, 80, '::')]
    with pytest.raises(_validate.InputError, match='no IPv4'):
        plan(['10.138.3.130:8080:80'], families=(6,))


def test_explicit_host_addresses_bind_one_family():
    assert plan(['0.0.0.0:8080:80']) == [pub(8080, 80)]
    assert plan(['[::]:8080:80']) == [pub(8080, 80, '::')]
    assert plan(['[2001:db8::5]:8080:80']) == [pub(8080, 80, '2001:db8::5')]
    # A host_binding_ipv4 of one address narrows the default to it, as Docker does: no [::] twin.
    assert plan(['8080:80'], default_host_ip='10.138.3.130') == [pub(8080, 80, '10.138.3.130')]


def test_ipv6_publish_needs_the_networks_ipv6():
    with pytest.raises(_validate.InputError, match='enable_ipv6') as exc:
        plan(['[::]:8080:80'], families=(4,))
    assert exc.value.option == 'endpoints[0].publish' and exc.value.value == '[::]:8080:80'


def test_ipv6_loopback_takes_tcp_only():
    # TCP on ::1 is the userland proxy's (_proxy); UDP and SCTP are refused with the reason, naming the value.
    assert plan(['[::1]:8080:80']) == [pub(8080, 80, '::1')]
    for value in ('[::1]:8080:80/udp', '[::1]:8080:80/sctp'):
        with pytest.raises(_validate.InputError, match='takes TCP only: the kernel does not forward IPv6 loopback') as exc:
            plan([value])
        assert (exc.value.option, exc.value.value) == ('endpoints[0].publish', value)
    # [::1] and [::] share the port: one socket address each family.
    with pytest.raises(_validate.InputError, match='already published'):
        _ports.parse_publishes(['[::]:8080:80', '[::1]:8080:80'])


def test_our_proxies_are_no_foreign_listeners(monkeypatch):
    """A rerun finds the [::1] proxy of its own publish listening: not a conflict, and an automatic port stays; a
    foreign [::1] listener still is one."""
    monkeypatch.setattr(_ports, 'listening', lambda proto: {('::1', 8080), ('::1', 40000)} if proto == 'tcp' else set())
    assert plan(['8080:80'], listening={_ports.OURS: {('::1', 8080)}}) == [pub(8080, 80), pub(8080, 80, '::')]
    current = {'web': {'publish': [pub(40000, 80, auto=True), pub(40000, 80, '::', auto=True)]}}
    got = plan(['80'], current=current, listening={_ports.OURS: {('::1', 40000)}})
    assert [e['host_port'] for e in got] == [40000, 40000]
    with pytest.raises(_validate.InputError, match=r'listens on \[::1\]:8080'):
        plan(['8080:80'], listening={_ports.OURS: {('::1', 40000)}})


def test_ipv6_host_address_must_be_the_hosts():
    with pytest.raises(_validate.InputError, match=r'not an address of this host: use one of its addresses \(2001:db8::5\) or \[::\]'):
        plan(['[2001:db8::99]:8080:80'])


def test_conflicts_are_per_family():
    bound = _ports.BoundPorts([('0.0.0.0', 8080, 'tcp', 'container a on network x')])
    assert plan(['[::]:8080:80'], bound=bound) == [pub(8080, 80, '::')]

    def bound6():
        return _ports.BoundPorts([('::', 8080, 'tcp', 'container a on network x')])

    with pytest.raises(_validate.InputError, match='already published by container a'):
        plan(['[2001:db8::5]:8080:80'], bound=bound6())
    with pytest.raises(_validate.InputError, match='already published by container a'):
        plan(['8080:80'], bound=bound6())  # its [::] twin
    assert plan(['0.0.0.0:8080:80'], bound=bound6()) == [pub(8080, 80)]
    with pytest.raises(_validate.InputError, match=r'listens on \[2001:db8::5\]:8080'):
        plan(['[::]:8080:80'], listening={'tcp': {('2001:db8::5', 8080)}})
    with pytest.raises(_validate.InputError, match='already published'):
        _ports.parse_publishes(['[::]:8080:80', '[2001:db8::5]:8080:80'])
    assert len(_ports.parse_publishes(['0.0.0.0:8080:80', '[::]:8080:80'])) == 2


def test_ipv6_publish_in_docker_ps_notation():
    assert _ports.format_publish(pub(8080, 80, '::')) == '[::]:8080->80/tcp'
    assert _ports.format_publish(pub(8443, 443, '2001:db8::5', 'udp')) == '[2001:db8::5]:8443->443/udp'
