# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bridge_network role's containers publishing in Compose's long syntax with allow_from."""

from __future__ import annotations

import pytest

pytest.importorskip('netaddr')
pytest.importorskip('jmespath')

from ansible_collections.hostnet.containers.plugins.filter import bridge_plan as bp  # noqa: E402

LONG = {'target': 80, 'published': 8080, 'allow_from': ['10.138.3.0/24']}


def test_a_long_syntax_publish_goes_to_docker_bridge_as_it_is():
    got = bp.bridge_plan([{'name': 'web', 'publish': [LONG, 8081], 'expose': [80, 443], 'publish_all': True}])
    assert got['networks'][0]['endpoints'][0]['publish'] == [LONG, '8081', '443'], 'port 80 is published already, by the dict'


@pytest.mark.parametrize('publish, needle', [
    ({'target': 80, 'allow_from': ['10.138.3.0/33']}, r"bridge_network_containers\[0\]\.publish\[0\]\.allow_from '10.138.3.0/33': not a CIDR"),
    ({'target': 80, 'ports': 1}, r"bridge_network_containers\[0\]\.publish\[0\] .*unknown key ports in the long syntax"),
    ({'published': 8080}, r"bridge_network_containers\[0\]\.publish\[0\]\.target null: the long syntax needs target"),
])
def test_bad_long_syntax_is_refused_before_anything_is_made(publish, needle):
    with pytest.raises(bp.PlanError, match=needle):
        bp.bridge_plan([{'name': 'web', 'publish': [publish]}])
