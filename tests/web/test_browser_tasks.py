"""Every task in the browser (issue 15), through the ASGI client: the plan changed with its settings remembered,
the calendar's reminder time, heights and weights shown in the person's own units, the screening form filled with
the last answers, the buddy test alert, and deleting all of one's data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from conftest import Mailbox
from hangtime.config import Settings
from hangtime.core.evidence import load_evidence
from hangtime.web.app import create_app

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", today=TODAY))) as test_client:
        yield test_client


def onboard(client: TestClient, height: str = "5 ft 10 in", weight: str = "180 lb", **extra: str) -> None:
    form = {"name": "Sam", "age": "45", "height": height, "weight": weight, **extra}
    assert client.post("/onboarding", data=form, follow_redirects=False).status_code == 303


def test_heights_and_weights_are_shown_in_the_units_typed(client: TestClient) -> None:
    onboard(client)
    page = client.get("/onboarding").text
    assert 'value="5 ft 10 in"' in page and 'value="180 lb"' in page
    client.post("/api/screen", json={"age": 45, "height_cm": 177.8, "weight_kg": 81.6})
    assert "5 ft 10 in (178 cm)" in client.get("/report").text
    onboard(client, height="178 cm", weight="82 kg")
    assert 'value="178 cm"' in client.get("/onboarding").text
    assert "178 cm (5 ft 10 in)" in client.get("/report").text


def test_the_screening_form_starts_from_the_last_answers(client: TestClient) -> None:
    onboard(client)
    client.post("/screening", data={"conditions": ["knee_pain"], "blood_pressure": "135/85", "bp_date": "2026-11-20"})
    page = client.get("/screening").text
    assert 'value="knee_pain" checked' in page
    assert 'value="135/85"' in page and 'value="2026-11-20"' in page


def test_the_plan_is_changed_in_the_browser_and_its_settings_are_remembered(client: TestClient) -> None:
    onboard(client)
    client.post("/screening", data={})
    made = client.post("/plan", data={"weeks": "10", "days_per_week": "3", "sessions_per_day": "1"})
    assert made.status_code == 200
    page = client.get("/plan").text
    assert 'id="change-plan"' in page
    assert '<option value="10" selected>' in page and '<option value="3" selected>' in page
    refused = client.post("/plan", data={"weeks": "10", "days_per_week": "5", "start_date": "2026-11-01"})
    assert refused.status_code == 422 and "in the past" in refused.text
    assert '<option value="5" selected>' in refused.text  # what was typed is kept
    assert 'id="weeks"' in refused.text and "This week" in refused.text  # the current plan is still shown
    client.post("/plan", data={"weeks": "12", "days_per_week": "2"})
    plan = client.get("/api/plan").json()
    assert len(plan["weeks"]) == 12 and plan["preferences"]["days_per_week"] == 2


def test_the_calendar_uses_the_chosen_reminder_time(client: TestClient) -> None:
    onboard(client)
    client.post("/screening", data={})
    client.post("/plan", data={"weeks": "8", "days_per_week": "3"})
    calendar = Calendar.from_ical(client.get("/plan.ics", params={"at": "19:30"}).content)
    first = next(e for e in calendar.walk("VEVENT") if str(e["summary"]).startswith("Hangtime week"))
    assert first.decoded("dtstart").time() == dt.time(19, 30)
    assert client.get("/plan.ics", params={"at": "25:00"}).status_code == 422


def test_the_buddy_test_alert_is_sent_and_said_in_words(tmp_path: Path, smtp_server: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp_server
    settings = Settings(data_dir=tmp_path / "data", today=TODAY, smtp_host="127.0.0.1", smtp_port=port)
    with TestClient(create_app(settings)) as client:
        onboard(client)
        assert client.post("/buddy/test").status_code == 409  # no buddy yet
        onboard(client, buddy_kind="email", buddy_address="buddy@example.org", buddy_name="Alex")
        assert 'id="buddy-test"' in client.get("/onboarding").text
        sent = client.post("/buddy/test")
        assert sent.status_code == 200 and "delivered to your buddy" in sent.text
    assert len(mailbox.messages) == 1
    body = mailbox.messages[0].content.decode()
    assert "a test alert from Sam (no action needed)" in body and "buddy@example.org" in mailbox.messages[0].rcpt_tos


def test_delete_all_my_data_needs_the_word_and_then_leaves_nothing(client: TestClient) -> None:
    onboard(client)
    client.post("/screening", data={})
    client.post("/api/diary", json={"pain": 4})
    refused = client.post("/my-data/delete", data={"confirm": "yes"})
    assert refused.status_code == 422 and "nothing was deleted" in refused.text
    assert client.get("/api/diary").json() != []
    done = client.post("/my-data/delete", data={"confirm": "DELETE"})
    assert done.status_code == 200 and "All your data was deleted." in done.text
    assert client.get("/api/diary").json() == []
    assert client.get("/api/screening").status_code == 404
    assert client.get("/api/export/all").json()["profiles"] == []


def ready_to_log(client: TestClient) -> None:
    onboard(client)
    client.post("/screening", data={})
    client.post("/plan", data={"weeks": "8", "days_per_week": "3"})


def test_a_session_is_logged_by_hand_and_a_refusal_keeps_what_was_typed(client: TestClient) -> None:
    ready_to_log(client)
    page = client.get("/history").text
    assert 'id="log-form"' in page and '<option value="">Not noted</option>' in page
    steep = {"date": "2026-11-23", "completed": "yes", "pain_before": "4", "angle_deg": "85", "minutes": "1"}
    refused = client.post("/log", data=steep)
    assert refused.status_code == 422 and "beyond your limits" in refused.text
    assert 'value="85"' in refused.text and '<option value="4" selected>' in refused.text
    bad = client.post("/log", data={**steep, "pain_before": "4", "angle_deg": "20", "minutes": "lots"})
    assert bad.status_code == 422 and "type numbers as digits" in bad.text
    done = client.post("/log", data={**steep, "angle_deg": "20", "minutes": "1", "tolerance": "easy"})
    assert done.status_code == 200  # followed to the history
    assert client.get("/api/history").json()["sessions"][0]["angle_deg"] == 20


def test_a_log_is_changed_and_deleted_with_a_reason_kept_in_the_history(client: TestClient) -> None:
    ready_to_log(client)
    client.post("/log", data={"date": "2026-11-23", "completed": "yes", "pain_before": "4", "pain_after": "3"})
    log_id = client.get("/history").text.split('href="/log/')[1].split('"')[0]
    page = client.get(f"/log/{log_id}").text
    assert '<option value="4" selected>' in page
    no_reason = client.post(f"/log/{log_id}/edit", data={"completed": "yes", "pain_before": "5", "reason": " "})
    assert no_reason.status_code == 422 and "say why" in no_reason.text
    assert client.get("/api/history").json()["sessions"][0]["pain_before"] == 4  # nothing changed
    edited = client.post(
        f"/log/{log_id}/edit", data={"completed": "yes", "pain_before": "5", "pain_after": "3", "reason": "misread"}
    )
    assert edited.status_code == 200 and "was edited. Why: misread" in edited.text
    assert client.get("/api/history").json()["sessions"][0]["pain_before"] == 5
    deleted = client.post(f"/log/{log_id}/delete", data={"reason": "logged twice"})
    assert "was deleted. Why: logged twice" in deleted.text
    assert client.get("/api/history").json()["count"] == 0
    assert client.get(f"/log/{log_id}").status_code == 404


def test_a_red_flag_added_by_an_edit_pauses_at_once_and_removing_it_does_not_lift_it(client: TestClient) -> None:
    ready_to_log(client)
    client.post("/log", data={"date": "2026-11-23", "completed": "yes", "pain_before": "3"})
    log_id = client.get("/history").text.split('href="/log/')[1].split('"')[0]
    flag = next(s.id for s in load_evidence().symptoms.values() if s.severity == "red_flag")
    client.post(f"/log/{log_id}/edit", data={"completed": "yes", "symptoms": [flag], "reason": "forgot to say"})
    assert "Inversion is paused" in client.get("/").text
    client.post(f"/log/{log_id}/edit", data={"completed": "yes", "reason": "it was nothing"})
    assert "Inversion is paused" in client.get("/").text  # only a clearance lifts it


def test_no_dead_ends_a_wrong_clearer_is_told_who_can_clear_and_not_advised_has_no_form(client: TestClient) -> None:
    onboard(client)
    client.post("/screening", data={"conditions": ["knee_pain"]})
    result = client.get("/screening/result").text
    assert 'action="/clearance"' in result and '<option value="physician">' in result
    assert '<option value="physical_therapist">' not in result  # only who may clear is offered
    wrong = client.post("/clearance", data={"by": "physical_therapist", "date": "2026-11-20", "condition": "knee_pain"})
    assert wrong.status_code == 422 and "physician" in wrong.text.lower()
    assert "Start today" not in client.get("/").text and "Start today" not in client.get("/plan").text
    client.post("/screening", data={"conditions": ["glaucoma"]})
    not_advised = client.get("/screening/result").text
    assert "not advised" in not_advised.lower() and 'action="/clearance"' not in not_advised


def test_the_session_announces_cues_politely_but_not_the_countdown(client: TestClient) -> None:
    ready_to_log(client)
    page = client.get("/session").text
    assert '<div id="cue" aria-live="polite"></div>' in page
    countdown = page.split('id="countdown"')[1].split(">")[0]
    assert "aria-live" not in countdown
    status = page.split('<div id="status">')[1].split('<div id="countdown"')[0]
    assert "aria-live" not in status.replace('role="alert"', "")  # only the banner's alerts, never the ticking
