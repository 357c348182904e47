# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every kind of request the engine has pyroute2 encode, pinned to its bytes (length and SHA-256).

make test runs the unit tests under the newest pyroute2 (units) and under Debian 12's 0.7.x (units-deb); both pass
only when the two versions send the kernel the same bytes. That is what lets the integration tests that only send
these requests run under the newest pyroute2 alone (docs/development.md, Two pyroute2 versions): what differs by version
(tc, conntrack, the DHCP hook's IPRoute) is still run under both there.

A change to a builder changes its bytes: check the new message (decode it with pyroute2, or
``hostnet.containers.plugins.module_utils._kernel_codec``) and put the new length and digest here.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _bandwidth
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
from ansible_collections.hostnet.containers.plugins.module_utils import _macvlan

pytestmark = pytest.mark.skipif(not _pyroute2.HAS_PYROUTE2, reason='pyroute2 is not installed')

K = _kernel
BUILDERS = {
    'veth into a namespace, on a bridge': lambda: K.veth_request('veth1a2b3c4', 'eth0', 5, master=3, mtu=1400, mac='02:42:ac:11:00:02',
                                                                 peer_mac='02:42:ac:11:00:03'),
    'veth, echoed, no namespace': lambda: K.veth_request('veth1a2b3c4', 'eth0', None, echo=True),
    'bridge': lambda: K.bridge_request('br-0123456789ab', 1500, '02:42:8e:1f:00:01', False),
    'bridge with stp': lambda: K.bridge_request('docker0', 9000, '02:42:8e:1f:00:02', True),
    'macvlan': lambda: _macvlan.macvlan_request('eth0', 2, 'bridge', 1500, '02:42:0a:00:00:02', 5),
    'vlan': lambda: K.vlan_request('ens33.10', 2, 10),
    'vxlan over IPv4': lambda: K.vxlan_request('vx-0123456789', 4097, '10.138.3.130', 2, 4789, 1450),
    'vxlan over IPv6': lambda: K.vxlan_request('vx-0123456789', 4097, 'fd00:1::2', 2, 4789, 1430),
    'veth pair on the host': lambda: K.veth_pair_request('hn-parent', 'hn-parentp', 1500),
    'set up': lambda: K.link_set_request(4, up=True),
    'set down, renamed': lambda: K.link_set_request(4, ifname='eth1', up=False),
    'set by name: master, mtu, address, group': lambda: K.link_set_request(ifname='veth1', master=3, mtu=1400, address='02:42:ac:11:00:09',
                                                                           group=77),
    'move into a namespace': lambda: K.link_set_request(6, net_ns_fd=9),
    'hairpin': lambda: K.link_set_request(ifname='veth1', hairpin=True),
    'delete by index': lambda: K.link_del_request(4),
    'delete by name': lambda: K.link_del_request(ifname='veth1'),
    'delete a group': lambda: K.link_del_request(group=77),
    'new IPv4 address': lambda: K.addr_request(K.RTM_NEWADDR, 4, '172.17.0.2/16'),
    'deleted IPv4 address': lambda: K.addr_request(K.RTM_DELADDR, 4, '172.17.0.2/16'),
    'new IPv4 /31': lambda: K.addr_request(K.RTM_NEWADDR, 4, '10.0.0.0/31'),
    'new IPv6 address': lambda: K.addr_request(K.RTM_NEWADDR, 4, 'fd00:17::2/64'),
    'deleted IPv6 address': lambda: K.addr_request(K.RTM_DELADDR, 4, 'fd00:17::2/64'),
    'tbf': lambda: _bandwidth.tbf_request(4, 10_000_000, 12500),
    'tbf removed': lambda: _bandwidth.del_request(4),
}

# (request, length, the first 32 hex digits of its SHA-256), as both pyroute2 versions encode it.
PINNED = [
    ('veth into a namespace, on a bridge', 156, 'b19fa0120afbd6aa22e6e7909b8e6dce'),
    ('veth, echoed, no namespace', 100, 'ccbeda98b2a070723ac000d62b7b94a9'),
    ('bridge', 108, '8ebc946fe9b32454ae9bdc2bcfc9f873'),
    ('bridge with stp', 100, 'e09076f038ae3f2974f2c355ba0810bc'),
    ('macvlan', 108, 'ac8df60c393ced759229dd92e0fd6c86'),
    ('vlan', 84, '8ccf5c143139bee7a2912084f922c529'),
    ('vxlan over IPv4', 128, 'd07fdf080e8d8f158c1feebdc1eb0c2c'),
    ('vxlan over IPv6', 140, '47c93cc515381636a768c550e8e2612c'),
    ('veth pair on the host', 112, '58c4f308d8c9cdd470eedeea41ccc720'),
    ('set up', 32, '7b6e885835deea14165e82575a867157'),
    ('set down, renamed', 44, '857f7c03d3cd10c764454955ede0a6aa'),
    ('set by name: master, mtu, address, group', 80, 'b0671fe6bf8df3769bdce775b10e6ffa'),
    ('move into a namespace', 40, '144d9b400f9b2aad501c25a465ef623f'),
    ('hairpin', 72, '16de9cbea07b423538ece4ea454982c5'),
    ('delete by index', 32, '4ece4b5892baccf0eed6248d15e60911'),
    ('delete by name', 44, 'b83a95be22dd4cfa02d39f856136f62a'),
    ('delete a group', 40, 'bb364a917d934fee3ad31557f6cb6789'),
    ('new IPv4 address', 48, 'a3b514b0768e85680fd85589b1a3ffd3'),
    ('deleted IPv4 address', 40, '33be09a7adde36bf69da54d02cd0cdd4'),
    ('new IPv4 /31', 40, 'f817bd17875764184a5a291bb5b199dc'),
    ('new IPv6 address', 44, '0ac2a05015d303e8dca35933e3a11636'),
    ('deleted IPv6 address', 44, 'fa68d368afce2242768ac70aa3954eb6'),
    ('tbf', 1116, '1bbb7f32eb7fc74c9741f868e5c84ee6'),
    ('tbf removed', 36, '8636e1e097a914715e50bcfcafd673b9'),
]


def encoded(msg):
    """The bytes Channel.run sends for ``msg`` (sequence number 1)."""
    msg['header']['sequence_number'] = 1
    msg['header']['flags'] |= K.NLM_F_REQUEST | K.NLM_F_ACK
    msg.encode()
    return bytes(msg.data)


def test_every_builder_is_pinned():
    assert sorted(BUILDERS) == sorted(p[0] for p in PINNED)


@pytest.mark.parametrize('name, length, digest', PINNED, ids=[p[0] for p in PINNED])
def test_the_request_has_its_pinned_bytes(name, length, digest):
    data = encoded(BUILDERS[name]())
    assert (len(data), hashlib.sha256(data).hexdigest()[:32]) == (length, digest), data.hex()


# In a fresh interpreter, as a module run: the message classes come from _pyroute2.modules, without pyroute2's __init__.
FRESH = """
import hashlib, json, sys
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
sys.path.insert(0, sys.argv[1])
import test_kernel_encoding as t
digests = {name: [len(d), hashlib.sha256(d).hexdigest()[:32]] for name, d in ((n, t.encoded(b())) for n, b in t.BUILDERS.items())}
light = 'pyroute2' not in sys.modules and len([m for m in sys.modules if m.startswith('pyroute2.')])
import pyroute2
print(json.dumps({'digests': digests, 'light': light, 'full': hasattr(pyroute2, 'IPRoute')}))
"""


def test_a_fresh_run_imports_the_classes_alone_and_encodes_the_same_bytes():
    """_pyroute2.modules imports the netlink core without the package's __init__ (its whole API), then leaves the package
    to a later ``import pyroute2``, which still gets all of it; the requests are the pinned bytes."""
    here = os.path.dirname(os.path.abspath(__file__))
    res = subprocess.run([sys.executable, '-c', FRESH, here], capture_output=True, text=True, check=False,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)))
    assert res.returncode == 0, res.stderr
    got = json.loads(res.stdout)
    assert got['digests'] == {name: [length, digest] for name, length, digest in PINNED}
    # Only the netlink core and tc (about 60 of the 160 modules a plain import loads), and no 'pyroute2' left standing in.
    assert got['light'] and got['light'] < 100, got['light']
    assert got['full'] is True


# The requests the codec encodes with struct, as pyroute2 encodes the same message (what the builders made before):
# the bytes must be equal under whichever pyroute2 is installed (units and units-deb run this).
def _pyroute2_veth(ifname, peer_name, fd, master=None, mtu=None, mac=None, peer_mac=None, echo=False):
    peer = {'attrs': [('IFLA_IFNAME', peer_name)] + ([('IFLA_NET_NS_FD', fd)] if fd is not None else [])
            + ([('IFLA_ADDRESS', peer_mac)] if peer_mac else []) + ([('IFLA_MTU', mtu)] if mtu else [])}
    attrs = [('IFLA_IFNAME', ifname)] + ([('IFLA_MASTER', master)] if master else []) + ([('IFLA_MTU', mtu)] if mtu else [])
    attrs += ([('IFLA_ADDRESS', mac)] if mac else [])
    attrs.append(('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'veth'), ('IFLA_INFO_DATA', {'attrs': [('VETH_INFO_PEER', peer)]})]}))
    return K.request('ifinfmsg', K.RTM_NEWLINK, K.NLM_F_CREATE | K.NLM_F_EXCL | (K.NLM_F_ECHO if echo else 0), flags=K.codec.IFF_UP,
                     change=K.codec.IFF_UP, attrs=attrs)


def _pyroute2_addr(msg_type, index, cidr, brd=None):
    ip, plen = cidr.split('/')
    flags = K.NLM_F_CREATE | K.NLM_F_EXCL if msg_type == K.RTM_NEWADDR else 0
    if ':' in ip:
        return K.request('ifaddrmsg', msg_type, flags, family=10, prefixlen=int(plen), flags=K.IFA_F_NODAD, index=index,
                         attrs=[('IFA_ADDRESS', ip)])
    attrs = [('IFA_LOCAL', ip), ('IFA_ADDRESS', ip)] + ([('IFA_BROADCAST', brd)] if brd else [])
    return K.request('ifaddrmsg', msg_type, flags, family=2, prefixlen=int(plen), index=index, attrs=attrs)


SAME_AS_PYROUTE2 = [
    (lambda: K.veth_request('veth0c1', 'eth1', 7, master=2, mtu=9000, mac='02:42:ac:11:00:05', peer_mac='02:42:ac:11:00:06', echo=True),
     lambda: _pyroute2_veth('veth0c1', 'eth1', 7, master=2, mtu=9000, mac='02:42:ac:11:00:05', peer_mac='02:42:ac:11:00:06', echo=True)),
    (lambda: K.veth_request('a-very-long-nam', 'e', None), lambda: _pyroute2_veth('a-very-long-nam', 'e', None)),
    (lambda: K.veth_request('veth0c2', 'eth0', 0), lambda: _pyroute2_veth('veth0c2', 'eth0', 0)),  # fd 0 is an fd
    (lambda: K.link_set_request(9, up=False, mtu=1280),
     lambda: K.request('ifinfmsg', K.RTM_NEWLINK, index=9, flags=0, change=K.codec.IFF_UP, attrs=[('IFLA_MTU', 1280)])),
    (lambda: K.link_set_request(ifname='vethx', master=0),
     lambda: K.request('ifinfmsg', K.RTM_NEWLINK, index=0, attrs=[('IFLA_IFNAME', 'vethx'), ('IFLA_MASTER', 0)])),
    (lambda: K.link_set_request(3, hairpin=False), lambda: K.request('ifinfmsg', K.RTM_NEWLINK, index=3, attrs=[(
        'IFLA_LINKINFO', {'attrs': [('IFLA_INFO_SLAVE_KIND', 'bridge'), ('IFLA_INFO_SLAVE_DATA', {'attrs': [('IFLA_BRPORT_MODE', 0)]})]})])),
    (lambda: K.addr_request(K.RTM_NEWADDR, 12, '10.255.255.254/8'), lambda: _pyroute2_addr(K.RTM_NEWADDR, 12, '10.255.255.254/8', '10.255.255.255')),
    (lambda: K.addr_request(K.RTM_DELADDR, 12, '10.1.2.3/32'), lambda: _pyroute2_addr(K.RTM_DELADDR, 12, '10.1.2.3/32')),
    (lambda: K.addr_request(K.RTM_NEWADDR, 12, '2001:db8:1::ff/48'), lambda: _pyroute2_addr(K.RTM_NEWADDR, 12, '2001:db8:1::ff/48')),
]


@pytest.mark.parametrize('ours, theirs', SAME_AS_PYROUTE2)
def test_the_codec_encodes_what_pyroute2_encodes(ours, theirs):
    assert encoded(ours()) == encoded(theirs())
