# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Network namespaces: named ones under /run/netns (created and removed as ip netns does), entered in-process, one
netlink socket per namespace per run (Namespaces), and their files under /etc/netns (this module is their one
writer).
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import threading

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _store

NETNS_RUN_DIR = '/run/netns'
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2
_LIBC = None
_NSFS_DEV = None


def _libc():
    global _LIBC  # pylint: disable=global-statement
    if _LIBC is None:
        # The running program's own symbols, which include the C library it is linked against (as _probe_names):
        # ctypes.util.find_library would run `ldconfig -p` in a subprocess on every module run.
        _LIBC = ctypes.CDLL(None, use_errno=True)
    return _LIBC


def _check(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, '%s: %s' % (what, os.strerror(err)))


def setns(fd):
    _check(_libc().setns(fd, CLONE_NEWNET), 'setns')


def mount(source, target, fstype, flags, data=None):
    _check(_libc().mount(source.encode() if source else None, target.encode(), fstype.encode() if fstype else None,
                         ctypes.c_ulong(flags), data.encode() if data else None), 'mount %s' % target)


def umount(target):
    _check(_libc().umount2(target.encode(), MNT_DETACH), 'umount %s' % target)


# -- named network namespaces ---------------------------------------------------
def netns_path(name):
    return os.path.join(NETNS_RUN_DIR, name)


def _nsfs_dev():
    global _NSFS_DEV  # pylint: disable=global-statement
    if _NSFS_DEV is None:
        _NSFS_DEV = os.stat('/proc/self/ns/net').st_dev
    return _NSFS_DEV


def netns_exists(name):
    """True when /run/netns/NAME is a mounted namespace.

    Every namespace file lives on the one nsfs superblock, so comparing st_dev with
    /proc/self/ns/net tells a real namespace from the empty placeholder file a crashed
    ``ip netns add`` leaves behind, without parsing mountinfo for each name.
    """
    try:
        return os.stat(netns_path(name)).st_dev == _nsfs_dev()
    except OSError:
        return False


def netns_identity(name):
    """(st_dev, st_ino) of a named namespace: equal identities are one namespace."""
    st = os.stat(netns_path(name))
    return (st.st_dev, st.st_ino)


def list_netns():
    try:
        return sorted(n for n in os.listdir(NETNS_RUN_DIR) if netns_exists(n))
    except OSError:
        return []


def _ensure_run_dir():
    created = not os.path.isdir(NETNS_RUN_DIR)
    os.makedirs(NETNS_RUN_DIR, mode=0o755, exist_ok=True)
    try:
        _make_shared(NETNS_RUN_DIR)
    except OSError:
        # Leave no empty /run/netns behind when it cannot be made a mount point: a half-made directory is state
        # nobody owns (and a host's tools then see a /run/netns that holds no namespace).
        if created:
            try:
                os.rmdir(NETNS_RUN_DIR)
            except OSError:
                pass  # a bind mount that did go through holds it: the mount error is the one to report
        raise


def _make_shared(path):
    # Same as iproute2: /run/netns must be a shared mount point so namespace
    # mounts propagate into the mount namespaces `ip netns exec` makes.
    try:
        mount('none', path, None, MS_SHARED | MS_REC)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        mount(path, path, 'none', MS_BIND | MS_REC)
        mount('none', path, None, MS_SHARED | MS_REC)


def _claim(name):
    """/run/netns/NAME as a new empty file to mount a namespace on."""
    path = netns_path(name)
    if os.path.lexists(path) and not netns_exists(name):
        os.unlink(path)  # placeholder of a crashed `ip netns add` or of a run killed mid-create
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
    return path


def _unshare_onto(path):
    """The calling thread moves into a new network namespace, bind-mounted on ``path`` (a short-lived thread: the
    namespace of the module's own threads never changes)."""
    _check(_libc().unshare(CLONE_NEWNET), 'unshare')
    mount('/proc/self/task/%d/ns/net' % threading.get_native_id(), path, 'none', MS_BIND)


def create_netns(name, share_with=None):
    """Create /run/netns/NAME: a new namespace, or the namespace of ``share_with``."""
    _ensure_run_dir()
    path = _claim(name)
    try:
        if share_with:
            mount(netns_path(share_with), path, 'none', MS_BIND)
            return
        errors = []

        def worker():
            try:
                _unshare_onto(path)
            except OSError as exc:
                errors.append(exc)

        thread = threading.Thread(target=worker, name='hostnet-netns-create')
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
    except BaseException:
        try:
            os.unlink(path)
        except OSError:
            pass
        raise


def remove_netns(name):
    path = netns_path(name)
    try:
        umount(path)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOENT):
            raise
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# -- sockets per namespace --------------------------------------------------------
class Namespaces:
    """One netlink socket per namespace for the whole run. ``None`` is the host's namespace.

    ``chan(netns)`` is the namespace's _kernel.Channel (pipelined requests, lean reads): the one kernel path.
    """

    def __init__(self):
        self._fds = {}
        self._chan = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fd(self, netns, listed=False):
        """The open namespace file of ``netns``; ``listed``: list_netns just found it a namespace (not checked again)."""
        if netns not in self._fds:
            try:
                if not (listed or netns_exists(netns)):
                    raise FileNotFoundError(netns)
                self._fds[netns] = os.open(netns_path(netns), os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                raise _kernel.HostnetError('network namespace %r does not exist (no %s)' % (netns, netns_path(netns))) from None
        return self._fds[netns]

    def chan(self, netns=None):
        if netns not in self._chan:
            if netns is None:
                self._chan[None] = _kernel.Channel()
            else:
                with entered(self.fd(netns)):
                    self._chan[netns] = _kernel.Channel()
        return self._chan[netns]

    def open_many(self, names, listed=False):
        """Open the Channel of many existing namespaces at once: the thread goes from one namespace straight to the
        next and home once at the end (a setns pair per namespace costs more than its socket).  ``listed``: the names
        come from list_netns (see fd)."""
        todo = [name for name in names if name not in self._chan]
        if not todo:
            return
        fds = [self.fd(name, listed) for name in todo]
        with entered(fds[0]):
            for name, fd in zip(todo, fds):
                setns(fd)
                self._chan[name] = _kernel.Channel()

    def create_many(self, names):
        """Create named namespaces in one short-lived thread, each with its Channel opened inside it.

        The thread unshares a new namespace per name, bind-mounts it on /run/netns/NAME (as
        ``ip netns add`` does) and opens its socket there: no setns round trip per namespace.
        Returns the names created; on error raises, leaving the ones created before it in place
        (see remove_netns) and registered here.
        """
        _ensure_run_dir()
        created = []
        errors = []

        def worker():
            for name in names:
                try:
                    path = _claim(name)
                    try:
                        _unshare_onto(path)
                    except BaseException:
                        os.unlink(path)
                        raise
                    created.append(name)
                    self._chan[name] = _kernel.Channel()
                    self._fds[name] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError as exc:
                    errors.append((name, exc))
                    return

        thread = threading.Thread(target=worker, name='hostnet-netns-create')
        thread.start()
        thread.join()
        if errors:
            name, exc = errors[0]
            error = _kernel.HostnetError(_kernel.describe(exc, 'create network namespace %s' % name))
            error.netns = name
            raise error from exc
        return created

    def forget(self, netns):
        """Drop the cached sockets and fd of a namespace that is being removed."""
        chan = self._chan.pop(netns, None)
        if chan is not None:
            chan.close()
        fd = self._fds.pop(netns, None)
        if fd is not None:
            os.close(fd)

    def close(self):
        chans, fds = self._chan, self._fds
        self._chan, self._fds = {}, {}
        for chan in chans.values():
            chan.close()
        for fd in fds.values():
            os.close(fd)


class entered:
    """Context manager: the current thread inside the namespace behind ``fd``."""

    def __init__(self, fd):
        self.fd = fd
        self.home = None

    def __enter__(self):
        self.home = os.open('/proc/thread-self/ns/net', os.O_RDONLY | os.O_CLOEXEC)
        setns(self.fd)
        return self

    def __exit__(self, *exc):
        try:
            setns(self.home)
        finally:
            os.close(self.home)


HOSTS_BEGIN = '# BEGIN hostnet.containers network names (docker_bridge dns)\n'
HOSTS_END = '# END hostnet.containers network names\n'
LOCALHOST_HOSTS = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
ETC_NETNS = '/etc/netns'


def hosts_block(text):
    """The managed block of a hosts file (markers included), or ''."""
    if HOSTS_BEGIN not in (text or ''):
        return ''
    start = text.index(HOSTS_BEGIN)
    end = text.find(HOSTS_END, start)
    return text[start:] if end < 0 else text[start:end + len(HOSTS_END)]


def hosts_with_block(text, block):
    """text with its managed block replaced by block ('' removes it); the rest is kept as it is."""
    old = hosts_block(text)
    rest = text.replace(old, '') if old else text
    return rest + block


def _write_text(path, content, keep_folder=False):
    """Replace a file atomically (None removes it, and its folder once empty unless ``keep_folder``); a failure
    leaves it as it was."""
    folder = os.path.dirname(path)
    tmp = path + '.tmp'
    if content is None:
        for name in (tmp, path):
            if os.path.exists(name):
                os.unlink(name)
        if not keep_folder and os.path.isdir(folder) and not os.listdir(folder):
            os.rmdir(folder)
            _tidy_etc_root()
        return
    made = _make_folder(folder)
    try:
        _store.write_atomic(path, content, mode=0o644, tmp=tmp, fsync=False)
    except BaseException:
        if made and not os.listdir(folder):
            os.rmdir(folder)
            _tidy_etc_root()
        raise


def _make_folder(folder):
    """Make /etc/netns/NAME (and /etc/netns, noted as ours) unless it is there; whether it was made.  One mkdir
    when it is new or there: a network writes a file in hundreds of these."""
    try:
        os.mkdir(folder, 0o755)
        return True
    except FileExistsError:
        return False
    except FileNotFoundError:
        _note_etc_root()
        os.makedirs(folder, mode=0o755, exist_ok=True)
        return True


# -- a namespace's own files: /etc/netns/NAME/{hosts,resolv.conf,hostname} (ip netns exec binds them over /etc) --
NETNS_FILES = ('hosts', 'resolv.conf', 'hostname')


def etc_dir(name):
    return os.path.join(ETC_NETNS, name)


def read_files(name):
    """{file name: text} of the namespace's files that exist."""
    out = {}
    for fname in NETNS_FILES:
        try:
            with open(os.path.join(etc_dir(name), fname)) as f:
                out[fname] = f.read()
        except OSError:
            pass
    return out


def write_file(name, fname, content):
    """Put ``content`` in /etc/netns/NAME/FNAME (None removes the file, the folder stays: see remove_etc_dir)."""
    _write_text(os.path.join(etc_dir(name), fname), content, keep_folder=True)


def make_etc_dir(name):
    _note_etc_root()
    os.makedirs(etc_dir(name), mode=0o755, exist_ok=True)


def remove_etc_dir(name):
    """/etc/netns/NAME and everything in it; nothing to do when it is gone."""
    if os.path.isdir(etc_dir(name)):
        shutil.rmtree(etc_dir(name))
    _tidy_etc_root()


def release_etc_dir(name):
    """The files the collection writes in /etc/netns/NAME, and the folder once empty: a file the user put there
    stays (with its folder)."""
    for fname in NETNS_FILES + tuple(f + '.tmp' for f in NETNS_FILES):
        try:
            os.unlink(os.path.join(etc_dir(name), fname))
        except FileNotFoundError:
            pass
    try:
        os.rmdir(etc_dir(name))
    except OSError:
        return
    _tidy_etc_root()


# /etc/netns itself is removed only when the collection made it (noted in the store when it did) and it is empty.
ETC_ROOT_NOTE = ('host', 'etc-netns')


def _note_etc_root():
    if not os.path.isdir(ETC_NETNS):
        _store.save(ETC_ROOT_NOTE[0], ETC_ROOT_NOTE[1], {'created': ETC_NETNS})


def _tidy_etc_root():
    try:
        if _store.load(*ETC_ROOT_NOTE) is None or os.listdir(ETC_NETNS):
            return
        os.rmdir(ETC_NETNS)
    except OSError:
        return
    _store.delete(*ETC_ROOT_NOTE)
