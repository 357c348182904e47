# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plans: steps with undo, run in order (check mode lists them, apply runs them, a failure undoes the executed prefix).
"""

from __future__ import annotations

import os

# Fault injection for the test suite: a step whose text contains this string fails
# as if the kernel had refused it, so rollback is exercised on real state.
FAULT_ENV = 'HOSTNET_TEST_FAIL_AT'


class Step:
    """One change. ``undo_partial``: the undo is also safe, and needed, after the step itself failed part-way
    (it reconciles to the old state, e.g. re-applies the old rule set), so a failing step is undone too.
    ``batch``: consecutive steps sharing a Batch run together (see Batch)."""
    __slots__ = ('text', 'do', 'undo', 'undo_partial', 'batch')

    def __init__(self, text, do, undo=None, undo_partial=False, batch=None):
        self.text = text
        self.do = do
        self.undo = undo
        self.undo_partial = undo_partial
        self.batch = batch


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
    understands; each step keeps its own text (commands, fault injection) and undo (rollback)."""

    def run(self, steps):
        raise NotImplementedError


class Plan:
    def __init__(self):
        self.steps = []

    def add(self, text, do, undo=None, undo_partial=False, batch=None):
        self.steps.append(Step(text, do, undo, undo_partial, batch))

    def insert(self, index, text, do, undo=None):
        """A step that must run before the ones planned from ``index`` on (state recorded ahead of the kernel work)."""
        self.steps.insert(index, Step(text, do, undo))

    def __bool__(self):
        return bool(self.steps)

    @property
    def commands(self):
        return [s.text for s in self.steps]

    def _groups(self):
        i = 0
        while i < len(self.steps):
            j = i + 1
            if self.steps[i].batch is not None:
                while j < len(self.steps) and self.steps[j].batch is self.steps[i].batch:
                    j += 1
            yield self.steps[i:j]
            i = j

    def execute(self):
        """Run every step in order; on a failure undo what ran (the failed step too when its undo is partial-safe), in
        reverse, and raise PlanFailed naming the step."""
        done = []
        fault = os.environ.get(FAULT_ENV)
        for group in self._groups():
            try:
                _run_group(group, fault)
            except BatchFailed as exc:
                raise PlanFailed(exc.step, exc.error, undo(done + list(exc.started))) from exc.error
            done.extend(group)
        return self.commands


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
