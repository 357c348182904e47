# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The backend-neutral firewall rule model: the rules and kernel knobs that the networks and port publishes on a host
call for.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel

USER_CHAIN = 'USER'
TABLES = ('raw', 'nat', 'filter')


# Logical chain -> table, and where the built-in chain jumps in (None: reached only by jumps).
CHAINS = {
    ('filter', 'FORWARD'): 'FORWARD',
    ('filter', USER_CHAIN): None,
    ('filter', 'ISOLATION-1'): None,
    ('filter', 'ISOLATION-2'): None,
    ('filter', 'PUBLISH'): None,
    ('nat', 'PREROUTING'): 'PREROUTING',
    ('nat', 'OUTPUT'): 'OUTPUT',
    ('nat', 'POSTROUTING'): 'POSTROUTING',
    ('nat', 'DNAT'): None,
    ('raw', 'PREROUTING'): 'PREROUTING',
}


# nftables: one table; chain names are unique across what iptables keeps in three tables.
NFT_TABLE = 'hostnet'
NFT_CHAINS = {
    ('filter', 'FORWARD'): ('forward', 'type filter hook forward priority filter; policy accept;'),
    ('filter', USER_CHAIN): ('user', None),
    ('filter', 'ISOLATION-1'): ('isolation_1', None),
    ('filter', 'ISOLATION-2'): ('isolation_2', None),
    ('filter', 'PUBLISH'): ('publish', None),
    ('nat', 'PREROUTING'): ('prerouting', 'type nat hook prerouting priority dstnat; policy accept;'),
    ('nat', 'OUTPUT'): ('output', 'type nat hook output priority -100; policy accept;'),
    ('nat', 'POSTROUTING'): ('postrouting', 'type nat hook postrouting priority srcnat; policy accept;'),
    ('nat', 'DNAT'): ('port_dnat', None),
    ('raw', 'PREROUTING'): ('raw_prerouting', 'type filter hook prerouting priority raw; policy accept;'),
}


IP_FORWARD = 'net/ipv4/ip_forward'
ACCEPT_REDIRECTS = 'net/ipv4/conf/all/accept_redirects'
BRIDGE_NF = 'net/bridge/bridge-nf-call-iptables'


class FirewallError(_kernel.HostnetError):
    """A firewall problem explained for users."""


class Rule:
    """One rule, backend-neutral.  Rendered to iptables-save's canonical form or to nft syntax."""

    __slots__ = ('table', 'chain', 'match', 'target', 'arg', '_iptables')

    def __init__(self, table, chain, target, arg=None, **match):
        self.table = table
        self.chain = chain
        self.target = target
        self.arg = arg
        self.match = match
        self._iptables = None

    def iptables(self):
        # Rendered once: a rule set of thousands of publishes is deduplicated, compared and written from it.
        if self._iptables is None:
            self._iptables = self._render_iptables()
        return self._iptables

    def _render_iptables(self):
        m = self.match
        out = ['-A', ipt_chain(self.chain)]
        for key, flag in (('src', '-s'), ('dst', '-d'), ('iif', '-i'), ('oif', '-o')):
            value = m.get(key)
            if value is None:
                continue
            neg = value.startswith('!')
            value = value.lstrip('!')
            if key in ('src', 'dst') and '/' not in value:
                value += '/32'
            out += (['!'] if neg else []) + [flag, value]
        if m.get('proto'):
            out += ['-p', m['proto']]
            if m.get('dport'):
                out += ['-m', m['proto'], '--dport', str(m['dport'])]
        if m.get('ctstate'):
            out += ['-m', 'conntrack', '--ctstate', m['ctstate']]
        if m.get('dst_type'):
            out += ['-m', 'addrtype', '--dst-type', m['dst_type']]
        if self.target == 'JUMP':
            out += ['-j', ipt_chain(self.arg)]
        elif self.target == 'DNAT':
            out += ['-j', 'DNAT', '--to-destination', self.arg]
        elif self.target == 'SNAT':
            out += ['-j', 'SNAT', '--to-source', self.arg]
        else:
            out += ['-j', self.target]
        return ' '.join(out)

    def nft(self):
        m = self.match
        out = []
        for key, word in (('src', 'ip saddr'), ('dst', 'ip daddr'), ('iif', 'iifname'), ('oif', 'oifname')):
            value = m.get(key)
            if value is None:
                continue
            neg = value.startswith('!')
            value = value.lstrip('!')
            if key in ('iif', 'oif'):
                value = '"%s"' % value
            out.append('%s %s%s' % (word, '!= ' if neg else '', value))
        if m.get('proto'):
            if m.get('dport'):
                out.append('%s dport %s' % (m['proto'], m['dport']))
            else:
                out.append('meta l4proto %s' % m['proto'])
        if m.get('ctstate') == 'DNAT':
            out.append('ct status dnat')
        elif m.get('ctstate'):
            out.append('ct state %s' % m['ctstate'].lower())
        if m.get('dst_type'):
            out.append('fib daddr type %s' % m['dst_type'].lower())
        target = {'ACCEPT': 'accept', 'DROP': 'drop', 'RETURN': 'return', 'MASQUERADE': 'masquerade'}.get(self.target)
        if self.target == 'JUMP':
            target = 'jump %s' % NFT_CHAINS[(self.table, self.arg)][0]
        elif self.target == 'DNAT':
            target = 'dnat to %s' % self.arg
        elif self.target == 'SNAT':
            target = 'snat to %s' % self.arg
        out.append(target)
        return ' '.join(out)


def ipt_chain(logical):
    return 'HOSTNET-' + logical


# -- the desired rule set ----------------------------------------------------------------------
def bridge_networks(networks, backend):
    """The managed bridge networks whose firewall this backend handles, in a stable order."""
    return [doc for name, doc in sorted(networks.items())
            if doc and doc.get('driver', 'bridge') == 'bridge' and doc.get('firewall', True)
            and doc.get('firewall_backend') == backend]


def publishes(doc):
    """(container, container ip, entry) for every published port of a network, stable order."""
    for cname, ep in sorted((doc.get('endpoints') or {}).items()):
        for entry in ep.get('publish') or []:
            yield cname, ep['ip'], entry


def is_loopback(ip):
    return bool(ip) and ip.startswith('127.')


def desired_rules(networks, nat_rules, backend):
    """Every rule of one backend, in order (lists of Rule)."""
    nets = bridge_networks(networks, backend)
    nats = [doc for name, doc in sorted(nat_rules.items()) if doc.get('firewall_backend') == backend]
    rules = []
    if not nets and not nats:
        return rules
    add = rules.append
    # filter: the user's hook first, then isolation, then per bridge what Docker installs.
    add(Rule('filter', 'FORWARD', 'JUMP', USER_CHAIN))
    add(Rule('filter', 'FORWARD', 'JUMP', 'ISOLATION-1'))
    for doc in nets:
        br = doc['bridge']
        add(Rule('filter', 'FORWARD', 'ACCEPT', oif=br, ctstate='RELATED,ESTABLISHED'))
        add(Rule('filter', 'FORWARD', 'JUMP', 'PUBLISH', oif=br))
        if not doc.get('internal'):
            add(Rule('filter', 'FORWARD', 'ACCEPT', iif=br, oif='!' + br))
        add(Rule('filter', 'FORWARD', 'ACCEPT' if doc.get('icc', True) else 'DROP', iif=br, oif=br))
    for nat in nats:
        if nat['kind'] == 'dnat' and nat.get('bridge'):
            add(Rule('filter', 'FORWARD', 'ACCEPT', dst=nat['container_ip'], iif='!' + nat['bridge'], oif=nat['bridge'],
                     proto=nat['proto'], dport=nat['container_port']))
    for doc in nets:
        br = doc['bridge']
        if doc.get('internal'):
            add(Rule('filter', 'ISOLATION-1', 'DROP', src='!' + doc['subnet'], oif=br))
            add(Rule('filter', 'ISOLATION-1', 'DROP', dst='!' + doc['subnet'], iif=br))
        else:
            add(Rule('filter', 'ISOLATION-1', 'JUMP', 'ISOLATION-2', iif=br, oif='!' + br))
    add(Rule('filter', 'ISOLATION-1', 'RETURN'))
    for doc in nets:
        add(Rule('filter', 'ISOLATION-2', 'DROP', oif=doc['bridge']))
    add(Rule('filter', 'ISOLATION-2', 'RETURN'))
    for doc in nets:
        br = doc['bridge']
        for dummy, cip, entry in publishes(doc):
            add(Rule('filter', 'PUBLISH', 'ACCEPT', dst=cip, iif='!' + br, oif=br, proto=entry['proto'],
                     dport=entry['container_port']))
    # nat: DNAT for local destinations, masquerade of each subnet leaving by another interface.
    add(Rule('nat', 'PREROUTING', 'JUMP', 'DNAT', dst_type='LOCAL'))
    for doc in nets:
        for dummy, cip, entry in publishes(doc):
            if is_loopback(entry['host_ip']):
                add(Rule('nat', 'OUTPUT', 'DNAT', '%s:%d' % (cip, entry['container_port']), dst=entry['host_ip'],
                         proto=entry['proto'], dport=entry['host_port']))
    for nat in nats:
        if nat['kind'] == 'dnat' and is_loopback(nat.get('host_ip')):
            add(Rule('nat', 'OUTPUT', 'DNAT', '%s:%d' % (nat['container_ip'], nat['container_port']), dst=nat['host_ip'],
                     proto=nat['proto'], dport=nat['host_port']))
    add(Rule('nat', 'OUTPUT', 'JUMP', 'DNAT', dst='!127.0.0.0/8', dst_type='LOCAL'))
    for doc in nets:
        br = doc['bridge']
        if doc.get('ip_masquerade', True) and not doc.get('internal'):
            add(Rule('nat', 'POSTROUTING', 'MASQUERADE', src=doc['subnet'], oif='!' + br))
        loopback = False
        for dummy, cip, entry in publishes(doc):
            # Hairpin: a container reaching a published port through the host's address gets its answer back
            # through the host, not straight over the bridge.
            add(Rule('nat', 'POSTROUTING', 'MASQUERADE', src=doc['subnet'], dst=cip, oif=br, proto=entry['proto'],
                     dport=entry['container_port'], ctstate='DNAT'))
            loopback = loopback or is_loopback(entry['host_ip'])
        if loopback:
            add(Rule('nat', 'POSTROUTING', 'MASQUERADE', src='127.0.0.0/8', oif=br))
    for nat in nats:
        match = {}
        if nat.get('source'):
            match['src'] = nat['source']
        if nat.get('out_interface'):
            match['oif'] = nat['out_interface']
        elif nat.get('not_out_interface'):
            match['oif'] = '!' + nat['not_out_interface']
        if nat['kind'] == 'masquerade':
            add(Rule('nat', 'POSTROUTING', 'MASQUERADE', **match))
        elif nat['kind'] == 'snat':
            add(Rule('nat', 'POSTROUTING', 'SNAT', nat['to_source'], **match))
        elif nat.get('bridge'):
            if nat.get('bridge_subnet'):
                add(Rule('nat', 'POSTROUTING', 'MASQUERADE', src=nat['bridge_subnet'], dst=nat['container_ip'], oif=nat['bridge'],
                         proto=nat['proto'], dport=nat['container_port'], ctstate='DNAT'))
            if is_loopback(nat.get('host_ip')):
                add(Rule('nat', 'POSTROUTING', 'MASQUERADE', src='127.0.0.0/8', oif=nat['bridge']))
    for doc in nets:
        for dummy, cip, entry in publishes(doc):
            if not is_loopback(entry['host_ip']):
                host_ip = entry['host_ip'] if entry['host_ip'] not in (None, '0.0.0.0') else None
                add(Rule('nat', 'DNAT', 'DNAT', '%s:%d' % (cip, entry['container_port']), dst=host_ip, proto=entry['proto'],
                         dport=entry['host_port']))
    for nat in nats:
        if nat['kind'] == 'dnat' and not is_loopback(nat.get('host_ip')):
            host_ip = nat['host_ip'] if nat.get('host_ip') not in (None, '0.0.0.0') else None
            add(Rule('nat', 'DNAT', 'DNAT', '%s:%d' % (nat['container_ip'], nat['container_port']), dst=host_ip,
                     proto=nat['proto'], dport=nat['host_port']))
    # raw: a port published on 127.0.0.1 answers the host only; packets for it from outside are dropped.
    for doc in nets:
        for dummy, cip, entry in publishes(doc):
            if is_loopback(entry['host_ip']):
                add(Rule('raw', 'PREROUTING', 'DROP', dst=entry['host_ip'], iif='!lo', proto=entry['proto'],
                         dport=entry['host_port']))
    for nat in nats:
        if nat['kind'] == 'dnat' and is_loopback(nat.get('host_ip')):
            add(Rule('raw', 'PREROUTING', 'DROP', dst=nat['host_ip'], iif='!lo', proto=nat['proto'], dport=nat['host_port']))
    return _dedupe(rules)


def _dedupe(rules):
    seen = set()
    out = []
    for rule in rules:
        key = (rule.table, rule.iptables())
        if key not in seen:
            seen.add(key)
            out.append(rule)
    return out


def used_chains(rules):
    """Logical (table, chain) pairs the rule set needs: every chain with rules, and every jump target."""
    chains = set()
    for rule in rules:
        chains.add((rule.table, rule.chain))
        if rule.target == 'JUMP':
            chains.add((rule.table, rule.arg))
    return chains


def desired_sysctls(networks):
    """Host-wide knobs: {key: value} wanted while these networks exist, plus per-bridge ones."""
    want = {}
    for doc in networks.values():
        if not doc or doc.get('driver', 'bridge') != 'bridge':
            continue
        if doc.get('firewall', True) and doc.get('ip_forward', True) and not doc.get('internal'):
            want[IP_FORWARD] = '1'
        if doc.get('firewall', True) and not doc.get('icc', True):
            want[BRIDGE_NF] = '1'
        if doc.get('firewall', True) and any(is_loopback(e['host_ip']) for dummy, dummy2, e in publishes(doc)):
            want['net/ipv4/conf/%s/route_localnet' % doc['bridge']] = '1'
    return want


# -- backends -----------------------------------------------------------------------------------
def command_exists(name):
    return shutil.which(name, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') is not None


def _run(argv, data=None):
    exe = shutil.which(argv[0], path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') or argv[0]
    res = subprocess.run([exe] + list(argv[1:]), input=data, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise FirewallError('%s failed (exit %d): %s' % (' '.join(argv), res.returncode, (res.stderr or res.stdout).strip()))
    return res.stdout


FW_KIND = 'firewall'
