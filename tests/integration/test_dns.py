# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names served per network (_dns) in emulated hosts, with real lookups from inside the containers (getent through
the namespace's resolv.conf to the network's dnsmasq): names and aliases on one network, not across networks, a
container on two networks, external names through a loopback stub, a container added and removed while the others
keep running, a simulated reboot, check mode, rerun, rollback, and the refusals."""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest

from conftest import SEED_HOSTS, run_restore, wait_until

pytestmark = pytest.mark.once  # see conftest.py: the name server and hosts files, not the pyroute2 of the host

RUN = '/run/hostnet/dns'


def ok(res):
    assert not res.get('failed'), res
    return res


def net(host, name, endpoints, **kw):
    return host.module('docker_bridge', name=name, endpoints=[e if isinstance(e, dict) else {'name': e} for e in endpoints], **kw)


def lookup(host, cname, name):
    """The first IPv4 address ``name`` resolves to inside ``cname``, or None."""
    res = host.netns_run(cname, ['getent', 'ahostsv4', name], check=False)
    return res.stdout.split()[0] if res.returncode == 0 and res.stdout else None


def server_pid(host, network):
    res = host.run(['cat', '%s/%s/dnsmasq.pid' % (RUN, network)], check=False)
    pid = res.stdout.strip()
    if not pid.isdigit() or host.run(['test', '-d', '/proc/' + pid], check=False).returncode != 0:
        return None
    return int(pid)


def stamps(host, paths):
    """inode and mtime of each file: a file a run does not touch keeps both."""
    return host.run(['stat', '-c', '%n %i %Y.%y'] + paths).stdout


def listing(host):
    return host.run(['sh', '-c', 'ls -R %s 2>/dev/null; true' % RUN]).stdout


def test_names_aliases_one_network_not_across_and_add_remove(host):
    ok(net(host, 'front', ['web', {'name': 'db', 'aliases': ['database']}]))
    ok(net(host, 'back', ['other']))
    web_ip = host.run(['ip', '-n', 'web', '-4', '-o', 'addr', 'show', 'eth0']).stdout.split()[3].split('/')[0]
    assert lookup(host, 'db', 'web') == web_ip
    db_ip = lookup(host, 'web', 'db')
    assert db_ip is not None and lookup(host, 'web', 'database') == db_ip
    assert lookup(host, 'web', 'db.front.hostnet.internal') == lookup(host, 'web', 'db')
    assert 'search front.hostnet.internal' in host.run(['cat', '/etc/netns/web/resolv.conf']).stdout
    # Not across networks: back's container does not see front's names, nor front's containers back's.
    assert lookup(host, 'other', 'db') is None and lookup(host, 'web', 'other') is None
    # PTR from the records file.
    assert host.netns_run('web', ['getent', 'hosts', web_ip]).stdout.split()[1] == 'web'
    again = ok(net(host, 'front', ['web', {'name': 'db', 'aliases': ['database']}]))
    assert again['changed'] is False, again

    # Check mode: nothing written, nothing started.
    before = listing(host)
    pid = server_pid(host, 'front')
    watched = ['/etc/netns/web/resolv.conf', '/etc/netns/db/resolv.conf', RUN + '/front/hosts/web', RUN + '/front/hosts/db',
               RUN + '/front/dnsmasq.conf', RUN + '/back/servers']
    marks = stamps(host, watched)
    endpoints = ['web', {'name': 'db', 'aliases': ['database']}, 'cache']
    planned = ok(net(host, 'front', endpoints, check_mode=True))
    assert planned['changed'] and listing(host) == before

    # Added while the others run: one records file, the same server, no other container's file touched.
    ok(net(host, 'front', endpoints))
    assert wait_until(lambda: lookup(host, 'web', 'cache'), 'the new name answers') is not None
    assert server_pid(host, 'front') == pid and stamps(host, watched) == marks
    # Removed: its name goes (dnsmasq drops a deleted file's records), the others still resolve.
    ok(net(host, 'front', endpoints[:2], purge_endpoints=True))
    wait_until(lambda: lookup(host, 'web', 'cache') is None, 'the removed name is gone')
    assert lookup(host, 'web', 'db') is not None and server_pid(host, 'front') == pid and stamps(host, watched) == marks

    # Removing the network stops its server and removes its folder.
    ok(net(host, 'front', [], state='absent', force=True))
    assert server_pid(host, 'front') is None and 'front' not in listing(host)


STUB = '''\
port=53
listen-address=127.0.0.1
bind-interfaces
no-resolv
no-hosts
address=/ext.example/203.0.113.7
address=/plainhost/203.0.113.8
pid-file=/run/stub-dns.pid
'''


def test_two_networks_and_external_names_through_a_loopback_stub(host):
    # The host resolves through a stub on 127.0.0.1, which its /etc/resolv.conf names: unreachable from a container.
    host.run(['sh', '-c', 'echo nameserver 127.0.0.1 >/etc/resolv.conf'])
    host.run(['sh', '-c', 'cat > /run/stub-dns.conf'], input=STUB)
    host.run(['/usr/sbin/dnsmasq', '--conf-file=/run/stub-dns.conf'])
    stub = host.run(['cat', '/run/stub-dns.pid']).stdout.strip()
    try:
        ok(net(host, 'alpha', ['a1', 'both']))
        ok(net(host, 'beta', ['b1', 'both']))
        # 'both' resolves the names of its two networks; a1 and b1 only their own.
        assert wait_until(lambda: lookup(host, 'both', 'b1'), 'beta names from both') is not None
        assert lookup(host, 'both', 'a1') is not None
        assert lookup(host, 'a1', 'b1') is None and lookup(host, 'b1', 'a1') is None
        assert 'server=/beta.hostnet.internal/' in host.run(['cat', RUN + '/alpha/servers']).stdout
        # External names go to the host's stub through the network's server.
        assert lookup(host, 'a1', 'ext.example') == '203.0.113.7'
        assert lookup(host, 'b1', 'ext.example') == '203.0.113.7'
        # A plain name that is no container's is "not found" at the network's server, never asked upstream (the
        # stub would answer it).
        assert lookup(host, 'a1', 'plainhost') is None
        # An internal network forwards nothing.
        ok(net(host, 'sealed', ['s1'], internal=True))
        assert lookup(host, 's1', 'ext.example') is None and lookup(host, 's1', 's1') is not None
    finally:
        if stub.isdigit():
            host.run(['kill', stub], check=False)


def test_reboot_rerun_and_restore_bring_the_server_back(host):
    ok(net(host, 'front', ['web', 'db']))
    host.lab.down(keep_state=True)
    host.lab.up({'host1': SEED_HOSTS['host1']})
    assert server_pid(host, 'front') is None
    run_restore(host)
    assert server_pid(host, 'front') is not None
    assert wait_until(lambda: lookup(host, 'web', 'db'), 'names after the restore') is not None
    # The server killed: a rerun starts it again.
    host.run(['kill', str(server_pid(host, 'front'))])
    wait_until(lambda: server_pid(host, 'front') is None, 'the server is gone')
    assert ok(net(host, 'front', ['web', 'db']))['changed']
    assert lookup(host, 'web', 'db') is not None
    assert ok(net(host, 'front', ['web', 'db']))['changed'] is False


def test_rollback_leaves_no_server_and_no_files(host):
    res = net(host, 'front', ['web'], _env={'HOSTNET_TEST_FAIL_AT': 'write /etc/netns/web/resolv.conf'})
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert server_pid(host, 'front') is None and 'front' not in listing(host)
    assert host.run('pgrep -x dnsmasq', check=False).returncode != 0


@pytest.mark.parametrize('endpoints, option, value', [
    ([{'name': 'web', 'aliases': ['bad-']}], 'endpoints[0].aliases', 'bad-'),
    ([{'name': 'web', 'aliases': ['db']}, 'db'], 'endpoints[0].aliases', 'db'),
    (['web.'], 'endpoints[0].name', 'web.'),
])
def test_bad_names_are_refused_and_nothing_changes(host, endpoints, option, value):
    before = host.snapshot()
    res = net(host, 'front', endpoints)
    assert res.get('failed') and option in res['msg'] and value in res['msg'], res
    assert host.snapshot() == before and listing(host) == ''


@contextlib.contextmanager
def holding_port_53(host, address):
    """Another program holding UDP port 53 on ``address`` (IPv4 or IPv6) inside the host while the block runs."""
    holder = subprocess.Popen(host.lab.command(host.name, [sys.executable, '-c', HOLD, address]), stdout=subprocess.PIPE, text=True)
    pid = holder.stdout.readline().strip()
    try:
        assert pid.isdigit(), pid
        yield pid
    finally:
        if pid.isdigit():
            host.run(['kill', pid], check=False)
        holder.wait(timeout=60)


def test_port_53_taken_on_the_gateway_is_refused(host):
    ok(net(host, 'front', ['web'], dns=False))
    gateway = host.module('network_info', name='front')['networks'][0]['IPAM']['Config'][0]['Gateway']
    with holding_port_53(host, gateway):
        before = host.snapshot()
        res = net(host, 'front', ['web'], dns=True)
        assert res.get('failed') and 'dns' in res['msg'] and gateway in res['msg'], res
        assert host.snapshot() == before and listing(host) == ''


HOLD = '''\
import os, signal, socket, sys
s = socket.socket(socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 53))
print(os.getpid(), flush=True)
signal.pause()
'''


def test_default_bridge_gets_the_host_resolvers_without_loopback(host):
    # Docker's default network: no names of its own; the host's resolvers with loopback ones left out (a container
    # cannot reach the host's 127.0.0.1), Google's two when nothing else is left. The emulated host's resolv.conf
    # names its own LAN address.
    ok(net(host, 'bridge', ['a']))
    own = SEED_HOSTS['host1']['address'].partition('/')[0]
    assert host.run(['cat', '/etc/netns/a/resolv.conf']).stdout == 'nameserver %s\n' % own
    assert lookup(host, 'a', 'a') is None  # no names served on the default network
    host.run(['sh', '-c', 'printf "search corp.example\\nnameserver 127.0.0.1\\nnameserver 192.0.2.53\\n" >/etc/resolv.conf'])
    ok(net(host, 'bridge', ['a', 'b']))
    assert host.run(['cat', '/etc/netns/b/resolv.conf']).stdout == 'search corp.example\nnameserver 192.0.2.53\n'
    host.run(['sh', '-c', 'echo nameserver 127.0.0.53 >/etc/resolv.conf'])
    ok(net(host, 'bridge', ['a', 'b', 'c']))
    assert host.run(['cat', '/etc/netns/c/resolv.conf']).stdout == 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n'
    # The netns module computes the same file for a namespace on the network: claiming it (its record) leaves the
    # file as it is, and a rerun changes nothing.
    claimed = ok(host.module('netns', name='b'))
    assert not [c for c in claimed['commands'] if 'resolv.conf' in c], claimed['commands']
    assert not ok(host.module('netns', name='b'))['changed']
    # Leaving the network takes the file away again.
    ok(net(host, 'bridge', ['b'], purge_endpoints=True))
    assert host.run(['test', '-e', '/etc/netns/a/resolv.conf'], check=False).returncode != 0
