# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the collection's planning filters (bridge_plan, macvlan_plan, overlay_plan) share on the controller."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import contextmanager

from ansible.errors import AnsibleFilterError

from ansible_collections.hostnet.containers.plugins.module_utils import _validate


class PlanError(AnsibleFilterError):
    """A request that cannot be planned; the message names the variable (and host) at fault."""


def plain(value):
    """Templated data (tagged or lazy values of ansible-core 2.19) as plain dicts, lists and strings."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def requests_from(hostvars, hosts, fact):
    """(hosts as a list, {host: its ``fact``}) for a play-wide filter; a host without the fact is left out (the planner
    names it), a host not in the inventory is an error."""
    if isinstance(hosts, str):
        hosts = [hosts]
    requests = {}
    for host in hosts:
        try:
            variables = hostvars[host]
        except KeyError:
            raise PlanError('host %s is not in the inventory' % host) from None
        request = variables.get(fact) if hasattr(variables, 'get') else None
        if request is not None:
            requests[host] = request
    return list(hosts), requests


def host_request(requests, host, kind, why):
    """The request ``host`` handed in; a host without one fails the plan (``why``: why every host must take part)."""
    request = requests.get(host)
    if not isinstance(request, Mapping):
        raise PlanError('host %s handed in no %s request (was it unreachable, or did it skip the role?); %s' % (host, kind, why))
    return request


@contextmanager
def refused(prefix=''):
    """A bad value found by the shared validators (_validate, _ipam, _ports), as the filter's error: the same text
    the module would give, after ``prefix`` (the host, for a play-wide plan)."""
    try:
        yield
    except _validate.InputError as exc:
        raise PlanError(prefix + str(exc)) from None
