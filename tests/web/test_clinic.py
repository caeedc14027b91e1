"""Clinic mode in the web app: signing in, who may reach which route (a matrix generated from the route table), the
clinician's dashboard and alerts, the audit trail, and the security of every response. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from starlette.routing import Mount
from starlette.websockets import WebSocketDisconnect

from hangtime.app import clinic
from hangtime.config import Settings
from hangtime.core.evidence import Clearer
from hangtime.store import Database
from hangtime.web.app import create_app
from hangtime.web.context import SESSION_COOKIE

TODAY = dt.date(2026, 11, 23)
PASSWORD = "correct horse battery"
ROLES = ("anonymous", "patient_a", "patient_b", "clinician_a", "clinician_b", "admin")
EMAILS = {
    "patient_a": "a@example.org",
    "patient_b": "b@example.org",
    "clinician_a": "doc-a@example.org",
    "clinician_b": "doc-b@example.org",
    "admin": "admin@example.org",
}


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clinic, "PASSWORDS", PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),)))


@dataclass
class Clinic:
    app: FastAPI
    db: Database
    patient_a: int
    alert_a: int


@pytest.fixture(params=["sqlite", "postgresql"])
def clinic_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clinic]:
    url = None if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    settings = Settings(data_dir=tmp_path / "data", database_url=url, mode="clinic", today=TODAY)
    app = create_app(settings)
    db = Database(settings.resolved_database_url())
    clinic.add_account(db, EMAILS["admin"], clinic.Role.ADMIN, PASSWORD)
    for who in ("clinician_a", "clinician_b"):
        clinic.add_account(db, EMAILS[who], clinic.Role.CLINICIAN, PASSWORD)
    a = clinic.add_account(
        db, EMAILS["patient_a"], clinic.Role.PATIENT, PASSWORD, clinician_email=EMAILS["clinician_a"]
    )
    clinic.add_account(db, EMAILS["patient_b"], clinic.Role.PATIENT, PASSWORD, clinician_email=EMAILS["clinician_b"])
    with TestClient(app) as client:
        sign_in(client, "patient_a")
        assert client.post("/api/log", json={"date": "2026-11-22", "pain_before": 8}).status_code == 201
    alert = clinic.alerts(db, signed_in_actor(db, "clinician_a"))[0]
    yield Clinic(app, db, a.id, alert.id)
    db.dispose()


def sign_in(client: TestClient, who: str) -> None:
    client.cookies.clear()
    if who != "anonymous":
        response = client.post("/api/login", json={"email": EMAILS[who], "password": PASSWORD})
        assert response.status_code == 204, response.text


def signed_in_actor(db: Database, who: str) -> clinic.Actor:
    now = dt.datetime.now(dt.UTC)
    return clinic.log_in(db, EMAILS[who], PASSWORD, now, clinic.AddressLimiter(), "127.0.0.1").actor


# Who may use each route. A route missing here fails the matrix test, so every new route gets an entry.
PUBLIC, PATIENT, SIGNED_IN, CLINICIAN_OF_A, CLINICIAN, STAFF = (
    "public",
    "patient",
    "signed in",
    "clinician of A",
    "clinician",
    "staff",
)
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/api/sources"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/sw.js"): PUBLIC,
    ("GET", "/api/conditions"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("POST", "/api/login"): PUBLIC,
    ("POST", "/api/logout"): PUBLIC,
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/invite/{token}"): PUBLIC,
    ("POST", "/invite/{token}"): PUBLIC,
    ("POST", "/api/screen"): PATIENT,
    ("GET", "/api/screening"): PATIENT,
    ("POST", "/api/clearances"): PATIENT,
    ("POST", "/api/plan"): PATIENT,
    ("GET", "/api/plan"): PATIENT,
    ("POST", "/api/plan/review"): PATIENT,
    ("POST", "/api/log"): PATIENT,
    ("GET", "/api/history"): PATIENT,
    ("GET", "/api/history/days"): PATIENT,
    ("POST", "/api/diary"): PATIENT,
    ("GET", "/api/diary"): PATIENT,
    ("POST", "/diary"): PATIENT,
    ("POST", "/api/peg"): PATIENT,
    ("POST", "/api/impression"): PATIENT,
    ("GET", "/api/outcomes"): PATIENT,
    ("POST", "/api/trial"): PATIENT,
    ("GET", "/api/trial"): PATIENT,
    ("POST", "/api/trial/stop"): PATIENT,
    ("POST", "/peg"): PATIENT,
    ("POST", "/impression"): PATIENT,
    ("GET", "/trial"): PATIENT,
    ("GET", "/outcomes.csv"): PATIENT,
    ("POST", "/buddy/test"): PATIENT,
    ("POST", "/my-data/delete"): PATIENT,
    ("POST", "/log"): PATIENT,
    ("GET", "/log/{log_id}"): PATIENT,
    ("POST", "/log/{log_id}/edit"): PATIENT,
    ("POST", "/log/{log_id}/delete"): PATIENT,
    ("POST", "/trial/start"): PATIENT,
    ("POST", "/trial/stop"): PATIENT,
    ("GET", "/api/export/fhir"): PATIENT,
    ("GET", "/"): PATIENT,
    ("GET", "/onboarding"): PATIENT,
    ("POST", "/onboarding"): PATIENT,
    ("GET", "/screening"): PATIENT,
    ("POST", "/screening"): PATIENT,
    ("GET", "/screening/result"): PATIENT,
    ("POST", "/clearance"): PATIENT,
    ("GET", "/plan"): PATIENT,
    ("POST", "/plan"): PATIENT,
    ("POST", "/plan/review"): PATIENT,
    ("GET", "/plan.ics"): PATIENT,
    ("GET", "/session"): PATIENT,
    ("POST", "/session/interrupted"): PATIENT,
    ("GET", "/history"): PATIENT,
    ("GET", "/report"): PATIENT,
    ("GET", "/report.pdf"): PATIENT,
    ("GET", "/report.csv"): PATIENT,
    ("WEBSOCKET", "/ws/session"): PATIENT,
    ("GET", "/api/export/all"): PATIENT,
    ("GET", "/api/me"): SIGNED_IN,
    ("GET", "/account"): SIGNED_IN,
    ("POST", "/api/account/delete"): SIGNED_IN,
    ("POST", "/account/delete"): SIGNED_IN,
    ("GET", "/api/access-log"): SIGNED_IN,
    ("GET", "/access"): SIGNED_IN,
    ("GET", "/api/patients"): CLINICIAN,
    ("GET", "/api/alerts"): CLINICIAN,
    ("GET", "/api/patients/{patient_id}/history"): CLINICIAN_OF_A,
    ("GET", "/api/patients/{patient_id}/plan"): CLINICIAN_OF_A,
    ("GET", "/api/patients/{patient_id}/sessions"): CLINICIAN_OF_A,
    ("GET", "/api/patients/{patient_id}/notes"): CLINICIAN_OF_A,
    ("POST", "/api/patients/{patient_id}/notes"): CLINICIAN_OF_A,
    ("POST", "/clinic/patients/{patient_id}/notes"): CLINICIAN_OF_A,
    ("GET", "/api/patients/{patient_id}/screening"): CLINICIAN_OF_A,
    ("GET", "/api/patients/{patient_id}/report"): CLINICIAN_OF_A,
    ("GET", "/api/patients/{patient_id}/fhir"): CLINICIAN_OF_A,
    ("POST", "/api/alerts/{alert_id}/acknowledge"): CLINICIAN_OF_A,
    ("GET", "/clinic/patients/{patient_id}"): CLINICIAN_OF_A,
    ("POST", "/clinic/alerts/{alert_id}/acknowledge"): CLINICIAN_OF_A,
    ("POST", "/api/patients/{patient_id}/clearances"): CLINICIAN_OF_A,
    ("POST", "/api/patients/{patient_id}/prescription"): CLINICIAN_OF_A,
    ("POST", "/clinic/patients/{patient_id}/clearance"): CLINICIAN_OF_A,
    ("POST", "/clinic/patients/{patient_id}/prescription"): CLINICIAN_OF_A,
    ("GET", "/clinic"): STAFF,
    ("GET", "/clinic/outcomes"): STAFF,
    ("GET", "/api/clinic/outcomes"): STAFF,
    ("POST", "/clinic/invite"): STAFF,
    ("POST", "/api/invites"): STAFF,
}
# Public routes whose answer does not depend on who asks, with what an empty request gets.
PUBLIC_STATUS = {("POST", "/api/login"): 422, ("POST", "/login"): 401, ("GET", "/invite/{token}"): 404}
PUBLIC_STATUS[("POST", "/invite/{token}")] = 404
PUBLIC_STATUS[("POST", "/logout")] = 303


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers, through included routers (FastAPI 0.16x wraps them; no prefixes here)."""
    found: list[tuple[str, str]] = []
    pending: list[object] = list(app.routes)
    while pending:
        route = pending.pop(0)
        included = getattr(route, "original_router", None)
        if included is not None:
            pending.extend(included.routes)
            continue
        if isinstance(route, Mount):
            continue  # static files: public by design
        if isinstance(route, APIWebSocketRoute):
            found.append(("WEBSOCKET", route.path))
        elif isinstance(route, APIRoute) or hasattr(route, "methods"):
            found.extend((m, route.path) for m in sorted(route.methods or ()) if m != "HEAD")  # type: ignore[attr-defined]
    return found


def allowed(access: str, role: str) -> bool:
    return {
        PUBLIC: True,
        PATIENT: role.startswith("patient"),
        SIGNED_IN: role != "anonymous",
        CLINICIAN: role.startswith("clinician"),
        CLINICIAN_OF_A: role == "clinician_a",
        STAFF: role in ("clinician_a", "clinician_b", "admin"),
    }[access]


def call(client: TestClient, method: str, path: str, origin: str | None = "http://testserver") -> tuple[int, str]:
    if method == "WEBSOCKET":
        try:
            with client.websocket_connect(path, headers={"origin": origin} if origin else {}) as socket:
                socket.receive_json()
                return 101, ""
        except WebSocketDisconnect as closed:
            return closed.code, ""
    response = client.request(method, path, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


def test_every_route_lets_in_exactly_whom_it_should(clinic_app: Clinic) -> None:
    routes = route_table(clinic_app.app)
    missing = [route for route in routes if route not in ACCESS]
    assert not missing, f"routes without an entry in the authorization matrix: {missing}"
    # Signing out last, so the other routes see a signed-in person.
    routes.sort(key=lambda route: "logout" in route[1])
    fill = {
        "{patient_id}": str(clinic_app.patient_a),
        "{alert_id}": str(clinic_app.alert_a),
        "{token}": "unknown",
        "{log_id}": "1",
    }
    wrong = []
    for role in ROLES:
        with TestClient(clinic_app.app) as client:
            sign_in(client, role)
            for method, template in routes:
                path = re.sub(r"\{\w+\}", lambda m: fill[m.group(0)], template)
                status, location = call(client, method, path)
                access = ACCESS[(method, template)]
                refused = status in (401, 403, 1008) or (
                    status == 303 and (location == "/clinic" or location.startswith("/login"))
                )
                if (method, template) in PUBLIC_STATUS:
                    ok = status == PUBLIC_STATUS[(method, template)]
                elif allowed(access, role):
                    ok = not refused and status < 500
                elif role == "anonymous":
                    ok = status in (401, 1008) or (status == 303 and location.startswith("/login"))
                else:
                    ok = refused or (status == 303 and location == "/")  # a patient sent home from /clinic
                if not ok:
                    wrong.append(f"{role} {method} {template}: {status} {location}")
    assert not wrong, "\n".join(wrong)


def test_no_patient_reads_another_and_no_clinician_reads_a_patient_not_theirs(clinic_app: Clinic) -> None:
    with TestClient(clinic_app.app) as client:
        sign_in(client, "patient_b")
        assert client.get("/api/history").json()["count"] == 0  # B's own, not A's
        for who in ("clinician_b", "admin"):
            sign_in(client, who)
            for what in ("history", "plan", "screening", "report", "fhir"):
                response = client.get(f"/api/patients/{clinic_app.patient_a}/{what}")
                assert response.status_code == 403
                assert "a@example.org" not in response.text
        sign_in(client, "clinician_b")
        assert client.get("/api/patients").json() == [{**client.get("/api/patients").json()[0]}]
        assert [p["email"] for p in client.get("/api/patients").json()] == ["b@example.org"]
        # A patient id that does not exist is refused the same way, so ids cannot be probed.
        missing = client.get("/api/patients/999999/history")
        other = client.get(f"/api/patients/{clinic_app.patient_a}/history")
        assert (missing.status_code, missing.json()["detail"]) == (other.status_code, other.json()["detail"])


def test_the_clinician_sees_the_alert_and_acknowledges_it_and_the_patient_sees_who_looked(clinic_app: Clinic) -> None:
    with TestClient(clinic_app.app) as client:
        sign_in(client, "clinician_a")
        [row] = client.get("/api/patients").json()
        assert (row["email"], row["open_alerts"], row["days_with_data_last_30"]) == ("a@example.org", 1, 1)
        alerts = client.get("/api/alerts?open=true").json()
        assert [(a["kind"], a["label"], a["text"]) for a in alerts] == [
            ("severe_pain", "Pain 8 or more", "2026-11-22: pain 8 out of 10.")
        ]
        page = client.get("/clinic")
        assert "Pain 8 or more" in page.text and "severe_pain" not in page.text
        assert client.post(f"/api/alerts/{alerts[0]['id']}/acknowledge").status_code == 204
        assert client.get("/api/alerts?open=true").json() == []
        assert client.get("/api/patients").json()[0]["open_alerts"] == 0
        assert client.get(f"/api/patients/{row['id']}/history").json()["sessions"][0]["pain_before"] == 8
        assert client.get(f"/api/patients/{row['id']}/sessions").json() == [], "a typed log is no guided session"
        assert client.post(f"/api/patients/{row['id']}/notes", json={"text": "Call on Monday"}).status_code == 201
        assert client.post(f"/api/patients/{row['id']}/notes", json={"text": ""}).status_code == 422
        notes = client.get(f"/api/patients/{row['id']}/notes").json()
        assert [(n["author"], n["text"]) for n in notes] == [("doc-a@example.org", "Call on Monday")]
        # The outcomes of the clinician's own patients only; the administrator's are the whole clinic's.
        outcomes = client.get("/api/clinic/outcomes").json()
        assert outcomes["patients"] == 1 and outcomes["pain_trend"]["not_enough_data_yet"] == 1
        assert outcomes["with_a_session_in_the_last_30_days"] == 1
        assert "Not enough pain scores yet" in client.get("/clinic").text
        listing = client.get("/clinic?page=5").text  # past the last page: the last page
        assert "1 patient, those who need attention first" in listing and "a@example.org" in listing
        assert client.get("/clinic?page=0").status_code == 422
        sign_in(client, "admin")
        assert client.get("/api/clinic/outcomes").json()["patients"] == 2
        page = client.get("/clinic/outcomes")
        assert "Outcomes across the clinic" in page.text and "not_enough" not in page.text
        sign_in(client, "patient_a")
        looked = client.get("/api/access-log").json()
        assert {(r["who"], r["action"], r["what"]) for r in looked} == {
            ("doc-a@example.org", "read", "dashboard"),
            ("doc-a@example.org", "change", "acknowledged an alert"),
            ("doc-a@example.org", "read", "history"),
            ("doc-a@example.org", "read", "guided sessions"),
            ("doc-a@example.org", "change", "wrote a note"),
            ("doc-a@example.org", "read", "notes"),
        }
        assert "doc-a@example.org" in client.get("/access").text
    check = clinic.verify_audit(clinic_app.db)
    assert check.broken_at is None and check.rows >= 4


def test_login_sets_a_strict_http_only_cookie_and_a_new_id_each_time(clinic_app: Clinic) -> None:
    with TestClient(clinic_app.app) as client:
        first = client.post("/api/login", json={"email": EMAILS["patient_a"], "password": PASSWORD})
        cookie = first.headers["set-cookie"]
        assert "HttpOnly" in cookie and "samesite=strict" in cookie.lower() and "Secure" not in cookie
        second = client.post("/api/login", json={"email": EMAILS["patient_a"], "password": PASSWORD})
        assert first.cookies[SESSION_COOKIE] != second.cookies[SESSION_COOKIE]
        wrong = client.post("/api/login", json={"email": EMAILS["patient_a"], "password": "not the password"})
        unknown = client.post("/api/login", json={"email": "nobody@example.org", "password": PASSWORD})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["detail"] == unknown.json()["detail"] == clinic.LOGIN_FAILED
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, "forged")
        assert client.get("/api/history").status_code == 401
        page = client.get("/history", follow_redirects=False)
        assert (page.status_code, page.headers["location"]) == (303, "/login?next=/history")
        # After signing in, the page asked for; never a redirect to another site.
        done = client.post(
            "/login",
            data={"email": EMAILS["patient_a"], "password": PASSWORD, "next": "//evil.example/"},
            follow_redirects=False,
        )
        assert done.headers["location"] == "/"


def test_an_invited_patient_sets_a_password_and_signs_in(clinic_app: Clinic) -> None:
    with TestClient(clinic_app.app) as client:
        sign_in(client, "clinician_a")
        link = client.post("/api/invites", json={"email": "new@example.org"}).json()["link"]
        client.cookies.clear()
        path = link.removeprefix("http://testserver")
        assert "new@example.org" in client.get(path).text
        assert client.post(path, data={"password": "too short"}).status_code == 422
        assert client.post(path, data={"password": "a long enough one"}, follow_redirects=False).status_code == 303
        assert client.get(path).status_code == 404  # used once
        assert (
            client.post("/api/login", json={"email": "new@example.org", "password": "a long enough one"}).status_code
            == 204
        )
        assert client.get("/api/me").json()["role"] == "patient"
        sign_in(client, "clinician_a")
        assert "new@example.org" in [p["email"] for p in client.get("/api/patients").json()]


def test_security_headers_and_cross_site_requests(clinic_app: Clinic) -> None:
    with TestClient(clinic_app.app) as client:
        sign_in(client, "patient_a")
        page = client.get("/")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in csp
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"
        forged = client.post(
            "/api/log", json={"date": "2026-11-22", "pain_before": 2}, headers={"origin": "https://evil.example"}
        )
        assert forged.status_code == 403
        same = client.post(
            "/api/log", json={"date": "2026-11-22", "pain_before": 2}, headers={"origin": "http://testserver"}
        )
        assert same.status_code == 201
        cross = client.post("/plan/review", headers={"sec-fetch-site": "cross-site"})
        assert cross.status_code == 403
        # A page of another site may not open a session; in clinic mode the browser must say where it comes from.
        assert call(client, "WEBSOCKET", "/ws/session", origin="https://evil.example")[0] == 1008
        assert call(client, "WEBSOCKET", "/ws/session", origin=None)[0] == 1008
        assert call(client, "WEBSOCKET", "/ws/session")[0] == 101
        assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_personal_mode_has_no_clinic_routes_and_needs_no_login(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", today=TODAY))
    with TestClient(app) as client:
        assert client.get("/api/history").status_code == 200
        assert client.post("/api/login", json={"email": "a@example.org", "password": PASSWORD}).status_code == 404
        assert client.get("/api/patients").status_code == 404
        assert client.get("/").headers["x-content-type-options"] == "nosniff"
        with client.websocket_connect("/ws/session") as socket:  # no Origin needed outside clinic mode
            assert socket.receive_json() == {"type": "idle"}


KNEE = {"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["knee_pain"]}


def test_a_clinician_signs_only_what_their_profession_may_clear_and_tightens_the_prescription(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", mode="clinic", today=TODAY)
    app = create_app(settings)
    db = Database(settings.resolved_database_url())
    EMAILS.update(pt="pt@example.org", md="md@example.org", knee="knee@example.org")
    clinic.add_account(db, EMAILS["pt"], clinic.Role.CLINICIAN, PASSWORD, profession=Clearer.PHYSICAL_THERAPIST)
    clinic.add_account(db, EMAILS["md"], clinic.Role.CLINICIAN, PASSWORD, profession=Clearer.PHYSICIAN)
    knee = clinic.add_account(db, EMAILS["knee"], clinic.Role.PATIENT, PASSWORD, clinician_email=EMAILS["pt"])
    with TestClient(app) as client:
        sign_in(client, "knee")
        assert client.post("/api/screen", json=KNEE).json()["outcome"] == "needs_clearance"
        sign_in(client, "pt")
        page = client.get(f"/clinic/patients/{knee.id}")
        assert "Record a clearance" in page.text and "cleared by a physician" in page.text
        refused = client.post(f"/api/patients/{knee.id}/clearances", json={"conditions": ["knee_pain"]})
        assert refused.status_code == 409 and "physician" in refused.json()["detail"]
        form = client.post(f"/clinic/patients/{knee.id}/clearance", data={"conditions": ["knee_pain"]})
        assert form.status_code == 409 and "physician" in form.text
        assert client.get(f"/api/patients/{knee.id}/screening").json()["outcome"] == "needs_clearance"
    # Moved to a physician, who may sign it.
    with db.unit_of_work() as uow:
        from hangtime.store import clinic as clinic_store

        account = clinic_store.account_by_email(uow, EMAILS["knee"])
        doctor = clinic_store.account_by_email(uow, EMAILS["md"])
        assert account is not None and doctor is not None
        account.clinician_id = doctor.id
    with TestClient(app) as client:
        sign_in(client, "md")
        signed = client.post(f"/api/patients/{knee.id}/clearances", json={"conditions": ["knee_pain"]})
        assert signed.status_code == 200 and signed.json()["outcome"] == "cleared"
        sign_in(client, "knee")
        assert client.post("/api/plan", json={"start_date": TODAY.isoformat()}).status_code == 200
        caps = client.get("/api/plan").json()["caps"]
        sign_in(client, "md")
        too_much = {"max_angle_deg": caps["max_angle_deg"] + 5, "reason": "more"}
        loosened = client.post(f"/api/patients/{knee.id}/prescription", json=too_much)
        assert loosened.status_code == 409 and "may only tighten" in loosened.json()["detail"]
        tightened = client.post(
            f"/api/patients/{knee.id}/prescription",
            json={"max_angle_deg": 15, "max_sessions_per_day": 1, "reason": "Dizziness last week"},
        )
        assert tightened.status_code == 200, tightened.text
        assert tightened.json()["caps"]["max_angle_deg"] == 15
        form = client.post(
            f"/clinic/patients/{knee.id}/prescription", data={"max_hold_s": "60", "reason": "Shorter holds"}
        )
        assert form.status_code == 200 and "The new limits apply from this week on." in form.text
        sign_in(client, "knee")
        plan = client.get("/api/plan").json()
        assert all(w["prescription"]["angle_deg"] <= 15 for w in plan["weeks"])
        assert all(w["prescription"]["hold_s"] * w["prescription"]["sets"] <= 60 for w in plan["weeks"])
        assert [r["text"].split(" (")[0] for r in plan["revisions"]][-2:] == ["Dizziness last week", "Shorter holds"]
        looked = {(r["action"], r["what"]) for r in client.get("/api/access-log").json()}
        assert {("change", "recorded a clearance"), ("change", "adjusted the prescription")} <= looked
    db.dispose()


def test_a_patient_downloads_all_their_data_and_deletes_their_account(clinic_app: Clinic) -> None:
    with TestClient(clinic_app.app) as client:
        sign_in(client, "patient_a")
        client.post("/api/screen", json=KNEE)
        everything = client.get("/api/export/all")
        assert "attachment" in everything.headers["content-disposition"]
        data = everything.json()
        assert [log["pain_before"] for log in data["session_logs"]] == [8]
        assert len(data["screenings"]) == 1 and data["alerts"][0]["kind"] == "severe_pain"
        assert data["accounts"][0]["email"] == EMAILS["patient_a"]
        assert "password_hash" not in data["accounts"][0], "no secret leaves in an export"
        assert client.get("/api/export/fhir").json()["resourceType"] == "Bundle"
        wrong = client.post("/api/account/delete", json={"password": "not my password"})
        assert wrong.status_code == 422 and "nothing was deleted" in wrong.json()["detail"]
        assert client.post("/api/account/delete", json={"password": PASSWORD}).status_code == 204
        assert client.get("/api/history").status_code == 401, "signed out"
        refused = client.post("/api/login", json={"email": EMAILS["patient_a"], "password": PASSWORD})
        assert refused.status_code == 401
        sign_in(client, "clinician_a")
        assert client.get("/api/patients").json() == []
        assert client.get("/api/alerts").json() == [], "the patient's alerts went with them"
    with clinic_app.db.unit_of_work() as uow:
        from hangtime.store import clinic as clinic_store
        from hangtime.store.models import Owner, SessionLogRecord

        assert clinic_store.account_by_email(uow, EMAILS["patient_a"]) is None
        assert uow.query(SessionLogRecord).count() == 0
        assert uow.query(Owner).count() == 4, "the patient's owner row, and with it every row of theirs, is gone"
        deletion = [r for r in clinic_store.audit_rows(uow) if r.what.startswith("deleted")]
        assert len(deletion) == 1 and deletion[0].actor_email == EMAILS["patient_a"]
        assert not any("8" in r.what or "knee" in r.what for r in clinic_store.audit_rows(uow)), "no health data"
    assert clinic.verify_audit(clinic_app.db).broken_at is None
