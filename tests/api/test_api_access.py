"""Access: 401 without or with an unknown key, 403 for a role that may not, per endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from api_helpers import KEYS, TINY, auth, make_settings, running
from fastapi.testclient import TestClient

from api.config import Role

WRITERS = {Role.PLANNER, Role.SERVICE}
EVERYONE = set(Role)

# Bodies that a permitted role gets refused with 422, so that no test here starts a solve.
ENDPOINTS: list[tuple[str, str, dict[str, Any] | None, set[Role]]] = [
    ("POST", "/v1/scenarios/validate", {"scenario": TINY}, WRITERS),
    ("GET", "/v1/scenarios", None, EVERYONE),
    ("GET", "/v1/scenarios/example-teaching", None, EVERYONE),
    ("POST", "/v1/solves", {"scenario": {}}, WRITERS),
    ("POST", "/v1/solve", {"scenario": {}}, WRITERS),
    ("GET", "/v1/solves", None, EVERYONE),
    ("GET", "/v1/solves/unknown", None, EVERYONE),
    ("DELETE", "/v1/solves/unknown", None, WRITERS),
    ("GET", "/v1/solves/unknown/events", None, EVERYONE),
    ("GET", "/v1/solves/unknown/plan.csv", None, EVERYONE),
]
IDS = [f"{method} {path}" for method, path, _, _ in ENDPOINTS]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("access") / "orderplan.db"
    with running(make_settings(f"sqlite:///{path}")) as client:
        yield client


def call(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> int:
    return client.request(method, path, json=body, headers=headers).status_code


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=IDS)
def test_without_a_key_is_401(
    shared: TestClient, method: str, path: str, body: Any, allowed: set[Role]
) -> None:
    response = shared.request(method, path, json=body)
    assert response.status_code == 401
    assert "API key" in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=IDS)
def test_unknown_key_is_401(
    shared: TestClient, method: str, path: str, body: Any, allowed: set[Role]
) -> None:
    assert call(shared, method, path, body, {"X-API-Key": "not-a-key-at-all"}) == 401
    assert call(shared, method, path, body, {"Authorization": "Bearer not-a-key"}) == 401


@pytest.mark.parametrize(("method", "path", "body", "allowed"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_roles(
    shared: TestClient, method: str, path: str, body: Any, allowed: set[Role], role: Role
) -> None:
    status = call(shared, method, path, body, auth(role))
    if role in allowed:
        assert status in (200, 404, 422), status
    else:
        assert status == 403
        detail = shared.request(method, path, json=body, headers=auth(role)).json()["detail"]
        assert role.value in detail


def test_bearer_token_is_accepted(shared: TestClient) -> None:
    response = shared.get("/v1/scenarios", headers={"Authorization": f"Bearer {KEYS[Role.VIEWER]}"})
    assert response.status_code == 200


def test_health_needs_no_key(shared: TestClient) -> None:
    body = shared.get("/v1/health").json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["max_concurrent_solves"] == 1


def test_root_page_links_to_the_docs(shared: TestClient) -> None:
    response = shared.get("/")
    assert response.status_code == 200
    assert 'href="/docs"' in response.text
    assert shared.get("/docs").status_code == 200
