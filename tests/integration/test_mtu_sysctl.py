# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MTU and sysctls that stick (issue 27, item 8), inside emulated hosts: a new network takes the MTU of the host's
default-route interface, and keeps it; the sysctls the networks need are in /etc/sysctl.d/90-hostnet.conf, so
`sysctl --system` leaves every container working, and the file goes with the last network.

`sysctl --system` runs only inside an emulated host (its own network namespace, and a private /etc overlay where the
file is written), in a mount namespace of its own where the machine's distribution files (/usr/lib/sysctl.d,
/etc/sysctl.conf) are hidden: they hold kernel.* and fs.* keys, which are global, and applying them from any namespace
would write the machine's.  What it applies is checked first (a dry run: net.* keys only)."""

from __future__ import annotations

import re

import pytest

import traffic

pytestmark = pytest.mark.once  # the route and link reads are the collection's own codec; the requests are docker_bridge's


def ok(res):
    assert not res.get('failed'), res
    return res


def mtu_of(host, ifname, netns=None):
    argv = 'ip -o link show %s' % ifname
    out = host.netns_run(netns, argv).stdout if netns else host.run(argv.split()).stdout
    return int(re.search(r' mtu (\d+) ', out).group(1))


def test_a_new_network_takes_the_uplink_mtu_and_keeps_it(host):
    # The emulated host's uplink (ens33) at 1450 with the default route through it, as on a VPN or a cloud NIC.
    host.run(['ip', 'link', 'set', 'ens33', 'mtu', '1450'])
    host.run(['ip', 'route', 'add', 'default', 'via', '10.138.3.1', 'dev', 'ens33'])
    check = ok(host.module('docker_bridge', check_mode=True, name='net1', endpoints=[{'name': 'c1'}]))
    assert check['changed'] and check['after']['mtu'] == 1450
    res = ok(host.module('docker_bridge', name='net1', endpoints=[{'name': 'c1'}]))
    assert res['after']['mtu'] == 1450 and res['network']['Options']['com.docker.network.driver.mtu'] == '1450'
    bridge = res['after']['bridge']
    veth = res['after']['endpoints']['c1']['veth']
    assert (mtu_of(host, bridge), mtu_of(host, veth), mtu_of(host, 'eth0', 'c1')) == (1450, 1450, 1450)
    # Packets: the container sends a full 1450-byte frame to its gateway unfragmented (DF set), and one byte more is
    # refused by its own interface.
    gateway = res['after']['gateway']
    assert host.netns_run('c1', 'ping -c1 -W2 -M do -s 1422 %s' % gateway).returncode == 0
    assert host.netns_run('c1', 'ping -c1 -W2 -M do -s 1423 %s' % gateway, check=False).returncode != 0
    # The uplink changing later moves nothing: the network keeps the MTU it was made with.
    host.run(['ip', 'link', 'set', 'ens33', 'mtu', '1500'])
    again = ok(host.module('docker_bridge', name='net1', endpoints=[{'name': 'c1'}]))
    assert not again['changed'] and again['after']['mtu'] == 1450, again
    assert mtu_of(host, bridge) == 1450
    # An mtu given wins, and changes the links.
    given = ok(host.module('docker_bridge', name='net1', mtu=1400, endpoints=[{'name': 'c1'}]))
    assert given['changed'] and given['after']['mtu'] == 1400 and mtu_of(host, 'eth0', 'c1') == 1400


def test_without_a_default_route_a_new_network_gets_1500(host):
    host.run(['ip', 'link', 'set', 'ens33', 'mtu', '1450'])  # no default route: the uplink is not the default route's
    res = ok(host.module('docker_bridge', name='net2', endpoints=[{'name': 'c2'}]))
    assert res['after']['mtu'] == 1500 and mtu_of(host, 'eth0', 'c2') == 1500


SYSCTL_FILE = '/etc/sysctl.d/90-hostnet.conf'
# What a distribution's or an admin's file could say, applied by every `sysctl --system` (applied before ours: 10 < 90).
DISTRO = 'net.ipv4.ip_forward = 0\nnet.ipv4.conf.all.route_localnet = 0\nnet.ipv4.conf.default.route_localnet = 0\n'
# The distribution's own files hidden (global keys), in a mount namespace of the emulated host's that dies with the command.
SYSTEM = ('mount -t tmpfs tmpfs /usr/lib/sysctl.d && mount -t tmpfs tmpfs /lib/sysctl.d 2>/dev/null; '
          'mount --bind /dev/null /etc/sysctl.conf && sysctl --system %s')


def sysctl_system(host):
    """`sysctl --system` in the emulated host, after checking that all it would write is net.* keys of its namespace."""
    dry = host.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', SYSTEM % '--dry-run']).stdout
    keys = [line.split('=')[0].strip() for line in dry.splitlines() if '=' in line and not line.startswith('*')]
    assert keys and all(key.startswith('net.') for key in keys), dry
    return host.run(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', SYSTEM % '']).stdout


def knob(host, key):
    return host.run(['cat', '/proc/sys/' + key]).stdout.strip()


def test_sysctl_system_leaves_every_container_working(two_hosts):
    h1, h2 = two_hosts
    forward = knob(h1, 'net/ipv4/ip_forward')
    before = h1.settled_snapshot()
    h1.run(['sh', '-c', 'cat > /etc/sysctl.d/10-distro.conf'], input=DISTRO)
    res = ok(h1.module('docker_bridge', name='web_net', subnet='10.40.0.0/24', endpoints=[{'name': 'web', 'publish': ['8080:80']}]))
    bridge = res['after']['bridge']
    assert any(c.startswith('write %s' % SYSCTL_FILE) for c in res['commands']), res['commands']
    text = h1.run(['cat', SYSCTL_FILE]).stdout
    assert 'net.ipv4.ip_forward = 1' in text.splitlines() and '-net.ipv4.conf.%s.route_localnet = 1' % bridge in text.splitlines()
    assert not ok(h1.module('docker_bridge', name='web_net', subnet='10.40.0.0/24',
                            endpoints=[{'name': 'web', 'publish': ['8080:80']}]))['changed']
    pid = traffic.serve(h1, 'web', 80)
    try:
        def working():
            # Out (forwarding, masquerade), in from the LAN (DNAT), and from the host on 127.0.0.1 (route_localnet).
            assert traffic.ping(h1, 'web', h2.address), 'web cannot reach the LAN'
            assert traffic.connect(h2, None, h1.address, 8080), 'the published port does not answer the LAN'
            assert traffic.connect(h1, None, '127.0.0.1', 8080), 'the published port does not answer the host on 127.0.0.1'
        working()
        # Without the collection's file, the distribution's settings undo the networks' (what this proves is needed) ...
        h1.run(['mv', SYSCTL_FILE, '/root/90-hostnet.conf.aside'])
        sysctl_system(h1)
        assert knob(h1, 'net/ipv4/ip_forward') == '0' and not traffic.ping(h1, 'web', h2.address)
        # ... with it, `sysctl --system` leaves them as the networks need them.
        h1.run(['mv', '/root/90-hostnet.conf.aside', SYSCTL_FILE])
        applied = sysctl_system(h1)
        assert 'Applying %s' % SYSCTL_FILE in applied, applied
        assert knob(h1, 'net/ipv4/ip_forward') == '1' and knob(h1, 'net/ipv4/conf/%s/route_localnet' % bridge) == '1'
        working()
    finally:
        h1.run(['kill', str(pid)], check=False)
    # A file deleted behind the collection's back is written again by a rerun.
    h1.run(['rm', SYSCTL_FILE])
    again = ok(h1.module('docker_bridge', name='web_net', subnet='10.40.0.0/24', endpoints=[{'name': 'web', 'publish': ['8080:80']}]))
    assert again['changed'] and h1.run(['cat', SYSCTL_FILE]).stdout == text
    # The last network gone, the file goes, and the host is where it was (ip_forward back to its value from before).
    ok(h1.module('docker_bridge', name='web_net', state='absent', force=True))
    ok(h1.module('netns', name='web', state='absent'))
    assert h1.run(['test', '-e', SYSCTL_FILE], check=False).returncode != 0
    h1.run(['rm', '/etc/sysctl.d/10-distro.conf'])
    assert knob(h1, 'net/ipv4/ip_forward') == forward
    assert h1.settled_snapshot(like=before) == before
