# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netlink engine's pure parts: error wording, the requests it builds, idempotent deletes (no root, fake sockets)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl


class FakeMsg(dict):
    def __init__(self, index, flags=0, **attrs):
        super().__init__(index=index, flags=flags)
        self.attrs = attrs

    def get_attr(self, name):
        return self.attrs.get(name)


class FakeIPR:
    """Records requests; links by name; raises NetlinkError like the kernel for missing objects."""

    def __init__(self, links=None, fail=None):
        self.calls = []
        self.links = dict(links or {})
        self.fail = fail or {}

    def _maybe_fail(self, what):
        if what in self.fail:
            raise _kernel.NetlinkError(self.fail[what], os.strerror(self.fail[what]))

    def link(self, command, **kwargs):
        self.calls.append(('link', command, kwargs))
        self._maybe_fail('link ' + command)
        if command == 'get':
            for name, index in self.links.items():
                if kwargs.get('ifname') == name or kwargs.get('index') == index:
                    return [FakeMsg(index, flags=1, IFLA_IFNAME=name, IFLA_MTU=1500, IFLA_ADDRESS='02:42:AC:11:00:02')]
            raise _kernel.NetlinkError(errno.ENODEV, 'No such device')
        if command == 'add':
            self.links[kwargs['ifname']] = len(self.links) + 10
        return ()

    def addr(self, command, **kwargs):
        self.calls.append(('addr', command, kwargs))
        self._maybe_fail('addr ' + command)

    def route(self, command, **kwargs):
        self.calls.append(('route', command, kwargs))
        self._maybe_fail('route ' + command)


pytestmark = pytest.mark.skipif(not _kernel.HAS_PYROUTE2, reason='pyroute2 is not installed')


@pytest.mark.parametrize('code, words', [
    (errno.EEXIST, 'already exists'), (errno.ENODEV, 'no such device'), (errno.EBUSY, 'busy'),
    (errno.EPERM, 'run as root'), (errno.ENOENT, 'no such object'), (errno.EXFULL, '1023 ports'),
    (errno.ENETUNREACH, 'not reachable'), (errno.ENOTCONN, os.strerror(errno.ENOTCONN)),
])
def test_describe_names_the_action_and_the_reason(code, words):
    text = _kernel.describe(_kernel.NetlinkError(code, 'x'), 'create veth vethweb01')
    assert text.startswith('create veth vethweb01 failed: ') and words in text
    assert words in _kernel.describe(OSError(code, 'x'), 'mount')


def test_link_facts_and_missing_link():
    ipr = FakeIPR({'eth0': 2})
    facts = _kernel.link(ipr, 'eth0')
    assert facts['index'] == 2 and facts['mac'] == '02:42:ac:11:00:02' and facts['up'] and facts['mtu'] == 1500
    assert _kernel.link(ipr, 'nope') is None
    assert _kernel.link(ipr, index=2)['ifname'] == 'eth0'
    with pytest.raises(_kernel.HostnetError, match='nope does not exist'):
        _kernel.index_of(ipr, 'nope')


def test_other_netlink_errors_are_not_swallowed():
    with pytest.raises(_kernel.NetlinkError):
        _kernel.link(FakeIPR({'eth0': 2}, fail={'link get': errno.EPERM}), 'eth0')


def test_create_veth_is_one_request_with_the_peer_in_its_namespace():
    ipr = FakeIPR()
    index = _kernel.create_veth(ipr, 'vethweb01', 'eth0', peer_netns_fd=7, master=3, mtu=1450, mac='02:00:00:00:00:01',
                                peer_mac='02:42:ac:11:00:02')
    adds = [c for c in ipr.calls if c[1] == 'add']
    assert len(adds) == 1
    kwargs = adds[0][2]
    assert kwargs == {'ifname': 'vethweb01', 'kind': 'veth', 'state': 'up', 'master': 3, 'mtu': 1450, 'address': '02:00:00:00:00:01',
                      'peer': {'ifname': 'eth0', 'net_ns_fd': 7, 'address': '02:42:ac:11:00:02', 'mtu': 1450}}
    assert index == ipr.links['vethweb01']


def test_create_veth_leaves_out_what_the_kernel_should_choose():
    ipr = FakeIPR()
    _kernel.create_veth(ipr, 'left0', 'right0')
    kwargs = [c for c in ipr.calls if c[1] == 'add'][0][2]
    assert kwargs == {'ifname': 'left0', 'kind': 'veth', 'state': 'up', 'peer': {'ifname': 'right0'}}


def test_deletes_are_idempotent():
    ipr = FakeIPR({'v0': 4}, fail={'link del': errno.ENODEV, 'addr del': errno.EADDRNOTAVAIL, 'route del': errno.ESRCH})
    assert not _kernel.delete_link(ipr, 'missing')
    assert not _kernel.delete_link(ipr, 'v0')
    assert not _kernel.del_address(ipr, 4, '10.0.0.2/24')
    assert not _kernel.del_default_route(ipr, '10.0.0.1', 4)
    ok = FakeIPR({'v0': 4})
    assert _kernel.delete_link(ok, 'v0') and ('link', 'del', {'index': 4}) in ok.calls
    assert _kernel.del_address(ok, 4, '10.0.0.2/24')
    assert ('addr', 'del', {'index': 4, 'address': '10.0.0.2', 'prefixlen': 24}) in ok.calls
    assert _kernel.del_default_route(ok, '10.0.0.1', 4)
    assert ('route', 'del', {'dst': '0.0.0.0/0', 'gateway': '10.0.0.1', 'oif': 4}) in ok.calls


def test_delete_reports_other_errors():
    with pytest.raises(_kernel.NetlinkError):
        _kernel.delete_link(FakeIPR({'v0': 4}, fail={'link del': errno.EBUSY}), 'v0')


def test_default_route_and_addresses_requests():
    ipr = FakeIPR()
    _kernel.add_address(ipr, 5, '172.17.0.2/16')
    _kernel.set_default_route(ipr, '172.17.0.1', 5)
    assert ipr.calls == [('addr', 'add', {'index': 5, 'address': '172.17.0.2', 'prefixlen': 16}),
                         ('route', 'replace', {'dst': '0.0.0.0/0', 'gateway': '172.17.0.1', 'oif': 5})]


def test_sysctl_path():
    assert _sysctl.sysctl_path('net.ipv4.conf.all.forwarding') == '/proc/sys/net/ipv4/conf/all/forwarding'


def test_a_plain_file_is_not_a_namespace(tmp_path, monkeypatch):
    monkeypatch.setattr(_netns, 'NETNS_RUN_DIR', str(tmp_path))
    (tmp_path / 'stale').write_text('')
    assert not _netns.netns_exists('stale')
    assert not _netns.netns_exists('missing')
    assert _netns.list_netns() == []


def test_missing_namespace_is_an_error_not_created(tmp_path, monkeypatch):
    monkeypatch.setattr(_netns, 'NETNS_RUN_DIR', str(tmp_path))
    with _netns.Namespaces() as ns:
        with pytest.raises(_kernel.HostnetError, match="'web01' does not exist"):
            ns.ipr('web01')
    assert os.listdir(str(tmp_path)) == []


def test_imports_without_pyroute2():
    """module_utils must import (and report the missing library) when pyroute2 is absent."""
    code = ('import sys; sys.modules["pyroute2"] = None; sys.modules["netaddr"] = None\n'
            'from ansible_collections.hostnet.containers.plugins.module_utils import _kernel, _ipam, _common, _store\n'
            'assert not _kernel.HAS_PYROUTE2 and "pyroute2" in _kernel.PYROUTE2_IMPORT_ERROR\n'
            'assert not _ipam.HAS_NETADDR\n'
            'from ansible_collections.hostnet.containers.plugins.modules import netns, veth_pair\n'
            'print("ok")\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, check=False)
    assert res.stdout.strip() == 'ok', res.stderr
