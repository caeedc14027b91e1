"""`hangtime demo seed`: demonstration data at scale, fast, reproducible, and never over real data."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import TODAY
from hangtime.app import clinic, demo_data, services
from hangtime.cli.main import app
from hangtime.core.evidence import Evidence
from hangtime.core.screening import Answers
from hangtime.store import Database, repo


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'seed.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    database = Database(url)
    yield database
    database.dispose()


def test_a_clinic_is_seeded_with_patients_clinicians_and_their_sessions(db: Database, evidence: Evidence) -> None:
    seeded = demo_data.seed(db, evidence, 1001, 5000, TODAY, clinic_mode=True)
    assert (seeded.patients, seeded.clinicians, seeded.sessions, seeded.journals) == (1001, 3, 5000, 5)
    counts = demo_data.counts(db)
    assert (counts["patients"], counts["sessions"], counts["plans"], counts["journals"]) == (1001, 5000, 1001, 5)
    assert seeded.first_clinician is not None
    now = dt.datetime.now(dt.UTC)
    login = clinic.log_in(db, seeded.first_clinician, demo_data.CLINICIAN_PASSWORD, now, clinic.AddressLimiter(), "::1")
    doctor = login.actor
    mine = clinic.patients(db, doctor)
    assert len(mine) == demo_data.PATIENTS_PER_CLINICIAN
    history = services.history_summary(db, recent=20, with_days=False, owner_handle=mine[0].owner_handle)
    assert history.count == 5 and all(log.date <= TODAY for log in history.recent)
    # Seeding again adds to the demonstration data (new ids, no clash).
    again = demo_data.seed(db, evidence, 10, 100, TODAY, clinic_mode=True)
    assert again.sessions == 100 and demo_data.counts(db)["patients"] == 1011


def test_one_patient_outside_clinic_mode_is_the_local_person(db: Database, evidence: Evidence) -> None:
    demo_data.seed(db, evidence, 1, 300, TODAY, clinic_mode=False)
    history = services.history_summary(db, recent=20, owner_handle=repo.LOCAL_OWNER)
    assert history.count == 300 and len(history.recent) == 20
    assert services.current_plan(db, evidence, TODAY, owner_handle=repo.LOCAL_OWNER) is not None
    with pytest.raises(demo_data.SeedError, match="clinic mode"):
        demo_data.seed(db, evidence, 2, 10, TODAY, clinic_mode=False)


def test_a_database_with_real_data_is_refused(db: Database, evidence: Evidence) -> None:
    answers = Answers(age=45, height_cm=175, weight_kg=78)
    services.screen_and_save(db, evidence, answers, TODAY, owner_handle=repo.LOCAL_OWNER)
    for clinic_mode, patients in ((False, 1), (True, 5)):
        with pytest.raises(demo_data.SeedError, match="holds real data"):
            demo_data.seed(db, evidence, patients, 10, TODAY, clinic_mode=clinic_mode)
    assert demo_data.counts(db)["sessions"] == 0


def test_seed_from_the_terminal(runner: CliRunner, data_dir: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = runner.invoke(app, ["demo", "seed", "--sessions", "50", "--database-url", url, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["sessions"] == 50
    refused = runner.invoke(app, ["demo", "seed", "--patients", "3", "--database-url", url])
    assert refused.exit_code == 2 and "clinic mode" in refused.stderr
    refused = runner.invoke(app, ["demo", "seed", "--patients", "0", "--database-url", url])
    assert refused.exit_code == 2 and "at least 1 patient" in refused.stderr


def test_the_dashboard_read_set_wise_matches_each_patient_read_one_by_one(db: Database, evidence: Evidence) -> None:
    from hangtime.core.outcomes import pain_change, pain_change_from_sums, pain_scores

    demo_data.seed(db, evidence, 60, 3000, TODAY, clinic_mode=True)
    with db.unit_of_work() as uow:
        owners = [owner for (owner,) in uow.execute(repo.select(repo.Profile.owner_id))]
        figures = repo.dashboard_figures(uow, owners, TODAY)
        for owner in owners:
            f = figures[owner]
            screening = repo.latest_screening(uow, owner)
            plan = repo.current_plan(uow, owner)
            assert screening is not None and plan is not None
            week = plan.plan.week_on(TODAY)
            assert (f.outcome, f.valid_until) == (screening.result.outcome.value, screening.result.valid_until)
            assert f.plan_week == (week.week if week else None)
            logs = repo.session_logs(uow, owner)
            days = [log.date for log in logs]
            assert f.last_session == max(days)
            assert f.days_with_data == len({d for d in days if TODAY - dt.timedelta(days=29) <= d <= TODAY})
            one_by_one = pain_change(pain_scores(logs))
            assert pain_change_from_sums(f.first_sum, f.last_sum, f.scored) == one_by_one


def test_the_clinics_outcomes_equal_each_patients_trend_and_days_summed(db: Database, evidence: Evidence) -> None:
    from hangtime.core.outcomes import pain_change, pain_scores, summarise_outcomes

    seeded = demo_data.seed(db, evidence, 1001, 6000, TODAY, clinic_mode=True)
    assert seeded.first_clinician is not None
    # A patient with no sessions, so that "not enough data yet" and no sessions are both counted.
    password = "a long enough password"
    clinic.add_account(db, "new@example.org", clinic.Role.PATIENT, password, clinician_email=seeded.first_clinician)
    now = dt.datetime.now(dt.UTC)
    one_by_one = []
    with db.unit_of_work() as uow:
        owners = list(uow.scalars(repo.every_patient()))
        for owner in owners:
            logs = repo.session_logs(uow, owner)
            recent = len({log.date for log in logs if TODAY - dt.timedelta(days=29) <= log.date <= TODAY})
            one_by_one.append((pain_change(pain_scores(logs)).direction, recent))
    expected = summarise_outcomes(one_by_one)
    assert expected.patients == 1002 and expected.not_enough_data >= 1 and expected.better > 0
    assert clinic.clinic_outcomes(db, None, TODAY, now) == expected
    limiter = clinic.AddressLimiter()
    doctor = clinic.log_in(db, seeded.first_clinician, demo_data.CLINICIAN_PASSWORD, now, limiter, "::1").actor
    theirs = clinic.clinic_outcomes(db, doctor, TODAY, now)
    mine = clinic.patients(db, doctor)
    assert theirs.patients == len(mine) == demo_data.PATIENTS_PER_CLINICIAN + 1
    assert theirs == clinic.dashboard_outcomes(clinic.dashboard(db, doctor, TODAY, now, "::1"))


def test_a_long_history_packs_several_sessions_a_day_rather_than_leave_the_calendar(
    db: Database, evidence: Evidence, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(demo_data, "MAX_HISTORY_DAYS", 100)
    demo_data.seed(db, evidence, 1, 1000, TODAY, clinic_mode=False)
    logs = services.session_logs(db, owner_handle=repo.LOCAL_OWNER)
    assert len(logs) == 1000
    assert TODAY - dt.timedelta(days=99) <= logs[0].date and logs[-1].date == TODAY


def test_the_dashboard_shows_who_needs_attention_first_a_page_at_a_time(db: Database, evidence: Evidence) -> None:
    from sqlalchemy import func, select

    from hangtime.store import clinic as clinic_store
    from hangtime.store.models import AuditEntry

    seeded = demo_data.seed(db, evidence, 250, 2500, TODAY, clinic_mode=True)
    assert seeded.first_clinician is not None
    now = dt.datetime.now(dt.UTC)
    limiter = clinic.AddressLimiter()
    doctor = clinic.log_in(db, seeded.first_clinician, demo_data.CLINICIAN_PASSWORD, now, limiter, "::1").actor
    # The patient last by email gets an open alert: they come first.
    last = max(clinic.patients(db, doctor), key=lambda patient: patient.email)
    with db.unit_of_work() as uow:
        clinic_store.add_alert(uow, last.owner_id, "severe_pain", "Pain 9 out of 10.", now)
    everyone = clinic.dashboard(db, doctor, TODAY, now, "::1")
    with db.unit_of_work() as uow:
        audited_before = uow.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.what == "dashboard"))
    pages = [clinic.dashboard_page(db, doctor, TODAY, now, "::1", page=n) for n in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [100, 100, 50] and {p.pages for p in pages} == {3}
    assert [p.first for p in pages] == [1, 101, 201]
    shown = [row for p in pages for row in p.rows]
    assert sorted(r.account_id for r in shown) == sorted(r.account_id for r in everyone)  # each patient once
    order = [clinic.needs_attention_first(row, TODAY) for row in shown]
    assert order == sorted(order)
    assert shown[0].account_id == last.account_id and shown[0].open_alerts == 1
    # The summary is of every patient, whichever page; only the patients shown are audited as read.
    assert {p.summary for p in pages} == {clinic.dashboard_outcomes(everyone)}
    with db.unit_of_work() as uow:
        audited = uow.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.what == "dashboard"))
    assert audited == (audited_before or 0) + 250
    assert clinic.dashboard_page(db, doctor, TODAY, now, "::1", page=99).page == 3  # past the end: the last page
