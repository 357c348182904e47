# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One timed phase of one way of building the benchmark network, run INSIDE an emulated host.

    python worker.py TOOL PHASE N [BACKEND]   prints one JSON object: {"seconds": ..., ...}

bench.py starts this through nsenter into a lab host (roles/lab/files/hostnet_lab.py): every
namespace, link, rule and state file below belongs to that host.  The network is the same for
every tool: one bridge, 10.200.0.0/16 with gateway 10.200.0.1, containers c0..c(N-1) (named
network namespaces) with eth0 at 10.200.0.2 upwards, masquerade of the subnet, and container i
publishing host port 20000+i to its port 80/tcp.

Tools and phases (only the phases inside the timer are timed; imports and file writing are not):
  engine    apply | reapply | drift | teardown   hostnet.containers' module_utils called in-process
  floor     apply | teardown                     the fastest pure-pyroute2 recipe: namespaces made
                                                 in one thread, every request pipelined on one socket
                                                 per namespace, rules in one iptables-restore
  ipbatch   apply | teardown                     iproute2: one `ip -batch` on the host and one
                                                 `ip -n cN -batch` per container, one iptables-restore
  cni       apply | teardown                     Debian's containernetworking-plugins: bridge +
                                                 host-local + portmap, ADD (DEL) per container, as
                                                 libcni chains them
  netavark  apply | teardown                     Debian's netavark: setup (teardown) per container
  any       damage | verify-up | verify-down | clean   untimed helpers (see the functions)
  dns       build | add | files-before | files-after | verify-add
                                                 the add cell (issue 22): network `benchdns` with name
                                                 resolution on (docker_bridge's default), c0..c(N-1) built
                                                 untimed, then container cN added alone, timed (engine
                                                 in-process; bench.py times the module), the files under
                                                 /etc/netns and /run/hostnet/dns it wrote counted, and the
                                                 new name resolved both ways
  change    build | ready | add | remove | verify-add | verify-remove   (BACKEND: iptables or nftables)
                                                 the change cell (issue 25, item 2): network `benchdns`
                                                 (name resolution on) with c0..c(N-1) publishing a port
                                                 each, built untimed, then cN with one published port
                                                 (8080:80) added alone and removed again (engine
                                                 in-process; bench.py times the module, role_bench.py
                                                 the role); verified by TCP connects from the host
"""

from __future__ import annotations


import ctypes
import ctypes.util
import hashlib
import importlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time

SUBNET = '10.200.0.0/16'
GATEWAY = '10.200.0.1'
PREFIX = 16
FIRST_PORT = 20000
STATE = '/run/hostnet-bench'  # the emulated host's private /run
CNI_BIN = '/usr/lib/cni'
NETAVARK = '/usr/lib/podman/netavark'
NETWORK = 'benchnet'
BRIDGES = {'floor': 'br-floor', 'ipbatch': 'br-ipbatch', 'cni': 'cni-bench', 'netavark': 'nv-bench'}


def ip_of(i):
    n = i + 2
    return '10.200.%d.%d' % (n >> 8, n & 255)


def mac_of(i):
    n = i + 2
    return '02:42:0a:c8:%02x:%02x' % (n >> 8, n & 255)


def name_of(i):
    return 'c%d' % i


def run(argv, data=None, env=None):
    res = subprocess.run(argv, input=data, capture_output=True, text=True, env=env, check=False)
    if res.returncode != 0:
        raise RuntimeError('%s failed (rc=%d): %s' % (' '.join(argv), res.returncode, (res.stderr or res.stdout).strip()[-2000:]))
    return res.stdout


def masquerade_and_publish_rules(n, bridge):
    """What Docker 28 installs for this network, as one iptables-restore --noflush input (the recipes' firewall):
    masquerade, a DNAT and a forward accept per published port, and the direct-routing protection (a raw drop of
    what is addressed to a container but does not come from its bridge), as the engine's rule set has them."""
    raw = ['*raw', ':BENCH-RAW - [0:0]', '-A PREROUTING -j BENCH-RAW']
    nat = ['*nat', ':BENCH-DNAT - [0:0]', '-A PREROUTING -m addrtype --dst-type LOCAL -j BENCH-DNAT',
           '-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BENCH-DNAT',
           '-A POSTROUTING -s %s ! -o %s -j MASQUERADE' % (SUBNET, bridge)]
    flt = ['*filter', ':BENCH-FORWARD - [0:0]', '-A FORWARD -j BENCH-FORWARD',
           '-A BENCH-FORWARD -o %s -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT' % bridge,
           '-A BENCH-FORWARD -i %s ! -o %s -j ACCEPT' % (bridge, bridge), '-A BENCH-FORWARD -i %s -o %s -j ACCEPT' % (bridge, bridge)]
    for i in range(n):
        nat.append('-A BENCH-DNAT -p tcp -m tcp --dport %d -j DNAT --to-destination %s:80' % (FIRST_PORT + i, ip_of(i)))
        flt.append('-A BENCH-FORWARD -d %s/32 ! -i %s -o %s -p tcp -m tcp --dport 80 -j ACCEPT' % (ip_of(i), bridge, bridge))
        raw.append('-A BENCH-RAW -d %s/32 ! -i %s -j DROP' % (ip_of(i), bridge))
    return '\n'.join(raw + ['COMMIT'] + nat + ['COMMIT'] + flt + ['COMMIT']) + '\n'


REMOVE_RECIPE_RULES = '''*raw
-D PREROUTING -j BENCH-RAW
-F BENCH-RAW
-X BENCH-RAW
COMMIT
*nat
-D PREROUTING -m addrtype --dst-type LOCAL -j BENCH-DNAT
-D OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j BENCH-DNAT
-D POSTROUTING -s %s ! -o %%s -j MASQUERADE
-F BENCH-DNAT
-X BENCH-DNAT
COMMIT
*filter
-D FORWARD -j BENCH-FORWARD
-F BENCH-FORWARD
-X BENCH-FORWARD
COMMIT
''' % SUBNET


def ip_forward():
    with open('/proc/sys/net/ipv4/ip_forward', 'w') as f:
        f.write('1')


# -- namespaces, made in-process in one thread (what a runtime does before calling CNI or netavark) ------------
_LIBC = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)


def _ok(ret, what):
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, '%s: %s' % (what, os.strerror(err)))


def make_netns(names, with_socket=False):
    """/run/netns/NAME for each name (unshare + bind mount, like `ip netns add`); {name: netlink socket} if asked."""
    os.makedirs('/run/netns', exist_ok=True)
    socks = {}

    def work():
        for name in names:
            path = '/run/netns/' + name
            os.close(os.open(path, os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0))
            _ok(_LIBC.unshare(0x40000000), 'unshare')
            _ok(_LIBC.mount(b'/proc/thread-self/ns/net', path.encode(), b'none', ctypes.c_ulong(4096), None), 'mount')
            if with_socket:
                socks[name] = nl_socket()

    in_thread(work)
    return socks


def in_thread(work):
    """Run ``work`` in a thread of its own (one that may change its network namespace and never come back, as
    unshare leaves it) and raise its OSError here."""
    errors = []

    def run():
        try:
            work()
        except OSError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def remove_all_netns():
    names = sorted(os.listdir('/run/netns')) if os.path.isdir('/run/netns') else []
    for name in names:
        path = '/run/netns/' + name
        _LIBC.umount2(path.encode(), 2)
        os.unlink(path)
    return names


# -- the pure-pyroute2 floor -----------------------------------------------------------------------------------
def nl_socket():
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW | socket.SOCK_CLOEXEC, 0)
    sock.setsockopt(270, 10, 1)  # NETLINK_CAP_ACK: short ACKs
    sock.bind((0, 0))
    return sock


def nl_batch(sock, msgs, chunk=128):
    """Send pyroute2 messages with ACKs, many per write; raise on the first error."""
    seq = 0
    for start in range(0, len(msgs), chunk):
        buf = bytearray()
        for msg in msgs[start:start + chunk]:
            seq += 1
            msg['header']['sequence_number'] = seq
            msg['header']['flags'] |= 5  # NLM_F_REQUEST | NLM_F_ACK
            msg.encode()
            buf += msg.data
        sock.send(bytes(buf))
        pending = min(chunk, len(msgs) - start)
        while pending:
            data = sock.recv(1 << 20)
            for typ, off, dummy in nl_messages(data):
                if typ == 2:
                    pending -= 1
                    code = struct.unpack_from('=i', data, off)[0]
                    if code:
                        raise OSError(-code, 'netlink request %d: %s' % (start, os.strerror(-code)))


def nl_messages(data):
    """(type, payload offset, end) of each netlink message in a buffer."""
    off = 0
    while off + 16 <= len(data):
        length, typ = struct.unpack_from('=IH', data, off)
        yield typ, off + 16, off + length
        off += (length + 3) & ~3


def ipv6_off(fds):
    """IPv6 off on eth0 in each namespace (``fds``) before it is up, as the engine does on an IPv4-only network: one
    thread going from namespace to namespace, home at the end."""
    def work():
        home = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
        try:
            for fd in fds:
                _ok(_LIBC.setns(fd, 0x40000000), 'setns')
                out = os.open('/proc/sys/net/ipv6/conf/eth0/disable_ipv6', os.O_WRONLY)
                try:
                    os.write(out, b'1')
                finally:
                    os.close(out)
        finally:
            _LIBC.setns(home, 0x40000000)
            os.close(home)

    in_thread(work)


def host_ipv6_off(names):
    """IPv6 off on the host ends ``names`` before they are up, as the engine does: a bridge port needs no IPv6 of its
    own, and each one's routes would make every later link change on the host walk them all.  Each link's folder is
    opened from one open /proc/sys/net/ipv6/conf."""
    conf = os.open('/proc/sys/net/ipv6/conf', os.O_PATH | os.O_DIRECTORY)
    try:
        for name in names:
            out = os.open(name + '/disable_ipv6', os.O_WRONLY, dir_fd=conf)
            try:
                os.write(out, b'1')
            finally:
                os.close(out)
    finally:
        os.close(conf)


def floor_apply(n):
    from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
    from pyroute2.netlink.rtnl.rtmsg import rtmsg

    def link(nlm_flags=0, **fields):
        msg = ifinfmsg()
        msg['header']['type'] = 16
        msg['header']['flags'] = nlm_flags
        for key, value in fields.items():
            msg[key] = value
        return msg

    def addr(index, ip):
        msg = ifaddrmsg()
        msg['header']['type'] = 20
        msg['header']['flags'] = 0x600
        msg['family'], msg['prefixlen'], msg['index'] = 2, PREFIX, index
        msg['attrs'] = [('IFA_LOCAL', ip), ('IFA_ADDRESS', ip)]
        return msg

    def default_route():
        msg = rtmsg()
        msg['header']['type'] = 24
        msg['header']['flags'] = 0x600
        msg['family'], msg['table'], msg['proto'], msg['type'] = 2, 254, 3, 1
        msg['attrs'] = [('RTA_GATEWAY', GATEWAY)]
        return msg

    bridge = BRIDGES['floor']
    names = [name_of(i) for i in range(n)]
    start = time.monotonic()
    socks = make_netns(names, with_socket=True)
    fds = {name: os.open('/run/netns/' + name, os.O_RDONLY) for name in names}
    host = nl_socket()
    nl_batch(host, [link(0x600, flags=1, change=1, attrs=[
        ('IFLA_IFNAME', bridge), ('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'bridge'),
                                                              ('IFLA_INFO_DATA', {'attrs': [('IFLA_BR_FORWARD_DELAY', 0)]})]})])])
    br = socket.if_nametoindex(bridge)
    nl_batch(host, [addr(br, GATEWAY)])
    # Peers born in their namespace as eth0 with ifindex 2 (lo is 1): no lookups, no moves, no renames.  The host ends
    # are made down, their IPv6 turned off, then brought up with hairpin on, as the engine does (see host_ipv6_off).
    nl_batch(host, [link(0x600, attrs=[
        ('IFLA_IFNAME', 'vf%d' % i), ('IFLA_MASTER', br),
        ('IFLA_LINKINFO', {'attrs': [('IFLA_INFO_KIND', 'veth'), ('IFLA_INFO_DATA', {'attrs': [('VETH_INFO_PEER', {
            'index': 2, 'attrs': [('IFLA_IFNAME', 'eth0'), ('IFLA_NET_NS_FD', fds[names[i]]), ('IFLA_ADDRESS', mac_of(i))]})]})]})])
        for i in range(n)])
    host_ipv6_off(['vf%d' % i for i in range(n)])
    nl_batch(host, [link(flags=1, change=1, attrs=[
        ('IFLA_IFNAME', 'vf%d' % i), ('IFLA_LINKINFO', {'attrs': [
            ('IFLA_INFO_SLAVE_KIND', 'bridge'), ('IFLA_INFO_SLAVE_DATA', {'attrs': [('IFLA_BRPORT_MODE', 1)]})]})])
        for i in range(n)])
    ipv6_off([fds[name] for name in names])
    for i, name in enumerate(names):
        nl_batch(socks[name], [link(index=1, flags=1, change=1, attrs=[]), link(index=2, flags=1, change=1, attrs=[]),
                               addr(2, ip_of(i)), default_route()])
    run(['iptables-restore', '--noflush', '-w'], masquerade_and_publish_rules(n, bridge))
    ip_forward()
    seconds = time.monotonic() - start
    for fd in fds.values():
        os.close(fd)
    return {'seconds': seconds}


def floor_teardown(n):
    """Every veth and the bridge in one kernel batch (a link group), then the rules."""
    from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

    def link(msg_type, **fields):
        msg = ifinfmsg()
        msg['header']['type'] = msg_type
        msg['header']['flags'] = 0
        for key, value in fields.items():
            msg[key] = value
        return msg

    start = time.monotonic()
    host = nl_socket()
    group = 4242
    names = ['vf%d' % i for i in range(n)] + [BRIDGES['floor']]
    nl_batch(host, [link(16, attrs=[('IFLA_IFNAME', name), ('IFLA_GROUP', group)]) for name in names])
    nl_batch(host, [link(17, attrs=[('IFLA_GROUP', group)])])
    run(['iptables-restore', '--noflush', '-w'], REMOVE_RECIPE_RULES % BRIDGES['floor'])
    return {'seconds': time.monotonic() - start}


# -- iproute2 in batch mode ----------------------------------------------------------------------------------------
def ipbatch_apply(n):
    bridge = BRIDGES['ipbatch']
    host = ['link add %s type bridge forward_delay 0' % bridge, 'link set %s up' % bridge,
            'addr add %s/%d dev %s' % (GATEWAY, PREFIX, bridge)]
    for i in range(n):
        host += ['netns add %s' % name_of(i),
                 'link add vb%d master %s up type veth peer name eth0 address %s netns %s' % (i, bridge, mac_of(i), name_of(i)),
                 'link set vb%d type bridge_slave hairpin on' % i]
    inner = {name_of(i): 'link set lo up\nlink set eth0 up\naddr add %s/%d dev eth0\nroute add default via %s\n'
             % (ip_of(i), PREFIX, GATEWAY) for i in range(n)}
    start = time.monotonic()
    run(['ip', '-batch', '-'], '\n'.join(host) + '\n')
    for name, text in inner.items():
        run(['ip', '-n', name, '-batch', '-'], text)
    run(['iptables-restore', '--noflush', '-w'], masquerade_and_publish_rules(n, bridge))
    ip_forward()
    return {'seconds': time.monotonic() - start}


def ipbatch_teardown(n):
    text = ''.join('link del vb%d\n' % i for i in range(n)) + 'link del %s\n' % BRIDGES['ipbatch']
    start = time.monotonic()
    run(['ip', '-batch', '-'], text)
    run(['iptables-restore', '--noflush', '-w'], REMOVE_RECIPE_RULES % BRIDGES['ipbatch'])
    return {'seconds': time.monotonic() - start}


# -- CNI: bridge + host-local + portmap, chained as libcni does ------------------------------------------------
def cni_configs():
    bridge = {'cniVersion': '1.0.0', 'name': NETWORK, 'type': 'bridge', 'bridge': BRIDGES['cni'], 'isGateway': True,
              'ipMasq': True, 'hairpinMode': True,
              'ipam': {'type': 'host-local', 'ranges': [[{'subnet': SUBNET, 'gateway': GATEWAY}]],
                       'routes': [{'dst': '0.0.0.0/0'}], 'dataDir': os.path.join(STATE, 'cni-ipam')}}
    portmap = {'cniVersion': '1.0.0', 'name': NETWORK, 'type': 'portmap', 'capabilities': {'portMappings': True}, 'snat': True}
    return bridge, portmap


def cni_call(plugin, command, i, config):
    env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'CNI_COMMAND': command, 'CNI_CONTAINERID': 'bench%08d' % i,
           'CNI_NETNS': '/run/netns/' + name_of(i), 'CNI_IFNAME': 'eth0', 'CNI_PATH': CNI_BIN}
    out = run([os.path.join(CNI_BIN, plugin)], json.dumps(config), env=env)
    return json.loads(out) if out.strip() else None


def cni_apply(n):
    bridge, portmap = cni_configs()
    results = {}
    start = time.monotonic()
    make_netns([name_of(i) for i in range(n)])
    for i in range(n):
        res = cni_call('bridge', 'ADD', i, bridge)
        mapping = [{'hostPort': FIRST_PORT + i, 'containerPort': 80, 'protocol': 'tcp'}]
        res = cni_call('portmap', 'ADD', i, dict(portmap, runtimeConfig={'portMappings': mapping}, prevResult=res))
        results[i] = (res, mapping)
    seconds = time.monotonic() - start
    with open(os.path.join(STATE, 'cni-results.json'), 'w') as f:
        json.dump(results, f)
    return {'seconds': seconds}


def cni_teardown(n):
    bridge, portmap = cni_configs()
    with open(os.path.join(STATE, 'cni-results.json')) as f:
        results = {int(k): v for k, v in json.load(f).items()}
    start = time.monotonic()
    for i in range(n):
        res, mapping = results[i]
        # libcni runs DEL in reverse order with the cached result.
        cni_call('portmap', 'DEL', i, dict(portmap, runtimeConfig={'portMappings': mapping}, prevResult=res))
        cni_call('bridge', 'DEL', i, dict(bridge, prevResult=res))
    return {'seconds': time.monotonic() - start}


# -- netavark -------------------------------------------------------------------------------------------------------
def netavark_options(i):
    net_id = hashlib.sha256(NETWORK.encode()).hexdigest()
    return {'container_id': hashlib.sha256(name_of(i).encode()).hexdigest(), 'container_name': name_of(i),
            'port_mappings': [{'host_ip': '', 'container_port': 80, 'host_port': FIRST_PORT + i, 'range': 1, 'protocol': 'tcp'}],
            'networks': {NETWORK: {'static_ips': [ip_of(i)], 'interface_name': 'eth0'}},
            'network_info': {NETWORK: {'name': NETWORK, 'id': net_id, 'driver': 'bridge', 'network_interface': BRIDGES['netavark'],
                                       'subnets': [{'subnet': SUBNET, 'gateway': GATEWAY}], 'ipv6_enabled': False,
                                       'internal': False, 'dns_enabled': False, 'ipam_options': {'driver': 'host-local'}}}}


def netavark_call(command, i):
    env = {'PATH': '/usr/sbin:/usr/bin:/sbin:/bin', 'NETAVARK_FW': 'iptables'}
    run([NETAVARK, '--config', os.path.join(STATE, 'netavark'), command, '/run/netns/' + name_of(i)],
        json.dumps(netavark_options(i)), env=env)


def netavark_apply(n):
    os.makedirs(os.path.join(STATE, 'netavark'), exist_ok=True)
    start = time.monotonic()
    make_netns([name_of(i) for i in range(n)])
    for i in range(n):
        netavark_call('setup', i)
    return {'seconds': time.monotonic() - start}


def netavark_teardown(n):
    start = time.monotonic()
    for i in range(n):
        netavark_call('teardown', i)
    return {'seconds': time.monotonic() - start}


# -- hostnet.containers' engine, in-process ---------------------------------------------------------------------------
def engine_params(n, state='present'):
    return dict(name=NETWORK, state=state, bridge_name=None, subnet=SUBNET, gateway=None, ip_range=None, aux_addresses=None,
                address_pools=None, mtu=None, stp=False, icc=True, ip_masquerade=True, internal=False,
                host_binding_ipv4='0.0.0.0', ip_forward=True, firewall=True, firewall_backend='iptables', dns=False,
                purge_endpoints=False, force=True,
                endpoints=[dict(name=name_of(i), ip=None, ifname=None, mac=None, aliases=None,
                                publish=['%d:80' % (FIRST_PORT + i)]) for i in range(n)])


def kernel_counters():
    """(the process's CPU seconds, the whole machine's softirq seconds, packets sent by this host's interfaces): what
    an apply costs in the engine itself and in the kernel beside it (the bridge floods every IPv6 interface's multicast
    listener reports to all its ports, in softirq: see docs/development.md, The dual-stack benchmark)."""
    t = os.times()
    with open('/proc/stat') as f:
        softirq = int(f.readline().split()[7]) / os.sysconf('SC_CLK_TCK')
    with open('/proc/net/dev') as f:
        packets = sum(int(line.split(':', 1)[1].split()[9]) for line in f.readlines()[2:])
    return t.user + t.system, softirq, packets


def engine_run(n, state, params=None):
    """What docker_bridge's run() does, without AnsibleModule: plan under the host-wide lock, then execute, the
    garbage collector paused as run_module pauses it."""
    sys.path.insert(0, os.environ['HOSTNET_COLLECTIONS'])
    from ansible_collections.hostnet.containers.plugins.module_utils import _bridge, _common, _netns, _store  # pylint: disable=import-outside-toplevel
    # pyroute2 is imported outside the timed window, as floor_apply's is (the engine imports it when it builds its
    # first request; a run with nothing to change never does).
    from pyroute2.netlink.rtnl import ifaddrmsg, ifinfmsg, rtmsg  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    params = params or engine_params(n, state)
    before = kernel_counters()
    start = time.monotonic()
    with _common.collector_paused(), _netns.Namespaces() as ns:  # as _common.run_module runs every module
        with _store.HostLock():
            net = _bridge.BridgeNetwork(params, ns)
            net.build()
            planned = time.monotonic()
            net.plan.execute()
    end = time.monotonic()
    cpu, softirq, packets = (b - a for a, b in zip(before, kernel_counters()))
    return {'seconds': end - start, 'plan_seconds': planned - start, 'changed': bool(net.plan), 'steps': len(net.plan.steps),
            'cpu_seconds': cpu, 'softirq_seconds': softirq, 'packets': packets}


# -- the add cell (issue 22): one container added to a network of N with name resolution on ----------------------
DNS_NETWORK = 'benchdns'
# What the module sees: the add play of bench.py passes the same options (and lets `dns` default to on).
DNS_OPTIONS = dict(name=DNS_NETWORK, subnet=SUBNET, firewall_backend='iptables')
FILES_BEFORE = os.path.join(STATE, 'files-before.json')
WATCHED = ('/etc/netns', '/run/hostnet/dns')


def module_params(options, module='docker_bridge'):
    """A module's parameters as AnsibleModule would hand them to the engine: its own argument spec (captured
    from main(), so an option added later gets its default here too) validated against `options`.  docker_bridge
    here; benchmarks/overlay_worker.py passes overlay_net."""
    sys.path.insert(0, os.environ['HOSTNET_COLLECTIONS'])
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator  # pylint: disable=import-outside-toplevel
    mod = importlib.import_module('ansible_collections.hostnet.containers.plugins.modules.' + module)
    captured = {}

    class Capture(Exception):
        pass

    def fake_module(argument_spec, **dummy):
        captured.update(argument_spec)
        raise Capture()

    real = mod.AnsibleModule
    mod.AnsibleModule = fake_module
    try:
        mod.main()
    except Capture:
        pass
    finally:
        mod.AnsibleModule = real
    result = ArgumentSpecValidator(captured).validate(options)
    if result.error_messages:
        raise RuntimeError('%s parameters: %s' % (module, '; '.join(result.error_messages)))
    return result.validated_parameters


def dns_build(n):
    """Untimed: the network with c0..c(N-1), through the engine (the same code and store the module uses)."""
    res = engine_run(n, 'present', module_params(dict(DNS_OPTIONS, endpoints=[{'name': name_of(i)} for i in range(n)])))
    if not res['changed']:
        raise RuntimeError('building %s with %d containers changed nothing' % (DNS_NETWORK, n))
    return res


def dns_add(n):
    """Timed: container cN added alone (purge_endpoints stays off), as `docker run --network benchdns` adds one."""
    res = engine_run(n, 'present', module_params(dict(DNS_OPTIONS, endpoints=[{'name': name_of(n)}])))
    if not res['changed']:
        raise RuntimeError('adding %s changed nothing' % name_of(n))
    return res


def watched_files(tops=WATCHED):
    """{path: [inode, mtime_ns, size]} of every file under /etc/netns and /run/hostnet/dns (the emulated host's), or
    under `tops`."""
    out = {}
    for top in tops:
        for root, dummy, files in os.walk(top):
            for name in files:
                path = os.path.join(root, name)
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    continue
                out[path] = [st.st_ino, st.st_mtime_ns, st.st_size]
    return out


def files_before(n):
    files = watched_files()
    with open(FILES_BEFORE, 'w') as f:
        json.dump(files, f)
    return {'files': len(files)}


def files_after(n):
    """How many files the add wrote (new, or rewritten: another inode or mtime) and removed, per folder."""
    with open(FILES_BEFORE) as f:
        before = json.load(f)
    after = watched_files()
    created = sorted(p for p in after if p not in before)
    changed = sorted(p for p in after if p in before and after[p] != before[p])
    removed = sorted(p for p in before if p not in after)
    by_top = {top: sum(1 for p in created + changed if p.startswith(top + '/')) for top in WATCHED}
    return {'created': len(created), 'changed': len(changed), 'removed': len(removed), 'written': len(created) + len(changed),
            'by_folder': by_top, 'files_before': len(before), 'files_after': len(after), 'sample': (created + changed)[:6]}


def _in_netns(name, argv):
    return subprocess.run(['ip', 'netns', 'exec', name] + argv, capture_output=True, text=True, check=False)


def verify_add(n):
    """The added container cN has an address and the default route, and names resolve both ways between it and c0
    (getent through the container's own /etc/netns files, as a workload sees them), then a ping by the resolved
    address.  Name servers answer asynchronously after a change (dnsmasq reads a new hosts file by inotify):
    wait, with a generous ceiling."""
    new, old = name_of(n), name_of(0)
    addrs, gateways = container_state(new)
    problems = [] if addrs and gateways == [GATEWAY] else ['%s: eth0 has %s, default routes via %s' % (new, addrs, gateways)]
    for source, target in ((old, new), (new, old)):
        deadline, res = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            res = _in_netns(source, ['getent', 'hosts', target])
            if res.returncode == 0 and res.stdout.split():
                break
            time.sleep(0.2)
        if res.returncode != 0 or not res.stdout.split():
            problems.append('%s does not resolve %s (rc=%d)' % (source, target, res.returncode))
            continue
        address = res.stdout.split()[0]
        if _in_netns(source, ['ping', '-c2', '-i0.2', '-W2', address]).returncode:
            problems.append('%s cannot ping %s at %s' % (source, target, address))
    return {'ok': not problems, 'problems': problems}


# -- the change cell (issue 25, item 2): one container with one published port added to a network of N, and removed --
CHANGE_PORT = 8080  # the added container's published host port (to its port 80)


def change_endpoints(n):
    """The network the change is made on: c0..c(N-1), container i publishing host port 20000+i to its port 80."""
    return [{'name': name_of(i), 'publish': ['%d:80' % (FIRST_PORT + i)]} for i in range(n)]


def change_added(n):
    """The container the change adds and removes: cN, publishing CHANGE_PORT to its port 80."""
    return {'name': name_of(n), 'publish': ['%d:80' % CHANGE_PORT]}


def change_run(n, backend, step):
    """docker_bridge's run in-process, as bench.py's module column asks it: `build` c0..c(N-1) (untimed by bench.py),
    `add` cN alone (purge_endpoints off, as `docker run --network -p` adds one), `remove` cN again by listing c0..c(N-1)
    with purge_endpoints on (the module has no per-endpoint absent).  Run again, each must change nothing."""
    endpoints = [change_added(n)] if step == 'add' else change_endpoints(n)
    return engine_run(n, 'present', module_params(dict(DNS_OPTIONS, firewall_backend=backend, endpoints=endpoints,
                                                       purge_endpoints=step == 'remove')))


def host_address():
    """The emulated host's own IPv4 address (its uplink's), on which it reaches a port published on all addresses."""
    return json.loads(run(['ip', '-j', '-4', 'addr', 'show', 'dev', 'ens33']))[0]['addr_info'][0]['local']


def answers(container, port, timeout=120):
    """The seconds until a TCP connect from the host to its own address and ``port`` reached a socket listening on port
    80 in ``container`` (accepted there), tried every 0.2 s (each try waiting 3 s at most); None after ``timeout``
    seconds.  On a bridge of about 1,000 ports a new container took tens of seconds until it was given its gateway's
    neighbour entry: each broadcast (an ARP request) is flooded to every port, one copy per veth into the CPU's backlog
    of net.core.netdev_max_backlog (1,000 by default) packets, and the copies or answers past it are dropped."""
    start = time.monotonic()
    with socket_in(container, socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(('0.0.0.0', 80))
        server.listen(4)
        server.settimeout(3)
        deadline = time.monotonic() + timeout
        while True:
            try:
                with socket.create_connection((host_address(), port), timeout=3):
                    server.accept()[0].close()
                    return time.monotonic() - start
            except OSError:
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.2)


def refused(port):
    """Whether a TCP connect from the host to its own address and ``port`` fails (nothing publishes it any more)."""
    try:
        with socket.create_connection((host_address(), port), timeout=3):
            return False
    except OSError:
        return True


def firewall_mentions(port):
    """The host's firewall rules (iptables and nft, counters left out) that name ``port``."""
    text = run(['iptables-save']) + run(['nft', 'list', 'ruleset'])
    text = re.sub(r'counter packets \d+ bytes \d+|\[\d+:\d+\]', '', text)
    return [line.strip() for line in text.splitlines() if re.search(r'\b%d\b' % port, line)]


def change_ready(n, *dummy):
    """Untimed, after the build: wait until c0's published port answers a connect from the host.  While host ends
    had IPv6 on, the host dropped packets for tens of seconds after a network of 1,000 appeared (its softirq busy with
    their IPv6 setup, and the bridge flooding their multicast reports to every port), and a change timed then paid
    for it; the wait stays, so a change is never timed on a network that does not answer yet.  {'seconds': how long that took, 'ok'}"""
    seconds = answers(name_of(0), FIRST_PORT, timeout=600)
    return {'seconds': seconds, 'ok': seconds is not None, 'problems': [] if seconds is not None else ['port %d never answered' % FIRST_PORT]}


def verify_change_add(n, *dummy):
    """The added container cN has an address and one default route, and its published port answers a connect from the
    host (`answered`: after how many seconds); c0's port too."""
    new = name_of(n)
    addrs, gateways = container_state(new)
    problems = [] if addrs and len(gateways) == 1 else ['%s: eth0 has %s, default routes via %s' % (new, addrs, gateways)]
    answered = {}
    for name, port in ((new, CHANGE_PORT), (name_of(0), FIRST_PORT)):
        answered[name] = answers(name, port)
        if answered[name] is None:
            problems.append('port %d does not reach %s:80 within 120 s' % (port, name))
    return {'ok': not problems, 'problems': problems, 'answered': answered[new]}


def verify_change_remove(n, *dummy):
    """cN is off the network (no namespace, or no eth0 in it), its port is refused and named by no firewall rule; c0's
    port still answers."""
    new = name_of(n)
    problems = []
    if os.path.exists('/run/netns/' + new) and container_state(new)[0]:
        problems.append('%s still has eth0' % new)
    if not refused(CHANGE_PORT):
        problems.append('port %d still answers' % CHANGE_PORT)
    problems += ['a rule still names port %d: %s' % (CHANGE_PORT, line) for line in firewall_mentions(CHANGE_PORT)[:3]]
    if answers(name_of(0), FIRST_PORT) is None:
        problems.append('port %d no longer reaches %s:80' % (FIRST_PORT, name_of(0)))
    return {'ok': not problems, 'problems': problems}


# -- untimed helpers ----------------------------------------------------------------------------------------------------
def damaged(n):
    """Every tenth endpoint (10%)."""
    return [i for i in range(n) if i % 10 == 0]


def damage(n):
    """Break 10% of the endpoints three ways in turn: host veth deleted; container address removed (with it the
    default route); host veth down and off the bridge.  The published port of each damaged endpoint loses its
    DNAT rule as well."""
    host = []
    victims = damaged(n)
    ports = set()
    for k, i in enumerate(victims):
        name = name_of(i)
        # eth0's link index is its host end's ifindex (unique on the host, unlike eth0's own).
        host_end = json.loads(run(['ip', '-n', name, '-j', 'link', 'show', 'eth0']))[0]['link_index']
        if k % 3 == 0:
            host.append('link del dev %s' % socket.if_indextoname(host_end))
        elif k % 3 == 1:
            run(['ip', '-n', name, 'addr', 'flush', 'dev', 'eth0'])
        else:
            host.append('link set dev %s down nomaster' % socket.if_indextoname(host_end))
        ports.add(FIRST_PORT + i)
    if host:
        run(['ip', '-batch', '-'], '\n'.join(host) + '\n')
    saved = run(['iptables-save', '-t', 'nat'])
    kept = [line for line in saved.splitlines()
            if not (' -j DNAT ' in line and any(' --dport %d ' % p in line + ' ' for p in ports))]
    run(['iptables-restore', '-w', '-T', 'nat'], '\n'.join(kept) + '\n')
    return {'damaged': len(victims)}


def _dump(sock, msg_type, family=2):
    """Every message of a dump as (offset, end) in the returned buffer (its own decoder, independent of the engine's)."""
    head = struct.pack('=BBBBI', family, 0, 0, 0, 0) if msg_type == 22 else struct.pack('=BBBBBBBBI', family, 0, 0, 0, 0, 0, 0, 0, 0)
    sock.send(struct.pack('=IHHII', 16 + len(head), msg_type, 0x301, 1, 0) + head)
    out = []
    while True:
        data = sock.recv(1 << 20)
        for typ, off, end in nl_messages(data):
            if typ == 3:
                return out
            if typ == msg_type - 2:
                out.append((data, off, end))


def _attrs(data, off, end):
    found = {}
    while off + 4 <= end:
        length, typ = struct.unpack_from('=HH', data, off)
        found[typ] = bytes(data[off + 4:off + length])
        off += (length + 3) & ~3
    return found


def socket_in(name, *args):
    """A socket made inside container ``name``'s namespace (it stays there), this thread back home after."""
    fd = os.open('/run/netns/' + name, os.O_RDONLY)
    home = os.open('/proc/thread-self/ns/net', os.O_RDONLY)
    try:
        _ok(_LIBC.setns(fd, 0x40000000), 'setns')
        return socket.socket(*args)
    finally:
        _ok(_LIBC.setns(home, 0x40000000), 'setns')
        os.close(home)
        os.close(fd)


def container_state(name):
    """(eth0's IPv4 addresses as 'a.b.c.d/len', gateways of eth0's default routes) in a container, read in-process."""
    with socket_in(name, socket.AF_NETLINK, socket.SOCK_RAW, 0) as sock:
        addrs, eth0 = [], None
        for data, off, end in _dump(sock, 22):
            attrs = _attrs(data, off + 8, end)
            if attrs.get(3, b'').rstrip(b'\0') == b'eth0':
                eth0 = struct.unpack_from('=I', data, off + 4)[0]
                addrs.append('%s/%d' % (socket.inet_ntoa(attrs[2]), data[off + 1]))
        gateways = []
        for data, off, end in _dump(sock, 26):
            attrs = _attrs(data, off + 12, end)
            if data[off + 1] == 0 and data[off + 4] == 254 and 5 in attrs and struct.unpack('=I', attrs.get(4, b'\0\0\0\0'))[0] == eth0:
                gateways.append(socket.inet_ntoa(attrs[5]))
    return addrs, gateways


def verify_up(n):
    """Every container has eth0 with its address and the default route, the bridge holds N ports up, and the firewall
    publishes every port and masquerades the subnet; then real packets: c0 reaches the gateway and the last container."""
    problems = []
    for i in range(n):
        addrs, gateways = container_state(name_of(i))
        if addrs != ['%s/%d' % (ip_of(i), PREFIX)]:
            problems.append('%s: eth0 has %s, not %s/%d' % (name_of(i), addrs, ip_of(i), PREFIX))
        if gateways != [GATEWAY]:
            problems.append('%s: default routes via %s, not via %s' % (name_of(i), gateways, GATEWAY))
    ports = [link for link in json.loads(run(['ip', '-j', 'link', 'show', 'type', 'veth']))
             if link.get('master') and 'UP' in link.get('flags', [])]
    if len(ports) != n:
        problems.append('%d veths up on a bridge, not %d' % (len(ports), n))
    nat = run(['iptables-save', '-t', 'nat'])
    for i in range(n):
        if not any(' --dport %d ' % (FIRST_PORT + i) in line + ' ' and '--to-destination %s:80' % ip_of(i) in line
                   for line in nat.splitlines()):
            problems.append('no DNAT of port %d to %s:80' % (FIRST_PORT + i, ip_of(i)))
    # Docker and the recipes masquerade the subnet in one rule; CNI and netavark jump per container or per network
    # to a chain that masquerades.
    if '-j MASQUERADE' not in nat or not any('POSTROUTING' in line and ('-s %s ' % SUBNET in line or '-s %s/32 ' % ip_of(0) in line)
                                             for line in nat.splitlines()):
        problems.append('no masquerade of %s' % SUBNET)
    for target in (GATEWAY, ip_of(n - 1)):
        if subprocess.run(['ip', 'netns', 'exec', name_of(0), 'ping', '-c3', '-i0.2', '-W2', target], capture_output=True,
                          check=False).returncode:
            problems.append('%s cannot ping %s' % (name_of(0), target))
    return {'ok': not problems, 'problems': problems[:10]}


def verify_down(n):
    """No container has eth0 any more, no veth is left on a bridge, and no port is published."""
    problems = []
    for i in range(n):
        # The engine removes a namespace it created for a network together with that network; the peers leave theirs.
        if os.path.exists('/run/netns/' + name_of(i)) and container_state(name_of(i))[0]:
            problems.append('%s still has eth0' % name_of(i))
    left = container_veths()
    if left:
        problems.append('veths left: %s' % ', '.join(left[:5]))
    nat = run(['iptables-save', '-t', 'nat'])
    if any(' --dport %d ' % (FIRST_PORT + i) in nat for i in range(n)):
        problems.append('published ports left in the nat table')
    return {'ok': not problems, 'problems': problems[:10]}


def container_veths():
    """The host's veths but the lab's uplink (ens33)."""
    return [link['ifname'] for link in json.loads(run(['ip', '-j', 'link', 'show', 'type', 'veth'])) if link['ifname'] != 'ens33']


def clean(n):
    """Remove what teardowns leave by design (namespaces, CNI's bridge) and wait for the kernel to finish."""
    names = remove_all_netns()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not container_veths():
            break
        time.sleep(0.05)
    return {'removed_netns': len(names)}


TOOLS = {
    'engine': {'apply': lambda n: engine_run(n, 'present'), 'reapply': lambda n: engine_run(n, 'present'),
               'drift': lambda n: engine_run(n, 'present'), 'teardown': lambda n: engine_run(n, 'absent')},
    'floor': {'apply': floor_apply, 'teardown': floor_teardown},
    'ipbatch': {'apply': ipbatch_apply, 'teardown': ipbatch_teardown},
    'cni': {'apply': cni_apply, 'teardown': cni_teardown},
    'netavark': {'apply': netavark_apply, 'teardown': netavark_teardown},
    'dns': {'build': dns_build, 'add': dns_add, 'files-before': files_before, 'files-after': files_after, 'verify-add': verify_add},
    'change': {'build': lambda n, backend: change_run(n, backend, 'build'), 'add': lambda n, backend: change_run(n, backend, 'add'),
               'remove': lambda n, backend: change_run(n, backend, 'remove'), 'ready': change_ready, 'verify-add': verify_change_add,
               'verify-remove': verify_change_remove},
    'any': {'damage': damage, 'verify-up': verify_up, 'verify-down': verify_down, 'clean': clean},
}


def main(argv):
    tool, phase, n = argv[0], argv[1], int(argv[2])
    os.makedirs(STATE, exist_ok=True)
    result = TOOLS[tool][phase](n, *argv[3:])
    print(json.dumps(result))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
