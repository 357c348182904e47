# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names and inspect of IPv6 networks in an emulated host, with real lookups from inside the containers: on a
dual-stack network a container resolves another's name to its IPv6 address (AAAA, through the system resolver and
straight from the network's server over IPv6) and to its IPv4 one (A); on an IPv6-only network the containers' resolver
is the server on gateway_v6, also after a reboot; an IPv4-isolated network serves on gateway_v6 alone; port 53 held on
gateway_v6 is refused; netns hosts entries and name servers in IPv6; network_info and the container module show the
IPv6 fields of real networks."""

from __future__ import annotations

import sys

import pytest

from conftest import SEED_HOSTS, run_restore, wait_until
from test_dns import holding_port_53

pytestmark = pytest.mark.once  # the name server, its files and inspect: the IPv6 engine's requests run under both pyroute2s in test_ipv6_bridge

SUBNET6 = 'fd00:db8:23::/64'
GW6 = 'fd00:db8:23::1'

# One AAAA query over UDP to [server]:53 from inside a namespace; prints the answer's IPv6 addresses.  A probe of the
# server itself, which the system resolver would hide (it asks the IPv4 gateway resolv.conf names).
AAAA_QUERY = r'''
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
question = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\0' + struct.pack('!HH', 28, 1)
query = struct.pack('!HHHHHH', 0x2323, 0x0100, 1, 0, 0, 0) + question
sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
sock.settimeout(30)  # a ceiling: dnsmasq answers at once
sock.sendto(query, (server, 53))
data = sock.recv(4096)
pos, found = 12 + len(question), []
for dummy in range(struct.unpack('!H', data[6:8])[0]):
    while data[pos] not in (0,) and data[pos] < 192:
        pos += data[pos] + 1
    pos += 2 if data[pos] >= 192 else 1
    rtype, dummy_class, dummy_ttl, length = struct.unpack('!HHIH', data[pos:pos + 10])
    pos += 10
    if rtype == 28:
        found.append(socket.inet_ntop(socket.AF_INET6, data[pos:pos + length]))
    pos += length
print(' '.join(found))
'''


def ok(res):
    assert not res.get('failed'), res
    return res


def addr(host, cname, family):
    """The container's global address of ``family`` (4 or 6) on eth0, from the kernel."""
    out = host.run(['ip', '-n', cname, '-%d' % family, '-o', 'addr', 'show', 'dev', 'eth0', 'scope', 'global']).stdout.split()
    return out[3].split('/')[0] if len(out) > 3 else None


def lookup(host, cname, name, family):
    """The addresses ``name`` resolves to inside ``cname`` (getent ahostsv4 / ahostsv6: the system resolver through
    the namespace's resolv.conf), [] when it does not resolve."""
    res = host.netns_run(cname, ['getent', 'ahostsv%d' % family, name], check=False)
    return sorted({line.split()[0] for line in res.stdout.splitlines()}) if res.returncode == 0 else []


def ask_server(host, cname, server, name):
    res = host.netns_run(cname, [sys.executable, '-c', AAAA_QUERY, server, name])
    return res.stdout.split()


def network_info(host, name):
    return ok(host.module('network_info', name=name))['networks'][0]


def test_dual_stack_names_aaaa_and_a_and_inspect(host):
    ok(host.module('docker_bridge', name='dual', enable_ipv6=True, subnet_v6=SUBNET6,
                   endpoints=[{'name': 'web', 'aliases': ['www']}, {'name': 'client'}]))
    web4, web6 = addr(host, 'web', 4), addr(host, 'web', 6)
    assert web4 and web6 and web6.startswith('fd00:db8:23:')
    # The system resolver in client: AAAA and A of web and its alias, from the network's server.
    assert lookup(host, 'client', 'web', 6) == [web6] and lookup(host, 'client', 'www', 6) == [web6]
    assert lookup(host, 'client', 'web', 4) == [web4]
    assert lookup(host, 'client', 'web.dual.hostnet.internal', 6) == [web6]
    # The server answers over IPv6 on gateway_v6 too (a second listen address), and from client's namespace.
    assert ask_server(host, 'client', GW6, 'web.dual.hostnet.internal') == [web6]
    conf = host.run(['cat', '/run/hostnet/dns/dual/dnsmasq.conf']).stdout
    assert [line for line in conf.splitlines() if line.startswith('listen-address=')] == [
        'listen-address=%s' % network_info(host, 'dual')['IPAM']['Config'][0]['Gateway'], 'listen-address=' + GW6]
    # A dual-stack container asks the IPv4 gateway, as before IPv6.
    assert 'nameserver ' + GW6 not in host.run(['cat', '/etc/netns/client/resolv.conf']).stdout
    # The probe module resolves over IPv6 and checks the address.
    probe = ok(host.module('probe', netns='client', target='web', method='resolve', family='ipv6', expect_address=web6))
    assert probe['reachable']

    info = network_info(host, 'dual')
    assert info['EnableIPv6'] is True and info['EnableIPv4'] is True
    assert info['IPAM']['Config'][1] == {'Subnet': SUBNET6, 'Gateway': GW6}
    web = [c for c in info['Containers'].values() if c['Name'] == 'web'][0]
    assert web['IPv6Address'] == web6 + '/64' and web['IPv4Address'].startswith(web4 + '/')
    assert not ok(host.module('docker_bridge', name='dual', enable_ipv6=True, subnet_v6=SUBNET6,
                              endpoints=[{'name': 'web', 'aliases': ['www']}, {'name': 'client'}]))['changed']


def test_ipv6_only_network_resolves_through_gateway_v6(host):
    ok(host.module('docker_bridge', name='only6', enable_ipv4=False, enable_ipv6=True, subnet_v6=SUBNET6,
                   endpoints=[{'name': 'a6'}, {'name': 'b6'}]))
    b6 = addr(host, 'b6', 6)
    assert b6 and addr(host, 'b6', 4) is None
    resolv = host.run(['cat', '/etc/netns/a6/resolv.conf']).stdout
    assert 'nameserver %s\n' % GW6 in resolv and resolv.count('nameserver') == 1
    assert lookup(host, 'a6', 'b6', 6) == [b6]
    assert lookup(host, 'a6', 'b6', 4) == []
    ok(host.module('probe', netns='a6', target='b6', family='ipv6'))
    conf = host.run(['cat', '/run/hostnet/dns/only6/dnsmasq.conf']).stdout
    assert [line for line in conf.splitlines() if line.startswith('listen-address=')] == ['listen-address=' + GW6]

    info = network_info(host, 'only6')
    assert info['EnableIPv4'] is False and info['EnableIPv6'] is True
    assert info['IPAM']['Config'] == [{'Subnet': SUBNET6, 'Gateway': GW6}]
    assert sorted(c['IPv4Address'] for c in info['Containers'].values()) == ['', '']
    assert not ok(host.module('docker_bridge', name='only6', enable_ipv4=False, enable_ipv6=True, subnet_v6=SUBNET6,
                              endpoints=[{'name': 'a6'}, {'name': 'b6'}]))['changed']


def test_container_module_inspect_view_shows_ipv6(host):
    ok(host.module('docker_bridge', name='dual', enable_ipv6=True, subnet_v6=SUBNET6))
    res = ok(host.module('container', name='app', networks=[{'name': 'dual', 'ipv6_address': 'fd00:db8:23::10'}]))
    assert addr(host, 'app', 6) == 'fd00:db8:23::10'
    net = res['container']['NetworkSettings']['Networks']['dual']
    assert (net['GlobalIPv6Address'], net['GlobalIPv6PrefixLen'], net['IPv6Gateway']) == ('fd00:db8:23::10', 64, GW6)
    assert net['IPAMConfig'] == {'IPv6Address': 'fd00:db8:23::10'}
    assert net['IPAddress'] == addr(host, 'app', 4) and net['Gateway']
    assert lookup(host, 'app', 'app', 6) == ['fd00:db8:23::10']
    # An allocated address is shown the same, without IPAMConfig (nothing was asked).
    res = ok(host.module('container', name='other', networks=[{'name': 'dual'}]))
    other = res['container']['NetworkSettings']['Networks']['dual']
    assert other['GlobalIPv6Address'] == addr(host, 'other', 6) and other['IPAMConfig'] is None


def test_netns_hosts_entries_and_name_servers_in_ipv6(host):
    """Docker's --add-host and --dns with IPv6 addresses: written to the namespace's files, read by its resolver."""
    ok(host.module('netns', name='n6', hosts=[{'ip': '[FD00:DB8::3]', 'names': ['db6']}], dns=['fd00:db8::53']))
    assert 'fd00:db8::3\tdb6\n' in host.run(['cat', '/etc/netns/n6/hosts']).stdout
    assert 'nameserver fd00:db8::53\n' in host.run(['cat', '/etc/netns/n6/resolv.conf']).stdout
    ok(host.module('probe', netns='n6', target='db6', method='resolve', family='ipv6', expect_address='fd00:db8::3'))
    assert not ok(host.module('netns', name='n6', hosts=[{'ip': 'fd00:db8::3', 'names': ['db6']}], dns=['fd00:db8::53']))['changed']


def test_ipv4_isolated_dual_stack_network_serves_names_on_gateway_v6(host):
    """gateway_mode_ipv4 isolated leaves the bridge no IPv4 address: the server listens on gateway_v6 alone and the
    containers ask it there; isolated in both families, there is no server at all and the containers get the
    host's resolvers."""
    spec = dict(name='iso', enable_ipv6=True, subnet_v6=SUBNET6, internal=True, gateway_mode_ipv4='isolated',
                endpoints=[{'name': 'i1'}, {'name': 'i2'}])
    ok(host.module('docker_bridge', **spec))
    assert 'nameserver %s\n' % GW6 in host.run(['cat', '/etc/netns/i1/resolv.conf']).stdout
    assert lookup(host, 'i1', 'i2', 6) == [addr(host, 'i2', 6)] and lookup(host, 'i1', 'i2', 4) == [addr(host, 'i2', 4)]
    ok(host.module('docker_bridge', gateway_mode_ipv6='isolated', **spec))
    assert host.run(['test', '-e', '/run/hostnet/dns/iso'], check=False).returncode != 0
    # As on any network without names: the host's resolvers (Docker's copy), not the gone server.
    assert GW6 not in host.run(['cat', '/etc/netns/i1/resolv.conf']).stdout


def test_port_53_taken_on_gateway_v6_is_refused(host):
    """Another program on [gateway_v6]:53: turning dns on is refused naming dns and the address, nothing changed."""
    spec = dict(name='only6', enable_ipv4=False, enable_ipv6=True, subnet_v6=SUBNET6, endpoints=[{'name': 'a6'}])
    ok(host.module('docker_bridge', dns=False, **spec))
    with holding_port_53(host, GW6):
        before = host.snapshot()
        res = host.module('docker_bridge', dns=True, **spec)
        assert res.get('failed') and 'dns' in res['msg'] and GW6 in res['msg'], res
        assert host.snapshot() == before
        assert host.run(['test', '-e', '/run/hostnet/dns/only6'], check=False).returncode != 0


def test_ipv6_only_names_come_back_after_a_reboot(host):
    """The restore rebuilds gateway_v6 on the bridge before the server that listens on it: names answer again."""
    ok(host.module('docker_bridge', name='only6', enable_ipv4=False, enable_ipv6=True, subnet_v6=SUBNET6,
                   endpoints=[{'name': 'a6'}, {'name': 'b6'}]))
    b6 = addr(host, 'b6', 6)
    host.lab.down(keep_state=True)
    host.lab.up({'host1': SEED_HOSTS['host1']})
    assert host.run(['test', '-e', '/run/hostnet/dns/only6'], check=False).returncode != 0
    run_restore(host)
    assert wait_until(lambda: lookup(host, 'a6', 'b6', 6), 'names after the restore') == [b6]
    assert ask_server(host, 'a6', GW6, 'b6.only6.hostnet.internal') == [b6]
