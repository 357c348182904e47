# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Running a benchmark harness at its smallest, for the bench smoke tests: the run, its exit status and its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run_bench(script, args, out, timeout=600):
    """benchmarks/SCRIPT with ARGS and ``--out OUT``: it must exit 0 (it fails on an error or a changed machine, never
    on a target: timing is not asserted) and write one JSON report without an error.  (the report's data, the run)."""
    res = subprocess.run([sys.executable, os.path.join(REPO, 'benchmarks', script)] + list(args) + ['--out', str(out)],
                         capture_output=True, text=True, timeout=timeout, check=False)
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    [report] = [p for p in os.listdir(out) if p.endswith('.json')]
    with open(os.path.join(out, report)) as f:
        data = json.load(f)
    assert data['error'] is None
    return data, res
