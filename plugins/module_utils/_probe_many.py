# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe's list form (``probes``): many probes in one module run, side by side.

Each item takes the task's option for every option it leaves out, and is checked by ``_probe.validate`` like the
single form; every item is checked, and every namespace opened, before any probe is sent, so a bad item fails the
task with nothing sent, naming ``probes[N].OPTION``.

The probes then run on a thread pool, one ``_probe.Prober`` (its own namespace descriptor) per item, so a
verification matrix lasts as long as its slowest probe, not as long as the sum of its timeouts. Threads are safe
here: ``_netns.entered`` moves only the calling thread into a namespace (setns(2) with CLONE_NEWNET is per thread)
and puts it back in the namespace it came from, and a name lookup's child (``_probe_names``, forked from the worker
thread) closes the descriptors it inherited, so it holds no other thread's pipe open.
"""

from __future__ import annotations

import concurrent.futures

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _probe

# The options an item of ``probes`` may set; each left out (or null) is the task's.
ITEM_OPTIONS = ('netns', 'target', 'method', 'port', 'expect', 'expect_address', 'family', 'count', 'timeout')
MAX_THREADS = 32
# The single form's result keys each item returns, with what it probed and whether it went as expected.
RESULT_KEYS = ('reachable', 'address', 'addresses', 'resolved_from', 'rtt_ms', 'attempts', 'error', 'msg')


def _indexed(exc, index):
    """A ProbeError about an item, its option named as the list's (``probes[2].port``)."""
    return _probe.ProbeError('probes[%d].%s' % (index, exc.option), exc.value, exc.message)


def items(params):
    """The module's ``probes``, each item with the task's value for every option it leaves out."""
    probes = params.get('probes')
    if not isinstance(probes, list) or not probes:
        raise _probe.ProbeError('probes', probes, 'must list at least one probe')
    merged = []
    for index, item in enumerate(probes):
        if not isinstance(item, dict):
            raise _probe.ProbeError('probes[%d]' % index, item, 'must be a dictionary of probe options')
        merged.append({option: params.get(option) if item.get(option) is None else item[option] for option in ITEM_OPTIONS})
    return merged


def validate(params):
    """Every item checked and normalised by ``_probe.validate`` (a list of its dicts, in order, each with the item's
    ``label``, its own and never the task's); a ProbeError names the first bad item's option as ``probes[N].OPTION``."""
    wants = []
    for index, item in enumerate(items(params)):
        try:
            want = _probe.validate(item)
        except _probe.ProbeError as exc:
            raise _indexed(exc, index) from None
        want['label'] = params['probes'][index].get('label')
        wants.append(want)
    return wants


def open_probers(wants, prober=_probe.Prober):
    """One prober per item, in order; a namespace that does not exist is a ProbeError naming ``probes[N].netns``
    (and the probers opened so far are closed)."""
    probers = []
    try:
        for index, want in enumerate(wants):
            try:
                probers.append(prober(want['netns']))
            except _probe.ProbeError as exc:
                raise _indexed(exc, index) from None
    except BaseException:
        close(probers)
        raise
    return probers


def close(probers):
    for one in probers:
        one.close()


def probe_one(want, prober):
    """One item's result: the single form's keys (``changed`` aside), what was probed, and ``agrees``.

    An environment error while probing (a name ping cannot resolve, a socket the namespace refuses) is this item's
    failure, with its message as ``error``; the other items still run and report.
    """
    try:
        result = _probe.run(want, prober)
        agrees, result['msg'] = _probe.verdict(want, result)
    except (_probe.ProbeError, _kernel.HostnetError) as exc:
        ip = want['ip']
        result = {'reachable': False, 'address': ip, 'addresses': [ip] if ip else [], 'resolved_from': None, 'rtt_ms': None,
                  'attempts': 0, 'error': str(exc), 'msg': '%s: %s' % (_probe.headline(want), exc)}
        agrees = False
    out = {key: result[key] for key in RESULT_KEYS}
    label = want.get('label')
    if label:
        out['msg'] = '%s: %s' % (label, out['msg'])
    out.update(netns=want['netns'], target=want['target'], method=want['method'], expect=want['expect'], agrees=agrees, label=label)
    return out


def run(wants, prober=_probe.Prober, probe=probe_one):
    """Every probe of ``wants`` (from validate()), side by side on at most MAX_THREADS threads; their results in
    the order of ``wants``. Every namespace is opened before the first probe is sent."""
    probers = open_probers(wants, prober)
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(MAX_THREADS, len(wants))) as pool:
            return list(pool.map(probe, wants, probers))
    finally:
        close(probers)


def summary(results):
    """(agrees, msg): whether every probe went as expected, and one sentence saying so or naming those that did not."""
    wrong = [result['msg'] for result in results if not result['agrees']]
    if wrong:
        return False, '%d of %d probes disagree: %s' % (len(wrong), len(results), '; '.join(wrong))
    return True, '1 probe: as expected' if len(results) == 1 else '%d probes: all as expected' % len(results)
