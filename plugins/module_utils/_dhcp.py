# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``ipam_driver: dhcp``: the endpoints of a macvlan network or of an unmanaged bridge network lease their IPv4
address from the LAN's DHCP server (netavark's DHCP proxy, CNI's dhcp IPAM plugin) instead of the collection's pool.

The collection never allocates from such a network: ``subnet`` and ``gateway`` are optional and, when given, bound
what a lease may be.  The endpoint's link is made as on any network, without an address; then its client
(_dhcp_service: busybox udhcpc, one per endpoint, run by systemd or by the collection) leases the address and its
hook applies it.  This module is the planner's part, pure: the option checks (before anything changes), the
network's IPv4 settings, and the steps that start a client (a new endpoint, or one whose client is gone or whose
address went), and stop it (the lease released) before its link goes.
"""

from __future__ import annotations

from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_hook
from ansible_collections.hostnet.containers.plugins.module_utils import _dhcp_service
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

DRIVERS = ('default', 'dhcp')
DEFAULT_TIMEOUT = 30
_SERVER_OWNS = 'the DHCP server gives the addresses of a network with ipam_driver dhcp'


def argument_spec():
    """The options of the network modules that take it (macvlan_net, docker_bridge)."""
    return dict(ipam_driver=dict(type='str', default='default', choices=list(DRIVERS)), dhcp_timeout=dict(type='int', default=DEFAULT_TIMEOUT))


def is_dhcp(doc):
    """Whether a network document (or model options) leases its addresses."""
    return (doc or {}).get('ipam_driver') == 'dhcp'


def wanted(p, stored):
    """Whether the run's network leases its addresses: as asked; a change on an existing network is refused (its
    endpoints would change address under running containers, as Docker cannot change a network's IPAM driver)."""
    want = (p.get('ipam_driver') or 'default') == 'dhcp'
    if stored is not None and is_dhcp(stored) != want:
        raise _validate.InputError('ipam_driver', p.get('ipam_driver') or 'default',
                                   "network '%s' exists with ipam_driver %s; it cannot change: remove the network and create it again"
                                   % (p['name'], stored.get('ipam_driver') or 'default'))
    return want


def check(p, driver, unmanaged=False, prefix=''):
    """The options of a network with ipam_driver dhcp, before anything is read (``prefix``: before the option names,
    for a role's entry)."""
    if driver == 'bridge' and not unmanaged:
        raise _validate.InputError(prefix + 'ipam_driver', 'dhcp', "a managed bridge is its own LAN, with no DHCP server: ipam_driver "
                                   'dhcp needs unmanaged: true (a bridge of the host that carries the LAN) or a macvlan network')
    if driver == 'macvlan' and not p.get('parent'):
        raise _validate.InputError(prefix + 'parent', p.get('parent'), 'ipam_driver dhcp leases from the LAN behind the parent: '
                                   'give the parent interface (a network without one is internal, with no DHCP server)')
    if p.get('enable_ipv6'):
        raise _validate.InputError(prefix + 'enable_ipv6', True, 'ipam_driver dhcp leases IPv4 addresses only (DHCPv4)')
    if p.get('enable_ipv4') is False:
        raise _validate.InputError(prefix + 'enable_ipv4', False, 'ipam_driver dhcp leases IPv4 addresses')
    for option in ('ip_range', 'aux_addresses', 'address_pools'):
        if p.get(option):
            raise _validate.InputError(prefix + option, p[option], _SERVER_OWNS)
    _check_wait_and_endpoints(p, prefix)
    _check_shim(p, prefix)
    _check_routes(p, prefix)


def _check_routes(p, prefix):
    for i, route in enumerate(p.get('routes') or []):
        if (route or {}).get('gateway'):
            raise _validate.InputError('%sroutes[%d].gateway' % (prefix, i), route['gateway'], "a DHCP network's extra routes are on-link "
                                       '(no gateway): its containers have no address to reach a gateway through until their lease '
                                       'comes, after the routes are set')


def _check_wait_and_endpoints(p, prefix):
    timeout = p.get('dhcp_timeout', DEFAULT_TIMEOUT)
    if not isinstance(timeout, int) or timeout < 1:
        raise _validate.InputError(prefix + 'dhcp_timeout', timeout, 'must be a number of seconds, 1 or more')
    for i, ep in enumerate(p.get('endpoints') or []):
        for option in ('ip', 'ipv6_address'):
            if ep.get(option):
                raise _validate.InputError('%sendpoints[%d].%s' % (prefix, i, option), ep[option], _SERVER_OWNS)


def _check_shim(p, prefix):
    shim = p.get('host_shim') or {}
    if shim and shim.get('enabled', True) is not False and (not p.get('subnet') or not shim.get('ip')):
        raise _validate.InputError(prefix + 'host_shim', shim, 'on a network with ipam_driver dhcp the host shim needs the subnet '
                                   'and its own address (host_shim.ip, outside the DHCP range): the collection picks none there')


def ipam_config(p, stored, others, name):
    """The network's IPv4 settings: the subnet and gateway as given (or as the network has them), none invented."""
    subnet = p.get('subnet') or stored.get('subnet')
    gateway = p.get('gateway') or stored.get('gateway')
    if subnet is None:
        if gateway:
            _ipam.parse_ip(gateway, 'gateway')
        return {'subnet': None, 'gateway': gateway, 'ip_range': None, 'aux_addresses': {}}
    net = _ipam.parse_subnet(subnet)
    _ipam.check_subnet_overlaps(net, {n: d['subnet'] for n, d in others.items() if d.get('subnet')}, name)
    if gateway:
        gateway = str(_ipam.parse_gateway(gateway, net))
    return {'subnet': str(net), 'gateway': gateway, 'ip_range': None, 'aux_addresses': {}}


def desired(run, driver, unmanaged=False):
    """A DHCP network's IPv4 settings, its options checked; None for a network of the collection's own IPAM."""
    if not wanted(run.p, run.stored):
        return None
    check(run.p, driver, unmanaged)
    return ipam_config(run.p, run.old, run.others, run.name)


def network_ipam(dhcp_ipam, pools, driver_options, p):
    """The network's ipam by family from its pools (IPv4, IPv6; None for a family it does not have), or a DHCP
    network's (``dhcp_ipam``), whose keys then go into ``driver_options``."""
    if dhcp_ipam is None:
        return {family: q.config() for family, q in zip((4, 6), pools) if q is not None}
    driver_options.update(options(p))
    return {4: dhcp_ipam}


def shim_address(shim_p, ipam, key):
    """{key: address} of the host shim of a DHCP network: its address as given (the checks made it present)."""
    if not shim_p:
        return {}
    return {key: _ipam.parse_gateway(shim_p['ip'], _ipam.parse_subnet(ipam['subnet']), 'host_shim.ip')}


def options(p):
    """The document's keys: the driver, and the wait when not the default."""
    out = {'ipam_driver': 'dhcp'}
    if p.get('dhcp_timeout', DEFAULT_TIMEOUT) != DEFAULT_TIMEOUT:
        out['dhcp_timeout'] = p['dhcp_timeout']
    return out


# -- reading and planning -------------------------------------------------------------------------------------------
def read(run, net):
    """What planning needs of the endpoints' clients (only for a DHCP network): the client program, and per container
    its running client, env file and lease record."""
    if not is_dhcp(net.options):
        return
    names = sorted(set(net.endpoints) | set(run.old.get('endpoints') or {}))
    run.snap.dhcp = _dhcp_service.read(run.name, names, run.root)
    run.snap.dhcp_program = _dhcp_service.busybox()


def _where(net):
    return 'parent %s' % net.options['parent'] if net.driver == 'macvlan' else 'bridge %s' % net.options.get('bridge')


def _settings(net, cname):
    ipam = net.ipam.get(4) or {}
    return {'route': not net.options.get('no_default_route'), 'subnet': ipam.get('subnet'), 'gateway': ipam.get('gateway'),
            'resolv': '%s/resolv.conf' % _netns.etc_dir(cname)}


def lease_address(record):
    """The address/prefix a lease record gives, or None."""
    lease = _dhcp_hook.applied(record)
    return '%s/%s' % (lease['address'], lease.get('prefix')) if lease else None


def plan_start(run, cname, ep, why='start'):
    """Start the endpoint's client (after the endpoint batch made its link): it leases the address, the step waits for
    it.  Undone by stopping it (the lease released) and forgetting the endpoint's files.  Nothing on another network."""
    net = run.net
    if not is_dhcp(net.options):
        return
    have = run.snap.dhcp.get(cname) or {}
    text = _dhcp_service.env_text(run.name, cname, ep.ifname, _settings(net, cname), have.get('lease'))
    name = _dhcp_service.instance(run.name, cname)
    timeout, where = net.options.get('dhcp_timeout', DEFAULT_TIMEOUT), _where(net)
    run.dhcp_starts.append(('%s DHCP client of %s on %s (%s on %s, lease within %d s)' % (why, cname, run.name, ep.ifname, where, timeout),
                            (name, text, timeout, where), lambda: (_dhcp_service.stop(name), _dhcp_service.forget(name, run.root))))


def plan_starts(run):
    """The client starts of the run, one batch after the endpoints (started together, their leases awaited together)."""
    if not run.dhcp_starts:
        return
    if run.snap.dhcp_program is None:
        raise _validate.InputError('ipam_driver', 'dhcp', 'needs busybox (its DHCP client, udhcpc) on the host: install the busybox '
                                   'package (the host_requirements role does)')
    batch = _dhcp_service.StartBatch(run.snap.dhcp_program)
    for text, do, undo in run.dhcp_starts:
        run.plan.add(text, do, undo, batch=batch)


def plan_check(run, cname, ep, view, link):
    """A whole endpoint: its client runs, asks what it should, and its lease's address is on the link; else the
    client is started again (it asks for the same address).  Nothing on another network."""
    if not is_dhcp(run.net.options):
        return
    have = run.snap.dhcp.get(cname) or {}
    want = _dhcp_service.env_text(run.name, cname, ep.ifname, _settings(run.net, cname), have.get('lease'))
    address = lease_address(have.get('lease'))
    if have.get('pid') is None:
        plan_start(run, cname, ep, 'start again the')
    elif not _dhcp_service.same_client(have.get('env'), want):
        plan_start(run, cname, ep, 'restart (settings changed) the')
    elif address is None or address not in view.addresses(link['index']):
        plan_start(run, cname, ep, 'restart (its leased address is gone) the')


def plan_stop(run, cname):
    """Before the endpoint's link goes: stop its client, which releases the lease (DHCPRELEASE), and forget its files."""
    if not is_dhcp(run.old):
        return
    name = _dhcp_service.instance(run.name, cname)
    root = run.root
    run.plan.add('release the DHCP lease of %s on %s (stop its client)' % (cname, run.name),
                 lambda: (_dhcp_service.stop(name), _dhcp_service.forget(name, root)))
