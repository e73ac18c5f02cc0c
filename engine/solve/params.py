"""Solve parameters and named CP-SAT parameter profiles."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from engine.problem import ProblemData


class SolveParams(BaseModel):
    """How to solve.

    Parameters
    ----------
    time_limit
        Seconds the whole solve may take.
    workers
        CP-SAT search workers (threads).
    seed
        Random seed; the same seed, workers and limit give the same plan when
        the search is not cut by time.
    method
        ``cp`` (CP-SAT, hinted by the heuristic) or ``dispatch`` (heuristic alone).
    profile
        Name of a parameter profile in ``engine/solve/profiles.toml``.
    cp_sat
        Extra CP-SAT parameters, passed through as given (they win over the profile).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    time_limit: float = Field(default=30.0, gt=0)
    workers: int = Field(default=2, ge=1, le=64)
    seed: int = Field(default=0, ge=0)
    method: Literal["cp", "dispatch"] = "cp"
    profile: str | None = None
    cp_sat: dict[str, Any] = Field(default_factory=dict)


@cache
def profiles() -> dict[str, dict[str, Any]]:
    """The named profiles."""
    text = files("engine.solve").joinpath("profiles.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def profile(name: str | None) -> dict[str, Any]:
    """Parameters of the default profile with ``name`` laid over it."""
    table = profiles()
    out = dict(table.get("default", {}))
    if name is not None:
        if name not in table:
            raise ValueError(f"unknown profile {name!r}; known: {', '.join(sorted(table))}")
        out.update(table[name])
    return out


STRONG_DISJUNCTIVE_OPERATIONS = 400
"""Operations up to which a job shop gets the strongest no-overlap propagation."""


def model_defaults(data: ProblemData) -> dict[str, Any]:
    """CP-SAT parameters for the whole model that suit a problem's shape.

    They come before any profile or override. When no operation has a choice
    of machine, the machines' no-overlap constraints are the heart of the
    problem and their strongest propagation pays up to a few hundred
    operations: on Taillard's 15 x 15 instances at 20 s it took the mean gap
    to the best-known makespans from 1.9% to 0.4%, on 20 x 20 at 30 s to 1.8%
    (``benchmarks/README.md``). On 30 x 15 and larger it slows the search
    more than it helps, and with a choice of machine it made no difference
    we could measure.
    """
    out: dict[str, Any] = {}
    operations = data.ops
    if len(operations) <= STRONG_DISJUNCTIVE_OPERATIONS and all(
        len(op.modes) <= 1 for op in operations
    ):
        out["use_strong_propagation_in_disjunctive"] = True
    return out
