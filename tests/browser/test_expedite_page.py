"""The publish and expedite views of the planning page, end to end in Debian's headless Chromium.

A planner solves the teaching example and publishes it; a marketing key asks for T-3
before it can be made, sees the preview (the earliest date, the cost, the orders that slip
in red, the new plan's schedule), runs into its quota, and a planner approves the request:
the published plan becomes version 2. Skipped like ``test_page.py`` without Playwright or
``/usr/bin/chromium`` (fixtures in ``conftest.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from api.config import Role, Settings

ROOT = Path(__file__).parents[2]
PLANNER = "planner-expedite-page-0123"
MARKETING = "marketing-expedite-page-4567"
RED = "rgb(220, 38, 38)"  # --late in app.css

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
# Without Debian's Chromium the shared ``browser`` fixture skips the test, saying why.
pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def base_url(
    tmp_path_factory: pytest.TempPathFactory,
    serve_app: Callable[[Settings], AbstractContextManager[str]],
) -> Iterator[str]:
    """The service with the examples, a planner and a marketing key, and a quota of one."""
    store = tmp_path_factory.mktemp("store") / "orderplan.db"
    settings = Settings(
        database_url=f"sqlite:///{store}",
        api_keys={PLANNER: Role.PLANNER, MARKETING: Role.MARKETING},
        workers_per_solve=1,
        examples_dir=ROOT / "scenarios",
        expedite_quota=1,
    )
    with serve_app(settings) as url:
        yield url


def _use_key(page: Any, key: str) -> None:
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Use key").click()
    sync_api.expect(page.locator("#key-state")).to_have_text("Key accepted.")


def _keep(*shots: Path) -> None:
    keep = os.environ.get("ORDERPLAN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in shots:
            (Path(keep) / shot.name).write_bytes(shot.read_bytes())


def test_publish_expedite_and_approve(base_url: str, page: Any, tmp_path: Path) -> None:
    expect = sync_api.expect
    page.goto(base_url + "/")

    # A planner solves the teaching example and publishes its plan: version 1.
    _use_key(page, PLANNER)
    page.get_by_role("combobox", name="Which stored scenario").select_option("example-teaching")
    expect(page.locator("#pub-version")).to_have_text("none")
    page.get_by_label("Time limit (s)").fill("3")
    page.get_by_role("button", name="Start solve").click()
    expect(page.locator("#st-status")).to_have_text("completed", timeout=30_000)
    publish = page.get_by_role("button", name="Publish this plan")
    expect(publish).to_be_enabled()
    publish.click()
    expect(page.locator("#pub-version")).to_have_text("1")
    expect(page.locator("#publish-state")).to_contain_text("version 1")
    expect(publish).to_be_disabled()  # it is the current plan now
    expect(page.locator("#key-role")).to_have_text("Role: planner.")

    # Marketing asks for T-3 (released Tuesday 07:00) by Tuesday 08:00: too early.
    _use_key(page, MARKETING)
    page.get_by_label("Scenario", exact=True).select_option("example-teaching")
    expect(page.locator("#pub-version")).to_have_text("1")
    page.get_by_label("Order", exact=True).select_option("T-3")
    page.get_by_label("Wanted by").fill("2026-03-03T08:00")
    page.get_by_label("Reason (for the planner)").fill("the cafe opens a second shop on Tuesday")
    page.get_by_label("Seconds for the preview").fill("3")
    page.get_by_role("button", name="Request expedite").click()

    detail = page.locator("#expedite")
    expect(detail.locator("#exp-title .badge")).to_have_text("ready", timeout=30_000)
    expect(page.locator("#key-role")).to_have_text("Role: marketing.")
    verdict = page.locator("#exp-verdict")
    expect(verdict).to_have_attribute("data-can-meet", "false")
    expect(verdict).to_contain_text("cannot be met")
    expect(verdict).to_contain_text(re.compile(r"earliest T-3 can complete is \w{3} \d\d Mar"))

    # The cost: every term before and after, the total up.
    expect(page.locator("#exp-cost")).to_have_attribute("data-sign", "up")
    expect(page.locator("#exp-cost")).to_contain_text("+")
    expect(page.locator("#exp-terms tbody tr")).to_have_count(3)
    expect(page.locator("#exp-terms td[data-term]")).to_have_count(18)

    # The other orders: those that slip are marked, in red, with how much later.
    impact = page.locator("#exp-impact tbody tr")
    expect(impact).to_have_count(3)  # T-1, T-2, T-4
    slips = page.locator("#exp-impact tbody tr.slips")
    count = slips.count()
    assert count >= 1, "bringing T-3 forward takes the lathe and the blanks others need"
    slipping = slips.evaluate_all("rs => rs.map(r => r.dataset.order)")
    expect(page.locator("#exp-slipping")).to_contain_text(f"{count} order")
    for order in slipping:
        row = page.locator(f'#exp-impact tbody tr[data-order="{order}"]')
        expect(row.locator(".badge.slip")).to_have_text("slips")
        expect(row.locator("td.change")).to_contain_text(re.compile(r"later|no longer served"))
        assert row.locator("td.change").evaluate("c => getComputedStyle(c).color") == RED
        expect(page.locator("#exp-slipping")).to_contain_text(order)
    assert page.locator("#exp-slipping").evaluate("c => getComputedStyle(c).color") == RED
    assert page.locator('#exp-impact tr[data-order="T-2"]').get_attribute("class") in (None, "")

    # The new plan's schedule, the expedited and slipping orders outlined.
    gantt = page.locator("#exp-gantt")
    assert int(gantt.get_attribute("data-bars") or 0) > 0
    expect(page.locator("#exp-legend")).to_contain_text("expedited order: T-3")

    # Marketing cannot decide: the buttons are disabled and say why.
    expect(page.get_by_role("button", name="Approve")).to_be_disabled()
    expect(page.get_by_role("button", name="Reject")).to_be_disabled()
    expect(page.locator("#decision-help")).to_contain_text("Only a planner key")
    expect(page.locator("#expedites tbody tr")).to_have_count(1)
    expect(page.locator("#exp-audit li")).to_have_count(2)  # requested, preview ready
    preview_shot = tmp_path / "expedite-preview.png"
    page.screenshot(path=str(preview_shot), full_page=True)

    # The quota (one) is used up: the next request is refused with its reason.
    page.get_by_label("Order", exact=True).select_option("T-1")
    page.get_by_label("Reason (for the planner)").fill("a second favour")
    page.get_by_role("button", name="Request expedite").click()
    expect(page.locator("#exp-message")).to_contain_text("quota used up")
    expect(page.locator("#exp-message")).to_contain_text("the next request is possible from")

    # A planner approves with a comment: the preview's plan is published as version 2.
    _use_key(page, PLANNER)
    row = page.locator("#expedites tbody tr").first
    expect(row.locator(".badge")).to_have_text("ready")
    row.get_by_role("button", name=re.compile("^Show the expedite of T-3")).click()
    approve = page.get_by_role("button", name="Approve")
    expect(approve).to_be_enabled()
    expect(page.get_by_role("button", name="Reject")).to_be_enabled()
    page.get_by_label("Comment", exact=True).fill("ok, the others can wait")
    approve.click()
    expect(page.locator("#pub-version")).to_have_text("2")
    expect(page.locator("#pub-source")).to_contain_text("approved expedite of T-3")
    expect(page.locator("#exp-outcome")).to_contain_text("published as version 2")
    expect(page.locator("#exp-decision")).to_be_hidden()
    expect(row.locator(".badge")).to_have_text("approved")
    approved = page.locator('#exp-audit li[data-kind="approved"]')
    expect(approved).to_contain_text("ok, the others can wait")
    expect(approved).to_contain_text("version 2")
    row.locator("td.trail summary").click()
    expect(row.locator("td.trail li")).to_have_count(3)
    expect(page.locator("#pub-versions tbody tr")).to_have_count(2)
    approved_shot = tmp_path / "expedite-approved.png"
    page.screenshot(path=str(approved_shot), full_page=True)
    assert preview_shot.stat().st_size > 10_000
    _keep(preview_shot, approved_shot)

    # The one expected failure in the console: the refused (429) request.
    unexpected = [e for e in page.errors if "status of 429" not in e]
    assert unexpected == []
