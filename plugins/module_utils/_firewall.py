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
* nftables: one ``ip hostnet`` table, read with ``nft -j list table`` and replaced
  (delete + create) in one ``nft -j -f -`` transaction of JSON commands.  The kernel's
  listing after the last apply (normalised JSON: no handles, no counter values) is
  recorded, so a rule changed by hand shows up as drift.

The user hook chain (iptables HOSTNET-USER, nftables chain ``user``) is jumped to first
from the forward chain; its rules belong to the user and survive every run.  It is
removed at teardown only when empty.

Kernel knobs the rule set needs are part of it: net.ipv4.ip_forward (on while a network
needs it, restored to its earlier value after the last one), route_localnet on the managed
bridges that carry published ports (the host reaches them on 127.0.0.1), and bridge netfilter
for icc: false.
"""

from __future__ import annotations

import hashlib
import json
import os

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nft_sets
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl

NAT_KIND = 'nat'
BACKENDS = ('iptables', 'nftables')


def resolve_backend(value, option='firewall_backend', exists=None):
    """auto: iptables where the command exists, else nftables.  Fails when the chosen one is missing.
    exists(command): whether a command is installed (default: look on PATH and in the sbin directories)."""
    exists = exists or _firewall_rules.command_exists
    if value in (None, 'auto'):
        if exists('iptables-restore'):
            return 'iptables'
        if exists('nft'):
            return 'nftables'
        raise _firewall_rules.FirewallError("%s 'auto': neither iptables-restore nor nft is installed on this host" % option)
    if value not in BACKENDS:
        raise _firewall_rules.FirewallError("%s '%s': must be one of auto, iptables, nftables" % (option, value))
    tool = 'iptables-restore' if value == 'iptables' else 'nft'
    if not exists(tool):
        raise _firewall_rules.FirewallError("%s '%s': the %s command is not installed on this host" % (option, value, tool))
    return value


def backend(name, root=None):
    return _firewall_iptables.Iptables(root) if name == 'iptables' else _firewall_nftables.Nftables(root)


# -- planning -------------------------------------------------------------------------------------
# The code that turns documents into a backend's rule lines: desired_rules (and the helpers it calls) and the renderer.
_RULE_CODE = (_firewall_rules, _firewall_iptables, _firewall_nftables, _firewall_nft_sets, _network, _ipam6)
_code_digest = []  # [digest of _RULE_CODE's sources, or None when a loader cannot give them], computed once


def rule_code_digest():
    """A digest of the sources of the code that renders rules, so a rule set settled by an older version of it is
    compared again, never trusted.  None when a module's loader cannot give its source (nothing is then settled)."""
    if not _code_digest:
        digest = hashlib.sha256()
        try:
            for mod in _RULE_CODE:
                digest.update(mod.__loader__.get_data(mod.__file__))
            _code_digest.append(digest.hexdigest())
        except (AttributeError, OSError, TypeError):
            _code_digest.append(None)
    return _code_digest[0]


def rules_key(backend_name, networks, nat_rules):
    """The digest of everything a backend's rule set is computed from (desired_rules is a pure function of the
    backend's name and the documents rule_inputs gives) and of the code computing it; None when that code's digest is
    unknown.  Another backend's networks and macvlan ones are no part of it."""
    code = rule_code_digest()
    if code is None:
        return None
    text = json.dumps([backend_name, code, _firewall_rules.rule_inputs(networks, nat_rules, backend_name)], sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(text.encode()).hexdigest()


def backends_in_use(networks, nat_rules, root=None):
    """Backends that hold or held rules: the ones named by documents, plus any with a recorded state."""
    names = {d.get('firewall_backend') for d in list(networks.values()) + list(nat_rules.values())
             if d and d.get('firewall', True) and d.get('firewall_backend')}
    if _store.load(_firewall_rules.FW_KIND, 'nftables', root) is not None:
        names.add('nftables')
    if _firewall_rules.command_exists('iptables-save'):
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
        key = rules_key(name, new_networks, new_nats) if be.settles else None
        if key is not None and be.settled(key):
            continue  # the kernel holds what the last apply of these very documents wrote: nothing to compute
        new_rules = _firewall_rules.desired_rules(new_networks, new_nats, name)
        # Nothing to have and nothing held: no IPv4 tables, and no record of IPv6 rules (an IPv6-only network's).
        if name == 'iptables' and not new_rules and not be.read() and be.v6.record() is None:
            continue
        old = _OldRules(name, old_networks, old_nats)
        if not be.differs(new_rules, old) and not be.interrupted():
            continue
        old_rules = old.rules()
        before = be.owned()
        after = be.wanted(new_rules)
        changes[name] = {'before': before, 'after': after}
        plan_.add('apply %s rule set (%d rules)' % (name, len(new_rules)),
                  lambda be=be, rules=new_rules, key=key: be.apply(rules, key),
                  lambda be=be, rules=old_rules, prior=be.settled_record(): (be.forget(), be.apply(rules, record=prior)), undo_partial=True)
    _plan_sysctls(plan_, ns, new_networks, root, new_nats)
    return changes


class _OldRules:
    """The rules key and the rules of the documents before the run, each computed once when first asked for (a
    backend that knows what it wrote for that key compares with them instead of listing the kernel:
    Nftables.differs)."""

    def __init__(self, backend_name, networks, nats):
        self.args = (backend_name, networks, nats)
        self._key = self._rules = False

    def key(self):
        if self._key is False:
            self._key = rules_key(*self.args)
        return self._key

    def rules(self):
        if self._rules is False:
            name, networks, nats = self.args
            self._rules = _firewall_rules.desired_rules(networks, nats, name)
        return self._rules


def forward_master(key):
    """The forwarding switch (ip_forward, IPv6's conf/all/forwarding) whose write overwrites ``key``, or None."""
    if key == _firewall_rules.ACCEPT_REDIRECTS:
        return _firewall_rules.IP_FORWARD
    for master, conf in _firewall_rules.FORWARDS.items():
        if key != master and key.startswith(conf + '/') and key.endswith('/forwarding'):
            return master
    return None


def _is_forward_side_effect(key):
    return forward_master(key) is not None


def forward_side_effects(ns, forward, master=_firewall_rules.IP_FORWARD):
    """{key: value now} of the knobs that writing ``forward`` to the switch ``master`` would overwrite with something else.

    The kernel (devinet.c, inet_forward_change) sets conf/all/accept_redirects to the opposite of ip_forward and
    conf/default and every device's forwarding to it; IPv6's conf/all/forwarding (addrconf_fixup_forwarding) sets
    conf/default and every device's forwarding.  A user's own values there are kept aside and put back.
    """
    conf = _firewall_rules.FORWARDS[master]
    kernel = {_firewall_rules.ACCEPT_REDIRECTS: '0' if forward == '1' else '1'} if master == _firewall_rules.IP_FORWARD else {}
    try:
        devices = os.listdir('/proc/sys/' + conf)
    except OSError:
        devices = []
    for dev in devices:
        if dev != 'all':
            kernel['%s/%s/forwarding' % (conf, dev)] = forward
    out = {}
    for key, value in kernel.items():
        if _sysctl.sysctl_exists(ns, None, key):
            current = _sysctl.read_sysctl(ns, None, key)
            if current != value:
                out[key] = current
    return out


def _write_sysctls(ns, values):
    for key, value in sorted(values.items(), key=lambda kv: kv[0] not in _firewall_rules.FORWARDS):  # the switches first: they reset the rest
        if _sysctl.sysctl_exists(ns, None, key):
            _sysctl.write_sysctl(ns, None, key, value)


def _record(values, root):
    """Write (or, when empty, forget) the record of the knob values to restore later."""
    if values:
        _store.save(_firewall_rules.FW_KIND, 'sysctls', {'before': values}, root)
    else:
        _store.delete(_firewall_rules.FW_KIND, 'sysctls', root)


def _values_to_keep(ns, want, saved):
    """saved, plus the current value of every host-wide knob this run changes for the first time (and, for a
    forwarding switch, the user's own values that writing it would overwrite).  Per-bridge knobs are not restored: they
    go with their bridge."""
    keep = dict(saved)
    for key, value in sorted(want.items()):
        if not _sysctl.sysctl_exists(ns, None, key):
            if key in (_firewall_rules.BRIDGE_NF, _firewall_rules.BRIDGE_NF6):
                raise _firewall_rules.FirewallError("icc 'false': containers on one bridge talk at layer 2, and blocking them needs bridge "
                                                    "netfilter, which this host lacks (/proc/sys/%s is missing): load the br_netfilter "
                                                    "kernel module (modprobe br_netfilter) or keep icc true" % key)
            continue  # a per-bridge key of a bridge this run creates: set after it exists
        current = _sysctl.read_sysctl(ns, None, key)
        if current != value and ('/conf/' not in key or key in _firewall_rules.FORWARDS) and key not in keep:
            keep[key] = current
            if key in _firewall_rules.FORWARDS:
                for side, old in forward_side_effects(ns, current, key).items():
                    keep.setdefault(side, old)
    return keep


def _write_when_there(ns, key, value):
    """A per-bridge knob of a bridge missing when planned: the run's own new bridge exists by now; another network's
    bridge may not (the boot-time restore rebuilds networks one at a time), and its own run sets the knob."""
    if _sysctl.sysctl_exists(ns, None, key):
        _sysctl.write_sysctl(ns, None, key, value)


def _plan_sets(plan_, ns, want):
    """A step per knob that differs from what the networks need; its undo writes back what it read."""
    for key, value in sorted(want.items()):
        exists = _sysctl.sysctl_exists(ns, None, key)
        if exists and _sysctl.read_sysctl(ns, None, key) == value:
            continue
        # A bridge this run creates has no conf/ entry yet: the step writes it once the bridge exists.
        old = _sysctl.read_sysctl(ns, None, key) if exists else None
        before = None
        if old is not None:
            before = dict(forward_side_effects(ns, old, key) if key in _firewall_rules.FORWARDS else {}, **{key: old})
        plan_.add('set %s = %s' % (key.replace('/', '.'), value),
                  (lambda key=key, value=value: _sysctl.write_sysctl(ns, None, key, value)) if exists else
                  (lambda key=key, value=value: _write_when_there(ns, key, value)),
                  (lambda before=before: _write_sysctls(ns, before)) if before is not None else None)


def _plan_restores(plan_, ns, want, saved, keep):
    """A step per recorded knob no network needs any more, putting back its value from before; forgotten from keep."""
    restoring = {master for master in _firewall_rules.FORWARDS if master in saved and master not in want}
    for key in sorted(saved, key=lambda k: (k not in _firewall_rules.FORWARDS, k)):  # the switches first: writing one resets the others
        if key in want or (_is_forward_side_effect(key) and forward_master(key) not in restoring):
            continue
        old = saved[key]
        exists = _sysctl.sysctl_exists(ns, None, key)
        # A knob ip_forward resets is written whatever it reads now: it reads what ip_forward will overwrite.
        if exists and (_sysctl.read_sysctl(ns, None, key) != old or _is_forward_side_effect(key)):
            cur = _sysctl.read_sysctl(ns, None, key)
            plan_.add('restore %s = %s (no network needs it now)' % (key.replace('/', '.'), old),
                      lambda key=key, old=old: _sysctl.write_sysctl(ns, None, key, old),
                      lambda key=key, cur=cur: _sysctl.write_sysctl(ns, None, key, cur))
        keep.pop(key, None)


def _plan_sysctls(plan_, ns, networks, root, nats=None):
    want = _firewall_rules.desired_sysctls(networks, nats)
    rec = _store.load(_firewall_rules.FW_KIND, 'sysctls', root) or {}
    saved = dict(rec.get('before') or {})
    grown = _values_to_keep(ns, want, saved)
    # The values to restore are recorded before they are changed, and forgotten only after they are restored,
    # so a run killed in between still knows them.
    if grown != saved:
        plan_.add('record sysctls to restore (%s)' % ', '.join(sorted(grown)),
                  lambda: _record(grown, root),
                  (lambda: _store.save(_firewall_rules.FW_KIND, 'sysctls', rec, root)) if rec
                  else (lambda: _store.delete(_firewall_rules.FW_KIND, 'sysctls', root)))
    _plan_sets(plan_, ns, want)
    left = dict(grown)
    _plan_restores(plan_, ns, want, saved, left)
    if left != grown:
        plan_.add('record sysctls to restore (%s)' % ', '.join(sorted(left)) if left else 'forget recorded sysctls',
                  lambda: _record(left, root), lambda: _record(grown, root))
    _plan_sysctl_file(plan_, want, root)


# -- the settings kept across `sysctl --system` and boots ------------------------------------------------------
SYSCTL_D = '/etc/sysctl.d'
SYSCTL_FILE = '90-hostnet.conf'
_SYSCTL_HEAD = ('# hostnet.containers: the kernel settings its networks need, so that `sysctl --system` and the boot keep them.\n'
                '# Written with the networks and removed with the last one that needs a setting; edits here are overwritten.\n')


def sysctl_file(root=None):
    """The collection's sysctl.d file (under a test's store ``root``: never the machine's /etc)."""
    return os.path.join(SYSCTL_D if root is None else os.path.join(root, 'sysctl.d'), SYSCTL_FILE)


def sysctl_text(want):
    """The file for the settings ``want`` ({'net/ipv4/ip_forward': '1'}), None when there are none.  Keys in sysctl.d's
    dotted form with dots and slashes swapped (an interface name's dots become slashes: net.ipv4.conf.br0/5.x, as
    sysctl(8) and systemd-sysctl read them); a key that may be missing at boot (a bridge's, bridge netfilter's before
    br_netfilter is loaded) starts with '-', so applying it fails silently until the restore makes the bridge."""
    if not want:
        return None
    lines = []
    for key in sorted(want, key=lambda k: (k not in _firewall_rules.FORWARDS, k)):  # the switches first: they reset the rest
        dotted = key.translate(str.maketrans('./', '/.'))
        lines.append('%s%s = %s\n' % ('' if key in _firewall_rules.FORWARDS else '-', dotted, want[key]))
    return _SYSCTL_HEAD + ''.join(lines)


def _read_sysctl_file(path):
    try:
        with open(path) as f:
            text = f.read()
    except FileNotFoundError:
        return None
    if not text.startswith(_SYSCTL_HEAD.split('\n', 1)[0]):
        raise _firewall_rules.FirewallError('%s exists and the collection did not write it (its first line is not the '
                                            "collection's); it is left alone: move it away" % path)
    return text


def _write_sysctl_file(path, text):
    """Write (atomically, 0644) or, with text None, remove the file."""
    if text is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _plan_sysctl_file(plan_, want, root):
    """The step writing the settings the networks need to the collection's sysctl.d file, or removing it with the
    last network that needs one; undone by writing back what was there."""
    path = sysctl_file(root)
    old, new = _read_sysctl_file(path), sysctl_text(want)
    if old == new:
        return
    text = ('write %s (%s)' % (path, ', '.join(sorted(k.replace('/', '.') for k in want))) if new is not None
            else 'remove %s (no network needs a sysctl now)' % path)
    plan_.add(text, lambda: _write_sysctl_file(path, new), lambda: _write_sysctl_file(path, old))
