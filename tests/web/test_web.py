"""The web app through the ASGI test client: JSON API (problem details), HTML forms, exports, the live socket."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from fhir.resources.bundle import Bundle
from icalendar import Calendar

from hangtime.config import Settings
from hangtime.web.app import create_app

ADULT = {"age": 45, "height_cm": 178, "weight_kg": 82}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    import datetime as dt

    settings = Settings(
        data_dir=tmp_path / "data", today=dt.date(2026, 11, 23), demo=True, session_speed=50, checkin_interval_s=30
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_api_screen_plan_log_history(client: TestClient) -> None:
    knee = {"by": "physician", "date": "2026-11-01", "conditions": ["knee_pain"]}
    screened = client.post("/api/screen", json={**ADULT, "conditions": ["knee_pain"], "clearances": [knee]})
    assert screened.status_code == 200
    assert screened.json()["outcome"] == "cleared" and screened.json()["caps"]["max_angle_deg"] == 45
    plan = client.post("/api/plan", json={"start_date": "2026-11-23", "days_per_week": 3})
    assert plan.status_code == 200
    assert plan.json()["weeks"][0]["prescription"]["angle_deg"] == 20
    logged = client.post(
        "/api/log", json={"date": "2026-11-23", "pain_before": 5, "pain_after": 3, "tolerance": "easy"}
    )
    assert logged.status_code == 201
    history = client.get("/api/history").json()
    assert history["sessions"][0]["pain_after"] == 3
    for day in ("2026-11-20", "2026-11-21"):
        client.post("/api/log", json={"date": day, "pain_before": 6})
    page = client.get("/api/history", params={"limit": 2, "offset": 1}).json()
    assert page["count"] == 3 and [s["date"] for s in page["sessions"]] == ["2026-11-21", "2026-11-20"]
    # Three sessions are not yet a trend: better or worse needs six (the first three against the last three).
    assert page["pain_change"]["direction"] == "not enough data yet" and page["pain_change"]["baseline"] is None
    assert client.get("/api/history", params={"limit": 0}).status_code == 422
    days = client.get("/api/history/days").json()
    assert [(d["day"], d["sessions"], d["pain_before"]) for d in days["days"]] == [
        ("2026-11-20", 1, 6.0),
        ("2026-11-21", 1, 6.0),
        ("2026-11-23", 1, 5.0),
    ]
    assert days["minimal_important_change"] == 2
    assert client.get("/api/history/days", params={"since": "2026-11-22"}).json()["days"][0]["day"] == "2026-11-23"
    page_html = client.get("/history").text
    assert "<svg" not in page_html and "/static/history.js" in page_html, "the charts are drawn in the browser"
    assert "<td>Easy</td>" in page_html and ">easy<" not in page_html, "a label, not the id"
    assert client.post("/api/plan/review").json()["revisions"] == []


def test_api_problem_details(client: TestClient) -> None:
    bad = client.post("/api/screen", json={"age": 450, "height_cm": 178, "weight_kg": 82})
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["detail"] == "age: must be 120 or less"
    unknown = client.post("/api/screen", json={**ADULT, "conditions": ["flu"]})
    assert unknown.status_code == 422 and "unknown condition 'flu'" in unknown.json()["detail"]
    assert (
        client.post("/api/screen", content=b"{not json", headers={"content-type": "application/json"}).status_code
        == 422
    )
    assert client.get("/api/plan").status_code == 404
    client.post("/api/screen", json={**ADULT, "conditions": ["glaucoma"]})
    refused = client.post("/api/plan", json={})
    assert refused.status_code == 409
    assert "no plan until you are cleared" in refused.json()["detail"]
    assert refused.json()["screening"]["alternatives"]
    future = client.post("/api/log", json={"date": "2030-01-01"})
    assert future.status_code == 409 and "in the future" in future.json()["detail"]


def test_fhir_bundle(client: TestClient) -> None:
    client.post("/api/screen", json=ADULT)
    client.post("/api/plan", json={"start_date": "2026-11-23"})
    client.post("/api/log", json={"date": "2026-11-23", "pain_before": 6, "pain_after": 4})
    data = client.get("/api/export/fhir").json()
    bundle = Bundle.model_validate(data)
    kinds = [entry.resource.get_resource_type() for entry in bundle.entry]
    assert {"Patient", "QuestionnaireResponse", "Observation", "CarePlan"} <= set(kinds)
    observations = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Observation"]
    assert {o["code"]["coding"][0]["code"] for o in observations} == {"72514-3"}
    assert sorted(o["valueInteger"] for o in observations) == [4, 6]


def test_onboarding_form_errors_beside_fields(client: TestClient) -> None:
    page = client.post(
        "/onboarding", data={"age": "abc", "height": "very tall", "weight": "180 lb", "table": "generic"}
    )
    assert page.status_code == 422
    assert "Type your age in whole years" in page.text
    assert "cannot read height" in page.text
    assert 'value="180 lb"' in page.text, "what the person typed is kept"
    buddy = client.post(
        "/onboarding",
        data={"age": "45", "height": "178 cm", "weight": "82 kg", "buddy_kind": "webhook", "buddy_address": "nope"},
    )
    assert buddy.status_code == 422 and "needs an http(s) URL" in buddy.text


def test_html_journey(client: TestClient) -> None:
    assert client.get("/screening", follow_redirects=False).headers["location"] == "/onboarding"
    saved = client.post(
        "/onboarding",
        data={"age": "52", "height": "5 ft 9 in", "weight": "176 lb", "table": "generic", "name": "Alex"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/screening"
    form = client.get("/screening").text
    assert "Why we ask" in form and "Does an inversion table work for back pain? (physical therapist)" in form
    assert "001_0fb7dfc0018ce664.txt" not in form, "sources by their titles, not their file names"
    result = client.post("/screening", data={"conditions": ["dizziness_or_vertigo"], "blood_pressure": "150/85"})
    assert result.status_code == 200
    assert "Clearance needed" in result.text and "a physician" in result.text
    # What a rule is about, in words: the question the person answered, never the rule's id.
    assert "<td>Do you get dizzy spells or vertigo?</td>" in result.text
    assert ">dizziness_or_vertigo<" not in result.text and ">bp_reading_high<" not in result.text
    assert "Your blood pressure reading" in result.text
    cleared = client.post(
        "/clearance",
        data={"by": "physician", "date": "2026-11-23", "condition": ["dizziness_or_vertigo", "bp_reading_high"]},
    )
    assert "Cleared, within these limits" in cleared.text
    assert "at most 2.0 degrees per second" in cleared.text
    plan = client.post("/plan", data={"start_date": "2026-11-23", "weeks": "8", "days_per_week": "4", "mode": "static"})
    assert "This week (week 1)" in plan.text
    ics = client.get("/plan.ics")
    assert ics.headers["content-type"].startswith("text/calendar")
    assert len(list(Calendar.from_ical(ics.content).walk("VEVENT"))) == 8 * 4 + 1
    review = client.post("/plan/review")
    assert "Nothing to review yet" in review.text
    assert "checklist-form" in client.get("/session").text
    report = client.get("/report.pdf")
    assert report.headers["content-type"] == "application/pdf" and report.content.startswith(b"%PDF")
    assert client.get("/report.csv").text.startswith("date,completed")


def test_session_page_explains_refusal(client: TestClient) -> None:
    page = client.get("/session")
    assert "no cleared, unexpired screening" in page.text


def wait_for(socket: Any, predicate: Any, limit: int = 400, answer_checkins: bool = False) -> dict[str, Any]:
    for _ in range(limit):
        message = socket.receive_json()
        if predicate(message):
            return message  # type: ignore[no-any-return]
        if answer_checkins and message["type"] == "state" and (message["checkin_pending"] or message["alarming"]):
            socket.send_json({"type": "ok"})
    raise AssertionError("message not received")


def test_live_session_over_websocket(client: TestClient) -> None:
    client.post("/api/screen", json={**ADULT, "experienced": True})
    client.post("/api/plan", json={"start_date": "2026-11-23"})
    with client.websocket_connect("/ws/session") as socket:
        socket.send_json({"type": "start", "items": ["instructions", "straps"], "pain_before": 4})
        assert "checklist not complete" in wait_for(socket, lambda m: m["type"] == "error")["detail"]
        items = ["instructions", "straps", "not_after_meal", "screening", "spotter"]
        socket.send_json({"type": "start", "items": items, "pain_before": 4})
        wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "tilting")
        socket.send_json({"type": "angle", "angle_deg": 40})
        warn = wait_for(socket, lambda m: m.get("command") == "warn")
        assert warn["kind"] == "steeper_than_prescribed"
        wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "holding")
        socket.send_json({"type": "symptom", "symptom": "dizziness"})
        wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "returning")
        socket.send_json({"type": "bogus"})
        assert "unknown message type" in wait_for(socket, lambda m: m["type"] == "error")["detail"]
        socket.send_json({"type": "angle", "angle_deg": 2})
        survey = wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "survey", answer_checkins=True)
        assert survey["end_reason"] == "symptom"
        socket.send_json({"type": "survey", "pain_after": 5, "tolerance": "hard", "symptoms": []})
        finished = wait_for(socket, lambda m: m["type"] == "finished")
        assert finished["end_reason"] == "symptom"
    history = client.get("/api/history").json()["sessions"]
    assert history[0]["symptoms"] == ["dizziness"] and history[0]["completed"] is False


def test_disconnect_while_inverted_is_a_missed_checkin(client: TestClient) -> None:
    client.post("/api/screen", json={**ADULT, "experienced": True})
    client.post("/api/plan", json={"start_date": "2026-11-23"})
    items = ["instructions", "straps", "not_after_meal", "screening", "spotter"]
    with client.websocket_connect("/ws/session") as socket:
        socket.send_json({"type": "start", "items": items, "pain_before": 3})
        wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "tilting")
    live = client.app.state.live  # type: ignore[attr-defined]
    [uow] = [s for s in live.sessions.values()]
    deadline = time.monotonic() + 5
    while not uow.engine.alarming and time.monotonic() < deadline:
        time.sleep(0.02)
    assert uow.engine.alarming, "the page went away while inverted: alarm"
    assert uow.engine.phase.value == "returning"
    while uow.buddy_alerts == 0 and time.monotonic() < deadline + 10:
        time.sleep(0.02)
    with client.websocket_connect("/ws/session") as socket:
        state = socket.receive_json()
        assert state["type"] == "state" and state["alarming"] is True, "a new page re-attaches to the running session"
        assert "press I'm OK" in state["alarm_text"], "a reopened tab shows the alarm's instruction"
        assert state["buddy_alerted"] is True, "and that the buddy was alerted"
        assert state["cue"], "and the last cue"


def test_web_session_drives_the_simulated_table(tmp_path: Path) -> None:
    import datetime as dt

    settings = Settings(
        data_dir=tmp_path / "data", today=dt.date(2026, 11, 23), demo=True, session_speed=4, table="sim"
    )
    with TestClient(create_app(settings)) as client:
        client.post("/api/screen", json={**ADULT, "experienced": True})
        client.post("/api/plan", json={"start_date": "2026-11-23"})
        items = ["instructions", "straps", "not_after_meal", "screening", "spotter"]
        with client.websocket_connect("/ws/session") as socket:
            socket.send_json({"type": "start", "items": items, "pain_before": 3})
            holding = wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "holding", answer_checkins=True)
            assert holding["angle_deg"] >= 15, "the table's own angle reading ended the tilt"
            socket.send_json({"type": "stop"})
            wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "resting", answer_checkins=True)


def test_screening_form_rejects_a_bad_reading(client: TestClient) -> None:
    client.post("/onboarding", data={"age": "45", "height": "178 cm", "weight": "82 kg"})
    page = client.post("/screening", data={"blood_pressure": "80/90"})
    assert page.status_code == 422 and "Systolic must be higher than diastolic" in page.text
    page = client.post("/screening", data={"blood_pressure": "high"})
    assert page.status_code == 422 and "Type it as systolic/diastolic" in page.text


def test_unknown_pages_keyboard_help_and_the_installable_app(client: TestClient) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "Page not found" in missing.text and 'href="/history"' in missing.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    page = client.get("/history").text
    assert '<a class="skip-link" href="#main">' in page
    assert '<a href="/history" aria-current="page">History</a>' in page
    assert "aria-current" not in page.split('href="/plan"')[1].split(">")[0], "only the current page is marked"
    manifest = client.get("/static/manifest.webmanifest").json()
    assert manifest["display"] == "standalone" and {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    worker = client.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript") and "offline.html" in worker.text
    assert "Do not start a session" in client.get("/static/offline.html").text
