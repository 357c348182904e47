# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Foreign state and teardown, on both firewall backends: what the collection does not own (a user's bridge, veth,
namespace and its files, nftables table, iptables chains and rules, sysctls) is untouched by apply, rerun and
teardown, and `state: absent` for everything returns the host to exactly the state before the first apply.
"""

from __future__ import annotations

import pytest

import reliability as R

# Per-namespace sysctls a user may have tuned; none is the collection's.
FOREIGN_SYSCTLS = ('net/ipv4/conf/default/rp_filter', 'net/ipv4/ip_local_port_range', 'net/ipv4/conf/all/accept_redirects',
                   'net/ipv4/tcp_syncookies', 'net/ipv4/ip_forward')

FOREIGN = r'''set -e
ip link add userbr0 type bridge; ip addr add 192.0.2.1/24 dev userbr0; ip link set userbr0 up
ip link add uveth0 type veth peer name uveth1; ip link set uveth0 master userbr0 up
ip netns add userns; ip link set uveth1 netns userns; ip -n userns addr add 192.0.2.2/24 dev uveth1; ip -n userns link set uveth1 up
mkdir -p /etc/netns/userns; printf 'nameserver 192.0.2.53\n' > /etc/netns/userns/resolv.conf
ip route add 198.51.100.0/24 via 192.0.2.254
ip rule add from 192.0.2.0/24 table 100 priority 1000
iptables -N MYCHAIN; iptables -A MYCHAIN -s 192.0.2.1/32 -j RETURN; iptables -A FORWARD -s 192.0.2.0/24 -j MYCHAIN
iptables -A FORWARD -i userbr0 -o userbr0 -j ACCEPT
iptables -t nat -N MYNAT; iptables -t nat -A POSTROUTING -s 192.0.2.0/24 -j MYNAT; iptables -t nat -A MYNAT -j MASQUERADE
iptables -t raw -A PREROUTING -s 192.0.2.9/32 -j NOTRACK
nft add table inet mine
nft add chain inet mine c '{ type filter hook forward priority 10; policy accept; }'
nft add rule inet mine c ip saddr 192.0.2.9 counter accept
echo 2 > /proc/sys/net/ipv4/conf/default/rp_filter; echo '20000 40000' > /proc/sys/net/ipv4/ip_local_port_range
echo 0 > /proc/sys/net/ipv4/conf/all/accept_redirects; echo 0 > /proc/sys/net/ipv4/tcp_syncookies
'''


def everything(backend):
    """A host's worth of the collection: every state-changing module, as (module, params) to apply in order."""
    fw = {'firewall_backend': backend}
    return [
        ('netns', dict(name='web', hostname='web', dns=['10.138.3.1'], hosts={'10.138.3.131': ['host2']},
                       sysctls={'net.ipv4.ip_unprivileged_port_start': 80})),
        ('docker_bridge', dict(name='bridge', endpoints=[{'name': 'web', 'publish': ['8080:80']}, {'name': 'db'}], **fw)),
        ('docker_bridge', dict(name='custom', endpoints=[{'name': 'app', 'aliases': ['api'], 'publish': ['127.0.0.1::80']},
                                                         {'name': 'web'}], **fw)),
        ('nat_rule', dict(name='lan-out', kind='masquerade', source='10.50.0.0/24', not_out_interface='docker0', **fw)),
        ('nat_rule', dict(name='ssh', kind='dnat', host_port=20022, container_ip='172.17.0.3', container_port=22, **fw)),
        ('macvlan_net', dict(name='mac', parent='ens33', subnet='10.0.0.0/24', host_shim={'enabled': True},
                             endpoints=[{'name': 'm1'}])),
        ('veth_pair', dict(name='pv0', peer_netns='web', peer_name='eth9', peer_addresses=['10.60.0.2/24'])),
    ]


def teardown(backend):
    fw = {'firewall_backend': backend}
    return [
        ('veth_pair', dict(name='pv0', state='absent')),
        ('macvlan_net', dict(name='mac', state='absent', force=True)),
        ('nat_rule', dict(name='ssh', state='absent', **fw)),
        ('nat_rule', dict(name='lan-out', state='absent', **fw)),
        ('docker_bridge', dict(name='custom', state='absent', force=True, **fw)),
        ('docker_bridge', dict(name='bridge', state='absent', force=True, **fw)),
    ] + [('netns', dict(name=n, state='absent')) for n in ('web', 'db', 'app', 'm1')]


def sysctls(host):
    return {k: host.run(['cat', '/proc/sys/' + k]).stdout.split() for k in FOREIGN_SYSCTLS}


def apply_all(host, calls):
    return [R.ok(host.module(module, **params)) for module, params in calls]


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_foreign_state_survives_apply_rerun_and_teardown(host, backend):
    host.run(FOREIGN)
    before, knobs = host.settled_snapshot(), sysctls(host)
    assert 'chain MYCHAIN' in '\n'.join(before['nft']) or any('MYCHAIN' in ln for ln in before['iptables'])

    apply_all(host, everything(backend))
    during = host.settled_snapshot()
    # Every foreign line is still there (the collection only adds its own: HOSTNET-* chains and their jumps, the
    # hostnet table, its links, namespaces and files).
    for section, lines in before.items():
        if section == 'sysctl':
            continue  # ip_forward: the collection turns it on while a network needs it, and restores it (below)
        # ens33 is the macvlan network's parent: its children make the kernel count it in allmulti mode.
        missing = [ln for ln in lines if ln not in during.get(section, []) and ' ens33@' not in ln]
        assert not missing, (section, missing)
    assert {k: v for k, v in sysctls(host).items() if k != 'net/ipv4/ip_forward'} == \
        {k: v for k, v in knobs.items() if k != 'net/ipv4/ip_forward'}
    # The user's bridge still forwards between its own ports, through the user's own rules.
    assert host.netns_run('userns', 'ping -c1 -W2 192.0.2.1').returncode == 0

    if backend == 'iptables':  # a rerun changes nothing (once is enough: the firewall backend plays no part in it)
        again = apply_all(host, everything(backend))
        assert not any(r['changed'] for r in again), [r.get('commands') for r in again if r['changed']]

    apply_all(host, teardown(backend))
    after = host.settled_snapshot(like=before)
    assert after == before, R.diff({k: sorted(v) for k, v in before.items()}, {k: sorted(v) for k, v in after.items()})
    assert sysctls(host) == knobs


def test_teardown_returns_a_clean_host_to_exactly_where_it_was(host):
    # iptables: on a host with no tables yet, iptables-nft creates them for the collection, and teardown must remove
    # them. (nftables' own table is covered above: a user's tables do not touch it.)
    backend = 'iptables'
    before, knobs = host.settled_snapshot(), sysctls(host)
    apply_all(host, everything(backend))
    assert host.snapshot() != before
    apply_all(host, teardown(backend))
    after = host.settled_snapshot(like=before)
    # The iptables-nft tables and chains the collection's rules needed are gone again too.
    assert after == before, R.diff({k: sorted(v) for k, v in before.items()}, {k: sorted(v) for k, v in after.items()})
    assert sysctls(host) == knobs
    # A second teardown has nothing to do.
    assert not any(r['changed'] for r in apply_all(host, teardown(backend)))
