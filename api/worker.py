"""The solver process: receives jobs over a pipe, sends progress and results back.

Runs in a process started with the ``spawn`` method, so it imports only the
engine, never the web application. Messages it sends are tuples:

- ``("progress", job_id, {"elapsed", "objective", "bound", "gap", "source"}, plan_or_None)``
- ``("done", job_id, {"status", "seconds"[, "preview"]}, plan)``
- ``("error", job_id, {"error"}, None)``

where plans are JSON-ready dicts. A job's task is ``{"kind": "solve"}`` or
``{"kind": "expedite", "baseline": plan, "order": id, "due": iso}``; an expedite
job's ``done`` carries the preview (without its plan, which is the message's plan).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

JobMessage = tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]
"""``(job_id, scenario data, solve parameters, task)``."""


def _exit_when_orphaned(parent: int) -> None:
    # A server killed outright leaves its solver processes behind; they must not
    # spend the machine's cores on solves nobody will read.
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


def main(conn: Connection, parent: int) -> None:
    """Serve jobs from ``conn`` until it is closed.

    Parameters
    ----------
    conn
        This process's end of its pipe to the server.
    parent
        Process id of the server, watched so that an orphaned solver stops.
    """
    # Ctrl-C in a terminal reaches the whole process group; the server stops us itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()

    from datetime import datetime

    from engine.expedite import ExpediteError, preview
    from engine.io import scenario_from_data
    from engine.model import Plan
    from engine.solve import Progress, SolveParams, solve

    while True:
        try:
            message: JobMessage = conn.recv()
        except (EOFError, OSError):
            return
        job_id, data, params, task = message

        def report(p: Progress, job_id: str = job_id) -> None:
            info = {
                "elapsed": p.elapsed,
                "objective": p.objective,
                "bound": p.bound,
                "gap": p.gap,
                "source": p.source,
            }
            plan = None if p.plan is None else p.plan.model_dump(mode="json")
            conn.send(("progress", job_id, info, plan))

        try:
            scenario = scenario_from_data(data)
            if task.get("kind") == "expedite":
                started = time.monotonic()
                answer = preview(
                    scenario,
                    Plan.model_validate(task["baseline"]),
                    task["order"],
                    datetime.fromisoformat(task["due"]),
                    SolveParams(**params),
                    on_progress=report,
                )
                info = {
                    "status": answer.plan.status.value,
                    "seconds": time.monotonic() - started,
                    "preview": answer.model_dump(mode="json", exclude={"plan"}),
                }
                conn.send(("done", job_id, info, answer.plan.model_dump(mode="json")))
                continue
            result = solve(scenario, SolveParams(**params), on_progress=report, with_plans=True)
            info = {"status": result.status.value, "seconds": result.seconds}
            conn.send(("done", job_id, info, result.plan.model_dump(mode="json")))
        except (EOFError, OSError, BrokenPipeError):
            return
        except ExpediteError as exc:
            conn.send(("error", job_id, {"error": str(exc)}, None))
        except Exception as exc:
            conn.send(("error", job_id, {"error": f"{type(exc).__name__}: {exc}"}, None))
