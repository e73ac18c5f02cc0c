"""Tabu search on machine sequences for plans where only the makespan counts.

When a problem is a (flexible) job shop — machines open around the clock, no
staff, materials, stock, changeovers or baseline, every order firm, and a
makespan objective alone — a plan is fully described by the sequence of work
on each machine, and its best start times are the earliest ones the
sequences allow. This module searches those sequences directly, in the
classical way for job shops: each step moves an operation of a block of the
critical path (a run of critical operations on one machine) to the block's
front or back, or the block's first or last operation inside it (the N7
neighbourhood of Zhang et al.), chosen by an estimate of the makespan after
the move, with recently reversed orders forbidden for a few steps. After a
long run without improvement it restarts from its best sequences, lightly
perturbed, or from a better plan found elsewhere.

In a flexible job shop a step may also move an operation of the critical
path to another of its machines, at the place in that machine's sequence
where the longest path through it is shortest among the places that cannot
close a cycle (the neighbourhood of Mastrolilli and Gambardella, with heads
and tails taken as they are); moving it back stays forbidden for a few steps.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from typing_extensions import TypeIs

from engine.problem import ProblemData
from engine.schedule import Schedule, ScheduledOp

STALL = 2500
"""Steps without a new best after which the search restarts from its best sequences."""

TENURE = (8, 14)
"""Range of steps for which a reversed swap stays forbidden."""


def applies(data: ProblemData) -> bool:
    """Whether a plan of ``data`` is fully described by its machine sequences.

    True for makespan-only objectives over firm orders whose operations need
    no staff, materials or stock, on machines without changeovers whose
    every operation may start any time from its order's release.
    """
    w = data.weights
    if not w.makespan or w.tardiness or w.changeover:
        return False
    if data.baseline or data.freeze is not None or data.fixed_uses:
        return False
    for order in data.orders:
        if not order.firm and (w.rejection and order.value):
            return False
        if not order.firm:
            return False
        for line in order.lines:
            if line.stockable or line.materials or not line.ops:
                return False
            for op in line.ops:
                if op.pinned or op.candidates or op.crew or op.fixed_staff:
                    return False
                for mode in op.modes:
                    if len(mode.starts) != 1:
                        return False
                    changeover = data.machines[mode.machine].changeover
                    if changeover and op.family is not None:
                        return False
    return True


Mode = tuple[int, int, int, int]
"""One eligible machine of an operation: ``(machine, duration, release, latest start)``."""


@dataclass
class _Shop:
    """A schedule's operations as arrays: job links, eligible machines and the current choice.

    ``machines``, ``duration``, ``release`` and ``latest`` follow the machine each
    operation is on now (see :meth:`assign`); machines are numbered as in ``names``,
    which is also the numbering of the sequences.
    """

    keys: list[tuple[int, int, int]]
    names: list[str]
    modes: list[list[Mode]]
    machines: list[int]
    duration: list[int]
    job_prev: list[int]
    job_next: list[int]
    release: list[int]
    latest: list[int]

    def assign(self, op: int, machine: int) -> None:
        """Put an operation on one of its eligible machines."""
        m, self.duration[op], self.release[op], self.latest[op] = next(
            mode for mode in self.modes[op] if mode[0] == machine
        )
        self.machines[op] = m


def _shop(data: ProblemData, schedule: Schedule) -> tuple[_Shop, list[list[int]]]:
    names = sorted({m.machine for op in data.ops for m in op.modes})
    number = {name: k for k, name in enumerate(names)}
    keys: list[tuple[int, int, int]] = []
    modes: list[list[Mode]] = []
    job_prev: list[int] = []
    job_next: list[int] = []
    for line in data.lines:
        first = len(keys)
        for k, op in enumerate(line.ops):
            keys.append((line.order, line.index, op.position))
            modes.append(
                [
                    (number[m.machine], m.duration, m.starts[0][0], m.starts[0][1])
                    for m in op.modes
                    if m.starts
                ]
            )
            job_prev.append(first + k - 1 if k else -1)
            job_next.append(first + k + 1 if k < len(line.ops) - 1 else -1)
    n = len(keys)
    shop = _Shop(keys, names, modes, [0] * n, [0] * n, job_prev, job_next, [0] * n, [0] * n)
    index = {key: i for i, key in enumerate(keys)}
    sequences: list[list[int]] = [[] for _ in names]
    for p in sorted(schedule.ops, key=lambda p: (p.start, p.end)):
        i = index[(p.order, p.line, p.position)]
        shop.assign(i, number[p.machine])
        sequences[number[p.machine]].append(i)
    return shop, sequences


class _State:
    """Heads (earliest starts), tails and machine links of one set of sequences."""

    __slots__ = ("cmax", "head", "machine_next", "machine_prev", "tail")

    def __init__(self, shop: _Shop, sequences: list[list[int]]) -> None:
        n = len(shop.duration)
        dur, jprev, jnext, release = shop.duration, shop.job_prev, shop.job_next, shop.release
        mprev = [-1] * n
        mnext = [-1] * n
        for seq in sequences:
            for a, b in itertools.pairwise(seq):
                mprev[b] = a
                mnext[a] = b
        indegree = [(jprev[i] >= 0) + (mprev[i] >= 0) for i in range(n)]
        stack = [i for i in range(n) if indegree[i] == 0]
        order: list[int] = []
        # Heads are pushed forward in topological order: a popped operation's head is final.
        head = list(release)
        cmax = 0
        while stack:
            i = stack.pop()
            order.append(i)
            end = head[i] + dur[i]
            if end > cmax:
                cmax = end
            j = jnext[i]
            if j >= 0:
                if end > head[j]:
                    head[j] = end
                indegree[j] -= 1
                if indegree[j] == 0:
                    stack.append(j)
            j = mnext[i]
            if j >= 0:
                if end > head[j]:
                    head[j] = end
                indegree[j] -= 1
                if indegree[j] == 0:
                    stack.append(j)
        if len(order) < n:
            raise ValueError("machine sequences contradict the routings")
        tail = [0] * n
        for i in reversed(order):
            x = 0
            a = jnext[i]
            if a >= 0 and tail[a] + dur[a] > x:
                x = tail[a] + dur[a]
            b = mnext[i]
            if b >= 0 and tail[b] + dur[b] > x:
                x = tail[b] + dur[b]
            tail[i] = x
        self.head = head
        self.tail = tail
        self.machine_prev = mprev
        self.machine_next = mnext
        self.cmax = cmax

    def critical_path(self, shop: _Shop) -> list[int]:
        """Operations of one longest path, in order."""
        dur, head, tail = shop.duration, self.head, self.tail
        end = next(i for i in range(len(dur)) if tail[i] == 0 and head[i] + dur[i] == self.cmax)
        path = [end]
        i = end
        while True:
            b = self.machine_prev[i]
            a = shop.job_prev[i]
            if b >= 0 and head[b] + dur[b] == head[i]:
                i = b
            elif a >= 0 and head[a] + dur[a] == head[i]:
                i = a
            else:
                break
            path.append(i)
        path.reverse()
        return path


Move = tuple[bool, int, tuple[int, ...]]
"""``(to_front, moved, others)``: on one machine, ``moved`` goes right before (``to_front``)
or right after the run of operations ``others``, which it was adjacent to."""


def _moves(shop: _Shop, state: _State, path: list[int] | None = None) -> list[Move]:
    """Insertions within the blocks of a critical path (the N7 neighbourhood of Zhang et al.).

    In each block (a run of critical operations one after the other on one machine)
    an operation moves to the block's front or back, and the block's first or last
    operation moves inside it. Moves that would make a line run backwards are left out,
    as are those that the conditions of Balas and Vazacopoulos, applied to every
    operation of the run (a line may visit a machine twice), cannot show to be acyclic.
    """
    if path is None:
        path = state.critical_path(shop)
    dur, head, tail = shop.duration, state.head, state.tail
    jprev, jnext = shop.job_prev, shop.job_next
    moves: list[Move] = []
    start = 0
    for k in range(1, len(path) + 1):
        if k < len(path) and state.machine_prev[path[k]] == path[k - 1]:
            continue
        block = path[start:k]
        start = k
        size = len(block)
        if size < 2:
            continue
        for i in range(size):
            for j in range(i + 1, size):
                if not (i == 0 or j == size - 1):
                    continue
                u, v = block[i], block[j]
                between = tuple(block[i:j])
                # v right before the run: no path may lead from the run's line successors
                # to v (a longer path from there to the end would be needed).
                reach = tail[v] + dur[v]
                if jprev[v] not in between and (
                    # Two critical neighbours always trade places without a cycle.
                    j == i + 1
                    or all(jnext[w] < 0 or tail[jnext[w]] + dur[jnext[w]] <= reach for w in between)
                ):
                    moves.append((True, v, between))
                if j == i + 1:
                    continue
                # u right after the run: no path may lead from u to the run's line predecessors.
                after = tuple(block[i + 1 : j + 1])
                done = head[u] + dur[u]
                if jnext[u] not in after and all(
                    jprev[w] < 0 or head[jprev[w]] + dur[jprev[w]] <= done for w in after
                ):
                    moves.append((False, u, after))
    return moves


Reassign = tuple[int, int, int]
"""``(op, machine, place)``: the operation leaves its machine for another one, where it
goes before the operation at index ``place`` of that machine's sequence (at the end when
``place`` is the sequence's length)."""


def _reassignments(
    shop: _Shop, state: _State, sequences: list[list[int]], path: list[int]
) -> list[tuple[int, Reassign]]:
    """Moves of critical operations to another of their machines, with their estimates.

    On each other machine the operation takes the place where the longest path
    through it, with heads and tails as they are, is shortest, among the places
    that cannot close a cycle: no operation before it may follow its line
    successor, none after it may precede its line predecessor. Heads show
    both: an operation that follows another starts after that one ends.
    """
    dur, head, tail = shop.duration, state.head, state.tail
    out: list[tuple[int, Reassign]] = []
    for v in path:
        if len(shop.modes[v]) < 2:
            continue
        jp, js = shop.job_prev[v], shop.job_next[v]
        ready = head[jp] + dur[jp] if jp >= 0 else 0
        rest = tail[js] + dur[js] if js >= 0 else 0
        for machine, d, release, _latest in shop.modes[v]:
            if machine == shop.machines[v]:
                continue
            seq = sequences[machine]
            best: tuple[int, int] | None = None
            for place in range(len(seq) + 1):
                if place > 0:
                    a = seq[place - 1]
                    if a == js or (js >= 0 and head[a] >= head[js] + dur[js]):
                        break
                    earliest = max(release, ready, head[a] + dur[a])
                else:
                    earliest = max(release, ready)
                if place < len(seq):
                    b = seq[place]
                    if b == jp or (jp >= 0 and head[jp] >= head[b] + dur[b]):
                        continue
                    after = max(rest, tail[b] + dur[b])
                else:
                    after = rest
                value = earliest + d + after
                if best is None or value < best[0]:
                    best = (value, place)
            if best is not None:
                out.append((best[0], (v, machine, best[1])))
    return out


def _is_reassign(move: Move | Reassign) -> TypeIs[Reassign]:
    """Whether a move takes an operation to another machine (its third item is a place)."""
    return isinstance(move[2], int)


def _reassign(
    shop: _Shop,
    move: Reassign,
    sequences: list[list[int]],
    position: dict[int, tuple[int, int]],
) -> _State | None:
    """Apply a reassignment and return the new state; undo it and return None on a cycle."""
    op, machine, place = move
    old, k = position[op]
    del sequences[old][k]
    sequences[machine].insert(place, op)
    shop.assign(op, machine)
    try:
        state = _State(shop, sequences)
    except ValueError:
        del sequences[machine][place]
        sequences[old].insert(k, op)
        shop.assign(op, old)
        state = None
    for m in (old, machine):
        position.update({x: (m, j) for j, x in enumerate(sequences[m])})
    return state


def _order(move: Move) -> list[int]:
    """The run of operations as the move leaves it."""
    to_front, moved, others = move
    return [moved, *others] if to_front else [*others, moved]


def _estimate(shop: _Shop, state: _State, move: Move) -> int:
    """Makespan estimate after a move: the longest path through the run it rearranges.

    Heads and tails outside the run are taken as they are (Taillard's estimate,
    extended from swaps to insertions).
    """
    dur, head, tail, release = shop.duration, state.head, state.tail, shop.release
    jprev, jnext = shop.job_prev, shop.job_next
    run = _order(move)
    to_front, moved, others = move
    first, last = (others[0], moved) if to_front else (moved, others[-1])
    before = state.machine_prev[first]
    after = state.machine_next[last]
    heads: list[int] = []
    ready = head[before] + dur[before] if before >= 0 else 0
    for x in run:
        h = release[x]
        p = jprev[x]
        if p >= 0 and head[p] + dur[p] > h:
            h = head[p] + dur[p]
        if ready > h:
            h = ready
        heads.append(h)
        ready = h + dur[x]
    best = 0
    rest = tail[after] + dur[after] if after >= 0 else 0
    for x, h in zip(reversed(run), reversed(heads), strict=True):
        t = rest
        n = jnext[x]
        if n >= 0 and tail[n] + dur[n] > t:
            t = tail[n] + dur[n]
        if h + dur[x] + t > best:
            best = h + dur[x] + t
        rest = t + dur[x]
    return best


def _removed(move: Move) -> list[tuple[int, int]]:
    """The machine arcs (earlier, later) that a move reverses, as they were."""
    to_front, moved, others = move
    return [(w, moved) for w in others] if to_front else [(moved, w) for w in others]


def _is_tabu(move: Move, forbidden: dict[tuple[int, int], int], step: int) -> bool:
    """Whether a move restores an order of two operations that a recent move reversed."""
    return any(forbidden.get((b, a), 0) > step for a, b in _removed(move))


def _apply(move: Move, sequences: list[list[int]], position: dict[int, tuple[int, int]]) -> None:
    """Rearrange the run of operations in its machine's sequence, keeping positions current."""
    to_front, moved, others = move
    m, k = position[others[0] if to_front else moved]
    run = _order(move)
    sequences[m][k : k + len(run)] = run
    for offset, op in enumerate(run):
        position[op] = (m, k + offset)


def _try_move(
    shop: _Shop, move: Move, sequences: list[list[int]], position: dict[int, tuple[int, int]]
) -> _State | None:
    """Apply a move and return the new state; undo it and return None if it closes a cycle.

    The acyclicity conditions of :func:`_moves` are sufficient only on their
    assumptions; this is the safeguard for the rest.
    """
    m = position[move[1]][0]
    kept = list(sequences[m])
    _apply(move, sequences, position)
    try:
        return _State(shop, sequences)
    except ValueError:
        sequences[m] = kept
        position.update({op: (m, k) for k, op in enumerate(kept)})
        return None


def _to_schedule(shop: _Shop, state: _State, template: Schedule) -> Schedule | None:
    ops = []
    for i, (order, line, position) in enumerate(shop.keys):
        start = state.head[i]
        if start > shop.latest[i]:
            return None
        ops.append(
            ScheduledOp(
                order,
                line,
                position,
                shop.names[shop.machines[i]],
                (),
                start,
                start + shop.duration[i],
            )
        )
    return Schedule(list(template.accepted), dict(template.sources), ops)


def tabu_search(
    data: ProblemData,
    start: Schedule,
    deadline: float,
    seed: int,
    on_improve: Callable[[Schedule], None] | None = None,
    restart_from: Callable[[], Schedule | None] | None = None,
    stop_at: int | None = None,
) -> Schedule:
    """Search the machine sequences of ``start`` for a shorter makespan until ``deadline``.

    Parameters
    ----------
    data
        A problem for which :func:`applies` holds.
    start
        A feasible schedule: its machines and sequences are the first.
    deadline
        Monotonic clock time at which to stop.
    seed
        Seed of the tie-breaking, tenures and perturbations.
    on_improve
        Called with every schedule that is shorter than any before it in this search.
    restart_from
        Asked at every restart for a better schedule found elsewhere; ``None`` keeps
        the search's own best.
    stop_at
        A makespan at which to stop. The search also stops at a makespan that no
        plan beats (see :func:`_floor`) and when nothing on the critical path can move.

    Returns
    -------
    Schedule
        The shortest schedule found (``start`` when none was shorter).
    """
    rng = random.Random(seed)
    shop, sequences = _shop(data, start)
    state = _State(shop, sequences)
    best_value, best_sequences = state.cmax, [list(s) for s in sequences]
    best_machines = list(shop.machines)
    best_schedule = start
    position = {i: (m, k) for m, seq in enumerate(sequences) for k, i in enumerate(seq)}
    forbidden: dict[tuple[int, int], int] = {}
    left: dict[tuple[int, int], int] = {}
    step = stall = 0
    floor = max(_floor(shop), stop_at or 0)
    while time.monotonic() < deadline and best_value > floor:
        step += 1
        stall += 1
        path = state.critical_path(shop)
        chosen: Move | Reassign | None = None
        chosen_value = 0
        fallback: tuple[int, Move | Reassign] | None = None
        candidates: list[tuple[int, bool, Move | Reassign]] = [
            (_estimate(shop, state, move), _is_tabu(move, forbidden, step), move)
            for move in _moves(shop, state, path)
        ]
        candidates += [
            (value, left.get((move[0], move[1]), 0) > step, move)
            for value, move in _reassignments(shop, state, sequences, path)
        ]
        for value, tabu, move in candidates:
            if tabu and value >= best_value:
                if fallback is None or value < fallback[0]:
                    fallback = (value, move)
                continue
            if (
                chosen is None
                or value < chosen_value
                or (value == chosen_value and rng.random() < 0.5)
            ):
                chosen, chosen_value = move, value
        if chosen is None:
            if fallback is None:
                # Nothing on the critical path can move: no step leads anywhere from here.
                break
            chosen = fallback[1]
        until = step + rng.randint(*TENURE)
        if _is_reassign(chosen):
            old = shop.machines[chosen[0]]
            moved = _reassign(shop, chosen, sequences, position)
            if moved is None:
                left[(chosen[0], chosen[1])] = until
                continue
            left[(chosen[0], old)] = until
        else:
            moved = _try_move(shop, chosen, sequences, position)
            if moved is None:
                # The move would close a cycle: forbid it instead.
                for a, b in _removed(chosen):
                    forbidden[(b, a)] = until
                continue
            for arc in _removed(chosen):
                forbidden[arc] = until
        state = moved
        if state.cmax < best_value:
            schedule = _to_schedule(shop, state, start)
            if schedule is not None:
                best_value, best_schedule = state.cmax, schedule
                best_sequences = [list(s) for s in sequences]
                best_machines = list(shop.machines)
                stall = 0
                if on_improve is not None:
                    on_improve(schedule)
        if stall >= STALL:
            stall = 0
            forbidden.clear()
            left.clear()
            elsewhere = restart_from() if restart_from is not None else None
            if elsewhere is not None:
                shop, sequences = _shop(data, elsewhere)
                best_sequences = [list(s) for s in sequences]
                best_machines = list(shop.machines)
                state = _State(shop, sequences)
                best_value, best_schedule = state.cmax, elsewhere
            else:
                for op, machine in enumerate(best_machines):
                    shop.assign(op, machine)
                sequences = _perturb(shop, best_sequences, rng)
                state = _State(shop, sequences)
            position = {i: (m, k) for m, seq in enumerate(sequences) for k, i in enumerate(seq)}
    return best_schedule


def _floor(shop: _Shop) -> int:
    """A makespan no plan beats: the longest line and the busiest machine, on the shortest modes.

    Operations with one machine count on that machine; all work counts, spread
    evenly, over the machines that can take it.
    """
    shortest = [min(mode[1] for mode in modes) for modes in shop.modes]
    earliest = [min(mode[2] for mode in modes) for modes in shop.modes]
    load = [0] * len(shop.names)
    for modes, minutes in zip(shop.modes, shortest, strict=True):
        if len(modes) == 1:
            load[modes[0][0]] += minutes
    usable = len({mode[0] for modes in shop.modes for mode in modes})
    spread = -(-sum(shortest) // max(1, usable))
    longest = 0
    for i, prev in enumerate(shop.job_prev):
        if prev < 0:
            end, j = earliest[i], i
            while j >= 0:
                end = max(end, earliest[j]) + shortest[j]
                j = shop.job_next[j]
            longest = max(longest, end)
    return max(longest, spread, *load, 0)


def _perturb(shop: _Shop, sequences: list[list[int]], rng: random.Random) -> list[list[int]]:
    """The sequences after a few random moves on critical blocks (none that closes a cycle)."""
    current = [list(seq) for seq in sequences]
    position = {i: (m, k) for m, seq in enumerate(current) for k, i in enumerate(seq)}
    for _ in range(6):
        moves = _moves(shop, _State(shop, current))
        if not moves:
            break
        _try_move(shop, rng.choice(moves), current, position)
    return current
