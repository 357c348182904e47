# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe engine without root: option checks, the name lookup's child and its wording, ICMP packets, verdicts."""

from __future__ import annotations

import os
import socket
import struct
import time

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _probe
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_icmp
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_names
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

DEFAULTS = dict(netns=None, target='172.17.0.3', method='ping', port=None, expect='reachable', expect_address=None, family='any',
                count=1, timeout=2.0)


# -- option validation ------------------------------------------------------------------------
def test_validate_normalises_an_address_target():
    want = _probe.validate(dict(DEFAULTS, netns='web01', target=' 172.17.0.3 '))
    assert want == dict(DEFAULTS, netns='web01', target='172.17.0.3', name=None, ip='172.17.0.3')


def test_validate_a_name_target_and_tcp():
    want = _probe.validate(dict(DEFAULTS, target='db01.lab.example.', method='tcp', port='5432', count=3, timeout='0.5'))
    assert (want['name'], want['ip'], want['port'], want['count'], want['timeout']) == ('db01.lab.example.', None, 5432, 3, 0.5)


def test_validate_resolve_with_expect_address():
    want = _probe.validate(dict(DEFAULTS, target='db01', method='resolve', expect_address='172.18.0.3'))
    assert want['expect_address'] == '172.18.0.3' and want['name'] == 'db01'


@pytest.mark.parametrize('extra, option, needle', [
    ({'method': 'tcp'}, 'port', 'required with method tcp'),
    ({'port': 80}, 'port', 'only used with method tcp, not ping'),
    ({'method': 'resolve', 'target': 'db', 'port': 53}, 'port', 'only used with method tcp, not resolve'),
    ({'method': 'tcp', 'port': 0}, 'port', '1 to 65535'),
    ({'method': 'tcp', 'port': 65536}, 'port', '1 to 65535'),
    ({'method': 'tcp', 'port': 'http'}, 'port', 'must be a number'),
    ({'method': 'traceroute'}, 'method', 'must be one of'),
    ({'expect': 'maybe'}, 'expect', 'must be one of'),
    ({'netns': 'a/b'}, 'netns', 'not a valid namespace name'),
    ({'netns': '..'}, 'netns', 'not a valid namespace name'),
    ({'target': ''}, 'target', 'an IPv6 address or a host name'),
    ({'target': None}, 'target', 'an IPv6 address or a host name'),
    ({'target': '172.17.0.300'}, 'target', 'not a valid IPv4 address'),
    ({'target': 'fd00::zz'}, 'target', 'not a valid IPv6 address'),
    ({'target': 'bad name'}, 'target', 'neither'),
    ({'target': '-leading.example'}, 'target', 'neither'),
    ({'target': 'a' * 64 + '.example'}, 'target', 'neither'),
    ({'method': 'resolve'}, 'target', 'needs a host name'),
    ({'expect_address': '172.18.0.3', 'target': 'db'}, 'expect_address', 'only used with method resolve'),
    ({'method': 'resolve', 'target': 'db', 'expect_address': '172.18.0.3', 'expect': 'unreachable'}, 'expect_address',
     'needs expect reachable'),
    ({'method': 'resolve', 'target': 'db', 'expect_address': 'db01'}, 'expect_address', 'not an IPv4 or IPv6 address'),
    ({'count': 0}, 'count', '1 to 1000'),
    ({'count': True}, 'count', 'must be a number'),
    ({'timeout': 0}, 'timeout', 'more than 0'),
    ({'timeout': -1.5}, 'timeout', 'more than 0'),
    ({'timeout': 'soon'}, 'timeout', 'must be a number'),
])
def test_validate_bad_input_names_the_option(extra, option, needle):
    with pytest.raises(_probe.ProbeError) as err:
        _probe.validate(dict(DEFAULTS, **extra))
    assert err.value.option == option
    assert str(err.value).startswith(option) and needle in str(err.value)


def test_error_text_shows_the_value():
    assert str(_probe.ProbeError('port', 70000, 'must be from 1 to 65535')) == 'port 70000: must be from 1 to 65535'
    assert str(_probe.ProbeError('netns', 'web99', 'no such network namespace')) == "netns 'web99': no such network namespace"
    assert str(_probe.ProbeError('port', None, 'required with method tcp')) == 'port: required with method tcp'
    # One kind of input error for every module: whoever catches InputError catches the probe's too.
    assert isinstance(_probe.ProbeError('port', 0, 'x'), _validate.InputError)


# -- name lookup: what the namespace sees, and the answer worded ----------------------------------------
@pytest.fixture
def etc(tmp_path, monkeypatch):
    """A fake /etc and /etc/netns: web01 has its own hosts and resolv.conf, web02 only its own hosts."""
    monkeypatch.setattr(_probe_names, 'ETC_NETNS', str(tmp_path / 'netns'))
    monkeypatch.setattr(_probe_names, 'ETC', str(tmp_path / 'etc'))
    (tmp_path / 'etc').mkdir()
    (tmp_path / 'etc' / 'hosts').write_text('127.0.0.1 localhost\n')
    (tmp_path / 'etc' / 'resolv.conf').write_text('nameserver 10.0.0.2\n')
    for netns, files in (('web01', ('hosts', 'resolv.conf')), ('web02', ('hosts',))):
        (tmp_path / 'netns' / netns).mkdir(parents=True)
        for fname in files:
            (tmp_path / 'netns' / netns / fname).write_text('nameserver 172.18.0.53\n' if fname == 'resolv.conf' else '')
    return tmp_path


def test_etc_path_prefers_the_namespace_file(etc):
    assert _probe_names.etc_path('web01', 'hosts') == str(etc / 'netns' / 'web01' / 'hosts')
    assert _probe_names.etc_path('web02', 'resolv.conf') == str(etc / 'etc' / 'resolv.conf')
    assert _probe_names.etc_path('web03', 'hosts') == str(etc / 'etc' / 'hosts')
    assert _probe_names.etc_path(None, 'hosts') == str(etc / 'etc' / 'hosts')
    assert _probe_names.read_text(str(etc / 'missing')) is None


def test_nameservers_as_the_resolver_takes_them():
    text = """\
# comment
nameserver 10.0.0.2
nameserver
nameserver 10.0.0.3 # trailing words ignored
search lab.example
nameserver fd00::53
nameserver 10.0.0.5
"""
    assert _probe_names.nameservers(text) == ['10.0.0.2', '10.0.0.3', 'fd00::53']
    assert _probe_names.nameservers(None) == ['127.0.0.1']
    assert _probe_names.nameservers('search lab.example\n') == ['127.0.0.1']


@pytest.mark.parametrize('timeout, expected', [(0.1, 1), (1, 1), (1.5, 2), (2.0, 2), (3600, 3600)])
def test_resolver_seconds_are_whole_and_at_least_one(timeout, expected):
    assert _probe_names.resolver_seconds(timeout) == expected


def test_resolution_names_the_hosts_file_or_the_name_servers(etc):
    found = _probe_names.resolution({'addresses': ['172.18.0.3'], 'canonical': 'db01', 'files': True}, 'web01')
    assert (found.addresses, found.source, found.error) == (['172.18.0.3'], str(etc / 'netns' / 'web01' / 'hosts'), None)
    found = _probe_names.resolution({'addresses': ['172.18.0.99', '172.18.0.98'], 'canonical': 'db.lab.example',
                                     'files': False}, 'web01')
    assert found.addresses == ['172.18.0.99', '172.18.0.98'] and found.source == 'DNS 172.18.0.53 (db.lab.example)'
    found = _probe_names.resolution({'addresses': ['10.1.1.1'], 'canonical': 'x.example', 'files': False}, None)
    assert found.source == 'DNS 10.0.0.2 (x.example)'


@pytest.mark.parametrize('answer, detail', [
    ({'error': socket.EAI_NONAME, 'text': 'Name or service not known'},
     'NXDOMAIN, no such name (getaddrinfo: Name or service not known)'),
    ({'error': socket.EAI_AGAIN, 'text': 'Temporary failure in name resolution'},
     'no name server answered (or one answered SERVFAIL) (getaddrinfo: Temporary failure in name resolution)'),
    ({'error': _probe_names.EAI_NODATA, 'text': 'No address associated with hostname'}, 'the name has no address of the family asked'),
    ({'error': socket.EAI_FAIL, 'text': 'Non-recoverable failure'}, 'a name server refused the query or failed'),
    ({'error': -99, 'text': 'Something else'}, 'getaddrinfo: Something else'),
    ({'timeout': 43}, 'timeout after 43 s'),
    ({'setup_error': 'unshare: Operation not permitted'}, 'the lookup could not run (unshare: Operation not permitted)'),
])
def test_resolution_failure_says_where_it_looked_and_why(etc, answer, detail):
    found = _probe_names.resolution(answer, 'web01')
    assert found.addresses == [] and found.source is None
    where = etc / 'netns' / 'web01'
    assert found.error.startswith('not in %s; DNS 172.18.0.53 (%s): ' % (where / 'hosts', where / 'resolv.conf'))
    assert detail in found.error


def test_resolution_failure_without_a_hosts_file(etc):
    (etc / 'etc' / 'hosts').unlink()
    found = _probe_names.resolution({'error': socket.EAI_NONAME, 'text': 'Name or service not known'}, 'web03')
    assert found.error.startswith('no %s; DNS 10.0.0.2 (%s): NXDOMAIN' % (etc / 'etc' / 'hosts', etc / 'etc' / 'resolv.conf'))


# -- name lookup: the child (this process's namespace, no root) ----------------------------------------
def test_lookup_runs_the_system_resolver_in_a_child():
    answer = _probe_names.lookup(None, None, 'localhost', 1)
    assert answer['addresses'] == ['127.0.0.1'] and answer['files'] is True


def test_lookup_reports_the_resolver_error(monkeypatch):
    def not_found(name, family):
        raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
    monkeypatch.setattr(_probe_names, '_getaddrinfo', not_found)  # the forked child inherits the fake
    assert _probe_names.lookup(None, None, 'nosuchname', 1) == {'error': socket.EAI_NONAME, 'text': 'Name or service not known'}


def test_lookup_gives_the_resolver_the_probe_timeout(monkeypatch):
    monkeypatch.setattr(_probe_names, 'answer', lambda name, family: {'res_options': os.environ.get('RES_OPTIONS')})
    assert _probe_names.lookup(None, None, 'x', 1.5) == {'res_options': 'timeout:2 attempts:1'}


def test_lookup_kills_a_child_that_hangs(monkeypatch):
    monkeypatch.setattr(_probe_names, 'MAX_QUERIES', 0)  # the budget is then the one spare second
    monkeypatch.setattr(_probe_names, 'answer', lambda name, family: time.sleep(30))
    start = time.monotonic()
    assert _probe_names.lookup(None, None, 'x', 1) == {'timeout': 1}
    assert time.monotonic() - start < 5


def test_lookup_reports_a_child_that_cannot_set_up(monkeypatch):
    def broken(name, family):
        raise OSError(1, 'Operation not permitted')
    monkeypatch.setattr(_probe_names, 'answer', broken)
    assert _probe_names.lookup(None, None, 'x', 1) == {'setup_error': '[Errno 1] Operation not permitted'}


def test_prober_resolve_from_this_namespace():
    with _probe.Prober(None) as prober:
        found = prober.resolve('localhost', 1)
    assert found.addresses == ['127.0.0.1'] and found.source == '/etc/hosts' and found.error is None


# -- ICMP ------------------------------------------------------------------------------------------------
def test_checksum_known_values():
    # RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
    assert _probe_icmp.checksum(bytes.fromhex('0001f203f4f5f6f7')) == 0xFFFF - 0xDDF2
    # An odd length is padded with a zero byte.
    assert _probe_icmp.checksum(b'\x01') == _probe_icmp.checksum(b'\x01\x00') == 0xFEFF
    assert _probe_icmp.checksum(b'') == 0xFFFF
    # A real IPv4 header (checksum field b861) checks to zero.
    header = bytes.fromhex('450000730000400040 11b861c0a80001c0a800c7'.replace(' ', ''))
    assert _probe_icmp.checksum(header) == 0


def test_echo_request_checksums_to_zero():
    payload = _probe_icmp.echo_payload(b'token')
    packet = _probe_icmp.echo_request(0xBEEF, 3, payload)
    assert len(payload) == 56 and payload.startswith(b'token')
    assert packet[:2] == b'\x08\x00' and packet[4:8] == b'\xbe\xef\x00\x03' and packet[8:] == payload
    assert _probe_icmp.checksum(packet) == 0


def ip_packet(src, dst, body, proto=1):
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), 0, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return header + body


def icmp(itype, code, rest, body):
    head = struct.pack('!BBH', itype, code, 0) + rest
    csum = _probe_icmp.checksum(head + body)
    return struct.pack('!BBH', itype, code, csum) + rest + body


PAYLOAD = _probe_icmp.echo_payload(b'x')
REQUEST = _probe_icmp.echo_request(0x1111, 2, PAYLOAD)


def echo_reply(ident=0x1111, seq=2, payload=PAYLOAD):
    return icmp(0, 0, struct.pack('!HH', ident, seq), payload)


def test_match_echo_reply():
    assert _probe_icmp.match_icmp(ip_packet('172.17.0.3', '172.17.0.2', echo_reply()), '172.17.0.3', 0x1111, 2, PAYLOAD) == \
        ('reply', '172.17.0.3')


@pytest.mark.parametrize('packet', [
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply(ident=0x2222)),           # another ping's ident
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply(seq=1)),                  # an earlier attempt
    ip_packet('172.17.0.9', '172.17.0.2', echo_reply()),                        # from someone else
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply(payload=_probe_icmp.echo_payload(b'y'))),
    ip_packet('172.17.0.2', '172.17.0.3', REQUEST),                             # our own request, looped back
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply()[:2] + b'\x00\x00' + echo_reply()[4:]),  # bad checksum
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply())[:27],                  # too short
    b'\x60' + ip_packet('172.17.0.3', '172.17.0.2', echo_reply())[1:],         # not IPv4
])
def test_match_ignores_what_is_not_our_reply(packet):
    assert _probe_icmp.match_icmp(packet, '172.17.0.3', 0x1111, 2, PAYLOAD) is None


def test_match_unreachable_quoting_our_request():
    quoted = ip_packet('172.17.0.2', '172.17.0.3', REQUEST)[:28]
    packet = ip_packet('172.17.0.1', '172.17.0.2', icmp(3, 1, b'\x00' * 4, quoted))
    assert _probe_icmp.match_icmp(packet, '172.17.0.3', 0x1111, 2, PAYLOAD) == ('error', '172.17.0.1', 'host unreachable')
    ttl = ip_packet('10.0.0.1', '172.17.0.2', icmp(11, 0, b'\x00' * 4, quoted))
    assert _probe_icmp.match_icmp(ttl, '172.17.0.3', 0x1111, 2, PAYLOAD)[2] == 'time to live exceeded in transit'
    # The same error about another ping, another target or another protocol is not ours.
    assert _probe_icmp.match_icmp(packet, '172.17.0.3', 0x1112, 2, PAYLOAD) is None
    assert _probe_icmp.match_icmp(packet, '172.17.0.4', 0x1111, 2, PAYLOAD) is None
    udp = ip_packet('172.17.0.2', '172.17.0.3', REQUEST, proto=17)[:28]
    unreachable = ip_packet('172.17.0.1', '172.17.0.2', icmp(3, 3, b'\x00' * 4, udp))
    assert _probe_icmp.match_icmp(unreachable, '172.17.0.3', 0x1111, 2, PAYLOAD) is None


def test_icmp_reasons():
    assert _probe_icmp.icmp_reason(3, 13) == 'communication administratively prohibited (filtered)'
    assert _probe_icmp.icmp_reason(3, 99) == 'destination unreachable (code 99)'
    assert _probe_icmp.icmp_reason(11, 1) == 'fragment reassembly time exceeded'


# -- verdicts --------------------------------------------------------------------------------------------
def result(**kw):
    out = {'changed': False, 'reachable': False, 'address': '172.17.0.3', 'addresses': ['172.17.0.3'], 'resolved_from': None,
           'rtt_ms': None, 'attempts': 1, 'error': None}
    out.update(kw)
    return out


def test_verdict_messages():
    want = _probe.validate(dict(DEFAULTS, netns='web01'))
    agrees, msg = _probe.verdict(want, result(error='timeout after 2 s'))
    assert not agrees
    assert msg == 'probe from web01 to 172.17.0.3 (ping): expected reachable, got unreachable (timeout after 2 s)'
    agrees, msg = _probe.verdict(want, result(reachable=True, rtt_ms=0.05))
    assert agrees and msg == 'probe from web01 to 172.17.0.3 (ping): reachable as expected (rtt 0.05 ms)'
    want = _probe.validate(dict(DEFAULTS, method='tcp', port=80, expect='unreachable', count=3))
    agrees, msg = _probe.verdict(want, result(error='connection refused', attempts=3))
    assert agrees and msg == ('probe from the host to 172.17.0.3 (tcp port 80): unreachable as expected after 3 attempts '
                              '(connection refused)')
    agrees, msg = _probe.verdict(want, result(reachable=True, rtt_ms=0.1))
    assert not agrees and 'expected unreachable, got reachable (rtt 0.1 ms)' in msg


def test_verdict_resolve_and_expect_address():
    want = _probe.validate(dict(DEFAULTS, target='db01', method='resolve', expect_address='172.18.0.3'))
    found = result(reachable=True, address='172.18.0.4', addresses=['172.18.0.4'], resolved_from='/etc/hosts', rtt_ms=0.1)
    agrees, msg = _probe.verdict(want, found)
    assert not agrees and msg == 'probe from the host to db01 (resolve): expected 172.18.0.3, got 172.18.0.4 (from /etc/hosts)'
    found.update(addresses=['172.18.0.4', '172.18.0.3'])
    assert _probe.verdict(want, found)[0]
    want = _probe.validate(dict(DEFAULTS, target='db01', method='ping'))
    agrees, msg = _probe.verdict(want, result(address='172.18.0.3', error='host unreachable'))
    assert msg.startswith('probe from the host to db01 (172.18.0.3) (ping): expected reachable')


# -- run(), with a fake prober ------------------------------------------------------------------------------
class FakeProber:
    where = 'namespace web01'

    def __init__(self, outcomes, names=None):
        self.outcomes = list(outcomes)
        self.names = names or {}
        self.calls = []

    def ping(self, ip, timeout, ident, seq):
        self.calls.append(('ping', ip, timeout, seq))
        return self.outcomes.pop(0)

    def tcp(self, ip, port, timeout):
        self.calls.append(('tcp', ip, port, timeout))
        return self.outcomes.pop(0)

    def resolve(self, name, timeout, family='any'):
        self.calls.append(('resolve', name))
        addresses = self.names.get(name)
        return _probe.Resolution(addresses or [], '/etc/netns/web01/hosts' if addresses else None,
                                 None if addresses else 'not in /etc/netns/web01/hosts')


def test_run_stops_at_the_first_success():
    prober = FakeProber([(False, None, 'timeout after 1 s'), (True, 0.2, None), (True, 0.1, None)])
    res = _probe.run(_probe.validate(dict(DEFAULTS, count=3, timeout=1)), prober)
    assert res['reachable'] and res['attempts'] == 2 and res['rtt_ms'] == 0.2 and res['error'] is None
    assert [c[3] for c in prober.calls] == [1, 2]


def test_run_all_attempts_fail():
    prober = FakeProber([(False, None, 'connection refused')] * 2)
    res = _probe.run(_probe.validate(dict(DEFAULTS, method='tcp', port=80, count=2)), prober)
    assert not res['reachable'] and res['attempts'] == 2 and res['error'] == 'connection refused' and res['changed'] is False


def test_run_resolves_a_name_before_ping():
    prober = FakeProber([(True, 0.3, None)], names={'db01': ['172.18.0.3']})
    res = _probe.run(_probe.validate(dict(DEFAULTS, target='db01')), prober)
    assert prober.calls[0] == ('resolve', 'db01') and prober.calls[1][:2] == ('ping', '172.18.0.3')
    assert res['address'] == '172.18.0.3' and res['resolved_from'] == '/etc/netns/web01/hosts'


def test_run_unresolvable_name_is_an_error_not_a_result():
    with pytest.raises(_probe.ProbeError) as err:
        _probe.run(_probe.validate(dict(DEFAULTS, target='nope', expect='unreachable')), FakeProber([]))
    assert err.value.option == 'target' and 'method resolve with expect unreachable' in str(err.value)


def test_run_resolve_not_found():
    res = _probe.run(_probe.validate(dict(DEFAULTS, target='nope', method='resolve', count=2)), FakeProber([]))
    assert not res['reachable'] and res['attempts'] == 2 and res['address'] is None
    assert res['error'] == 'nope not found (not in /etc/netns/web01/hosts)'
