"""Published plans and the expedite workflow: versions, previews, decisions, quota, roles, audit.

The scenario is the teaching workshop frozen until Tuesday 07:00: T-2 ships from
stock on Monday, so it is already done; T-3 may be brought forward from Thursday.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from api_helpers import (
    KEYS,
    SCENARIOS,
    auth,
    ended,
    make_settings,
    running,
    submit,
    submit_long,
    wait_for,
)
from fastapi.testclient import TestClient

from api import jobs
from api.config import Role
from api.schemas import JobKind
from api.store import ExpediteRow, utcnow
from engine.check import check_plan
from engine.expedite import expedite_scenario
from engine.io import loads_scenario
from engine.model import Plan

FREEZE = "2026-03-03T07:00:00+01:00"
TEXT = (
    (SCENARIOS / "teaching.yaml")
    .read_text(encoding="utf-8")
    .replace("\npolicy:\n", f"\npolicy:\n  freeze_until: {FREEZE}\n", 1)
)
SCENARIO = loads_scenario(TEXT)
MEETABLE = "2026-03-04T10:00:00+01:00"
"""T-3 (due Thursday 15:00) by Wednesday 10:00: possible, at the price of T-1 and T-4."""
TOO_EARLY = "2026-03-03T08:00:00+01:00"
"""T-3 within an hour of its release: not possible."""


def solve(client: TestClient, **body: Any) -> str:
    """Solve the scenario (or a stored one) to the end; the solve's id."""
    body = {"time_limit": 3, "workers": 1, **body}
    if "scenario_id" not in body:
        body["scenario_text"] = TEXT
    job_id = submit(client, body)
    assert wait_for(client, job_id, ended)["status"] == "completed"
    return job_id


def publish(client: TestClient, solve_id: str, role: Role = Role.PLANNER) -> Any:
    return client.post(f"/v1/plans/{solve_id}/publish", headers=auth(role))


def request(
    client: TestClient,
    scenario_id: str,
    order: str = "T-3",
    due: str = MEETABLE,
    role: Role = Role.MARKETING,
    **extra: Any,
) -> Any:
    body = {
        "scenario_id": scenario_id,
        "order_id": order,
        "requested_due": due,
        "reason": f"customer asks for {order}",
        "time_limit": 3,
        "workers": 1,
        **extra,
    }
    return client.post("/v1/expedites", json=body, headers=auth(role))


def wait_expedite(client: TestClient, expedite_id: str, timeout: float = 60) -> dict[str, Any]:
    """Poll an expedite until its preview has ended."""
    deadline = time.monotonic() + timeout
    while True:
        item: dict[str, Any] = client.get(
            f"/v1/expedites/{expedite_id}", headers=auth(Role.VIEWER)
        ).json()
        if item["status"] != "previewing":
            return item
        assert time.monotonic() < deadline, f"preview not done in {timeout} s: {item}"
        time.sleep(0.05)


@pytest.fixture
def published(client: TestClient) -> tuple[str, str]:
    """The scenario stored and solved, its plan published as version 1: (scenario, solve)."""
    solve_id = solve(client)
    assert publish(client, solve_id).status_code == 201
    scenario_id = client.get(f"/v1/solves/{solve_id}", headers=auth()).json()["scenario_id"]
    return scenario_id, solve_id


def test_published_plans_are_versioned_and_never_overwritten(client: TestClient) -> None:
    first = solve(client)
    scenario_id = client.get(f"/v1/solves/{first}", headers=auth()).json()["scenario_id"]
    none_yet = client.get(f"/v1/scenarios/{scenario_id}/published", headers=auth(Role.VIEWER))
    assert none_yet.status_code == 404
    assert "no published plan" in none_yet.json()["detail"]

    response = publish(client, first)
    assert response.status_code == 201, response.text
    v1 = response.json()
    assert (v1["version"], v1["current"], v1["source"], v1["solve_id"]) == (1, True, "solve", first)
    assert response.headers["Location"] == f"/v1/plans/{v1['id']}"
    assert v1["published_role"] == "planner"
    assert v1["published_by"].startswith("key-") and KEYS[Role.PLANNER] not in response.text
    assert check_plan(SCENARIO, Plan.model_validate(v1["plan"])).ok
    again = publish(client, first)
    assert again.status_code == 409
    assert "already the current published plan (version 1)" in again.json()["detail"]

    second = solve(client, scenario_id=scenario_id, method="dispatch")
    v2 = publish(client, second).json()
    assert (v2["version"], v2["current"], v2["scenario_id"]) == (2, True, scenario_id)
    assert v2["plan"]["method"] == "dispatch"

    listed = client.get(f"/v1/plans?scenario_id={scenario_id}", headers=auth(Role.VIEWER)).json()
    assert [(p["version"], p["current"]) for p in listed["items"]] == [(2, True), (1, False)]
    assert listed["total"] == 2
    old = client.get(f"/v1/plans/{v1['id']}", headers=auth(Role.MARKETING)).json()
    assert (old["version"], old["current"], old["plan"]) == (1, False, v1["plan"])
    current = client.get(f"/v1/scenarios/{scenario_id}/published", headers=auth()).json()
    assert current["id"] == v2["id"]
    # Publishing the first solve again is a rollback: a new version, the old ones stay.
    v3 = publish(client, first).json()
    assert (v3["version"], v3["plan"]) == (3, v1["plan"])
    assert client.get(f"/v1/plans?scenario_id={scenario_id}", headers=auth()).json()["total"] == 3


def test_publish_refusals(client: TestClient) -> None:
    assert publish(client, "unknown").status_code == 404
    assert client.get("/v1/plans/unknown", headers=auth()).status_code == 404
    assert client.get("/v1/plans?scenario_id=unknown", headers=auth()).status_code == 404
    assert client.get("/v1/scenarios/unknown/published", headers=auth()).status_code == 404
    running_id = submit_long(client)
    response = publish(client, running_id)
    assert response.status_code == 409
    assert "publish it once it has ended" in response.json()["detail"]
    client.delete(f"/v1/solves/{running_id}", headers=auth())
    infeasible = submit(client, {"scenario_id": "example-infeasible", "time_limit": 3})
    assert wait_for(client, infeasible, ended)["status"] == "infeasible"
    response = publish(client, infeasible)
    assert response.status_code == 409
    assert "no plan to publish" in response.json()["detail"]


def test_expedite_flow_request_preview_approve(
    client: TestClient, published: tuple[str, str]
) -> None:
    scenario_id, _ = published
    response = request(client, scenario_id)
    assert response.status_code == 202, response.text
    queued = response.json()
    assert queued["status"] == "previewing"
    assert queued["preview"] is None
    assert response.headers["Location"] == f"/v1/expedites/{queued['id']}"
    assert (queued["baseline_version"], queued["baseline_current"]) == (1, True)

    item = wait_expedite(client, queued["id"])
    assert item["status"] == "ready", item
    assert item["job_status"] == "completed"
    preview = item["preview"]
    assert preview["order"] == "T-3"
    assert preview["can_meet"] is True
    assert datetime.fromisoformat(preview["completion"]) <= datetime.fromisoformat(MEETABLE)
    assert preview["earliest_completion"] is not None
    assert preview["slipping"] == [o["id"] for o in preview["orders"] if o["slips"]]
    assert preview["slipping"], "bringing T-3 forward takes the maple blanks others need"
    assert {o["id"] for o in preview["orders"]} == {"T-1", "T-2", "T-4"}
    assert preview["objective_before"]["stability"] == 0
    assert preview["objective_after"]["total"] > preview["objective_before"]["total"]
    assert preview["cost"] == pytest.approx(
        preview["objective_after"]["total"] - preview["objective_before"]["total"]
    )
    new_plan = Plan.model_validate(preview["plan"])
    baseline = Plan.model_validate(
        client.get(f"/v1/plans/{item['baseline_plan_id']}", headers=auth()).json()["plan"]
    )
    replanned = expedite_scenario(SCENARIO, baseline, "T-3", datetime.fromisoformat(MEETABLE))
    assert check_plan(replanned, new_plan).ok
    # The preview ran as a job of kind expedite, with its progress as events.
    job = client.get(f"/v1/solves/{item['job_id']}?plan=false", headers=auth()).json()
    assert job["kind"] == "expedite"
    events = client.get(f"/v1/solves/{item['job_id']}/events", headers=auth()).text
    assert "event: progress" in events and "event: end" in events

    assert (
        client.post(f"/v1/expedites/{item['id']}/approve", headers=auth(Role.MARKETING))
        .json()["detail"]
        .startswith("the marketing role may not")
    )
    approved = client.post(
        f"/v1/expedites/{item['id']}/approve", json={"comment": "ok, T-4 can wait"}, headers=auth()
    )
    assert approved.status_code == 200, approved.text
    decided = approved.json()
    assert decided["status"] == "approved"
    assert decided["published_version"] == 2
    assert decided["decision_comment"] == "ok, T-4 can wait"

    current = client.get(f"/v1/scenarios/{scenario_id}/published", headers=auth()).json()
    assert (current["version"], current["source"]) == (2, "expedite")
    assert current["expedite_id"] == item["id"]
    assert current["id"] == decided["published_plan_id"]
    assert current["plan"] == preview["plan"]
    for action in ("approve", "reject"):
        again = client.post(f"/v1/expedites/{item['id']}/{action}", headers=auth())
        assert again.status_code == 409
        assert "already approved" in again.json()["detail"]

    kinds = [a["kind"] for a in decided["audit"]]
    assert kinds == ["requested", "preview_ready", "approved"]
    requested, ready, approval = decided["audit"]
    assert (requested["role"], requested["comment"]) == ("marketing", "customer asks for T-3")
    assert requested["data"]["order_id"] == "T-3"
    assert requested["data"]["baseline_version"] == 1
    assert ready["actor"] is None
    assert ready["data"]["slipping"] == preview["slipping"]
    assert ready["data"]["can_meet"] is True
    assert (approval["role"], approval["comment"]) == ("planner", "ok, T-4 can wait")
    assert approval["data"]["version"] == 2
    assert approval["actor"] == decided["decided_by"] != requested["actor"]


def test_a_preview_of_an_older_plan_cannot_be_approved(
    client: TestClient, published: tuple[str, str]
) -> None:
    scenario_id, _ = published
    first = request(client, scenario_id).json()
    second = request(client, scenario_id, due="2026-03-05T07:00:00+01:00").json()
    assert wait_expedite(client, first["id"])["status"] == "ready"
    assert wait_expedite(client, second["id"])["status"] == "ready"
    assert client.post(f"/v1/expedites/{first['id']}/approve", headers=auth()).status_code == 200
    stale = client.get(f"/v1/expedites/{second['id']}", headers=auth()).json()
    assert stale["baseline_current"] is False
    refused = client.post(f"/v1/expedites/{second['id']}/approve", headers=auth())
    assert refused.status_code == 409
    assert "changed since this preview" in refused.json()["detail"]
    # Against the new published plan (version 2), a new request previews from it.
    third = request(client, scenario_id, due="2026-03-05T07:00:00+01:00").json()
    assert third["baseline_version"] == 2


def test_reject_with_a_comment(client: TestClient, published: tuple[str, str]) -> None:
    scenario_id, _ = published
    created = request(client, scenario_id, due=TOO_EARLY).json()
    item = wait_expedite(client, created["id"])
    assert item["status"] == "ready"
    preview = item["preview"]
    assert preview["can_meet"] is False
    earliest = datetime.fromisoformat(preview["earliest_completion"])
    assert earliest > datetime.fromisoformat(TOO_EARLY)
    assert datetime.fromisoformat(preview["completion"]) >= earliest

    response = client.post(
        f"/v1/expedites/{item['id']}/reject",
        json={"comment": "not before Wednesday"},
        headers=auth(),
    )
    assert response.status_code == 200, response.text
    rejected = response.json()
    assert rejected["status"] == "rejected"
    assert rejected["published_plan_id"] is None
    assert [a["kind"] for a in rejected["audit"]] == ["requested", "preview_ready", "rejected"]
    assert rejected["audit"][-1]["comment"] == "not before Wednesday"
    refused = client.post(f"/v1/expedites/{item['id']}/approve", headers=auth())
    assert refused.status_code == 409
    assert "already rejected" in refused.json()["detail"]
    current = client.get(f"/v1/scenarios/{scenario_id}/published", headers=auth()).json()
    assert current["version"] == 1


def test_not_ready_cannot_be_approved_and_rejecting_stops_the_preview(
    client: TestClient, published: tuple[str, str]
) -> None:
    scenario_id, _ = published
    blocker = submit_long(client)  # holds the only solver process: the preview stays queued
    wait_for(client, blocker, lambda job: job["status"] == "solving")
    item = request(client, scenario_id).json()
    refused = client.post(f"/v1/expedites/{item['id']}/approve", headers=auth())
    assert refused.status_code == 409
    assert "not ready yet" in refused.json()["detail"]
    rejected = client.post(f"/v1/expedites/{item['id']}/reject", headers=auth()).json()
    assert rejected["status"] == "rejected"
    assert rejected["job_status"] == "cancelled"
    assert [a["kind"] for a in rejected["audit"]] == ["requested", "rejected"]
    client.delete(f"/v1/solves/{blocker}", headers=auth())


def test_unknown_or_done_orders_and_other_clear_errors(
    client: TestClient, published: tuple[str, str]
) -> None:
    scenario_id, _ = published
    unknown = request(client, scenario_id, order="T-99")
    assert unknown.status_code == 422
    assert "order 'T-99' does not exist" in unknown.json()["detail"]
    assert unknown.json()["problems"][0]["path"] == "order_id"
    done = request(client, scenario_id, order="T-2")
    assert done.status_code == 422
    assert "T-2 is already done" in done.json()["detail"]
    naive = request(client, scenario_id, due="2026-03-04T10:00:00")
    assert naive.status_code == 422
    assert naive.json()["problems"][0]["path"] == "requested_due"
    assert request(client, "unknown").status_code == 404
    not_published = request(client, "example-teaching")
    assert not_published.status_code == 409
    assert "no published plan yet" in not_published.json()["detail"]
    too_long = request(client, scenario_id, time_limit=1000)
    assert too_long.status_code == 422
    # The short field names of the command line are accepted too.
    short = client.post(
        "/v1/expedites",
        json={"scenario_id": scenario_id, "order": "T-3", "due": MEETABLE, "reason": "r"},
        headers=auth(Role.MARKETING),
    )
    assert short.status_code == 202, short.text
    assert short.json()["order_id"] == "T-3"
    for method, path in [
        ("GET", "/v1/expedites/unknown"),
        ("POST", "/v1/expedites/unknown/approve"),
        ("POST", "/v1/expedites/unknown/reject"),
        ("POST", "/v1/expedites/unknown/comments"),
    ]:
        body = {"comment": "x"} if path.endswith("comments") else None
        assert client.request(method, path, json=body, headers=auth()).status_code == 404


def test_an_order_the_engine_refuses_in_the_job_fails_with_its_reason(
    client: TestClient, published: tuple[str, str]
) -> None:
    # A request validated up front cannot reach the engine with a bad order; one stored
    # directly shows what the engine's refusal inside the job looks like.
    scenario_id, _ = published
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        scenario = jobs.get_scenario(session, scenario_id)
        baseline = jobs.current_published(session, scenario_id)
        assert baseline is not None
        job = jobs.create_job(
            session,
            scenario,
            time_limit=2,
            workers=1,
            seed=0,
            method="cp",
            kind=JobKind.EXPEDITE,
            commit=False,
        )
        session.add(
            ExpediteRow(
                id="engine-refusal",
                scenario_id=scenario_id,
                job_id=job.id,
                baseline_plan_id=baseline.id,
                order_id="T-2",
                requested_due=MEETABLE,
                reason="test",
                status="previewing",
                requested_by="0" * 64,
                requested_role="planner",
                created_at=utcnow(),
            )
        )
        session.commit()
    client.app.state.runner.wake()  # type: ignore[attr-defined]
    item = wait_expedite(client, "engine-refusal")
    assert item["status"] == "failed"
    assert item["job_status"] == "failed"
    assert "T-2 is already done" in item["error"]
    assert [a["kind"] for a in item["audit"]] == ["preview_failed"]
    refused = client.post("/v1/expedites/engine-refusal/approve", headers=auth())
    assert refused.status_code == 409
    assert "has no preview" in refused.json()["detail"]


@pytest.fixture
def quota_client(database_url: str) -> Iterator[TestClient]:
    with running(make_settings(database_url, expedite_quota=2)) as client:
        yield client


def test_quota_refuses_with_retry_after(quota_client: TestClient, database_url: str) -> None:
    client = quota_client
    solve_id = solve(client)
    publish(client, solve_id)
    scenario_id = client.get(f"/v1/solves/{solve_id}", headers=auth()).json()["scenario_id"]
    first = request(client, scenario_id)
    assert first.status_code == 202
    time.sleep(0.01)
    second = request(client, scenario_id, due=TOO_EARLY)
    assert second.status_code == 202

    refused = request(client, scenario_id)
    assert refused.status_code == 429, refused.text
    detail = refused.json()["detail"]
    assert "quota" in detail and "at most 2" in detail
    retry = int(refused.headers["Retry-After"])
    week = int(timedelta(days=7).total_seconds())
    assert week - 60 < retry <= week
    frees = datetime.fromisoformat(first.json()["created_at"]) + timedelta(days=7)
    assert frees.isoformat(timespec="seconds") in detail
    assert abs((datetime.now(UTC) + timedelta(seconds=retry) - frees).total_seconds()) < 60
    # Planners decide and are not counted; other keys' quotas are their own.
    assert request(client, scenario_id, role=Role.PLANNER).status_code == 202

    # A rejected request no longer counts; the quota then frees up with the second one.
    client.post(f"/v1/expedites/{first.json()['id']}/reject", headers=auth())
    third = request(client, scenario_id)
    assert third.status_code == 202
    refused = request(client, scenario_id)
    assert refused.status_code == 429
    frees = datetime.fromisoformat(second.json()["created_at"]) + timedelta(days=7)
    assert frees.isoformat(timespec="seconds") in refused.json()["detail"]

    # Keys are identified by a hash; the raw key is never stored.
    digest = hashlib.sha256(KEYS[Role.MARKETING].encode()).hexdigest()
    assert third.json()["requested_by"] == f"key-{digest[:12]}"
    with client.app.state.db.session() as session:  # type: ignore[attr-defined]
        row = session.get(ExpediteRow, third.json()["id"])
        assert row is not None and row.requested_by == digest
    path = Path(database_url.removeprefix("sqlite:///"))
    for file in path.parent.glob(path.name + "*"):
        assert KEYS[Role.MARKETING].encode() not in file.read_bytes()


def test_roles(client: TestClient, published: tuple[str, str]) -> None:
    scenario_id, solve_id = published
    for role in (Role.VIEWER, Role.SERVICE):
        refused = request(client, scenario_id, role=role)
        assert refused.status_code == 403
        assert role.value in refused.json()["detail"]
    for role in (Role.MARKETING, Role.VIEWER, Role.SERVICE):
        assert publish(client, solve_id, role=role).status_code == 403
    item = request(client, scenario_id).json()
    for role in (Role.MARKETING, Role.VIEWER, Role.SERVICE):
        for action in ("approve", "reject"):
            response = client.post(f"/v1/expedites/{item['id']}/{action}", headers=auth(role))
            assert response.status_code == 403
    for role in Role:
        assert client.get(f"/v1/expedites/{item['id']}", headers=auth(role)).status_code == 200
        assert client.get("/v1/expedites", headers=auth(role)).status_code == 200
        assert client.get("/v1/plans", headers=auth(role)).status_code == 200
    comment = {"comment": "the customer confirmed by phone"}
    assert (
        client.post(
            f"/v1/expedites/{item['id']}/comments", json=comment, headers=auth(Role.VIEWER)
        ).status_code
        == 403
    )
    assert client.post("/v1/expedites", json={}).status_code == 401


def test_list_with_audit_trails(client: TestClient, published: tuple[str, str]) -> None:
    scenario_id, _ = published
    approved = request(client, scenario_id).json()
    wait_expedite(client, approved["id"])
    client.post(f"/v1/expedites/{approved['id']}/approve", json={"comment": "go"}, headers=auth())
    rejected = request(client, scenario_id, due=TOO_EARLY).json()
    commented = client.post(
        f"/v1/expedites/{rejected['id']}/comments",
        json={"comment": "the customer would take Wednesday"},
        headers=auth(Role.MARKETING),
    )
    assert commented.status_code == 201
    wait_expedite(client, rejected["id"])
    client.post(f"/v1/expedites/{rejected['id']}/reject", json={"comment": "no"}, headers=auth())

    everything = client.get("/v1/expedites", headers=auth(Role.VIEWER)).json()
    assert everything["total"] == 2
    assert [i["id"] for i in everything["items"]] == [rejected["id"], approved["id"]]
    assert all(i["preview"]["plan"] is None for i in everything["items"])

    only = client.get("/v1/expedites?status=approved", headers=auth(Role.VIEWER)).json()
    assert [i["id"] for i in only["items"]] == [approved["id"]]
    trail = only["items"][0]["audit"]
    assert [(a["kind"], a["comment"]) for a in trail] == [
        ("requested", "customer asks for T-3"),
        ("preview_ready", None),
        ("approved", "go"),
    ]
    assert all(a["at"] for a in trail)

    closed = client.get("/v1/expedites?status=rejected", headers=auth()).json()["items"][0]
    kinds = [(a["kind"], a["role"], a["comment"]) for a in closed["audit"]]
    assert ("commented", "marketing", "the customer would take Wednesday") in kinds
    assert kinds[-1] == ("rejected", "planner", "no")
    assert client.get("/v1/expedites?status=ready", headers=auth()).json()["total"] == 0
    assert client.get("/v1/expedites?status=nonsense", headers=auth()).status_code == 422
    other = client.get("/v1/expedites?scenario_id=example-plant", headers=auth()).json()
    assert other["total"] == 0
