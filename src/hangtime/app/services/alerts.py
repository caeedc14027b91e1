"""Alerts for a patient's clinician, raised in the same unit of work as what caused them (so none is lost and none
is raised for something that was rolled back). Outside clinic mode nobody has a clinician and nothing is raised."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from hangtime.core.evidence import Evidence
from hangtime.core.pauses import Pause
from hangtime.core.planning import SessionLog
from hangtime.store import clinic as clinic_store
from hangtime.store.models import Account

SEVERE_PAIN = 8

ALERT_LABELS = {
    "red_flag": "Red-flag symptom",
    "severe_pain": "Pain 8 or more",
    "no_response": "Check-ins unanswered, buddy alerted",
    "interrupted": "Session interrupted",
    "plan_paused": "Plan paused",
    "expiring": "Clearance or screening expiring",
}


def _is_patient(uow: Session, owner: int) -> bool:
    role = uow.scalar(select(Account.role).where(Account.owner_id == owner))
    return role == "patient"


def raise_alert(uow: Session, owner: int, kind: str, text: str, now: dt.datetime | None = None) -> None:
    if _is_patient(uow, owner):
        clinic_store.add_alert(uow, owner, kind, text, now or dt.datetime.now(dt.UTC))


def alerts_for_log(uow: Session, owner: int, log: SessionLog, pause: Pause | None, origin: str, ev: Evidence) -> None:
    day = log.date.isoformat()
    if pause is not None:
        names = ", ".join(ev.symptoms[s].label for s in pause.symptoms if s in ev.symptoms) or "a red-flag symptom"
        raise_alert(uow, owner, "red_flag", f"{day}: {names}. Inversion is paused until a clearance.")
    worst = max(log.pains(), default=0)
    if worst >= SEVERE_PAIN:
        raise_alert(uow, owner, "severe_pain", f"{day}: pain {worst} out of 10.")
    if origin == "interrupted":
        raise_alert(uow, owner, "interrupted", f"{day}: a session was cut off before it ended (crash or closed page).")


def alert_for_session_end(uow: Session, owner: int, day: dt.date, end_reason: str | None) -> None:
    if end_reason == "no_response":
        raise_alert(uow, owner, "no_response", f"{day.isoformat()}: check-ins went unanswered; the buddy was alerted.")
