"""Solving: parameters, the CP-SAT solve, extraction of plans."""

from engine.solve.params import SolveParams
from engine.solve.solver import Progress, Result, solve

__all__ = ["Progress", "Result", "SolveParams", "solve"]
