# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Attributes of the plugins that run on the controller rather than on the managed host.

    # The planning filters (hostnet.containers._controller.filter).
    FILTER = r'''
options: {}
requirements:
  - netaddr on the controller (the address arithmetic is shared with the modules).
attributes:
  check_mode:
    support: full
    description: A pure function of its input, evaluated on the controller; it gives the same result in check mode.
  diff_mode:
    support: N/A
    description: Changes nothing, so there is nothing to diff.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller, wherever ansible-core runs.
'''

    # The nsenter connection (hostnet.containers._controller.connection).
    CONNECTION = r'''
options: {}
requirements:
  - Linux on the controller, root, and C(nsenter) from util-linux.
attributes:
  check_mode:
    support: N/A
    description: Carries out what the task asks; check mode is each module's business.
  diff_mode:
    support: N/A
    description: Carries out what the task asks; diff mode is each module's business.
  platform:
    support: full
    platforms: linux
    description: The controller and its targets are Linux; the targets are namespaces on the controller.
'''
