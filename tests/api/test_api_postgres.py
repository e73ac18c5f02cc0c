"""The store on PostgreSQL: migrations, a queued and a synchronous solve, in a schema of its own.

Skipped when no server answers at ``ORDERPLAN_TEST_POSTGRES`` (by default
``postgresql+psycopg://postgres@127.0.0.1:5432/test``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from api_helpers import auth, ended, make_settings, running, solve_body, submit, wait_for
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

URL = os.environ.get("ORDERPLAN_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The test server's URL, searching a fresh schema that is dropped afterwards."""
    schema = f"orderplan_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(URL, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL unreachable at {URL}: {str(exc).splitlines()[0]}")
    url = make_url(URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_solves_on_postgresql(postgres_url: str) -> None:
    settings = make_settings(postgres_url)
    with running(settings) as client:
        queued = submit(client, solve_body())
        job = wait_for(client, queued, ended)
        assert job["status"] == "completed"
        direct = client.post("/v1/solve", json=solve_body(), headers=auth()).json()
        assert direct["objective"] == job["objective"]
        assert client.get("/v1/solves", headers=auth()).json()["total"] == 2
    # The schema is upgraded in place and the jobs are still there after a restart.
    with running(settings) as client:
        again = client.get(f"/v1/solves/{queued}", headers=auth()).json()
        assert again["plan"] == job["plan"]
        events = client.get(f"/v1/solves/{queued}/events", headers=auth()).text
        assert "event: end" in events
