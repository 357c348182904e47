# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the release artifacts (hack/release.sh runs them).

check_release.py tarball TARBALL CHECKOUT
    The tarball holds only source: no virtualenv, build or test output, caches, lab state, tarballs, benchmark
    results or developer tooling, and nothing the checkout's .gitignore ignores; and it holds what a release needs.
check_release.py ee COLLECTIONS TARBALL WORKDIR
    ansible-builder reads the installed collection's meta/execution-environment.yml (introspect lists its Python and
    system requirements, ansible-core left out), bindep resolves every profile of bindep.txt on this machine, and
    `ansible-builder create` writes a build context for docs/execution-environment.yml with the tarball in it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile

import yaml

# A path component, or a path prefix, that never belongs in a release.
FORBIDDEN_PARTS = re.compile(r'^(\.venv.*|\.build|\.pytest_cache|__pycache__|\.ansible|\.git|\.ci|\.tox|\.cache|hack|'
                             r'hostnet-lab.*|\.molecule)$')
FORBIDDEN_PATHS = re.compile(r'^(tests/output/|benchmarks/results/)|\.(tar\.gz|pyc|pid|retry|log)$|^(Makefile|\.gitignore)$')
REQUIRED = ['MANIFEST.json', 'FILES.json', 'README.md', 'CHANGELOG.rst', 'changelogs/changelog.yaml', 'changelogs/config.yaml',
            'meta/runtime.yml', 'meta/execution-environment.yml', 'requirements.txt', 'bindep.txt',
            'docs/execution-environment.yml', 'plugins/modules/netns.py', 'plugins/connection/nsenter.py',
            'plugins/filter/macvlan_plan.yml', 'playbooks/macvlan_lab.yml', 'playbooks/macvlan_lab_v6.yml', 'playbooks/macvlan_lab_dhcp.yml',
            'playbooks/bridge_lab.yml',
            'roles/host_requirements/meta/argument_specs.yml', 'tests/unit/requirements.txt']


def check_tarball(tarball, checkout):
    with tarfile.open(tarball) as tar:
        members = tar.getmembers()
    names = [m.name.rstrip('/') for m in members]
    files = {m.name for m in members if m.isfile()}
    problems = []
    for name in names:
        if any(FORBIDDEN_PARTS.match(part) for part in name.split('/')) or FORBIDDEN_PATHS.search(name):
            problems.append('%s does not belong in a release' % name)
    for m in members:
        if not (m.isfile() or m.isdir()):
            problems.append('%s is a %s, not a file' % (m.name, 'symlink' if m.issym() else 'special file'))
    # Whatever the checkout's .gitignore ignores (outputs, caches, state) must not ship.
    source = set(subprocess.run(['git', 'ls-files', '--cached', '--others', '--exclude-standard'], cwd=checkout,
                                capture_output=True, text=True, check=True).stdout.splitlines())
    for name in sorted(files - source - {'MANIFEST.json', 'FILES.json'}):
        problems.append('%s is not a source file of the checkout (ignored by .gitignore)' % name)
    for name in REQUIRED:
        if name not in files:
            problems.append('%s is missing' % name)
    ignores = [n for n in files if re.match(r'^tests/sanity/ignore-[0-9.]+\.txt$', n)]
    if not ignores:
        problems.append('no tests/sanity/ignore-X.Y.txt')
    if problems:
        print('tarball: FAILED, %s:' % os.path.basename(tarball))
        for p in problems:
            print(' - ' + p)
        return 1
    print('tarball: %s holds %d files, all of them source, none of them output, venvs, caches or lab state'
          % (os.path.basename(tarball), len(files)))
    return 0


def run(argv, **kw):
    res = subprocess.run(argv, capture_output=True, text=True, check=False, **kw)
    if res.returncode != 0:
        raise RuntimeError('%s failed (rc=%d):\n%s%s' % (' '.join(argv), res.returncode, res.stdout, res.stderr))
    return res.stdout


def check_ee(collections, tarball, workdir):
    bindir = os.path.dirname(sys.executable)
    root = os.path.join(collections, 'ansible_collections', 'hostnet', 'containers')
    problems = []
    deps = yaml.safe_load(run([os.path.join(bindir, 'ansible-builder'), 'introspect', '--sanitize', collections]).split('\n', 1)[1])
    python = [line.split()[0] for line in deps.get('python') or []]
    system = [line.split('#')[0].strip() for line in deps.get('system') or []]
    for want in ('pyroute2>=0.7.2', 'netaddr>=0.8.0', 'jmespath>=1.0'):
        if want not in python:
            problems.append('introspect: Python requirement %s missing from %s' % (want, python))
    if any(p.startswith('ansible-core') for p in python):
        problems.append('introspect: ansible-core must not be in the Python requirements (%s)' % python)
    for want in ('util-linux [platform:dpkg platform:rpm]', 'python3-pyroute2 [managed platform:dpkg platform:rpm]'):
        if want not in system:
            problems.append('introspect: system requirement %r missing from %s' % (want, system))
    # Every package name of every profile exists and is installed here (Debian): a misspelt name fails.
    for profiles in ([], ['managed', 'test']):
        res = subprocess.run([os.path.join(bindir, 'bindep'), '--brief', '--file', os.path.join(root, 'bindep.txt')] + profiles,
                             capture_output=True, text=True, check=False)
        if res.returncode != 0:
            problems.append('bindep %s: missing on this machine: %s%s' % (' '.join(profiles) or 'default', res.stdout, res.stderr))

    with open(os.path.join(root, 'docs', 'execution-environment.yml')) as f:
        definition = yaml.safe_load(f)
    # The published definition installs the collection from Galaxy; here it comes from the tarball instead.
    name = os.path.basename(tarball)
    definition['dependencies']['galaxy'] = {'collections': [{'name': 'collections/' + name, 'type': 'file'}]}
    definition['additional_build_files'] = [{'src': os.path.abspath(tarball), 'dest': 'collections'}]
    ee_file = os.path.join(workdir, 'execution-environment.yml')
    with open(ee_file, 'w') as f:
        yaml.safe_dump(definition, f, sort_keys=False)
    context = os.path.join(workdir, 'context')
    run([os.path.join(bindir, 'ansible-builder'), 'create', '--file', ee_file, '--context', context,
         '--output-filename', 'Containerfile'], cwd=workdir)
    with open(os.path.join(context, 'Containerfile')) as f:
        containerfile = f.read()
    for want in ('ansible-galaxy collection install', 'introspect', 'install-from-bindep'):
        if want not in containerfile:
            problems.append('ansible-builder create: the Containerfile has no %r step' % want)
    if not os.path.isfile(os.path.join(context, '_build', 'collections', name)):
        problems.append('ansible-builder create: the tarball is not in the build context')
    if problems:
        print('ee: FAILED')
        for p in problems:
            print(' - ' + p)
        return 1
    print('ee: ansible-builder introspect finds %d Python and %d system requirements; bindep resolves every profile; '
          'ansible-builder create wrote %s' % (len(python), len(system), os.path.relpath(context, workdir)))
    return 0


def main(argv):
    if argv[:1] == ['tarball'] and len(argv) == 3:
        return check_tarball(argv[1], argv[2])
    if argv[:1] == ['ee'] and len(argv) == 4:
        return check_ee(*argv[1:])
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
