# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe's name lookup: the system resolver, run inside the namespace the way ``ip netns exec`` runs a program.

A child process enters the namespace's network namespace and a private mount namespace, bind-mounts every
/etc/netns/NETNS/FILE over /etc/FILE (as ``ip netns exec`` does, so the namespace's hosts and resolv.conf are the
ones read), and asks the C library: getaddrinfo() for IPv4, IPv6 or both with the canonical name, the call
``getent ahostsv4`` (``ahostsv6``, ``ahosts``) makes but without AI_ADDRCONFIG, so a namespace whose only address is on lo still reads its hosts file. Whatever
/etc/nsswitch.conf lists for hosts answers (``files dns`` on Debian): hosts file lines, DNS search domains, ndots,
CNAMEs, TCP after a truncated answer are the resolver's. The child sends its answer back as JSON on a pipe and
exits; it never touches the parent's namespaces or mounts. As with ``ip netns exec``, an NSS service that asks a
daemon of the host over a socket (nscd, systemd-resolved's ``resolve``) gets that daemon's answer.

The parent only names where the answer came from and words a failure: the hosts file and resolv.conf paths the
namespace sees, and the name servers resolv.conf lists.
"""

from __future__ import annotations

import ctypes
import errno
import json
import math
import os
import select
import signal
import socket
import threading
import time

from ansible_collections.hostnet.containers.plugins.module_utils import _netns

ETC = '/etc'
ETC_NETNS = '/etc/netns'
CLONE_NEWNS = 0x00020000
MS_BIND = 4096
MS_REC = 16384
MS_SLAVE = 1 << 19
# glibc reads at most 3 name servers and asks 127.0.0.1 when resolv.conf lists none (resolv/resolv.h).
MAXNS = 3
DEFAULT_NAMESERVER = '127.0.0.1'
# How many DNS answers one lookup may wait for: res_search tries the name with up to 6 search domains and alone,
# each at up to MAXNS servers. The child is killed when its lookup runs past that many timeouts (a hung NSS module).
MAX_QUERIES = 7 * MAXNS
EAI_NODATA = getattr(socket, 'EAI_NODATA', -5)
# getaddrinfo's failures in the user's words (the resolver's own text follows in parentheses).
FAILURES = {
    socket.EAI_NONAME: 'NXDOMAIN, no such name',
    EAI_NODATA: 'the name has no address of the family asked',
    socket.EAI_AGAIN: 'no name server answered (or one answered SERVFAIL)',
    socket.EAI_FAIL: 'a name server refused the query or failed',
}
# The probe's family option as getaddrinfo's. any asks for IPv4 and then IPv6 addresses in two calls, and lists the
# IPv4 ones first (not AF_UNSPEC, whose order depends on the routes and whose hosts file answer may hold one family
# only): a name that has both is probed over IPv4 as before IPv6 existed, and family ipv6 probes it over IPv6.
FAMILIES = {'any': socket.AF_UNSPEC, 'ipv4': socket.AF_INET, 'ipv6': socket.AF_INET6}
# Held from a lookup's pipe to the moment the parent closes its write end (the probe's list form forks from threads).
_FORKING = threading.Lock()


class Resolution:
    """The outcome of a name lookup: addresses (empty when not found), where from, and why not."""

    def __init__(self, addresses=(), source=None, error=None):
        self.addresses = list(addresses)
        self.source = source
        self.error = error


# -- what the namespace sees ------------------------------------------------------------------------------
def etc_path(netns, fname):
    """The file ``ip netns exec NETNS`` sees as /etc/FNAME: /etc/netns/NETNS/FNAME when it exists."""
    if netns is not None:
        path = os.path.join(ETC_NETNS, netns, fname)
        if os.path.exists(path):
            return path
    return os.path.join(ETC, fname)


def read_text(path):
    """The file's text, or None when it cannot be read."""
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    except OSError:
        return None


def nameservers(text):
    """The name servers a resolv.conf lists, as the resolver takes them: the first 3, 127.0.0.1 when none."""
    servers = []
    for line in (text or '').splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == 'nameserver' and len(servers) < MAXNS:
            servers.append(words[1])
    return servers or [DEFAULT_NAMESERVER]


def resolver_seconds(timeout):
    """The probe's timeout as the resolver's ``timeout:`` option, which counts whole seconds (at least 1)."""
    return max(1, int(math.ceil(timeout)))


def seconds(value):
    """2.0 -> '2', 0.5 -> '0.5': how a timeout reads in a message."""
    return '%g' % value


# -- the answer, worded ------------------------------------------------------------------------------------
def resolution(answer, netns):
    """A Resolution from the child's answer (a dict: addresses, canonical, files; or error, text; or timeout)."""
    hosts_path = etc_path(netns, 'hosts')
    conf_path = etc_path(netns, 'resolv.conf')
    servers = ', '.join(nameservers(read_text(conf_path)))
    if answer.get('addresses'):
        if answer.get('files'):
            return Resolution(answer['addresses'], hosts_path)
        return Resolution(answer['addresses'], 'DNS %s (%s)' % (servers, answer['canonical']))
    where = 'not in %s' % hosts_path if os.path.exists(hosts_path) else 'no %s' % hosts_path
    return Resolution(error='%s; DNS %s (%s): %s' % (where, servers, conf_path, failure(answer)))


def failure(answer):
    """Why the child found no address, in words."""
    if 'timeout' in answer:
        return 'timeout after %s s' % seconds(answer['timeout'])
    if 'setup_error' in answer:
        return 'the lookup could not run (%s)' % answer['setup_error']
    if 'error' not in answer:
        return 'no address'
    words = FAILURES.get(answer['error'])
    return '%s (getaddrinfo: %s)' % (words, answer['text']) if words else 'getaddrinfo: %s' % answer['text']


# -- the child ------------------------------------------------------------------------------------------------
def lookup(fd, netns, name, timeout, family='ipv4'):
    """Look ``name`` up in a child inside the namespace behind ``fd`` (None: this process's); the child's answer.
    ``family``: 'ipv4', 'ipv6' or 'any' (the addresses of both, in the resolver's order)."""
    budget = MAX_QUERIES * resolver_seconds(timeout) * (2 if family == 'any' else 1) + 1
    with _FORKING:  # no other thread's child is forked while this write end is open here (see _close_inherited)
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            os.close(read_end)
            _child(write_end, fd, netns, (name, FAMILIES[family]), timeout)
        os.close(write_end)
    data = None
    try:
        data = _read_all(read_end, time.monotonic() + budget)
    finally:
        os.close(read_end)
        if data is None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if data is None:
        return {'timeout': budget}
    try:
        return json.loads(data.decode('utf-8'))
    except ValueError:
        return {'setup_error': 'the lookup ended without an answer'}


def _read_all(fd, deadline):
    """Everything written to the pipe until its writer closes it, or None when the deadline passes first."""
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        readable, _w, _x = select.select([fd], [], [], remaining)
        if not readable:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b''.join(chunks)
        chunks.append(chunk)


def _child(write_end, fd, netns, query, timeout):
    """Run in the forked child: answer, write the answer, exit without running the parent's cleanup."""
    try:
        try:
            _close_inherited((write_end, fd))
            # The resolver waits this long for each answer and asks each server once, as the probe's timeout says.
            os.environ['RES_OPTIONS'] = 'timeout:%d attempts:1' % resolver_seconds(timeout)
            answer = _answer_inside(fd, netns, query)
        except BaseException as exc:  # pylint: disable=broad-except
            answer = {'setup_error': str(exc) or type(exc).__name__}
        data = json.dumps(answer).encode('utf-8')
        while data:
            data = data[os.write(write_end, data):]
    finally:
        os._exit(0)  # pylint: disable=protected-access


def _close_inherited(keep):
    """Close every descriptor the child inherited but ``keep`` (and stdin, stdout, stderr).

    The probe's list form probes from several threads at once, and a child forked for one thread's lookup inherits
    what the others hold: their sockets (a TCP connection another thread closes would stay open until this child
    exits) and their namespace descriptors. Another lookup's pipe write end, which would hold that lookup's answer
    open, is never among them: ``_FORKING`` keeps each one open only while no other child is forked.
    """
    for name in os.listdir('/proc/self/fd'):
        if int(name) > 2 and int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:  # the listing's own descriptor, closed already
                pass


def _answer_inside(fd, netns, query):
    if fd is None:
        return answer(*query)
    with _netns.entered(fd):
        _private_etc(netns)
        return answer(*query)


def _libc_call(func, *args):
    if func(*args) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def _private_etc(netns):
    """This process in a mount namespace of its own where /etc/netns/NETNS/* cover /etc/*, as ``ip netns exec``
    arranges: slave mounts first, so nothing mounted here propagates back to the host."""
    libc = ctypes.CDLL(None, use_errno=True)
    _libc_call(libc.unshare, CLONE_NEWNS)
    _libc_call(libc.mount, b'none', b'/', None, ctypes.c_ulong(MS_SLAVE | MS_REC), None)
    etc_dir = os.path.join(ETC_NETNS, netns)
    try:
        entries = sorted(os.listdir(etc_dir))
    except OSError:
        return
    for entry in entries:
        source, target = os.path.join(etc_dir, entry), os.path.join(ETC, entry)
        try:
            _libc_call(libc.mount, source.encode(), target.encode(), b'none', ctypes.c_ulong(MS_BIND), None)
        except OSError as exc:
            # ip netns exec warns and goes on (a file /etc does not have cannot be covered); so does the lookup.
            if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
                raise


def answer(name, family=socket.AF_INET):
    """The C library's answer for ``name`` here (``family``: AF_INET, AF_INET6 or AF_UNSPEC): addresses, canonical name, and whether the hosts file alone
    gives the same addresses (to name it as the source); or the getaddrinfo error code and its text."""
    try:
        addresses, canonical = _addresses(name, family)
    except socket.gaierror as exc:
        return {'error': exc.errno, 'text': exc.strerror}
    return {'addresses': addresses, 'canonical': canonical, 'files': _hosts_file_gives(name, family, addresses)}


def _addresses(name, family):
    """(addresses, canonical name) of one family, or of IPv4 then IPv6 for AF_UNSPEC: the IPv4 lookup's error
    counts only when the IPv6 one finds nothing either and says no more than "no such address"."""
    if family != socket.AF_UNSPEC:
        return _getaddrinfo(name, family)
    found, errors = [], []
    for one in (socket.AF_INET, socket.AF_INET6):
        try:
            found.append(_getaddrinfo(name, one))
        except socket.gaierror as exc:
            errors.append(exc)
    if not found:
        raise errors[0] if errors[1].errno in (socket.EAI_NONAME, EAI_NODATA) else errors[1]
    return [a for addresses, _c in found for a in addresses], found[0][1]


def _getaddrinfo(name, family=socket.AF_INET):
    infos = socket.getaddrinfo(name, None, family, socket.SOCK_STREAM, 0, socket.AI_CANONNAME)
    addresses = []
    for info in infos:
        if info[4][0] not in addresses:
            addresses.append(info[4][0])
    return addresses, infos[0][3] or name


def _hosts_file_gives(name, family, addresses):
    """Whether the hosts file alone answers ``addresses``: the hosts database switched to files only, as
    ``getent -s files`` does. Only ever called in the child, which exits right after."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.__nss_configure_lookup(b'hosts', b'files') != 0:
        return False
    try:
        return _addresses(name, family)[0] == addresses
    except socket.gaierror:
        return False
