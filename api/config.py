"""Service settings: one class, read from ``ORDERPLAN_*`` environment variables."""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Role(StrEnum):
    """What a key may do.

    ``planner`` may do everything (publishing plans and deciding on expedites only
    it may); ``marketing`` reads and requests expedites (within a quota);
    ``viewer`` reads scenarios, solves and plans; ``service`` validates and
    solves (and reads its results).
    """

    PLANNER = "planner"
    MARKETING = "marketing"
    SERVICE = "service"
    VIEWER = "viewer"


class Settings(BaseSettings):
    """Everything the service can be configured with.

    Every field is read from the environment variable of its upper-cased name
    with the prefix ``ORDERPLAN_`` (``ORDERPLAN_DATABASE_URL``,
    ``ORDERPLAN_API_KEYS='{"k1": "planner"}'``).

    Parameters
    ----------
    environment
        ``development`` generates one random demo key per role when no key is
        configured (and prints them at start); ``production`` refuses to start
        without configured keys.
    database_url
        SQLAlchemy URL of the store: an embedded SQLite file by default, or
        ``postgresql+psycopg://user@host:5432/db``.
    api_keys
        Key to role, as a JSON mapping.
    max_concurrent_solves
        Solver processes running at once; further solves wait in a FIFO queue.
    workers_per_solve
        Most CP-SAT search workers (threads) one solve may use.
    time_limit_cap
        Longest time limit, in seconds, of an asynchronous solve.
    sync_time_limit_cap
        Longest time limit, in seconds, of a synchronous ``POST /v1/solve``.
    max_body_bytes
        Largest request body; larger ones are answered with 413.
    examples_dir
        Folder whose ``*.yaml`` scenarios are stored at start as named examples
        (ids ``example-<file stem>``); none when unset.
    max_attempts
        Times a job interrupted by a server stop is started again before it is
        marked failed (so a scenario that brings the server down cannot loop).
    expedite_quota
        Expedite requests each marketing key may have open or approved within
        any 7 days; the next one is refused with 429.
    """

    model_config = SettingsConfigDict(env_prefix="ORDERPLAN_", extra="ignore", frozen=True)

    environment: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./orderplan.db"
    api_keys: dict[str, Role] = Field(default_factory=dict)
    max_concurrent_solves: int = Field(default=1, ge=1, le=64)
    workers_per_solve: int = Field(default=2, ge=1, le=64)
    time_limit_cap: float = Field(default=600.0, gt=0)
    sync_time_limit_cap: float = Field(default=30.0, gt=0)
    max_body_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    examples_dir: Path | None = None
    max_attempts: int = Field(default=3, ge=1)
    expedite_quota: int = Field(default=3, ge=0)

    @model_validator(mode="after")
    def _keys_in_production(self) -> Settings:
        if self.environment == "production" and not self.api_keys:
            raise ValueError(
                "production needs API keys: set ORDERPLAN_API_KEYS to a JSON mapping "
                'of key to role, e.g. {"<secret>": "planner"}'
            )
        if any(len(key) < 8 for key in self.api_keys):
            raise ValueError("API keys must be at least 8 characters long")
        return self


def demo_keys() -> dict[str, Role]:
    """One fresh random key per role, for a development server started without keys."""
    return {f"{role.value}-{secrets.token_urlsafe(16)}": role for role in Role}
