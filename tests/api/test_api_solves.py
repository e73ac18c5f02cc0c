"""Solves: queue, read, list with queue positions, solve at once, cancel, events, CSV, limits."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from typing import Any

import pytest
from api_helpers import (
    KEYS,
    SCENARIOS,
    TINY,
    auth,
    ended,
    has_plan,
    solve_body,
    submit,
    submit_long,
    wait_for,
)
from fastapi.testclient import TestClient

from api.config import Role
from engine.check import check_plan
from engine.io import loads_scenario, scenario_from_data
from engine.model import Plan


def test_queued_solve_completes_with_a_checked_plan(client: TestClient) -> None:
    response = client.post("/v1/solves", json=solve_body(), headers=auth(Role.SERVICE))
    assert response.status_code == 202
    queued = response.json()
    assert queued["status"] in ("queued", "solving")
    assert response.headers["Location"] == f"/v1/solves/{queued['id']}"
    job = wait_for(client, queued["id"], ended)
    assert job["status"] == "completed"
    assert job["plan_status"] == "optimal"
    assert job["gap"] == 0.0
    assert job["attempts"] == 1
    plan = Plan.model_validate(job["plan"])
    assert plan.objective.total == pytest.approx(job["objective"])
    assert check_plan(scenario_from_data(TINY), plan).ok
    viewer = client.get(f"/v1/solves/{queued['id']}?plan=false", headers=auth(Role.VIEWER))
    assert viewer.status_code == 200
    assert viewer.json()["plan"] is None


def test_solve_at_once(client: TestClient) -> None:
    text = (SCENARIOS / "teaching.yaml").read_text(encoding="utf-8")
    response = client.post(
        "/v1/solve",
        json={"scenario_text": text, "time_limit": 5, "workers": 1},
        headers=auth(Role.SERVICE),
    )
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "completed"
    assert check_plan(loads_scenario(text), Plan.model_validate(job["plan"])).ok
    again = client.get(f"/v1/solves/{job['id']}", headers=auth()).json()
    assert again["objective"] == job["objective"]


def test_stored_scenario_by_id_and_the_heuristic(client: TestClient) -> None:
    body = {"scenario_id": "example-teaching", "time_limit": 2, "method": "dispatch"}
    job = client.post("/v1/solve", json=body, headers=auth()).json()
    assert job["status"] == "completed"
    assert job["plan"]["method"] == "dispatch"
    missing = client.post("/v1/solves", json={"scenario_id": "nope"}, headers=auth())
    assert missing.status_code == 404


def test_infeasible_scenario(client: TestClient) -> None:
    body = {"scenario_id": "example-infeasible", "time_limit": 5, "workers": 1}
    job = client.post("/v1/solve", json=body, headers=auth()).json()
    assert job["status"] == "infeasible"
    assert job["plan"]["reasons"]
    assert "A-1" in job["error"]
    csv_text = client.get(f"/v1/solves/{job['id']}/plan.csv", headers=auth()).text
    assert csv_text.count("\n") == 1  # the header row alone


def test_invalid_scenario_is_422_with_paths(client: TestClient) -> None:
    bad = json.loads(json.dumps(TINY))
    bad["machines"] = []
    bad["orders"][0]["customer"] = "nobody"
    for path in ("/v1/solves", "/v1/solve"):
        response = client.post(path, json=solve_body(bad), headers=auth())
        assert response.status_code == 422
        body = response.json()
        assert body["detail"].startswith("invalid scenario")
        assert {"machines", "orders[0].customer"} <= {p["path"] for p in body["problems"]}
    assert client.get("/v1/solves", headers=auth()).json()["total"] == 0


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/solves", {"time_limit": 121}, "time_limit"),
        ("/v1/solve", {"time_limit": 11}, "time_limit"),
        ("/v1/solves", {"workers": 2}, "workers"),
        ("/v1/solves", {"time_limit": 0}, "time_limit"),
        ("/v1/solves", {"time_limit": "soon"}, "time_limit"),
        ("/v1/solves", {"seed": -1}, "seed"),
        ("/v1/solves", {"method": "magic"}, "method"),
        ("/v1/solves", {"colour": "red"}, "colour"),
    ],
)
def test_limits_and_bad_fields_are_422(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=solve_body(**body), headers=auth())
    assert response.status_code == 422
    assert field in {p["path"] for p in response.json()["problems"]}


def test_oversized_body_is_413(client: TestClient) -> None:
    big = {"scenario_text": "x" * 300_000}
    response = client.post("/v1/solves", json=big, headers=auth())
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]

    def chunks() -> Any:
        for _ in range(30):
            yield b" " * 10_000

    streamed = client.post(
        "/v1/scenarios/validate",
        content=chunks(),
        headers={**auth(), "Content-Type": "application/json"},
    )
    assert streamed.status_code == 413


def test_list_with_queue_positions(client: TestClient) -> None:
    first = submit_long(client)
    wait_for(client, first, lambda j: j["status"] == "solving")
    second, third = submit(client, solve_body()), submit(client, solve_body())
    listing = client.get("/v1/solves", headers=auth(Role.MARKETING)).json()
    assert listing["total"] == 3
    by_id = {item["id"]: item for item in listing["items"]}
    assert [item["id"] for item in listing["items"]] == [third, second, first]
    assert by_id[first]["queue_position"] is None
    assert by_id[second]["queue_position"] == 1
    assert by_id[third]["queue_position"] == 2
    assert client.get(f"/v1/solves/{third}", headers=auth()).json()["queue_position"] == 2
    queued = client.get("/v1/solves?status=queued&limit=1", headers=auth()).json()
    assert queued["total"] == 2
    assert [item["id"] for item in queued["items"]] == [third]
    # Cancelling a queued job moves the one behind it up; the running one goes on.
    assert client.delete(f"/v1/solves/{second}", headers=auth()).json()["status"] == "cancelled"
    assert client.get(f"/v1/solves/{third}", headers=auth()).json()["queue_position"] == 1
    assert client.delete(f"/v1/solves/{first}", headers=auth()).json()["status"] == "cancelled"
    job = wait_for(client, third, ended)
    assert job["status"] == "completed"


def test_cancel_stops_at_once_and_keeps_the_best_plan(client: TestClient) -> None:
    job_id = submit_long(client)
    running = wait_for(client, job_id, has_plan)
    assert running["status"] == "solving"
    started = time.monotonic()
    response = client.delete(f"/v1/solves/{job_id}", headers=auth(Role.SERVICE))
    took = time.monotonic() - started
    assert response.status_code == 200
    assert took < 2.0
    job = response.json()
    assert job["status"] == "cancelled"
    assert job["objective"] is not None
    assert job["objective"] <= running["objective"]
    plan = Plan.model_validate(job["plan"])
    assert plan.assignments
    assert plan.objective.total == pytest.approx(job["objective"])
    assert check_plan(loads_scenario((SCENARIOS / "plant.yaml").read_text()), plan).ok
    health = client.get("/v1/health").json()
    assert health["solving"] == 0
    again = client.delete(f"/v1/solves/{job_id}", headers=auth())
    assert again.status_code == 409


def test_events_stream_to_the_end(client: TestClient) -> None:
    job_id = submit(client, solve_body(time_limit=3))
    seen: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/v1/solves/{job_id}/events", headers=auth(Role.VIEWER)) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        kind, ids = "", []
        for line in r.iter_lines():
            if line.startswith("id: "):
                ids.append(int(line[4:]))
            elif line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                seen.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in seen]
    assert kinds[0] == "queued"
    assert "started" in kinds
    assert kinds[-1] == "end"
    assert kinds.count("end") == 1
    assert ids == sorted(ids)
    progress = [d["data"] for k, d in seen if k == "progress"]
    assert progress
    assert [p["objective"] for p in progress] == sorted(
        (p["objective"] for p in progress), reverse=True
    )
    end = seen[-1][1]["data"]
    assert end["status"] == "completed"
    assert end["objective"] == pytest.approx(progress[-1]["objective"])
    # Replaying after the last id sends nothing more; after an earlier id, the rest.
    after_all = client.get(
        f"/v1/solves/{job_id}/events", headers={**auth(), "Last-Event-ID": str(ids[-1])}
    )
    assert after_all.text == ""
    rest = client.get(f"/v1/solves/{job_id}/events?after={ids[-2]}", headers=auth()).text
    assert rest.startswith(f"id: {ids[-1]}\nevent: end\n")


def test_plan_as_csv(client: TestClient) -> None:
    job = client.post(
        "/v1/solve", json={"scenario_id": "example-teaching", "time_limit": 5}, headers=auth()
    ).json()
    response = client.get(f"/v1/solves/{job['id']}/plan.csv", headers=auth(Role.MARKETING))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == len(job["plan"]["assignments"])
    first = rows[0]
    assert set(first) >= {"order", "operation", "machine", "staff", "start", "end", "tier"}
    orders = {o["id"]: o for o in job["plan"]["orders"]}
    assert all(row["customer"] == orders[row["order"]]["customer"] for row in rows)


def test_no_plan_yet_and_unknown_solves(client: TestClient) -> None:
    first = submit_long(client)
    queued = submit(client, solve_body())
    response = client.get(f"/v1/solves/{queued}/plan.csv", headers=auth())
    assert response.status_code == 404
    assert "no plan yet" in response.json()["detail"]
    for method, path in [
        ("GET", "/v1/solves/nope"),
        ("DELETE", "/v1/solves/nope"),
        ("GET", "/v1/solves/nope/events"),
        ("GET", "/v1/solves/nope/plan.csv"),
    ]:
        assert client.request(method, path, headers=auth()).status_code == 404
    client.delete(f"/v1/solves/{first}", headers=auth())
    client.delete(f"/v1/solves/{queued}", headers=auth())


def test_roles_that_may_not_solve(client: TestClient) -> None:
    for role in (Role.VIEWER, Role.MARKETING):
        response = client.post("/v1/solves", json=solve_body(), headers=auth(role))
        assert response.status_code == 403
    assert client.get("/v1/solves", headers={"X-API-Key": KEYS[Role.VIEWER]}).json()["total"] == 0


def test_streams_end_when_the_service_stops(client: TestClient) -> None:
    job_id = submit_long(client)
    wait_for(client, job_id, has_plan)
    notifier = client.app.state.notifier  # type: ignore[attr-defined]
    stopper = threading.Timer(0.5, notifier.close)
    stopper.start()
    started = time.monotonic()
    with client.stream("GET", f"/v1/solves/{job_id}/events", headers=auth()) as response:
        text = "".join(response.iter_text())
    assert time.monotonic() - started < 5
    assert "event: progress" in text
    assert "event: end" not in text
    stopper.join()
    client.delete(f"/v1/solves/{job_id}", headers=auth())
