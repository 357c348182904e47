# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""restore_engine: the collection's engine (plugins/module_utils) as Python text that makes it importable, for
hostnet-restore to carry inside itself.

The entry point runs at boot with no controller, so it needs the engine on the host.  Shipping it inside the one
file the role installs (rather than as a copy of every module_utils file) keeps the install to one task and one
round trip per run, and the script and its engine can never be of two different versions.
"""

from __future__ import annotations

import base64
import json
import os
import zlib

# The engine's folder, found from this file rather than by importing the engine: the filter is loaded on every play
# that installs the restore, and an import of _restore compiled every engine module there first (about 0.05 s; the
# collection loader keeps no bytecode).
ENGINE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'module_utils')
PACKAGE = 'ansible_collections.hostnet.containers.plugins.module_utils'

# The importer the script runs first: the engine's modules come from SOURCES, their parent packages are empty
# namespaces.  Each module's source is put in linecache, so a traceback shows its lines.  The sources travel
# compressed (zlib, then base64 in lines of 76): the role sends the script to the host on every play (restore_files
# compares it there), and a Python reads a module's arguments from its stdin at about 6 MB/s, so the 0.8 MB of source
# cost 0.15 s a play where the 0.3 MB of base64 cost a third of that; the host unpacks it in milliseconds at boot.
LOADER = '''
import base64
import importlib.abc
import importlib.util
import json
import linecache
import sys
import zlib

PACKAGE = %(package)r
ORIGIN = %(origin)r
SOURCES = json.loads(zlib.decompress(base64.b64decode(''\'
%(sources)s''\')).decode('utf-8'))


class EngineImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports PACKAGE's modules from SOURCES (this file) and nothing else."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == PACKAGE or PACKAGE.startswith(fullname + '.'):
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        if fullname.startswith(PACKAGE + '.') and fullname[len(PACKAGE) + 1:] in SOURCES:
            return importlib.util.spec_from_loader(fullname, self, origin='%%s/%%s.py' %% (ORIGIN, fullname[len(PACKAGE) + 1:]))
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        name = module.__name__[len(PACKAGE) + 1:]
        if module.__name__.startswith(PACKAGE + '.'):
            source, origin = SOURCES[name], module.__spec__.origin
            linecache.cache[origin] = (len(source), None, source.splitlines(True), origin)
            exec(compile(source, origin, 'exec'), module.__dict__)  # pylint: disable=exec-used


sys.meta_path.insert(0, EngineImporter())
'''


def engine_sources(folder=None):
    """{module name: source} of every engine module."""
    folder = folder or ENGINE
    out = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith('.py') and name != '__init__.py':
            with open(os.path.join(folder, name), encoding='utf-8') as f:
                out[name[:-3]] = f.read()
    return out


def packed(sources):
    """``sources`` as the script carries them: JSON (keys sorted, so the same engine gives the same script), zlib at
    its default level (6: 23 ms on the controller every play, where 9 took 44 ms for 0.5% less), base64 in lines of
    76."""
    text = json.dumps(sources, sort_keys=True, separators=(',', ':'))
    return base64.encodebytes(zlib.compress(text.encode('utf-8'), 6)).decode('ascii')


def restore_engine(path, folder=None):
    """Python text that makes the engine importable in a script installed at ``path`` (the name tracebacks show)."""
    return LOADER % {'package': PACKAGE, 'origin': str(path), 'sources': packed(engine_sources(folder))}


class FilterModule:
    def filters(self):
        return {'restore_engine': restore_engine}
