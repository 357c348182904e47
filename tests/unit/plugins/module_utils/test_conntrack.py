# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The conntrack deletion: what changed between two documents, which entries of a table belong to it (and which do
not), and the step on a fake table: deletes only those, tolerates entries that went, is skipped with a reason when
the kernel refuses."""

from __future__ import annotations

import copy
import errno
import socket
from types import SimpleNamespace

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack
from ansible_collections.hostnet.containers.plugins.module_utils import _plan

UDP, TCP = socket.IPPROTO_UDP, socket.IPPROTO_TCP
HOST = '10.138.3.130'
CLIENT = '10.138.3.131'


def publish(host_port, container_port, proto='udp', host_ip='0.0.0.0'):
    return {'host_ip': host_ip, 'host_port': host_port, 'container_port': container_port, 'proto': proto}


def network(**endpoints):
    """A bridge network document: endpoints as name=(ip, [publishes])."""
    return {'name': 'n', 'driver': 'bridge', 'bridge': 'br-n', 'subnet': '172.18.0.0/16',
            'endpoints': {name: {'ip': ip, 'publish': pubs} for name, (ip, pubs) in endpoints.items()}}


OLD = network(a=('172.18.0.2', [publish(5000, 9000)]), b=('172.18.0.3', []), c=('172.18.0.4', [publish(5001, 9000)]))


def mapping(host_port, container_ip, container_port, proto='udp', host_ip=None):
    return _conntrack.Mapping(proto, host_ip, host_port, container_ip, container_port)


# -- what changed ------------------------------------------------------------------------------------------
def test_nothing_changed_or_a_new_network():
    assert _conntrack.network_targets(OLD, copy.deepcopy(OLD)) == []
    assert _conntrack.network_targets(None, OLD) == []


def test_moved_publish_and_changed_ports():
    new = copy.deepcopy(OLD)
    new['endpoints']['a']['publish'], new['endpoints']['b']['publish'] = [], [publish(5000, 9000)]
    assert _conntrack.network_targets(OLD, new) == [mapping(5000, '172.18.0.2', 9000)]
    new = copy.deepcopy(OLD)
    new['endpoints']['a']['publish'] = [publish(5000, 9001)]
    assert _conntrack.network_targets(OLD, new) == [mapping(5000, '172.18.0.2', 9000)]
    new['endpoints']['a']['publish'] = [publish(5002, 9000)]
    assert _conntrack.network_targets(OLD, new) == [mapping(5000, '172.18.0.2', 9000)]
    new['endpoints']['a']['publish'] = [publish(5000, 9000, proto='tcp')]
    assert _conntrack.network_targets(OLD, new) == [mapping(5000, '172.18.0.2', 9000)]


def test_host_ip_kept_and_tcp_too():
    old = network(a=('172.18.0.2', [publish(80, 8080, 'tcp', HOST)]))
    new = network(a=('172.18.0.2', []))
    assert _conntrack.network_targets(old, new) == [mapping(80, '172.18.0.2', 8080, 'tcp', HOST)]


def test_removed_and_readdressed_endpoints():
    new = copy.deepcopy(OLD)
    del new['endpoints']['b']
    assert _conntrack.network_targets(OLD, new) == [_conntrack.Address('172.18.0.3')]
    new['endpoints']['c']['ip'] = '172.18.0.9'
    targets = _conntrack.network_targets(OLD, new)
    assert _conntrack.Address('172.18.0.4') in targets and mapping(5001, '172.18.0.4', 9000) in targets
    # b goes and d takes its address in the same run: b's flows go all the same.
    swapped = network(a=('172.18.0.2', [publish(5000, 9000)]), d=('172.18.0.3', []), c=('172.18.0.4', [publish(5001, 9000)]))
    assert _conntrack.network_targets(OLD, swapped) == [_conntrack.Address('172.18.0.3')]


def test_network_removed():
    targets = _conntrack.network_targets(OLD, None)
    assert set(targets) == {mapping(5000, '172.18.0.2', 9000), mapping(5001, '172.18.0.4', 9000),
                            _conntrack.Address('172.18.0.2'), _conntrack.Address('172.18.0.3'), _conntrack.Address('172.18.0.4')}


def test_macvlan_has_no_mappings():
    old = {'name': 'm', 'driver': 'macvlan', 'endpoints': {'a': {'ip': '10.0.0.2'}}}
    assert _conntrack.network_targets(old, dict(old, endpoints={})) == [_conntrack.Address('10.0.0.2')]


def dnat(container_ip, host_port=5002, **extra):
    doc = {'kind': 'dnat', 'host_ip': '0.0.0.0', 'host_port': host_port, 'container_ip': container_ip, 'container_port': 9000,
           'proto': 'udp', 'bridge': 'br-n', 'bridge_subnet': '172.18.0.0/16'}
    doc.update(extra)
    return doc


def test_nat_targets():
    assert _conntrack.nat_targets(dnat('172.18.0.2'), dnat('172.18.0.3')) == [mapping(5002, '172.18.0.2', 9000)]
    assert _conntrack.nat_targets(dnat('172.18.0.2'), None) == [mapping(5002, '172.18.0.2', 9000)]
    assert _conntrack.nat_targets(dnat('172.18.0.2'), dnat('172.18.0.2', bridge=None)) == []
    assert _conntrack.nat_targets(None, dnat('172.18.0.2')) == []
    assert _conntrack.nat_targets({'kind': 'masquerade'}, None) == []


# -- which entries -----------------------------------------------------------------------------------------
def entry(proto, saddr, daddr, sport, dport, rsaddr=None, rsport=None):
    """An entry; the reply as the kernel makes it: from the DNAT target when given, else the flow reversed."""
    return _conntrack.Entry(proto, saddr, daddr, sport, dport, rsaddr or daddr, saddr, rsport or dport, sport)


FLOW_A = entry(UDP, CLIENT, HOST, 40000, 5000, '172.18.0.2', 9000)  # the mapping's flow, NATed to a
FLOW_C = entry(UDP, CLIENT, HOST, 40001, 5001, '172.18.0.4', 9000)  # another mapping's flow
FLOW_LOCAL = entry(UDP, '127.0.0.1', '127.0.0.1', 40000, 5000, '172.18.0.2', 9000)  # the host's own, via 127.0.0.1
FORWARDED = entry(UDP, CLIENT, '192.0.2.7', 40000, 5000)  # through the host to another machine's port 5000
TCP_A = entry(TCP, CLIENT, HOST, 40000, 5000, '172.18.0.2', 9000)
TO_B = entry(UDP, HOST, '172.18.0.3', 40003, 9000)  # the host to b
FROM_B = entry(TCP, '172.18.0.3', '192.0.2.7', 50000, 443, '192.0.2.7', 443)  # b out, not masqueraded here
ICMP_B = _conntrack.Entry(socket.IPPROTO_ICMP, '172.18.0.1', '172.18.0.3', None, None, '172.18.0.3', '172.18.0.1', None, None)
TABLE = [FLOW_A, FLOW_C, FLOW_LOCAL, FORWARDED, TCP_A, TO_B, FROM_B, ICMP_B]


def test_a_mapping_selects_its_own_flows_only():
    assert _conntrack.selected(TABLE, [mapping(5000, '172.18.0.2', 9000)]) == [FLOW_A, FLOW_LOCAL]
    assert _conntrack.selected(TABLE, [mapping(5000, '172.18.0.2', 9000, host_ip=HOST)]) == [FLOW_A]
    assert _conntrack.selected(TABLE, [mapping(5000, '172.18.0.2', 9000, 'tcp')]) == [TCP_A]
    # The same host port NATed to another container or port: not this mapping's flow.
    assert _conntrack.selected(TABLE, [mapping(5000, '172.18.0.3', 9000)]) == []
    assert _conntrack.selected(TABLE, [mapping(5000, '172.18.0.2', 9001)]) == []


def test_an_address_selects_every_flow_from_or_to_it():
    assert _conntrack.selected(TABLE, [_conntrack.Address('172.18.0.3')]) == [TO_B, FROM_B, ICMP_B]
    assert _conntrack.selected(TABLE, [_conntrack.Address('172.18.0.2')]) == [FLOW_A, FLOW_LOCAL, TCP_A]
    assert _conntrack.selected(TABLE, []) == []


# -- the step ----------------------------------------------------------------------------------------------
def raw(e):
    """A pyroute2 ConntrackEntry as far as the step reads it."""
    return SimpleNamespace(tuple_orig=SimpleNamespace(proto=e.proto, saddr=e.saddr, daddr=e.daddr, sport=e.sport, dport=e.dport),
                           tuple_reply=SimpleNamespace(saddr=e.reply_saddr, daddr=e.reply_daddr, sport=e.reply_sport, dport=e.reply_dport),
                           entry=e)


class NetlinkError(Exception):
    """pyroute2's NetlinkError, as far as the step reads it."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


class FakeConntrack:
    def __init__(self, entries, gone=(), dump_error=None, delete_error=None):
        self.entries = [raw(e) for e in entries]
        self.gone = set(gone)
        self.dump_error = dump_error
        self.delete_error = delete_error
        self.deleted = []
        self.closed = False

    def dump_entries(self):
        if self.dump_error:
            raise self.dump_error
        return iter(self.entries)

    def entry(self, cmd, tuple_orig):
        assert cmd == 'del'
        found = next(r for r in self.entries if r.tuple_orig is tuple_orig)
        if self.delete_error:
            raise self.delete_error
        if found.entry in self.gone:
            raise NetlinkError(errno.ENOENT)
        self.deleted.append(found.entry)

    def close(self):
        self.closed = True


def test_no_targets_no_step():
    plan = _plan.Plan()
    assert _conntrack.plan_delete(plan, []) is None and not plan


def test_the_step_deletes_only_the_selected_entries():
    ct = FakeConntrack(TABLE, gone=[FLOW_LOCAL])
    plan = _plan.Plan()
    deletion = _conntrack.plan_delete(plan, [mapping(5000, '172.18.0.2', 9000), _conntrack.Address('172.18.0.3')], lambda: ct)
    assert plan.commands == ['delete conntrack entries of udp 0.0.0.0:5000->172.18.0.2:9000, address 172.18.0.3']
    assert plan.steps[0].undo is None
    plan.execute()
    assert ct.deleted == [FLOW_A, TO_B, FROM_B, ICMP_B] and ct.closed
    assert deletion.deleted == 4 and deletion.skipped is None and _conntrack.warnings(plan) == []


def test_long_text_is_shortened():
    plan = _plan.Plan()
    _conntrack.plan_delete(plan, [_conntrack.Address('172.18.0.%d' % i) for i in range(2, 9)])
    assert plan.commands == ['delete conntrack entries of address 172.18.0.2, address 172.18.0.3, address 172.18.0.4, '
                             'address 172.18.0.5 and 3 more']


def raising(exc):
    def opener():
        raise exc
    return opener


@pytest.mark.parametrize('opener, reason', [
    (raising(OSError(errno.EPROTONOSUPPORT, 'Protocol not supported')), 'opening the conntrack netlink socket failed'),
    (raising(ImportError('No module named pyroute2.conntrack')), 'No module named pyroute2.conntrack'),
    (lambda: FakeConntrack(TABLE, dump_error=NetlinkError(errno.EOPNOTSUPP)), 'reading the conntrack table failed: not supported'),
    (lambda: FakeConntrack(TABLE, delete_error=NetlinkError(errno.EPERM)), '2 of 2 entries: deleting failed: operation not permitted'),
])
def test_skipped_with_a_reason(opener, reason):
    plan = _plan.Plan()
    _conntrack.plan_delete(plan, [mapping(5000, '172.18.0.2', 9000)], opener)
    plan.execute()
    warnings = _conntrack.warnings(plan)
    assert len(warnings) == 1 and reason in warnings[0] and 'until their entries expire' in warnings[0]


def test_a_bug_is_not_a_warning():
    plan = _plan.Plan()
    _conntrack.plan_delete(plan, [mapping(5000, '172.18.0.2', 9000)], lambda: FakeConntrack(TABLE, dump_error=TypeError('bug')))
    with pytest.raises(_plan.PlanFailed, match='bug'):
        plan.execute()
