#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: network_info
short_description: Managed networks in docker network inspect shape
version_added: 0.2.0
description:
  - Returns every network managed by the collection on the host (or one, by O(name)) the way
    C(docker network inspect) shows it, and C(docker network ls) style names.
  - O(query) filters the result with a JMESPath expression, like C(docker ... --format).
  - A network with IPv6 shows it as Docker does, C(EnableIPv6), a second C(IPAM.Config) entry (after the IPv4 one;
    the only one of an IPv6-only network, whose C(EnableIPv4) is V(false)), each container's C(IPv6Address) as
    C(address/prefix) (an empty string without one), and C(com.docker.network.bridge.gateway_mode_ipv6) in C(Options)
    when it is not V(nat).
author:
  - hostnet.containers contributors (@hostnet)
options:
  name:
    description:
      - Only this network. When there is none of that name, RV(exists) is V(false) and RV(networks) is empty, as with
        C(community.docker.docker_network_info), so a play can test for it.
    type: str
  query:
    description:
      - JMESPath expression applied to the list of networks; the result is returned as RV(query_result).
      - Needs the C(jmespath) Python library on the managed host (Debian package C(python3-jmespath)).
    type: str
requirements:
  - jmespath on the managed host, only for O(query).
extends_documentation_fragment:
  - hostnet.containers._read_only
'''

EXAMPLES = r'''
- name: Inspect custom_network (docker network inspect custom_network)
  hostnet.containers.network_info:
    name: custom_network
  register: custom

- name: Say whether custom_network exists
  ansible.builtin.debug:
    msg: "custom_network {{ 'exists' if custom.exists else 'does not exist' }}"

- name: List the network names (docker network ls --format Name)
  hostnet.containers.network_info:
    query: "[].Name"
  register: names

- name: Read the address of container app on custom_network
  hostnet.containers.network_info:
    name: custom_network
    query: "[0].Containers.* | [?Name=='app'].IPv4Address | [0]"

- name: Read the IPv6 subnet of a dual-stack network (its IPAM.Config entry with a colon)
  hostnet.containers.network_info:
    name: custom_network
    query: "[0].IPAM.Config[?contains(Subnet, ':')].Subnet | [0]"
'''

RETURN = r'''
exists:
  description:
    - With O(name), whether that network exists; without it, whether the host has any managed network.
  returned: always
  type: bool
  sample: true
networks:
  description: The networks in C(docker network inspect) shape, sorted by name; empty when O(name) names no network.
  returned: always
  type: list
  elements: dict
  sample: [{"Name": "bridge", "Id": "0ceff546...", "Driver": "bridge", "Scope": "local", "EnableIPv4": true, "EnableIPv6": false,
            "IPAM": {"Driver": "default", "Config": [{"Subnet": "172.17.0.0/16", "Gateway": "172.17.0.1"}]},
            "Containers": {"e05b067a...": {"Name": "minos", "EndpointID": "e05b067a...", "MacAddress": "02:42:ac:11:00:02",
                                           "IPv4Address": "172.17.0.2/16", "IPv6Address": ""}}},
           {"Name": "dual", "Id": "7d9a1e02...", "Driver": "bridge", "Scope": "local", "EnableIPv4": true, "EnableIPv6": true,
            "IPAM": {"Driver": "default", "Config": [{"Subnet": "172.18.0.0/16", "Gateway": "172.18.0.1"},
                                                     {"Subnet": "fd6b:1c2e:9a01::/64", "Gateway": "fd6b:1c2e:9a01::1"}]},
            "Containers": {"3f0c9b7d...": {"Name": "web", "EndpointID": "3f0c9b7d...", "MacAddress": "02:42:ac:12:00:02",
                                           "IPv4Address": "172.18.0.2/16", "IPv6Address": "fd6b:1c2e:9a01::2/64"}}}]
query_result:
  description: The result of O(query).
  returned: when query is set
  type: raw
'''

import traceback

# First: the engine's files then compile once, not twice, when Ansible imports them from the module's zip (_zipimport).
from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport  # noqa: F401  pylint: disable=unused-import
from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_service
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _store

try:
    import jmespath
except ImportError:
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None


def main():
    module = AnsibleModule(
        argument_spec=dict(name=dict(type='str'), query=dict(type='str')),
        supports_check_mode=True,
    )
    try:
        docs = _store.load_all(_network.KIND)
    except _store.StoreError as exc:
        module.fail_json(msg=str(exc))
    name = module.params['name']
    if name is not None:
        docs = {name: docs[name]} if name in docs else {}
    networks = [_inspect.inspect(docs[n], _dhcp_service.leases(docs[n])) for n in sorted(docs)]
    result = {'changed': False, 'exists': bool(networks), 'networks': networks}
    if module.params['query'] is not None:
        if not HAS_JMESPATH:
            module.fail_json(msg=missing_required_lib('jmespath'), exception=JMESPATH_IMPORT_ERROR)
        try:
            result['query_result'] = jmespath.search(module.params['query'], networks)
        except jmespath.exceptions.JMESPathError as exc:
            module.fail_json(msg="query '%s': %s" % (module.params['query'], exc))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
