# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Namespace ownership, orphans and gc in emulated hosts: implicit namespaces go with their network, the user's
namespaces are never removed, gc removes exactly the leaks, and teardown leaves no empty folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import conftest

from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # see conftest.py: the delete requests are the teardown tests'


def ok(res):
    assert not res.get('failed'), res
    return res


def namespaces(host):
    return set(host.run('ls /run/netns').stdout.split())


def record(host, name):
    res = host.run(['cat', '/var/lib/hostnet/netns/%s.json' % name], check=False)
    return json.loads(res.stdout) if res.returncode == 0 else None


def leftovers(host):
    """Everything under the store and /etc/netns (the lock file aside)."""
    return host.run("find /var/lib/hostnet /etc/netns -mindepth 1 ! -name '.lock' 2>/dev/null | sort", check=False).stdout.split()


def test_implicit_namespace_is_recorded_and_goes_with_its_network(host):
    before = host.settled_snapshot()
    ok(host.module('docker_bridge', name='net1', subnet='10.30.0.0/24', endpoints=[{'name': 'c1'}, {'name': 'c2'}]))
    assert {'c1', 'c2'} <= namespaces(host)
    assert record(host, 'c1')['by'] == ['network:net1'] and record(host, 'c2')['by'] == ['network:net1']
    assert ping(host, 'c1', '10.30.0.3')
    # Disconnecting the last endpoint the network created in c2 removes c2, its files and its record.
    res = ok(host.module('docker_bridge', name='net1', endpoints=[{'name': 'c1'}], purge_endpoints=True))
    assert 'remove network namespace c2 (created for network:net1, no endpoint left)' in res['commands']
    assert 'c2' not in namespaces(host) and record(host, 'c2') is None
    assert host.run('test -e /etc/netns/c2', check=False).returncode != 0
    # The netns module claims c1 too: removing the network then only drops the network's entry.
    ok(host.module('netns', name='c1', hostname='c1'))
    assert record(host, 'c1')['by'] == ['netns', 'network:net1']
    ok(host.module('docker_bridge', name='net1', state='absent', force=True))
    assert 'c1' in namespaces(host) and record(host, 'c1')['by'] == ['netns']
    ok(host.module('netns', name='c1', state='absent'))
    # Nothing left: no namespace, no record, no empty folder in the store or under /etc/netns.
    assert leftovers(host) == []
    assert host.settled_snapshot(like=before) == before


def test_foreign_namespace_is_never_removed_or_changed(host):
    host.run('ip netns add users && ip -n users link set lo up')
    try:
        before = host.settled_snapshot()
        res = host.module('netns', name='users', state='absent')
        assert res.get('failed') and 'network namespace users was not created by hostnet.containers' in res['msg'], res
        res = host.module('netns', name='users', hostname='users', sysctls={'net.ipv4.ip_forward': 1})
        assert res.get('failed') and 'users' in res['msg'] and 'write /etc/netns/users/hostname' in res['msg'], res
        assert host.settled_snapshot(like=before) == before
        # Used as it is when nothing would change: no record is written.
        assert not ok(host.module('netns', name='users'))['changed'] and record(host, 'users') is None
        # A network may attach into it; removing the network leaves the namespace (and only removes its link).
        ok(host.module('docker_bridge', name='net1', subnet='10.31.0.0/24', endpoints=[{'name': 'users'}, {'name': 'c1'}]))
        assert ping(host, 'users', '10.31.0.3')
        ok(host.module('docker_bridge', name='net1', state='absent', force=True))
        assert 'users' in namespaces(host) and 'c1' not in namespaces(host)
        assert 'eth0' not in host.run('ip -n users -o link').stdout
        assert leftovers(host) == []
    finally:
        host.run('ip netns del users', check=False)


def gc_leaks(res):
    return sorted((item['kind'], item['name'], item['action']) for item in res['leaks'])


def test_gc_lists_then_removes_exactly_the_leaks(host):
    ok(host.module('docker_bridge', name='net1', subnet='10.32.0.0/24',
                   endpoints=[{'name': 'a'}, {'name': 'b'}, {'name': 'users2'}]))
    ok(host.module('docker_bridge', name='net2', subnet='10.33.0.0/24', endpoints=[{'name': 'orphan', 'publish': ['8081:80']}]))
    veth = json.loads(host.run('cat /var/lib/hostnet/networks/net1.json').stdout)['endpoints']['users2']['veth']
    # The leaks: a namespace whose network document was deleted (and that network's published-port rules), a
    # store entry whose namespace was deleted, a leaked veth named as a recorded endpoint's host end.
    host.run('rm /var/lib/hostnet/networks/net2.json')
    host.run('rm /var/lib/hostnet/netns/users2.json && ip netns del users2')
    # The kernel dismantles a deleted namespace (and the veth whose peer was in it) in the background.
    conftest.wait_until(lambda: host.run('ip link show %s' % veth, check=False).returncode != 0,
                        "users2's host end %s gone with its namespace" % veth)
    host.run('ip link add %s type veth peer name leakp' % veth)
    # And what is not the collection's: a namespace and a link made by hand.
    host.run('ip netns add mine && ip link add myveth type veth peer name myveth2')
    before = host.settled_snapshot()
    check = ok(host.module('gc', check_mode=True))
    assert check['changed']
    # net2's name server (its network's document is gone) is a leak too.
    wanted = [('dns', 'net2', 'remove'), ('endpoint', 'net1/users2', 'remove'), ('netns', 'orphan', 'remove'), ('veth', veth, 'remove')]
    got = gc_leaks(check)
    assert [item for item in got if item[0] != 'firewall'] == wanted, check['leaks']
    assert [item[0] for item in got if item[0] == 'firewall'] == ['firewall'], check['leaks']
    assert all(item['why'] for item in check['leaks'])
    assert host.settled_snapshot(like=before) == before, 'check mode changed the host'

    res = ok(host.module('gc'))
    assert gc_leaks(res) == got and res['commands'] == check['commands']
    assert 'orphan' not in namespaces(host) and record(host, 'orphan') is None
    assert host.run('test -e /run/hostnet/dns/net2', check=False).returncode != 0
    assert host.run(['pgrep', '-f', '/run/hostnet/dns/net2/'], check=False).returncode != 0
    assert host.run('ip link show %s' % veth, check=False).returncode != 0
    assert 'users2' not in json.loads(host.run('cat /var/lib/hostnet/networks/net1.json').stdout)['endpoints']
    rules = host.run('iptables-save 2>/dev/null; nft list ruleset 2>/dev/null', check=False).stdout
    assert '8081' not in rules
    # What is not the collection's survives; the remaining topology still works.
    assert 'mine' in namespaces(host) and host.run('ip link show myveth', check=False).returncode == 0
    assert ping(host, 'a', '10.32.0.3')
    again = ok(host.module('gc'))
    assert not again['changed'] and again['commands'] == [], again


DNS_CONF = 'pid-file={dir}/dnsmasq.pid\nlisten-address=127.0.0.1\nbind-interfaces\nport={port}\nno-resolv\nno-hosts\n'


def dnsmasq_pid(host, conf):
    """The pid of the dnsmasq in the host started with ``conf``, or None."""
    res = host.run("pgrep -f -x '/usr/sbin/dnsmasq --conf-file=%s'" % conf, check=False)
    return int(res.stdout.split()[0]) if res.returncode == 0 else None


def test_gc_stops_the_name_server_of_a_network_without_a_document(host):
    """A /run/hostnet/dns/NET folder of a network with no document is a leak: our server there is stopped and the
    folder removed; a folder whose pid file names someone else's dnsmasq is removed without signalling it."""
    ok(host.module('docker_bridge', name='net1', subnet='10.34.0.0/24'))
    host.run('mkdir -p /run/hostnet/dns/net1')  # whatever the network's own run put there, or an empty folder
    confs = {}
    for net, port in (('ghost', 5302), ('alien', 5303)):
        confs[net] = '/run/hostnet/dns/%s/dnsmasq.conf' % net
        host.run(['sh', '-c', 'mkdir -p /run/hostnet/dns/%s && cat > %s' % (net, confs[net])],
                 input=DNS_CONF.format(dir='/run/hostnet/dns/' + net, port=port))
    # Ours (ghost), and someone else's whose pid sits in alien's pid file.
    host.run(['/usr/sbin/dnsmasq', '--conf-file=' + confs['ghost']])
    other = '/run/other-dns.conf'
    host.run(['sh', '-c', 'cat > %s' % other], input=DNS_CONF.format(dir='/run/hostnet/dns/alien', port=5304))
    host.run(['/usr/sbin/dnsmasq', '--conf-file=' + other])
    ghost = conftest.wait_until(lambda: dnsmasq_pid(host, confs['ghost']), 'the leaked server')
    alien = conftest.wait_until(lambda: dnsmasq_pid(host, other), "someone else's dnsmasq")
    try:
        check = ok(host.module('gc', check_mode=True))
        assert gc_leaks(check) == [('dns', 'alien', 'remove'), ('dns', 'ghost', 'remove')], check['leaks']
        assert 'its server (pid %d) runs' % ghost in check['leaks'][1]['why'] and 'no server runs' in check['leaks'][0]['why']
        assert dnsmasq_pid(host, confs['ghost']) == ghost and host.run('test -d /run/hostnet/dns/ghost', check=False).returncode == 0

        res = ok(host.module('gc'))
        assert res['commands'] == check['commands'] and len(res['commands']) == 2, res
        assert dnsmasq_pid(host, confs['ghost']) is None and dnsmasq_pid(host, other) == alien
        assert host.run('ls /run/hostnet/dns').stdout.split() == ['net1']  # a network with a document keeps its folder
        again = ok(host.module('gc'))
        assert not again['changed'] and again['commands'] == [], again
    finally:
        host.run(['kill', str(alien)], check=False)
        ok(host.module('docker_bridge', name='net1', state='absent'))


# -- the roles ------------------------------------------------------------------------------------------------------
@pytest.fixture
def play(run_role):
    return lambda host_vars, **extra: run_role('bridge_network', {'host1': host_vars}, only=('host1',), **extra)


def role_vars(names, **extra):
    containers = [{'name': name, 'networks': ['front']} for name in names]
    for item in containers:
        if item['name'] == 'c3':
            item['publish'] = ['8080:80']
    return dict({'bridge_network_networks': [{'name': 'front', 'subnet': '10.40.0.0/24'}],
                 'bridge_network_containers': containers}, **extra)


@pytest.mark.once
def test_role_removes_unlisted_containers_and_the_opt_out_keeps_them(two_hosts, play):
    h1, h2 = two_hosts
    rc, out, dummy = play(role_vars(['c1', 'c2', 'c3']))
    assert rc == 0, out
    assert record(h1, 'c3')['owner'] == 'bridge_network'
    pid = serve(h1, 'c3', 80, tag='c3')
    try:
        assert connect(h2, None, h1.address, 8080) == 'c3 %s' % h2.address
    finally:
        h1.run(['kill', str(pid)], check=False)
    c3_ip = json.loads(h1.run('cat /var/lib/hostnet/networks/front.json').stdout)['endpoints']['c3']['ip']

    rc, out, dummy = play(role_vars(['c1', 'c2']))
    assert rc == 0, out
    assert 'c3' not in namespaces(h1) and record(h1, 'c3') is None
    doc = json.loads(h1.run('cat /var/lib/hostnet/networks/front.json').stdout)
    assert 'c3' not in doc['endpoints'] and c3_ip not in [ep['ip'] for ep in doc['endpoints'].values()]
    # Its names are gone from the network's name server: its records file is removed, and c1 no longer resolves it.
    assert h1.run('test -e /run/hostnet/dns/front/hosts/c3', check=False).returncode != 0
    conftest.wait_until(lambda: h1.netns_run('c1', ['getent', 'hosts', 'c3'], check=False).returncode != 0, 'c3 no longer resolves')
    assert connect(h2, None, h1.address, 8080, timeout=1) is None
    assert ping(h1, 'c1', 'c2') and ping(h1, 'c2', 'c1')  # by name: the remaining containers still reach each other
    assert not ping(h1, 'c1', c3_ip)

    rc, out, dummy = play(role_vars(['c1'], bridge_network_remove_unlisted=False))
    assert rc == 0, out
    assert 'c2' in namespaces(h1) and record(h1, 'c2') is not None

    rc, out, dummy = play(role_vars(['c1', 'c2'], bridge_network_state='absent'))
    assert rc == 0, out
    assert not {'c1', 'c2'} & namespaces(h1)
    assert leftovers(h1) == []


@pytest.mark.once
def test_gc_playbook_prints_what_it_would_remove_then_removes_it(host, tmp_path, collection_path):
    ok(host.module('docker_bridge', name='net2', subnet='10.34.0.0/24', endpoints=[{'name': 'orphan'}]))
    host.run('rm /var/lib/hostnet/networks/net2.json')
    inventory = tmp_path / 'inventory.json'
    inventory.write_text(json.dumps({'all': {'hosts': {'host1': {'hostnet_nsenter_pid_file': host.pid_file}},
                                             'vars': {'ansible_connection': 'hostnet.containers.nsenter',
                                                      'ansible_python_interpreter': sys.executable}}}))
    playbook = os.path.join(conftest.REPO, 'playbooks', 'gc.yml')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))

    def play(*args):
        res = subprocess.run([conftest.ANSIBLE_PLAYBOOK, '-i', str(inventory), playbook] + list(args), capture_output=True,
                             text=True, env=env, timeout=300, check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    out = play('--check')
    assert 'netns orphan created for network:net2' in out and 'orphan' in namespaces(host)
    out = play()
    assert 'netns orphan created for network:net2' in out and 'orphan' not in namespaces(host)
