# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Kernel knobs (sysctls) read and written inside a namespace: /proc/sys resolves to the namespace of the thread that
opens it.
"""

from __future__ import annotations

import contextlib
import os

from ansible_collections.hostnet.containers.plugins.module_utils import _netns

# -- sysctls inside a namespace --------------------------------------------------------


def sysctl_path(key):
    """/proc/sys path of a dotted sysctl name (net.ipv4.ip_forward)."""
    return '/proc/sys/' + key.replace('.', '/')


_sysctl_path = sysctl_path


@contextlib.contextmanager
def ipv6_conf():
    """/proc/sys/net/ipv6/conf of the thread's namespace, open (O_PATH), to open each link's keys relative to it:
    looking up /proc/sys/net/ipv6 walks a dentry chain that holds it for every namespace already looked up, so a whole
    path per link pays that once per link on a host of thousands of containers."""
    conf = os.open('/proc/sys/net/ipv6/conf', os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        yield conf
    finally:
        os.close(conf)


def _in_netns(ns, netns, func):
    if netns is None:
        return func()
    with _netns.entered(ns.fd(netns)):
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
