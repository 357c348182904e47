# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hostnet.containers contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An endpoint's ``bandwidth`` (the CNI bandwidth plugin's options): parsing, the tbf qdiscs that apply it, reading
them back, and the plan steps.

As the CNI plugin, each direction is a token bucket filter (tbf, latency 25 ms) at the root of a veth end's egress:
``ingress`` (traffic into the container) on the host end, where the host sends into the pair.  ``egress`` (traffic
out of the container) on the container end, where the container sends into the pair: for a veth pair, the egress of
one end is the ingress of the other, so this shapes what CNI shapes with an ifb device redirecting the host end's
ingress, without a third device to own, name and remove.  The qdiscs go with the veth when the endpoint goes.

Requests are pyroute2's tc messages (RTM_NEWQDISC / RTM_DELQDISC, its tbf plugin computing the rate table); reads
are a lean decoder of RTM_GETQDISC dumps (_kernel_codec.parse_qdisc).
"""

from __future__ import annotations

import re

from ansible_collections.hostnet.containers.plugins.module_utils import _kernel
from ansible_collections.hostnet.containers.plugins.module_utils import _pyroute2
from ansible_collections.hostnet.containers.plugins.module_utils import _kernel_codec as codec
from ansible_collections.hostnet.containers.plugins.module_utils import _validate

KEYS = ('ingress_rate', 'ingress_burst', 'egress_rate', 'egress_burst')
# Rates in bit/s, as tc writes them (SI prefixes for kbit..., IEC for kibit..., bytes per second for bps...).
RATE_UNITS = {'': 1, 'bit': 1, 'kbit': 10 ** 3, 'mbit': 10 ** 6, 'gbit': 10 ** 9, 'tbit': 10 ** 12,
              'kibit': 2 ** 10, 'mibit': 2 ** 20, 'gibit': 2 ** 30, 'tibit': 2 ** 40,
              'bps': 8, 'kbps': 8 * 10 ** 3, 'mbps': 8 * 10 ** 6, 'gbps': 8 * 10 ** 9}
# Bursts in bytes, as tc reads sizes (k, m, g are 1024s; kbit... are bits).
BURST_UNITS = {'': 1, 'b': 1, 'k': 2 ** 10, 'kb': 2 ** 10, 'm': 2 ** 20, 'mb': 2 ** 20, 'g': 2 ** 30, 'gb': 2 ** 30,
               'kbit': 10 ** 3 / 8, 'mbit': 10 ** 6 / 8, 'gbit': 10 ** 9 / 8}
MAX_RATE = 8 * (2 ** 32 - 1)  # tbf's rate field: bytes per second in 32 bits (no TCA_TBF_RATE64 here)
MAX_BURST = 2 ** 32 - 1
LATENCY_US = 25000  # CNI's: how long a packet may wait in the bucket's queue
BURST_TIME = 0.01  # an omitted burst: what the rate sends in 10 ms, at least DEFAULT_BURST
DEFAULT_BURST = 32768
# The ``bandwidth`` suboptions of a module's endpoint (type raw: an int or a string with a unit).
ARGUMENT_SPEC = dict(type='dict', options={key: dict(type='raw') for key in KEYS})
_VALUE_RE = re.compile(r'^\s*([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)\s*$')
ETH_HLEN = 14
TC_H_ROOT = 0xFFFFFFFF
HANDLE = 0x10000  # 1:


def _amount(value, option, units, what):
    """``value`` (an int, or a number with a unit of ``units``) as an int in the base unit; InputError otherwise."""
    if isinstance(value, bool) or value is None:
        raise _validate.InputError(option, value, 'expected %s' % what)
    if isinstance(value, (int, float)):
        number, unit = value, ''
    else:
        text = str(value)
        match = _VALUE_RE.fullmatch(text)
        if match is None:
            if text.strip().startswith('-'):
                raise _validate.InputError(option, value, 'must be positive')
            if not re.match(r'^\s*[0-9]', text):
                raise _validate.InputError(option, value, 'has no number: expected %s' % what)
            raise _validate.InputError(option, value, 'expected %s' % what)
        number, unit = float(match.group(1)), match.group(2).lower()
        if unit not in units:
            raise _validate.InputError(option, value, "has an unknown unit '%s' (known: %s)" % (match.group(2), ', '.join(u for u in units if u)))
    if number <= 0:
        raise _validate.InputError(option, value, 'must be positive')
    return int(round(number * units[unit]))


def parse(value, option):
    """The ``bandwidth`` option of one endpoint as {ingress_rate (bit/s), ingress_burst (bytes), egress_rate,
    egress_burst} with only the directions given (a rate without a burst gets one: the rate's 10 ms, at least 32
    KiB); None when empty.  Errors name ``option.key`` and the value."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _validate.InputError(option, value, 'expected a dict with ingress_rate, ingress_burst, egress_rate, egress_burst')
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise _validate.InputError(option, value, 'has unknown keys %s (known: %s)' % (', '.join(unknown), ', '.join(KEYS)))
    out = {}
    for direction in ('ingress', 'egress'):
        rate, burst = value.get(direction + '_rate'), value.get(direction + '_burst')
        if rate is None:
            if burst is not None:
                raise _validate.InputError('%s.%s_burst' % (option, direction), burst, 'needs %s_rate' % direction)
            continue
        ropt = '%s.%s_rate' % (option, direction)
        bits = _amount(rate, ropt, RATE_UNITS, 'a rate in bit/s or a number with a unit such as 10mbit')
        if not 8 <= bits <= MAX_RATE:
            raise _validate.InputError(ropt, rate, 'must be between 8 bit/s and %d bit/s (tbf counts bytes per second in 32 bits)' % MAX_RATE)
        bopt = '%s.%s_burst' % (option, direction)
        size = (_amount(burst, bopt, BURST_UNITS, 'a burst in bytes or a number with a unit such as 32kb') if burst is not None
                else max(int(bits / 8 * BURST_TIME), DEFAULT_BURST))
        if size > MAX_BURST or size * 8.0 / bits > 200:
            raise _validate.InputError(bopt, burst, 'is too large for the rate (the bucket must drain in 200 s at most)')
        out[direction + '_rate'], out[direction + '_burst'] = bits, size
    return out or None


def check_mtu(bandwidth, mtu, option):
    """A burst smaller than one frame of the network's MTU would never let such a frame through."""
    for direction in ('ingress', 'egress'):
        burst = (bandwidth or {}).get(direction + '_burst')
        if burst is not None and burst < mtu + ETH_HLEN:
            raise _validate.InputError('%s.%s_burst' % (option, direction), burst, 'is smaller than one frame of the network '
                                       '(MTU %d + %d bytes of Ethernet header): no such frame could ever pass' % (mtu, ETH_HLEN))


def describe(bandwidth):
    """'ingress 10000000 bit/s burst 32768, egress ...' for step texts."""
    return ', '.join('%s %d bit/s burst %d' % (d, bandwidth[d + '_rate'], bandwidth[d + '_burst'])
                     for d in ('ingress', 'egress') if bandwidth and d + '_rate' in bandwidth) or 'none'


# -- the kernel side ---------------------------------------------------------------------------------------------
_TICK = []


def tick_in_usec():
    """The packet scheduler's ticks per microsecond (/proc/net/psched, as tc and pyroute2 read it)."""
    if not _TICK:
        with open('/proc/net/psched') as f:
            t2us, us2t, clock_res = [int(x, 16) for x in f.read().split()[:3]]
        _TICK.append(float(t2us) / us2t * (clock_res / 1000000.0))
    return _TICK[0]


def matches(qdisc, rate, burst, tick=None):
    """Whether a root qdisc as parse_qdisc reads it is the tbf that ``rate`` (bit/s) and ``burst`` (bytes) make:
    its rate exact, its bucket (the kernel keeps it in scheduler ticks) and queue limit within one tick's bytes."""
    if qdisc is None or qdisc['kind'] != 'tbf' or qdisc.get('rate') is None:
        return False
    tick = tick or tick_in_usec()
    byte_rate = rate // 8
    if qdisc['rate'] != byte_rate:
        return False
    slack = byte_rate / (1e6 * tick) + 2
    read_burst = qdisc['buffer'] * byte_rate / (1e6 * tick)
    limit = byte_rate * LATENCY_US / 1e6 + burst
    return abs(read_burst - burst) <= slack and abs(qdisc['limit'] - limit) <= 2


def root_qdisc(qdiscs, index):
    """The root qdisc of link ``index`` among a dump's (None when it has none)."""
    return next((q for q in qdiscs or () if q['index'] == index and q['parent'] == TC_H_ROOT), None)


def tbf_request(index, rate, burst):
    """RTM_NEWQDISC creating or replacing the root qdisc of ``index`` with a tbf of ``rate`` bit/s and ``burst``
    bytes (latency 25 ms), encoded by pyroute2's tbf plugin."""
    tcmsg, sched_tbf = _tc_classes()
    opts = sched_tbf.get_parameters({'rate': rate // 8, 'burst': burst, 'latency': LATENCY_US})
    return _tc(tcmsg, codec.RTM_NEWQDISC, _kernel.NLM_F_CREATE | _kernel.NLM_F_REPLACE, index, HANDLE,
               [('TCA_KIND', 'tbf'), ('TCA_OPTIONS', opts)])


def del_request(index):
    """RTM_DELQDISC removing the root qdisc of ``index`` (the link goes back to its default, noqueue for a veth)."""
    tcmsg, dummy = _tc_classes()
    return _tc(tcmsg, codec.RTM_DELQDISC, 0, index, 0, [])


def _tc(tcmsg, msg_type, flags, index, handle, attrs):
    msg = tcmsg()
    msg['header']['type'] = msg_type
    msg['header']['flags'] = flags
    msg['family'] = 0
    msg['index'] = index
    msg['handle'] = handle
    msg['parent'] = TC_H_ROOT
    msg['attrs'] = attrs
    return msg


def _tc_classes():
    try:
        [module] = _pyroute2.modules('pyroute2.netlink.rtnl.tcmsg')
        return module.tcmsg, module.sched_tbf
    except (ImportError, AttributeError) as exc:
        raise _kernel.HostnetError('pyroute2 tc support could not be imported: %s' % exc) from exc


def apply(chan, ifname, rate, burst, where, gone_ok=False):
    """Shape ``ifname`` on ``chan`` (its namespace's Channel): a tbf of ``rate``/``burst``, or with rate None the
    collection's tbf removed (a link with another root qdisc, or none, is left as it is).  With ``gone_ok`` (an undo) a
    link that is gone has nothing to undo."""
    link = chan.link(ifname)
    if link is None and gone_ok:
        return
    if link is None:
        raise _kernel.HostnetError('%s disappeared from %s while the run was applying changes' % (ifname, where))
    if rate is not None:
        chan.apply(tbf_request(link['index'], rate, burst))
        return
    current = root_qdisc(chan.dump(codec.RTM_GETQDISC), link['index'])
    if current is not None and current['kind'] == 'tbf':
        chan.apply(del_request(link['index']), gone_ok=True)


# -- planning ----------------------------------------------------------------------------------------------------
def involved(endpoints, stored):
    """The endpoints (of ``endpoints``, the ones a run checks) whose qdiscs the run reads: those with bandwidth wanted or
    recorded."""
    old = (stored or {}).get('endpoints') or {}
    return sorted(cname for cname, ep in endpoints.items() if ep.bandwidth or (old.get(cname) or {}).get('bandwidth'))


def check(specs, mtu, driver):
    """The endpoints' bandwidth against the network: only endpoints with a host end (veth drivers), bursts of a frame at least."""
    for spec in specs:
        if spec.bandwidth and driver == 'macvlan':
            raise _validate.InputError(spec.option + '.bandwidth', spec.bandwidth, 'a macvlan endpoint has no host end to shape; '
                                       'bandwidth applies to bridge and overlay networks')
        check_mtu(spec.bandwidth, mtu, spec.option + '.bandwidth')


def read(ns, snap, names):
    """The qdiscs of the host and of the namespaces of ``names`` that exist, into ``snap.qdiscs`` ({None: [...],
    container: [...]})."""
    if not names:
        return
    for where in [None] + [cname for cname in names if cname in snap.netns]:
        if where not in snap.qdiscs:  # read once per run (the container module's runs share a snapshot)
            snap.qdiscs[where] = ns.chan(where).dump(codec.RTM_GETQDISC)


def _sides(run, cname, ep):
    """((namespace, ifname, index, direction), ...): the host end shapes ingress, the container end egress."""
    host_end = run.host_end(cname, ep)  # by its record's name while this run renames it (host_ifname)
    view = run.snap.views.get(cname)
    peer = view.by_name.get(ep.ifname) if view is not None and ep.ifname else None
    return ((None, ep.veth, host_end['index'] if host_end else None, 'ingress'),
            (cname, ep.ifname, peer['index'] if peer else None, 'egress'))


def plan(run, net):
    """One step per endpoint whose tbf qdiscs differ from its ``bandwidth`` (or that had one and has none now): the
    host end's root qdisc for ingress, the container end's for egress; nothing else of the link changes."""
    old_eps = run.old.get('endpoints') or {}
    for cname, ep in sorted(run.checked(net).items()):
        old = (old_eps.get(cname) or {}).get('bandwidth')
        want = ep.bandwidth
        if (not want and not old) or ep.veth is None:
            continue
        changes = [change for change in (_side_change(run.snap, side, want or {}, old or {}) for side in _sides(run, cname, ep)) if change]
        if changes:
            _add_step(run, cname, ep, changes, old)


def _side_change(snap, side, want, old):
    """(namespace, ifname, rate, burst) when one end's root qdisc must change: a tbf wanted and not there as wanted (or the
    link new), or the collection's tbf there and no longer wanted (rate None); else None."""
    where, ifname, index, direction = side
    rate, burst = want.get(direction + '_rate'), want.get(direction + '_burst')
    current = root_qdisc(snap.qdiscs.get(where), index) if index is not None else None
    if rate is not None:
        return None if index is not None and matches(current, rate, burst) else (where, ifname, rate, burst)
    if not old.get(direction + '_rate') or (index is not None and (current is None or current['kind'] != 'tbf')):
        return None
    return (where, ifname, None, None)


def _add_step(run, cname, ep, changes, old):
    ns = run.ns

    def do():
        for where, ifname, rate, burst in changes:
            apply(ns.chan(where), ifname, rate, burst, where or 'the host')

    def undo():
        for where, ifname, dummy, dummy2 in changes:
            direction = 'ingress' if where is None else 'egress'
            apply(ns.chan(where), ifname, (old or {}).get(direction + '_rate'), (old or {}).get(direction + '_burst'), where or 'the host',
                  gone_ok=True)
    text = 'set bandwidth of %s on %s: %s (tbf on %s)' % (cname, run.name, describe(ep.bandwidth),
                                                          ', '.join('%s in %s' % (c[1], c[0]) if c[0] else c[1] for c in changes))
    run.plan.add(text, do, undo)
