#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: gc
short_description: Find and remove state the collection leaked (namespaces, veths, rules, store entries, folders, name servers)
version_added: 0.3.0
description:
  - Compares C(/var/lib/hostnet) with the kernel and removes what the collection made that nothing holds any more.
  - "Namespaces: a recorded namespace (C(/var/lib/hostnet/netns)) that a network module created implicitly and that
    no network has an endpoint in any more (its network was removed without taking it, or a run was killed).
    Namespaces the netns module was asked for are kept. A namespace without a record is the user's and never a leak."
  - "Veths: a host end named as a recorded endpoint's (a network document's C(veth)) whose peer is not in the
    endpoint's namespace. A link the store does not name is never touched."
  - "Firewall: the collection's rule set is recomputed from the network and NAT documents and replaced, so rules of
    networks that are gone (or of dropped endpoints) go."
  - "Store entries whose kernel object vanished: an endpoint whose namespace is gone is dropped from its network
    (its address is free again, its names leave the other containers' hosts files) when the namespace has no record;
    when it has one, and for a network whose bridge or parent is gone, the entry is reported with the module to
    re-run, and kept (the restore at boot rebuilds it)."
  - "Folders: empty folders of the store, C(/etc/netns/NAME) folders left empty of namespaces the collection made
    that are gone, and C(/etc/netns) when the collection created it and it is empty. Files are never removed but
    the collection's own files of a namespace it removes (C(hosts), C(resolv.conf), C(hostname))."
  - "Name servers: a C(/run/hostnet/dns/NET) folder (the runtime files of network NET's name server) of a network
    that has no document. Its server is stopped when it is the collection's (the process in its pid file is a
    dnsmasq started with that folder's conf file; any other process is never signalled), then the folder is removed."
  - "IPv6 loopback proxies: a C(/run/hostnet/proxy/NET-PORT) folder (the runtime files of the proxy answering
    C([::1]:PORT)) whose network has no document or no longer publishes that TCP port on C([::]) or C([::1]). Its
    proxy is stopped when it is the collection's (the process in its pid file has C(HOSTNET_PROXY=NET-PORT) in its
    environment), then the folder is removed."
  - "DHCP clients: a C(/run/hostnet/dhcp/NET:CONTAINER) folder or a C(/var/lib/hostnet/dhcp/NET:CONTAINER.json) lease
    record of an endpoint that no network with O(hostnet.containers.macvlan_net#module:ipam_driver=dhcp) has. Its
    client is stopped when it is the collection's (the process in its pid file has C(HOSTNET_DHCP=NET:CONTAINER) in its
    environment), which releases the lease, then its files are removed."
  - With O(owner), only the namespaces recorded with that owner label and not in O(keep) are removed, with their
    endpoints in every network, their names and their rules (the roles' C(remove_unlisted)).
  - Check mode lists what would be removed and touches nothing; a second run finds nothing to do.
author:
  - hostnet.containers contributors (@hostnet)
options:
  owner:
    description:
      - Only remove the namespaces recorded with this owner label (O(hostnet.containers.netns#module:owner)) that
        are not in O(keep), and what goes with them. Other leaks are left for a run without O(owner).
    type: str
  keep:
    description: With O(owner), the names of that owner's namespaces to keep (the containers it still lists).
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - hostnet.containers._common
  - hostnet.containers._common.engine
'''

EXAMPLES = r'''
- name: What would be removed (nothing changes)
  hostnet.containers.gc:
  check_mode: true
  register: leaks

- name: Remove leaked namespaces, veths, rules, store entries, empty folders and name servers
  hostnet.containers.gc:

- name: Remove the containers the bridge_network role made that it no longer lists
  hostnet.containers.gc:
    owner: bridge_network
    keep: [web01, db01]
'''

RETURN = r'''
leaks:
  description:
    - "Every leak found, in the order removed: C(kind) (C(netns), C(veth), C(endpoint), C(network), C(firewall),
      C(directory), C(dns), C(proxy), C(dhcp)), C(name), C(why), and C(action) (C(remove), or C(report) for what is kept and must be rebuilt
      by re-running the module named in C(why))."
  returned: always
  type: list
  elements: dict
  sample: [{"kind": "netns", "name": "c1", "why": "created for network:frontend; no network has an endpoint in it",
            "action": "remove"}]
removed:
  description: The leaks with C(action=remove) (in check mode, those that would be removed).
  returned: always
  type: list
  elements: dict
reported:
  description: The leaks that are kept and reported (C(action=report)).
  returned: always
  type: list
  elements: dict
before:
  description: The network documents before the run.
  returned: always
  type: dict
after:
  description: The network documents as the run leaves them (in check mode, as a real run would).
  returned: always
  type: dict
commands:
  description: Every removal and rewrite, in order (in check mode, what a real run would do).
  type: list
  returned: always
  elements: str
  sample: ["remove network namespace c1 (created for network:frontend; no network has an endpoint in it)"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _gc
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def run(module):
    owner, keep = module.params['owner'], module.params['keep'] or []
    if owner is not None:
        _validate.namespace_name(owner, 'owner')
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        snap = _gc.snapshot(ns)
        leaks = _gc.find_leaks(snap, owner, keep)
        changes = _gc.Changes(ns)
        plan, after = _gc.plan(snap, leaks, changes)
        for backend in sorted(changes.firewall):
            leaks.append(_gc.leak('firewall', backend, 'rules differ from what the networks in the store need '
                                                       '(rules of networks or endpoints that are gone)'))
        result = _common.plan_result(module, plan, snap['networks'], after, leaks=leaks, firewall=changes.firewall,
                                     removed=[item for item in leaks if item['action'] == _gc.REMOVE],
                                     reported=[item for item in leaks if item['action'] == _gc.REPORT])
        _common.apply_plan(module, plan, result)
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=dict(owner=dict(type='str'), keep=dict(type='list', elements='str', default=[])),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
