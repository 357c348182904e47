# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The macvlan_network role, run by ansible-playbook on two emulated hosts: one address plan for the play."""

from __future__ import annotations

import pytest

from traffic import ping

pytestmark = pytest.mark.once  # see conftest.py

MACNET = {'name': 'macnet', 'subnet': '10.0.0.0/24', 'ip_range': '10.0.0.32/28', 'gateway': '10.0.0.254'}


@pytest.fixture
def play(run_role):
    """play(host_vars, check=False, **extra_vars): the macvlan_network role on host1 and host2."""
    return lambda host_vars, check=False, **extra: run_role('macvlan_network', host_vars, check=check, **extra)


def endpoints(host, network='macnet'):
    res = host.module('network_info')
    assert not res.get('failed'), res
    for net in res['networks']:
        if net['Name'] == network:
            return {ep['Name']: (ep['IPv4Address'], ep['MacAddress']) for ep in net['Containers'].values()}, net['Options']
    return None, None


def seed_vars(containers, **network):
    return {'macvlan_network_parent': 'ens33', 'macvlan_network_networks': [dict(MACNET, **network)],
            'macvlan_network_containers': [{'name': c, 'networks': ['macnet']} for c in containers]}


def test_one_plan_for_both_hosts_kept_across_runs_and_verified(two_hosts, play):
    h1, h2 = two_hosts
    # Docker's per-host IPAM gives c1 and c2 both 10.0.0.32; the role gives each its own address and MAC.
    rc, out, recap = play({'host1': seed_vars(['c1']), 'host2': seed_vars(['c2'])}, macvlan_network_verify=True, verbose=True)
    assert rc == 0, out
    # Each host: the container's namespace (labelled as the role's), then the network.
    assert recap['host1']['changed'] == 2 and recap['host2']['changed'] == 2, out
    assert endpoints(h1)[0] == {'c1': ('10.0.0.32/24', '02:42:0a:00:00:20')}
    assert endpoints(h2)[0] == {'c2': ('10.0.0.33/24', '02:42:0a:00:00:21')}
    # The verification's probes, each labelled in the probe task's result (one task per host, the probes side by side).
    assert 'c1 to c2 on host2 across the segment: probe from c1 to 10.0.0.33 (ping): reachable as expected' in out
    assert ('the host to c1 without a shim (a macvlan parent never talks to its children): probe from the host to 10.0.0.32 '
            '(ping): unreachable as expected') in out
    assert ping(h1, 'c1', '10.0.0.33') and not ping(h1, None, '10.0.0.32', timeout=1)

    # Again: nothing changes.
    rc, out, recap = play({'host1': seed_vars(['c1']), 'host2': seed_vars(['c2'])}, macvlan_network_verify=True)
    assert rc == 0 and recap['host1']['changed'] == 0 and recap['host2']['changed'] == 0, out

    # Check mode with a new container on host1 changes nothing, and says what it would do.
    before = h1.settled_snapshot(), h2.settled_snapshot()
    rc, out, recap = play({'host1': seed_vars(['c1', 'c3']), 'host2': seed_vars(['c2'])}, check=True, macvlan_network_verify=True)
    assert rc == 0 and recap['host1']['changed'] == 2 and recap['host2']['changed'] == 0, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before

    # c3 joins on host1 and host1 gets a shim: old addresses stay, the new ones come after both hosts' holdings.
    rc, out, recap = play({'host1': seed_vars(['c1', 'c3'], host_shim=True), 'host2': seed_vars(['c2'])},
                          macvlan_network_verify=True, verbose=True)
    assert rc == 0, out
    eps, options = endpoints(h1)
    assert eps == {'c1': ('10.0.0.32/24', '02:42:0a:00:00:20'), 'c3': ('10.0.0.34/24', '02:42:0a:00:00:22')}
    assert options['hostnet.containers.host_shim_ip'] == '10.0.0.35'
    assert endpoints(h2)[0] == {'c2': ('10.0.0.33/24', '02:42:0a:00:00:21')}
    assert 'the host to c3 through its shim 10.0.0.35: probe from the host to 10.0.0.34 (ping): reachable as expected' in out
    assert ping(h1, None, '10.0.0.34') and ping(h2, 'c2', '10.0.0.34')


def test_verification_fails_when_the_network_disagrees(two_hosts, play):
    h1, h2 = two_hosts
    both = {'host1': seed_vars(['c1']), 'host2': seed_vars(['c2'])}
    assert play(both)[0] == 0
    # Something the role does not manage drops c1's packets inside c2: the role's verification must notice.
    h2.netns_run('c2', 'nft add table ip t && nft add chain ip t in "{ type filter hook input priority 0; }" '
                       '&& nft add rule ip t in ip saddr 10.0.0.32 drop')
    rc, out, recap = play(both, macvlan_network_verify=True)
    assert rc != 0 and recap['host2']['failed'] == 1, out
    assert 'probe from c1 to 10.0.0.33 (ping): expected reachable, got unreachable' in out
    # Without verification the same run passes: the role itself has nothing to change.
    rc, out, recap = play(both)
    assert rc == 0 and recap['host1']['changed'] == 0 and recap['host2']['changed'] == 0, out


def test_a_bad_plan_fails_before_any_host_changes(two_hosts, play):
    h1, h2 = two_hosts
    before = h1.settled_snapshot(), h2.settled_snapshot()
    same = [{'name': 'c1', 'networks': [{'name': 'macnet', 'ip': '10.0.0.100'}]}]
    rc, out, _recap = play({'host1': dict(seed_vars([]), macvlan_network_containers=same),
                            'host2': dict(seed_vars([]), macvlan_network_containers=same)})
    assert rc != 0 and "is also requested by endpoint 'c1' on host 'host1'" in out, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before
    # Hosts that disagree on the segment.
    rc, out, _recap = play({'host1': seed_vars(['c1']), 'host2': seed_vars(['c2'], ip_range='10.0.0.64/28')})
    assert rc != 0 and 'hosts sharing a segment must agree on subnet, gateway, ip_range and aux_addresses' in out, out
    # A variable of the wrong shape is refused by the role's argument spec.
    rc, out, _recap = play({'host1': dict(seed_vars(['c1']), macvlan_network_verify='maybe'), 'host2': seed_vars(['c2'])})
    assert rc != 0 and 'macvlan_network_verify' in out, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before


def test_absent_removes_networks_and_containers(two_hosts, play):
    h1, h2 = two_hosts
    before = h1.settled_snapshot(), h2.settled_snapshot()
    both = {'host1': seed_vars(['c1', 'c3'], host_shim=True), 'host2': seed_vars(['c2'])}
    assert play(both)[0] == 0
    assert endpoints(h1)[0] is not None
    rc, out, recap = play(both, macvlan_network_state='absent')
    assert rc == 0 and recap['host1']['changed'] == 2 and recap['host2']['changed'] == 2, out
    assert (h1.settled_snapshot(like=before[0]), h2.settled_snapshot(like=before[1])) == before
    rc, out, recap = play(both, macvlan_network_state='absent')
    assert rc == 0 and recap['host1']['changed'] == 0 and recap['host2']['changed'] == 0, out


def test_internal_network_without_parent_stays_on_its_host(two_hosts, play):
    h1, h2 = two_hosts
    internal = {'macvlan_network_networks': [dict(MACNET, name='inner')],
                'macvlan_network_containers': [{'name': 'a', 'networks': ['inner']}, {'name': 'b', 'networks': ['inner']}]}
    rc, out, _recap = play({'host1': internal, 'host2': dict(internal, macvlan_network_containers=[
        {'name': 'x', 'networks': ['inner']}])}, macvlan_network_verify=True, verbose=True)
    assert rc == 0, out
    # One plan still: no address is used twice even though the segments never meet.
    assert endpoints(h1, 'inner')[0] == {'a': ('10.0.0.32/24', '02:42:0a:00:00:20'), 'b': ('10.0.0.33/24', '02:42:0a:00:00:21')}
    assert endpoints(h2, 'inner')[0] == {'x': ('10.0.0.34/24', '02:42:0a:00:00:22')}
    assert 'a to b on the same host (mode bridge): probe from a to 10.0.0.33 (ping): reachable as expected' in out
    assert 'across the segment' not in out
    assert not ping(h1, 'a', '10.0.0.34', timeout=1)


def test_unlisted_containers_are_removed_and_the_opt_out_keeps_them(two_hosts, play):
    h1, h2 = two_hosts
    assert play({'host1': seed_vars(['c1', 'c3']), 'host2': seed_vars(['c2'])})[0] == 0
    c3_ip = endpoints(h1)[0]['c3'][0].split('/')[0]
    assert ping(h2, 'c2', c3_ip)
    # Dropping c2 with the opt-out keeps it; dropping c3 removes its namespace and frees its address.
    rc, out, dummy = play({'host1': seed_vars(['c1']), 'host2': seed_vars([])}, macvlan_network_remove_unlisted=False)
    assert rc == 0, out
    assert 'c2' in h2.run('ls /run/netns').stdout.split() and 'c3' in h1.run('ls /run/netns').stdout.split()
    rc, out, dummy = play({'host1': seed_vars(['c1']), 'host2': seed_vars(['c2'])})
    assert rc == 0, out
    assert 'c3' not in h1.run('ls /run/netns').stdout.split() and set(endpoints(h1)[0]) == {'c1'}
    assert not ping(h2, 'c2', c3_ip) and ping(h2, 'c2', endpoints(h1)[0]['c1'][0].split('/')[0])
