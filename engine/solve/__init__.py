"""Solving: parameters, the CP-SAT solve loop, extraction of plans."""
