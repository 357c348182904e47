# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The YAML examples of the documentation, as plays a user could run: read by the docs check (ansible-lint's production
profile) and by tests/integration/test_docs_examples.py (run in emulated hosts).

A page's ```yaml blocks are, in the order they appear:
- a playbook (a list of plays, each with ``hosts``): run as it is;
- a list of tasks: run as one play on the page's hosts;
- the variables of a role (a mapping whose keys all start with ``bridge_network_``, ``macvlan_network_`` or
  ``overlay_network_``): run as a play that applies the role with them;
- an inventory (a mapping with ``all``): not run (it names real machines); the test gives the plays emulated hosts in
  the same groups.
Any other block fails the check: an example a user cannot run as written does not belong in the docs.

The blocks of a page run one after the other on the same hosts, each building on the ones before, unless a block
is preceded by the line ``<!-- example: fresh hosts -->`` (invisible on the rendered page): the blocks from there on
start from hosts that have nothing yet, as a page that shows a second way to the same result does.
"""

from __future__ import annotations

import os
import re
import textwrap

import yaml

# The pages with examples, from the repository's root.
PAGES = ('README.md', 'roles/bridge_network/README.md', 'roles/macvlan_network/README.md', 'roles/lab/README.md',
         'roles/host_requirements/README.md', 'roles/overlay_network/README.md', 'docs/docker-network.md', 'docs/firewall.md',
         'docs/lab.md', 'docs/macvlan.md', 'docs/real-hosts.md', 'docs/overlay.md', 'docs/ipv6.md',
         'docs/experiments/README.md', 'docs/experiments/01-default-bridge.md', 'docs/experiments/02-custom-network.md',
         'docs/experiments/03-isolation-and-connect.md', 'docs/experiments/06-network-modes.md')
# Pages whose examples need what the emulated hosts do not have (a DHCP server on the LAN): the docs check lints them
# with the others (hack/check_docs.py), tests/integration/test_docs_examples.py does not run them.
NOT_RUN = ('docs/dhcp.md',)
ROLE_PREFIXES = {'bridge_network_': 'hostnet.containers.bridge_network', 'macvlan_network_': 'hostnet.containers.macvlan_network',
                 'overlay_network_': 'hostnet.containers.overlay_network'}


class ExampleError(ValueError):
    """A block that is none of the kinds above."""


FRESH = '<!-- example: fresh hosts -->'


def _blocks(root, page):
    """(fresh, text) of each YAML block of one page, in order."""
    with open(os.path.join(root, page)) as f:
        return [(bool(mark), text) for mark, text in
                re.findall(r'^(%s\n)?```yaml\n(.*?)^```' % re.escape(FRESH), f.read(), re.S | re.M)]


def blocks(root, page):
    """The YAML blocks of one page, as text, in order."""
    return [text for dummy, text in _blocks(root, page)]


def segments(root, page):
    """The page's blocks in runs that start from fresh hosts: a list of lists of block texts."""
    out = []
    for fresh, text in _blocks(root, page):
        if fresh or not out:
            out.append([])
        out[-1].append(text)
    return out


def _role_of(mapping):
    for prefix, role in ROLE_PREFIXES.items():
        if mapping and all(str(key).startswith(prefix) for key in mapping):
            return role
    return None


def plays(page, text, hosts='all'):
    """(kind, plays) of one block: kind is playbook, tasks, role_vars or inventory; plays is what to run ([] for an
    inventory)."""
    data = yaml.safe_load(text)
    if isinstance(data, list) and data and all(isinstance(p, dict) and 'hosts' in p for p in data):
        return 'playbook', data
    if isinstance(data, list) and data and all(isinstance(t, dict) and 'name' in t for t in data):
        return 'tasks', [{'name': 'The tasks of %s' % page, 'hosts': hosts, 'gather_facts': False, 'tasks': data}]
    if isinstance(data, dict) and 'all' in data:
        return 'inventory', []
    role = _role_of(data) if isinstance(data, dict) else None
    if role:
        return 'role_vars', [{'name': 'The variables of %s' % page, 'hosts': hosts, 'gather_facts': False,
                              'roles': [{'role': role, 'vars': data}]}]
    raise ExampleError('%s: a YAML block that is neither a playbook, tasks, role variables nor an inventory:\n%s' % (page, text))


def page_playbook(root, page, hosts='all', texts=None):
    """A page's examples (or the blocks ``texts`` of it) as one playbook, in YAML text that keeps each block as the
    page writes it (its comments, layout and indentation), so that a lint of the playbook is a lint of what users
    copy."""
    parts = ['---\n']
    for text in blocks(root, page) if texts is None else texts:
        kind = plays(page, text, hosts)[0]
        if kind == 'playbook':
            parts.append(text)
        elif kind == 'tasks':
            parts.append('- name: The tasks of %s\n  hosts: %s\n  gather_facts: false\n  tasks:\n%s'
                         % (page, hosts, textwrap.indent(text, '    ')))
        elif kind == 'role_vars':
            parts.append('- name: The variables of %s\n  hosts: %s\n  gather_facts: false\n  roles:\n    - role: %s\n      vars:\n%s'
                         % (page, hosts, _role_of(yaml.safe_load(text)), textwrap.indent(text, '        ')))
        if not parts[-1].endswith('\n'):
            parts[-1] += '\n'
    return ''.join(parts)
