# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""overlay_net with IPv6 inside the overlay, on three emulated hosts over an IPv4 underlay.

A dual-stack overlay (c1, c2, c3 on host1..3) and an IPv6-only one (e1, e2 on host1 and host2): containers on
different hosts ping and connect over IPv6 through the overlay and resolve each other's AAAA records, the VXLAN
devices hold one permanent IPv6 neighbour entry per remote container, one container added, moved or removed changes
exactly its entries on the other hosts, a rerun and check mode change nothing, and bad input fails naming the option.
"""

from __future__ import annotations

import json

import pytest

import traffic
from conftest import module_lab, run_restore

HOSTS = {'host1': {'address': '10.138.3.130/24', 'gateway': '10.138.3.1'},
         'host2': {'address': '10.138.3.131/24', 'gateway': '10.138.3.1'},
         'host3': {'address': '10.138.3.132/24', 'gateway': '10.138.3.1'}}
UNDERLAY = {n: spec['address'].split('/', maxsplit=1)[0] for n, spec in HOSTS.items()}
MEMBERS = ('host1', 'host2', 'host3')
DUAL = {'name': 'dual6', 'vni': 4200, 'subnet': '10.30.0.0/24', 'enable_ipv6': True, 'subnet_v6': 'fd00:30::/64'}
# The IPv6-only overlay on the other firewall backend: both render the bridge's family-6 rules for an overlay.
ONLY6 = {'name': 'only6', 'vni': 4201, 'enable_ipv4': False, 'enable_ipv6': True, 'subnet_v6': 'fd00:31::/64',
         'firewall_backend': 'nftables'}
C = {'c1': ('host1', '10.30.0.2', 'fd00:30::2'), 'c2': ('host2', '10.30.0.3', 'fd00:30::3'), 'c3': ('host3', '10.30.0.4', 'fd00:30::4')}
E = {'e1': ('host1', None, 'fd00:31::a'), 'e2': ('host2', None, 'fd00:31::b')}


def _addresses(ip, ip6):
    return dict({'ip': ip} if ip else {}, ipv6_address=ip6)


def params(net, placement, here, members=MEMBERS, **extra):
    """overlay_net's parameters on host ``here``: its containers as endpoints, the others' as remote endpoints."""
    p = dict(net, peers=[{'host': h, 'underlay_ip': UNDERLAY[h]} for h in members],
             endpoints=[dict(_addresses(ip, ip6), name=c) for c, (h, ip, ip6) in sorted(placement.items()) if h == here],
             remote_endpoints=[dict(_addresses(ip, ip6), name=c, host=h) for c, (h, ip, ip6) in sorted(placement.items())
                               if h != here and h in members])
    return dict(p, **extra)


def apply(hosts, net, placement, members=MEMBERS, **extra):
    """overlay_net on every member, in order; {host: result}, each one a success."""
    results = {name: hosts[name].module('hostnet.containers.overlay_net', **params(net, placement, name, members, **extra))
               for name in members}
    assert not any(res.get('failed') for res in results.values()), results
    return results


@pytest.fixture(scope='module')
def lab(tmp_path_factory, collection_path):
    """The dual-stack overlay on the three hosts and the IPv6-only one on host1 and host2."""
    with module_lab(tmp_path_factory, collection_path, 'overlay6', HOSTS) as hosts:
        for net, placement, members in ((DUAL, C, MEMBERS), (ONLY6, E, MEMBERS[:2])):
            apply(hosts, net, placement, members)
        yield hosts


def vx_of(host, net):
    return host.module('hostnet.containers.network_info', name=net)['networks'][0]['Options']['hostnet.containers.vxlan']


def neigh6(host, device):
    """{(address, MAC, permanent)} of the IPv6 neighbour entries of ``device``."""
    out = json.loads(host.run(['ip', '-6', '-j', 'neigh', 'show', 'dev', device]).stdout or '[]')
    return {(e['dst'], e.get('lladdr'), 'PERMANENT' in e.get('state', [])) for e in out}


def test_dual_stack_containers_on_three_hosts_talk_over_ipv6(lab):
    for cname, (host, dummy, dummy6) in C.items():
        traffic.serve(lab[host], cname, 8086, family=6)
    for src, (shost, dummy, sip6) in C.items():
        for dst, (dummy2, ip, ip6) in C.items():
            if src == dst:
                continue
            assert traffic.ping(lab[shost], src, ip6, timeout=2), (src, dst)
            assert traffic.ping(lab[shost], src, ip, timeout=2), (src, dst)
            # The server sees the container's own IPv6 address: no NAT66 inside the overlay.
            assert traffic.connect(lab[shost], src, ip6, 8086) == '%s %s' % (dst, sip6), (src, dst)


def test_ipv6_only_overlay_across_two_hosts(lab):
    traffic.serve(lab['host2'], 'e2', 8087, family=6)
    assert traffic.ping(lab['host1'], 'e1', E['e2'][2], timeout=2)
    assert traffic.connect(lab['host1'], 'e1', E['e2'][2], 8087) == 'e2 %s' % E['e1'][2]
    # No IPv4 at all in the containers; the MAC is 02:42 and the address's last four bytes, on both hosts alike.
    shown = json.loads(lab['host1'].netns_run('e1', ['ip', '-j', 'addr', 'show', 'eth0']).stdout)[0]
    assert [a['family'] for a in shown['addr_info'] if a.get('scope') == 'global'] == ['inet6']
    assert shown['address'] == '02:42:00:00:00:0a'
    assert ('fd00:31::b', '02:42:00:00:00:0b', True) in neigh6(lab['host1'], vx_of(lab['host1'], 'only6'))


def test_remote_containers_resolve_by_name_over_ipv6(lab):
    for src, (host, dummy, dummy6) in C.items():
        for dst, (dummy2, dummy3, ip6) in C.items():
            res = lab[host].netns_run(src, ['getent', 'ahostsv6', dst], check=False)
            assert res.returncode == 0 and res.stdout.split()[0] == ip6, (src, dst, res.stdout, res.stderr)


def test_entries_and_the_anycast_ipv6_gateway(lab):
    h1 = lab['host1']
    vx = vx_of(h1, 'dual6')
    assert neigh6(h1, vx) == {('fd00:30::3', '02:42:0a:1e:00:03', True), ('fd00:30::4', '02:42:0a:1e:00:04', True)}
    net = h1.module('hostnet.containers.network_info', name='dual6')['networks'][0]
    assert net['EnableIPv6'] is True and net['IPAM']['Config'][1]['Subnet'] == 'fd00:30::/64'
    assert net['RemoteContainers']['c2']['IPv6Address'] == 'fd00:30::3/64'
    mtus = set()
    for name in MEMBERS:
        info = lab[name].module('hostnet.containers.network_info', name='dual6')['networks'][0]
        shown = json.loads(lab[name].run(['ip', '-j', 'addr', 'show', info['Options']['com.docker.network.bridge.name']]).stdout)[0]
        assert shown['address'] == '02:42:0a:1e:00:01'
        assert 'fd00:30::1' in [a['local'] for a in shown['addr_info'] if a['family'] == 'inet6']
        mtus.add(shown['mtu'])
    assert mtus == {1450}  # the MTU is the IPv4 underlay's less 50, IPv6 or not
    host, dummy, dummy6 = C['c1']
    assert lab[host].netns_run('c1', ['ip', '-6', 'route', 'show', 'default']).stdout.startswith('default via fd00:30::1 dev eth0')


def test_rerun_and_check_mode_change_nothing(lab):
    for net, placement, members in ((DUAL, C, MEMBERS), (ONLY6, E, ('host1', 'host2'))):
        for name in members:
            for check in (False, True):
                res = lab[name].module('hostnet.containers.overlay_net', check_mode=check, **params(net, placement, name, members))
                assert res['changed'] is False, (name, net['name'], res['commands'])


def test_one_container_added_moved_and_removed_changes_its_entries_only(lab):
    h1 = lab['host1']
    vx = vx_of(h1, 'dual6')
    placed = dict(C, c4=('host2', '10.30.0.5', 'fd00:30::5'))
    try:
        res = apply(lab, DUAL, placed)
        assert [c for c in res['host1']['commands'] if 'entry' in c] == [
            'add forwarding entry 02:42:0a:1e:00:05 dst %s to %s' % (UNDERLAY['host2'], vx),
            'add neighbour entry 10.30.0.5 lladdr 02:42:0a:1e:00:05 to %s' % vx,
            'add neighbour entry fd00:30::5 lladdr 02:42:0a:1e:00:05 to %s' % vx]
        assert traffic.ping(lab['host3'], 'c3', 'fd00:30::5', timeout=2)
        # c4 moves to host3 with new addresses (leaves host2, then joins host3): its old IPv6 entry goes everywhere.
        apply(lab, DUAL, C, purge_endpoints=True)
        res = apply(lab, DUAL, dict(C, c4=('host3', '10.30.0.6', 'fd00:30::6')))
        assert 'add neighbour entry fd00:30::6 lladdr 02:42:0a:1e:00:06 to %s' % vx in res['host1']['commands']
        shown = {dst for dst, dummy, dummy2 in neigh6(h1, vx)}
        assert 'fd00:30::6' in shown and 'fd00:30::5' not in shown
        assert traffic.ping(h1, 'c1', 'fd00:30::6', timeout=2)
        assert traffic.ping(lab['host2'], 'c2', 'fd00:30::6', timeout=2)
    finally:
        res = apply(lab, DUAL, C, purge_endpoints=True)
    assert 'remove neighbour entry fd00:30::6 lladdr 02:42:0a:1e:00:06 from %s' % vx in res['host1']['commands']
    assert not {'fd00:30::5', 'fd00:30::6'} & {dst for dst, dummy, dummy2 in neigh6(h1, vx)}
    assert not traffic.ping(h1, 'c1', 'fd00:30::6')


@pytest.mark.parametrize('change, option, value', [
    ({'subnet_v6': None}, 'subnet_v6', ''),
    ({'subnet_v6': '10.40.0.0/24'}, 'subnet_v6', '10.40.0.0/24'),
    ({'subnet_v6': 'fd00:30::/64'}, 'subnet_v6', 'fd00:30::/64'),
    ({'remote_endpoints': [{'name': 'r1', 'ip': '10.40.0.9', 'host': 'host2'}]}, 'remote_endpoints[0].ipv6_address', ''),
    ({'remote_endpoints': [{'name': 'r1', 'ip': '10.40.0.9', 'ipv6_address': '10.40.0.9', 'host': 'host2'}]},
     'remote_endpoints[0].ipv6_address', '10.40.0.9'),
    ({'enable_ipv6': False}, 'subnet_v6', 'fd00:40::/64'),
])
@pytest.mark.once  # refused before any request: the pyroute2 of the host plays no part
def test_bad_input_names_the_option_and_changes_nothing(lab, change, option, value):
    h1 = lab['host1']
    before = h1.snapshot()
    p = dict(name='bad6', vni=4299, subnet='10.40.0.0/24', enable_ipv6=True, subnet_v6='fd00:40::/64',
             peers=[{'host': 'host2', 'underlay_ip': UNDERLAY['host2']}])
    p.update(change)
    res = h1.module('hostnet.containers.overlay_net', **p)
    assert res.get('failed') and res['msg'].startswith('%s' % option) and value in res['msg'], res['msg']
    assert h1.snapshot() == before


def test_a_reboot_restores_the_ipv6_of_both_overlays(lab):
    """Last (it restarts the lab): every runtime object gone but /etc and /var/lib/hostnet, then hostnet-restore's
    engine on each host rebuilds the overlays with their IPv6 addresses, routes and neighbour entries."""
    the_lab = lab['host1'].lab
    the_lab.down(keep_state=True)
    the_lab.up(HOSTS, keep_state=True)
    for name in MEMBERS:
        run_restore(lab[name])
    assert traffic.ping(lab['host1'], 'c1', C['c3'][2], timeout=2) and traffic.ping(lab['host3'], 'c3', C['c2'][2], timeout=2)
    assert traffic.ping(lab['host2'], 'e2', E['e1'][2], timeout=2)
    assert ('fd00:30::4', '02:42:0a:1e:00:04', True) in neigh6(lab['host1'], vx_of(lab['host1'], 'dual6'))
    for net, placement, members in ((DUAL, C, MEMBERS), (ONLY6, E, MEMBERS[:2])):
        for name in members:
            res = lab[name].module('hostnet.containers.overlay_net', **params(net, placement, name, members))
            assert res['changed'] is False, (name, net['name'], res['commands'])
