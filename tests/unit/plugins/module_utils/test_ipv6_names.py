# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Names and inspect of IPv6 networks from documents in the store's format (no root): the name server's records,
listen addresses, resolv.conf and port-53 check of dual-stack and IPv6-only networks, `docker network inspect`'s IPv6
fields and the container module's IPv6 NetworkSettings."""

from __future__ import annotations

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _container
from ansible_collections.hostnet.containers.plugins.module_utils import _dns
from ansible_collections.hostnet.containers.plugins.module_utils import _inspect
from ansible_collections.hostnet.containers.plugins.module_utils import _netns_plan
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

pytest.importorskip('netaddr')

GW6 = 'fd12:3456:789a:1::1'
PATHS = {'dir': '/run/hostnet/dns/app', 'conf': '/run/hostnet/dns/app/dnsmasq.conf', 'servers': '/run/hostnet/dns/app/servers',
         'hosts': '/run/hostnet/dns/app/hosts', 'pid': '/run/hostnet/dns/app/dnsmasq.pid'}


def endpoint(ip, ip6, aliases=(), **kw):
    out = {'ip': ip, 'mac': '02:42:ac:12:00:02', 'ifname': 'eth0', 'endpoint_id': 'e' * 64, 'aliases': list(aliases), 'connected': ''}
    if ip6 is not None:
        out['ip6'] = ip6
    out.update(kw)
    return out


def dual(name='app', endpoints=None, **kw):
    """A dual-stack network document as docker_bridge writes it (design: the IPv4 keys, then the IPv6 ones)."""
    doc = {'name': name, 'id': 'a' * 64, 'created': 't', 'driver': 'bridge', 'bridge': 'br-' + name, 'mtu': 1500, 'dns': True,
           'subnet': '172.18.0.0/16', 'gateway': '172.18.0.1', 'ip_range': None, 'aux_addresses': {},
           'enable_ipv6': True, 'subnet_v6': 'fd12:3456:789a:1::/64', 'gateway_v6': GW6, 'ip_range_v6': None,
           'aux_addresses_v6': {}, 'internal': False,
           'endpoints': endpoints if endpoints is not None else {'web': endpoint('172.18.0.2', 'fd12:3456:789a:1::2', ['www'])}}
    doc.update(kw)
    return doc


def v6only(name='app', endpoints=None, **kw):
    """An IPv6-only network: enable_ipv4 false, the four IPv4 keys null, endpoints' ip null."""
    eps = endpoints if endpoints is not None else {'web': endpoint(None, 'fd12:3456:789a:1::2')}
    return dual(name, eps, enable_ipv4=False, subnet=None, gateway=None, ip_range=None, aux_addresses=None, **kw)


def sock(ip, inode=7, proto='udp'):
    return {'proto': proto, 'ip': ip, 'port': 53, 'inode': inode}


# -- records and the server's files ------------------------------------------------------------------------------------
def test_records_give_a_and_aaaa_of_dual_stack_and_aaaa_only_of_ipv6_only():
    domain = 'app.hostnet.internal'
    names = 'web www web.%s www.%s' % (domain, domain)
    assert _dns.hosts_wanted(dual()) == {'web': '172.18.0.2\t%s\nfd12:3456:789a:1::2\t%s\n' % (names, names)}
    assert _dns.hosts_wanted(v6only()) == {'web': 'fd12:3456:789a:1::2\tweb web.%s\n' % domain}


def test_listen_addresses_per_family_and_gateway_mode():
    assert _dns.listen_addresses(dual()) == ['172.18.0.1', GW6]
    assert _dns.listen_addresses(v6only()) == [GW6]
    # A family in gateway mode isolated has no address on the bridge: the server listens on the other one.
    assert _dns.listen_addresses(dual(gateway_mode_ipv4='isolated', internal=True)) == [GW6]
    assert _dns.listen_addresses(dual(gateway_mode_ipv6='isolated', internal=True)) == ['172.18.0.1']
    # enable_ipv6 is what counts, not a stray key.
    assert _dns.listen_addresses(dual(enable_ipv6=None)) == ['172.18.0.1']


def test_serves_ipv6_only_unless_every_family_is_isolated():
    assert _dns.serves(v6only())
    assert _dns.serves(dual(gateway_mode_ipv4='isolated', internal=True))
    assert not _dns.serves(dual(gateway_mode_ipv4='isolated', gateway_mode_ipv6='isolated', internal=True))
    assert not _dns.serves(v6only(gateway_mode_ipv6='isolated', internal=True))


def test_conf_listens_on_both_gateways_ipv4_first():
    conf = _dns.conf_text(dual(), PATHS, '/etc/resolv.conf')
    assert [line for line in conf.splitlines() if line.startswith('listen-address=')] == [
        'listen-address=172.18.0.1', 'listen-address=' + GW6]
    conf6 = _dns.conf_text(v6only(), PATHS, '/etc/resolv.conf')
    assert [line for line in conf6.splitlines() if line.startswith('listen-address=')] == ['listen-address=' + GW6]
    assert 'bind-interfaces\n' in conf6


def test_an_ipv4_network_conf_is_as_before():
    """An IPv4 network's conf is unchanged (its server is not restarted by the upgrade)."""
    doc = {k: v for k, v in dual().items() if not k.endswith('_v6') and k != 'enable_ipv6'}
    assert _dns.conf_text(doc, PATHS, '/r').splitlines()[1:3] == ['pid-file=' + PATHS['pid'], 'listen-address=172.18.0.1']


def test_resolv_conf_names_the_ipv4_gateway_on_dual_stack_and_gateway_v6_on_ipv6_only():
    assert _dns.resolv_text('web', {'app': dual()}) == 'search app.hostnet.internal\nnameserver 172.18.0.1\n'
    assert _dns.resolv_text('web', {'app': v6only()}) == 'search app.hostnet.internal\nnameserver %s\n' % GW6
    iso = dual(gateway_mode_ipv4='isolated', internal=True)
    assert _dns.resolv_text('web', {'app': iso}) == 'search app.hostnet.internal\nnameserver %s\n' % GW6


def test_servers_file_forwards_to_an_ipv6_only_network_on_its_gateway_v6():
    nets = {'app': dual(), 'six': v6only('six')}
    assert _dns.servers_text('app', nets) == 'server=/six.hostnet.internal/%s\n' % GW6
    assert _dns.servers_text('six', nets) == 'server=/app.hostnet.internal/172.18.0.1\n'


# -- port 53 ------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize('doc, listener, refused', [
    (dual(), sock(GW6), True),
    (dual(), sock('fd12:3456:789a:1:0:0:0:1'), True),  # another spelling of the same address
    (dual(), sock('::'), True),
    (dual(), sock('0.0.0.0'), True),
    (v6only(), sock('0.0.0.0'), False),  # an IPv4 wildcard does not hold an IPv6 address's port
    (v6only(), sock('172.18.0.1'), False),
    (v6only(), sock('::'), True),
    (v6only(), sock('fd12:3456:789a:1::2'), False),
    (v6only(), sock(GW6, inode=42), False),  # our own server's socket
])
def test_port_53_checked_on_every_listen_address(doc, listener, refused):
    if not refused:
        _dns.check_port(doc, [listener], {42})
        return
    with pytest.raises(_validate.InputError) as err:
        _dns.check_port(doc, [listener], {42})
    assert err.value.option == 'dns' and 'network app' in str(err.value)


def test_needs_full_when_the_listen_addresses_differ():
    doc = dual()
    conf = _dns.conf_text(doc, PATHS, '/etc/resolv.conf')
    assert not _dns.needs_full('app', {'app': doc}, {'app': {'conf': conf}})
    v4_conf = conf.replace('listen-address=%s\n' % GW6, '')
    assert _dns.needs_full('app', {'app': doc}, {'app': {'conf': v4_conf}})
    assert _dns.needs_full('app', {'app': v6only()}, {'app': {'conf': conf}})


class FakeService:
    calls = ()

    @staticmethod
    def paths(network):
        return {k: v.replace('/app', '/' + network) for k, v in PATHS.items()}

    @staticmethod
    def manager():
        return 'supervised'


def test_a_new_ipv6_only_network_starts_its_server_and_writes_the_container_resolver():
    snap = {'dirs': {}, 'listeners': [], 'inodes': set(), 'upstream': '/etc/resolv.conf', 'records': {},
            'etc': {'web': {'hosts': None, 'resolv.conf': None}}}
    cmds = _dns.plan(_plan.Plan(), 'app', {}, {'app': v6only()}, snap, FakeService()).commands
    assert cmds == ['write /etc/netns/web/resolv.conf', 'create /run/hostnet/dns/app', 'write /run/hostnet/dns/app/dnsmasq.conf',
                    'write /run/hostnet/dns/app/servers', 'write names of web to /run/hostnet/dns/app/hosts/web',
                    'start name server of network app (supervised)']


# -- docker network inspect -----------------------------------------------------------------------------------------------
def test_inspect_dual_stack():
    out = _inspect.inspect(dual(ip_range_v6='fd12:3456:789a:1::/80', aux_addresses_v6={'router': 'fd12:3456:789a:1::fe'},
                                gateway_mode_ipv6='routed'))
    assert out['EnableIPv4'] is True and out['EnableIPv6'] is True
    assert out['IPAM']['Config'] == [
        {'Subnet': '172.18.0.0/16', 'Gateway': '172.18.0.1'},
        {'Subnet': 'fd12:3456:789a:1::/64', 'Gateway': GW6, 'IPRange': 'fd12:3456:789a:1::/80',
         'AuxiliaryAddresses': {'router': 'fd12:3456:789a:1::fe'}}]
    ctr = out['Containers']['e' * 64]
    assert ctr['IPv4Address'] == '172.18.0.2/16' and ctr['IPv6Address'] == 'fd12:3456:789a:1::2/64'
    assert out['Options']['com.docker.network.bridge.gateway_mode_ipv6'] == 'routed'
    assert 'com.docker.network.bridge.gateway_mode_ipv4' not in out['Options']


def test_inspect_ipv6_only():
    out = _inspect.inspect(v6only())
    assert out['EnableIPv4'] is False and out['EnableIPv6'] is True
    assert out['IPAM']['Config'] == [{'Subnet': 'fd12:3456:789a:1::/64', 'Gateway': GW6}]
    ctr = out['Containers']['e' * 64]
    assert ctr['IPv4Address'] == '' and ctr['IPv6Address'] == 'fd12:3456:789a:1::2/64'


def test_inspect_ipv4_only_is_as_before():
    doc = {k: v for k, v in dual(endpoints={'web': endpoint('172.18.0.2', None)}).items() if not k.endswith('_v6') and k != 'enable_ipv6'}
    out = _inspect.inspect(doc)
    assert out['EnableIPv4'] is True and out['EnableIPv6'] is False
    assert out['IPAM']['Config'] == [{'Subnet': '172.18.0.0/16', 'Gateway': '172.18.0.1'}]
    assert out['Containers']['e' * 64]['IPv6Address'] == ''


# -- docker inspect (the container module) --------------------------------------------------------------------------------
def params(networks):
    return {'name': 'web', 'state': 'present', 'network_mode': 'bridge', 'networks': networks, 'published_ports': None,
            'dns': None, 'dns_search': None, 'hostname': None, 'purge_networks': False}


def test_container_inspect_ipv6_fields():
    docs = {'app': dual(), 'six': v6only('six', {'web': endpoint(None, 'fd12:3456:789a:1::2')})}
    out = _container.inspect(_container.wanted(params([{'name': 'app'}, {'name': 'six'}])), docs)['NetworkSettings']['Networks']
    assert {k: out['app'][k] for k in ('IPAddress', 'IPPrefixLen', 'Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'IPv6Gateway')} == {
        'IPAddress': '172.18.0.2', 'IPPrefixLen': 16, 'Gateway': '172.18.0.1',
        'GlobalIPv6Address': 'fd12:3456:789a:1::2', 'GlobalIPv6PrefixLen': 64, 'IPv6Gateway': GW6}
    assert {k: out['six'][k] for k in ('IPAddress', 'IPPrefixLen', 'Gateway', 'GlobalIPv6Address', 'GlobalIPv6PrefixLen', 'IPv6Gateway')} == {
        'IPAddress': '', 'IPPrefixLen': 0, 'Gateway': '',
        'GlobalIPv6Address': 'fd12:3456:789a:1::2', 'GlobalIPv6PrefixLen': 64, 'IPv6Gateway': GW6}


def test_container_inspect_ipv4_network_has_docker_empty_ipv6_fields():
    docs = {'app': dual(endpoints={'web': endpoint('172.18.0.2', None)})}
    docs['app'] = {k: v for k, v in docs['app'].items() if not k.endswith('_v6') and k != 'enable_ipv6'}
    net = _container.inspect(_container.wanted(params([{'name': 'app'}])), docs)['NetworkSettings']['Networks']['app']
    assert (net['GlobalIPv6Address'], net['GlobalIPv6PrefixLen'], net['IPv6Gateway']) == ('', 0, '')


def test_container_inspect_ipam_config_shows_the_asked_ipv6_address():
    asked = {4: None, 6: 'fd12:3456:789a:1::2'}
    net = _container._endpoint_settings('web', dual(), dual()['endpoints']['web'], asked)  # pylint: disable=protected-access
    assert net['IPAMConfig'] == {'IPv6Address': 'fd12:3456:789a:1::2'}
    assert _container._endpoint_settings('web', dual(), dual()['endpoints']['web'], {4: None})['IPAMConfig'] is None  # pylint: disable=protected-access


# -- /etc/netns/NAME/hosts and resolv.conf of the netns module (Docker's --add-host and --dns take IPv6 too) ------------
def test_hosts_entries_and_name_servers_take_ipv6():
    text = _netns_plan.hosts_file([{'ip': 'FD00:DB8::0003', 'names': 'db6'}, {'ip': '[fd00:db8::4]', 'names': ['cache']},
                                   {'ip': '172.18.0.3', 'names': 'db'}])
    assert text.endswith('fd00:db8::3\tdb6\nfd00:db8::4\tcache\n172.18.0.3\tdb\n')
    assert _netns_plan.hosts_file({'db6': 'fd00:db8::3'}).endswith('fd00:db8::3\tdb6\n')
    assert _netns_plan.resolv_conf(['fd00:db8::1', '10.0.0.2'], []) == 'nameserver fd00:db8::1\nnameserver 10.0.0.2\n'


@pytest.mark.parametrize('call, option', [
    (lambda: _netns_plan.hosts_file([{'ip': 'fd00::db8::1', 'names': 'x'}]), 'hosts[0].ip'),
    (lambda: _netns_plan.hosts_file({'x': 'fd00:zz::1'}), 'hosts[x].ip'),
    (lambda: _netns_plan.resolv_conf(['fd00::1/64'], []), 'dns[0]'),
])
def test_a_bad_ipv6_entry_names_its_option(call, option):
    with pytest.raises(_validate.InputError) as err:
        call()
    assert err.value.option == option


def test_the_role_takes_ipv6_name_servers_as_the_netns_module_does():
    assert str(_dns.host_ip('[FD00:DB8::53]', 'dns[0]')) == 'fd00:db8::53'
    for value in ('fd00::zz', '10.0.0.300'):
        with pytest.raises(_validate.InputError) as err:
            _dns.host_ip(value, 'containers[0].dns[0]')
        assert err.value.option == 'containers[0].dns[0]' and err.value.value == value
