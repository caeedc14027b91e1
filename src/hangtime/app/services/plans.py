"""Use cases of the plan: make it (from new answers or the saved screening), show it, review finished weeks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hangtime.app.observability import use_case
from hangtime.app.services.common import (
    ServiceError,
    _active_pauses,
    _profile_change,
    _review_due_weeks,
    pause_message,
    with_stored_clearances,
)
from hangtime.core.evidence import Evidence
from hangtime.core.evidence.models import PartialCaps
from hangtime.core.pauses import Pause
from hangtime.core.planning import (
    Plan,
    PlanError,
    Preferences,
    Revision,
    create_plan,
    tighten_plan,
)
from hangtime.core.screening import (
    Answers,
    check_answers,
    screen,
    with_reading_date,
)
from hangtime.store import Database, repo


@use_case
def make_plan(
    db: Database,
    evidence: Evidence,
    prefs: Preferences,
    today: dt.date,
    answers: Answers | None = None,
    *,
    owner_handle: str,
) -> tuple[int, Plan]:
    """A plan from the given answers (screened and saved with it) or the latest saved screening.

    Nothing is written when the plan is refused. A pause is never lifted by a new plan."""
    if answers is not None:
        check_answers(answers, evidence, today)
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        pauses = _active_pauses(uow, owner, evidence, today)
        if pauses:
            raise ServiceError(pause_message(pauses[0]))
        if answers is not None:
            answers = with_stored_clearances(with_reading_date(answers, today), repo.clearances(uow, owner))
            result = screen(answers, evidence, today)
            screening_id = None
        else:
            latest = repo.latest_screening(uow, owner)
            if latest is None:
                raise ServiceError("no saved screening: screen first")
            result, screening_id = latest.result, latest.id
            changed = _profile_change(uow, owner, latest.answers)
            if changed:
                raise ServiceError(changed)
        try:
            plan = create_plan(result, prefs, evidence, today)
        except PlanError as exc:
            raise ServiceError(str(exc), None if result.usable_on(today) else result) from None
        if answers is not None:
            repo.save_profile(uow, owner, answers)
            screening_id = repo.save_screening(uow, owner, answers, result)
        assert screening_id is not None
        plan_id = repo.save_plan(uow, owner, screening_id, plan)
    return plan_id, plan


def active_pauses(db: Database, evidence: Evidence, today: dt.date, *, owner_handle: str) -> list[Pause]:
    with db.unit_of_work() as uow:
        return _active_pauses(uow, repo.owner_id(uow, owner_handle), evidence, today)


@dataclass(frozen=True)
class CurrentPlan:
    id: int
    plan: Plan
    revisions: list[dict[str, object]]


def current_plan(db: Database, evidence: Evidence, today: dt.date, *, owner_handle: str) -> CurrentPlan | None:
    """The plan, with every finished week reviewed first (a person who never asks for a review still gets it)."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        saved = repo.current_plan(uow, owner)
        if saved is None:
            return None
        plan = _review_due_weeks(uow, owner, saved, evidence, today)[0]
        return CurrentPlan(saved.id, plan, repo.plan_revisions(uow, saved.id))


@use_case
def review_plan(db: Database, evidence: Evidence, today: dt.date, *, owner_handle: str) -> tuple[Plan, list[Revision]]:
    """Apply the weekly adaptation to every finished week not reviewed yet, storing each revision."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        saved = repo.current_plan(uow, owner)
        if saved is None:
            raise ServiceError("no plan yet: make a plan first")
        return _review_due_weeks(uow, owner, saved, evidence, today)


@use_case
def adjust_prescription(
    db: Database, evidence: Evidence, limit: PartialCaps, reason: str, today: dt.date, *, owner_handle: str
) -> tuple[Plan, Revision]:
    """A clinician tightens the current plan's caps: a plan revision with their reason (refused, writing nothing,
    when a limit would loosen what the screening allows)."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        saved = repo.current_plan(uow, owner)
        if saved is None:
            raise ServiceError("there is no plan to adjust: the patient makes one first")
        plan, revision = tighten_plan(saved.plan, limit, today, reason, evidence.protocol)
        repo.update_plan(uow, saved.id, plan, revision, owner)
    return plan, revision
