# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The name server's pure parts: paths, the manager choice from a fake root, ownership from a command line, and the
port listeners parsed from /proc/net lines (no root, no dnsmasq)."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service as svc
from ansible_collections.hostnet.containers.plugins.module_utils._kernel import HostnetError

LITTLE = sys.byteorder == 'little'  # /proc/net prints addresses in the kernel's byte order; the samples are x86's
CONF = '/run/hostnet/dns/web/dnsmasq.conf'


def test_paths_are_under_the_run_dir_of_the_network():
    assert svc.paths('web') == {'dir': '/run/hostnet/dns/web', 'conf': CONF, 'servers': '/run/hostnet/dns/web/servers',
                                'hosts': '/run/hostnet/dns/web/hosts', 'pid': '/run/hostnet/dns/web/dnsmasq.pid'}
    assert svc.paths('my-net_2.a')['dir'] == '/run/hostnet/dns/my-net_2.a'


@pytest.mark.parametrize('name', ['', '../etc', 'a/b', '.hidden', 'x' * 65, None])
def test_a_name_that_is_no_network_name_never_becomes_a_path(name):
    with pytest.raises(HostnetError):
        svc.paths(name)


def _root(tmp_path, booted, unit):
    if booted:
        os.makedirs(str(tmp_path / 'run/systemd/system'))
    if unit:
        os.makedirs(str(tmp_path / 'etc/systemd/system'))
        (tmp_path / 'etc/systemd/system/hostnet-dns@.service').write_text('[Service]\n')
    return str(tmp_path)


@pytest.mark.parametrize('booted, unit, expected', [
    (True, True, 'systemd'),
    (True, False, 'supervised'),  # systemd without our unit (role not applied): still a server
    (False, True, 'supervised'),  # the unit on disk but another init (a container, an emulated host)
    (False, False, 'supervised'),
])
def test_manager_is_systemd_only_when_booted_with_it_and_the_unit_is_installed(tmp_path, booted, unit, expected):
    assert svc.manager(_root(tmp_path, booted, unit)) == expected


@pytest.mark.parametrize('argv, ours', [
    (['/usr/sbin/dnsmasq', '--conf-file=' + CONF], True),
    (['dnsmasq', '--conf-file', CONF], True),
    (['dnsmasq', '-C', CONF], True),
    (['dnsmasq', '-C' + CONF], True),
    (['dnsmasq', '--conf-file=' + CONF + '.bak'], False),
    (['dnsmasq', '--conf-file=/run/hostnet/dns/web2/dnsmasq.conf'], False),
    (['dnsmasq', '--conf-file'], False),
    (['dnsmasq', CONF], False),  # the path as some other argument is no claim
    (['dnsmasq'], False),
])
def test_ownership_is_our_conf_file_on_the_command_line(argv, ours):
    assert svc.names_conf(argv, CONF) is ours


def test_a_pid_that_is_not_a_dnsmasq_is_not_ours():
    assert not svc.is_ours(os.getpid(), CONF)  # this python
    assert not svc.is_ours(2 ** 22 + 12345, CONF)  # beyond pid_max: no such process


UDP = '''\
   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
  100: 0100630A:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41001
  101: 00000000:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41002
  102: 0100007F:14E9 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41003
'''
TCP = '''\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100630A:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 42001 1 0000000000000000 100 0 0 10 0
   1: 0100630A:0035 0200630A:C350 01 00000000:00000000 00:00000000 00000000     0        0 42002 1 0000000000000000 20 4 30 10 -1
'''
UDP6 = '''\
  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
  200: 000080FD000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 43001
  201: 00000000000000000000000000000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 43002
  202: 0000000000000000FFFF00000100630A:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 43003
'''


@pytest.mark.skipif(not LITTLE, reason='the samples are little-endian /proc/net lines')
def test_udp_listeners_on_the_port_with_the_wildcard():
    found = svc.parse_listeners(UDP, 'udp', socket.AF_INET)
    assert found == [{'proto': 'udp', 'ip': '10.99.0.1', 'port': 53, 'inode': 41001},
                     {'proto': 'udp', 'ip': '0.0.0.0', 'port': 53, 'inode': 41002}]
    assert svc.parse_listeners(UDP, 'udp', socket.AF_INET, port=5353) == [
        {'proto': 'udp', 'ip': '127.0.0.1', 'port': 5353, 'inode': 41003}]


@pytest.mark.skipif(not LITTLE, reason='the samples are little-endian /proc/net lines')
def test_tcp_counts_only_the_listening_socket():
    assert svc.parse_listeners(TCP, 'tcp', socket.AF_INET) == [{'proto': 'tcp', 'ip': '10.99.0.1', 'port': 53, 'inode': 42001}]


@pytest.mark.skipif(not LITTLE, reason='the samples are little-endian /proc/net lines')
def test_ipv6_listeners_with_the_wildcard_and_a_mapped_address():
    found = svc.parse_listeners(UDP6, 'udp', socket.AF_INET6)
    assert [(s['ip'], s['inode']) for s in found] == [('fd80::1', 43001), ('::', 43002), ('::ffff:10.99.0.1', 43003)]


def test_a_short_or_header_line_is_skipped():
    assert svc.parse_listeners('header\n  0: garbage\n\n', 'udp', socket.AF_INET) == []


def test_socket_inodes_of_this_process_include_a_socket_it_holds():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        assert os.fstat(s.fileno()).st_ino in svc.socket_inodes(os.getpid())
    assert svc.socket_inodes(2 ** 22 + 12345) == set()


class _Done:
    def __init__(self, rc, stderr=''):
        self.returncode, self.stderr, self.stdout = rc, stderr, ''


def test_systemd_start_failure_gives_dnsmasqs_message_and_cancels_the_retries(monkeypatch):
    calls = []
    monkeypatch.setattr(svc, '_systemctl', lambda *args: calls.append(args) or _Done(1 if args[0] == 'start' else 0,
                                                                                     'Job failed. See journalctl'))
    monkeypatch.setattr(svc, '_journal_message', lambda unit, since: 'dnsmasq: failed to create listening socket for '
                        '10.0.0.1: Address already in use')
    with pytest.raises(HostnetError) as exc:
        svc._start_systemd('net1')
    assert str(exc.value) == ('the name server of network net1 could not start (hostnet-dns@net1.service): dnsmasq: '
                              'failed to create listening socket for 10.0.0.1: Address already in use')
    assert calls == [('start', 'hostnet-dns@net1.service'), ('stop', 'hostnet-dns@net1.service'),
                     ('reset-failed', 'hostnet-dns@net1.service')]


def test_systemd_start_failure_without_a_journal_falls_back_to_systemctl(monkeypatch):
    monkeypatch.setattr(svc, '_systemctl', lambda *args: _Done(1 if args[0] == 'start' else 0, 'Unit not found.\n'))
    monkeypatch.setattr(svc, '_journal_message', lambda unit, since: '')
    with pytest.raises(HostnetError, match=r'network net1 could not start \(hostnet-dns@net1.service\): Unit not found.$'):
        svc._start_systemd('net1')


def test_a_start_is_watched_also_above_descriptor_1024():
    """A list-form run holds a descriptor per namespace: select() refused the pidfd of the name server's start once
    the run held more than 1,024 (the role bench's 1,000 containers over 4 networks). poll has no such limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if max(soft, hard) < 1200 and hard != resource.RLIM_INFINITY:
        pytest.skip('this process may not open 1,200 files')
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for dummy in range(1100)]
    try:
        quick = subprocess.Popen([sys.executable, '-c', 'pass'])
        assert svc._exits_within(quick, 30)  # pylint: disable=protected-access
        quick.wait()
        slow = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)'])
        try:
            assert not svc._exits_within(slow, 0.05)  # pylint: disable=protected-access
        finally:
            slow.kill()
            slow.wait()
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
