# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role benchmark's harness (benchmarks/role_bench.py, issue 25 item 1) end to end at its smallest: the
bridge_network role with 4 and with 8 containers over 2 networks, one run each, in a fresh emulated host each: the
trivial play, the apply (packets checked), the rerun with nothing to change (changed=0, packets checked), the module
runs of every task counted by the bench's callback, and the report; and the change cell (item 2) at its smallest: one
container with a published port added to and removed from a network of 1, on iptables (bench.py's smoke test runs
its change cell on nftables, at two sizes).  Counts and correctness only, never timing."""

from __future__ import annotations

import pytest

from benchrun import run_bench

pytestmark = pytest.mark.once  # see conftest.py


def test_role_bench_smallest(tmp_path):
    data, res = run_bench('role_bench.py', ['--sizes', '4x2,8x2', '--repeats', '1', '--settle', '0', '--change-sizes', '1', '--change-backends', 'iptables'],
                          tmp_path)
    results = data['results']
    assert sorted(results) == ['4x2', '8x2']
    for key, cell in results.items():
        [trivial], [apply], [rerun] = cell['trivial'], cell['apply'], cell['rerun']
        # the trivial play: its one ping, counted as one module run
        assert [(t['action'], t['module_runs']) for t in trivial['tasks']] == [('ansible.builtin.ping', 1)], key
        assert trivial['changed'] == 0
        # the apply changed the host, the rerun nothing (or the harness would have failed); both ran the network module
        assert apply['changed'] > 0 and rerun['changed'] == 0, key
        assert not [t['name'] for t in rerun['tasks'] if t['changed']], key
        for run in (apply, rerun):
            actions = {t['action'] for t in run['tasks'] if t['module_runs']}
            assert 'hostnet.containers.docker_bridge' in actions, (key, actions)
    # the same two networks for twice the containers: the role's module runs must be the same, task by task
    growth = [(met, text) for met, text in data['targets'] if 'do not grow with the containers' in text]
    assert [met for met, dummy in growth] == [True, True], growth
    # the ratio targets are reported (met or not: never judged here), on the cells that stand in for the issue's
    assert sum('within 6x the trivial play' in text or 'within 4x the trivial play' in text for dummy, text in data['targets']) == 2
    assert any('within 20x the trivial play' in text and '8 containers over 2 networks' in text for dummy, text in data['targets'])
    out = res.stdout
    assert '| 8 | 2 | role rerun, nothing to change |' in out and '## Module runs per task' in out
    assert "firewall and /run/netns were unchanged (checked)" in out
    # the change cell: each change reported changed and was checked by TCP connects, or the harness would have failed
    [[size, cell]] = data['change']['iptables']['role'].items()
    assert size == '1' and sorted(cell) == ['add', 'ready', 'remove']
    assert all(len(cell[step]['seconds']) == 1 and cell[step]['module_runs'][0] > 0 for step in ('add', 'remove'))
    assert '| iptables | 1 | role |' in out and '- not measured (the change cell needs two network sizes)' in out
