# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for get-pip.py, which ansible-test downloads from a host this machine cannot reach.

ansible-test runs the cached bootstrap script with pip's install arguments to put pip into each
virtual environment it creates for sanity tests.  This does the same with what Python ships:
ensurepip installs the bundled pip wheel, then pip installs the requested pins from PyPI.
hack/sanity.sh places it in ansible-test's cache as ~/.ansible/test/cache/get_pip_<version>.py.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main():
    args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
    subprocess.check_call([sys.executable, '-m', 'ensurepip', '--default-pip'], stdout=subprocess.DEVNULL)
    os.execv(sys.executable, [sys.executable, '-m', 'pip', 'install'] + args)


if __name__ == '__main__':
    main()
