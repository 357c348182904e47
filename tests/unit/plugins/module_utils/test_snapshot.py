# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading many namespaces in two processes (_snapshot.split_map): the same results, in order, as one process,
each item computed once by whichever process took its chunk; a child that fails leaves its chunks to the parent, so
the parent's error is the one raised."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot

TWO_CPUS = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason='the second process needs a second CPU')


@TWO_CPUS
def test_both_processes_take_chunks_and_the_order_is_kept(tmp_path):
    """Every item once, in order; the parent's and the child's chunks are whole chunks of _SPLIT_CHUNK.  Each process
    waits at its first item (a condition, with a ceiling) until the other has one too, so each computes a chunk."""
    parent = os.getpid()

    def func(i):
        mine, theirs = (tmp_path / 'parent', tmp_path / 'child')[::1 if os.getpid() == parent else -1]
        mine.touch()
        _wait_for(theirs.exists)
        return i, os.getpid()
    got = _snapshot.split_map(func, list(range(101)))
    assert [i for i, dummy in got] == list(range(101))
    pids = [pid for dummy, pid in got]
    assert parent in pids and len(set(pids)) == 2, 'both processes computed chunks'
    size = _snapshot._SPLIT_CHUNK  # pylint: disable=protected-access
    for start in range(0, 101, size):
        assert len(set(pids[start:start + size])) == 1, 'a chunk is computed by one process'


def _wait_for(condition, ceiling=60):
    import time  # pylint: disable=import-outside-toplevel
    deadline = time.monotonic() + ceiling
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


@TWO_CPUS
def test_a_child_that_fails_leaves_its_chunks_to_the_parent():
    parent = os.getpid()

    def func(i):
        if os.getpid() != parent:
            raise RuntimeError('the child cannot read')
        return i * 2
    assert _snapshot.split_map(func, list(range(100))) == [i * 2 for i in range(100)]


@TWO_CPUS
def test_an_error_in_the_child_half_is_raised_by_the_parent():
    def func(i):
        if i == 77:
            raise ValueError('namespace 77 is gone')
        return i
    with pytest.raises(ValueError, match='namespace 77'):
        _snapshot.split_map(func, list(range(100)))


def test_one_item_or_one_cpu_stays_in_this_process(monkeypatch):
    monkeypatch.setattr(os, 'fork', lambda: pytest.fail('forked'))
    assert _snapshot.split_map(lambda i: i + 1, [1]) == [2]
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0})
    assert _snapshot.split_map(lambda i: i + 1, [1, 2, 3]) == [2, 3, 4]


@TWO_CPUS
def test_each_process_prepares_the_chunks_it_reads():
    """The sockets of a chunk are opened by the process that reads it (prepare), before its items."""
    prepared = {}

    def prepare(chunk):
        prepared[os.getpid()] = list(chunk)

    def func(i):
        return i, prepared.get(os.getpid())
    got = _snapshot.split_map(func, list(range(100)), prepare)
    assert [i for i, dummy in got] == list(range(100))
    size = _snapshot._SPLIT_CHUNK  # pylint: disable=protected-access
    assert all(chunk == list(range(i - i % size, min(i - i % size + size, 100))) for i, chunk in got)
    assert _snapshot.split_map(func, [1], prepare) == [(1, [1])]


def test_a_large_input_takes_larger_chunks_so_every_ticket_fits_the_pipe(monkeypatch):
    """Tickets are written before anyone reads them: never more than _MAX_TICKETS (a full pipe would block)."""
    monkeypatch.setattr(_snapshot, '_MAX_TICKETS', 4)
    got = _snapshot.split_map(lambda i: i + 1, list(range(1000)))
    assert got == list(range(1, 1001))


# -- EarlyViews: the namespaces of a rerun read by a child while the run reads the host -----------------------------
class QueryChan:
    """A namespace's Channel as _partial_view queries it: its eth0 has ifindex ``index``."""

    def __init__(self, index, marker=None):
        self.index = index
        self.marker = marker

    def query(self, *queries):
        if self.marker is not None and os.getpid() != self.marker[0]:
            self.marker[1].touch()  # the child has read one
        link = {'index': self.index, 'ifname': 'eth0', 'kind': 'veth', 'mtu': 1500, 'link': 7, 'pid': os.getpid()}
        lo = {'index': 1, 'ifname': 'lo', 'up': True}
        return [link, lo, {'dst_len': 0, 'table': 254, 'oif': self.index, 'gateway': '10.0.0.1'}, [{'index': self.index, 'address': '10.0.0.2/24'}]]

    def dump(self, *args):
        return []


class QueryNs:
    def __init__(self, gone=(), marker=None):
        self.gone = set(gone)
        self.marker = marker

    def open_many(self, names, listed=False):
        pass

    def chan(self, cname):
        if cname in self.gone:
            raise OSError(2, 'no namespace %s' % cname)
        return QueryChan(int(cname[1:]) + 2, self.marker)


ITEMS = [('c%d' % i, 'eth0') for i in range(100)]


@TWO_CPUS
def test_early_views_are_read_by_the_child_and_used_where_they_answer_the_same_read(tmp_path):
    marker = tmp_path / 'child'
    early = _snapshot.EarlyViews(QueryNs(gone={'c5'}, marker=(os.getpid(), marker)), ITEMS, v6=False)
    _wait_for(marker.exists)  # the run reads the host meanwhile
    todo = [(cname, int(cname[1:]) + 2) for cname, dummy in ITEMS]  # the host ends name each peer by ifindex
    todo[3] = ('c3', 99)  # its host end names another link: read again
    todo[4] = ('c4', 'eth1')  # asked by another name: read again
    todo[6] = ('c6', None)  # no host end: the whole namespace is read
    got = early.take(todo, v6=False)
    assert sorted(got) == sorted(cname for cname, dummy in ITEMS if cname not in ('c3', 'c4', 'c5', 'c6'))
    view = got['c7']
    assert view.partial and view.by_index[9]['ifname'] == 'eth0' and view.addresses(9) == ['10.0.0.2/24'] and view.probe_answers(9)
    assert {link['pid'] for view in got.values() for link in view.links[:1]} - {os.getpid()}, 'the child read some'
    assert early.take(todo, v6=False) == {}, 'taken once'
    _closed_and_reaped(early)


def _closed_and_reaped(early):
    child = early.split.child
    early.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(child, os.WNOHANG)


@TWO_CPUS
def test_early_views_of_the_other_ipv6_side_are_not_used_and_an_untaken_child_is_stopped():
    early = _snapshot.EarlyViews(QueryNs(), ITEMS, v6=False)
    assert early.take([(cname, 'eth0') for cname, dummy in ITEMS], v6=True) == {}
    _closed_and_reaped(early)
    early = _snapshot.EarlyViews(QueryNs(), ITEMS, v6=False)
    _closed_and_reaped(early)  # the run failed before it read the namespaces


def test_few_namespaces_are_not_read_early(monkeypatch):
    monkeypatch.setattr(os, 'fork', lambda: pytest.fail('forked'))
    early = _snapshot.EarlyViews(QueryNs(), ITEMS[:_snapshot.PARALLEL_MIN - 1], v6=False)
    assert early.take(ITEMS, v6=False) == {}
    early.close()


def test_a_fork_that_fails_leaves_every_item_to_this_process(monkeypatch):
    def no_fork():
        raise OSError(11, 'Resource temporarily unavailable')
    monkeypatch.setattr(os, 'fork', no_fork)
    monkeypatch.setattr(os, 'sched_getaffinity', lambda pid: {0, 1})
    assert _snapshot.split_map(lambda i: i * 3, list(range(100))) == [i * 3 for i in range(100)]
    early = _snapshot.EarlyViews(QueryNs(), ITEMS, v6=False)
    assert sorted(early.take(ITEMS, v6=False)) == sorted(cname for cname, dummy in ITEMS)
    early.close()
