# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe engine's pure parts: option checks, hosts and resolv.conf, DNS messages, ICMP packets (no root)."""

from __future__ import annotations

import socket
import struct

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _probe

DEFAULTS = dict(netns=None, target='172.17.0.3', method='ping', port=None, expect='reachable', expect_address=None,
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
    ({'target': ''}, 'target', 'IPv4 address or a host name'),
    ({'target': None}, 'target', 'IPv4 address or a host name'),
    ({'target': '172.17.0.300'}, 'target', 'not a valid IPv4 address'),
    ({'target': 'fd00::1'}, 'target', 'IPv6'),
    ({'target': 'bad name'}, 'target', 'neither'),
    ({'target': '-leading.example'}, 'target', 'neither'),
    ({'target': 'a' * 64 + '.example'}, 'target', 'neither'),
    ({'method': 'resolve'}, 'target', 'needs a host name'),
    ({'expect_address': '172.18.0.3', 'target': 'db'}, 'expect_address', 'only used with method resolve'),
    ({'method': 'resolve', 'target': 'db', 'expect_address': '172.18.0.3', 'expect': 'unreachable'}, 'expect_address',
     'needs expect reachable'),
    ({'method': 'resolve', 'target': 'db', 'expect_address': 'db01'}, 'expect_address', 'not an IPv4 address'),
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


# -- hosts files ---------------------------------------------------------------------------------
HOSTS = """\
# a comment line 10.0.0.9 commented
127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback db-v6
172.18.0.3   db01 DB db.lab.example  # trailing comment names-not-an-alias
172.18.0.4\tcache
172.18.0.99\tdb01
   172.18.0.5 web
not-an-ip  broken
10.0.0.7
fe80::1 only6
"""


def test_parse_hosts_drops_comments_and_lines_without_names():
    entries = _probe.parse_hosts(HOSTS)
    assert entries[0] == ('127.0.0.1', ['localhost'])
    assert ('172.18.0.3', ['db01', 'DB', 'db.lab.example']) in entries
    assert ('172.18.0.5', ['web']) in entries
    assert all(addr != '10.0.0.7' for addr, _names in entries)
    assert not any('commented' in names or 'names-not-an-alias' in names for _addr, names in entries)


@pytest.mark.parametrize('name, expected', [
    ('db01', '172.18.0.3'),              # the first matching line wins over 172.18.0.99
    ('db', '172.18.0.3'),                # an alias, any case
    ('DB01', '172.18.0.3'),
    ('db.lab.example', '172.18.0.3'),
    ('cache', '172.18.0.4'),
    ('web', '172.18.0.5'),               # leading blanks
    ('localhost', '127.0.0.1'),          # the ::1 line is another family
    ('db-v6', None),
    ('only6', None),
    ('names-not-an-alias', None),        # behind a comment sign
    ('commented', None),
    ('broken', None),
    ('db0', None),                       # no prefix match
    ('db01.lab.example', None),
])
def test_hosts_lookup(name, expected):
    assert _probe.hosts_lookup(HOSTS, name) == expected


def test_etc_path_prefers_the_namespace_file(tmp_path, monkeypatch):
    monkeypatch.setattr(_probe, 'ETC_NETNS', str(tmp_path / 'netns'))
    monkeypatch.setattr(_probe, 'ETC', str(tmp_path / 'etc'))
    (tmp_path / 'netns' / 'web01').mkdir(parents=True)
    (tmp_path / 'netns' / 'web01' / 'hosts').write_text('')
    assert _probe.etc_path('web01', 'hosts') == str(tmp_path / 'netns' / 'web01' / 'hosts')
    assert _probe.etc_path('web01', 'resolv.conf') == str(tmp_path / 'etc' / 'resolv.conf')
    assert _probe.etc_path('web02', 'hosts') == str(tmp_path / 'etc' / 'hosts')
    assert _probe.etc_path(None, 'hosts') == str(tmp_path / 'etc' / 'hosts')
    assert _probe.read_text(str(tmp_path / 'missing')) is None


# -- resolv.conf and the search list -----------------------------------------------------------------
def test_parse_resolv_conf():
    conf = _probe.parse_resolv_conf("""\
# comment
; another comment
domain old.example
nameserver 10.0.0.2
nameserver   bogus
nameserver 10.0.0.3 # trailing words ignored
nameserver fd00::53
nameserver 10.0.0.5
search lab.example corp.example
options ndots:2 timeout:1 attempts:3
""")
    assert conf == {'nameservers': ['10.0.0.2', '10.0.0.3', 'fd00::53'], 'search': ['lab.example', 'corp.example'], 'ndots': 2}


def test_parse_resolv_conf_defaults_and_last_domain_wins():
    assert _probe.parse_resolv_conf(None) == {'nameservers': ['127.0.0.1'], 'search': [], 'ndots': 1}
    conf = _probe.parse_resolv_conf('search a.example b.example\ndomain c.example\noptions ndots:99\n')
    assert conf['search'] == ['c.example'] and conf['ndots'] == 15 and conf['nameservers'] == ['127.0.0.1']


@pytest.mark.parametrize('name, search, ndots, expected', [
    ('db', ['lab.example', 'corp.example'], 1, ['db.lab.example', 'db.corp.example', 'db']),
    ('db.lab', ['lab.example'], 1, ['db.lab', 'db.lab.lab.example']),
    ('db.lab', ['lab.example'], 2, ['db.lab.lab.example', 'db.lab']),
    ('db.lab.example.', ['lab.example'], 1, ['db.lab.example']),
    ('db', [], 1, ['db']),
    ('db', ['lab.example.', '.'], 1, ['db.lab.example', 'db']),
    ('DB', ['lab.example', 'LAB.example'], 1, ['DB.lab.example', 'DB']),
])
def test_search_names(name, search, ndots, expected):
    assert _probe.search_names(name, search, ndots) == expected


# -- DNS messages -----------------------------------------------------------------------------------
def test_build_query_wire_format():
    query = _probe.build_query(0x1234, 'db.lab.example')
    assert query == (b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00'
                     b'\x02db\x03lab\x07example\x00\x00\x01\x00\x01')
    assert _probe.build_query(1, 'db.lab.example.') == _probe.build_query(1, 'db.lab.example')


@pytest.mark.parametrize('name', ['a' * 64, 'a..b', '.'.join(['abcdefghi'] * 26)])
def test_encode_name_rejects_bad_names(name):
    with pytest.raises(ValueError):
        _probe.encode_name(name)


def rr(owner, rtype, rdata, rclass=1, ttl=60):
    return owner + struct.pack('!HHIH', rtype, rclass, ttl, len(rdata)) + rdata


def reply(qid, qname, answers=(), rcode=0, tc=False, qr=True, question=None, qdcount=1, opcode=0):
    flags = (0x8000 if qr else 0) | (opcode << 11) | 0x0100 | 0x0080 | (0x0200 if tc else 0) | rcode
    head = struct.pack('!HHHHHH', qid, flags, qdcount, len(answers), 0, 0)
    if question is None:
        question = _probe.encode_name(qname) + struct.pack('!HH', 1, 1)
    return head + (question if qdcount else b'') + b''.join(answers)


PTR_QNAME = b'\xc0\x0c'  # the question's name, at offset 12


def test_parse_a_records_with_compression():
    data = reply(7, 'db.lab.example', [rr(PTR_QNAME, 1, socket.inet_aton('172.18.0.3')),
                                       rr(PTR_QNAME, 1, socket.inet_aton('172.18.0.4'))])
    answer = _probe.parse_response(data, 7, 'db.lab.example')
    assert answer.rcode == 0 and answer.addresses == ['172.18.0.3', '172.18.0.4'] and not answer.truncated


def test_parse_follows_a_cname_chain_in_any_order():
    # www -> web -> db; the A of db comes first, an unrelated A record is ignored.
    answers = [
        rr(_probe.encode_name('db.lab.example'), 1, socket.inet_aton('172.18.0.3')),
        rr(_probe.encode_name('other.lab.example'), 1, socket.inet_aton('10.9.9.9')),
        rr(PTR_QNAME, 5, b'\x03web\xc0\x10'),       # web + pointer to "lab.example" inside the question
        rr(_probe.encode_name('web.lab.example'), 5, _probe.encode_name('DB.lab.example')),
    ]
    data = reply(9, 'www.lab.example', answers)
    answer = _probe.parse_response(data, 9, 'WWW.lab.example')
    assert answer.addresses == ['172.18.0.3'] and answer.canonical == 'db.lab.example'


def test_parse_cname_without_address_is_no_data():
    answer = _probe.parse_response(reply(9, 'www.lab.example', [rr(PTR_QNAME, 5, _probe.encode_name('gone.example'))]), 9,
                                   'www.lab.example')
    assert answer.rcode == 0 and answer.addresses == [] and answer.canonical == 'gone.example'


def test_parse_cname_loop_is_malformed():
    data = reply(9, 'a.example', [rr(PTR_QNAME, 5, _probe.encode_name('b.example')),
                                  rr(_probe.encode_name('b.example'), 5, _probe.encode_name('a.example'))])
    with pytest.raises(_probe.DNSFormatError, match='CNAME loop'):
        _probe.parse_response(data, 9, 'a.example')


def test_parse_nxdomain_and_servfail():
    assert _probe.parse_response(reply(3, 'nope.example', rcode=3), 3, 'nope.example').rcode_name == 'NXDOMAIN'
    answer = _probe.parse_response(reply(3, 'x.example', rcode=2, qdcount=0), 3, 'x.example')
    assert answer.rcode_name == 'SERVFAIL' and answer.addresses == []
    assert _probe.DNSAnswer(9).rcode_name == 'rcode 9'


def test_parse_truncated_reply_has_no_addresses():
    data = reply(5, 'big.example', [rr(PTR_QNAME, 1, socket.inet_aton('10.0.0.1'))], tc=True)
    answer = _probe.parse_response(data[:-3], 5, 'big.example')  # records cut short, as a truncated reply may be
    assert answer.truncated and answer.addresses == []


@pytest.mark.parametrize('data, qid, qname', [
    (reply(8, 'db.example'), 7, 'db.example'),                      # another query's id
    (reply(7, 'db.example', qr=False), 7, 'db.example'),            # a query, not a response
    (reply(7, 'other.example'), 7, 'db.example'),                   # another question
    (reply(7, 'db.example', question=_probe.encode_name('db.example') + b'\x00\x1c\x00\x01'), 7, 'db.example'),  # AAAA
])
def test_parse_not_our_reply(data, qid, qname):
    with pytest.raises(_probe.NotOurReply):
        _probe.parse_response(data, qid, qname)


GOOD = reply(7, 'db.example', [rr(PTR_QNAME, 1, socket.inet_aton('10.0.0.1'))])


@pytest.mark.parametrize('data, needle', [
    (b'\x00\x07\x81', 'shorter than a DNS header'),
    (GOOD[:20], 'past the end'),                                       # cut inside the question name
    (GOOD[:12 + 12 + 2], 'question runs past'),                        # cut inside qtype/qclass
    (GOOD[:-2], 'answer record runs past'),                            # rdata cut short
    (GOOD[:-12], 'past the end'),                                      # cut inside the record header
    (reply(7, 'db.example', [rr(PTR_QNAME, 1, b'\x0a\x00\x00')]), 'not 4'),
    (reply(7, 'db.example', [rr(b'\xc0\x40', 1, socket.inet_aton('10.0.0.1'))]), 'backwards'),   # forward pointer
    (reply(7, 'db.example', [rr(b'\xc0', 1, b'')]), 'past the end'),
    (reply(7, 'db.example', [rr(b'\x80', 1, b'')]), 'label type'),
    (reply(7, 'db.example', qdcount=2), '2 questions'),
    (reply(7, 'db.example', opcode=2), 'opcode 2'),
    (reply(7, 'db.example', [rr(PTR_QNAME, 5, b'\x05ab')]), 'past'),   # CNAME data cut short
    (reply(7, 'db.example', [rr(PTR_QNAME, 5, b'\x01a') + b'\x00']), 'runs past its data'),  # rdlength 2, name 3 bytes
])
def test_parse_malformed(data, needle):
    with pytest.raises(_probe.DNSFormatError, match=needle):
        _probe.parse_response(data, 7, 'db.example')


def test_read_name_self_pointer_cannot_loop():
    data = b'\x00' * 12 + b'\xc0\x0c'
    with pytest.raises(_probe.DNSFormatError, match='backwards'):
        _probe.read_name(data, 12)


def test_read_name_over_255_bytes():
    data = (b'\x3f' + b'a' * 63) * 5 + b'\x00'
    with pytest.raises(_probe.DNSFormatError, match='255'):
        _probe.read_name(data, 0)


# -- ICMP ------------------------------------------------------------------------------------------------
def test_checksum_known_values():
    # RFC 1071's example words 0001 f203 f4f5 f6f7 sum to ddf2; the checksum is its complement.
    assert _probe.checksum(bytes.fromhex('0001f203f4f5f6f7')) == 0xFFFF - 0xDDF2
    # An odd length is padded with a zero byte.
    assert _probe.checksum(b'\x01') == _probe.checksum(b'\x01\x00') == 0xFEFF
    assert _probe.checksum(b'') == 0xFFFF
    # A real IPv4 header (checksum field b861) checks to zero.
    header = bytes.fromhex('450000730000400040 11b861c0a80001c0a800c7'.replace(' ', ''))
    assert _probe.checksum(header) == 0


def test_echo_request_checksums_to_zero():
    payload = _probe.echo_payload(b'token')
    packet = _probe.echo_request(0xBEEF, 3, payload)
    assert len(payload) == 56 and payload.startswith(b'token')
    assert packet[:2] == b'\x08\x00' and packet[4:8] == b'\xbe\xef\x00\x03' and packet[8:] == payload
    assert _probe.checksum(packet) == 0


def ip_packet(src, dst, body, proto=1):
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), 0, 0, 64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return header + body


def icmp(itype, code, rest, body):
    head = struct.pack('!BBH', itype, code, 0) + rest
    csum = _probe.checksum(head + body)
    return struct.pack('!BBH', itype, code, csum) + rest + body


PAYLOAD = _probe.echo_payload(b'x')
REQUEST = _probe.echo_request(0x1111, 2, PAYLOAD)


def echo_reply(ident=0x1111, seq=2, payload=PAYLOAD):
    return icmp(0, 0, struct.pack('!HH', ident, seq), payload)


def test_match_echo_reply():
    assert _probe.match_icmp(ip_packet('172.17.0.3', '172.17.0.2', echo_reply()), '172.17.0.3', 0x1111, 2, PAYLOAD) == \
        ('reply', '172.17.0.3')


@pytest.mark.parametrize('packet', [
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply(ident=0x2222)),           # another ping's ident
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply(seq=1)),                  # an earlier attempt
    ip_packet('172.17.0.9', '172.17.0.2', echo_reply()),                        # from someone else
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply(payload=_probe.echo_payload(b'y'))),
    ip_packet('172.17.0.2', '172.17.0.3', REQUEST),                             # our own request, looped back
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply()[:2] + b'\x00\x00' + echo_reply()[4:]),  # bad checksum
    ip_packet('172.17.0.3', '172.17.0.2', echo_reply())[:27],                  # too short
    b'\x60' + ip_packet('172.17.0.3', '172.17.0.2', echo_reply())[1:],         # not IPv4
])
def test_match_ignores_what_is_not_our_reply(packet):
    assert _probe.match_icmp(packet, '172.17.0.3', 0x1111, 2, PAYLOAD) is None


def test_match_unreachable_quoting_our_request():
    quoted = ip_packet('172.17.0.2', '172.17.0.3', REQUEST)[:28]
    packet = ip_packet('172.17.0.1', '172.17.0.2', icmp(3, 1, b'\x00' * 4, quoted))
    assert _probe.match_icmp(packet, '172.17.0.3', 0x1111, 2, PAYLOAD) == ('error', '172.17.0.1', 'host unreachable')
    ttl = ip_packet('10.0.0.1', '172.17.0.2', icmp(11, 0, b'\x00' * 4, quoted))
    assert _probe.match_icmp(ttl, '172.17.0.3', 0x1111, 2, PAYLOAD)[2] == 'time to live exceeded in transit'
    # The same error about another ping, another target or another protocol is not ours.
    assert _probe.match_icmp(packet, '172.17.0.3', 0x1112, 2, PAYLOAD) is None
    assert _probe.match_icmp(packet, '172.17.0.4', 0x1111, 2, PAYLOAD) is None
    udp = ip_packet('172.17.0.2', '172.17.0.3', REQUEST, proto=17)[:28]
    assert _probe.match_icmp(ip_packet('172.17.0.1', '172.17.0.2', icmp(3, 3, b'\x00' * 4, udp)), '172.17.0.3', 0x1111, 2,
                             PAYLOAD) is None


def test_icmp_reasons():
    assert _probe.icmp_reason(3, 13) == 'communication administratively prohibited (filtered)'
    assert _probe.icmp_reason(3, 99) == 'destination unreachable (code 99)'
    assert _probe.icmp_reason(11, 1) == 'fragment reassembly time exceeded'


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

    def resolve(self, name, timeout):
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
