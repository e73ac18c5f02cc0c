"""Changeovers: sequence-dependent gaps between directly consecutive operations on a machine.

Only machines that need it get a sequence (a circuit over the operations that
may run there): a positive ``changeover`` and at least two setup families
among its candidate operations. Arcs are built only for pairs that can both
be on the machine, and their literals are kept for hints and for counting
changeover time in the objective.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise

from ortools.sat.python import cp_model

from engine.build.variables import ModeVar, OpVar, Variables
from engine.problem import ProblemData


@dataclass
class Sequence:
    """The circuit of one machine: which candidate operation directly follows which."""

    machine: str
    changeover: int
    nodes: list[tuple[OpVar, ModeVar]]
    arcs: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    """``(i, j) -> literal`` over node indices from 1; 0 is the machine's start and end."""
    changes: list[tuple[int, cp_model.IntVar]] = field(default_factory=list)
    """``(minutes, literal)`` of every arc that costs a changeover."""


def needs_changeover(a: str | None, b: str | None) -> bool:
    """Whether two setup families call for a changeover between them."""
    return a is not None and b is not None and a != b


def add_changeovers(model: cp_model.CpModel, data: ProblemData, v: Variables) -> list[Sequence]:
    """Add a circuit per machine that has changeovers; return the sequences built."""
    candidates: dict[str, list[tuple[OpVar, ModeVar]]] = {}
    for op in v.ops:
        for mode in op.modes:
            if mode.starts:
                candidates.setdefault(mode.machine, []).append((op, mode))
    sequences: list[Sequence] = []
    for machine_id, nodes in candidates.items():
        changeover = data.machines[machine_id].changeover
        families = {op.data.family for op, _ in nodes if op.data.family is not None}
        if changeover == 0 or len(families) < 2 or len(nodes) < 2:
            continue
        seq = Sequence(machine_id, changeover, nodes)
        arcs: list[tuple[int, int, cp_model.LiteralT]] = []
        empty = model.new_bool_var(f"idle_{machine_id}")
        arcs.append((0, 0, empty))
        seq.arcs[(0, 0)] = empty
        for i, (_op, mode) in enumerate(nodes, start=1):
            first = model.new_bool_var(f"first_{machine_id}_{i}")
            last = model.new_bool_var(f"last_{machine_id}_{i}")
            arcs += [(0, i, first), (i, 0, last), (i, i, mode.chosen.Not())]
            seq.arcs[(0, i)] = first
            seq.arcs[(i, 0)] = last
            model.add_implication(empty, mode.chosen.Not())
        pinned = sorted(
            (mode.starts[0][0], i) for i, (op, mode) in enumerate(nodes, start=1) if op.data.pinned
        )
        pinned_next = {i: j for (_, i), (_, j) in pairwise(pinned)}
        for i, (a, ma) in enumerate(nodes, start=1):
            for j, (b, mb) in enumerate(nodes, start=1):
                if i == j or a is b:
                    continue
                # Same-line operations follow the routing; the reverse arc can never hold.
                if a.present is b.present and a.data.position > b.data.position:
                    continue
                # Two held operations follow each other directly only if nothing held is between.
                if a.data.pinned and b.data.pinned and pinned_next.get(i) != j:
                    continue
                gap = changeover if needs_changeover(a.data.family, b.data.family) else 0
                if ma.starts[0][0] + ma.duration + gap > mb.starts[-1][1]:
                    continue
                # No implication to the modes' literals: the circuit's self-loops already
                # force both ends of a used arc onto this machine.
                lit = model.new_bool_var(f"next_{machine_id}_{i}_{j}")
                model.add(a.end + gap <= b.start).only_enforce_if(lit)
                arcs.append((i, j, lit))
                seq.arcs[(i, j)] = lit
                if gap:
                    seq.changes.append((gap, lit))
        model.add_circuit(arcs)
        sequences.append(seq)
    return sequences
