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
