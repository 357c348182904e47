# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The planner: ordered steps, check mode is plan-only, rollback undoes the executed prefix."""

from __future__ import annotations

import resource

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _plan


def make_plan(log, fail_at=None, broken_undo=None):
    plan = _plan.Plan()
    for name in ('a', 'b', 'c'):
        def do(name=name):
            if name == fail_at:
                raise OSError(17, 'File exists')
            log.append('do ' + name)

        def undo(name=name):
            if name == broken_undo:
                raise RuntimeError('cannot undo ' + name)
            log.append('undo ' + name)
        plan.add('step ' + name, do, undo)
    return plan


def test_empty_plan_is_falsy():
    assert not _plan.Plan()
    assert _plan.Plan().commands == []


def test_steps_run_in_order_and_are_reported():
    log = []
    plan = make_plan(log)
    assert plan and plan.commands == ['step a', 'step b', 'step c']
    assert log == []  # planning does nothing: that is check mode
    assert plan.execute() == ['step a', 'step b', 'step c']
    assert log == ['do a', 'do b', 'do c']


def test_failure_undoes_the_executed_prefix_in_reverse():
    log = []
    with pytest.raises(_plan.PlanFailed) as err:
        make_plan(log, fail_at='c').execute()
    assert log == ['do a', 'do b', 'undo b', 'undo a']
    assert err.value.step.text == 'step c'
    assert 'rolled back' in str(err.value) and 'step c' in str(err.value)


def test_failed_undo_is_reported_and_the_rest_still_undone():
    log = []
    with pytest.raises(_plan.PlanFailed) as err:
        make_plan(log, fail_at='c', broken_undo='b').execute()
    assert log == ['do a', 'do b', 'undo a']
    assert 'rollback incomplete' in str(err.value) and 'cannot undo b' in str(err.value)


def test_steps_without_undo_are_skipped_on_rollback():
    log = []
    plan = _plan.Plan()
    plan.add('one', lambda: log.append(1))
    plan.add('two', lambda: (x for x in ()).throw(ValueError('boom')))
    with pytest.raises(_plan.PlanFailed, match='two: boom'):
        plan.execute()
    assert log == [1]


def test_fault_injection_hits_the_named_step(monkeypatch):
    log = []
    monkeypatch.setenv(_plan.FAULT_ENV, 'step b')
    with pytest.raises(_plan.PlanFailed, match='injected failure'):
        make_plan(log).execute()
    assert log == ['do a', 'undo a']


class FakeModule:
    def __init__(self, check_mode):
        self.check_mode = check_mode


def test_check_mode_takes_no_lock(tmp_path, monkeypatch):
    from ansible_collections.hostnet.containers.plugins.module_utils import _store
    monkeypatch.setattr(_store, 'LOCK_PATH', str(tmp_path / 'lock'))
    with _common.mutation_lock(FakeModule(True)):
        pass
    assert not (tmp_path / 'lock').exists()
    with _common.mutation_lock(FakeModule(False)):
        assert (tmp_path / 'lock').exists()


class RecordingBatch(_plan.Batch):
    """Runs its steps in one call; fails on the step whose ``do`` is 'fail'."""

    def __init__(self, log):
        self.log = log

    def run(self, steps):
        self.log.append('batch ' + ','.join(s.text for s in steps))
        for step in steps:
            if step.do == 'fail':
                raise _plan.BatchFailed(step, OSError(19, 'No such device'), steps)


def batched_plan(log, fail=None):
    plan = _plan.Plan()
    batch = RecordingBatch(log)
    plan.add('first', lambda: log.append('do first'), lambda: log.append('undo first'))
    for name in ('x', 'y', 'z'):
        plan.add(name, 'fail' if name == fail else 'ok', lambda name=name: log.append('undo ' + name), batch=batch)
    plan.add('last', lambda: log.append('do last'), lambda: log.append('undo last'))
    return plan


def test_consecutive_steps_of_one_batch_run_in_one_call():
    log = []
    plan = batched_plan(log)
    assert plan.commands == ['first', 'x', 'y', 'z', 'last']
    plan.execute()
    assert log == ['do first', 'batch x,y,z', 'do last']


def test_a_failed_batch_undoes_every_step_it_started_then_the_earlier_ones():
    log = []
    with pytest.raises(_plan.PlanFailed, match='y: .*No such device') as err:
        batched_plan(log, fail='y').execute()
    assert err.value.step.text == 'y'
    assert log == ['do first', 'batch x,y,z', 'undo z', 'undo y', 'undo x', 'undo first']


def test_fault_injection_inside_a_batch_runs_the_steps_before_it_then_rolls_back(monkeypatch):
    log = []
    monkeypatch.setenv(_plan.FAULT_ENV, 'y')
    with pytest.raises(_plan.PlanFailed, match='injected failure'):
        batched_plan(log).execute()
    assert log == ['do first', 'batch x', 'undo x', 'undo first']


def test_fault_injection_on_the_first_step_of_a_batch_runs_none_of_it(monkeypatch):
    log = []
    monkeypatch.setenv(_plan.FAULT_ENV, 'x')
    with pytest.raises(_plan.PlanFailed, match='injected failure'):
        batched_plan(log).execute()
    assert log == ['do first', 'undo first']


class KernelBatch(RecordingBatch):
    """A kernel-only batch that waits, inside its run, until the beside steps have run (or the test's ceiling):
    they must run while it does, on another thread."""

    kernel_only = True

    def __init__(self, log, beside_done):
        super().__init__(log)
        self.beside_done = beside_done

    def run(self, steps):
        self.log.append('kernel starts')
        self.beside_done.wait(60)
        super().run(steps)


def beside_plan(log, fail=None, beside_fail=None):
    """first; x, y (a kernel-only batch); w1, w2 beside; last."""
    import threading  # pylint: disable=import-outside-toplevel
    done = threading.Event()
    plan = _plan.Plan()
    batch = KernelBatch(log, done)
    plan.add('first', lambda: log.append('do first'), lambda: log.append('undo first'))
    for name in ('x', 'y'):
        plan.add(name, 'fail' if name == fail else 'ok', lambda name=name: log.append('undo ' + name), batch=batch)

    def write(name):
        if name == beside_fail:
            done.set()
            raise OSError(28, 'No space left on device')
        log.append('write ' + name)
        if name == 'w2':
            done.set()
    for name in ('w1', 'w2'):
        plan.add(name, lambda name=name: write(name), lambda name=name: log.append('unwrite ' + name), beside=True)
    plan.add('last', lambda: log.append('do last'), lambda: log.append('undo last'))
    return plan


def test_beside_steps_run_while_the_kernel_batch_does_and_before_the_next_step():
    log = []
    plan = beside_plan(log)
    assert plan.commands == ['first', 'x', 'y', 'w1', 'w2', 'last']
    assert plan.execute() == plan.commands
    # The batch waited for them inside its run: had they not run beside it, they would come after 'batch x,y'.
    assert log[0] == 'do first' and log[-2:] == ['batch x,y', 'do last']
    assert sorted(log[1:4]) == ['kernel starts', 'write w1', 'write w2'] and log.index('write w1') < log.index('write w2')


def test_a_failed_beside_step_fails_the_plan_and_undoes_both_sides():
    log = []
    with pytest.raises(_plan.PlanFailed, match='w2: .*No space left') as err:
        beside_plan(log, beside_fail='w2').execute()
    assert err.value.step.text == 'w2'
    assert 'do last' not in log
    assert log[-4:] == ['unwrite w1', 'undo y', 'undo x', 'undo first']


def test_a_failed_kernel_batch_stops_and_undoes_the_beside_steps_too():
    log = []
    with pytest.raises(_plan.PlanFailed, match='y: .*No such device'):
        beside_plan(log, fail='y').execute()
    assert log[-5:] == ['unwrite w2', 'unwrite w1', 'undo y', 'undo x', 'undo first']


def test_beside_steps_run_in_order_where_no_kernel_batch_runs():
    log = []
    plan = _plan.Plan()
    plan.add('a', lambda: log.append('a'))
    plan.add('b', lambda: log.append('b'), beside=True)
    plan.add('c', lambda: log.append('c'))
    plan.execute()
    assert log == ['a', 'b', 'c']


def test_a_run_pauses_the_garbage_collector_and_restores_it():
    import gc  # pylint: disable=import-outside-toplevel
    assert gc.isenabled()
    with _common.collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _common.collector_paused():
            pass
        assert not gc.isenabled()  # one that was off stays off
    finally:
        gc.enable()


def test_plan_link_set_on_a_channel_sets_and_restores_one_attribute():
    pytest.importorskip('pyroute2')
    from ansible_collections.hostnet.containers.plugins.module_utils import _kernel  # pylint: disable=import-outside-toplevel

    class Chan(_kernel.Channel):
        def __init__(self):  # pylint: disable=super-init-not-called
            self.sent = []

        def apply(self, *requests, gone_ok=False):
            self.sent.extend(requests)

    chan = Chan()
    plan = _plan.Plan()
    _common.plan_link_set(plan, chan, {'index': 4, 'mac': '02:00:00:00:00:09', 'master': None}, 'mac', '02:00:00:00:00:01', 'set mac')
    _common.plan_link_set(plan, chan, {'index': 4, 'mac': '', 'master': None}, 'master', 3, 'attach')
    plan.execute()
    plan.steps[1].undo()
    plan.steps[0].undo()
    assert [(m['index'], m.get_attr('IFLA_ADDRESS'), m.get_attr('IFLA_MASTER')) for m in chan.sent] == [
        (4, '02:00:00:00:00:01', None), (4, None, 3), (4, None, 0), (4, '02:00:00:00:00:09', None)]


class _DiffModule:
    _diff = True
    check_mode = True


def test_firewall_diff_is_a_set_difference_not_the_whole_rule_set():
    rules = {'iptables': {'before': ['-A X -j A', '-A X -j B', '-A X -j C'],
                          'after': ['-A X -j C', '-A X -j D', '-A X -j A']}}
    plan = _plan.Plan()
    plan.add('apply iptables rule set (3 rules)', lambda: None, lambda: None)
    res = _common.plan_result(_DiffModule(), plan, {'name': 'n'}, {'name': 'n'}, firewall=rules)
    assert res['diff']['before']['firewall_rules'] == {'iptables': ['-A X -j B']}
    assert res['diff']['after']['firewall_rules'] == {'iptables': ['-A X -j D']}
    # The full lines stay in the result for whoever reads them.
    assert res['firewall'] == rules


def test_firewall_diff_of_a_reorder_shows_both_orders():
    assert _common.firewall_diff({'before': ['a', 'b'], 'after': ['b', 'a']}) == (['a', 'b'], ['b', 'a'])
    assert _common.firewall_diff({'before': ['a'], 'after': ['a']}) == ([], [])


@pytest.mark.parametrize('limits, cap, want', [
    ((1024, 524288), 1 << 20, (524288, 524288)),  # the usual soft limit: up to the hard one
    ((1024, resource.RLIM_INFINITY), 4096, (4096, resource.RLIM_INFINITY)),  # no hard limit: up to the cap
    ((8192, 8192), 1 << 20, None),  # already at the hard limit: nothing to do
])
def test_the_open_files_limit_is_lifted_to_the_hard_limit(monkeypatch, limits, cap, want):
    calls = []
    monkeypatch.setattr(resource, 'getrlimit', lambda which: limits)
    monkeypatch.setattr(resource, 'setrlimit', lambda which, value: calls.append((which, value)))
    _common.lift_open_files_limit(cap)
    assert calls == ([] if want is None else [(resource.RLIMIT_NOFILE, want)])


def test_the_kill_matrices_switch_runs_beside_steps_in_order_on_the_plan_thread(monkeypatch):
    """SERIAL_ENV (set by tests/integration/reliability.py, whose strace follows one thread): no thread, plan order."""
    import threading  # pylint: disable=import-outside-toplevel
    monkeypatch.setenv(_plan.SERIAL_ENV, '1')
    log = []
    plan = _plan.Plan()
    batch = KernelBatch(log, threading.Event())
    batch.beside_done.set()
    plan.add('x', 'ok', batch=batch)
    plan.add('w', lambda: log.append(('write w', threading.current_thread() is threading.main_thread())), beside=True)
    plan.execute()
    assert log == ['kernel starts', 'batch x', ('write w', True)]
