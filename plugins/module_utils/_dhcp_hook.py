# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The hook busybox's udhcpc runs at each DHCP event of an endpoint on a network with ``ipam_driver: dhcp``.

udhcpc (one per endpoint, in the container's network namespace, _dhcp_service) owns the protocol: discover,
request, renew at half the lease, rebind, release on exit.  It runs this program as ``hook EVENT`` with the lease
in its environment (ip, mask, router, dns, domain, serverid, lease, interface); this program applies it inside the
namespace and records it:

* ``bound`` / ``renew``: the leased address on the interface (the one before it removed when it changed), the
  default route through the lease's router when the container has none or has it through this interface (another
  network's default route is left alone, and none is set with ``no_default_route``), the name servers into the
  container's resolv.conf (only one that is absent or that this hook wrote: one the user or the netns module wrote
  is left alone), and the lease record (/var/lib/hostnet/dhcp/NET:CONTAINER.json, atomically).  A lease outside
  the network's ``subnet`` or with another router than its ``gateway`` is not applied; the record says why and the
  module waiting for the first lease fails with it.
* ``deconfig`` (the client starts, loses the lease, or has released it on exit): the recorded address is removed.
  The record stays: it is the address the next client asks for (``-r``), after a restart or a reboot.
* ``leasefail`` / ``nak``: nothing to do; udhcpc tries again.

It is written out by the engine (the module or hostnet-restore) with the Python that runs the engine, so it needs
nothing but pyroute2, which the modules need too.  The functions but ``main`` and ``_apply`` are pure.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time

RESOLV_MARK = '# hostnet.containers: from the DHCP lease of network %s'
_MAIN_TABLE = 254


def lease_from_env(env, now=None):
    """The lease udhcpc hands over in its environment, as the record keeps it; None without an address."""
    if not env.get('ip'):
        return None
    now = time.time() if now is None else now
    mask = env.get('mask') or ''
    prefix = int(mask) if mask.isdigit() else _prefix_of(env.get('subnet'))
    lease_time = int(env['lease']) if (env.get('lease') or '').isdigit() else None
    routers = (env.get('router') or '').split()
    return dict(address=env['ip'], prefix=prefix, gateway=routers[0] if routers else None,
                dns=(env.get('dns') or '').split(), domain=env.get('domain') or None,
                lease_time=lease_time, server=env.get('serverid') or None, interface=env.get('interface'),
                obtained=_iso(now), expires=_iso(now + lease_time) if lease_time is not None else None)


def _prefix_of(netmask):
    """The prefix length of a dotted netmask (udhcpc gives ``mask`` as a length, older ones only ``subnet``)."""
    try:
        packed = socket.inet_aton(netmask or '')
    except OSError:
        return 32
    return bin(int.from_bytes(packed, 'big')).count('1')


def _iso(seconds):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(seconds))


def _ip_int(text):
    return int.from_bytes(socket.inet_aton(text), 'big')


def check_lease(lease, subnet=None, gateway=None):
    """Why ``lease`` does not fit the network's ``subnet`` / ``gateway`` (when the network has them), or None."""
    if subnet:
        net, _sep, bits = subnet.partition('/')
        mask = (0xFFFFFFFF << (32 - int(bits))) & 0xFFFFFFFF
        if _ip_int(lease['address']) & mask != _ip_int(net) & mask:
            return 'the lease %s/%s is outside the subnet %s' % (lease['address'], lease['prefix'], subnet)
    if gateway and lease.get('gateway') and lease['gateway'] != gateway:
        return "the lease's router %s is not the gateway %s" % (lease['gateway'], gateway)
    return None


def applied(record):
    """The lease a record holds when it is one the hook applied (an address, not refused), else None."""
    return record if record and record.get('address') and not record.get('refused') else None


def resolv_text(lease, network):
    """The container's resolv.conf from the lease (None when it names no server)."""
    if not lease.get('dns'):
        return None
    lines = [RESOLV_MARK % network] + ['nameserver %s' % server for server in lease['dns'][:3]]
    if lease.get('domain'):
        lines.append('search %s' % lease['domain'])
    return '\n'.join(lines) + '\n'


def may_write_resolv(current, network):
    """Only a resolv.conf that is not there or that this hook wrote for this network is ours to write."""
    return current is None or current.startswith(RESOLV_MARK % network + '\n')


def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file and a rename: a reader never sees half a file."""
    folder = os.path.dirname(path)
    os.makedirs(folder, mode=0o755, exist_ok=True)
    tmp = os.path.join(folder, '.%s.%d.tmp' % (os.path.basename(path), os.getpid()))
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def read_record(path):
    try:
        return json.loads(read_text(path) or 'null')
    except ValueError:
        return None


# -- the kernel (pyroute2, in the namespace udhcpc runs in) -------------------------------------------------------
def _addresses(ipr, index):
    return {(a.get_attr('IFA_ADDRESS'), a['prefixlen']) for a in ipr.get_addr(family=socket.AF_INET, index=index)}


def _default_routes(ipr):
    return [r for r in ipr.get_routes(family=socket.AF_INET)
            if r['dst_len'] == 0 and (r.get_attr('RTA_TABLE') or r['table']) == _MAIN_TABLE]


def _apply(ipr, index, lease, old, route):
    """The leased address on the link (a different old one removed first), then the default route."""
    want = (lease['address'], lease['prefix'])
    have = _addresses(ipr, index)
    if old and (old.get('address'), old.get('prefix')) != want and (old.get('address'), old.get('prefix')) in have:
        ipr.addr('del', index=index, address=old['address'], prefixlen=old['prefix'])
    if want not in have:
        ipr.addr('add', index=index, address=want[0], prefixlen=want[1])
    if not route or not lease.get('gateway'):
        return
    current = _default_routes(ipr)
    if all(r.get_attr('RTA_OIF') == index for r in current):
        ipr.route('replace', dst='0.0.0.0/0', gateway=lease['gateway'], oif=index)


def _deconfig(ipr, index, old):
    if old and (old.get('address'), old.get('prefix')) in _addresses(ipr, index):
        ipr.addr('del', index=index, address=old['address'], prefixlen=old['prefix'])


def _bound(env, ipr, index, record_path):
    old = read_record(record_path) or {}
    lease = lease_from_env(env)
    if lease is None:
        return 1
    lease['client_pid'] = os.getppid()
    refused = check_lease(lease, env.get('HOSTNET_DHCP_SUBNET'), env.get('HOSTNET_DHCP_GATEWAY'))
    if refused:
        old.update(refused=refused, client_pid=lease['client_pid'], offered=lease)
        write_atomic(record_path, json.dumps(old, sort_keys=True))
        return 1
    _apply(ipr, index, lease, old, env.get('HOSTNET_DHCP_ROUTE') == '1')
    resolv = env.get('HOSTNET_DHCP_RESOLV')
    text = resolv_text(lease, env.get('HOSTNET_DHCP_NETWORK'))
    # Into the folder the engine made for it (/etc/netns/CONTAINER): the hook never makes /etc/netns itself.
    if resolv and text and os.path.isdir(os.path.dirname(resolv)) and may_write_resolv(read_text(resolv), env.get('HOSTNET_DHCP_NETWORK')):
        write_atomic(resolv, text)
    write_atomic(record_path, json.dumps(lease, sort_keys=True))
    return 0


def main(argv=None, env=None):
    argv = sys.argv if argv is None else argv
    env = os.environ if env is None else env
    event = argv[1] if len(argv) > 1 else ''
    record_path = env.get('HOSTNET_DHCP_LEASE')
    if event not in ('bound', 'renew', 'deconfig') or not record_path:
        return 0
    from pyroute2 import IPRoute  # pylint: disable=import-outside-toplevel

    with IPRoute() as ipr:
        found = ipr.link_lookup(ifname=env.get('interface'))
        if not found:
            return 1
        index = found[0]
        if event == 'deconfig':
            _deconfig(ipr, index, read_record(record_path))
            ipr.link('set', index=index, state='up')
            return 0
        return _bound(env, ipr, index, record_path)


if __name__ == '__main__':
    raise SystemExit(main())
