# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scale benchmark's harness (benchmarks/scale_bench.py, issue 25 item 5) end to end at its smallest: one network
of 3 containers against 2 networks of 3, one run each: every apply verified (veths, pings, a name resolved), every
re-apply unchanged, the teardowns leaving nothing, the module's peak memory and the report.  Counts and correctness
only, never timing."""

from __future__ import annotations

import pytest

from benchrun import run_bench

pytestmark = pytest.mark.once  # see conftest.py


def test_scale_bench_smallest(tmp_path):
    data, res = run_bench('scale_bench.py', ['--networks', '2', '--size', '3', '--repeats', '1', '--settle', '0'], tmp_path)
    [one], [many] = data['results']['one'], data['results']['many']
    # one run per network and phase; the harness itself failed the run on a wrong changed flag or a failed check
    assert [len(one[p]) for p in ('apply', 'reapply', 'teardown')] == [1, 1, 1]
    assert [len(many[p]) for p in ('apply', 'reapply', 'teardown')] == [2, 2, 2]
    assert [r['changed'] for r in many['apply'] + many['reapply'] + many['teardown']] == [True, True, False, False, True, True]
    assert all(0 < r['peak_mb'] for r in many['apply'])
    # a line per target, met or not (never judged here)
    texts = [text for dummy, text in data['targets']]
    assert len(texts) == 4 and sum('within 1.3x of one network of 3' in t for t in texts) == 3, texts
    assert any('peak resident memory under 300 MB' in t for t in texts)
    out = res.stdout
    assert '| scale1 | 3 |' in out and "firewall and /run/netns were unchanged (checked)" in out
