"""Fixtures of the service tests (helpers are in ``api_helpers``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from api_helpers import make_settings, running
from fastapi.testclient import TestClient

from api.config import Settings


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh SQLite store file."""
    return f"sqlite:///{tmp_path / 'orderplan.db'}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings on the fresh store."""
    return make_settings(database_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A started service on a fresh store."""
    with running(settings) as client:
        yield client


@pytest.fixture
def serve() -> Callable[[Settings], AbstractContextManager[TestClient]]:
    """Start a service with given settings (for restarts on the same store)."""
    return running
