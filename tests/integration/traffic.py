# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real packets for the integration tests: tiny TCP/UDP servers and clients run inside emulated hosts.

A server answers every connection with "<tag> <peer address>", so a test sees both that it got
through and which source address the server saw (masquerade).  Servers run inside the emulated
host's PID namespace and die with it.
"""

from __future__ import annotations

from conftest import wait_until

SERVER = r'''
import socket, sys
proto, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
family, wildcard = (socket.AF_INET6, '::') if sys.argv[4:] == ['6'] else (socket.AF_INET, '0.0.0.0')
if proto == 'udp':
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((wildcard, port))
    while True:
        data, peer = s.recvfrom(512)
        s.sendto(('%s %s\n' % (tag, peer[0])).encode(), peer)
s = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_SCTP if proto == 'sctp' else 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if family == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s.bind((wildcard, port))
s.listen(64)
while True:
    c, peer = s.accept()
    c.sendall(('%s %s\n' % (tag, peer[0])).encode())
    c.close()
'''

CLIENT = r'''
import socket, sys
proto, host, port, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
family = socket.AF_INET6 if ':' in host else socket.AF_INET
try:
    if proto == 'udp':
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        s.sendto(b'hello', (host, port))
        print(s.recvfrom(512)[0].decode().strip())
    else:
        s = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_SCTP if proto == 'sctp' else 0)
        s.settimeout(timeout)
        s.connect((host, port))
        print(s.recv(512).decode().strip())
except OSError as exc:
    print('ERROR %s' % exc)
    sys.exit(1)
'''


def _in(netns, argv):
    return ['ip', 'netns', 'exec', netns] + argv if netns else argv


def serve(host, netns, port, tag=None, proto='tcp', family=4):
    """Start a server in netns (None: the host) on port (``family`` 6: on every IPv6 address, IPv6 only); wait until
    it answers from inside netns; return its PID.

    A UDP server is waited for too: a datagram sent before it has bound its port is refused (ICMP port
    unreachable), and the test would blame the network for a server that was still starting."""
    tag = tag or netns or host.name
    argv = _in(netns, ['python3', '-c', SERVER, proto, str(port), tag, str(family)])
    res = host.run(['sh', '-c', '"$@" >/dev/null 2>&1 & echo $!', 'serve'] + argv)
    pid = int(res.stdout.split()[-1])
    wait_until(lambda: connect(host, netns, '::1' if family == 6 else '127.0.0.1', port, proto=proto, timeout=0.5),
               'the %s server on port %d in %s to answer' % (proto, port, netns or host.name), pause=0.1)
    return pid


def connect(host, netns, ip, port, proto='tcp', timeout=2.0):
    """Connect from netns (None: the host) to ip:port; the server's answer ('<tag> <peer>'), or None."""
    res = host.run(_in(netns, ['python3', '-c', CLIENT, proto, ip, str(port), str(timeout)]), check=False,
                   timeout=timeout + 30)
    if res.returncode != 0:
        return None
    return res.stdout.strip()


def ping(host, netns, ip, timeout=1):
    """True when one ping from netns (None: the host) to ip (IPv4 or IPv6) is answered."""
    argv = _in(netns, ['ping', '-c1', '-W%d' % timeout, ip])
    return host.run(argv, check=False).returncode == 0


def reaches(host, netns, ip, timeout=30):
    """True once a ping from netns (None: the host) to ip is answered, retried for ``timeout`` seconds at most (else
    wait_until fails naming it).  For the first packets on a path just made: they wait on neighbour resolution, on
    every hop, which a loaded machine may not finish within one ping's second."""
    return bool(wait_until(lambda: ping(host, netns, ip), '%s to reach %s' % (netns or 'the host', ip), timeout=timeout))
