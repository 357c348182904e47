# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An endpoint's bandwidth: parsing (units, bad input naming the option and the value), the qdisc decoder, the
read-back comparison and the plan (only the qdiscs change), on snapshots made of dicts."""

from __future__ import annotations

import struct

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

from ansible_collections.hostnet.containers.tests.unit.plugins.module_utils.test_network_planner import (  # noqa: E402
    BridgeRun, bridge_host, bridge_params, commit, empty_host, plan)

TICK = 15.625  # /proc/net/psched of a usual kernel: 1000/64 ticks per microsecond


@pytest.mark.parametrize('value, bits', [(10000000, 10000000), ('10mbit', 10000000), ('1gbit', 10 ** 9), ('500kbit', 500000),
                                         ('1.5mbit', 1500000), ('8mibit', 8 * 2 ** 20), ('1mbps', 8000000), (' 10 Mbit ', 10000000)])
def test_rates(value, bits):
    assert _bandwidth.parse({'ingress_rate': value}, 'bw') == {'ingress_rate': bits, 'ingress_burst': max(bits // 800, 32768)}


@pytest.mark.parametrize('value, size', [(32768, 32768), ('32kb', 32768), ('32k', 32768), ('1mb', 2 ** 20), ('1500b', 1500),
                                         ('80kbit', 10000)])
def test_bursts(value, size):
    assert _bandwidth.parse({'egress_rate': '10mbit', 'egress_burst': value}, 'bw')['egress_burst'] == size


def test_default_burst_is_ten_milliseconds_at_least_32k():
    assert _bandwidth.parse({'egress_rate': '1gbit'}, 'bw')['egress_burst'] == 1250000
    assert _bandwidth.parse({'egress_rate': '1mbit'}, 'bw')['egress_burst'] == 32768
    assert _bandwidth.parse({}, 'bw') is None and _bandwidth.parse(None, 'bw') is None
    assert _bandwidth.parse({'ingress_rate': None, 'ingress_burst': None}, 'bw') is None


@pytest.mark.parametrize('value, option, reason', [
    ({'ingress_rate': 'mbit'}, "bw.ingress_rate 'mbit'", 'has no number'),
    ({'ingress_rate': ''}, "bw.ingress_rate ''", 'has no number'),
    ({'ingress_rate': '10xb'}, "bw.ingress_rate '10xb'", "unknown unit 'xb'"),
    ({'egress_rate': -5}, 'bw.egress_rate -5', 'must be positive'),
    ({'egress_rate': '-5mbit'}, "bw.egress_rate '-5mbit'", 'must be positive'),
    ({'egress_rate': 0}, 'bw.egress_rate 0', 'must be positive'),
    ({'egress_rate': True}, 'bw.egress_rate True', 'expected a rate'),
    ({'egress_rate': '100gbit'}, "bw.egress_rate '100gbit'", 'between 8 bit/s'),
    ({'egress_rate': '10mbit', 'egress_burst': '-1kb'}, "bw.egress_burst '-1kb'", 'must be positive'),
    ({'egress_rate': '10mbit', 'egress_burst': '3 pages'}, "bw.egress_burst '3 pages'", "unknown unit 'pages'"),
    ({'egress_rate': '1kbit', 'egress_burst': '1gb'}, "bw.egress_burst '1gb'", 'too large for the rate'),
    ({'egress_burst': 1}, 'bw.egress_burst 1', 'needs egress_rate'),
    ({'rate': 1}, 'bw ', 'unknown keys rate'),
    ('10mbit', "bw '10mbit'", 'expected a dict'),
])
def test_bad_input_names_option_and_value(value, option, reason):
    with pytest.raises(_validate.InputError) as exc:
        _bandwidth.parse(value, 'bw')
    assert str(exc.value).startswith(option) and reason in str(exc.value), str(exc.value)


def tbf_message(index, rate, limit, buffer, parent=0xFFFFFFFF):
    qopt = struct.pack('=BBHhHI BBHhHI III', 0, 1, 0, 0, 0, rate, 0, 0, 0, 0, 0, 0, limit, buffer, 0)
    parms = struct.pack('=HH', 4 + len(qopt), 1) + qopt
    options = struct.pack('=HH', 4 + len(parms), 2 | 0x8000) + parms
    kind = struct.pack('=HH', 8, 1) + b'tbf\0'
    body = struct.pack('=BxxxiIII', 0, index, 0x10000, parent, 2) + kind + options
    return body


def test_qdisc_decoder_and_read_back():
    body = tbf_message(7, 1250000, 64018, 409593)
    q = codec.parse_qdisc(body, 0, len(body))
    assert q == {'index': 7, 'handle': 0x10000, 'parent': 0xFFFFFFFF, 'kind': 'tbf', 'rate': 1250000, 'limit': 64018, 'buffer': 409593}
    assert _bandwidth.matches(q, 10000000, 32768, TICK)
    assert not _bandwidth.matches(q, 20000000, 32768, TICK) and not _bandwidth.matches(q, 10000000, 65536, TICK)
    assert not _bandwidth.matches(dict(q, limit=100000), 10000000, 32768, TICK)
    assert not _bandwidth.matches(dict(q, kind='noqueue', rate=None), 10000000, 32768, TICK)
    assert _bandwidth.root_qdisc([dict(q, parent=0xFFFF0000), q], 7) is q and _bandwidth.root_qdisc([q], 8) is None


def test_requests_encode():
    _bandwidth.tbf_request(3, 10000000, 32768).encode()
    _bandwidth.del_request(3).encode()


# -- planning ---------------------------------------------------------------------------------------------------------
LIMIT = {'ingress_rate': '10mbit', 'egress_rate': '10mbit', 'egress_burst': '64kb'}


def shaped(params_endpoints):
    return bridge_params(endpoints=params_endpoints)


def test_new_endpoint_shaped_then_rerun_reads_back(tmp_path, monkeypatch):
    monkeypatch.setattr(_bandwidth, 'tick_in_usec', lambda: TICK)
    new_host = empty_host()
    new_host.qdiscs = {None: []}
    run = plan(BridgeRun, shaped([{'name': 'c1', 'bandwidth': LIMIT}, {'name': 'c2'}]), new_host, tmp_path)
    doc = run.doc
    assert doc['endpoints']['c1']['bandwidth'] == {'ingress_rate': 10 ** 7, 'ingress_burst': 32768, 'egress_rate': 10 ** 7, 'egress_burst': 65536}
    assert 'bandwidth' not in doc['endpoints']['c2']
    veth = doc['endpoints']['c1']['veth']
    assert run.plan.commands[-1] == ('set bandwidth of c1 on net1: ingress 10000000 bit/s burst 32768, egress 10000000 bit/s burst '
                                     '65536 (tbf on %s, eth0 in c1)' % veth)
    commit(run, tmp_path)
    host = bridge_host(doc)
    index = host.links[veth]['index']
    host.qdiscs = {None: [codec.parse_qdisc(m, 0, len(m)) for m in [tbf_message(index, 1250000, 64018, 409593)]],
                   'c1': [codec.parse_qdisc(m, 0, len(m)) for m in [tbf_message(2, 1250000, 31250 + 65536, 819187)]]}
    rerun = plan(BridgeRun, shaped([{'name': 'c1', 'bandwidth': LIMIT}, {'name': 'c2'}]), host, tmp_path)
    assert rerun.plan.commands == []
    # Only egress changes: one step, on the container end only.
    host.qdiscs['c1'] = []
    changed = plan(BridgeRun, shaped([{'name': 'c1', 'bandwidth': LIMIT}, {'name': 'c2'}]), host, tmp_path)
    assert changed.plan.commands == ['set bandwidth of c1 on net1: ingress 10000000 bit/s burst 32768, egress 10000000 bit/s burst '
                                     '65536 (tbf on eth0 in c1)']
    # Removed: the host end's tbf goes; the container end has none (nothing to remove there).
    removed = plan(BridgeRun, shaped([{'name': 'c1'}, {'name': 'c2'}]), host, tmp_path)
    assert removed.plan.commands[-1] == 'set bandwidth of c1 on net1: none (tbf on %s)' % veth
    assert 'bandwidth' not in removed.doc['endpoints']['c1']


def test_a_foreign_qdisc_without_bandwidth_is_left_alone(tmp_path):
    run = plan(BridgeRun, bridge_params(), empty_host(), tmp_path)
    commit(run, tmp_path)
    host = bridge_host(run.doc)
    host.qdiscs = {None: [{'index': 100, 'parent': 0xFFFFFFFF, 'kind': 'tbf', 'handle': 0x10000, 'rate': 1, 'limit': 1, 'buffer': 1}]}
    assert plan(BridgeRun, bridge_params(), host, tmp_path).plan.commands == []


def test_burst_below_a_frame_and_macvlan_are_refused(tmp_path):
    with pytest.raises(_validate.InputError, match=r'^endpoints\[0\]\.bandwidth\.ingress_burst 1000: is smaller than one frame'):
        plan(BridgeRun, shaped([{'name': 'c1', 'bandwidth': {'ingress_rate': '10mbit', 'ingress_burst': 1000}}]), empty_host(), tmp_path)
    assert _bandwidth.parse({'ingress_rate': '10mbit', 'ingress_burst': 1514}, 'bw')  # one frame of MTU 1500 is enough
    specs = [type('Spec', (), {'bandwidth': {'ingress_rate': 8, 'ingress_burst': 32768}, 'option': 'endpoints[0]'})()]
    with pytest.raises(_validate.InputError, match='macvlan endpoint has no host end'):
        _bandwidth.check(specs, 1500, 'macvlan')


class GoneChannel:
    """A namespace's Channel where the link is gone (a rollback after its creation was undone)."""

    def link(self, ifname):
        return None


def test_an_undo_of_a_link_that_is_gone_does_nothing_and_a_step_fails_naming_it():
    _bandwidth.apply(GoneChannel(), 'eth0', None, None, 'c1', gone_ok=True)
    with pytest.raises(_kernel.HostnetError, match='eth0 disappeared from c1'):
        _bandwidth.apply(GoneChannel(), 'eth0', 10 ** 7, 32768, 'c1')
