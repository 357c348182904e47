#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: restore_files
short_description: Install the boot-time restore's files (hostnet-restore and its systemd units) in one run
version_added: 0.3.0
description:
  - Makes each file of O(files) on the host have the given content and mode, writing only those that are missing or
    differ, in one module run however many files there are. The P(hostnet.containers.host_requirements#role) role's
    C(restore_service) entry point installs the entry point C(/usr/local/sbin/hostnet-restore) and its systemd units
    with it; a copy per file was a module run each.
  - Each file is compared with the host's copy (its bytes and its permission bits). A file that is missing is created
    (with the folders missing on its way, mode C(0755)), one whose content differs is replaced, and one whose mode
    alone differs has its mode set.
  - Each file is replaced atomically, as a whole. Its new content is written and flushed to a hidden copy in the same
    folder (C(.NAME.PID.tmp)), given its mode, and renamed over it. A reader (systemd, a boot) sees the old file or the
    new one, never part of each.
  - A file is owned by the user the module runs as (root). A path that is something other than a regular file on the
    host (a folder, a symbolic link, such as a unit masked with a link to C(/dev/null)) is refused, naming it, and
    nothing is written.
  - Also returns whether systemd runs the host (RV(systemd_running)), which decides whether the units it installs can
    be reloaded and enabled.
  - A failure part-way puts back the files this run had written (and removes the ones and the folders it created).
  - A rerun with the same files reports C(changed=false); check mode writes nothing and reports the same C(changed)
    and RV(paths) a real run would.
author:
  - hostnet.containers contributors (@hostnet)
options:
  files:
    description:
      - The files to install, each given once.
      - An empty list changes nothing.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description:
          - The absolute, normalised path of the file on the host, such as C(/etc/systemd/system/hostnet-restore.service).
        type: str
        required: true
      content:
        description:
          - The file's whole text, written as UTF-8, as it is (a missing last newline stays missing).
        type: str
        required: true
      mode:
        description:
          - The file's permission bits, in octal as a string (V('0644'), V('0755')); an unquoted YAML C(0755) (read as
            the number 493) gives the same. Set-id and sticky bits are refused.
        type: raw
        default: '0644'
extends_documentation_fragment:
  - hostnet.containers._common
requirements:
  - Linux, run as root on the managed host.
  - python >= 3.9 on the managed host.
attributes:
  diff_mode:
    description:
      - Returns, per file that changes, its text before and after (the headers name its path and mode).
      - As M(ansible.builtin.copy) does, a text larger than 104448 bytes (Ansible's default C(max_file_size_for_diff)),
        such as the entry point C(hostnet-restore) with the engine inside it, or one that is not UTF-8, is left out
        and said to be.
notes:
  - Takes no host-wide lock; every file is replaced atomically, so two runs at once leave one whole version of it.
  - Every bad input fails before anything is touched, with a message naming the option (as C(files[N].OPTION)) and
    the value.
  - The result does not echo the files' contents in C(invocation) (the entry point is about 300 kB); each file's
    content is shown there as its size and SHA-1.
seealso:
  - module: ansible.builtin.copy
    description: One file per module run, with owners, SELinux contexts and backups.
  - name: The boot-time restore on a real host
    description: What hostnet-restore and its units do, and how to check them.
    link: https://github.com/hostnet/containers/blob/main/docs/real-hosts.md
'''

EXAMPLES = r'''
- name: Install a unit and a script (only what is missing or differs is written)
  hostnet.containers.restore_files:
    files:
      - path: /usr/local/sbin/hostnet-example
        content: |
          #!/bin/sh
          echo "hostnet example"
        mode: '0755'
      - path: /etc/systemd/system/hostnet-example.service
        content: |
          [Unit]
          Description=hostnet.containers example

          [Service]
          Type=oneshot
          ExecStart=/usr/local/sbin/hostnet-example
  register: installed

- name: Reload systemd's units when one changed and systemd runs the host
  ansible.builtin.systemd_service:
    daemon_reload: true
  when:
    - installed is changed
    - installed.systemd_running
    - not ansible_check_mode
'''

RETURN = r'''
paths:
  description: The paths of the files the run wrote or changed the mode of (in check mode, that a real run would), in the
    order given.
  returned: always
  type: list
  elements: str
  sample: ["/usr/local/sbin/hostnet-restore", "/etc/systemd/system/hostnet-restore.service"]
commands:
  description: The changes made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create /usr/local/sbin/hostnet-restore, mode 0755",
           "replace /etc/systemd/system/hostnet-restore.service (its content differs)",
           "set the mode of /etc/systemd/system/hostnet-dns@.service to 0644 (was 0600)"]
systemd_running:
  description: Whether systemd runs the host (C(/run/systemd/system) is a folder, as C(sd_booted(3)) tells); the units
    installed can be reloaded and enabled only then.
  returned: always
  type: bool
  sample: true
diff:
  description:
    - When run with C(--diff), one entry per file that changes (C(before_header) and C(after_header) name its path and
      mode, or absent; C(before) and C(after) are its text, or C(src_larger)/C(dst_larger), C(src_binary)/C(dst_binary)
      say why it is left out), then one whose C(prepared) lists the changes.
  returned: when diff mode is on
  type: list
  elements: dict
'''

import hashlib

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _restore_files
from ansible_collections.hostnet.containers.plugins.module_utils._validate import InputError


def run(module):
    want = _restore_files.wanted(module.params['files'])
    snap = _restore_files.snapshot(want)
    plan = _restore_files.plan(want, snap)
    result = {'changed': bool(plan), 'paths': _restore_files.changed_paths(want, snap), 'commands': plan.commands,
              'systemd_running': _restore_files.systemd_running(), 'invocation': {'module_args': shown(module.params)}}
    if module._diff:  # pylint: disable=protected-access
        result['diff'] = _restore_files.diff(want, snap)
        if plan:
            result['diff'].append({'prepared': 'changes:\n' + ''.join('  - %s\n' % text for text in plan.commands)})
    if plan and not module.check_mode:
        try:
            plan.execute()
        except _plan.PlanFailed as exc:
            module.fail_json(msg=str(exc), **{k: v for k, v in result.items() if k != 'changed'})
    module.exit_json(**result)


def shown(params):
    """The options as the result's invocation shows them: each content as its size and SHA-1, not its text."""
    return {'files': [dict(f, content='(%d bytes, sha1 %s)' % (len(f['content'].encode()), hashlib.sha1(f['content'].encode()).hexdigest()))
                      for f in params['files'] or []]}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type='list', elements='dict', required=True, options=dict(
                path=dict(type='str', required=True),
                content=dict(type='str', required=True),
                mode=dict(type='raw', default='0644'),
            )),
        ),
        supports_check_mode=True,
        # Not logged to the host's journal: the invocation would carry every file's text (the entry point is ~300 kB).
        no_log=True,
    )
    try:
        run(module)
    except InputError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg='restore_files: %s' % exc)


if __name__ == '__main__':
    main()
