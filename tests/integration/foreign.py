# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Objects the collection did not create, made inside an emulated host with pyroute2 (never on the machine itself):
a running Docker's docker0 with a container on it, a user's bridge, a link squatting a name (a veth pair: the lab's kernel may have no dummy driver)."""

from __future__ import annotations

import json
import sys

# Run by the emulated host's Python: pyroute2 as the test's interpreter has it (0.7 or the newest).
_SCRIPT = r'''
import json, sys
from pyroute2 import IPRoute, NetNS, netns
args = json.loads(sys.argv[1])
with IPRoute() as ip:
    if args['what'] == 'bridge':
        ip.link('add', ifname=args['name'], kind='bridge')
        index = ip.link_lookup(ifname=args['name'])[0]
        ip.addr('add', index=index, address=args['address'], prefixlen=args['prefixlen'])
        ip.link('set', index=index, state='up')
    elif args['what'] == 'container':
        # A container namespace on the bridge, as dockerd makes one: veth, peer eth0 inside, address, default route.
        netns.create(args['netns'])
        ip.link('add', ifname=args['veth'], kind='veth', peer='fgnpeer0')
        host_end = ip.link_lookup(ifname=args['veth'])[0]
        ip.link('set', index=host_end, master=ip.link_lookup(ifname=args['bridge'])[0], state='up')
        ip.link('set', index=ip.link_lookup(ifname='fgnpeer0')[0], net_ns_fd=args['netns'])
        ns = NetNS(args['netns'])
        try:
            peer = ns.link_lookup(ifname='fgnpeer0')[0]
            ns.link('set', index=peer, ifname='eth0')
            ns.link('set', index=peer, state='up')
            ns.link('set', index=1, state='up')
            ns.addr('add', index=peer, address=args['address'], prefixlen=args['prefixlen'])
            ns.route('add', dst='0.0.0.0/0', gateway=args['gateway'])
        finally:
            ns.close()
    elif args['what'] == 'veth':
        # The lab's kernel may have no dummy driver: a user's veth pair holds the name (its peer NAME + 'p').
        ns = NetNS(args['netns']) if args.get('netns') else ip
        try:
            ns.link('add', ifname=args['name'], kind='veth', peer=args['name'] + 'p')
        finally:
            if ns is not ip:
                ns.close()
    elif args['what'] == 'netns':
        netns.create(args['netns'])
'''


def make(host, **args):
    host.run([sys.executable, '-c', _SCRIPT, json.dumps(args)])


def docker(host):
    """A running Docker's docker0 (172.17.0.1/16) with container dockc (172.17.0.2) on it; the collection has no record."""
    make(host, what='bridge', name='docker0', address='172.17.0.1', prefixlen=16)
    make(host, what='container', netns='dockc', veth='vethdock0', bridge='docker0', address='172.17.0.2', prefixlen=16,
         gateway='172.17.0.1')


def link_state(host, ifname):
    """(ifindex, IPv4 addresses, master) of a link of the host, to prove it untouched."""
    out = json.loads(host.run(['ip', '-j', '-4', 'addr', 'show', 'dev', ifname]).stdout)[0]
    return out['ifindex'], sorted('%s/%s' % (a['local'], a['prefixlen']) for a in out.get('addr_info', [])), out.get('master')
