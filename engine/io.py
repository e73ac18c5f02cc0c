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
from engine.model.base import LOCATED
from engine.model.scenario import reference_problems


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
    _construct_mapping,
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


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _bound(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _message(item: Mapping[str, Any], loc: list[str | int]) -> str:
    """A pydantic error message in the scenario's own terms."""
    kind, ctx, got = item["type"], item.get("ctx") or {}, _shown(item.get("input"))
    if kind == "extra_forbidden" and loc:
        return f"unknown key '{loc[-1]}' (not part of the scenario format)"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"expected a whole number (integer), got {got}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected a boolean (true or false), got {got}"
    if kind == "string_type":
        return f"expected a string, got {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping of keys to values, got {got}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {got}"
    if kind == "greater_than":
        return f"must be greater than {_bound(ctx['gt'])}, got {got}"
    if kind == "greater_than_equal":
        return f"must be greater than or equal to {_bound(ctx['ge'])}, got {got}"
    if kind == "too_short":
        if ctx["min_length"] == 1:
            return "must not be empty"
        return f"must have at least {ctx['min_length']} items, got {ctx['actual_length']}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("datetime_parsing", "datetime_from_date_parsing", "datetime_type"):
        return f"not an ISO 8601 instant: {got} ({ctx.get('error', 'unreadable')})"
    if kind == "literal_error":
        return f"must be {ctx['expected']}, got {got}"
    message = _FIXED.get(kind, str(item["msg"]))
    return message.removeprefix("Value error, ").replace("Input should be", "must be")


_FIXED = {
    "missing": "required field is missing",
    "timezone_aware": "naive instant: give a UTC offset, e.g. 2026-12-01T06:00:00+01:00",
    "finite_number": "must be a finite number",
}


def _clean_loc(loc: Iterable[str | int], data: Any) -> list[str | int]:
    # Pydantic puts union members, validator names and "[key]" into locations. Walking
    # the input tells them apart from keys the user wrote, even keys such as "saw[1]".
    node, out = data, []
    for part in loc:
        present = (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list | tuple) and isinstance(part, int) and 0 <= part < len(node)
        )
        if not present and isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        node = node[part] if present else None
        out.append(part)
    return out


def problems_from_validation(error: ValidationError, data: Any = None) -> list[Problem]:
    """Flatten a pydantic validation error into located problems, cross-references included.

    Parameters
    ----------
    error
        The error raised by validating ``data``.
    data
        The validated input, if at hand: it tells keys the user wrote apart
        from the names pydantic adds to error locations.
    """
    found: list[tuple[Problem, bool]] = []
    for item in error.errors(include_url=False):
        loc = _clean_loc(item["loc"], data)
        if item["type"] == LOCATED:
            for sub_loc, message in item["ctx"]["problems"]:
                found.append((Problem(format_loc([*loc, *sub_loc]), message), False))
            continue
        union_miss = item["type"] == "literal_error" and len(loc) < len(item["loc"])
        found.append((Problem(format_loc(loc), _message(item, loc)), union_miss))
    # A union (``weekly: all | {day: windows}``) reports a miss on each member; where a
    # deeper problem explains the value, "must be 'all'" adds nothing.
    paths = [p.path for p, _ in found]
    problems = [
        p
        for p, union_miss in found
        if not (union_miss and any(q.startswith(p.path) and q != p.path for q in paths))
    ]
    return list(dict.fromkeys(problems))


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def parse_document(text: str, source: str | None = None) -> Any:
    """Parse YAML or JSON text (JSON is YAML, but JSON errors read better from ``json``)."""
    stripped = text.lstrip()
    if stripped.startswith(("{", "[")):
        try:
            return json.loads(text, object_pairs_hook=_unique_pairs)
        except _DuplicateKey as exc:
            raise ScenarioError(
                [Problem("", f"not valid JSON: duplicate key {exc.key!r}")], source
            ) from None
        except json.JSONDecodeError as exc:
            raise ScenarioError(
                [Problem("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")],
                source,
            ) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem("", f"not valid YAML: {problem}{where}")], source) from None


def scenario_from_data(data: Any, source: str | None = None) -> Scenario:
    """Validate parsed data as a scenario, raising :class:`ScenarioError` with every problem."""
    if data is None:
        raise ScenarioError([Problem("", "the document is empty: a scenario is a mapping")], source)
    if not isinstance(data, Mapping):
        raise ScenarioError(
            [Problem("", f"a scenario is a mapping of keys to values, not {_shown(data)}")], source
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, data)
        if not any(item["type"] == LOCATED and not item["loc"] for item in exc.errors()):
            # A malformed field kept pydantic from running the cross-reference checks.
            problems += [
                Problem(format_loc(loc), message) for loc, message in reference_problems(data)
            ]
        raise ScenarioError(list(dict.fromkeys(problems)), source) from None


def loads_scenario(text: str, source: str | None = None) -> Scenario:
    """Parse and validate a scenario from YAML or JSON text."""
    return scenario_from_data(parse_document(text, source), source)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (``.yaml``, ``.yml`` or ``.json``)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            [Problem("", f"cannot read {path}: {exc.strerror}")], str(path)
        ) from None
    return loads_scenario(text, str(path))


def dump_scenario(scenario: Scenario) -> dict[str, Any]:
    """The scenario as JSON-ready data that loads back to an equal scenario."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    return {"version": scenario.version, **data}


def load_plan(path: str | Path) -> Plan:
    """Read a plan JSON (or YAML) file."""
    data = parse_document(Path(path).read_text(encoding="utf-8"), str(path))
    return Plan.model_validate(data)


def dump_plan(plan: Plan) -> str:
    """The plan as indented JSON text."""
    return plan.model_dump_json(indent=2, exclude_none=False)
