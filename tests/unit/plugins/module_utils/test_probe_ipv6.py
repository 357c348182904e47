# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe over IPv6 without root: IPv6 targets and the family option checked, ICMPv6 echo packets built and
matched."""

from __future__ import annotations

import socket
import struct

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _probe
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_icmp
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_icmp6
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_names

DEFAULTS = dict(netns=None, target='fd00:23::2', method='ping', port=None, expect='reachable', expect_address=None,
                family='any', count=1, timeout=2.0)


# -- targets ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('target, ip', [
    ('fd00:23::2', 'fd00:23::2'),
    (' FD00:0023:0000:0000:0000:0000:0000:0002 ', 'fd00:23::2'),
    ('[fd00:23::2]', 'fd00:23::2'),
    ('::1', '::1'),
    ('fe80::2%eth1', 'fe80::2%eth1'),
    ('[fe80::0002%veth-a.1]', 'fe80::2%veth-a.1'),
])
def test_ipv6_targets(target, ip):
    want = _probe.validate(dict(DEFAULTS, target=target))
    assert (want['ip'], want['name'], want['family']) == (ip, None, 'any')


@pytest.mark.parametrize('extra, option, needle', [
    ({'target': 'fd00::zz'}, 'target', 'not a valid IPv6 address'),
    ({'target': 'fd00:::1'}, 'target', 'not a valid IPv6 address'),
    ({'target': 'fe80::1'}, 'target', 'a link-local address needs its interface: fe80::1%IFNAME'),
    ({'target': 'fe80::1%'}, 'target', 'must be an interface name'),
    ({'target': 'fe80::1%a/b'}, 'target', 'must be an interface name'),
    ({'target': 'fe80::1%' + 'x' * 16}, 'target', 'must be an interface name'),
    ({'target': 'fd00::1%eth0'}, 'target', 'only taken with a link-local'),
    ({'target': '::ffff:10.0.0.1'}, 'target', 'give the IPv4 address 10.0.0.1'),
    ({'target': 'fd00::1', 'method': 'resolve'}, 'target', 'needs a host name'),
    ({'target': 'fd00::1', 'family': 'ipv4'}, 'family', 'is an IPv6 address'),
    ({'target': '10.0.0.1', 'family': 'ipv6'}, 'family', 'is an IPv4 address'),
    ({'family': 'inet6'}, 'family', 'must be one of any, ipv4, ipv6'),
    ({'target': 'db', 'method': 'resolve', 'expect_address': 'fd00::zz'}, 'expect_address', 'not an IPv4 or IPv6'),
    ({'target': 'db', 'method': 'resolve', 'expect_address': 'fe80::1%eth0'}, 'expect_address', 'not an IPv4 or IPv6'),
    ({'target': 'db', 'method': 'resolve', 'expect_address': 'fd00::1', 'family': 'ipv4'}, 'expect_address', 'not an IPv4'),
    ({'target': 'db', 'method': 'resolve', 'expect_address': '10.0.0.1', 'family': 'ipv6'}, 'expect_address', 'not an IPv6'),
])
def test_bad_ipv6_input_names_the_option(extra, option, needle):
    with pytest.raises(_probe.ProbeError) as err:
        _probe.validate(dict(DEFAULTS, **extra))
    assert err.value.option == option and str(err.value).startswith(option) and needle in str(err.value), str(err.value)


def test_resolve_with_an_ipv6_expected_address_and_family():
    want = _probe.validate(dict(DEFAULTS, target='db', method='resolve', expect_address='FD00:23:0::7', family='ipv6'))
    assert (want['expect_address'], want['family'], want['name']) == ('fd00:23::7', 'ipv6', 'db')


def test_tcp_to_an_ipv6_target():
    want = _probe.validate(dict(DEFAULTS, target='[fd00:23::2]', method='tcp', port=8080))
    assert (want['ip'], want['port']) == ('fd00:23::2', 8080)


def test_sockaddr_per_family():
    with _probe.Prober(None) as prober:
        assert prober.sockaddr('10.0.0.1', 80) == (socket.AF_INET, ('10.0.0.1', 80))
        assert prober.sockaddr('fd00::1', 80) == (socket.AF_INET6, ('fd00::1', 80, 0, 0))
        assert prober.sockaddr('fe80::1%lo', 0) == (socket.AF_INET6, ('fe80::1', 0, 0, socket.if_nametoindex('lo')))
        with pytest.raises(_probe.ProbeError, match="target 'fe80::1%nosuch0': no interface nosuch0 in the host's namespace"):
            prober.sockaddr('fe80::1%nosuch0', 0)


# -- ICMPv6 packets -----------------------------------------------------------------------------------------------
PAYLOAD = _probe_icmp.echo_payload(b'x')


def test_echo_request_leaves_the_checksum_to_the_kernel():
    packet = _probe_icmp6.echo_request(0xBEEF, 3, PAYLOAD)
    assert packet[:8] == bytes.fromhex('80000000beef0003') and packet[8:] == PAYLOAD


def test_filter_lets_only_the_wanted_types_through():
    words = struct.unpack('8I', _probe_icmp6.icmp6_filter())
    passed = [t for t in range(256) if not words[t >> 5] & (1 << (t & 31))]
    assert passed == [1, 2, 3, 129]


def echo_reply(ident=0x1111, seq=2, payload=PAYLOAD, itype=129):
    return struct.pack('!BBHHH', itype, 0, 0, ident, seq) + payload


def quoted_request(dst='fd00:23::2', ident=0x1111, seq=2, next_header=58, version=6):
    body = _probe_icmp6.echo_request(ident, seq, PAYLOAD)
    header = struct.pack('!IHBB16s16s', version << 28, len(body), next_header, 64,
                         socket.inet_pton(socket.AF_INET6, 'fd00:23::1'), socket.inet_pton(socket.AF_INET6, dst))
    return header + body


def error(itype, code, quoted):
    return struct.pack('!BBHI', itype, code, 0, 0) + quoted


def test_match_echo_reply():
    assert _probe_icmp6.match_icmp6(echo_reply(), 'fd00:23:0::2', 'fd00:23::2', 0x1111, 2, PAYLOAD) == ('reply', 'fd00:23:0::2')
    assert _probe_icmp6.match_icmp6(echo_reply(), 'fe80::2%eth1', 'fe80::2', 0x1111, 2, PAYLOAD) == ('reply', 'fe80::2')


@pytest.mark.parametrize('itype, code, reason', [
    (1, 3, 'host unreachable'), (1, 0, 'network unreachable (no route)'), (1, 1, 'administratively prohibited'),
    (1, 4, 'port unreachable'), (1, 42, 'destination unreachable (code 42)'), (3, 0, 'hop limit exceeded'),
    (2, 0, 'packet too big'),
])
def test_match_an_error_quoting_our_request(itype, code, reason):
    seen = _probe_icmp6.match_icmp6(error(itype, code, quoted_request()), 'fd00:23::1', 'fd00:23::2', 0x1111, 2, PAYLOAD)
    assert seen[:2] == ('error', 'fd00:23::1') and reason in seen[2]


@pytest.mark.parametrize('message, source', [
    (echo_reply(ident=0x2222), 'fd00:23::2'),                   # another ping's ident
    (echo_reply(seq=1), 'fd00:23::2'),                          # an earlier attempt
    (echo_reply(), 'fd00:23::9'),                               # from someone else
    (echo_reply(payload=_probe_icmp.echo_payload(b'y')), 'fd00:23::2'),
    (echo_reply(itype=128), 'fd00:23::1'),                      # our own request, looped back
    (echo_reply()[:7], 'fd00:23::2'),                           # too short
    (error(1, 3, quoted_request(dst='fd00:23::9')), 'fd00:23::1'),  # about a request to someone else
    (error(1, 3, quoted_request(seq=7)), 'fd00:23::1'),
    (error(1, 3, quoted_request(next_header=6)), 'fd00:23::1'),    # quotes a TCP segment
    (error(1, 3, quoted_request(version=4)), 'fd00:23::1'),
    (error(1, 3, quoted_request()[:44]), 'fd00:23::1'),            # quote cut short
    (error(4, 0, quoted_request()), 'fd00:23::1'),                 # parameter problem: not a verdict
])
def test_match_ignores_what_is_not_about_our_request(message, source):
    assert _probe_icmp6.match_icmp6(message, source, 'fd00:23::2', 0x1111, 2, PAYLOAD) is None


def test_same_address():
    assert _probe_icmp6.same_address('FD00:23:0::2', 'fd00:23::2%eth0')
    assert not _probe_icmp6.same_address('fd00:23::2', 'fd00:23::3')
    assert not _probe_icmp6.same_address('nonsense', 'fd00:23::3')


# -- family any: IPv4 then IPv6 ------------------------------------------------------------------------------------
def fake_getaddrinfo(table):
    def lookup(name, family):
        answer = table[family]
        if isinstance(answer, int):
            raise socket.gaierror(answer, 'error %d' % answer)
        return answer, name
    return lookup


@pytest.mark.parametrize('table, expected', [
    ({socket.AF_INET: ['10.0.0.7'], socket.AF_INET6: ['fd00::7']}, ['10.0.0.7', 'fd00::7']),
    ({socket.AF_INET: socket.EAI_NONAME, socket.AF_INET6: ['fd00::7']}, ['fd00::7']),
    ({socket.AF_INET: ['10.0.0.7'], socket.AF_INET6: _probe_names.EAI_NODATA}, ['10.0.0.7']),
])
def test_family_any_lists_ipv4_first(monkeypatch, table, expected):
    monkeypatch.setattr(_probe_names, '_getaddrinfo', fake_getaddrinfo(table))
    assert _probe_names._addresses('dual', socket.AF_UNSPEC) == (expected, 'dual')  # pylint: disable=protected-access


def test_family_any_not_found_says_why(monkeypatch):
    monkeypatch.setattr(_probe_names, '_getaddrinfo', fake_getaddrinfo({socket.AF_INET: socket.EAI_NONAME,
                                                                        socket.AF_INET6: socket.EAI_AGAIN}))
    with pytest.raises(socket.gaierror) as err:
        _probe_names._addresses('x', socket.AF_UNSPEC)  # pylint: disable=protected-access
    assert err.value.errno == socket.EAI_AGAIN
    monkeypatch.setattr(_probe_names, '_getaddrinfo', fake_getaddrinfo({socket.AF_INET: socket.EAI_NONAME,
                                                                        socket.AF_INET6: _probe_names.EAI_NODATA}))
    assert _probe_names.answer('x', socket.AF_UNSPEC)['error'] == socket.EAI_NONAME
