"""Load scenarios and plans from YAML or JSON; turn validation errors into located problems."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.model import Plan, Scenario


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located by its path (``orders[3].lines[0].product``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(ValueError):
    """A scenario that cannot be read or is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem], source: str | None = None) -> None:
        self.problems = problems
        self.source = source
        head = f"invalid scenario{f' {source}' if source else ''}: {len(problems)} problem(s)"
        super().__init__("\n".join([head, *(f"  {p}" for p in problems)]))


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses duplicate mapping keys instead of keeping the last."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def format_loc(loc: Iterable[str | int]) -> str:
    """Render a location tuple as ``orders[3].lines[0].product``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_MESSAGES = {
    "extra_forbidden": "unknown key (not part of the scenario format)",
    "missing": "required field is missing",
    "timezone_aware": "naive instant: give a UTC offset, e.g. 2026-12-01T06:00:00+01:00",
}


def problems_from_validation(error: ValidationError) -> list[Problem]:
    """Flatten a pydantic validation error into located problems, cross-references included."""
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        # Pydantic adds union member and validator names to locations; they mean nothing to users.
        loc = [
            part
            for part in item["loc"]
            if not (isinstance(part, str) and ("[" in part or part.startswith("function-")))
            and part not in ("literal['all']",)
        ]
        if item["type"] == "cross_reference":
            for sub_loc, message in item.get("ctx", {}).get("problems", []):
                problems.append(Problem(format_loc([*loc, *sub_loc]), message))
            continue
        message = _MESSAGES.get(item["type"], item["msg"])
        message = message.removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}' (not part of the scenario format)" if loc else message
        problems.append(Problem(format_loc(loc), message))
    # A union (``weekly: all | {day: windows}``) reports a miss on each branch; where a deeper
    # problem explains the value, the shallow "should be 'all'" adds nothing.
    problems = [
        p
        for p in problems
        if not any(
            q.path.startswith(p.path) and len(q.path) > len(p.path) for q in problems
        )
        or not p.message.startswith("Input should be")
    ]
    unique: dict[tuple[str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.path, p.message), p)
    return list(unique.values())


def parse_document(text: str, source: str | None = None) -> Any:
    """Parse YAML or JSON text (JSON is YAML, but JSON errors read better from ``json``)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                [Problem("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")],
                source,
            ) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem("", f"not valid YAML: {problem}{where}")], source) from None


def scenario_from_data(data: Any, source: str | None = None) -> Scenario:
    """Validate parsed data as a scenario, raising :class:`ScenarioError` with every problem."""
    if not isinstance(data, Mapping):
        raise ScenarioError([Problem("", "a scenario is a mapping of keys to values")], source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc), source) from None


def loads_scenario(text: str, source: str | None = None) -> Scenario:
    """Parse and validate a scenario from YAML or JSON text."""
    return scenario_from_data(parse_document(text, source), source)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (``.yaml``, ``.yml`` or ``.json``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem("", f"cannot read {path}: {exc.strerror}")], str(path)) from None
    return loads_scenario(text, str(path))


def dump_scenario(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON-ready data that loads back to an equal scenario."""
    return scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)


def load_plan(path: str | Path) -> Plan:
    """Read a plan JSON (or YAML) file."""
    data = parse_document(Path(path).read_text(encoding="utf-8"), str(path))
    return Plan.model_validate(data)


def dump_plan(plan: Plan) -> str:
    """The plan as indented JSON text."""
    return plan.model_dump_json(indent=2, exclude_none=False)
