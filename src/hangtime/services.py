"""Application services: the use cases the CLI and the web app share (domain core + store, no presentation).

Each function validates before it writes, so a refused request writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from hangtime.evidence import Evidence
from hangtime.notify.buddy import BuddyContact
from hangtime.outcomes import DaySummary
from hangtime.planning import (
    Plan,
    PlanError,
    PlanWeek,
    Preferences,
    Revision,
    SessionLog,
    Tolerance,
    create_plan,
    review_week,
    weeks_due_for_review,
)
from hangtime.screening import Answers, Caps, ClearanceRecord, ScreeningResult, check_answers, screen
from hangtime.session.engine import EndReason, SessionConfig, SessionEngine
from hangtime.store import Database, repo
from hangtime.store.journal import Journal
from hangtime.store.models import Profile, SessionRecord


class ServiceError(ValueError):
    """A request that cannot be carried out; `screening` is set when its reasons explain the refusal."""

    def __init__(self, message: str, screening: ScreeningResult | None = None) -> None:
        super().__init__(message)
        self.screening = screening


def with_stored_clearances(answers: Answers, stored: list[ClearanceRecord]) -> Answers:
    merged = tuple(dict.fromkeys((*answers.clearances, *stored)))
    return answers.model_copy(update={"clearances": merged})


def screen_and_save(
    db: Database | None, evidence: Evidence, answers: Answers, today: dt.date, owner_handle: str = repo.LOCAL_OWNER
) -> tuple[ScreeningResult, int | None]:
    """Screen; with a database, merge stored clearances and save the profile and the screening."""
    check_answers(answers, evidence, today)
    if db is None:
        return screen(answers, evidence, today), None
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        answers = with_stored_clearances(answers, repo.clearances(session, owner))
        result = screen(answers, evidence, today)
        repo.save_profile(session, owner, answers)
        return result, repo.save_screening(session, owner, answers, result)


def record_clearance(
    db: Database, evidence: Evidence, record: ClearanceRecord, today: dt.date, owner_handle: str = repo.LOCAL_OWNER
) -> ScreeningResult:
    """Store a clearance and re-screen the latest answers with it."""
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        latest = repo.latest_screening(session, owner)
        if latest is None:
            raise ServiceError("no saved screening to apply the clearance to: screen first")
        answers = with_stored_clearances(latest.answers, [*repo.clearances(session, owner), record])
        check_answers(answers, evidence, today)
        result = screen(answers, evidence, today)
        repo.add_clearance(session, owner, record)
        repo.save_screening(session, owner, answers, result)
        return result


def latest_screening(db: Database, owner_handle: str = repo.LOCAL_OWNER) -> repo.SavedScreening | None:
    with db.session() as session:
        return repo.latest_screening(session, repo.owner_id(session, owner_handle))


def make_plan(
    db: Database,
    evidence: Evidence,
    prefs: Preferences,
    today: dt.date,
    answers: Answers | None = None,
    owner_handle: str = repo.LOCAL_OWNER,
) -> tuple[int, Plan]:
    """A plan from the given answers (screened and saved first) or the latest saved screening."""
    if answers is not None:
        result, screening_id = screen_and_save(db, evidence, answers, today, owner_handle)
    else:
        latest = latest_screening(db, owner_handle)
        if latest is None:
            raise ServiceError("no saved screening: screen first")
        result, screening_id = latest.result, latest.id
    assert screening_id is not None
    try:
        plan = create_plan(result, prefs, evidence, today)
    except PlanError as exc:
        raise ServiceError(str(exc), None if result.usable_on(today) else result) from None
    with db.session() as session:
        plan_id = repo.save_plan(session, repo.owner_id(session, owner_handle), screening_id, plan)
    return plan_id, plan


@dataclass(frozen=True)
class CurrentPlan:
    id: int
    plan: Plan
    revisions: list[dict[str, object]]


def current_plan(db: Database, owner_handle: str = repo.LOCAL_OWNER) -> CurrentPlan | None:
    with db.session() as session:
        saved = repo.current_plan(session, repo.owner_id(session, owner_handle))
        if saved is None:
            return None
        return CurrentPlan(saved.id, saved.plan, repo.plan_revisions(session, saved.id))


def review_plan(
    db: Database, evidence: Evidence, today: dt.date, owner_handle: str = repo.LOCAL_OWNER
) -> tuple[Plan, list[Revision]]:
    """Apply the weekly adaptation to every finished week not reviewed yet, storing each revision."""
    applied: list[Revision] = []
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        saved = repo.current_plan(session, owner)
        if saved is None:
            raise ServiceError("no plan yet: make a plan first")
        plan = saved.plan
        logs = repo.session_logs(session, owner)
        for week_number in weeks_due_for_review(plan, today):
            plan, revision = review_week(plan, week_number, logs, evidence)
            repo.update_plan(session, saved.id, plan, revision, owner)
            applied.append(revision)
    return plan, applied


def check_log(log: SessionLog, evidence: Evidence, today: dt.date) -> None:
    for symptom_id in log.symptoms:
        if symptom_id not in evidence.symptoms:
            raise ServiceError(f"unknown symptom '{symptom_id}' (known: {', '.join(evidence.symptoms)})")
    if log.date > today:
        raise ServiceError(f"session date {log.date.isoformat()} is in the future")


def log_sessions(
    db: Database,
    evidence: Evidence,
    logs: list[SessionLog],
    today: dt.date,
    origin: str = "log",
    owner_handle: str = repo.LOCAL_OWNER,
) -> int:
    for log in logs:
        check_log(log, evidence, today)
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        saved = repo.current_plan(session, owner)
        for log in logs:
            repo.add_session_log(session, owner, saved.id if saved else None, log, origin)
    return len(logs)


def session_logs(db: Database, owner_handle: str = repo.LOCAL_OWNER) -> list[SessionLog]:
    with db.session() as session:
        return repo.session_logs(session, repo.owner_id(session, owner_handle))


@dataclass(frozen=True)
class HistorySummary:
    count: int
    recent: list[SessionLog]
    days: list[DaySummary]
    pain_scores: list[int]


def history_summary(
    db: Database, recent: int = 50, offset: int = 0, with_days: bool = True, owner_handle: str = repo.LOCAL_OWNER
) -> HistorySummary:
    """What the history page and API show, aggregated in the database so long histories stay fast.
    `with_days=False` skips the per-day aggregates that only the charts need."""
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        return HistorySummary(
            count=repo.session_log_count(session, owner),
            recent=repo.recent_session_logs(session, owner, recent, offset),
            days=repo.daily_summaries(session, owner) if with_days else [],
            pain_scores=repo.pain_before_scores(session, owner),
        )


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
    with db.session() as session:
        query = select(func.count(SessionRecord.id)).where(SessionRecord.owner_id == owner)
        if since is not None:
            query = query.where(SessionRecord.started_at >= since, SessionRecord.status != "aborted")
        else:
            query = query.where(SessionRecord.held_s > 0)
        return int(session.scalar(query) or 0)


def session_config(week: PlanWeek, caps: Caps, spotter_required: bool, checkin_interval_s: float) -> SessionConfig:
    """The engine's configuration for a week's prescription, bounded by the screening caps."""
    prescription = week.prescription
    return SessionConfig(
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


def prepare_session(
    db: Database, today: dt.date, checkin_interval_s: float, owner_handle: str = repo.LOCAL_OWNER
) -> SessionSetup:
    """Everything a session needs, or the reason it may not run today."""
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        screening = repo.latest_screening(session, owner)
        saved_plan = repo.current_plan(session, owner)
    if screening is None or not screening.result.usable_on(today):
        raise ServiceError("no cleared, unexpired screening: screen (and record any clearance) first")
    if saved_plan is None:
        raise ServiceError("no plan yet: make a plan first")
    plan = saved_plan.plan
    if plan.paused:
        raise ServiceError("your plan is paused after a red-flag symptom: see a clinician, then screen again")
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


def load_buddy(db: Database, owner: int) -> tuple[BuddyContact | None, str]:
    with db.session() as session:
        profile = session.scalar(select(Profile).where(Profile.owner_id == owner))
        if profile is None:
            return None, ""
        contact = BuddyContact.model_validate(profile.buddy) if profile.buddy else None
        return contact, profile.name


@dataclass(frozen=True)
class ReportData:
    profile: Profile | None
    screening: repo.SavedScreening | None
    clearances: list[ClearanceRecord]
    plan: CurrentPlan | None
    logs: list[SessionLog]


def report_data(db: Database, owner_handle: str = repo.LOCAL_OWNER) -> ReportData:
    """Everything a clinician's report shows, read in one unit of work."""
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        profile = repo.get_profile(session, owner)
        screening = repo.latest_screening(session, owner)
        clearances = repo.clearances(session, owner)
        saved = repo.current_plan(session, owner)
        plan = CurrentPlan(saved.id, saved.plan, repo.plan_revisions(session, saved.id)) if saved else None
        logs = repo.session_logs(session, owner)
    return ReportData(profile, screening, clearances, plan, logs)


def save_buddy(db: Database, contact: BuddyContact | None, person: str, owner_handle: str = repo.LOCAL_OWNER) -> None:
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        profile = repo.get_profile(session, owner)
        if profile is None:
            raise ServiceError("no profile yet: screen first")
        profile.buddy = contact.model_dump() if contact else None
        if person:
            profile.name = person


def finish_session(
    db: Database, evidence: Evidence, journal: Journal, engine: SessionEngine, setup: SessionSetup
) -> SessionLog:
    """After the survey: log the session for the weekly review and close its journal."""
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
    with db.session() as session:
        repo.add_session_log(session, setup.owner, setup.plan_id, log, origin="session")
    journal.finish("done", engine.end_reason.value if engine.end_reason else None, engine.held_s)
    return log
