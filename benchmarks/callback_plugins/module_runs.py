# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role benchmark's counter of module runs (benchmarks/role_bench.py): not part of the collection.

Enabled by role_bench.py for its own ansible-playbook runs only (ANSIBLE_CALLBACK_PLUGINS pointing at this folder,
ANSIBLE_CALLBACKS_ENABLED=module_runs); it writes, when the playbook ends, the JSON file named by
HOSTNET_BENCH_MODULE_RUNS: per play, per task in the order they first ran, the action, how many of its results ran a
module on a host (a result that carries ``invocation``, which AnsibleModule adds to every result it returns: so a
loop counts once per item, and an action plugin that runs modules, such as template or copy, once per task or item),
how many ran none (set_fact, debug, raw, include_*), how many were skipped and how many reported changed.  Counts
only; the results themselves are never copied.
"""

from __future__ import annotations

DOCUMENTATION = r'''
name: module_runs
type: aggregate
short_description: counts the module runs of every task (hostnet.containers' role benchmark)
description:
  - Writes the module runs of every task of every play to the JSON file that E(HOSTNET_BENCH_MODULE_RUNS) names.
requirements:
  - enabled in the configuration (role_bench.py does it for its own runs)
'''

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'module_runs'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plays = []
        self.tasks = {}

    def v2_playbook_on_play_start(self, play):
        self.tasks = {}
        self.plays.append({'name': play.get_name(), 'tasks': []})

    def _task(self, result):
        task = result._task  # pylint: disable=protected-access
        key = (task.get_name(), task.action)
        if key not in self.tasks:
            self.tasks[key] = {'name': key[0], 'action': key[1], 'module_runs': 0, 'other_runs': 0, 'skipped': 0,
                               'changed': 0}
            self.plays[-1]['tasks'].append(self.tasks[key])
        return self.tasks[key]

    def _count(self, result, loop_done=False):
        data = result._result  # pylint: disable=protected-access
        # A loop's final result (the items' list) only holds what the item callbacks have counted already.
        if loop_done and isinstance(data.get('results'), list):
            self._task(result)
            return
        entry = self._task(result)
        entry['changed'] += 1 if data.get('changed') else 0
        if data.get('skipped'):
            entry['skipped'] += 1
        elif 'invocation' in data:
            entry['module_runs'] += 1
        else:
            entry['other_runs'] += 1

    def v2_runner_on_ok(self, result):
        self._count(result, loop_done=True)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._count(result, loop_done=True)

    def v2_runner_on_skipped(self, result):
        self._count(result, loop_done=True)

    def v2_runner_item_on_ok(self, result):
        self._count(result)

    def v2_runner_item_on_failed(self, result):
        self._count(result)

    def v2_runner_item_on_skipped(self, result):
        self._count(result)

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get('HOSTNET_BENCH_MODULE_RUNS')
        if path:
            with open(path, 'w') as f:
                json.dump(self.plays, f, indent=1)
