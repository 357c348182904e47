# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Standard documentation for the collection's read-only modules: they change nothing,
    # so check mode is a normal run, there is nothing to diff and no host lock is taken.
    DOCUMENTATION = r'''
options: {}
requirements:
  - Linux, run as root on the managed host.
  - python >= 3.9 on the managed host.
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Read-only; nothing to diff.
  platform:
    support: full
    platforms: linux
    description: Target OS/families that can be operated against.
notes:
  - Read-only; never reports C(changed) and takes no lock.
  - Every bad input fails before anything is sent, with a message naming the option and the value.
'''
