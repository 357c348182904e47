# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay benchmark's harness (benchmarks/overlay_bench.py, issue 24) end to end at its smallest: an overlay over
2 emulated hosts with 2 containers each (and the cell with 1), one run: every host applies, re-applies and takes
the one-container change, in-process and as one play over both hosts, and the report says what each run wrote.  Counts and correctness only, never timing."""

from __future__ import annotations

import pytest

from benchrun import run_bench

pytestmark = pytest.mark.once  # see conftest.py


def test_overlay_bench_smallest(tmp_path):
    data, res = run_bench('overlay_bench.py', ['--hosts', '2', '--containers', '2', '--extra', '2x1', '--repeats', '1', '--settle', '0'], tmp_path)
    assert sorted(data['results']) == ['2x1', '2x2']
    for key, cell in data['results'].items():
        c = int(key.split('x')[1])
        [apply] = cell['apply']
        # each host: one FDB entry for the peer and one per remote container, one neighbour entry per remote container
        assert [(r['changed'], r['fdb']['added'], r['neigh']['added']) for r in apply] == [(True, 1 + c, c)] * 2, key
        [reapply] = cell['reapply']
        assert [r['changed'] for r in reapply] == [False, False]
        assert all(r['fdb']['added'] + r['fdb']['removed'] + r['neigh']['added'] + r['neigh']['removed'] == 0 for r in reapply)
        [[local]] = cell['change_local']
        assert local['changed'] and local['fdb']['added'] == local['neigh']['added'] == 0
        [[other]] = cell['change_remote']
        assert (other['fdb']['added'], other['fdb']['removed'], other['neigh']['added'], other['neigh']['removed']) == (1, 0, 1, 0)
        assert other['fdb']['total'] == 1 + c + 1 and other['neigh']['total'] == c + 1
    # the module column: one play over both hosts per measure (each host's changed flag checked by the harness)
    assert sorted(data['plays']) == ['2x1', '2x2']
    assert all(len(cell[m]) == 1 for cell in data['plays'].values() for m in ('apply', 'reapply', 'change'))
    [(met, text)] = [check for check in data['checks'] if check[0] is not None]
    assert met and '(1, 0, 1, 0) in every run of every cell' in text, text
    out = res.stdout
    assert '## one-container change, each other host' in out and '| 2 | 2 | 2 |' in out
    assert "firewall and /run/netns were unchanged (checked)" in out
