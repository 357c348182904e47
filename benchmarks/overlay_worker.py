# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One run of the overlay_net module's engine, or one check, INSIDE one emulated host of the overlay benchmark.

    python overlay_worker.py PHASE < request.json        prints one JSON object

benchmarks/overlay_bench.py starts this through nsenter into a lab host (roles/lab/files/hostnet_lab.py): every
namespace, link, FDB and neighbour entry, rule and state file below belongs to that host.

Phases:
  run      {"params": overlay_net's options}: the module's run() called in-process with those options validated by
           its own argument spec (as AnsibleModule hands them over), timed from the first read to the result; around
           it, untimed, the entries of the host's VXLAN devices (FDB entries of the device itself, not the bridge's,
           and neighbour entries) and the files under /etc/netns, /run/hostnet and /var/lib/hostnet are read, so the
           answer says what the run wrote: {seconds, plan_seconds, steps, changed, fdb: {added, removed, total},
           neigh: {...}, files: {written, removed}}
  verify   {"from": container, "to": [{"name", "ip"}], "names": bool}: real packets from that container's namespace
           to each target (ping), and with names its name resolved there (getent ahostsv4) to the target's address:
           {ok, problems}
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time

import worker  # benchmarks/worker.py: the module's argument spec, the file census

FILES = ('/etc/netns', '/run/hostnet', '/var/lib/hostnet')


class _Exit(Exception):
    """exit_json / fail_json of the stand-in module: the run's result."""

    def __init__(self, result, failed):
        super().__init__(result.get('msg', ''))
        self.result = result
        self.failed = failed


class _Module:
    """What overlay_net's run() uses of AnsibleModule (params, check and diff mode, exit/fail/warn), in-process: the
    timer then holds the engine's work, not the start of a Python process and the argument parsing."""

    check_mode = False
    _diff = False
    _name = 'overlay_net'

    def __init__(self, params):
        self.params = params
        self.warnings = []

    def exit_json(self, **result):
        raise _Exit(result, False)

    def fail_json(self, **result):
        raise _Exit(result, True)

    def warn(self, msg):
        self.warnings.append(msg)


def _json(argv):
    res = subprocess.run(argv, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError('%s failed (rc=%d): %s' % (' '.join(argv), res.returncode, res.stderr.strip()))
    return json.loads(res.stdout or '[]')


def vxlan_entries():
    """({'dev mac dst'}, {'dev ip mac'}): the static entries of every VXLAN device of the host.  Only the device's own
    FDB entries count (no "master" key): the bridge's view of the port (its own MAC, what it learns from traffic)
    is not what the run writes."""
    fdb, neigh = set(), set()
    for link in _json(['ip', '-j', 'link', 'show', 'type', 'vxlan']):
        dev = link['ifname']
        for entry in _json(['bridge', '-j', 'fdb', 'show', 'dev', dev]):
            if 'master' not in entry:
                fdb.add('%s %s %s' % (dev, entry.get('mac'), entry.get('dst', '-')))
        for entry in _json(['ip', '-j', 'neigh', 'show', 'dev', dev]):
            neigh.add('%s %s %s' % (dev, entry.get('dst'), entry.get('lladdr', '-')))
    return fdb, neigh


def _engine():
    """overlay_net and the helpers its run() goes through, imported before the timer (as bench.py's engine column
    imports its own)."""
    sys.path.insert(0, os.environ['HOSTNET_COLLECTIONS'])
    from ansible_collections.hostnet.containers.plugins.module_utils import _common  # pylint: disable=import-outside-toplevel
    from ansible_collections.hostnet.containers.plugins.modules import overlay_net  # pylint: disable=import-outside-toplevel
    # The messages the engine encodes, imported before the timer as bench.py's engine column does (a run with nothing
    # to change never builds one).
    for name in ('ifaddrmsg', 'ifinfmsg', 'ndmsg', 'rtmsg'):
        importlib.import_module('pyroute2.netlink.rtnl.' + name)
    return _common, overlay_net


def engine_run(params):
    """{seconds, plan_seconds, steps, changed, result} of one overlay_net run in-process.  The planning time is when
    the run hands its plan to _common.apply_plan (every driver executes its plan there); a run that never does (an
    error) reports none."""
    _common, overlay_net = _engine()
    module = _Module(params)
    seen = {}
    real = _common.apply_plan

    def apply_plan(mod, plan, result, lock=None):
        seen['planned'], seen['steps'] = time.monotonic(), len(plan.steps)
        return real(mod, plan, result, lock)

    _common.apply_plan = apply_plan
    start = time.monotonic()
    done = None
    try:
        _common.run_module(module, overlay_net.run)
    except _Exit as exc:
        done = exc
    finally:
        end = time.monotonic()
        _common.apply_plan = real
    if done is None or done.failed:
        raise RuntimeError('overlay_net failed: %s' % (done.result.get('msg') if done else 'it returned without a result'))
    result = done.result
    return {'seconds': end - start, 'plan_seconds': seen['planned'] - start if 'planned' in seen else None,
            'steps': seen.get('steps'), 'changed': bool(result.get('changed')), 'warnings': module.warnings}


def _diff(before, after):
    return {'added': len(after - before), 'removed': len(before - after), 'total': len(after)}


def run(request):
    params = worker.module_params(request['params'], 'overlay_net')
    fdb0, neigh0 = vxlan_entries()
    files0 = worker.watched_files(FILES)
    out = engine_run(params)
    fdb1, neigh1 = vxlan_entries()
    files1 = worker.watched_files(FILES)
    out['fdb'], out['neigh'] = _diff(fdb0, fdb1), _diff(neigh0, neigh1)
    out['files'] = {'written': sum(1 for p in files1 if files0.get(p) != files1[p]), 'removed': sum(1 for p in files0 if p not in files1)}
    return out


def _in_netns(name, argv):
    return subprocess.run(['ip', 'netns', 'exec', name] + argv, capture_output=True, text=True, check=False)


def _resolve(source, name):
    """The IPv4 address `name` resolves to inside `source`, or None: name servers take a change asynchronously (dnsmasq
    reads a new hosts file by inotify), so wait for it, with a generous ceiling.  ahostsv4 asks for the A record only:
    the overlay is IPv4, and in the lab the AAAA query of a bare name goes on to the host's resolver, which never
    answers (`getent hosts` then takes glibc's 2 x 5 s, on a bridge network as well)."""
    deadline = time.monotonic() + 60
    while True:
        res = _in_netns(source, ['getent', 'ahostsv4', name])
        if res.returncode == 0 and res.stdout.split():
            return res.stdout.split()[0]
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


def verify(request):
    source, problems = request['from'], []
    for target in request['to']:
        if request.get('names'):
            found = _resolve(source, target['name'])
            if found != target['ip']:
                problems.append('%s resolves %s to %s, not %s' % (source, target['name'], found, target['ip']))
        if _in_netns(source, ['ping', '-c2', '-i0.2', '-W2', target['ip']]).returncode:
            problems.append('%s cannot ping %s at %s' % (source, target['name'], target['ip']))
    return {'ok': not problems, 'problems': problems}


PHASES = {'run': run, 'verify': verify}


def main(argv):
    request = json.loads(sys.stdin.read() or '{}')
    print(json.dumps(PHASES[argv[0]](request)))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
