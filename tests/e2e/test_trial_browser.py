"""The personal trial and the weekly questions in Debian's Chromium, on a phone (390 x 844) and a desktop: the
trial is started from its page, the chart of daily pain is drawn with its blocks shaded, and the PEG is answered
from the home page with every field chosen by the person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_playwright import CHROMIUM, serving, shot  # tests/e2e is on the path (no package)

from conftest import follow_plan_from
from hangtime.app import services
from hangtime.config import Settings
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import DiaryEntry
from hangtime.store import Database
from hangtime.web.app import create_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]

START = dt.date(2026, 3, 2)
TRIAL_DAY = START + dt.timedelta(weeks=2)


@pytest.mark.parametrize(("width", "height", "name"), [(390, 844, "trial-phone"), (1200, 900, "trial-desktop")])
def test_start_a_trial_see_its_chart_and_answer_the_peg(
    tmp_path: Path, evidence: Evidence, width: int, height: int, name: str
) -> None:
    from playwright.sync_api import expect, sync_playwright

    data = tmp_path / "data"
    day = TRIAL_DAY + dt.timedelta(days=20)
    app = create_app(Settings(data_dir=data, today=TRIAL_DAY))
    db = Database(f"sqlite:///{data / 'hangtime.db'}")
    follow_plan_from(db, evidence, START, weeks=2)
    with serving(app) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{address}/trial")
        page.fill("#pairs", "4")
        page.click("text=Start the trial today")
        expect(page.locator("#trial-error")).to_contain_text("your plan ends on 2026-04-26")
        expect(page.locator("#pairs")).to_have_value("4")  # what was typed is kept
        page.fill("#pairs", "3")
        page.click("text=Start the trial today")
        expect(page.locator("#trial-today")).to_contain_text("Block 1 of 6")
        browser.close()
    # Three weeks of diary later, the page shows the chart and the result so far.
    view = services.trial_view(db, TRIAL_DAY, owner_handle="local")
    assert view is not None
    for offset in range(21):
        entry_day = TRIAL_DAY + dt.timedelta(days=offset)
        services.record_diary(db, DiaryEntry(date=entry_day, pain=3 + offset % 3), day, owner_handle="local")
    db.dispose()
    later = create_app(Settings(data_dir=data, today=day))
    with serving(later) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.goto(f"{address}/trial")
        expect(page.locator("#trial-plot canvas")).to_have_count(1)
        expect(page.locator("#trial-result")).to_contain_text("more diary days")
        expect(page.locator('nav a[href="/trial"]')).to_have_attribute("aria-current", "page")
        shot(page, name)
        page.goto(f"{address}/")
        form = page.locator("#peg-form")
        expect(form).to_be_visible()
        page.select_option("#peg-pain", "6")
        page.select_option("#peg-enjoyment", "5")
        page.click("text=Save this week's answers")  # one question left unanswered: the browser asks for it
        expect(form).to_be_visible()
        page.select_option("#peg-activity", "4")
        page.click("text=Save this week's answers")
        expect(page.locator("#peg-form")).to_have_count(0)
        browser.close()
