# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Published ports on [::1] from the host (issue 23), both firewall backends: a port published on [::] (the twin of
-p 8080:80, with userland_proxy) and one published on [::1] answer the host's connections to [::1] through the userland proxy
(systemd-socket-proxyd), the [::1] one only from the host; the proxy's process and files go with the publish and the
network; a rerun changes nothing; a simulated reboot's restore starts it again; UDP on [::1] is refused; gc stops a
proxy whose network document is gone.

host1 (fd00:138::130) runs the containers; host2 (fd00:138::131) is the IPv6 LAN neighbour.
"""

from __future__ import annotations


import pytest

from conftest import run_restore, wait_until
from test_ipv6_firewall import HOST1, HOST2, add_ipv6, ok
from traffic import connect, serve

pytestmark = pytest.mark.once  # see conftest.py: the [::1] proxies and rules; the requests are test_ipv6_bridge's

WEB, GATEWAY6 = 'fd00:60::2', 'fd00:60::1'


def params(backend='nftables', publish=('8080:80', '[::1]:9090:81'), **extra):
    return dict(dict(name='v6lo', subnet='10.60.0.0/24', enable_ipv6=True, subnet_v6='fd00:60::/64', firewall_backend=backend,
                     dns=False, userland_proxy=True, endpoints=[{'name': 'web', 'ipv6_address': WEB, 'publish': list(publish)}]),
                **extra)


def proxy_pid(host, port, network='v6lo'):
    """The pid in the proxy's pid file, or None when the file is gone."""
    res = host.run(['cat', '/run/hostnet/proxy/%s-%d/pid' % (network, port)], check=False)
    return int(res.stdout) if res.returncode == 0 else None


def alive(host, pid):
    return host.run(['kill', '-0', str(pid)], check=False).returncode == 0


def gone(host, port, pid):
    """The proxy's process ended and its folder removed."""
    return not alive(host, pid) and host.run(['test', '-e', '/run/hostnet/proxy/v6lo-%d' % port], check=False).returncode != 0


@pytest.mark.parametrize('backend', ['iptables', 'nftables'])
def test_ipv6_loopback_reaches_published_ports(two_hosts, backend):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    # Without userland_proxy the [::] publish is the kernel's alone (Docker's userland-proxy false): no process, and
    # no answer on [::1]; the port published on [::1] itself gets its proxy anyway.
    res = ok(h1.module('docker_bridge', **params(backend, userland_proxy=False)))
    assert [(e['host_ip'], e['host_port']) for e in res['after']['endpoints']['web']['publish']] == [
        ('0.0.0.0', 8080), ('::', 8080), ('::1', 9090)]
    assert [c for c in res['commands'] if c.startswith('start [::1]')] == ['start [::1] proxy v6lo-9090 (supervised)']
    serve(h1, 'web', 80, family=6)
    serve(h1, 'web', 81, tag='web81', family=6)
    assert proxy_pid(h1, 8080) is None
    assert connect(h1, None, '::1', 8080, timeout=1) is None
    assert connect(h1, None, '::1', 9090) == 'web81 %s' % GATEWAY6
    # userland_proxy on: the [::] publish gets its proxy too.
    res = ok(h1.module('docker_bridge', **params(backend)))
    assert [c for c in res['commands'] if c.startswith('start [::1]')] == ['start [::1] proxy v6lo-8080 (supervised)']
    # The host reaches both over [::1]: the proxy connects from the bridge's IPv6 address.
    assert connect(h1, None, '::1', 8080) == 'web %s' % GATEWAY6
    assert connect(h1, None, '::1', 9090) == 'web81 %s' % GATEWAY6
    # The LAN host reaches the [::] publish (the kernel's DNAT, its own address kept), not the [::1] one.
    assert connect(h2, None, HOST1, 8080) == 'web %s' % HOST2
    assert connect(h2, None, HOST1, 9090, timeout=1) is None
    pids = {port: proxy_pid(h1, port) for port in (8080, 9090)}
    assert all(alive(h1, pid) for pid in pids.values())
    # A rerun and its check mode change nothing: the proxies' own [::1] sockets are no foreign listeners.
    assert not ok(h1.module('docker_bridge', check_mode=True, **params(backend)))['changed']
    assert not ok(h1.module('docker_bridge', **params(backend)))['changed']
    assert {port: proxy_pid(h1, port) for port in pids} == pids
    # UDP on [::1] is refused, naming the option and the value, and nothing changes.
    bad = h1.module('docker_bridge', **params(backend, publish=('8080:80', '[::1]:9091:81/udp')))
    assert bad.get('failed') and "endpoints[0].publish '[::1]:9091:81/udp'" in bad['msg'] and 'TCP only' in bad['msg'], bad['msg']
    assert {port: proxy_pid(h1, port) for port in pids} == pids
    # The [::1] publish dropped: its proxy ends, its files go; the other one still answers.
    assert ok(h1.module('docker_bridge', **params(backend, publish=('8080:80',))))['changed']
    wait_until(lambda: gone(h1, 9090, pids[9090]), 'the proxy of [::1]:9090 to end')
    assert connect(h1, None, '::1', 9090, timeout=1) is None
    assert connect(h1, None, '::1', 8080) == 'web %s' % GATEWAY6
    # The network removed: the last proxy too.
    ok(h1.module('docker_bridge', name='v6lo', state='absent', force=True))
    wait_until(lambda: gone(h1, 8080, pids[8080]), 'the proxy of [::1]:8080 to end')
    assert h1.run(['sh', '-c', 'ls /run/hostnet/proxy 2>/dev/null || true']).stdout.strip() == ''


def test_ipv6_loopback_proxy_comes_back_after_a_reboot(two_hosts):
    h1, h2 = two_hosts
    add_ipv6(h1, h2)
    ok(h1.module('docker_bridge', **params(publish=('[::1]:9090:80',))))
    # A simulated reboot: the emulated hosts come back with their /etc and /var/lib/hostnet only (/run is empty).
    h1.lab.down(keep_state=True)
    h1.lab.up({'host1': {'address': '10.138.3.130/24'}, 'host2': {'address': '10.138.3.131/24'}})
    add_ipv6(h1, h2)
    assert proxy_pid(h1, 9090) is None
    run_restore(h1)
    pid = proxy_pid(h1, 9090)
    assert pid is not None and alive(h1, pid)
    serve(h1, 'web', 80, family=6)
    assert connect(h1, None, '::1', 9090, timeout=15) == 'web %s' % GATEWAY6
    assert not ok(h1.module('docker_bridge', **params(publish=('[::1]:9090:80',))))['changed']
    assert proxy_pid(h1, 9090) == pid


def test_gc_stops_a_proxy_whose_network_document_is_gone(host):
    # IPv6 on the lab port is not needed: the proxy listens on [::1] only.
    ok(host.module('docker_bridge', **params(publish=('[::1]:9090:80',))))
    pid = proxy_pid(host, 9090)
    assert pid is not None and alive(host, pid)
    # As a run killed between removing the document and stopping the proxy would leave it (inside the emulated host).
    host.run(['rm', '/var/lib/hostnet/networks/v6lo.json'])
    res = ok(host.module('gc'))
    assert ('proxy', 'v6lo-9090', 'remove') in [(i['kind'], i['name'], i['action']) for i in res['leaks']], res['leaks']
    wait_until(lambda: gone(host, 9090, pid), 'the leaked proxy of [::1]:9090 to end')
    assert not [i for i in ok(host.module('gc'))['leaks'] if i['kind'] == 'proxy']
