# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading many namespaces in two processes (_snapshot.split_map): the same results, in order, as one process;
a child that fails leaves its half to the parent, so the parent's error is the one raised."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot

TWO_CPUS = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason='the second process needs a second CPU')


@TWO_CPUS
def test_the_child_computes_the_second_half_and_the_order_is_kept():
    parent = os.getpid()
    got = _snapshot.split_map(lambda i: (i, os.getpid()), list(range(101)))
    assert [i for i, dummy in got] == list(range(101))
    assert {pid for i, pid in got if i < 50} == {parent}
    assert parent not in {pid for i, pid in got if i >= 50}, 'the second half was read by another process'


@TWO_CPUS
def test_a_child_that_fails_leaves_its_half_to_the_parent():
    parent = os.getpid()

    def func(i):
        if os.getpid() != parent:
            raise RuntimeError('the child cannot read')
        return i * 2
    assert _snapshot.split_map(func, list(range(10))) == [i * 2 for i in range(10)]


@TWO_CPUS
def test_an_error_in_the_child_half_is_raised_by_the_parent():
    def func(i):
        if i == 7:
            raise ValueError('namespace 7 is gone')
        return i
    with pytest.raises(ValueError, match='namespace 7'):
        _snapshot.split_map(func, list(range(10)))


def test_one_item_or_one_cpu_stays_in_this_process(monkeypatch):
    monkeypatch.setattr(os, 'fork', lambda: pytest.fail('forked'))
    assert _snapshot.split_map(lambda i: i + 1, [1]) == [2]
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0})
    assert _snapshot.split_map(lambda i: i + 1, [1, 2, 3]) == [2, 3, 4]


@TWO_CPUS
def test_each_process_prepares_its_own_half():
    """The sockets of a half are opened by the process that reads it (prepare), before its items."""
    prepared = {}

    def prepare(part):
        prepared[os.getpid()] = list(part)

    def func(i):
        return i, prepared.get(os.getpid())
    got = _snapshot.split_map(func, list(range(10)), prepare)
    assert [i for i, dummy in got] == list(range(10))
    assert all(part == list(range(5)) for i, part in got[:5])
    assert all(part == list(range(5, 10)) for i, part in got[5:])
    assert _snapshot.split_map(func, [1], prepare) == [(1, [1])]
