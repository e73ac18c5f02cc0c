"""Dependency aliases: the store session, settings, the solve runner and the caller's role."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.config import Role, Settings
from api.errors import Forbidden, Unauthorized
from api.runner import Notifier, Runner

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (its role decides what it may do)."
)
bearer = HTTPBearer(auto_error=False, description="The same API key, as a bearer token.")


def get_session(request: Request) -> Iterator[Session]:
    """A store session for one request."""
    with request.app.state.db.session() as session:
        yield session


def get_settings(request: Request) -> Settings:
    """The service's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_runner(request: Request) -> Runner:
    """The solve runner."""
    runner: Runner = request.app.state.runner
    return runner


def get_notifier(request: Request) -> Notifier:
    """The job-change notifier."""
    notifier: Notifier = request.app.state.notifier
    return notifier


def current_role(
    request: Request,
    key: Annotated[str | None, Security(api_key_header)],
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Role:
    """The role of the request's API key (``X-API-Key`` or ``Authorization: Bearer``).

    Raises
    ------
    Unauthorized
        Without a key, or with an unknown one.
    """
    given = key or (token.credentials if token is not None else None)
    challenge = {"WWW-Authenticate": "Bearer"}
    if not given:
        raise Unauthorized(
            "missing API key: send it in the X-API-Key header or as Authorization: Bearer",
            headers=challenge,
        )
    keys: dict[str, Role] = request.app.state.api_keys
    offered = given.encode("utf-8", "surrogateescape")
    role = None
    for known, known_role in keys.items():
        # Compare with every key in constant time: no early exit tells how close a guess was.
        if hmac.compare_digest(known.encode("utf-8"), offered):
            role = known_role
    if role is None:
        raise Unauthorized("unknown API key", headers=challenge)
    return role


CurrentRole = Annotated[Role, Depends(current_role)]


def key_id(key: str) -> str:
    """A stable id of an API key (SHA-256, hex) to store instead of the key."""
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who makes a request: the key's role and its id (a hash of the key)."""

    role: Role
    key_id: str


def current_caller(
    role: CurrentRole,
    key: Annotated[str | None, Security(api_key_header)],
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> Caller:
    """The caller of a request with a known key (401 otherwise, see :func:`current_role`)."""
    given = key or (token.credentials if token is not None else "")
    return Caller(role, key_id(given))


def require_caller(*roles: Role) -> Any:
    """Like :func:`require_role`, giving the :class:`Caller`."""
    allowed = {Role.PLANNER, *roles}
    names = ", ".join(sorted(r.value for r in allowed))

    def check(caller: Annotated[Caller, Depends(current_caller)]) -> Caller:
        if caller.role not in allowed:
            raise Forbidden(f"the {caller.role.value} role may not do this (allowed: {names})")
        return caller

    return Depends(check)


def require_role(*roles: Role) -> Any:
    """A dependency admitting ``planner`` and ``roles``; 403 for any other role."""
    allowed = {Role.PLANNER, *roles}
    names = ", ".join(sorted(r.value for r in allowed))

    def check(role: CurrentRole) -> Role:
        if role not in allowed:
            raise Forbidden(f"the {role.value} role may not do this (allowed: {names})")
        return role

    return Depends(check)


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
RunnerDep = Annotated[Runner, Depends(get_runner)]
NotifierDep = Annotated[Notifier, Depends(get_notifier)]

Reader = Annotated[Role, require_role(Role.MARKETING, Role.SERVICE, Role.VIEWER)]
"""Any role: reading scenarios, solves and plans."""
Solver = Annotated[Role, require_role(Role.SERVICE)]
"""Planners and services: validating, solving and cancelling."""
Planner = Annotated[Caller, require_caller()]
"""Planners alone: publishing plans, deciding on expedites."""
Requester = Annotated[Caller, require_caller(Role.MARKETING)]
"""Planners and marketing: requesting and commenting on expedites."""
