# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the kernel cannot hold, kept under /var/lib/hostnet, and the host-wide lock.

Files are written atomically (temporary file, fsync, rename) so a run killed at
any point leaves either the old or the new content.  The lock is an flock on a
file in /run/lock: the kernel drops it when the holder dies, so a killed run
never blocks the next one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import threading
import time

STATE_DIR = '/var/lib/hostnet'
LOCK_PATH = '/run/lock/hostnet.lock'


class StoreError(Exception):
    pass


def _path(kind, name, root=None):
    if not name or '/' in name or name in ('.', '..'):
        raise StoreError('invalid state name %r' % (name,))
    return os.path.join(root or STATE_DIR, kind, name + '.json')


def load(kind, name, root=None):
    """The stored document, or None."""
    try:
        with open(_path(kind, name, root)) as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise StoreError('state file %s is not valid JSON: %s' % (_path(kind, name, root), exc))


def load_all(kind, root=None):
    folder = os.path.join(root or STATE_DIR, kind)
    try:
        names = sorted(n[:-5] for n in os.listdir(folder) if n.endswith('.json'))
    except FileNotFoundError:
        return {}
    return {n: load(kind, n, root) for n in names}


def write_atomic(path, content, mode=None, tmp=None, fsync=True):
    """Replace ``path`` with ``content`` (text, or bytes as they are) through a temporary copy (``tmp``, default PATH.tmp) renamed over
    it: readers see the old file or the new one, and a failed write (a full disk, a read-only mount) leaves the old
    file and no temporary copy.  Raw descriptors: a network writes one resolv.conf per container, and a buffered
    text file and a chmod by path cost twice the system calls (more than the write on an overlay /etc)."""
    tmp = tmp or path + '.tmp'
    try:
        fd = _create(tmp)
        try:
            _write_all(fd, content if isinstance(content, bytes) else content.encode())
            if mode is not None:
                os.fchmod(fd, mode)
            if fsync:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def encode(document):
    """A document's text: one line, keys sorted (the same document, the same bytes).  Not indented: json's C encoder
    only writes unindented text, and the pure-Python one took about 12 ms for a network of 1,000 containers, written
    more than once a run (``python3 -m json.tool FILE`` shows one indented)."""
    return json.dumps(document, sort_keys=True, separators=(',', ':')) + '\n'


def _create(path):
    """A descriptor of ``path`` made empty for writing, with open(..., 'w')'s mode."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)


def _write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def save(kind, name, document, root=None):
    path = _path(kind, name, root)
    folder = os.path.dirname(path)
    made = not os.path.isdir(folder)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    try:
        write_atomic(path, encode(document), tmp='%s.tmp.%d' % (path, os.getpid()))
    except BaseException:
        if made:  # nothing else is left behind either
            try:
                os.rmdir(folder)
            except OSError:
                pass
        raise
    _remove_stale_copies(path)
    dfd = os.open(os.path.dirname(path), os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def save_many(kind, documents, root=None):
    """Write several documents of one kind ({name: document}; None removes it), each as save writes one: a reader
    sees the old file or the new one, and every new one is on disk before its rename.  The copies are written first
    and flushed together (concurrent fsyncs share the filesystem's journal commits), then renamed, then the folder
    is flushed once: at hundreds of containers, two fsyncs in turn per document cost more than their namespaces.
    A failed write renames nothing and leaves no temporary copy; a failed rename leaves the documents before it
    written (the caller puts them back)."""
    writes = {name: doc for name, doc in documents.items() if doc is not None}
    if len(writes) < 2:
        for name in sorted(documents):
            if documents[name] is None:
                delete(kind, name, root)
            else:
                save(kind, name, documents[name], root)
        return
    paths = {name: _path(kind, name, root) for name in writes}
    folder = os.path.join(root or STATE_DIR, kind)
    made = not os.path.isdir(folder)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    try:
        tmps = _write_copies(paths, writes)
    except BaseException:
        if made:  # nothing else is left behind either
            _rmdir(folder)
        raise
    try:
        for name in sorted(writes):
            os.replace(tmps[name], paths[name])
    except BaseException:
        for tmp in tmps.values():
            _unlink(tmp)
        raise
    _remove_stale_copies_of(folder, {os.path.basename(path) for path in paths.values()})
    dfd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    for name in sorted(set(documents) - set(writes)):
        delete(kind, name, root)


def _write_copies(paths, documents):
    """{name: temporary copy} of each document, written and flushed to disk; on failure none is left."""
    tmps = {}
    fds = []
    try:
        for name in sorted(documents):
            tmps[name] = '%s.tmp.%d' % (paths[name], os.getpid())
            fd = _create(tmps[name])
            fds.append(fd)
            _write_all(fd, encode(documents[name]).encode())
        _fsync_all(fds)
    except BaseException:
        for tmp in tmps.values():
            _unlink(tmp)
        raise
    finally:
        for fd in fds:
            os.close(fd)
    return tmps


def _unlink(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def _rmdir(path):
    try:
        os.rmdir(path)
    except OSError:
        pass


def _fsync_all(fds, threads=16):
    """fsync every fd, ``threads`` at a time (fsync releases the GIL); the first error is raised."""
    todo = list(fds)
    errors = []

    def work():
        while todo and not errors:
            try:
                os.fsync(todo.pop())
            except IndexError:
                return
            except OSError as exc:
                errors.append(exc)
    workers = [threading.Thread(target=work, name='hostnet-store-fsync') for dummy in range(min(threads, len(todo)))]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if errors:
        raise errors[0]


def _remove_stale_copies(path):
    """Temporary copies of ``path`` left by a run killed before its rename (writers hold the host-wide lock,
    so no other run is writing one now)."""
    folder, base = os.path.split(path)
    _remove_stale_copies_of(folder, {base})


# The folders this process has swept of stale copies while it holds the host-wide lock (None while it does not).
# Under the lock no other run writes a copy, and this one leaves none, so one sweep of a folder serves the whole run:
# a teardown deleting 500 records from a folder of 4,000 listed it 500 times.
_swept = None
_STALE_COPY = re.compile(r'\.json\.tmp\.\d+$')  # NAME.json.tmp.PID; a document's own name always ends in .json


def _remove_stale_copies_of(folder, bases):
    """The temporary copies of the documents ``bases`` (file names) in ``folder``, from one listing; under the
    host-wide lock, every document's copies, once per folder and run."""
    if _swept is not None:
        if folder in _swept:
            return
        _swept.add(folder)
        bases = None
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    for name in names:
        if '.tmp.' in name and (_copy_of(name, bases) if bases is not None else _STALE_COPY.search(name)):
            try:
                os.unlink(os.path.join(folder, name))
            except FileNotFoundError:
                pass


def _copy_of(name, bases):
    """Whether ``name`` is BASE.tmp.ANYTHING for one of ``bases``."""
    head = name
    while '.tmp.' in head:
        head = head.rsplit('.tmp.', 1)[0]
        if head in bases:
            return True
    return False


def delete(kind, name, root=None):
    """Remove a document (and its folder once empty, so teardown leaves nothing behind)."""
    path = _path(kind, name, root)
    _remove_stale_copies(path)
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    try:
        os.rmdir(os.path.dirname(path))
        os.rmdir(root or STATE_DIR)  # the store itself once empty (a mount point stays: EBUSY)
    except OSError:
        pass
    return True


def _sweeping(swept):
    global _swept  # pylint: disable=global-statement
    _swept = swept


class HostLock:
    """Host-wide lock around every mutation (context manager).

    flock(2) on LOCK_PATH: exclusive between processes, released by the kernel when the
    holder exits or is killed (no stale lock). Not re-entrant: flock locks belong to an open
    file, so a second HostLock in the same process waits for the first and times out.
    Waits up to ``timeout`` seconds, then raises StoreError naming the lock file.
    """

    def __init__(self, path=None, timeout=120.0):
        self.path = path or LOCK_PATH
        self.timeout = timeout
        self.fd = None

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                _sweeping(set())
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                os.close(self.fd)
                self.fd = None
                raise StoreError('timed out after %.0f s waiting for the host-wide lock %s held by another hostnet run'
                                 % (self.timeout, self.path))
            time.sleep(0.05)

    def __exit__(self, *exc):
        if self.fd is not None:
            _sweeping(None)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None
