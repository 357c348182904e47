# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Netlink access for hostnet.containers: one pyroute2 socket per namespace per run.

Namespaces are entered in-process: the calling thread setns()es into the
namespace, opens its netlink socket there and setns()es back, which costs
microseconds where pyroute2's own ``IPRoute(netns=...)`` forks a helper.  A
missing namespace is an error, never silently created.  Named namespaces are
created the way ``ip netns add`` does it (a bind mount of the namespace on
/run/netns/NAME, /run/netns itself a shared mount), in a short-lived thread.
Works with pyroute2 0.7.x (Debian 12) and 0.9.x.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import threading
import traceback

try:
    from pyroute2 import IPRoute
    from pyroute2.netlink.exceptions import NetlinkError
except ImportError:
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = traceback.format_exc()

    class NetlinkError(Exception):  # type: ignore[no-redef]
        code = 0
else:
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None

NETNS_RUN_DIR = '/run/netns'
CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MS_REC = 16384
MS_SHARED = 1 << 20
MNT_DETACH = 2

_LIBC = None


class HostnetError(Exception):
    """An error whose text is fit to show a user as is."""


def _libc():
    global _LIBC  # pylint: disable=global-statement
    if _LIBC is None:
        _LIBC = ctypes.CDLL(ctypes.util.find_library('c') or None, use_errno=True)
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


def describe(exc, what):
    """A NetlinkError or OSError turned into a sentence naming what was being done."""
    code = getattr(exc, 'code', None) or getattr(exc, 'errno', None)
    reasons = {
        errno.EEXIST: 'it already exists',
        errno.ENODEV: 'no such device',
        errno.ENOENT: 'no such object',
        errno.EBUSY: 'the device is busy',
        errno.EPERM: 'operation not permitted (run as root)',
        errno.EACCES: 'permission denied (run as root)',
        errno.EINVAL: 'the kernel rejected the value as invalid',
        errno.EOPNOTSUPP: 'not supported by this kernel',
        errno.ERANGE: 'value out of range',
        errno.EADDRNOTAVAIL: 'address not available',
    }
    reason = reasons.get(code) or (os.strerror(code) if code else str(exc))
    return '%s failed: %s' % (what, reason)


# -- named network namespaces ---------------------------------------------------
def netns_path(name):
    return os.path.join(NETNS_RUN_DIR, name)


def netns_exists(name):
    path = netns_path(name)
    try:
        st = os.stat(path)
    except OSError:
        return False
    # An unmounted placeholder file (left by a crashed `ip netns add`) is not a namespace.
    return st.st_ino != 0 and _is_nsfs(path)


def _is_nsfs(path):
    try:
        with open('/proc/self/mountinfo') as f:
            for line in f:
                fields = line.split()
                if fields[4] == path:
                    return True
    except OSError:
        return False
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
    os.makedirs(NETNS_RUN_DIR, mode=0o755, exist_ok=True)
    # Same as iproute2: /run/netns must be a shared mount point so namespace
    # mounts propagate into the mount namespaces `ip netns exec` makes.
    try:
        mount('none', NETNS_RUN_DIR, None, MS_SHARED | MS_REC)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise
        mount(NETNS_RUN_DIR, NETNS_RUN_DIR, 'none', MS_BIND | MS_REC)
        mount('none', NETNS_RUN_DIR, None, MS_SHARED | MS_REC)


def create_netns(name, share_with=None):
    """Create /run/netns/NAME: a new namespace, or the namespace of ``share_with``."""
    _ensure_run_dir()
    path = netns_path(name)
    fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0)
    os.close(fd)
    try:
        if share_with:
            mount(netns_path(share_with), path, 'none', MS_BIND)
            return
        errors = []

        def worker():
            try:
                _check(_libc().unshare(CLONE_NEWNET), 'unshare')
                mount('/proc/self/task/%d/ns/net' % threading.get_native_id(), path, 'none', MS_BIND)
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
    """One netlink socket per namespace for the whole run. ``None`` is the host's namespace."""

    def __init__(self):
        self._ipr = {}
        self._fds = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def fd(self, netns):
        if netns not in self._fds:
            if not netns_exists(netns):
                raise HostnetError('network namespace %r does not exist (no %s)' % (netns, netns_path(netns)))
            self._fds[netns] = os.open(netns_path(netns), os.O_RDONLY | os.O_CLOEXEC)
        return self._fds[netns]

    def ipr(self, netns=None):
        if netns not in self._ipr:
            if netns is None:
                self._ipr[None] = IPRoute()
            else:
                target = self.fd(netns)
                with entered(target):
                    self._ipr[netns] = IPRoute()
        return self._ipr[netns]

    def forget(self, netns):
        """Drop the cached socket and fd of a namespace that is being removed."""
        ipr = self._ipr.pop(netns, None)
        if ipr is not None:
            ipr.close()
        fd = self._fds.pop(netns, None)
        if fd is not None:
            os.close(fd)

    def close(self):
        for netns in list(self._ipr) + list(self._fds):
            self.forget(netns)


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


# -- reading links ------------------------------------------------------------------
def _attr(msg, name, default=None):
    value = msg.get_attr(name)
    return default if value is None else value


def _kind(msg):
    info = msg.get_attr('IFLA_LINKINFO')
    return info.get_attr('IFLA_INFO_KIND') if info is not None else None


def link(ipr, ifname=None, index=None):
    """The facts we compare about one link, or None when it does not exist."""
    try:
        if index is None:
            found = ipr.link_lookup(ifname=ifname)
            if not found:
                return None
            index = found[0]
        msg = ipr.get_links(index)[0]
    except NetlinkError as exc:
        if exc.code == errno.ENODEV:
            return None
        raise
    return {
        'index': msg['index'],
        'ifname': _attr(msg, 'IFLA_IFNAME'),
        'kind': _kind(msg),
        'mtu': _attr(msg, 'IFLA_MTU'),
        'mac': (_attr(msg, 'IFLA_ADDRESS') or '').lower(),
        'up': bool(msg['flags'] & 1),
        'master': _attr(msg, 'IFLA_MASTER'),
        'link': _attr(msg, 'IFLA_LINK'),
        'link_netnsid': _attr(msg, 'IFLA_LINK_NETNSID'),
    }


def links(ipr):
    return [link(ipr, index=msg['index']) for msg in ipr.get_links()]


def ifname_of(ipr, index):
    info = link(ipr, index=index) if index else None
    return info['ifname'] if info else None


def addresses(ipr, index):
    """IPv4 addresses on a link as 'a.b.c.d/len' strings, in kernel order."""
    return ['%s/%d' % (_attr(msg, 'IFA_ADDRESS'), msg['prefixlen'])
            for msg in ipr.get_addr(family=2, index=index)]


def default_gateway(ipr, oif=None):
    """The IPv4 default route's gateway in the main table (optionally via ``oif``)."""
    for msg in ipr.get_routes(family=2, table=254):
        if msg['dst_len'] != 0 or msg.get_attr('RTA_DST') is not None:
            continue
        if oif is not None and msg.get_attr('RTA_OIF') != oif:
            continue
        return msg.get_attr('RTA_GATEWAY')
    return None


# -- sysctls inside a namespace --------------------------------------------------------
def _sysctl_path(key):
    return '/proc/sys/' + key.replace('.', '/')


def read_sysctl(ns, netns, key):
    with entered(ns.fd(netns)):
        with open(_sysctl_path(key)) as f:
            return ' '.join(f.read().split())


def write_sysctl(ns, netns, key, value):
    # /proc/sys/net resolves to the namespace of the task that opens it.
    with entered(ns.fd(netns)):
        with open(_sysctl_path(key), 'w') as f:
            f.write(str(value))
