"""Shared fixtures of the browser tests: the service on a free port, Debian's headless Chromium.

The tests are skipped when Playwright is not installed or ``/usr/bin/chromium`` is absent
(``make test`` installs Debian's ``chromium`` when it runs as root with apt). Playwright
drives that browser; its own browser downloads are never used.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from api.config import Settings
from api.main import create_app

try:
    from playwright import sync_api
except ImportError:  # the test modules skip themselves with importorskip
    sync_api = None

ROOT = Path(__file__).parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HAVE_CHROMIUM = os.access(CHROMIUM, os.X_OK)
NO_CHROMIUM = f"{CHROMIUM} is absent: install Debian's chromium (apt-get install chromium)"


def free_port() -> int:
    """A free local TCP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The service with ``settings`` in a thread of this process; yields its base URL."""
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "the service did not start"
        assert time.monotonic() < deadline, "the service did not start in 20 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        app.state.notifier.close()  # open event streams end, so the server stops at once
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture(scope="session")
def serve_app() -> Callable[[Settings], AbstractContextManager[str]]:
    """``with serve_app(settings) as base_url:`` runs the service for the block."""
    return serve


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright (one for every browser test)."""
    if sync_api is None:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not HAVE_CHROMIUM:
        pytest.skip(NO_CHROMIUM)
    # Assertions wait up to 15 s rather than 5 s: under a loaded CI machine the service's
    # solver processes compete with Chromium for the two cores.
    sync_api.expect.set_options(timeout=15_000)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page in a fresh context (empty local storage), its errors collected in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors
    try:
        yield page
    finally:
        context.close()
