# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The names earlier versions wrote into /etc/netns/NAME/hosts (a managed block per container on a network with dns
on), which the networks' name servers replaced (_dns): what is left is taking that block out.  The network planner
does it for the containers whose resolver it changes (_dns.Planner.plan_resolver); gc calls ``plan_names`` for the
containers of the networks it touches.
"""

from __future__ import annotations

import os

from ansible_collections.hostnet.containers.plugins.module_utils import _netns


def plan_names(plan, old_networks, new_networks, etc_dir=_netns.ETC_NETNS):
    """Steps removing the managed block of /etc/netns/C/hosts of every container of the networks (the file goes
    when it only held localhost and our names: it was ours)."""
    containers = set()
    for doc in list(old_networks.values()) + list(new_networks.values()):
        containers.update((doc or {}).get('endpoints') or {})
    for cname in sorted(containers):
        path = os.path.join(etc_dir, cname, 'hosts')
        try:
            with open(path) as f:
                old = f.read()
        except OSError:
            continue
        if not _netns.hosts_block(old):
            continue
        new = _netns.hosts_with_block(old, '')
        new = None if new == _netns.LOCALHOST_HOSTS else new
        plan.add('remove container names from %s' % path, lambda path=path, new=new: _netns._write_text(path, new),
                 lambda path=path, old=old: _netns._write_text(path, old))
