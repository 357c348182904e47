# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Publishes in Compose's long syntax with allow_from, without a kernel: parsing, the stored entries, the rules of
both backends and families, the restore's parameters, the conntrack targets, the container module's and the role's
parsing."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _container
from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _ports
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

ALLOW = ['10.138.3.131/32', '192.0.2.0/24', 'fd00:138::131/128']


# -- parsing ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('value, entries', [
    ({'target': 80}, [{'host_ip': None, 'host_port': None, 'host_port_range': None, 'container_port': 80, 'proto': 'tcp'}]),
    ({'target': '80', 'published': '8080', 'host_ip': '10.138.3.130', 'protocol': 'UDP'},
     [{'host_ip': '10.138.3.130', 'host_port': 8080, 'host_port_range': None, 'container_port': 80, 'proto': 'udp'}]),
    ({'target': '80-81', 'published': '8080-8081', 'host_ip': '[FD00::1]'},
     [{'host_ip': 'fd00::1', 'host_port': 8080, 'host_port_range': None, 'container_port': 80, 'proto': 'tcp'},
      {'host_ip': 'fd00::1', 'host_port': 8081, 'host_port_range': None, 'container_port': 81, 'proto': 'tcp'}]),
    ({'target': 80, 'published': '8000-8010'}, [{'host_ip': None, 'host_port': None, 'host_port_range': [8000, 8010], 'container_port': 80, 'proto': 'tcp'}]),
    ({'target': 80, 'published': 0, 'allow_from': ['fd00:138::131', '192.0.2.0/24', '10.138.3.131', '192.0.2.0/24']},
     [{'host_ip': None, 'host_port': None, 'host_port_range': None, 'container_port': 80, 'proto': 'tcp', 'allow_from': ALLOW}]),
])
def test_long_syntax_is_the_short_one_with_allow_from(value, entries):
    assert _ports.parse_publish(value, 'publish') == entries


def test_short_strings_are_unchanged():
    assert _ports.parse_publish('8080:80/udp') == [{'host_ip': None, 'host_port': 8080, 'host_port_range': None, 'container_port': 80, 'proto': 'udp'}]
    assert _ports.parse_publish({'target': 80, 'published': 8080, 'protocol': 'udp'}) == _ports.parse_publish('8080:80/udp')


@pytest.mark.parametrize('value, needle', [
    ({'published': 8080}, "p.target null: the long syntax needs target, the container port"),
    ({'target': 80, 'mode': 'ingress', 'name': 'web'}, "unknown key mode, name in the long syntax (known: target, published, host_ip, protocol, allow_from)"),
    ({'target': 80, 'allow_from': ['lan']}, "p.allow_from 'lan': not a CIDR"),
    ({'target': 80, 'allow_from': ['10.0.0.0/33']}, "p.allow_from '10.0.0.0/33': not a CIDR"),
    ({'target': 80, 'allow_from': ['10.0.0.1/8']}, "p.allow_from '10.0.0.1/8': host bits are set; did you mean 10.0.0.0/8?"),
    ({'target': 80, 'allow_from': [42]}, "p.allow_from 42: expected a CIDR"),
    ({'target': 80, 'allow_from': []}, "p.allow_from []: expected a non-empty list of CIDRs"),
    ({'target': 80, 'allow_from': '10.0.0.0/8'}, "p.allow_from '10.0.0.0/8': expected a non-empty list of CIDRs"),
    ({'target': 'http'}, "p.target 'http': invalid container port 'http'"),
    ({'target': True}, "p.target True: expected a container port"),
    ({'target': 80, 'published': 70000}, "p.published 70000: invalid host port"),
    ({'target': 80, 'host_ip': '10.0.0.300'}, "p.host_ip '10.0.0.300': not a valid IPv4 address"),
    ({'target': 80, 'protocol': 'icmp'}, "p.protocol 'icmp': unknown protocol"),
    ({'target': '80-82', 'published': '8080-8081'}, 'host port range 8080-8081 and container port range 80-82 have different lengths'),
])
def test_bad_long_syntax_is_refused_by_name(value, needle):
    with pytest.raises(_validate.InputError) as exc:
        _ports.parse_publish(value, 'p')
    assert needle in str(exc.value)


def test_stored_with_allow_from_only_when_given():
    endpoints = [{'name': 'web', 'publish': [{'target': 80, 'published': 8080, 'allow_from': ['10.138.3.131', 'fd00:138::131']}, '8081:81']}]
    got = _ports.desired_publishes(endpoints, {}, _ports.BoundPorts(), {'tcp': set()}, '0.0.0.0', lambda: '32768 60999', families=(4, 6))
    allow = ['10.138.3.131/32', 'fd00:138::131/128']
    assert got['web'] == [
        {'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp', 'auto': False, 'allow_from': allow},
        {'host_ip': '::', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp', 'auto': False, 'allow_from': allow},
        {'host_ip': '0.0.0.0', 'host_port': 8081, 'container_port': 81, 'proto': 'tcp', 'auto': False},
        {'host_ip': '::', 'host_port': 8081, 'container_port': 81, 'proto': 'tcp', 'auto': False}]


def test_allow_from_without_a_network_of_the_publish_family_is_refused():
    endpoints = [{'name': 'web', 'publish': [{'target': 80, 'allow_from': ['fd00:138::131']}]}]
    with pytest.raises(_validate.InputError) as exc:
        _ports.desired_publishes(endpoints, {}, _ports.BoundPorts(), {'tcp': set()}, '0.0.0.0', lambda: '32768 60999')
    assert "endpoints[0].publish.allow_from ['fd00:138::131/128']: has no IPv4 network" in str(exc.value)
    # On a dual-stack network the IPv4 side is then closed to everyone, the IPv6 one open to that source.
    got = _ports.desired_publishes(endpoints, {}, _ports.BoundPorts(), {'tcp': set()}, '0.0.0.0', lambda: '32768 60999', families=(4, 6))
    assert [e['host_ip'] for e in got['web']] == ['0.0.0.0', '::']


# -- rules --------------------------------------------------------------------------------------------------------
def network(allow_from=None, **extra):
    entry = {'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp', 'auto': False}
    entry6 = dict(entry, host_ip='::')
    if allow_from is not None:
        entry.update(allow_from=allow_from)
        entry6.update(allow_from=allow_from)
    doc = {'name': 'n', 'driver': 'bridge', 'bridge': 'br-n', 'subnet': '10.70.0.0/24', 'firewall': True, 'firewall_backend': 'iptables',
           'enable_ipv6': True, 'subnet_v6': 'fd00:70::/64',
           'endpoints': {'web': {'ip': '10.70.0.2', 'ip6': 'fd00:70::2', 'publish': [entry, entry6]}}}
    doc.update(extra)
    return doc


def lines(doc, family, table=None, chain=None):
    return [_firewall_iptables.render(r) for r in _firewall_rules.desired_rules({'n': doc}, {}, 'iptables')
            if r.family == family and (table is None or r.table == table) and (chain is None or r.chain == chain)]


def test_without_allow_from_no_mangle_rule_and_open_accepts():
    assert lines(network(), 4, 'mangle') == [] and lines(network(), 6, 'mangle') == []
    assert lines(network(), 4, chain='PUBLISH') == ['-A HOSTNET-PUBLISH -d 10.70.0.2/32 ! -i br-n -o br-n -p tcp -m tcp --dport 80 -j ACCEPT']


def test_other_sources_dropped_before_dnat_per_family():
    doc = network(ALLOW)
    assert lines(doc, 4, 'mangle') == [
        '-A HOSTNET-PREROUTING -s 10.138.3.131/32 -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -j RETURN',
        '-A HOSTNET-PREROUTING -s 192.0.2.0/24 -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -j RETURN',
        '-A HOSTNET-PREROUTING -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW -m addrtype --dst-type LOCAL -j DROP']
    assert lines(doc, 6, 'mangle') == [
        '-A HOSTNET-PREROUTING -s fd00:138::131/128 -p tcp -m tcp --dport 8080 -m addrtype --dst-type LOCAL -j RETURN',
        '-A HOSTNET-PREROUTING -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW -m addrtype --dst-type LOCAL -j DROP']
    # The container port reached without the host port (routed, a trusted interface) takes the same sources only.
    assert lines(doc, 6, chain='PUBLISH') == [
        '-A HOSTNET-PUBLISH -s fd00:138::131/128 -d fd00:70::2/128 ! -i br-n -o br-n -p tcp -m tcp --dport 80 -j ACCEPT']
    rules = _firewall_rules.desired_rules({'n': dict(doc, firewall_backend='nftables')}, {}, 'nftables')
    text = [_firewall_nftables.describe(_firewall_nftables.render(r)) for r in rules if r.table == 'mangle' and r.family == 4]
    assert text[-1] == 'tcp dport 8080 ct state new fib daddr type local drop'
    assert text[0] == 'ip saddr 10.138.3.131 tcp dport 8080 fib daddr type local return'
    cmds = _firewall_nftables.commands(rules, [], False)
    chain = [c['add']['chain'] for c in cmds if c['add'].get('chain', {}).get('name') == 'mangle_prerouting']
    assert chain and (chain[0]['hook'], chain[0]['prio']) == ('prerouting', -150)


def test_a_routed_network_limits_its_container_port_and_a_specific_host_address_its_own():
    routed = lines(network(['10.138.3.131/32'], gateway_mode_ipv4='routed'), 4)
    assert [ln for ln in routed if 'PREROUTING' in ln and 'mangle' not in ln and '--dport 8080' in ln] == []
    assert '-A HOSTNET-PUBLISH -s 10.138.3.131/32 -d 10.70.0.2/32 ! -i br-n -o br-n -p tcp -m tcp --dport 80 -j ACCEPT' in routed
    assert lines(network(['10.138.3.131/32'], gateway_mode_ipv4='routed'), 4, 'mangle') == [], 'no host port, no DNAT to guard'
    doc = network(['10.138.3.131/32'])
    doc['endpoints']['web']['publish'][0]['host_ip'] = '10.138.3.130'
    assert lines(doc, 4, 'mangle')[-1] == ('-A HOSTNET-PREROUTING -d 10.138.3.130/32 -p tcp -m tcp --dport 8080 -m conntrack --ctstate NEW '
                                           '-m addrtype --dst-type LOCAL -j DROP')


def test_the_iptables_restore_hooks_mangle_prerouting():
    rules = _firewall_rules.desired_rules({'n': network(ALLOW)}, {}, 'iptables')
    text = _firewall_iptables.restore_text({}, _firewall_rules.by_family(rules, 4))
    block = text[text.index('*mangle'):]
    block = block[:block.index('COMMIT')]
    assert ':HOSTNET-PREROUTING - [0:0]' in block and '-I PREROUTING 1 -j HOSTNET-PREROUTING' in block


# -- restore, conntrack, container, role ----------------------------------------------------------------------------
def test_the_restore_writes_allow_from_in_the_long_syntax():
    entries = network(ALLOW)['endpoints']['web']['publish'] + [{'host_ip': '0.0.0.0', 'host_port': 8081, 'container_port': 81, 'proto': 'udp'}]
    got = _restore.publish_strings(entries)
    assert got == [{'target': 80, 'published': 8080, 'host_ip': '0.0.0.0', 'protocol': 'tcp', 'allow_from': ALLOW},
                   {'target': 80, 'published': 8080, 'host_ip': '::', 'protocol': 'tcp', 'allow_from': ALLOW}, '0.0.0.0:8081:81/udp']
    assert [dict(e, allow_from=e.get('allow_from')) for value in got for e in _ports.parse_publish(value)] == [
        {'host_ip': ip, 'host_port': port, 'host_port_range': None, 'container_port': cport, 'proto': proto, 'allow_from': allow}
        for ip, port, cport, proto, allow in (('0.0.0.0', 8080, 80, 'tcp', ALLOW), ('::', 8080, 80, 'tcp', ALLOW), ('0.0.0.0', 8081, 81, 'udp', None))]


def test_a_changed_allow_from_ends_the_publish_flows():
    old = network(['10.138.3.0/24'])
    assert _conntrack.network_targets(old, network(['10.138.3.0/24'])) == []
    gone = _conntrack.network_targets(old, network(['10.138.3.131/32']))
    assert {(t.host_port, t.container_ip, t.allow_from) for t in gone} == {(8080, '10.70.0.2', ('10.138.3.0/24',)),
                                                                           (8080, 'fd00:70::2', ('10.138.3.0/24',))}
    assert {t.allow_from for t in _conntrack.network_targets(network(), network(['10.138.3.0/24']))} == {None}


def test_the_container_module_takes_the_long_syntax():
    long = {'target': 443, 'published': 9443, 'allow_from': ['10.138.3.0/24']}
    assert _container.port_strings(['8080:80', long, {'container_port': 53, 'protocol': 'udp'}]) == ['8080:80', long, '53/udp']
    with pytest.raises(_validate.InputError) as exc:
        _container.port_strings([{'target': 443, 'allow_from': ['x']}])
    assert "published_ports[0].allow_from 'x': not a CIDR" in str(exc.value)
    with pytest.raises(_validate.InputError) as exc:
        _container.port_strings([long, {'target': 444, 'published': 9443}])
    assert 'host port 9443/tcp is already published' in str(exc.value)
    mapped = _container.map_error(_validate.InputError('endpoints[0].publish.allow_from', ['fd00::/64'], 'has no IPv4 network'), 'networks[0]')
    assert str(mapped) == "published_ports.allow_from ['fd00::/64']: has no IPv4 network"
