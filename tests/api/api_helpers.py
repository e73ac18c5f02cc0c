"""Helpers of the service tests: keys per role, test settings, scenarios, polling.

Every test gets its own store file; solves use one CP-SAT worker and time
limits of a few seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.config import Role, Settings
from api.main import create_app
from api.schemas import EXAMPLE_SCENARIO

ROOT = Path(__file__).parents[2]
SCENARIOS = ROOT / "scenarios"

KEYS = {role: f"{role.value}-test-key-0123" for role in Role}
"""One API key per role."""

TINY: dict[str, Any] = EXAMPLE_SCENARIO
"""Two orders on one machine: solved to optimality in milliseconds."""

LONG_TEXT = (SCENARIOS / "plant.yaml").read_text(encoding="utf-8")
"""The 40-order demo plant: a first plan in a fraction of a second, then a long search."""


def auth(role: Role = Role.PLANNER) -> dict[str, str]:
    """The headers of a request made with ``role``'s key."""
    return {"X-API-Key": KEYS[role]}


def make_settings(database_url: str, **overrides: Any) -> Settings:
    """Test settings: fixed keys, one worker per solve, small caps."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "api_keys": {key: role for role, key in KEYS.items()},
        "max_concurrent_solves": 1,
        "workers_per_solve": 1,
        "time_limit_cap": 120.0,
        "sync_time_limit_cap": 10.0,
        "max_body_bytes": 200_000,
        "examples_dir": SCENARIOS,
        **overrides,
    }
    return Settings(**values)


@contextmanager
def running(settings: Settings) -> Iterator[TestClient]:
    """A started service (lifespan run) and its client."""
    with TestClient(create_app(settings)) as client:
        yield client


def solve_body(scenario: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A solve request of ``scenario`` (the tiny one by default)."""
    return {"scenario": scenario or TINY, "time_limit": 5, "workers": 1, **extra}


def submit(client: TestClient, body: dict[str, Any]) -> str:
    """Queue a solve as a planner and return its id."""
    response = client.post("/v1/solves", json=body, headers=auth())
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def submit_long(client: TestClient, time_limit: float = 60) -> str:
    """Queue a solve of the demo plant that runs until stopped."""
    return submit(client, {"scenario_text": LONG_TEXT, "time_limit": time_limit, "workers": 1})


def wait_for(
    client: TestClient,
    job_id: str,
    done: Callable[[dict[str, Any]], bool],
    timeout: float = 60,
) -> dict[str, Any]:
    """Poll a job until ``done`` holds for it; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.get(f"/v1/solves/{job_id}", headers=auth()).json()
        if done(job):
            return job
        assert time.monotonic() < deadline, f"job did not get there in {timeout} s: {job}"
        time.sleep(0.05)


def ended(job: dict[str, Any]) -> bool:
    """Whether a job has ended."""
    return job["status"] in ("completed", "infeasible", "failed", "cancelled")


def has_plan(job: dict[str, Any]) -> bool:
    """Whether a job holds a plan."""
    return job["objective"] is not None and job["plan"] is not None
