"""Use cases of the outcome measures (weekly PEG-3, global impression of change) and of the personal trial."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from hangtime.app.observability import use_case
from hangtime.app.services.common import ServiceError, _active_pauses, _review_due_weeks, pause_message
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import (
    PGIC_WEEKS,
    DiaryEntry,
    GlobalImpression,
    GlobalImpressionEntry,
    PainChange,
    PegAnswers,
    peg_change,
    peg_due,
    pgic_due,
)
from hangtime.core.planning import PlanError, hold_dose
from hangtime.core.trial import Block, TrialDesign, TrialError, TrialResult, analyse, schedule
from hangtime.store import Database, outcomes, repo

# The plan must have run this many weeks (each reviewed, the last without a step back) before a trial starts:
# the dose it compares is one the person has tolerated.
TRIAL_MIN_REVIEWED_WEEKS = 2


@use_case
def record_peg(db: Database, answers: PegAnswers, today: dt.date, *, owner_handle: str) -> PegAnswers:
    if answers.date > today:
        raise ServiceError(f"the PEG's day {answers.date.isoformat()} is in the future")
    with db.unit_of_work() as uow:
        outcomes.set_peg(uow, repo.owner_id(uow, owner_handle), answers)
    return answers


def peg_entries(db: Database, *, owner_handle: str) -> list[PegAnswers]:
    with db.unit_of_work() as uow:
        return outcomes.pegs(uow, repo.owner_id(uow, owner_handle))


def _plan_week(uow: Session, owner: int, today: dt.date) -> int | None:
    saved = repo.current_plan(uow, owner)
    if saved is None:
        return None
    if today > saved.plan.end_date:
        return len(saved.plan.weeks)
    week = saved.plan.week_on(today)
    return week.week if week is not None else None


@use_case
def record_global_impression(
    db: Database, answer: GlobalImpression, today: dt.date, *, owner_handle: str
) -> GlobalImpressionEntry:
    """The global impression of change for the plan week it is due at (4, 8 or 12); refused when none is due."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        plan_week = _plan_week(uow, owner, today)
        answered = {entry.week for entry in outcomes.global_impressions(uow, owner)}
        due = pgic_due(plan_week, answered)
        if due is None:
            weeks = ", ".join(str(w) for w in PGIC_WEEKS)
            where = f"your plan is in week {plan_week}" if plan_week is not None else "you have no plan yet"
            raise ServiceError(
                f"the impression of change is asked once in weeks {weeks} of a plan; {where}, and none is due"
            )
        entry = GlobalImpressionEntry(date=today, week=due, answer=answer)
        outcomes.set_global_impression(uow, owner, entry)
    return entry


@dataclass(frozen=True)
class OutcomesDue:
    diary_today: DiaryEntry | None
    peg_due: bool
    pgic_week: int | None


def outcomes_due(db: Database, today: dt.date, *, owner_handle: str) -> OutcomesDue:
    """What the home page asks for today: the diary, this week's PEG, the impression of change at weeks 4/8/12."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        diary = repo.diary(uow, owner, today)
        latest = outcomes.peg_ends(uow, owner)[1]
        answered = {entry.week for entry in outcomes.global_impressions(uow, owner)}
        pgic_week = pgic_due(_plan_week(uow, owner, today), answered)
    return OutcomesDue(diary[0] if diary else None, peg_due(today, latest.date if latest else None), pgic_week)


@dataclass(frozen=True)
class OutcomeSeries:
    pegs: list[PegAnswers]
    peg_change: PainChange
    impressions: list[GlobalImpressionEntry]


def outcome_series(db: Database, *, owner_handle: str) -> OutcomeSeries:
    """PEG and impressions over time for the report (one a week at most: small, whatever the history's length)."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        first, latest = outcomes.peg_ends(uow, owner)
        return OutcomeSeries(
            outcomes.pegs(uow, owner), peg_change(first, latest), outcomes.global_impressions(uow, owner)
        )


# --- The personal trial --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialView:
    design: TrialDesign
    blocks: tuple[Block, ...]
    stopped_on: dt.date | None
    result: TrialResult
    diary: list[DiaryEntry]

    @property
    def active(self) -> bool:
        return self.stopped_on is None

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.design.start.isoformat(),
            "end": self.design.end.isoformat(),
            "pairs": self.design.pairs,
            "block_days": self.design.block_days,
            "washout_days": self.design.washout_days,
            "seed": self.design.seed,
            "stopped_on": self.stopped_on.isoformat() if self.stopped_on else None,
            "blocks": [block.as_dict() for block in self.blocks],
            "result": self.result.as_dict(),
            "diary": [entry.model_dump(mode="json") for entry in self.diary],
        }


def _running_trial(uow: Session, owner: int, today: dt.date) -> outcomes.SavedTrial | None:
    saved = outcomes.latest_trial(uow, owner)
    if saved is None or saved.stopped_on is not None or today > saved.design.end:
        return None
    return saved


@use_case
def start_trial(
    db: Database,
    evidence: Evidence,
    today: dt.date,
    pairs: int,
    block_days: int,
    seed: int | None = None,
    *,
    owner_handle: str,
) -> TrialView:
    """Start a personal trial today, refused (writing nothing) unless the person is cleared for its whole length and
    has a plan that has run at a tolerated dose; the dose is then held at this week's level for the rest of the plan."""
    try:
        design = TrialDesign(today, pairs, block_days, seed if seed is not None else secrets.randbits(31))
    except TrialError as error:
        raise ServiceError(str(error)) from error
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        if _running_trial(uow, owner, today) is not None:
            raise ServiceError("a personal trial is already running: see its result, or stop it first")
        pauses = _active_pauses(uow, owner, evidence, today)
        if pauses:
            raise ServiceError(pause_message(pauses[0]))
        screening = repo.latest_screening(uow, owner)
        if screening is None or not screening.result.usable_on(today):
            raise ServiceError("a personal trial needs a cleared, unexpired screening first")
        if screening.result.valid_until < design.end:
            raise ServiceError(
                f"your screening is valid until {screening.result.valid_until.isoformat()}, before the trial would"
                f" end on {design.end.isoformat()}: screen again (or choose fewer or shorter blocks)"
            )
        saved = repo.current_plan(uow, owner)
        if saved is None:
            raise ServiceError("a personal trial needs a plan: make one and follow it for two weeks first")
        plan = _review_due_weeks(uow, owner, saved, evidence, today)[0]
        if plan.paused:
            raise ServiceError("your plan is paused: a trial cannot start")
        reviewed = [week for week in plan.weeks if week.reviewed]
        if len(reviewed) < TRIAL_MIN_REVIEWED_WEEKS:
            raise ServiceError(
                f"a personal trial starts once your plan has run {TRIAL_MIN_REVIEWED_WEEKS} full weeks at a dose you"
                f" tolerate (it has run {len(reviewed)}): the trial compares that dose with none"
            )
        current = plan.week_on(today)
        if current is None or current.reason_code in {"regression", "paused"}:
            raise ServiceError(
                "your plan stepped back this week: wait for a week at a steady dose before a trial"
                if current is not None
                else "today is outside your plan"
            )
        if plan.end_date < design.end:
            raise ServiceError(
                f"your plan ends on {plan.end_date.isoformat()}, before the trial would end on"
                f" {design.end.isoformat()}: choose fewer pairs or shorter blocks"
                f" ({design.total_days} days asked, {(plan.end_date - today).days + 1} left)"
            )
        try:
            held, revision = hold_dose(plan, today, "A personal trial started.", evidence.protocol)
        except PlanError as error:
            raise ServiceError(str(error)) from error
        repo.update_plan(uow, saved.id, held, revision, owner)
        outcomes.add_trial(uow, owner, design)
    view = trial_view(db, today, owner_handle=owner_handle)
    assert view is not None, "the trial was just stored"
    return view


def trial_view(db: Database, today: dt.date, *, owner_handle: str) -> TrialView | None:
    """The latest trial with its schedule, its diary days and the comparison so far (None without a trial)."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        saved = outcomes.latest_trial(uow, owner)
        if saved is None:
            return None
        diary = [e for e in repo.diary(uow, owner, saved.design.start) if e.date <= saved.design.end]
    blocks = schedule(saved.design)
    until = min(today, saved.stopped_on) if saved.stopped_on else today
    return TrialView(saved.design, blocks, saved.stopped_on, analyse(blocks, diary, until), diary)


def running_trial_blocks(db: Database, today: dt.date, *, owner_handle: str) -> tuple[Block, ...]:
    """The blocks of the trial running today (for the calendar), or none."""
    with db.unit_of_work() as uow:
        running = _running_trial(uow, repo.owner_id(uow, owner_handle), today)
    return schedule(running.design) if running is not None else ()


@use_case
def stop_trial(db: Database, today: dt.date, *, owner_handle: str) -> None:
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        running = _running_trial(uow, owner, today)
        if running is None:
            raise ServiceError("no personal trial is running")
        outcomes.stop_trial(uow, running.id, today)
