# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe's list form without root: items take the task's options, every item is checked first, results keep
their order and the summary names the probes that disagree."""

from __future__ import annotations

import threading
import time

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _probe
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_many
from ansible_collections.hostnet.containers.plugins.module_utils import _probe_names
from ansible_collections.hostnet.containers.plugins.modules import probe as probe_module

# What the module's argument spec gives: the top-level defaults, and None for what is not set.
TASK = dict(netns=None, target=None, probes=None, method='ping', port=None, expect='reachable', expect_address=None,
            family='any', count=1, timeout=2.0)


def task(probes, **options):
    return dict(TASK, probes=probes, **options)


def checked(params):
    """The module's parameters as AnsibleModule's argument spec checks them: (params, errors)."""
    res = ArgumentSpecValidator(probe_module.ARGUMENT_SPEC, required_one_of=probe_module.ONE_OF,
                                mutually_exclusive=probe_module.ONE_OF).validate(params)
    return res.validated_parameters, [str(e) for e in res.errors]


# -- the argument spec ---------------------------------------------------------------------------------------
def test_target_or_probes_one_of_them():
    assert checked({'target': '172.17.0.3'})[1] == []
    assert checked({'probes': [{'target': '172.17.0.3'}]})[1] == []
    assert any('one of the following is required: target, probes' in e for e in checked({'netns': 'web01'})[1])
    errors = checked({'target': '172.17.0.3', 'probes': [{'target': '172.17.0.3'}]})[1]
    assert any('mutually exclusive: target|probes' in e for e in errors), errors
    errors = checked({'probes': [{'netns': 'web01'}]})[1]
    assert any('target' in e and 'probes' in e for e in errors), errors


def test_items_leave_options_out_as_none():
    """No default in an item's spec: what an item leaves out reads as None, so the task's value is taken."""
    params, errors = checked({'netns': 'c2', 'probes': [{'target': 'a'}, {'target': 'b', 'expect': 'unreachable', 'timeout': 1}]})
    assert errors == []
    assert params['probes'][0] == dict(dict.fromkeys(_probe_many.ITEM_OPTIONS + ('label',)), target='a')
    wants = _probe_many.validate(params)
    assert [(w['netns'], w['target'], w['expect'], w['timeout'], w['method'], w['count']) for w in wants] == [
        ('c2', 'a', 'reachable', 2.0, 'ping', 1), ('c2', 'b', 'unreachable', 1.0, 'ping', 1)]


# -- items ---------------------------------------------------------------------------------------------------
def test_an_item_takes_the_task_options_it_leaves_out():
    params = task([{'target': '172.17.0.3'},
                   {'target': '172.18.0.2', 'netns': 'db01', 'method': 'tcp', 'port': 80, 'count': 3},
                   {'target': 'db01', 'method': 'resolve', 'expect_address': '172.18.0.3', 'netns': None}],
                  netns='web01', timeout=0.5, family='ipv4')
    wants = _probe_many.validate(params)
    assert wants[0] == dict(_probe.validate(dict(TASK, netns='web01', target='172.17.0.3', timeout=0.5, family='ipv4')), label=None)
    assert (wants[1]['netns'], wants[1]['method'], wants[1]['port'], wants[1]['count'], wants[1]['timeout']) == ('db01', 'tcp', 80, 3, 0.5)
    assert (wants[2]['netns'], wants[2]['name'], wants[2]['expect_address'], wants[2]['family']) == ('web01', 'db01', '172.18.0.3', 'ipv4')


@pytest.mark.parametrize('probes, options, message', [
    ([{'target': '172.17.0.3'}, {'target': '172.17.0.4', 'port': 80}], {},
     'probes[1].port 80: only used with method tcp, not ping'),
    ([{'target': '172.17.0.3'}, {'target': '172.17.0.4'}, {'target': '172.17.0.5', 'method': 'tcp'}], {},
     'probes[2].port: required with method tcp'),
    ([{'target': '172.17.0.300'}], {}, "probes[0].target '172.17.0.300': not a valid IPv4 address"),
    ([{'target': '172.17.0.3', 'netns': 'a/b'}], {}, "probes[0].netns 'a/b': not a valid namespace name"),
    ([{'target': '172.17.0.3'}, {'target': 'fd00::1'}], {'family': 'ipv4'},
     "probes[1].family 'ipv4': target fd00::1 is an IPv6 address"),
    ([{'target': '172.17.0.3', 'count': 0}], {}, 'probes[0].count 0: must be from 1 to 1000'),
    # A task option an item inherits is checked as that item's.
    ([{'target': '172.17.0.3'}], {'timeout': 0}, 'probes[0].timeout 0'),
    ([], {}, 'probes []: must list at least one probe'),
    (['172.17.0.3'], {}, "probes[0] '172.17.0.3': must be a dictionary"),
])
def test_a_bad_item_names_probes_n_option(probes, options, message):
    with pytest.raises(_probe.ProbeError) as err:
        _probe_many.validate(task(probes, **options))
    assert str(err.value).startswith(message), str(err.value)


def test_every_item_is_checked_before_any_namespace_is_opened():
    opened = []
    with pytest.raises(_probe.ProbeError):
        _probe_many.run(_probe_many.validate(task([{'target': '172.17.0.3'}, {'target': 'x', 'method': 'tcp'}])),
                        prober=opened.append)
    assert opened == []


class FakeProber:
    """A prober that answers from a table and notes which thread asked; ``missing`` namespaces do not exist."""

    missing = ('web99',)

    def __init__(self, netns):
        if netns in self.missing:
            raise _probe.ProbeError('netns', netns, 'no such network namespace (no /run/netns/%s)' % netns)
        self.netns = netns
        self.where = 'namespace %s' % netns if netns else "the host's namespace"
        self.closed = False

    def close(self):
        self.closed = True

    def ping(self, ip, timeout, ident, seq):
        return (True, 0.1, None) if ip.endswith('.3') else (False, None, 'timeout after %s s' % _probe.seconds(timeout))

    def tcp(self, ip, port, timeout):
        if port == 81:
            raise _kernel.HostnetError('opening a TCP socket in %s: permission denied' % self.where)
        return (True, 0.2, None) if port == 80 else (False, None, 'connection refused')

    def resolve(self, name, timeout, family='any'):
        found = {'db01': ['172.18.0.3']}.get(name, [])
        return _probe.Resolution(found, '/etc/hosts' if found else None, None if found else 'not in /etc/hosts')


def test_a_missing_namespace_is_refused_before_anything_is_sent():
    probers = []

    def prober(netns):
        probers.append(FakeProber(netns))
        return probers[-1]

    wants = _probe_many.validate(task([{'target': '172.17.0.3', 'netns': 'web01'}, {'target': '172.17.0.3', 'netns': 'web99'}]))
    with pytest.raises(_probe.ProbeError) as err:
        _probe_many.run(wants, prober=prober, probe=lambda want, one: pytest.fail('a probe ran'))
    assert str(err.value) == "probes[1].netns 'web99': no such network namespace (no /run/netns/web99)"
    assert [p.closed for p in probers] == [True]


def test_results_keep_their_order_and_say_whether_each_agrees():
    probes = [{'target': '172.17.0.3'},
              {'target': '172.17.0.4', 'expect': 'unreachable', 'timeout': 0.5},
              {'target': '172.17.0.3', 'method': 'tcp', 'port': 80, 'netns': None},
              {'target': 'db01', 'method': 'resolve', 'expect_address': '172.18.0.3'}]
    results = _probe_many.run(_probe_many.validate(task(probes, netns='web01')), prober=FakeProber)
    assert [r['target'] for r in results] == ['172.17.0.3', '172.17.0.4', '172.17.0.3', 'db01']
    assert [r['method'] for r in results] == ['ping', 'ping', 'tcp', 'resolve']
    assert [r['agrees'] for r in results] == [True] * 4
    assert results[1] == {'reachable': False, 'address': '172.17.0.4', 'addresses': ['172.17.0.4'], 'resolved_from': None,
                          'rtt_ms': None, 'attempts': 1, 'error': 'timeout after 0.5 s', 'netns': 'web01', 'target': '172.17.0.4',
                          'method': 'ping', 'expect': 'unreachable', 'agrees': True, 'label': None,
                          'msg': 'probe from web01 to 172.17.0.4 (ping): unreachable as expected (timeout after 0.5 s)'}
    assert results[3]['address'] == '172.18.0.3' and results[3]['resolved_from'] == '/etc/hosts'
    assert _probe_many.summary(results) == (True, '4 probes: all as expected')
    assert _probe_many.summary(results[:1]) == (True, '1 probe: as expected')


def test_disagreeing_probes_and_probe_errors_are_named_the_others_still_report():
    probes = [{'target': '172.17.0.3', 'expect': 'unreachable'},
              {'target': 'nosuch'},
              {'target': '172.17.0.3', 'method': 'tcp', 'port': 81},
              {'target': '172.17.0.3', 'method': 'tcp', 'port': 80}]
    results = _probe_many.run(_probe_many.validate(task(probes, netns='web01')), prober=FakeProber)
    assert [r['agrees'] for r in results] == [False, False, False, True]
    assert results[1]['error'] == "target 'nosuch': does not resolve from namespace web01 (not in /etc/hosts); to check that " \
        'a name does not resolve, use method resolve with expect unreachable'
    assert results[1]['msg'] == 'probe from web01 to nosuch (ping): ' + results[1]['error']
    assert (results[1]['reachable'], results[1]['address'], results[1]['addresses'], results[1]['attempts']) == (False, None, [], 0)
    assert results[2]['msg'] == 'probe from web01 to 172.17.0.3 (tcp port 81): opening a TCP socket in namespace web01: permission denied'
    agrees, msg = _probe_many.summary(results)
    assert not agrees
    assert msg == '3 of 4 probes disagree: %s' % '; '.join(r['msg'] for r in results[:3])
    assert msg.startswith('3 of 4 probes disagree: probe from web01 to 172.17.0.3 (ping): expected unreachable, got reachable')


def test_a_label_heads_its_probe_message_and_is_never_inherited():
    probes = [{'target': '172.17.0.3', 'label': 'web01 to web02 on the default bridge'},
              {'target': '172.17.0.3', 'expect': 'unreachable'}]
    params, errors = checked({'netns': 'web01', 'probes': probes})
    assert errors == []
    results = _probe_many.run(_probe_many.validate(params), prober=FakeProber)
    assert results[0]['label'] == 'web01 to web02 on the default bridge'
    assert results[0]['msg'] == 'web01 to web02 on the default bridge: probe from web01 to 172.17.0.3 (ping): reachable as expected (rtt 0.1 ms)'
    assert results[1]['label'] is None and results[1]['msg'].startswith('probe from web01 to 172.17.0.3 (ping): expected unreachable')
    assert _probe_many.summary(results)[1] == '1 of 2 probes disagree: ' + results[1]['msg']


def test_the_probes_run_side_by_side_each_with_its_own_prober():
    """Proven by a barrier every probe must reach before any may finish: one after another would never pass it."""
    count = 5
    barrier = threading.Barrier(count, timeout=30)
    seen = []

    def probe(want, prober):
        seen.append((want['target'], prober))
        barrier.wait()
        return {'target': want['target'], 'agrees': True, 'msg': ''}

    wants = _probe_many.validate(task([{'target': '172.17.0.%d' % i} for i in range(1, count + 1)], netns='web01'))
    results = _probe_many.run(wants, prober=FakeProber, probe=probe)
    assert [r['target'] for r in results] == ['172.17.0.%d' % i for i in range(1, count + 1)]
    assert len({id(prober) for _t, prober in seen}) == count and all(prober.closed for _t, prober in seen)


def test_at_most_32_threads(monkeypatch):
    made = []

    class Pool:
        def __init__(self, max_workers):
            made.append(max_workers)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def map(self, func, *iterables):
            return map(func, *iterables)

    monkeypatch.setattr(_probe_many.concurrent.futures, 'ThreadPoolExecutor', Pool)
    for count in (1, 3, 40):
        wants = _probe_many.validate(task([{'target': '172.17.0.3'}] * count))
        assert len(_probe_many.run(wants, prober=FakeProber)) == count
    assert made == [1, 3, 32]


# -- name lookups from threads (this process's namespace, no root) --------------------------------------------
def wait_for(path):
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return path.exists()


def test_lookups_from_two_threads_do_not_wait_for_each_other(monkeypatch, tmp_path):
    """Two lookups at once, from two threads (as the list form makes them): the second child is forked while the
    first lookup runs and hangs until the first lookup has returned, which it does with its own answer."""
    forked, started, release = tmp_path / 'forked', tmp_path / 'started', tmp_path / 'release'

    def answer(name, family):  # runs in the forked children, which inherit the fake
        if name == 'first':
            forked.touch()
            wait_for(started)
        else:
            started.touch()
            wait_for(release)
        return {'addresses': ['127.0.0.9'], 'canonical': name, 'files': True}

    monkeypatch.setattr(_probe_names, 'answer', answer)
    slow = {}
    thread = threading.Thread(target=lambda: wait_for(forked) and slow.update(answer=_probe_names.lookup(None, None, 'slow', 1)))
    thread.start()
    try:
        assert _probe_names.lookup(None, None, 'first', 1) == {'addresses': ['127.0.0.9'], 'canonical': 'first', 'files': True}
        assert 'answer' not in slow  # the slow child is still waiting: the answer above did not wait for it
    finally:
        release.touch()
        thread.join(60)
    assert slow['answer']['canonical'] == 'slow'
