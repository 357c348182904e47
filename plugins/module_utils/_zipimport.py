# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A module's start on the managed host: the engine's files compiled once, not twice.

Ansible runs a module from a zip (AnsiballZ) and Python imports every file of it with ``zipimport``, whose
``get_filename`` (called while the import machinery makes the module's spec) compiles the whole source only to learn
where it comes from; the import then compiles it again (CPython gh-141276, open in 3.11 to 3.15; the fix proposed
there, gh-153799, is this one). The engine is about 0.6 MB of Python, so a module run paid 40 to 60 ms, and every
play with a role two or three times that, for nothing.

``install()`` (each module imports this file first, then the rest) gives ``zipimporter`` a ``get_filename`` that
finds the same file without compiling it: the first entry of the archive in zipimport's own search order, a package's
``__init__`` before a module; a compiled file (``.pyc``, which AnsiballZ never ships) is left to the original, which
validates it. Where zipimport's private helpers are not what this expects (another Python), nothing is changed. Only
the module's own process is affected; nothing else imports from its zip.
"""

from __future__ import annotations

import zipimport


def _toc(importer):
    """The archive's table of contents (3.11 and 3.12 keep it in ``_files``; later versions behind ``_get_files``)."""
    files = getattr(importer, '_files', None)
    if files is None and hasattr(importer, '_get_files'):
        files = importer._get_files()  # pylint: disable=protected-access
    return files


def _filename(original):
    def get_filename(self, fullname):
        files = _toc(self)
        if files is None:
            return original(self, fullname)
        path = zipimport._get_module_path(self, fullname)  # pylint: disable=protected-access
        for suffix, isbytecode, dummy in zipimport._zip_searchorder:  # pylint: disable=protected-access
            entry = files.get(path + suffix)
            if entry is not None:
                return original(self, fullname) if isbytecode else entry[0]
        return original(self, fullname)  # raises ZipImportError, as before
    get_filename.hostnet_original = original
    return get_filename


def install():
    """Replace zipimporter.get_filename once per process, when this Python's zipimport has the helpers it uses."""
    current = zipimport.zipimporter.get_filename
    if hasattr(current, 'hostnet_original'):
        return False
    if not (hasattr(zipimport, '_get_module_path') and isinstance(getattr(zipimport, '_zip_searchorder', None), tuple)):
        return False
    zipimport.zipimporter.get_filename = _filename(current)
    return True


install()
