#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: netns
short_description: Manage a named network namespace (a container's network stack)
version_added: 0.1.0
description:
  - Creates or removes a named network namespace under C(/run/netns), the way C(ip netns add) does, with C(lo) up.
  - A namespace is what a container's network stack is; C(share_with) gives one namespace a second name,
    which is Docker's C(--network container:NAME) mode.
  - Optionally writes C(/etc/netns/NAME/hosts), C(resolv.conf) and C(hostname), which C(ip netns exec) and the
    C(hostnet.containers.nsenter) connection bind over C(/etc) inside the namespace, and sets C(net.*) sysctls in it.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
options:
  name:
    description:
      - Name of the namespace (the file C(/run/netns/NAME)).
      - Letters, digits, C(.), C(_) and C(-), at most 64 characters.
    type: str
    required: true
  state:
    description:
      - C(present) creates the namespace and applies the other options; C(absent) removes it and C(/etc/netns/NAME).
        Removing a namespace that is already gone is not an error.
      - Removing a namespace destroys the interfaces inside it (a veth's host end goes with it), unless
        another name still refers to it through O(share_with). Removing either name of a shared namespace
        is allowed and removes only that name; the stack lives on under the other one, as a Docker
        container started with C(--network container:NAME) keeps its network when the other exits.
    type: str
    choices: [present, absent]
    default: present
  share_with:
    description:
      - Name of an existing namespace this one is another name for (container mode).
      - Fails if O(name) already exists as a different namespace; remove it first.
    type: str
  hosts:
    description:
      - Entries written to C(/etc/netns/NAME/hosts) after the localhost lines (Docker's C(--add-host)).
        Omit to leave the file alone; an empty list or dict leaves only the localhost lines.
      - "Either a list of C({ip, names}) entries (C(names) a list or a single name), or a dict
        mapping a host name to its IP (V({db01: 172.18.0.3})) or an IP to its names
        (V({172.18.0.3: [db01, db]}))."
      - A list keeps its order; a dict's entries are written sorted by key.
    type: raw
  dns:
    description:
      - Name servers for C(/etc/netns/NAME/resolv.conf). Omit both O(dns) and O(dns_search) to leave the file alone.
    type: list
    elements: str
  dns_search:
    description: Search domains for C(/etc/netns/NAME/resolv.conf).
    type: list
    elements: str
  hostname:
    description: Written to C(/etc/netns/NAME/hostname).
    type: str
  sysctls:
    description:
      - C(net.*) sysctls set inside the namespace, for example C(net.ipv4.ip_unprivileged_port_start).
        Other sysctls are not per namespace and are refused. Booleans are written as C(1)/C(0).
      - Sysctls not listed are left alone; the namespace keeps no record of earlier values.
    type: dict
'''

EXAMPLES = r'''
- name: A container's network stack, with name resolution files
  hostnet.containers.netns:
    name: web01
    hostname: web01
    dns: [10.138.3.2]
    dns_search: [lab.example]
    hosts:
      - ip: 172.18.0.3
        names: [db01]

- name: Extra host entries as a dict (name to IP), like docker run --add-host
  hostnet.containers.netns:
    name: web02
    hosts:
      db01: 172.18.0.3
      cache: 172.18.0.4
    sysctls:
      net.ipv4.ip_unprivileged_port_start: 0

- name: "Container mode: web01-sidecar shares the network stack of web01"
  hostnet.containers.netns:
    name: web01-sidecar
    share_with: web01

- name: Remove a namespace
  hostnet.containers.netns:
    name: web01
    state: absent
'''

RETURN = r'''
netns:
  description: Name of the namespace.
  returned: always
  type: str
  sample: web01
interfaces:
  description:
    - Interfaces inside the namespace with their IPv4 addresses, in ifindex order (empty when absent,
      and in check mode for a namespace that does not exist yet).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "lo", "mac": "00:00:00:00:00:00", "mtu": 65536, "up": true, "addresses": ["127.0.0.1/8"]}]
addresses:
  description: Every IPv4 address inside the namespace (all interfaces, loopback included).
  returned: always
  type: list
  elements: str
  sample: ["127.0.0.1/8", "172.17.0.2/16"]
before:
  description: State before the run (null when the namespace did not exist).
  returned: always
  type: dict
after:
  description: State after the run (null when absent); in check mode, the state a real run would produce.
  returned: always
  type: dict
commands:
  description: The changes made (or, in check mode, that would be made), in order.
  returned: always
  type: list
  elements: str
  sample: ["create network namespace web01", "set lo up in web01"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

import os
import re
import shutil

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


ETC_NETNS = '/etc/netns'
NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')
HOSTNAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$')
LOCALHOST = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'


def host_entries(value):
    """The hosts option, in any accepted form, as (option path, ip, [names]) in file order."""
    out = []
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            item = value[key]
            if _looks_like_ip(key):
                names = [item] if isinstance(item, str) else item
                out.append(('hosts[%s]' % key, key, list(names) if isinstance(names, (list, tuple)) else names))
            else:
                out.append(('hosts[%s]' % key, item, [key]))
        return out
    if not isinstance(value, list):
        raise _validate.InputError('hosts', value, 'must be a list of {ip, names} or a dict')
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


def _looks_like_ip(text):
    return bool(re.match(r'^[0-9.]+$', str(text))) or ':' in str(text)


def _sysctl_value(value):
    if isinstance(value, bool):
        return '1' if value else '0'
    return ' '.join(str(value).split())


def validate(params):
    name = params['name']
    if not NAME_RE.match(name) or name in ('.', '..'):
        raise _validate.InputError('name', name, 'must be 1-64 letters, digits, ".", "_" or "-", not starting with "." or "-"')
    share = params.get('share_with')
    if share is not None:
        if not NAME_RE.match(share):
            raise _validate.InputError('share_with', share, 'is not a valid namespace name')
        if share == name:
            raise _validate.InputError('share_with', share, 'a namespace cannot share with itself')
    files = {}
    if params.get('hosts') is not None:
        lines = [LOCALHOST]
        for option, ip, names in host_entries(params['hosts']):
            ip = _ipam.parse_ip(ip, option + '.ip')
            if not names:
                raise _validate.InputError(option + '.names', names, 'needs at least one name')
            for hn in names:
                if not isinstance(hn, str) or not HOSTNAME_RE.match(hn):
                    raise _validate.InputError(option + '.names', hn, 'is not a valid host name')
            lines.append('%s\t%s\n' % (ip, ' '.join(names)))
        files['hosts'] = ''.join(lines)
    if params.get('dns') is not None or params.get('dns_search') is not None:
        text = ''
        if params.get('dns_search'):
            for dom in params['dns_search']:
                _validate.validate_domain(dom, 'dns_search')
            text += 'search %s\n' % ' '.join(params['dns_search'])
        for i, server in enumerate(params.get('dns') or []):
            text += 'nameserver %s\n' % _ipam.parse_ip(server, 'dns[%d]' % i)
        files['resolv.conf'] = text
    if params.get('hostname') is not None:
        hn = _validate.validate_hostname(params['hostname'], 'hostname')
        files['hostname'] = hn + '\n'
    sysctls = {}
    for key, value in (params.get('sysctls') or {}).items():
        if not re.match(r'^net(\.[A-Za-z0-9_-]+)+$', key) or '..' in key:
            raise _validate.InputError('sysctls', key, 'only net.* sysctls can be set per namespace')
        sysctls[key] = _sysctl_value(value)
    return files, sysctls


def read_files(name):
    out = {}
    for fname in ('hosts', 'resolv.conf', 'hostname'):
        try:
            with open(os.path.join(ETC_NETNS, name, fname)) as f:
                out[fname] = f.read()
        except OSError:
            pass
    return out


def interfaces(ipr):
    out = []
    for info in sorted(_kernel.links(ipr), key=lambda i: i['index']):
        out.append({'name': info['ifname'], 'mac': info['mac'], 'mtu': info['mtu'], 'up': info['up'],
                    'addresses': _kernel.addresses(ipr, info['index'])})
    return out


def write_file(path, content):
    _store.write_atomic(path, content, mode=0o644)


def remove_file(path, folder_created):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    if folder_created:
        try:
            os.rmdir(os.path.dirname(path))
        except OSError:
            pass


class Netns:
    """Plan for one named namespace: wanted (validated params) against what the host has."""

    def __init__(self, module, ns, files, sysctls):
        self.module = module
        self.p = module.params
        self.name = self.p['name']
        self.ns = ns
        self.files = files
        self.sysctls = sysctls
        self.plan = _plan.Plan()
        self.etc_dir = os.path.join(ETC_NETNS, self.name)

    def fail(self, msg):
        self.module.fail_json(msg=msg)

    def current(self):
        if not _netns.netns_exists(self.name):
            return None
        sysctls = {}
        for key in self.sysctls:
            if not _sysctl.sysctl_exists(self.ns, self.name, key):
                self.fail("sysctls '%s': no such sysctl inside network namespace %s on this kernel" % (key, self.name))
            sysctls[key] = _sysctl.read_sysctl(self.ns, self.name, key)
        return {'name': self.name, 'files': read_files(self.name), 'sysctls': sysctls}

    def build(self):
        before = self.current()
        if self.p['state'] == 'absent':
            self._plan_absent(before)
            return before, None
        return before, self._plan_present(before)

    def _plan_absent(self, before):
        name, ns = self.name, self.ns
        path = _netns.netns_path(name)
        if before is not None:
            self.plan.add('remove network namespace %s' % name, lambda: (ns.forget(name), _netns.remove_netns(name)))
        elif os.path.lexists(path):
            self.plan.add('remove stale %s (not a mounted namespace)' % path, lambda: _netns.remove_netns(name))
        if os.path.isdir(self.etc_dir):
            self.plan.add('remove %s' % self.etc_dir, lambda: shutil.rmtree(self.etc_dir))

    def _plan_present(self, before):
        name, ns, p = self.name, self.ns, self.p
        share = p['share_with']
        if share is not None and not _netns.netns_exists(share):
            self.fail("share_with '%s': network namespace %s does not exist (no %s)" % (share, share, _netns.netns_path(share)))
        if before is not None and share is not None and _netns.netns_identity(name) != _netns.netns_identity(share):
            self.fail("share_with '%s': namespace %s already exists and is a different namespace; remove it first" % (share, name))
        if before is None:
            for key in sorted(self.sysctls):
                # A new namespace has the same net.* sysctls as the host's, so check there before touching anything.
                if not _sysctl.sysctl_exists(ns, None, key):
                    self.fail("sysctls '%s': no such sysctl on this kernel" % key)
            self.plan.add('create network namespace %s%s' % (name, ' sharing %s' % share if share else ''),
                          lambda: _netns.create_netns(name, share),
                          lambda: (ns.forget(name), _netns.remove_netns(name)))
        lo = _kernel.link(ns.ipr(name), 'lo') if before is not None else None
        if not (lo or {}).get('up'):
            self.plan.add('set lo up in %s' % name, lambda: _kernel.set_up(ns.ipr(name), _kernel.index_of(ns.ipr(name), 'lo')))
        current = before['files'] if before else {}
        if 'hosts' in self.files and current.get('hosts'):
            # Names of containers on shared networks belong to docker_bridge: keep its block as it is.
            self.files['hosts'] = _netns.hosts_with_block(self.files['hosts'], _netns.hosts_block(current['hosts']))
        folder_exists = os.path.isdir(self.etc_dir)
        changed_files = [f for f in sorted(self.files) if current.get(f) != self.files[f]]
        if changed_files and not folder_exists:
            self.plan.add('create %s' % self.etc_dir, lambda: os.makedirs(self.etc_dir, mode=0o755, exist_ok=True),
                          lambda: shutil.rmtree(self.etc_dir, ignore_errors=True))
        for fname in changed_files:
            path = os.path.join(self.etc_dir, fname)
            old, content = current.get(fname), self.files[fname]
            self.plan.add('write %s' % path, lambda path=path, content=content: write_file(path, content),
                          (lambda path=path, old=old: write_file(path, old)) if old is not None else
                          (lambda path=path: remove_file(path, False)))
        current_sysctls = before['sysctls'] if before else {}
        for key, value in sorted(self.sysctls.items()):
            if current_sysctls.get(key) != value:
                old = current_sysctls.get(key)
                self.plan.add('set sysctl %s=%s in %s' % (key, value, name),
                              lambda key=key, value=value: _sysctl.write_sysctl(ns, name, key, value),
                              (lambda key=key, old=old: _sysctl.write_sysctl(ns, name, key, old)) if old is not None else None)
        merged = dict(current)
        merged.update(self.files)
        return {'name': name, 'files': merged, 'sysctls': dict(current_sysctls, **self.sysctls)}


def run(module):
    p = module.params
    name = p['name']
    try:
        files, sysctls = validate(p)
    except _validate.InputError as exc:
        module.fail_json(msg=str(exc))
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        netns = Netns(module, ns, files, sysctls)
        before, after = netns.build()
        result = _common.plan_result(module, netns.plan, before, after, netns=name, interfaces=[], addresses=[])
        _common.apply_plan(module, netns.plan, result)
        if p['state'] == 'present' and _netns.netns_exists(name):
            result['interfaces'] = interfaces(ns.ipr(name))
            result['addresses'] = [a for i in result['interfaces'] for a in i['addresses']]
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            share_with=dict(type='str'),
            hosts=dict(type='raw'),
            dns=dict(type='list', elements='str'),
            dns_search=dict(type='list', elements='str'),
            hostname=dict(type='str'),
            sysctls=dict(type='dict'),
        ),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
