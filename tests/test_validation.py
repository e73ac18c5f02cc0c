"""A catalogue of bad scenarios: each is refused with a located, readable problem."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.io import Problem, ScenarioError, loads_scenario, scenario_from_data

EXAMPLE = Path(__file__).parent / "data" / "format_example.yaml"
TEXT = EXAMPLE.read_text(encoding="utf-8")
BASE: dict[str, Any] = yaml.safe_load(TEXT)

CET = timezone(timedelta(hours=1))
NAIVE = datetime(2026, 12, 10, 16, 0)

NOISE = (
    "function-after[",
    "function-before[",
    "function-wrap[",
    "literal[",
    "[key]",
    "dict[",
    "list[",
    "tuple[",
    "union[",
    "https://errors.pydantic.dev",
    "Value error,",
    "Assertion failed,",
)


def base() -> dict[str, Any]:
    """A fresh, valid copy of the format example as parsed data."""
    return copy.deepcopy(BASE)


def error_of(data: Any) -> ScenarioError:
    """The error a scenario's data is refused with (fails if it is accepted)."""
    with pytest.raises(ScenarioError) as info:
        scenario_from_data(data)
    return info.value


def text_error(text: str) -> ScenarioError:
    """The error a scenario text is refused with (fails if it is accepted)."""
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text)
    return info.value


def problems_of(data: Any) -> list[Problem]:
    """The problems a scenario's data is refused with."""
    return error_of(data).problems


def text_problems(text: str) -> list[Problem]:
    """The problems a scenario text is refused with."""
    return text_error(text).problems


@dataclass(frozen=True)
class Case:
    """One bad input: either an edit of the example's data or a whole document text."""

    path: str
    words: tuple[str, ...]
    edit: Callable[[dict[str, Any]], None] | None = None
    text: str | None = None

    def error(self) -> ScenarioError:
        if self.text is not None:
            return text_error(self.text)
        data = base()
        assert self.edit is not None
        self.edit(data)
        return error_of(data)

    def problems(self) -> list[Problem]:
        return self.error().problems


def put(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that sets the value at ``path``, creating nothing but the last key."""

    def edit(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return edit


def drop(*path: str | int) -> Callable[[dict[str, Any]], None]:
    """An edit that removes the key or list item at ``path``."""

    def edit(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return edit


def append(*path: str | int, value: Any) -> Callable[[dict[str, Any]], None]:
    """An edit that appends ``value`` to the list at ``path``."""

    def edit(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path:
            target = target[part]
        target.append(copy.deepcopy(value))

    return edit


def duplicate(field: str) -> Callable[[dict[str, Any]], None]:
    """An edit that appends a copy of the first element of a top-level list."""

    def edit(data: dict[str, Any]) -> None:
        data[field].append(copy.deepcopy(data[field][0]))

    return edit


def edits(*steps: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Several edits applied in order."""

    def edit(data: dict[str, Any]) -> None:
        for step in steps:
            step(data)

    return edit


CUT = ("products", 0, "routing", 0)
ASSEMBLE = ("products", 0, "routing", 1)
ORDER = ("orders", 0)
LINE = ("orders", 0, "lines", 0)
WEEKLY = ("calendars", "two-shift", "weekly")

CASES: dict[str, Case] = {
    # Unknown references.
    "unknown customer": Case(
        "orders[0].customer", ("unknown customer", "acme"), put(*ORDER, "customer", value="acme")
    ),
    "unknown product in line": Case(
        "orders[0].lines[0].product",
        ("unknown product", "oak-tabel"),
        put(*LINE, "product", value="oak-tabel"),
    ),
    "unknown machine in routing": Case(
        "products[0].routing[0].machines.saw-9",
        ("unknown machine", "saw-9"),
        put(*CUT, "machines", value={"saw-1": 12, "saw-9": 15}),
    ),
    "unknown material in product": Case(
        "products[0].materials.glue",
        ("unknown material", "glue"),
        put("products", 0, "materials", "glue", value=1),
    ),
    "unknown calendar of machine": Case(
        "machines[0].calendar",
        ("unknown calendar", "three-shift"),
        put("machines", 0, "calendar", value="three-shift"),
    ),
    "unknown calendar of staff": Case(
        "staff[1].calendar",
        ("unknown calendar", "nights"),
        put("staff", 1, "calendar", value="nights"),
    ),
    "unknown tier": Case(
        "customers[0].tier", ("unknown tier", "gold"), put("customers", 0, "tier", value="gold")
    ),
    "unknown stock product": Case(
        "stock.oak-chair", ("unknown product", "oak-chair"), put("stock", "oak-chair", value=2)
    ),
    "skill nobody holds": Case(
        "products[0].routing[0].skill",
        ("skill", "welding", "no staff"),
        put(*CUT, "skill", value="welding"),
    ),
    # Naive instants.
    "naive due": Case("orders[0].due", ("naive", "UTC offset"), put(*ORDER, "due", value=NAIVE)),
    "naive due as text": Case(
        "orders[0].due", ("naive", "UTC offset"), put(*ORDER, "due", value="2026-12-10T16:00:00")
    ),
    "naive release": Case(
        "orders[0].release", ("naive", "UTC offset"), put(*ORDER, "release", value=NAIVE)
    ),
    "naive horizon start": Case(
        "horizon.start",
        ("naive", "UTC offset"),
        put("horizon", "start", value=datetime(2026, 12, 1, 6, 0)),
    ),
    "naive closed period": Case(
        "calendars.two-shift.closed[0].end",
        ("naive",),
        put("calendars", "two-shift", "closed", 0, "end", value=datetime(2026, 12, 27)),
    ),
    "naive downtime": Case(
        "machines[0].downtime[0].start",
        ("naive",),
        put("machines", 0, "downtime", 0, "start", value=datetime(2026, 12, 3, 6)),
    ),
    "naive receipt": Case(
        "materials[0].receipts[0].at",
        ("naive",),
        put("materials", 0, "receipts", 0, "at", value=datetime(2026, 12, 5, 8)),
    ),
    "date without time": Case(
        "orders[0].due", ("date", "time"), put(*ORDER, "due", value=datetime(2026, 12, 10).date())
    ),
    "instant as a number": Case(
        "orders[0].due", ("ISO 8601",), put(*ORDER, "due", value=1_796_000_000)
    ),
    # Instants off the one-minute grid.
    "due with seconds": Case(
        "orders[0].due",
        ("whole minute",),
        put(*ORDER, "due", value=datetime(2026, 12, 10, 16, 0, 30, tzinfo=CET)),
    ),
    "horizon end with microseconds": Case(
        "horizon.end",
        ("whole minute",),
        put("horizon", "end", value="2026-12-29T06:00:00.5+01:00"),
    ),
    # Quantities and minutes out of range.
    "zero line quantity": Case(
        "orders[0].lines[0].quantity", ("greater than 0",), put(*LINE, "quantity", value=0)
    ),
    "negative line quantity": Case(
        "orders[0].lines[0].quantity", ("greater than 0",), put(*LINE, "quantity", value=-3)
    ),
    "zero receipt quantity": Case(
        "materials[0].receipts[0].quantity",
        ("greater than 0",),
        put("materials", 0, "receipts", 0, "quantity", value=0),
    ),
    "negative on hand": Case(
        "materials[1].on_hand",
        ("greater than or equal to 0",),
        put("materials", 1, "on_hand", value=-1),
    ),
    "negative stock of a bracketed id": Case(
        "stock.oak[2]", ("greater than or equal to 0",), put("stock", "oak[2]", value=-1)
    ),
    "negative stock": Case(
        "stock.oak-table", ("greater than or equal to 0",), put("stock", "oak-table", value=-6)
    ),
    "zero material per unit": Case(
        "products[0].materials.screws",
        ("greater than 0",),
        put("products", 0, "materials", "screws", value=0),
    ),
    "negative minutes per unit": Case(
        "products[0].routing[0].machines.saw-2",
        ("greater than or equal to 0",),
        put(*CUT, "machines", "saw-2", value=-15),
    ),
    "zero minutes and no setup": Case(
        "products[0].routing[1].machines.bench-1",
        ("no time",),
        put(*ASSEMBLE, "machines", "bench-1", value=0),
    ),
    "negative setup": Case(
        "products[0].routing[0].setup",
        ("greater than or equal to 0",),
        put(*CUT, "setup", value=-20),
    ),
    "negative changeover": Case(
        "machines[1].changeover",
        ("greater than or equal to 0",),
        put("machines", 1, "changeover", value=-45),
    ),
    "negative crew": Case(
        "products[0].routing[1].crew",
        ("greater than or equal to 0",),
        put(*ASSEMBLE, "crew", value=-1),
    ),
    "negative cost per hour": Case(
        "machines[0].cost_per_hour",
        ("greater than or equal to 0",),
        put("machines", 0, "cost_per_hour", value=-40),
    ),
    # Non-integer quantities.
    "fractional line quantity": Case(
        "orders[0].lines[0].quantity", ("integer",), put(*LINE, "quantity", value=2.5)
    ),
    "fractional on hand": Case(
        "materials[0].on_hand", ("integer",), put("materials", 0, "on_hand", value=120.5)
    ),
    "fractional setup": Case(
        "products[0].routing[0].setup", ("integer",), put(*CUT, "setup", value=20.5)
    ),
    "fractional minutes per unit": Case(
        "products[0].routing[0].machines.saw-1",
        ("integer",),
        put(*CUT, "machines", "saw-1", value=12.5),
    ),
    # Unknown keys.
    "unknown root key": Case("colour", ("unknown key", "colour"), put("colour", value="red")),
    "unknown order key": Case(
        "orders[0].priority", ("unknown key", "priority"), put(*ORDER, "priority", value=1)
    ),
    "unknown line key": Case(
        "orders[0].lines[0].qty", ("unknown key", "qty"), put(*LINE, "qty", value=10)
    ),
    "unknown operation key": Case(
        "products[0].routing[0].machine",
        ("unknown key", "machine"),
        put(*CUT, "machine", value="saw-1"),
    ),
    "unknown weights key": Case(
        "policy.weights.lateness",
        ("unknown key", "lateness"),
        put("policy", "weights", "lateness", value=2.0),
    ),
    "unknown horizon key": Case(
        "horizon.length", ("unknown key", "length"), put("horizon", "length", value=28)
    ),
    "unknown calendar key": Case(
        "calendars.two-shift.holidays",
        ("unknown key", "holidays"),
        put("calendars", "two-shift", "holidays", value=[]),
    ),
    "unknown receipt key": Case(
        "materials[0].receipts[0].supplier",
        ("unknown key", "supplier"),
        put("materials", 0, "receipts", 0, "supplier", value="x"),
    ),
    # Missing or empty structure.
    "missing horizon": Case("horizon", ("required",), drop("horizon")),
    "missing order due": Case("orders[0].due", ("required",), drop(*ORDER, "due")),
    "missing machine id": Case("machines[2].id", ("required",), drop("machines", 2, "id")),
    "empty routing": Case(
        "products[0].routing", ("empty",), put("products", 0, "routing", value=[])
    ),
    "empty lines": Case("orders[0].lines", ("empty",), put(*ORDER, "lines", value=[])),
    "no machines in operation": Case(
        "products[0].routing[0].machines", ("empty",), put(*CUT, "machines", value={})
    ),
    "empty id": Case("customers[0].id", ("empty",), put("customers", 0, "id", value="")),
    # Crews.
    "crew larger than skilled staff": Case(
        "products[0].routing[1].crew",
        ("crew of 3", "only 2", "assembly"),
        put(*ASSEMBLE, "crew", value=3),
    ),
    "crew without skill": Case(
        "products[0].routing[1].crew", ("crew", "skill"), drop(*ASSEMBLE, "skill")
    ),
    # Receipts outside the horizon.
    "receipt before horizon": Case(
        "materials[0].receipts[0].at",
        ("outside the horizon",),
        put("materials", 0, "receipts", 0, "at", value=datetime(2026, 11, 30, 8, tzinfo=CET)),
    ),
    "receipt at horizon end": Case(
        "materials[0].receipts[0].at",
        ("outside the horizon",),
        put("materials", 0, "receipts", 0, "at", value=datetime(2026, 12, 29, 5, tzinfo=UTC)),
    ),
    # Duplicate ids.
    "duplicate machine": Case(
        "machines[1].id",
        ("duplicate machine", "saw-1"),
        put("machines", 1, "id", value="saw-1"),
    ),
    "duplicate staff": Case("staff[3].id", ("duplicate staff", "anna"), duplicate("staff")),
    "duplicate product": Case(
        "products[1].id", ("duplicate product", "oak-table"), duplicate("products")
    ),
    "duplicate material": Case(
        "materials[1].id",
        ("duplicate material", "oak-board"),
        put("materials", 1, "id", value="oak-board"),
    ),
    "duplicate customer": Case(
        "customers[1].id", ("duplicate customer", "nordhaus"), duplicate("customers")
    ),
    "duplicate order": Case("orders[1].id", ("duplicate order", "SO-1001"), duplicate("orders")),
    "duplicate operation in routing": Case(
        "products[0].routing[1].id",
        ("duplicate operation", "cut"),
        put(*ASSEMBLE, "id", value="cut"),
    ),
    # Periods and the horizon.
    "horizon end before start": Case(
        "horizon.end",
        ("after", "start"),
        put("horizon", "end", value=datetime(2026, 11, 29, 6, tzinfo=CET)),
    ),
    "horizon end equals start": Case(
        "horizon.end",
        ("after", "start"),
        put("horizon", "end", value=datetime(2026, 12, 1, 6, tzinfo=CET)),
    ),
    "closed period end before start": Case(
        "calendars.two-shift.closed[0].end",
        ("after", "start"),
        put("calendars", "two-shift", "closed", 0, "end", value=datetime(2026, 12, 23, tzinfo=CET)),
    ),
    "downtime end equals start": Case(
        "machines[0].downtime[0].end",
        ("after", "start"),
        put("machines", 0, "downtime", 0, "end", value=datetime(2026, 12, 3, 6, tzinfo=CET)),
    ),
    # Weekly windows and clocks.
    "window from after to": Case(
        "calendars.two-shift.weekly.mon[0]",
        ("from < to",),
        put(*WEEKLY, "mon", value=[["22:00", "06:00"]]),
    ),
    "window from equals to": Case(
        "calendars.two-shift.weekly.tue[0]",
        ("from < to",),
        put(*WEEKLY, "tue", value=[["06:00", "06:00"]]),
    ),
    "window of three clocks": Case(
        "calendars.two-shift.weekly.wed[0]",
        ("pair", "[from, to]"),
        put(*WEEKLY, "wed", value=[["06:00", "12:00", "22:00"]]),
    ),
    "window not a list of windows": Case(
        "calendars.two-shift.weekly.thu[0]",
        ("[from, to]",),
        put(*WEEKLY, "thu", value=["06:00", "22:00"]),
    ),
    "clock 25:00": Case(
        "calendars.two-shift.weekly.mon[0][1]",
        ("25:00", "HH:MM"),
        put(*WEEKLY, "mon", value=[["06:00", "25:00"]]),
    ),
    "clock without minutes": Case(
        "calendars.two-shift.weekly.fri[0][0]",
        ("HH:MM",),
        put(*WEEKLY, "fri", value=[["6", "14:00"]]),
    ),
    "unknown weekday": Case(
        "calendars.two-shift.weekly.monday",
        ("weekday", "monday"),
        put(*WEEKLY, "monday", value=[["06:00", "22:00"]]),
    ),
    "weekly neither all nor days": Case(
        "calendars.always.weekly", ("all",), put("calendars", "always", "weekly", value="none")
    ),
    # Zone, version, policy, value.
    "unknown time zone": Case(
        "timezone", ("time zone", "Europe/Berlinn"), put("timezone", value="Europe/Berlinn")
    ),
    "version 2": Case("version", ("version", "1"), put("version", value=2)),
    "negative weight": Case(
        "policy.weights.tardiness",
        ("greater than or equal to 0",),
        put("policy", "weights", "tardiness", value=-1.0),
    ),
    "negative tier weight": Case(
        "policy.tier_weights.key",
        ("greater than or equal to 0",),
        put("policy", "tier_weights", "key", value=-3),
    ),
    "infinite weight": Case(
        "policy.weights.makespan", ("finite",), put("policy", "weights", "makespan", value=1e999)
    ),
    "negative value": Case(
        "orders[0].value", ("greater than or equal to 0",), put(*ORDER, "value", value=-1)
    ),
    # Wrong types: strings and booleans where numbers are expected, and the reverse.
    "quantity as string": Case(
        "orders[0].lines[0].quantity", ("integer",), put(*LINE, "quantity", value="10")
    ),
    "value as string": Case("orders[0].value", ("number",), put(*ORDER, "value", value="12000")),
    "weight as string": Case(
        "policy.weights.rejection", ("number",), put("policy", "weights", "rejection", value="1")
    ),
    "on hand as string": Case(
        "materials[1].on_hand", ("integer",), put("materials", 1, "on_hand", value="1000")
    ),
    "quantity as boolean": Case(
        "orders[0].lines[0].quantity", ("integer",), put(*LINE, "quantity", value=True)
    ),
    "crew as boolean": Case(
        "products[0].routing[0].crew", ("integer",), put(*CUT, "crew", value=True)
    ),
    "changeover as boolean": Case(
        "machines[0].changeover", ("integer",), put("machines", 0, "changeover", value=True)
    ),
    "value as boolean": Case("orders[0].value", ("number",), put(*ORDER, "value", value=True)),
    "weight as boolean": Case(
        "policy.weights.tardiness", ("number",), put("policy", "weights", "tardiness", value=True)
    ),
    "stock as boolean": Case(
        "stock.oak-table", ("integer",), put("stock", "oak-table", value=True)
    ),
    "firm as string": Case("orders[0].firm", ("boolean",), put(*ORDER, "firm", value="no")),
    "firm as number": Case("orders[0].firm", ("boolean",), put(*ORDER, "firm", value=0)),
    "id as number": Case("orders[0].id", ("string",), put(*ORDER, "id", value=1001)),
    "skills as string": Case("staff[2].skills", ("list",), put("staff", 2, "skills", value="x")),
    "machines as list": Case(
        "products[0].routing[0].machines",
        ("mapping",),
        put(*CUT, "machines", value=["saw-1", "saw-2"]),
    ),
    "orders as mapping": Case("orders", ("list",), put("orders", value={"SO-1001": {}})),
    "order as string": Case("orders[0]", ("mapping",), put("orders", 0, value="SO-1001")),
    # Documents that are not scenarios at all.
    "yaml duplicate key": Case(
        "", ("duplicate key", "name", "line 3"), text=TEXT.replace("timezone:", "name: x\nname:", 1)
    ),
    "malformed yaml": Case("", ("not valid YAML", "line"), text="version: 1\nname: [unclosed\n"),
    "malformed yaml indentation": Case(
        "", ("not valid YAML", "line"), text="version: 1\n  name: x\n name: y\n"
    ),
    "malformed json": Case("", ("not valid JSON", "line 1"), text='{"version": 1, "name": "x",}'),
    "json duplicate key": Case(
        "",
        ("not valid JSON", "duplicate key", "name"),
        text='{"version": 1, "name": "a", "name": "b"}',
    ),
    "non-mapping document": Case("", ("mapping",), text="- version: 1\n- name: x\n"),
    "scalar document": Case("", ("mapping",), text="just words"),
    "empty document": Case("", ("empty",), text=""),
    "window as unquoted yaml number": Case(
        "calendars.two-shift.weekly.mon[0][1]",
        ("number", "quoted"),
        text=TEXT.replace('mon: [["06:00", "22:00"]]', "mon: [[06:00, 22:00]]"),
    ),
}


def test_base_is_valid() -> None:
    assert scenario_from_data(base()).name == "Oak furniture plant, December"
    assert loads_scenario(TEXT) == scenario_from_data(base())


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_bad_input_is_refused_with_located_problem(case: Case) -> None:
    problems = case.problems()
    at_path = [p for p in problems if p.path == case.path]
    assert at_path, f"no problem at {case.path!r}; got {[str(p) for p in problems]}"
    assert any(all(w.lower() in p.message.lower() for w in case.words) for p in at_path), (
        f"no problem at {case.path!r} says {case.words}; got {[str(p) for p in at_path]}"
    )


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_problems_carry_no_validator_noise(case: Case) -> None:
    for problem in case.problems():
        for noise in NOISE:
            assert noise not in problem.path, str(problem)
            assert noise not in problem.message, str(problem)
        assert problem.message
        assert not problem.message.startswith(("Value error", "Input should be")), str(problem)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_error_text_lists_every_problem(case: Case) -> None:
    error = case.error()
    text = str(error)
    assert text.startswith(f"invalid scenario: {len(error.problems)} problem(s)")
    for problem in error.problems:
        assert str(problem) in text


def test_many_reference_problems_are_reported_at_once() -> None:
    data = base()
    data["orders"][0]["lines"].append({"product": "oak-chair", "quantity": 2})
    data["orders"][0]["lines"][0]["product"] = "oak-tabel"
    data["products"][0]["routing"][0]["machines"]["saw-9"] = 3
    problems = problems_of(data)
    assert {p.path for p in problems} == {
        "orders[0].lines[0].product",
        "orders[0].lines[1].product",
        "products[0].routing[0].machines.saw-9",
    }
    assert len(problems) == 3


def test_field_and_reference_problems_are_reported_at_once() -> None:
    data = base()
    data["orders"].append(
        {
            "id": "SO-1002",
            "customer": "acme",
            "lines": [{"product": "oak-chair", "quantity": 1}],
            "due": "2026-12-11T16:00:00+01:00",
        }
    )
    data["orders"][0]["due"] = NAIVE
    data["machines"][1]["changeover"] = -45
    data["products"][0]["routing"][1]["machines"]["bench-9"] = 3
    data["customers"][0]["tier"] = "gold"
    data["colour"] = "red"
    paths = {p.path for p in problems_of(data)}
    assert paths >= {
        "orders[0].due",
        "orders[1].customer",
        "orders[1].lines[0].product",
        "machines[1].changeover",
        "products[0].routing[1].machines.bench-9",
        "customers[0].tier",
        "colour",
    }


def test_references_to_invalid_entities_are_not_reported_as_unknown() -> None:
    data = base()
    # saw-1 is malformed, but it exists: the routing's reference to it is fine.
    data["machines"][0]["changeover"] = -30
    # The customer is malformed but named; the order's reference to it is fine.
    data["customers"][0]["rating"] = 5
    problems = problems_of(data)
    assert {p.path for p in problems} == {"machines[0].changeover", "customers[0].rating"}


def test_every_kind_of_problem_in_one_document() -> None:
    data = base()
    for case in CASES.values():
        if case.edit is None:
            continue
        try:
            case.edit(data)
        except (KeyError, IndexError, TypeError):
            continue
    problems = problems_of(data)
    assert len(problems) > 20
    assert len({(p.path, p.message) for p in problems}) == len(problems)


def test_json_document_errors_are_located() -> None:
    data = json.loads(json.dumps(base(), default=str))
    data["orders"][0]["lines"][0]["quantity"] = 2.5
    problems = text_problems(json.dumps(data))
    assert [p.path for p in problems] == ["orders[0].lines[0].quantity"]


def test_yaml_booleans_for_numbers_are_refused() -> None:
    text = TEXT.replace("quantity: 10}", "quantity: yes}")
    problems = text_problems(text)
    assert [p.path for p in problems] == ["orders[0].lines[0].quantity"]


WEIRD = [None, "", "x", -1, 0, 2.5, True, [], {}, ["x"], {"x": 1}]


def _paths(node: Any, here: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [here] if here else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*here, index))
    return found


@pytest.mark.parametrize("path", _paths(BASE), ids=lambda path: ".".join(map(str, path)))
def test_any_value_anywhere_gives_problems_not_a_traceback(path: tuple[str | int, ...]) -> None:
    for weird in WEIRD:
        data = base()
        put(*path, value=copy.deepcopy(weird))(data)
        try:
            scenario_from_data(data)
        except ScenarioError as exc:
            assert exc.problems
            for problem in exc.problems:
                assert not any(noise in str(problem) for noise in NOISE), str(problem)
