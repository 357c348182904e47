# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""netns module against real namespaces inside an emulated host."""

from __future__ import annotations

import json
import re

import pytest

import conftest


def test_create_check_rerun_absent(host):
    before = host.settled_snapshot()
    res = host.module('netns', check_mode=True, name='web01')
    assert res['changed'] and not res.get('failed'), res
    assert res['commands'] == ['record network namespace web01 (netns)', 'create network namespace web01', 'set lo up in web01']
    assert host.settled_snapshot(like=before) == before, 'check mode changed the host'

    res = host.module('netns', diff=True, name='web01')
    assert res['changed'] and not res.get('failed'), res
    assert res['diff']['before'] == {} and res['diff']['after']['name'] == 'web01'
    assert [i['name'] for i in res['interfaces']] == ['lo']
    assert res['interfaces'][0]['up'] and res['interfaces'][0]['addresses'] == ['127.0.0.1/8']
    assert 'web01' in host.run('ip netns list').stdout
    assert host.netns_run('web01', 'ping -c1 -W1 127.0.0.1').returncode == 0

    res = host.module('netns', name='web01')
    assert not res['changed'] and res['commands'] == [], res
    assert not host.module('netns', check_mode=True, name='web01')['changed']

    res = host.module('netns', check_mode=True, name='web01', state='absent')
    assert res['changed'] and 'web01' in host.run('ip netns list').stdout
    res = host.module('netns', name='web01', state='absent')
    assert res['changed'] and not res.get('failed'), res
    assert 'web01' not in host.run('ip netns list').stdout
    assert not host.module('netns', name='web01', state='absent')['changed']
    assert host.settled_snapshot(like=before) == before


def test_name_files_are_seen_inside_the_namespace(host):
    res = host.module('netns', name='web01', hostname='web01', dns=['10.138.3.2'], dns_search=['lab.example'],
                      hosts=[{'ip': '172.18.0.3', 'names': ['db01', 'db']}])
    assert res['changed'] and not res.get('failed'), res
    out = host.netns_run('web01', 'cat /etc/resolv.conf /etc/hosts /etc/hostname').stdout
    assert 'nameserver 10.138.3.2' in out and 'search lab.example' in out
    assert '172.18.0.3\tdb01 db' in out and 'web01' in out
    assert host.netns_run('web01', 'getent hosts db01').stdout.split()[0] == '172.18.0.3'
    again = host.module('netns', name='web01', hostname='web01', dns=['10.138.3.2'], dns_search=['lab.example'],
                        hosts=[{'ip': '172.18.0.3', 'names': ['db01', 'db']}])
    assert not again['changed'], again
    changed = host.module('netns', diff=True, name='web01', hostname='web02')
    assert changed['changed'] and changed['commands'] == ['write /etc/netns/web01/hostname']
    assert changed['diff']['after']['files']['hostname'] == 'web02\n'
    host.module('netns', name='web01', state='absent')
    assert host.run('test -e /etc/netns/web01', check=False).returncode != 0


def test_sysctls_apply_inside_the_namespace_only(host):
    res = host.module('netns', name='web01', sysctls={'net.ipv4.ip_forward': 1, 'net.ipv4.ip_local_port_range': '20000 30000'})
    assert res['changed'] and not res.get('failed'), res
    assert host.netns_run('web01', 'cat /proc/sys/net/ipv4/ip_forward').stdout.strip() == '1'
    assert host.run('cat /proc/sys/net/ipv4/ip_forward').stdout.strip() == '0'
    assert not host.module('netns', name='web01', sysctls={'net.ipv4.ip_forward': '1',
                                                           'net.ipv4.ip_local_port_range': '20000\t30000'})['changed']
    host.netns_run('web01', 'sysctl -qw net.ipv4.ip_forward=0')
    drift = host.module('netns', name='web01', sysctls={'net.ipv4.ip_forward': 1})
    assert drift['changed'] and drift['commands'] == ['set sysctl net.ipv4.ip_forward=1 in web01']


def test_container_mode_shares_one_stack(host):
    host.module('netns', name='web01')
    host.netns_run('web01', 'ip link add tap0 type veth peer name tap1 && ip addr add 172.17.0.2/16 dev tap0 && ip link set tap0 up')
    res = host.module('netns', name='sidecar', share_with='web01')
    assert res['changed'] and not res.get('failed'), res
    assert sorted(i['name'] for i in res['interfaces']) == ['lo', 'tap0', 'tap1']
    assert host.netns_run('sidecar', 'ip -o -4 addr show tap0').stdout.split()[3] == '172.17.0.2/16'
    assert not host.module('netns', name='sidecar', share_with='web01')['changed']
    host.module('netns', name='other')
    res = host.module('netns', name='other', share_with='web01')
    assert res['failed'] and 'different namespace' in res['msg']
    # Removing one name keeps the stack alive under the other.
    host.module('netns', name='web01', state='absent')
    assert '172.17.0.2/16' in host.netns_run('sidecar', 'ip -o -4 addr').stdout


@pytest.mark.parametrize('params, needle', [
    ({'name': 'bad/name'}, "name 'bad/name'"),
    ({'name': 'x' * 65}, 'name'),
    ({'name': '-dash'}, "name '-dash'"),
    ({'name': 'c1', 'share_with': 'missing'}, "share_with 'missing'"),
    ({'name': 'c1', 'share_with': 'c1'}, 'cannot share with itself'),
    ({'name': 'c1', 'dns': ['10.0.0.300']}, "dns[0] '10.0.0.300'"),
    ({'name': 'c1', 'dns_search': ['bad domain']}, "dns_search 'bad domain'"),
    ({'name': 'c1', 'hosts': [{'ip': 'nope', 'names': ['a']}]}, "hosts[0].ip 'nope'"),
    ({'name': 'c1', 'hosts': [{'ip': '10.0.0.1', 'names': ['bad name']}]}, 'hosts[0].names'),
    ({'name': 'c1', 'hostname': 'bad_host!'}, "hostname 'bad_host!'"),
    ({'name': 'c1', 'sysctls': {'kernel.pid_max': 10}}, "sysctls 'kernel.pid_max'"),
    ({'name': 'c1', 'sysctls': {'net.ipv4.no_such_key': 1}}, 'net.ipv4.no_such_key'),
])
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_bad_input_fails_and_changes_nothing(host, params, needle):
    before = host.settled_snapshot()
    res = host.module('netns', **params)
    assert res.get('failed'), res
    assert needle in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before


def test_hosts_as_a_dict_and_check_mode_writes_nothing(host):
    before = host.settled_snapshot()
    params = dict(name='web02', hosts={'db01': '172.18.0.3', '172.18.0.4': ['cache', 'redis']}, dns=['10.138.3.2'])
    check = host.module('netns', check_mode=True, diff=True, **params)
    assert check['changed'] and not check.get('failed'), check
    assert check['commands'] == ['record network namespace web02 (netns)', 'create network namespace web02', 'set lo up in web02',
                                 'create /etc/netns/web02',
                                 'write /etc/netns/web02/hosts', 'write /etc/netns/web02/resolv.conf']
    assert host.settled_snapshot(like=before) == before, 'check mode changed the host'
    res = host.module('netns', **params)
    assert res['commands'] == check['commands'] and res['after'] == check['after'], res
    assert host.netns_run('web02', 'getent hosts redis').stdout.split() == ['172.18.0.4', 'cache', 'redis']
    assert host.netns_run('web02', 'getent hosts db01').stdout.split()[0] == '172.18.0.3'
    assert not host.module('netns', **params)['changed']
    assert res['addresses'] == ['127.0.0.1/8']


@pytest.mark.parametrize('step', ['set lo up', 'write /etc/netns/c1/resolv.conf', 'set sysctl'])
def test_failure_part_way_rolls_back(host, step):
    before = host.settled_snapshot()
    res = host.module('netns', _env={'HOSTNET_TEST_FAIL_AT': step}, name='c1', hostname='c1', dns=['10.0.0.2'],
                      sysctls={'net.ipv4.ip_forward': 1})
    assert res.get('failed') and 'rolled back' in res['msg'] and step in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_failure_on_an_existing_namespace_restores_files_and_sysctls(host):
    host.module('netns', name='c1', hostname='c1', sysctls={'net.ipv4.ip_forward': 0})
    before = host.settled_snapshot()
    res = host.module('netns', _env={'HOSTNET_TEST_FAIL_AT': 'set sysctl'}, name='c1', hostname='c2', dns=['10.0.0.2'],
                      sysctls={'net.ipv4.ip_forward': 1})
    assert res.get('failed') and 'rolled back' in res['msg'], res
    assert host.settled_snapshot(like=before) == before
    assert host.netns_run('c1', 'cat /etc/hostname').stdout == 'c1\n'


def test_stale_placeholder_is_replaced_and_removed(host):
    host.run('touch /run/netns/stale')  # what a crashed `ip netns add` leaves behind
    res = host.module('netns', name='stale')
    assert res['changed'] and not res.get('failed'), res
    assert host.netns_run('stale', 'ip -o link show lo').returncode == 0
    host.module('netns', name='stale', state='absent')
    host.run('touch /run/netns/stale')
    gone = host.module('netns', name='stale', state='absent')
    assert gone['changed'] and gone['commands'] == ['remove stale /run/netns/stale (not a mounted namespace)'], gone
    assert host.run('test -e /run/netns/stale', check=False).returncode != 0


def test_namespace_is_visible_to_other_mount_namespaces(host, tmp_path):
    """/run/netns is a shared mount: a namespace created later shows up in a mount namespace made earlier."""
    host.module('netns', name='early')
    # The pid file is this test's own (/tmp is the machine's: two sessions side by side must not share one), and the
    # mount namespace's process lives until the test ends, not for a guessed time.
    pid_file = tmp_path / 'mnt.pid'
    host.run('unshare --mount --propagation unchanged sh -c "sleep 600 & echo \\$! > %s.tmp && mv %s.tmp %s; wait" '
             '>/dev/null 2>&1 &' % (pid_file, pid_file, pid_file))
    conftest.wait_until(pid_file.exists, 'the process in the earlier mount namespace')
    host.module('netns', name='late')
    pid = pid_file.read_text().strip()
    out = host.run(['nsenter', '-t', pid, '-m', 'ip', 'netns', 'exec', 'late', 'ip', '-o', 'link', 'show', 'lo'], check=False)
    assert out.returncode == 0, out.stderr


# -- the list form: many namespaces in one call -----------------------------------------------------------------
MANY = [{'name': 'c1', 'hostname': 'c1', 'dns': ['10.138.3.2'], 'dns_search': ['lab.example'], 'owner': 'app'},
        {'name': 'c2', 'hostname': 'c2', 'hosts': {'db01': '172.18.0.3'}, 'owner': 'app'},
        {'name': 'c3', 'sysctls': {'net.ipv4.ip_forward': 1}}]


def test_list_form_makes_many_namespaces_in_one_call(host):
    before = host.settled_snapshot()
    check = host.module('netns', check_mode=True, diff=True, namespaces=MANY)
    assert check['changed'] and not check.get('failed'), check
    assert host.settled_snapshot(like=before) == before, 'check mode changed the host'
    assert check['commands'][:6] == ['record network namespace c1 (netns, owner app)', 'record network namespace c2 (netns, owner app)',
                                     'record network namespace c3 (netns)', 'create network namespace c1',
                                     'create network namespace c2', 'create network namespace c3']
    assert sorted(check['diff']['after']) == ['c1', 'c2', 'c3'] and check['diff']['before'] == {'c1': None, 'c2': None, 'c3': None}

    res = host.module('netns', diff=True, namespaces=MANY)
    assert res['changed'] and not res.get('failed'), res
    assert res['commands'] == check['commands'] and res['after'] == check['after']
    assert [item['netns'] for item in res['namespaces']] == ['c1', 'c2', 'c3']
    assert all(item['changed'] and item['addresses'] == ['127.0.0.1/8'] for item in res['namespaces']), res['namespaces']
    assert host.netns_run('c1', 'cat /etc/hostname /etc/resolv.conf').stdout == 'c1\nsearch lab.example\nnameserver 10.138.3.2\n'
    assert host.netns_run('c2', 'getent hosts db01').stdout.split() == ['172.18.0.3', 'db01']
    assert host.netns_run('c3', 'cat /proc/sys/net/ipv4/ip_forward').stdout.strip() == '1'
    assert host.netns_run('c2', 'ping -c1 -W1 127.0.0.1').returncode == 0
    owners = [json.loads(host.run(['cat', '/var/lib/hostnet/netns/%s.json' % name]).stdout)['owner'] for name in ('c1', 'c3')]
    assert owners == ['app', None], owners

    again = host.module('netns', namespaces=MANY)
    assert not again['changed'] and again['commands'] == [], again
    assert not host.module('netns', check_mode=True, namespaces=MANY)['changed']
    gone = host.module('netns', namespaces=[{'name': n, 'state': 'absent'} for n in ('c1', 'c2', 'c3')])
    assert gone['changed'] and not gone.get('failed'), gone
    assert host.settled_snapshot(like=before) == before


def test_list_form_share_with_an_earlier_item_and_removals(host):
    host.module('netns', name='old', hostname='old')
    before = host.settled_snapshot()
    items = [{'name': 'web'}, {'name': 'side', 'share_with': 'web'}, {'name': 'old', 'state': 'absent'}]
    check = host.module('netns', check_mode=True, namespaces=items)
    assert check['changed'] and not check.get('failed'), check
    assert host.settled_snapshot(like=before) == before, 'check mode changed the host'
    res = host.module('netns', namespaces=items)
    assert res['commands'] == check['commands'] and not res.get('failed'), res
    assert 'create network namespace side sharing web' in res['commands']
    assert res['commands'][-3:] == ['remove network namespace old', 'remove /etc/netns/old', 'remove record of network namespace old']
    assert host.run('stat -L -c %i /run/netns/web').stdout == host.run('stat -L -c %i /run/netns/side').stdout
    host.netns_run('web', 'ip link add tap0 type veth peer name tap1')
    assert 'tap0' in host.netns_run('side', 'ip -o link').stdout
    assert res['namespaces'][2] == {'netns': 'old', 'changed': True, 'commands': res['commands'][-3:], 'interfaces': [], 'addresses': [],
                                    'before': {'name': 'old', 'files': {'hostname': 'old\n'}, 'sysctls': {}}, 'after': None}
    assert 'old' not in host.run('ip netns list').stdout
    assert not host.module('netns', namespaces=items)['changed']


@pytest.mark.parametrize('items, needle', [
    ([{'name': 'c1'}, {'name': 'c2', 'hostname': 'bad_host!'}], "namespaces[1].hostname 'bad_host!'"),
    ([{'name': 'c1'}, {'name': 'c2'}, {'name': 'c1', 'state': 'absent'}], "namespaces[2].name 'c1': is also namespaces[0].name"),
    ([{'name': 'c1', 'share_with': 'c2'}, {'name': 'c2'}], "namespaces[0].share_with 'c2': network namespace c2 is made by namespaces[1]"),
    ([{'name': 'c1'}, {'name': 'c2', 'sysctls': {'net.ipv4.no_such_key': 1}}], "namespaces[1].sysctls 'net.ipv4.no_such_key'"),
    ([{'name': 'c1'}, {'name': 'hand', 'state': 'absent'}], "namespaces[1].name 'hand': network namespace hand was not created"),
])
@pytest.mark.parametrize('check_mode', [False, True])
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_list_form_bad_item_changes_nothing(host, items, needle, check_mode):
    host.run('ip netns add hand')  # the user's: no record
    host.module('netns', name='c0', hostname='c0')
    before = host.settled_snapshot()
    res = host.module('netns', check_mode=check_mode, namespaces=[{'name': 'c0', 'hostname': 'new'}] + items)
    assert res.get('failed'), res
    assert _shifted(needle) in res['msg'], res['msg']
    assert host.settled_snapshot(like=before) == before


def _shifted(needle):
    """The message of an item one place further down the list (the tests put c0 first)."""
    return re.sub(r'namespaces\[(\d+)\]', lambda m: 'namespaces[%d]' % (int(m.group(1)) + 1), needle)


@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_list_form_refuses_the_single_form_options(host):
    res = host.module('netns', namespaces=[{'name': 'c1'}], hostname='c1')
    assert res.get('failed') and 'mutually exclusive' in res['msg'] and 'hostname' in res['msg'], res
    res = host.module('netns')
    assert res.get('failed') and 'name' in res['msg'] and 'namespaces' in res['msg'], res
    res = host.module('netns', namespaces=[])
    assert not res['changed'] and not res.get('failed') and res['namespaces'] == [], res


@pytest.mark.parametrize('step', ['create network namespace c2', 'create network namespace c3 sharing c2', 'set lo up in c3',
                                  'write /etc/netns/c2/hostname', 'set sysctl', 'record network namespace c0'])
def test_list_form_failure_part_way_rolls_back(host, step):
    host.module('netns', name='c0', hostname='c0')
    before = host.settled_snapshot()
    items = [{'name': 'c0', 'hostname': 'changed', 'owner': 'app'}, {'name': 'c1', 'hostname': 'c1', 'dns': ['10.0.0.2']},
             {'name': 'c2', 'hostname': 'c2', 'sysctls': {'net.ipv4.ip_forward': 1}}, {'name': 'c3', 'share_with': 'c2'}]
    res = host.module('netns', _env={'HOSTNET_TEST_FAIL_AT': step}, namespaces=items)
    assert res.get('failed') and 'rolled back' in res['msg'] and step in res['msg'], res
    assert host.settled_snapshot(like=before) == before
    assert host.netns_run('c0', 'cat /etc/hostname').stdout == 'c0\n'
