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

Public API (what modules and the other engines build on):

* ``Namespaces()``: context manager; ``.ipr(netns=None)`` the run's one IPRoute per
  namespace (None: the host's), ``.fd(netns)`` an O_CLOEXEC fd of /run/netns/NAME (for
  IFLA_NET_NS_FD), ``.forget(netns)`` before removing one, ``.close()``. A missing
  namespace raises HostnetError, it is never created as a side effect.
* named namespaces: ``netns_path``, ``netns_exists``, ``netns_identity``, ``list_netns``,
  ``create_netns(name, share_with=None)``, ``remove_netns(name)``, ``entered(fd)``.
* reading: ``link(ipr, ifname=None, index=None)`` -> dict(index, ifname, kind, mtu, mac,
  up, master, link, link_netnsid) or None; ``links(ipr)``; ``index_of``; ``ifname_of``;
  ``addresses(ipr, index)`` -> ['a.b.c.d/len']; ``default_gateway(ipr, oif=None)``.
* changing: ``create_veth``, ``connect_veth`` (pair + addresses + up + default route),
  ``create_bridge``, ``delete_link`` (idempotent), ``set_link``, ``set_up``,
  ``add_address``/``del_address``, ``set_default_route``/``del_default_route``.
* sysctls inside a namespace: ``sysctl_exists``, ``read_sysctl``, ``write_sysctl``.
* errors: ``HostnetError`` (message fit for users), ``NetlinkError``,
  ``describe(exc, what)`` maps EEXIST/ENODEV/EBUSY/EPERM/ENOENT/EXFULL/... to words.
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
_NSFS_DEV = None


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
    """A NetlinkError or OSError turned into a sentence naming what was being done.

    >>> describe(NetlinkError(17, 'File exists'), 'create veth vethweb01')
    'create veth vethweb01 failed: it already exists'
    """
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
        errno.EADDRINUSE: 'the address is already in use',
        errno.EXFULL: 'the bridge is full (a Linux bridge holds at most 1023 ports)',
        errno.ENETUNREACH: 'the gateway is not reachable from that interface (no address in its subnet)',
        errno.ESRCH: 'no such route',
        errno.ENOTEMPTY: 'it is not empty',
        errno.ENOSPC: 'no space left (a kernel limit was reached)',
        errno.EMLINK: 'too many links (a kernel limit was reached)',
    }
    reason = reasons.get(code) or (os.strerror(code) if code else str(exc))
    return '%s failed: %s' % (what, reason)


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
    if os.path.lexists(path) and not netns_exists(name):
        os.unlink(path)  # placeholder of a crashed `ip netns add` or of a run killed mid-create
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


def _facts(msg):
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
        'hairpin': _hairpin(msg),
    }


def _hairpin(msg):
    """A bridge port's hairpin mode (IFLA_BRPORT_MODE), None for links that are not bridge ports."""
    info = msg.get_attr('IFLA_LINKINFO')
    data = info.get_attr('IFLA_INFO_SLAVE_DATA') if info is not None else None
    if data is None or info.get_attr('IFLA_INFO_SLAVE_KIND') != 'bridge':
        return None
    return bool(data.get_attr('IFLA_BRPORT_MODE'))


def set_hairpin(ipr, index, on=True):
    """Hairpin mode on a bridge port: frames may leave by the port they came in on (pyroute2 0.7 and 0.9)."""
    ipr.link('set', index=index, kind='bridge_slave', mode=1 if on else 0)


def link(ipr, ifname=None, index=None):
    """The facts we compare about one link (a dict, see _facts), or None when it does not exist.

    One RTM_GETLINK by name or index: no dump, no lookup round trip.
    """
    try:
        if index is None:
            msgs = ipr.link('get', ifname=ifname)
        else:
            msgs = ipr.link('get', index=index)
    except NetlinkError as exc:
        if exc.code in (errno.ENODEV, errno.ENOENT):
            return None
        raise
    return _facts(msgs[0])


def links(ipr):
    """Facts of every link in the namespace, from a single dump."""
    return [_facts(msg) for msg in ipr.get_links()]


def index_of(ipr, ifname):
    """The ifindex of ``ifname``; a HostnetError when it is gone (it vanished under a running plan)."""
    info = link(ipr, ifname)
    if info is None:
        raise HostnetError('interface %s does not exist (it disappeared while the run was applying changes)' % ifname)
    return info['index']


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


# -- changing links, addresses and routes ------------------------------------------------
def create_veth(ipr, ifname, peer_name, peer_netns_fd=None, master=None, mtu=None, mac=None, peer_mac=None):
    """Create a veth pair in one RTM_NEWLINK and return the host end's ifindex.

    The peer is born inside the namespace behind ``peer_netns_fd`` (IFLA_NET_NS_FD on the
    peer) and already named, so there is no move and no rename; ``master`` (an ifindex),
    ``mtu`` and the MACs are part of the same request and the host end comes up with it.
    The peer stays down: pyroute2 cannot carry the peer's IFF_UP, use set_up() on it.
    """
    peer = {'ifname': peer_name}
    if peer_netns_fd is not None:
        peer['net_ns_fd'] = peer_netns_fd
    if peer_mac:
        peer['address'] = peer_mac
    if mtu:
        peer['mtu'] = mtu
    kwargs = {'ifname': ifname, 'kind': 'veth', 'peer': peer, 'state': 'up'}
    if mac:
        kwargs['address'] = mac
    if mtu:
        kwargs['mtu'] = mtu
    if master is not None:
        kwargs['master'] = master
    ipr.link('add', **kwargs)
    return index_of(ipr, ifname)


def create_bridge(ipr, ifname, mtu=None, mac=None, up=True):
    """Create a Linux bridge and return its ifindex."""
    kwargs = {'ifname': ifname, 'kind': 'bridge'}
    if mtu:
        kwargs['mtu'] = mtu
    if mac:
        kwargs['address'] = mac
    if up:
        kwargs['state'] = 'up'
    ipr.link('add', **kwargs)
    return index_of(ipr, ifname)


def delete_link(ipr, ifname=None, index=None):
    """Delete a link by name or index; False when it was already gone (deleting twice is fine)."""
    if index is None:
        info = link(ipr, ifname)
        if info is None:
            return False
        index = info['index']
    try:
        ipr.link('del', index=index)
    except NetlinkError as exc:
        if exc.code in (errno.ENODEV, errno.ENOENT):
            return False
        raise
    return True


def set_link(ipr, index, **attrs):
    """Set attributes of a link: mtu=, address= (MAC), master= (ifindex, 0 detaches), state='up'/'down', ifname=."""
    ipr.link('set', index=index, **attrs)


def set_up(ipr, index):
    ipr.link('set', index=index, state='up')


def _split(cidr):
    ip, plen = cidr.split('/')
    return ip, int(plen)


def add_address(ipr, index, cidr):
    """Add an IPv4 address given as 'a.b.c.d/len'."""
    ip, plen = _split(cidr)
    ipr.addr('add', index=index, address=ip, prefixlen=plen)


def del_address(ipr, index, cidr):
    """Remove an IPv4 address given as 'a.b.c.d/len'; False when it was not there."""
    ip, plen = _split(cidr)
    try:
        ipr.addr('del', index=index, address=ip, prefixlen=plen)
    except NetlinkError as exc:
        if exc.code in (errno.EADDRNOTAVAIL, errno.ENOENT, errno.ENODEV):
            return False
        raise
    return True


def set_default_route(ipr, gateway, oif):
    """Make ``gateway`` via ``oif`` the IPv4 default route of the main table (replaces any other)."""
    ipr.route('replace', dst='0.0.0.0/0', gateway=gateway, oif=oif)


def del_default_route(ipr, gateway=None, oif=None):
    """Remove the IPv4 default route (optionally only via ``gateway``/``oif``); False when there was none."""
    spec = {'dst': '0.0.0.0/0'}
    if gateway is not None:
        spec['gateway'] = gateway
    if oif is not None:
        spec['oif'] = oif
    try:
        ipr.route('del', **spec)
    except NetlinkError as exc:
        if exc.code in (errno.ESRCH, errno.ENOENT, errno.ENODEV):
            return False
        raise
    return True


def connect_veth(ns, ifname, peer_name, peer_netns=None, master=None, mtu=None, mac=None, peer_mac=None,
                 peer_addresses=(), gateway=None):
    """Everything ``docker network connect`` does to the kernel, in the fewest requests.

    One request creates the pair (peer inside ``peer_netns`` and named, host end on bridge
    ``master`` (an ifindex) and up), then the peer gets its addresses, comes up and gets
    the default route via ``gateway``. Returns (host ifindex, peer ifindex). On error the
    half-made pair is deleted before the error propagates.
    """
    host = ns.ipr(None)
    fd = ns.fd(peer_netns) if peer_netns is not None else None
    hidx = create_veth(host, ifname, peer_name, fd, master=master, mtu=mtu, mac=mac, peer_mac=peer_mac)
    try:
        pipr = ns.ipr(peer_netns)
        pidx = index_of(pipr, peer_name)
        for cidr in peer_addresses:
            add_address(pipr, pidx, cidr)
        set_up(pipr, pidx)
        if gateway is not None:
            set_default_route(pipr, gateway, pidx)
    except BaseException:
        delete_link(host, index=hidx)
        raise
    return hidx, pidx


# -- sysctls inside a namespace --------------------------------------------------------
def sysctl_path(key):
    """/proc/sys path of a dotted sysctl name (net.ipv4.ip_forward)."""
    return '/proc/sys/' + key.replace('.', '/')


_sysctl_path = sysctl_path


def _in_netns(ns, netns, func):
    if netns is None:
        return func()
    with entered(ns.fd(netns)):
        return func()


def sysctl_exists(ns, netns, key):
    """Whether ``key`` exists in ``netns`` (None: the host's namespace)."""
    return _in_netns(ns, netns, lambda: os.path.isfile(sysctl_path(key)))


def read_sysctl(ns, netns, key):
    """The value with runs of whitespace folded to one space (how sysctl values compare)."""
    def read():
        with open(sysctl_path(key)) as f:
            return ' '.join(f.read().split())
    # /proc/sys/net resolves to the namespace of the thread that opens it.
    return _in_netns(ns, netns, read)


def write_sysctl(ns, netns, key, value):
    def write():
        with open(sysctl_path(key), 'w') as f:
            f.write(str(value))
    _in_netns(ns, netns, write)
