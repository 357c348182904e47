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

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def argument_spec(**options):
    """The argument spec of a state-changing module: DESIGN's common name and state, then its own options."""
    spec = dict(
        name=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'absent']),
    )
    spec.update(options)
    return spec


def plan_link_set(plan, chan, link, attr, want, text):
    """Add a step setting one attribute of a link (mtu, mac, master) with an undo restoring the old value.

    ``chan`` is the _kernel.Channel of the link's namespace."""
    key = 'address' if attr == 'mac' else attr
    old = link[attr] or (0 if attr == 'master' else None)
    plan.add(text, lambda: _link_set(chan, link['index'], key, want), lambda: _link_set(chan, link['index'], key, old))


def _link_set(chan, index, key, value):
    chan.apply(_kernel.link_set_request(index, **{key: value}))


def mutation_lock(module):
    """The host-wide lock for a run that may change the host: hold it from the first read to the last write.

    Check mode touches nothing, not even the lock file, so it gets a null context.
    flock is per open file: do not also pass a lock to apply_plan inside this one.
    """
    if module.check_mode:
        return contextlib.nullcontext()
    from ansible_collections.hostnet.containers.plugins.module_utils import _store  # pylint: disable=import-outside-toplevel
    return _store.HostLock()


def firewall_diff(lines):
    """The rule lines a run removes and adds, each sorted: a set difference, so the diff does not depend on the order
    the backend lists its rules in, and a run shows only what it changes, not the host's whole rule set.  A run that
    only reorders rules (where iptables order decides) shows both lists in full, as the difference would be empty."""
    before, after = list(lines['before']), list(lines['after'])
    removed = sorted(set(before) - set(after))
    added = sorted(set(after) - set(before))
    if not removed and not added and before != after:
        return before, after
    return removed, added


def plan_result(module, plan, before, after, **extra):
    """The result every module returns: changed, before, after, commands, and diff in diff mode."""
    result = {'changed': bool(plan), 'before': before, 'after': after, 'commands': plan.commands}
    result.update(extra)
    if module._diff:  # pylint: disable=protected-access
        diff_before, diff_after = dict(before or {}), dict(after or {})
        # Drift in the kernel or the firewall leaves the declared documents equal: the rule lines that differ and
        # the changes the run makes say what drifted.
        for backend_name, lines in sorted((extra.get('firewall') or {}).items()):
            removed, added = firewall_diff(lines)
            diff_before.setdefault('firewall_rules', {})[backend_name] = removed
            diff_after.setdefault('firewall_rules', {})[backend_name] = added
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
    except _plan.PlanFailed as exc:
        msg = str(exc)
        if isinstance(exc.error, (_kernel.NetlinkError, OSError)):
            msg = '%s (%s)' % (_kernel.describe(exc.error, exc.step.text), msg.split(': ', 1)[-1])
        module.fail_json(msg=msg, **{k: v for k, v in result.items() if k != 'changed'})
    return True


def endpoint_options(**more):
    """The ``endpoints`` suboptions of the network modules (a container on the network), with a driver's ``more``."""
    return dict(name=dict(type='str', required=True), ip=dict(type='str'), ifname=dict(type='str'), mac=dict(type='str'),
                aliases=dict(type='list', elements='str'), gw_priority=dict(type='int'), **more)


def run_network(module, network_class, extra=None):
    """The run of a bridge-like network module: plan the network (``network_class``, a _planner.NetworkRun) under the
    lock, report, apply, and return its `docker network inspect` view (with ``extra(doc)``'s keys)."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack, _inspect, _netns
    with _netns.Namespaces() as ns:
        with mutation_lock(module):
            net = network_class(module.params, ns)
            try:
                before, after = net.build()
            except _validate.InputError as exc:
                fail_input(module, exc)
            result = plan_result(module, net.plan, before, after, firewall=net.firewall)
            apply_plan(module, net.plan, result)
            for warning in _conntrack.warnings(net.plan):
                module.warn(warning)
            if net.doc is not None:
                result['network'] = _inspect.inspect(net.doc)
                result.update(extra(net.doc) if extra else {})
    module.exit_json(**result)


def run_module(module, run):
    """Check the libraries, run the module, and turn engine errors into messages naming what failed."""
    from ansible_collections.hostnet.containers.plugins.module_utils import _ipam, _store  # pylint: disable=import-outside-toplevel
    require_libs(module, (_kernel.HAS_PYROUTE2, 'pyroute2', _kernel.PYROUTE2_IMPORT_ERROR),
                 (_ipam.HAS_NETADDR, 'netaddr', _ipam.NETADDR_IMPORT_ERROR))
    try:
        run(module)
    except _validate.InputError as exc:
        fail_input(module, exc)
    except (_kernel.HostnetError, _store.StoreError) as exc:
        module.fail_json(msg=str(exc))
    except (_kernel.NetlinkError, OSError) as exc:
        # The list form of netns has no name: the module's name alone then.
        what = ' '.join(str(part) for part in (module._name, module.params.get('name')) if part)  # pylint: disable=protected-access
        module.fail_json(msg=_kernel.describe(exc, what))


def fail_input(module, exc):
    """Fail with an InputError's message; a refused foreign object is also named in ``foreign_link``."""
    extra = {'foreign_link': exc.link} if isinstance(exc, _validate.ForeignLinkError) else {}
    module.fail_json(msg=str(exc), **extra)


def require_libs(module, *checks):
    """Fail with missing_required_lib for each (has, name, traceback) that is missing."""
    from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel
    for has, name, trace in checks:
        if not has:
            module.fail_json(msg=missing_required_lib(name), exception=trace)
