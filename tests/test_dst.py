"""Weekly windows on days when the clocks change are read off the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.check import check_plan
from engine.io import scenario_from_data
from engine.model import Status
from engine.solve import SolveParams, solve


def _scenario(zone: str, day: str, window: list[str], release: str, minutes: int) -> dict:
    return {
        "version": 1,
        "name": "clock change",
        "timezone": zone,
        "horizon": {"start": f"{day}T00:00:00+00:00", "end": f"{day}T23:00:00+00:00"},
        "calendars": {"day": {"weekly": {"sun": [window]}}},
        "machines": [{"id": "m1", "calendar": "day"}],
        "products": [{"id": "p", "routing": [{"id": "run", "machines": {"m1": minutes}}]}],
        "customers": [{"id": "c"}],
        "orders": [
            {
                "id": "A",
                "customer": "c",
                "lines": [{"product": "p", "quantity": 1}],
                "release": release,
                "due": release,
            }
        ],
    }


@pytest.mark.parametrize(
    ("minutes", "expected_start"),
    [
        # 01:30 EDT (05:30Z) is open until the clocks fall back at 06:00Z to 01:00 EST;
        # 01:00-01:29 EST is before the window opens, so an hour only fits from 01:30 EST.
        (60, datetime(2026, 11, 1, 6, 30, tzinfo=UTC)),
        (30, datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),
    ],
)
def test_window_starting_in_the_repeated_hour(minutes: int, expected_start: datetime) -> None:
    data = _scenario(
        "America/New_York", "2026-11-01", ["01:30", "11:30"], "2026-11-01T05:00:00+00:00", minutes
    )
    scenario = scenario_from_data(data)
    result = solve(scenario, SolveParams(time_limit=5, workers=1, seed=0))
    assert result.status == Status.OPTIMAL
    [a] = result.plan.assignments
    assert a.start == expected_start
    assert check_plan(scenario, result.plan).ok


def test_window_starting_in_the_skipped_hour_opens_when_the_clock_passes_it() -> None:
    # Berlin skips 02:00-03:00 on 2026-03-29: a window from 02:30 opens at 03:00 CEST (01:00Z).
    data = _scenario(
        "Europe/Berlin", "2026-03-29", ["02:30", "06:00"], "2026-03-29T00:00:00+00:00", 60
    )
    scenario = scenario_from_data(data)
    result = solve(scenario, SolveParams(time_limit=5, workers=1, seed=0))
    assert result.status == Status.OPTIMAL
    [a] = result.plan.assignments
    assert a.start == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert check_plan(scenario, result.plan).ok
