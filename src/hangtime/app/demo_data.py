"""Demonstration data at clinic scale: patients with profiles, screenings, plans and years of logged sessions (and
the journals of a sample of guided sessions), generated reproducibly and loaded fast, so that scale is measured on
data shaped like a clinic's. Everything it writes is marked as a demonstration; it never touches real data."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, func, or_, select

from hangtime.app import clinic
from hangtime.core.errors import HangtimeError
from hangtime.core.evidence import Evidence
from hangtime.core.planning import Preferences, Tolerance, create_plan
from hangtime.core.screening import Answers, screen
from hangtime.store import Database, bulk, repo
from hangtime.store.models import (
    Account,
    Owner,
    PlanRecord,
    Profile,
    ScreeningRecord,
    SessionEventRecord,
    SessionLogRecord,
    SessionRecord,
)

DEMO_ROLE = "demo"
PATIENTS_PER_CLINICIAN = 500
# Every demonstration clinician signs in with this password (benchmarks log in as them).
CLINICIAN_PASSWORD = "demonstration only"
# One guided session in this many has its journal (events, commands) written too.
JOURNAL_SAMPLE = 1000
MAX_HISTORY_DAYS = 20 * 365
SYMPTOMS = ("dizziness", "headache_or_head_pressure", "nausea")


def clinician_email(owner_id: int) -> str:
    return f"demo-clinician-{owner_id}@example.org"


class SeedError(HangtimeError):
    """The store holds real data, or the request makes no sense."""


@dataclass(frozen=True)
class Seeded:
    patients: int
    clinicians: int
    sessions: int
    journals: int
    seconds: float
    first_clinician: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _holds_real_data(db: Database) -> bool:
    with db.unit_of_work() as uow:
        real = select(Owner.id).where(Owner.role != DEMO_ROLE)
        owned = or_(
            exists().where(Profile.owner_id.in_(real)),
            exists().where(ScreeningRecord.owner_id.in_(real)),
            exists().where(SessionLogRecord.owner_id.in_(real)),
            exists().where(Account.owner_id.in_(real)),
        )
        return bool(uow.scalar(select(owned)))


def _log_rows(
    rng: random.Random, owners: list[int], plans: dict[int, int], sessions: int, today: dt.date, first_id: int
) -> Iterator[dict[str, Any]]:
    """Each patient's sessions, oldest first, about three a week back from today, pain easing with noise."""
    per, extra = divmod(sessions, len(owners))
    row_id = first_id
    for index, owner in enumerate(owners):
        count = per + (1 if index < extra else 0)
        # About three a week; a history longer than 20 years (a benchmark's million sessions for one person) packs
        # several sessions into a day instead of reaching back before the calendar begins.
        span = max(1, min(math.ceil(count * 7 / 3), MAX_HISTORY_DAYS))
        start_pain = rng.randint(4, 8)
        for j in range(count):
            day = today - dt.timedelta(days=span - 1 - (j * span) // max(count, 1))
            progress = j / max(count - 1, 1)
            before = max(0, min(10, round(start_pain - 2.5 * progress + rng.gauss(0, 1))))
            after = max(0, min(10, before + rng.choice((-1, -1, 0, 0, 0, 1, 2))))
            symptom = [rng.choice(SYMPTOMS)] if rng.random() < 0.03 else []
            yield {
                "id": row_id,
                "owner_id": owner,
                "plan_id": plans[owner],
                "session_date": day,
                "completed": not symptom,
                "pain_before": before,
                "pain_after": after,
                "tolerance": Tolerance.JUST_RIGHT.value if not symptom else Tolerance.HARD.value,
                "symptoms": symptom,
                "angle_deg": 20.0 + 5 * min(progress * 6, 4),
                "inverted_s": 60 + 30 * min(int(progress * 6), 4),
                "origin": DEMO_ROLE,
                "outside_prescription": None,
            }
            row_id += 1


LOG_COLUMNS = [
    "id",
    "owner_id",
    "plan_id",
    "session_date",
    "completed",
    "pain_before",
    "pain_after",
    "tolerance",
    "symptoms",
    "angle_deg",
    "inverted_s",
    "origin",
    "outside_prescription",
]


def seed(
    db: Database,
    evidence: Evidence,
    patients: int,
    sessions: int,
    today: dt.date,
    *,
    clinic_mode: bool,
    random_seed: int = 2026,
) -> Seeded:
    """Fill the store: `patients` demonstration patients sharing `sessions` logged sessions.

    Outside clinic mode with one patient, that patient is the local person, so a one-person install is measured
    the same way. In clinic mode every 500 patients get a clinician who signs in with CLINICIAN_PASSWORD."""
    if patients < 1 or sessions < 0:
        raise SeedError("seed at least 1 patient and 0 or more sessions")
    if patients > 1 and not clinic_mode:
        raise SeedError("more than one patient needs clinic mode (--clinic or HANGTIME_MODE=clinic)")
    if _holds_real_data(db):
        raise SeedError(
            "this database holds real data: seed an empty database (or one holding only demonstration data)"
        )
    started = time.perf_counter()
    rng = random.Random(random_seed)
    screened_on = today - dt.timedelta(days=60)
    answers = Answers(age=45, height_cm=175, weight_kg=78)
    result = screen(answers, evidence, screened_on)
    plan = create_plan(result, Preferences(start_date=today - dt.timedelta(days=21)), evidence, screened_on)
    clinicians = math.ceil(patients / PATIENTS_PER_CLINICIAN) if clinic_mode else 0
    password_hash = clinic.PASSWORDS.hash(CLINICIAN_PASSWORD) if clinicians else None
    now = dt.datetime.now(dt.UTC)
    tables = {name: table for name, table in Owner.metadata.tables.items()}
    with db.engine.begin() as connection:
        first_owner = bulk.next_id(connection, tables["owners"])
        if not clinic_mode:
            connection.execute(tables["owners"].delete().where(tables["owners"].c.handle == repo.LOCAL_OWNER))
            handles = [repo.LOCAL_OWNER]
        else:
            handles = [f"demo-{first_owner + i}" for i in range(patients + clinicians)]
        owner_ids = [first_owner + i for i in range(len(handles))]
        owner_rows = [
            {"id": oid, "handle": h, "display_name": "Demonstration", "role": DEMO_ROLE, "created_at": now}
            for oid, h in zip(owner_ids, handles, strict=True)
        ]
        bulk.load(connection, tables["owners"], ["id", "handle", "display_name", "role", "created_at"], owner_rows)
        patient_owners, clinician_owners = owner_ids[:patients], owner_ids[patients:]
        if clinic_mode:
            first_account = bulk.next_id(connection, tables["accounts"])
            clinician_accounts = {oid: first_account + k for k, oid in enumerate(clinician_owners)}
            accounts = [
                {
                    "id": clinician_accounts[oid],
                    "email": clinician_email(oid),
                    "role": "clinician",
                    "owner_id": oid,
                    "clinician_id": None,
                    "profession": "physician",
                    "password_hash": password_hash,
                    "disabled": False,
                    "failed_logins": 0,
                    "created_at": now,
                }
                for k, oid in enumerate(clinician_owners)
            ]
            accounts += [
                {
                    "id": first_account + clinicians + i,
                    "email": f"demo-patient-{oid}@example.org",
                    "role": "patient",
                    "owner_id": oid,
                    "clinician_id": clinician_accounts[clinician_owners[i // PATIENTS_PER_CLINICIAN]],
                    "profession": None,
                    "password_hash": None,
                    "disabled": False,
                    "failed_logins": 0,
                    "created_at": now,
                }
                for i, oid in enumerate(patient_owners)
            ]
            bulk.load(connection, tables["accounts"], list(accounts[0]), accounts)
        profile_cols = ["owner_id", "name", "age", "height_cm", "weight_kg", "table_model", "experienced", "updated_at"]
        bulk.load(
            connection,
            tables["profiles"],
            profile_cols,
            (
                {
                    "owner_id": oid,
                    "name": "Demonstration",
                    "age": 45,
                    "height_cm": 175.0,
                    "weight_kg": 78.0,
                    "table_model": "generic",
                    "experienced": False,
                    "updated_at": now,
                }
                for oid in patient_owners
            ),
        )
        first_screening = bulk.next_id(connection, tables["screenings"])
        screening_of = {oid: first_screening + i for i, oid in enumerate(patient_owners)}
        bulk.load(
            connection,
            tables["screenings"],
            [
                "id",
                "owner_id",
                "answers",
                "outcome",
                "result",
                "rules_version",
                "screened_on",
                "valid_until",
                "created_at",
            ],
            (
                {
                    "id": screening_of[oid],
                    "owner_id": oid,
                    "answers": answers.model_dump(mode="json"),
                    "outcome": result.outcome.value,
                    "result": result.as_dict(),
                    "rules_version": result.rules_version,
                    "screened_on": result.screened_on,
                    "valid_until": result.valid_until,
                    "created_at": now,
                }
                for oid in patient_owners
            ),
        )
        first_plan = bulk.next_id(connection, tables["plans"])
        plan_of = {oid: first_plan + i for i, oid in enumerate(patient_owners)}
        bulk.load(
            connection,
            tables["plans"],
            ["id", "owner_id", "screening_id", "status", "data", "start_date", "end_date", "created_at"],
            (
                {
                    "id": plan_of[oid],
                    "owner_id": oid,
                    "screening_id": screening_of[oid],
                    "status": "active",
                    "data": plan.as_dict(),
                    "start_date": plan.start_date,
                    "end_date": plan.end_date,
                    "created_at": now,
                }
                for oid in patient_owners
            ),
        )
        first_log = bulk.next_id(connection, tables["session_logs"])
        logged = bulk.load(
            connection,
            tables["session_logs"],
            LOG_COLUMNS,
            _log_rows(rng, patient_owners, plan_of, sessions, today, first_log),
        )
        journals = _load_journals(connection, tables, rng, patient_owners, sessions, today)
        for name in ("owners", "accounts", "screenings", "plans", "session_logs", "sessions", "session_events"):
            bulk.reset_sequence(connection, tables[name])
    first = clinician_email(clinician_owners[0]) if clinician_owners else None
    return Seeded(patients, clinicians, logged, journals, round(time.perf_counter() - started, 2), first)


def _load_journals(
    connection: Any, tables: dict[str, Any], rng: random.Random, owners: list[int], sessions: int, today: dt.date
) -> int:
    """Guided sessions with their journals for a sample: ticks, check-ins answered, a stop now and then."""
    count = min(sessions // JOURNAL_SAMPLE, 5000)
    if count == 0:
        return 0
    first_session = bulk.next_id(connection, tables["sessions"])
    started_at = dt.datetime.combine(today, dt.time(8), tzinfo=dt.UTC)
    session_rows = [
        {
            "id": first_session + k,
            "owner_id": owners[k % len(owners)],
            "plan_id": None,
            "status": "done",
            "config": {"angle_deg": 20, "hold_s": 60},
            "end_reason": rng.choice(("completed", "completed", "stopped")),
            "held_s": 60.0,
            "started_at": started_at - dt.timedelta(days=k % 365),
            "ended_at": started_at,
        }
        for k in range(count)
    ]
    bulk.load(connection, tables["sessions"], list(session_rows[0]), session_rows)

    def events() -> Iterator[dict[str, Any]]:
        for row in session_rows:
            for second in range(0, 60, 3):
                yield {"session_id": row["id"], "t": float(second), "kind": "event", "name": "tick", "payload": {}}
            yield {"session_id": row["id"], "t": 30.0, "kind": "event", "name": "checkin_answered", "payload": {}}

    bulk.load(connection, tables["session_events"], ["session_id", "t", "kind", "name", "payload"], events())
    return count


def counts(db: Database) -> dict[str, int]:
    with db.unit_of_work() as uow:
        return {
            "patients": uow.scalar(select(func.count()).select_from(Profile)) or 0,
            "sessions": uow.scalar(select(func.count()).select_from(SessionLogRecord)) or 0,
            "journals": uow.scalar(select(func.count()).select_from(SessionRecord)) or 0,
            "events": uow.scalar(select(func.count()).select_from(SessionEventRecord)) or 0,
            "plans": uow.scalar(select(func.count()).select_from(PlanRecord)) or 0,
        }
