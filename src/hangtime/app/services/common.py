"""What the use cases share: the refusal type, pauses and their messages, the checks and the storing of a log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from hangtime.app.services.alerts import alerts_for_log, raise_alert
from hangtime.core.errors import HangtimeError
from hangtime.core.evidence import Evidence
from hangtime.core.pauses import Pause, lifting_clearance, pause_for_log, pause_for_review
from hangtime.core.planning import (
    Decision,
    Plan,
    Revision,
    SessionLog,
    prescription_breach,
    review_week,
    weeks_due_for_review,
)
from hangtime.core.screening import (
    Answers,
    Caps,
    ClearanceRecord,
    ScreeningResult,
    profile_change,
)
from hangtime.core.trial import Arm, block_on, schedule
from hangtime.store import outcomes, repo


class ServiceError(HangtimeError):
    """A request that cannot be carried out; `screening` is set when its reasons explain the refusal."""

    def __init__(self, message: str, screening: ScreeningResult | None = None) -> None:
        super().__init__(message)
        self.screening = screening


def with_stored_clearances(answers: Answers, stored: list[ClearanceRecord]) -> Answers:
    merged = tuple(dict.fromkeys((*answers.clearances, *stored)))
    return answers.model_copy(update={"clearances": merged})


def _profile_change(uow: Session, owner: int, screened: Answers) -> str | None:
    """Why the saved profile no longer matches the screening's answers (None when it does)."""
    profile = repo.get_profile(uow, owner)
    if profile is None:
        return None
    return profile_change(
        screened, profile.age, profile.height_cm, profile.weight_kg, profile.table_model, profile.experienced
    )


def _active_pauses(uow: Session, owner: int, evidence: Evidence, today: dt.date) -> list[Pause]:
    """Pauses still in force; one that a stored clearance now lifts is lifted on the way."""
    clearances = repo.clearances(uow, owner)
    remaining: list[Pause] = []
    for pause_id, pause in repo.active_pauses(uow, owner):
        if lifting_clearance(pause, clearances, evidence.rules.clearance_validity.days, today) is not None:
            repo.lift_pause(uow, pause_id, today)
        else:
            remaining.append(pause)
    return remaining


def pause_dict(pause: Pause) -> dict[str, object]:
    return {
        "since": pause.since.isoformat(),
        "reason": pause.reason,
        "text": pause.text,
        "urgent": pause.urgent,
        "symptoms": list(pause.symptoms),
        "clearance_by": [c.value for c in pause.clearance_by],
        "how_to_lift": pause.how_to_lift(),
        "sources": list(pause.sources),
    }


def pause_message(pause: Pause) -> str:
    return f"Inversion is paused since {pause.since.isoformat()}. {pause.text} {pause.how_to_lift()}"


def _review_due_weeks(
    uow: Session, owner: int, saved: repo.SavedPlan, evidence: Evidence, today: dt.date
) -> tuple[Plan, list[Revision]]:
    plan = saved.plan
    applied: list[Revision] = []
    due = weeks_due_for_review(plan, today)
    if not due:
        return plan, applied
    logs = repo.session_logs(uow, owner, since=plan.start_date)
    for week_number in due:
        was_paused = plan.paused
        plan, revision = review_week(plan, week_number, logs, evidence)
        repo.update_plan(uow, saved.id, plan, revision, owner)
        # A red flag paused the person when it was logged; a review's own pause (pain, a recurring symptom) starts here.
        if revision.decision is Decision.PAUSE and not was_paused and revision.key != "paused":
            repo.add_pause(uow, owner, pause_for_review(revision.key, plan.weeks[week_number - 1].end_date, evidence))
            raise_alert(uow, owner, "plan_paused", f"Week {week_number}: the plan was paused. {revision.text}")
        applied.append(revision)
    return plan, applied


def check_log(log: SessionLog, evidence: Evidence, today: dt.date) -> None:
    for symptom_id in log.symptoms:
        if symptom_id not in evidence.symptoms:
            raise ServiceError(f"unknown symptom '{symptom_id}' (known: {', '.join(evidence.symptoms)})")
    if log.date > today:
        raise ServiceError(f"session date {log.date.isoformat()} is in the future")


# The origin of a log stored by demonstration mode: kept, shown as a demonstration, never counted as progress.
DEMONSTRATION = "demo"


@dataclass(frozen=True)
class Logged:
    count: int
    pauses: list[Pause]
    flagged: list[str]


def _store_log(
    uow: Session, evidence: Evidence, owner: int, log: SessionLog, origin: str, *, guided: bool
) -> tuple[SessionLog, Pause | None]:
    """Check a log against the caps and the prescription, store it, and pause at once on a red flag.

    A typed log beyond the caps is refused; a guided session's is stored flagged (it happened). Either way a
    flagged log never counts as progress."""
    latest = repo.latest_screening(uow, owner)
    caps = latest.result.caps if latest is not None else base_caps(evidence)
    saved = repo.current_plan(uow, owner)
    week = saved.plan.week_on(log.date) if saved is not None else None
    over_caps, flag = prescription_breach(log, caps, week, repo.logs_on_day(uow, owner, log.date) + 1)
    if over_caps and not guided:
        raise ServiceError(f"the log of {log.date.isoformat()} is beyond your limits: {over_caps}")
    refusal = trial_block_refusal(uow, owner, log.date) if not guided else None
    if refusal:  # a guided session already happened and is kept; a typed one in a block without inversion is not
        raise ServiceError(f"the log of {log.date.isoformat()} falls in {refusal}")
    if origin == DEMONSTRATION:  # compressed time is not a session at the prescribed dose
        flag = "a demonstration" + (f"; {flag}" if flag else "")
    log = log.model_copy(update={"outside_prescription": flag})
    repo.add_session_log(uow, owner, saved.id if saved else None, log, origin)
    return log, pause_on_log(uow, evidence, owner, log, origin)


def pause_on_log(uow: Session, evidence: Evidence, owner: int, log: SessionLog, origin: str) -> Pause | None:
    """Pause the person (and their plan) at once when a log carries a red flag, and raise the log's alerts."""
    pause = pause_for_log(log, evidence)
    alerts_for_log(uow, owner, log, pause, origin, evidence)
    if pause is not None:
        repo.add_pause(uow, owner, pause)
        saved = repo.current_plan(uow, owner)
        if saved is not None and not saved.plan.paused:
            current = saved.plan.week_on(log.date) or saved.plan.weeks[0]
            revision = Revision(
                current.week, Decision.PAUSE, current.level, current.level, pause.text, pause.sources, "paused"
            )
            repo.update_plan(uow, saved.id, replace(saved.plan, paused=True), revision, owner)
    return pause


def base_caps(evidence: Evidence) -> Caps:
    """The caps for someone with no screening yet: the evidence base's own ceiling."""
    base = evidence.rules.base_caps
    return Caps(base.max_angle_deg, base.max_hold_s, base.max_sessions_per_day, base.supervised_sessions, None)


def trial_block_refusal(uow: Session, owner: int, day: dt.date) -> str | None:
    """Why no session may happen on `day` (a block without inversion of a running trial), or None."""
    saved = outcomes.latest_trial(uow, owner)
    if saved is None or (saved.stopped_on is not None and saved.stopped_on <= day):
        return None
    block = block_on(schedule(saved.design), day)
    if block is None or block.arm is Arm.INVERSION:
        return None
    return (
        f"a block of your personal trial without inversion (until {block.end.isoformat()}): no session until then"
        " (stop the trial to invert again)"
    )
