"""Use cases around a guided session: prepare today's (or say why not), and finish it with the survey."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from hangtime.app.observability import use_case
from hangtime.app.services.alerts import alert_for_session_end
from hangtime.app.services.common import (
    DEMONSTRATION,
    ServiceError,
    _active_pauses,
    _profile_change,
    _review_due_weeks,
    _store_log,
    pause_message,
    trial_block_refusal,
)
from hangtime.core.evidence import Evidence
from hangtime.core.pauses import Pause
from hangtime.core.planning import (
    PlanWeek,
    SessionLog,
    Tolerance,
)
from hangtime.core.screening import (
    Caps,
)
from hangtime.core.session.engine import EndReason, SessionConfig, SessionEngine, fit_within_cap
from hangtime.store import Database, repo
from hangtime.store.journal import Journal
from hangtime.store.models import SessionRecord


@dataclass(frozen=True)
class SessionSetup:
    today: dt.date
    owner: int
    plan_id: int
    week: PlanWeek
    caps: Caps
    config: SessionConfig


def sessions_count(db: Database, owner: int, since: dt.datetime | None = None) -> int:
    """Sessions started since `since` (not counting ones refused at the checklist), or (without it) sessions in
    which the person actually inverted."""
    with db.unit_of_work() as uow:
        query = select(func.count(SessionRecord.id)).where(SessionRecord.owner_id == owner)
        if since is not None:
            query = query.where(SessionRecord.started_at >= since, SessionRecord.status != "aborted")
        else:
            query = query.where(SessionRecord.held_s > 0)
        return int(uow.scalar(query) or 0)


def session_config(week: PlanWeek, caps: Caps, spotter_required: bool, checkin_interval_s: float) -> SessionConfig:
    """The engine's configuration for a week's prescription, bounded by the screening caps."""
    prescription = week.prescription
    return fit_within_cap(
        SessionConfig(
            angle_deg=min(prescription.angle_deg, caps.max_angle_deg),
            hold_s=prescription.hold_s,
            sets=prescription.sets,
            set_rest_s=prescription.rest_s,
            oscillation_down_s=prescription.oscillation_down_s,
            oscillation_up_s=prescription.oscillation_up_s,
            rest_near_horizontal_s=prescription.rest_near_horizontal_s,
            cap_hold_s=caps.max_hold_s,
            cap_angle_deg=caps.max_angle_deg,
            max_tilt_rate_deg_s=caps.max_tilt_rate_deg_s,
            spotter_required=spotter_required,
            checkin_interval_s=checkin_interval_s,
        )
    )


@use_case
def prepare_session(
    db: Database,
    evidence: Evidence,
    today: dt.date,
    checkin_interval_s: float,
    *,
    owner_handle: str,
) -> SessionSetup:
    """Everything a session needs, or the reason it may not run today (finished weeks are reviewed first)."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        screening = repo.latest_screening(uow, owner)
        saved_plan = repo.current_plan(uow, owner)
        pauses = _active_pauses(uow, owner, evidence, today)
        changed = _profile_change(uow, owner, screening.answers) if screening is not None else None
        plan = _review_due_weeks(uow, owner, saved_plan, evidence, today)[0] if saved_plan is not None else None
        trial_refusal = trial_block_refusal(uow, owner, today)
    if pauses:
        raise ServiceError(pause_message(pauses[0]))
    if screening is None or not screening.result.usable_on(today):
        raise ServiceError("no cleared, unexpired screening: screen (and record any clearance) first")
    if changed:
        raise ServiceError(changed)
    if trial_refusal:
        raise ServiceError(f"today falls in {trial_refusal}")
    if saved_plan is None or plan is None:
        raise ServiceError("no plan yet: make a plan first")
    if plan.paused:
        raise ServiceError(
            "your plan was paused: it does not resume by itself. Make a new plan, which starts again from the first"
            " step."
        )
    week = plan.week_on(today)
    if week is None:
        raise ServiceError(f"today is outside your plan ({plan.start_date.isoformat()} to {plan.end_date.isoformat()})")
    midnight = dt.datetime.combine(today, dt.time(0, 0)).astimezone()
    done_today = sessions_count(db, owner, since=midnight)
    if done_today >= week.prescription.sessions_per_day:
        raise ServiceError(
            f"you have had {done_today} session(s) today; your plan allows {week.prescription.sessions_per_day}"
        )
    caps = screening.result.caps
    spotter_required = sessions_count(db, owner) < caps.supervised_sessions
    config = session_config(week, caps, spotter_required, checkin_interval_s)
    return SessionSetup(today, owner, saved_plan.id, week, caps, config)


@use_case
def finish_session(
    db: Database,
    evidence: Evidence,
    journal: Journal,
    engine: SessionEngine,
    setup: SessionSetup,
    *,
    demo: bool = False,
) -> tuple[SessionLog, Pause | None]:
    """After the survey: log the session for the weekly review (pausing at once on a red flag), close its journal."""
    survey = engine.survey
    symptoms = (*engine.symptoms, *(survey.symptoms if survey else ()))
    log = SessionLog(
        date=setup.today,
        completed=engine.end_reason is EndReason.COMPLETED,
        pain_before=engine.pain_before,
        pain_after=survey.pain_after if survey else None,
        tolerance=Tolerance(survey.tolerance) if survey and survey.tolerance else None,
        symptoms=tuple(s for s in dict.fromkeys(symptoms) if s in evidence.symptoms),
        angle_deg=engine.max_angle_seen or engine.config.angle_deg,
        inverted_s=round(engine.held_s),
    )
    with db.unit_of_work() as uow:
        log, pause = _store_log(uow, evidence, setup.owner, log, DEMONSTRATION if demo else "session", guided=True)
        alert_for_session_end(uow, setup.owner, setup.today, engine.end_reason.value if engine.end_reason else None)
    journal.finish("done", engine.end_reason.value if engine.end_reason else None, engine.held_s)
    return log, pause


@dataclass(frozen=True)
class RunningSession:
    id: int
    owner: int
    started_at: dt.datetime


def running_web_sessions(
    db: Database, within: dt.timedelta = dt.timedelta(hours=2), owner: int | None = None
) -> list[RunningSession]:
    """Web sessions still running (by their records), started within `within` (of one owner, if given): the ones
    a worker may take over."""
    since = dt.datetime.now(dt.UTC) - within
    query = select(SessionRecord.id, SessionRecord.owner_id, SessionRecord.started_at, SessionRecord.config).where(
        SessionRecord.status == "running", SessionRecord.started_at >= since
    )
    if owner is not None:
        query = query.where(SessionRecord.owner_id == owner)
    with db.unit_of_work() as uow:
        rows = uow.execute(query)
        return [RunningSession(r.id, r.owner_id, r.started_at) for r in rows if r.config.get("via") == "web"]


def resume_setup(db: Database, evidence: Evidence, session_id: int) -> SessionSetup:
    """A running session's setup, rebuilt from its record (to take it over): the configuration it started with,
    and the plan week and caps of its day."""
    known = {f.name for f in dataclasses.fields(SessionConfig)}
    with db.unit_of_work() as uow:
        record = uow.get(SessionRecord, session_id)
        if record is None:
            raise ServiceError(f"no session {session_id}")
        config = SessionConfig(**{k: v for k, v in record.config.items() if k in known})
        day = record.started_at.astimezone().date()
        saved = repo.current_plan(uow, record.owner_id)
        screening = repo.latest_screening(uow, record.owner_id)
        week = saved.plan.week_on(day) if saved is not None else None
        if saved is None or week is None or screening is None:
            raise ServiceError(f"session {session_id} has no plan week to resume in")
        return SessionSetup(day, record.owner_id, saved.id, week, screening.result.caps, config)
