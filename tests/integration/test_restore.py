# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""hostnet-restore, as the roles install it, on emulated hosts: a simulated reboot (every runtime object gone,
/etc, /var/lib and /usr/local kept) replayed with the same addresses, MACs, names, published ports and NAT rules,
and a flushed firewall (iptables or nftables) re-applied with --firewall-only."""

from __future__ import annotations

import json
import sys

import pytest

from conftest import SEED_HOSTS, wait_until
from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # see conftest.py

ENTRY = '/usr/local/sbin/hostnet-restore'
ROLE_VARS = {
    'bridge_network_networks': [{'name': 'front'}],
    'bridge_network_containers': [
        {'name': 'web', 'networks': ['front'], 'publish': ['8080:80']},
        {'name': 'client', 'networks': ['front']},
    ],
}


def ok(res):
    assert not res.get('failed'), res
    return res


def identity(host):
    """{namespace: sorted (ifname, mac, addresses)} of every namespace of the host."""
    out = {}
    for netns in host.run('ls /run/netns').stdout.split():
        links = json.loads(host.run(['ip', '-n', netns, '-j', 'addr']).stdout)
        out[netns] = sorted((link['ifname'], link.get('address'),
                             tuple(sorted(a['local'] for a in link.get('addr_info', []) if a['family'] == 'inet')))
                            for link in links)
    return out


def owned_rules(host):
    rules = host.run('iptables-save 2>/dev/null | grep -c HOSTNET; nft list table ip hostnet 2>/dev/null | wc -l', check=False)
    return [int(n) for n in rules.stdout.split()]


def engine(collection_path):
    """The entry point's command without the role: the same _restore.main, from this checkout."""
    return ['env', 'PYTHONPATH=%s' % collection_path, sys.executable, '-c',
            'import sys; from ansible_collections.hostnet.containers.plugins.module_utils import _restore; '
            'sys.exit(_restore.main(sys.argv[1:]))']


def restore(host, *args):
    res = host.run([ENTRY] + list(args), check=False, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout


def serve_all(h1, h2):
    return [(h1, serve(h1, 'web', 80, tag='web')), (h2, serve(h2, 'm2', 7000, tag='m2'))]


def stop(pids):
    for host, pid in pids:
        host.run(['kill', str(pid)], check=False)


def prove(h1, h2, web_ip):
    """Every path the setup builds, with packets."""
    assert connect(h1, 'client', 'web', 80).startswith('web ')       # by name, across the user network
    assert connect(h2, None, h1.address, 8080).startswith('web ')     # the published port, from outside
    assert connect(h2, None, h1.address, 9090).startswith('web ')     # the nat_rule's DNAT
    assert connect(h1, 'm1', '10.138.3.201', 7000).startswith('m2 ')  # macvlan, host to host
    assert ping(h1, 'client', h2.address)                             # outbound through the masquerade
    assert ping(h1, 'web', web_ip)


def test_a_reboot_is_replayed_by_the_installed_entry_point(two_hosts, run_role):
    h1, h2 = two_hosts
    rc, out, dummy = run_role('bridge_network', {'host1': ROLE_VARS}, bridge_network_restore_service=True)
    assert rc == 0, out
    assert 'systemd is not running' in out
    for host, name, ip in ((h1, 'm1', '10.138.3.200'), (h2, 'm2', '10.138.3.201')):
        ok(host.module('macvlan_net', name='macnet', parent='ens33', subnet='10.138.3.0/24', gateway='10.138.3.1',
                       ip_range='10.138.3.192/27', endpoints=[{'name': name, 'ip': ip}]))
    web_ip = ok(h1.module('network_info', name='front'))['networks'][0]['Containers']
    web_ip = [c['IPv4Address'].split('/')[0] for c in web_ip.values() if c['Name'] == 'web'][0]
    ok(h1.module('nat_rule', name='web9090', kind='dnat', host_port=9090, container_ip=web_ip, container_port=80))
    before = {h.name: identity(h) for h in (h1, h2)}
    pids = serve_all(h1, h2)
    try:
        prove(h1, h2, web_ip)
    finally:
        stop(pids)

    lab = h1.lab
    lab.down(keep_state=True)
    lab.up(dict(SEED_HOSTS))
    for host in (h1, h2):
        # Every runtime object is gone; the store, /etc/netns and the installed entry point are not.
        assert host.run('ls /run/netns').stdout.split() == []
        assert 'br-' not in host.run('ip -o link').stdout and 'docker0' not in host.run('ip -o link').stdout
        assert owned_rules(host) == [0, 0]
        assert host.run('ls /var/lib/hostnet/networks').stdout.split()
    assert 'nameserver ' in h1.run('cat /etc/netns/client/resolv.conf').stdout
    assert h1.run('ls /run/hostnet/dns', check=False).stdout.split() == []  # /run is empty: the servers come back with the restore

    # --check says what it would do and does nothing.
    planned = restore(h1, '--check')
    assert 'network front: would ' in planned and 'create network namespace web' in planned
    assert h1.run('ls /run/netns').stdout.split() == []

    for host in (h1, h2):
        restore(host)
    assert {h.name: identity(h) for h in (h1, h2)} == before
    pids = serve_all(h1, h2)
    try:
        prove(h1, h2, web_ip)
    finally:
        stop(pids)

    # A second restore changes nothing.
    settled = h1.settled_snapshot()
    again = json.loads(restore(h1, '--json'))
    assert again['changed'] is False and again['failed'] == [], again
    assert h1.settled_snapshot(like=settled) == settled


@pytest.mark.parametrize('backend, flush', [
    # raw too: the direct-routing guard of the container and the loopback guard are there.
    ('iptables', 'iptables -t raw -F; iptables -t raw -X; iptables -t nat -F; iptables -t nat -X; iptables -F; iptables -X'),
    ('nftables', 'nft flush ruleset'),
])
def test_a_flushed_firewall_is_reapplied(two_hosts, run_role, backend, flush):
    h1, h2 = two_hosts
    rc, out, dummy = run_role('bridge_network', {'host1': {'bridge_network_firewall_backend': backend,
                                                           'bridge_network_containers': [{'name': 'web', 'publish': ['8080:80']}]}},
                              only=('host1',), bridge_network_restore_service=True)
    assert rc == 0, out
    pid = serve(h1, 'web', 80, tag='web')
    try:
        assert connect(h2, None, h1.address, 8080).startswith('web ')
        assert ping(h1, 'web', h2.address)
        h1.run(['sh', '-c', flush])  # inside the emulated host only
        assert owned_rules(h1) == [0, 0]
        assert connect(h2, None, h1.address, 8080, timeout=1) is None
        assert not ping(h1, 'web', h2.address)
        out = restore(h1, '--firewall-only')
        assert 'apply %s rule set' % backend in out, out
        assert 'network ' not in out  # the networks themselves are not looked at
        wait_until(lambda: connect(h2, None, h1.address, 8080), 'the published port to answer again')
        assert ping(h1, 'web', h2.address)
        # A second run finds the rule set in place.
        assert json.loads(restore(h1, '--firewall-only', '--json'))['changed'] is False
    finally:
        h1.run(['kill', str(pid)], check=False)


def test_the_role_installs_in_check_mode_nothing_and_can_opt_out(two_hosts, run_role):
    h1, dummy = two_hosts
    installed = ['test', '-x', ENTRY]
    rc, out, recap = run_role('bridge_network', {'host1': ROLE_VARS}, only=('host1',), check=True, bridge_network_restore_service=True)
    assert rc == 0 and recap['host1']['changed'] > 0, out
    assert h1.run(installed, check=False).returncode != 0
    assert h1.run('ls /etc/systemd/system/hostnet-restore.service', check=False).returncode != 0
    rc, out, recap = run_role('bridge_network', {'host1': ROLE_VARS}, only=('host1',), bridge_network_restore_service=False)
    assert rc == 0, out
    assert h1.run(installed, check=False).returncode != 0
    rc, out, recap = run_role('bridge_network', {'host1': ROLE_VARS}, only=('host1',), bridge_network_restore_service=True)
    assert rc == 0 and h1.run(installed, check=False).returncode == 0, out
    assert ok_units(h1) == ['hostnet-dhcp@.service', 'hostnet-dns@.service', 'hostnet-firewalld-reload.service',
                            'hostnet-iptables-reload.service', 'hostnet-nftables-reload.service', 'hostnet-proxy@.service',
                            'hostnet-restore.service']
    # As installed, with the entry point and busybox they run in place; the templates through an instance.
    res = h1.run(['systemd-analyze', 'verify'] + ['/etc/systemd/system/' + n.replace('@.', '@net1.') for n in ok_units(h1)],
                 check=False)
    assert res.returncode == 0 and (res.stdout + res.stderr).strip() == '', res.stdout + res.stderr
    rc, out, recap = run_role('bridge_network', {'host1': ROLE_VARS}, only=('host1',), bridge_network_restore_service=True)
    assert rc == 0 and recap['host1']['changed'] == 0, out


def ok_units(host):
    return sorted(n for n in host.run('ls /etc/systemd/system').stdout.split() if n.startswith('hostnet-'))


def test_recorded_namespaces_are_recreated_with_their_sysctls(host, collection_path):
    """The netns records (docs: the contract of netns/NAME.json) as the namespaces engineer's modules write them,
    built here: after a reboot the namespaces come back, a second name shares its target, sysctls are set again."""
    records = {
        'solo': {'name': 'solo', 'created': '2026-12-04T23:00:00.000000Z', 'by': ['netns'], 'share_with': None,
                 'sysctls': {'net.ipv4.ip_unprivileged_port_start': '80'}, 'owner': None},
        'alias': {'name': 'alias', 'created': '2026-12-04T23:00:01.000000Z', 'by': ['netns'], 'share_with': 'solo',
                  'sysctls': {}, 'owner': None},
    }
    host.run('mkdir -p /var/lib/hostnet/netns')
    for name, rec in records.items():
        host.run(['sh', '-c', 'cat > /var/lib/hostnet/netns/%s.json' % name], input=json.dumps(rec))
    entry = engine(collection_path)
    res = host.run(entry, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert sorted(host.run('ls /run/netns').stdout.split()) == ['alias', 'solo']
    ident = [host.run(['stat', '-L', '-c', '%d:%i', '/run/netns/' + n]).stdout for n in ('solo', 'alias')]
    assert ident[0] == ident[1]
    assert host.netns_run('solo', 'cat /proc/sys/net/ipv4/ip_unprivileged_port_start').stdout.strip() == '80'
    assert 'UP' in host.netns_run('solo', 'ip -o link show lo').stdout
    # Again: nothing to do.
    again = json.loads(host.run(entry + ['--json']).stdout)
    assert again['changed'] is False and again['failed'] == [], again


def test_a_network_that_cannot_be_rebuilt_is_named_and_the_others_are(host, collection_path):
    ok(host.module('docker_bridge', name='good', subnet='172.30.0.0/24', endpoints=[{'name': 'g1'}]))
    ok(host.module('macvlan_net', name='bad', parent='ens33', subnet='10.138.3.0/24', ip_range='10.138.3.192/27',
                   endpoints=[{'name': 'b1'}]))
    # The parent is gone at the next boot (renamed by the distribution, say).
    doc = json.loads(host.run('cat /var/lib/hostnet/networks/bad.json').stdout)
    host.run(['sh', '-c', 'cat > /var/lib/hostnet/networks/bad.json'], input=json.dumps(dict(doc, parent='ens99')))
    host.lab.down(keep_state=True)
    host.lab.up({'host1': SEED_HOSTS['host1']})
    entry = engine(collection_path)
    res = host.run(entry, check=False)
    assert res.returncode == 1, res.stdout + res.stderr
    assert "network bad: FAILED: parent 'ens99'" in res.stdout and 'failed: network bad' in res.stderr, res.stdout + res.stderr
    assert 'Traceback' not in res.stderr
    assert ping(host, 'g1', '172.30.0.1')
