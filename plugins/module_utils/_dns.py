# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Name resolution served per network: what a network's DNS server (dnsmasq, run by _dns_service) is given, what
containers' resolv.conf says, and the plan steps that bring both up to date.

Everything here but ``read`` and the steps' own actions is pure: network documents ({name: doc}, as the store holds
them) and a snapshot dict in, text or plan steps out.  A network ``serves`` names when it is a bridge network with
``dns`` on other than the default ``bridge``.  Its runtime files live in /run/hostnet/dns/NET (_dns_service.paths):
``dnsmasq.conf``, ``servers`` (the other networks' domains it forwards) and ``hosts/CONTAINER``, one records file per
container, which dnsmasq's ``hostsdir`` watches: adding or removing a container writes or removes one file.  A
network with IPv6 gets AAAA records from its endpoints' ``ip6`` and a server listening on ``gateway_v6`` too
(listen_addresses); an IPv6-only network's containers ask it there.

The snapshot (``read``): ``dirs`` {network: {conf, servers, hosts: {container: text or None (listed, not read)},
pid}} of the networks the run touches, ``listeners`` / ``inodes`` (port 53 sockets; our server's), ``upstream`` (the
resolv.conf dnsmasq forwards to), ``etc`` {container: {'hosts', 'resolv.conf'}} and ``records`` {container: netns
record} of the containers whose resolver changes.
"""

from __future__ import annotations

import os
import re
import shutil

from ansible_collections.hostnet.containers.plugins.module_utils import _dns_service
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam6
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _network
from ansible_collections.hostnet.containers.plugins.module_utils import _store
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

DOMAIN_SUFFIX = 'hostnet.internal'
# dnsmasq runs in the host's namespace, so a loopback stub works as its upstream; systemd-resolved's own list of the
# real servers is preferred when it exists, as Docker does.
UPSTREAMS = ('/run/systemd/resolve/resolv.conf', '/etc/resolv.conf')
_LABEL_RE = re.compile(r'^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$')


# -- domains --------------------------------------------------------------------------------------------------------
def default_domain(network):
    """``<network>.hostnet.internal``, lowercased, with what a DNS label cannot hold replaced by '-'."""
    label = re.sub('[^a-z0-9-]', '-', network.lower()).strip('-')[:63].strip('-')
    return '%s.%s' % (label or 'net', DOMAIN_SUFFIX)


def check_domain(value, option='dns_domain'):
    """A network's DNS domain: dot-separated labels (letters, digits, '-', '_'), 253 characters at most; returned
    lowercased (DNS names are case-insensitive, dnsmasq's answers are not)."""
    if not isinstance(value, str) or not value or len(value) > 253:
        raise _validate.InputError(option, value, 'is not a valid DNS domain')
    text = value.lower().rstrip('.')
    if not all(_LABEL_RE.match(label) for label in text.split('.')):
        raise _validate.InputError(option, value, "is not a valid DNS domain (dot-separated labels of 1-63 letters, digits, "
                                   "'_' or '-', not starting or ending with '-')")
    return text


def network_domain(param, stored, name):
    """The domain a network keeps: as given, else as stored, else the default."""
    if param is not None:
        return check_domain(param)
    return (stored or {}).get('dns_domain') or default_domain(name)


def listen_addresses(doc):
    """The addresses the name server of ``doc`` listens on: the IPv4 gateway, then the IPv6 one, each when the network
    has that family and its bridge holds the address (a family in gateway mode isolated has none there).  A dual-stack
    container asks the IPv4 one (its resolv.conf is as before IPv6); an IPv6-only one, or one whose IPv4 side is
    isolated, asks the IPv6 one."""
    out = []
    if doc.get('gateway') and doc.get('gateway_mode_ipv4') != 'isolated':
        out.append(doc['gateway'])
    if doc.get('enable_ipv6') and doc.get('gateway_v6') and doc.get('gateway_mode_ipv6') != 'isolated':
        out.append(doc['gateway_v6'])
    return out


def server_address(doc):
    """The address containers and the other networks' servers send the names of ``doc`` to."""
    return listen_addresses(doc)[0]


def serves(doc):
    """Whether the network ``doc`` has a name server of its own: a bridge network with ``dns`` on (off by default on
    the default ``bridge`` network, as Docker has no names there; ``dns: true`` asks for them) whose bridge holds a
    gateway address to listen on (listen_addresses; in gateway mode isolated of every family it has, the host has
    none there)."""
    return (_network.bridge_like(doc) and bool(doc.get('dns'))
            and bool(listen_addresses(doc)))


def domain_of(doc):
    return doc.get('dns_domain') or default_domain(doc['name'])


# -- names ----------------------------------------------------------------------------------------------------------
def host_ip(value, option):
    """An IPv4 or IPv6 address of a hosts entry or a name server (Docker takes both; an IPv6 one may be written in
    brackets, as --add-host 'name:[addr]' has it), normalised."""
    text = value[1:-1] if isinstance(value, str) and value.startswith('[') and value.endswith(']') else value
    return _ipam6.parse_either(text if _ipam6.family(text) == 6 else value, option)


def endpoint_names(cname, ep):
    """The names a container answers to on a network: its own, then its aliases (each once)."""
    names = [cname]
    for alias in ep.get('aliases') or []:
        if alias not in names:
            names.append(alias)
    return names


def check_names(doc, options=None):
    """Refuse, on a network that serves names, a container name or alias that is not a DNS name, and a name two
    containers claim (case-insensitively, as DNS compares).  ``options``: {container: its option path}."""
    if not serves(doc):
        return
    options = options or {}
    owner = {}
    for cname, ep in sorted((doc.get('endpoints') or {}).items()):
        where = options.get(cname, 'endpoints[%s]' % cname)
        _validate.alias(cname, where + '.name')
        for name in endpoint_names(cname, ep):
            if name != cname:
                _validate.alias(name, where + '.aliases')
            other = owner.setdefault(name.lower(), cname)
            if other != cname:
                raise _validate.InputError(where + ('.name' if name == cname else '.aliases'), name,
                                           "is already a name of container '%s' on network '%s'; a name resolves to one container"
                                           % (other, doc['name']))


def records_text(cname, ep, domain):
    """The hosts-format records file of one container: its address, its names and the same names in the domain."""
    names = endpoint_names(cname, ep)
    full = ' '.join(names + ['%s.%s' % (n, domain) for n in names])
    return ''.join('%s\t%s\n' % (ip, full) for ip in (ep.get('ip'), ep.get('ip6')) if ip)


# An overlay's containers on other hosts (its document's remote_endpoints) have records files too, named with this
# prefix, which no container name has: they are not this host's containers (no resolv.conf of theirs to write).
REMOTE_PREFIX = '@'


def hosts_wanted(doc):
    """{records file name: records text} of a network that serves names: its containers' and an overlay's remote
    containers' (REMOTE_PREFIX + name), so every container resolves every other one of the overlay."""
    domain = domain_of(doc)
    out = {c: records_text(c, ep, domain) for c, ep in (doc.get('endpoints') or {}).items()}
    out.update((REMOTE_PREFIX + c, records_text(c, ep, domain)) for c, ep in (doc.get('remote_endpoints') or {}).items())
    return out


# -- the server's files ---------------------------------------------------------------------------------------------
def conf_text(doc, paths, upstream):
    """dnsmasq.conf of the network: its gateways only (listen_addresses, one line each), the records of hostsdir, its
    own domain and plain names never forwarded, the rest to ``upstream`` (the host's resolvers) unless the network is
    internal."""
    lines = ['# hostnet.containers: the name server of network %s (written by every run; do not edit)' % doc['name'],
             'pid-file=%s' % paths['pid']]
    lines += ['listen-address=%s' % a for a in listen_addresses(doc)]
    lines += ['bind-interfaces', 'port=53', 'no-hosts', 'hostsdir=%s' % paths['hosts'], 'local=/%s/' % domain_of(doc),
              'user=dnsmasq', 'cache-size=150',
              # A plain name (no dot) that is not a container's is answered "not found" here, never sent upstream: the
              # search list has already tried it in the network's domain, and a LAN's resolver that does not answer
              # would otherwise hold every such lookup (an IPv6-first getent) for two 5 s retries.
              'domain-needed']
    if doc.get('internal'):
        lines.append('no-resolv')  # an internal network reaches nothing outside, names included
    else:
        lines += ['resolv-file=%s' % upstream, 'servers-file=%s' % paths['servers']]
    return '\n'.join(lines) + '\n'


def sharing(name, networks):
    """The other networks that serve names and share a container with ``name``, sorted."""
    mine = set((networks.get(name) or {}).get('endpoints') or {})
    return sorted(n for n, d in networks.items() if n != name and serves(d) and mine & set(d.get('endpoints') or {}))


def servers_text(name, networks):
    """The servers file of ``name``: the domain of each network sharing a container with it, sent to that network's
    server, so a container on both resolves the names of both through its first network's server."""
    return ''.join('server=/%s/%s\n' % (domain_of(networks[n]), server_address(networks[n])) for n in sharing(name, networks))


# -- a namespace's resolv.conf (the netns planner and the network planner both call this) ----------------------------
def dns_networks(cname, networks):
    """The networks serving names that ``cname`` is on, first connected first (ties by network name)."""
    on = [(((d.get('endpoints') or {})[cname].get('connected') or ''), n) for n, d in networks.items()
          if serves(d) and cname in (d.get('endpoints') or {})]
    return [networks[n] for dummy, n in sorted(on)]


# Docker's fallback when the host names only loopback resolvers, which a container cannot reach.
FALLBACK_SERVERS = ('8.8.8.8', '8.8.4.4')


def host_resolv_text(text):
    """The resolv.conf Docker gives a container on a network without names: the host's (``text``) with its loopback
    name servers (127.0.0.0/8, ::1: a stub such as systemd-resolved's 127.0.0.53) left out, and Google's two when
    none is left; search and options lines as the host has them."""
    lines, servers = [], []
    for line in (text or '').splitlines():
        words = line.split()
        if words[:1] == ['nameserver'] and len(words) > 1:
            if not _is_loopback(words[1]):
                servers.append(words[1])
        elif words[:1] in (['search'], ['domain'], ['options']):
            lines.append(' '.join(words))
    return ''.join(line + '\n' for line in lines) + ''.join('nameserver %s\n' % s for s in servers or FALLBACK_SERVERS)


def _is_loopback(server):
    return server.startswith('127.') or server.split('%')[0] in ('::1', '0:0:0:0:0:0:0:1')


def read_host_resolv():
    """The host's resolvers as Docker reads them: systemd-resolved's upstream list when there is one (the stub
    127.0.0.53 in /etc/resolv.conf is no use inside a container), else /etc/resolv.conf."""
    for path in UPSTREAMS:
        text = _dns_service.read_file(path)
        if text is not None:
            return text
    return ''


def on_a_network(cname, networks):
    """Whether ``cname`` is on a bridge network (the networks whose runs write resolv.conf; a macvlan container
    keeps what its namespace has)."""
    return any(cname in ((d or {}).get('endpoints') or {}) for d in networks.values() if _network.bridge_like(d))


def _without_names(cname, networks, host):
    return host_resolv_text(host) if host is not None and on_a_network(cname, networks) else None


def resolv_text(cname, networks, own_dns=None, own_search=None, host=None):
    """/etc/netns/CNAME/resolv.conf: on networks serving names, the first one's server, then the namespace's own
    ``dns`` servers, and the search list of every such network's domain then its own ``dns_search``; on none, the
    namespace's own options as the netns module writes them, or without them Docker's copy of the host's
    resolvers (host_resolv_text of ``host``, the host's resolv.conf text) when it is on a network; None when it
    has none of these (the file is not ours)."""
    nets = dns_networks(cname, networks)
    if not nets and own_dns is None and own_search is None:
        return _without_names(cname, networks, host)
    domains = [domain_of(d) for d in nets]
    servers = [server_address(nets[0])] if nets else []
    servers += [s for s in own_dns or [] if s not in servers]
    search = domains + [s for s in own_search or [] if s not in domains]
    return ('search %s\n' % ' '.join(search) if search else '') + ''.join('nameserver %s\n' % s for s in servers)


def own_options(record):
    record = record or {}
    return record.get('dns'), record.get('dns_search')


# -- port 53 ----------------------------------------------------------------------------------------------------------
def _blocks(sock_ip, address):
    """Whether a socket bound to ``sock_ip`` keeps a server from binding ``address``: the same address, or a wildcard
    of its family ('::' without IPV6_V6ONLY takes IPv4 too, so it blocks both)."""
    if sock_ip == '::':
        return True
    if ':' not in address:
        return sock_ip in (address, '0.0.0.0')
    return ':' in sock_ip and _ipam.netaddr.IPAddress(sock_ip) == _ipam.netaddr.IPAddress(address)


def check_port(doc, listeners, ours):
    """Refuse a network whose server cannot listen: a port 53 socket on one of its listen addresses (or a wildcard)
    that is not held by its own server (``ours``: that server's socket inodes)."""
    if not serves(doc):
        return
    for address in listen_addresses(doc):
        for sock in listeners:
            if _blocks(sock['ip'], address) and sock['inode'] not in ours:
                raise _validate.InputError('dns', True, 'port 53 (%s) on %s, the gateway of network %s, is already taken by another '
                                           'program (listening on %s); its name server cannot start there'
                                           % (sock['proto'], address, doc['name'], sock['ip']))


# -- what a run reads -------------------------------------------------------------------------------------------------
def touched(name, old, new):
    """The networks whose server files a run of ``name`` may change: itself and those sharing a container with it
    before or after."""
    return sorted({name} | set(sharing(name, old)) | set(sharing(name, new)))


def resolver_changes(name, old, new, full=False):
    """The containers of ``name`` whose resolver may change: those whose networks serving names differ before and
    after, those joining or leaving, and all of them when ``full`` (the server starts anew: after a reboot, an
    upgrade, a new domain)."""
    before = set((old.get(name) or {}).get('endpoints') or {})
    after = set((new.get(name) or {}).get('endpoints') or {})
    out = before ^ after
    for cname in before | after:
        if full or resolv_text(cname, old) != resolv_text(cname, new):
            out.add(cname)
    return sorted(out)


def needs_full(name, new, dirs):
    """Whether every container of ``name`` is looked at: the server's files are not there or say another domain or
    other listen addresses (after a reboot /run is empty; an upgrade from hosts-file names has none yet)."""
    doc = new.get(name)
    if not serves(doc):
        return False
    conf = (dirs.get(name) or {}).get('conf') or ''
    listening = [line for line in conf.splitlines() if line.startswith('listen-address=')]
    return listening != ['listen-address=%s' % a for a in listen_addresses(doc)] or ('local=/%s/\n' % domain_of(doc)) not in conf


def resolver_candidates(name, old, new, dirs):
    """resolver_changes, and the containers whose records file is missing or left over: a container's records file is
    written after its resolv.conf (and removed after it is restored), as the mark that the container is done, so the
    rerun of a run killed in between finds those containers by the listing alone (no file of the others is read)."""
    out = set(resolver_changes(name, old, new, needs_full(name, new, dirs)))
    listed = {n for n in (dirs.get(name) or {}).get('hosts') or {} if not n.startswith(REMOTE_PREFIX)}
    doc = new.get(name)
    out |= (set(doc.get('endpoints') or {}) ^ listed) if serves(doc) else listed
    return sorted(out)


def changed_records(had, want):
    """The containers whose records file differs between the network documents ``had`` and ``want``."""
    mine = hosts_wanted(want) if serves(want) else {}
    before = hosts_wanted(had) if serves(had) else {}
    return {c for c in set(mine) | set(before) if mine.get(c) != before.get(c)}


def read_dir(network, svc, wanted=None):
    """The snapshot of /run/hostnet/dns/NETWORK: conf and servers text, the hosts listing with the text of the files
    but those in ``wanted`` (None: all of them are read), and our server's pid."""
    paths = svc.paths(network)
    try:
        listing = sorted(n for n in os.listdir(paths['hosts']) if not n.startswith('.'))
    except OSError:
        listing = []
    hosts = {n: None if wanted is not None and n in wanted else _dns_service.read_file(os.path.join(paths['hosts'], n)) for n in listing}
    return {'exists': os.path.isdir(paths['dir']), 'conf': _dns_service.read_file(paths['conf']), 'servers': _dns_service.read_file(paths['servers']),
            'hosts': hosts, 'pid': svc.running(network)}


def read(name, old, new, svc, records):
    """The snapshot a run of ``name`` plans from (see the module doc); ``records(names)`` loads netns records."""
    dirs = {}
    for net in touched(name, old, new):
        want = new.get(net)
        skip = None
        if net != name:
            skip = set((want or {}).get('endpoints') or {}) | set((old.get(net) or {}).get('endpoints') or {})
        elif serves(want):
            # Only the files this run changes are read (for undo): the rest are as written, or missing and rewritten.
            skip = set(hosts_wanted(want)) - changed_records(old.get(net), want)
        dirs[net] = read_dir(net, svc, skip)
    doc = new.get(name)
    ours = svc.socket_inodes(dirs[name]['pid']) if dirs[name]['pid'] else set()
    cnames = resolver_candidates(name, old, new, dirs)
    etc = {c: {f: _dns_service.read_file(os.path.join(_netns.etc_dir(c), f)) for f in ('hosts', 'resolv.conf')} for c in cnames}
    return {'dirs': dirs, 'listeners': svc.listeners(53) if serves(doc) else [], 'inodes': ours,
            'upstream': next((p for p in UPSTREAMS if os.path.exists(p)), UPSTREAMS[-1]), 'etc': etc,
            'host_resolv': read_host_resolv(),
            'records': records(cnames)}


# -- the steps' actions -------------------------------------------------------------------------------------------------
def write_file(path, content):
    """Replace ``path`` through a dot-named temporary file (dnsmasq's hostsdir ignores those) renamed into place;
    None removes it."""
    if content is None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        return
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    tmp = os.path.join(os.path.dirname(path), '.%s.tmp' % os.path.basename(path))
    _store.write_atomic(path, content, mode=0o644, tmp=tmp, fsync=False)


def etc_write(cname, fname, text):
    """/etc/netns/CNAME/FNAME through _netns (its one writer); None removes it, and the folder once empty (a folder the
    network made for resolv.conf goes with it, one the netns module or the user filled stays)."""
    _netns._write_text(os.path.join(_netns.etc_dir(cname), fname), text)  # pylint: disable=protected-access


def make_dir(paths):
    for folder in (paths['dir'], paths['hosts']):
        os.makedirs(folder, mode=0o755, exist_ok=True)
        os.chmod(folder, 0o755)  # readable by user dnsmasq whatever the umask


def remove_dir(paths):
    shutil.rmtree(paths['dir'], ignore_errors=True)


def restore_dir(paths, state):
    """Put back the files ``state`` (a read_dir snapshot read in full) had."""
    make_dir(paths)
    for key in ('conf', 'servers'):
        write_file(paths[key], state.get(key))
    for cname, text in (state.get('hosts') or {}).items():
        write_file(os.path.join(paths['hosts'], cname), text)


# -- the plan -------------------------------------------------------------------------------------------------------------
class Planner:
    """The steps of one run of network ``name``: its server (files, start/stop/restart/reload), the servers files of
    the networks sharing containers with it, and the resolv.conf (and the old hosts-file names) of its containers.
    ``svc``: _dns_service (a fake in unit tests)."""

    def __init__(self, plan, name, old, new, snap, svc):
        self.plan, self.name, self.old, self.new, self.snap, self.svc = plan, name, old, new, snap, svc

    def run(self, options=None):
        doc = self.new.get(self.name)
        check_names(doc, options)
        check_port(doc, self.snap['listeners'], self.snap['inodes'])
        # The containers' resolv.conf first: their records files, written after, mark them done (resolver_candidates).
        for cname in sorted(self.snap['etc']):
            self.plan_resolver(cname)
        if serves(doc):
            self.plan_server(self.name, doc)
        else:
            self.plan_stop(self.name)
        for net in touched(self.name, self.old, self.new):
            if net != self.name and serves(self.new.get(net)):
                self.plan_servers_file(net)
        return self.plan

    def dir(self, net):
        return self.snap['dirs'].get(net) or {'exists': False, 'conf': None, 'servers': None, 'hosts': {}, 'pid': None}

    def plan_server(self, net, doc):
        state, paths, svc = self.dir(net), self.svc.paths(net), self.svc
        if not state['exists']:
            self.plan.add('create %s' % paths['dir'], lambda: make_dir(paths), lambda: remove_dir(paths))
        conf = conf_text(doc, paths, self.snap['upstream'])
        conf_changed = state['conf'] != conf
        if conf_changed:
            old = state['conf']
            self.plan.add('write %s' % paths['conf'], lambda: write_file(paths['conf'], conf),
                          lambda: (write_file(paths['conf'], old), svc.restart(net) if old and svc.running(net) else None))
        servers_changed = self.plan_servers_file(net, reload=False)
        self.plan_hosts(net, doc, state, paths)
        if state['pid'] is None:
            self.plan.add('start name server of network %s (%s)' % (net, svc.manager()), lambda: svc.start(net), lambda: svc.stop(net))
        elif conf_changed:
            self.plan.add('restart name server of network %s' % net, lambda: svc.restart(net))
        elif servers_changed:
            self.plan.add('reload name server of network %s' % net, lambda: svc.reload(net))

    def plan_servers_file(self, net, reload=True):
        """Write the servers file of ``net`` when it differs (and signal its server when ``reload`` and it runs);
        whether it changes."""
        state, paths, svc = self.dir(net), self.svc.paths(net), self.svc
        doc = self.new[net]
        want = None if doc.get('internal') else servers_text(net, self.new)
        if want is not None and state['servers'] is None and not want:
            want = ''  # dnsmasq wants the file it is told to read
        if state['servers'] == want or (net != self.name and not state['exists']):
            return False  # a network whose server is not set up gets its files from its own run
        old = state['servers']
        self.plan.add('write %s' % paths['servers'], lambda: write_file(paths['servers'], want),
                      lambda: (write_file(paths['servers'], old), svc.reload(net) if svc.running(net) else None))
        if reload and state['pid'] is not None:
            self.plan.add('reload name server of network %s' % net, lambda: svc.reload(net))
        return True

    def plan_hosts(self, net, doc, state, paths):
        """One records file per container: written when missing or changed by this run, removed when the container
        left; a listed file this run does not change is as written (not read: adding one container reads one file)."""
        have = state['hosts']
        want = hosts_wanted(doc)
        changed = changed_records(self.old.get(net), doc)
        for cname in sorted(set(want) | set(have)):
            text, old = want.get(cname), have.get(cname)
            if text is not None and cname in have and (cname not in changed or text == old):
                continue
            if text is None and cname not in have:
                continue
            path = os.path.join(paths['hosts'], cname)
            what = 'write names of %s to' % cname if text is not None else 'remove names of %s from' % cname
            self.plan.add('%s %s' % (what, path), lambda path=path, text=text: write_file(path, text),
                          lambda path=path, old=old: write_file(path, old))

    def plan_stop(self, net):
        """A network without a server (removed, dns off): its server stopped and its folder removed."""
        state, paths, svc = self.dir(net), self.svc.paths(net), self.svc
        if state['pid'] is not None:
            self.plan.add('stop name server of network %s' % net, lambda: svc.stop(net), lambda: svc.start(net))
        if state['exists']:
            self.plan.add('remove %s' % paths['dir'], lambda: remove_dir(paths), lambda: restore_dir(paths, state))

    def plan_resolver(self, cname):
        """resolv.conf of a container whose networks changed, and the names earlier versions wrote in its hosts file
        removed (the hosts file keeps localhost and the netns module's entries)."""
        files = self.snap['etc'][cname]
        own_dns, own_search = own_options(self.snap['records'].get(cname))
        host = self.snap.get('host_resolv')
        want = resolv_text(cname, self.new, own_dns, own_search, host)
        had = resolv_text(cname, self.old, own_dns, own_search, host)
        current = files.get('resolv.conf')
        if want is None and current is not None and current != had:
            want = current  # not written by us: left alone
        if want != current:
            # A write is the container's own file, beside the kernel work (_plan.Step); a removal may take its folder.
            self.plan.add('%s %s' % ('write' if want is not None else 'remove', os.path.join(_netns.etc_dir(cname), 'resolv.conf')),
                          lambda: etc_write(cname, 'resolv.conf', want), lambda: etc_write(cname, 'resolv.conf', current),
                          beside=want is not None)
        hosts = files.get('hosts')
        if _netns.hosts_block(hosts):
            new = _netns.hosts_with_block(hosts, '')
            new = None if new == _netns.LOCALHOST_HOSTS else new  # only localhost and our names: the file was ours
            self.plan.add('remove container names from %s' % os.path.join(_netns.etc_dir(cname), 'hosts'),
                          lambda: etc_write(cname, 'hosts', new), lambda: etc_write(cname, 'hosts', hosts))


def plan(steps, name, old, new, snap, svc, options=None):
    """Add to ``steps`` what network ``name`` needs for names, from the networks ``old`` and ``new`` ({name: doc}) and
    ``snap`` (see read); InputError before any step when a name or port 53 is refused."""
    return Planner(steps, name, old, new, snap, svc).run(options)
