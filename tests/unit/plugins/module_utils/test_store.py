# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""State files and the host-wide lock (plain files in a temporary directory, no root)."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _store


def test_save_load_roundtrip_and_atomic_replace(tmp_path):
    root = str(tmp_path)
    assert _store.load('networks', 'bridge', root) is None
    _store.save('networks', 'bridge', {'subnet': '172.17.0.0/16'}, root)
    _store.save('networks', 'bridge', {'subnet': '172.17.0.0/16', 'id': 'abc'}, root)
    assert _store.load('networks', 'bridge', root) == {'subnet': '172.17.0.0/16', 'id': 'abc'}
    assert os.listdir(os.path.join(root, 'networks')) == ['bridge.json']  # no temporary files left
    assert _store.load_all('networks', root) == {'bridge': {'subnet': '172.17.0.0/16', 'id': 'abc'}}
    assert _store.delete('networks', 'bridge', root)
    assert not _store.delete('networks', 'bridge', root)
    assert _store.load_all('missing', root) == {}


@pytest.mark.parametrize('name', ['', '.', '..', 'a/b'])
def test_bad_names_are_refused(tmp_path, name):
    with pytest.raises(_store.StoreError):
        _store.save('networks', name, {}, str(tmp_path))


def test_corrupt_file_is_a_clear_error(tmp_path):
    os.makedirs(tmp_path / 'networks')
    (tmp_path / 'networks' / 'x.json').write_text('{not json')
    with pytest.raises(_store.StoreError, match='not valid JSON'):
        _store.load('networks', 'x', str(tmp_path))


def _hold(path, ready):
    with _store.HostLock(path):
        ready.set()
        time.sleep(60)


def test_lock_excludes_and_times_out(tmp_path):
    path = str(tmp_path / 'lock')
    ready = multiprocessing.Event()
    holder = multiprocessing.Process(target=_hold, args=(path, ready))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(_store.StoreError, match='timed out'):
            with _store.HostLock(path, timeout=0.2):
                pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join()
    # The kernel dropped the killed holder's lock: no stale lock.
    with _store.HostLock(path, timeout=1):
        pass


def test_save_many_writes_and_removes_like_save(tmp_path):
    root = str(tmp_path)
    _store.save('netns', 'gone', {'by': ['x']}, root)
    _store.save('netns', 'c1', {'by': ['old']}, root)
    (tmp_path / 'netns' / 'c2.json.tmp.99999').write_text('{half')  # left by a run killed before its rename
    docs = {'c%d' % i: {'by': ['network:n'], 'i': i} for i in range(40)}
    _store.save_many('netns', dict(docs, gone=None), root)
    assert _store.load_all('netns', root) == docs
    assert sorted(os.listdir(os.path.join(root, 'netns'))) == sorted('c%d.json' % i for i in range(40))
    with open(os.path.join(root, 'netns', 'c3.json')) as f:
        assert f.read() == _store.encode(docs['c3'])  # the same bytes as save writes


def test_save_many_failing_write_renames_nothing(tmp_path, monkeypatch):
    root = str(tmp_path)
    real = os.fsync

    def fsync(fd):
        if not os.path.isdir('/proc/self/fd/%d' % fd):
            raise OSError(28, 'No space left on device')
        real(fd)
    monkeypatch.setattr(os, 'fsync', fsync)
    with pytest.raises(OSError, match='No space'):
        _store.save_many('netns', {'a': {}, 'b': {}}, root)
    assert not (tmp_path / 'netns').exists()  # no document, no temporary copy, no folder


def test_stale_copies_go_and_a_locked_run_lists_a_folder_once(tmp_path, monkeypatch):
    # A killed run's copies (NAME.json.tmp.PID) go with the next write or delete of their folder.  Under the host-wide
    # lock no other run writes one, so a run lists each folder once, not once per document (a teardown of 500
    # records in a folder of 4,000 listed it 500 times); a document whose name holds ".tmp." is never taken for one.
    root = str(tmp_path)
    for name in ('a', 'b', 'x.json.tmp.1'):
        _store.save('netns', name, {'n': name}, root)
    folder = os.path.join(root, 'netns')
    for stale in ('a.json.tmp.41', 'b.json.tmp.42'):
        with open(os.path.join(folder, stale), 'w') as f:
            f.write('{')
    listed = []
    real = os.listdir
    monkeypatch.setattr(os, 'listdir', lambda path: listed.append(path) or real(path))
    with _store.HostLock(os.path.join(root, 'lock')):
        _store.delete('netns', 'a', root)
        _store.save('netns', 'c', {'n': 'c'}, root)
        _store.save_many('netns', {'d': {'n': 'd'}, 'b': None}, root)
    assert listed.count(folder) == 1, listed
    assert sorted(real(folder)) == ['c.json', 'd.json', 'x.json.tmp.1.json']
    # Without the lock (a reader, a test), each write sweeps the copies of its own documents.
    with open(os.path.join(folder, 'c.json.tmp.43'), 'w') as f:
        f.write('{')
    _store.save('netns', 'c', {'n': 'c2'}, root)
    _store.delete('netns', 'd', root)
    assert sorted(real(folder)) == ['c.json', 'x.json.tmp.1.json'] and listed.count(folder) == 3
