# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The outbound address (host_ipv4, host_ipv6) proven with packets on both backends: host1 holds a second address
on its lab port (10.138.3.140, fd00:138::140), and host2, the LAN host, sees the containers' connections come from
the address the network names instead of the one the masquerade picks (host1's first, 10.138.3.130).

The addresses are given inside the emulated hosts only.
"""

from __future__ import annotations

import pytest

from conftest import run_restore, wait_until
from traffic import connect, ping, serve

pytestmark = pytest.mark.once  # the firewall backends' rules and packets, no netlink request of their own

HOST1, SECOND, HOST2 = '10.138.3.130', '10.138.3.140', '10.138.3.131'
HOST1_V6, SECOND_V6, HOST2_V6 = 'fd00:138::130', 'fd00:138::140', 'fd00:138::131'


def ok(res):
    assert not res.get('failed'), (res.get('msg'), res.get('stderr', '')[-1500:])
    return res


def second_addresses(h1, h2, v6=False):
    h1.run('ip addr add %s/24 dev ens33' % SECOND)
    if v6:
        # The second one deprecated (preferred_lft 0): the kernel never picks it as a source itself, so the masquerade
        # takes the first, as IPv4's takes its primary address.
        for host, addrs in ((h1, (HOST1_V6, SECOND_V6 + '/64 preferred_lft 0')), (h2, (HOST2_V6,))):
            host.run(['sh', '-c', 'sysctl -qw net.ipv6.conf.ens33.disable_ipv6=0 && '
                      + ' && '.join('ip -6 addr add %s dev ens33 nodad' % (a if '/' in a else a + '/64') for a in addrs)])
        wait_until(lambda: ping(h1, None, HOST2_V6), 'host1 to reach host2 over IPv6')


def source_seen(h1, netns, target=HOST2):
    """The source address host2's listener sees for a connection from ``netns``."""
    answer = connect(h1, netns, target, 9000)
    assert answer is not None, 'no answer from %s:9000' % target
    return answer.split()[1]


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_egress_leaves_from_host_ipv4(two_hosts, backend):
    h1, h2 = two_hosts
    second_addresses(h1, h2)
    serve(h2, None, 9000, tag='lan')

    def bridge(check_mode=False, **options):
        return h1.module('docker_bridge', check_mode=check_mode, diff=True, name='out', subnet='10.60.0.0/24', firewall_backend=backend,
                         endpoints=[{'name': 'worker'}], **options)

    ok(bridge())
    assert source_seen(h1, 'worker') == HOST1, 'masqueraded: the address of the route out'
    # Check mode says what would change and changes nothing.
    assert ok(bridge(check_mode=True, host_ipv4=SECOND))['changed']
    assert source_seen(h1, 'worker') == HOST1
    res = ok(bridge(host_ipv4=SECOND))
    assert res['changed'] and res['after']['host_ipv4'] == SECOND
    assert source_seen(h1, 'worker') == SECOND
    assert not ok(bridge(host_ipv4=SECOND))['changed']
    assert ok(h1.module('network_info', name='out'))['networks'][0]['Options']['com.docker.network.host_ipv4'] == SECOND

    # Changing it back changes that one rule: no link, address or namespace is touched.
    before = h1.settled_snapshot()
    res = ok(bridge(host_ipv4=HOST1))
    fw = res['firewall'][backend]
    assert len(set(fw['before']) - set(fw['after'])) == 1 and len(set(fw['after']) - set(fw['before'])) == 1, fw
    after = h1.settled_snapshot()
    assert {k: v for k, v in after.items() if k not in ('nft', 'iptables', 'files')} == \
        {k: v for k, v in before.items() if k not in ('nft', 'iptables', 'files')}
    assert source_seen(h1, 'worker') == HOST1
    ok(bridge(host_ipv4=SECOND))

    # A container joining through the container module leaves from it too; the boot-time restore puts the rule
    # back even when the address has not come yet, and the address then works.
    ok(h1.module('container', name='late', networks=[{'name': 'out'}]))
    assert source_seen(h1, 'late') == SECOND
    h1.run('ip addr del %s/24 dev ens33' % SECOND)
    run_restore(h1)
    h1.run('ip addr add %s/24 dev ens33' % SECOND)
    assert source_seen(h1, 'worker') == SECOND

    # Removing the option brings the masquerade back; removing the network removes the rule.
    ok(bridge())
    assert source_seen(h1, 'worker') == HOST1
    ok(h1.module('docker_bridge', name='out', state='absent', force=True))
    assert SECOND not in h1.run('iptables-save -t nat; nft list ruleset', check=False).stdout


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_egress_leaves_from_host_ipv6_on_a_dual_stack_network(two_hosts, backend):
    h1, h2 = two_hosts
    second_addresses(h1, h2, v6=True)
    serve(h2, None, 9000, tag='lan')
    serve(h2, None, 9000, tag='lan6', family=6)
    args = dict(name='dual', subnet='10.61.0.0/24', enable_ipv6=True, subnet_v6='fd00:61::/64', firewall_backend=backend, dns=False,
                endpoints=[{'name': 'worker'}])
    ok(h1.module('docker_bridge', **args))
    assert source_seen(h1, 'worker', HOST2_V6) == HOST1_V6
    res = ok(h1.module('docker_bridge', host_ipv6=SECOND_V6, **args))
    assert res['after']['host_ipv6'] == SECOND_V6
    assert source_seen(h1, 'worker', HOST2_V6) == SECOND_V6
    assert source_seen(h1, 'worker') == HOST1, 'the IPv4 side keeps the masquerade'
    ok(h1.module('docker_bridge', host_ipv4=SECOND, host_ipv6=SECOND_V6, **args))
    assert (source_seen(h1, 'worker'), source_seen(h1, 'worker', HOST2_V6)) == (SECOND, SECOND_V6)
    assert not ok(h1.module('docker_bridge', host_ipv4=SECOND, host_ipv6=SECOND_V6, **args))['changed']


@pytest.mark.parametrize('options, needle', [
    ({'host_ipv4': '10.138.3.99'}, "host_ipv4 '10.138.3.99': is not an address of this host: use one of its addresses ("),
    ({'host_ipv4': 'fd00:138::130'}, "host_ipv4 'fd00:138::130': is an IPv6 address; this option takes IPv4"),
    ({'host_ipv6': '10.138.3.130', 'enable_ipv6': True}, "host_ipv6 '10.138.3.130': is an IPv4 address; this option takes IPv6"),
    ({'host_ipv6': 'fd00:138::99', 'enable_ipv6': True}, "host_ipv6 'fd00:138::99': is not an address of this host"),
    ({'host_ipv4': HOST1, 'internal': True}, "host_ipv4 '10.138.3.130': an internal network has no outbound traffic to NAT"),
])
def test_bad_outbound_address_changes_nothing(host, options, needle):
    ok(host.module('docker_bridge', name='out', subnet='10.60.0.0/24', enable_ipv6=bool(options.get('enable_ipv6')), endpoints=[{'name': 'worker'}]))
    before = host.settled_snapshot()
    for check_mode in (True, False):
        # A new network and a change of an existing one alike.
        for name in ('fresh', 'out'):
            res = host.module('docker_bridge', check_mode=check_mode, name=name, endpoints=[{'name': 'worker'}], **options)
            assert res.get('failed') and needle in res['msg'], res
    assert host.settled_snapshot(like=before) == before


def test_through_the_bridge_network_role(two_hosts, run_role):
    h1, h2 = two_hosts
    second_addresses(h1, h2)
    serve(h2, None, 9000, tag='lan')
    role_vars = {'bridge_network_networks': [{'name': 'out', 'subnet': '10.62.0.0/24', 'host_ipv4': SECOND}],
                 'bridge_network_containers': [{'name': 'worker', 'networks': ['out']}]}
    rc, out, recap = run_role('bridge_network', {'host1': role_vars}, only=('host1',))
    assert rc == 0, out
    assert source_seen(h1, 'worker') == SECOND
    rc, out, recap = run_role('bridge_network', {'host1': role_vars}, only=('host1',))
    assert rc == 0 and recap['host1']['changed'] == 0, out
    bad = {'bridge_network_networks': [{'name': 'out', 'subnet': '10.62.0.0/24', 'host_ipv4': '10.138.3.99'}],
           'bridge_network_containers': role_vars['bridge_network_containers']}
    rc, out, recap = run_role('bridge_network', {'host1': bad}, only=('host1',))
    assert rc != 0 and "host_ipv4 '10.138.3.99': is not an address of this host" in out, out
    assert source_seen(h1, 'worker') == SECOND, 'the refused run changed nothing'
