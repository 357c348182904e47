# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The attributes of every state-changing module of the collection: check mode and diff in full, on Linux.  Alone
    # for a module that needs neither pyroute2 nor the host-wide lock (restore_files); with ENGINE for the others.
    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    support: full
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    support: full
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    support: full
    platforms: linux
    description: Target OS/families that can be operated against.
'''

    # What every module that runs the engine needs and promises (hostnet.containers._common.engine).
    ENGINE = r'''
options: {}
requirements:
  - Linux, run as root on the managed host.
  - python >= 3.9 on the managed host.
  - pyroute2 0.7.2 or newer on the managed host, for the Python that runs the module (package C(python3-pyroute2)
    on Debian, Ubuntu and Fedora; Debian 12 has 0.7.2).
  - netaddr on the managed host, for the Python that runs the module (package C(python3-netaddr)).
  - The P(hostnet.containers.host_requirements#role) role (run by the network roles) installs both when missing.
notes:
  - Mutations take a host-wide lock (C(/run/lock/hostnet.lock)), so two runs on one host never interleave.
  - A failure part-way through a run undoes what that run created.
  - Every bad input fails before anything is touched, with a message naming the option and the value.
'''
