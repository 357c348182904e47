# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The planner shared by every module: wanted vs actual -> ordered changes.

A plan is a list of steps, each a description, an action and an undo.  Check
mode is "plan, don't execute"; a failure part-way runs the undo of every
executed step in reverse, so a run never leaves partial state behind.
"""

from __future__ import annotations

import os

# Fault injection for the test suite: a step whose text contains this string fails
# as if the kernel had refused it, so rollback is exercised on real state.
FAULT_ENV = 'HOSTNET_TEST_FAIL_AT'


class Step:
    __slots__ = ('text', 'do', 'undo')

    def __init__(self, text, do, undo=None):
        self.text = text
        self.do = do
        self.undo = undo


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


class Plan:
    def __init__(self):
        self.steps = []

    def add(self, text, do, undo=None):
        self.steps.append(Step(text, do, undo))

    def __bool__(self):
        return bool(self.steps)

    @property
    def commands(self):
        return [s.text for s in self.steps]

    def execute(self):
        done = []
        fault = os.environ.get(FAULT_ENV)
        for step in self.steps:
            try:
                if fault and fault in step.text:
                    raise RuntimeError('injected failure (%s)' % FAULT_ENV)
                step.do()
            except Exception as exc:  # pylint: disable=broad-exception-caught
                errors = []
                for prev in reversed(done):
                    if prev.undo is None:
                        continue
                    try:
                        prev.undo()
                    except Exception as undo_exc:  # pylint: disable=broad-exception-caught
                        errors.append('%s: %s' % (prev.text, undo_exc))
                raise PlanFailed(step, exc, errors) from exc
            done.append(step)
        return self.commands


def require_libs(module, *checks):
    """Fail with missing_required_lib for each (has, name, traceback) that is missing."""
    from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel
    for has, name, trace in checks:
        if not has:
            module.fail_json(msg=missing_required_lib(name), exception=trace)
