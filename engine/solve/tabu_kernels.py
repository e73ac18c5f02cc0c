"""Compiled inner loops of the tabu search of :mod:`engine.solve.tabu`.

A shop is a set of operations numbered ``0 .. n - 1`` with arrays for their
durations, release minutes and links: ``jprev``/``jnext`` along their line,
``mprev``/``mnext`` along their machine's sequence (``-1`` at either end), and
``mfirst`` for the first operation of each machine. Every function here reads
those arrays and writes only into the output arrays it is given. They are
compiled by Numba on first use (and cached on disk), and release the
interpreter while they run, so a CP-SAT search in another thread keeps its core.

Candidate moves are rows of five integers:

- ``(FRONT, v, lo, hi, estimate)``: operation ``v`` moves right before the run
  ``path[lo:hi]`` it follows on its machine;
- ``(BACK, u, lo, hi, estimate)``: operation ``u`` moves right after the run
  ``path[lo:hi]`` it precedes on its machine;
- ``(REASSIGN, v, machine, place, estimate)``: operation ``v`` leaves its machine
  for ``machine``, before the operation at index ``place`` of that machine's
  sequence (at its end when ``place`` is the sequence's length).
"""

from __future__ import annotations

import numpy as np

from engine.compiling import compiled

FRONT = 0
BACK = 1
REASSIGN = 2


@compiled
def evaluate(
    dur: np.ndarray,
    release: np.ndarray,
    jprev: np.ndarray,
    jnext: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    order: np.ndarray,
) -> int:
    """Heads (earliest starts) and tails of every operation; the makespan, or -1 on a cycle."""
    n = dur.shape[0]
    indegree = np.zeros(n, np.int64)
    stack = np.empty(n, np.int64)
    top = 0
    for i in range(n):
        indegree[i] = (jprev[i] >= 0) + (mprev[i] >= 0)
        head[i] = release[i]
        if indegree[i] == 0:
            stack[top] = i
            top += 1
    count = 0
    cmax = 0
    while top > 0:
        top -= 1
        i = stack[top]
        order[count] = i
        count += 1
        end = head[i] + dur[i]
        if end > cmax:
            cmax = end
        for j in (jnext[i], mnext[i]):
            if j >= 0:
                if end > head[j]:
                    head[j] = end
                indegree[j] -= 1
                if indegree[j] == 0:
                    stack[top] = j
                    top += 1
    if count < n:
        return -1
    for k in range(n - 1, -1, -1):
        i = order[k]
        x = 0
        for j in (jnext[i], mnext[i]):
            if j >= 0 and tail[j] + dur[j] > x:
                x = tail[j] + dur[j]
        tail[i] = x
    return cmax


@compiled
def critical_path(
    dur: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    jprev: np.ndarray,
    mprev: np.ndarray,
    cmax: int,
    path: np.ndarray,
) -> int:
    """Write the operations of one longest path, in order, into ``path``; return its length."""
    n = dur.shape[0]
    i = -1
    for k in range(n):
        if tail[k] == 0 and head[k] + dur[k] == cmax:
            i = k
            break
    length = 0
    while i >= 0:
        path[length] = i
        length += 1
        b = mprev[i]
        a = jprev[i]
        if b >= 0 and head[b] + dur[b] == head[i]:
            i = b
        elif a >= 0 and head[a] + dur[a] == head[i]:
            i = a
        else:
            i = -1
    path[:length] = path[:length][::-1].copy()
    return length


@compiled
def _within(x: int, path: np.ndarray, lo: int, hi: int) -> bool:
    # A plain loop: compiled code has no generator for any().
    for k in range(lo, hi):  # noqa: SIM110
        if path[k] == x:
            return True
    return False


@compiled
def _estimate(
    first_run: np.ndarray,
    length: int,
    before: int,
    after: int,
    dur: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    release: np.ndarray,
    jprev: np.ndarray,
    jnext: np.ndarray,
) -> int:
    """Longest path through a rearranged run, heads and tails elsewhere as they are."""
    heads = np.empty(length, np.int64)
    ready = head[before] + dur[before] if before >= 0 else 0
    for k in range(length):
        x = first_run[k]
        h = release[x]
        p = jprev[x]
        if p >= 0 and head[p] + dur[p] > h:
            h = head[p] + dur[p]
        if ready > h:
            h = ready
        heads[k] = h
        ready = h + dur[x]
    best = 0
    rest = tail[after] + dur[after] if after >= 0 else 0
    for k in range(length - 1, -1, -1):
        x = first_run[k]
        t = rest
        nx = jnext[x]
        if nx >= 0 and tail[nx] + dur[nx] > t:
            t = tail[nx] + dur[nx]
        if heads[k] + dur[x] + t > best:
            best = heads[k] + dur[x] + t
        rest = t + dur[x]
    return best


@compiled
def _row(out: np.ndarray, count: int, kind: int, x: int, a: int, b: int, value: int) -> int:
    """Write one candidate move as row ``count`` of ``out``; return the new count."""
    out[count, 0] = kind
    out[count, 1] = x
    out[count, 2] = a
    out[count, 3] = b
    out[count, 4] = value
    return count + 1


@compiled
def block_moves(
    path: np.ndarray,
    length: int,
    dur: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    release: np.ndarray,
    jprev: np.ndarray,
    jnext: np.ndarray,
    mprev: np.ndarray,
    mnext: np.ndarray,
    out: np.ndarray,
) -> int:
    """Insertions within the blocks of a critical path (N7), with estimates; returns the count.

    In each block (a run of critical operations one after the other on one
    machine) an operation moves to the block's front or back, and the block's
    first or last operation moves inside it. Moves that would make a line run
    backwards are left out, as are those that the conditions of Balas and
    Vazacopoulos, applied to every operation of the run (a line may visit a
    machine twice), cannot show to be acyclic.
    """
    count = 0
    run = np.empty(length + 1, np.int64)
    start = 0
    for k in range(1, length + 1):
        if k < length and mprev[path[k]] == path[k - 1]:
            continue
        size = k - start
        s = start
        start = k
        if size < 2:
            continue
        for i in range(size):
            for j in range(i + 1, size):
                if not (i == 0 or j == size - 1):
                    continue
                u = path[s + i]
                v = path[s + j]
                # v right before the run path[s+i : s+j]: nothing may lead from the run's
                # line successors to v (that would need a longer path to the end).
                reach = tail[v] + dur[v]
                ok = not _within(jprev[v], path, s + i, s + j)
                if ok and j > i + 1:
                    for w in path[s + i : s + j]:
                        nw = jnext[w]
                        if nw >= 0 and tail[nw] + dur[nw] > reach:
                            ok = False
                            break
                if ok:
                    run[0] = v
                    run[1 : j - i + 1] = path[s + i : s + j]
                    value = _estimate(
                        run, j - i + 1, mprev[path[s + i]], mnext[v],
                        dur, head, tail, release, jprev, jnext,
                    )  # fmt: skip
                    count = _row(out, count, FRONT, v, s + i, s + j, value)
                if j == i + 1:
                    continue
                # u right after the run path[s+i+1 : s+j+1]: nothing may lead from u to
                # the run's line predecessors.
                done = head[u] + dur[u]
                ok = not _within(jnext[u], path, s + i + 1, s + j + 1)
                if ok:
                    for w in path[s + i + 1 : s + j + 1]:
                        pw = jprev[w]
                        if pw >= 0 and head[pw] + dur[pw] > done:
                            ok = False
                            break
                if ok:
                    run[: j - i] = path[s + i + 1 : s + j + 1]
                    run[j - i] = u
                    value = _estimate(
                        run, j - i + 1, mprev[u], mnext[path[s + j]],
                        dur, head, tail, release, jprev, jnext,
                    )  # fmt: skip
                    count = _row(out, count, BACK, u, s + i + 1, s + j + 1, value)
    return count


@compiled
def machine_moves(
    path: np.ndarray,
    length: int,
    dur: np.ndarray,
    head: np.ndarray,
    tail: np.ndarray,
    jprev: np.ndarray,
    jnext: np.ndarray,
    mnext: np.ndarray,
    mfirst: np.ndarray,
    machine: np.ndarray,
    modes: np.ndarray,
    nmodes: np.ndarray,
    out: np.ndarray,
    count: int,
) -> int:
    """Moves of critical operations to another of their machines, appended to ``out``.

    ``modes[v, q]`` is ``(machine, duration, release)`` of operation ``v``'s
    ``q``-th eligible machine. On each other machine the operation takes the
    place where the longest path through it, with heads and tails as they are,
    is shortest among the places that cannot close a cycle: no operation before
    it may follow its line successor, none after it may precede its line
    predecessor (heads show both: what follows an operation starts after it ends).
    Returns the new count of rows.
    """
    for k in range(length):
        v = path[k]
        if nmodes[v] < 2:
            continue
        jp = jprev[v]
        js = jnext[v]
        ready = head[jp] + dur[jp] if jp >= 0 else 0
        rest = tail[js] + dur[js] if js >= 0 else 0
        for q in range(nmodes[v]):
            m = modes[v, q, 0]
            if m == machine[v]:
                continue
            d = modes[v, q, 1]
            release = modes[v, q, 2]
            best = -1
            best_place = -1
            a = -1
            b = mfirst[m]
            place = 0
            while True:
                if a >= 0 and (a == js or (js >= 0 and head[a] >= head[js] + dur[js])):
                    break
                earliest = max(release, ready)
                if a >= 0 and head[a] + dur[a] > earliest:
                    earliest = head[a] + dur[a]
                usable = True
                after = rest
                if b >= 0:
                    if b == jp or (jp >= 0 and head[jp] >= head[b] + dur[b]):
                        usable = False
                    elif tail[b] + dur[b] > after:
                        after = tail[b] + dur[b]
                if usable:
                    value = earliest + d + after
                    if best < 0 or value < best:
                        best = value
                        best_place = place
                if b < 0:
                    break
                a = b
                b = mnext[b]
                place += 1
            if best >= 0:
                count = _row(out, count, REASSIGN, v, m, best_place, best)
    return count


@compiled
def choose(
    moves: np.ndarray,
    count: int,
    path: np.ndarray,
    forbidden: np.ndarray,
    left: np.ndarray,
    step: int,
    best_value: int,
    coin: np.ndarray,
) -> int:
    """Row of the move to make: the best estimate among moves not forbidden, ties by coin.

    A move is forbidden when it restores an order of two operations that a
    recent move reversed, or puts an operation back on a machine it recently
    left (``left[op, machine]`` is the step until which that stays forbidden),
    unless its estimate beats the best makespan so far. ``forbidden[cell(a, b)]``
    is the step until which ``a`` may not go right before ``b`` again (see
    :func:`cell`). When every move is forbidden, the best of them; -1 when there
    is no move.
    """
    n = left.shape[0]
    chosen = -1
    chosen_value = 0
    fallback = -1
    fallback_value = 0
    flips = 0
    for r in range(count):
        kind = moves[r, 0]
        x = moves[r, 1]
        value = moves[r, 4]
        tabu = False
        if kind == REASSIGN:
            tabu = left[x, moves[r, 2]] > step
        else:
            # The move sets x before (FRONT) or after (BACK) each operation of the run.
            for w in path[moves[r, 2] : moves[r, 3]]:
                if kind == FRONT:
                    c = cell(x, w, n, forbidden.shape[0])
                else:
                    c = cell(w, x, n, forbidden.shape[0])
                if forbidden[c] > step:
                    tabu = True
                    break
        if tabu and value >= best_value:
            if fallback < 0 or value < fallback_value:
                fallback = r
                fallback_value = value
            continue
        if chosen < 0 or value < chosen_value:
            chosen = r
            chosen_value = value
        elif value == chosen_value:
            if coin[(step * 31 + flips) % coin.shape[0]] < 0.5:
                chosen = r
            flips += 1
    return chosen if chosen >= 0 else fallback


@compiled
def cell(a: int, b: int, n: int, size: int) -> int:
    """Where the order "``a`` before ``b``" of ``n`` operations is kept in a table of ``size``.

    Exact when the table has a cell for every pair; a larger shop shares cells
    between pairs, which at worst forbids a move for a few steps too many.
    """
    return (a * n + b) % size
