# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/real-hosts.md's ways to run a workload in a container's namespace, each with a server in one container
reached by name from another: `ip netns exec`, and podman `--network ns:/run/netns/NAME` with the namespace's hosts
and resolv.conf mounted (the systemd unit example is checked by systemd-analyze in tests/unit/test_systemd_units.py)."""

from __future__ import annotations

import shlex

import pytest

from conftest import wait_until
from traffic import CLIENT, SERVER, connect

pytestmark = pytest.mark.once  # see conftest.py

# What only this test machine needs, not a real host: the emulated host's /var/lib is an overlay (vfs storage under
# its tmpfs /run instead), it has no cgroup file system (crun wants one: mounted read-only in the emulated host, so
# nothing can be created in the machine's cgroup tree; --cgroups=disabled creates none), the machine lacks CAP_SYS_RESOURCE (podman's default ulimits
# and crun's seccomp set-up raise limits: keep the current ones, no seccomp via --privileged), and no image registry
# is reachable (the host's / read-only as the root file system, bound under /run because crun cannot pivot_root to /).
LAB_PODMAN = r'''
set -e
[ "$(stat -f -c %%T /sys/fs/cgroup)" = cgroup2fs ] || mount -t cgroup2 -o ro cgroup2 /sys/fs/cgroup
mountpoint -q /run/podman/rootfs || { mkdir -p /run/podman/rootfs; mount --bind / /run/podman/rootfs;
                                      mount -o remount,bind,ro /run/podman/rootfs; }
podman --storage-driver vfs --root /run/podman/root --runroot /run/podman/run run --rm --privileged \
  --cgroups=disabled --pids-limit=-1 --ulimit memlock=$(($(ulimit -Sl)*1024)):$(($(ulimit -Hl)*1024)) \
  --ulimit nofile=$(ulimit -Sn):$(ulimit -Hn) --ulimit nproc=$(ulimit -Su):$(ulimit -Hu) \
  %s --rootfs /run/podman/rootfs %s
'''


def ok(res):
    assert not res.get('failed'), res
    return res


@pytest.fixture
def front(host):
    """A user-defined network with two containers that know each other by name."""
    ok(host.module('docker_bridge', name='front', endpoints=[{'name': 'web'}, {'name': 'client'}]))
    assert 'nameserver ' in host.run('cat /etc/netns/client/resolv.conf').stdout
    wait_until(lambda: host.netns_run('client', ['getent', 'hosts', 'web'], check=False).returncode == 0, 'web resolves in client')
    return host


def test_ip_netns_exec_reaches_a_server_by_name(front):
    host = front
    res = host.run(['sh', '-c', '"$@" >/dev/null 2>&1 & echo $!', 'serve', 'ip', 'netns', 'exec', 'web',
                    'python3', '-c', SERVER, 'tcp', '80', 'web'])
    try:
        answer = wait_until(lambda: connect(host, 'client', 'web', 80), 'web to answer client by name', pause=0.1)
        assert answer.startswith('web ')
    finally:
        host.run(['kill', res.stdout.split()[-1]], check=False)


def podman(host, netns, command, background=False):
    """podman run in the namespace, with its hosts and resolv.conf, as docs/real-hosts.md shows."""
    network = '--network ns:/run/netns/{0}'.format(netns)
    # Each file only when there is one (hosts: the netns module's entries; resolv.conf: on a network with names or
    # given name servers); podman wants the file it mounts.
    for fname, target in (('hosts', '/etc/hosts'), ('resolv.conf', '/etc/resolv.conf')):
        if host.run(['test', '-e', '/etc/netns/%s/%s' % (netns, fname)], check=False).returncode == 0:
            network += ' -v /etc/netns/{0}/{1}:{2}:ro'.format(netns, fname, target)
    script = LAB_PODMAN % (network, ' '.join(shlex.quote(a) for a in command))
    if background:
        script = '(%s) >/run/podman-%s.log 2>&1 & echo $!' % (script, netns)
    return host.run(['bash', '-c', script], check=False, timeout=120)


def test_podman_in_a_namespace_reaches_a_server_by_name(front):
    host = front
    server = podman(host, 'web', ['python3', '-c', SERVER, 'tcp', '80', 'web-podman'], background=True)
    try:
        try:
            wait_until(lambda: connect(host, 'client', 'web', 80), 'the server podman runs in web to answer', pause=0.2)
        except AssertionError as exc:
            raise AssertionError('%s; podman said: %s' % (exc, host.run('cat /run/podman-web.log', check=False).stdout)) from None
        res = podman(host, 'client', ['python3', '-c', CLIENT, 'tcp', 'web', '80', '5'])
        assert res.returncode == 0, res.stdout + res.stderr
        assert res.stdout.strip().startswith('web-podman '), res.stdout + res.stderr
        # The container sees the namespace's resolver (the network's name server), not podman's own.
        res = podman(host, 'client', ['cat', '/etc/resolv.conf'])
        assert res.stdout == host.run('cat /etc/netns/client/resolv.conf').stdout
    finally:
        # The subshell by its PID; podman and its server are in the emulated host's PID namespace and end with it.
        host.run(['kill', server.stdout.split()[-1]], check=False)
