# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The boot-time restore's files on a host (the restore_files module): the entry point hostnet-restore and its
systemd units, each compared with the host's copy and written only when it is missing or differs.

The role renders them on the controller and hands them over in one module run: a copy per file was a module run
each (about 0.4 s apiece, eight of them on every play that installed them).  Planning reads the host and changes
nothing, so check mode and diff come from the same plan as the run; a failure part-way puts back what the run had
written.  Each file is replaced atomically (a hidden copy in its own folder, flushed, then renamed over it): the host
has the old file or the new one, never a part of each, also when it loses power during the run.
"""

from __future__ import annotations

import os
import stat

from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils._validate import InputError

# sd_booted(3): systemd runs the host when this is a directory (emulated hosts and most containers have none).
SYSTEMD_RUNNING = '/run/systemd/system'
# As ansible.builtin.copy with Ansible's default max_file_size_for_diff: a larger file's text is left out of the diff.
DIFF_MAX = 104448
DEFAULT_MODE = '0644'
# A folder the module makes on a file's way (/usr/local/sbin on a host without it).
FOLDER_MODE = 0o755
MODE_HINT = 'give the permission bits in octal as a string, such as \'0644\' or \'0755\''


def parse_mode(value, option):
    """The permission bits of an octal mode: a string ('0755', '755', '0o755'), or an int as YAML 1.1 reads an unquoted
    0755 (493); InputError naming ``option`` otherwise.  Set-id and sticky bits are refused: no file of the restore has
    them, and an unquoted 755 (the int 755, 0o1363) would otherwise pass."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InputError(option, value, 'is not a file mode: %s' % MODE_HINT)
    if isinstance(value, int):
        mode = value
    else:
        text = value.strip().lower()
        text = text[2:] if text.startswith('0o') else text
        if not text or len(text) > 4 or text.strip('01234567'):
            raise InputError(option, value, 'is not an octal file mode: %s' % MODE_HINT)
        mode = int(text, 8)
    if not 0 <= mode <= 0o777:
        raise InputError(option, value, 'is not a file mode of permission bits only (0000 to 0777; an unquoted number '
                                        'is taken as it is, 755 as 0o1363): %s' % MODE_HINT)
    return mode


def show_mode(mode):
    return '%04o' % mode


def check_path(path, option):
    """InputError unless ``path`` is an absolute, normalised path to a file (not / nor a folder's path ending in /)."""
    if not isinstance(path, str) or not path.startswith('/') or os.path.normpath(path) != path or path == '/' \
            or '\0' in path or path.startswith('//'):
        raise InputError(option, path, 'must be the absolute, normalised path of a file, such as '
                                       '/etc/systemd/system/hostnet-restore.service')


def wanted(files):
    """The ``files`` option normalised: [{path, content, mode (int)}], in order; InputError naming files[N].OPTION."""
    out = []
    seen = {}
    for index, item in enumerate(files or []):
        path = item.get('path')
        check_path(path, 'files[%d].path' % index)
        if path in seen:
            raise InputError('files[%d].path' % index, path, 'is files[%d].path too: give each file once' % seen[path])
        seen[path] = index
        content = item.get('content')
        if not isinstance(content, str):
            raise InputError('files[%d].content' % index, content, 'must be the text of the file')
        mode = item.get('mode')
        out.append({'path': path, 'content': content,
                    'mode': parse_mode(DEFAULT_MODE if mode is None else mode, 'files[%d].mode' % index)})
    return out


def read(path, option):
    """What the host has at ``path``: {data (bytes), mode}, both None when there is no file; InputError naming
    ``option`` when something else is there (a folder, a link: the module replaces regular files only, so a unit
    masked with a link to /dev/null stays masked) or a file is in the way of its folder."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return {'data': None, 'mode': None}
    except NotADirectoryError:
        raise InputError(option, path, 'cannot be a file: a file is in the way of its folder') from None
    if not stat.S_ISREG(info.st_mode):
        kind = 'a symbolic link' if stat.S_ISLNK(info.st_mode) else 'a folder' if stat.S_ISDIR(info.st_mode) else 'not a regular file'
        raise InputError(option, path, 'is %s on the host; the module replaces regular files only (a unit masked with a '
                                       'link to /dev/null stays masked): remove it to have the file installed' % kind)
    with open(path, 'rb') as f:
        return {'data': f.read(), 'mode': stat.S_IMODE(info.st_mode)}


def snapshot(want):
    """{path: read(path)} of every wanted file, read once."""
    return {f['path']: read(f['path'], 'files[%d].path' % index) for index, f in enumerate(want)}


def systemd_running():
    return os.path.isdir(SYSTEMD_RUNNING)


def plan(want, snap):
    """The steps that give the host the wanted files (pure: ``snap`` is what the host has): a missing file is created,
    one whose content differs is replaced, one whose mode alone differs has its mode set; each with its undo."""
    steps = _plan.Plan()
    for f in want:
        path, mode, have = f['path'], f['mode'], snap[f['path']]
        data = f['content'].encode()
        modes = '' if have['mode'] in (None, mode) else ', mode %s (was %s)' % (show_mode(mode), show_mode(have['mode']))
        if have['data'] is None:
            write = Write(path, data, mode, None)
            steps.add('create %s, mode %s' % (path, show_mode(mode)), write.do, write.undo, undo_partial=True)
        elif have['data'] != data:
            write = Write(path, data, mode, have)
            steps.add('replace %s (its content differs)%s' % (path, modes), write.do, write.undo, undo_partial=True)
        elif modes:
            steps.add('set the mode of %s to %s (was %s)' % (path, show_mode(mode), show_mode(have['mode'])),
                      chmod(path, mode), chmod(path, have['mode']))
    return steps


def changed_paths(want, snap):
    """The paths of the files the plan changes, in the order given."""
    return [f['path'] for f in want if differs(f, snap[f['path']])]


def differs(f, have):
    return have['data'] != f['content'].encode() or have['mode'] != f['mode']


def diff(want, snap):
    """One diff per file that changes, as Ansible's callbacks show them: the headers name the path and its mode (absent
    when there is none), the texts are the file before and after; a text over DIFF_MAX bytes, or not UTF-8, is left out
    and said to be (as ansible.builtin.copy says it)."""
    out = []
    for f in want:
        have = snap[f['path']]
        if not differs(f, have):
            continue
        entry = {'before_header': header(f['path'], have['mode']), 'after_header': header(f['path'], f['mode'])}
        entry.update(diff_text('before', 'dst', have['data']))
        entry.update(diff_text('after', 'src', f['content'].encode()))
        out.append(entry)
    return out


def header(path, mode):
    return '%s (absent)' % path if mode is None else '%s (mode %s)' % (path, show_mode(mode))


def diff_text(key, side, data):
    """{key: text} of one side of a file's diff; {side_larger: DIFF_MAX} or {side_binary: True} when it is left out."""
    if data is None:
        return {key: ''}
    if len(data) > DIFF_MAX:
        return {side + '_larger': DIFF_MAX}
    try:
        return {key: data.decode('utf-8')}
    except UnicodeDecodeError:
        return {side + '_binary': True}


class Write:
    """One file written through a hidden copy in its folder, renamed over it (the folders missing on its way made
    first, mode 0755); the undo puts back what the host had (``before``: {data, mode}), or, for a new file, removes it
    and the folders this write made."""

    def __init__(self, path, data, mode, before):
        self.path = path
        self.data = data
        self.mode = mode
        self.before = before
        self.made = []

    def do(self):
        self.made = make_folders(os.path.dirname(self.path))
        write(self.path, self.data, self.mode)

    def undo(self):
        if self.before is not None:
            write(self.path, self.before['data'], self.before['mode'])
            return
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        for folder in reversed(self.made):
            os.rmdir(folder)
        self.made = []


def make_folders(folder):
    """Make ``folder`` and the folders missing on its way (mode 0755); the ones made, outermost first."""
    missing = []
    while not os.path.isdir(folder):
        missing.append(folder)
        folder = os.path.dirname(folder)
    made = []
    for path in reversed(missing):
        os.mkdir(path, FOLDER_MODE)
        made.append(path)
    return made


def write(path, data, mode):
    """Replace ``path`` with ``data`` and ``mode`` atomically (the copy is flushed before the rename, the folder after
    it), through a hidden copy named after the file and this process, in the same folder (a rename within one
    filesystem): systemd reads no unit from it, and an interrupted run leaves at most that copy."""
    folder, name = os.path.split(path)
    _store.write_atomic(path, data, mode, tmp=os.path.join(folder, '.%s.%d.tmp' % (name, os.getpid())))
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def chmod(path, mode):
    return lambda: os.chmod(path, mode)
