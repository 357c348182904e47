#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: veth_pair
short_description: Manage a veth pair, optionally with its peer inside a network namespace
version_added: 0.1.0
description:
  - Creates a veth pair whose host end is O(name) and whose peer is O(peer_name), the plumbing Docker uses to
    connect a container to a bridge.
  - The peer is created directly inside O(peer_netns), already named, in one netlink request (no move and rename).
  - The host end can be attached to a bridge with O(master); the peer can get addresses and a default route.
  - Drift (wrong master, MTU, MAC, missing or extra address, wrong gateway, peer in another namespace) is
    detected and repaired.
  - The pair is identified by O(name). When a veth of that name exists but its peer is not O(peer_name) in
    O(peer_netns), the old pair is deleted and the wanted one created (the C(commands) say so). An interface
    named O(name) that is not a veth is never touched; that is an error.
author:
  - hostnet.containers contributors (@hostnet)
extends_documentation_fragment:
  - hostnet.containers._common
options:
  name:
    description: Name of the host end (at most 15 bytes).
    type: str
    required: true
  state:
    description: C(present) creates or repairs the pair; C(absent) deletes it (both ends go together).
    type: str
    choices: [present, absent]
    default: present
  peer_name:
    description:
      - Name of the peer end (at most 15 bytes).
      - Defaults to C(eth0) when O(peer_netns) is set, as in a container; required otherwise,
        since both ends then share the host's namespace and need distinct names.
      - Fails, before anything is touched, when another interface of that name already exists where the
        peer goes.
    type: str
  peer_netns:
    description:
      - Named network namespace (see M(hostnet.containers.netns)) that holds the peer. It must exist.
      - Omit to keep the peer in the host's namespace.
    type: str
  master:
    description:
      - Bridge the host end is attached to. It must exist and be a bridge.
      - Omit to leave the host end's master alone (a new pair is then unattached).
    type: str
  mtu:
    description: MTU of both ends (68-65535). Omit to keep the kernel's default.
    type: int
  mac:
    description: MAC address of the host end. Omit to let the kernel choose.
    type: str
  peer_mac:
    description: MAC address of the peer end. Omit to let the kernel choose.
    type: str
  peer_addresses:
    description:
      - IPv4 addresses of the peer in CIDR form (V(172.17.0.2/16)). This is the complete list
        when given; other IPv4 addresses on the peer are removed. Omit to leave addresses alone.
    type: list
    elements: str
  peer_gateway:
    description:
      - Default route inside O(peer_netns) through this address, which must be inside one of O(peer_addresses)
        and must not be one of them. Requires O(peer_netns) (the host's own default route is never touched).
      - Replaces another default route in that namespace. Omit to leave routes alone.
    type: str
'''

EXAMPLES = r'''
- name: Connect container web01 to docker0 the way docker run does
  hostnet.containers.veth_pair:
    name: veth0a1b2c
    master: docker0
    peer_netns: web01
    peer_name: eth0
    peer_mac: "02:42:ac:11:00:02"
    peer_addresses: [172.17.0.2/16]
    peer_gateway: 172.17.0.1

- name: A plain veth pair on the host
  hostnet.containers.veth_pair:
    name: left0
    peer_name: right0
    mtu: 1450

- name: Remove it (both ends)
  hostnet.containers.veth_pair:
    name: veth0a1b2c
    state: absent
'''

RETURN = r'''
name:
  description: Host end name.
  returned: always
  type: str
  sample: veth0a1b2c
peer_name:
  description: Peer end name.
  returned: when state is present
  type: str
  sample: eth0
before:
  description: The pair before the run (null when it did not exist).
  returned: always
  type: dict
  sample: null
after:
  description: The pair after the run (null when absent); in check mode, what a real run would produce.
  returned: always
  type: dict
  sample: {"name": "veth0a1b2c", "master": "docker0", "mtu": 1500, "mac": "96:1e:5c:aa:10:01", "peer_name": "eth0",
           "peer_netns": "web01", "peer_mac": "02:42:ac:11:00:02", "peer_addresses": ["172.17.0.2/16"],
           "peer_gateway": "172.17.0.1"}
commands:
  description: The changes made (or that would be made in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["create veth veth0a1b2c with peer eth0 in web01", "add 172.17.0.2/16 to eth0 in web01"]
diff:
  description: Before and after, when run with C(--diff).
  returned: when diff mode is on
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.hostnet.containers.plugins.module_utils import _common
from ansible_collections.hostnet.containers.plugins.module_utils import _ipam
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _netns
from ansible_collections.hostnet.containers.plugins.module_utils import _plan
from ansible_collections.hostnet.containers.plugins.module_utils import _validate


def validate(p):
    """Normalise every option once; raise IPAMError naming the option and value."""
    want = {'name': _validate.validate_ifname(p['name'], 'name')}
    if p['state'] == 'absent':
        return want
    peer = p['peer_name']
    if peer is None:
        if p['peer_netns'] is None:
            raise _validate.InputError('peer_name', None, 'is required when peer_netns is not set')
        peer = 'eth0'
    want['peer_name'] = _validate.validate_ifname(peer, 'peer_name')
    want['peer_netns'] = p['peer_netns']
    if p['peer_netns'] is None and want['peer_name'] == want['name']:
        raise _validate.InputError('peer_name', peer, 'must differ from name when both ends are in the host namespace')
    want['master'] = _validate.validate_ifname(p['master'], 'master') if p['master'] is not None else None
    if p['mtu'] is not None and not 68 <= p['mtu'] <= 65535:
        raise _validate.InputError('mtu', p['mtu'], 'must be between 68 and 65535')
    want['mtu'] = p['mtu']
    want['mac'] = _ipam.normalize_mac(p['mac'], 'mac') if p['mac'] is not None else None
    want['peer_mac'] = _ipam.normalize_mac(p['peer_mac'], 'peer_mac') if p['peer_mac'] is not None else None
    addrs = None
    if p['peer_addresses'] is not None:
        addrs = []
        for i, value in enumerate(p['peer_addresses']):
            net = _ipam.parse_interface_address(value, 'peer_addresses[%d]' % i)
            text = '%s/%d' % (net.ip, net.prefixlen)
            if text in addrs:
                raise _validate.InputError('peer_addresses[%d]' % i, value, 'is listed twice')
            addrs.append(text)
    want['peer_addresses'] = addrs
    gw = None
    if p['peer_gateway'] is not None:
        if p['peer_netns'] is None:
            # A default route through a veth in the host's own namespace would replace the host's uplink.
            raise _validate.InputError('peer_gateway', p['peer_gateway'], 'needs peer_netns: the default route is set inside that namespace')
        gw_ip = _ipam.parse_ip(p['peer_gateway'], 'peer_gateway')
        nets = [_ipam.parse_interface_address(a, 'peer_addresses') for a in (addrs or [])]
        if not any(gw_ip in n.cidr for n in nets):
            raise _validate.InputError('peer_gateway', p['peer_gateway'], 'is not inside any of peer_addresses %s' % (addrs or []))
        if any(gw_ip == n.ip for n in nets):
            raise _validate.InputError('peer_gateway', p['peer_gateway'], 'is one of the peer\'s own addresses')
        gw = str(gw_ip)
    want['peer_gateway'] = gw
    return want


class VethPair:
    def __init__(self, module, ns, want):
        self.module = module
        self.ns = ns
        self.want = want
        self.host = ns.ipr(None)
        self.plan = _plan.Plan()

    def fail(self, msg):
        self.ns.close()
        self.module.fail_json(msg=msg)

    def peer_ipr(self):
        return self.ns.ipr(self.want.get('peer_netns'))

    def current(self):
        """(host link, peer link) as they are now; peer None when it is not where we want it."""
        w = self.want
        hl = _kernel.link(self.host, w['name'])
        if hl is None:
            return None, None
        if hl['kind'] != 'veth':
            self.fail('name %r: an interface with that name already exists and is a %s, not a veth' % (w['name'], hl['kind'] or 'device'))
        if w['state'] == 'absent':
            return hl, None
        pl = _kernel.link(self.peer_ipr(), w['peer_name'])
        # The pair is ours when each end points at the other (ifindexes are per namespace, so also
        # require the host end to report a peer in another namespace exactly when peer_netns is set).
        if pl is not None and pl['kind'] == 'veth' and pl['index'] == hl['link'] and pl['link'] == hl['index'] \
                and (hl['link_netnsid'] is not None) == (w['peer_netns'] is not None):
            return hl, pl
        return hl, None

    def describe(self, hl, pl):
        if hl is None:
            return None
        w = self.want
        out = {'name': hl['ifname'], 'master': _kernel.ifname_of(self.host, hl['master']), 'mtu': hl['mtu'], 'mac': hl['mac']}
        if pl is not None:
            pipr = self.peer_ipr()
            out.update({'peer_name': pl['ifname'], 'peer_netns': w['peer_netns'], 'peer_mac': pl['mac'], 'peer_mtu': pl['mtu'],
                        'peer_up': pl['up'], 'up': hl['up'], 'peer_addresses': _kernel.addresses(pipr, pl['index']),
                        'peer_gateway': _kernel.default_gateway(pipr, pl['index'])})
        return out

    def check_references(self):
        """Fail on missing or wrong references before anything is touched."""
        w = self.want
        if w['peer_netns'] is not None:
            try:
                self.ns.fd(w['peer_netns'])
            except _kernel.HostnetError:
                self.fail('peer_netns %r: network namespace does not exist (create it with hostnet.containers.netns)' % w['peer_netns'])
        if w['master'] is not None:
            ml = _kernel.link(self.host, w['master'])
            if ml is None:
                self.fail('master %r: no such bridge on the host' % w['master'])
            if ml['kind'] != 'bridge':
                self.fail('master %r: is a %s, not a bridge' % (w['master'], ml['kind'] or 'device'))
            return ml
        return None

    def build(self):
        w = self.want
        host = self.host
        master = self.check_references() if w['state'] == 'present' else None
        hl, pl = self.current()
        before = self.describe(hl, pl) if (hl is not None and (w['state'] == 'absent' or pl is not None)) else (
            {'name': hl['ifname'], 'peer_name': None} if hl is not None else None)
        if w['state'] == 'absent':
            if hl is not None:
                self.plan.add('delete veth %s' % w['name'], lambda: _kernel.delete_link(host, index=hl['index']))
            return before, None
        pipr = self.peer_ipr()
        where = ' in %s' % w['peer_netns'] if w['peer_netns'] else ''
        recreate = hl is not None and pl is None
        if hl is None or recreate:
            taken = _kernel.link(pipr, w['peer_name'])
            if taken is not None and not (recreate and w['peer_netns'] is None and taken['index'] == hl['link']):
                self.fail('peer_name %r: an interface with that name already exists%s' % (w['peer_name'], where or ' on the host'))
        if recreate:
            self.plan.add('delete veth %s (its peer is not %s%s)' % (w['name'], w['peer_name'], where),
                          lambda: _kernel.delete_link(host, index=hl['index']))
        if hl is None or recreate:
            self._plan_create(master, where)
            pl_addrs, pl_gw, cur_mtu, cur_mac, cur_pmac, cur_master = [], None, None, None, None, None
        else:
            pl_addrs = _kernel.addresses(pipr, pl['index'])
            pl_gw = _kernel.default_gateway(pipr, pl['index'])
            cur_mtu, cur_mac, cur_pmac, cur_master = hl['mtu'], hl['mac'], pl['mac'], hl['master']
            self._plan_repair(hl, pl, master, where)
        self._plan_addresses(pl_addrs, pl_gw, where, fresh=hl is None or recreate)
        after = {'name': w['name'], 'master': w['master'] if w['master'] is not None else _kernel.ifname_of(host, cur_master),
                 'mtu': w['mtu'] or cur_mtu, 'mac': w['mac'] or cur_mac, 'peer_name': w['peer_name'], 'peer_netns': w['peer_netns'],
                 'peer_mac': w['peer_mac'] or cur_pmac, 'peer_mtu': w['mtu'] or cur_mtu, 'peer_up': True, 'up': True,
                 'peer_addresses': w['peer_addresses'] if w['peer_addresses'] is not None else pl_addrs,
                 'peer_gateway': w['peer_gateway'] if w['peer_gateway'] is not None else pl_gw}
        return before, after

    def _plan_create(self, master, where):
        w = self.want
        host = self.host
        fd = self.ns.fd(w['peer_netns']) if w['peer_netns'] is not None else None

        def create():
            # One request: peer born in its namespace and named, host end on the bridge and up.
            _kernel.create_veth(host, w['name'], w['peer_name'], fd, master=master['index'] if master else None,
                                mtu=w['mtu'], mac=w['mac'], peer_mac=w['peer_mac'])

        on_bridge = ' on bridge %s' % w['master'] if w['master'] else ''
        self.plan.add('create veth %s with peer %s%s%s' % (w['name'], w['peer_name'], where, on_bridge), create,
                      lambda: _kernel.delete_link(host, w['name']))
        pipr = self.peer_ipr()
        self.plan.add('set %s%s up' % (w['peer_name'], where), lambda: _kernel.set_up(pipr, _kernel.index_of(pipr, w['peer_name'])))

    def _plan_repair(self, hl, pl, master, where):
        w = self.want
        host, pipr = self.host, self.peer_ipr()
        if master is not None and hl['master'] != master['index']:
            _common.plan_link_set(self.plan, host, hl, 'master', master['index'], 'attach %s to bridge %s' % (w['name'], w['master']))
        if w['mtu'] and hl['mtu'] != w['mtu']:
            _common.plan_link_set(self.plan, host, hl, 'mtu', w['mtu'], 'set mtu %d on %s' % (w['mtu'], w['name']))
        if w['mtu'] and pl['mtu'] != w['mtu']:
            _common.plan_link_set(self.plan, pipr, pl, 'mtu', w['mtu'], 'set mtu %d on %s%s' % (w['mtu'], w['peer_name'], where))
        if w['mac'] and hl['mac'] != w['mac']:
            _common.plan_link_set(self.plan, host, hl, 'mac', w['mac'], 'set mac %s on %s' % (w['mac'], w['name']))
        if w['peer_mac'] and pl['mac'] != w['peer_mac']:
            _common.plan_link_set(self.plan, pipr, pl, 'mac', w['peer_mac'], 'set mac %s on %s%s' % (w['peer_mac'], w['peer_name'], where))
        if not hl['up']:
            self.plan.add('set %s up' % w['name'], lambda: _kernel.set_up(host, hl['index']))
        if not pl['up']:
            self.plan.add('set %s%s up' % (w['peer_name'], where), lambda: _kernel.set_up(pipr, pl['index']))

    def _plan_addresses(self, current, current_gw, where, fresh):
        w = self.want
        pipr = self.peer_ipr()

        def index():
            return _kernel.index_of(pipr, w['peer_name'])

        if w['peer_addresses'] is not None:
            for addr in current:
                if addr not in w['peer_addresses']:
                    self.plan.add('remove %s from %s%s' % (addr, w['peer_name'], where),
                                  lambda addr=addr: _kernel.del_address(pipr, index(), addr),
                                  lambda addr=addr: _kernel.add_address(pipr, index(), addr))
            for addr in w['peer_addresses']:
                if addr not in current:
                    # On a fresh pair the undo of the create step takes the address with it.
                    self.plan.add('add %s to %s%s' % (addr, w['peer_name'], where),
                                  lambda addr=addr: _kernel.add_address(pipr, index(), addr),
                                  None if fresh else (lambda addr=addr: _kernel.del_address(pipr, index(), addr)))
        if w['peer_gateway'] is not None and current_gw != w['peer_gateway']:
            def undo_gw():
                if current_gw is None:
                    _kernel.del_default_route(pipr, w['peer_gateway'], index())
                else:
                    _kernel.set_default_route(pipr, current_gw, index())

            self.plan.add('set default route via %s dev %s%s' % (w['peer_gateway'], w['peer_name'], where),
                          lambda: _kernel.set_default_route(pipr, w['peer_gateway'], index()),
                          None if fresh else undo_gw)


def run(module):
    p = module.params
    try:
        want = validate(p)
    except _validate.InputError as exc:
        module.fail_json(msg=str(exc))
    want['state'] = p['state']
    with _common.mutation_lock(module), _netns.Namespaces() as ns:
        pair = VethPair(module, ns, want)
        before, after = pair.build()
        plan = pair.plan
        result = _common.plan_result(module, plan, before, after, name=want['name'])
        if p['state'] == 'present':
            result['peer_name'] = want['peer_name']
        if _common.apply_plan(module, plan, result) and p['state'] == 'present':
            # What the kernel chose (MACs it generated) is only known once it is done.
            result['after'] = pair.describe(*pair.current())
            if module._diff:  # pylint: disable=protected-access
                result['diff']['after'] = result['after']
    module.exit_json(**result)


def main():
    module = AnsibleModule(
        argument_spec=_common.argument_spec(
            peer_name=dict(type='str'),
            peer_netns=dict(type='str'),
            master=dict(type='str'),
            mtu=dict(type='int'),
            mac=dict(type='str'),
            peer_mac=dict(type='str'),
            peer_addresses=dict(type='list', elements='str'),
            peer_gateway=dict(type='str'),
        ),
        supports_check_mode=True,
    )
    _common.run_module(module, run)


if __name__ == '__main__':
    main()
