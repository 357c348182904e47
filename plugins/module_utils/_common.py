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
import gc
import resource

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
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
        module.fail_json(msg=failure_message(exc), **{k: v for k, v in result.items() if k != 'changed'})
    return True


def failure_message(exc):
    """A PlanFailed's message: the step, the kernel's reason for a kernel error, and whether it was rolled back."""
    msg = str(exc)
    if isinstance(exc.error, (_kernel.NetlinkError, OSError)):
        msg = '%s (%s)' % (_kernel.describe(exc.error, exc.step.text), msg.split(': ', 1)[-1])
    return msg


def ipam_options(**more):
    """The address options every network module takes (IPv4 and IPv6 pools, MTU), with a driver's ``more``."""
    return dict(subnet=dict(type='str'), enable_ipv4=dict(type='bool', default=True), enable_ipv6=dict(type='bool', default=False),
                subnet_v6=dict(type='str'), gateway_v6=dict(type='str'), ip_range_v6=dict(type='str'), gateway=dict(type='str'),
                ip_range=dict(type='str'), aux_addresses=dict(type='dict'), mtu=dict(type='int'), **more)


def endpoint_options(**more):
    """The ``endpoints`` suboptions of the network modules (a container on the network), with a driver's ``more``."""
    return dict(name=dict(type='str', required=True), ip=dict(type='str'), ifname=dict(type='str'), mac=dict(type='str'),
                aliases=dict(type='list', elements='str'), gw_priority=dict(type='int'), **more)


def network_spec(**options):
    """(argument_spec, mutually_exclusive, required_one_of) of a network module: the single form (``name`` and
    ``options``) or the list form, ``networks``, whose items take the single form's options."""
    single = argument_spec(**options)
    item = dict(single, name=dict(type='str', required=True))
    spec = dict(single, name=dict(type='str'), networks=dict(type='list', elements='dict', options=item))
    return spec, [('networks', option) for option in single], [('name', 'networks')]


def run_network(module, network_class, extra=None):
    """The run of a bridge-like network module: plan the network (``network_class``, a _planner.NetworkRun) under the
    lock, report, apply, and return its `docker network inspect` view (with ``extra(doc)``'s keys).  With
    ``networks`` (the list form), run_networks."""
    if module.params.get('networks') is not None:
        run_networks(module, network_class, extra)
        return
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.hostnet.containers.plugins.module_utils import _netns
    with _netns.Namespaces() as ns:
        with mutation_lock(module):
            net = network_class(module.params, ns)
            try:
                before, after = net.build()
            except _validate.InputError as exc:
                fail_input(module, exc)
            result = plan_result(module, net.plan, before, after, firewall=net.firewall)
            apply_plan(module, net.plan, result)
            _network_report(module, net, result, extra)
    module.exit_json(**result)


def _network_report(module, net, result, extra):
    """A network run's warnings (conntrack), and its inspect view and ``extra`` keys into ``result``."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.hostnet.containers.plugins.module_utils import _conntrack, _inspect
    for warning in _conntrack.warnings(net.plan):
        module.warn(warning)
    if net.left_alone:
        module.warn(_validate.left_alone(net.left_alone, net.name))
        result['foreign_link'] = net.left_alone
    if net.doc is not None:
        result['network'] = _inspect.inspect(net.doc)
        result.update(extra(net.doc) if extra else {})


def run_networks(module, network_class, extra=None):
    """The list form: the items in list order in one run under one lock, each planned once against the host as the
    items before it left it (in check mode, their planned documents stand in for the store's, so a later item does
    not pick an earlier one's subnet).  An item refused or failing undoes every earlier item's changes, so the host
    is as before the run, and the error names the item (``networks[1].subnet``)."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.hostnet.containers.plugins.module_utils import _netns
    items, seen = module.params['networks'], {}
    for index, params in enumerate(items):
        _validate.listed_once(seen, params['name'], 'networks', index, 'network')
    runs, planned = [], {}
    with _netns.Namespaces() as ns:
        with mutation_lock(module):
            for index, params in enumerate(items):
                net, before, after = _plan_item(module, network_class, params, ns, index, runs, planned)
                _execute_item(module, net, index, runs)
                runs.append((net, before, after))
                planned[net.name] = net.doc
            result = _many_result(module, runs, extra)
    module.exit_json(**result)


def _plan_item(module, network_class, params, ns, index, runs, planned):
    """(run, before, after) of item ``index``; a refusal or an error reading the host undoes the earlier items."""
    from ansible_collections.hostnet.containers.plugins.module_utils import _store  # pylint: disable=import-outside-toplevel
    try:
        net = network_class(params, ns)
        _stand_in(net, planned, module.check_mode)
        before, after = net.build()
    except _validate.InputError as exc:
        _undo_runs(module, runs, _validate.indexed(exc, 'networks', index))
    except (_kernel.HostnetError, _store.StoreError, _kernel.NetlinkError, OSError) as exc:
        what = 'networks[%d] (%s)' % (index, params['name'])
        text = _kernel.describe(exc, what) if isinstance(exc, (_kernel.NetlinkError, OSError)) else '%s: %s' % (what, exc)
        _undo_runs(module, runs, None, text)
    return net, before, after


def _stand_in(net, planned, check_mode):
    """In check mode nothing is stored: the documents the earlier items planned stand in for the store's."""
    if not check_mode:
        return
    for name, doc in planned.items():
        if doc is None:
            net.others.pop(name, None)
        elif name != net.name:
            net.others[name] = doc


def _execute_item(module, net, index, runs):
    """Run one item's plan (not in check mode); a failure (its own steps already undone) undoes the earlier items."""
    if module.check_mode or not net.plan:
        return
    try:
        net.plan.execute()
    except _plan.PlanFailed as exc:
        _undo_runs(module, runs, None, 'networks[%d] (%s): %s' % (index, net.name, failure_message(exc)))


def _undo_runs(module, runs, error, msg=None):
    """Undo the plans of ``runs`` (the items already made, in reverse) and fail with ``error`` (an InputError) or
    ``msg``, saying whether the earlier items were undone."""
    executed = [net for net, dummy, dummy2 in runs if net.plan] if not module.check_mode else []
    errors = _plan.undo([step for net in executed for step in net.plan.steps])
    msg = str(error) if error is not None else msg
    if executed and errors:
        msg += ' (rollback of the earlier items incomplete: %s)' % '; '.join(errors)
    elif executed:
        msg += " (the earlier items' changes were rolled back)"
    extra = {'foreign_link': error.link} if isinstance(error, _validate.ForeignLinkError) else {}
    module.fail_json(msg=msg, **extra)


def _many_result(module, runs, extra):
    """The list form's result: per item what the single form returns, and over all items changed, commands, before
    and after (by network name) and the diff."""
    whole = _plan.Plan()
    firewall, items = {}, []
    for net, before, after in runs:
        whole.steps.extend(net.plan.steps)
        for backend, lines in net.firewall.items():
            firewall.setdefault(backend, {'before': lines['before']})['after'] = lines['after']
        item = plan_result(module, net.plan, before, after, name=net.name, firewall=net.firewall)
        item.pop('diff', None)
        _network_report(module, net, item, extra)
        items.append(item)
    return plan_result(module, whole, {i['name']: i['before'] for i in items}, {i['name']: i['after'] for i in items},
                       firewall=firewall, networks=items)


def lift_open_files_limit(cap=1 << 20):
    """Raise this process's soft limit of open files to its hard limit (at most ``cap``), as dockerd and Go programs
    do: a run holds a descriptor and a netlink socket per namespace it touches, and a host of 1,000 containers is
    past the usual soft limit of 1,024.  Only this module's own process is affected."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
    if soft != resource.RLIM_INFINITY and soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
        except (ValueError, OSError):
            pass  # a container runtime may refuse it: the run then works within the limit it has


@contextlib.contextmanager
def collector_paused():
    """Python's cyclic garbage collector off for one run, on again after.  A run over hundreds of containers keeps
    tens of thousands of objects alive (the snapshot, the documents, the rule set), and every pass of the collector
    walks them: 10 to 40 ms of a run at 500 containers (docs/architecture.md, What a large run costs).  What a run
    frees goes by reference counting as before; the few cycles it makes wait for the end of its process."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run_module(module, run):
    """Check the libraries, run the module, and turn engine errors into messages naming what failed."""
    from ansible_collections.hostnet.containers.plugins.module_utils import _ipam, _store  # pylint: disable=import-outside-toplevel
    require_libs(module, (_pyroute2.HAS_PYROUTE2, 'pyroute2', _pyroute2.PYROUTE2_IMPORT_ERROR),
                 (_ipam.HAS_NETADDR, 'netaddr', _ipam.NETADDR_IMPORT_ERROR))
    lift_open_files_limit()
    try:
        with collector_paused():
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
