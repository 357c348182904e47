# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ipam_driver dhcp, pure parts: the option checks, the hook's reading of udhcpc's environment and its rules, the
client's env file, and the plans of a macvlan network on snapshots made of dicts (no address allocated, one client
start per new endpoint after the endpoints, the lease released before a link goes, nothing on a rerun)."""

from __future__ import annotations

import os
import sys
from unittest import mock

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_hook
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_service
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _macvlan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_network_planner import commit, empty_host, link, macvlan_params, plan  # noqa: E402  pylint: disable=wrong-import-position

ENV = {'interface': 'eth0', 'ip': '10.138.3.150', 'mask': '24', 'subnet': '255.255.255.0', 'router': '10.138.3.1 10.138.3.2',
       'dns': '10.138.3.1 9.9.9.9', 'domain': 'lab.example', 'serverid': '10.138.3.1', 'lease': '120'}


# -- the hook ---------------------------------------------------------------------------------------------------------
def test_the_lease_is_read_from_udhcpcs_environment():
    lease = _dhcp_hook.lease_from_env(ENV, now=0)
    assert lease == {'address': '10.138.3.150', 'prefix': 24, 'gateway': '10.138.3.1', 'dns': ['10.138.3.1', '9.9.9.9'],
                     'domain': 'lab.example', 'lease_time': 120, 'server': '10.138.3.1', 'interface': 'eth0',
                     'obtained': '1970-01-01T00:00:00Z', 'expires': '1970-01-01T00:02:00Z'}
    # An older udhcpc gives the netmask only; no address, no lease.
    assert _dhcp_hook.lease_from_env(dict(ENV, mask=''), now=0)['prefix'] == 24
    assert _dhcp_hook.lease_from_env(dict(ENV, ip=''), now=0) is None


def test_a_lease_outside_the_subnet_or_with_another_router_is_refused():
    lease = _dhcp_hook.lease_from_env(ENV, now=0)
    assert _dhcp_hook.check_lease(lease) is None
    assert _dhcp_hook.check_lease(lease, '10.138.3.0/24', '10.138.3.1') is None
    assert 'outside the subnet 10.138.4.0/24' in _dhcp_hook.check_lease(lease, '10.138.4.0/24')
    assert "router 10.138.3.1 is not the gateway 10.138.3.254" in _dhcp_hook.check_lease(lease, None, '10.138.3.254')


def test_resolv_conf_is_the_hooks_only_when_absent_or_its_own():
    text = _dhcp_hook.resolv_text(_dhcp_hook.lease_from_env(ENV, now=0), 'lan')
    assert text.splitlines()[1:] == ['nameserver 10.138.3.1', 'nameserver 9.9.9.9', 'search lab.example']
    assert _dhcp_hook.may_write_resolv(None, 'lan') and _dhcp_hook.may_write_resolv(text, 'lan')
    assert not _dhcp_hook.may_write_resolv('nameserver 1.1.1.1\n', 'lan')  # the user's or the netns module's
    assert not _dhcp_hook.may_write_resolv(text, 'other')
    assert _dhcp_hook.resolv_text(dict(dns=[]), 'lan') is None


# -- the client -----------------------------------------------------------------------------------------------------
def test_the_env_file_names_the_endpoint_and_asks_for_its_recorded_address():
    text = _dhcp_service.env_text('lan', 'web', 'eth0', {'route': True, 'subnet': None, 'gateway': None, 'resolv': '/etc/netns/web/resolv.conf'},
                                  {'address': '10.138.3.150'})
    env = _dhcp_service.parse_env(text)
    args = env['HOSTNET_DHCP_ARGS'].split()
    assert args[:4] == ['-f', '-R', '-i', 'eth0'] and 'hostname:web' in args and args[-2:] == ['-r', '10.138.3.150']
    assert '0x3d:00' + b'hostnet:lan:web'.hex() in args
    assert (env['HOSTNET_DHCP_ROUTE'], env['HOSTNET_DHCP_LEASE']) == ('1', _dhcp_service.lease_path('lan:web'))
    # A client that asks for another address is still the same client; another interface is not.
    again = _dhcp_service.env_text('lan', 'web', 'eth0', {'route': True, 'resolv': '/etc/netns/web/resolv.conf'})
    assert _dhcp_service.same_client(text, again)
    assert not _dhcp_service.same_client(text, again.replace('-i eth0', '-i eth1'))
    assert not _dhcp_service.same_client(None, again)


def test_instance_names():
    assert _dhcp_service.parse_instance('lan:web') == ('lan', 'web')
    for bad in ('lan', ':web', 'lan:', 'lan:a/b', 'lan:a:b'):
        assert _dhcp_service.parse_instance(bad) is None
    with pytest.raises(Exception, match='not a DHCP client instance name'):
        _dhcp_service.paths('../x')


# -- the options ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('driver, params, option', [
    ('macvlan', dict(parent=None), 'parent'),
    ('macvlan', dict(enable_ipv6=True), 'enable_ipv6'),
    ('macvlan', dict(enable_ipv4=False), 'enable_ipv4'),
    ('macvlan', dict(ip_range='10.0.0.0/25'), 'ip_range'),
    ('macvlan', dict(aux_addresses={'a': '10.0.0.5'}), 'aux_addresses'),
    ('macvlan', dict(dhcp_timeout=0), 'dhcp_timeout'),
    ('macvlan', dict(endpoints=[{'name': 'a'}, {'name': 'b', 'ip': '10.0.0.9'}]), 'endpoints[1].ip'),
    ('macvlan', dict(host_shim={'enabled': True, 'ip': '10.0.0.9'}), 'host_shim'),
    ('macvlan', dict(routes=[{'destination': '192.168.50.0/24'}, {'destination': '192.168.60.0/24', 'gateway': '10.0.0.1'}]),
     'routes[1].gateway'),
    ('bridge', dict(), 'ipam_driver'),
])
def test_bad_options_are_refused_naming_the_option(driver, params, option):
    p = dict(name='lan', parent='ens33', ipam_driver='dhcp', dhcp_timeout=30, endpoints=[{'name': 'a'}])
    p.update(params)
    with pytest.raises(_validate.InputError) as err:
        _dhcp.check(p, driver)
    assert err.value.option == option


def test_the_driver_cannot_change_on_an_existing_network():
    assert _dhcp.wanted({'name': 'lan', 'ipam_driver': 'dhcp'}, None)
    assert not _dhcp.wanted({'name': 'lan', 'ipam_driver': 'default'}, {'subnet': '10.0.0.0/24'})
    with pytest.raises(_validate.InputError, match="exists with ipam_driver dhcp; it cannot change"):
        _dhcp.wanted({'name': 'lan', 'ipam_driver': 'default'}, {'ipam_driver': 'dhcp'})


def test_ipam_is_only_what_was_given():
    assert _dhcp.ipam_config({}, {}, {}, 'lan') == {'subnet': None, 'gateway': None, 'ip_range': None, 'aux_addresses': {}}
    assert _dhcp.ipam_config({'subnet': '10.0.0.0/24'}, {}, {}, 'lan')['gateway'] is None  # no invented .1
    with pytest.raises(_validate.InputError, match='overlaps'):
        _dhcp.ipam_config({'subnet': '10.0.0.0/24'}, {}, {'other': {'subnet': '10.0.0.0/16'}}, 'lan')


# -- planning -------------------------------------------------------------------------------------------------------
def dhcp_params(**over):
    return macvlan_params(**dict(dict(subnet=None, ipam_driver='dhcp', dhcp_timeout=30), **over))


def dhcp_plan(params, snap, tmp_path, clients=None):
    """The plan from ``snap``, the clients' state read as ``clients`` ({container: {env, pid, lease}})."""
    with mock.patch.object(_dhcp_service, 'read', lambda network, containers, root=None: dict(clients or {})), \
            mock.patch.object(_dhcp_service, 'busybox', lambda: '/usr/bin/busybox'):
        return plan(_macvlan.MacvlanNetwork, params, snap, tmp_path)


def test_new_endpoints_get_no_address_and_their_clients_start_together_after_them(tmp_path):
    run = dhcp_plan(dhcp_params(), empty_host(link(2, 'ens33', 'veth')), tmp_path)
    assert run.doc['ipam_driver'] == 'dhcp' and run.doc['subnet'] is None and run.doc['gateway'] is None
    assert all(ep['ip'] is None for ep in run.doc['endpoints'].values())
    texts = run.plan.commands
    connects = [i for i, t in enumerate(texts) if t.startswith('connect ')]
    starts = [i for i, t in enumerate(texts) if 'DHCP client of' in t]
    assert len(connects) == len(starts) == 2 and max(connects) < min(starts)
    assert texts[starts[0]] == 'start DHCP client of c1 on mac1 (eth0 on parent ens33, lease within 30 s)'
    steps = [run.plan.steps[i] for i in starts]
    assert steps[0].batch is steps[1].batch and isinstance(steps[0].batch, _dhcp_service.StartBatch)
    # No default route from the planner: the lease's router is the client's to set.
    assert not any('default route' in t for t in texts)


def test_a_rerun_with_running_clients_and_their_addresses_changes_nothing(tmp_path):
    run = dhcp_plan(dhcp_params(), empty_host(link(2, 'ens33', 'veth')), tmp_path)
    commit(run, tmp_path)
    snap, clients = _leased_host(run.doc)
    again = dhcp_plan(dhcp_params(), snap, tmp_path, clients)
    assert again.plan.commands == []
    # A client gone, or an address gone, starts it again (asking for the same address).
    clients['c1']['pid'] = None
    snap, dummy = _leased_host(run.doc)
    snap.views['c2'].addrs = []
    texts = dhcp_plan(dhcp_params(), snap, tmp_path, clients).plan.commands
    assert texts == ['start again the DHCP client of c1 on mac1 (eth0 on parent ens33, lease within 30 s)',
                     'restart (its leased address is gone) the DHCP client of c2 on mac1 (eth0 on parent ens33, lease within 30 s)']


def test_the_lease_is_released_before_the_link_goes(tmp_path):
    run = dhcp_plan(dhcp_params(), empty_host(link(2, 'ens33', 'veth')), tmp_path)
    commit(run, tmp_path)
    snap, clients = _leased_host(run.doc)
    left = dhcp_plan(dhcp_params(endpoints=[{'name': 'c1'}], purge_endpoints=True), snap, tmp_path, clients).plan.commands
    assert left[:2] == ['release the DHCP lease of c2 on mac1 (stop its client)', 'disconnect c2 from mac1 (delete eth0)']
    snap, clients = _leased_host(run.doc)
    gone = dhcp_plan(dhcp_params(state='absent', force=True), snap, tmp_path, clients).plan.commands
    assert gone.index('release the DHCP lease of c1 on mac1 (stop its client)') < gone.index('disconnect c1 from mac1 (delete eth0)')


def test_inspect_shows_the_lease():
    doc = {'name': 'lan', 'id': 'x' * 64, 'created': 'now', 'driver': 'macvlan', 'parent': 'ens33', 'mode': 'bridge', 'ipam_driver': 'dhcp',
           'subnet': None, 'gateway': None, 'endpoints': {'c1': {'endpoint_id': 'e1', 'mac': '02:42:00:00:00:01', 'ip': None}}}
    lease = dict(_dhcp_hook.lease_from_env(ENV, now=0), client_pid=7)
    out = _inspect.inspect(doc, {'c1': lease})
    assert out['IPAM']['Driver'] == 'dhcp'
    assert out['Containers']['e1']['IPv4Address'] == '10.138.3.150/24'
    assert out['Containers']['e1']['lease']['server'] == '10.138.3.1' and 'client_pid' not in out['Containers']['e1']['lease']
    assert _inspect.inspect(doc, {})['Containers']['e1']['lease'] is None


def _leased_host(doc):
    """The host as the run left it, each endpoint with its leased address and a running client."""
    from test_network_planner import macvlan_host  # pylint: disable=import-outside-toplevel
    snap = macvlan_host(dict(doc, subnet='10.138.3.0/24'))
    clients = {}
    for i, (cname, ep) in enumerate(sorted(doc['endpoints'].items())):
        view = snap.views[cname]
        index = view.by_name[ep['ifname']]['index']
        address = '10.138.3.%d' % (150 + i)
        view.addrs = [{'index': index, 'address': address + '/24', 'family': 2}]
        settings = _dhcp._settings(_model_net(doc), cname)  # pylint: disable=protected-access
        text = _dhcp_service.env_text(doc['name'], cname, ep['ifname'], settings, {'address': address})
        clients[cname] = {'pid': 100 + i, 'env': text, 'lease': {'address': address, 'prefix': 24}}
    return snap, clients


def _model_net(doc):
    from ansible_collections.hostnet.containers.plugins.module_utils import _model  # pylint: disable=import-outside-toplevel
    return _model.Network.from_doc(doc)


# -- the hook against a fake pyroute2 IPRoute -------------------------------------------------------------------------
class _Msg(dict):
    def __init__(self, attrs, **fields):
        super().__init__(fields)
        self.attrs = attrs

    def get_attr(self, name):
        return self.attrs.get(name)


class FakeIPRoute:
    """The calls the hook makes, on a namespace of one interface (index 2) and maybe another (index 3)."""

    def __init__(self, addrs=(), default_oif=None):
        self.addrs = set(addrs)
        self.default_oif = default_oif
        self.calls = []

    def get_addr(self, family, index):
        return [_Msg({'IFA_ADDRESS': a}, prefixlen=p) for a, p in sorted(self.addrs) if index == 2]

    def get_routes(self, family):
        if self.default_oif is None:
            return []
        return [_Msg({'RTA_OIF': self.default_oif, 'RTA_TABLE': 254}, dst_len=0, table=254)]

    def addr(self, op, index, address, prefixlen):
        self.calls.append(('addr', op, address, prefixlen))
        (self.addrs.add if op == 'add' else self.addrs.discard)((address, prefixlen))

    def route(self, op, dst, gateway, oif):
        self.calls.append(('route', op, dst, gateway, oif))


LEASE = {'address': '10.138.3.150', 'prefix': 24, 'gateway': '10.138.3.1'}


def test_the_hook_adds_the_address_and_the_route_when_the_container_has_none():
    ipr = FakeIPRoute()
    _dhcp_hook._apply(ipr, 2, LEASE, None, True)  # pylint: disable=protected-access
    assert ipr.calls == [('addr', 'add', '10.138.3.150', 24), ('route', 'replace', '0.0.0.0/0', '10.138.3.1', 2)]


def test_a_renewal_of_the_same_lease_changes_nothing_but_the_route_through_its_own_interface():
    ipr = FakeIPRoute(addrs=[('10.138.3.150', 24)], default_oif=2)
    _dhcp_hook._apply(ipr, 2, LEASE, LEASE, True)  # pylint: disable=protected-access
    assert ipr.calls == [('route', 'replace', '0.0.0.0/0', '10.138.3.1', 2)]


def test_a_new_address_replaces_the_old_one():
    ipr = FakeIPRoute(addrs=[('10.138.3.150', 24)], default_oif=2)
    _dhcp_hook._apply(ipr, 2, dict(LEASE, address='10.138.3.151'), LEASE, True)  # pylint: disable=protected-access
    assert ipr.calls[:2] == [('addr', 'del', '10.138.3.150', 24), ('addr', 'add', '10.138.3.151', 24)]


def test_another_networks_default_route_and_no_default_route_are_left_alone():
    ipr = FakeIPRoute(default_oif=3)  # the container's route goes through its other network's interface
    _dhcp_hook._apply(ipr, 2, LEASE, None, True)  # pylint: disable=protected-access
    assert ipr.calls == [('addr', 'add', '10.138.3.150', 24)]
    ipr = FakeIPRoute()  # and a network with no_default_route gives none
    _dhcp_hook._apply(ipr, 2, LEASE, None, False)  # pylint: disable=protected-access
    assert ipr.calls == [('addr', 'add', '10.138.3.150', 24)]


def test_deconfig_removes_only_the_recorded_address():
    ipr = FakeIPRoute(addrs=[('10.138.3.150', 24), ('192.0.2.9', 24)])
    _dhcp_hook._deconfig(ipr, 2, LEASE)  # pylint: disable=protected-access
    assert ipr.calls == [('addr', 'del', '10.138.3.150', 24)]
    _dhcp_hook._deconfig(ipr, 2, None)  # pylint: disable=protected-access
    assert len(ipr.calls) == 1


def test_under_systemd_a_failed_client_unit_fails_the_run_at_once_naming_it(monkeypatch):
    """A unit that cannot run (restarted until systemd's start limit, then failed) is reported as such, not as a
    server that did not answer at the end of dhcp_timeout."""
    class Done:
        stdout = 'ActiveState=failed\nResult=exit-code\n'
        returncode = 0

    calls = []
    monkeypatch.setattr(_dhcp_service, 'manager', lambda root='/': 'systemd')
    monkeypatch.setattr(_dhcp_service, 'write', lambda name, text: None)
    monkeypatch.setattr(_dhcp_service, 'stop', lambda name: calls.append(('stop', name)))
    monkeypatch.setattr(_dhcp_service, '_start_systemd', lambda name: calls.append(('start', name)))
    monkeypatch.setattr(_dhcp_service, 'running', lambda name: None)
    monkeypatch.setattr(_dhcp_service.subprocess, 'run', lambda *a, **kw: Done())
    with pytest.raises(Exception) as err:
        _dhcp_service.start_many({'lan:web': ('env', 3600, 'parent ens33')}, '/usr/bin/busybox')
    assert str(err.value) == ('network lan: the DHCP client of web on parent ens33 did not run: its unit hostnet-dhcp@lan:web.service failed '
                              '(exit-code; journalctl -u hostnet-dhcp@lan:web.service)')
    assert calls == [('stop', 'lan:web'), ('start', 'lan:web'), ('stop', 'lan:web')]  # stopped again: nothing left
