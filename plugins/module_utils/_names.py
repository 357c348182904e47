# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Name resolution between containers: which names (container names and aliases) each container sees, from every
network on the host, and the plan that writes them to /etc/netns/NAME/hosts.
"""

from __future__ import annotations

import os

from ansible_collections.hostnet.containers.plugins.module_utils import _netns


def names_by_container(networks):
    """{container: block text} for every container on a network with dns on: the other endpoints' names and
    aliases (and its own), as Docker's embedded DNS answers them on user-defined networks."""
    entries = {}
    for dummy, doc in sorted(networks.items()):
        if not doc or not doc.get('dns') or doc.get('driver', 'bridge') != 'bridge':
            continue
        eps = doc.get('endpoints') or {}
        lines = ['%s\t%s\n' % (ep['ip'], ' '.join([n] + [a for a in ep.get('aliases') or [] if a != n]))
                 for n, ep in sorted(eps.items())]
        for cname in eps:
            entries.setdefault(cname, []).extend(line for line in lines if line not in entries.get(cname, []))
    return {c: _netns.HOSTS_BEGIN + ''.join(lines) + _netns.HOSTS_END for c, lines in entries.items()}


def plan_names(plan, old_networks, new_networks, etc_dir=_netns.ETC_NETNS):
    """Steps that bring the managed block of /etc/netns/C/hosts of every affected container up to date."""
    want = names_by_container(new_networks)
    containers = set(want)
    for doc in list(old_networks.values()) + list(new_networks.values()):
        containers.update((doc or {}).get('endpoints') or {})
    for cname in sorted(containers):
        path = os.path.join(etc_dir, cname, 'hosts')
        try:
            with open(path) as f:
                old = f.read()
        except OSError:
            old = None
        block = want.get(cname, '')
        if old is None:
            new = _netns.LOCALHOST_HOSTS + block if block else None
        else:
            new = _netns.hosts_with_block(old, block)
            if not block and new == _netns.LOCALHOST_HOSTS and _netns.hosts_block(old):
                new = None  # the file only held localhost and our names: it was ours
        if new == old:
            continue
        what = 'write names of %d containers to' % (block.count('\n') - 2) if block else 'remove container names from'
        plan.add('%s %s' % (what, path), lambda path=path, new=new: _netns._write_text(path, new),
                 lambda path=path, old=old: _netns._write_text(path, old))
