# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The examples of the README and the role READMEs, run as written on a fresh emulated host, do what the text around
them says they do."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
import yaml

import traffic
from conftest import ANSIBLE_PLAYBOOK, REPO, SEED_HOSTS, hostnet_lab, wait_until

sys.path.insert(0, os.path.join(REPO, 'hack'))
import docs_examples  # noqa: E402  pylint: disable=wrong-import-position,import-error

pytestmark = pytest.mark.once  # playbooks and roles: no request the module tests do not send under both pyroute2s


def yaml_block(path, heading):
    """The first YAML block after ``heading`` in the Markdown file at path (relative to the repository), as a user
    copies it."""
    with open(os.path.join(REPO, path)) as f:
        text = f.read()
    section = text[text.index(heading):]
    return re.search(r'```yaml\n(.*?)```', section, re.S).group(1)


def run_play(host, play, tmp_path, collection_path, **extra):
    """ansible-playbook on one emulated host, in the group the play names (hosts: GROUP) -> (rc, output, changed)."""
    group = re.search(r'^\s*hosts: (\S+)$', play, re.M).group(1)
    inventory = {'all': {'children': {group: {'hosts': {host.name: {
        'hostnet_nsenter_pid_file': host.pid_file,
        # The emulated host is entered as root already and has no sudo: the play's become is honoured as a no-op.
        'ansible_become': False}}}},
        'vars': {'ansible_connection': 'hostnet.containers.nsenter', 'ansible_python_interpreter': sys.executable}}}
    inv = tmp_path / 'inventory.json'
    inv.write_text(json.dumps(inventory))
    playbook = tmp_path / 'quickstart.yml'
    playbook.write_text(play)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))
    extra.setdefault('bridge_network_restore_service', False)
    res = subprocess.run([ANSIBLE_PLAYBOOK, '-i', str(inv), str(playbook), '-e', json.dumps(extra)], capture_output=True,
                         text=True, env=env, timeout=300, check=False)
    out = res.stdout + res.stderr
    changed = re.search(r'^%s\s+: ok=\d+\s+changed=(\d+)' % host.name, out, re.M)
    return res.returncode, out, int(changed.group(1)) if changed else None


def test_readme_quickstart_runs_as_written(two_hosts, tmp_path, collection_path):
    h1, h2 = two_hosts
    play = yaml_block('README.md', '## Quickstart')
    assert 'hosts: myhosts' in play
    rc, out, changed = run_play(h1, play, tmp_path, collection_path)
    assert rc == 0, out
    assert changed > 0
    assert {'web', 'db'} <= set(h1.run(['ls', '/run/netns']).stdout.split())
    # web resolves db by name, as on a Docker user-defined network.
    db_ip = h1.netns_run('db', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']).stdout.split()[3].split('/')[0]
    assert db_ip.startswith('172.30.0.')
    assert h1.netns_run('web', ['getent', 'hosts', 'db']).stdout.split()[0] == db_ip
    # A server in web (the README runs python3 -m http.server 80) answers on port 8080 of the host's address, from
    # another host of the LAN.
    traffic.serve(h1, 'web', 80, tag='web')
    assert wait_until(lambda: traffic.connect(h2, None, h1.address, 8080),
                      'the web container answering on %s:8080 from host2' % h1.address).startswith('web ')
    rc, out, changed = run_play(h1, play, tmp_path, collection_path)
    assert rc == 0 and changed == 0, out
    rc, out, changed = run_play(h1, play, tmp_path, collection_path, bridge_network_state='absent')
    assert rc == 0, out
    assert h1.run(['ls', '/run/netns']).stdout.split() == []


def test_bridge_network_readme_example_runs_as_written(two_hosts, tmp_path, collection_path):
    h1, h2 = two_hosts
    play = yaml_block('roles/bridge_network/README.md', '## Example')
    rc, out, changed = run_play(h1, play, tmp_path, collection_path)
    assert rc == 0, out

    def addr(ns, dev):
        return h1.netns_run(ns, ['ip', '-4', '-o', 'addr', 'show', 'dev', dev]).stdout.split()[3].split('/')[0]
    # proxy reaches app by name on frontend; app reaches db as db and as database on backend.
    traffic.serve(h1, 'app', 8080, tag='app')
    app_front = h1.netns_run('proxy', ['getent', 'hosts', 'app']).stdout.split()[0]
    assert traffic.connect(h1, 'proxy', app_front, 8080).startswith('app ')
    db_ip = addr('db', 'eth0')
    for name in ('db', 'database'):
        assert h1.netns_run('app', ['getent', 'hosts', name]).stdout.split()[0] == db_ip
    assert traffic.ping(h1, 'app', db_ip)
    # The sidecar shares app's interfaces and address; batch has only lo; proxy cannot reach db.
    assert addr('app-sidecar', 'eth1') == addr('app', 'eth1') == '172.31.2.10'
    links = h1.netns_run('batch', ['ip', '-o', 'link']).stdout.splitlines()
    assert len(links) == 1 and links[0].split()[1] == 'lo:'
    assert not traffic.ping(h1, 'proxy', db_ip)
    # proxy publishes 80 on every host address, 9090 on the host's loopback only.
    traffic.serve(h1, 'proxy', 8080, tag='proxy')
    traffic.serve(h1, 'proxy', 9090, tag='proxy-admin')
    assert wait_until(lambda: traffic.connect(h2, None, h1.address, 80), 'proxy on %s:80 from host2' % h1.address).startswith('proxy ')
    assert traffic.connect(h1, None, '127.0.0.1', 9090).startswith('proxy-admin ')
    assert traffic.connect(h2, None, h1.address, 9090, timeout=1) is None
    rc, out, changed = run_play(h1, play, tmp_path, collection_path)
    assert rc == 0 and changed == 0, out
    rc, out, changed = run_play(h1, play, tmp_path, collection_path, bridge_network_state='absent')
    assert rc == 0, out
    assert h1.run(['ls', '/run/netns']).stdout.split() == []


# The pages whose examples the tests above run and check in detail; the rest run here, each on a fresh lab.
CHECKED_IN_DETAIL = ('README.md', 'roles/bridge_network/README.md')
# Blocks of these pages build emulated hosts themselves (hosts: localhost, the lab role): they get a lab folder of
# their own and no inventory.
BUILDS_A_LAB = ('docs/lab.md', 'roles/lab/README.md')
# Pages whose examples take the host's VTEP from its default route, as on real hosts: their hosts get one (to no router).
DEFAULT_ROUTE_PAGES = ('docs/overlay.md', 'roles/overlay_network/README.md')
DEFAULT_ROUTE_HOSTS = {name: dict(spec, gateway='10.138.3.1') for name, spec in SEED_HOSTS.items()}


def _groups(plays):
    return sorted({p['hosts'] for p in plays} - {'all', 'localhost', 'lab', 'host1', 'host2'})


def _inventory(two_hosts, plays):
    """host1 and host2 in group lab; host1 also in every other group the plays name (the docs' myhost, docker_hosts)."""
    hosts = {}
    for host in two_hosts:
        hosts[host.name] = {'hostnet_nsenter_pid_file': host.pid_file, 'ansible_become': False,
                            'lab_address': '%s/24' % host.address}
    children = {'lab': {'hosts': hosts}}
    for group in _groups(plays):
        children[group] = {'hosts': {'host1': {}}}
    return {'all': {'children': children, 'vars': {'ansible_connection': 'hostnet.containers.nsenter',
                                                   'ansible_python_interpreter': sys.executable}}}


def _run_playbook(text, inventory, extra, tmp_path, collection_path, count):
    playbook = tmp_path / ('page-%d.yml' % count)
    playbook.write_text(text)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))
    res = subprocess.run([ANSIBLE_PLAYBOOK, '-i', str(inventory), str(playbook), '-e', json.dumps(extra)], capture_output=True,
                         text=True, env=env, timeout=600, check=False)
    assert res.returncode == 0, res.stdout + res.stderr


# docs_examples.NOT_RUN (examples that need a DHCP server on the LAN) are linted by hack/check_docs.py, not run here.
@pytest.mark.parametrize('page', [p for p in docs_examples.PAGES if p not in CHECKED_IN_DETAIL])
def test_docs_page_runs_as_written(page, lab_factory, tmp_path, collection_path):
    """Every example of the page, in order, as playbooks: each must succeed (the probe tasks in them check
    reachability with packets). A run of blocks marked to start from fresh hosts gets a new lab."""
    assert docs_examples.blocks(REPO, page), page
    extra = {'bridge_network_restore_service': False, 'macvlan_network_restore_service': False,
             'overlay_network_restore_service': False}
    inventory = tmp_path / 'inventory.json'
    for count, texts in enumerate(docs_examples.segments(REPO, page)):
        if page in BUILDS_A_LAB:
            extra['lab_dir'] = str(tmp_path / ('page-lab-%d' % count))
            inventory.write_text(json.dumps({'all': {'hosts': {'localhost': {'ansible_connection': 'local',
                                                                             'ansible_python_interpreter': sys.executable}}}}))
            try:
                _run_playbook(docs_examples.page_playbook(REPO, page, texts=texts), inventory, extra, tmp_path, collection_path, count)
            finally:
                hostnet_lab.Lab(extra['lab_dir']).down()
            continue
        hosts = lab_factory(DEFAULT_ROUTE_HOSTS if page in DEFAULT_ROUTE_PAGES else None, name='lab-%d' % count)
        # Tasks and role variables run on host1, the seed's first host (the address in their examples is its).
        plays = [p for text in texts for p in docs_examples.plays(page, text, 'host1')[1]]
        inventory.write_text(json.dumps(_inventory((hosts['host1'], hosts['host2']), plays)))
        _run_playbook(docs_examples.page_playbook(REPO, page, 'host1', texts), inventory, extra, tmp_path, collection_path, count)


# What each module's EXAMPLES assume the host already has, as their comments say; the examples then run as written.
PROBE_TOPOLOGY = [
    {'name': 'Docker0 with web01 and web02', 'hostnet.containers.docker_bridge': {
        'name': 'bridge', 'endpoints': [{'name': 'web01', 'ip': '172.17.0.2'}, {'name': 'web02', 'ip': '172.17.0.3'}]}},
    {'name': 'Custom_network with app and db01', 'hostnet.containers.docker_bridge': {
        'name': 'custom_network', 'subnet': '172.18.0.0/16',
        'endpoints': [{'name': 'app', 'ip': '172.18.0.2'}, {'name': 'db01', 'ip': '172.18.0.3'}]}},
]
MODULE_SETUP = {
    'netns': [{'name': 'A namespace made by hand', 'ansible.builtin.command': 'ip netns add legacy01', 'changed_when': True}],
    'veth_pair': [{'name': 'Docker0', 'hostnet.containers.docker_bridge': {'name': 'bridge'}},
                  {'name': 'Container web01', 'hostnet.containers.netns': {'name': 'web01'}},
                  {'name': 'Container web02 (the dual-stack example)', 'hostnet.containers.netns': {'name': 'web02'}}],
    'probe': PROBE_TOPOLOGY + [
        {'name': 'A web server in app', 'ansible.builtin.shell': 'ip netns exec app python3 -m http.server 80 >/dev/null 2>&1 &',
         'changed_when': True},
        {'name': 'Wait for it', 'hostnet.containers.probe': {'netns': 'db01', 'target': '172.18.0.2', 'method': 'tcp', 'port': 80},
         'register': 'up', 'until': 'up is succeeded', 'retries': 90, 'delay': 1},
        # The IPv6 examples' addresses, added by hand inside the emulated host (nodad: usable at once).
        {'name': 'IPv6 on docker0, web01 and web02, a web server on web02, db01 in app\'s hosts file', 'changed_when': True,
         'ansible.builtin.shell': 'sysctl -qw net.ipv6.conf.docker0.disable_ipv6=0 && '
                                  'ip -6 addr add fd00:17::1/64 dev docker0 nodad && ip -6 addr add fe80::1/64 dev docker0 nodad && '
                                  'for n in 2 3; do ip netns exec web0$((n - 1)) sh -c "sysctl -qw net.ipv6.conf.eth0.disable_ipv6=0 && '
                                  'ip -6 addr add fd00:17::$n/64 dev eth0 nodad"; done && '
                                  'echo "fd00:18::3 db01" >> /etc/netns/app/hosts && '
                                  '(ip netns exec web02 python3 -m http.server 80 --bind fd00:17::3 >/dev/null 2>&1 &)'},
        {'name': 'Wait for the IPv6 web server',
         'hostnet.containers.probe': {'netns': 'web01', 'target': 'fd00:17::3', 'method': 'tcp', 'port': 80},
         'register': 'up6', 'until': 'up6 is succeeded', 'retries': 90, 'delay': 1}],
    'network_info': PROBE_TOPOLOGY[1:],
    'gc': [],
    'restore_files': [],  # writes its own files, under the emulated host's /etc and /usr/local
    # The unmanaged example's br0, the user's own bridge (an empty one will do for attaching containers).
    'docker_bridge': [{'name': 'The host\'s br0', 'ansible.builtin.command': 'ip link add br0 type bridge', 'changed_when': True}],
    'macvlan_net': [],  # the lab's hosts have ens33, the seed's parent
    # The lab's host1 is the seed's 10.138.3.130 on ens33; the IPv6 underlay example's address is added inside it.
    'overlay_net': [{'name': 'IPv6 on ens33', 'ansible.builtin.shell': 'sysctl -qw net.ipv6.conf.ens33.disable_ipv6=0 && '
                     'ip -6 addr add fd00:138::130/64 dev ens33 nodad', 'changed_when': True}],
    'nat_rule': [{'name': 'Docker0', 'hostnet.containers.docker_bridge': {'name': 'bridge'}}],
    'container': [{'name': 'Docker0', 'hostnet.containers.docker_bridge': {'name': 'bridge'}},
                  {'name': 'Custom_network', 'hostnet.containers.docker_bridge': {'name': 'custom_network'}}],
}


def module_examples(name):
    with open(os.path.join(REPO, 'plugins', 'modules', name + '.py')) as f:
        text = f.read()
    start = text.index("EXAMPLES = r\'\'\'") + len("EXAMPLES = r\'\'\'")
    return yaml.safe_load(text[start:text.index("\'\'\'", start)])


@pytest.mark.parametrize('module', sorted(MODULE_SETUP))
def test_module_examples_run_as_written(module, host, tmp_path, collection_path):
    """A module's EXAMPLES, in order, on a host that has what their comments say they assume."""
    plays = [{'name': 'What the examples of %s assume' % module, 'hosts': 'lab', 'gather_facts': False,
              'tasks': MODULE_SETUP[module]}] if MODULE_SETUP[module] else []
    plays.append({'name': 'The examples of %s' % module, 'hosts': 'lab', 'gather_facts': False, 'tasks': module_examples(module)})
    rc, out, dummy = run_play(host, yaml.safe_dump(plays, sort_keys=False), tmp_path, collection_path)
    assert rc == 0, out
