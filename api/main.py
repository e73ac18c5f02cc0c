"""The application factory and the ``orderplan serve`` entry point."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import FrameType

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, jobs
from api.config import Role, Settings, demo_keys
from api.routers import expedites, health, me, plans, scenarios, solves
from api.runner import Notifier, Runner
from api.store import Database

log = logging.getLogger("orderplan.api")

STATIC = Path(__file__).with_name("static")

DESCRIPTION = """\
Optimal order priority and production schedules, as a service.

Send a scenario (format version 1, as a JSON object or as YAML/JSON text) to
`POST /v1/solves` and follow the solve with `GET /v1/solves/{id}` or its
server-sent events; small scenarios can be solved at once with `POST /v1/solve`.

A planner publishes a solve's plan (`POST /v1/plans/{solve_id}/publish`) as the
scenario's next plan version. Marketing asks for an order by a date
(`POST /v1/expedites`); the engine previews it against the published plan
(which orders slip, what it costs) and a planner approves it (publishing the
new plan) or rejects it.

Every `/v1` endpoint but `/v1/health` needs an API key in `X-API-Key` (or
`Authorization: Bearer`). Roles: `planner` (everything), `service` (validate,
solve, cancel, read), `marketing` (read, request and comment on expedites
within a quota) and `viewer` (read).
"""


class BodyLimit:
    """Answer 413 to request bodies above ``max_bytes`` (declared or streamed).

    Parameters
    ----------
    app
        The application to guard.
    max_bytes
        The largest body accepted.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"request body above the limit of {self.max_bytes} bytes"
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await errors.error_response(413, detail)(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI lets an HTTPException raised while reading the body through.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, limited, send)


PLACEHOLDER = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>orderplan</title></head>
<body><h1>orderplan planning service</h1>
<p>The planning page is on its way. Meanwhile the API is documented at
<a href="/docs">/docs</a> (OpenAPI: <a href="/openapi.json">/openapi.json</a>).</p>
</body></html>
"""


def _announce(keys: dict[str, Role]) -> None:
    lines = ["", "orderplan: no API keys configured; demo keys for this run:"]
    lines += [f"  {role.value:<10} {key}" for key, role in keys.items()]
    lines += ["(set ORDERPLAN_API_KEYS to choose your own)", ""]
    print("\n".join(lines), file=sys.stdout, flush=True)


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service.

    Parameters
    ----------
    settings
        The settings; read from ``ORDERPLAN_*`` environment variables when not given.

    Returns
    -------
    FastAPI
        The application. Starting it (its lifespan) upgrades the store's schema,
        re-queues jobs a stopped server left solving, stores the examples and
        starts the solver processes' dispatcher.
    """
    settings = settings or Settings()
    keys = dict(settings.api_keys)
    if not keys:
        # Settings refuse production without keys; development gets fresh demo keys.
        keys = demo_keys()
        _announce(keys)
    db = Database(settings.database_url)
    notifier = Notifier()
    runner = Runner(
        db,
        max_concurrent=settings.max_concurrent_solves,
        max_attempts=settings.max_attempts,
        on_change=notifier.notify,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(db.upgrade)
        with db.session() as session:
            recovered = jobs.recover(session, settings.max_attempts)
            if recovered:
                log.warning("re-queued %d job(s) left solving by a stopped server", len(recovered))
            if settings.examples_dir is not None:
                jobs.load_examples(session, settings.examples_dir)
        notifier.bind(asyncio.get_running_loop())
        runner.start()
        try:
            yield
        finally:
            notifier.close()
            await asyncio.to_thread(runner.stop)
            db.dispose()

    app = FastAPI(
        title="orderplan",
        version="1.0.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.api_keys = keys
    app.state.db = db
    app.state.runner = runner
    app.state.notifier = notifier
    errors.install(app)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    for module in (scenarios, solves, plans, expedites, health, me):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def index() -> HTMLResponse:
        page = STATIC / "index.html"
        if page.exists():
            return HTMLResponse(page.read_text(encoding="utf-8"))
        return HTMLResponse(PLACEHOLDER)

    app.mount("/static", StaticFiles(directory=STATIC, check_dir=False), name="static")
    return app


def run(host: str = "127.0.0.1", port: int = 8000, examples: Path | None = None) -> None:
    """Serve the API with uvicorn, with settings from the environment.

    Parameters
    ----------
    host, port
        Where to listen.
    examples
        A folder of example scenarios to store at start (overrides the setting).
    """
    import uvicorn

    logging.basicConfig(level=logging.INFO, format="%(levelname)s: %(name)s: %(message)s")
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        print(f"orderplan: invalid settings: {problems}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None
    if examples is not None:
        settings = settings.model_copy(update={"examples_dir": examples})
    app = create_app(settings)
    notifier: Notifier = app.state.notifier

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: FrameType | None) -> None:
            # Event streams and waiting synchronous solves end now: uvicorn waits for open
            # connections before it runs the application's shutdown.
            notifier.close()
            super().handle_exit(sig, frame)

    print(f"orderplan: serving on http://{host}:{port} (API docs: /docs)", flush=True)
    config = uvicorn.Config(app, host=host, port=port, timeout_graceful_shutdown=5)
    Server(config).run()
