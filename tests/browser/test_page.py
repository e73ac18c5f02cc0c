"""The planning page end to end: the service on a free port, driven in Debian's headless Chromium.

Skipped when Playwright is not installed or ``/usr/bin/chromium`` is absent (see ``conftest.py``
for the service and browser fixtures).
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
KEY = "planner-browser-test-0123"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)
# Without Debian's Chromium the shared ``browser`` fixture skips the test, saying why.
pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def base_url(
    tmp_path_factory: pytest.TempPathFactory,
    serve_app: Callable[[Settings], AbstractContextManager[str]],
) -> Iterator[str]:
    """The service with the examples and one planner key, on a free local port."""
    store = tmp_path_factory.mktemp("store") / "orderplan.db"
    settings = Settings(
        database_url=f"sqlite:///{store}",
        api_keys={KEY: Role.PLANNER},
        workers_per_solve=1,
        examples_dir=ROOT / "scenarios",
    )
    with serve_app(settings) as url:
        yield url


def _enter_key(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Use key").click()
    sync_api.expect(page.locator("#key-state")).to_have_text("Key accepted.")


def test_solve_the_teaching_example(base_url: str, page: Any, tmp_path: Path) -> None:
    expect = sync_api.expect
    _enter_key(page, base_url)
    assert page.evaluate("localStorage.getItem('orderplan.apiKey')") == KEY

    # Every asset comes from the service itself (no CDN).
    assets = page.eval_on_selector_all(
        "script[src], link[href]", "els => els.map(e => e.src || e.href)"
    )
    assert len(assets) >= 3
    assert all(src.startswith(base_url + "/static/") for src in assets), assets

    page.get_by_role("combobox", name="Which stored scenario").select_option("example-teaching")
    page.get_by_label("Time limit (s)").fill("3")
    page.get_by_role("button", name="Start solve").click()

    expect(page.locator("#st-status")).to_have_text("completed", timeout=45_000)
    expect(page.locator("#plan-state")).to_have_text("(optimal)")

    # The event stream was read: the incumbent chart got at least one plan (the stream may
    # deliver its progress events just after a refresh of the job showed it completed).
    expect(page.locator("#st-plans")).not_to_have_text("0")
    assert int(page.locator("#st-plans").inner_text()) >= 1

    # Objective terms: the teaching example's optimum is 0 (see scenarios/teaching.yaml).
    expect(page.locator('#objective td[data-term="total"]')).to_have_text("0")
    assert page.locator("#objective td[data-term]").count() == 6

    # One table row per order, in priority order.
    rows = page.locator("#orders tbody tr")
    expect(rows).to_have_count(4)
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.order)")) == [
        "T-1",
        "T-2",
        "T-3",
        "T-4",
    ]
    assert page.locator("#orders tbody tr").first.locator("td").first.inner_text() == "1"

    # The Gantt chart has bars, by machine and by person.
    gantt = page.locator("#gantt")
    by_machine = int(gantt.get_attribute("data-bars") or 0)
    assert by_machine > 0
    drawn = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('gantt'))"
        ".getOption().series[0].data.length"
    )
    assert drawn == by_machine
    assert page.locator("#gantt canvas").count() >= 1
    machine_shot = tmp_path / "page-by-machine.png"
    page.screenshot(path=str(machine_shot), full_page=True)

    page.get_by_text("By person").click()
    expect(gantt).to_have_attribute("aria-label", re.compile(r"^Schedule by person"))
    assert int(gantt.get_attribute("data-bars") or 0) > 0
    assert page.locator("#legend li").count() >= 2  # tiers and the late marker

    person_shot = tmp_path / "page-by-person.png"
    page.screenshot(path=str(person_shot), full_page=True)
    assert machine_shot.stat().st_size > 10_000
    keep = os.environ.get("ORDERPLAN_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for shot in (machine_shot, person_shot):
            (Path(keep) / shot.name).write_bytes(shot.read_bytes())

    assert page.errors == []


def test_upload_follow_and_cancel(base_url: str, page: Any, tmp_path: Path) -> None:
    expect = sync_api.expect
    _enter_key(page, base_url)

    # A broken file: every problem is listed with its path.
    broken = tmp_path / "broken.yaml"
    text = (ROOT / "scenarios" / "teaching.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("product: stool", "product: stol", 1), encoding="utf-8")
    page.get_by_label("Scenario file (YAML or JSON)").set_input_files(str(broken))
    expect(page.locator("#message")).to_contain_text("is not a valid scenario")
    expect(page.locator("#message")).to_contain_text("orders[")
    expect(page.get_by_role("radio", name="Upload a file")).to_be_checked()

    # The 40-order demo plant: plans improve for a long time, so it is cancelled.
    page.get_by_label("Scenario file (YAML or JSON)").set_input_files(
        str(ROOT / "scenarios" / "plant.yaml")
    )
    expect(page.locator("#file-state")).to_contain_text("valid", timeout=10_000)
    page.get_by_label("Time limit (s)").fill("60")
    page.get_by_role("button", name="Start solve").click()

    expect(page.locator("#plan-state")).to_have_text("(best so far)", timeout=30_000)
    assert int(page.locator("#st-plans").inner_text()) >= 1
    assert int(page.locator("#gantt").get_attribute("data-bars") or 0) > 0
    page.get_by_role("button", name="Cancel").click()

    expect(page.locator("#st-status")).to_have_text("cancelled", timeout=10_000)
    expect(page.locator("#orders tbody tr")).to_have_count(40)  # the best plan is kept
    expect(page.get_by_role("button", name="Cancel")).to_be_disabled()
    assert page.errors == []
