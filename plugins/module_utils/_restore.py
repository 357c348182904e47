# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rebuild the host from /var/lib/hostnet without a controller: at boot, and after a firewall reload.

A reboot keeps only the store (and /etc/netns on disk).  ``restore`` replays it through the same engine the
modules run: the recorded namespaces (netns/NAME.json), then every network from networks/NAME.json through its
driver's planner with the stored endpoints, addresses, MACs, interface names, aliases and publishes as explicit
parameters (so nothing is reallocated), then the firewall rule set of every network and nat/NAME.json rule and the
sysctls it needs.  ``firewall_only`` re-applies just the rule set (a firewall reload wiped it).

Turning documents into module parameters is pure (``bridge_params``, ``macvlan_params``, ``overlay_params``, ``network_order``,
``namespace_order``); a network with ``ipam_driver: dhcp`` replays as one, its endpoints without addresses (their DHCP
clients lease them again, the same lease by their client identifier).  Nothing here imports ansible: the entry point runs on the host with the standard library,
pyroute2 and netaddr (``hostnet-restore``, installed by the roles with the hostnet-*.service units).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from ansible_collections.hostnet.containers.plugins.module_utils import _bridge
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _macvlan
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_record
from ansible_collections.hostnet.containers.plugins.module_utils import _overlay
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

# What one network or namespace may fail with; anything else is a bug and keeps its traceback.
ERRORS = (_kernel.HostnetError, _kernel.NetlinkError, _store.StoreError, _validate.InputError, _plan.PlanFailed,
          OSError, KeyError, TypeError, ValueError)
# The parameters every module run gets besides its own (AnsibleModule would fill them from the argument spec).
_COMMON = {'state': 'present', 'gateway': None, 'ip_range': None, 'aux_addresses': None, 'address_pools': None,
           'purge_endpoints': False, 'force': False}
# What must come back unchanged from planning: a restore that would move an address or a port is refused.
_KEPT = ('ip', 'ip6', 'mac', 'ifname')
FIREWALLD_SIGNAL = "type='signal',interface='org.fedoraproject.FirewallD1',member='Reloaded'"


# -- documents to parameters (pure) ------------------------------------------------------------------------------
def publish_strings(entries):
    """Stored publishes as `docker run -p` strings with the host address and port they have: nothing is re-picked.
    One with allow_from in the long syntax, which alone holds it."""
    out = []
    for entry in entries or []:
        proto = entry.get('proto') or 'tcp'
        host_ip = entry.get('host_ip') or '0.0.0.0'
        if entry.get('allow_from') is not None:
            out.append({'target': entry['container_port'], 'published': entry['host_port'], 'host_ip': host_ip, 'protocol': proto,
                        'allow_from': list(entry['allow_from'])})
            continue
        # An IPv6 host address in brackets, as docker run -p '[::]:8080:80' writes it.
        out.append('%s:%d:%d/%s' % ('[%s]' % host_ip if ':' in host_ip else host_ip, entry['host_port'], entry['container_port'], proto))
    return out


def endpoint_params(name, ep, publish=True, v6=False, host_ifname=False):
    """One ``endpoints`` entry from a stored endpoint: its addresses, MAC, interface name, aliases and gw_priority as
    they were (``v6``: the driver's endpoints have ipv6_address; ``host_ifname``: the name of their host end)."""
    out = {'name': name, 'ip': ep.get('ip'), 'ifname': ep.get('ifname'), 'mac': ep.get('mac'),
           'aliases': list(ep.get('aliases') or []), 'gw_priority': ep.get('gw_priority') or 0}
    if v6:
        out['ipv6_address'] = ep.get('ip6')
    if publish:
        out['publish'] = publish_strings(ep.get('publish'))
    if publish or ep.get('bandwidth'):  # docker_bridge's endpoints have the option (an overlay's only when it was given)
        out['bandwidth'] = dict(ep['bandwidth']) if ep.get('bandwidth') else None
    if host_ifname:
        out['host_ifname'] = ep.get('veth')
    return out


def _ipam_params(doc):
    return {'subnet': doc.get('subnet'), 'gateway': doc.get('gateway'), 'ip_range': doc.get('ip_range'),
            'aux_addresses': dict(doc.get('aux_addresses') or {}), 'mtu': doc.get('mtu')}


def _ipam6_params(doc):
    """The address families and the IPv6 pool: the IPv6 aux addresses join the IPv4 ones in aux_addresses (one option)."""
    v6 = bool(doc.get('enable_ipv6'))
    out = {'enable_ipv4': doc.get('enable_ipv4', True) is not False, 'enable_ipv6': v6,
           'subnet_v6': doc.get('subnet_v6') if v6 else None, 'gateway_v6': doc.get('gateway_v6') if v6 else None,
           'ip_range_v6': doc.get('ip_range_v6') if v6 else None, 'gateway_mode_ipv6': doc.get('gateway_mode_ipv6') or 'nat'}
    if v6 and doc.get('aux_addresses_v6'):
        out['aux_addresses'] = dict(doc.get('aux_addresses') or {}, **doc['aux_addresses_v6'])
    return out


def _dhcp_params(doc, p):
    """A network whose endpoints lease their addresses (``ipam_driver: dhcp``) replays as one: the driver and the
    stored wait (else the module's default); no endpoint address (the server gives it, and ``ip`` is refused there),
    and no subnet or gateway the document does not hold (both optional there).  A network of the collection's own
    IPAM gets neither option, so the module's default applies."""
    if doc.get('ipam_driver') != 'dhcp':
        return p
    p['ipam_driver'] = 'dhcp'
    if doc.get('dhcp_timeout') is not None:
        p['dhcp_timeout'] = doc['dhcp_timeout']
    for key in ('subnet', 'gateway'):
        if p.get(key) is None:
            p.pop(key, None)
    for ep in p['endpoints']:
        ep.pop('ip', None)
        ep.pop('ipv6_address', None)
    return p


def _route_params(doc):
    """The network's extra routes and no_default_route (_routes) as stored."""
    return {'routes': [dict(route) for route in doc.get('routes') or []], 'no_default_route': bool(doc.get('no_default_route'))}


def bridge_params(doc):
    """docker_bridge's parameters that rebuild the stored bridge network as it is."""
    p = dict(_COMMON, name=doc['name'], bridge_name=doc.get('bridge'), stp=bool(doc.get('stp')),
             icc=doc.get('icc', True) is not False, ip_masquerade=doc.get('ip_masquerade', True) is not False,
             internal=bool(doc.get('internal')), host_binding_ipv4=doc.get('host_binding_ipv4') or '0.0.0.0',
             userland_proxy=bool(doc.get('userland_proxy')),
             ip_forward=doc.get('ip_forward', True) is not False, firewall=doc.get('firewall', True) is not False,
             firewall_backend=doc.get('firewall_backend') or 'auto', dns=doc.get('dns'), dns_domain=doc.get('dns_domain'),
             gateway_mode_ipv4=doc.get('gateway_mode_ipv4') or 'nat', trusted_host_interfaces=list(doc.get('trusted_host_interfaces') or []),
             foreign_bridge='fail')  # a stored network's bridge is the collection's: another one in its place is refused
    p.update(host_ipv4=doc.get('host_ipv4'), host_ipv6=doc.get('host_ipv6'))  # the outbound address (None: the masquerade)
    p.update(_ipam_params(doc))
    p.update(_ipam6_params(doc))
    p.update(_route_params(doc))
    p['endpoints'] = [endpoint_params(n, ep, v6=True, host_ifname=True) for n, ep in sorted((doc.get('endpoints') or {}).items())]
    p['unmanaged'] = bool(doc.get('unmanaged'))
    if p['unmanaged']:
        p['dns'] = None  # on the user's bridge (_unmanaged): no name server
    return _dhcp_params(doc, p)


def macvlan_params(doc):
    """macvlan_net's parameters that rebuild the stored macvlan network (a parent the collection made is made again)."""
    shim = doc.get('host_shim')
    p = dict(_COMMON, name=doc['name'], parent=None if doc.get('parent_created') == 'veth' else doc.get('parent'),
             mode=doc.get('mode') or 'bridge',
             host_shim={'enabled': True, 'name': shim.get('name'), 'ip': shim.get('ip')} if shim else None)
    if shim and shim.get('ip6'):
        p['host_shim']['ipv6_address'] = shim['ip6']
    p.update(_ipam_params(doc))
    p.update((k, v) for k, v in _ipam6_params(doc).items() if k != 'gateway_mode_ipv6')  # a macvlan network has no gateway modes
    p.update(_route_params(doc))
    p['endpoints'] = [endpoint_params(n, ep, publish=False, v6=True) for n, ep in sorted((doc.get('endpoints') or {}).items())]
    return _dhcp_params(doc, p)


def overlay_params(doc):
    """overlay_net's parameters that rebuild this host's part of the stored overlay: its bridge network's, the VTEP,
    the peers and the other hosts' containers as they were."""
    # An overlay's gateway mode is always nat, and it has no outbound address of its own.
    p = {k: v for k, v in bridge_params(doc).items() if k not in ('gateway_mode_ipv6', 'host_ipv4', 'host_ipv6', 'unmanaged')}
    p.update(vni=doc['vni'], port=doc.get('port'), underlay_interface=doc.get('underlay_interface'), underlay_ip=doc.get('underlay_ip'),
             peers=[{'host': host, 'underlay_ip': ip} for host, ip in sorted((doc.get('peers') or {}).items())],
             remote_endpoints=[dict({k: v for k, v in ep.items() if k != 'ip6'}, name=name, aliases=list(ep.get('aliases') or []),
                                    ipv6_address=ep.get('ip6'))
                               for name, ep in sorted((doc.get('remote_endpoints') or {}).items())])
    p['endpoints'] = [endpoint_params(n, ep, publish=False, v6=True) for n, ep in sorted((doc.get('endpoints') or {}).items())]
    return p


DRIVERS = {'bridge': (bridge_params, _bridge.BridgeNetwork), 'macvlan': (macvlan_params, _macvlan.MacvlanNetwork),
           'overlay': (overlay_params, _overlay.OverlayNetwork)}


def network_params(doc):
    """(driver name, parameters) of a stored network; KeyError for a driver this version cannot rebuild."""
    driver = doc.get('driver', 'bridge')
    if driver not in DRIVERS:
        raise _kernel.HostnetError("network '%s': driver %r cannot be restored by this version" % (doc.get('name'), driver))
    return driver, DRIVERS[driver][0](doc)


def _default_route_first(docs, names):
    """{network: the networks to rebuild before it}: those that hold the default route of one of its containers."""
    before = {n: set() for n in names}
    members = {n: set(docs[n].get('endpoints') or {}) for n in names}
    for n in names:
        preferred = {c for c, ep in (docs[n].get('endpoints') or {}).items() if ep.get('default_route')}
        for other in names:
            if other != n and preferred & members[other]:
                before[other].add(n)
    return before


def network_order(docs):
    """Network names in the order to rebuild them: a container's default-route network before its other networks
    (the election, _default_route, counts only the networks whose link is there, so the holder is set once), else by
    creation time.  A cycle (two containers preferring opposite networks) falls back to creation order."""
    names = sorted(docs, key=lambda n: (docs[n].get('created') or '', n))
    before = _default_route_first(docs, names)
    order = []
    while len(order) < len(names):
        left = [n for n in names if n not in order]
        ready = [n for n in left if not before[n] - set(order)]
        order.append((ready or left)[0])
    return order


def namespace_order(records):
    """Recorded namespace names, the targets of share_with before the names that share them."""
    order = []

    def visit(name, seen=()):
        if name in order or name in seen or name not in records:
            return
        target = (records[name] or {}).get('share_with')
        if target:
            visit(target, seen + (name,))
        order.append(name)

    for name in sorted(records):
        visit(name)
    return order


def moved(stored, after):
    """What planning would change in the stored endpoints (address, MAC, ifname, publishes): a restore never does."""
    out = []
    old, new = stored.get('endpoints') or {}, (after or {}).get('endpoints') or {}
    for cname, ep in sorted(old.items()):
        other = new.get(cname) or {}
        for key in _KEPT:
            if ep.get(key) and other.get(key) != ep.get(key):
                out.append('%s %s %s -> %s' % (cname, key, ep.get(key), other.get(key)))
        if publish_strings(ep.get('publish')) != publish_strings(other.get('publish')):
            out.append('%s publish' % cname)
    if (after or {}).get('subnet') != stored.get('subnet'):
        out.append('subnet %s -> %s' % (stored.get('subnet'), (after or {}).get('subnet')))
    return out


# -- running -----------------------------------------------------------------------------------------------------
class Report:
    """What a restore did (or would do), per object, and what failed, named."""

    def __init__(self):
        self.done = []
        self.failed = []

    def add(self, what, commands):
        self.done.append((what, list(commands)))

    def fail(self, what, error):
        self.failed.append((what, str(error)))

    @property
    def changed(self):
        return any(commands for _what, commands in self.done)

    def lines(self, check=False):
        out = []
        for what, commands in self.done:
            out.append('%s: %s' % (what, ('would ' if check else '') + '; '.join(commands) if commands else 'ok'))
        out.extend('%s: FAILED: %s' % (what, error) for what, error in self.failed)
        return out


def _netns_commands(name, rec, ns):
    """Steps to recreate one recorded namespace (lo up, its recorded sysctls); empty when it exists."""
    if _netns.netns_exists(name):
        return []
    share = (rec or {}).get('share_with')
    steps = [('create network namespace %s' % name + (' (a second name of %s)' % share if share else ''),
              lambda: _netns.create_netns(name, share))]
    if not share:
        steps.append(('set lo up in %s' % name, lambda: ns.chan(name).apply(_kernel.link_set_request(1, up=True))))
        for key, value in sorted(((rec or {}).get('sysctls') or {}).items()):
            steps.append(('set %s=%s in %s' % (key, value, name),
                          lambda key=key, value=value: _sysctl.write_sysctl(ns, name, key, str(value))))
    return steps


def restore_namespaces(report, root, check):
    records = _store.load_all(_netns_record.KIND, root)
    with _netns.Namespaces() as ns:
        for name in namespace_order(records):
            try:
                steps = _netns_commands(name, records[name], ns)
                if not check:
                    for _text, do in steps:
                        do()
                report.add('namespace %s' % name, [text for text, _do in steps])
            except ERRORS as exc:
                report.fail('namespace %s' % name, exc)


def restore_network(report, doc, root, check):
    what = 'network %s' % doc.get('name')
    try:
        driver, params = network_params(doc)
        with _netns.Namespaces() as ns:
            run = DRIVERS[driver][1](params, ns, root)
            # A stored publish was checked when it was made; at boot its host address may come later (DHCP): its
            # rule matches nothing until then, and the network's other publishes and containers come up meanwhile.
            run.host_ip_must_exist = False
            run.build()
            changes = moved(doc, run.doc)
            if changes:
                raise _kernel.HostnetError('rebuilding it would change %s; nothing done (run the playbook)' % ', '.join(changes))
            if not check:
                run.plan.execute()
        report.add(what, run.plan.commands)
    except ERRORS as exc:
        report.fail(what, exc)


def restore_firewall(report, root, check):
    """The rule set of every network and NAT rule, and the sysctls it needs, reconciled with what the kernel has."""
    try:
        networks = _store.load_all(_network.KIND, root)
        nats = _store.load_all(_firewall.NAT_KIND, root)
        plan = _plan.Plan()
        with _netns.Namespaces() as ns:
            _firewall.plan(plan, ns, networks, networks, nats, nats, root)
            if not check:
                plan.execute()
        report.add('firewall (%d networks, %d nat rules)' % (len(networks), len(nats)), plan.commands)
    except ERRORS as exc:
        report.fail('firewall', exc)


def restore(root=None, check=False, firewall_only=False):
    """Replay the store; a failure of one object is reported and the others still run.  Returns a Report."""
    report = Report()
    lock = _store.HostLock() if not check else None
    if lock is not None:
        lock.__enter__()
    try:
        if not firewall_only:
            restore_namespaces(report, root, check)
            docs = _store.load_all(_network.KIND, root)
            for name in network_order(docs):
                restore_network(report, docs[name], root, check)
        restore_firewall(report, root, check)
    finally:
        if lock is not None:
            lock.__exit__(None, None, None)
    return report


def watch_firewalld(run, monitor=('busctl', 'monitor', '--system', '--json=short', '--match')):
    """Re-apply the rule set now and after every firewalld Reloaded signal (firewall-cmd --reload is a D-Bus call,
    not a unit reload, so only the signal tells).  Returns when the monitor ends."""
    run()
    proc = subprocess.Popen(list(monitor) + [FIREWALLD_SIGNAL], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if 'Reloaded' in line:
            run()
    return proc.wait()


def main(argv=None, out=sys.stdout):
    parser = argparse.ArgumentParser(prog='hostnet-restore', description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--firewall-only', action='store_true', help='re-apply only the firewall rule set and its sysctls')
    parser.add_argument('--check', action='store_true', help='print what would be done; change nothing')
    parser.add_argument('--watch-firewalld', action='store_true', help='re-apply the rule set after every firewalld reload')
    parser.add_argument('--json', action='store_true', help='print the report as JSON')
    parser.add_argument('--root', default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    def run():
        report = restore(args.root, args.check, args.firewall_only or args.watch_firewalld)
        if args.json:
            out.write(json.dumps({'changed': report.changed, 'done': report.done, 'failed': report.failed}) + '\n')
        else:
            out.write(''.join(line + '\n' for line in report.lines(args.check)))
        out.flush()
        if report.failed:
            sys.stderr.write('hostnet-restore: failed: %s\n' % ', '.join(what for what, _error in report.failed))
        return 1 if report.failed else 0

    if args.watch_firewalld:
        try:
            return watch_firewalld(run)
        except OSError as exc:
            sys.stderr.write('hostnet-restore: cannot listen for firewalld reloads with busctl: %s\n' % exc)
            return 1
    return run()
