"""Application services: the use cases the CLI and the web app share (domain core + store, no presentation).

Each function validates before it writes, so a refused request writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hangtime.app.observability import use_case
from hangtime.core.errors import HangtimeError
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import DaySummary
from hangtime.core.pauses import Pause, lifting_clearance, pause_for_log, pause_for_review
from hangtime.core.planning import (
    Decision,
    Plan,
    PlanError,
    PlanWeek,
    Preferences,
    Revision,
    SessionLog,
    Tolerance,
    create_plan,
    prescription_breach,
    review_week,
    weeks_due_for_review,
)
from hangtime.core.screening import (
    RESUME_AFTER_PAUSE,
    Answers,
    Caps,
    ClearanceRecord,
    ScreeningResult,
    check_answers,
    clearance_accepted,
    profile_change,
    screen,
    who_can_clear,
    with_reading_date,
)
from hangtime.core.session.engine import EndReason, SessionConfig, SessionEngine, fit_within_cap
from hangtime.notify.buddy import BuddyContact
from hangtime.store import Database, repo
from hangtime.store.journal import Journal, awaiting_survey, close_interrupted, journal_rows, session_info
from hangtime.store.models import Profile, SessionRecord


class ServiceError(HangtimeError):
    """A request that cannot be carried out; `screening` is set when its reasons explain the refusal."""

    def __init__(self, message: str, screening: ScreeningResult | None = None) -> None:
        super().__init__(message)
        self.screening = screening


def with_stored_clearances(answers: Answers, stored: list[ClearanceRecord]) -> Answers:
    merged = tuple(dict.fromkeys((*answers.clearances, *stored)))
    return answers.model_copy(update={"clearances": merged})


@use_case
def screen_and_save(
    db: Database | None, evidence: Evidence, answers: Answers, today: dt.date, *, owner_handle: str
) -> tuple[ScreeningResult, int | None]:
    """Screen; with a database, merge stored clearances and save the profile and the screening."""
    check_answers(answers, evidence, today)
    answers = with_reading_date(answers, today)
    if db is None:
        return screen(answers, evidence, today), None
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        answers = with_stored_clearances(answers, repo.clearances(session, owner))
        result = screen(answers, evidence, today)
        repo.save_profile(session, owner, answers)
        return result, repo.save_screening(session, owner, answers, result)


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
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        latest = repo.latest_screening(session, owner)
        if latest is None:
            raise ServiceError("no saved screening to apply the clearance to: screen first")
        if RESUME_AFTER_PAUSE in record.conditions:
            pauses = [pause for _, pause in repo.active_pauses(session, owner)]
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
        answers = with_stored_clearances(latest.answers, [*repo.clearances(session, owner), record])
        check_answers(answers, evidence, today)
        result = screen(answers, evidence, today)
        repo.add_clearance(session, owner, record)
        repo.save_screening(session, owner, answers, result)
        for pause_id, pause in repo.active_pauses(session, owner):
            if lifting_clearance(pause, [record], validity_days, today) is not None:
                repo.lift_pause(session, pause_id, today)
        return result


def latest_screening(db: Database, *, owner_handle: str) -> repo.SavedScreening | None:
    with db.session() as session:
        return repo.latest_screening(session, repo.owner_id(session, owner_handle))


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
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        pauses = _active_pauses(session, owner, evidence, today)
        if pauses:
            raise ServiceError(pause_message(pauses[0]))
        if answers is not None:
            answers = with_stored_clearances(with_reading_date(answers, today), repo.clearances(session, owner))
            result = screen(answers, evidence, today)
            screening_id = None
        else:
            latest = repo.latest_screening(session, owner)
            if latest is None:
                raise ServiceError("no saved screening: screen first")
            result, screening_id = latest.result, latest.id
            changed = _profile_change(session, owner, latest.answers)
            if changed:
                raise ServiceError(changed)
        try:
            plan = create_plan(result, prefs, evidence, today)
        except PlanError as exc:
            raise ServiceError(str(exc), None if result.usable_on(today) else result) from None
        if answers is not None:
            repo.save_profile(session, owner, answers)
            screening_id = repo.save_screening(session, owner, answers, result)
        assert screening_id is not None
        plan_id = repo.save_plan(session, owner, screening_id, plan)
    return plan_id, plan


def _profile_change(session: Session, owner: int, screened: Answers) -> str | None:
    """Why the saved profile no longer matches the screening's answers (None when it does)."""
    profile = repo.get_profile(session, owner)
    if profile is None:
        return None
    return profile_change(
        screened, profile.age, profile.height_cm, profile.weight_kg, profile.table_model, profile.experienced
    )


def _active_pauses(session: Session, owner: int, evidence: Evidence, today: dt.date) -> list[Pause]:
    """Pauses still in force; one that a stored clearance now lifts is lifted on the way."""
    clearances = repo.clearances(session, owner)
    remaining: list[Pause] = []
    for pause_id, pause in repo.active_pauses(session, owner):
        if lifting_clearance(pause, clearances, evidence.rules.clearance_validity.days, today) is not None:
            repo.lift_pause(session, pause_id, today)
        else:
            remaining.append(pause)
    return remaining


def active_pauses(db: Database, evidence: Evidence, today: dt.date, *, owner_handle: str) -> list[Pause]:
    with db.session() as session:
        return _active_pauses(session, repo.owner_id(session, owner_handle), evidence, today)


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


@dataclass(frozen=True)
class CurrentPlan:
    id: int
    plan: Plan
    revisions: list[dict[str, object]]


def current_plan(db: Database, evidence: Evidence, today: dt.date, *, owner_handle: str) -> CurrentPlan | None:
    """The plan, with every finished week reviewed first (a person who never asks for a review still gets it)."""
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        saved = repo.current_plan(session, owner)
        if saved is None:
            return None
        plan = _review_due_weeks(session, owner, saved, evidence, today)[0]
        return CurrentPlan(saved.id, plan, repo.plan_revisions(session, saved.id))


def _review_due_weeks(
    session: Session, owner: int, saved: repo.SavedPlan, evidence: Evidence, today: dt.date
) -> tuple[Plan, list[Revision]]:
    plan = saved.plan
    applied: list[Revision] = []
    due = weeks_due_for_review(plan, today)
    if not due:
        return plan, applied
    logs = repo.session_logs(session, owner, since=plan.start_date)
    for week_number in due:
        was_paused = plan.paused
        plan, revision = review_week(plan, week_number, logs, evidence)
        repo.update_plan(session, saved.id, plan, revision, owner)
        # A red flag paused the person when it was logged; a review's own pause (pain, a recurring symptom) starts here.
        if revision.decision is Decision.PAUSE and not was_paused and revision.key != "paused":
            repo.add_pause(
                session, owner, pause_for_review(revision.key, plan.weeks[week_number - 1].end_date, evidence)
            )
        applied.append(revision)
    return plan, applied


@use_case
def review_plan(db: Database, evidence: Evidence, today: dt.date, *, owner_handle: str) -> tuple[Plan, list[Revision]]:
    """Apply the weekly adaptation to every finished week not reviewed yet, storing each revision."""
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        saved = repo.current_plan(session, owner)
        if saved is None:
            raise ServiceError("no plan yet: make a plan first")
        return _review_due_weeks(session, owner, saved, evidence, today)


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
    session: Session, evidence: Evidence, owner: int, log: SessionLog, origin: str, *, guided: bool
) -> tuple[SessionLog, Pause | None]:
    """Check a log against the caps and the prescription, store it, and pause at once on a red flag.

    A typed log beyond the caps is refused; a guided session's is stored flagged (it happened). Either way a
    flagged log never counts as progress."""
    latest = repo.latest_screening(session, owner)
    caps = latest.result.caps if latest is not None else base_caps(evidence)
    saved = repo.current_plan(session, owner)
    week = saved.plan.week_on(log.date) if saved is not None else None
    over_caps, flag = prescription_breach(log, caps, week, repo.logs_on_day(session, owner, log.date) + 1)
    if over_caps and not guided:
        raise ServiceError(f"the log of {log.date.isoformat()} is beyond your limits: {over_caps}")
    if origin == DEMONSTRATION:  # compressed time is not a session at the prescribed dose
        flag = "a demonstration" + (f"; {flag}" if flag else "")
    log = log.model_copy(update={"outside_prescription": flag})
    repo.add_session_log(session, owner, saved.id if saved else None, log, origin)
    pause = pause_for_log(log, evidence)
    if pause is not None:
        repo.add_pause(session, owner, pause)
        if saved is not None and not saved.plan.paused:
            current = week or saved.plan.weeks[0]
            revision = Revision(
                current.week, Decision.PAUSE, current.level, current.level, pause.text, pause.sources, "paused"
            )
            repo.update_plan(session, saved.id, replace(saved.plan, paused=True), revision, owner)
    return log, pause


@use_case
def log_guided(db: Database, evidence: Evidence, owner: int, log: SessionLog, origin: str) -> Pause | None:
    """Store what a guided (or interrupted) session recorded: flagged, never refused, pausing on a red flag."""
    with db.session() as session:
        return _store_log(session, evidence, owner, log, origin, guided=True)[1]


@dataclass(frozen=True)
class InterruptedSession:
    session_id: int
    started: dt.datetime
    events: int


def interrupted_sessions(db: Database, owner: int) -> list[InterruptedSession]:
    """Sessions cut off (crash, kill, server restart) whose survey is still to be taken, oldest first."""
    found = []
    for session_id in awaiting_survey(db, owner):
        info = session_info(db, session_id)
        assert info is not None
        started = dt.datetime.fromisoformat(info["started_at"])
        found.append(InterruptedSession(session_id, started, len(journal_rows(db, session_id))))
    return found


@use_case
def log_interrupted(
    db: Database,
    evidence: Evidence,
    owner: int,
    interrupted: InterruptedSession,
    pain_after: int | None,
    tolerance: Tolerance | None,
    symptoms: tuple[str, ...],
) -> Pause | None:
    """The survey of an interrupted session: logged (not completed) on the day it started, pausing on a red flag."""
    log = SessionLog(
        date=interrupted.started.date(),
        completed=False,
        pain_after=pain_after,
        tolerance=tolerance,
        symptoms=tuple(s for s in symptoms if s in evidence.symptoms),
    )
    pause = log_guided(db, evidence, owner, log, "interrupted")
    close_interrupted(db, interrupted.session_id)
    return pause


def base_caps(evidence: Evidence) -> Caps:
    """The caps for someone with no screening yet: the evidence base's own ceiling."""
    base = evidence.rules.base_caps
    return Caps(base.max_angle_deg, base.max_hold_s, base.max_sessions_per_day, base.supervised_sessions, None)


@use_case
def log_sessions(
    db: Database,
    evidence: Evidence,
    logs: list[SessionLog],
    today: dt.date,
    origin: str = "log",
    *,
    owner_handle: str,
) -> Logged:
    """Store typed logs in one unit of work: one refused log writes none of them."""
    for log in logs:
        check_log(log, evidence, today)
    pauses: list[Pause] = []
    flagged: list[str] = []
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        for log in logs:
            stored, pause = _store_log(session, evidence, owner, log, origin, guided=False)
            if pause is not None:
                pauses.append(pause)
            if stored.outside_prescription:
                flagged.append(f"{stored.date.isoformat()}: {stored.outside_prescription}")
    return Logged(len(logs), pauses, flagged)


def session_logs(db: Database, *, owner_handle: str) -> list[SessionLog]:
    with db.session() as session:
        return repo.session_logs(session, repo.owner_id(session, owner_handle))


@dataclass(frozen=True)
class HistorySummary:
    count: int
    recent: list[SessionLog]
    days: list[DaySummary]
    pain_scores: list[int]


def history_summary(
    db: Database, recent: int = 50, offset: int = 0, with_days: bool = True, *, owner_handle: str
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
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        screening = repo.latest_screening(session, owner)
        saved_plan = repo.current_plan(session, owner)
        pauses = _active_pauses(session, owner, evidence, today)
        changed = _profile_change(session, owner, screening.answers) if screening is not None else None
        plan = _review_due_weeks(session, owner, saved_plan, evidence, today)[0] if saved_plan is not None else None
    if pauses:
        raise ServiceError(pause_message(pauses[0]))
    if screening is None or not screening.result.usable_on(today):
        raise ServiceError("no cleared, unexpired screening: screen (and record any clearance) first")
    if changed:
        raise ServiceError(changed)
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


@use_case
def report_data(db: Database, *, owner_handle: str) -> ReportData:
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


@use_case
def save_buddy(db: Database, contact: BuddyContact | None, person: str, *, owner_handle: str) -> None:
    with db.session() as session:
        owner = repo.owner_id(session, owner_handle)
        profile = repo.get_profile(session, owner)
        if profile is None:
            raise ServiceError("no profile yet: screen first")
        profile.buddy = contact.model_dump() if contact else None
        if person:
            profile.name = person


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
    with db.session() as session:
        log, pause = _store_log(session, evidence, setup.owner, log, DEMONSTRATION if demo else "session", guided=True)
    journal.finish("done", engine.end_reason.value if engine.end_reason else None, engine.held_s)
    return log, pause
