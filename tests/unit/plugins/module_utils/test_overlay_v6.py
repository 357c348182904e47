# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An overlay on an IPv6 underlay, on snapshots made of dicts: the VTEP from the IPv6 default route, MTU less 70,
one family per overlay, no link-local VTEP, the IPv6 requests and their decoding, the guard rules in both backends."""

from __future__ import annotations

import json
import socket
import struct

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _overlay
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils.test_overlay import link, overlay_doc, params, plan
from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils import nft_fake
from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils.test_firewall_rules import FakeIptables

ME6, B6, C6 = 'fd00:138::11', 'fd00:138::12', 'fd00:138::13'


def host6(*extra, route4=False, mtu=1500, link_local_only=False, addrs=()):
    """A host whose ens33 has an IPv4 address (no IPv4 default route unless ``route4``) and an IPv6 default route."""
    snap = _snapshot.Snapshot([link(1, 'lo'), link(2, 'ens33', mtu=mtu)] + list(extra),
                              [{'index': 2, 'address': '192.0.2.11/24', 'family': 2}] + list(addrs),
                              [{'family': 2, 'dst': None, 'dst_len': 0, 'table': 254, 'oif': 2, 'gateway': '192.0.2.1'}] if route4 else [])
    snap.addrs6 = [{'index': 2, 'address': 'fe80::1/64', 'family': 10}, {'index': 1, 'address': '::1/128', 'family': 10}]
    if not link_local_only:
        snap.addrs6.append({'index': 2, 'address': ME6 + '/64', 'family': 10})
    snap.routes6 = [{'family': 10, 'dst': None, 'dst_len': 0, 'table': 254, 'oif': 2, 'gateway': None}]
    return snap


def params6(**over):
    p = dict(peers=[{'host': 'a', 'underlay_ip': ME6}, {'host': 'b', 'underlay_ip': B6}, {'host': 'c', 'underlay_ip': C6}],
             remote_endpoints=[{'name': 'c2', 'ip': '10.20.0.3', 'host': 'b'}, {'name': 'c3', 'ip': '10.20.0.4', 'host': C6}])
    p.update(over)
    return params(**p)


def test_vtep_from_the_ipv6_default_route_and_mtu_less_70(tmp_path):
    run = plan(params6(), host6(), tmp_path)
    doc = run.doc
    assert (doc['underlay_interface'], doc['underlay_ip'], doc['mtu'], doc['peers']) == ('ens33', ME6, 1430, {'b': B6, 'c': C6})
    assert 'create vxlan %s (VNI 4097, local %s dev ens33, port 4789) on %s' % (doc['vxlan'], ME6, doc['bridge']) in run.plan.commands
    assert 'add forwarding entry 02:42:0a:14:00:04 dst %s to %s' % (C6, doc['vxlan']) in run.plan.commands
    assert 'add flood entry to %s to %s' % (B6, doc['vxlan']) in run.plan.commands


def test_ipv4_default_route_still_wins_and_an_ipv6_address_is_taken_when_given(tmp_path):
    assert plan(params(), host6(route4=True), tmp_path).doc['underlay_ip'] == '192.0.2.11'
    doc = plan(params6(underlay_ip='FD00:138:0::11', mtu=1430), host6(route4=True), tmp_path).doc
    assert (doc['underlay_ip'], doc['mtu']) == (ME6, 1430)


def test_a_rerun_on_the_device_as_the_kernel_lists_it_changes_nothing(tmp_path):
    doc = plan(params6(), host6(), tmp_path).doc
    _store.save(_network.KIND, 'ov1', doc, str(tmp_path))
    vx = {'id': 4097, 'local': ME6, 'link': 2, 'port': 4789, 'learning': False, 'proxy': True}
    snap = host6(link(10, doc['bridge'], 'bridge', mtu=1430), link(11, doc['vxlan'], 'vxlan', mtu=1430, master=10, vxlan=vx),
                 addrs=[{'index': 10, 'address': '10.20.0.1/24', 'family': 2}])
    fdb, neigh = _overlay.wanted_entries(doc)
    entries = {'fdb': [{'mac': m, 'dst': d, 'flags': codec.NTF_SELF, 'index': 11, 'state': codec.NUD_PERMANENT, 'family': 7} for m, d in fdb],
               'neigh': [{'mac': m, 'dst': ip, 'flags': 0, 'index': 11, 'state': codec.NUD_PERMANENT, 'family': 2} for ip, m in neigh.items()]}
    run = plan(params6(), snap, tmp_path, entries)
    assert run.plan.commands == []


@pytest.mark.parametrize('over, snap, match', [
    ({'peers': [{'host': 'b', 'underlay_ip': B6}, {'host': 'c', 'underlay_ip': '192.0.2.13'}]}, None,
     r"peers\[1\].underlay_ip '192.0.2.13': is an IPv4 address, but this host's underlay_ip fd00:138::11 is IPv6"),
    ({'underlay_ip': 'fe80::1'}, None, "underlay_ip 'fe80::1': is not a global IPv6 address"),
    ({'peers': [{'host': 'b', 'underlay_ip': 'fe80::2'}]}, None, r"peers\[0\].underlay_ip 'fe80::2': is not a global IPv6 address"),
    ({'underlay_ip': 'fd00::zz'}, None, "underlay_ip 'fd00::zz': is not a valid IPv6 address"),
    ({'underlay_ip': 'fd00:138::99'}, None, "underlay_ip 'fd00:138::99': is not an address of this host.*addresses of ens33: fd00:138::11"),
    ({'mtu': 1431}, None, "mtu 1431: is above the underlay ens33 MTU 1500 less 70 bytes of IPv6 VXLAN encapsulation"),
    ({}, host6(mtu=640), "underlay_interface 'ens33': has MTU 640, which leaves 570 after the 70 bytes of IPv6"),
    ({}, host6(link_local_only=True), "underlay_interface 'ens33': has no IPv6 global address"),
])
def test_bad_ipv6_underlay_input(tmp_path, over, snap, match):
    with pytest.raises(_validate.InputError, match=match):
        plan(params6(**over), snap or host6(), tmp_path)


def test_ipv6_requests_encode_and_decode():
    req = codec.neigh_request(codec.RTM_NEWNEIGH, codec.AF_BRIDGE, 11, '02:42:0a:14:00:03', B6)
    req.encode()
    (typ, dummy, dummy2, off, end), = list(codec._messages(req.data))  # pylint: disable=protected-access
    assert codec.parse_neigh(req.data, off, end) == {'family': codec.AF_BRIDGE, 'index': 11, 'state': codec.NUD_PERMANENT,
                                                     'flags': codec.NTF_SELF, 'dst': B6, 'mac': '02:42:0a:14:00:03'}
    msg = _kernel.vxlan_request('vx-1', 4097, ME6, 2, 4789, 1430)
    msg.encode()
    parsed = codec.parse_link(msg.data, 16, len(msg.data))
    assert parsed['vxlan'] == {'id': 4097, 'local': ME6, 'link': 2, 'port': 4789, 'learning': False, 'proxy': True}
    v4 = _kernel.vxlan_request('vx-1', 4097, '192.0.2.11', 2, 4789, 1450)
    v4.encode()
    assert codec.parse_link(v4.data, 16, len(v4.data))['vxlan']['local'] == '192.0.2.11'
    # An IPv6 address as an AF_INET6 address dump lists it.
    body = struct_addr(socket.AF_INET6, 64, 2, socket.inet_pton(socket.AF_INET6, ME6))
    assert codec.parse_addr(body, 0, len(body)) == {'index': 2, 'family': socket.AF_INET6, 'address': ME6 + '/64', 'broadcast': None}


def struct_addr(family, plen, index, packed):
    return struct.pack('=BBBBI', family, plen, 0, 0, index) + struct.pack('=HH', 4 + len(packed), 1) + packed


# -- the VXLAN guard for IPv6 peers ---------------------------------------------------------------------------------------
def guard_nets():
    return {'ov1': overlay_doc(underlay_ip=ME6, peers={'b': B6, 'c': C6}),
            'ov2': overlay_doc(name='ov2', bridge='ov-2', subnet='10.21.0.0/24', peers={'d': '192.0.2.14'})}


def test_ipv6_guard_rules_rendered_for_iptables():
    rules = _firewall_rules.desired_rules(guard_nets(), {}, 'iptables')
    v6 = [_firewall_iptables.render(r) for r in _firewall_rules.by_family(rules, 6)]
    assert v6 == ['-A HOSTNET-INPUT -s %s/128 -p udp -m udp --dport 4789 -j ACCEPT' % ip for ip in (B6, C6)] + \
        ['-A HOSTNET-INPUT -p udp -m udp --dport 4789 -j DROP']
    v4 = [_firewall_iptables.render(r) for r in _firewall_rules.by_family(rules, 4) if r.chain == 'INPUT']
    assert v4 == ['-A HOSTNET-INPUT -s 192.0.2.14/32 -p udp -m udp --dport 4789 -j ACCEPT', '-A HOSTNET-INPUT -p udp -m udp --dport 4789 -j DROP']
    assert _firewall_iptables.Ip6tables.wanted(rules) == ['ip6 filter :HOSTNET-INPUT'] + ['ip6 filter ' + line for line in v6] + \
        ['ip6 filter -A INPUT -j HOSTNET-INPUT']
    text = _firewall_iptables.restore_text({}, _firewall_rules.by_family(rules, 6))
    assert text == '*filter\n:HOSTNET-INPUT - [0:0]\n' + '\n'.join(v6) + '\n-I INPUT 1 -j HOSTNET-INPUT\nCOMMIT\n'
    assert not any('/128' in line for line in FakeIptables({}).restore_input(rules).splitlines()), 'IPv6 rules stay out of iptables'
    # Without an IPv6 overlay: no IPv6 rule, and ip6tables is never read.
    assert not _firewall_rules.by_family(_firewall_rules.desired_rules({'ov2': guard_nets()['ov2']}, {}, 'iptables'), 6)


def test_ipv6_guard_in_nftables_own_ip6_table():
    nets = {n: dict(d, firewall_backend='nftables') for n, d in guard_nets().items()}
    rules = _firewall_rules.desired_rules(nets, {}, 'nftables')
    cmds = _firewall_nftables.commands(rules, [], False, True)
    six = [c for c in cmds if 'ip6' in json.dumps(c)]
    assert six[0] == {'delete': {'table': {'family': 'ip6', 'name': 'hostnet6'}}}
    assert six[1] == {'add': {'table': {'family': 'ip6', 'name': 'hostnet6'}}}
    assert six[2]['add']['chain'] == {'table': 'hostnet6', 'family': 'ip6', 'name': 'input', 'type': 'filter', 'hook': 'input',
                                      'prio': 0, 'policy': 'accept'}
    assert [c['add']['rule']['chain'] for c in six[3:]] == ['input'] * 3
    lines = _firewall_nftables.Nftables().wanted(rules)
    assert lines[-3:] == ['ip6 hostnet6: input: ip6 saddr %s udp dport 4789 accept' % B6, 'ip6 hostnet6: input: ip6 saddr %s udp dport 4789 accept' % C6,
                          'ip6 hostnet6: input: udp dport 4789 drop']
    assert 'input: ip saddr 192.0.2.14 udp dport 4789 accept' in lines
    # The ip table's commands are what they were without the IPv6 overlay's guard (a v4-only host's record holds).
    v4only = _firewall_rules.by_family(rules, 4)
    assert _firewall_nftables.commands(rules, [], False)[:len(_firewall_nftables.commands(v4only, [], False))] == \
        _firewall_nftables.commands(v4only, [], False)
    # Teardown: both tables deleted.
    gone = [{'delete': {'table': {'family': 'ip', 'name': 'hostnet'}}}, {'delete': {'table': {'family': 'ip6', 'name': 'hostnet6'}}}]
    assert _firewall_nftables.commands([], [], True, True) == gone


def test_nftables_ip6_table_made_recorded_compared_and_removed(monkeypatch, tmp_path):
    fake = nft_fake.install(monkeypatch)
    nets = {n: dict(d, firewall_backend='nftables') for n, d in guard_nets().items()}
    rules = _firewall_rules.desired_rules(nets, {}, 'nftables')
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert be.differs(rules)
    be.apply(rules)
    assert set(fake.tables) == {('ip', 'hostnet'), ('ip6', 'hostnet6')}
    be = _firewall_nftables.Nftables(str(tmp_path))
    assert not be.differs(rules) and sorted(be.owned()) == sorted(be.wanted(rules))
    # Drift in the ip6 table (flushed) is a difference; a host without IPv6 overlays never lists it.
    fake.tables[('ip6', 'hostnet6')] = fake.tables[('ip6', 'hostnet6')][:2]
    assert _firewall_nftables.Nftables(str(tmp_path)).differs(rules)
    v4 = _firewall_rules.desired_rules({'ov2': nets['ov2']}, {}, 'nftables')
    be = _firewall_nftables.Nftables(str(tmp_path))
    be.apply(v4)
    assert set(fake.tables) == {('ip', 'hostnet')} and 'table6' not in be.recorded()
    fake.calls.clear()
    assert not _firewall_nftables.Nftables(str(tmp_path)).differs(v4)
    assert not any('ip6' in call for call in fake.calls), fake.calls


def test_ip6tables_applied_recorded_and_removed(monkeypatch, tmp_path):
    runs = []
    saved = {'text': ''}

    def run(argv, data=None):
        runs.append(argv[0])
        if argv[0] == 'ip6tables-restore':
            saved['text'] = '*filter\n:HOSTNET-INPUT - [0:0]\n' + '\n'.join(
                line for line in data.splitlines() if line.startswith('-A ')) + '\n-A INPUT -j HOSTNET-INPUT\nCOMMIT\n' if '-A ' in data else ''
        return {'ip6tables-save': saved['text'], 'ip6tables': 'ip6tables v1.8.9 (legacy)'}.get(argv[0], '')
    monkeypatch.setattr(_firewall_rules, '_run', run)
    monkeypatch.setattr(_firewall_rules, 'command_exists', lambda name: True)
    rules = _firewall_rules.desired_rules(guard_nets(), {}, 'iptables')
    v6 = _firewall_iptables.Ip6tables(str(tmp_path))
    v6.apply(rules)
    assert runs == ['ip6tables-save', 'ip6tables', 'ip6tables-restore']
    assert _store.load(_firewall_rules.FW_KIND, 'ip6tables', str(tmp_path)) == {'created': []}
    v6 = _firewall_iptables.Ip6tables(str(tmp_path))
    v6.read(rules)
    assert sorted(v6.owned()) == sorted(v6.wanted(rules)), 'applied as wanted: no difference'
    # No IPv6 overlay left: the chain goes and so does the record; then ip6tables is not read at all.
    _firewall_iptables.Ip6tables(str(tmp_path)).apply([])
    assert _store.load(_firewall_rules.FW_KIND, 'ip6tables', str(tmp_path)) is None and saved['text'] == ''
    runs.clear()
    assert _firewall_iptables.Ip6tables(str(tmp_path)).read([]) == {} and runs == []
