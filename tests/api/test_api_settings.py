"""Settings: environment, demo keys in development, no start without keys in production."""

from __future__ import annotations

import os

import pytest
from api_helpers import auth, make_settings, running
from pydantic import ValidationError
from sqlalchemy import inspect

from api.config import Role, Settings
from api.main import create_app
from api.store import Base, Database


def test_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERPLAN_API_KEYS", '{"a-long-secret": "viewer"}')
    monkeypatch.setenv("ORDERPLAN_MAX_CONCURRENT_SOLVES", "3")
    monkeypatch.setenv("ORDERPLAN_DATABASE_URL", "sqlite:///elsewhere.db")
    settings = Settings()
    assert settings.api_keys == {"a-long-secret": Role.VIEWER}
    assert settings.max_concurrent_solves == 3
    assert settings.database_url == "sqlite:///elsewhere.db"


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if n.startswith("ORDERPLAN_")]:
        monkeypatch.delenv(name)
    settings = Settings()
    assert settings.database_url == "sqlite:///./orderplan.db"
    assert settings.max_concurrent_solves == 1
    assert settings.workers_per_solve == 2
    assert settings.sync_time_limit_cap == 30
    assert settings.time_limit_cap == 600
    assert settings.max_body_bytes == 5 * 1024 * 1024
    assert settings.environment == "development"


def test_production_refuses_to_start_without_keys() -> None:
    with pytest.raises(ValidationError, match="production needs API keys"):
        Settings(environment="production")
    Settings(environment="production", api_keys={"a-long-secret": Role.PLANNER})


def test_unknown_role_and_short_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(api_keys={"a-long-secret": "admin"})  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="at least 8"):
        Settings(api_keys={"short": Role.PLANNER})


def test_development_generates_demo_keys(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(Settings(database_url=database_url))
    printed = capsys.readouterr().out
    keys: dict[str, Role] = app.state.api_keys
    assert sorted(keys.values()) == sorted(Role)
    for key, role in keys.items():
        assert f"{role.value:<10} {key}" in printed
        assert len(key) > 20
    again = create_app(Settings(database_url=database_url)).state.api_keys
    assert set(again).isdisjoint(keys)


def test_migrations_match_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(database_url)
    db.upgrade()
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    assert "alembic_version" in inspect(db.engine).get_table_names()
    db.dispose()


def test_examples_stored_once(database_url: str) -> None:
    settings = make_settings(database_url)
    for _ in range(2):
        with running(settings) as client:
            items = client.get("/v1/scenarios", headers=auth())
            ids = [item["id"] for item in items.json()["items"]]
            assert len(ids) == len(set(ids))
