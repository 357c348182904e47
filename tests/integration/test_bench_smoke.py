# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make bench's harness end to end at N=3, one run: every column builds, verifies, repairs and tears down the network."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.once  # see conftest.py

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH = os.path.join(REPO, 'benchmarks', 'bench.py')
PEERS = {'cni': '/usr/lib/cni/portmap', 'netavark': '/usr/lib/podman/netavark'}


def bench(tmp_path, tools):
    res = subprocess.run([sys.executable, BENCH, '--sizes', '3', '--repeats', '1', '--settle', '0', '--tools', ','.join(tools), '--out', str(tmp_path)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    [report] = [p for p in os.listdir(tmp_path) if p.endswith('.json')]
    with open(os.path.join(tmp_path, report)) as f:
        data = json.load(f)
    assert data['error'] is None
    return data['results'], res.stdout


def test_hostnet_columns_and_recipes(tmp_path):
    results, out = bench(tmp_path, ['module', 'engine', 'floor', 'ipbatch'])
    for tool in ('module', 'engine'):
        # re-apply reported changed=false and drift changed=true, or the harness would have failed
        assert sorted(results[tool]['3']) == ['apply', 'drift', 'reapply', 'teardown']
    for tool in ('floor', 'ipbatch'):
        assert sorted(results[tool]['3']) == ['apply', 'teardown']
    assert all(v[0] > 0 for phases in results.values() for v in phases['3'].values())
    assert '| 3 | apply |' in out and "firewall and /run/netns were unchanged (checked)" in out


@pytest.mark.skipif(not all(os.path.exists(p) for p in PEERS.values()),
                    reason='the peers (containernetworking-plugins, netavark) are installed by benchmarks/setup.sh (make bench)')
def test_peers(tmp_path):
    results, out = bench(tmp_path, ['engine', 'cni', 'netavark'])
    for tool in PEERS:
        assert sorted(results[tool]['3']) == ['apply', 'teardown']
    assert 'apply vs CNI' in out
