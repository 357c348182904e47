# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Published ports on the host's loopback and addresses (issue 20, points 2 and 4), without a kernel: the rules that
make a wildcard publish answer on 127.0.0.1, the loopback guard, route_localnet, and host_ip checked against the
host's addresses."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')

from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_iptables  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_nftables  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _firewall_rules  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _ports  # noqa: E402  pylint: disable=wrong-import-position
from ansible_collections.hostnet.containers.plugins.module_utils import _validate  # noqa: E402  pylint: disable=wrong-import-position


def network(name='bridge', bridge='docker0', subnet='172.17.0.0/16', backend='iptables', **extra):
    doc = {'name': name, 'driver': 'bridge', 'bridge': bridge, 'subnet': subnet, 'firewall': True, 'firewall_backend': backend,
           'icc': True, 'ip_masquerade': True, 'internal': False, 'ip_forward': True, 'endpoints': {}}
    doc.update(extra)
    return doc


def web(host_ip='0.0.0.0', host_port=8080):
    entry = {'host_ip': host_ip, 'host_port': host_port, 'container_port': 80, 'proto': 'tcp', 'auto': False}
    return {'web': {'ip': '172.17.0.2', 'publish': [entry]}}


def dnat(bridge='docker0', host_ip='0.0.0.0'):
    return {'kind': 'dnat', 'host_ip': host_ip, 'host_port': 5000, 'container_ip': '172.17.0.3', 'container_port': 50,
            'proto': 'tcp', 'bridge': bridge, 'bridge_subnet': '172.17.0.0/16' if bridge else None, 'firewall_backend': 'iptables'}


def lines(networks, nats=None, backend='iptables'):
    return [_firewall_iptables.render(r) for r in _firewall_rules.desired_rules(networks, nats or {}, backend)]


GUARD = ['-A HOSTNET-PREROUTING -d 127.0.0.0/8 ! -i lo -j DROP', '-A HOSTNET-PREROUTING -s 127.0.0.0/8 ! -i lo -j DROP']


def test_wildcard_publish_answers_the_hosts_loopback():
    got = lines({'bridge': network(endpoints=web())})
    # Every local destination of the host's own connections, 127.0.0.0/8 included, goes through the DNAT chain.
    assert '-A HOSTNET-OUTPUT -m addrtype --dst-type LOCAL -j HOSTNET-DNAT' in got
    assert not any('! -d 127.0.0.0/8' in rule for rule in got)
    assert '-A HOSTNET-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 172.17.0.2:80' in got
    # The connection leaves 127.0.0.1 for the bridge with the bridge's address; only loopback sources are rewritten.
    assert '-A HOSTNET-POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE' in got
    assert not any('--src-type' in rule for rule in got)
    assert _firewall_rules.desired_sysctls({'bridge': network(endpoints=web())}) == {
        'net/ipv4/ip_forward': '1', 'net/ipv4/conf/docker0/route_localnet': '1'}


def test_loopback_guard_is_one_pair_of_rules_whatever_the_publishes():
    many = network(endpoints={'c%d' % i: {'ip': '172.17.0.%d' % (i + 2), 'publish': [
        {'host_ip': '127.0.0.1' if i % 2 else '0.0.0.0', 'host_port': 8000 + i, 'container_port': 80, 'proto': 'tcp', 'auto': False}]}
        for i in range(6)})
    for nets in ({'bridge': many}, {'bridge': network()}):
        got = lines(nets)
        # The loopback pair; the direct-routing drops (one per container address, exposure) are the rest.
        assert [rule for rule in got if rule.startswith('-A HOSTNET-PREROUTING') and 'DROP' in rule and '127.' in rule] == GUARD
    # A port bound to 127.0.0.1 is DNATed from OUTPUT only: never from PREROUTING, so never from outside.
    got = lines({'bridge': many})
    assert '-A HOSTNET-OUTPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 8001 -j DNAT --to-destination 172.17.0.3:80' in got
    assert not any('--dport 8001' in rule for rule in got if rule.startswith('-A HOSTNET-DNAT'))


def test_loopback_guard_rendered_for_nftables():
    rules = _firewall_rules.desired_rules({'bridge': network(backend='nftables', endpoints=web())}, {}, 'nftables')
    nft = [_firewall_nftables.describe(_firewall_nftables.render(r)) for r in rules]
    assert 'ip daddr 127.0.0.0/8 iifname != lo drop' in nft and 'ip saddr 127.0.0.0/8 iifname != lo drop' in nft
    assert 'fib daddr type local jump port_dnat' in nft
    assert not any('ip daddr != 127.0.0.0/8' in rule for rule in nft)


def test_route_localnet_only_on_managed_bridges_that_carry_a_publish():
    nets = {'bridge': network(), 'other': network(name='other', bridge='br-x', subnet='172.18.0.0/16', endpoints=web())}
    assert _firewall_rules.route_localnet_bridges(nets) == ['br-x']
    # A nat_rule dnat into a managed bridge needs it there too, whatever its host_ip; into a bridge the collection does
    # not manage (or none), nothing is set.
    nats = {'a': dnat(), 'b': dnat(bridge='br-user'), 'c': dnat(bridge=None), 'm': {'kind': 'masquerade'}}
    assert _firewall_rules.route_localnet_bridges(nets, nats) == ['br-x', 'docker0']
    assert 'net/ipv4/conf/docker0/route_localnet' in _firewall_rules.desired_sysctls(nets, nats)
    assert _firewall_rules.route_localnet_bridges({'m': {'driver': 'macvlan', 'bridge': 'x'}, 'off': network(firewall=False, endpoints=web())}) == []
    got = lines({}, {'a': dnat()})
    assert '-A HOSTNET-POSTROUTING -s 127.0.0.0/8 -o docker0 -j MASQUERADE' in got and GUARD[0] in got


@pytest.mark.parametrize('host_ip', [None, '', '0.0.0.0', '10.138.3.130', '172.17.0.1', '127.0.0.1', '127.1.2.3'])
def test_host_ip_of_the_host_wildcard_or_loopback_is_accepted(host_ip):
    local = _ports.host_addresses([{'index': 2, 'address': '10.138.3.130/24'}, {'index': 1, 'address': '127.0.0.1/8'}],
                                  extra=['172.17.0.1'])
    assert local == {'10.138.3.130', '127.0.0.1', '172.17.0.1'}
    _ports.check_host_ip('host_ip', host_ip, host_ip, local)


def test_host_ip_not_on_the_host_is_refused_naming_option_and_value():
    with pytest.raises(_validate.InputError) as err:
        _ports.check_host_ip('endpoints[0].publish', '10.9.9.9:8080:80', '10.9.9.9', {'10.138.3.130', '10.138.3.2'})
    assert err.value.option == 'endpoints[0].publish' and err.value.value == '10.9.9.9:8080:80'
    assert str(err.value).startswith("endpoints[0].publish '10.9.9.9:8080:80': host address 10.9.9.9 is not an address of this host")
    assert '(10.138.3.2, 10.138.3.130)' in str(err.value)


class PortRange:
    def __call__(self):
        return '40000 40100'


def test_desired_publishes_checks_host_ip_and_host_binding_ipv4():
    bound = _ports.BoundPorts()
    eps = [{'name': 'web', 'publish': ['8080:80']}, {'name': 'api', 'publish': ['10.138.3.130:8081:80']}]
    local = {'10.138.3.130'}
    got = _ports.desired_publishes(eps, {}, bound, {'tcp': set()}, '0.0.0.0', PortRange(), local)
    assert got['api'][0]['host_ip'] == '10.138.3.130'
    eps.append({'name': 'bad', 'publish': ['10.138.3.99::80']})
    with pytest.raises(_validate.InputError) as err:
        _ports.desired_publishes(eps, {}, _ports.BoundPorts(), {'tcp': set()}, '0.0.0.0', PortRange(), local)
    assert "endpoints[2].publish '10.138.3.99::80'" in str(err.value)
    # A publish without an address takes host_binding_ipv4, and the message says so.
    with pytest.raises(_validate.InputError) as err:
        _ports.desired_publishes(eps[:1], {}, _ports.BoundPorts(), {'tcp': set()}, '10.0.0.7', PortRange(), local)
    assert "endpoints[0].publish '8080:80': host address 10.0.0.7 (from host_binding_ipv4)" in str(err.value)
    # Without the host's addresses (the restore at boot) nothing is checked.
    got = _ports.desired_publishes(eps, {}, _ports.BoundPorts(), {'tcp': set()}, '0.0.0.0', PortRange())
    assert got['bad'][0]['host_ip'] == '10.138.3.99'


def test_restore_at_boot_does_not_check_host_addresses(monkeypatch):
    """At boot the address of a publish may come later (DHCP): the replay rebuilds the network anyway."""
    from ansible_collections.hostnet.containers.plugins.module_utils import _restore  # pylint: disable=import-outside-toplevel
    seen = []

    class Run:
        def __init__(self, params, ns, root):
            self.doc = {'subnet': params['subnet']}
            self.plan = type('P', (), {'commands': [], 'execute': lambda self: None})()

        def build(self):
            seen.append(getattr(self, 'host_ip_must_exist', True))

    class Namespaces:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setitem(_restore.DRIVERS, 'bridge', (_restore.bridge_params, Run))
    monkeypatch.setattr(_restore._netns, 'Namespaces', Namespaces)  # pylint: disable=protected-access
    report = _restore.Report()
    _restore.restore_network(report, {'name': 'n', 'driver': 'bridge', 'subnet': '172.18.0.0/16', 'endpoints': {}}, None, True)
    assert seen == [False] and not report.failed


def test_route_localnet_of_a_bridge_still_missing_is_left_to_its_own_run(monkeypatch, tmp_path):
    """The boot-time restore rebuilds networks one at a time: network a's run wants route_localnet on b's bridge,
    which is not there yet; the step does nothing then (b's run sets it), and writes it when the bridge exists."""
    from ansible_collections.hostnet.containers.plugins.module_utils import _firewall  # pylint: disable=import-outside-toplevel
    from ansible_collections.hostnet.containers.plugins.module_utils import _plan  # pylint: disable=import-outside-toplevel
    from ansible_collections.hostnet.containers.plugins.module_utils import _sysctl  # pylint: disable=import-outside-toplevel
    values = {'net/ipv4/ip_forward': '1'}
    monkeypatch.setattr(_sysctl, 'sysctl_exists', lambda ns, netns, key: key in values)
    monkeypatch.setattr(_sysctl, 'read_sysctl', lambda ns, netns, key: values[key])
    monkeypatch.setattr(_sysctl, 'write_sysctl', lambda ns, netns, key, value: values.__setitem__(key, value))
    nets = {'b': network(name='b', bridge='br-b', endpoints=web())}
    plan = _plan.Plan()
    _firewall._plan_sysctls(plan, None, nets, str(tmp_path))  # pylint: disable=protected-access
    assert plan.commands[0] == 'set net.ipv4.conf.br-b.route_localnet = 1' and plan.commands[1].startswith('write ')
    plan.execute()
    assert 'net/ipv4/conf/br-b/route_localnet' not in values
    values['net/ipv4/conf/br-b/route_localnet'] = '0'  # the bridge made by the run, before the step
    plan.execute()
    assert values['net/ipv4/conf/br-b/route_localnet'] == '1'
