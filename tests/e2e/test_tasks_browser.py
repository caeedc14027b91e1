"""Every task in the browser, in Debian's Chromium at phone (390 x 844) and desktop size, keyboard and pointer:
a profile typed in feet and pounds and shown back in them, the screening form refilled, the plan made and changed,
a session logged by hand, changed and deleted with a reason, and all of one's data deleted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_playwright import CHROMIUM, serving, shot  # tests/e2e is on the path (no package)

from hangtime.config import Settings
from hangtime.web.app import create_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]
TODAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(("width", "height", "size"), [(390, 844, "phone"), (1200, 900, "desktop")])
def test_every_task_in_the_browser(tmp_path: Path, width: int, height: int, size: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    app = create_app(Settings(data_dir=tmp_path / "data", today=TODAY))
    with serving(app) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})

        # A profile in feet and pounds, shown back in them.
        page.goto(address + "/onboarding")
        page.get_by_label("Age in years").fill("45")
        page.get_by_label("Height").fill("5 ft 10 in")
        page.get_by_label("Weight").fill("180 lb")
        page.get_by_role("button", name="Save and continue").click()
        page.goto(address + "/onboarding")
        expect(page.get_by_label("Height")).to_have_value("5 ft 10 in")
        expect(page.get_by_label("Weight")).to_have_value("180 lb")

        # The screening, refilled with the last answers.
        page.goto(address + "/screening")
        page.locator("#blood_pressure").fill("128/82")
        page.locator("form button[type=submit]").last.click()
        page.goto(address + "/screening")
        expect(page.locator("#blood_pressure")).to_have_value("128/82")

        # The plan, made and then changed, its settings remembered.
        page.goto(address + "/plan")
        page.select_option("#weeks", "10")
        page.select_option("#days_per_week", "3")
        page.click("#make-plan")
        expect(page.locator("#today-prescription")).to_be_visible()
        page.locator("#change-plan summary").click()
        expect(page.locator("#change-plan #weeks")).to_have_value("10")
        page.locator("#change-plan #days_per_week").select_option("2")
        page.locator("#change-plan #make-plan").click()
        page.locator("#change-plan summary").click()
        expect(page.locator("#change-plan #days_per_week")).to_have_value("2")
        shot(page, f"plan-change-{size}")

        # A session logged by hand: too steep is refused with the reason and the typed values kept.
        page.goto(address + "/history")
        page.locator("#log-by-hand summary").click()
        page.select_option("#log-pain-before", "4")
        page.fill("#log-angle", "85")
        page.fill("#log-minutes", "1")
        page.get_by_role("button", name="Save the session").click()
        expect(page.locator("#log-error")).to_contain_text("beyond your limits")
        expect(page.locator("#log-angle")).to_have_value("85")
        page.fill("#log-angle", "20")
        page.get_by_role("button", name="Save the session").click()
        expect(page.locator("#latest")).to_be_visible()

        # Changed, then deleted, each with a reason kept in the history.
        page.get_by_role("link", name="Change").first.click()
        page.select_option("#pain-before", "5")
        page.fill("#edit-reason", "I misread the scale")
        page.get_by_role("button", name="Save the change").click()
        expect(page.locator("#change-list")).to_contain_text("edited. Why: I misread the scale")
        page.get_by_role("link", name="Change").first.click()
        page.fill("#delete-reason", "logged twice")
        page.get_by_role("button", name="Delete the session").click()
        expect(page.locator("#change-list")).to_contain_text("deleted. Why: logged twice")
        shot(page, f"history-changes-{size}")

        # All of one's data, deleted after typing the word.
        page.goto(address + "/onboarding")
        page.fill("#confirm", "delete please")
        page.get_by_role("button", name="Delete all my data").click()
        expect(page.locator("#delete-error")).to_contain_text("nothing was deleted")
        page.fill("#confirm", "DELETE")
        page.get_by_role("button", name="Delete all my data").click()
        expect(page.locator("#deleted-note")).to_have_text("All your data was deleted.")
        browser.close()
