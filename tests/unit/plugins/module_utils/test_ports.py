# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests for plugins/module_utils/_ports.py: host port ranges and allocation, docker run -p parsing (pure logic, no root)."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _ports  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position


ports = _ports
IPAMError = _validate.InputError


# ---------------------------------------------------------------------------
# Ports
# ---------------------------------------------------------------------------

@pytest.mark.parametrize('value, expected', [('32768\t60999', (32768, 60999)), ('32768 60999\n', (32768, 60999)), ('1024-2048', (1024, 2048)),
                                             ([40000, 40010], (40000, 40010))])
def test_parse_port_range(value, expected):
    assert ports.parse_port_range(value) == expected


@pytest.mark.parametrize('value', ['60999 32768', '0 100', '1 70000', '32768', 'a b', 32768, '1 2 3'])
def test_parse_port_range_errors(value):
    with pytest.raises(IPAMError) as exc:
        ports.parse_port_range(value)
    assert exc.value.option == 'ip_local_port_range'


def test_allocate_host_port_lowest_free():
    assert ports.allocate_host_port() == 32768
    assert ports.allocate_host_port(taken=[32768, 32769, 32771]) == 32770
    assert ports.allocate_host_port(taken=[32768], port_range='32768\t60999') == 32769


def test_allocate_host_port_stable():
    assert ports.allocate_host_port(taken=[32768], existing=40000) == 40000
    assert ports.allocate_host_port(taken=[40000], existing=40000) == 32768
    assert ports.allocate_host_port(existing=1000) == 32768


def test_allocate_host_port_exhausted():
    with pytest.raises(IPAMError, match='no free port') as exc:
        ports.allocate_host_port(taken=[5000, 5001], port_range='5000 5001')
    assert exc.value.option == 'host_port'


def test_allocate_host_ports_batch():
    keys = [('web', 80, 'tcp'), ('web', 443, 'tcp'), ('db', 5432, 'tcp')]
    result = ports.allocate_host_ports(keys, taken=[32769], existing={('db', 5432, 'tcp'): 32768})
    assert result == {('web', 80, 'tcp'): 32770, ('web', 443, 'tcp'): 32771, ('db', 5432, 'tcp'): 32768}
    assert list(result) == keys


def test_allocate_host_ports_per_key_range():
    result = ports.allocate_host_ports({'a': [8000, 8010], 'b': None}, taken=[8000])
    assert result == {'a': 8001, 'b': 32768}


# ---------------------------------------------------------------------------
# docker run -p
# ---------------------------------------------------------------------------

def _pub(host_ip, host_port, container_port, proto='tcp', host_port_range=None):
    return {'host_ip': host_ip, 'host_port': host_port, 'host_port_range': host_port_range, 'container_port': container_port, 'proto': proto}


@pytest.mark.parametrize('value, expected', [
    ('80', [_pub(None, None, 80)]),
    (80, [_pub(None, None, 80)]),
    ('8080:80', [_pub(None, 8080, 80)]),
    ('127.0.0.1::80', [_pub('127.0.0.1', None, 80)]),
    ('10.138.3.130:20022:22', [_pub('10.138.3.130', 20022, 22)]),
    ('8080-8081:80-81', [_pub(None, 8080, 80), _pub(None, 8081, 81)]),
    ('53:53/udp', [_pub(None, 53, 53, 'udp')]),
    ('9999/sctp', [_pub(None, None, 9999, 'sctp')]),
    ('80/TCP', [_pub(None, None, 80)]),
    ('0:80', [_pub(None, None, 80)]),
    (':80', [_pub(None, None, 80)]),
    ('80-81', [_pub(None, None, 80), _pub(None, None, 81)]),
    ('0.0.0.0:8080:80/udp', [_pub('0.0.0.0', 8080, 80, 'udp')]),
    ('8000-8010:80', [_pub(None, None, 80, host_port_range=[8000, 8010])]),
    ('127.0.0.1:65535:1', [_pub('127.0.0.1', 65535, 1)]),
])
def test_parse_publish_ok(value, expected):
    assert ports.parse_publish(value) == expected


@pytest.mark.parametrize('value, message', [
    ('0', 'container port'),
    ('8080:0', 'container port'),
    ('65536', 'container port'),
    ('70000:80', 'host port'),
    ('8080:', 'no container port'),
    ('', 'expected a string'),
    ('300.1.1.1:80:80', 'invalid host IP'),
    ('localhost:80:80', 'invalid host IP'),
    ('127.0.0.1:80', 'host port'),
    ('8080-8082:80-81', 'different lengths'),
    ('81-80', 'start is above the end'),
    ('80/icmp', 'unknown protocol'),
    ('80/', 'unknown protocol'),
    ('80/tcp/udp', "only one '/proto'"),
    ('1:2:3:4', r'expected \[host_ip:\]'),
    ('[::1:80:80', 'ipv6_address'),  # an unclosed bracket; [::1]:80:80 parses (check_host_ip refuses it)
    ('::1:80:80', 'IPv6'),
    ('80 ', 'whitespace'),
    ('abc', 'container port'),
    (None, 'expected a string'),
    (True, 'expected a string'),
])
def test_parse_publish_errors(value, message):
    with pytest.raises(IPAMError, match=message) as exc:
        ports.parse_publish(value)
    assert exc.value.option == 'publish'
    assert exc.value.value == value


def test_parse_publishes_list_and_duplicates():
    result = ports.parse_publishes(['8080:80', '127.0.0.1:8081:80', '8080:80/udp', '10.0.0.1:9000:90', '10.0.0.2:9000:90'])
    assert len(result) == 5
    with pytest.raises(IPAMError, match="already published by '8080:80'") as exc:
        ports.parse_publishes(['8080:80', '127.0.0.1:8080:81'])
    assert exc.value.value == '127.0.0.1:8080:81'
    with pytest.raises(IPAMError, match='already published'):
        ports.parse_publishes(['8080-8081:80-81', '8081:82'])
    assert ports.parse_publishes('80') == [_pub(None, None, 80)]


def test_format_publish():
    assert ports.format_publish(_pub(None, 8080, 80)) == '0.0.0.0:8080->80/tcp'
    assert ports.format_publish(_pub('127.0.0.1', 32768, 53, 'udp')) == '127.0.0.1:32768->53/udp'
