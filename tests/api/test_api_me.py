"""GET /v1/me tells a key its role and the id its actions are recorded under."""

from __future__ import annotations

import pytest
from api_helpers import KEYS, auth
from fastapi.testclient import TestClient

from api.config import Role


@pytest.mark.parametrize("role", list(Role))
def test_me_names_the_role(client: TestClient, role: Role) -> None:
    answer = client.get("/v1/me", headers=auth(role))
    assert answer.status_code == 200
    body = answer.json()
    assert body["role"] == role.value
    assert body["key_id"].startswith("key-")
    assert KEYS[role] not in body["key_id"]


def test_me_needs_a_known_key(client: TestClient) -> None:
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/me", headers={"X-API-Key": "not-a-key-at-all"}).status_code == 401
