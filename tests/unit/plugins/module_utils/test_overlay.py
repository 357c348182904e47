# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The overlay driver on snapshots made of dicts (no root, no kernel): the entries a run changes, the errors of bad
input, the firewall's VXLAN guard in both backends, remote names, the restore's parameters and the neighbour codec."""

from __future__ import annotations

import socket

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _overlay
from ansible_collections.hostnet.containers.plugins.module_utils import _restore
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

ME, B, C = '192.0.2.11', '192.0.2.12', '192.0.2.13'


class Untouchable:
    def __getattr__(self, name):
        raise AssertionError('planning used the kernel (%s)' % name)


class FakeNs:
    def chan(self, netns=None):
        return Untouchable()

    def open_many(self, names, listed=False):
        assert not list(names), 'planning opened namespaces %s' % names


def link(index, ifname, kind=None, mtu=1500, master=None, up=True, vxlan=None):
    out = {'index': index, 'ifname': ifname, 'kind': kind, 'mtu': mtu, 'mac': '', 'up': up, 'master': master, 'link': None,
           'link_netnsid': None, 'hairpin': None, 'group': 0}
    if vxlan:
        out['vxlan'] = vxlan
    return out


def host(*extra, mtu=1500, route=True, addr=True):
    links = [link(1, 'lo'), link(2, 'ens33', mtu=mtu)] + list(extra)
    addrs = [{'index': 2, 'address': ME + '/24', 'family': 2}] if addr else []
    routes = [{'family': 2, 'dst': None, 'dst_len': 0, 'table': 254, 'oif': 2, 'gateway': '192.0.2.1'}] if route else []
    return _snapshot.Snapshot(links, addrs, routes)


def params(**over):
    p = dict(name='ov1', state='present', vni=4097, subnet='10.20.0.0/24', gateway=None, ip_range=None, aux_addresses=None,
             mtu=None, underlay_interface=None, underlay_ip=None, port=4789, bridge_name=None, icc=True, ip_masquerade=True,
             internal=False, firewall_backend='iptables', dns=False, dns_domain=None, purge_endpoints=False, force=False,
             endpoints=[],
             peers=[{'host': 'a', 'underlay_ip': ME}, {'host': 'b', 'underlay_ip': B}, {'host': 'c', 'underlay_ip': C}],
             remote_endpoints=[{'name': 'c2', 'ip': '10.20.0.3', 'host': 'b'}, {'name': 'c3', 'ip': '10.20.0.4', 'host': C}])
    p.update(over)
    return p


class Run(_overlay.OverlayNetwork):
    def plan_firewall(self, doc):
        self.firewall = {}

    def plan_names(self, doc):
        pass


def plan(p, snap, root, entries=None):
    run = Run(p, FakeNs(), root=str(root))
    run.snap = snap
    if entries is not None:
        snap.vxlan_entries = entries
    run.build()
    return run


def as_left(doc):
    """The host as a run of ``doc`` left it: bridge, VXLAN device and its entries (read back as the kernel lists them)."""
    vx = {'id': doc['vni'], 'local': doc['underlay_ip'], 'link': 2, 'port': doc['port'], 'learning': False, 'proxy': True}
    snap = host(link(10, doc['bridge'], 'bridge', mtu=doc['mtu']), link(11, doc['vxlan'], 'vxlan', mtu=doc['mtu'], master=10, vxlan=vx))
    snap.addrs.append({'index': 10, 'address': doc['gateway'] + '/24', 'family': 2})
    fdb, neigh = _overlay.wanted_entries(doc)
    return snap, {'fdb': [{'mac': m, 'dst': d, 'flags': codec.NTF_SELF, 'index': 11, 'state': codec.NUD_PERMANENT, 'family': 7}
                          for m, d in sorted(fdb)],
                  'neigh': [{'mac': m, 'dst': ip, 'flags': 0, 'index': 11, 'state': codec.NUD_PERMANENT, 'family': 2}
                            for ip, m in sorted(neigh.items())]}


@pytest.fixture
def ov1(tmp_path):
    run = plan(params(), host(), tmp_path)
    _store.save(_network.KIND, 'ov1', run.doc, str(tmp_path))
    return run.doc


def entry_steps(run):
    return [c for c in run.plan.commands if ' entry ' in c]


# -- planning ----------------------------------------------------------------------------------------------------------
def test_new_overlay(tmp_path):
    run = plan(params(), host(), tmp_path)
    doc = run.doc
    vx, br = doc['vxlan'], doc['bridge']
    assert (doc['driver'], br, vx) == ('overlay', 'ov-' + doc['id'][:12], 'vx-' + doc['id'][:12])
    assert (doc['mtu'], doc['underlay_interface'], doc['underlay_ip'], doc['peers']) == (1450, 'ens33', ME, {'b': B, 'c': C})
    assert doc['remote_endpoints']['c3'] == {'ip': '10.20.0.4', 'mac': '02:42:0a:14:00:04', 'host': 'c', 'aliases': []}
    assert run.plan.commands[:5] == ['write network state ov1', 'create bridge %s' % br, 'add 10.20.0.1/24 to %s' % br,
                                     'set %s up' % br, 'create vxlan %s (VNI 4097, local %s dev ens33, port 4789) on %s' % (vx, ME, br)]
    assert sorted(entry_steps(run)) == sorted([
        'add flood entry to %s to %s' % (B, vx), 'add flood entry to %s to %s' % (C, vx),
        'add forwarding entry 02:42:0a:14:00:03 dst %s to %s' % (B, vx), 'add forwarding entry 02:42:0a:14:00:04 dst %s to %s' % (C, vx),
        'add neighbour entry 10.20.0.3 lladdr 02:42:0a:14:00:03 to %s' % vx, 'add neighbour entry 10.20.0.4 lladdr 02:42:0a:14:00:04 to %s' % vx])
    # Each entry step builds a request that encodes, all in one batch.
    steps = [s for s in run.plan.steps if ' entry ' in s.text]
    assert len({id(s.batch) for s in steps}) == 1
    for step in steps:
        step.do(11).encode()


def test_rerun_changes_nothing(tmp_path, ov1):
    snap, entries = as_left(ov1)
    run = plan(params(), snap, tmp_path, entries)
    assert run.plan.commands == [] and run.doc == ov1


def test_one_remote_container_more_is_one_fdb_and_one_neigh_step(tmp_path, ov1):
    snap, entries = as_left(ov1)
    remote = params()['remote_endpoints'] + [{'name': 'c4', 'ip': '10.20.0.5', 'host': 'b'}]
    run = plan(params(remote_endpoints=remote), snap, tmp_path, entries)
    vx = ov1['vxlan']
    assert run.plan.commands == ['write network state ov1', 'add forwarding entry 02:42:0a:14:00:05 dst %s to %s' % (B, vx),
                                 'add neighbour entry 10.20.0.5 lladdr 02:42:0a:14:00:05 to %s' % vx]


def test_a_peer_removed_takes_its_flood_and_containers_entries(tmp_path, ov1):
    snap, entries = as_left(ov1)
    p = params(peers=params()['peers'][:2], remote_endpoints=params()['remote_endpoints'][:1])
    run = plan(p, snap, tmp_path, entries)
    vx = ov1['vxlan']
    assert entry_steps(run) == ['remove flood entry to %s from %s' % (C, vx),
                                'remove forwarding entry 02:42:0a:14:00:04 dst %s from %s' % (C, vx),
                                'remove neighbour entry 10.20.0.4 lladdr 02:42:0a:14:00:04 from %s' % vx]
    assert run.doc['peers'] == {'b': B} and list(run.doc['remote_endpoints']) == ['c2']


def test_a_container_moved_to_another_host(tmp_path, ov1):
    snap, entries = as_left(ov1)
    remote = [{'name': 'c2', 'ip': '10.20.0.3', 'host': 'c'}, {'name': 'c3', 'ip': '10.20.0.4', 'host': C}]
    vx = ov1['vxlan']
    assert entry_steps(plan(params(remote_endpoints=remote), snap, tmp_path, entries)) == [
        'remove forwarding entry 02:42:0a:14:00:03 dst %s from %s' % (B, vx), 'add forwarding entry 02:42:0a:14:00:03 dst %s to %s' % (C, vx)]


def test_stray_entries_go_and_changed_settings_recreate_the_device(tmp_path, ov1):
    snap, entries = as_left(ov1)
    entries['fdb'].append({'mac': '02:00:00:00:00:09', 'dst': '198.51.100.9', 'flags': codec.NTF_SELF, 'index': 11, 'state': 0x80, 'family': 7})
    assert entry_steps(plan(params(), snap, tmp_path, entries)) == ['remove forwarding entry 02:00:00:00:00:09 dst 198.51.100.9 from %s' % ov1['vxlan']]
    snap, entries = as_left(ov1)
    run = plan(params(port=4790), snap, tmp_path, entries)
    assert run.plan.commands[1:3] == ['delete %s (its VXLAN settings change)' % ov1['vxlan'],
                                      'create vxlan %s (VNI 4097, local %s dev ens33, port 4790) on %s' % (ov1['vxlan'], ME, ov1['bridge'])]
    assert len(entry_steps(run)) == 6  # a new device has none of them


def test_local_endpoints_never_take_a_remote_address(tmp_path):
    run = plan(params(subnet='10.20.0.0/29', endpoints=[{'name': 'c1'}, {'name': 'c5'}]), host(), tmp_path)
    assert (run.doc['endpoints']['c1']['ip'], run.doc['endpoints']['c5']['ip']) == ('10.20.0.2', '10.20.0.5')


# -- bad input: the option and the value ---------------------------------------------------------------------------------
@pytest.mark.parametrize('over, snap, match', [
    ({'vni': None}, None, "vni null: is required for a new overlay network"),
    ({'vni': 1 << 24}, None, "vni 16777216: must be 1-16777215"),
    ({'subnet': None}, None, "subnet null: is required"),
    ({}, host(route=False), "underlay_interface null: the host has no IPv4 or IPv6 default route"),
    ({'underlay_interface': 'ens33'}, host(addr=False), "underlay_interface 'ens33': has no IPv4 or global IPv6 address"),
    ({'underlay_ip': '192.0.2.99'}, None, "underlay_ip '192.0.2.99': is not an address of this host"),
    ({'mtu': 1451}, None, "mtu 1451: is above the underlay ens33 MTU 1500 less 50 bytes"),
    ({}, host(mtu=600), "underlay_interface 'ens33': has MTU 600, which leaves 550"),
    ({'remote_endpoints': [{'name': 'c2', 'ip': '10.30.0.3', 'host': 'b'}]}, None, r"remote_endpoints\[0\].ip '10.30.0.3': is not inside subnet"),
    ({'remote_endpoints': [{'name': 'c2', 'ip': '10.20.0.3', 'host': 'b'}, {'name': 'c3', 'ip': '10.20.0.3', 'host': 'c'}]}, None,
     r"remote_endpoints\[1\].ip '10.20.0.3': is also the address of container 'c2'"),
    ({'endpoints': [{'name': 'c1', 'ip': '10.20.0.3'}]}, None, r"remote_endpoints\[0\].ip '10.20.0.3': is also the address of container 'c1'"),
    ({'remote_endpoints': [{'name': 'c2', 'ip': '10.20.0.3', 'host': 'zz'}]}, None, r"remote_endpoints\[0\].host 'zz': is not a peer"),
    ({'endpoints': [{'name': 'c1', 'aliases': ['web']}], 'remote_endpoints': [{'name': 'c2', 'ip': '10.20.0.3', 'host': 'b', 'aliases': ['Web']}]},
     None, r"remote_endpoints\[0\].aliases 'Web': is already a name of container 'c1'"),
    ({'peers': [{'host': 'b', 'underlay_ip': B}, {'host': 'c', 'underlay_ip': B}]}, None,
     r"peers\[1\].underlay_ip '192.0.2.12': is also the underlay address of peer 'b'"),
])
def test_bad_input_names_option_and_value(tmp_path, over, snap, match):
    with pytest.raises(_validate.InputError, match=match):
        plan(params(**over), snap or host(), tmp_path)


def test_vni_and_subnet_clash_with_another_network(tmp_path, ov1):
    with pytest.raises(_validate.InputError, match="vni 4097: is also the VNI of overlay network 'ov1'"):
        plan(params(name='ov2', subnet='10.21.0.0/24'), host(), tmp_path)
    with pytest.raises(_validate.InputError, match="subnet '10.20.0.128/25'.*overlaps subnet 10.20.0.0/24 of network 'ov1'"):
        plan(params(name='ov2', vni=4098, subnet='10.20.0.128/25'), host(), tmp_path)
    snap, entries = as_left(ov1)
    with pytest.raises(_validate.InputError, match="vni 4098: the network has VNI 4097"):
        plan(params(vni=4098), snap, tmp_path, entries)


def test_a_foreign_vxlan_device_with_the_vni_is_refused(tmp_path):
    snap = host(link(5, 'vxlan100', 'vxlan', vxlan={'id': 4097, 'local': None, 'link': 2, 'port': 4789, 'learning': True, 'proxy': False}))
    with pytest.raises(_validate.ForeignLinkError, match="vni 4097: the host already has a VXLAN device vxlan100"):
        plan(params(), snap, tmp_path)


# -- the pure pieces -------------------------------------------------------------------------------------------------------
def overlay_doc(**over):
    doc = {'name': 'ov1', 'driver': 'overlay', 'bridge': 'ov-1', 'subnet': '10.20.0.0/24', 'gateway': '10.20.0.1', 'firewall': True,
           'firewall_backend': 'iptables', 'port': 4789, 'peers': {'b': B, 'c': C}, 'endpoints': {}, 'ip_masquerade': True}
    doc.update(over)
    return doc


def test_vxlan_guard_in_both_backends():
    nets = {'ov1': overlay_doc(), 'ov2': overlay_doc(name='ov2', bridge='ov-2', subnet='10.21.0.0/24', firewall_backend='nftables',
                                                     peers={'d': '192.0.2.14'})}
    ipt = [_firewall_iptables.render(r) for r in _firewall_rules.desired_rules(nets, {}, 'iptables') if r.chain == 'INPUT']
    assert ipt == ['-A HOSTNET-INPUT -s %s/32 -p udp -m udp --dport 4789 -j ACCEPT' % ip for ip in (B, C, '192.0.2.14')] + \
        ['-A HOSTNET-INPUT -p udp -m udp --dport 4789 -j DROP']
    nft = [r for r in _firewall_rules.desired_rules(nets, {}, 'nftables') if r.chain == 'INPUT']
    assert [(r.match.get('src'), r.target) for r in nft] == [(B, 'ACCEPT'), (C, 'ACCEPT'), ('192.0.2.14', 'ACCEPT'), (None, 'DROP')]
    assert _firewall_nftables.CHAINS[('filter', 'INPUT')][1]['hook'] == 'input'
    assert all(_firewall_nftables.render(r) for r in nft)
    # The bridge-like rules: masquerade of the subnet out of anything but the bridge.
    assert any(r.target == 'MASQUERADE' and r.match == {'src': '10.20.0.0/24', 'oif': '!ov-1'}
               for r in _firewall_rules.desired_rules(nets, {}, 'iptables'))
    assert _firewall_rules.desired_sysctls(nets)[_firewall_rules.IP_FORWARD] == '1'


def test_remote_containers_have_names_but_no_resolver():
    doc = overlay_doc(dns=True, endpoints={'c1': {'ip': '10.20.0.2', 'aliases': []}},
                      remote_endpoints={'c2': {'ip': '10.20.0.3', 'mac': 'x', 'host': 'b', 'aliases': ['web']}})
    want = _dns.hosts_wanted(doc)
    assert set(want) == {'c1', '@c2'} and want['@c2'].startswith('10.20.0.3\tc2 web c2.ov1.hostnet.internal')
    dirs = {'ov1': {'hosts': {'c1': None, '@c2': None}, 'conf': 'listen-address=10.20.0.1\nlocal=/ov1.hostnet.internal/\n'}}
    assert _dns.resolver_candidates('ov1', {'ov1': doc}, {'ov1': doc}, dirs) == []


def test_restore_parameters_rebuild_the_overlay_as_stored(tmp_path, ov1):
    driver, p = _restore.network_params(ov1)
    assert driver == 'overlay' and p['vni'] == 4097 and p['underlay_ip'] == ME
    assert p['peers'] == [{'host': 'b', 'underlay_ip': B}, {'host': 'c', 'underlay_ip': C}]
    snap, entries = as_left(ov1)
    run = plan(p, snap, tmp_path, entries)
    assert run.plan.commands == [] and run.doc == ov1


def test_neighbour_requests_and_their_decoding():
    req = codec.neigh_request(codec.RTM_NEWNEIGH, codec.AF_BRIDGE, 11, _overlay.FLOOD_MAC, B, append=True)
    req['header']['sequence_number'] = 5
    req.encode()
    (typ, flags, seq, off, end), = list(codec._messages(req.data))  # pylint: disable=protected-access
    assert (typ, flags & codec.NLM_F_APPEND, seq) == (codec.RTM_NEWNEIGH, codec.NLM_F_APPEND, 5)
    assert codec.parse_neigh(req.data, off, end) == {'family': codec.AF_BRIDGE, 'index': 11, 'state': codec.NUD_PERMANENT,
                                                     'flags': codec.NTF_SELF, 'dst': B, 'mac': _overlay.FLOOD_MAC}
    req = codec.neigh_request(codec.RTM_DELNEIGH, socket.AF_INET, 11, '02:42:0a:14:00:03', '10.20.0.3')
    req.encode()
    (typ, flags, seq, off, end), = list(codec._messages(req.data))  # pylint: disable=protected-access
    assert (typ, flags) == (codec.RTM_DELNEIGH, 0)
    assert codec.parse_neigh(req.data, off, end)['dst'] == '10.20.0.3'
    assert len(codec.neigh_dump_request(codec.AF_BRIDGE, 11, 1)) == 32 and len(codec.neigh_dump_request(socket.AF_INET, 11, 1)) == 36
