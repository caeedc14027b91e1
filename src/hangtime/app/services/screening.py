"""Use cases of screening: screen (and save), record a professional's clearance, the latest screening."""

from __future__ import annotations

import datetime as dt

from hangtime.app.observability import use_case
from hangtime.app.services.common import ServiceError, with_stored_clearances
from hangtime.core.evidence import Evidence
from hangtime.core.pauses import lifting_clearance
from hangtime.core.screening import (
    RESUME_AFTER_PAUSE,
    Answers,
    ClearanceRecord,
    ScreeningResult,
    check_answers,
    clearance_accepted,
    screen,
    who_can_clear,
    with_reading_date,
)
from hangtime.store import Database, repo


@use_case
def screen_and_save(
    db: Database | None, evidence: Evidence, answers: Answers, today: dt.date, *, owner_handle: str
) -> tuple[ScreeningResult, int | None]:
    """Screen; with a database, merge stored clearances and save the profile and the screening."""
    check_answers(answers, evidence, today)
    answers = with_reading_date(answers, today)
    if db is None:
        return screen(answers, evidence, today), None
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        answers = with_stored_clearances(answers, repo.clearances(uow, owner))
        result = screen(answers, evidence, today)
        repo.save_profile(uow, owner, answers)
        return result, repo.save_screening(uow, owner, answers, result)


@use_case
def record_clearance(
    db: Database, evidence: Evidence, record: ClearanceRecord, today: dt.date, *, owner_handle: str
) -> ScreeningResult:
    """Store a clearance, re-screen the latest answers with it, and lift any pause it covers.

    Refused, writing nothing, when the professional may not clear what it names, its date is impossible, or it
    names a pause that does not exist or predates it."""
    refusal = clearance_accepted(record, evidence)
    if refusal:
        raise ServiceError(refusal)
    validity_days = evidence.rules.clearance_validity.days
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        latest = repo.latest_screening(uow, owner)
        if latest is None:
            raise ServiceError("no saved screening to apply the clearance to: screen first")
        if RESUME_AFTER_PAUSE in record.conditions:
            pauses = [pause for _, pause in repo.active_pauses(uow, owner)]
            if not pauses:
                raise ServiceError("there is no pause to lift: nothing was paused")
            for pause in pauses:
                if record.by not in pause.clearance_by:
                    raise ServiceError(
                        f"only {who_can_clear(pause.clearance_by)} can lift the pause of {pause.since.isoformat()}"
                    )
                if record.date <= pause.since:
                    raise ServiceError(
                        f"the clearance must be dated after {pause.since.isoformat()}, the day of the pause"
                        " (a clearance on the same day may predate what happened)"
                    )
        answers = with_stored_clearances(latest.answers, [*repo.clearances(uow, owner), record])
        check_answers(answers, evidence, today)
        result = screen(answers, evidence, today)
        repo.add_clearance(uow, owner, record)
        repo.save_screening(uow, owner, answers, result)
        for pause_id, pause in repo.active_pauses(uow, owner):
            if lifting_clearance(pause, [record], validity_days, today) is not None:
                repo.lift_pause(uow, pause_id, today)
        return result


def latest_screening(db: Database, *, owner_handle: str) -> repo.SavedScreening | None:
    with db.unit_of_work() as uow:
        return repo.latest_screening(uow, repo.owner_id(uow, owner_handle))
