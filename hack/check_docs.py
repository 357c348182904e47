# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every plugin and role entry point of an installed hostnet.containers renders with ansible-doc, as users see it.

Usage: check_docs.py COLLECTIONS_PATH

- every module, filter, connection plugin and role found in the installed copy's files is listed by ansible-doc
  (a plugin whose documentation does not load is missing from the list) and renders as text without a warning;
- modules and filters have EXAMPLES and RETURN, and every module, filter and connection plugin declares the
  attributes check_mode, diff_mode and platform;
- every role has meta/argument_specs.yml with a main entry point;
- the EXAMPLES of the modules and filters, pasted together into one play, pass ansible-playbook --syntax-check
  (valid YAML, valid task keywords, every module and filter name resolves);
- each plugin's EXAMPLES, pasted as they are under a play's tasks (the way a user copies them), and the examples of
  the documentation pages (hack/docs_examples.py: the README, the role READMEs, docs/, and the pages whose examples
  need a DHCP server, which the tests do not run) pass ansible-lint's production profile.
"""

from __future__ import annotations

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import docs_examples  # noqa: E402  pylint: disable=wrong-import-position

NS = 'hostnet.containers'
ATTRIBUTES = {'check_mode', 'diff_mode', 'platform'}


def run(argv, env):
    res = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return res.returncode, res.stdout, res.stderr


def main(path):
    path = os.path.abspath(path)  # ansible-lint runs from another folder
    root = os.path.join(path, 'ansible_collections', 'hostnet', 'containers')
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=path, ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
               ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_DEPRECATION_WARNINGS='true')
    problems = []

    def base(pattern, ext):
        return sorted('%s.%s' % (NS, os.path.basename(p)[:-len(ext)]) for p in glob.glob(os.path.join(root, pattern)))

    expected = {
        'module': base('plugins/modules/[!_]*.py', '.py'),
        'filter': base('plugins/filter/*.yml', '.yml'),
        'connection': base('plugins/connection/[!_]*.py', '.py'),
        'role': sorted('%s.%s' % (NS, os.path.basename(os.path.dirname(p))) for p in glob.glob(os.path.join(root, 'roles/*/tasks'))),
    }

    rc, out, err = run([os.path.join(bindir, 'ansible-doc'), '--metadata-dump', NS], env)
    if rc != 0:
        print('ansible-doc --metadata-dump %s failed:\n%s' % (NS, err))
        return 1
    dump = json.loads(out)['all']
    for kind, names in expected.items():
        found = sorted(dump.get(kind, {}))
        if found != names:
            problems.append('%s: ansible-doc lists %s, the files are %s' % (kind, found, names))

    for kind, names in expected.items():
        rc, out, err = run([os.path.join(bindir, 'ansible-doc'), '-t', kind] + names, env)
        if rc != 0 or err.strip():
            problems.append('ansible-doc -t %s %s: rc=%d\n%s' % (kind, ' '.join(names), rc, err.strip()))
        for name in names:
            if not re.search(r'^> %s:? \*?%s\*? ' % (kind.upper(), re.escape(name)), out, re.M):
                problems.append('ansible-doc -t %s did not render %s' % (kind, name))

    tasks = []
    example_texts = {}
    for kind in ('module', 'filter', 'connection'):
        for name in expected[kind]:
            entry = dump.get(kind, {}).get(name) or {}
            doc = entry.get('doc') or {}
            missing = ATTRIBUTES - set(doc.get('attributes') or {})
            if missing:
                problems.append('%s %s: attributes %s are not documented' % (kind, name, ', '.join(sorted(missing))))
            if kind == 'connection':
                continue
            if not entry.get('return'):
                problems.append('%s %s: no RETURN' % (kind, name))
            examples = yaml.safe_load(entry.get('examples') or '') or []
            if not isinstance(examples, list) or not examples:
                problems.append('%s %s: EXAMPLES is not a list of tasks' % (kind, name))
                continue
            if not any(name in json.dumps(task) for task in examples):
                problems.append('%s %s: no example uses %s' % (kind, name, name))
            tasks.extend(examples)
            example_texts[name] = entry.get('examples') or ''

    for role in expected['role']:
        spec_file = os.path.join(root, 'roles', role.split('.')[-1], 'meta', 'argument_specs.yml')
        if not os.path.exists(spec_file):
            problems.append('role %s: no meta/argument_specs.yml' % role)
        elif 'main' not in (dump.get('role', {}).get(role, {}).get('entry_points') or {}):
            problems.append('role %s: no main entry point in meta/argument_specs.yml' % role)

    with tempfile.TemporaryDirectory() as tmp:
        play = os.path.join(tmp, 'examples.yml')
        with open(play, 'w') as f:
            yaml.safe_dump([{'name': 'Every EXAMPLES task of the collection', 'hosts': 'localhost', 'gather_facts': False,
                             'tasks': tasks}], f, sort_keys=False)
        rc, out, err = run([os.path.join(bindir, 'ansible-playbook'), '--syntax-check', '-i', 'localhost,', play], env)
        if rc != 0 or '[WARNING]' in err:
            problems.append('the EXAMPLES, pasted into a play, fail ansible-playbook --syntax-check:\n%s%s' % (out, err))

    problems += lint_examples(example_texts, bindir, env, root)
    counts = ', '.join('%s: %d' % (k, len(v)) for k, v in expected.items())
    if problems:
        print('docs: FAILED (%s)' % counts)
        for p in problems:
            print(' - ' + p)
        return 1
    print('docs: %s render with ansible-doc; %d EXAMPLES tasks pass --syntax-check and ansible-lint --profile production'
          % (counts, len(tasks)))
    return 0


def lint_examples(example_texts, bindir, env, root):
    """Problems ansible-lint's production profile finds in the EXAMPLES, each plugin's as one play, and in the examples
    of each documentation page, as a playbook."""
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for page in docs_examples.PAGES + docs_examples.NOT_RUN:
            try:
                playbook = docs_examples.page_playbook(root, page)
            except (docs_examples.ExampleError, OSError, yaml.YAMLError) as exc:
                return [str(exc)]
            path = os.path.join(tmp, 'page-' + re.sub(r'[^a-z0-9]+', '-', page.lower()) + '.yml')
            with open(path, 'w') as f:
                f.write(playbook)
            files.append(os.path.basename(path))
        for name, text in sorted(example_texts.items()):
            path = os.path.join(tmp, name.split('.')[-1] + '.yml')
            with open(path, 'w') as f:
                f.write('---\n- name: Examples of %s\n  hosts: all\n  gather_facts: false\n  tasks:\n%s'
                        % (name, textwrap.indent(text.strip('\n') + '\n', '    ')))
            files.append(os.path.basename(path))
        # Run from the folder of the plays, so that no project configuration of the caller's folder applies.
        res = subprocess.run([os.path.join(bindir, 'ansible-lint'), '--offline', '--profile', 'production', '--nocolor'] + files,
                             cwd=tmp, capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        return ['the EXAMPLES fail ansible-lint --profile production:\n%s%s' % (res.stdout, res.stderr)]
    return []


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
