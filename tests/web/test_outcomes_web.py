"""Outcomes and the personal trial on the web: the home page asks for the PEG and the impression when due (empty,
to be chosen), the trial page refuses in words and keeps what was typed, and the API's trial and outcomes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import follow_plan_from
from hangtime.config import Settings
from hangtime.core.evidence import Evidence
from hangtime.store import Database
from hangtime.web.app import create_app

START = dt.date(2026, 3, 2)
TRIAL_DAY = START + dt.timedelta(weeks=2)


def client_on(tmp_path: Path, day: dt.date) -> TestClient:
    return TestClient(create_app(Settings(data_dir=tmp_path / "data", today=day)))


@pytest.fixture
def followed(tmp_path: Path, evidence: Evidence) -> Iterator[Path]:
    (tmp_path / "data").mkdir()
    with client_on(tmp_path, START):  # creates the schema
        pass
    db = Database(f"sqlite:///{tmp_path / 'data' / 'hangtime.db'}")
    follow_plan_from(db, evidence, START, weeks=2)
    db.dispose()
    yield tmp_path


def test_the_home_page_asks_the_peg_with_nothing_chosen_then_not_again_this_week(tmp_path: Path) -> None:
    with client_on(tmp_path, START) as client:
        client.post("/onboarding", data={"name": "A", "age": "45", "height": "178 cm", "weight": "82 kg"})
        home = client.get("/").text
        assert 'id="peg-form"' in home
        assert '<option value="" selected>Choose 0 to 10</option>' in home  # never a default score
        assert "enjoyment of life" in home
        refused = client.post("/peg", data={"pain": "6", "enjoyment": "5"})
        assert refused.status_code == 422
        saved = client.post("/peg", data={"pain": "6", "enjoyment": "5", "activity": "4"}, follow_redirects=False)
        assert saved.status_code == 303
        assert 'id="peg-form"' not in client.get("/").text
        outcomes = client.get("/api/outcomes").json()
        assert outcomes["peg"][0]["score"] == 5.0 and outcomes["due"]["peg"] is False


def test_the_api_refuses_an_impression_when_none_is_due(tmp_path: Path) -> None:
    with client_on(tmp_path, START) as client:
        refused = client.post("/api/impression", json={"answer": 2})
        assert refused.status_code == 409 and "weeks 4, 8, 12" in refused.json()["detail"]
        bad = client.post("/api/peg", json={"pain": 6, "enjoyment": 5, "activity": 12})
        assert bad.status_code == 422 and bad.json()["detail"] == "activity: must be 10 or less"


def test_the_impression_form_appears_in_week_4(followed: Path) -> None:
    with client_on(followed, START + dt.timedelta(weeks=3)) as client:
        home = client.get("/").text
        assert 'id="impression-form"' in home and "Week 4:" in home and "Very much better" in home
        assert "checked" not in home.split('id="impression-form"')[1].split("</form>")[0]
        assert client.post("/impression", data={"answer": "2"}, follow_redirects=False).status_code == 303
        assert 'id="impression-form"' not in client.get("/").text
        assert client.get("/api/outcomes").json()["impressions"][0]["label"] == "Much better"


def test_the_trial_page_refuses_in_words_and_keeps_what_was_typed(followed: Path) -> None:
    with client_on(followed, TRIAL_DAY) as client:
        refused = client.post("/trial/start", data={"pairs": "4", "block_days": "7"})
        assert refused.status_code == 409
        assert "your plan ends on 2026-04-26" in refused.text
        assert 'id="pairs" name="pairs" type="number" min="2" max="6" value="4"' in refused.text
        started = client.post("/trial/start", data={"pairs": "3", "block_days": "7"}, follow_redirects=False)
        assert started.status_code == 303
        page = client.get("/trial").text
        assert 'id="trial-today"' in page and "Block 1 of 6" in page
        assert "Not enough data yet" in page
        trial = client.get("/api/trial").json()
        assert len(trial["blocks"]) == 6 and trial["result"]["status"] == "not_enough_data"
        assert client.post("/api/trial", json={}).status_code == 409  # already running


def test_a_day_without_inversion_says_so_on_the_home_page(followed: Path) -> None:
    with client_on(followed, TRIAL_DAY) as client:
        trial = client.post("/api/trial", json={"seed": 5}).json()
    without = next(b for b in trial["blocks"] if b["arm"] == "B")
    with client_on(followed, dt.date.fromisoformat(without["start"])) as client:
        home = client.get("/").text
        assert "Start today&#39;s session" not in home and "Start today's session" not in home
        assert "without inversion" in home
        assert client.get("/api/trial").json()["stopped_on"] is None
        assert client.post("/api/trial/stop").json()["stopped_on"] == without["start"]
        assert "Start today" in client.get("/").text


def test_the_calendar_shows_the_blocks_and_no_session_in_a_block_without_inversion(followed: Path) -> None:
    from icalendar import Calendar

    with client_on(followed, TRIAL_DAY) as client:
        trial = client.post("/api/trial", json={"seed": 5}).json()
        calendar = Calendar.from_ical(client.get("/plan.ics").content)
    events = [e for e in calendar.walk("VEVENT")]
    blocks = [e for e in events if "trial block" in str(e["summary"])]
    assert len(blocks) == 6
    without = [b for b in trial["blocks"] if b["arm"] == "B"]
    assert any("WITHOUT inversion" in str(e["summary"]) for e in blocks)
    sessions = [e for e in events if str(e["summary"]).startswith("Hangtime week")]
    session_days = {e.decoded("dtstart").date() for e in sessions}
    for block in without:
        first, last = dt.date.fromisoformat(block["start"]), dt.date.fromisoformat(block["end"])
        assert not any(first <= day <= last for day in session_days)
    with_inversion = next(b for b in trial["blocks"] if b["arm"] == "A")
    first = dt.date.fromisoformat(with_inversion["start"])
    assert any(first <= day <= first + dt.timedelta(days=6) for day in session_days)


def test_pain_fields_start_empty_and_must_be_chosen(followed: Path) -> None:
    with client_on(followed, TRIAL_DAY) as client:
        page = client.get("/session").text
    assert '<select id="pain-before" name="pain_before" required><option value="" selected>' in page
    assert 'name="pain_after" required><option value="" selected>' in page  # the survey after the session
    assert 'value="0" selected' not in page


def test_peg_and_impressions_are_fhir_observations_and_csv_rows(followed: Path) -> None:
    from fhir.resources.bundle import Bundle

    week_4 = START + dt.timedelta(weeks=3)
    with client_on(followed, week_4) as client:
        client.post("/api/peg", json={"pain": 6, "enjoyment": 5, "activity": 4})
        client.post("/api/impression", json={"answer": 2})
        client.post("/api/diary", json={"pain": 3})
        bundle = client.get("/api/export/fhir").json()
        csv_text = client.get("/outcomes.csv").text
    Bundle.model_validate(bundle)
    resources = [e["resource"] for e in bundle["entry"]]
    peg = next(r for r in resources if r["id"].startswith("peg-"))
    assert peg["code"]["coding"][0]["code"] == "91147-9" and peg["valueQuantity"]["value"] == 5.0
    assert [c["code"]["coding"][0]["code"] for c in peg["component"]] == ["75893-8", "91145-3", "91146-1"]
    assert [c["valueInteger"] for c in peg["component"]] == [6, 5, 4]
    pgic = next(r for r in resources if r["id"] == "pgic-week-4")
    assert pgic["valueInteger"] == 2 and "Much better" in pgic["note"][0]["text"]
    lines = csv_text.splitlines()
    assert lines[0] == "date,measure,item,value,label"
    assert f"{week_4.isoformat()},pain_diary,pain,3," in lines
    assert f"{week_4.isoformat()},peg3,score,5.0,mean of the three" in lines
    assert f"{week_4.isoformat()},pgic,week_4,2,Much better" in lines
