# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The restore's pure half: stored documents to the modules' parameters (every option the module has, nothing
re-picked), the order networks and namespaces are rebuilt in, what planning must not change, namespace records
(the netns contract) to steps, and the engine importing without ansible as it does on a host at boot."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _netns  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _ports  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _restore  # noqa: E402  pylint: disable=wrong-import-position

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

BRIDGE_DOC = {
    'name': 'frontend', 'id': 'ab' * 32, 'driver': 'bridge', 'created': '2026-12-04T23:00:00.000000Z',
    'bridge': 'br-abababababab', 'stp': False, 'icc': False, 'ip_masquerade': True, 'host_binding_ipv4': '0.0.0.0',
    'ip_forward': True, 'firewall': True, 'firewall_backend': 'nftables', 'dns': True, 'mtu': 1400, 'internal': False,
    'subnet': '172.18.0.0/16', 'gateway': '172.18.0.1', 'ip_range': '172.18.5.0/24', 'aux_addresses': {'router': '172.18.0.2'},
    'endpoints': {
        'web': {'ip': '172.18.5.1', 'mac': '02:42:ac:12:05:01', 'ifname': 'eth1', 'endpoint_id': 'e1', 'aliases': ['www'],
                'veth': 'vethabc', 'default_route': False,
                'publish': [{'host_ip': '0.0.0.0', 'host_port': 40001, 'container_port': 80, 'proto': 'tcp', 'auto': True},
                            {'host_ip': '127.0.0.1', 'host_port': 5353, 'container_port': 53, 'proto': 'udp'}]},
        'db': {'ip': '172.18.5.2', 'mac': '02:00:00:00:00:02', 'ifname': 'eth0', 'endpoint_id': 'e2', 'aliases': [],
               'veth': 'vethdef', 'default_route': True},
    },
}
MACVLAN_DOC = {
    'name': 'macnet', 'id': 'cd' * 32, 'driver': 'macvlan', 'created': '2026-12-04T23:01:00.000000Z', 'parent': 'ens33',
    'parent_created': None, 'mode': 'bridge', 'host_shim': {'name': 'mvs-cdcdcdcdcd', 'ip': '10.138.3.250'}, 'mtu': 1500,
    'internal': False, 'subnet': '10.138.3.0/24', 'gateway': '10.138.3.1', 'ip_range': None, 'aux_addresses': {},
    'endpoints': {'c1': {'ip': '10.138.3.100', 'mac': '02:42:0a:8a:03:64', 'ifname': 'eth0', 'endpoint_id': 'e3',
                         'aliases': [], 'default_route': True}},
}

# A macvlan network whose endpoints lease their addresses (issue 28): no subnet or gateway given, endpoints without
# an address, the wait stored because it is not the default.
MACVLAN_DHCP_DOC = {
    'name': 'lan', 'id': 'ef' * 32, 'driver': 'macvlan', 'created': '2026-12-05T08:00:00.000000Z', 'parent': 'ens33',
    'parent_created': None, 'mode': 'bridge', 'host_shim': None, 'mtu': 1500, 'internal': False, 'ipam_driver': 'dhcp',
    'dhcp_timeout': 60, 'subnet': None, 'gateway': None, 'ip_range': None, 'aux_addresses': {},
    'endpoints': {'c1': {'ip': None, 'mac': '02:8f:11:22:33:44', 'ifname': 'eth0', 'endpoint_id': 'e5', 'aliases': [],
                         'default_route': True},
                  'c2': {'ip': None, 'mac': '02:8f:11:22:33:55', 'ifname': 'eth1', 'endpoint_id': 'e6', 'aliases': ['db'],
                         'default_route': False, 'gw_priority': 5}},
}
# The same on the user's own bridge (unmanaged): the LAN's subnet given, no gateway, the default wait (no key).
BRIDGE_DHCP_DOC = {
    'name': 'office', 'id': '12' * 32, 'driver': 'bridge', 'created': '2026-12-05T08:01:00.000000Z', 'bridge': 'br0',
    'bridge_created': False, 'unmanaged': True, 'firewall': False, 'dns': False, 'mtu': 1500, 'internal': False,
    'ipam_driver': 'dhcp', 'subnet': '192.168.1.0/24', 'gateway': None, 'ip_range': None, 'aux_addresses': {},
    'endpoints': {'web': {'ip': None, 'mac': '02:8f:aa:bb:cc:dd', 'ifname': 'eth0', 'endpoint_id': 'e7', 'aliases': [],
                          'veth': 'veth1234567', 'default_route': True}},
}
# Options a document without their key leaves to the module's default (the engine reads them so): the DHCP ones of
# issue 28, on a network of the collection's own IPAM.
LEFT_TO_DEFAULT = {'ipam_driver', 'dhcp_timeout'}


def argument_spec(module_name):
    """The argument spec a module's main() builds, without running it."""
    pytest.importorskip('ansible')
    import importlib  # pylint: disable=import-outside-toplevel
    mod = importlib.import_module('ansible_collections.hostnet.containers.plugins.modules.' + module_name)
    seen = {}

    class Stop(Exception):
        pass

    def fake(argument_spec, **_kw):
        seen.update(argument_spec)
        raise Stop()

    original = mod.AnsibleModule
    mod.AnsibleModule = fake
    try:
        with pytest.raises(Stop):
            mod.main()
    finally:
        mod.AnsibleModule = original
    return seen


@pytest.mark.parametrize('module_name, build, doc', [
    ('docker_bridge', _restore.bridge_params, BRIDGE_DOC),
    ('macvlan_net', _restore.macvlan_params, MACVLAN_DOC),
])
def test_parameters_name_every_option_of_the_module(module_name, build, doc):
    spec = argument_spec(module_name)
    # The list form (networks) is a way to call the module, not an option of one network: its items are these.
    items = spec.pop('networks', None)
    assert items is None or set(items['options']) == set(spec)
    params = build(doc)
    assert set(params) == set(spec) - LEFT_TO_DEFAULT
    endpoint_options = set(spec['endpoints']['options'])
    assert all(set(ep) == endpoint_options for ep in params['endpoints'])


def test_bridge_parameters_keep_everything_stored():
    p = _restore.bridge_params(BRIDGE_DOC)
    assert p['state'] == 'present' and p['purge_endpoints'] is False and p['force'] is False
    wanted = ('br-abababababab', '172.18.0.0/16', '172.18.0.1', '172.18.5.0/24', 1400)
    assert (p['bridge_name'], p['subnet'], p['gateway'], p['ip_range'], p['mtu']) == wanted
    assert p['aux_addresses'] == {'router': '172.18.0.2'}
    assert (p['icc'], p['firewall_backend'], p['dns']) == (False, 'nftables', True)
    web = [ep for ep in p['endpoints'] if ep['name'] == 'web'][0]
    assert (web['ip'], web['mac'], web['ifname'], web['aliases']) == ('172.18.5.1', '02:42:ac:12:05:01', 'eth1', ['www'])
    assert web['publish'] == ['0.0.0.0:40001:80/tcp', '127.0.0.1:5353:53/udp']


def test_publishes_parse_back_to_the_stored_ports():
    entries = BRIDGE_DOC['endpoints']['web']['publish']
    parsed = _ports.parse_publishes(_restore.publish_strings(entries))
    assert [(e['host_ip'], e['host_port'], e['container_port'], e['proto']) for e in parsed] == \
        [(e['host_ip'], e['host_port'], e['container_port'], e['proto']) for e in entries]


def test_macvlan_parameters_parent_and_shim():
    p = _restore.macvlan_params(MACVLAN_DOC)
    assert (p['parent'], p['mode'], p['subnet']) == ('ens33', 'bridge', '10.138.3.0/24')
    assert p['host_shim'] == {'enabled': True, 'name': 'mvs-cdcdcdcdcd', 'ip': '10.138.3.250'}
    assert 'publish' not in p['endpoints'][0]
    # A veth parent the collection made for an internal network is made again from the stored name: no parent given.
    internal = dict(MACVLAN_DOC, parent='hnv-cdcdcdcdcd', parent_created='veth', host_shim=None)
    p = _restore.macvlan_params(internal)
    assert p['parent'] is None and p['host_shim'] is None
    # An 802.1q parent the collection made is named, so the module makes it again.
    assert _restore.macvlan_params(dict(MACVLAN_DOC, parent='ens33.10', parent_created='vlan'))['parent'] == 'ens33.10'


def test_macvlan_dhcp_network_replays_leasing_without_addresses():
    p = _restore.macvlan_params(MACVLAN_DHCP_DOC)
    assert (p['ipam_driver'], p['dhcp_timeout'], p['parent'], p['mode']) == ('dhcp', 60, 'ens33', 'bridge')
    # Null subnet and gateway are not passed as if they were values: the network has none of its own.
    assert 'subnet' not in p and 'gateway' not in p
    assert p['ip_range'] is None and p['aux_addresses'] == {} and p['host_shim'] is None
    # The endpoints keep their MAC (the same lease), interface name, aliases and priority; their address is leased.
    assert p['endpoints'] == [
        {'name': 'c1', 'ifname': 'eth0', 'mac': '02:8f:11:22:33:44', 'aliases': [], 'gw_priority': 0},
        {'name': 'c2', 'ifname': 'eth1', 'mac': '02:8f:11:22:33:55', 'aliases': ['db'], 'gw_priority': 5},
    ]
    # Without a stored wait the module's default applies (no key); a subnet and gateway stored are kept.
    p = _restore.macvlan_params(dict({k: v for k, v in MACVLAN_DHCP_DOC.items() if k != 'dhcp_timeout'},
                                     subnet='10.138.3.0/24', gateway='10.138.3.1'))
    assert 'dhcp_timeout' not in p and (p['subnet'], p['gateway']) == ('10.138.3.0/24', '10.138.3.1')
    assert _restore.network_params(MACVLAN_DHCP_DOC) == ('macvlan', _restore.macvlan_params(MACVLAN_DHCP_DOC))


def test_unmanaged_bridge_dhcp_network_replays_leasing_without_addresses():
    p = _restore.bridge_params(BRIDGE_DHCP_DOC)
    assert (p['ipam_driver'], p['unmanaged'], p['bridge_name'], p['dns']) == ('dhcp', True, 'br0', None)
    assert 'dhcp_timeout' not in p
    assert p['subnet'] == '192.168.1.0/24' and 'gateway' not in p
    [web] = p['endpoints']
    assert 'ip' not in web and 'ipv6_address' not in web
    assert (web['name'], web['mac'], web['ifname'], web['host_ifname'], web['publish']) == \
        ('web', '02:8f:aa:bb:cc:dd', 'eth0', 'veth1234567', [])


def test_a_network_of_the_collections_ipam_gets_no_dhcp_option():
    for params in (_restore.bridge_params(BRIDGE_DOC), _restore.macvlan_params(MACVLAN_DOC)):
        assert not LEFT_TO_DEFAULT & set(params)
        assert all('ip' in ep for ep in params['endpoints'])


def test_an_unknown_driver_is_named():
    with pytest.raises(_restore._kernel.HostnetError, match="network 'x'.*'vxlan'"):  # pylint: disable=protected-access
        _restore.network_params({'name': 'x', 'driver': 'vxlan'})


def _net(created, **endpoints):
    return {'created': created, 'endpoints': {c: {'default_route': d} for c, d in endpoints.items()}}


def test_network_order_puts_a_containers_default_route_network_first():
    # c1 joined "b" first (its default route), then "a", which was created earlier.
    docs = {'a': _net('1', c1=False), 'b': _net('2', c1=True), 'c': _net('0')}
    assert _restore.network_order(docs) == ['c', 'b', 'a']
    # Two containers that prefer opposite networks: creation order, every network once.
    docs = {'a': _net('1', c1=True, c2=False), 'b': _net('2', c1=False, c2=True)}
    assert _restore.network_order(docs) == ['a', 'b']


def test_namespace_order_puts_share_with_targets_first():
    records = {'a-second': {'share_with': 'z-target'}, 'z-target': {'share_with': None}, 'lonely': {'share_with': 'gone'},
               'm': {}}
    order = _restore.namespace_order(records)
    assert sorted(order) == sorted(records)
    assert order.index('z-target') < order.index('a-second')


def test_namespace_records_become_steps(monkeypatch):
    monkeypatch.setattr(_netns, 'netns_exists', lambda name: name == 'exists')
    rec = {'name': 'web01', 'created': '2026-12-04T23:00:00.000000Z', 'by': ['netns', 'network:frontend'], 'share_with': None,
           'sysctls': {'net.ipv4.ip_unprivileged_port_start': '80'}, 'owner': None}
    texts = [text for text, _do in _restore._netns_commands('web01', rec, None)]  # pylint: disable=protected-access
    assert texts == ['create network namespace web01', 'set lo up in web01', 'set net.ipv4.ip_unprivileged_port_start=80 in web01']
    shared = [text for text, _do in _restore._netns_commands('alias', dict(rec, share_with='web01'), None)]  # pylint: disable=protected-access
    assert shared == ['create network namespace alias (a second name of web01)']
    assert _restore._netns_commands('exists', rec, None) == []  # pylint: disable=protected-access


def test_moved_names_every_change_a_restore_refuses():
    after = {'subnet': '172.18.0.0/16', 'endpoints': {n: dict(ep) for n, ep in BRIDGE_DOC['endpoints'].items()}}
    assert _restore.moved(BRIDGE_DOC, after) == []
    after['endpoints']['db']['ip'] = '172.18.5.9'
    after['endpoints']['web']['publish'] = [{'host_ip': '0.0.0.0', 'host_port': 40002, 'container_port': 80, 'proto': 'tcp'}]
    assert _restore.moved(BRIDGE_DOC, after) == ['db ip 172.18.5.2 -> 172.18.5.9', 'web publish']


def test_report_names_failures():
    report = _restore.Report()
    report.add('network a', [])
    report.add('network b', ['create bridge br-b'])
    report.fail('network c', 'no such interface')
    assert report.changed
    assert report.lines(check=True) == ['network a: ok', 'network b: would create bridge br-b', 'network c: FAILED: no such interface']


def test_the_entry_point_carries_its_engine_and_runs_without_ansible(tmp_path):
    """As the role installs it: the template with the restore_engine filter's text in it, one file on its own, run where
    neither ansible nor the collection is importable; the engine's modules come from the file itself."""
    from ansible_collections.hostnet.containers.plugins.filter import restore_engine  # pylint: disable=import-outside-toplevel
    script = tmp_path / 'hostnet-restore'
    with open(os.path.join(REPO, 'roles', 'host_requirements', 'templates', 'hostnet-restore.j2')) as f:
        text = f.read()
    text = text.replace("{{ '#!' ~ host_requirements_python }}", '#!' + sys.executable).replace('{{ ansible_managed }}', 'test')
    text = text.replace('{{ host_requirements_restore_bin | hostnet.containers.restore_engine }}',
                        restore_engine.restore_engine(str(script)))
    assert '{{' not in text
    script.write_text(text)
    script.chmod(0o755)
    probe = tmp_path / 'probe.py'
    probe.write_text('import runpy, sys\nsys.modules["ansible"] = None\nsys.argv = [%r, "--help"]\n'
                     'runpy.run_path(%r, run_name="__main__")\n' % (str(script), str(script)))
    env = {'PATH': os.environ.get('PATH', '/usr/bin:/bin')}
    res = subprocess.run([str(script), '--help'], capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    assert res.returncode == 0, res.stderr
    assert '--firewall-only' in res.stdout and '--check' in res.stdout
    res = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    assert res.returncode == 0 and '--firewall-only' in res.stdout, res.stderr
    code = ('import runpy, sys; sys.modules["ansible"] = None; g = runpy.run_path(%r, run_name="bundle"); '
            'name = g["_restore"].__name__; print(sys.modules[name].__spec__.origin); '
            'print(sys.modules[name.rsplit(".", 1)[0] + "._ipam"].__spec__.origin)' % str(script))
    res = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [str(script) + '/_restore.py', str(script) + '/_ipam.py']


def test_watch_firewalld_reapplies_at_start_and_after_each_reload():
    calls = []
    monitor = ('sh', '-c', 'echo "{\\"member\\":\\"Reloaded\\"}"; echo unrelated; echo "{\\"member\\":\\"Reloaded\\"}"', 'monitor')
    assert _restore.watch_firewalld(lambda: calls.append(1), monitor) == 0
    assert len(calls) == 3


def test_watch_firewalld_without_busctl_says_so(monkeypatch, capsys):
    monkeypatch.setattr(_restore, 'restore', lambda *a: _restore.Report())

    def no_busctl(run):
        run()
        raise FileNotFoundError(2, 'No such file or directory', 'busctl')

    monkeypatch.setattr(_restore, 'watch_firewalld', no_busctl)
    assert _restore.main(['--watch-firewalld']) == 1
    assert 'cannot listen for firewalld reloads with busctl' in capsys.readouterr().err
