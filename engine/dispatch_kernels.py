"""Compiled serial dispatch: the inner loops of :func:`engine.dispatch._run` in Numba.

The dispatcher places orders one after the other at the earliest time machine,
crew, calendars, changeovers and materials allow. In Python, a search on the
order of orders of a plant of 2,000 orders gets through a few hundred trials
a minute, nearly all of the time spent placing operations. These functions
place them the same way on arrays, to the minute and to the person, so that a
dispatch gives the very same plan compiled or not (the tests compare them on
generated plants), only many times sooner.

:class:`Plant` holds the problem as arrays, built once per problem by
:func:`pack`; :class:`State` is the dispatcher's mutable state: each
resource's busy intervals (machines first, then people) in one flat array
with a fixed room per resource, stock, each material's takings, and where
each operation went. A :class:`Frozen` copy of the used part of the state
lets a dispatch resume after the first orders of a sequence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from fractions import Fraction
from math import floor
from typing import Any, NamedTuple

import numpy as np

from engine.compiling import compiled, in_background
from engine.problem import ProblemData

NONE = -(1 << 62)
"""No minute: an operation that cannot be placed."""

# Arguments of compiled calls as NumPy scalars, not Python literals: Numba compiles a
# function again for every literal value it is called with (a quarter of the compile).
YES, NO = np.bool_(True), np.bool_(False)
ZERO = np.int64(0)
NO_FAMILY = np.int64(-1)
UNLIMITED = np.int64(NONE)

NEVER = 1 << 62
"""Later than any minute of a plan."""

STOCK = 1
PRODUCTION = 2
"""Where a line comes from (``State.line_src``)."""


def inner(function: Callable[..., Any]) -> Any:
    """:func:`~engine.compiling.compiled` for a function only compiled code calls."""
    return compiled(function, inner=True)


def inlined(function: Callable[..., Any]) -> Any:
    """:func:`~engine.compiling.compiled`, inlined where it is called: small helpers of
    the placement loop, called for every start tried."""
    return compiled(function, inline=True)


class Plant(NamedTuple):
    """The problem as arrays. ``*_off`` arrays hold each item's range in the next array."""

    o_firm: np.ndarray
    o_release: np.ndarray
    o_due: np.ndarray
    o_stock_done: np.ndarray
    o_expedited: np.ndarray
    o_late_most: np.ndarray
    """Lateness (minutes) up to which an optional order costs no more than its rejection."""
    o_line_off: np.ndarray
    l_product: np.ndarray
    l_quantity: np.ndarray
    l_stockable: np.ndarray
    l_producible: np.ndarray
    l_op_off: np.ndarray
    l_mat_off: np.ndarray
    lm_material: np.ndarray
    lm_need: np.ndarray
    op_crew: np.ndarray
    op_family: np.ndarray
    op_position: np.ndarray
    op_fixed: np.ndarray
    op_fixed_start: np.ndarray
    op_fixed_staff_off: np.ndarray
    fixed_staff: np.ndarray
    op_mode_off: np.ndarray
    op_cand_off: np.ndarray
    cand: np.ndarray
    """Each operation's qualified people (person numbers), in the problem's order."""
    op_ref_machine: np.ndarray
    op_ref_start: np.ndarray
    op_pref_off: np.ndarray
    pref: np.ndarray
    """Candidate numbers in the order a published crew asks them (people of the crew first)."""
    m_machine: np.ndarray
    m_duration: np.ndarray
    m_windows: np.ndarray
    m_narrow_off: np.ndarray
    narrow: np.ndarray
    """For each mode and candidate, the window list narrowing the candidate's starts, or -1."""
    wl_off: np.ndarray
    win_lo: np.ndarray
    win_hi: np.ndarray
    mc_changeover: np.ndarray
    machines: int
    mt_on_hand: np.ndarray
    mt_rec_off: np.ndarray
    rec_at: np.ndarray
    rec_quantity: np.ndarray


class State(NamedTuple):
    """The dispatcher's working state, changed in place."""

    tl_off: np.ndarray
    tl_len: np.ndarray
    tl_start: np.ndarray
    tl_end: np.ndarray
    tl_family: np.ndarray
    stock: np.ndarray
    taken: np.ndarray
    cons_off: np.ndarray
    cons_len: np.ndarray
    cons_at: np.ndarray
    cons_quantity: np.ndarray
    op_machine: np.ndarray
    op_start: np.ndarray
    op_end: np.ndarray
    op_staff_off: np.ndarray
    op_staff_len: np.ndarray
    op_staff: np.ndarray
    accepted: np.ndarray
    line_src: np.ndarray
    ready: np.ndarray
    later: np.ndarray
    crew: np.ndarray
    best_crew: np.ndarray
    placed: np.ndarray


class Frozen(NamedTuple):
    """The used part of a :class:`State`'s resources and stock, and where its orders went,
    to restore it from."""

    tl_len: np.ndarray
    tl_start: np.ndarray
    tl_end: np.ndarray
    tl_family: np.ndarray
    stock: np.ndarray
    cons_len: np.ndarray
    cons_at: np.ndarray
    cons_quantity: np.ndarray
    accepted: np.ndarray
    line_src: np.ndarray
    op_machine: np.ndarray
    op_start: np.ndarray
    op_end: np.ndarray
    op_staff_len: np.ndarray
    op_staff: np.ndarray


# --------------------------------------------------------------------------- kernels


@inlined
def _first_start(p: Plant, wl: int, t: int) -> int:
    """The first start at or after ``t`` in window list ``wl``, or NONE."""
    lo, hi = p.wl_off[wl], p.wl_off[wl + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if p.win_hi[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    if lo == p.wl_off[wl + 1]:
        return NONE
    a = p.win_lo[lo]
    return a if a > t else t


@inlined
def _first_at(starts: np.ndarray, lo: int, hi: int, t: int) -> int:
    """The first index in ``starts[lo:hi]`` (sorted) holding ``t`` or more."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if starts[mid] < t:
            lo = mid + 1
        else:
            hi = mid
    return lo


@inlined
def _differ(a: int, b: int) -> bool:
    return a >= 0 and b >= 0 and a != b


@inlined
def _free_from(st: State, r: int, start: int, d: int, family: int, changeover: int) -> int:
    """The earliest start from ``start`` at which ``d`` minutes meet no busy interval of ``r``."""
    off = st.tl_off[r]
    n = off + st.tl_len[r]
    i = _first_at(st.tl_start, off, n, start)
    if i > off:
        gap = changeover if _differ(st.tl_family[i - 1], family) else 0
        if start < st.tl_end[i - 1] + gap:
            start = st.tl_end[i - 1] + gap
    while i < n:
        gap = changeover if _differ(st.tl_family[i], family) else 0
        if start + d + gap <= st.tl_start[i]:
            break
        if start < st.tl_end[i] + gap:
            start = st.tl_end[i] + gap
        i += 1
    return start


@inner
def _book(st: State, r: int, s: int, e: int, f: int) -> None:
    """Insert ``(s, e, f)`` into resource ``r``'s intervals after every one not above it."""
    off = st.tl_off[r]
    n = off + st.tl_len[r]
    i = _first_at(st.tl_start, off, n, s)
    while i < n and (
        st.tl_start[i] == s and (st.tl_end[i] < e or (st.tl_end[i] == e and st.tl_family[i] <= f))
    ):
        i += 1
    j = n
    while j > i:
        st.tl_start[j] = st.tl_start[j - 1]
        st.tl_end[j] = st.tl_end[j - 1]
        st.tl_family[j] = st.tl_family[j - 1]
        j -= 1
    st.tl_start[i] = s
    st.tl_end[i] = e
    st.tl_family[i] = f
    st.tl_len[r] += 1


@inner
def _unbook(st: State, r: int, s: int, e: int, f: int) -> None:
    """Remove the first interval ``(s, e, f)`` of resource ``r``."""
    off = st.tl_off[r]
    n = off + st.tl_len[r]
    i = _first_at(st.tl_start, off, n, s)
    while i < n and not (st.tl_end[i] == e and st.tl_family[i] == f):
        i += 1
    if i == n:
        return
    for j in range(i, n - 1):
        st.tl_start[j] = st.tl_start[j + 1]
        st.tl_end[j] = st.tl_end[j + 1]
        st.tl_family[j] = st.tl_family[j + 1]
    st.tl_len[r] -= 1


@inner
def _take(st: State, m: int, at: int, q: int) -> None:
    """Record ``q`` of material ``m`` taken at minute ``at`` (sorted by minute, then quantity)."""
    off = st.cons_off[m]
    n = off + st.cons_len[m]
    i = off
    while i < n and (st.cons_at[i] < at or (st.cons_at[i] == at and st.cons_quantity[i] <= q)):
        i += 1
    j = n
    while j > i:
        st.cons_at[j] = st.cons_at[j - 1]
        st.cons_quantity[j] = st.cons_quantity[j - 1]
        j -= 1
    st.cons_at[i] = at
    st.cons_quantity[i] = q
    st.cons_len[m] += 1


@inner
def _untake(st: State, m: int, at: int, q: int) -> None:
    off = st.cons_off[m]
    n = off + st.cons_len[m]
    i = off
    while i < n and not (st.cons_at[i] == at and st.cons_quantity[i] == q):
        i += 1
    if i == n:
        return
    for j in range(i, n - 1):
        st.cons_at[j] = st.cons_at[j + 1]
        st.cons_quantity[j] = st.cons_quantity[j + 1]
    st.cons_len[m] -= 1


@inlined
def _enough(p: Plant, st: State, m: int, start: int, need: int) -> bool:
    """Whether ``need`` more of material ``m`` taken at ``start`` leaves no shortfall then or later.

    Receipts of a minute arrive before that minute's takings.
    """
    level = p.mt_on_hand[m] - need
    i, nr = p.mt_rec_off[m], p.mt_rec_off[m + 1]
    j, nt = st.cons_off[m], st.cons_off[m] + st.cons_len[m]
    while i < nr and p.rec_at[i] <= start:
        level += p.rec_quantity[i]
        i += 1
    while j < nt and st.cons_at[j] <= start:
        level -= st.cons_quantity[j]
        j += 1
    if level < 0:
        return False
    while j < nt:
        t = st.cons_at[j]
        while i < nr and p.rec_at[i] <= t:
            level += p.rec_quantity[i]
            i += 1
        while j < nt and st.cons_at[j] == t:
            level -= st.cons_quantity[j]
            j += 1
        if level < 0:
            return False
    return True


@inner
def _materials_at(p: Plant, st: State, line: int, start: int) -> int:
    """-1 if the line's materials can be taken at ``start``, -2 if never, else a later time."""
    later = -1
    for k in range(p.l_mat_off[line], p.l_mat_off[line + 1]):
        m = p.lm_material[k]
        if not _enough(p, st, m, start, p.lm_need[k]):
            after = -1
            for i in range(p.mt_rec_off[m], p.mt_rec_off[m + 1]):
                if p.rec_at[i] > start:
                    after = p.rec_at[i]
                    break
            if after < 0:
                return -2
            later = max(max(later, 0), after)
    return later


@inner
def _place_on(
    p: Plant, st: State, op: int, line: int, mode: int, earliest: int, prefer: bool, limit: int
) -> tuple[int, int]:
    """The earliest start on ``mode`` from ``earliest`` before ``limit``, or NONE; and the crew
    size, the crew being left in ``st.crew``."""
    machine = p.m_machine[mode]
    changeover = p.mc_changeover[machine]
    d = p.m_duration[mode]
    family = p.op_family[op]
    need = p.op_crew[op]
    c0 = p.op_cand_off[op]
    nc = p.op_cand_off[op + 1] - c0
    n0 = p.m_narrow_off[mode]
    p0 = p.op_pref_off[op]
    ordered = prefer and p.op_pref_off[op + 1] > p0
    wl = p.m_windows[mode]
    ready = st.ready
    for j in range(nc):
        ready[j] = earliest
    t = earliest
    for _ in range(100_000):
        s = _first_start(p, wl, t)
        if s == NONE or (limit != NONE and s >= limit):
            return NONE, 0
        free = _free_from(st, machine, s, d, family, changeover)
        if free != s:
            t = free
            continue
        got = 0
        if need > 0:
            soonest = NEVER
            for j in range(nc):
                k = p.pref[p0 + j] if ordered else j
                r = ready[j]
                if r <= s:
                    own = p.narrow[n0 + k]
                    checked = False
                    if own >= 0:
                        lo, hi = p.wl_off[own], p.wl_off[own + 1]
                        w = lo
                        while lo < hi:
                            mid = (lo + hi) >> 1
                            if p.win_hi[mid] < s:
                                lo = mid + 1
                            else:
                                hi = mid
                        w = lo
                        if w == p.wl_off[own + 1]:
                            r = NEVER
                            checked = True
                        elif p.win_lo[w] > s:
                            r = p.win_lo[w]
                            checked = True
                    if not checked:
                        person = p.machines + p.cand[c0 + k]
                        off = st.tl_off[person]
                        n = off + st.tl_len[person]
                        i = _first_at(st.tl_start, off, n, s)
                        if i > off and st.tl_end[i - 1] > s:
                            r = st.tl_end[i - 1]
                        elif i < n and st.tl_start[i] < s + d:
                            r = st.tl_end[i]
                        else:
                            st.crew[got] = p.cand[c0 + k]
                            got += 1
                            if got == need:
                                break
                            continue
                    ready[j] = r
                if r < soonest:
                    soonest = r
            short = need - got
            if short == 1:
                if soonest == NEVER:
                    return NONE, 0
                t = soonest
                continue
            if short > 1:
                count = 0
                for j in range(nc):
                    if s < ready[j] < NEVER:
                        st.later[count] = ready[j]
                        count += 1
                if count < short:
                    return NONE, 0
                t = np.sort(st.later[:count])[short - 1]
                continue
        if p.op_position[op] == 0 and p.l_mat_off[line + 1] > p.l_mat_off[line]:
            supplied = _materials_at(p, st, line, s)
            if supplied == -2:
                return NONE, 0
            if supplied != -1:
                t = max(supplied, s + 1)
                continue
        return s, got
    return NONE, 0


@inner
def _place(
    p: Plant, st: State, order: int, op: int, line: int, earliest: int
) -> tuple[int, int, int]:
    """Earliest (mode, start, crew size) for an operation, the crew in ``st.best_crew``;
    mode -1 when it cannot be placed. Published work goes back where it was if it fits."""
    ref = p.op_ref_machine[op]
    if ref >= 0 and p.op_ref_start[op] >= earliest and not p.o_expedited[order]:
        for mode in range(p.op_mode_off[op], p.op_mode_off[op + 1]):
            if p.m_machine[mode] == ref:
                s, got = _place_on(p, st, op, line, mode, p.op_ref_start[op], YES, UNLIMITED)
                if s != NONE and s == p.op_ref_start[op]:
                    st.best_crew[:got] = st.crew[:got]
                    return mode, s, got
    best_mode, best_start, best_got = -1, NONE, 0
    for mode in range(p.op_mode_off[op], p.op_mode_off[op + 1]):
        limit = NONE
        if best_mode >= 0:
            limit = best_start + p.m_duration[best_mode] - p.m_duration[mode]
        s, got = _place_on(p, st, op, line, mode, earliest, NO, limit)
        if s != NONE:
            best_mode, best_start, best_got = mode, s, got
            st.best_crew[:got] = st.crew[:got]
    return best_mode, best_start, best_got


@inner
def _unplace(p: Plant, st: State, op: int, line: int) -> None:
    if p.op_fixed[op]:
        return
    s, e = st.op_start[op], st.op_end[op]
    _unbook(st, st.op_machine[op], s, e, p.op_family[op])
    o = st.op_staff_off[op]
    for k in range(st.op_staff_len[op]):
        _unbook(st, p.machines + st.op_staff[o + k], s, e, NO_FAMILY)
    if p.op_position[op] == 0:
        for k in range(p.l_mat_off[line], p.l_mat_off[line + 1]):
            _untake(st, p.lm_material[k], s, p.lm_need[k])


@inner
def _schedule_line(p: Plant, st: State, order: int, line: int, placed: int) -> tuple[int, bool]:
    """Place a line's operations one after the other; the count of placed operations after
    them, and whether they all fit (if not, the line's operations are taken out again)."""
    first = placed
    t = p.o_release[order]
    for op in range(p.l_op_off[line], p.l_op_off[line + 1]):
        if p.op_fixed[op]:
            mode = p.op_mode_off[op]
            s = p.op_fixed_start[op]
            if s < t:
                for k in range(first, placed):
                    _unplace(p, st, st.placed[k], line)
                return first, False
            st.op_machine[op] = p.m_machine[mode]
            st.op_start[op] = s
            st.op_end[op] = s + p.m_duration[mode]
            a, b = p.op_fixed_staff_off[op], p.op_fixed_staff_off[op + 1]
            st.op_staff_len[op] = b - a
            o = st.op_staff_off[op]
            for k in range(b - a):
                st.op_staff[o + k] = p.fixed_staff[a + k]
            st.placed[placed] = op
            placed += 1
            t = s + p.m_duration[mode]
            continue
        mode, s, got = _place(p, st, order, op, line, t)
        if mode < 0:
            for k in range(first, placed):
                _unplace(p, st, st.placed[k], line)
            return first, False
        e = s + p.m_duration[mode]
        machine = p.m_machine[mode]
        _book(st, machine, s, e, p.op_family[op])
        o = st.op_staff_off[op]
        for k in range(got):
            _book(st, p.machines + st.best_crew[k], s, e, NO_FAMILY)
            st.op_staff[o + k] = st.best_crew[k]
        st.op_staff_len[op] = got
        if p.op_position[op] == 0:
            for k in range(p.l_mat_off[line], p.l_mat_off[line + 1]):
                _take(st, p.lm_material[k], s, p.lm_need[k])
        st.op_machine[op] = machine
        st.op_start[op] = s
        st.op_end[op] = e
        st.placed[placed] = op
        placed += 1
        t = e
    return placed, True


@inner
def _line_of(p: Plant, order: int, op: int) -> int:
    for line in range(p.o_line_off[order], p.o_line_off[order + 1]):
        if p.l_op_off[line] <= op < p.l_op_off[line + 1]:
            return line
    return -1


@compiled
def dispatch(p: Plant, st: State, sequence: np.ndarray, begin: int, end: int) -> bool:
    """Dispatch ``sequence[begin:end]`` into ``st``; False when a firm order cannot be placed.

    Each order's lines come from stock while it lasts, otherwise from production;
    an optional order that does not fit, or costs more late than rejected, is
    rejected (``st.accepted`` 0) and leaves no trace.
    """
    for position in range(begin, end):
        order = sequence[position]
        placed = ZERO
        ok = True
        for line in range(p.o_line_off[order], p.o_line_off[order + 1]):
            product = p.l_product[line]
            if p.l_stockable[line] and st.stock[product] - st.taken[product] >= p.l_quantity[line]:
                st.taken[product] += p.l_quantity[line]
                st.line_src[line] = STOCK
                continue
            if not p.l_producible[line]:
                ok = False
                break
            placed, ok = _schedule_line(p, st, order, line, placed)
            if not ok:
                break
            st.line_src[line] = PRODUCTION
        if ok and not p.o_firm[order]:
            last = p.o_stock_done[order]
            for k in range(placed):
                last = max(last, st.op_end[st.placed[k]])
            ok = max(0, last - p.o_due[order]) <= p.o_late_most[order]
        for line in range(p.o_line_off[order], p.o_line_off[order + 1]):
            product = p.l_product[line]
            if ok:
                st.stock[product] -= st.taken[product]
            st.taken[product] = 0
        if not ok:
            for k in range(placed):
                op = st.placed[k]
                _unplace(p, st, op, _line_of(p, order, op))
            if p.o_firm[order]:
                return False
            st.accepted[order] = 0
            continue
        st.accepted[order] = 1
    return True


@compiled
def freeze(st: State) -> Frozen:
    """A copy of the used part of ``st``'s intervals, stock and takings."""
    used = 0
    for r in range(st.tl_len.shape[0]):
        used += st.tl_len[r]
    starts = np.empty(used, np.int64)
    ends = np.empty(used, np.int64)
    families = np.empty(used, np.int64)
    at = 0
    for r in range(st.tl_len.shape[0]):
        off, n = st.tl_off[r], st.tl_len[r]
        starts[at : at + n] = st.tl_start[off : off + n]
        ends[at : at + n] = st.tl_end[off : off + n]
        families[at : at + n] = st.tl_family[off : off + n]
        at += n
    taken = 0
    for m in range(st.cons_len.shape[0]):
        taken += st.cons_len[m]
    cons_at = np.empty(taken, np.int64)
    cons_quantity = np.empty(taken, np.int64)
    at = 0
    for m in range(st.cons_len.shape[0]):
        off, n = st.cons_off[m], st.cons_len[m]
        cons_at[at : at + n] = st.cons_at[off : off + n]
        cons_quantity[at : at + n] = st.cons_quantity[off : off + n]
        at += n
    return Frozen(
        st.tl_len.copy(),
        starts,
        ends,
        families,
        st.stock.copy(),
        st.cons_len.copy(),
        cons_at,
        cons_quantity,
        st.accepted.copy(),
        st.line_src.copy(),
        st.op_machine.copy(),
        st.op_start.copy(),
        st.op_end.copy(),
        st.op_staff_len.copy(),
        st.op_staff.copy(),
    )


@compiled
def thaw(frozen: Frozen, st: State) -> None:
    """Put ``st`` back into the state ``frozen`` was taken from."""
    at = 0
    for r in range(st.tl_len.shape[0]):
        off, n = st.tl_off[r], frozen.tl_len[r]
        st.tl_start[off : off + n] = frozen.tl_start[at : at + n]
        st.tl_end[off : off + n] = frozen.tl_end[at : at + n]
        st.tl_family[off : off + n] = frozen.tl_family[at : at + n]
        st.tl_len[r] = n
        at += n
    st.stock[:] = frozen.stock
    st.taken[:] = 0
    at = 0
    for m in range(st.cons_len.shape[0]):
        off, n = st.cons_off[m], frozen.cons_len[m]
        st.cons_at[off : off + n] = frozen.cons_at[at : at + n]
        st.cons_quantity[off : off + n] = frozen.cons_quantity[at : at + n]
        st.cons_len[m] = n
        at += n
    st.accepted[:] = frozen.accepted
    st.line_src[:] = frozen.line_src
    st.op_machine[:] = frozen.op_machine
    st.op_start[:] = frozen.op_start
    st.op_end[:] = frozen.op_end
    st.op_staff_len[:] = frozen.op_staff_len
    st.op_staff[:] = frozen.op_staff


@compiled
def completions(p: Plant, st: State, orders: np.ndarray) -> np.ndarray:
    """Each of ``orders``' completion minute as dispatched, or -1 if it was rejected.

    A line from stock completes at the order's stock completion, a produced one
    when its last operation ends.
    """
    out = np.empty(orders.shape[0], np.int64)
    for k in range(orders.shape[0]):
        o = orders[k]
        if not st.accepted[o]:
            out[k] = -1
            continue
        done = 0
        for line in range(p.o_line_off[o], p.o_line_off[o + 1]):
            if st.line_src[line] == STOCK:
                end = p.o_stock_done[o]
            else:
                end = 0
                for op in range(p.l_op_off[line], p.l_op_off[line + 1]):
                    end = max(end, st.op_end[op])
            done = max(done, end)
        out[k] = done
    return out


@compiled
def machine_terms(p: Plant, st: State) -> tuple[int, int]:
    """The last minute any machine is busy and the changeover minutes between
    directly consecutive intervals of different families, over all machines.

    These are the plan's makespan and changeover time when every machine interval
    is an operation of the plan, as when no operation is fixed beforehand.
    """
    last = 0
    changeover = 0
    for r in range(p.machines):
        off, n = st.tl_off[r], st.tl_len[r]
        for i in range(off, off + n):
            last = max(last, st.tl_end[i])
            if i > off and _differ(st.tl_family[i - 1], st.tl_family[i]):
                changeover += p.mc_changeover[r]
    return last, changeover


@compiled
def frontier(p: Plant, st: State) -> int:
    """The sum over machines of the minute each is last busy until (0 if never)."""
    total = 0
    for r in range(p.machines):
        off, n = st.tl_off[r], st.tl_len[r]
        last = 0
        for i in range(off, off + n):
            last = max(last, st.tl_end[i])
        total += last
    return total


# --------------------------------------------------------------------------- packing


def _array(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=np.int64)


def _offsets(sizes: list[int]) -> np.ndarray:
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


class Packed:
    """A problem packed for the compiled dispatcher, with a working state per thread.

    Attributes
    ----------
    plant
        The problem's arrays.
    machines, people
        Names of machine and person numbers.
    orders
        How many orders the problem has.
    layout
        Per order, its lines: (line index, line number, [(operation number, position)]).

    It holds no reference to the problem it was packed from, which may then be
    freed (the dispatcher keeps packings only while their problems live).
    """

    def __init__(self, initial: Frozen, plant: Plant, sizes: dict[str, Any]):
        self.plant = plant
        self.initial = initial
        self._sizes = sizes
        self.machines: list[str] = sizes["machines"]
        self.people: list[str] = sizes["people"]
        self.orders: int = sizes["orders"]
        self._local = threading.local()
        self.layout: list[list[tuple[int, int, list[tuple[int, int]]]]] = sizes["layout"]

    def state(self) -> State:
        """This thread's working state (its contents are whatever the last dispatch left)."""
        st = getattr(self._local, "state", None)
        if st is None:
            st = self._new_state()
            self._local.state = st
        return st

    def _new_state(self) -> State:
        z = self._sizes
        ops = z["ops"]
        most_cands = max([1, *z["cands"]])
        most_crew = max([1, *z["staff_room"]])
        room = z["timeline_room"]
        return State(
            tl_off=_offsets(room),
            tl_len=np.zeros(len(room), np.int64),
            tl_start=np.zeros(sum(room) + 1, np.int64),
            tl_end=np.zeros(sum(room) + 1, np.int64),
            tl_family=np.zeros(sum(room) + 1, np.int64),
            stock=np.zeros(z["products"], np.int64),
            taken=np.zeros(z["products"], np.int64),
            cons_off=_offsets(z["material_room"]),
            cons_len=np.zeros(len(z["material_room"]), np.int64),
            cons_at=np.zeros(sum(z["material_room"]) + 1, np.int64),
            cons_quantity=np.zeros(sum(z["material_room"]) + 1, np.int64),
            op_machine=np.zeros(ops, np.int64),
            op_start=np.zeros(ops, np.int64),
            op_end=np.zeros(ops, np.int64),
            op_staff_off=_offsets(z["staff_room"]),
            op_staff_len=np.zeros(ops, np.int64),
            op_staff=np.zeros(sum(z["staff_room"]) + 1, np.int64),
            accepted=np.zeros(self.orders, np.int64),
            line_src=np.zeros(z["lines"], np.int64),
            ready=np.zeros(most_cands, np.int64),
            later=np.zeros(most_cands, np.int64),
            crew=np.zeros(most_crew, np.int64),
            best_crew=np.zeros(most_crew, np.int64),
            placed=np.zeros(max(1, z["most_order_ops"]), np.int64),
        )


def late_most(tardiness: Fraction, weight: Fraction, rejection: Fraction) -> int:
    """The most minutes late an optional order may be and cost no more than ``rejection``.

    Lateness costs ``tardiness * weight * minutes / 60``.
    """
    per_minute = tardiness * weight / 60
    if per_minute <= 0:
        return NEVER if rejection >= 0 else -1
    if rejection < 0:
        return -1
    return min(NEVER, floor(rejection / per_minute))


def pack(data: ProblemData, initial: Any) -> Packed:
    """Pack ``data`` for the compiled dispatcher.

    ``initial`` is the Python dispatcher's state before any order (the operations
    fixed with their crews booked), which becomes the packed state's start.
    """
    machines = list(data.machines)
    machine_no = {m: i for i, m in enumerate(machines)}
    people = [p.id for p in data.scenario.staff]
    person_no = {p: i for i, p in enumerate(people)}
    families = sorted(
        {op.family for line in data.lines for op in line.ops if op.family is not None}
    )
    family_no = {f: i for i, f in enumerate(families)}
    products = sorted(set(data.stock) | {line.product for line in data.lines})
    product_no = {q: i for i, q in enumerate(products)}
    materials = list(data.materials)
    material_no = {m: i for i, m in enumerate(materials)}

    windows: list[list[tuple[int, int]]] = []
    window_no: dict[int, int] = {}

    def window_list(starts: list[tuple[int, int]]) -> int:
        key = id(starts)
        if key not in window_no:
            window_no[key] = len(windows)
            windows.append(list(starts))
        return window_no[key]

    w = data.weights
    o_cols: dict[str, list[int]] = {
        k: [] for k in ("firm", "release", "due", "stock", "expedited", "late", "lines")
    }
    l_cols: dict[str, list[int]] = {
        k: [] for k in ("product", "quantity", "stockable", "producible", "ops", "mats")
    }
    lm_material: list[int] = []
    lm_need: list[int] = []
    op_cols: dict[str, list[int]] = {
        k: []
        for k in (
            "crew",
            "family",
            "position",
            "fixed",
            "fixed_start",
            "fixed_staff",
            "modes",
            "cands",
            "ref_machine",
            "ref_start",
            "pref",
            "staff_room",
        )
    }
    fixed_staff: list[int] = []
    cand: list[int] = []
    pref: list[int] = []
    m_cols: dict[str, list[int]] = {k: [] for k in ("machine", "duration", "windows", "narrow")}
    narrow: list[int] = []
    machine_room = [0] * len(machines)
    person_room = [0] * len(people)
    material_room = [0] * len(materials)
    layout: list[list[tuple[int, int, list[tuple[int, int]]]]] = []
    op_count = 0
    line_count = 0
    most_order_ops = 0
    for order in data.orders:
        o_cols["firm"].append(int(order.firm))
        o_cols["release"].append(order.release)
        o_cols["due"].append(order.due)
        o_cols["stock"].append(order.stock_completion)
        o_cols["expedited"].append(int(order.expedited))
        o_cols["late"].append(late_most(w.tardiness, order.tier_weight, w.rejection * order.value))
        o_cols["lines"].append(len(order.lines))
        own_lines: list[tuple[int, int, list[tuple[int, int]]]] = []
        order_ops = 0
        for line in order.lines:
            l_cols["product"].append(product_no[line.product])
            l_cols["quantity"].append(line.quantity)
            l_cols["stockable"].append(int(line.stockable))
            l_cols["producible"].append(int(line.producible))
            l_cols["ops"].append(len(line.ops))
            mats = [(material_no[m], q) for m, q in line.materials.items() if m in material_no]
            l_cols["mats"].append(len(mats))
            for m, q in mats:
                lm_material.append(m)
                lm_need.append(q)
                material_room[m] += 1
            own_ops: list[tuple[int, int]] = []
            for op in line.ops:
                own_ops.append((op_count, op.position))
                op_count += 1
                op_cols["crew"].append(op.crew)
                op_cols["family"].append(-1 if op.family is None else family_no[op.family])
                op_cols["position"].append(op.position)
                fixed = op.fixed_staff is not None
                op_cols["fixed"].append(int(fixed))
                op_cols["fixed_start"].append(op.modes[0].starts[0][0] if fixed else 0)
                staff = [person_no[q] for q in op.fixed_staff or ()]
                op_cols["fixed_staff"].append(len(staff))
                fixed_staff.extend(staff)
                op_cols["staff_room"].append(max(op.crew, len(staff)))
                op_cols["modes"].append(len(op.modes))
                op_cols["cands"].append(len(op.candidates))
                cand.extend(person_no[person] for person in op.candidates)
                for person in op.candidates:
                    person_room[person_no[person]] += 1
                for mode in op.modes:
                    m_cols["machine"].append(machine_no[mode.machine])
                    m_cols["duration"].append(mode.duration)
                    m_cols["windows"].append(window_list(mode.starts))
                    m_cols["narrow"].append(len(narrow))
                    for person in op.candidates:
                        own = mode.staff_starts.get(person)
                        narrow.append(-1 if own is None else window_list(own))
                    machine_room[machine_no[mode.machine]] += 1
                ref = data.baseline.get((line.order, line.index, op.position))
                # A published machine that is gone is no place to go back to.
                if ref is None or ref.machine not in machine_no:
                    op_cols["ref_machine"].append(-1)
                    op_cols["ref_start"].append(0)
                    op_cols["pref"].append(0)
                else:
                    op_cols["ref_machine"].append(machine_no[ref.machine])
                    op_cols["ref_start"].append(ref.start)
                    ordered = [q for q in ref.staff if q in op.candidates]
                    ordered += [q for q in op.candidates if q not in ordered]
                    op_cols["pref"].append(len(ordered))
                    pref.extend(op.candidates.index(q) for q in ordered)
            order_ops += len(line.ops)
            own_lines.append((line.index, line_count, own_ops))
            line_count += 1
        most_order_ops = max(most_order_ops, order_ops)
        layout.append(own_lines)
    wl_sizes = [len(x) for x in windows]
    flat = [iv for x in windows for iv in x]
    plant = Plant(
        o_firm=_array(o_cols["firm"]),
        o_release=_array(o_cols["release"]),
        o_due=_array(o_cols["due"]),
        o_stock_done=_array(o_cols["stock"]),
        o_expedited=_array(o_cols["expedited"]),
        o_late_most=_array(o_cols["late"]),
        o_line_off=_offsets(o_cols["lines"]),
        l_product=_array(l_cols["product"]),
        l_quantity=_array(l_cols["quantity"]),
        l_stockable=_array(l_cols["stockable"]),
        l_producible=_array(l_cols["producible"]),
        l_op_off=_offsets(l_cols["ops"]),
        l_mat_off=_offsets(l_cols["mats"]),
        lm_material=_array(lm_material),
        lm_need=_array(lm_need),
        op_crew=_array(op_cols["crew"]),
        op_family=_array(op_cols["family"]),
        op_position=_array(op_cols["position"]),
        op_fixed=_array(op_cols["fixed"]),
        op_fixed_start=_array(op_cols["fixed_start"]),
        op_fixed_staff_off=_offsets(op_cols["fixed_staff"]),
        fixed_staff=_array(fixed_staff),
        op_mode_off=_offsets(op_cols["modes"]),
        op_cand_off=_offsets(op_cols["cands"]),
        cand=_array(cand),
        op_ref_machine=_array(op_cols["ref_machine"]),
        op_ref_start=_array(op_cols["ref_start"]),
        op_pref_off=_offsets(op_cols["pref"]),
        pref=_array(pref),
        m_machine=_array(m_cols["machine"]),
        m_duration=_array(m_cols["duration"]),
        m_windows=_array(m_cols["windows"]),
        m_narrow_off=_array(m_cols["narrow"]),
        narrow=_array(narrow),
        wl_off=_offsets(wl_sizes),
        win_lo=_array([a for a, _ in flat]),
        win_hi=_array([b for _, b in flat]),
        mc_changeover=_array([data.machines[m].changeover for m in machines]),
        machines=len(machines),
        mt_on_hand=_array([data.materials[m].on_hand for m in materials]),
        mt_rec_off=_offsets([len(data.materials[m].receipts) for m in materials]),
        rec_at=_array([t for m in materials for t, _ in data.materials[m].receipts]),
        rec_quantity=_array([q for m in materials for _, q in data.materials[m].receipts]),
    )
    # The initial state: what the Python dispatcher books before any order.
    busy = [initial.machines[m].busy for m in machines] + [initial.people[q].busy for q in people]
    timeline_room = [len(b) for b in busy]
    for i, extra in enumerate(machine_room + person_room):
        timeline_room[i] += extra
    consumed = [initial.consumed[m] for m in materials]
    for i, c in enumerate(consumed):
        material_room[i] += len(c)
    stock = [0] * len(products)
    for q, amount in initial.stock.items():
        stock[product_no[q]] = amount
    entries = [iv for b in busy for iv in b]
    taken = [c for cs in consumed for c in cs]
    frozen = Frozen(
        tl_len=_array([len(b) for b in busy]),
        tl_start=_array([a for a, _, _ in entries]),
        tl_end=_array([b for _, b, _ in entries]),
        tl_family=_array([-1 if f is None else family_no[f] for _, _, f in entries]),
        stock=_array(stock),
        cons_len=_array([len(c) for c in consumed]),
        cons_at=_array([t for t, _ in taken]),
        cons_quantity=_array([q for _, q in taken]),
        accepted=np.zeros(len(data.orders), np.int64),
        line_src=np.zeros(line_count, np.int64),
        op_machine=np.zeros(op_count, np.int64),
        op_start=np.zeros(op_count, np.int64),
        op_end=np.zeros(op_count, np.int64),
        op_staff_len=np.zeros(op_count, np.int64),
        op_staff=np.zeros(sum(op_cols["staff_room"]) + 1, np.int64),
    )
    sizes = {
        "orders": len(data.orders),
        "machines": machines,
        "people": people,
        "layout": layout,
        "ops": op_count,
        "lines": line_count,
        "products": len(products),
        "cands": op_cols["cands"],
        "staff_room": op_cols["staff_room"],
        "timeline_room": timeline_room,
        "material_room": material_room,
        "most_order_ops": most_order_ops,
    }
    return Packed(frozen, plant, sizes)


# --------------------------------------------------------------------------- compiling


def _tiny() -> tuple[Plant, State]:
    """One order of one operation with a crew of one, on one machine, from one material."""
    one, zero = _array([1]), _array([0])
    plant = Plant(
        o_firm=one,
        o_release=zero,
        o_due=_array([60]),
        o_stock_done=zero,
        o_expedited=zero,
        o_late_most=_array([NEVER]),
        o_line_off=_array([0, 1]),
        l_product=zero,
        l_quantity=one,
        l_stockable=zero,
        l_producible=one,
        l_op_off=_array([0, 1]),
        l_mat_off=_array([0, 1]),
        lm_material=zero,
        lm_need=one,
        op_crew=one,
        op_family=zero,
        op_position=zero,
        op_fixed=zero,
        op_fixed_start=zero,
        op_fixed_staff_off=_array([0, 0]),
        fixed_staff=_array([]),
        op_mode_off=_array([0, 1]),
        op_cand_off=_array([0, 1]),
        cand=zero,
        op_ref_machine=_array([-1]),
        op_ref_start=zero,
        op_pref_off=_array([0, 0]),
        pref=_array([]),
        m_machine=zero,
        m_duration=_array([10]),
        m_windows=zero,
        m_narrow_off=zero,
        narrow=_array([-1]),
        wl_off=_array([0, 1]),
        win_lo=zero,
        win_hi=_array([100]),
        mc_changeover=zero,
        machines=1,
        mt_on_hand=one,
        mt_rec_off=_array([0, 0]),
        rec_at=_array([]),
        rec_quantity=_array([]),
    )
    state = State(
        tl_off=_array([0, 1, 2]),
        tl_len=_array([0, 0]),
        tl_start=_array([0, 0, 0]),
        tl_end=_array([0, 0, 0]),
        tl_family=_array([0, 0, 0]),
        stock=zero.copy(),
        taken=zero.copy(),
        cons_off=_array([0, 1]),
        cons_len=zero.copy(),
        cons_at=zero.copy(),
        cons_quantity=zero.copy(),
        op_machine=zero.copy(),
        op_start=zero.copy(),
        op_end=zero.copy(),
        op_staff_off=_array([0, 1]),
        op_staff_len=zero.copy(),
        op_staff=zero.copy(),
        accepted=zero.copy(),
        line_src=zero.copy(),
        ready=zero.copy(),
        later=zero.copy(),
        crew=zero.copy(),
        best_crew=zero.copy(),
        placed=zero.copy(),
    )
    return plant, state


def warm_up() -> None:
    """Compile the loops on a tiny problem, or load them from Numba's disk cache."""
    plant, state = _tiny()
    frozen = freeze(state)
    if not dispatch(plant, state, _array([0]), 0, 1) or state.op_start[0] != 0:
        raise RuntimeError("the compiled dispatcher did not place a lone operation at minute 0")
    if completions(plant, state, _array([0]))[0] != 10:
        raise RuntimeError("the compiled dispatcher did not complete a lone order at minute 10")
    if machine_terms(plant, state) != (10, 0):
        raise RuntimeError("the compiled dispatcher did not end a lone operation at minute 10")
    thaw(frozen, state)


_warm = threading.Event()
_warm_lock = threading.Lock()
_warm_started = False
_warm_failed = False
_disabled = False


def ready() -> bool:
    """Whether the compiled loops can be used now; if not, compiling them starts in the
    background (once per process) and the caller dispatches in Python meanwhile."""
    if _warm.is_set():
        return True
    if not _disabled:
        warm_up_in_background()
    return False


def disable() -> None:
    """Use the Python dispatcher in this process unless the loops are ready already
    (a process that should not spend its core compiling them)."""
    global _disabled
    _disabled = True


def enable() -> None:
    """Undo :func:`disable`: the loops are compiled (or loaded) when next asked for."""
    global _disabled
    _disabled = False


def warm_up_in_background() -> None:
    """Start :func:`warm_up` in a thread of its own, once per process."""
    global _warm_started
    with _warm_lock:
        if _warm_started:
            return
        _warm_started = True

    def run() -> None:
        global _warm_failed
        try:
            warm_up()
            _warm.set()
        except Exception:
            # Whatever went wrong compiling, the Python dispatcher stays in use.
            _warm_failed = True

    in_background(run, "orderplan-dispatch-warm-up")


def warming() -> bool:
    """Whether the loops are being compiled in the background right now."""
    return _warm_started and not _warm.is_set() and not _warm_failed


def wait(deadline: float) -> bool:
    """Wait until the loops are compiled or ``deadline`` (monotonic clock); whether they are."""
    warm_up_in_background()
    while not _warm.is_set() and not _warm_failed:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        _warm.wait(min(left, 0.1))
    return _warm.is_set()
