# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs the collection's modules inside one emulated host for Host.module (conftest.py): a fork per run.

Started inside the host (its mount, UTS, IPC, network and PID namespaces, by nsenter), it reads one request per line
on stdin and answers one line on stdout. Before a module's first run it imports that module (with ansible's
module_utils.basic and the collection's module_utils it imports) and, for a module that changes the kernel,
pyroute2's message classes; each run then happens in a child forked for it: stdin from /dev/null, stdout and stderr
to the files the request names, the request's environment added, ``sys.argv`` the args file, and the module run as
``python -m MODULE ARGS`` runs it (runpy, as __main__). The module code, its requests to the kernel and everything it
starts are the module's own; what the fork saves is the Python start and the imports of every run after a module's
first in a host (about 0.1-0.3 CPU-s of the 0.15-0.35 a module run costs), which make test pays a few thousand times.

Request: {"module": dotted name, "args": args file, "out": file, "err": file, "env": {name: value}}.
Answer: {"rc": exit status}. The server ends at end of input.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import runpy
import sys
import traceback


# The modules that only read: every other module of the collection encodes kernel requests with pyroute2 in nearly
# every run that changes something.
READ_ONLY = ('network_info', 'probe')
UTILS = 'ansible_collections.hostnet.containers.plugins.module_utils.'


def preload(modname):
    """Import what a run of ``modname`` imports, once per server (any failure here only means that the import
    happens, and fails, in the run itself, as it would without the server)."""
    try:
        importlib.import_module(modname)
        if modname.rpartition('.')[2] not in READ_ONLY:
            # pyroute2 by the engine's own loaders (its message classes, tc), so nothing here can drift from what a run
            # imports, nor from how (without the package's __init__: _pyroute2.modules).
            importlib.import_module(UTILS + '_kernel')._message_class('ifinfmsg')  # pylint: disable=protected-access
            importlib.import_module(UTILS + '_bandwidth')._tc_classes()  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except
        pass


def exit_code(exc):
    """The exit status of a SystemExit, as the interpreter makes it."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def child(request):
    """Run one module in this (forked) process and end it with the module's exit status; never returns."""
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request['out']), (2, request['err'])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), fd)
        os.environ.update(request.get('env') or {})
        sys.argv = [request['module'], request['args']]
        try:
            runpy.run_module(request['module'], run_name='__main__', alter_sys=True)
            code = 0
        except SystemExit as exc:
            code = exit_code(exc)
        atexit._run_exitfuncs()  # pylint: disable=protected-access
    except BaseException:  # pylint: disable=broad-except
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)  # pylint: disable=protected-access


def serve():
    print(json.dumps({'ready': os.getpid()}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        preload(request['module'])
        pid = os.fork()
        if pid == 0:
            child(request)
        dummy, status = os.waitpid(pid, 0)
        print(json.dumps({'rc': os.waitstatus_to_exitcode(status)}), flush=True)


if __name__ == '__main__':
    serve()
