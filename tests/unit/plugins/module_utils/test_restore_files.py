# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The restore_files module's engine (no root): options checked and named, the plan from dict snapshots (create,
replace, mode, nothing), the diff, and the writes and their undo on plain files in a temporary folder."""

from __future__ import annotations

import os

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _restore_files as rf
from ansible_collections.hostnet.containers.plugins.module_utils._validate import InputError

UNIT = '/etc/systemd/system/hostnet-restore.service'
BIN = '/usr/local/sbin/hostnet-restore'


@pytest.mark.parametrize('value, mode', [('0644', 0o644), ('755', 0o755), ('0o700', 0o700), (' 0600 ', 0o600), (0o755, 0o755),
                                         (493, 0o755), ('0', 0)])
def test_modes_in_octal(value, mode):
    assert rf.parse_mode(value, 'files[0].mode') == mode


@pytest.mark.parametrize('value', ['u=rw', '0999', '', '07777', '4755', 755, 0o4755, -1, True, None, 1.5, ['0644']])
def test_a_bad_mode_is_named(value):
    with pytest.raises(InputError) as err:
        rf.parse_mode(value, 'files[2].mode')
    assert str(err.value).startswith('files[2].mode ') and "'0644'" in str(err.value)


@pytest.mark.parametrize('path', ['etc/x', '/etc/../x', '/etc//x', '/etc/x/', '/', '//etc/x', '/etc/./x', '', None, '/etc/x\0y'])
def test_a_bad_path_is_named(path):
    with pytest.raises(InputError) as err:
        rf.wanted([{'path': '/etc/ok', 'content': ''}, {'path': path, 'content': ''}])
    assert str(err.value).startswith('files[1].path ')


def test_wanted_normalises_and_refuses_a_path_given_twice():
    assert rf.wanted([{'path': BIN, 'content': 'x', 'mode': '0755'}, {'path': UNIT, 'content': 'y', 'mode': None}]) == [
        {'path': BIN, 'content': 'x', 'mode': 0o755}, {'path': UNIT, 'content': 'y', 'mode': 0o644}]
    assert rf.wanted([]) == [] and rf.wanted(None) == []
    with pytest.raises(InputError, match=r"^files\[2\]\.path '/etc/a': is files\[0\]\.path too"):
        rf.wanted([{'path': '/etc/a', 'content': ''}, {'path': '/etc/b', 'content': ''}, {'path': '/etc/a', 'content': ''}])
    with pytest.raises(InputError, match=r'^files\[0\]\.content '):
        rf.wanted([{'path': '/etc/a', 'content': None}])


def absent():
    return {'data': None, 'mode': None}


def test_the_plan_creates_replaces_and_sets_modes_only_where_they_differ():
    want = rf.wanted([{'path': BIN, 'content': 'new\n', 'mode': '0755'}, {'path': UNIT, 'content': '[Unit]\n'},
                      {'path': '/etc/a', 'content': 'same\n'}, {'path': '/etc/b', 'content': 'same\n', 'mode': '0600'},
                      {'path': '/etc/c', 'content': 'new\n', 'mode': '0600'}])
    snap = {BIN: {'data': b'old\n', 'mode': 0o755}, UNIT: absent(), '/etc/a': {'data': b'same\n', 'mode': 0o644},
            '/etc/b': {'data': b'same\n', 'mode': 0o644}, '/etc/c': {'data': b'old\n', 'mode': 0o644}}
    plan = rf.plan(want, snap)
    assert plan.commands == ['replace %s (its content differs)' % BIN, 'create %s, mode 0644' % UNIT,
                             'set the mode of /etc/b to 0600 (was 0644)',
                             'replace /etc/c (its content differs), mode 0600 (was 0644)']
    assert rf.changed_paths(want, snap) == [BIN, UNIT, '/etc/b', '/etc/c']
    same = {path: {'data': f['content'].encode(), 'mode': f['mode']} for path, f in ((f['path'], f) for f in want)}
    assert not rf.plan(want, same) and rf.changed_paths(want, same) == [] and rf.diff(want, same) == []


def test_the_diff_shows_each_changed_file_with_its_path_and_mode():
    want = rf.wanted([{'path': BIN, 'content': 'new\n', 'mode': '0755'}, {'path': UNIT, 'content': '[Unit]\n'},
                      {'path': '/etc/a', 'content': 'same\n'}])
    snap = {BIN: {'data': b'old\n', 'mode': 0o700}, UNIT: absent(), '/etc/a': {'data': b'same\n', 'mode': 0o644}}
    assert rf.diff(want, snap) == [
        {'before_header': BIN + ' (mode 0700)', 'after_header': BIN + ' (mode 0755)', 'before': 'old\n', 'after': 'new\n'},
        {'before_header': UNIT + ' (absent)', 'after_header': UNIT + ' (mode 0644)', 'before': '', 'after': '[Unit]\n'}]


def test_the_diff_leaves_out_a_large_or_binary_text_as_copy_does():
    big = 'x' * (rf.DIFF_MAX + 1)
    want = rf.wanted([{'path': BIN, 'content': big}, {'path': UNIT, 'content': 'text\n'}])
    snap = {BIN: {'data': b'small\n', 'mode': 0o644}, UNIT: {'data': b'\xff\xfe', 'mode': 0o644}}
    first, second = rf.diff(want, snap)
    assert first == {'before_header': BIN + ' (mode 0644)', 'after_header': BIN + ' (mode 0644)', 'before': 'small\n',
                     'src_larger': rf.DIFF_MAX}
    assert second == {'before_header': UNIT + ' (mode 0644)', 'after_header': UNIT + ' (mode 0644)', 'dst_binary': True,
                      'after': 'text\n'}


def files_in(tmp_path, **contents):
    return rf.wanted([{'path': str(tmp_path / name.replace('__', '/')), 'content': text, 'mode': mode}
                      for name, (text, mode) in contents.items()])


def apply(want):
    snap = rf.snapshot(want)
    plan = rf.plan(want, snap)
    plan.execute()
    return plan, snap


def mode_of(path):
    return os.stat(path).st_mode & 0o7777


def test_files_land_with_their_content_and_mode_and_a_rerun_changes_nothing(tmp_path):
    want = files_in(tmp_path, sbin__entry=('#!/bin/sh\n', '0755'), etc__systemd__unit=('[Unit]\n', '0644'))
    plan, dummy = apply(want)
    assert len(plan.commands) == 2
    assert (tmp_path / 'sbin' / 'entry').read_text() == '#!/bin/sh\n' and mode_of(tmp_path / 'sbin' / 'entry') == 0o755
    assert (tmp_path / 'etc' / 'systemd' / 'unit').read_text() == '[Unit]\n' and mode_of(tmp_path / 'etc' / 'systemd') == 0o755
    assert not rf.plan(want, rf.snapshot(want))
    assert sorted(os.listdir(tmp_path / 'sbin')) == ['entry']  # no hidden copy left


def test_a_mode_alone_is_set_and_content_replaced_in_place(tmp_path):
    path = tmp_path / 'unit'
    path.write_text('old\n')
    path.chmod(0o600)
    plan, dummy = apply(files_in(tmp_path, unit=('old\n', '0644')))
    assert plan.commands == ['set the mode of %s to 0644 (was 0600)' % path] and mode_of(path) == 0o644
    apply(files_in(tmp_path, unit=('new\n', '0644')))
    assert path.read_text() == 'new\n'


def test_a_failure_part_way_puts_back_what_the_run_wrote(tmp_path, monkeypatch):
    (tmp_path / 'kept').write_text('old\n')
    (tmp_path / 'kept').chmod(0o600)
    want = files_in(tmp_path, kept=('new\n', '0644'), a__b__made=('x', '0644'), last=('y', '0644'))
    monkeypatch.setenv(_plan.FAULT_ENV, 'create %s' % (tmp_path / 'last'))
    snap = rf.snapshot(want)
    with pytest.raises(_plan.PlanFailed, match='rolled back'):
        rf.plan(want, snap).execute()
    assert (tmp_path / 'kept').read_text() == 'old\n' and mode_of(tmp_path / 'kept') == 0o600
    assert sorted(os.listdir(tmp_path)) == ['kept']  # the folders a/b went with the file made in them


@pytest.mark.parametrize('what', ['link', 'folder', 'under_a_file'])
def test_something_other_than_a_file_is_refused_and_named(tmp_path, what):
    path = tmp_path / 'unit'
    if what == 'link':
        path.symlink_to('/dev/null')
    elif what == 'folder':
        path.mkdir()
    else:
        path.write_text('')
        path = path / 'inside'
    want = rf.wanted([{'path': str(tmp_path / 'ok'), 'content': ''}, {'path': str(path), 'content': ''}])
    with pytest.raises(InputError) as err:
        rf.snapshot(want)
    assert str(err.value).startswith("files[1].path '%s': " % path)
    assert os.path.islink(tmp_path / 'unit') == (what == 'link') and not os.path.exists(tmp_path / 'ok')
