"""Clinic mode in Debian's Chromium: a clinician invites a patient, the patient sets a password, screens, makes a
plan and runs a session that ends in severe pain; the clinician sees the alert and acknowledges it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_playwright import CHROMIUM, level_sensor, serving, shot, tilt  # tests/e2e is on the path (no package)

from hangtime.app import clinic
from hangtime.config import Settings
from hangtime.core.evidence import Clearer
from hangtime.store import Database
from hangtime.web.app import create_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]
CLINICIAN = ("pt@clinic.example", "correct horse battery")


@pytest.fixture
def clinic_server(tmp_path: Path) -> Iterator[str]:
    settings = Settings(data_dir=tmp_path / "data", mode="clinic", demo=True, session_speed=10, checkin_interval_s=30)
    app = create_app(settings)
    db = Database(settings.resolved_database_url())
    clinic.add_account(db, CLINICIAN[0], clinic.Role.CLINICIAN, CLINICIAN[1], profession=Clearer.PHYSICAL_THERAPIST)
    db.dispose()
    with serving(app) as address:
        yield address


def test_clinician_invites_patient_sees_the_alert_and_acknowledges_it(clinic_server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        # The clinician signs in and invites a patient.
        staff = browser.new_context(viewport={"width": 1100, "height": 900})
        desk = staff.new_page()
        desk.goto(clinic_server + "/clinic")
        expect(desk.get_by_role("heading", name="Sign in")).to_be_visible()
        desk.get_by_label("Email").fill(CLINICIAN[0])
        desk.get_by_label("Password").fill("wrong password!")
        desk.get_by_role("button", name="Sign in").click()
        expect(desk.locator("#login-error")).to_contain_text("not right")
        desk.get_by_label("Password").fill(CLINICIAN[1])
        desk.get_by_role("button", name="Sign in").click()
        expect(desk.get_by_role("heading", name="Your patients")).to_be_visible()
        desk.get_by_label("Email").fill("sam@example.org")
        desk.get_by_role("button", name="Create the invitation").click()
        link = desk.locator("#invite-link code").inner_text()
        assert "/invite/" in link

        # The patient, in a browser of their own, sets a password and signs in.
        own = browser.new_context(viewport={"width": 1000, "height": 900})
        page = own.new_page()
        page.goto(link)
        page.get_by_label("New password").fill("sam's long password")
        page.get_by_role("button", name="Set password").click()
        page.get_by_label("Email").fill("sam@example.org")
        page.get_by_label("Password").fill("sam's long password")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Start").click()
        page.get_by_label("Age in years").fill("45")
        page.get_by_label("Height").fill("5 ft 9 in")
        page.get_by_label("Weight").fill("170 lb")
        page.get_by_role("button", name="Save and continue").click()
        page.get_by_role("button", name="See my result").click()
        expect(page.locator("#outcome")).to_have_text("Cleared, within these limits")
        page.get_by_role("link", name="Make my plan").click()
        page.get_by_role("button", name="Make my plan").click()
        page.get_by_role("link", name="Start today's session").click()

        cdp = level_sensor(own, page)
        page.get_by_role("button", name="Calibrate").click()
        expect(page.locator("#sensor-status")).to_contain_text("Calibrated")
        for box in page.locator("input[name=items]").all():
            box.check()
        page.locator("#pain-before").select_option("5")
        page.get_by_role("button", name="Start session").click()
        tilt(cdp, 20)
        expect(page.locator("#phase")).to_have_text("HOLDING")
        page.locator("#stop").click()
        expect(page.locator("#phase")).to_have_text("RETURNING")
        tilt(cdp, 1)
        deadline = time.monotonic() + 60
        while page.locator("#survey").is_hidden() and time.monotonic() < deadline:
            if page.locator("#banner").inner_text().strip():
                page.keyboard.press("Space")
            page.wait_for_timeout(100)
        page.locator("#pain-after").select_option("9")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#finished-text")).to_be_visible()

        # The clinician sees the alert on the dashboard and acknowledges it; the patient sees who looked.
        desk.goto(clinic_server + "/clinic")
        expect(desk.locator("#alerts")).to_contain_text("Pain 8 or more")
        expect(desk.locator("#alerts")).to_contain_text("sam@example.org")
        expect(desk.locator("#patients")).to_contain_text(dt.date.today().isoformat())
        shot(desk, "clinic-dashboard")
        desk.get_by_role("button", name="Acknowledge").click()
        expect(desk.locator("#alerts")).to_have_text("No open alerts.")
        desk.get_by_role("link", name="sam@example.org").click()
        expect(desk).to_have_title("sam@example.org · Hangtime")
        expect(desk.locator("#sessions")).to_contain_text("9")
        expect(desk.locator("#guided")).to_contain_text("Stopped by the person")
        desk.get_by_label("Add a note").fill("Called Sam: the pain was from gardening, not the table.")
        desk.get_by_role("button", name="Save the note").click()
        expect(desk.locator("#notes")).to_contain_text("gardening")

        page.goto(clinic_server + "/access")
        expect(page.locator("#access")).to_contain_text(CLINICIAN[0])
        expect(page.locator("#access")).to_contain_text("acknowledged an alert")
        browser.close()
