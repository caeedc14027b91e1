"""The daily pain diary: one score a day, also on days without a session, from the API, one tap, and the terminal."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import TODAY
from hangtime.cli.main import app
from hangtime.config import Settings
from hangtime.web.app import create_app


def test_the_diary_from_the_api_and_one_tap(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", today=TODAY))) as client:
        assert client.post("/api/diary", json={"pain": 6}).json() == {"date": TODAY.isoformat(), "pain": 6}
        assert client.post("/api/diary", json={"date": "2026-11-20", "pain": 0}).status_code == 201
        assert client.post("/api/diary", json={"pain": 4}).status_code == 201  # the same day again: replaced
        entries = client.get("/api/diary").json()
        assert entries == [{"date": "2026-11-20", "pain": 0}, {"date": TODAY.isoformat(), "pain": 4}]
        assert client.get("/api/diary", params={"since": "2026-11-21"}).json() == [entries[1]]
        for bad in ({"pain": 11}, {"pain": -1}, {"pain": "7"}, {"pain": 5.5}):
            assert client.post("/api/diary", json=bad).status_code == 422, bad
        future = client.post("/api/diary", json={"date": "2026-11-24", "pain": 3})
        assert future.status_code == 409 and "in the future" in future.json()["detail"]
        # One tap on the home page (for a person with a profile).
        client.post("/onboarding", data={"age": "45", "height": "175 cm", "weight": "78 kg", "table": "generic"})
        home = client.get("/").text
        assert 'aria-label="Pain 4 out of 10" aria-pressed="true"' in home and "Noted: 4 out of 10 today" in home
        tapped = client.post("/diary", data={"pain": "2"}, follow_redirects=False)
        assert tapped.status_code == 303
        assert "Noted: 2 out of 10 today" in client.get("/").text
        assert client.post("/diary", data={"pain": "12"}).status_code == 422


def test_the_diary_from_the_terminal(runner: CliRunner, data_dir: Path) -> None:
    result = runner.invoke(app, ["diary", "--pain", "5"])
    assert result.exit_code == 0 and f"Pain 5 noted for {TODAY.isoformat()}" in result.stdout
    assert runner.invoke(app, ["diary", "--pain", "3", "--date", "2026-11-01"]).exit_code == 0
    refused = runner.invoke(app, ["diary", "--pain", "11"])
    assert refused.exit_code == 2 and "10" in refused.stderr
    refused = runner.invoke(app, ["diary", "--pain", "3", "--date", "yesterday"])
    assert refused.exit_code == 2 and "YYYY-MM-DD" in refused.stderr
    refused = runner.invoke(app, ["diary", "--pain", "3", "--date", "2030-01-01"])
    assert refused.exit_code == 2 and "in the future" in refused.stderr


def test_diary_days_are_fhir_observations_and_a_rise_in_pain_stands_out(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", today=TODAY))) as client:
        client.post("/api/diary", json={"date": "2026-11-21", "pain": 5})
        client.post("/api/log", json={"date": "2026-11-22", "pain_before": 3, "pain_after": 5})  # rose by 2: shown
        client.post("/api/log", json={"date": "2026-11-23", "pain_before": 3, "pain_after": 4})  # by 1: not
        bundle = client.get("/api/export/fhir").json()
        diary = [e["resource"] for e in bundle["entry"] if e["resource"]["id"].startswith("diary-")]
        assert [(d["effectiveDateTime"], d["valueInteger"]) for d in diary] == [("2026-11-21", 5)]
        assert diary[0]["code"]["coding"][0]["code"] == "72514-3" and diary[0]["note"][0]["text"] == "daily pain diary"
        rows = client.get("/history").text.split("<tr")
        risen = [r for r in rows if "2026-11-22" in r]
        steady = [r for r in rows if "2026-11-23" in r]
        assert 'class="pain-rose"' in risen[0] and "Pain rose by 2 points" in risen[0]
        assert "pain-rose" not in steady[0] and "Pain rose" not in steady[0]
