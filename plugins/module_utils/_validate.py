# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Validation of user input, one set for modules, filters and roles.

Every bad value raises InputError, whose text names the option and the value and says what is wrong, so the same
mistake gets the same message whichever door it comes in.
"""

from __future__ import annotations

import re

# IFNAMSIZ is 16 including the terminating NUL.
IFNAME_MAX_BYTES = 15


def show(value):
    """Render a value for an error message: strings quoted, containers recursively."""
    if isinstance(value, dict):
        return '{%s}' % ', '.join('%s: %s' % (show(k), show(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return '[%s]' % ', '.join(show(v) for v in value)
    if value is None:
        return 'null'
    if isinstance(value, (bool, int, float)):
        return str(value)
    return "'%s'" % (value,)


class InputError(ValueError):
    """A bad input: names the option and the value, and says what is wrong."""

    def __init__(self, option, value, message):
        self.option = option
        self.value = value
        self.message = message
        super().__init__('%s %s: %s' % (option, show(value), message))


def validate_ifname(value, option='ifname'):
    """Validate a Linux interface name as the kernel's dev_valid_name() does; return it."""
    if not isinstance(value, str) or not value:
        raise InputError(option, value, 'interface names must be non-empty strings')
    if len(value.encode('utf-8')) > IFNAME_MAX_BYTES:
        raise InputError(option, value, 'interface names are limited to %d bytes' % IFNAME_MAX_BYTES)
    if value in ('.', '..'):
        raise InputError(option, value, "'.' and '..' are not valid interface names")
    for char in value:
        if char in '/:\0' or char.isspace():
            raise InputError(option, value, "interface names cannot contain '/', ':' or whitespace")
    return value


_HOSTNAME_RE = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*$')


_DOMAIN_RE = re.compile(r'^[A-Za-z0-9_.-]+$')


def validate_hostname(value, option='hostname'):
    """A container's host name (RFC 1123 labels); return it."""
    if not isinstance(value, str) or not _HOSTNAME_RE.match(value):
        raise InputError(option, value, 'is not a valid host name')
    return value


def validate_domain(value, option='dns_search'):
    """A search domain for resolv.conf; return it."""
    if not isinstance(value, str) or not _DOMAIN_RE.match(value):
        raise InputError(option, value, 'is not a valid domain')
    return value


# Docker's network names: a letter or digit, then letters, digits, '_', '.' or '-' (also this network's state file name).
NETWORK_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


def check_network_name(name, driver):
    """Fail (InputError naming the option and value) on a name Docker would refuse or that is Docker's own."""
    if not isinstance(name, str) or not NETWORK_NAME_RE.match(name) or name in ('host', 'none'):
        raise InputError('name', name, "is not a valid network name (1-64 letters, digits, '_', '.' or '-', starting "
                         "with a letter or digit; 'host' and 'none' are Docker's, not %s networks)" % driver)
