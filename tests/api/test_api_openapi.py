"""Requests generated from the OpenAPI document (schemathesis): never a server error.

Every operation gets a bounded number of generated requests, valid and invalid
ones, sent with a planner's key (every operation is open to that role).
"""

from __future__ import annotations

import tempfile

import schemathesis
from api_helpers import auth, make_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.main import create_app

# Schemathesis starts the application's lifespan on the first request and keeps it to the end
# of the process, so the store lives in a folder of the same lifetime.
_STORE = tempfile.TemporaryDirectory(prefix="orderplan-openapi-", ignore_cleanup_errors=True)
# Solves the examples ask for must end quickly, and a queued one must not hold up the rest.
APP = create_app(
    make_settings(f"sqlite:///{_STORE.name}/orderplan.db", time_limit_cap=2, sync_time_limit_cap=2)
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(headers=auth(), checks=[not_a_server_error])


def test_document_is_complete() -> None:
    document = APP.openapi()
    assert set(document["paths"]) >= {
        "/v1/scenarios/validate",
        "/v1/scenarios",
        "/v1/scenarios/{scenario_id}",
        "/v1/solves",
        "/v1/solve",
        "/v1/solves/{solve_id}",
        "/v1/solves/{solve_id}/events",
        "/v1/solves/{solve_id}/plan.csv",
        "/v1/health",
    }
    assert {"APIKeyHeader", "HTTPBearer"} <= set(document["components"]["securitySchemes"])
    assert document["components"]["schemas"]["SolveCreate"].get("examples")
