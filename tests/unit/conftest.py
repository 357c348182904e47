# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make `ansible_collections.hostnet.containers` importable from this checkout for unit tests."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import ansible_collections.hostnet.containers  # noqa: F401  pylint: disable=unused-import
except ImportError:
    _root = tempfile.mkdtemp(prefix='hostnet-units-')
    os.makedirs(os.path.join(_root, 'ansible_collections', 'hostnet'))
    os.symlink(REPO, os.path.join(_root, 'ansible_collections', 'hostnet', 'containers'))
    sys.path.insert(0, _root)
    atexit.register(shutil.rmtree, _root, True)


import pytest  # noqa: E402  (after the path set-up above, which makes the collection importable)


@pytest.fixture(autouse=True)
def _private_host_paths(tmp_path, monkeypatch):
    """Every unit test gets its own state folder and lock: a plan step run by a test with the default root (a record
    written, a lock taken) lands in the test's temporary folder, never in this machine's own /var/lib/hostnet or
    /run/lock.  (/etc/netns is not redirected: planners only name it in step texts, and the unit tests run the
    file steps through fakes.)"""
    from ansible_collections.hostnet.containers.plugins.module_utils import _store  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr(_store, 'STATE_DIR', str(tmp_path / 'var-lib-hostnet'))
    monkeypatch.setattr(_store, 'LOCK_PATH', str(tmp_path / 'hostnet.lock'))
    # A bridge run reads its host ends' IPv6 sysctls: a unit test's host is made up, so this machine's are never read
    # (none is on; a test that wants one on patches this again).
    from ansible_collections.hostnet.containers.plugins.module_utils import _snapshot  # pylint: disable=import-outside-toplevel
    monkeypatch.setattr(_snapshot, 'host_ipv6_on', lambda names: set())
