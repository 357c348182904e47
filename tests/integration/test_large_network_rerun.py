# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A rerun of a network of 70 containers: from 64 recorded endpoints on, a second process reads their namespaces while
the run reads the host (_snapshot.EarlyViews), and the iptables rule set of an unchanged network is not computed again
when the kernel lists what the last apply wrote (the settled record).  Drift in namespaces read either way, and a rule
deleted by hand, are still found by check mode and repaired by the next run."""

from __future__ import annotations

import pytest

import reliability as R
from conftest import wait_until
from traffic import connect, ping, serve

COUNT = 70
BIG = dict(name='big', bridge_name='br-big', subnet='172.30.0.0/16', firewall_backend='iptables',
           endpoints=[dict(name='c%d' % i, **({'publish': ['8090:80']} if i == 1 else {})) for i in range(COUNT)])
GATEWAY = '172.30.0.1'


def ip_of(i):
    return '172.30.0.%d' % (i + 2)


# (what, the drift made by hand, text check mode shows)
DRIFTS = [
    ('address deleted', 'ip -n c3 addr flush dev eth0', 'add 172.30.0.5/16 to eth0 in c3'),
    ('default route deleted', 'ip -n c30 route del default', 'set default route via 172.30.0.1 dev eth0 in c30'),
    ('lo down', 'ip -n c50 link set lo down', 'set lo up in c50'),
    ('container end down', 'ip -n c60 link set eth0 down', 'set eth0 in c60 up'),
    ('host end detached', 'ip link set {veth} nomaster', 'attach {veth} to br-big'),
    ('container end renamed', 'ip -n c68 link set eth0 down && ip -n c68 link set eth0 name eth7', 'connect c68 to big'),
    ('published port rule deleted', "iptables -t nat -D HOSTNET-DNAT $(iptables -t nat -S HOSTNET-DNAT | grep 8090 | cut -d' ' -f3-)",
     '--dport 8090 -j DNAT'),
]


@pytest.fixture(scope='module')
def big(tmp_path_factory, collection_path):
    tmp = tmp_path_factory.mktemp('big')
    with R.fresh_host(str(tmp / 'lab'), collection_path, str(tmp)) as host:
        R.ok(host.module('docker_bridge', **BIG))
        host.veth = R.state_docs(host)['/var/lib/hostnet/networks/big.json']['endpoints']['c65']['veth']
        yield host


def test_a_rerun_changes_nothing(big):
    res = R.ok(big.module('docker_bridge', **BIG))
    assert not res['changed'], res['commands']
    assert ping(big, 'c0', ip_of(COUNT - 1)) and ping(big, 'c69', GATEWAY)


def test_drift_in_many_namespaces_and_the_rule_set_is_found_and_repaired(big):
    want = R.settled(big)
    for dummy, command, dummy2 in DRIFTS:
        big.run(command.format(veth=big.veth))
    drifted = R.settled(big)
    assert drifted != want
    check = R.ok(big.module('docker_bridge', check_mode=True, diff=True, **BIG))
    assert check['changed']
    diff = check['diff']
    text = '\n'.join(check['commands']) + repr(diff.get('before')) + repr(diff.get('after'))  # the rules: in the diff
    for what, dummy, shows in DRIFTS:
        assert shows.format(veth=big.veth) in text, (what, check['commands'])
    assert R.settled(big, like=drifted) == drifted, 'check mode changed nothing'
    fixed = R.ok(big.module('docker_bridge', **BIG))
    assert fixed['changed'] and fixed['commands'] == check['commands']
    got = R.settled(big, like=want)
    if got != want:
        pytest.fail('the repaired host differs from the one before the drift:\n%s' % R.explain(want, got))
    for i in (3, 30, 50, 60, 65, 68):  # a repaired link resolves its neighbours again: awaited
        wait_until(lambda i=i: ping(big, 'c%d' % i, GATEWAY), 'c%d to reach its gateway' % i)
    serve(big, 'c1', 80)
    wait_until(lambda: connect(big, None, '10.138.3.130', 8090), 'the published port to be forwarded again')
    assert not R.ok(big.module('docker_bridge', **BIG))['changed']
