"""Scenarios: validation (every problem with its path), examples listed and read."""

from __future__ import annotations

import json

import yaml
from api_helpers import SCENARIOS, TINY, auth
from fastapi.testclient import TestClient

from api.config import Role


def test_valid_scenario_as_object(client: TestClient) -> None:
    response = client.post("/v1/scenarios/validate", json={"scenario": TINY}, headers=auth())
    assert response.status_code == 200
    assert response.json() == {"valid": True, "name": "two orders", "orders": 2, "problems": []}


def test_valid_scenario_as_yaml_and_json_text(client: TestClient) -> None:
    text = (SCENARIOS / "teaching.yaml").read_text(encoding="utf-8")
    for body in ({"scenario_text": text}, {"scenario_text": json.dumps(TINY)}):
        report = client.post("/v1/scenarios/validate", json=body, headers=auth(Role.SERVICE)).json()
        assert report["valid"], report


def test_every_problem_with_its_path(client: TestClient) -> None:
    bad = json.loads(json.dumps(TINY))
    bad["orders"][0]["lines"][0]["product"] = "oak-tabel"
    bad["orders"][1]["due"] = "2026-12-01T01:00:00"
    report = client.post("/v1/scenarios/validate", json={"scenario": bad}, headers=auth()).json()
    assert report["valid"] is False
    paths = {p["path"]: p["message"] for p in report["problems"]}
    assert "unknown product 'oak-tabel'" in paths["orders[0].lines[0].product"]
    assert "UTC offset" in paths["orders[1].due"]


def test_unreadable_text_is_a_located_problem(client: TestClient) -> None:
    report = client.post(
        "/v1/scenarios/validate", json={"scenario_text": "a: [1, 2"}, headers=auth()
    ).json()
    assert report["valid"] is False
    assert report["problems"][0]["message"].startswith("not valid YAML")
    report = client.post(
        "/v1/scenarios/validate", json={"scenario_text": yaml.safe_dump([1, 2])}, headers=auth()
    ).json()
    assert report["valid"] is False


def test_exactly_one_source(client: TestClient) -> None:
    for body in ({}, {"scenario": TINY, "scenario_text": "x: 1"}):
        response = client.post("/v1/scenarios/validate", json=body, headers=auth())
        assert response.status_code == 422
        assert "exactly one of" in response.json()["problems"][0]["message"]


def test_not_json_is_422(client: TestClient) -> None:
    response = client.post(
        "/v1/scenarios/validate",
        content=b"{not json",
        headers={**auth(), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["problems"][0]["message"].startswith("not valid JSON")


def test_examples_are_listed_and_read(client: TestClient) -> None:
    items = client.get("/v1/scenarios", headers=auth(Role.VIEWER)).json()["items"]
    ids = {item["id"] for item in items}
    expected = {f"example-{path.stem}" for path in SCENARIOS.glob("*.yaml")}
    assert expected <= ids
    assert all(item["origin"] == "example" for item in items if item["id"] in expected)
    one = client.get("/v1/scenarios/example-teaching", headers=auth(Role.MARKETING)).json()
    assert one["content"]["name"] == one["name"]
    assert one["orders"] == len(one["content"]["orders"])


def test_unknown_scenario_is_404(client: TestClient) -> None:
    response = client.get("/v1/scenarios/nope", headers=auth())
    assert response.status_code == 404
    assert "nope" in response.json()["detail"]


def test_uploaded_scenario_is_stored_with_its_solve(client: TestClient) -> None:
    job = client.post(
        "/v1/solves", json={"scenario": TINY, "time_limit": 1, "workers": 1}, headers=auth()
    ).json()
    stored = client.get(f"/v1/scenarios/{job['scenario_id']}", headers=auth()).json()
    assert stored["origin"] == "upload"
    assert stored["name"] == "two orders"


def test_yaml_alias_bomb_is_refused(client: TestClient) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    response = client.post(
        "/v1/scenarios/validate", json={"scenario_text": "\n".join(lines)}, headers=auth()
    )
    assert response.status_code == 200
    assert "expands to more than" in response.json()["problems"][0]["message"]
