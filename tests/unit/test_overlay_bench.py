# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay benchmark's pure parts (benchmarks/overlay_bench.py): what each host is handed, which cells run, and the
verdict on issue 24's criterion.  The harness itself runs in tests/integration/test_overlay_bench_smoke.py."""

from __future__ import annotations

import argparse
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, 'benchmarks'))

import overlay_bench  # noqa: E402  pylint: disable=wrong-import-position


def test_each_host_gets_its_peers_and_every_other_hosts_containers():
    p = overlay_bench.overlay_params(2, [1, 2, 3], {1: 2, 2: 1, 3: 1}, True)
    assert p['underlay_ip'] == '10.138.4.12' and p['underlay_interface'] == 'ens33'
    assert p['peers'] == [{'host': 'host1', 'underlay_ip': '10.138.4.11'}, {'host': 'host3', 'underlay_ip': '10.138.4.13'}]
    assert [e['name'] for e in p['endpoints']] == ['h2c0']
    assert [(e['name'], e['host']) for e in p['remote_endpoints']] == [('h1c0', 'host1'), ('h1c1', 'host1'), ('h3c0', 'host3')]
    # one address and MAC per container for the whole play: the same on the host that holds it and on the others
    local = overlay_bench.overlay_params(1, [1, 2, 3], {1: 2, 2: 1, 3: 1}, True)['endpoints'][1]
    assert local == {k: v for k, v in p['remote_endpoints'][1].items() if k != 'host'} == {
        'name': 'h1c1', 'ip': '10.210.1.11', 'mac': '02:42:0a:d2:01:0b'}


def test_cells_and_sizes():
    args = argparse.Namespace(hosts=[2, 4], containers=50, extra=[(4, 50), (4, 25)], repeats=1, tools=['engine'])
    assert overlay_bench.cells_of(args) == [(2, 50), (4, 50), (4, 25)]
    assert overlay_bench.bad_sizes(args) is None
    assert overlay_bench.bad_sizes(argparse.Namespace(**dict(vars(args), hosts=[1]))) == 'hosts 2..16'
    assert overlay_bench.bad_sizes(argparse.Namespace(**dict(vars(args), containers=241))) == 'containers 1..240 per host'
    assert overlay_bench.bad_sizes(argparse.Namespace(**dict(vars(args), tools=['cni']))) == '--tools among engine,module'


def _run(seconds, fdb=(1, 0), neigh=(1, 0)):
    return {'seconds': seconds, 'plan_seconds': seconds / 2, 'steps': 4, 'changed': True, 'files': {'written': 2, 'removed': 0},
            'fdb': {'added': fdb[0], 'removed': fdb[1], 'total': 9}, 'neigh': {'added': neigh[0], 'removed': neigh[1], 'total': 8}}


def _cell(change_remote):
    return dict({m: [[_run(0.1)]] for m in ('apply', 'reapply', 'change_local')}, change_remote=[change_remote])


def test_verdict_met_only_with_one_fdb_and_one_neighbour_entry_on_every_other_host():
    args = argparse.Namespace(hosts=[2, 4], containers=50, extra=[])
    results = {'2x50': _cell([_run(0.03)]), '4x50': _cell([_run(0.05)] * 3)}
    [(met, text), (info, growth)] = overlay_bench.verdict(results, args)
    assert met is True and '(1, 0, 1, 0) in every run of every cell (H=2 C=50, H=4 C=50)' in text
    assert info is None and 'H=4 vs H=2: 0.050 s vs 0.030 s (1.67x' in growth and 'remote endpoints per host 150 vs 50' in growth
    results['4x50']['change_remote'][0][1] = _run(0.05, neigh=(2, 1))
    [(met, text), dummy] = overlay_bench.verdict(results, args)
    assert met is False and '(1, 0, 1, 0) or (1, 0, 2, 1)' in text
