# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netns module's list form (``namespaces``) from dict snapshots (no root): every item checked and planned before
anything runs, errors naming namespaces[INDEX].OPTION, the list order kept where it matters, one batch for the records
and one for the new namespaces, and a failure part-way undoing the whole call."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _netns_plan
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

pytest.importorskip('netaddr')

from test_netns_plan import RECORD, Recorder, params, snap  # noqa: E402  pylint: disable=wrong-import-position


def wants(*items):
    return _netns_plan.wanted_many([params(**item) for item in items])


def plan_many(items, snaps):
    changes = Recorder()
    steps, results = _netns_plan.plan_many(wants(*items), snaps, changes)
    return steps, results, changes


def test_new_namespaces_are_recorded_and_created_in_one_batch_each():
    steps, results, changes = plan_many([dict(name='c1', hostname='c1', owner='app'), dict(name='c2', owner='app')],
                                        [snap(), snap()])
    assert steps.commands == [
        'record network namespace c1 (netns, owner app)', 'record network namespace c2 (netns, owner app)',
        'create network namespace c1', 'create network namespace c2', 'set lo up in c1', 'set lo up in c2',
        'create /etc/netns/c1', 'write /etc/netns/c1/hostname']
    assert [r['netns'] for r in results] == ['c1', 'c2'] and all(r['changed'] and r['before'] is None for r in results)
    assert results[1]['commands'] == ['record network namespace c2 (netns, owner app)', 'create network namespace c2',
                                      'set lo up in c2']
    assert results[0]['after']['files'] == {'hostname': 'c1\n'}
    assert changes.calls == []  # planning changes nothing: check mode
    steps.execute()
    records, old = changes.calls[0][1:]
    assert changes.calls[:2] == [('save_records', records, old), ('create_many', ['c1', 'c2'])]
    assert sorted(records) == ['c1', 'c2'] and old == {'c1': None, 'c2': None} and records['c2']['owner'] == 'app'


def test_an_empty_list_is_a_no_op():
    steps, results, dummy = plan_many([], [])
    assert not steps and results == []


def test_nothing_to_do_when_every_item_is_there():
    steps, results, dummy = plan_many([dict(name='c1'), dict(name='c2', state='absent')],
                                      [snap(exists=True, lo_up=True), snap()])
    assert not steps and [r['changed'] for r in results] == [False, False]


@pytest.mark.parametrize('items, option, value', [
    ([dict(name='c1'), dict(name='c2', hostname='bad_host!')], 'namespaces[1].hostname', 'bad_host!'),
    ([dict(name='c1', hosts=[{'ip': 'nope', 'names': ['a']}])], 'namespaces[0].hosts[0].ip', 'nope'),
    ([dict(name='c1'), dict(name='c2'), dict(name='bad/name')], 'namespaces[2].name', 'bad/name'),
    ([dict(name='c1', dns=['10.0.0.300'])], 'namespaces[0].dns[0]', '10.0.0.300'),
    ([dict(name='c1', sysctls={'kernel.pid_max': 1})], 'namespaces[0].sysctls', 'kernel.pid_max'),
    ([dict(name='c1', share_with='c1')], 'namespaces[0].share_with', 'c1'),
    ([dict(name='c1', owner='bad owner')], 'namespaces[0].owner', 'bad owner'),
])
def test_a_bad_item_is_named_by_its_index(items, option, value):
    with pytest.raises(_validate.InputError) as err:
        wants(*items)
    assert err.value.option == option and err.value.value == value
    assert str(err.value).startswith(option)


def test_a_name_listed_twice_names_both_indexes():
    with pytest.raises(_validate.InputError, match=r'namespaces\[2\]\.name .c1.: is also namespaces\[0\]\.name') as err:
        wants(dict(name='c1'), dict(name='c2'), dict(name='c1', state='absent'))
    assert err.value.option == 'namespaces[2].name'


def test_share_with_a_namespace_an_earlier_item_creates():
    steps, results, changes = plan_many([dict(name='web'), dict(name='side', share_with='web')],
                                        [snap(), snap(share_exists=False)])
    assert steps.commands[:4] == ['record network namespace web (netns)', 'record network namespace side (netns)',
                                  'create network namespace web', 'create network namespace side sharing web']
    steps.execute()
    assert changes.calls[1:3] == [('create_many', ['web']), ('create', 'side', 'web')]
    assert results[1]['after']['name'] == 'side'


@pytest.mark.parametrize('items, snaps, option, words', [
    # Listed later: the items apply in list order.
    ([dict(name='side', share_with='web'), dict(name='web')], [snap(share_exists=False), snap()], 'namespaces[0].share_with',
     r'made by namespaces\[1\], listed after this item'),
    # Removed by an earlier item.
    ([dict(name='web', state='absent'), dict(name='side', share_with='web')],
     [snap(exists=True), snap(share_exists=True)], 'namespaces[1].share_with', 'does not exist'),
    # An existing namespace cannot become a second name of one the list creates.
    ([dict(name='web'), dict(name='side', share_with='web')], [snap(), snap(exists=True, share_exists=False)],
     'namespaces[1].share_with', 'different namespace'),
    # A namespace without a record is the user's.
    ([dict(name='c1'), dict(name='c2', state='absent')], [snap(), snap(exists=True, record=None)], 'namespaces[1].name',
     'not created by hostnet.containers'),
    ([dict(name='c1', sysctls={'net.ipv4.nope': 1})], [snap(missing_sysctls=['net.ipv4.nope'])], 'namespaces[0].sysctls',
     'no such sysctl'),
])
def test_refusals_against_the_host_name_the_item_and_plan_nothing(items, snaps, option, words):
    changes = Recorder()
    with pytest.raises(_validate.InputError, match=words) as err:
        _netns_plan.plan_many(wants(*items), snaps, changes)
    assert err.value.option == option and changes.calls == []


def test_removals_come_after_every_step_that_can_be_undone():
    steps, dummy, dummy2 = plan_many([dict(name='old', state='absent'), dict(name='c1', hostname='c1'),
                                      dict(name='c2', state='absent')],
                                     [snap(exists=True, etc_dir=True), snap(), snap(stale=True)])
    assert steps.commands == [
        'record network namespace c1 (netns)', 'create network namespace c1', 'set lo up in c1', 'create /etc/netns/c1',
        'write /etc/netns/c1/hostname', 'remove network namespace old', 'remove /etc/netns/old',
        'remove stale /run/netns/c2 (not a mounted namespace)', 'remove record of network namespace old']


def test_existing_namespaces_records_are_written_together_last():
    steps, dummy, changes = plan_many([dict(name='c1', owner='app'), dict(name='c2', owner='app')],
                                      [snap(exists=True, lo_up=True), snap(exists=True)])
    assert steps.commands == ['set lo up in c2', 'record network namespace c1 (netns, owner app)',
                              'record network namespace c2 (netns, owner app)']
    steps.execute()
    assert changes.calls[1][0] == 'save_records' and sorted(changes.calls[1][1]) == ['c1', 'c2']
    assert changes.calls[1][2] == {'c1': RECORD, 'c2': RECORD}


def test_a_failure_part_way_undoes_the_whole_call():
    steps, dummy, changes = plan_many([dict(name='c1', hostname='c1'), dict(name='c2', hostname='c2')], [snap(), snap()])
    changes.fail = {'write_file'}
    with pytest.raises(_plan.PlanFailed, match='write /etc/netns/c1/hostname'):
        steps.execute()
    # Done: the records, the namespaces, lo in each, c1's folder; then undone in reverse (lo has nothing to undo).
    assert [call[0] for call in changes.calls[:5]] == ['save_records', 'create_many', 'set_up', 'set_up', 'make_etc_dir']
    assert changes.calls[5:] == [('remove_etc_dir', 'c1'), ('remove', 'c2'), ('remove', 'c1'), ('save_record', 'c2', None),
                                 ('save_record', 'c1', None)]


def test_a_namespace_the_create_batch_could_not_make_is_not_undone():
    removed = []

    class Changes(Recorder):
        def create_many(self, names):
            error = RuntimeError('create network namespace c2 failed')
            error.netns = 'c2'
            raise error

        def remove(self, name):
            removed.append(name)

    changes = Changes()
    steps, dummy = _netns_plan.plan_many(wants(dict(name='c1'), dict(name='c2'), dict(name='c3')),
                                         [snap(), snap(), snap()], changes)
    with pytest.raises(_plan.PlanFailed, match='^create network namespace c2: ') as err:
        steps.execute()
    assert removed == ['c1'] and 'rolled back' in str(err.value)
    assert changes.calls[-3:] == [('save_record', 'c3', None), ('save_record', 'c2', None), ('save_record', 'c1', None)]


def test_a_record_batch_that_fails_leaves_nothing_to_undo():
    changes = Recorder(fail={'save_records'})
    steps, dummy = _netns_plan.plan_many(wants(dict(name='c1'), dict(name='c2')), [snap(), snap()], changes)
    with pytest.raises(_plan.PlanFailed, match='^record network namespace c1 '):
        steps.execute()
    assert changes.calls == []


def test_in_list_order_sees_what_earlier_items_make_and_remove():
    items = wants(dict(name='a'), dict(name='b', state='absent'), dict(name='c', share_with='a'))
    out = _netns_plan.in_list_order(items, [snap(), snap(exists=True), snap(share_exists=False)])
    assert out[2]['share_exists'] and not out[2]['same_stack']


def test_every_new_namespace_in_one_pass_then_the_second_names_in_list_order():
    steps, dummy, changes = plan_many([dict(name='a'), dict(name='s1', share_with='a'), dict(name='b'),
                                       dict(name='s2', share_with='s1')], [snap(), snap(share_exists=False), snap(), snap()])
    assert [text for text in steps.commands if text.startswith('create')] == [
        'create network namespace a', 'create network namespace b', 'create network namespace s1 sharing a',
        'create network namespace s2 sharing s1']
    steps.execute()
    assert changes.calls[1:4] == [('create_many', ['a', 'b']), ('create', 's1', 'a'), ('create', 's2', 's1')]


def test_owned_unlisted_names_the_owners_namespaces_the_call_does_not_list(tmp_path):
    for name, owner in (('kept', 'app'), ('gone', 'app'), ('other', 'db'), ('users', None)):
        _store.save(_netns_record.KIND, name, _netns_record.new(name, ['netns'], owner=owner), str(tmp_path))
    assert _netns_plan.owned_unlisted(wants(dict(name='kept', owner='app'), dict(name='new', owner='app')), str(tmp_path)) == ['gone']
    assert _netns_plan.owned_unlisted(wants(dict(name='kept', owner='app'), dict(name='x', owner='db')), str(tmp_path)) == ['gone', 'other']
    assert _netns_plan.owned_unlisted(wants(dict(name='kept')), str(tmp_path)) is None  # no owner: not asked
    assert _netns_plan.owned_unlisted(wants(dict(name='kept', owner='app')), str(tmp_path / 'empty')) == []
