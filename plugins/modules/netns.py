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
      - Removing a namespace destroys the interfaces inside it (a veth's host end goes with it), unless
        another name still refers to it through O(share_with).
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
      - Entries written to C(/etc/netns/NAME/hosts) after the localhost lines. Omit to leave the file alone.
    type: list
    elements: dict
    suboptions:
      ip:
        description: IPv4 address.
        type: str
        required: true
      names:
        description: Host names for the address.
        type: list
        elements: str
        required: true
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
  description: Interfaces inside the namespace with their IPv4 addresses (empty when absent).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "lo", "mac": "00:00:00:00:00:00", "mtu": 65536, "up": true, "addresses": ["127.0.0.1/8"]}]
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
from ansible_collections.hostnet.containers.plugins.module_utils import _netlink
from ansible_collections.hostnet.containers.plugins.module_utils import _store

ETC_NETNS = '/etc/netns'
NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$')
LOCALHOST = '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'


def validate(params):
    name = params['name']
    if not NAME_RE.match(name) or name in ('.', '..'):
        raise _ipam.IPAMError('name', name, 'must be 1-64 letters, digits, ".", "_" or "-", not starting with "." or "-"')
    share = params.get('share_with')
    if share is not None:
        if not NAME_RE.match(share):
            raise _ipam.IPAMError('share_with', share, 'is not a valid namespace name')
        if share == name:
            raise _ipam.IPAMError('share_with', share, 'a namespace cannot share with itself')
    files = {}
    if params.get('hosts') is not None:
        lines = [LOCALHOST]
        for i, entry in enumerate(params['hosts']):
            ip = _ipam.parse_ip(entry['ip'], 'hosts[%d].ip' % i)
            for hn in entry['names']:
                if not re.match(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*$', hn or ''):
                    raise _ipam.IPAMError('hosts[%d].names' % i, hn, 'is not a valid host name')
            if not entry['names']:
                raise _ipam.IPAMError('hosts[%d].names' % i, entry['names'], 'needs at least one name')
            lines.append('%s\t%s\n' % (ip, ' '.join(entry['names'])))
        files['hosts'] = ''.join(lines)
    if params.get('dns') is not None or params.get('dns_search') is not None:
        text = ''
        if params.get('dns_search'):
            for dom in params['dns_search']:
                if not re.match(r'^[A-Za-z0-9_.-]+$', dom or ''):
                    raise _ipam.IPAMError('dns_search', dom, 'is not a valid domain')
            text += 'search %s\n' % ' '.join(params['dns_search'])
        for i, server in enumerate(params.get('dns') or []):
            text += 'nameserver %s\n' % _ipam.parse_ip(server, 'dns[%d]' % i)
        files['resolv.conf'] = text
    if params.get('hostname') is not None:
        hn = params['hostname']
        if not re.match(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*$', hn):
            raise _ipam.IPAMError('hostname', hn, 'is not a valid host name')
        files['hostname'] = hn + '\n'
    sysctls = {}
    for key, value in (params.get('sysctls') or {}).items():
        if not re.match(r'^net(\.[A-Za-z0-9_-]+)+$', key) or '..' in key:
            raise _ipam.IPAMError('sysctls', key, 'only net.* sysctls can be set per namespace')
        sysctls[key] = ' '.join(str(value).split())
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
    for info in _netlink.links(ipr):
        out.append({'name': info['ifname'], 'mac': info['mac'], 'mtu': info['mtu'], 'up': info['up'],
                    'addresses': _netlink.addresses(ipr, info['index'])})
    return out


def write_file(path, content):
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(content)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def run(module):
    p = module.params
    name = p['name']
    try:
        files, sysctls = validate(p)
    except _ipam.IPAMError as exc:
        module.fail_json(msg=str(exc))
    plan = _common.Plan()
    ns = _netlink.Namespaces()
    exists = _netlink.netns_exists(name)
    before = None
    if exists:
        before = {'name': name, 'files': read_files(name),
                  'sysctls': {k: _netlink.read_sysctl(ns, name, k) for k in sysctls}}
    after = None
    etc_dir = os.path.join(ETC_NETNS, name)

    if p['state'] == 'absent':
        if exists:
            plan.add('remove network namespace %s' % name, lambda: (ns.forget(name), _netlink.remove_netns(name)))
        if os.path.isdir(etc_dir):
            plan.add('remove %s' % etc_dir, lambda: shutil.rmtree(etc_dir))
    else:
        share = p['share_with']
        if share is not None and not _netlink.netns_exists(share):
            module.fail_json(msg='share_with %r: network namespace %r does not exist' % (share, share))
        if exists and share is not None and _netlink.netns_identity(name) != _netlink.netns_identity(share):
            module.fail_json(msg='share_with %r: namespace %r already exists and is a different namespace; remove it first'
                             % (share, name))
        if not exists:
            plan.add('create network namespace %s%s' % (name, ' sharing %s' % share if share else ''),
                     lambda: _netlink.create_netns(name, share),
                     lambda: (ns.forget(name), _netlink.remove_netns(name)))
        lo_up = exists and (_netlink.link(ns.ipr(name), 'lo') or {}).get('up')
        if not lo_up:
            plan.add('set lo up in %s' % name, lambda: ns.ipr(name).link('set', index=ns.ipr(name).link_lookup(ifname='lo')[0], state='up'))
        current = before['files'] if before else {}
        for fname, content in sorted(files.items()):
            if current.get(fname) != content:
                path = os.path.join(etc_dir, fname)
                old = current.get(fname)
                plan.add('write %s' % path, lambda path=path, content=content: write_file(path, content),
                         (lambda path=path, old=old: write_file(path, old) if old is not None else os.unlink(path)))
        current_sysctls = before['sysctls'] if before else {}
        for key, value in sorted(sysctls.items()):
            if current_sysctls.get(key) != value:
                old = current_sysctls.get(key)
                plan.add('set sysctl %s=%s in %s' % (key, value, name),
                         lambda key=key, value=value: _netlink.write_sysctl(ns, name, key, value),
                         (lambda key=key, old=old: _netlink.write_sysctl(ns, name, key, old)) if old is not None else None)
        merged = dict(current)
        merged.update(files)
        after = {'name': name, 'files': merged, 'sysctls': dict(current_sysctls, **sysctls)}

    result = _common.plan_result(module, plan, before, after, netns=name, interfaces=[])
    _common.apply_plan(module, plan, result, _store.HostLock())
    if p['state'] == 'present' and _netlink.netns_exists(name):
        try:
            result['interfaces'] = interfaces(ns.ipr(name))
        except _netlink.HostnetError:
            pass
    ns.close()
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            share_with=dict(type='str'),
            hosts=dict(type='list', elements='dict', options=dict(
                ip=dict(type='str', required=True),
                names=dict(type='list', elements='str', required=True),
            )),
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
