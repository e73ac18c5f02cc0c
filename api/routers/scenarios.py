"""Scenarios: validate one, list and read the stored ones (examples and uploads)."""

from __future__ import annotations

from fastapi import APIRouter

from api import jobs
from api.deps import Reader, SessionDep, Solver
from api.errors import responses
from api.schemas import (
    Problem,
    ScenarioBase,
    ScenarioInput,
    ScenarioList,
    ScenarioPublic,
    ValidationReport,
)
from engine.io import ScenarioError

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"])


@router.post(
    "/validate",
    response_model=ValidationReport,
    summary="Validate a scenario: OK, or every problem with its path",
    responses=responses(401, 403, 413, 422),
)
def validate(body: ScenarioInput, _role: Solver) -> ValidationReport:
    """Validate a scenario without storing it.

    An invalid scenario is a normal answer here (200, ``valid: false``) listing
    every problem, each with its path such as ``orders[3].lines[0].product``.
    A body without exactly one of ``scenario`` and ``scenario_text`` is a 422.
    """
    try:
        scenario = jobs.parse_scenario(body)
    except ScenarioError as exc:
        return ValidationReport(
            valid=False,
            problems=[Problem(path=p.path, message=p.message) for p in exc.problems],
        )
    return ValidationReport(valid=True, name=scenario.name, orders=len(scenario.orders))


@router.get(
    "",
    response_model=ScenarioList,
    summary="List stored scenarios (examples first)",
    responses=responses(401, 403),
)
def list_scenarios(session: SessionDep, _role: Reader) -> ScenarioList:
    """Every stored scenario without its content: the examples loaded at start, then uploads."""
    return ScenarioList(items=[jobs.scenario_view(row) for row in jobs.list_scenarios(session)])


@router.get(
    "/{scenario_id}",
    response_model=ScenarioPublic,
    summary="Read a stored scenario",
    responses=responses(401, 403, 404),
)
def get_scenario(scenario_id: str, session: SessionDep, _role: Reader) -> ScenarioBase:
    """A stored scenario with its content (the JSON it loads from)."""
    return jobs.scenario_view(jobs.get_scenario(session, scenario_id), content=True)
