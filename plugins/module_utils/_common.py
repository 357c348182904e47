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

import contextlib
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
        done = []
        fault = os.environ.get(FAULT_ENV)
        for group in self._groups():
            try:
                if group[0].batch is None:
                    step = group[0]
                    if fault and fault in step.text:
                        raise BatchFailed(step, RuntimeError('injected failure (%s)' % FAULT_ENV), [])
                    try:
                        step.do()
                    except Exception as exc:  # pylint: disable=broad-exception-caught
                        raise BatchFailed(step, exc, [step] if step.undo_partial else []) from exc
                else:
                    hit = [k for k, step in enumerate(group) if fault and fault in step.text]
                    ready = group[:hit[0]] if hit else group
                    if ready:
                        group[0].batch.run(ready)
                    if hit:
                        raise BatchFailed(group[hit[0]], RuntimeError('injected failure (%s)' % FAULT_ENV), ready)
            except BatchFailed as exc:
                errors = []
                for prev in reversed(done + list(exc.started)):
                    if prev.undo is None:
                        continue
                    try:
                        prev.undo()
                    except Exception as undo_exc:  # pylint: disable=broad-exception-caught
                        errors.append('%s: %s' % (prev.text, undo_exc))
                raise PlanFailed(exc.step, exc.error, errors) from exc.error
            done.extend(group)
        return self.commands


def argument_spec(**options):
    """The argument spec of a state-changing module: DESIGN's common name and state, then its own options."""
    spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    spec.update(options)
    return spec


def plan_link_set(plan, ipr, link, attr, want, text):
    """Add a step setting one attribute of a link (mtu, mac, master) with an undo restoring the old value."""
    key = 'address' if attr == 'mac' else attr
    old = link[attr] or (0 if attr == 'master' else None)
    plan.add(text, lambda: ipr.link('set', index=link['index'], **{key: want}),
             lambda: ipr.link('set', index=link['index'], **{key: old}))


def mutation_lock(module):
    """The host-wide lock for a run that may change the host: hold it from the first read to the last write.

    Check mode touches nothing, not even the lock file, so it gets a null context.
    flock is per open file: do not also pass a lock to apply_plan inside this one.
    """
    if module.check_mode:
        return contextlib.nullcontext()
    from ansible_collections.hostnet.containers.plugins.module_utils import _store  # pylint: disable=import-outside-toplevel
    return _store.HostLock()


def plan_result(module, plan, before, after, **extra):
    """The result every module returns: changed, before, after, commands, and diff in diff mode."""
    result = {'changed': bool(plan), 'before': before, 'after': after, 'commands': plan.commands}
    result.update(extra)
    if module._diff:  # pylint: disable=protected-access
        diff_before, diff_after = dict(before or {}), dict(after or {})
        # Drift in the kernel or the firewall leaves the declared documents equal: the rule lines that differ and
        # the changes the run makes say what drifted.
        for backend_name, lines in sorted((extra.get('firewall') or {}).items()):
            diff_before.setdefault('firewall_rules', {})[backend_name] = lines['before']
            diff_after.setdefault('firewall_rules', {})[backend_name] = lines['after']
        result['diff'] = {'before': diff_before, 'after': diff_after}
        if plan:
            result['diff']['prepared'] = 'changes:\n' + ''.join('  - %s\n' % text for text in plan.commands)
    return result


def apply_plan(module, plan, result, lock=None):
    """Execute the plan unless in check mode; True when something ran.

    A failure rolls back (see Plan.execute) and fails the module with a message
    naming the step and the kernel's reason, plus what the run had planned.
    """
    if not plan or module.check_mode:
        return False
    try:
        if lock is None:
            plan.execute()
        else:
            with lock:
                plan.execute()
    except PlanFailed as exc:
        from ansible_collections.hostnet.containers.plugins.module_utils import _netlink  # pylint: disable=import-outside-toplevel
        msg = str(exc)
        if isinstance(exc.error, (_netlink.NetlinkError, OSError)):
            msg = '%s (%s)' % (_netlink.describe(exc.error, exc.step.text), msg.split(': ', 1)[-1])
        module.fail_json(msg=msg, **{k: v for k, v in result.items() if k != 'changed'})
    return True


def run_module(module, run):
    """Check the libraries, run the module, and turn engine errors into messages naming what failed."""
    from ansible_collections.hostnet.containers.plugins.module_utils import _ipam, _netlink, _store  # pylint: disable=import-outside-toplevel
    require_libs(module, (_netlink.HAS_PYROUTE2, 'pyroute2', _netlink.PYROUTE2_IMPORT_ERROR),
                 (_ipam.HAS_NETADDR, 'netaddr', _ipam.NETADDR_IMPORT_ERROR))
    try:
        run(module)
    except (_netlink.HostnetError, _store.StoreError, _ipam.IPAMError) as exc:
        module.fail_json(msg=str(exc))
    except (_netlink.NetlinkError, OSError) as exc:
        module.fail_json(msg=_netlink.describe(exc, '%s %s' % (module._name, module.params.get('name'))))  # pylint: disable=protected-access


def require_libs(module, *checks):
    """Fail with missing_required_lib for each (has, name, traceback) that is missing."""
    from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel
    for has, name, trace in checks:
        if not has:
            module.fail_json(msg=missing_required_lib(name), exception=trace)
