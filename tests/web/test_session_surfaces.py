"""Issue 10's surfaces: demonstration mode, setting limits, and a web session that survives a server restart."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hangtime.config import Settings, SettingsError, load_settings
from hangtime.store import Database
from hangtime.store.journal import session_info
from hangtime.web.app import create_app

ADULT = {"age": 45, "height_cm": 178, "weight_kg": 82}
ITEMS = ["instructions", "straps", "not_after_meal", "screening", "spotter"]
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in list(os.environ):
        if name.startswith("HANGTIME_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- settings ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "allowed"), [(9.9, False), (10, True), (60, True), (60.1, False)])
def test_checkin_interval_is_limited_to_10_to_60_seconds(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, interval: float, allowed: bool
) -> None:
    monkeypatch.setenv("HANGTIME_CHECKIN_INTERVAL_S", str(interval))
    if allowed:
        assert load_settings().checkin_interval_s == interval
    else:
        with pytest.raises(SettingsError, match="HANGTIME_CHECKIN_INTERVAL_S"):
            load_settings()


def test_session_speed_without_demonstration_mode_is_refused(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANGTIME_SESSION_SPEED", "10")
    with pytest.raises(SettingsError, match="only a demonstration"):
        load_settings()
    assert load_settings(demo=True).session_speed == 10
    monkeypatch.setenv("HANGTIME_DEMO", "1")
    assert load_settings().session_speed == 10


def test_a_dotenv_file_never_sets_speed_or_demonstration_mode(clean_env: Path) -> None:
    (clean_env / ".env").write_text("HANGTIME_SESSION_SPEED=20\nHANGTIME_DEMO=1\nHANGTIME_CHECKIN_INTERVAL_S=20\n")
    chosen = load_settings()
    assert chosen.checkin_interval_s == 20, "the .env file is read"
    assert chosen.session_speed == 1 and chosen.demo is False, "but never for time compression"


def test_demonstration_mode_drives_no_real_table(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, demo=True, session_speed=10, table="tcp://127.0.0.1:9")
    with pytest.raises(ValueError, match="no motorized table"):
        create_app(settings)
    Settings(data_dir=tmp_path, demo=True, session_speed=10, table="sim").check_table_for_demonstration("sim")


# --- demonstration mode in the web -------------------------------------------------------------------------


def wait_for(socket: Any, predicate: Any, limit: int = 600) -> dict[str, Any]:
    for _ in range(limit):
        message = socket.receive_json()
        if predicate(message):
            return message  # type: ignore[no-any-return]
        if message["type"] == "state" and (message["checkin_pending"] or message["alarming"]):
            socket.send_json({"type": "ok"})
        if message.get("command") == "say" and message.get("cue") in ("tilt", "return", "upright"):
            socket.send_json({"type": "confirm"})
    raise AssertionError("message not received")


def planned(client: TestClient) -> None:
    assert client.post("/onboarding", data={"age": "45", "height": "178 cm", "weight": "82 kg"}).status_code == 200
    assert client.post("/api/screen", json={**ADULT, "experienced": True}).status_code == 200
    assert client.post("/api/plan", json={"start_date": TODAY.isoformat()}).status_code == 200


def test_demonstration_banner_on_every_page_and_sessions_marked(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", today=TODAY, demo=True, session_speed=50, checkin_interval_s=30)
    with TestClient(create_app(settings)) as client:
        planned(client)
        for path in ("/", "/onboarding", "/screening", "/plan", "/session", "/history", "/report"):
            assert 'id="demo-banner"' in client.get(path).text, path
        with client.websocket_connect("/ws/session") as socket:
            socket.send_json({"type": "start", "items": ITEMS, "pain_before": 3})
            state = wait_for(socket, lambda m: m["type"] == "state" and m["phase"] != "checklist")
            assert state["demo"] is True
            socket.send_json({"type": "stop"})
            wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "survey")
            socket.send_json({"type": "survey", "pain_after": 2, "tolerance": "easy", "symptoms": []})
            wait_for(socket, lambda m: m["type"] == "finished")
        assert "Not counted as progress: a demonstration" in client.get("/history").text


def test_no_banner_without_demonstration_mode(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", today=TODAY))) as client:
        assert 'id="demo-banner"' not in client.get("/").text


# --- a server restart during a web session ------------------------------------------------------------------


@pytest.fixture
def restart_settings(tmp_path: Path) -> Iterator[Settings]:
    yield Settings(data_dir=tmp_path / "data", today=TODAY, demo=True, session_speed=5, checkin_interval_s=30)


def test_server_restart_marks_the_web_session_interrupted_and_asks_the_survey(restart_settings: Settings) -> None:
    first = create_app(restart_settings)
    with TestClient(first) as client:
        planned(client)
        with client.websocket_connect("/ws/session") as socket:
            socket.send_json({"type": "start", "items": ITEMS, "pain_before": 4})
            state = wait_for(socket, lambda m: m["type"] == "state" and m["phase"] == "tilting")
            session_id = state["session_id"]
        live = first.state.live
        # The server dies without closing its sessions: the journal says "running".
        for running in live.sessions.values():
            assert running.task is not None
            running.task.cancel()
        live.sessions.clear()
    db = Database(restart_settings.resolved_database_url())
    info = session_info(db, session_id)
    assert info is not None
    assert info["status"] == "running", "a crash leaves the journal saying running"

    with TestClient(create_app(restart_settings)) as client:
        with client.websocket_connect("/ws/session") as socket:
            assert socket.receive_json() == {"type": "idle"}, "an open page learns the server holds no session"
        page = client.get("/session")
        assert "Your last session was interrupted" in page.text
        assert 'name="session_id"' in page.text
        assert session_info(db, session_id)["status"] == "interrupted"  # type: ignore[index]
        saved = client.post(
            "/session/interrupted",
            data={"session_id": str(session_id), "pain_after": "6", "tolerance": "hard", "symptoms": ["dizziness"]},
        )
        assert saved.status_code == 200 and "in your history" in saved.text
        history = client.get("/api/history").json()["sessions"]
        assert history[0]["completed"] is False and history[0]["pain_after"] == 6
        assert history[0]["symptoms"] == ["dizziness"]
        again = client.get("/session")
        assert "was interrupted" not in again.text, "the survey is asked once"
        bad = client.post("/session/interrupted", data={"session_id": "x", "pain_after": "99", "tolerance": "meh"})
        assert bad.status_code == 422
    db.dispose()
