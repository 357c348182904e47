# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The netns module's decisions: its options checked (``wanted``), the host read once (``snapshot``), and a pure
planner from the two to the steps (``plan``), which run through ``Changes`` (the namespace, its files and sysctls).

A snapshot is a plain dict, so every branch of the planner is unit-tested without root:
``exists`` (the name is a mounted namespace), ``stale`` (/run/netns/NAME is a leftover file), ``lo_up``,
``etc_dir`` (/etc/netns/NAME exists), ``files`` ({file: text}), ``sysctls`` ({key: value} inside the namespace),
``missing_sysctls`` (keys this kernel lacks), and for ``share_with``: ``share_exists``, ``same_stack``.
"""

from __future__ import annotations

import os
import re

from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _host_gateway
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


# -- wanted: the options, checked and normalised before anything is read or touched ---------------------------
def wanted(params):
    """{'name', 'state', 'share_with', 'files': {file: text}, 'sysctls': {key: value}}; InputError on a bad option."""
    name = params['name']
    _validate.namespace_name(name, 'name')
    share = params.get('share_with')
    if share is not None:
        _validate.namespace_name(share, 'share_with')
        if share == name:
            raise _validate.InputError('share_with', share, 'a namespace cannot share with itself')
    files = {}
    hosts = None
    if params.get('hosts') is not None:
        # Checked now; the text is made with the snapshot (wanted_files): host-gateway needs the namespace's network.
        hosts = host_lines(params['hosts'])
    resolver = None
    if params.get('dns') is not None or params.get('dns_search') is not None:
        resolv_conf(params.get('dns') or [], params.get('dns_search') or [])  # checks them
        # The text also depends on the networks serving names the namespace is on (_dns.resolv_text): made by plan.
        resolver = {'dns': [str(_dns.host_ip(s, 'dns')) for s in params.get('dns') or []], 'dns_search': list(params.get('dns_search') or [])}
    if params.get('hostname') is not None:
        files['hostname'] = _validate.validate_hostname(params['hostname'], 'hostname') + '\n'
    owner = params.get('owner')
    if owner is not None:
        _validate.namespace_name(owner, 'owner')
    return {'name': name, 'state': params.get('state', 'present'), 'share_with': share, 'files': files, 'resolver': resolver,
            'sysctls': sysctls(params.get('sysctls') or {}), 'owner': owner, 'adopt': bool(params.get('adopt')), 'hosts': hosts}


def wants_host_gateway(want):
    """Whether the namespace's hosts entries name host-gateway (then its network's documents are read)."""
    return any(ip == _host_gateway.HOST_GATEWAY for dummy, ip, dummy2 in want.get('hosts') or ())


def host_entries(value):
    """The hosts option, in any accepted form, as (option path, ip, [names]) in file order."""
    if isinstance(value, dict):
        return [_dict_entry(key, value[key]) for key in sorted(value, key=str)]
    if not isinstance(value, list):
        raise _validate.InputError('hosts', value, 'must be a list of {ip, names} or a dict')
    out = []
    for i, entry in enumerate(value):
        option = 'hosts[%d]' % i
        if not isinstance(entry, dict) or set(entry) - {'ip', 'names'} or 'ip' not in entry or 'names' not in entry:
            raise _validate.InputError(option, entry, 'must be a dict with exactly the keys ip and names')
        names = entry['names']
        names = [names] if isinstance(names, str) else names
        if not isinstance(names, list):
            raise _validate.InputError(option + '.names', entry['names'], 'must be a name or a list of names')
        out.append((option, entry['ip'], names))
    return out


def _dict_entry(key, item):
    """One entry of the dict form: an IP mapped to its names, or a name mapped to its IP."""
    if _looks_like_ip(key):
        names = [item] if isinstance(item, str) else item
        return ('hosts[%s]' % key, key, list(names) if isinstance(names, (list, tuple)) else names)
    return ('hosts[%s]' % key, item, [key])


def _looks_like_ip(text):
    return bool(re.match(r'^[0-9.]+$', str(text))) or ':' in str(text)


def host_lines(value):
    """The hosts option checked: [(option, ip or 'host-gateway', [names])] in file order."""
    out = []
    for option, ip, names in host_entries(value):
        if ip != _host_gateway.HOST_GATEWAY:
            ip = str(_dns.host_ip(ip, option + '.ip'))
        if not names:
            raise _validate.InputError(option + '.names', names, 'needs at least one name')
        for host_name in names:
            _validate.alias(host_name, option + '.names')
        out.append((option, ip, list(names)))
    return out


def hosts_file(value, name=None, gateways=()):
    """The hosts file of the hosts option ``value``: the localhost lines, then one line per entry; a host-gateway entry
    gives a line for each of ``gateways`` (_host_gateway: the host's addresses on the network of namespace ``name``)."""
    return hosts_text(host_lines(value), name, gateways)


def hosts_text(entries, name, gateways):
    """hosts_file of the checked entries (host_lines)."""
    lines = [_netns.LOCALHOST_HOSTS]
    for option, ip, names in entries:
        ips = _host_gateway.resolve(option + '.ip', name, gateways) if ip == _host_gateway.HOST_GATEWAY else [ip]
        lines.extend('%s\t%s\n' % (one, ' '.join(names)) for one in ips)
    return ''.join(lines)


def resolv_conf(servers, search):
    text = ''
    if search:
        for domain in search:
            _validate.validate_domain(domain, 'dns_search')
        text += 'search %s\n' % ' '.join(search)
    for i, server in enumerate(servers):
        text += 'nameserver %s\n' % _dns.host_ip(server, 'dns[%d]' % i)
    return text


def sysctls(value):
    """{key: value as the kernel shows it}: booleans as 1/0, whitespace folded; only net.* keys."""
    out = {}
    for key, item in value.items():
        _validate.netns_sysctl(key)
        if isinstance(item, bool):
            out[key] = '1' if item else '0'
        else:
            out[key] = ' '.join(str(item).split())
    return out


# -- snapshot: the host, read once ------------------------------------------------------------------------
def snapshot(ns, want):
    """What the planner compares, read from the host (see the module doc for the keys)."""
    return snapshots(ns, [want])[0]


def snapshots(ns, wants):
    """The snapshot of each of ``wants`` in one pass: the network documents and the host's resolv.conf read once (when
    a namespace asks for name servers), the existing namespaces' sockets opened together (Namespaces.open_many)."""
    names = any(want.get('resolver') for want in wants)
    gateways = any(wants_host_gateway(want) for want in wants)
    common = {'networks': _store.load_all(_network.KIND) if names or gateways else {},
              'host_resolv': _dns.read_host_resolv() if names else None}
    snaps = [_read_files_and_record(want, common) for want in wants]
    for want, snap in zip(wants, snaps):
        if wants_host_gateway(want):
            snap['host_gateways'] = _host_gateway.addresses(common['networks'], want['share_with'] or want['name'])
    ns.open_many([want['name'] for want, snap in zip(wants, snaps) if snap['exists'] and want['state'] == 'present'], listed=True)
    for want, snap in zip(wants, snaps):
        _read_kernel(ns, want, snap)
    return snaps


def _read_files_and_record(want, common):
    name = want['name']
    exists = _netns.netns_exists(name)
    resolver = want.get('resolver')
    return {'exists': exists, 'stale': not exists and os.path.lexists(_netns.netns_path(name)),
            'etc_dir': os.path.isdir(_netns.etc_dir(name)), 'files': _netns.read_files(name), 'lo_up': False,
            'sysctls': {}, 'missing_sysctls': [], 'record': _store.load(_netns_record.KIND, name),
            'networks': common['networks'] if resolver else {}, 'host_resolv': common['host_resolv'] if resolver else None}


def _read_kernel(ns, want, snap):
    """The namespace's sysctls, lo and the namespace it shares, into ``snap``."""
    name, share, exists = want['name'], want['share_with'], snap['exists']
    where = name if exists else None  # a new namespace starts with the host's net.* sysctls
    for key in want['sysctls']:
        if not _sysctl.sysctl_exists(ns, where, key):
            snap['missing_sysctls'].append(key)
        elif exists:
            snap['sysctls'][key] = _sysctl.read_sysctl(ns, name, key)
    if share is not None:
        snap['share_exists'] = _netns.netns_exists(share)
        snap['same_stack'] = exists and snap['share_exists'] and _netns.netns_identity(name) == _netns.netns_identity(share)
    if exists and want['state'] == 'present':
        snap['lo_up'] = bool((ns.chan(name).link('lo') or {}).get('up'))


def interfaces(chan):
    """The namespace's interfaces with their IPv4 addresses, in ifindex order (two dumps)."""
    addresses = chan.addresses()
    return [{'name': link['ifname'], 'mac': link['mac'], 'mtu': link['mtu'], 'up': link['up'],
             'addresses': addresses.get(link['index'], [])} for link in sorted(chan.links(), key=lambda i: i['index'])]


def interfaces_of(ns, names):
    """{name: interfaces} of the namespaces of ``names`` that exist, their sockets opened in one pass."""
    there = [name for name in names if _netns.netns_exists(name)]
    ns.open_many(there, listed=True)  # just found: not looked up again
    return {name: interfaces(ns.chan(name)) for name in there}


# -- the planner: (wanted, snapshot) -> (plan, before, after), nothing read, nothing changed ----------------
# A namespace's steps by phase: its record before it is created, then it is created (a new one, or a second name of
# one: container mode), then lo, its files and sysctls, its removal (the namespace and /etc/netns/NAME), and last the
# record of a namespace that was there (or the record's removal).  The list form runs each phase of every namespace
# before the next phase, so the records and the new namespaces go in one pass (RecordBatch, CreateBatch), and the
# removals, which cannot be undone, come after every step that can: a failure before them leaves the host as it was.
# One namespace's steps come in the same order either way, and the list order is kept where it matters (a
# share_with names a namespace that exists, or that an earlier item creates: see in_list_order).
PHASES = ('claim', 'create', 'share', 'lo', 'files', 'sysctls', 'remove', 'record')


def plan(want, snap, changes):
    """The steps that make the host match ``want``; ``changes`` (see Changes) is what the steps call when run.

    A namespace that exists without a record (``snap['record']``) is the user's: it is never removed, and it is
    used as it is when nothing would change in it; anything else is refused naming it (``adopt`` takes it over)."""
    phases, before, after = _phases(want, snap, changes, Batches(changes))
    return _joined([phases]), before, after


def _joined(items):
    """One Plan of the phases of ``items``: each phase of every item before the next phase."""
    steps = _plan.Plan()
    for phase in PHASES:
        for phases in items:
            steps.steps.extend(phases[phase].steps)
    return steps


def _phases(want, snap, changes, batches):
    """({phase: Plan}, before, after) of one namespace."""
    _check(want, snap)
    phases = {phase: _plan.Plan() for phase in PHASES}
    name = want['name']
    record = snap.get('record')
    foreign = snap['exists'] and record is None and not want['adopt']
    before = {'name': name, 'files': snap['files'], 'sysctls': snap['sysctls']} if snap['exists'] else None
    if want['state'] == 'absent':
        if foreign:
            raise _foreign(name, 'remove it')
        _plan_absent(phases, name, snap, changes, batches.records)
        return phases, before, None
    if not snap['exists']:
        _plan_record(phases['claim'], want, record, changes, batches.records)
        _plan_create(phases, want, changes, batches.creates)
    if not snap['lo_up']:
        phases['lo'].add('set lo up in %s' % name, lambda: changes.set_up(name, 'lo'))
    files = _plan_files(phases['files'], name, wanted_files(want, snap), snap, changes)
    _plan_sysctls(phases['sysctls'], name, want['sysctls'], snap['sysctls'], changes)
    if foreign and any(phases.values()):
        raise _foreign(name, 'change it (%s)' % '; '.join(_joined([phases]).commands))
    if snap['exists'] and not foreign:
        _plan_record(phases['record'], want, record, changes, batches.records)
    return phases, before, {'name': name, 'files': files, 'sysctls': dict(snap['sysctls'], **want['sysctls'])}


def _plan_create(phases, want, changes, creates):
    """A new namespace, in the CreateBatch ``creates``; or the second name of a namespace (container mode), on its own
    once the new ones are there."""
    name, share = want['name'], want['share_with']
    if share:
        phases['share'].add('create network namespace %s sharing %s' % (name, share), lambda: changes.create(name, share),
                            lambda: changes.remove(name))
    else:
        phases['create'].add('create network namespace %s' % name, name, lambda: changes.remove(name), batch=creates)


def wanted_files(want, snap):
    """The namespace's files: resolv.conf from its own dns/dns_search and the networks serving names it is on (the
    same function the network planner calls, so the two never disagree: _dns.resolv_text)."""
    files = dict(want['files'])
    if want.get('hosts') is not None:
        files['hosts'] = hosts_text(want['hosts'], want['name'], snap.get('host_gateways') or ())
    resolver = want.get('resolver')
    if resolver is not None:
        files['resolv.conf'] = _dns.resolv_text(want['name'], snap.get('networks') or {}, resolver['dns'], resolver['dns_search'],
                                                snap.get('host_resolv'))
    return files


def _foreign(name, what):
    return _validate.InputError('name', name, 'network namespace %s was not created by hostnet.containers (no record in %s); '
                                'it is left alone: refusing to %s. Set adopt: true to hand it to the collection'
                                % (name, os.path.join(_store.STATE_DIR, _netns_record.KIND), what))


def claimed_record(want, record):
    """``record`` (None: a new one) naming the netns module as a holder, with the sysctls it set, the owner label, and
    its dns/dns_search when given (the network planner writes resolv.conf from them)."""
    new = _netns_record.with_claim(record, want['name'], _netns_record.BY_NETNS, share_with=want['share_with'],
                                   sysctls=want['sysctls'], owner=want['owner'])
    if want.get('resolver') is not None:
        new = dict(new, **want['resolver'])
    return new


def _plan_record(steps, want, record, changes, records):
    """The record (claimed_record), in the RecordBatch ``records``: written before the namespace is created."""
    name = want['name']
    new = claimed_record(want, record)
    if new != record:
        steps.add('record network namespace %s (netns%s)' % (name, ', owner %s' % want['owner'] if want['owner'] else ''),
                  (name, new, record), lambda: changes.save_record(name, record), batch=records)


def _check(want, snap):
    """Refuse, before any step, what the host makes impossible."""
    for key in snap['missing_sysctls']:
        where = ' inside network namespace %s' % want['name'] if snap['exists'] else ''
        raise _validate.InputError('sysctls', key, 'no such sysctl%s on this kernel' % where)
    share = want['share_with']
    if share is None or want['state'] == 'absent':
        return
    if not snap['share_exists']:
        raise _validate.InputError('share_with', share, 'network namespace %s does not exist (no %s)' % (share, _netns.netns_path(share)))
    if snap['exists'] and not snap['same_stack']:
        raise _validate.InputError('share_with', share, 'namespace %s already exists and is a different namespace; remove it first'
                                   % want['name'])


def _plan_absent(phases, name, snap, changes, records):
    steps = phases['remove']
    if snap['exists']:
        steps.add('remove network namespace %s' % name, lambda: changes.remove(name))
    elif snap['stale']:
        steps.add('remove stale %s (not a mounted namespace)' % _netns.netns_path(name), lambda: changes.remove_stale(name))
    if snap['etc_dir']:
        steps.add('remove %s' % _netns.etc_dir(name), lambda: changes.remove_etc_dir(name))
    record = snap.get('record')
    if record is not None:
        # Last: while the record is there, a rerun of a run killed part-way finds the namespace is ours.
        phases['record'].add('remove record of network namespace %s' % name, (name, None, record),
                             lambda: changes.save_record(name, record), batch=records)


def _plan_files(steps, name, wanted_files, snap, changes):
    """Steps writing the files that differ; the files as they will be."""
    current = snap['files']
    files = dict(wanted_files)
    if 'hosts' in files and current.get('hosts'):
        # Names of containers on shared networks belong to docker_bridge: keep its block as it is.
        files['hosts'] = _netns.hosts_with_block(files['hosts'], _netns.hosts_block(current['hosts']))
    changed = [fname for fname in sorted(files) if current.get(fname) != files[fname]]
    if changed and not snap['etc_dir']:
        steps.add('create %s' % _netns.etc_dir(name), lambda: changes.make_etc_dir(name), lambda: changes.remove_etc_dir(name))
    for fname in changed:
        old, new = current.get(fname), files[fname]
        steps.add('write %s' % os.path.join(_netns.etc_dir(name), fname),
                  lambda fname=fname, new=new: changes.write_file(name, fname, new),
                  lambda fname=fname, old=old: changes.write_file(name, fname, old))
    return dict(current, **files)


def _plan_sysctls(steps, name, wanted_sysctls, current, changes):
    for key, value in sorted(wanted_sysctls.items()):
        old = current.get(key)
        if old != value:
            steps.add('set sysctl %s=%s in %s' % (key, value, name),
                      lambda key=key, value=value: changes.write_sysctl(name, key, value),
                      (lambda key=key, old=old: changes.write_sysctl(name, key, old)) if old is not None else None)


# -- the list form: many namespaces, validated and planned against one snapshot, then applied in list order ---------
def wanted_many(items, option='namespaces'):
    """``wanted`` of each item of the list option ``option``: an InputError names OPTION[INDEX].SUBOPTION, and a name
    listed twice names both indexes."""
    wants, seen = [], {}
    for i, params in enumerate(items):
        try:
            want = wanted(params)
        except _validate.InputError as exc:
            raise _validate.indexed(exc, option, i) from None
        _validate.listed_once(seen, want['name'], option, i, 'namespace')
        wants.append(want)
    return wants


def owned_unlisted(wants, root=None):
    """The namespaces recorded with an owner label of ``wants`` that ``wants`` do not name (a role's containers it no
    longer lists: what hostnet.containers.gc with that owner removes); None when no item has an owner."""
    owners = {want['owner'] for want in wants if want['owner']}
    if not owners:
        return None
    listed = {want['name'] for want in wants}
    return sorted(name for name, record in _store.load_all(_netns_record.KIND, root).items()
                  if (record or {}).get('owner') in owners and name not in listed)


def plan_many(wants, snaps, changes, option='namespaces'):
    """(plan, items) of the namespaces ``wants`` from their snapshots (``snapshots``): every item planned before any
    step runs (a refusal of any item raises, naming it, and nothing is changed), each phase of every item before the
    next phase (see PHASES).  ``items``: per namespace, in list order, its ``netns``, ``changed``, ``commands``,
    ``before`` and ``after``."""
    batches = Batches(changes)
    planned, items = [], []
    for i, (want, snap) in enumerate(zip(wants, in_list_order(wants, snaps, option))):
        try:
            phases, before, after = _phases(want, snap, changes, batches)
        except _validate.InputError as exc:
            raise _validate.indexed(exc, option, i) from None
        commands = _joined([phases]).commands
        planned.append(phases)
        items.append({'netns': want['name'], 'changed': bool(commands), 'commands': commands, 'before': before, 'after': after})
    return _joined(planned), items


def in_list_order(wants, snaps, option='namespaces'):
    """Each snapshot as the items before it leave the host: a share_with may name a namespace an earlier item creates,
    and not one an earlier item removes or a later one creates (the items apply in list order)."""
    made, gone, out = set(), set(), []
    listed = {want['name']: i for i, want in enumerate(wants) if want['state'] == 'present'}
    for i, (want, snap) in enumerate(zip(wants, snaps)):
        share = want['share_with']
        if share is not None and want['state'] == 'present':
            if share in made or share in gone:
                snap = dict(snap, share_exists=share in made, same_stack=False)
            elif not snap['share_exists'] and listed.get(share, -1) > i:
                raise _validate.InputError('%s[%d].share_with' % (option, i), share, 'network namespace %s is made by %s[%d], '
                                           'listed after this item: the items apply in list order, list it first'
                                           % (share, option, listed[share]))
        if snap['exists'] != (want['state'] == 'present'):
            (gone if snap['exists'] else made).add(want['name'])
        out.append(snap)
    return out


class Batches:
    """The batches of one plan: every record in one write (_netns_record.save_all), every new namespace in one pass
    (_netns.Namespaces.create_many)."""

    def __init__(self, changes):
        self.records = RecordBatch(changes)
        self.creates = CreateBatch(changes)


class RecordBatch(_plan.Batch):
    """Record steps run together (see _plan.Batch): a step's ``do`` is (name, record, old record), None removes it; all
    or nothing (a failure puts back the records already written)."""

    def __init__(self, changes):
        self.changes = changes

    def run(self, steps):
        try:
            self.changes.save_records({step.do[0]: step.do[1] for step in steps}, {step.do[0]: step.do[2] for step in steps})
        except Exception as exc:  # pylint: disable=broad-exception-caught
            raise _plan.BatchFailed(steps[0], exc, []) from exc


class CreateBatch(_plan.Batch):
    """Steps creating namespaces run together: a step's ``do`` is the name.  A failure leaves the namespaces made
    before it, whose steps' undo removes them."""

    def __init__(self, changes):
        self.changes = changes

    def run(self, steps):
        names = [step.do for step in steps]
        try:
            self.changes.create_many(names)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            failed = getattr(exc, 'netns', None)
            index = names.index(failed) if failed in names else 0
            reason = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
            raise _plan.BatchFailed(steps[index], reason, steps[:index]) from exc


class Changes:
    """What the netns plan's steps do to the host, in the run's Namespaces ``ns``."""

    def __init__(self, ns):
        self.ns = ns
        self.links = _kernel.Links(ns)

    @staticmethod
    def create(name, share_with):
        _netns.create_netns(name, share_with)

    def remove(self, name):
        self.ns.forget(name)
        _netns.remove_netns(name)

    @staticmethod
    def remove_stale(name):
        _netns.remove_netns(name)

    def set_up(self, name, ifname):
        self.links.set(name, ifname, up=True)

    @staticmethod
    def make_etc_dir(name):
        _netns.make_etc_dir(name)

    @staticmethod
    def remove_etc_dir(name):
        _netns.remove_etc_dir(name)

    @staticmethod
    def write_file(name, fname, content):
        _netns.write_file(name, fname, content)

    def create_many(self, names):
        self.ns.create_many(names)

    @staticmethod
    def save_record(name, record):
        _netns_record.save(name, record)

    @staticmethod
    def save_records(records, old):
        _netns_record.save_all(records, old)

    def write_sysctl(self, name, key, value):
        _sysctl.write_sysctl(self.ns, name, key, value)
