# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_dns from dicts (no root, no server): domains, the files of a network's name server, a namespace's resolv.conf,
the refusals, and every branch of the plan (a fake service stands in for _dns_service)."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


class FakeService:
    """Stands in for _dns_service: paths under /run/hostnet/dns, calls recorded."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def paths(network):
        base = '/run/hostnet/dns/' + network
        return {'dir': base, 'conf': base + '/dnsmasq.conf', 'servers': base + '/servers', 'hosts': base + '/hosts',
                'pid': base + '/dnsmasq.pid'}

    @staticmethod
    def manager():
        return 'supervised'

    def __getattr__(self, name):
        def call(*args):
            self.calls.append((name,) + args)
        return call


def net(name, endpoints=None, gateway='172.18.0.1', dns=True, internal=False, domain=None):
    doc = {'name': name, 'driver': 'bridge', 'dns': dns, 'gateway': gateway, 'internal': internal,
           'endpoints': {c: dict(ep) for c, ep in (endpoints or {}).items()}}
    if domain:
        doc['dns_domain'] = domain
    return doc


def ep(ip, aliases=(), connected=''):
    return {'ip': ip, 'aliases': list(aliases), 'connected': connected}


def state(conf=None, servers=None, hosts=None, pid=None, exists=None):
    return {'exists': conf is not None if exists is None else exists, 'conf': conf, 'servers': servers, 'hosts': hosts or {}, 'pid': pid}


SVC = FakeService()
PATHS = SVC.paths('app')


def snapshot(dirs, etc=None, records=None, listeners=(), inodes=()):
    return {'dirs': dirs, 'listeners': list(listeners), 'inodes': set(inodes), 'upstream': '/etc/resolv.conf',
            'etc': etc or {}, 'records': records or {}}


def running_app(doc, hosts=None, servers=''):
    """The snapshot of ``app`` as a previous run left it."""
    return state(_dns.conf_text(doc, PATHS, '/etc/resolv.conf'), servers,
                 {c: None for c in (hosts if hosts is not None else doc['endpoints'])}, pid=42)


# -- domains, names, files ------------------------------------------------------------------------------------------
@pytest.mark.parametrize('name, domain', [('app', 'app.hostnet.internal'), ('My_Net.1', 'my-net-1.hostnet.internal'),
                                          ('-x-', 'x.hostnet.internal'), ('___', 'net.hostnet.internal')])
def test_default_domain(name, domain):
    assert _dns.default_domain(name) == domain


def test_network_domain_given_stored_default():
    assert _dns.network_domain('Corp.Example.', None, 'app') == 'corp.example'
    assert _dns.network_domain(None, {'dns_domain': 'kept.example'}, 'app') == 'kept.example'
    assert _dns.network_domain(None, {}, 'app') == 'app.hostnet.internal'


@pytest.mark.parametrize('value', ['', 'a..b', '-a.example', 'a b', 5, 'x' * 64 + '.example'])
def test_bad_domain_names_option_and_value(value):
    with pytest.raises(_validate.InputError) as err:
        _dns.check_domain(value)
    assert err.value.option == 'dns_domain'


def test_serves_only_user_defined_bridge_networks_with_dns():
    assert _dns.serves(net('app'))
    assert not _dns.serves(net('app', dns=False))
    assert not _dns.serves(net('bridge', dns=False))
    assert not _dns.serves(dict(net('mv'), driver='macvlan'))
    assert not _dns.serves(None)


def test_records_text_names_aliases_and_domain():
    text = _dns.records_text('web', ep('172.18.0.2', ['www', 'web']), 'app.hostnet.internal')
    assert text == '172.18.0.2\tweb www web.app.hostnet.internal www.app.hostnet.internal\n'


def test_conf_forwards_unless_internal():
    conf = _dns.conf_text(net('app'), PATHS, '/run/systemd/resolve/resolv.conf')
    assert 'listen-address=172.18.0.1\n' in conf and 'bind-interfaces\n' in conf and 'local=/app.hostnet.internal/\n' in conf
    assert 'resolv-file=/run/systemd/resolve/resolv.conf\n' in conf and 'servers-file=/run/hostnet/dns/app/servers\n' in conf
    assert 'hostsdir=/run/hostnet/dns/app/hosts\n' in conf and 'pid-file=/run/hostnet/dns/app/dnsmasq.pid\n' in conf
    assert 'domain-needed\n' in conf  # a plain name that is no container's is not sent upstream
    internal = _dns.conf_text(net('app', internal=True), PATHS, '/etc/resolv.conf')
    assert 'no-resolv\n' in internal and 'resolv-file' not in internal and 'servers-file' not in internal


def test_servers_file_names_networks_sharing_a_container():
    nets = {'a': net('a', {'c1': ep('172.18.0.2'), 'c2': ep('172.18.0.3')}),
            'b': net('b', {'c1': ep('172.19.0.2')}, gateway='172.19.0.1'),
            'c': net('c', {'c3': ep('172.20.0.2')}, gateway='172.20.0.1'),
            'd': net('d', {'c1': ep('172.21.0.2')}, gateway='172.21.0.1', dns=False)}
    assert _dns.sharing('a', nets) == ['b']
    assert _dns.servers_text('a', nets) == 'server=/b.hostnet.internal/172.19.0.1\n'
    assert _dns.servers_text('c', nets) == ''


def test_check_names_refuses_bad_labels_and_claimed_names():
    _dns.check_names(net('app', {'web': ep('172.18.0.2', ['www']), 'db': ep('172.18.0.3')}))
    with pytest.raises(_validate.InputError) as err:
        _dns.check_names(net('app', {'web': ep('172.18.0.2', ['bad-'])}), {'web': 'endpoints[0]'})
    assert err.value.option == 'endpoints[0].aliases' and err.value.value == 'bad-'
    with pytest.raises(_validate.InputError) as err:
        _dns.check_names(net('app', {'web': ep('172.18.0.2', ['db']), 'db': ep('172.18.0.3')}), {'web': 'endpoints[1]'})
    assert 'db' in str(err.value) and "container 'db'" in str(err.value)
    with pytest.raises(_validate.InputError):
        _dns.check_names(net('app', {'web.': ep('172.18.0.2')}))
    # Not checked where no server answers (Docker refuses no container name for its names).
    _dns.check_names(net('app', {'web-': ep('172.18.0.2')}, dns=False))


def test_check_port_refuses_a_foreign_listener():
    doc = net('app')
    _dns.check_port(doc, [{'proto': 'udp', 'ip': '127.0.0.1', 'port': 53, 'inode': 1}], set())
    _dns.check_port(doc, [{'proto': 'udp', 'ip': '172.18.0.1', 'port': 53, 'inode': 7}], {7})
    for ip in ('172.18.0.1', '0.0.0.0', '::'):
        with pytest.raises(_validate.InputError) as err:
            _dns.check_port(doc, [{'proto': 'tcp', 'ip': ip, 'port': 53, 'inode': 9}], {7})
        assert err.value.option == 'dns' and '172.18.0.1' in str(err.value)
    _dns.check_port(net('app', dns=False), [{'proto': 'udp', 'ip': '0.0.0.0', 'port': 53, 'inode': 9}], set())


# -- resolv.conf ---------------------------------------------------------------------------------------------------------
def test_resolv_text_first_connected_network_and_every_domain():
    nets = {'a': net('a', {'c1': ep('172.18.0.2', connected='2026-02')}),
            'b': net('b', {'c1': ep('172.19.0.2', connected='2026-01')}, gateway='172.19.0.1'),
            'n': net('n', {'c1': ep('172.20.0.2')}, gateway='172.20.0.1', dns=False)}
    assert _dns.resolv_text('c1', nets) == 'search b.hostnet.internal a.hostnet.internal\nnameserver 172.19.0.1\n'
    assert _dns.resolv_text('c1', nets, ['9.9.9.9'], ['corp.example']) == (
        'search b.hostnet.internal a.hostnet.internal corp.example\nnameserver 172.19.0.1\nnameserver 9.9.9.9\n')


def test_resolv_text_off_dns_networks_is_the_namespace_own_or_none():
    nets = {'n': net('n', {'c1': ep('172.20.0.2')}, dns=False)}
    assert _dns.resolv_text('c1', nets) is None
    assert _dns.resolv_text('c1', nets, ['1.1.1.1'], []) == 'nameserver 1.1.1.1\n'
    assert _dns.resolv_text('c1', nets, [], []) == ''


def test_host_resolvers_without_loopback_as_docker_gives_them():
    host = 'search corp.example\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nnameserver ::1\noptions edns0 trust-ad\n'
    assert _dns.host_resolv_text(host) == 'search corp.example\noptions edns0 trust-ad\nnameserver 10.0.0.2\n'
    # Only loopback stubs (systemd-resolved, a local dnsmasq), or nothing: Docker's fallback.
    assert _dns.host_resolv_text('nameserver 127.0.0.53\n') == 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n'
    assert _dns.host_resolv_text('') == 'nameserver 8.8.8.8\nnameserver 8.8.4.4\n'


def test_resolv_text_on_a_network_without_names_is_the_host_without_loopback():
    nets = {'bridge': net('bridge', {'c1': ep('172.17.0.2')}, dns=False),
            'mac': dict(net('mac', {'m1': ep('10.40.0.2')}, dns=False), driver='macvlan')}
    host = 'nameserver 127.0.0.1\nnameserver 192.0.2.53\n'
    assert _dns.resolv_text('c1', nets, host=host) == 'nameserver 192.0.2.53\n'
    # The namespace's own options win; a container on no bridge network, or not on any, keeps what it has.
    assert _dns.resolv_text('c1', nets, ['1.1.1.1'], [], host) == 'nameserver 1.1.1.1\n'
    assert _dns.resolv_text('m1', nets, host=host) is None
    assert _dns.resolv_text('x', nets, host=host) is None


def test_a_container_joining_the_default_bridge_gets_the_host_resolvers_and_leaving_removes_them():
    host = 'nameserver 127.0.0.53\nnameserver 192.0.2.53\n'
    old = {'bridge': net('bridge', {}, dns=False)}
    new = {'bridge': net('bridge', {'c1': ep('172.17.0.2')}, dns=False)}
    snap = dict(snapshot({}, etc={'c1': {'hosts': None, 'resolv.conf': None}}), host_resolv=host)
    plan = _dns.Planner(_plan.Plan(), 'bridge', old, new, snap, FakeService()).run()
    assert [step.text for step in plan.steps] == ['write /etc/netns/c1/resolv.conf']
    snap = dict(snapshot({}, etc={'c1': {'hosts': None, 'resolv.conf': 'nameserver 192.0.2.53\n'}}), host_resolv=host)
    plan = _dns.Planner(_plan.Plan(), 'bridge', new, old, snap, FakeService()).run()
    assert [step.text for step in plan.steps] == ['remove /etc/netns/c1/resolv.conf']


def test_resolver_changes_and_full():
    old = {'app': net('app', {'a': ep('172.18.0.2'), 'b': ep('172.18.0.3')})}
    new = {'app': net('app', {'a': ep('172.18.0.2'), 'c': ep('172.18.0.4')})}
    assert _dns.resolver_changes('app', old, new) == ['b', 'c']
    assert _dns.resolver_changes('app', old, new, full=True) == ['a', 'b', 'c']
    assert _dns.needs_full('app', new, {})
    assert not _dns.needs_full('app', new, {'app': running_app(new['app'])})
    assert _dns.needs_full('app', {'app': net('app', domain='other.example')}, {'app': running_app(new['app'])})


# -- the plan ------------------------------------------------------------------------------------------------------------------
def steps(old, new, snap, svc=None, name='app'):
    svc = svc or FakeService()
    return _dns.plan(_plan.Plan(), name, old, new, snap, svc).commands, svc


def test_new_network_creates_files_and_starts():
    doc = net('app', {'web': ep('172.18.0.2')})
    cmds, dummy = steps({}, {'app': doc}, snapshot({}, etc={'web': {'hosts': None, 'resolv.conf': None}}))
    # resolv.conf before the records file, which marks the container done for the rerun of a killed run.
    assert cmds == ['write /etc/netns/web/resolv.conf', 'create /run/hostnet/dns/app', 'write /run/hostnet/dns/app/dnsmasq.conf',
                    'write /run/hostnet/dns/app/servers', 'write names of web to /run/hostnet/dns/app/hosts/web',
                    'start name server of network app (supervised)']


def test_rerun_has_no_step():
    doc = net('app', {'web': ep('172.18.0.2'), 'db': ep('172.18.0.3')})
    nets = {'app': doc}
    cmds, dummy = steps(nets, nets, snapshot({'app': running_app(doc)}))
    assert cmds == []


def test_adding_one_container_writes_one_file_and_signals_nothing():
    old = net('app', {'web': ep('172.18.0.2')})
    new = net('app', {'web': ep('172.18.0.2'), 'db': ep('172.18.0.3')})
    cmds, svc = steps({'app': old}, {'app': new}, snapshot({'app': running_app(old)}, etc={'db': {'hosts': None, 'resolv.conf': None}}))
    assert cmds == ['write /etc/netns/db/resolv.conf', 'write names of db to /run/hostnet/dns/app/hosts/db']
    assert svc.calls == []


def test_removing_a_container_removes_its_file():
    old = net('app', {'web': ep('172.18.0.2'), 'db': ep('172.18.0.3')})
    new = net('app', {'web': ep('172.18.0.2')})
    dirs = {'app': running_app(old)}
    dirs['app']['hosts']['db'] = '172.18.0.3\tdb db.app.hostnet.internal\n'
    resolv = _dns.resolv_text('db', {'app': old})
    cmds, dummy = steps({'app': old}, {'app': new}, snapshot(dirs, etc={'db': {'hosts': None, 'resolv.conf': resolv}}))
    assert cmds == ['remove /etc/netns/db/resolv.conf', 'remove names of db from /run/hostnet/dns/app/hosts/db']


def test_a_missing_records_file_is_written_again():
    doc = net('app', {'web': ep('172.18.0.2'), 'db': ep('172.18.0.3')})
    cmds, dummy = steps({'app': doc}, {'app': doc}, snapshot({'app': running_app(doc, hosts=['web'])}))
    assert cmds == ['write names of db to /run/hostnet/dns/app/hosts/db']


def test_server_not_running_is_started_and_changed_conf_restarts():
    doc = net('app', {'web': ep('172.18.0.2')})
    stopped = running_app(doc)
    stopped['pid'] = None
    assert steps({'app': doc}, {'app': doc}, snapshot({'app': stopped}))[0] == ['start name server of network app (supervised)']
    stale = running_app(doc)
    stale['conf'] = stale['conf'].replace('cache-size=150', 'cache-size=1')
    assert steps({'app': doc}, {'app': doc}, snapshot({'app': stale}))[0] == [
        'write /run/hostnet/dns/app/dnsmasq.conf', 'restart name server of network app']


def test_joining_a_second_network_reloads_the_first_networks_server():
    a_old = net('a', {'c1': ep('172.18.0.2', connected='1')})
    b_old = net('b', {}, gateway='172.19.0.1')
    b_new = net('b', {'c1': ep('172.19.0.2', connected='2')}, gateway='172.19.0.1')
    svc = FakeService()
    dirs = {'a': dict(state(_dns.conf_text(a_old, svc.paths('a'), '/etc/resolv.conf'), '', {'c1': None}, pid=5)),
            'b': dict(state(_dns.conf_text(b_old, svc.paths('b'), '/etc/resolv.conf'), '', {}, pid=6))}
    etc = {'c1': {'hosts': None, 'resolv.conf': _dns.resolv_text('c1', {'a': a_old})}}
    cmds, dummy = steps({'a': a_old, 'b': b_old}, {'a': a_old, 'b': b_new}, snapshot(dirs, etc=etc), svc, name='b')
    assert cmds == ['write /etc/netns/c1/resolv.conf', 'write /run/hostnet/dns/b/servers', 'write names of c1 to /run/hostnet/dns/b/hosts/c1',
                    'reload name server of network b', 'write /run/hostnet/dns/a/servers', 'reload name server of network a']


def test_removed_network_stops_its_server_and_removes_its_folder():
    doc = net('app', {})
    cmds, dummy = steps({'app': doc}, {}, snapshot({'app': running_app(doc)}))
    assert cmds == ['stop name server of network app', 'remove /run/hostnet/dns/app']
    assert steps({'app': doc}, {}, snapshot({}))[0] == []


def test_dns_turned_off_stops_the_server():
    doc = net('app', {})
    cmds, dummy = steps({'app': doc}, {'app': net('app', {}, dns=False)}, snapshot({'app': running_app(doc)}))
    assert cmds == ['stop name server of network app', 'remove /run/hostnet/dns/app']


def test_upgrade_removes_the_old_hosts_block_and_keeps_user_lines():
    doc = net('app', {'web': ep('172.18.0.2')})
    block = _netns.HOSTS_BEGIN + '172.18.0.2\tweb\n' + _netns.HOSTS_END
    etc = {'web': {'hosts': _netns.LOCALHOST_HOSTS + '10.0.0.1\tmine\n' + block, 'resolv.conf': None}}
    cmds, dummy = steps({'app': doc}, {'app': doc}, snapshot({}, etc=etc))
    assert 'remove container names from /etc/netns/web/hosts' in cmds and 'write /etc/netns/web/resolv.conf' in cmds


def test_a_resolv_conf_not_ours_is_left_alone_when_the_container_leaves():
    old = net('app', {'web': ep('172.18.0.2')})
    new = net('app', {})
    dirs = {'app': running_app(old)}
    cmds, dummy = steps({'app': old}, {'app': new}, snapshot(dirs, etc={'web': {'hosts': None, 'resolv.conf': 'nameserver 1.2.3.4\n'}}))
    assert cmds == ['remove names of web from /run/hostnet/dns/app/hosts/web']


def test_own_dns_options_stay_after_the_network():
    old = net('app', {'web': ep('172.18.0.2')})
    new = net('app', {})
    record = {'dns': ['9.9.9.9'], 'dns_search': []}
    etc = {'web': {'hosts': None, 'resolv.conf': _dns.resolv_text('web', {'app': old}, ['9.9.9.9'], [])}}
    cmds, dummy = steps({'app': old}, {'app': new}, snapshot({'app': running_app(old)}, etc=etc, records={'web': record}))
    assert 'write /etc/netns/web/resolv.conf' in cmds


def test_refusals_come_before_any_step():
    doc = net('app', {'web': ep('172.18.0.2', ['db']), 'db': ep('172.18.0.3')})
    with pytest.raises(_validate.InputError):
        steps({}, {'app': doc}, snapshot({}))
    taken = [{'proto': 'udp', 'ip': '172.18.0.1', 'port': 53, 'inode': 3}]
    with pytest.raises(_validate.InputError):
        steps({}, {'app': net('app', {})}, snapshot({}, listeners=taken))


def test_undo_of_a_written_conf_restarts_a_running_server(tmp_path):
    svc = FakeService()
    paths = {'dir': str(tmp_path), 'conf': str(tmp_path / 'dnsmasq.conf'), 'servers': str(tmp_path / 'servers'),
             'hosts': str(tmp_path / 'hosts'), 'pid': str(tmp_path / 'pid')}
    svc.paths = lambda network: paths
    svc.running = lambda network: 7
    doc = net('app', {})
    old_conf = 'old\n'
    (tmp_path / 'dnsmasq.conf').write_text(old_conf)
    plan = _dns.plan(_plan.Plan(), 'app', {'app': doc}, {'app': doc}, snapshot({'app': state(old_conf, '', {}, pid=7)}), svc)
    plan.steps[0].do()
    assert (tmp_path / 'dnsmasq.conf').read_text() == _dns.conf_text(doc, paths, '/etc/resolv.conf')
    plan.steps[0].undo()
    assert (tmp_path / 'dnsmasq.conf').read_text() == old_conf and svc.calls == [('restart', 'app')]


def test_write_file_uses_a_hidden_temporary_and_removes(tmp_path):
    path = str(tmp_path / 'hosts' / 'web')
    _dns.write_file(path, 'x\n')
    assert sorted(p.name for p in (tmp_path / 'hosts').iterdir()) == ['web']
    _dns.write_file(path, None)
    _dns.write_file(path, None)
    assert not (tmp_path / 'hosts' / 'web').exists()


def test_restore_dir_puts_back_what_was_read(tmp_path):
    paths = {'dir': str(tmp_path / 'd'), 'conf': str(tmp_path / 'd' / 'c'), 'servers': str(tmp_path / 'd' / 's'),
             'hosts': str(tmp_path / 'd' / 'h')}
    _dns.restore_dir(paths, state('conf\n', '', {'web': 'w\n'}))
    assert (tmp_path / 'd' / 'h' / 'web').read_text() == 'w\n' and (tmp_path / 'd' / 'c').read_text() == 'conf\n'
    _dns.remove_dir(paths)
    assert not (tmp_path / 'd').exists()


def test_network_info_shows_the_domain():
    doc = dict(net('app', domain='app.hostnet.internal'), id='x' * 64, created='now', subnet='172.18.0.0/16', bridge='br-x')
    assert _inspect.inspect(doc)['Options']['hostnet.containers.dns_domain'] == 'app.hostnet.internal'
    assert 'hostnet.containers.dns_domain' not in _inspect.inspect(dict(doc, dns_domain=None))['Options']


def test_a_run_killed_between_resolv_conf_and_records_is_finished_by_the_listing():
    """The document is already saved, so old and new agree: the missing records file (and a left-over one) alone
    makes the rerun look at that container's resolv.conf."""
    doc = net('app', {'web': ep('172.18.0.2'), 'db': ep('172.18.0.3')})
    dirs = {'app': running_app(doc, hosts=['web', 'gone'])}
    assert _dns.resolver_candidates('app', {'app': doc}, {'app': doc}, dirs) == ['db', 'gone']
    assert _dns.resolver_candidates('app', {'app': doc}, {'app': net('app', {}, dns=False)}, dirs) == ['db', 'gone', 'web']
    etc = {'db': {'hosts': None, 'resolv.conf': None}}
    cmds, dummy = steps({'app': doc}, {'app': doc}, snapshot(dirs, etc=etc))
    assert cmds[:2] == ['write /etc/netns/db/resolv.conf', 'write names of db to /run/hostnet/dns/app/hosts/db']


def test_an_isolated_network_has_no_server():
    # gateway_mode_ipv4 isolated: the bridge holds no address, so no server can listen on the gateway.
    assert _dns.serves(net('n'))
    assert not _dns.serves(dict(net('n'), gateway_mode_ipv4='isolated', internal=True))
