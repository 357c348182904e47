# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The firewall engine: the host's complete desired rule set, reconciled in one transaction per backend.

The rule set is computed from every managed bridge network (/var/lib/hostnet/networks)
and every nat_rule (/var/lib/hostnet/nat) on the host, never appended to:

* iptables: chains named HOSTNET-* in the filter, nat and raw tables, plus one jump each
  from the built-in chains, written with one ``iptables-restore --noflush`` per run.
  Declaring a chain in a --noflush restore flushes it and nothing else, so the user's
  chains and rules are never touched; rules are rendered in iptables-save's canonical
  form, so the kernel's listing compares line by line with the desired one.
* nftables: one ``ip hostnet`` table, replaced (delete + create) in one ``nft -f``
  transaction.  The kernel's listing after the last apply is recorded, so a rule changed
  by hand shows up as drift.

The user hook chain (iptables HOSTNET-USER, nftables chain ``user``) is jumped to first
from the forward chain; its rules belong to the user and survive every run.  It is
removed at teardown only when empty.

Kernel knobs the rule set needs are part of it: net.ipv4.ip_forward (on while a network
needs it, restored to its earlier value after the last one), route_localnet on bridges
with ports published on 127.0.0.1, and bridge netfilter for icc: false.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

from ansible_collections.hostnet.containers.plugins.module_utils import _netlink
from ansible_collections.hostnet.containers.plugins.module_utils import _store

NAT_KIND = 'nat'
FW_KIND = 'firewall'
BACKENDS = ('iptables', 'nftables')
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


class FirewallError(_netlink.HostnetError):
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


class BoundPorts(list):
    """bound_ports' list of (host_ip, port, proto, who), also indexed by (port, proto): checking one publish
    against thousands costs a lookup, not a scan (a network of N publishes would otherwise cost N*N)."""

    def __init__(self, items=()):
        super().__init__()
        self.index = {}
        for item in items:
            self.append(item)

    def append(self, item):
        super().append(item)
        self.index.setdefault((item[1], item[2]), []).append(item)


def bound_ports(networks, nat_rules, skip_nat=None):
    """(host_ip, port, proto, who) of every port the collection publishes on the host (a BoundPorts)."""
    bound = BoundPorts()
    for name, doc in sorted(networks.items()):
        for cname, ep in sorted(((doc or {}).get('endpoints') or {}).items()):
            for e in ep.get('publish') or []:
                bound.append((e['host_ip'], e['host_port'], e['proto'], 'container %s on network %s' % (cname, name)))
    for name, rule in sorted(nat_rules.items()):
        if rule.get('kind') == 'dnat' and name != skip_nat:
            bound.append((rule.get('host_ip') or '0.0.0.0', rule['host_port'], rule['proto'], 'nat_rule %s' % name))
    return bound


def check_port_free(option, value, entry, bound, listening_cache):
    """Fail (IPAMError naming option and value) when entry's host ip/port/proto is published or listened on."""
    from ansible_collections.hostnet.containers.plugins.module_utils import _ipam  # pylint: disable=import-outside-toplevel
    port, proto, ip = entry['host_port'], entry['proto'], entry['host_ip'] or '0.0.0.0'
    same = bound.index.get((port, proto), []) if isinstance(bound, BoundPorts) else bound
    for other_ip, other_port, other_proto, who in same:
        if other_port == port and other_proto == proto and ('0.0.0.0' in (ip, other_ip) or ip == other_ip):
            raise _ipam.IPAMError(option, value, 'host port %d/%s is already published by %s' % (port, proto, who))
    listeners = listening_cache.setdefault(('by port', proto), {})
    if not listeners:
        for other_ip, other_port in cached_listening(proto, listening_cache):
            listeners.setdefault(other_port, []).append(other_ip)
    for other_ip in listeners.get(port, []):
        if '0.0.0.0' in (ip, other_ip) or other_ip == ip:
            raise _ipam.IPAMError(option, value, 'host port %d/%s is already in use: a process on the host listens on %s:%d'
                                  % (port, proto, other_ip, port))


def taken_ports(proto, bound, listening_cache):
    """Host ports of one protocol a new automatic publish must not get."""
    return sorted({b[1] for b in bound if b[2] == proto} | {port for dummy, port in cached_listening(proto, listening_cache)})


def cached_listening(proto, cache):
    if proto not in cache:
        cache[proto] = listening(proto)
    return cache[proto]


def listening(proto):
    """(ip, port) of every socket bound on this namespace for a protocol (IPv6 wildcards count as 0.0.0.0)."""
    found = set()
    if proto == 'sctp':
        try:
            with open('/proc/net/sctp/eps') as f:
                for line in f.readlines()[1:]:
                    fields = line.split()
                    found.add(('0.0.0.0', int(fields[5])))
        except (OSError, ValueError, IndexError):
            pass
        return found
    for suffix in ('', '6'):
        try:
            with open('/proc/net/%s%s' % (proto, suffix)) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            if proto == 'tcp' and state != '0A':
                continue
            addr, port = local.split(':')
            if set(addr) == {'0'}:
                ip = '0.0.0.0'
            elif len(addr) == 8:
                ip = '.'.join(str(b) for b in bytes.fromhex(addr)[::-1])
            elif addr.startswith('0000000000000000FFFF0000'):
                ip = '.'.join(str(b) for b in bytes.fromhex(addr[24:])[::-1])
            else:
                continue  # an IPv6-only socket: the collection publishes IPv4
            found.add((ip, int(port, 16)))
    return found


# -- backends -----------------------------------------------------------------------------------
def command_exists(name):
    return shutil.which(name, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') is not None


def resolve_backend(value, option='firewall_backend'):
    """auto: iptables where the command exists, else nftables.  Fails when the chosen one is missing."""
    if value in (None, 'auto'):
        if command_exists('iptables-restore'):
            return 'iptables'
        if command_exists('nft'):
            return 'nftables'
        raise FirewallError("%s 'auto': neither iptables-restore nor nft is installed on this host" % option)
    if value not in BACKENDS:
        raise FirewallError("%s '%s': must be one of auto, iptables, nftables" % (option, value))
    tool = 'iptables-restore' if value == 'iptables' else 'nft'
    if not command_exists(tool):
        raise FirewallError("%s '%s': the %s command is not installed on this host" % (option, value, tool))
    return value


def _run(argv, data=None):
    exe = shutil.which(argv[0], path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') or argv[0]
    res = subprocess.run([exe] + list(argv[1:]), input=data, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise FirewallError('%s failed (exit %d): %s' % (' '.join(argv), res.returncode, (res.stderr or res.stdout).strip()))
    return res.stdout


class Iptables:
    """The HOSTNET-* chains of iptables, read with iptables-save and written with iptables-restore --noflush."""

    name = 'iptables'

    def __init__(self, root=None):
        self.root = root
        self._current = None
        self._reading = None

    def prefetch(self):
        """Start iptables-save now, in its own process, so it runs while the caller reads the kernel's links."""
        if self._current is None and self._reading is None and command_exists('iptables-save'):
            exe = shutil.which('iptables-save', path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')
            self._reading = subprocess.Popen([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def _save(self):
        reading, self._reading = self._reading, None
        if reading is None:
            return _run(['iptables-save'])
        out, err = reading.communicate()
        if reading.returncode != 0:
            raise FirewallError('iptables-save failed (exit %d): %s' % (reading.returncode, (err or out).strip()))
        return out

    def read(self):
        """{table: {'chains': [names], 'rules': ['-A ...'], 'builtin_jumps': {'-A X -j HOSTNET-Y': count},
        'user': ['-A HOSTNET-USER ...']}} of what the collection owns."""
        if self._current is not None:
            return self._current
        text = self._save()
        state = {}
        table = None
        for line in text.splitlines():
            if line.startswith('*'):
                table = state.setdefault(line[1:], {'chains': [], 'rules': [], 'builtin_jumps': {}, 'user': []})
            elif table is None:
                continue
            elif line.startswith(':HOSTNET-'):
                table['chains'].append(line[1:].split()[0])
            elif line.startswith('-A HOSTNET-USER '):
                table['user'].append(line)
            elif line.startswith('-A HOSTNET-'):
                table['rules'].append(line)
            elif line.startswith('-A ') and ' -j HOSTNET-' in line:
                table['builtin_jumps'][line] = table['builtin_jumps'].get(line, 0) + 1
        self._current = state
        return state

    def owned(self):
        """What the collection owns now, as sorted text lines (for comparison and diffs)."""
        out = []
        for table, st in sorted(self.read().items()):
            for chain in st['chains']:
                if chain != ipt_chain(USER_CHAIN) or st['rules'] or st['builtin_jumps']:
                    out.append('%s :%s' % (table, chain))
            out += ['%s %s' % (table, r) for r in st['rules']]
            for line, count in sorted(st['builtin_jumps'].items()):
                out += ['%s %s' % (table, line)] * count
        return out

    @staticmethod
    def wanted(rules):
        out = []
        chains = used_chains(rules)
        by_table = {}
        for table, chain in chains:
            by_table.setdefault(table, []).append(chain)
        for table in sorted(by_table):
            for chain in sorted(by_table[table]):
                out.append('%s :%s' % (table, ipt_chain(chain)))
            out += ['%s %s' % (table, r.iptables()) for r in rules if r.table == table]
            for chain in sorted(by_table[table]):
                hook = CHAINS[(table, chain)]
                if hook:
                    out.append('%s -A %s -j %s' % (table, hook, ipt_chain(chain)))
        return out

    def differs(self, rules):
        return sorted(self.owned()) != sorted(self.wanted(rules))

    def restore_input(self, rules):
        current = self.read()
        chains = used_chains(rules)
        blocks = []
        for table in TABLES:
            st = current.get(table, {'chains': [], 'rules': [], 'builtin_jumps': {}, 'user': []})
            wanted = sorted(c for t, c in chains if t == table)
            if not wanted and not st['chains'] and not st['builtin_jumps']:
                continue
            lines = ['*' + table]
            user = ipt_chain(USER_CHAIN)
            for chain in wanted:
                name = ipt_chain(chain)
                if name == user and name in st['chains']:
                    continue  # the user's chain: never flushed
                lines.append(':%s - [0:0]' % name)
            wanted_names = {ipt_chain(c) for c in wanted}
            obsolete = []
            for name in st['chains']:
                if name in wanted_names or (name == user and st['user']):
                    continue  # still needed, or the user still keeps rules in the hook chain
                obsolete.append(name)
                if name != user:
                    lines.append(':%s - [0:0]' % name)  # flushed first: chains refer to each other
            lines += [r.iptables() for r in rules if r.table == table]
            wanted_jumps = {'-A %s -j %s' % (CHAINS[(table, c)], ipt_chain(c)) for c in wanted if CHAINS[(table, c)]}
            for line, count in sorted(st['builtin_jumps'].items()):
                extra = count - (1 if line in wanted_jumps else 0)
                lines += ['-D' + line[2:]] * extra
            for line in sorted(wanted_jumps):
                if line not in st['builtin_jumps']:
                    lines.append('-I' + line[2:].replace(' -j ', ' 1 -j ', 1))
            lines += ['-X %s' % name for name in obsolete]
            lines.append('COMMIT')
            blocks.append('\n'.join(lines))
        return '\n'.join(blocks) + '\n' if blocks else ''

    def apply(self, rules):
        """One restore for every table.

        iptables-nft creates tables and built-in chains in the kernel on first use and never removes them.
        What it created for the collection is recorded and deleted again once the collection's last rule
        in that table is gone and the object is empty, so teardown returns the ruleset to what it was.
        """
        nft = 'nf_tables' in _run(['iptables', '-V'])
        rec = _store.load(FW_KIND, 'iptables', self.root) or {}
        created = {tuple(obj) for obj in rec.get('created') or []}
        data = self.restore_input(rules)
        if rec.get('pending') is not None:
            # A run was killed between its restore and recording what the restore created: what existed before that
            # restore is in the record, so its creations are still found.
            before = {tuple(obj) for obj in rec['pending']}
        else:
            before = nft_objects() if nft else set()
            if nft and data:
                _store.save(FW_KIND, 'iptables', dict(rec, pending=sorted(list(obj) for obj in before)), self.root)
        self._current = None
        if data:
            try:
                _run(['iptables-restore', '--noflush', '-w', '10'], data)
            except FirewallError:
                if rec.get('pending') is None and nft:  # the restore changed nothing: the record is as it was
                    if rec:
                        _store.save(FW_KIND, 'iptables', rec, self.root)
                    else:
                        _store.delete(FW_KIND, 'iptables', self.root)
                raise
        if nft:
            after = nft_objects()
            created = {obj for obj in created | (after - before) if obj in after}
            in_use = {table for table, dummy in used_chains(rules)}
            for obj in sorted(created, key=len, reverse=True):  # chains before their tables
                if obj[0] in in_use:
                    continue
                if len(obj) == 2 and nft_chain_empty(*obj):
                    _run(['nft', 'delete', 'chain', 'ip', obj[0], obj[1]])
                    created.discard(obj)
                elif len(obj) == 1 and not any(len(o) == 2 and o[0] == obj[0] for o in nft_objects()):
                    _run(['nft', 'delete', 'table', 'ip', obj[0]])
                    created.discard(obj)
        self._current = None
        if created:
            _store.save(FW_KIND, 'iptables', {'created': sorted(list(obj) for obj in created)}, self.root)
        elif rec or (nft and data):
            _store.delete(FW_KIND, 'iptables', self.root)

    def forget(self):
        self._current = None

    def interrupted(self):
        """True when a run was killed between a restore and recording what it created: apply again to finish."""
        return (_store.load(FW_KIND, 'iptables', self.root) or {}).get('pending') is not None


def nft_objects():
    """('table',) and ('table', 'chain') of the ip-family tables iptables-nft uses (filter, nat, raw)."""
    objs = set()
    table = None
    for line in _run(['nft', 'list', 'chains', 'ip']).splitlines():
        words = line.split()
        if words[:2] == ['table', 'ip'] and words[2] in TABLES:
            table = words[2]
            objs.add((table,))
        elif words[:2] == ['table', 'ip']:
            table = None
        elif table and words and words[0] == 'chain':
            objs.add((table, words[1]))
    return objs


def nft_chain_empty(table, chain):
    """A chain with no rules (only its hook line) and an accept policy."""
    for line in _run(['nft', 'list', 'chain', 'ip', table, chain]).splitlines()[2:]:
        words = line.strip()
        if not words or words == '}':
            continue
        if words.startswith('type ') and 'policy accept' in words:
            continue
        return False
    return True


class Nftables:
    """The ``ip hostnet`` table, replaced in one nft transaction; the chain ``user`` keeps its rules."""

    name = 'nftables'

    def __init__(self, root=None):
        self.root = root
        self._listing = None

    def listing(self):
        """(text of the table without the user chain's rules, the user chain's rule lines); ('', []) when absent."""
        if self._listing is not None:
            return self._listing
        exe = shutil.which('nft', path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin') or 'nft'
        res = subprocess.run([exe, 'list', 'table', 'ip', NFT_TABLE], capture_output=True, text=True, check=False)
        if res.returncode != 0:
            if 'No such file' in res.stderr or 'does not exist' in res.stderr:
                self._listing = ('', [])
                return self._listing
            raise FirewallError('nft list table ip %s failed: %s' % (NFT_TABLE, res.stderr.strip()))
        kept, user, in_user = [], [], False
        for line in res.stdout.splitlines():
            stripped = line.strip()
            if stripped == 'chain user {':
                in_user = True
                kept.append(line)
                continue
            if in_user:
                if stripped == '}':
                    in_user = False
                    kept.append(line)
                elif stripped:
                    user.append(stripped)
                continue
            kept.append(line)
        self._listing = ('\n'.join(kept), user)
        return self._listing

    @staticmethod
    def script(rules, user_rules):
        """The whole table (the user chain with its rules), or None when nothing is left to hold."""
        chains = used_chains(rules)
        if not rules and not user_rules:
            return None
        body = []
        for key, (name, base) in NFT_CHAINS.items():
            if key not in chains and not (name == 'user' and user_rules):
                continue
            lines = ['\tchain %s {' % name]
            if base:
                lines.append('\t\t' + base)
            if name == 'user':
                lines += ['\t\t' + r for r in user_rules]
            lines += ['\t\t' + r.nft() for r in rules if (r.table, r.chain) == key]
            lines.append('\t}')
            body.append('\n'.join(lines))
        return 'table ip %s {\n%s\n}\n' % (NFT_TABLE, '\n'.join(body))

    def recorded(self):
        return _store.load(FW_KIND, 'nftables', self.root) or {}

    def differs(self, rules):
        text, user = self.listing()
        script = self.script(rules, user)
        if script is None:
            return bool(text) or bool(self.recorded())  # the record outlived the table: a run was killed in between
        rec = self.recorded()
        return rec.get('script') != _hash(script) or rec.get('listing') != _hash(text)

    def owned(self):
        return [ln for ln in self.listing()[0].splitlines() if ln.strip()]

    @staticmethod
    def wanted(rules):
        script = Nftables.script(rules, [])
        return [ln for ln in (script or '').splitlines() if ln.strip()]

    def apply(self, rules):
        text, user = self.listing()
        script = self.script(rules, user)
        data = ''
        if text:
            data = 'delete table ip %s\n' % NFT_TABLE
        if script:
            data += script
        if data:
            _run(['nft', '-f', '-'], data)
        self._listing = None
        if script:
            _store.save(FW_KIND, 'nftables', {'script': _hash(script), 'listing': _hash(self.listing()[0])}, self.root)
        else:
            _store.delete(FW_KIND, 'nftables', self.root)

    def forget(self):
        self._listing = None

    @staticmethod
    def interrupted():
        return False  # one nft transaction, and the record of it is compared on every run (differs)


def _hash(text):
    return hashlib.sha256(text.encode()).hexdigest()


def backend(name, root=None):
    return Iptables(root) if name == 'iptables' else Nftables(root)


# -- planning -------------------------------------------------------------------------------------
def backends_in_use(networks, nat_rules, root=None):
    """Backends that hold or held rules: the ones named by documents, plus any with a recorded state."""
    names = {d.get('firewall_backend') for d in list(networks.values()) + list(nat_rules.values())
             if d and d.get('firewall', True) and d.get('firewall_backend')}
    if _store.load(FW_KIND, 'nftables', root) is not None:
        names.add('nftables')
    if command_exists('iptables-save'):
        names.add('iptables')
    return sorted(n for n in names if n in BACKENDS)


def plan(plan_, ns, old_networks, new_networks, old_nats, new_nats, root=None, backends_cache=None):
    """Add to plan_ the steps that take the firewall and its kernel knobs from the old documents to the new.

    Returns {'backend': {'before': [...], 'after': [...]}} of what differs (for diff and results).
    Each step's undo re-applies the old rule set.
    """
    changes = {}
    names = sorted(set(backends_in_use(old_networks, old_nats, root)) | set(backends_in_use(new_networks, new_nats, root)))
    cache = backends_cache if backends_cache is not None else {}
    for name in names:
        be = cache.setdefault(name, backend(name, root))
        new_rules = desired_rules(new_networks, new_nats, name)
        if name == 'iptables' and not new_rules and not be.read():
            continue
        if not be.differs(new_rules) and not be.interrupted():
            continue
        old_rules = desired_rules(old_networks, old_nats, name)
        before = be.owned()
        after = be.wanted(new_rules)
        changes[name] = {'before': before, 'after': after}
        plan_.add('apply %s rule set (%d rules)' % (name, len(new_rules)),
                  lambda be=be, rules=new_rules: be.apply(rules),
                  lambda be=be, rules=old_rules: (be.forget(), be.apply(rules)), undo_partial=True)
    _plan_sysctls(plan_, ns, new_networks, root)
    return changes


def _is_forward_side_effect(key):
    return key == ACCEPT_REDIRECTS or (key.startswith('net/ipv4/conf/') and key.endswith('/forwarding'))


def forward_side_effects(ns, forward):
    """{key: value now} of the knobs that writing ``forward`` to ip_forward would overwrite with something else.

    The kernel (devinet.c, inet_forward_change) sets conf/all/accept_redirects to the opposite of ip_forward and
    conf/default and every device's forwarding to it; a user's own values there are kept aside and put back.
    """
    kernel = {ACCEPT_REDIRECTS: '0' if forward == '1' else '1'}
    try:
        devices = os.listdir('/proc/sys/net/ipv4/conf')
    except OSError:
        devices = []
    for dev in devices:
        if dev != 'all':
            kernel['net/ipv4/conf/%s/forwarding' % dev] = forward
    out = {}
    for key, value in kernel.items():
        if _netlink.sysctl_exists(ns, None, key):
            current = _netlink.read_sysctl(ns, None, key)
            if current != value:
                out[key] = current
    return out


def _write_sysctls(ns, values):
    for key, value in sorted(values.items(), key=lambda kv: kv[0] != IP_FORWARD):  # ip_forward first: it resets the rest
        if _netlink.sysctl_exists(ns, None, key):
            _netlink.write_sysctl(ns, None, key, value)


def _plan_sysctls(plan_, ns, networks, root):
    want = desired_sysctls(networks)
    rec = _store.load(FW_KIND, 'sysctls', root) or {}
    saved = dict(rec.get('before') or {})
    new_saved = dict(saved)
    for key, value in sorted(want.items()):
        if not _netlink.sysctl_exists(ns, None, key):
            if key == BRIDGE_NF:
                raise FirewallError("icc 'false': containers on one bridge talk at layer 2, and blocking them needs bridge "
                                    "netfilter, which this host lacks (/proc/sys/%s is missing): load the br_netfilter "
                                    "kernel module (modprobe br_netfilter) or keep icc true" % key)
            continue  # a per-bridge key of a bridge this run creates: set after it exists
        current = _netlink.read_sysctl(ns, None, key)
        if current != value and '/conf/' not in key and key not in new_saved:
            new_saved[key] = current
            if key == IP_FORWARD:
                # What restoring ip_forward later would not bring back by itself (a user's own per-device values).
                for side, old in forward_side_effects(ns, current).items():
                    new_saved.setdefault(side, old)
    # The values to restore are recorded before they are changed, and forgotten only after they are restored,
    # so a run killed in between still knows them.
    grown = dict(new_saved)
    if grown != saved:
        plan_.add('record sysctls to restore (%s)' % ', '.join(sorted(grown)),
                  lambda: _store.save(FW_KIND, 'sysctls', {'before': grown}, root),
                  (lambda: _store.save(FW_KIND, 'sysctls', rec, root)) if rec else (lambda: _store.delete(FW_KIND, 'sysctls', root)))
    for key, value in sorted(want.items()):
        exists = _netlink.sysctl_exists(ns, None, key)
        if exists and _netlink.read_sysctl(ns, None, key) == value:
            continue
        # A bridge this run creates has no conf/ entry yet: the step writes it once the bridge exists.
        old = _netlink.read_sysctl(ns, None, key) if exists else None
        before = dict(forward_side_effects(ns, old) if key == IP_FORWARD else {}, **{key: old}) if old is not None else None
        plan_.add('set %s = %s' % (key.replace('/', '.'), value),
                  lambda key=key, value=value: _netlink.write_sysctl(ns, None, key, value),
                  (lambda before=before: _write_sysctls(ns, before)) if before is not None else None)
    restoring_forward = IP_FORWARD in saved and IP_FORWARD not in want
    for key in sorted(saved, key=lambda k: (k != IP_FORWARD, k)):  # ip_forward first: writing it resets the others
        if key in want or (_is_forward_side_effect(key) and not restoring_forward):
            continue
        old = saved[key]
        exists = _netlink.sysctl_exists(ns, None, key)
        # A knob ip_forward resets is written whatever it reads now: it reads what ip_forward will overwrite.
        if exists and (_netlink.read_sysctl(ns, None, key) != old or _is_forward_side_effect(key)):
            cur = _netlink.read_sysctl(ns, None, key)
            plan_.add('restore %s = %s (no network needs it now)' % (key.replace('/', '.'), old),
                      lambda key=key, old=old: _netlink.write_sysctl(ns, None, key, old),
                      lambda key=key, cur=cur: _netlink.write_sysctl(ns, None, key, cur))
        new_saved.pop(key, None)
    if new_saved != grown:
        plan_.add('record sysctls to restore (%s)' % ', '.join(sorted(new_saved)) if new_saved else 'forget recorded sysctls',
                  (lambda: _store.save(FW_KIND, 'sysctls', {'before': new_saved}, root)) if new_saved else
                  (lambda: _store.delete(FW_KIND, 'sysctls', root)),
                  (lambda: _store.save(FW_KIND, 'sysctls', {'before': grown}, root)) if grown else
                  (lambda: _store.delete(FW_KIND, 'sysctls', root)))
