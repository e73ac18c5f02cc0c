"""Domain errors and their HTTP answers, in one place.

Every error answer has the body ``{"detail": str, "problems": [{"path", "message"}]}``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import ErrorBody
from engine.io import ScenarioError, format_loc

log = logging.getLogger("orderplan.api")


class ServiceError(Exception):
    """An error the client can act on; subclasses fix the HTTP status.

    Parameters
    ----------
    detail
        One sentence saying what went wrong.
    problems
        ``(path, message)`` pairs locating each problem, if any.
    headers
        Extra response headers.
    """

    status_code: ClassVar[int] = 400

    def __init__(
        self,
        detail: str,
        problems: Sequence[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = list(problems)
        self.headers = headers


class Unauthorized(ServiceError):
    """No API key, or an unknown one."""

    status_code = 401


class Forbidden(ServiceError):
    """A key whose role may not do this."""

    status_code = 403


class NotFound(ServiceError):
    """No such scenario or solve."""

    status_code = 404


class Conflict(ServiceError):
    """The request does not fit the resource's state (cancelling a finished solve)."""

    status_code = 409


class PayloadTooLarge(ServiceError):
    """A request body above ``max_body_bytes``."""

    status_code = 413


class InvalidRequest(ServiceError):
    """A well-formed request whose values are refused (a time limit above the cap)."""

    status_code = 422


class TooManyRequests(ServiceError):
    """A quota is used up; ``Retry-After`` says when it frees up."""

    status_code = 429


class Unavailable(ServiceError):
    """The store cannot be reached."""

    status_code = 503


def error_response(
    status: int,
    detail: str,
    problems: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """The JSON answer of an error."""
    body = {"detail": detail, "problems": [{"path": p, "message": m} for p, m in problems]}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


async def _service_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return error_response(exc.status_code, exc.detail, exc.problems, exc.headers)


async def _scenario_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ScenarioError)
    problems = [(p.path, p.message) for p in exc.problems]
    return error_response(422, f"invalid scenario: {len(problems)} problem(s)", problems)


def _request_problem(item: dict[str, Any]) -> tuple[str, str]:
    loc = list(item.get("loc", ()))
    if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
        loc = loc[1:]
    message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
    if item.get("type") == "json_invalid":
        message = f"not valid JSON: {item.get('ctx', {}).get('error', message)}"
        loc = []
    return format_loc(str(x) if not isinstance(x, int) else x for x in loc), message


async def _request_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [_request_problem(dict(item)) for item in exc.errors()]
    return error_response(422, f"invalid request: {len(problems)} problem(s)", problems)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, str(exc.detail), headers=exc.headers)


async def _store_error(_request: Request, exc: Exception) -> JSONResponse:
    log.error("store unavailable: %s", exc)
    return error_response(503, "the store is unavailable; try again later")


async def _internal_error(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("internal error", exc_info=exc)
    return error_response(500, "internal error")


def install(app: FastAPI) -> None:
    """Map every domain error to its HTTP answer."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(ScenarioError, _scenario_error)
    app.add_exception_handler(RequestValidationError, _request_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _store_error)
    app.add_exception_handler(Exception, _internal_error)


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers ``codes`` of an operation."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


_DESCRIPTIONS = {
    401: "No API key, or an unknown one.",
    403: "The key's role may not do this.",
    404: "No such resource.",
    409: "The resource's state does not allow this.",
    413: "Request body above the size limit.",
    422: "Invalid request or scenario; each problem with its path.",
    429: "Quota used up; the Retry-After header says in how many seconds it frees up.",
}
