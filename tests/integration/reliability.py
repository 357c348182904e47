# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the reliability tests: modules run under strace (SIGKILL or a kernel error at the Nth write),
snapshots compared across hosts, foreign state a user might have on a host.

No production hook is involved: the faults are made by strace's syscall tampering around the module's
process, exactly where the kernel would be asked to change something.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import time

import conftest

# The syscalls that mark a step of a run: a netlink request (pyroute2 sends each with sendto), a state or
# config file put in place or removed (os.replace is rename), and waiting for iptables-restore / nft (wait4).
STEP_SYSCALLS = ('sendto', 'rename', 'unlink', 'wait4')
# Netlink requests that change the kernel; the others only read.
_MUTATIONS = {'RTM_NEWLINK', 'RTM_DELLINK', 'RTM_SETLINK', 'RTM_NEWADDR', 'RTM_DELADDR', 'RTM_NEWROUTE', 'RTM_DELROUTE',
              # strace decodes netlink only for sockets in its own namespace; the rest show as numbers.
              '0x10', '0x11', '0x13', '0x14', '0x15', '0x18', '0x19'}
_TYPE_RE = re.compile(r'nlmsg_type=([A-Z_]+|0x[0-9a-f]+)')
_FLAGS = ('_ansible_check_mode', '_ansible_diff')


def ok(res):
    assert not res.get('failed'), res.get('msg', res)
    return res


def traced_module(host, module_name, /, inject=None, trace=None, check_mode=False, diff=False, syscalls=STEP_SYSCALLS, **params):
    """Run a module in ``host`` under strace, as Host.module does otherwise.

    ``inject``: strace's tampering for one syscall, e.g. 'sendto:signal=KILL:when=12' or
    'sendto:error=EEXIST:when=12'; ``trace``: a file to write ``syscalls`` (the step syscalls) to. Only the module's
    main thread is traced (no -f): children such as iptables-restore run untouched, and the counters
    of ``when=`` count that thread's calls only (the plan's beside steps run on it: SERIAL_ENV). Returns (exit status,
    the module's JSON or None).
    """
    host._count += 1  # pylint: disable=protected-access
    args = dict(params, _ansible_check_mode=check_mode, _ansible_diff=diff)
    path = os.path.join(host.tmpdir, '%s-strace-args-%d.json' % (host.name, host._count))  # pylint: disable=protected-access
    with open(path, 'w') as f:
        json.dump({'ANSIBLE_MODULE_ARGS': args}, f)
    argv = ['strace', '-o', trace or '/dev/null', '-e', 'trace=' + ','.join(syscalls)]
    if inject:
        argv += ['-e', 'inject=' + inject]
    # _plan.SERIAL_ENV: the plan's beside steps (resolv.conf writes) run on the traced thread, in order.  TMPDIR: a run
    # killed at the unlink of Python's first temporary file (tempfile's probe of its folder) leaves that file behind,
    # and the emulated hosts share the machine's /tmp: the test's own folder takes it instead.
    argv += ['env', 'PYTHONPATH=%s' % host.collection_path, 'TMPDIR=%s' % host.tmpdir, 'HOSTNET_TEST_SERIAL=1', sys.executable, '-m',
             conftest.module_path(module_name), path]
    res = host.run(argv, check=False, timeout=300)
    try:
        return res.returncode, json.loads(res.stdout[res.stdout.index('{'):])
    except ValueError:
        return res.returncode, None


def write_steps(trace_file):
    """The steps of a traced run that change something: [(syscall, its ordinal among that syscall's calls, text)].

    Reads are left out (a kill before a read is the same as a kill after the write before it).
    """
    steps = []
    seen = {}
    with open(trace_file) as f:
        for line in f:
            name = line.split('(', 1)[0]
            if name not in STEP_SYSCALLS:
                continue
            seen[name] = seen.get(name, 0) + 1
            if name == 'sendto':
                # One write may carry many requests (the engine pipelines them): the step names every kind it changes.
                kinds = []
                for kind in _TYPE_RE.findall(line):
                    if kind in _MUTATIONS and kind not in kinds:
                        kinds.append(kind)
                if not kinds:
                    continue
                text = 'netlink %s' % ' '.join(kinds)
            elif name in ('rename', 'unlink'):
                text = '%s %s' % (name, line.split('"')[-2] if line.count('"') >= 2 else line.strip())
            else:
                text = 'wait for a firewall command'
            steps.append((name, seen[name], text))
    return steps


def state_docs(host):
    """{path: document} of every state file under /var/lib/hostnet."""
    out = host.run('for f in $(find /var/lib/hostnet -name "*.json" | sort); do echo "== $f"; cat "$f"; done').stdout
    docs = {}
    for block in out.split('== ')[1:]:
        path, dummy, text = block.partition('\n')
        docs[path] = json.loads(text)
    return docs


def network_names(host):
    """What a random network id decides, per host: {text in the snapshot: stable placeholder}."""
    names = {}
    for path, doc in state_docs(host).items():
        if '/networks/' not in path:
            continue
        names[doc['id']] = '<id %s>' % doc['name']
        names[doc['id'][:12]] = '<id12 %s>' % doc['name']
        names[doc['id'][:10]] = '<id10 %s>' % doc['name']
        # A bridge's MAC is 02:42 and the first four bytes of its network's id.
        names['02:42:' + ':'.join(doc['id'][i:i + 2] for i in range(0, 8, 2))] = '<bridge mac %s>' % doc['name']
        for cname, ep in (doc.get('endpoints') or {}).items():
            if ep.get('veth'):
                names[ep['veth']] = '<veth %s/%s>' % (doc['name'], cname)
            if ep.get('endpoint_id'):
                names[ep['endpoint_id']] = '<ep %s/%s>' % (doc['name'], cname)
    return names


# Interface indexes, and every MAC but the collection's own (the bridge MACs made from network ids are named by
# network_names first; the containers' MACs are in the state documents): the kernel picks the others at random
# (host ends of veths, the lab's ens33), and a random MAC starts with 02:42 once in some 16,000 links.
_VOLATILE_RE = re.compile(r'^\d+: |@if\d+|(?<=link-netnsid )\d+')
_MAC_RE = re.compile(r'(?<![0-9a-f:])[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}(?![0-9a-f:])')


def own_macs(host):
    """The MACs the collection gives containers: each endpoint's recorded MAC, and 02:42 + its IPv4 address."""
    macs = set()
    for path, doc in state_docs(host).items():
        for ep in ((doc or {}).get('endpoints') or {}).values() if '/networks/' in path else ():
            if ep.get('mac'):
                macs.add(ep['mac'].lower())
            if ep.get('ip'):
                macs.add('02:42:' + ':'.join('%02x' % int(b) for b in ep['ip'].split('/')[0].split('.')))
    return macs


SETTLED = '/var/lib/hostnet/firewall/iptables-settled.json'
# The nftables record's generation and documents' key say whether the next run may skip the listing (the same cache
# as SETTLED, kept in the record itself): compared without them, and without the file's size.
NFT_RECORD = '/var/lib/hostnet/firewall/nftables.json'
_NFT_CACHE = ('gen', 'key', 'where')


def _uncached(line):
    return line.rsplit(' ', 1)[0] if NFT_RECORD in line else line


def comparable(host, snap=None):
    """The host's snapshot with what differs between two correct hosts masked: random network ids (and the
    bridge and veth names made from them), interface indexes, random MACs; lines sorted; plus the state documents
    with the creation and connection times masked. Two hosts that hold the same networks compare equal.  The
    settled firewall record is left out: a cache of the last apply (a run killed before writing it leaves none, and
    its digest covers those times and ids), which changes what a run computes, never what it does; the folder
    that holds it is compared, so one left behind at teardown still shows.  So are the nftables record's cache
    fields (NFT_RECORD)."""
    snap = snap if snap is not None else host.snapshot()
    names = network_names(host)
    macs = own_macs(host)

    def mask(text):
        for old in sorted(names, key=len, reverse=True):
            text = text.replace(old, names[old])
        text = _MAC_RE.sub(lambda m: m.group(0) if m.group(0) in macs else '', text)
        return _VOLATILE_RE.sub('', text)

    out = {section: sorted(mask(_uncached(line)) for line in lines if SETTLED not in line) for section, lines in snap.items()}
    docs = {}
    for path, doc in state_docs(host).items():
        if path.endswith(SETTLED):
            continue
        if path.endswith(NFT_RECORD) and isinstance(doc, dict):
            doc = {k: v for k, v in doc.items() if k not in _NFT_CACHE}
        text = json.dumps(doc, sort_keys=True)
        # When a network was created and when an endpoint connected: times of the run, not what it built.
        text = re.sub(r'"(created|connected)": "[^"]*"', r'"\1": "<time>"', text)
        docs[mask(path)] = json.loads(mask(text))
    out['state documents'] = docs
    return out


def settled(host, like=None, timeout=90.0, pause=0.2):
    """comparable(host) once the kernel has finished what the last command started: some changes complete after
    the command that asked for them returns (a deleted namespace's veths go in a work queue, a carrier comes up a
    little later), and a snapshot taken half-way would blame the next run for the rest.  Without ``like``: once two
    reads in a row agree.  With ``like`` (what the host should hold): once a read equals it, or at ``timeout``
    with the last read, so a host that is still moving is not judged on one instant.  The ceiling only bounds a
    failure: a loaded machine may take many times longer than a quiet one."""
    deadline = time.monotonic() + timeout
    last = comparable(host)
    while last != like and time.monotonic() < deadline:
        time.sleep(pause)
        now = comparable(host)
        if like is None and now == last:
            break
        last = now
    return last


def explain(want, got):
    """A failure message naming every line that differs, in full (pytest shortens long assertion messages)."""
    out = []
    for section, change in diff(want, got).items():
        for side in ('only before', 'only after', 'before', 'after'):
            if side in change:
                values = change[side] if isinstance(change[side], list) else [change[side]]
                out += ['%s, %s: %s' % (section, side, value) for value in values]
    return '\n'.join(out)


def diff(a, b):
    """Sections that differ between two comparable() results, with the lines only in one of them."""
    out = {}
    for key in sorted(set(a) | set(b)):
        if a.get(key) == b.get(key):
            continue
        if isinstance(a.get(key), list) and isinstance(b.get(key), list):
            out[key] = {'only before': [x for x in a[key] if x not in b[key]], 'only after': [x for x in b[key] if x not in a[key]]}
        else:
            out[key] = {'before': a.get(key), 'after': b.get(key)}
    return out


@contextlib.contextmanager
def fresh_host(directory, collection_path, tmpdir):
    """A new emulated host (one host, the seed's LAN address) for the duration of a block."""
    lab = conftest.hostnet_lab.Lab(directory)
    lab.up({'host1': conftest.SEED_HOSTS['host1']})
    try:
        yield conftest.Host(lab, 'host1', collection_path, tmpdir)
    finally:
        conftest.lab_down(lab)


class SharedHost:
    """One emulated host for many read-only cases (bad input that must change nothing): built once with ``setup(host)``,
    its settled snapshot the baseline; rebuilt when a case changed it, so one failure stays one."""

    def __init__(self, tmp, collection_path, setup):
        self.tmp = tmp
        self.collection_path = collection_path
        self.setup = setup
        self.count = 0
        self.block = None
        self.host = None
        self.baseline = None

    def build(self):
        self.close()
        self.count += 1
        self.block = fresh_host(str(self.tmp / ('lab%d' % self.count)), self.collection_path, str(self.tmp))
        self.host = self.block.__enter__()  # pylint: disable=unnecessary-dunder-call
        self.setup(self.host)
        # Taken once the kernel has finished what the setup started (see Host.settled_snapshot): a baseline read
        # while a new bridge or veth still settles would blame the first case for the kernel's own changes.
        self.baseline = self.host.settled_snapshot()

    def changes(self):
        """Sections of the snapshot that differ from the baseline ({} when none); rebuilds the host if any.
        One read when nothing changed; otherwise the host is read until it settles before it is judged."""
        after = self.host.settled_snapshot(like=self.baseline)
        changed = {k: (self.baseline.get(k), after.get(k)) for k in set(after) | set(self.baseline)
                   if after.get(k) != self.baseline.get(k)}
        if changed:
            self.build()
        return changed

    def close(self):
        if self.block is not None:
            self.block.__exit__(None, None, None)
            self.block = None


def _sample_offset(every):
    """make test runs the suite with two pyroute2 versions: each visits other steps, so together they visit twice as
    many (the older one from the first, the newer from the middle of each stretch)."""
    try:
        from importlib import metadata  # pylint: disable=import-outside-toplevel
        old = metadata.version('pyroute2').startswith('0.7')
    except Exception:  # pylint: disable=broad-exception-caught
        old = True
    return 0 if old else every // 2


def sample(steps, every):
    """The steps a test visits: the first of each kind (a netlink request type, a file, a firewall command; the
    containers' files, and a name server's records files, count as one kind) and every ``every``-th step. HOSTNET_FAULTS=all visits every step."""
    if os.environ.get('HOSTNET_FAULTS') == 'all':
        return list(steps)
    offset = _sample_offset(every)
    picked = []
    kinds = set()
    for i, step in enumerate(steps):
        kind = re.sub(r'/etc/netns/[^/]+/', '/etc/netns/*/', step[2])
        kind = re.sub(r'/run/hostnet/dns/([^/]+)/hosts/[^/ ]+', r'/run/hostnet/dns/\1/hosts/*', kind)
        if kind in kinds and (i - offset) % every:
            continue
        kinds.add(kind)
        picked.append(step)
    return picked
