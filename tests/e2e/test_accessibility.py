"""An axe-core scan (axe-playwright-python, its bundled axe.min.js: no download) of every page, at desktop and
phone size, in Debian's Chromium: no serious or critical violation.

Pages are scanned as a new person sees them and as someone with a plan, a trial and results sees them; in clinic
mode, the sign-in and invitation pages, the clinician's dashboard and patient page, and a patient's account and
"who looked" pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_playwright import CHROMIUM, serving  # tests/e2e is on the path (no package)

from conftest import follow_plan_from
from hangtime.app import clinic, services
from hangtime.config import Settings
from hangtime.core.evidence import Clearer, Evidence
from hangtime.core.outcomes import DiaryEntry, PegAnswers
from hangtime.store import Database
from hangtime.web.app import create_app

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed (make test installs it)"),
]

SIZES = {"desktop": (1200, 900), "phone": (390, 844)}
PERSONAL_PAGES = [
    "/",
    "/onboarding",
    "/screening",
    "/screening/result",
    "/plan",
    "/session",
    "/history",
    "/trial",
    "/report",
    "/a-page-that-does-not-exist",
    "/static/offline.html",
]
START = dt.date(2026, 3, 2)
TODAY = START + dt.timedelta(weeks=3)
SERIOUS = ("serious", "critical")
CLINICIAN = ("pt@clinic.example", "correct horse battery")
PATIENT = ("sam@example.org", "sam's long password")


def serious_violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[node['target'] for node in v['nodes'][:3]]}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


def scan(address: str, paths: list[str], sign_in: tuple[str, str] | None = None) -> list[str]:
    from playwright.sync_api import sync_playwright

    found = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        for size_name, (width, height) in SIZES.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            if sign_in is not None:
                page.goto(address + "/login")
                page.get_by_label("Email").fill(sign_in[0])
                page.get_by_label("Password").fill(sign_in[1])
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("networkidle")
            for path in paths:
                page.goto(address + path)
                assert page.url == address + path, f"{path} sent the browser to {page.url}"  # the page itself
                found += [f"{size_name} {path}: {v}" for v in serious_violations(page)]
            context.close()
        browser.close()
    return found


def with_data(data: Path, evidence: Evidence, person: str = "local") -> None:
    db = Database(f"sqlite:///{data / 'hangtime.db'}")
    follow_plan_from(db, evidence, START, weeks=2, person=person)
    services.start_trial(db, evidence, START + dt.timedelta(weeks=2), 3, 7, seed=5, owner_handle=person)
    for offset in range(7):
        day = START + dt.timedelta(weeks=2, days=offset)
        services.record_diary(db, DiaryEntry(date=day, pain=3 + offset % 3), TODAY, owner_handle=person)
    services.record_peg(db, PegAnswers(date=START, pain=6, enjoyment=5, activity=4), TODAY, owner_handle=person)
    db.dispose()


def test_every_page_of_a_new_person_passes_axe(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", today=TODAY))
    # The screening pages send a new person to the profile first (scanned as /onboarding).
    pages = [p for p in PERSONAL_PAGES if not p.startswith("/screening")]
    with serving(app) as address:
        assert scan(address, pages) == []


def test_every_page_with_a_plan_a_trial_and_results_passes_axe(tmp_path: Path, evidence: Evidence) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data, today=TODAY))
    with_data(data, evidence)
    with serving(app) as address:
        assert scan(address, PERSONAL_PAGES) == []


@pytest.fixture
def clinic_address(tmp_path: Path, evidence: Evidence) -> Iterator[tuple[str, int, str]]:
    data = tmp_path / "data"
    settings = Settings(data_dir=data, mode="clinic", today=TODAY)
    app = create_app(settings)
    db = Database(settings.resolved_database_url())
    staff = clinic.add_account(
        db, CLINICIAN[0], clinic.Role.CLINICIAN, CLINICIAN[1], profession=Clearer.PHYSICAL_THERAPIST
    )
    clinic.add_account(db, PATIENT[0], clinic.Role.PATIENT, PATIENT[1], clinician_email=CLINICIAN[0])
    actor = clinic.Actor(
        staff.id, staff.email, clinic.Role.CLINICIAN, f"account-{staff.id}", Clearer.PHYSICAL_THERAPIST
    )
    patient = clinic.patients(db, actor)[0]
    token = clinic.invite(db, actor, "new@example.org", dt.datetime.now(dt.UTC))
    db.dispose()
    with_data(data, evidence, patient.owner_handle)
    with serving(app) as address:
        yield address, patient.account_id, token


def test_clinic_pages_pass_axe(clinic_address: tuple[str, int, str]) -> None:
    address, patient_id, token = clinic_address
    assert scan(address, ["/login", f"/invite/{token}"]) == []
    pages = ["/clinic", "/clinic/outcomes", f"/clinic/patients/{patient_id}", "/account"]
    assert scan(address, pages, sign_in=CLINICIAN) == []
    assert scan(address, ["/", "/trial", "/history", "/account", "/access"], sign_in=PATIENT) == []
