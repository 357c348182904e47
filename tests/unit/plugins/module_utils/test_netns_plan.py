# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netns planner from dict snapshots (no root): every branch that decides a change, and every refusal."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_plan
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

pytest.importorskip('netaddr')


class Recorder:
    """Stands in for _netns_plan.Changes: records each call, fails the ones named in ``fail``."""

    def __init__(self, fail=()):
        self.calls = []
        self.fail = set(fail)

    def __getattr__(self, name):
        def call(*args):
            if name in self.fail:
                raise OSError(13, 'Permission denied')
            self.calls.append((name,) + args)
        return call


def params(**kw):
    base = dict(name='web01', state='present', share_with=None, hosts=None, dns=None, dns_search=None, hostname=None, sysctls=None)
    base.update(kw)
    return base


RECORD = {'name': 'web01', 'created': '2026-12-04T23:00:00.000000Z', 'by': ['netns'], 'share_with': None, 'sysctls': {},
          'owner': None}


def snap(**kw):
    """A snapshot; an existing namespace has the netns module's record unless ``record`` says otherwise."""
    base = dict(exists=False, stale=False, etc_dir=False, files={}, lo_up=False, sysctls={}, missing_sysctls=[])
    base.update(kw)
    base.setdefault('record', dict(RECORD, sysctls=dict(base['sysctls'])) if base['exists'] else None)
    return base


def without_records(commands):
    return [text for text in commands if not text.startswith('record network namespace')]


def plan_for(snapshot, **kw):
    changes = Recorder()
    steps, before, after = _netns_plan.plan(_netns_plan.wanted(params(**kw)), snapshot, changes)
    return steps, before, after, changes


def test_a_new_namespace_is_created_with_lo_up():
    steps, before, after, changes = plan_for(snap())
    # The record first: a run killed right after the create leaves a record of what it made.
    assert steps.commands == ['record network namespace web01 (netns)', 'create network namespace web01', 'set lo up in web01']
    assert before is None and after == {'name': 'web01', 'files': {}, 'sysctls': {}}
    assert changes.calls == []  # planning changes nothing: check mode
    steps.execute()
    record = changes.calls[0][1]['web01']
    # The record and the namespace go through the batches the list form shares (one write, one pass).
    assert changes.calls == [('save_records', {'web01': record}, {'web01': None}), ('create_many', ['web01']), ('set_up', 'web01', 'lo')]
    assert record['by'] == ['netns'] and record['share_with'] is None and record['owner'] is None


def test_an_existing_namespace_with_lo_up_needs_nothing():
    steps, before, after, dummy = plan_for(snap(exists=True, lo_up=True))
    assert not steps and before == after == {'name': 'web01', 'files': {}, 'sysctls': {}}


def test_lo_down_is_repaired():
    assert plan_for(snap(exists=True))[0].commands == ['set lo up in web01']


def test_container_mode_creates_a_second_name():
    steps = plan_for(snap(share_exists=True), share_with='web00')[0]
    assert steps.commands[1] == 'create network namespace web01 sharing web00'
    assert not plan_for(snap(exists=True, lo_up=True, share_exists=True, same_stack=True, record=dict(RECORD, share_with='web00')),
                        share_with='web00')[0]


@pytest.mark.parametrize('snapshot, words', [
    (snap(share_exists=False), "share_with 'web00': network namespace web00 does not exist"),
    (snap(exists=True, share_exists=True, same_stack=False), 'already exists and is a different namespace'),
])
def test_share_with_refusals(snapshot, words):
    with pytest.raises(_validate.InputError, match=words):
        plan_for(snapshot, share_with='web00')


def test_files_are_written_into_a_new_folder_and_undone():
    steps, dummy, after, changes = plan_for(snap(), hostname='web01', dns=['10.0.0.2'], dns_search=['lab.example'])
    assert without_records(steps.commands) == ['create network namespace web01', 'set lo up in web01', 'create /etc/netns/web01',
                                               'write /etc/netns/web01/hostname', 'write /etc/netns/web01/resolv.conf']
    assert after['files'] == {'hostname': 'web01\n', 'resolv.conf': 'search lab.example\nnameserver 10.0.0.2\n'}
    changes.fail = {'write_sysctl'}
    with pytest.raises(_plan.PlanFailed):
        steps.add('set sysctl x', lambda: changes.write_sysctl('web01', 'x', '1'))
        steps.execute()
    undone = changes.calls[len(steps.commands) - 1:]
    assert undone == [('write_file', 'web01', 'resolv.conf', None), ('write_file', 'web01', 'hostname', None),
                      ('remove_etc_dir', 'web01'), ('remove', 'web01'), ('save_record', 'web01', None)]


def test_only_changed_files_are_written_and_old_content_restored_on_undo():
    current = {'hostname': 'old\n', 'resolv.conf': 'nameserver 10.0.0.2\n'}
    record = dict(RECORD, dns=['10.0.0.2'], dns_search=[])  # as the netns module keeps them for the network planner
    steps, before, after, changes = plan_for(snap(exists=True, lo_up=True, etc_dir=True, files=current, record=record), hostname='new',
                                             dns=['10.0.0.2'])
    assert steps.commands == ['write /etc/netns/web01/hostname']
    assert before['files'] == current and after['files'] == {'hostname': 'new\n', 'resolv.conf': 'nameserver 10.0.0.2\n'}
    steps.steps[0].undo()
    assert changes.calls == [('write_file', 'web01', 'hostname', 'old\n')]


def test_hosts_keeps_the_names_block_of_docker_bridge():
    block = _netns.HOSTS_BEGIN + '172.18.0.9\tdb\n' + _netns.HOSTS_END
    current = {'hosts': _netns.LOCALHOST_HOSTS + '10.0.0.1\tgw\n' + block}
    steps, dummy, after, dummy2 = plan_for(snap(exists=True, lo_up=True, etc_dir=True, files=current),
                                           hosts={'gw': '10.0.0.1'})
    assert not steps and after['files']['hosts'] == current['hosts']
    steps = plan_for(snap(exists=True, lo_up=True, etc_dir=True, files=current), hosts=[])[0]
    assert steps.commands == ['write /etc/netns/web01/hosts']


def test_hosts_forms():
    assert _netns_plan.hosts_file([{'ip': '10.0.0.3', 'names': 'db'}]).endswith('10.0.0.3\tdb\n')
    text = _netns_plan.hosts_file({'db01': '172.18.0.3', '172.18.0.4': ['cache', 'redis']})
    assert text == _netns.LOCALHOST_HOSTS + '172.18.0.4\tcache redis\n172.18.0.3\tdb01\n'


def test_sysctls_only_what_differs_with_undo_to_the_old_value():
    current = {'net.ipv4.ip_forward': '0', 'net.ipv4.conf.all.rp_filter': '2'}
    steps, dummy, after, changes = plan_for(snap(exists=True, lo_up=True, sysctls=current),
                                            sysctls={'net.ipv4.ip_forward': True, 'net.ipv4.conf.all.rp_filter': 2})
    # The record keeps what the module set, for the restore at boot.
    assert steps.commands == ['set sysctl net.ipv4.ip_forward=1 in web01', 'record network namespace web01 (netns)']
    assert after['sysctls'] == {'net.ipv4.ip_forward': '1', 'net.ipv4.conf.all.rp_filter': '2'}
    steps.steps[0].undo()
    assert changes.calls == [('write_sysctl', 'web01', 'net.ipv4.ip_forward', '0')]
    new = plan_for(snap(), sysctls={'net.ipv4.ip_local_port_range': '20000\t30000'})[0]
    assert new.commands[-1] == 'set sysctl net.ipv4.ip_local_port_range=20000 30000 in web01' and new.steps[-1].undo is None


@pytest.mark.parametrize('exists, words', [(True, 'no such sysctl inside network namespace web01'), (False, 'no such sysctl on')])
def test_a_sysctl_this_kernel_lacks_is_refused(exists, words):
    with pytest.raises(_validate.InputError, match=words) as err:
        plan_for(snap(exists=exists, missing_sysctls=['net.ipv4.nope']), sysctls={'net.ipv4.nope': 1})
    assert err.value.option == 'sysctls' and err.value.value == 'net.ipv4.nope'


@pytest.mark.parametrize('snapshot, commands, calls', [
    (snap(), [], []),
    (snap(exists=True, etc_dir=True), ['remove network namespace web01', 'remove /etc/netns/web01',
                                       'remove record of network namespace web01'],
     [('remove', 'web01'), ('remove_etc_dir', 'web01'), ('save_records', {'web01': None}, {'web01': RECORD})]),
    (snap(stale=True), ['remove stale /run/netns/web01 (not a mounted namespace)'], [('remove_stale', 'web01')]),
])
def test_absent(snapshot, commands, calls):
    steps, dummy, after, changes = plan_for(snapshot, state='absent')
    assert steps.commands == commands and after is None
    steps.execute()
    assert changes.calls == calls


@pytest.mark.parametrize('kw, option, value', [
    (dict(name='bad/name'), 'name', 'bad/name'),
    (dict(name='x' * 65), 'name', 'x' * 65),
    (dict(name='..'), 'name', '..'),
    (dict(share_with='bad/ns'), 'share_with', 'bad/ns'),
    (dict(share_with='web01'), 'share_with', 'web01'),
    (dict(hosts='nope'), 'hosts', 'nope'),
    (dict(hosts=[{'ip': '10.0.0.1'}]), 'hosts[0]', {'ip': '10.0.0.1'}),
    (dict(hosts=[{'ip': '10.0.0.1', 'names': 5}]), 'hosts[0].names', 5),
    (dict(hosts=[{'ip': '10.0.0.1', 'names': []}]), 'hosts[0].names', []),
    (dict(hosts=[{'ip': '10.0.0.1', 'names': ['bad name']}]), 'hosts[0].names', 'bad name'),
    (dict(hosts=[{'ip': 'nope', 'names': ['a']}]), 'hosts[0].ip', 'nope'),
    (dict(dns=['10.0.0.300']), 'dns[0]', '10.0.0.300'),
    (dict(dns_search=['bad domain']), 'dns_search', 'bad domain'),
    (dict(hostname='bad_host!'), 'hostname', 'bad_host!'),
    (dict(sysctls={'kernel.pid_max': 1}), 'sysctls', 'kernel.pid_max'),
    (dict(sysctls={'net..x': 1}), 'sysctls', 'net..x'),
])
def test_bad_options_name_the_option_and_the_value(kw, option, value):
    with pytest.raises(_validate.InputError) as err:
        _netns_plan.wanted(params(**kw))
    assert err.value.option == option and err.value.value == value


def test_resolv_conf_on_a_network_serving_names_names_its_server_first():
    """The same text the network planner writes (_dns.resolv_text), so the two never rewrite each other's file."""
    networks = {'app': {'name': 'app', 'driver': 'bridge', 'dns': True, 'gateway': '172.18.0.1',
                        'endpoints': {'web01': {'ip': '172.18.0.2', 'connected': '1'}}}}
    steps, dummy, after, dummy2 = plan_for(snap(exists=True, lo_up=True, etc_dir=True, networks=networks), dns=['10.0.0.2'],
                                           dns_search=['corp.example'])
    assert after['files']['resolv.conf'] == ('search app.hostnet.internal corp.example\nnameserver 172.18.0.1\n'
                                             'nameserver 10.0.0.2\n')
    assert 'record network namespace web01 (netns)' in steps.commands
