# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ports planner (desired_publishes) from snapshots: explicit and automatic host ports, reruns, conflicts with
other publishes and listening sockets, an exhausted range, bad syntax.  No root, no kernel."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _ports  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position


def pub(host_port, container_port, host_ip='0.0.0.0', proto='tcp', auto=False):
    return {'host_ip': host_ip, 'host_port': host_port, 'container_port': container_port, 'proto': proto, 'auto': auto}


class PortRange:
    """read_port_range, counting its calls: the sysctl is read only when a port must be picked."""

    def __init__(self, value='32768\t60999'):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


def plan(endpoints, current=None, bound=None, listening=None, default_host_ip='0.0.0.0', port_range=None):
    bound = bound if bound is not None else _ports.BoundPorts()
    listening = listening if listening is not None else {'tcp': set(), 'udp': set(), 'sctp': set()}
    return _ports.desired_publishes(endpoints, current or {}, bound, listening, default_host_ip, port_range or PortRange())


def test_explicit_ports_need_no_port_range():
    port_range = PortRange()
    got = plan([{'name': 'web', 'publish': ['8080:80', '10.0.0.1:8443:443/tcp']}, {'name': 'db'}], port_range=port_range)
    assert got == {'web': [pub(8080, 80), pub(8443, 443, host_ip='10.0.0.1')]}
    assert port_range.calls == 0


def test_default_host_ip_fills_unset_addresses():
    got = plan([{'name': 'web', 'publish': ['8080:80', '127.0.0.2:8081:81']}], default_host_ip='127.0.0.1')
    assert got == {'web': [pub(8080, 80, host_ip='127.0.0.1'), pub(8081, 81, host_ip='127.0.0.2')]}


def test_automatic_ports_lowest_free_per_protocol_and_read_once():
    port_range = PortRange('40000 40010')
    got = plan([{'name': 'a', 'publish': ['80', '53/udp']}, {'name': 'b', 'publish': ['80', '8000-8001:81']}], port_range=port_range)
    assert got == {'a': [pub(40000, 80, auto=True), pub(40000, 53, proto='udp', auto=True)],
                   'b': [pub(40001, 80, auto=True), pub(8000, 81, auto=True)]}
    assert port_range.calls == 1


def test_rerun_keeps_automatic_ports_and_moves_only_taken_ones():
    current = {'a': {'publish': [pub(40005, 80, auto=True)]}, 'b': {'publish': [pub(40003, 80, auto=True)]},
               'c': {'publish': [pub(8080, 80)]}}
    got = plan([{'name': 'a', 'publish': ['80']}, {'name': 'b', 'publish': ['80']}, {'name': 'new', 'publish': ['80']}],
               current=current, port_range=PortRange('40000 40010'))
    assert got == {'a': [pub(40005, 80, auto=True)], 'b': [pub(40003, 80, auto=True)], 'new': [pub(40000, 80, auto=True)]}
    # An explicit port of the earlier run is no automatic one to keep; another network took b's.
    bound = _ports.bound_ports({'other': {'endpoints': {'x': {'publish': [pub(40003, 90)]}}}}, {})
    got = plan([{'name': 'b', 'publish': ['80']}, {'name': 'c', 'publish': ['80']}], current=current, bound=bound,
               port_range=PortRange('40000 40010'))
    assert got == {'b': [pub(40000, 80, auto=True)], 'c': [pub(40001, 80, auto=True)]}


def test_automatic_ports_avoid_other_publishes_and_listening_sockets():
    bound = _ports.bound_ports({'other': {'endpoints': {'x': {'publish': [pub(40000, 90)]}}}},
                               {'dns': {'kind': 'dnat', 'host_ip': '10.0.0.1', 'host_port': 40001, 'proto': 'tcp'}})
    listening = {'tcp': {('127.0.0.1', 40002)}, 'udp': {('0.0.0.0', 40000)}}
    got = plan([{'name': 'a', 'publish': ['80', '53/udp']}], bound=bound, listening=listening, port_range=PortRange('40000 40010'))
    assert got == {'a': [pub(40003, 80, auto=True), pub(40001, 53, proto='udp', auto=True)]}


@pytest.mark.parametrize('publish, bound, listening, message', [
    ('8080:80', [('0.0.0.0', 8080, 'tcp', 'container x on network other')], {}, 'already published by container x on network other'),
    ('10.0.0.1:8080:80', [('10.0.0.1', 8080, 'tcp', 'nat_rule web')], {}, 'already published by nat_rule web'),
    ('8080:80', [], {'tcp': {('10.0.0.1', 8080)}}, 'a process on the host listens on 10.0.0.1:8080'),
    ('127.0.0.1:53:53/udp', [], {'udp': {('0.0.0.0', 53)}}, 'listens on 0.0.0.0:53'),
])
def test_explicit_port_conflicts_name_the_option_the_value_and_the_holder(publish, bound, listening, message):
    with pytest.raises(_validate.InputError, match=message) as exc:
        plan([{'name': 'db'}, {'name': 'web', 'publish': [publish]}], bound=_ports.BoundPorts(bound),
             listening=dict({'tcp': set(), 'udp': set()}, **listening))
    assert (exc.value.option, exc.value.value) == ('endpoints[1].publish', publish)


def test_a_port_the_network_already_publishes_is_not_refused_for_a_listener_that_came_after_it(monkeypatch):
    """A rerun keeps web's 8080 though a process now listens there (no read of the host's sockets for it); a new
    container publishing a listened port is refused, and so is a kept port another network publishes now."""
    reads = []
    monkeypatch.setattr(_ports, 'listening', lambda proto: reads.append(proto) or {('0.0.0.0', 8080), ('0.0.0.0', 9090)})
    current = {'web': {'publish': [pub(8080, 80)]}}
    assert plan([{'name': 'web', 'publish': ['8080:80']}], current=current, listening={}) == {'web': [pub(8080, 80)]}
    assert reads == []
    with pytest.raises(_validate.InputError, match='listens on 0.0.0.0:9090') as exc:
        plan([{'name': 'web', 'publish': ['8080:80']}, {'name': 'new', 'publish': ['9090:80']}], current=current, listening={})
    assert exc.value.option == 'endpoints[1].publish'
    with pytest.raises(_validate.InputError, match='listens on 0.0.0.0:8080'):
        plan([{'name': 'other', 'publish': ['8080:80']}], current=current, listening={})  # held by web, not by other
    with pytest.raises(_validate.InputError, match='already published by container x'):
        plan([{'name': 'web', 'publish': ['8080:80']}], current=current, listening={},
             bound=_ports.BoundPorts([('0.0.0.0', 8080, 'tcp', 'container x on network other')]))


def test_no_conflict_on_other_address_or_protocol():
    bound = _ports.BoundPorts([('10.0.0.1', 8080, 'tcp', 'nat_rule web')])
    got = plan([{'name': 'web', 'publish': ['10.0.0.2:8080:80', '8080:80/udp']}], bound=bound, listening={'tcp': {('10.0.0.3', 8080)}, 'udp': set()})
    assert got == {'web': [pub(8080, 80, host_ip='10.0.0.2'), pub(8080, 80, proto='udp')]}


def test_two_endpoints_of_one_run_conflict():
    with pytest.raises(_validate.InputError, match='already published by container a') as exc:
        plan([{'name': 'a', 'publish': ['8080:80']}, {'name': 'b', 'publish': ['8080:81']}])
    assert exc.value.option == 'endpoints[1].publish'


def test_exhausted_range():
    with pytest.raises(_validate.InputError, match='no free port left') as exc:
        plan([{'name': 'a', 'publish': ['80', '81']}], port_range=PortRange('40000 40000'))
    assert exc.value.value == '40000-40000'
    with pytest.raises(_validate.InputError, match='no free port left'):
        plan([{'name': 'a', 'publish': ['8000-8001:80']}], listening={'tcp': {('0.0.0.0', 8000), ('0.0.0.0', 8001)}})


@pytest.mark.parametrize('publish, message', [
    ('80/icmp', 'unknown protocol'),
    ('8080-8082:80-81', 'different lengths'),
    ('1:2:3:4', 'expected'),
    ('web:80:80', 'invalid host IP'),
])
def test_bad_syntax_fails_before_anything_is_checked(publish, message):
    port_range = PortRange()
    with pytest.raises(_validate.InputError, match=message) as exc:
        plan([{'name': 'a', 'publish': ['80']}, {'name': 'b', 'publish': ['8080:80', publish]}], port_range=port_range,
             bound=_ports.BoundPorts([('0.0.0.0', 8080, 'tcp', 'someone')]))
    assert (exc.value.option, exc.value.value) == ('endpoints[1].publish', publish)
    assert port_range.calls == 0


def test_listening_cache_reads_a_protocol_once(monkeypatch):
    calls = []
    monkeypatch.setattr(_ports, 'listening', lambda proto: calls.append(proto) or {('0.0.0.0', 9000)})
    cache = {}
    assert _ports.taken_ports('tcp', [], cache) == [9000]
    _ports.check_port_free('p', '9001:80', {'host_ip': None, 'host_port': 9001, 'proto': 'tcp'}, [], cache)
    assert calls == ['tcp']


def test_allocate_keeps_existing_only_inside_its_range():
    got = _ports.allocate_host_ports({'a': [8000, 8010], 'b': None}, taken=[], existing={'a': 9000, 'b': 32770})
    assert got == {'a': 8000, 'b': 32770}
    with pytest.raises(_validate.InputError, match='from 1 to 65535'):
        _ports.allocate_host_ports(['a'], existing={'a': 'x'})


def test_sctp_listening_sockets(monkeypatch, tmp_path):
    eps = tmp_path / 'eps'
    eps.write_text(' ENDPT     SOCK   STY SST HBKT LPORT   UID INODE LADDRS\n'
                   ' 0 0 2 10 40 9999 0 1 0.0.0.0\n')
    real_open = open
    monkeypatch.setattr('builtins.open', lambda path, *a, **k: real_open(eps if path == '/proc/net/sctp/eps' else path, *a, **k))
    assert _ports.listening('sctp') == {('0.0.0.0', 9999)}
