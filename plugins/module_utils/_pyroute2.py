# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How the engine finds and imports pyroute2: whether it is installed (``HAS_PYROUTE2``, checked without importing
it) and ``modules(*names)``, its netlink core without the package's __init__. A run that changes nothing (a rerun,
check mode, a bad input, the read-only modules) never imports pyroute2; the first request it encodes does
(_kernel._message_class, _bandwidth, _conntrack)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types


def _find():
    """(installed, the error the modules report when it is not), without importing it."""
    try:
        found = importlib.util.find_spec('pyroute2') is not None
    except (ImportError, ValueError):  # ValueError: sys.modules['pyroute2'] is None (an import that failed)
        found = False
    return found, None if found else 'ModuleNotFoundError: No module named pyroute2'


HAS_PYROUTE2, PYROUTE2_IMPORT_ERROR = _find()


def modules(*names):
    """pyroute2's modules ``names`` (dotted), imported without the package's __init__ when pyroute2 is not imported yet:
    it imports pyroute2's whole API (IPRoute, NDB, IPDB, asyncio; ~160 modules, 0.1 CPU-s of every run that changes the
    kernel) where the message classes need the netlink core (~25). Meanwhile sys.modules['pyroute2'] is a bare package
    (its path and spec, nothing run), taken out after, so a later ``import pyroute2`` runs the real __init__ and keeps
    the modules imported here. Both versions encode the same bytes this way (test_kernel_encoding.py)."""
    spec = None if 'pyroute2' in sys.modules else importlib.util.find_spec('pyroute2')
    if spec is None or not spec.submodule_search_locations:
        return [importlib.import_module(name) for name in names]
    stand_in = types.ModuleType('pyroute2')
    stand_in.__path__ = list(spec.submodule_search_locations)
    stand_in.__spec__ = spec
    sys.modules['pyroute2'] = stand_in
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        if sys.modules.get('pyroute2') is stand_in:
            del sys.modules['pyroute2']
