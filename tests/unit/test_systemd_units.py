# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`systemd-analyze verify` passes on every unit file the collection ships (the roles' units and the documented
examples), without a word of warning; a broken unit fails the same check, so the check is real.

The units are verified under --root in a temporary tree holding the system's own units (what they are ordered
against) and a stand-in for each program they run, so nothing of this machine's /etc is read or written. A program
named without a path (busybox) gets its stand-in where this machine has it on systemd's search path, as a host's
systemd finds it; where the machine lacks it (bindep test profile: busybox) the check fails naming the command."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ANALYZE = shutil.which('systemd-analyze') or '/usr/bin/systemd-analyze'
SYSTEM_UNITS = next((d for d in ('/usr/lib/systemd/system', '/lib/systemd/system') if os.path.isdir(d)), None)
# Where systemd looks for an ExecStart= program named without a path (systemd.service(5), "Command lines").
SEARCH_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
SHIPPED = sorted(glob.glob(os.path.join(REPO, 'roles', '*', 'files', 'systemd', '*.service'))
                 + glob.glob(os.path.join(REPO, 'docs', 'examples', '*.service')))

pytestmark = pytest.mark.skipif(not os.path.exists(ANALYZE) or SYSTEM_UNITS is None,
                                reason='systemd-analyze and the system units are needed (bindep test profile: systemd)')


def verify(tmp_path, units, names=None):
    """Return code and output of systemd-analyze verify on ``units`` ({file name: text}) under a private root; ``names``
    are the units verified (default: all of them), where an instance (NAME@net1.service) loads its template."""
    root = tmp_path / 'root'
    shutil.copytree(SYSTEM_UNITS, str(root / 'usr' / 'lib' / 'systemd' / 'system'), symlinks=True)
    etc = root / 'etc' / 'systemd' / 'system'
    etc.mkdir(parents=True)
    for name, text in units.items():
        (etc / name).write_text(text)
        for program in re.findall(r'^Exec\w+=[-@:+!]*(\S+)', text, re.M):
            if not program.startswith('/'):
                program = shutil.which(program, path=SEARCH_PATH)
                if program is None:
                    continue
            stub = root / program.lstrip('/')
            stub.parent.mkdir(parents=True, exist_ok=True)
            stub.write_text('#!/bin/sh\n')
            stub.chmod(0o755)
    res = subprocess.run([ANALYZE, 'verify', '--root=%s' % root] + [str(etc / n) for n in names or units],
                         capture_output=True, text=True, check=False)
    return res.returncode, (res.stdout + res.stderr).strip()


def test_the_collection_ships_the_units():
    names = {os.path.basename(p) for p in SHIPPED}
    assert {'hostnet-restore.service', 'hostnet-nftables-reload.service', 'hostnet-iptables-reload.service',
            'hostnet-firewalld-reload.service', 'hostnet-web01.service', 'hostnet-dns@.service',
            'hostnet-proxy@.service', 'hostnet-dhcp@.service'} <= names


def test_the_role_installs_every_unit_it_ships():
    with open(os.path.join(REPO, 'roles', 'host_requirements', 'vars', 'main.yml')) as f:
        role_vars = yaml.safe_load(f)
    listed = role_vars['host_requirements_restore_units'] + role_vars['host_requirements_template_units']
    shipped = os.listdir(os.path.join(REPO, 'roles', 'host_requirements', 'files', 'systemd'))
    assert sorted(listed) == sorted(shipped)
    # Templates are installed, never enabled (the enable loop takes the restore units only).
    assert all('@.' in n for n in role_vars['host_requirements_template_units'])
    assert not any('@.' in n for n in role_vars['host_requirements_restore_units'])


def test_the_name_server_unit_runs_what_the_collection_runs():
    """systemd and the supervised server run one command with one pid file (_dns_service), so either manager finds
    and stops the other's server."""
    with open(os.path.join(REPO, 'roles', 'host_requirements', 'files', 'systemd', 'hostnet-dns@.service')) as f:
        text = f.read()
    paths = _dns_service.paths('NET')
    assert 'ExecStart=%s\n' % ' '.join(_dns_service._command('NET')).replace('NET', '%i') in text
    assert 'PIDFile=%s\n' % paths['pid'].replace('NET', '%i') in text
    assert 'ConditionPathExists=%s\n' % paths['conf'].replace('NET', '%i') in text
    assert '[Install]' not in text  # never enabled


def test_the_dhcp_client_unit_runs_the_client_in_the_container():
    """The DHCP client's unit as issue 28's contract fixes it: the runtime folder of NET:CONTAINER (env, netns) is the
    collection's, written before each start; the marker HOSTNET_DHCP is how the collection knows the client is its
    own; the arguments are split by systemd (no braces); never enabled."""
    with open(os.path.join(REPO, 'roles', 'host_requirements', 'files', 'systemd', 'hostnet-dhcp@.service')) as f:
        lines = [line for line in f.read().splitlines() if line and not line.startswith('#')]
    assert lines == [
        '[Unit]',
        'Description=DHCP client of the hostnet.containers endpoint %i',
        'Documentation=https://github.com/hostnet/containers/blob/main/docs/dhcp.md',
        'ConditionPathExists=/run/hostnet/dhcp/%i/env',
        'After=network.target',
        '[Service]',
        'Type=simple',
        'NetworkNamespacePath=/run/hostnet/dhcp/%i/netns',
        'EnvironmentFile=/run/hostnet/dhcp/%i/env',
        'Environment=HOSTNET_DHCP=%i',
        'ExecStart=busybox udhcpc $HOSTNET_DHCP_ARGS',
        'Restart=on-failure',
    ]


def test_the_dhcp_client_unit_verifies_under_its_instance_name(tmp_path):
    """An instance is named NET:CONTAINER; systemd takes ':' in a unit name as it is (systemd-escape leaves it), but
    verify reads FILE:NAME as a file loaded under another name, which is how the template is given that name here."""
    with open(os.path.join(REPO, 'roles', 'host_requirements', 'files', 'systemd', 'hostnet-dhcp@.service')) as f:
        units = {'hostnet-dhcp@.service': f.read()}
    rc, out = verify(tmp_path, units, ['hostnet-dhcp@.service:hostnet-dhcp@lan-net:web_1.service'])
    assert rc == 0 and out == '', out


def test_a_program_named_without_a_path_must_be_on_the_host(tmp_path):
    """The stand-in of a bare program name is made only where the machine has it: a program no host has fails."""
    unit = '[Service]\nExecStart=hostnet-no-such-program --flag\n'
    rc, out = verify(tmp_path, {'bare.service': unit})
    assert rc != 0 and 'hostnet-no-such-program' in out


def test_every_shipped_unit_verifies(tmp_path):
    # Together, as a host has them: the example workload requires hostnet-restore.service.
    units = {}
    for path in SHIPPED:
        with open(path) as f:
            units[os.path.basename(path)] = f.read()
    # A template is verified through an instance (what systemctl start loads).
    rc, out = verify(tmp_path, units, [n.replace('@.service', '@net1.service') for n in units])
    assert rc == 0 and out == '', out


def test_a_broken_template_fails_through_its_instance(tmp_path):
    rc, out = verify(tmp_path, {'broken@.service': '[Service]\nType=forking\n'}, ['broken@net1.service'])
    assert rc != 0 and 'broken@net1.service' in out and 'ExecStart' in out


def test_a_broken_unit_fails_the_check(tmp_path):
    rc, out = verify(tmp_path, {'broken.service': '[Unit]\nDescription=no ExecStart\n\n[Service]\nType=oneshot\n'})
    assert rc != 0 and 'ExecStart' in out
