"""No internal id on any page (issue 15): conditions, symptoms, rules, sources, outcomes, how a session felt and
how it ended are shown by their labels; ids stay in attributes and in the JSON."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from conftest import follow_plan_from
from hangtime.app import services
from hangtime.config import Settings
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import PegAnswers
from hangtime.core.planning import SessionLog, Tolerance
from hangtime.core.session.commands import AlertBuddy
from hangtime.core.session.cues import END_REASON_LABELS
from hangtime.store import Database, repo
from hangtime.store.journal import Journal
from hangtime.web.app import create_app

START = dt.date(2026, 3, 2)
TODAY = START + dt.timedelta(weeks=2, days=1)


def visible_text(page: str) -> str:
    """What a person reads: no scripts, styles or attribute values."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def internal_ids(evidence: Evidence) -> set[str]:
    ids = {s for s in evidence.sources}
    ids |= {c for c in evidence.conditions if "_" in c}
    ids |= {s for s in evidence.symptoms if "_" in s}
    ids |= {r.id for r in evidence.rules.profile_rules if "_" in r.id}
    ids |= {"needs_clearance", "not_advised", "just_right", "base_caps", "hold_not_enough", "trial_hold"}
    ids |= {reason for reason in END_REASON_LABELS if "_" in reason}
    return ids


def test_no_page_shows_an_internal_id(tmp_path: Path, evidence: Evidence) -> None:
    data = tmp_path / "data"
    app = create_app(Settings(data_dir=data, today=TODAY))
    db = Database(f"sqlite:///{data / 'hangtime.db'}")
    follow_plan_from(db, evidence, START, weeks=2)
    symptom = next(s.id for s in evidence.symptoms.values() if s.severity != "red_flag" and "_" in s.id)
    log = SessionLog(date=TODAY, pain_before=3, pain_after=4, tolerance=Tolerance.JUST_RIGHT, symptoms=(symptom,))
    services.log_sessions(db, evidence, [log], TODAY, owner_handle="local")
    services.record_peg(db, PegAnswers(date=TODAY, pain=5, enjoyment=4, activity=3), TODAY, owner_handle="local")
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, "local")
    setup = services.prepare_session(db, evidence, TODAY, 30, owner_handle="local")
    journal = Journal.start(db, owner, None, setup.config, {})
    journal.command(AlertBuddy(phase="hold", on_table_since_s=95.0, last_checkin_s=30.0, at_s=95.0, at=95.0))
    journal.finish("done", "no_response", 80.0)
    services.start_trial(db, evidence, TODAY, 2, 7, seed=5, owner_handle="local")
    db.dispose()
    ids = internal_ids(evidence)
    leaks = []
    with TestClient(app) as client:
        client.post("/onboarding", data={"age": "45", "height": "178 cm", "weight": "82 kg"})
        client.post("/screening", data={"conditions": ["knee_pain"]})
        log_id = client.get("/history").text.split('href="/log/')[1].split('"')[0]
        paths = ["/", "/onboarding", "/screening", "/screening/result", "/plan", "/session", "/history", "/trial"]
        for path in [*paths, "/report", f"/log/{log_id}", "/nowhere"]:
            text = visible_text(client.get(path).text)
            if path == "/history":
                assert evidence.symptoms[symptom].label in text and "Just right" in text  # the labels, instead
            if path in ("/report", "/history"):  # how a guided session ended, in words
                assert END_REASON_LABELS["no_response"] in text
            leaks += [f"{path}: {found}" for found in sorted(ids) if re.search(rf"\b{re.escape(found)}\b", text)]
    assert not leaks, leaks
