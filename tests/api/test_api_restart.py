"""Restart safety: accepted jobs survive a stop; a job cut off mid-solve is re-queued and ends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import httpx
from api_helpers import KEYS, LONG_TEXT, ROOT, auth, ended, has_plan, solve_body, submit, wait_for
from fastapi.testclient import TestClient

from api.config import Role, Settings

Serve = Callable[[Settings], AbstractContextManager[TestClient]]


def event_kinds(client: TestClient, job_id: str) -> list[str]:
    text = client.get(f"/v1/solves/{job_id}/events", headers=auth()).text
    return [line[7:] for line in text.splitlines() if line.startswith("event: ")]


def test_stopped_server_requeues_and_resumes(settings: Settings, serve: Serve) -> None:
    with serve(settings) as client:
        running = submit(client, {"scenario_text": LONG_TEXT, "time_limit": 3, "workers": 1})
        queued = submit(client, solve_body())
        before = wait_for(client, running, has_plan)
    with serve(settings) as client:
        job = wait_for(client, running, ended)
        assert job["status"] == "completed"
        assert job["attempts"] == 2
        assert job["objective"] <= before["objective"]
        kinds = event_kinds(client, running)
        assert kinds[:2] == ["queued", "started"]
        requeued = kinds.index("requeued")
        assert "started" in kinds[requeued:]
        assert kinds[-1] == "end"
        other = wait_for(client, queued, ended)
        assert other["status"] == "completed"
        assert other["attempts"] == 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_killed_server_job_is_requeued_and_completes(settings: Settings, serve: Serve) -> None:
    port = free_port()
    env = {
        **os.environ,
        "ORDERPLAN_DATABASE_URL": settings.database_url,
        "ORDERPLAN_API_KEYS": json.dumps({KEYS[Role.PLANNER]: "planner"}),
        "ORDERPLAN_WORKERS_PER_SOLVE": "1",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "api", "127.0.0.1", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        body = {"scenario_text": LONG_TEXT, "time_limit": 3, "workers": 1}
        job_id = httpx.post(f"{base}/v1/solves", json=body, headers=auth()).json()["id"]
        while True:
            job = httpx.get(f"{base}/v1/solves/{job_id}", headers=auth()).json()
            if job["objective"] is not None:
                break
            assert time.monotonic() < deadline, f"no plan in time: {job}"
            time.sleep(0.05)
        assert job["status"] == "solving"
    finally:
        server.kill()
        server.wait(10)

    with serve(settings) as client:
        job = wait_for(client, job_id, ended)
        assert job["status"] == "completed"
        assert job["attempts"] == 2
        kinds = event_kinds(client, job_id)
        assert kinds[:2] == ["queued", "started"]
        assert "requeued" in kinds
        assert kinds[-1] == "end"
        requeued = client.get(f"/v1/solves/{job_id}/events", headers=auth()).text
        assert "the server stopped while this job was solving" in requeued
