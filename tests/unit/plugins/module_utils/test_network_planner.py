# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge and macvlan planners on snapshots made of dicts: no root, no kernel.

Every run here gets a Namespaces whose sockets fail on first use, so a planner that read the kernel while
planning would fail these tests.  The state store is a temporary directory; a "rerun" saves the document the
previous run planned and plans again against a snapshot of the host as that run left it.
"""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _batch
from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec
from ansible_collections.hostnet.containers.plugins.module_utils import _macvlan
from ansible_collections.hostnet.containers.plugins.module_utils import _model
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


# -- fakes ------------------------------------------------------------------------------------------------------------
class Untouchable:
    def __getattr__(self, name):
        raise AssertionError('planning used the kernel (%s)' % name)


class FakeNs:
    """Sockets that fail on use while planning; ``live`` (a RecordingNs) takes over to run steps and undos."""
    live = None

    def chan(self, netns=None):
        return self.live.chan(netns) if self.live else Untouchable()

    def open_many(self, names, listed=False):
        assert not list(names), 'planning opened namespaces %s' % names

    def fd(self, netns):
        return 7


class FakeCtx:
    """What an EndpointBatch gives the request builders."""

    def fd(self, netns):
        return 7

    def device_index(self):
        return 10

    def peer(self, veth):
        return 2

    def index(self, netns, ifname):
        return 3


def link(index, ifname, kind=None, mtu=1500, mac='', up=True, master=None, peer=None, hairpin=None):
    return {'index': index, 'ifname': ifname, 'kind': kind, 'mtu': mtu, 'mac': mac, 'up': up, 'master': master,
            'link': peer, 'link_netnsid': None, 'hairpin': hairpin, 'group': 0}


def default_route(gateway, oif):
    return {'family': 2, 'dst': None, 'dst_len': 0, 'table': 254, 'oif': oif, 'gateway': gateway}


def bridge_params(**over):
    params = dict(name='net1', state='present', bridge_name=None, subnet='10.10.0.0/24', gateway=None, ip_range=None,
                  aux_addresses=None, address_pools=None, mtu=None, stp=False, icc=True, ip_masquerade=True,
                  internal=False, host_binding_ipv4='0.0.0.0', ip_forward=True, firewall=False, firewall_backend='auto',
                  dns=False, purge_endpoints=False, force=False, endpoints=[{'name': 'c1'}, {'name': 'c2'}])
    params.update(over)
    return params


def macvlan_params(**over):
    params = dict(name='mac1', state='present', parent='ens33', mode='bridge', subnet='10.20.0.0/24', gateway=None,
                  ip_range=None, aux_addresses=None, address_pools=None, mtu=None, purge_endpoints=False, force=False,
                  host_shim=None, endpoints=[{'name': 'c1'}, {'name': 'c2'}])
    params.update(over)
    return params


class BridgeRun(_bridge.BridgeNetwork):
    """The bridge planner without the firewall and the names (their own planners, tested with their modules)."""

    def plan_firewall(self, doc):
        self.firewall = {'planned': doc is not None}

    def plan_names(self, doc):
        pass


def plan(cls, params, snap, root):
    run = cls(params, FakeNs(), root=str(root))
    run.snap = snap
    run.before, run.after = run.build()
    return run


def commit(run, root):
    _store.save(_network.KIND, run.name, run.doc, str(root))


def empty_host(*links, netns=()):
    return _snapshot.Snapshot([link(1, 'lo')] + list(links), netns=netns)


# -- a host as a bridge run left it -----------------------------------------------------------------------------------
def bridge_host(doc, netns_extra=()):
    """The snapshot of a host where ``doc``'s network and endpoints are all as planned (an internal network gives its
    containers no default route)."""
    links = [link(1, 'lo'), link(10, doc['bridge'], 'bridge', mtu=doc['mtu'], mac=_bridge.bridge_mac(doc['id']))]
    addrs = [{'index': 10, 'address': '%s/%s' % (doc['gateway'], doc['subnet'].split('/')[1]), 'family': 2}]
    views = {}
    for i, (cname, ep) in enumerate(sorted(doc['endpoints'].items())):
        host_end = 100 + i
        links.append(link(host_end, ep['veth'], 'veth', mtu=doc['mtu'], master=10, peer=2, hairpin=True))
        views[cname] = _snapshot.NetnsView(
            [link(1, 'lo'), link(2, ep['ifname'], 'veth', mtu=doc['mtu'], mac=ep['mac'], peer=host_end)],
            [{'index': 2, 'address': '%s/%s' % (ep['ip'], doc['subnet'].split('/')[1]), 'family': 2}],
            None if doc.get('internal') else default_route(doc['gateway'], 2), partial=True)
    return _snapshot.Snapshot(links, addrs, netns=set(views) | set(netns_extra), views=views)


@pytest.fixture
def bridge_net(tmp_path):
    """A bridge network with c1 and c2, planned on an empty host and recorded."""
    run = plan(BridgeRun, bridge_params(), empty_host(), tmp_path)
    commit(run, tmp_path)
    return run.doc


# -- bridge: a new network --------------------------------------------------------------------------------------------
def test_new_bridge_network(tmp_path):
    run = plan(BridgeRun, bridge_params(), empty_host(), tmp_path)
    doc = run.doc
    bridge = doc['bridge']
    assert bridge == 'br-' + doc['id'][:12]
    c1, c2 = doc['endpoints']['c1'], doc['endpoints']['c2']
    assert (c1['ip'], c2['ip']) == ('10.10.0.2', '10.10.0.3')
    assert c1['mac'] == '02:42:0a:0a:00:02' and c1['ifname'] == 'eth0' and c1['default_route'] is True
    assert c1['veth'] == _network.veth_name(doc['id'], 'c1') and c1['publish'] == []
    assert run.plan.commands == [
        'write network state net1', 'record network namespaces c1, c2 (created for network:net1)',
        'create bridge %s' % bridge, 'add 10.10.0.1/24 to %s' % bridge, 'set %s up' % bridge,
        'create network namespace c1', 'set lo up in c1', 'connect c1 to net1: eth0 10.10.0.2/24 via %s' % c1['veth'],
        'create network namespace c2', 'set lo up in c2', 'connect c2 to net1: eth0 10.10.0.3/24 via %s' % c2['veth']]
    assert run.before is None and 'default_route' not in run.after['endpoints']['c1']
    assert run.firewall == {'planned': True}
    # The connect step builds requests that encode.
    step = next(s for s in run.plan.steps if s.text.startswith('connect c1'))
    # veth (its host end down), IPv6 off on the host end, then hairpin and up once it is off; peer, up, address,
    # default route; IPv6 off on the container end (an IPv4-only network); the gateway's neighbour entry with the
    # bridge's MAC
    assert [op[0] for op in step.do] == [None, 'sysctl', _batch.LATE, 'peer', 'c1', 'c1', 'c1', 'sysctl', 'c1']
    assert step.do[1] == ('sysctl', None, c1['veth'], (('disable_ipv6', '1'),))
    assert step.do[-2] == ('sysctl', 'c1', 'eth0', (('disable_ipv6', '1'),))
    for op in step.do:
        if callable(op[-1]):
            op[-1](FakeCtx()).encode()
    neigh = step.do[-1][1](FakeCtx())
    neigh.encode()
    (typ, dummy, dummy, off, end), = list(_kernel_codec._messages(neigh.data))  # pylint: disable=protected-access
    entry = _kernel_codec.parse_neigh(neigh.data, off, end)
    assert typ == _kernel_codec.RTM_NEWNEIGH and entry['state'] == _kernel_codec.NUD_PERMANENT
    assert (entry['dst'], entry['mac']) == ('10.10.0.1', _bridge.bridge_mac(run.doc['id']))


def test_a_kernel_without_ipv6_has_nothing_to_turn_off(tmp_path):
    snap = empty_host()
    snap.kernel_ipv6 = False
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    step = next(s for s in run.plan.steps if s.text.startswith('connect c1'))
    assert 'sysctl' not in [op[0] for op in step.do] and _batch.LATE not in [op[0] for op in step.do]


def test_rerun_changes_nothing_and_keeps_addresses(tmp_path, bridge_net):
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c2'}, {'name': 'c1'}]), bridge_host(bridge_net), tmp_path)
    assert run.plan.commands == []
    assert run.doc == bridge_net


def test_a_host_end_with_ipv6_on_gets_it_turned_off(tmp_path, bridge_net, monkeypatch):
    # Made by an earlier version (or turned on since): the rerun turns it off in the endpoint batch, and puts it back
    # on when the run is undone; the ends it reads are the checked endpoints' host ends.
    veth = bridge_net['endpoints']['c1']['veth']
    asked = []
    monkeypatch.setattr(_snapshot, 'host_ipv6_on', lambda names: asked.extend(names) or {veth})
    run = plan(BridgeRun, bridge_params(), bridge_host(bridge_net), tmp_path)
    assert sorted(asked) == sorted(ep['veth'] for ep in bridge_net['endpoints'].values())
    assert run.plan.commands == ['turn IPv6 off on %s' % veth]
    assert run.plan.steps[0].do == [('sysctl', None, veth, (('disable_ipv6', '1'),))]
    written = []
    monkeypatch.setattr(_batch, 'write_link_sysctls', lambda ifname, values, conf=None: written.append((ifname, values)))
    run.plan.steps[0].undo()
    assert written == [(veth, (('disable_ipv6', '0'),))]


def test_existing_bridge_wrong_mtu_down_no_gateway(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    bridge = bridge_net['bridge']
    snap.links[bridge].update(mtu=9000, up=False)
    snap.addrs = []
    cmds = plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands
    assert cmds == ['set mtu 1500 on %s' % bridge, 'add 10.10.0.1/24 to %s' % bridge, 'set %s up' % bridge]


def test_mtu_from_the_default_route_interface(tmp_path):
    """A new network without an mtu takes the MTU of the host's default-route interface (netavark 1.16), IPv4's first,
    then IPv6's, 1500 when there is none; one that exists keeps its own, and a given mtu wins."""
    uplink, other = link(2, 'ens33', mtu=1450), link(3, 'ens34', mtu=9000)
    links = [uplink, other]
    assert _snapshot.uplink_mtu(links, [default_route('10.0.0.1', 3)]) == 9000
    assert _snapshot.uplink_mtu(links, [dict(default_route(None, 2), dst_len=24)], [default_route('fe80::1', 2)]) == 1450
    assert _snapshot.uplink_mtu(links, []) is None
    snap = empty_host(uplink, other)
    snap.uplink_mtu = 1450
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    assert run.doc['mtu'] == 1450 and run.after['mtu'] == 1450
    assert 'create bridge %s' % run.doc['bridge'] in run.plan.commands
    commit(run, tmp_path)
    host = bridge_host(run.doc)
    host.uplink_mtu = 9000  # the uplink changed since: the network keeps the MTU it was made with
    rerun = plan(BridgeRun, bridge_params(), host, tmp_path)
    assert rerun.plan.commands == [] and rerun.doc['mtu'] == 1450
    assert plan(BridgeRun, bridge_params(name='net2', subnet='10.11.0.0/24', mtu=1400), snap, tmp_path).doc['mtu'] == 1400
    assert plan(BridgeRun, bridge_params(name='net3', subnet='10.12.0.0/24'), empty_host(), tmp_path).doc['mtu'] == 1500


def test_only_a_new_network_without_mtu_reads_the_uplink(tmp_path):
    run = BridgeRun(bridge_params(), FakeNs(), root=str(tmp_path))
    assert run.driver.needs_uplink(run) is True
    assert run.driver.needs_uplink(BridgeRun(bridge_params(mtu=1400), FakeNs(), root=str(tmp_path))) is False
    assert run.driver.needs_uplink(BridgeRun(bridge_params(state='absent'), FakeNs(), root=str(tmp_path))) is False


def test_foreign_link_with_the_bridge_name(tmp_path):
    with pytest.raises(_validate.ForeignLinkError, match="bridge_name 'br0': the host already has an interface br0 and it is a dummy"):
        plan(BridgeRun, bridge_params(bridge_name='br0'), empty_host(link(5, 'br0', 'dummy')), tmp_path)


def test_foreign_link_with_a_host_end_name(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    veth = bridge_net['endpoints']['c1']['veth']
    snap.links[veth].update(kind='dummy', master=None, link=None)
    with pytest.raises(_validate.ForeignLinkError, match="endpoints.c1. 'c1': the host already has an interface %s .a dummy." % veth):
        plan(BridgeRun, bridge_params(), snap, tmp_path)


# -- bridge: endpoints that drifted -----------------------------------------------------------------------------------
def test_veth_missing_in_existing_namespace(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    del snap.links[bridge_net['endpoints']['c1']['veth']]
    snap.views['c1'] = _snapshot.NetnsView([link(1, 'lo')], [], None, routes=[])
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    assert run.plan.commands == ['connect c1 to net1: eth0 10.10.0.2/24 via %s' % bridge_net['endpoints']['c1']['veth']]
    assert run.doc['endpoints']['c1']['default_route'] is True


def test_second_network_does_not_take_the_default_route(tmp_path):
    other = _snapshot.NetnsView([link(1, 'lo'), link(2, 'eth0', 'veth', peer=99)], [], default_route('172.18.0.1', 2),
                                routes=[default_route('172.18.0.1', 2)])
    snap = empty_host(netns={'c9'})
    snap.views['c9'] = other
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c9'}]), snap, tmp_path)
    assert run.plan.commands[-1] == 'connect c9 to net1: eth1 10.10.0.2/24 via %s' % run.doc['endpoints']['c9']['veth']
    assert run.doc['endpoints']['c9']['default_route'] is False
    step = run.plan.steps[-1]
    assert len(step.do) == 7  # no default route request (IPv6 off on both ends)


def test_asked_ifname_taken_in_the_namespace(tmp_path):
    snap = empty_host(netns={'c9'})
    snap.views['c9'] = _snapshot.NetnsView([link(1, 'lo'), link(2, 'eth0', 'veth', peer=99)], [], None, routes=[])
    with pytest.raises(_kernel.HostnetError, match="endpoints.c9..ifname 'eth0': c9 already has an interface of that name .a veth."):
        plan(BridgeRun, bridge_params(endpoints=[{'name': 'c9', 'ifname': 'eth0'}]), snap, tmp_path)


def test_namespace_missing(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    snap.netns.discard('c1')
    del snap.views['c1']
    veth = bridge_net['endpoints']['c1']['veth']
    cmds = plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands
    assert cmds == ['record network namespace c1 (created for network:net1)',
                    'create network namespace c1', 'set lo up in c1', 'delete %s (its peer is not in c1)' % veth,
                    'connect c1 to net1: eth0 10.10.0.2/24 via %s' % veth]


def test_peer_renamed(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    view = snap.views['c1']
    view.by_index[2]['ifname'] = 'eth7'
    snap.views['c1'] = _snapshot.NetnsView(list(view.by_index.values()), view.addrs, view.probe, routes=[view.probe])
    veth = bridge_net['endpoints']['c1']['veth']
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    assert run.plan.commands == ['delete %s (its peer is not in c1)' % veth, 'connect c1 to net1: eth0 10.10.0.2/24 via %s' % veth]
    # The renamed peer held the default route and goes with its pair: the new endpoint takes it.
    assert run.doc['endpoints']['c1']['default_route'] is True and len(run.plan.steps[-1].do) == 9


def test_no_permanent_gateway_entry_behind_a_bridge_whose_mac_is_not_the_networks(tmp_path, bridge_net):
    # A permanent entry never learns again: only the network's own MAC, which the bridge keeps, may go into one.
    snap = bridge_host(bridge_net)
    snap.link(bridge_net['bridge'])['mac'] = '02:00:00:00:00:99'
    view = snap.views['c1']
    view.by_index[2]['ifname'] = 'eth7'
    snap.views['c1'] = _snapshot.NetnsView(list(view.by_index.values()), view.addrs, view.probe, routes=[view.probe])
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    assert run.doc['endpoints']['c1']['default_route'] is True and len(run.plan.steps[-1].do) == 8
    assert 'c1' not in [op[0] for op in run.plan.steps[-1].do[-1:]]


def test_wrong_address_mac_mtu_state(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    view = snap.views['c1']
    view.by_index[2].update(mac='02:00:00:00:00:01', mtu=1400, up=False)
    view.addrs[0]['address'] = '10.10.0.9/24'
    cmds = plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands
    assert cmds == ['set mac 02:42:0a:0a:00:02 on eth0 in c1', 'set mtu 1500 on eth0 in c1', 'set eth0 in c1 up',
                    'remove 10.10.0.9/24 from eth0 in c1', 'add 10.10.0.2/24 to eth0 in c1',
                    # taking 10.10.0.9 away flushed the default route through eth0: set again in the same run
                    'set default route via 10.10.0.1 dev eth0 in c1']


def test_host_end_off_the_bridge_down_no_hairpin(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    veth = bridge_net['endpoints']['c1']['veth']
    snap.links[veth].update(master=None, up=False, hairpin=None, mtu=1400)
    cmds = plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands
    assert cmds == ['attach %s to %s' % (veth, bridge_net['bridge']), 'set hairpin on %s' % veth, 'set mtu 1500 on %s' % veth,
                    'set %s up' % veth]


def test_wrong_default_route(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    snap.views['c1'].probe = default_route('10.10.0.254', 2)
    cmds = plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands
    assert cmds == ['set default route via 10.10.0.1 dev eth0 in c1']


def test_default_route_read_from_routes_when_the_probe_is_silent():
    view = _snapshot.NetnsView([link(1, 'lo')], [], None, routes=[default_route('10.0.0.1', 5)])
    assert view.default_gateway() == '10.0.0.1' and view.default_gateway(5) == '10.0.0.1' and view.default_gateway(6) is None


def test_lo_down(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    snap.views['c2'].by_index[1]['up'] = False
    assert plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands == ['set lo up in c2']


def test_disconnect_with_purge_and_keep_without(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    veth = bridge_net['endpoints']['c2']['veth']
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c1'}], purge_endpoints=True), snap, tmp_path)
    assert run.plan.commands == ['disconnect c2 from net1 (delete %s)' % veth, 'write network state net1']
    assert set(run.doc['endpoints']) == {'c1'}
    assert run.plan.steps[0].do == [('delete', snap.links[veth])]
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c1'}]), bridge_host(bridge_net), tmp_path)
    assert run.plan.commands == [] and set(run.doc['endpoints']) == {'c1', 'c2'}


def test_purge_frees_the_address(tmp_path, bridge_net):
    _store.save(_network.KIND, 'net1', bridge_net, str(tmp_path))
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c3'}], purge_endpoints=True), bridge_host(bridge_net), tmp_path)
    assert run.doc['endpoints']['c3']['ip'] == '10.10.0.2'
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c3'}]), bridge_host(bridge_net), tmp_path)
    assert run.doc['endpoints']['c3']['ip'] == '10.10.0.4'


def test_absent(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    with pytest.raises(_kernel.HostnetError, match="network has active endpoints .c1, c2.; disconnect them or set force"):
        plan(BridgeRun, bridge_params(state='absent'), snap, tmp_path)
    run = plan(BridgeRun, bridge_params(state='absent', force=True), snap, tmp_path)
    eps = bridge_net['endpoints']
    assert run.plan.commands == ['disconnect c1 from net1 (delete %s)' % eps['c1']['veth'],
                                 'disconnect c2 from net1 (delete %s)' % eps['c2']['veth'],
                                 'delete bridge %s' % bridge_net['bridge'], 'remove network state net1']
    assert run.firewall == {'planned': False} and run.after is None
    # One batch deletes the veths and the bridge.
    assert len({id(s.batch) for s in run.plan.steps[:3]}) == 1


def test_absent_when_there_is_nothing(tmp_path):
    run = plan(BridgeRun, bridge_params(state='absent'), empty_host(), tmp_path)
    assert (run.before, run.after, run.plan.commands) == (None, None, [])


def test_absent_refuses_another_driver(tmp_path):
    _store.save(_network.KIND, 'net1', {'name': 'net1', 'id': 'x' * 64, 'driver': 'macvlan', 'subnet': '10.9.0.0/24'}, str(tmp_path))
    with pytest.raises(_validate.InputError, match="is a macvlan network, not a bridge one"):
        plan(BridgeRun, bridge_params(state='absent'), empty_host(), tmp_path)
    with pytest.raises(_validate.InputError, match="is already a macvlan network"):
        plan(BridgeRun, bridge_params(), empty_host(), tmp_path)


def test_subnet_chosen_around_host_routes(tmp_path):
    snap = empty_host()
    snap.routes = [{'family': 2, 'dst': '172.18.0.0/16', 'dst_len': 16, 'table': 254, 'oif': 1, 'gateway': None}]
    run = plan(BridgeRun, bridge_params(subnet=None), snap, tmp_path)
    assert run.doc['subnet'] == '172.19.0.0/16'


@pytest.mark.parametrize('over, option, value', [
    ({'endpoints': [{'name': 'a/b'}]}, 'endpoints[0].name', 'a/b'),
    ({'endpoints': [{'name': 'a'}, {'name': 'a'}]}, 'endpoints[1].name', 'a'),
    ({'endpoints': [{'name': 'a', 'mac': '01:00:00:00:00:01'}]}, 'endpoints[0].mac', '01:00:00:00:00:01'),
    ({'endpoints': [{'name': 'a', 'aliases': ['x y']}]}, 'endpoints[0].aliases', 'x y'),
    ({'endpoints': [{'name': 'a', 'ifname': 'a' * 16}]}, 'endpoints[0].ifname', 'a' * 16),
    ({'endpoints': [{'name': 'a', 'ip': '10.99.0.2'}]}, 'endpoints[a].ip', '10.99.0.2'),
    ({'mtu': 10}, 'mtu', 10),
    ({'subnet': '10.10.0.0/33'}, 'subnet', '10.10.0.0/33'),
    ({'internal': True, 'endpoints': [{'name': 'a', 'publish': ['80:80']}]}, 'endpoints[].publish', ['80:80']),
    ({'host_binding_ipv4': 'nope'}, 'host_binding_ipv4', 'nope'),
    ({'name': 'bad name'}, 'name', 'bad name'),
])
def test_bad_input_is_refused_before_any_step(tmp_path, over, option, value):
    with pytest.raises(_validate.InputError) as err:
        plan(BridgeRun, bridge_params(**over), empty_host(), tmp_path)
    assert err.value.option == option and err.value.value == value


def test_bridge_name_of_another_network(tmp_path):
    _store.save(_network.KIND, 'other', {'name': 'other', 'id': 'y' * 64, 'bridge': 'br0', 'subnet': '10.9.0.0/24'}, str(tmp_path))
    with pytest.raises(_validate.InputError, match="bridge_name 'br0': is already the bridge of network 'other'"):
        plan(BridgeRun, bridge_params(bridge_name='br0'), empty_host(), tmp_path)


def test_too_many_endpoints_for_a_bridge(tmp_path):
    eps = [{'name': 'c%d' % i} for i in range(_network.MAX_BRIDGE_PORTS + 1)]
    with pytest.raises(_validate.InputError, match='at most 1023 ports'):
        plan(BridgeRun, bridge_params(subnet='10.0.0.0/16', endpoints=eps), empty_host(), tmp_path)


# -- the snapshot reader asks for more only when planning needs it ----------------------------------------------------
def test_wants_all_links_and_routes_only_for_broken_endpoints(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    run = BridgeRun(bridge_params(), FakeNs(), root=str(tmp_path))
    run.snap = snap
    net = _model.Network.from_doc(bridge_net)
    assert run.wants(net, 'c1', snap.views['c1']) == (False, False)
    snap.views['c1'].probe = None
    assert run.wants(net, 'c1', snap.views['c1']) == (False, True)
    snap.views['c1'].probe = default_route('10.10.0.1', 2)
    snap.views['c1'].by_index[2]['ifname'] = 'eth9'
    assert run.wants(net, 'c1', snap.views['c1']) == (True, True)


# -- macvlan ----------------------------------------------------------------------------------------------------------
def macvlan_host(doc, parent_links=(), shim=True):
    """The snapshot of a host where ``doc``'s macvlan network and endpoints are all as planned."""
    prefix = doc['subnet'].split('/')[1]
    links = [link(1, 'lo'), link(2, 'ens33', 'veth')] + list(parent_links)
    addrs = []
    if doc.get('host_shim') and shim:
        links.append(link(40, doc['host_shim']['name'], 'macvlan', mtu=doc['mtu']))
        addrs.append({'index': 40, 'address': '%s/%s' % (doc['host_shim']['ip'], prefix), 'family': 2})
    views = {}
    for cname, ep in doc['endpoints'].items():
        views[cname] = _snapshot.NetnsView(
            [link(1, 'lo'), link(3, ep['ifname'], 'macvlan', mtu=doc['mtu'], mac=ep['mac'])],
            [{'index': 3, 'address': '%s/%s' % (ep['ip'], prefix), 'family': 2}], default_route(doc['gateway'], 3), partial=True)
    return _snapshot.Snapshot(links, addrs, netns=set(views), views=views)


@pytest.fixture
def macvlan_net(tmp_path):
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(host_shim={'enabled': True, 'name': None, 'ip': None}),
               empty_host(link(2, 'ens33', 'veth')), tmp_path)
    commit(run, tmp_path)
    return run.doc


def test_new_macvlan_network(tmp_path):
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(host_shim={'enabled': True, 'name': None, 'ip': None}),
               empty_host(link(2, 'ens33', 'veth', mtu=1400)), tmp_path)
    doc = run.doc
    shim = doc['host_shim']
    assert (doc['parent'], doc['parent_created'], doc['mtu'], doc['internal']) == ('ens33', None, 1400, False)
    assert shim == {'name': 'mvs-' + doc['id'][:10], 'ip': '10.20.0.4'}
    assert run.plan.commands == [
        'write network state mac1', 'record network namespaces c1, c2 (created for network:mac1)',
        'create network namespace c1', 'set lo up in c1',
        'connect c1 to mac1: eth0 10.20.0.2/24 (macvlan bridge on ens33)', 'create network namespace c2', 'set lo up in c2',
        'connect c2 to mac1: eth0 10.20.0.3/24 (macvlan bridge on ens33)',
        'create host shim %s 10.20.0.4/24 (macvlan bridge on ens33)' % shim['name']]
    step = next(s for s in run.plan.steps if s.text.startswith('connect c1'))
    assert [op[0] for op in step.do] == [None, 'find', 'c1', 'c1', 'c1', 'sysctl']
    for op in step.do:
        if callable(op[-1]):
            op[-1](FakeCtx()).encode()
    assert 'publish' not in doc['endpoints']['c1'] and 'veth' not in doc['endpoints']['c1']


def test_macvlan_rerun_changes_nothing(tmp_path, macvlan_net):
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(host_shim={'enabled': True, 'name': None, 'ip': None}),
               macvlan_host(macvlan_net), tmp_path)
    assert run.plan.commands == [] and run.doc == macvlan_net


def test_macvlan_endpoint_drift_and_shim_drift(tmp_path, macvlan_net):
    snap = macvlan_host(macvlan_net)
    snap.views['c1'].by_index[3].update(mtu=1400, up=False)
    shim = macvlan_net['host_shim']['name']
    snap.links[shim]['up'] = False
    snap.addrs = [{'index': 40, 'address': '10.20.0.77/24', 'family': 2}]
    cmds = plan(_macvlan.MacvlanNetwork, macvlan_params(host_shim={'enabled': True, 'name': None, 'ip': None}), snap,
                tmp_path).plan.commands
    assert cmds == ['set mtu 1500 on eth0 in c1', 'set eth0 in c1 up', 'set %s up' % shim,
                    'remove 10.20.0.77/24 from %s' % shim, 'add 10.20.0.4/24 to %s' % shim]


def test_macvlan_shim_removed_and_disconnect(tmp_path, macvlan_net):
    snap = macvlan_host(macvlan_net)
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(endpoints=[{'name': 'c1'}], purge_endpoints=True), snap, tmp_path)
    assert run.plan.commands == ['disconnect c2 from mac1 (delete eth0)', 'write network state mac1',
                                 'delete host shim %s' % macvlan_net['host_shim']['name']]
    assert run.plan.steps[0].do == [('delete', snap.views['c2'].by_name['eth0'], 'c2')]


def test_macvlan_name_taken_by_another_kind(tmp_path, macvlan_net):
    snap = macvlan_host(macvlan_net)
    snap.views['c1'] = _snapshot.NetnsView([link(1, 'lo'), link(3, 'eth0', 'veth')], [], None, routes=[])
    with pytest.raises(_kernel.HostnetError, match="endpoints.c1..ifname 'eth0': c1 already has an interface of that name .a veth."):
        plan(_macvlan.MacvlanNetwork, macvlan_params(), snap, tmp_path)


def test_macvlan_shim_name_taken(tmp_path):
    with pytest.raises(_validate.ForeignLinkError, match="host_shim.name 'sh0': the host already has a dummy of that name"):
        plan(_macvlan.MacvlanNetwork, macvlan_params(host_shim={'enabled': True, 'name': 'sh0', 'ip': None}),
             empty_host(link(2, 'ens33', 'veth'), link(5, 'sh0', 'dummy')), tmp_path)


def test_macvlan_8021q_parent(tmp_path):
    host = empty_host(link(2, 'ens33', 'veth'))
    host.vlan_support = True  # as the kernel would show it (test_macvlan_edges.py: a kernel without)
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(parent='ens33.10', endpoints=[]), host, tmp_path)
    assert run.doc['parent_created'] == 'vlan'
    assert run.plan.commands == ['write network state mac1', 'create 802.1q parent ens33.10 (VLAN 10 on ens33)', 'set ens33.10 up']
    _kernel.vlan_request('ens33.10', 2, 10).encode()
    commit(run, tmp_path)
    snap = empty_host(link(2, 'ens33', 'veth'), link(6, 'ens33.10', 'vlan'))
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(state='absent'), snap, tmp_path)
    assert run.plan.commands == ['delete vlan parent ens33.10 (no network uses it now)', 'remove network state mac1']


def test_macvlan_internal_parent(tmp_path):
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(parent=None, endpoints=[]), empty_host(), tmp_path)
    parent = run.doc['parent']
    assert parent.startswith('hnv-') and run.doc['internal'] is True and run.doc['parent_created'] == 'veth'
    assert run.plan.commands == ['write network state mac1',
                                 'create internal parent %s (one end of a veth pair; no dummy driver needed)' % parent,
                                 'set %s up' % parent]
    _kernel.veth_pair_request(parent, parent + 'p', 1500).encode()
    commit(run, tmp_path)
    snap = empty_host(link(7, parent, 'veth'), link(8, parent + 'p', 'veth', up=False))
    assert plan(_macvlan.MacvlanNetwork, macvlan_params(parent=None, endpoints=[]), snap, tmp_path).plan.commands == ['set %s up' % parent]


@pytest.mark.parametrize('over, host, option', [
    ({'parent': 'ens99'}, (), 'parent'),
    ({'parent': 'ens99.10'}, (), 'parent'),
    ({'parent': 'ens33.5000'}, (), 'parent'),
    ({'parent': 'lo'}, (), 'parent'),
    ({'mode': 'passthru'}, (), 'endpoints'),
    ({'mode': 'passthru', 'endpoints': [{'name': 'c1'}], 'host_shim': {'enabled': True}}, (), 'host_shim'),
    ({'mode': 'fast'}, (), 'mode'),
    ({'mtu': 9000}, (), 'mtu'),
    ({'endpoints': [{'name': _macvlan.SHIM_KEY}]}, (), 'endpoints[0].name'),
    ({'host_shim': {'enabled': True, 'name': 'x' * 20}}, (), 'host_shim.name'),
])
def test_macvlan_bad_input(tmp_path, over, host, option):
    with pytest.raises(_validate.InputError) as err:
        plan(_macvlan.MacvlanNetwork, macvlan_params(**over), empty_host(link(2, 'ens33', 'veth'), *host), tmp_path)
    assert err.value.option == option


def test_macvlan_passthru_parent_is_not_shared(tmp_path):
    _store.save(_network.KIND, 'other', {'name': 'other', 'id': 'z' * 64, 'driver': 'macvlan', 'parent': 'ens33',
                                         'mode': 'passthru', 'subnet': '10.9.0.0/24'}, str(tmp_path))
    with pytest.raises(_validate.InputError, match="is already used by macvlan network 'other' in passthru mode"):
        plan(_macvlan.MacvlanNetwork, macvlan_params(), empty_host(link(2, 'ens33', 'veth')), tmp_path)


def test_macvlan_absent(tmp_path, macvlan_net):
    snap = macvlan_host(macvlan_net)
    with pytest.raises(_kernel.HostnetError, match='network has active endpoints'):
        plan(_macvlan.MacvlanNetwork, macvlan_params(state='absent'), snap, tmp_path)
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(state='absent', force=True), snap, tmp_path)
    assert run.plan.commands == ['disconnect c1 from mac1 (delete eth0)', 'disconnect c2 from mac1 (delete eth0)',
                                 'delete host shim %s' % macvlan_net['host_shim']['name'], 'remove network state mac1']


# -- the model --------------------------------------------------------------------------------------------------------
def test_documents_round_trip(bridge_net, macvlan_net):
    for doc in (bridge_net, macvlan_net, dict(bridge_net, future_key={'a': 1})):
        assert _model.Network.from_doc(doc).to_doc() == doc
    ep = dict(bridge_net['endpoints']['c1'], later='kept')
    assert _model.Endpoint.from_doc(ep).to_doc() == ep


def test_endpoint_specs_normalise_once():
    specs = _model.endpoint_specs([{'name': 'a', 'mac': '02-42-AC-11-00-02', 'aliases': None, 'ip': None}])
    assert specs[0].mac == '02:42:ac:11:00:02' and specs[0].aliases == [] and specs[0].option == 'endpoints[0]'


# -- the endpoint batch -----------------------------------------------------------------------------------------------
class RecordingChan:
    def __init__(self, name, log, echoes=()):
        self.name = name
        self.log = log
        self.echoes = list(echoes)
        self.echoed = []

    def run(self, requests):
        self.log.append((self.name, 'run', len(requests)))
        self.echoed = self.echoes  # what a kernel of 6.3 or newer echoes of veth requests sent with NLM_F_ECHO
        return [None] * len(requests)

    def query(self, *queries):
        self.log.append((self.name, 'query', [q[1] for q in queries]))
        return [link(20 + i, str(q[1]), peer=30 + i) for i, q in enumerate(queries)]

    def link(self, ifname):
        return link(10, ifname)


class RecordingNs:
    def __init__(self, echoes=()):
        self.log = []
        self.echoes = echoes

    def chan(self, netns=None):
        return RecordingChan(netns, self.log, self.echoes if netns is None else ())

    def create_many(self, names):
        self.log.append((None, 'netns', list(names)))

    def fd(self, netns):
        return 7


def test_batch_order():
    ns = RecordingNs()
    batch = _batch.EndpointBatch(ns, 'br0')
    steps = [_plan.Step('a', [('netns', 'c1'), (None, lambda ctx: _kernel.link_set_request(ctx.device_index(), up=True)),
                              ('peer', 'veth1'), ('c1', lambda ctx: _kernel.link_set_request(ctx.peer('veth1'), up=True))], batch=batch),
             _plan.Step('b', [(None, lambda ctx: _kernel.link_set_request(1, up=True)), ('find', 'c2', 'eth0'),
                              ('c2', lambda ctx: _kernel.link_set_request(ctx.index('c2', 'eth0'), up=True))], batch=batch)]
    batch.run(steps)
    assert ns.log == [(None, 'netns', ['c1']), (None, 'run', 2), (None, 'query', ['veth1']), ('c1', 'run', 1),
                      ('c2', 'query', ['eth0']), ('c2', 'run', 1)]
    assert batch.peer('veth1') == 30 and batch.index('c2', 'eth0') == 20


def test_batch_brings_a_host_end_up_after_its_sysctls(monkeypatch):
    """A host end is made down, its IPv6 turned off, and only then brought up (LATE), before the namespaces' requests."""
    ns = RecordingNs()
    monkeypatch.setattr(_batch, 'write_link_sysctls', lambda ifname, values, conf=None: ns.log.append((None, 'sysctl', ifname, values)))
    batch = _batch.EndpointBatch(ns, 'br0')
    steps = [_plan.Step('a', [(None, lambda ctx: _kernel.link_set_request(1, up=False)), ('sysctl', None, 'veth1', _batch.NO_IPV6_SYSCTLS),
                              (_batch.LATE, lambda ctx: _kernel.link_set_request(1, up=True)), ('peer', 'veth1'),
                              ('c1', lambda ctx: _kernel.link_set_request(ctx.peer('veth1'), up=True))], batch=batch)]
    batch.run(steps)
    assert ns.log == [(None, 'run', 1), (None, 'query', ['veth1']), (None, 'sysctl', 'veth1', (('disable_ipv6', '1'),)),
                      (None, 'run', 1), ('c1', 'run', 1)]


def test_batch_takes_peers_from_the_echoed_links_and_reads_only_the_others():
    """The kernel echoed veth1's creation (its IFLA_LINK is the peer's ifindex): only veth2 is read back."""
    ns = RecordingNs(echoes=[link(41, 'veth1', kind='veth', peer=2), link(42, 'br0', kind='bridge')])
    batch = _batch.EndpointBatch(ns, 'br0')
    steps = [_plan.Step('a', [(None, lambda ctx: _kernel.link_set_request(1, up=True)), ('peer', 'veth1'), ('peer', 'veth2'),
                              ('c1', lambda ctx: _kernel.link_set_request(ctx.peer('veth1'), up=True))], batch=batch)]
    batch.run(steps)
    assert (None, 'query', ['veth2']) in ns.log and (None, 'query', ['veth1']) not in ns.log
    assert batch.peer('veth1') == 2 and batch.peer('veth2') == 30


def test_batch_failure_names_the_step():
    class Failing(RecordingNs):
        def chan(self, netns=None):
            chan = RecordingChan(netns, self.log)
            chan.run = lambda requests: [None, _kernel.NetlinkError(17, 'File exists')]
            return chan

    batch = _batch.EndpointBatch(Failing(), 'br0')
    steps = [_plan.Step('a', [(None, lambda ctx: _kernel.link_set_request(1, up=True))], batch=batch),
             _plan.Step('b', [(None, lambda ctx: _kernel.link_set_request(2, up=True))], batch=batch)]
    with pytest.raises(_plan.BatchFailed) as err:
        batch.run(steps)
    assert err.value.step is steps[1]


def test_undo_of_repairs_sends_the_old_values(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    view = snap.views['c1']
    view.by_index[2].update(mtu=1400)
    view.addrs[0]['address'] = '10.10.0.9/24'
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    run.ns.live = RecordingNs()
    for step in run.plan.steps:
        step.undo()
    assert run.ns.live.log == [('c1', 'run', 1)] * 4


def test_shim_repair_runs_on_its_own(tmp_path, macvlan_net):
    snap = macvlan_host(macvlan_net)
    snap.addrs = []
    run = plan(_macvlan.MacvlanNetwork, macvlan_params(host_shim={'enabled': True, 'name': None, 'ip': None}), snap, tmp_path)
    (step,) = run.plan.steps
    assert step.batch is None and step.text == 'add 10.20.0.4/24 to %s' % macvlan_net['host_shim']['name']
    run.ns.live = RecordingNs()
    step.do()
    step.undo()
    assert run.ns.live.log == [(None, 'run', 1), (None, 'run', 1)]


# -- the snapshot reader ----------------------------------------------------------------------------------------------
class ReadingChan:
    """A namespace's socket for the reader: its links, addresses and routes, and what was asked."""

    def __init__(self, links, probe=None):
        self.links = links
        self.probe = probe
        self.asked = []

    def query(self, *queries):
        self.asked.append(('query', [q[0] for q in queries]))
        by = {}
        for entry in self.links:
            by[entry['index']] = by[entry['ifname']] = entry
        return [by.get(queries[0][1]), by.get(1), self.probe, []]

    def dump(self, msg_type, family=0):
        self.asked.append(('dump', msg_type))
        return {_kernel.RTM_GETLINK: self.links, _kernel.RTM_GETADDR: [], _kernel.RTM_GETROUTE: []}[msg_type]


def test_reader_reads_one_link_when_the_endpoint_is_whole():
    chan = ReadingChan([link(1, 'lo'), link(2, 'eth0', 'veth', peer=5)], default_route('10.0.0.1', 2))
    view = _snapshot.read_view(chan, 2, lambda view: (False, not view.probe_answers(2)))
    assert chan.asked == [('query', ['link', 'state', 'route', _kernel.RTM_GETADDR])]
    assert view.partial and view.default_gateway(2) == '10.0.0.1'


def test_reader_reads_links_and_routes_when_planning_needs_them():
    chan = ReadingChan([link(1, 'lo'), link(2, 'eth0', 'veth', peer=5), link(3, 'eth1', 'veth', peer=6)])
    view = _snapshot.read_view(chan, 9, lambda view: (True, True))
    assert chan.asked == [('query', ['link', 'state', 'route', _kernel.RTM_GETADDR]), ('dump', _kernel.RTM_GETLINK),
                          ('dump', _kernel.RTM_GETROUTE)]
    assert not view.partial and set(view.by_name) == {'lo', 'eth0', 'eth1'} and view.routes == []
    chan = ReadingChan([link(1, 'lo')])
    view = _snapshot.read_view(chan, None, lambda view: (True, False))
    assert chan.asked == [('dump', _kernel.RTM_GETLINK), ('dump', _kernel.RTM_GETADDR)] and view.routes is None


def test_reader_skips_namespaces_that_do_not_exist():
    class Ns:
        opened = None

        def open_many(self, names, listed=False):
            self.opened = list(names)

        def chan(self, netns=None):
            return ReadingChan([link(1, 'lo')])

    ns = Ns()
    snap = _snapshot.read_views(ns, _snapshot.Snapshot([], netns={'c1'}), [('c1', None), ('c2', None)], lambda cname, view: (False, False))
    assert ns.opened == ['c1'] and set(snap.views) == {'c1'}


# -- ownership: only what the records say the collection created is changed -------------------------------------------
def foreign_docker0(*links):
    """A host where a running Docker's docker0 (172.17.0.1/16) exists, with no record of it."""
    snap = empty_host(link(7, 'docker0', 'bridge'), *links)
    snap.addrs = [{'index': 7, 'address': '172.17.0.1/16', 'family': 2}]
    snap.routes = [{'family': 2, 'dst': '172.17.0.0', 'dst_len': 16, 'table': 254, 'oif': 7, 'gateway': None}]
    return snap


def test_foreign_default_bridge_refused(tmp_path):
    with pytest.raises(_validate.ForeignLinkError, match="name 'bridge': the bridge docker0 already exists and the collection has no "
                                                         "record of creating it; it is left alone.*bridge_network_default_bridge") as exc:
        plan(BridgeRun, bridge_params(name='bridge', subnet=None, endpoints=[]), foreign_docker0(), tmp_path)
    assert exc.value.link == 'docker0'
    assert _store.load(_network.KIND, 'bridge', str(tmp_path)) is None


def test_foreign_bridge_leave_leaves_a_foreign_docker0_and_its_network_alone(tmp_path):
    run = plan(BridgeRun, bridge_params(name='bridge', subnet=None, endpoints=[], foreign_bridge='leave'), foreign_docker0(), tmp_path)
    assert run.left_alone == 'docker0' and run.plan.commands == [] and run.doc is None and (run.before, run.after) == (None, None)
    # Containers asking for it are refused, named; a user's own br0 given as bridge_name is left alone the same way.
    with pytest.raises(_validate.ForeignLinkError, match=r"endpoints \['c1'\]: docker0 exists and the collection has no record of "
                                                         r"creating it .*left alone, and the network 'bridge' with it") as exc:
        plan(BridgeRun, bridge_params(name='bridge', subnet=None, endpoints=[{'name': 'c1'}], foreign_bridge='leave'), foreign_docker0(), tmp_path)
    assert exc.value.link == 'docker0'
    run = plan(BridgeRun, bridge_params(bridge_name='br0', endpoints=[], foreign_bridge='leave'), empty_host(link(5, 'br0', 'bridge')), tmp_path)
    assert run.left_alone == 'br0' and run.plan.commands == []


def test_foreign_bridge_name_refused(tmp_path):
    with pytest.raises(_validate.ForeignLinkError, match="bridge_name 'br0': the bridge br0 already exists") as exc:
        plan(BridgeRun, bridge_params(bridge_name='br0'), empty_host(link(5, 'br0', 'bridge')), tmp_path)
    assert exc.value.link == 'br0'


def test_bridge_created_recorded_and_idempotent(tmp_path, bridge_net):
    assert bridge_net['bridge_created'] is True
    run = plan(BridgeRun, bridge_params(), bridge_host(bridge_net), tmp_path)
    assert run.plan.commands == []


def test_legacy_document_counts_as_created(tmp_path, bridge_net):
    """A document from before bridge_created: still the collection's bridge, rewritten by nothing, removed on teardown."""
    legacy = {k: v for k, v in bridge_net.items() if k != 'bridge_created'}
    _store.save(_network.KIND, 'net1', legacy, str(tmp_path))
    snap = bridge_host(legacy)
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    assert run.plan.commands == [] and 'bridge_created' not in run.doc
    run = plan(BridgeRun, bridge_params(state='absent', force=True), snap, tmp_path)
    assert 'delete bridge %s' % legacy['bridge'] in run.plan.commands


def test_teardown_keeps_a_bridge_not_recorded_as_created(tmp_path, bridge_net):
    _store.save(_network.KIND, 'net1', dict(bridge_net, bridge_created=False), str(tmp_path))
    run = plan(BridgeRun, bridge_params(state='absent', force=True), bridge_host(bridge_net), tmp_path)
    assert not [c for c in run.plan.commands if c.startswith('delete bridge')]


def test_explicit_subnet_overlapping_a_foreign_link(tmp_path):
    with pytest.raises(_validate.ForeignLinkError, match="subnet '172.17.5.0/24': overlaps 172.17.0.0/16 of docker0") as exc:
        plan(BridgeRun, bridge_params(subnet='172.17.5.0/24'), foreign_docker0(), tmp_path)
    assert exc.value.link == 'docker0'


def test_automatic_subnet_skips_a_foreign_docker0(tmp_path):
    run = plan(BridgeRun, bridge_params(subnet=None), foreign_docker0(), tmp_path)
    assert run.doc['subnet'] == '172.18.0.0/16'


def test_new_endpoint_host_end_name_squatted(tmp_path, bridge_net):
    """A veth on the network's own bridge with the new endpoint's host end name, but no record of it: refused."""
    snap = bridge_host(bridge_net)
    veth = _network.veth_name(bridge_net['id'], 'c3')
    snap.links[veth] = link(120, veth, 'veth', master=10, peer=5)
    with pytest.raises(_validate.ForeignLinkError, match="endpoints.c3. 'c3': the host already has an interface %s .a veth on" % veth):
        plan(BridgeRun, bridge_params(endpoints=[{'name': 'c1'}, {'name': 'c2'}, {'name': 'c3'}]), snap, tmp_path)


def test_disconnect_leaves_a_foreign_link_with_the_host_end_name(tmp_path, bridge_net):
    snap = bridge_host(bridge_net)
    veth = bridge_net['endpoints']['c2']['veth']
    snap.links[veth].update(kind='dummy', master=None, link=None)
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c1'}], purge_endpoints=True), snap, tmp_path)
    assert not [c for c in run.plan.commands if veth in c]


def test_container_ifname_held_by_a_foreign_link(tmp_path, bridge_net):
    snap = bridge_host(bridge_net, netns_extra=['c3'])
    snap.views['c3'] = _snapshot.NetnsView([link(1, 'lo'), link(2, 'eth0', 'dummy')], [], None, routes=[])
    with pytest.raises(_kernel.HostnetError, match="endpoints.c3..ifname 'eth0': c3 already has an interface of that name .a dummy."):
        plan(BridgeRun, bridge_params(endpoints=[{'name': 'c1'}, {'name': 'c2'}, {'name': 'c3', 'ifname': 'eth0'}]), snap, tmp_path)


def test_macvlan_unrecorded_child_not_taken_over(tmp_path):
    """A macvlan eth0 in a namespace the network has no endpoint record for is the user's: refused, not re-addressed."""
    snap = empty_host(link(2, 'ens33', 'veth'), netns=['c1'])
    snap.views['c1'] = _snapshot.NetnsView([link(1, 'lo'), link(3, 'eth0', 'macvlan')], [], None, routes=[])
    with pytest.raises(_kernel.HostnetError, match="endpoints.c1..ifname 'eth0': c1 already has an interface of that name .a macvlan."):
        plan(_macvlan.MacvlanNetwork, macvlan_params(endpoints=[{'name': 'c1', 'ifname': 'eth0'}]), snap, tmp_path)


def test_macvlan_unrecorded_shim_refused(tmp_path):
    with pytest.raises(_validate.ForeignLinkError, match="host_shim.name 'sh0': the host already has a macvlan of that name that this network did not create"):
        plan(_macvlan.MacvlanNetwork, macvlan_params(host_shim={'enabled': True, 'name': 'sh0', 'ip': None}),
             empty_host(link(2, 'ens33', 'veth'), link(5, 'sh0', 'macvlan')), tmp_path)


# -- the default route of a container on several networks (_default_route) ------------------------------------------
def other_network(root, endpoints, name='other', internal=False):
    """A network of the store the container is on too: 10.99.0.0/24, gateway 10.99.0.1."""
    doc = {'name': name, 'id': 'f' * 64, 'driver': 'bridge', 'created': '2026-01-01T00:00:00.000000Z', 'bridge': 'br-other',
           'mtu': 1500, 'internal': internal, 'subnet': '10.99.0.0/24', 'gateway': '10.99.0.1', 'ip_range': None, 'aux_addresses': {},
           'endpoints': {c: dict({'ip': '10.99.0.2', 'mac': 'm', 'ifname': 'eth0', 'endpoint_id': 'e', 'aliases': []}, **ep)
                         for c, ep in endpoints.items()}}
    _store.save(_network.KIND, name, doc, str(root))
    return doc


def on_other(route_gateway='10.99.0.1', route_oif=2, extra=()):
    """The full view of a container whose eth0 (index 2) is on ``other`` and whose default route is as given."""
    route = [default_route(route_gateway, route_oif)] if route_gateway else []
    return _snapshot.NetnsView([link(1, 'lo'), link(2, 'eth0', 'veth', peer=99)] + list(extra), [], route[0] if route else None,
                               routes=route)


@pytest.mark.parametrize('priority, takes', [(5, True), (0, False), (-1, False)])
def test_new_endpoint_takes_the_route_by_priority(tmp_path, priority, takes):
    other_network(tmp_path, {'c9': {}})
    snap = empty_host(netns={'c9'})
    snap.views['c9'] = on_other()
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c9', 'gw_priority': priority}]), snap, tmp_path)
    assert run.doc['endpoints']['c9']['default_route'] is takes
    # with IPv6 off on the new end, and the gateway's neighbour entry when it takes the default route
    assert len(run.plan.steps[-1].do) == (9 if takes else 7)
    assert run.doc['endpoints']['c9'].get('gw_priority') == (priority or None) and run.doc['endpoints']['c9']['connected']


def test_internal_network_gives_no_default_route(tmp_path):
    run = plan(BridgeRun, bridge_params(internal=True, endpoints=[{'name': 'c1'}]), empty_host(), tmp_path)
    assert run.doc['endpoints']['c1']['default_route'] is False
    assert len(run.plan.steps[-1].do) == 7  # link, hairpin and up, peer, up, address, IPv6 off twice: no default route request


def test_route_through_an_internal_network_is_removed(tmp_path):
    # Left by an older version: the internal network's endpoint held the route.
    run = plan(BridgeRun, bridge_params(internal=True, endpoints=[{'name': 'c1'}]), empty_host(), tmp_path)
    commit(run, tmp_path)
    snap = bridge_host(run.doc)
    view = snap.views['c1']
    snap.views['c1'] = _snapshot.NetnsView(view.links, view.addrs, default_route('10.10.0.1', 2), partial=True)
    cmds = plan(BridgeRun, bridge_params(internal=True, endpoints=[{'name': 'c1'}]), snap, tmp_path).plan.commands
    assert cmds == ['remove default route via 10.10.0.1 from c1 (none of its networks gives one)']


def test_wrong_route_of_a_container_on_two_networks_is_set_to_the_elected(tmp_path, bridge_net):
    # c1 is on net1 (connected first) and on other: a route through other is put back through net1.
    other_network(tmp_path, {'c1': {'ifname': 'eth1', 'connected': '2999-01-01T00:00:00.000000Z'}})
    snap = bridge_host(bridge_net)
    view = snap.views['c1']
    snap.views['c1'] = _snapshot.NetnsView(view.links + [link(3, 'eth1', 'veth', peer=98)], view.addrs,
                                           default_route('10.99.0.1', 3), routes=[default_route('10.99.0.1', 3)])
    cmds = plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands
    assert cmds == ['set default route via 10.10.0.1 dev eth0 in c1']
    # Recorded before connect times were, other counts as connected first: it keeps the route.
    other_network(tmp_path, {'c1': {'ifname': 'eth1'}})
    run = plan(BridgeRun, bridge_params(), snap, tmp_path)
    assert run.plan.commands == ['write network state net1'] and run.doc['endpoints']['c1']['default_route'] is False


def test_disconnecting_the_holder_elects_the_next(tmp_path, bridge_net):
    other_network(tmp_path, {'c1': {'ifname': 'eth1'}})
    snap = bridge_host(bridge_net)
    view = snap.views['c1']
    snap.views['c1'] = _snapshot.NetnsView(view.links + [link(3, 'eth1', 'veth', peer=98)], view.addrs,
                                           default_route('10.10.0.1', 2), routes=[default_route('10.10.0.1', 2)])
    run = plan(BridgeRun, bridge_params(endpoints=[{'name': 'c2'}], purge_endpoints=True), snap, tmp_path)
    veth = bridge_net['endpoints']['c1']['veth']
    assert run.plan.commands[:2] == ['disconnect c1 from net1 (delete %s)' % veth, 'set default route via 10.99.0.1 dev eth1 in c1']
    # Removing the network with force does the same.
    run = plan(BridgeRun, bridge_params(state='absent', force=True), snap, tmp_path)
    assert 'set default route via 10.99.0.1 dev eth1 in c1' in run.plan.commands


def test_a_route_the_networks_did_not_give_is_left_alone(tmp_path, bridge_net):
    other_network(tmp_path, {'c1': {'ifname': 'eth1'}})
    snap = bridge_host(bridge_net)
    view = snap.views['c1']
    snap.views['c1'] = _snapshot.NetnsView(view.links + [link(3, 'eth1', 'veth', peer=98), link(4, 'wan', 'veth')], view.addrs,
                                           default_route('192.0.2.1', 4), routes=[default_route('192.0.2.1', 4)])
    assert plan(BridgeRun, bridge_params(), snap, tmp_path).plan.commands == ['write network state net1']


def test_isolated_network_gives_its_bridge_no_address(tmp_path, bridge_net):
    """gateway_mode_ipv4 isolated (internal only): no gateway address on the bridge, and one taken away when an
    existing internal network becomes isolated; a rerun changes nothing."""
    run = plan(BridgeRun, bridge_params(internal=True, gateway_mode_ipv4='isolated'), empty_host(), tmp_path / 'new')
    assert run.doc['gateway_mode_ipv4'] == 'isolated'
    assert not any(cmd.startswith('add 10.10.0.1/24') for cmd in run.plan.commands)
    bridge = bridge_net['bridge']
    run = plan(BridgeRun, bridge_params(internal=True, gateway_mode_ipv4='isolated'), bridge_host(bridge_net), tmp_path)
    assert 'remove 10.10.0.1/24 from %s (gateway_mode_ipv4 isolated)' % bridge in run.plan.commands
    commit(run, tmp_path)
    snap = bridge_host(run.doc)
    snap.addrs = []
    assert plan(BridgeRun, bridge_params(internal=True, gateway_mode_ipv4='isolated'), snap, tmp_path).plan.commands == []


# -- bridge: IPv6 -----------------------------------------------------------------------------------------------------
def dual_host(doc, routes6=True):
    """bridge_host of a dual-stack ``doc`` with the IPv6 side as planned (and the kernel's link-local addresses)."""
    snap = bridge_host(doc)
    snap.ipv6 = True
    snap.addrs6 = [{'index': 10, 'address': doc['gateway_v6'] + '/64', 'family': 10}]
    for cname, ep in doc['endpoints'].items():
        view = snap.views[cname]
        view.addrs6 = [{'index': 2, 'address': 'fe80::42/64', 'family': 10}, {'index': 2, 'address': ep['ip6'] + '/64', 'family': 10}]
        view.routes6 = [dict(default_route(doc['gateway_v6'], 2), family=10)] if routes6 else []
    return snap


def test_dual_stack_plan_and_rerun(tmp_path):
    snap = empty_host()
    snap.ipv6 = True
    run = plan(BridgeRun, bridge_params(enable_ipv6=True, subnet_v6='fd00:5::/64'), snap, tmp_path)
    texts = [s.text for s in run.plan.steps]
    bridge = run.doc['bridge']
    assert texts.index('enable IPv6 on %s (disable_ipv6 0, accept_dad 0)' % bridge) < texts.index('add fd00:5::1/64 to %s' % bridge)
    assert any(t.startswith('connect c1 to net1: eth0 10.10.0.2/24 fd00:5::2/64 via') for t in texts), texts
    step = next(s for s in run.plan.steps if s.text.startswith('connect c1'))
    assert ('sysctl', 'c1', 'eth0', (('disable_ipv6', '0'), ('accept_ra', '0'), ('accept_dad', '0'))) in step.do
    sends = [op[1](FakeCtx()) for op in step.do if op[0] == 'c1' and callable(op[1])]
    assert [m['family'] for m in sends if m['header']['type'] == _kernel.RTM_NEWADDR] == [2, 10]
    assert [m['family'] for m in sends if m['header']['type'] == _kernel.RTM_NEWROUTE] == [2, 10]
    assert run.doc['endpoints']['c2']['ip6'] == 'fd00:5::3' and run.route6 == {'c1': True, 'c2': True}
    commit(run, tmp_path)
    again = plan(BridgeRun, bridge_params(enable_ipv6=True, subnet_v6='fd00:5::/64'), dual_host(run.doc), tmp_path)
    assert [s.text for s in again.plan.steps] == []
    # A deleted IPv6 default route is put back; the link-local address stays.
    repair = plan(BridgeRun, bridge_params(enable_ipv6=True, subnet_v6='fd00:5::/64'), dual_host(run.doc, routes6=False), tmp_path)
    assert [s.text for s in repair.plan.steps] == ['set default route via fd00:5::1 dev eth0 in c1', 'set default route via fd00:5::1 dev eth0 in c2']
