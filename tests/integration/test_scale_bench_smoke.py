# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The scale benchmark's harness (benchmarks/scale_bench.py, issue 25 item 5) end to end at its smallest: one network
of 3 containers against 2 networks of 3, one run each: every apply verified (veths, pings, a name resolved), every
re-apply unchanged, the teardowns leaving nothing, the module's peak memory and the report.  Counts and correctness
only, never timing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.once  # see conftest.py

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, 'benchmarks', 'scale_bench.py')


def test_scale_bench_smallest(tmp_path):
    res = subprocess.run([sys.executable, BENCH, '--networks', '2', '--size', '3', '--repeats', '1', '--settle', '0', '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=600, check=False)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    [report] = [p for p in os.listdir(tmp_path) if p.endswith('.json')]
    with open(os.path.join(tmp_path, report)) as f:
        data = json.load(f)
    assert data['error'] is None
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
