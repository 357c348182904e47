# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input to the roles: each case fails in the planning filter or in the check-mode pass over every network, before
any task changes the host, with a message naming the variable and the value; the host is identical before and after.
All cases of a role run in one ansible-playbook (each in a block whose rescue records the failure).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import conftest

pytestmark = pytest.mark.once  # see conftest.py

# The variables the cases set, with the role's defaults for the cases that leave them out.
ROLE_VARS = {
    'bridge_network': {'bridge_network_networks': [], 'bridge_network_containers': [], 'bridge_network_bip': ''},
    'macvlan_network': {'macvlan_network_networks': [], 'macvlan_network_containers': [], 'macvlan_network_parent': ''},
}
# The tasks a bad request may fail in: they change nothing (bridge_network's last one fails after its one network call
# refused the request and undid itself, and the namespaces it had made were removed: the snapshot says so).
SAFE_TASKS = ('Validating arguments against arg spec', 'Plan the networks and namespaces', "Fail with the network call's error",
              'Allocate addresses once for every host of the play', 'Check each network against the host')

PLAY = '''\
- name: Bad input to a role, case by case
  hosts: lab
  gather_facts: false
  tasks:
    - name: Each case
      ansible.builtin.include_tasks: case.yml
      loop: "{{ reliability_cases }}"
      loop_control:
        loop_var: reliability_case
    - name: Hand the results back
      ansible.builtin.copy:
        content: "{{ reliability_results | default([]) | to_json }}"
        dest: /run/reliability-results.json
        mode: "0600"
'''

CASE = '''\
- name: One case
  block:
    - name: The role with this case's variables
      ansible.builtin.include_role:
        name: hostnet.containers.%(role)s
      vars:
%(vars)s
    - name: The case did not fail
      ansible.builtin.set_fact:
        reliability_results: "{{ reliability_results | default([]) + [{'case': reliability_case.name, 'failed': false}] }}"
  rescue:
    - name: Record the failure
      ansible.builtin.set_fact:
        reliability_results: >-
          {{ reliability_results | default([]) + [{'case': reliability_case.name, 'failed': true,
             'task': ansible_failed_task.name,
             'msg': (ansible_failed_result.results | default([]) | selectattr('failed', 'defined') | selectattr('failed')
                     | map(attribute='msg') | first | default(ansible_failed_result.msg | default('')))}] }}
'''

BRIDGE = [
    ('container mode on a missing container', {'bridge_network_containers': [{'name': 'side', 'network_mode': 'container:ghost'}]},
     'bridge_network_containers[0].network_mode', 'container:ghost'),
    ('unknown network mode', {'bridge_network_containers': [{'name': 'c', 'network_mode': 'overlay'}]},
     'bridge_network_containers[0].network_mode', 'overlay'),
    ('a network that is not declared', {'bridge_network_containers': [{'name': 'c', 'networks': ['nonet']}]},
     'bridge_network_containers[0].networks', 'nonet'),
    ('a container listed twice', {'bridge_network_containers': [{'name': 'c'}, {'name': 'c'}]},
     'bridge_network_containers[1].name', 'c'),
    ('a container joined to a network twice', {'bridge_network_containers': [{'name': 'c', 'networks': ['bridge', 'bridge']}]},
     'bridge_network_containers[0].networks[1]', 'bridge'),
    ('a bad container name', {'bridge_network_containers': [{'name': 'bad name'}]}, 'bridge_network_containers[0].name', 'bad name'),
    ('a port out of range', {'bridge_network_containers': [{'name': 'c', 'publish': ['70000:80']}]},
     'bridge_network_containers[0].publish[0]', '70000:80'),
    ('a publish Docker would reject', {'bridge_network_containers': [{'name': 'c', 'publish': ['80/icmp']}]},
     'bridge_network_containers[0].publish[0]', '80/icmp'),
    ('a bad host name', {'bridge_network_containers': [{'name': 'c0'}, {'name': 'c', 'hostname': 'bad_host!'}]},
     'bridge_network_containers[1].hostname', 'bad_host!'),
    ('a bad name server', {'bridge_network_containers': [{'name': 'c0'}, {'name': 'c', 'dns': ['1.2.3']}]},
     'bridge_network_containers[1].dns[0]', '1.2.3'),
    ('overlapping networks of the role', {'bridge_network_networks': [{'name': 'n1', 'subnet': '10.9.0.0/24'},
                                                                      {'name': 'n2', 'subnet': '10.9.0.0/16'}]},
     'bridge_network_networks[1].subnet', '10.9.0.0/16'),
    ('a gateway outside the subnet', {'bridge_network_networks': [{'name': 'n1', 'subnet': '10.9.0.0/24', 'gateway': '10.8.0.1'}]},
     'bridge_network_networks[0].gateway', '10.8.0.1'),
    ('an address outside the network', {'bridge_network_networks': [{'name': 'n1', 'subnet': '10.9.0.0/24'}],
                                        'bridge_network_containers': [{'name': 'c', 'networks': [{'name': 'n1', 'ip': '10.10.0.5'}]}]},
     'endpoints[c].ip', '10.10.0.5'),
    ('a bridge name taken by another interface', {'bridge_network_networks': [{'name': 'n1', 'bridge_name': 'ens33'}],
                                                  'bridge_network_containers': [{'name': 'c', 'networks': ['n1']}]},
     'bridge_name', 'ens33'),
    ('a bad bip', {'bridge_network_bip': '10.200.0.1'}, 'bridge_network_bip', '10.200.0.1'),
]

MACVLAN = [
    ('a missing parent', {'macvlan_network_parent': 'eth9', 'macvlan_network_networks': [{'name': 'mac', 'subnet': '10.0.0.0/24'}],
                          'macvlan_network_containers': [{'name': 'c', 'networks': ['mac']}]}, 'parent', 'eth9'),
    ('an address outside the subnet', {'macvlan_network_parent': 'ens33',
                                       'macvlan_network_networks': [{'name': 'mac', 'subnet': '10.0.0.0/24'}],
                                       'macvlan_network_containers': [{'name': 'c', 'networks': [{'name': 'mac', 'ip': '10.1.0.5'}]}]},
     'ip', '10.1.0.5'),
    ('an unknown mode', {'macvlan_network_parent': 'ens33',
                         'macvlan_network_networks': [{'name': 'mac', 'subnet': '10.0.0.0/24', 'mode': 'bogus'}]},
     'macvlan_network_networks', 'bogus'),
    ('a network that is not declared', {'macvlan_network_parent': 'ens33',
                                        'macvlan_network_networks': [{'name': 'mac', 'subnet': '10.0.0.0/24'}],
                                        'macvlan_network_containers': [{'name': 'c', 'networks': ['other']}]}, 'other', 'c'),
    ('a second network on a passthru parent', {'macvlan_network_parent': 'ens33', 'macvlan_network_networks': [
        {'name': 'mac', 'subnet': '10.0.0.0/24', 'mode': 'passthru'}, {'name': 'mac2', 'subnet': '10.1.0.0/24'}]}, 'parent', 'ens33'),
]


def run_cases(host, tmp_path, collection_path, role, cases):
    """All ``cases`` of ``role`` in one ansible-playbook run on ``host``; {case name: result}."""
    (tmp_path / 'case.yml').write_text(CASE % {'role': role, 'vars': ''.join(
        '        %s: "{{ reliability_case.vars.%s | default(%s) }}"\n' % (var, var, json.dumps(default).replace('"', "'"))
        for var, default in ROLE_VARS[role].items())})
    (tmp_path / 'play.yml').write_text(PLAY)
    inventory = {'all': {'children': {'lab': {'hosts': {'host1': {'hostnet_nsenter_pid_file': host.pid_file}}}},
                         'vars': {'ansible_connection': 'hostnet.containers.nsenter', 'ansible_python_interpreter': sys.executable}}}
    (tmp_path / 'inventory.json').write_text(json.dumps(inventory))
    extra = {'reliability_cases': [{'name': name, 'vars': variables} for name, variables, dummy, dummy2 in cases]}
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collection_path, ANSIBLE_NOCOLOR='1', ANSIBLE_RETRY_FILES_ENABLED='False',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'ansible-local'))
    res = subprocess.run([conftest.ANSIBLE_PLAYBOOK, '-i', str(tmp_path / 'inventory.json'), str(tmp_path / 'play.yml'),
                          '-e', json.dumps(extra)], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return {r['case']: r for r in json.loads(host.run('cat /run/reliability-results.json').stdout)}


@pytest.mark.parametrize('role,cases', [('bridge_network', BRIDGE), ('macvlan_network', MACVLAN)], ids=['bridge_network', 'macvlan_network'])
def test_bad_role_input_fails_before_any_change(host, tmp_path, collection_path, role, cases):
    before = host.settled_snapshot()
    results = run_cases(host, tmp_path, collection_path, role, cases)
    after = host.settled_snapshot(like=before)
    bad = []
    for name, dummy, option, value in cases:
        got = results.get(name) or {}
        if not got.get('failed') or option not in got.get('msg', '') or value not in got['msg'] \
                or not got.get('task', '').startswith(SAFE_TASKS):
            bad.append((name, option, value, got))
    assert not bad, json.dumps(bad, indent=1)
    assert after == before


def test_the_role_cases_cover_the_issue():
    assert len(BRIDGE) + len(MACVLAN) >= 20
