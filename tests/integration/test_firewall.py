# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The firewall engine, docker_bridge's firewall options and nat_rule, proven with packets on both backends.

host1 (10.138.3.130) runs the containers; host2 (10.138.3.131) is the outside world on the same LAN.
"""

from __future__ import annotations

import re

import pytest

from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # iptables-restore and nft -j, no netlink of their own: see conftest.py

BACKENDS = ['iptables', 'nftables']
HOST1 = '10.138.3.130'
HOST2 = '10.138.3.131'


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def ruleset(host):
    """The host's whole firewall, counters masked: what must come back after teardown."""
    nft = host.run('nft list ruleset').stdout
    ipt = host.run('iptables-save').stdout
    text = nft + '\n' + '\n'.join(ln for ln in ipt.splitlines() if not ln.startswith('#'))
    return re.sub(r'counter packets \d+ bytes \d+', 'counter', re.sub(r'\[\d+:\d+\]', '[0:0]', text))


def owned(host, backend):
    if backend == 'iptables':
        return '\n'.join(ln for ln in host.run('iptables-save').stdout.splitlines() if 'HOSTNET' in ln)
    return host.run('nft list table ip hostnet', check=False).stdout


def add_foreign_rules(host):
    """A user's own chains and rules in every table of both backends."""
    host.run(r'''set -e
iptables -N MYCHAIN; iptables -A MYCHAIN -s 192.0.2.1/32 -j RETURN; iptables -A FORWARD -s 192.0.2.0/24 -j MYCHAIN
iptables -t nat -N MYNAT; iptables -t nat -A POSTROUTING -s 192.0.2.0/24 -j MYNAT
iptables -t raw -N MYRAW; iptables -t raw -A PREROUTING -s 192.0.2.1/32 -j MYRAW
nft add table inet mine
nft add chain inet mine c '{ type filter hook input priority 0; policy accept; }'
nft add rule inet mine c ip saddr 192.0.2.9 counter accept
''')


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def test_publish_every_form(two_hosts, backend):
    h1, h2 = two_hosts
    eps = [{'name': 'web01', 'publish': ['80', '5353:53/udp']}, {'name': 'web02', 'publish': ['8080:80']},
           {'name': 'web04', 'publish': ['127.0.0.1::80']}, {'name': 'sshd', 'publish': ['10.138.3.130:20022:22']},
           {'name': 'client'}]
    res = ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    pub = res['published']
    assert pub['web01'] == ['0.0.0.0:32768->80/tcp', '0.0.0.0:5353->53/udp']
    assert pub['web02'] == ['0.0.0.0:8080->80/tcp']
    assert pub['web04'] == ['127.0.0.1:32769->80/tcp']
    assert pub['sshd'] == ['10.138.3.130:20022->22/tcp']
    for name, port in (('web01', 80), ('web02', 80), ('web04', 80), ('sshd', 22)):
        serve(h1, name, port)
    serve(h1, 'web01', 53, proto='udp')
    # From another host, through the host's LAN address; the server sees the real client.
    assert connect(h2, None, HOST1, 32768) == 'web01 %s' % HOST2
    assert connect(h2, None, HOST1, 5353, proto='udp') == 'web01 %s' % HOST2
    assert connect(h2, None, HOST1, 8080) == 'web02 %s' % HOST2
    assert connect(h2, None, HOST1, 20022) == 'sshd %s' % HOST2
    # 127.0.0.1::80 answers on the host only.
    assert connect(h2, None, HOST1, 32769, timeout=1) is None
    assert connect(h1, None, '127.0.0.1', 32769) is not None and connect(h1, None, '127.0.0.1', 32769).startswith('web04 ')
    # From the host itself, through its own address.
    assert connect(h1, None, HOST1, 8080).startswith('web02 ')
    # Hairpin: a container on the same bridge through the host's address.
    assert connect(h1, 'client', HOST1, 8080) == 'web02 172.17.0.1'
    assert connect(h1, 'web02', HOST1, 8080) == 'web02 172.17.0.1'
    # Rerun: nothing to do, the automatic ports are kept.
    again = ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    assert not again['changed'] and again['commands'] == [] and again['published'] == pub
    # Removing a publish removes its rules: the port stops answering.
    eps[1]['publish'] = []
    res = ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    assert res['changed'] and connect(h2, None, HOST1, 8080, timeout=1) is None
    assert connect(h2, None, HOST1, 32768) == 'web01 %s' % HOST2


def test_loopback_publish_dropped_from_outside(two_hosts, backend):
    h1, h2 = two_hosts
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=[{'name': 'web04', 'publish': ['127.0.0.1:8081:80']}]))
    serve(h1, 'web04', 80)
    assert connect(h1, None, '127.0.0.1', 8081).startswith('web04 ')
    # host2 sends packets for 127.0.0.1:8081 to host1 as its next hop (its own loopback route moved aside).
    h2.run('ip route del local 127.0.0.0/8 dev lo table local && ip route del local 127.0.0.1 dev lo table local && '
           'ip route add 127.0.0.1/32 via %s dev ens33 onlink && '
           'sysctl -qw net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.ens33.route_localnet=1' % HOST1)
    assert connect(h2, None, '127.0.0.1', 8081, timeout=1) is None
    if backend == 'iptables':
        counters = h1.run('iptables -t raw -vnxL HOSTNET-PREROUTING').stdout
        dropped = [ln for ln in counters.splitlines() if 'DROP' in ln]
        assert dropped and int(dropped[0].split()[0]) > 0, counters
    else:
        listing = h1.run('nft list chain ip hostnet raw_prerouting').stdout
        assert 'ip daddr 127.0.0.0/8 iifname != "lo" drop' in listing


def test_masquerade_and_ip_masquerade_false(two_hosts, backend):
    h1, h2 = two_hosts
    serve(h2, None, 9000, tag='host2')
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=[{'name': 'web01'}]))
    assert h1.run('cat /proc/sys/net/ipv4/ip_forward').stdout.strip() == '1'
    assert connect(h1, 'web01', HOST2, 9000) == 'host2 %s' % HOST1
    # Without masquerade the packet leaves with 172.17.0.2, which host2 has no route back to.
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, ip_masquerade=False, endpoints=[{'name': 'web01'}]))
    assert connect(h1, 'web01', HOST2, 9000, timeout=1) is None
    h2.run('ip route add 172.17.0.0/16 via %s' % HOST1)
    assert connect(h1, 'web01', HOST2, 9000) == 'host2 172.17.0.2'


def test_icc_off_blocks_and_on_allows(host, backend):
    eps = [{'name': 'a'}, {'name': 'b'}]
    ok(host.module('docker_bridge', name='quiet', firewall_backend=backend, icc=False, endpoints=eps))
    assert not ping(host, 'a', '172.18.0.3')
    assert ping(host, None, '172.18.0.3'), 'the host still reaches the containers'
    ok(host.module('docker_bridge', name='quiet', firewall_backend=backend, icc=True, endpoints=eps))
    assert ping(host, 'a', '172.18.0.3')


def test_bridges_isolated(host, backend):
    ok(host.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=[{'name': 'web01'}]))
    ok(host.module('docker_bridge', name='custom_network', firewall_backend=backend, endpoints=[{'name': 'app'}]))
    assert host.run('cat /proc/sys/net/ipv4/ip_forward').stdout.strip() == '1'
    assert not ping(host, 'web01', '172.18.0.2')
    assert not ping(host, 'app', '172.17.0.2')
    assert ping(host, None, '172.17.0.2') and ping(host, None, '172.18.0.2')
    ok(host.module('docker_bridge', name='custom_network', firewall_backend=backend, endpoints=[{'name': 'app'}, {'name': 'web01'}]))
    assert ping(host, 'web01', '172.18.0.2')


def test_internal_network_unreachable_both_ways(two_hosts, backend):
    h1, h2 = two_hosts
    serve(h2, None, 9000, tag='host2')
    res = ok(h1.module('docker_bridge', name='secret', firewall_backend=backend, internal=True, endpoints=[{'name': 's1'}]))
    subnet = res['network']['IPAM']['Config'][0]['Subnet']
    assert res['network']['Internal'] is True
    serve(h1, 's1', 80)
    assert connect(h1, 's1', HOST2, 9000, timeout=1) is None
    h2.run('ip route add %s via %s' % (subnet, HOST1))
    assert connect(h2, None, '172.18.0.2', 80, timeout=1) is None
    assert not ping(h2, None, '172.18.0.2')
    assert subnet not in [ln for ln in owned(h1, backend).splitlines() if 'MASQUERADE' in ln or 'masquerade' in ln]
    res = h1.module('docker_bridge', name='secret', firewall_backend=backend, internal=True,
                    endpoints=[{'name': 's1', 'publish': ['8080:80']}])
    assert res.get('failed') and 'internal' in res['msg']


def test_foreign_rules_survive_and_teardown_restores(two_hosts, backend):
    h1, dummy = two_hosts
    add_foreign_rules(h1)
    before = ruleset(h1)
    eps = [{'name': 'web01', 'publish': ['8080:80', '127.0.0.1::81']}, {'name': 'web02'}]
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    ok(h1.module('docker_bridge', name='custom_network', firewall_backend=backend, icc=False, endpoints=[{'name': 'app'}]))
    ok(h1.module('nat_rule', name='lan', kind='masquerade', source='192.168.77.0/24', out_interface='ens33', firewall_backend=backend))
    during = ruleset(h1)
    for foreign in ('-A FORWARD -s 192.0.2.0/24 -j MYCHAIN', '-A MYCHAIN -s 192.0.2.1/32 -j RETURN', ':MYNAT - [0:0]',
                    '-A POSTROUTING -s 192.0.2.0/24 -j MYNAT', '-A PREROUTING -s 192.0.2.1/32 -j MYRAW',
                    'ip saddr 192.0.2.9 counter accept'):
        assert foreign in during, foreign
    assert 'HOSTNET' in during if backend == 'iptables' else 'table ip hostnet' in during
    again = ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    assert not again['changed'], again['commands']
    assert ruleset(h1) == during
    ok(h1.module('nat_rule', name='lan', state='absent'))
    ok(h1.module('docker_bridge', name='custom_network', state='absent', force=True))
    ok(h1.module('docker_bridge', name='bridge', state='absent', force=True))
    after = ruleset(h1)
    assert after.splitlines() == before.splitlines()
    assert h1.run('cat /proc/sys/net/ipv4/ip_forward').stdout.strip() == '0'


def test_user_hook_chain_first_and_kept(two_hosts, backend):
    h1, h2 = two_hosts
    serve(h2, None, 9000, tag='host2')
    eps = [{'name': 'web01'}]
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    assert connect(h1, 'web01', HOST2, 9000) is not None
    if backend == 'iptables':
        h1.run('iptables -A HOSTNET-USER -s 172.17.0.2/32 -j DROP')
    else:
        h1.run('nft add rule ip hostnet user ip saddr 172.17.0.2 drop')
    assert connect(h1, 'web01', HOST2, 9000, timeout=1) is None
    again = ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps + [{'name': 'web02'}]))
    assert again['changed']
    assert connect(h1, 'web01', HOST2, 9000, timeout=1) is None, 'the user rule survived the reapply'
    assert connect(h1, 'web02', HOST2, 9000) is not None
    ok(h1.module('docker_bridge', name='bridge', state='absent', force=True))
    kept = owned(h1, backend)
    assert ('-A HOSTNET-USER -s 172.17.0.2/32 -j DROP' in kept) if backend == 'iptables' else ('ip saddr 172.17.0.2 drop' in kept)


def test_drift_repaired_and_reported_in_check_mode(two_hosts, backend):
    h1, h2 = two_hosts
    serve(h2, None, 9000, tag='host2')
    eps = [{'name': 'web01'}]
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    if backend == 'iptables':
        h1.run('iptables -t nat -D HOSTNET-POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE')
    else:
        h1.run('nft flush chain ip hostnet postrouting')
    assert connect(h1, 'web01', HOST2, 9000, timeout=1) is None
    check = ok(h1.module('docker_bridge', check_mode=True, diff=True, name='bridge', firewall_backend=backend, endpoints=eps))
    assert check['changed'] and any(backend in c for c in check['commands'])
    assert backend in check['firewall']
    fixed = ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=eps))
    assert fixed['changed']
    assert connect(h1, 'web01', HOST2, 9000) == 'host2 %s' % HOST1


def test_taken_host_port_fails_before_any_change(host, backend):
    serve(host, None, 7000, tag='hostsrv')
    ok(host.module('docker_bridge', name='bridge', firewall_backend=backend, endpoints=[{'name': 'web02', 'publish': ['8080:80']}]))
    before = host.settled_snapshot()
    res = host.module('docker_bridge', name='custom_network', firewall_backend=backend, endpoints=[{'name': 'x', 'publish': ['7000:80']}])
    assert res.get('failed') and "endpoints[0].publish '7000:80'" in res['msg'] and 'listens' in res['msg'], res
    res = host.module('docker_bridge', name='custom_network', firewall_backend=backend, endpoints=[{'name': 'x', 'publish': ['8080:80']}])
    assert res.get('failed') and 'already published by container web02 on network bridge' in res['msg'], res
    res = host.module('nat_rule', name='dup', kind='dnat', host_port=8080, container_ip='172.17.0.2', container_port=80,
                      firewall_backend=backend)
    assert res.get('failed') and "host_port 8080: " in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_nat_rule_kinds(two_hosts, backend):
    h1, h2 = two_hosts
    serve(h2, None, 9000, tag='host2')
    # A network whose own masquerade is off: nat_rule masquerade, then snat, give it a way out.
    ok(h1.module('docker_bridge', name='bridge', firewall_backend=backend, ip_masquerade=False, endpoints=[{'name': 'web01'}]))
    assert connect(h1, 'web01', HOST2, 9000, timeout=1) is None
    check = ok(h1.module('nat_rule', check_mode=True, name='out', kind='masquerade', source='172.17.0.0/16',
                         not_out_interface='docker0', firewall_backend=backend))
    assert check['changed'] and connect(h1, 'web01', HOST2, 9000, timeout=1) is None
    ok(h1.module('nat_rule', name='out', kind='masquerade', source='172.17.0.0/16', not_out_interface='docker0', firewall_backend=backend))
    assert connect(h1, 'web01', HOST2, 9000) == 'host2 %s' % HOST1
    res = ok(h1.module('nat_rule', name='out', kind='snat', source='172.17.0.0/16', out_interface='ens33', to_source=HOST1,
                       firewall_backend=backend, diff=True))
    assert res['changed'] and res['diff']['before']['kind'] == 'masquerade'
    assert connect(h1, 'web01', HOST2, 9000) == 'host2 %s' % HOST1
    # dnat: a port published by hand, bridge found from the routes, port chosen and kept.
    serve(h1, 'web01', 80)
    res = ok(h1.module('nat_rule', name='web', kind='dnat', container_ip='172.17.0.2', container_port=80, firewall_backend=backend))
    port = res['rule']['host_port']
    assert res['rule']['bridge'] == 'docker0' and 32768 <= port <= 60999
    assert connect(h2, None, HOST1, port) == 'web01 %s' % HOST2
    again = ok(h1.module('nat_rule', name='web', kind='dnat', container_ip='172.17.0.2', container_port=80, firewall_backend=backend))
    assert not again['changed'] and again['rule']['host_port'] == port
    ok(h1.module('nat_rule', name='web', state='absent'))
    assert connect(h2, None, HOST1, port, timeout=1) is None
    ok(h1.module('nat_rule', name='out', state='absent'))
    assert connect(h1, 'web01', HOST2, 9000, timeout=1) is None


@pytest.mark.parametrize('params, needle', [
    ({'kind': 'snat', 'source': '10.0.0.0/8'}, "to_source null: is required"),
    ({'kind': 'dnat', 'container_port': 80}, "container_ip null: is required"),
    ({'kind': 'dnat', 'container_ip': '172.17.0.2', 'container_port': 70000}, "container_port 70000"),
    ({'kind': 'masquerade', 'container_ip': '172.17.0.2'}, "container_ip '172.17.0.2': does not apply to kind masquerade"),
    ({'kind': 'masquerade', 'source': '10.0.0.1/8'}, "source '10.0.0.1/8'"),
    ({'kind': 'masquerade', 'out_interface': 'a' * 16}, 'out_interface'),
    ({'kind': 'masquerade', 'out_interface': 'eth0', 'not_out_interface': 'eth1'}, 'not_out_interface'),
    ({'kind': 'dnat', 'container_ip': '172.17.0.2', 'container_port': 80, 'bridge': 'nosuchbr'}, "bridge 'nosuchbr'"),
    ({'kind': 'dnat', 'container_ip': '172.17.0.300', 'container_port': 80}, "container_ip '172.17.0.300'"),
])
def test_nat_rule_bad_input(host, params, needle):
    before = host.settled_snapshot()
    res = host.module('nat_rule', name='bad', **params)
    assert res.get('failed') and needle in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def rule_handles(host):
    """The handle of every rule of the nftables table: a table made again gives every rule a new one."""
    rules = [ln for ln in host.run('nft -a list table ip hostnet').stdout.splitlines() if not re.match(r'\s*(chain|set|map|table) ', ln)]
    return sorted(re.findall(r'# handle (\d+)', '\n'.join(rules)))


def test_nftables_container_added_and_removed_as_elements(two_hosts):
    """A container with a published port joining and leaving a network changes elements of the sets and maps only:
    every rule keeps its handle, the new port answers from the LAN, and once it is gone it is refused again."""
    h1, h2 = two_hosts
    eps = [{'name': 'web%02d' % i, 'publish': ['80%02d:80' % i]} for i in range(1, 4)]
    ok(h1.module('docker_bridge', name='custom_network', firewall_backend='nftables', endpoints=eps))
    for ep in eps:
        serve(h1, ep['name'], 80)
    handles = rule_handles(h1)
    assert handles
    added = ok(h1.module('docker_bridge', name='custom_network', firewall_backend='nftables', diff=True,
                         endpoints=[{'name': 'web09', 'publish': ['8009:80']}]))
    assert added['changed'] and rule_handles(h1) == handles, 'the rules were made again'
    added_lines = added['diff']['after']['firewall_rules']['nftables']
    assert any(line.endswith('tcp . 8009 : 172.18.0.5') for line in added_lines), added_lines
    serve(h1, 'web09', 80)
    assert connect(h2, None, HOST1, 8009) == 'web09 %s' % HOST2
    assert connect(h2, None, HOST1, 8002) == 'web02 %s' % HOST2
    again = ok(h1.module('docker_bridge', name='custom_network', firewall_backend='nftables', endpoints=[{'name': 'web09', 'publish': ['8009:80']}]))
    assert not again['changed']
    removed = ok(h1.module('docker_bridge', name='custom_network', firewall_backend='nftables', endpoints=eps, purge_endpoints=True))
    assert removed['changed'] and rule_handles(h1) == handles
    assert connect(h2, None, HOST1, 8009, timeout=1) is None
    assert connect(h2, None, HOST1, 8003) == 'web03 %s' % HOST2
    assert '8009' not in h1.run('nft list table ip hostnet').stdout
