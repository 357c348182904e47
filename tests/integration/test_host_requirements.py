# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The host_requirements role (run first by bridge_network and macvlan_network) on two emulated hosts.

Nothing here installs a package: the hosts' interpreters either import pyroute2 and netaddr (the no-op path),
or they are a bare virtualenv, which no package can help, or the packages asked for do not exist.
"""

from __future__ import annotations

import os
import subprocess

import pytest

pytestmark = pytest.mark.once  # see conftest.py

SYSTEM_PYTHON = '/usr/bin/python3'
INSTALL_TASKS = ('Install them with apt', 'Install them with dnf', 'Install it with apt', 'Install it with dnf')


@pytest.fixture
def bare_python(tmp_path):
    """A virtualenv without system site packages: it imports neither pyroute2 nor netaddr."""
    venv = tmp_path / 'bare-venv'
    subprocess.run([SYSTEM_PYTHON, '-m', 'venv', '--without-pip', str(venv)], check=True)
    python = str(venv / 'bin' / 'python3')
    assert subprocess.run([python, '-c', 'import pyroute2'], capture_output=True, check=False).returncode != 0
    return python


def test_an_interpreter_that_has_them_changes_nothing(run_role):
    # host1 on the system Python (Debian's python3-pyroute2 and python3-netaddr), host2 on the test's own.
    rc, out, recap = run_role('host_requirements', {'host1': {'ansible_python_interpreter': SYSTEM_PYTHON}})
    assert rc == 0, out
    assert recap['host1']['changed'] == 0 and recap['host2']['changed'] == 0, out
    assert 'Install what is missing, or fail naming it' in out and not any(task in out for task in INSTALL_TASKS), out


def test_a_bare_virtualenv_fails_naming_the_interpreter_and_the_packages(run_role, bare_python):
    rc, out, recap = run_role('host_requirements', {'host1': {'ansible_python_interpreter': bare_python}})
    assert rc != 0 and recap['host1']['failed'] == 1 and recap['host2']['failed'] == 0, out
    assert ('%s (the Python that runs the modules on host1) cannot import pyroute2, netaddr, jmespath' % bare_python) in out
    assert 'although python3-pyroute2, python3-netaddr, python3-jmespath are installed' in out
    assert 'ansible_python_interpreter at the system Python' in out
    assert not any(task in out for task in INSTALL_TASKS), out


# The hosts have /usr/sbin/dnsmasq and busybox (the machine's /usr): a program that is not there stands for a host
# without it. busybox (udhcpc, the client of networks with ipam_driver dhcp) is looked for by name, as its unit runs it.
@pytest.mark.parametrize('variable, missing, message', [
    ('host_requirements_dns_program', '/usr/sbin/hostnet-no-dnsmasq',
     '/usr/sbin/hostnet-no-dnsmasq (dnsmasq, the name server of networks with dns on) is not on host1. Install dnsmasq-base'),
    ('host_requirements_dhcp_program', 'hostnet-no-busybox',
     'hostnet-no-busybox (busybox, whose udhcpc is the DHCP client of networks with ipam_driver dhcp) is not on host1. '
     'Install busybox'),
])
def test_a_missing_program_is_named_with_its_package(run_role, variable, missing, message):
    rc, out, recap = run_role('host_requirements', {}, host_requirements_install=False, **{variable: missing})
    assert rc != 0 and recap['host1']['failed'] == 1 and recap['host2']['failed'] == 1, out
    assert message + ', or let the role do it (host_requirements_install is false)' in out
    assert recap['host1']['changed'] == 0 and not any(task in out for task in INSTALL_TASKS), out


def test_a_pyroute2_older_than_supported_fails_naming_its_version(run_role, tmp_path):
    """An interpreter whose pyroute2 (by its package metadata) is older than 0.7.2 stops the play on that host, with the
    version and how to upgrade; nothing is installed over it."""
    venv = tmp_path / 'old-pyroute2'
    subprocess.run([SYSTEM_PYTHON, '-m', 'venv', '--without-pip', '--system-site-packages', str(venv)], check=True)
    python = str(venv / 'bin' / 'python3')
    site = subprocess.run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], capture_output=True,
                          text=True, check=True).stdout.strip()
    # Found before the system's 0.7.2: the venv's own site-packages come first on sys.path.
    os.makedirs(os.path.join(site, 'pyroute2'))
    open(os.path.join(site, 'pyroute2', '__init__.py'), 'w').close()
    os.makedirs(os.path.join(site, 'pyroute2-0.6.13.dist-info'))
    with open(os.path.join(site, 'pyroute2-0.6.13.dist-info', 'METADATA'), 'w') as f:
        f.write('Metadata-Version: 2.1\nName: pyroute2\nVersion: 0.6.13\n')
    rc, out, recap = run_role('host_requirements', {'host1': {'ansible_python_interpreter': python}})
    assert rc != 0 and recap['host1']['failed'] == 1 and recap['host2']['failed'] == 0, out
    assert '%s (the Python that runs the modules on host1) has pyroute2 0.6.13; the collection needs 0.7.2 or newer' % python in out
    assert "pip install 'pyroute2>=0.7.2'" in out
    assert not any(task in out for task in INSTALL_TASKS), out


def test_missing_packages_are_named_when_installing_is_off_and_in_check_mode(run_role, bare_python):
    host_vars = {'host1': {'ansible_python_interpreter': bare_python,
                           'host_requirements_packages': ['python3-netaddr', 'hostnet-no-such-package']}}
    rc, out, recap = run_role('host_requirements', host_vars, host_requirements_install=False)
    assert rc != 0 and recap['host1']['failed'] == 1, out
    assert 'Install hostnet-no-such-package, or let the role do it (host_requirements_install is false)' in out

    rc, out, recap = run_role('host_requirements', host_vars, check=True)
    assert rc != 0 and recap['host1']['failed'] == 1, out
    assert 'A run without --check installs hostnet-no-such-package; check mode cannot' in out
    assert not any(task in out for task in INSTALL_TASKS), out


@pytest.mark.parametrize('role, host_vars', [
    ('bridge_network', {'bridge_network_networks': [{'name': 'custom_network'}]}),
    ('macvlan_network', {'macvlan_network_parent': 'ens33',
                         'macvlan_network_networks': [{'name': 'macnet', 'subnet': '10.0.0.0/24'}]}),
])
def test_the_network_roles_stop_before_touching_the_host(two_hosts, run_role, bare_python, role, host_vars):
    h1, _h2 = two_hosts
    before = h1.settled_snapshot()
    rc, out, recap = run_role(role, {'host1': dict(host_vars, ansible_python_interpreter=bare_python),
                                     'host2': dict(host_vars, ansible_python_interpreter=bare_python)})
    assert rc != 0 and 'host1' in recap, out
    assert recap['host1']['failed'] == 1 and recap['host1']['changed'] == 0, out
    assert 'cannot import pyroute2, netaddr, jmespath' in out
    assert h1.settled_snapshot(like=before) == before
