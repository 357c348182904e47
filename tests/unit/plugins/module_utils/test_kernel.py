# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kernel path's pure parts: error wording, requests built by name (Links), idempotent deletes (no root, fakes)."""

from __future__ import annotations

import errno
import os
import socket
import subprocess
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl


pytestmark = pytest.mark.skipif(not _pyroute2.HAS_PYROUTE2, reason='pyroute2 is not installed')


@pytest.mark.parametrize('code, words', [
    (errno.EEXIST, 'already exists'), (errno.ENODEV, 'no such device'), (errno.EBUSY, 'busy'),
    (errno.EPERM, 'run as root'), (errno.ENOENT, 'no such object'), (errno.EXFULL, '1023 ports'),
    (errno.ENETUNREACH, 'not reachable'), (errno.ENOTCONN, os.strerror(errno.ENOTCONN)),
])
def test_describe_names_the_action_and_the_reason(code, words):
    text = _kernel.describe(_kernel.NetlinkError(code, 'x'), 'create veth vethweb01')
    assert text.startswith('create veth vethweb01 failed: ') and words in text
    assert words in _kernel.describe(OSError(code, 'x'), 'mount')


class FakeChan:
    """A Channel that records requests (decoded back into type and fields) and answers lookups from a dict."""

    def __init__(self, links, fail=None):
        self.links = links
        self.fail = fail
        self.sent = []

    def link(self, key):
        for name, index in self.links.items():
            if key in (name, index):
                return {'index': index, 'ifname': name}
        return None

    def index(self, ifname):
        return _kernel.Channel.index(self, ifname)

    def apply(self, *requests, gone_ok=False):
        for msg in requests:
            msg.encode()
            # Requests the collection's codec encodes (a RawRequest) are read back as pyroute2 reads their kind.
            back = (_message_class_of(msg) if isinstance(msg, _kernel.codec.RawRequest) else type(msg))(msg.data)
            back.decode()
            self.sent.append((back['header']['type'], back))
        if self.fail is None:
            return True
        if gone_ok and self.fail in _kernel.GONE:
            return False
        raise _kernel.NetlinkError(self.fail, os.strerror(self.fail))


def _message_class_of(msg):
    """pyroute2's message class of an encoded request's type: links, addresses, routes."""
    typ = msg['header']['type']
    name = 'ifinfmsg' if typ in (_kernel.RTM_NEWLINK, _kernel.RTM_DELLINK) else 'ifaddrmsg' if typ in (_kernel.RTM_NEWADDR, _kernel.RTM_DELADDR) else 'rtmsg'
    return _kernel._message_class(name)  # pylint: disable=protected-access


class FakeNamespaces:
    def __init__(self, chans):
        self.chans = chans

    def chan(self, netns):
        return self.chans[netns]

    def fd(self, netns):
        return {'web01': 7}[netns]


def test_links_create_a_veth_in_one_request_with_the_bridge_resolved():
    host = FakeChan({'docker0': 3})
    _kernel.Links(FakeNamespaces({None: host})).create_veth('vethweb01', 'eth0', 'web01', master='docker0', mtu=1450,
                                                            mac='02:00:00:00:00:01', peer_mac='02:42:ac:11:00:02')
    [(typ, msg)] = host.sent
    assert typ == _kernel.RTM_NEWLINK and msg['flags'] & _kernel.codec.IFF_UP
    assert msg.get_attr('IFLA_MASTER') == 3 and msg.get_attr('IFLA_MTU') == 1450 and msg.get_attr('IFLA_IFNAME') == 'vethweb01'
    peer = msg.get_attr('IFLA_LINKINFO').get_attr('IFLA_INFO_DATA').get_attr('VETH_INFO_PEER')
    assert peer.get_attr('IFLA_IFNAME') == 'eth0' and peer.get_attr('IFLA_NET_NS_FD') == 7
    assert peer.get_attr('IFLA_ADDRESS') == '02:42:ac:11:00:02'
    plain = FakeChan({})
    _kernel.Links(FakeNamespaces({None: plain})).create_veth('left0', 'right0')
    peer = plain.sent[0][1].get_attr('IFLA_LINKINFO').get_attr('IFLA_INFO_DATA').get_attr('VETH_INFO_PEER')
    assert peer.get_attr('IFLA_NET_NS_FD') is None and plain.sent[0][1].get_attr('IFLA_MASTER') is None


def test_links_change_by_name_and_resolve_indexes_when_they_run():
    chan = FakeChan({'eth0': 5, 'docker0': 3})
    links = _kernel.Links(FakeNamespaces({'web01': chan}))
    links.set('web01', 'eth0', up=True, mtu=1400)
    links.set('web01', 'eth0', master='docker0')
    links.add_address('web01', 'eth0', '172.17.0.2/16')
    links.set_default_route('web01', '172.17.0.1', 'eth0')
    (t1, up), (t2, master), (t3, addr), (t4, route) = chan.sent
    assert (t1, t2, t3, t4) == (_kernel.RTM_NEWLINK, _kernel.RTM_NEWLINK, _kernel.RTM_NEWADDR, _kernel.RTM_NEWROUTE)
    assert up.get_attr('IFLA_IFNAME') == 'eth0' and up['index'] == 0 and up['flags'] == 1 and up.get_attr('IFLA_MTU') == 1400
    assert master.get_attr('IFLA_MASTER') == 3
    assert addr['index'] == 5 and addr['prefixlen'] == 16 and addr.get_attr('IFA_LOCAL') == '172.17.0.2'
    assert route.get_attr('RTA_GATEWAY') == '172.17.0.1' and route.get_attr('RTA_OIF') == 5 and route['dst_len'] == 0
    with pytest.raises(_kernel.HostnetError, match='eth9 does not exist'):
        links.add_address('web01', 'eth9', '172.17.0.2/16')


def test_links_deletes_are_idempotent():
    gone = FakeChan({'eth0': 5}, fail=errno.ENODEV)
    links = _kernel.Links(FakeNamespaces({None: gone}))
    assert not links.delete(None, 'v0')
    assert gone.sent[0][1].get_attr('IFLA_IFNAME') == 'v0' and gone.sent[0][0] == _kernel.RTM_DELLINK
    assert not links.del_address(None, 'eth9', '10.0.0.2/24')  # no such link: nothing sent
    assert len(gone.sent) == 1
    gone.fail = errno.EADDRNOTAVAIL
    assert not links.del_address(None, 'eth0', '10.0.0.2/24')
    gone.fail = errno.ESRCH
    assert not links.del_default_route(None, '10.0.0.1', 'eth0')
    route = gone.sent[-1][1]
    assert gone.sent[-1][0] == _kernel.RTM_DELROUTE and route['scope'] == 255 and route.get_attr('RTA_OIF') == 5
    ok = FakeChan({'eth0': 5})
    assert _kernel.Links(FakeNamespaces({None: ok})).delete(None, 'eth0')
    busy = FakeChan({'eth0': 5}, fail=errno.EBUSY)
    with pytest.raises(_kernel.NetlinkError):
        _kernel.Links(FakeNamespaces({None: busy})).delete(None, 'eth0')


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
            ns.chan('web01')
    assert os.listdir(str(tmp_path)) == []


def assert_runs(code):
    """Run ``code`` in a fresh interpreter (imports start from nothing) with this one's path; it must print ok."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, check=False)
    assert res.stdout.strip() == 'ok', res.stderr


def test_imports_without_pyroute2():
    """module_utils must import (and report the missing library) when pyroute2 is absent."""
    code = ('import sys; sys.modules["pyroute2"] = None; sys.modules["netaddr"] = None\n'
            'from ansible_collections.hostnet.containers.plugins.module_utils import _kernel, _ipam, _common, _store, _pyroute2\n'
            'assert not _pyroute2.HAS_PYROUTE2 and "pyroute2" in _pyroute2.PYROUTE2_IMPORT_ERROR\n'
            'assert not _ipam.HAS_NETADDR\n'
            'from ansible_collections.hostnet.containers.plugins.modules import netns, veth_pair\n'
            'print("ok")\n')
    assert_runs(code)


def test_run_dir_made_but_not_mountable_is_removed(tmp_path, monkeypatch):
    """A /run/netns that cannot be made a shared mount point is not left behind, empty (issue 18)."""
    run_dir = tmp_path / 'netns'
    monkeypatch.setattr(_netns, 'NETNS_RUN_DIR', str(run_dir))

    def refuse(*args, **kwargs):
        raise OSError(errno.EPERM, 'mount refused')

    monkeypatch.setattr(_netns, 'mount', refuse)
    with pytest.raises(OSError):
        _netns._ensure_run_dir()  # pylint: disable=protected-access
    assert not run_dir.exists()
    run_dir.mkdir()
    with pytest.raises(OSError):
        _netns._ensure_run_dir()  # pylint: disable=protected-access
    assert run_dir.is_dir()  # one that was there before stays


def test_pyroute2_is_imported_only_to_encode_a_request():
    """A run that changes nothing never imports pyroute2 (its package imports most of itself), nor one that sends only
    the requests encoded here (links set, veths, addresses, routes); the first pyroute2 request built (a bridge)
    imports its netlink core, without the package's __init__ (_pyroute2.modules)."""
    code = ('import sys\n'
            'from ansible_collections.hostnet.containers.plugins.module_utils import _kernel, _common, _bridge, _macvlan, _pyroute2\n'
            'from ansible_collections.hostnet.containers.plugins.modules import (docker_bridge, macvlan_net, nat_rule, netns,\n'
            '    network_info, probe, veth_pair)\n'
            'assert _pyroute2.HAS_PYROUTE2\n'
            'assert not [m for m in sys.modules if m.startswith("pyroute2")], "imported before any request"\n'
            'msg = _kernel.link_set_request(7, up=True)\n'
            'assert msg["index"] == 7 and not [m for m in sys.modules if m.startswith("pyroute2")], "encoded here"\n'
            'msg = _kernel.bridge_request("br0", 1500, "02:42:00:00:00:01", False)\n'
            'assert "pyroute2.netlink.rtnl.ifinfmsg" in sys.modules and "pyroute2.iproute" not in sys.modules\n'
            'print("ok")\n')
    assert_runs(code)


def test_netlink_error_carries_the_errno_and_its_words():
    err = _kernel.NetlinkError(errno.EEXIST)
    assert err.code == errno.EEXIST and err.args == (errno.EEXIST, os.strerror(errno.EEXIST))
    assert _kernel.NetlinkError(errno.EINVAL, 'bad attribute').args[1] == 'bad attribute'


class OneDatagram:
    """A socket holding one datagram of ``size`` bytes, answering recv as the kernel does with MSG_TRUNC."""

    def __init__(self, size):
        self.size = size
        self.asked = []

    def recv(self, bufsize, flags=0):
        self.asked.append((bufsize, flags))
        return b'\0' * (self.size if flags & socket.MSG_TRUNC else min(self.size, bufsize))


def test_a_reply_is_read_with_a_buffer_below_the_mmap_threshold_and_a_cut_one_is_an_error():
    """recv asks 64 KiB, not 1 MiB (an mmap per call); MSG_TRUNC gives a datagram's whole length, so one larger
    than that is refused, not parsed cut."""
    sock = OneDatagram(32768)
    assert len(_kernel._recv(sock)) == 32768  # pylint: disable=protected-access
    assert sock.asked == [(1 << 16, socket.MSG_TRUNC)]
    with pytest.raises(_kernel.HostnetError, match='70000 bytes did not fit'):
        _kernel._recv(OneDatagram(70000))  # pylint: disable=protected-access
