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


class ForeignLinkError(InputError):
    """An object in the way that the collection has no record of creating: refused, never replaced.  ``link`` names it
    (modules return it as ``foreign_link``, so a role can tell this refusal from a bad input)."""

    def __init__(self, option, value, link, message):
        self.link = link
        super().__init__(option, value, message)


def indexed(exc, option, index):
    """An item's InputError with its option named as the list's (hosts[0].ip of item 2 is namespaces[2].hosts[0].ip);
    a refused foreign link stays one, so the run still returns it as ``foreign_link``."""
    name = '%s[%d].%s' % (option, index, exc.option)
    if isinstance(exc, ForeignLinkError):
        return ForeignLinkError(name, exc.value, exc.link, exc.message)
    return InputError(name, exc.value, exc.message)


def left_alone(link, network):
    """What a run says of a bridge the collection did not create (``link``) that it leaves alone, and the network
    ``network`` with it (docker_bridge foreign_bridge leave): its warning, and the start of its refusal of endpoints."""
    return ("%s exists and the collection has no record of creating it (a running Docker's?): it is left alone, and the "
            "network '%s' with it (foreign_bridge leave)" % (link, network))


def listed_once(seen, name, option, index, what):
    """Record in ``seen`` ({name: index}) that item ``index`` of the list option ``option`` names ``name``; a name
    already there is refused, naming both indexes (``what``: the kind of thing each item is)."""
    if name in seen:
        raise InputError('%s[%d].name' % (option, index), name, 'is also %s[%d].name: list each %s once' % (option, seen[name], what))
    seen[name] = index


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


_HOSTNAME_RE = re.compile(r'[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*')


_DOMAIN_RE = re.compile(r'^[A-Za-z0-9_.-]+$')


def validate_hostname(value, option='hostname'):
    """A container's host name (RFC 1123 labels); return it."""
    if not isinstance(value, str) or not _HOSTNAME_RE.fullmatch(value):
        raise InputError(option, value, 'is not a valid host name')
    return value


def validate_domain(value, option='dns_search'):
    """A search domain for resolv.conf; return it."""
    if not isinstance(value, str) or not _DOMAIN_RE.fullmatch(value):
        raise InputError(option, value, 'is not a valid domain')
    return value


# Docker's network names: a letter or digit, then letters, digits, '_', '.' or '-' (also this network's state file name).
NETWORK_NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')


def network_name(value, option='name', driver='bridge'):
    """A network's name, as Docker accepts it; 'host' and 'none' are Docker's own. Return it."""
    if not isinstance(value, str) or not NETWORK_NAME_RE.fullmatch(value) or value in ('host', 'none'):
        raise InputError(option, value, "is not a valid network name (1-64 letters, digits, '_', '.' or '-', starting "
                         "with a letter or digit; 'host' and 'none' are Docker's, not %s networks)" % driver)
    return value


def check_network_name(name, driver):
    """Fail (InputError naming the option and value) on a name Docker would refuse or that is Docker's own."""
    network_name(name, 'name', driver)


# A container is a named network namespace: its name is a file under /run/netns and a directory under /etc/netns,
# so never '/', '.' or '..'; a leading '-' would read as an option to `ip netns exec` and a leading '.' hides the
# file. Docker's container names ([a-zA-Z0-9][a-zA-Z0-9_.-]+) avoid all of that; one character is allowed too (a
# namespace called 'a' is fine), and 64 at most, as the collection always allowed.
NAMESPACE_NAME_RE = NETWORK_NAME_RE  # Docker writes its container and network names with one pattern
_NAME_RULE = "1-64 letters, digits, '_', '.' or '-', starting with a letter or digit, as Docker's container names"


def _name(value, option, noun):
    if not isinstance(value, str) or not NAMESPACE_NAME_RE.fullmatch(value):
        raise InputError(option, value, 'is not a valid %s name (%s)' % (noun, _NAME_RULE))
    return value


def container_name(value, option='name'):
    """A container's name (its network namespace); return it."""
    return _name(value, option, 'container')


def namespace_name(value, option='name'):
    """A network namespace's name, the same rule as container_name, for options that say namespace; return it."""
    return _name(value, option, 'namespace')


def rule_name(value, option='name'):
    """A NAT rule's name (its state file /var/lib/hostnet/nat/NAME.json), the same rule again; return it."""
    return _name(value, option, 'rule')


# The smallest MTU IPv4 allows (RFC 791) and the largest the kernel takes for these devices.
MTU_MIN, MTU_MAX = 68, 65535


def choice(value, option, choices):
    """One of ``choices`` (a role option read by a filter, where no argument spec checked it); returned."""
    if value not in choices:
        raise InputError(option, value, 'must be one of %s' % ', '.join(choices))
    return value


def mtu(value, option='mtu'):
    """An interface MTU, as an int or its decimal text; return the int."""
    number = value
    if isinstance(value, str) and re.fullmatch('[0-9]+', value):
        number = int(value)
    if isinstance(number, bool) or not isinstance(number, int) or not MTU_MIN <= number <= MTU_MAX:
        raise InputError(option, value, 'must be between %d and %d' % (MTU_MIN, MTU_MAX))
    return number


# A name other containers resolve (a network alias, a hosts-file name): dot-separated DNS labels; '_' is allowed
# as resolvers and Docker's embedded DNS accept it.
_LABEL = r'[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?'
_DNS_NAME_RE = re.compile(r'^%s(?:\.%s)*$' % (_LABEL, _LABEL))
DNS_NAME_MAX = 253


def alias(value, option='aliases'):
    """A network alias or hosts-file name: labels of 1-63 letters, digits, '_' or '-' joined by dots; return it."""
    if not isinstance(value, str) or len(value) > DNS_NAME_MAX or not _DNS_NAME_RE.fullmatch(value):
        raise InputError(option, value, "is not a valid host name (dot-separated labels of 1-63 letters, digits, '_' "
                         "or '-', not starting or ending with '-')")
    return value


_MAC_SEP_RE = re.compile(r'^([0-9a-fA-F]{2})([:-])([0-9a-fA-F]{2})(?:\2[0-9a-fA-F]{2}){4}$')
_MAC_DOT_RE = re.compile(r'^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$')
_MAC_BARE_RE = re.compile(r'^[0-9a-fA-F]{12}$')


def gw_priority(value, option='gw_priority'):
    """Docker's --gw-priority as an int: any integer, negative too (a string of one, as a template renders it); None is 0."""
    if value is None:
        return 0
    if isinstance(value, str) and re.match(r'^[+-]?[0-9]+$', value.strip()):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(option, value, 'must be an integer; the highest of a container\'s networks gives its default route (default 0)')
    return value


def mac(value, option='mac'):
    """A unicast MAC (aa:bb:.., aa-bb-.., aabb.ccdd.eeff or 12 hex digits); return it lower-case with colons."""
    if isinstance(value, bool) or value is None:
        raise InputError(option, value, 'expected a MAC address')
    if not isinstance(value, str):
        raise InputError(option, value, 'expected a MAC address as a string')
    if not (_MAC_SEP_RE.fullmatch(value) or _MAC_DOT_RE.fullmatch(value) or _MAC_BARE_RE.fullmatch(value)):
        raise InputError(option, value, 'not a valid MAC address (expected six hex octets like 02:42:ac:11:00:02)')
    digits = re.sub('[:.-]', '', value).lower()
    if int(digits[:2], 16) & 1:
        raise InputError(option, value, 'is a multicast address; an interface needs a unicast MAC (even first octet)')
    if digits == '0' * 12:
        raise InputError(option, value, 'the all-zero MAC cannot be assigned to an interface')
    return ':'.join(digits[i:i + 2] for i in range(0, 12, 2))


_NETNS_SYSCTL_RE = re.compile(r'^net(\.[A-Za-z0-9_-]+)+$')


def netns_sysctl(key, option='sysctls'):
    """A sysctl a network namespace holds of its own: net.*; return it."""
    if not isinstance(key, str) or not _NETNS_SYSCTL_RE.fullmatch(key):
        raise InputError(option, key, 'only net.* sysctls can be set per namespace')
    return key


def interface_names(value, option):
    """A list of host interface names (trusted_host_interfaces), each checked as the kernel would; returned sorted
    without duplicates (their order means nothing to the rules)."""
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise InputError(option, value, 'expected a list of interface names')
    return sorted({validate_ifname(name, option) for name in value})
