"""The dispatcher's placement primitives against brute force: a machine's first free
start, material availability, and the earliest start with a free crew."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dispatch import _enough, _place_on, _State, _Timeline
from engine.problem import LineData, MachineData, Mode, OpData

Busy = list[tuple[int, int, str | None]]


def _conflict(busy: Busy, start: int, end: int, family: str | None, changeover: int) -> int | None:
    """The end (plus changeover) of a neighbour that ``[start, end)`` would meet, if any.

    Changeovers are due between directly consecutive operations only: the last
    interval starting before ``start`` and the first starting at or after it.
    """
    before = [x for x in busy if x[0] < start]
    after = [x for x in busy if x[0] >= start]
    for a, b, fam in before[-1:] + after[:1]:
        gap = changeover if fam is not None and family is not None and fam != family else 0
        if start < b + gap and a < end + gap:
            return b + gap
    return None


def _booked(lengths: list[tuple[int, int, str | None]], changeover: int) -> _Timeline:
    """Busy intervals as the dispatcher books them: apart by a changeover between families."""
    timeline, t, last = _Timeline(), 0, None
    for idle, length, fam in lengths:
        t += idle + (changeover if last and fam and last != fam else 0)
        timeline.add(t, t + length, fam)
        t, last = t + length, fam
    return timeline


@settings(max_examples=200, deadline=None)
@given(
    lengths=st.lists(
        st.tuples(st.integers(0, 30), st.integers(1, 40), st.sampled_from(["a", "b", None])),
        max_size=12,
    ),
    start=st.integers(0, 400),
    duration=st.integers(1, 60),
    family=st.sampled_from(["a", "b", None]),
    changeover=st.integers(0, 20),
)
def test_first_free_start_on_a_machine_equals_stepping_past_each_conflict(
    lengths: list[tuple[int, int, str | None]],
    start: int,
    duration: int,
    family: str | None,
    changeover: int,
) -> None:
    timeline = _booked(lengths, changeover)
    stepped = start
    while (
        blocked := _conflict(timeline.busy, stepped, stepped + duration, family, changeover)
    ) is not None:
        stepped = blocked
    assert timeline.free_from(start, duration, family, changeover) == stepped


_events = st.lists(st.tuples(st.integers(0, 50), st.integers(1, 9)), max_size=8).map(sorted)


@settings(max_examples=300, deadline=None)
@given(
    on_hand=st.integers(0, 20),
    receipts=_events,
    taken=_events,
    start=st.integers(0, 60),
    need=st.integers(1, 15),
)
def test_material_is_enough_exactly_when_no_minute_from_the_start_runs_short(
    on_hand: int,
    receipts: list[tuple[int, int]],
    taken: list[tuple[int, int]],
    start: int,
    need: int,
) -> None:
    def level(minute: int) -> int:
        supply = on_hand + sum(q for t, q in receipts if t <= minute)
        return supply - sum(q for t, q in taken if t <= minute) - need

    expected = all(level(minute) >= 0 for minute in range(start, 61))
    assert _enough(on_hand, receipts, taken, start, need) is expected


_windows = st.lists(st.tuples(st.integers(0, 40), st.integers(0, 30)), max_size=4).map(
    lambda pairs: _merged(pairs)
)


def _merged(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint closed ranges from (start, length) pairs laid end to end."""
    out: list[tuple[int, int]] = []
    t = 0
    for gap, length in pairs:
        a = t + gap
        out.append((a, a + length))
        t = a + length + 2
    return out


_person = st.tuples(
    st.lists(st.tuples(st.integers(0, 20), st.integers(1, 25), st.none()), max_size=6),
    st.one_of(st.none(), _windows),
)


@settings(max_examples=300, deadline=None)
@given(
    machine=st.lists(
        st.tuples(st.integers(0, 20), st.integers(1, 25), st.sampled_from(["a", "b", None])),
        max_size=6,
    ),
    starts=_windows.filter(bool),
    people=st.lists(_person, min_size=1, max_size=5),
    crew=st.integers(0, 3),
    duration=st.integers(1, 20),
    earliest=st.integers(0, 60),
    family=st.sampled_from(["a", "b", None]),
    changeover=st.integers(0, 5),
)
def test_earliest_start_with_a_free_crew_matches_minute_by_minute_search(
    machine: list[tuple[int, int, str | None]],
    starts: list[tuple[int, int]],
    people: list[tuple[list[tuple[int, int, None]], list[tuple[int, int]] | None]],
    crew: int,
    duration: int,
    earliest: int,
    family: str | None,
    changeover: int,
) -> None:
    names = [f"p{k}" for k in range(len(people))]
    timelines = {name: _booked(busy, 0) for name, (busy, _) in zip(names, people, strict=True)}
    narrowed = {name: own for name, (_, own) in zip(names, people, strict=True) if own is not None}
    mode = Mode("m", duration, starts, narrowed)
    op = OpData(0, "op", family, "skill", crew, names, [mode], 0, 0)
    line = LineData(0, 0, "product", 1, False, [op], {})
    data = type("Data", (), {"machines": {"m": MachineData("m", changeover)}})()
    state = _State(data, {"m": _booked(machine, changeover)}, timelines, {}, {})  # type: ignore[arg-type]

    def inside(windows: list[tuple[int, int]], s: int) -> bool:
        return any(a <= s <= b for a, b in windows)

    expected = None
    for s in range(earliest, 200):
        if not inside(starts, s):
            continue
        if _conflict(state.machines["m"].busy, s, s + duration, family, changeover) is not None:
            continue
        free = [
            name
            for name in names
            if inside(narrowed.get(name, starts), s)
            and _conflict(timelines[name].busy, s, s + duration, None, 0) is None
        ]
        if len(free) >= crew:
            expected = (s, tuple(free[:crew]))
            break
    assert _place_on(state, op, line, mode, earliest) == expected
