# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The firewall benchmark's harness (benchmarks/firewall_bench.py, issue 25 item 3) end to end at its smallest: one
publish added to and removed from hosts holding 2 and 5, on both backends, every change checked in the kernel's
listing by the worker, and the report with its target lines.  Counts and correctness only, never timing."""

from __future__ import annotations

import pytest

from benchrun import run_bench

pytestmark = pytest.mark.once  # see conftest.py


def test_firewall_bench_smallest(tmp_path):
    data, res = run_bench('firewall_bench.py', ['--sizes', '2,5', '--repeats', '2'], tmp_path)
    results = data['results']
    for backend in ('nftables', 'iptables'):
        for n in ('2', '5'):
            cell = results[backend][n]
            # two changes each way, every one checked in the kernel's listing by the worker (or the run failed)
            assert [len(cell['add']), len(cell['remove'])] == [2, 2]
            assert all(r['step'] > 0 and r['plan'] > 0 for r in cell['add'] + cell['remove'])
            assert len(cell['replace']) == (2 if backend == 'nftables' else 0)
    texts = [text for dummy, text in data['targets']]
    assert len(texts) == 2 and 'with 5 publishes under 20 ms' in texts[0] and 'within 2x' in texts[1], texts
    assert '| nftables | 5 | add |' in res.stdout and "firewall and /run/netns were unchanged (checked)" in res.stdout
