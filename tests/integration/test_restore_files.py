# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""restore_files inside an emulated host (its /etc and /usr/local are its own): the files land with their content and
mode in one run, a rerun changes nothing, check mode writes nothing and says what a run would, --diff shows the texts,
and bad input or something other than a file in the way is named before anything is written."""

from __future__ import annotations

ENTRY = '/usr/local/sbin/hostnet-test-entry'
UNIT = '/etc/systemd/system/hostnet-test.service'
DEEP = '/etc/hostnet-test/a/b/settings.conf'
FILES = [
    {'path': ENTRY, 'content': '#!/bin/sh\necho restored\n', 'mode': '0755'},
    {'path': UNIT, 'content': '[Unit]\nDescription=test\n\n[Service]\nExecStart=%s\n' % ENTRY},
    {'path': DEEP, 'content': 'no newline at the end', 'mode': '0600'},
]


def state(host, *paths):
    """{path: (octal mode, owner, text)} of each path inside the host; None for one that is not there."""
    out = {}
    for path in paths:
        res = host.run(['sh', '-c', 'stat -c "%%a %%U" %s && cat %s' % (path, path)], check=False)
        if res.returncode:
            out[path] = None
        else:
            head, text = res.stdout.split('\n', 1)
            mode, owner = head.split()
            out[path] = (mode, owner, text)
    return out


def test_files_land_in_one_run_a_rerun_and_check_mode_change_nothing(host):
    paths = [f['path'] for f in FILES]
    res = host.module('restore_files', check_mode=True, diff=True, files=FILES)
    assert res['changed'] and not res.get('failed'), res
    assert res['paths'] == paths and res['systemd_running'] is False
    assert res['commands'] == ['create %s, mode 0755' % ENTRY, 'create %s, mode 0644' % UNIT, 'create %s, mode 0600' % DEEP]
    assert state(host, *paths) == dict.fromkeys(paths) and host.run(['test', '-e', '/etc/hostnet-test'], check=False).returncode
    first = res['diff'][0]
    assert first == {'before_header': ENTRY + ' (absent)', 'after_header': ENTRY + ' (mode 0755)', 'before': '',
                     'after': FILES[0]['content']}
    assert res['diff'][-1]['prepared'].startswith('changes:\n  - create %s' % ENTRY)

    res = host.module('restore_files', files=FILES)
    assert res['changed'] and res['paths'] == paths, res
    assert state(host, *paths) == {ENTRY: ('755', 'root', FILES[0]['content']), UNIT: ('644', 'root', FILES[1]['content']),
                                   DEEP: ('600', 'root', FILES[2]['content'])}
    assert host.run(['stat', '-c', '%a', '/etc/hostnet-test/a']).stdout.strip() == '755'
    assert host.run([ENTRY]).stdout == 'restored\n'
    # No hidden copy is left beside the files.
    assert host.run(['sh', '-c', 'ls -A /etc/systemd/system /usr/local/sbin | grep -c "\\.tmp$"'], check=False).stdout.strip() == '0'
    # The invocation does not echo the texts.
    assert all(f['content'].startswith('(') and 'bytes, sha1' in f['content'] for f in res['invocation']['module_args']['files'])

    for check_mode in (True, False):
        again = host.module('restore_files', check_mode=check_mode, diff=True, files=FILES)
        assert not again['changed'] and again['paths'] == [] and again['commands'] == [] and again['diff'] == [], again


def test_a_changed_text_or_mode_is_written_and_shown(host):
    host.module('restore_files', files=FILES)
    host.run(['chmod', '0700', ENTRY])
    changed = [dict(FILES[0]), dict(FILES[1], content=FILES[1]['content'].replace('test', 'changed')), FILES[2]]
    res = host.module('restore_files', check_mode=True, diff=True, files=changed)
    assert res['changed'] and res['paths'] == [ENTRY, UNIT], res
    assert res['commands'] == ['set the mode of %s to 0755 (was 0700)' % ENTRY, 'replace %s (its content differs)' % UNIT]
    assert res['diff'][1]['before'] == FILES[1]['content'] and res['diff'][1]['after'] == changed[1]['content']
    assert res['diff'][0]['before_header'] == ENTRY + ' (mode 0700)' and res['diff'][0]['after_header'] == ENTRY + ' (mode 0755)'
    assert state(host, ENTRY, UNIT) == {ENTRY: ('700', 'root', FILES[0]['content']), UNIT: ('644', 'root', FILES[1]['content'])}

    res = host.module('restore_files', files=changed)
    assert res['changed'] and res['paths'] == [ENTRY, UNIT], res
    assert state(host, ENTRY, UNIT) == {ENTRY: ('755', 'root', FILES[0]['content']), UNIT: ('644', 'root', changed[1]['content'])}
    assert not host.module('restore_files', files=changed)['changed']


def test_bad_input_and_a_masked_unit_are_named_before_anything_is_written(host):
    for files, message in (
            ([FILES[0], dict(FILES[1], mode='u=rw')], "files[1].mode 'u=rw': is not an octal file mode"),
            ([FILES[0], dict(FILES[1], path='etc/x')], "files[1].path 'etc/x': must be the absolute, normalised path"),
            ([FILES[0], FILES[0]], "files[1].path '%s': is files[0].path too" % ENTRY)):
        res = host.module('restore_files', files=files)
        assert res.get('failed') and res['msg'].startswith(message), res
    host.run(['ln', '-s', '/dev/null', UNIT])
    res = host.module('restore_files', files=FILES)
    assert res.get('failed') and res['msg'].startswith("files[1].path '%s': is a symbolic link" % UNIT), res
    assert state(host, ENTRY, DEEP) == {ENTRY: None, DEEP: None}
    assert host.run(['readlink', UNIT]).stdout.strip() == '/dev/null'
