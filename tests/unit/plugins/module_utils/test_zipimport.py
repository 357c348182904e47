# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_zipimport: a module run compiles each file of its zip once, and finds the same files as zipimport did."""

from __future__ import annotations

import importlib
import importlib.util
import marshal
import sys
import zipfile
import zipimport

import pytest

from ansible_collections.hostnet.containers.plugins.module_utils import _zipimport

pytestmark = pytest.mark.skipif(not hasattr(zipimport, '_compile_source'), reason="this Python's zipimport compiles elsewhere")


def make_zip(path, prefix):
    """A zip like AnsiballZ's: a package, a module, a subpackage, and a module that is only compiled (a .pyc)."""
    pyc = importlib.util.MAGIC_NUMBER + b'\0' * 12 + marshal.dumps(compile('VALUE = "compiled"', 'compiled.py', 'exec'))
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr(prefix + '/__init__.py', 'NAME = "pkg"\n')
        z.writestr(prefix + '/mod.py', 'VALUE = 42\n')
        z.writestr(prefix + '/sub/__init__.py', '')
        z.writestr(prefix + '/compiled.pyc', pyc)
    return str(path)


def compiles(monkeypatch):
    """The sources zipimport compiles from now on, in order."""
    seen = []
    original = zipimport._compile_source  # pylint: disable=protected-access

    def counted(pathname, source):
        seen.append(pathname.rsplit('/', 1)[-1])
        return original(pathname, source)
    monkeypatch.setattr(zipimport, '_compile_source', counted)
    return seen


@pytest.fixture
def unpatched(monkeypatch):
    """zipimporter.get_filename as Python has it (the collection's modules, imported by other tests, installed ours)."""
    current = zipimport.zipimporter.get_filename
    original = getattr(current, 'hostnet_original', current)
    monkeypatch.setattr(zipimport.zipimporter, 'get_filename', original)
    return original


def test_the_same_files_found_without_compiling(tmp_path, monkeypatch, unpatched):
    archive = make_zip(tmp_path / 'a.zip', 'zpkg_a')
    importer = zipimport.zipimporter(archive)
    names = ['zpkg_a', 'zpkg_a.mod', 'zpkg_a.sub', 'zpkg_a.compiled']
    sub = zipimport.zipimporter(archive + '/zpkg_a')
    expected = {n: unpatched(importer if n == 'zpkg_a' else sub, n) for n in names}
    assert _zipimport.install() and not _zipimport.install()  # once per process
    seen = compiles(monkeypatch)
    for name in names:
        assert zipimport.zipimporter.get_filename(importer if name == 'zpkg_a' else sub, name) == expected[name]
    assert seen == []  # the compiled module's name came from the original, which reads it without compiling
    with pytest.raises(zipimport.ZipImportError):
        zipimport.zipimporter.get_filename(sub, 'zpkg_a.missing')


@pytest.mark.parametrize('patched', [False, True])
def test_an_import_from_the_zip_compiles_each_file_once(tmp_path, monkeypatch, unpatched, patched):
    prefix = 'zpkg_%s' % ('b' if patched else 'c')
    monkeypatch.syspath_prepend(make_zip(tmp_path / 'b.zip', prefix))
    if patched:
        _zipimport.install()
    seen = compiles(monkeypatch)
    try:
        mod = importlib.import_module(prefix + '.mod')
        compiled = importlib.import_module(prefix + '.compiled')
    finally:
        for name in [n for n in sys.modules if n.startswith(prefix)]:
            del sys.modules[name]
    assert (mod.VALUE, compiled.VALUE, mod.__file__) == (42, 'compiled', str(tmp_path / 'b.zip' / prefix / 'mod.py'))
    # Python's own compiles the package and the module twice each: once to name the file, once to run it.
    assert seen == (['__init__.py', 'mod.py'] if patched else ['__init__.py', '__init__.py', 'mod.py', 'mod.py'])
