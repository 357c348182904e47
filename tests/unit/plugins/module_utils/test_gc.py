# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Namespace records and the gc planner from dict snapshots (no root)."""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _gc
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _plan


# -- records ---------------------------------------------------------------------------------------------------------
def test_a_claim_adds_to_by_and_keeps_the_rest():
    rec = _netns_record.with_claim(None, 'c1', 'network:a')
    assert rec['by'] == ['network:a'] and rec['name'] == 'c1' and rec['owner'] is None and rec['created'].endswith('Z')
    both = _netns_record.with_claim(rec, 'c1', 'netns', sysctls={'net.ipv4.ip_forward': '1'}, owner='bridge_network')
    assert both['by'] == ['netns', 'network:a'] and both['created'] == rec['created']
    assert both['sysctls'] == {'net.ipv4.ip_forward': '1'} and both['owner'] == 'bridge_network'
    assert _netns_record.with_claim(both, 'c1', 'netns') == both  # nothing new: no write


def test_release_hands_the_namespace_to_the_networks_still_in_it():
    rec = _netns_record.new('c1', ['network:a'])
    assert _netns_record.release(rec, 'network:a') == []
    assert _netns_record.release(rec, 'network:a', ['b']) == ['network:b']
    assert _netns_record.release(_netns_record.new('c1', ['netns', 'network:a']), 'network:a', ['b']) == ['netns']
    nets = {'a': {'endpoints': {'c1': {}}}, 'b': {'endpoints': {'c2': {}}}, 'c': {'endpoints': {'c1': {}}}}
    assert _netns_record.holders_of('c1', nets, skip='a') == ['c']


def test_release_plans_removal_only_of_what_the_network_made():
    plan = _plan.Plan()
    _netns_record.plan_release(plan, None, 'mine', None, 'network:a', [])  # no record: the user's namespace
    _netns_record.plan_release(plan, None, 'other', _netns_record.new('other', ['network:b']), 'network:a', [])
    assert not plan
    _netns_record.plan_release(plan, None, 'c1', _netns_record.new('c1', ['network:a']), 'network:a', [])
    _netns_record.plan_release(plan, None, 'c2', _netns_record.new('c2', ['netns', 'network:a']), 'network:a', [])
    assert plan.commands == ['remove network namespace c1 (created for network:a, no endpoint left)',
                             'record that network:a no longer holds network namespace c2']


# -- the gc planner ----------------------------------------------------------------------------------------------------
def snap(**kw):
    base = {'records': {}, 'networks': {}, 'namespaces': [], 'host_links': {}, 'peers': {}, 'store_dirs': {},
            'etc_dirs': {}, 'etc_root_noted': False, 'root': '/var/lib/hostnet'}
    base.update(kw)
    return base


def net(name, endpoints, bridge='br-1'):
    return {'name': name, 'driver': 'bridge', 'bridge': bridge, 'endpoints': endpoints}


def ep(veth=None):
    return {'ip': '10.0.0.2', 'veth': veth}


def test_a_clean_host_has_no_leaks():
    s = snap(records={'c1': _netns_record.new('c1', ['network:a']), 'c2': _netns_record.new('c2', ['netns'])},
             networks={'a': net('a', {'c1': ep('veth1')})}, namespaces=['c1', 'c2', 'users'],
             host_links={'br-1': {'kind': 'bridge'}, 'veth1': {'kind': 'veth'}}, peers={'veth1': True},
             store_dirs={'networks': False, 'netns': False}, etc_dirs={'c1': ['hosts'], 'users': []})
    assert _gc.find_leaks(s) == []


def test_leaks_are_found_with_why_and_only_what_is_recorded():
    s = snap(records={'orphan': _netns_record.new('orphan', ['network:gone']), 'kept': _netns_record.new('kept', ['netns'])},
             networks={'a': net('a', {'vanished': ep('veth9'), 'c1': ep('veth1'), 'lost': ep()}, bridge='br-gone')},
             namespaces=['orphan', 'c1', 'users'],
             host_links={'veth9': {'kind': 'veth'}, 'veth1': {'kind': 'veth'}, 'vethuser': {'kind': 'veth'}},
             peers={'veth9': False, 'veth1': False},
             store_dirs={'nat': True, 'networks': False}, etc_dirs={'vanished': [], 'users': [], 'orphan': []},
             etc_root_noted=True)
    leaks = _gc.find_leaks(s)
    got = [(item['kind'], item['name'], item['action']) for item in leaks]
    assert got == [
        ('netns', 'kept', 'report'),  # wanted by the netns module: kept, reported
        ('netns', 'orphan', 'remove'),
        ('veth', 'veth1', 'remove'),  # its peer is not in c1
        ('endpoint', 'a/lost', 'remove'),
        ('endpoint', 'a/vanished', 'remove'), ('veth', 'veth9', 'remove'),
        ('network', 'a', 'report'),
        ('directory', '/var/lib/hostnet/nat', 'remove'), ('directory', _netns.etc_dir('vanished'), 'remove')]
    assert all(item['why'] for item in leaks)
    assert 'vethuser' not in [item['name'] for item in leaks]  # not named by the store: never a leak
    # The user's empty /etc/netns/users and /etc/netns itself (not empty yet at snapshot time) stay.
    steps, after = _gc.plan(s, leaks, Recorder())
    assert set(after['a']['endpoints']) == {'c1'}
    assert steps.commands[0].startswith('remove network namespace orphan')
    assert 'write network state a (without its lost endpoints)' in steps.commands


def test_an_overlay_whose_vxlan_device_is_gone_is_reported():
    doc = dict(net('ov', {}, bridge='ov-1'), driver='overlay', vxlan='vx-1', vxlan_created=True)
    s = snap(networks={'ov': doc}, host_links={'ov-1': {'kind': 'bridge'}})
    leaks = _gc.find_leaks(s)
    assert [(item['kind'], item['name'], item['action']) for item in leaks] == [('network', 'ov', 'report')]
    assert 'vx-1 is gone' in leaks[0]['why']
    s['host_links']['vx-1'] = {'kind': 'vxlan'}
    assert _gc.find_leaks(s) == []


def test_an_endpoint_of_a_recorded_namespace_that_vanished_is_reported_not_dropped():
    s = snap(records={'c1': _netns_record.new('c1', ['network:a'])}, networks={'a': net('a', {'c1': ep()})},
             host_links={'br-1': {'kind': 'bridge'}})
    leaks = _gc.find_leaks(s)
    assert [(i['kind'], i['action']) for i in leaks] == [('endpoint', 'report')] and 'restore' in leaks[0]['why']
    steps, after = _gc.plan(s, leaks, Recorder())
    assert after == s['networks'] and not steps


def test_owner_mode_removes_only_the_owners_unlisted_namespaces_and_their_endpoints():
    recs = {name: _netns_record.new(name, ['netns'], owner=owner) for name, owner in
            [('web', 'bridge_network'), ('db', 'bridge_network'), ('mac', 'macvlan_network'), ('free', None)]}
    s = snap(records=recs, networks={'a': net('a', {'web': ep('v1'), 'db': ep('v2')})}, namespaces=sorted(recs),
             host_links={'br-1': {'kind': 'bridge'}, 'v1': {'kind': 'veth'}, 'v2': {'kind': 'veth'}},
             peers={'v1': True, 'v2': True}, store_dirs={'nat': True})
    leaks = _gc.find_leaks(s, owner='bridge_network', keep=['web'])
    assert [(i['kind'], i['name']) for i in leaks] == [('netns', 'db'), ('endpoint', 'a/db')]
    changes = Recorder()
    steps, after = _gc.plan(s, leaks, changes)
    assert set(after['a']['endpoints']) == {'web'}
    steps.execute()
    assert [c[0] for c in changes.calls] == ['plan_names', 'plan_firewall', 'remove_namespace', 'save_network']


def test_name_server_folders_of_networks_without_a_document_are_leaks():
    s = snap(networks={'a': net('a', {})}, host_links={'br-1': {'kind': 'bridge'}},
             dns_dirs={'a': 4242, 'gone': 4343, 'stale': None})
    leaks = _gc.find_leaks(s)
    assert [(i['kind'], i['name'], i['action']) for i in leaks] == [('dns', 'gone', 'remove'), ('dns', 'stale', 'remove')]
    assert 'its server (pid 4343) runs' in leaks[0]['why'] and 'no server runs' in leaks[1]['why']
    assert _gc.find_leaks(s, owner='bridge_network') == []  # an owner's run leaves other leaks alone
    changes = Recorder()
    steps, dummy = _gc.plan(s, leaks, changes)
    assert steps.commands[-2].startswith('stop the name server of network gone and remove /run/hostnet/dns/gone (')
    steps.execute()
    assert [c for c in changes.calls if c[0] == 'remove_dns'] == [('remove_dns', 'gone'), ('remove_dns', 'stale')]


def test_proxy_folders_of_ports_no_network_publishes_on_ipv6_loopback_are_leaks():
    web = {'ip': '10.0.0.2', 'ip6': 'fd00::2', 'veth': None,
           'publish': [{'host_ip': '::', 'host_port': 8080, 'container_port': 80, 'proto': 'tcp', 'auto': False}]}
    kept = dict(net('a', {'web': web}), enable_ipv6=True, userland_proxy=True)
    s = snap(networks={'a': kept}, namespaces=['web'], host_links={'br-1': {'kind': 'bridge'}},
             proxy_dirs={'a-8080': 4242, 'a-9090': 4343, 'gone-80': None})
    leaks = _gc.find_leaks(s)
    assert [(i['kind'], i['name'], i['action']) for i in leaks] == [('proxy', 'a-9090', 'remove'), ('proxy', 'gone-80', 'remove')]
    assert 'its proxy (pid 4343) runs' in leaks[0]['why'] and 'no proxy runs' in leaks[1]['why']
    changes = Recorder()
    steps, dummy = _gc.plan(s, leaks, changes)
    assert steps.commands[-1].startswith('stop the [::1] proxy gone-80 and remove /run/hostnet/proxy/gone-80 (')
    steps.execute()
    assert [c for c in changes.calls if c[0] == 'remove_proxy'] == [('remove_proxy', 'a-9090'), ('remove_proxy', 'gone-80')]


def test_dhcp_clients_of_endpoints_no_dhcp_network_has_are_leaks():
    leased = dict(net('lan', {'web': {'ip': None, 'veth': None}}), driver='macvlan', ipam_driver='dhcp')
    s = snap(networks={'lan': leased}, namespaces=['web'], dhcp_clients={'lan:web': 4242, 'lan:old': 4343, 'gone:db': None})
    leaks = [i for i in _gc.find_leaks(s) if i['kind'] == 'dhcp']  # (the rest: the macvlan network's own reports)
    assert [(i['kind'], i['name'], i['action']) for i in leaks] == [('dhcp', 'gone:db', 'remove'), ('dhcp', 'lan:old', 'remove')]
    assert 'no client runs' in leaks[0]['why'] and 'its client (pid 4343) runs' in leaks[1]['why']
    changes = Recorder()
    steps, dummy = _gc.plan(s, leaks, changes)
    assert steps.commands[-1].startswith('stop the DHCP client lan:old (its lease released) and remove its files (')
    steps.execute()
    assert [c for c in changes.calls if c[0] == 'remove_dhcp'] == [('remove_dhcp', 'gone:db'), ('remove_dhcp', 'lan:old')]


class Recorder:
    """Stands in for _gc.Changes."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name,) + args)
        return call


def test_recording_several_namespaces_is_all_or_nothing(tmp_path, monkeypatch):
    """A write failing part-way puts back the records already written: a failed step's undo does not run."""
    import os
    from ansible_collections.hostnet.containers.plugins.module_utils import _store
    real = os.replace

    def replace(src, dst):
        if os.path.basename(dst) == 'c2.json':
            raise OSError(28, 'No space left on device')
        real(src, dst)

    monkeypatch.setattr(os, 'replace', replace)
    new = {n: _netns_record.new(n, ['network:a']) for n in ('c1', 'c2')}
    try:
        _netns_record.save_all(new, {'c1': None, 'c2': None}, str(tmp_path))
    except OSError:
        pass
    assert _store.load_all(_netns_record.KIND, str(tmp_path)) == {} and not (tmp_path / 'netns').exists()
