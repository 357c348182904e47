# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plans: steps with undo, run in order (check mode lists them, apply runs them, a failure undoes the executed prefix).
"""

from __future__ import annotations

import os
import threading

# Fault injection for the test suite: a step whose text contains this string fails
# as if the kernel had refused it, so rollback is exercised on real state.
FAULT_ENV = 'HOSTNET_TEST_FAIL_AT'
# The kill matrices trace and kill a module's main thread only (strace without -f: the firewall commands it starts run
# untouched); with this set, a plan runs its beside steps in order on that thread, so their writes are steps too.
SERIAL_ENV = 'HOSTNET_TEST_SERIAL'


class Step:
    """One change. ``undo_partial``: the undo is also safe, and needed, after the step itself failed part-way
    (it reconciles to the old state, e.g. re-applies the old rule set), so a failing step is undone too.
    ``batch``: consecutive steps sharing a Batch run together (see Batch).  ``beside``: the step changes files that no
    other step of the plan reads or writes (a container's resolv.conf), so it may run beside a kernel-only batch."""
    __slots__ = ('text', 'do', 'undo', 'undo_partial', 'batch', 'beside')

    def __init__(self, text, do, undo=None, undo_partial=False, batch=None, beside=False):
        self.text = text
        self.do = do
        self.undo = undo
        self.undo_partial = undo_partial
        self.batch = batch
        self.beside = beside


class PlanFailed(Exception):
    def __init__(self, step, error, rollback_errors):
        self.step = step
        self.error = error
        self.rollback_errors = rollback_errors
        msg = '%s: %s' % (step.text, error)
        if rollback_errors:
            msg += ' (rollback incomplete: %s)' % '; '.join(rollback_errors)
        else:
            msg += ' (changes made by this run were rolled back)'
        super().__init__(msg)


class BatchFailed(Exception):
    """Raised by Batch.run: ``step`` failed with ``error``; ``started`` are the steps of the batch that may have
    changed something (the failed one included), whose undo the plan runs in reverse."""

    def __init__(self, step, error, started):
        super().__init__(str(error))
        self.step = step
        self.error = error
        self.started = started


class Batch:
    """Consecutive steps that share a Batch run together: the plan calls ``run(steps)`` once for them, so the
    batch can send every request of many endpoints in one pass.  Each step's ``do`` is whatever the batch
    understands; each step keeps its own text (commands, fault injection) and undo (rollback).  ``kernel_only``: its
    steps change the kernel (and /run/netns) and no file: the plan runs its ``beside`` steps meanwhile."""

    kernel_only = False

    def run(self, steps):
        raise NotImplementedError


class Plan:
    def __init__(self):
        self.steps = []

    def add(self, text, do, undo=None, undo_partial=False, batch=None, beside=False):
        self.steps.append(Step(text, do, undo, undo_partial, batch, beside))

    def insert(self, index, text, do, undo=None):
        """A step that must run before the ones planned from ``index`` on (state recorded ahead of the kernel work)."""
        self.steps.insert(index, Step(text, do, undo))

    def __bool__(self):
        return bool(self.steps)

    @property
    def commands(self):
        return [s.text for s in self.steps]

    def _groups(self, steps=None):
        steps = self.steps if steps is None else steps
        i = 0
        while i < len(steps):
            j = i + 1
            if steps[i].batch is not None:
                while j < len(steps) and steps[j].batch is steps[i].batch:
                    j += 1
            yield steps[i:j]
            i = j

    def execute(self):
        """Run every step in order; on a failure undo what ran (the failed step too when its undo is partial-safe), in
        reverse, and raise PlanFailed naming the step.  The ``beside`` steps, when the plan has a kernel-only batch,
        run on a thread of their own while the first one runs, and are done before the next step: with a network of
        hundreds of containers, their resolv.conf files are written on the second CPU while the first one is in the
        kernel creating their links."""
        fault = os.environ.get(FAULT_ENV)
        aside = self._aside(fault)
        done = []
        for group in self._groups([s for s in self.steps if not s.beside] if aside else None):
            _run_main(group, fault, done, aside)
        return self.commands

    def _aside(self, fault):
        """The runner of the beside steps, when the plan has them and a kernel-only batch to run them by (else they
        run in order with the others)."""
        beside = [s for s in self.steps if s.beside]
        if beside and not os.environ.get(SERIAL_ENV) and any(s.batch is not None and s.batch.kernel_only for s in self.steps):
            return _Aside(list(self._groups(beside)), fault)
        return None


def _run_main(group, fault, done, aside):
    """Run one group of the plan's own steps (``done``: those run before), the beside steps beside it when it is
    the first kernel-only batch, and wait for them after."""
    if aside is not None and group[0].batch is not None and group[0].batch.kernel_only:
        aside.start()
    try:
        _run_group(group, fault)
    except BatchFailed as exc:
        raise _failed(exc, done + list(exc.started), aside) from exc.error
    done.extend(group)
    if aside is not None and aside.running:
        aside.finish(done)


def _failed(exc, ran, aside):
    """PlanFailed for ``exc`` (BatchFailed), after undoing ``ran`` and the beside steps run so far (stopped first)."""
    if aside is not None:
        ran = ran + aside.stop()
    return PlanFailed(exc.step, exc.error, undo(ran))


class _Aside:
    """A plan's beside steps (their groups), run in order on one thread: started with the first kernel-only batch,
    joined after it (``finish``, which raises the first failure as the plan's, with everything undone)."""

    def __init__(self, groups, fault):
        self.groups = groups
        self.fault = fault
        self.done = []
        self.error = None
        self.halt = False
        self.thread = None
        self.running = False

    def start(self):
        if self.thread is None:
            self.thread = threading.Thread(target=self._work, name='hostnet-plan-beside', daemon=True)
            self.running = True
            self.thread.start()

    def _work(self):
        for group in self.groups:
            if self.halt:
                return
            try:
                _run_group(group, self.fault)
            except BatchFailed as exc:
                self.error = exc
                self.done.extend(exc.started)
                return
            except Exception as exc:  # pylint: disable=broad-exception-caught
                self.error = BatchFailed(group[0], exc, list(group))  # a batch's own fault: the plan fails, undoing it
                self.done.extend(group)
                return
            self.done.extend(group)

    def stop(self):
        """Stop after the group running now; the steps that ran (the failed one's batch included)."""
        self.halt = True
        if self.thread is not None:
            self.thread.join()
        self.running = False
        return self.done

    def finish(self, done):
        self.thread.join()
        self.running = False
        if self.error is not None:
            raise PlanFailed(self.error.step, self.error.error, undo(done + self.done)) from self.error.error


def _run_group(group, fault):
    """Run one step, or the steps of one Batch together; BatchFailed when one fails (or is the injected fault)."""
    if group[0].batch is None:
        step = group[0]
        if fault and fault in step.text:
            raise BatchFailed(step, RuntimeError('injected failure (%s)' % FAULT_ENV), [])
        try:
            step.do()
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise BatchFailed(step, exc, [step] if step.undo_partial else []) from exc
        return
    hit = [k for k, step in enumerate(group) if fault and fault in step.text]
    ready = group[:hit[0]] if hit else group
    if ready:
        group[0].batch.run(ready)
    if hit:
        raise BatchFailed(group[hit[0]], RuntimeError('injected failure (%s)' % FAULT_ENV), ready)


def undo(steps):
    """Undo ``steps`` in reverse; the errors of undos that failed (the others still run).  A list-form run undoes
    the whole plans of its earlier items with it when a later item fails."""
    errors = []
    for prev in reversed(steps):
        if prev.undo is None:
            continue
        try:
            prev.undo()
        except Exception as undo_exc:  # pylint: disable=broad-exception-caught
            errors.append('%s: %s' % (prev.text, undo_exc))
    return errors
