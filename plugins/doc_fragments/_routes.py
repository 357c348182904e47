# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # A network's extra routes and no_default_route (docker_bridge, macvlan_net, overlay_net; _routes.py).
    DOCUMENTATION = r'''
options:
  routes:
    description:
      - Extra routes installed in every container of the network (podman's C(--route)), through the container's
        interface on this network; the network's document keeps them, and a change of the list adds and removes only
        these routes.
      - IPv4 and IPv6 alike; an IPv6 destination needs the network's IPv6 (O(enable_ipv6)) and an IPv6 gateway, or none.
    type: list
    elements: dict
    suboptions:
      destination:
        description: The destination, a CIDR (V(192.168.50.0/24), V(fd00:50::/64)); not the default route (V(0.0.0.0/0)), which the election gives.
        type: str
        required: true
      gateway:
        description:
          - The next hop, an address inside the network's subnet of the destination's family.
          - Omitted, the route is on-link (C(ip route add DST dev IF)).
        type: str
      metric:
        description: The route's metric, 1 to 4294967295.
        type: int
        default: 100
  no_default_route:
    description:
      - The network gives its containers no default route (podman's C(no_default_route)), IPv4 or IPv6; its subnet and its
        O(routes) are still reached through it. A container on a second network takes its default route from that one.
    type: bool
    default: false
'''
