# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dual-stack benchmark's harness (benchmarks/ipv6_bench.py, issue 23) end to end at N=3, one run: both stacks and
both columns apply (verified: IPv4 for both, IPv6 addresses, routes, NAT66 and IPv6 publishes with pings over IPv6 for
dual-stack), re-apply with nothing to change and tear down, the profile runs, and the report has the ratio and the
target line.  Correctness and the report only, never timing."""

from __future__ import annotations

import os

import pytest

from benchrun import run_bench

pytestmark = pytest.mark.once  # see conftest.py


def test_ipv6_bench_smallest(tmp_path):
    data, res = run_bench('ipv6_bench.py', ['--sizes', '3', '--repeats', '1', '--settle', '0', '--profile'], tmp_path)
    files = sorted(os.listdir(tmp_path))
    [report] = [p for p in files if p.endswith('.json')]
    assert files == sorted([report, report[:-len('json')] + 'md', 'ipv6-latest.md'])
    for stack in ('v4', 'dual'):
        for tool in ('engine', 'module'):
            # re-apply reported changed=false and every state was verified, or the harness would have failed
            cell = data['results'][stack][tool]['3']
            assert sorted(cell) == ['apply', 'reapply', 'teardown'] and all(len(v) == 1 and v[0] > 0 for v in cell.values())
        profile = data['profiles'][stack]
        assert profile['changed'] and profile['top'] and not profile['reapply']['changed'] and profile['reapply']['top']
    assert len(data['loads']) == 4
    assert sorted(text.split(',')[1].strip() for dummy, text in data['targets']) == ['N=3', 'N=3']
    out = res.stdout
    assert '## Dual-stack / IPv4-only' in out and '| 3 | engine | apply |' in out and '| 3 | module | reapply |' in out
    assert 'dual-stack apply within 1.3x of the IPv4-only apply, N=3, engine: ' in out
    assert 'dual-stack apply within 1.3x of the IPv4-only apply, N=3, module: ' in out
    assert '## Profile of one engine apply and re-apply at N=3' in out and 'Re-apply: what grew most' in out
    assert "firewall and /run/netns were unchanged (checked)" in out
