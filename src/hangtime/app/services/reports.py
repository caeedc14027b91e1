"""The clinician's report data: profile, screening, clearances, plan and outcomes, in one read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from hangtime.app.observability import use_case
from hangtime.app.services.outcomes import OutcomeSeries, TrialView, outcome_series, trial_view
from hangtime.app.services.plans import CurrentPlan
from hangtime.core.outcomes import DiaryEntry, GlobalImpressionEntry, PegAnswers
from hangtime.core.planning import (
    SessionLog,
)
from hangtime.core.screening import (
    ClearanceRecord,
)
from hangtime.core.session.cues import END_REASON_LABELS, SESSION_STATUS_LABELS
from hangtime.store import Database, outcomes, repo
from hangtime.store import clinic as clinic_store
from hangtime.store.models import Profile


@dataclass(frozen=True)
class GuidedSession:
    id: int
    started_at: dt.datetime
    status: str
    status_label: str
    end_reason: str | None
    end_reason_label: str
    held_s: float | None
    symptoms: tuple[str, ...]
    buddy_alerts: int
    events: tuple[dict[str, object], ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "started_at": self.started_at.isoformat(),
            "status": self.status,
            "status_label": self.status_label,
            "end_reason": self.end_reason,
            "end_reason_label": self.end_reason_label,
            "held_s": self.held_s,
            "symptoms": list(self.symptoms),
            "buddy_alerts": self.buddy_alerts,
            "events": list(self.events),
        }


def owner_guided_sessions(db: Database, owner: int, limit: int = 50) -> list[GuidedSession]:
    """A person's guided sessions, newest first, with their events, symptoms, end and buddy alerts."""
    found = []
    with db.unit_of_work() as uow:
        for record, rows in clinic_store.guided_sessions(uow, owner, limit):
            events = tuple({"t": r.t, "kind": r.kind, "name": r.name, **r.payload} for r in rows)
            symptoms = tuple(
                dict.fromkeys(
                    str(r.payload.get("symptom")) for r in rows if r.kind == "event" and r.payload.get("symptom")
                )
            )
            buddy = sum(1 for r in rows if r.kind == "command" and r.name == "alert_buddy")
            found.append(
                GuidedSession(
                    record.id,
                    clinic_store.utc(record.started_at),
                    record.status,
                    SESSION_STATUS_LABELS.get(record.status, record.status),
                    record.end_reason,
                    END_REASON_LABELS.get(record.end_reason or "", ""),
                    record.held_s,
                    symptoms,
                    buddy,
                    events,
                )
            )
    return found


@dataclass(frozen=True)
class ReportData:
    profile: Profile | None
    screening: repo.SavedScreening | None
    clearances: list[ClearanceRecord]
    plan: CurrentPlan | None
    logs: list[SessionLog]
    # The report's extras (read with the logs): guided sessions, diary of the last year, PEG and impressions, trial.
    guided: list[GuidedSession] = field(default_factory=list)
    diary: list[DiaryEntry] = field(default_factory=list)
    outcomes: OutcomeSeries | None = None
    trial: TrialView | None = None


# The report lists this many of the newest guided sessions with their journals.
REPORT_GUIDED_SESSIONS = 50
REPORT_DIARY_DAYS = 360


@use_case
def report_data(db: Database, *, owner_handle: str, with_logs: bool = True, today: dt.date | None = None) -> ReportData:
    """Everything a clinician's report shows; `with_logs=False` for the pages that show the profile, screening and
    plan only (a long history is not read for them). With `today`, the report's extras too."""
    if with_logs and today is not None:
        core = report_data(db, owner_handle=owner_handle, with_logs=True)
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, owner_handle)
            diary = repo.diary(uow, owner, today - dt.timedelta(days=REPORT_DIARY_DAYS))
        return replace(
            core,
            guided=owner_guided_sessions(db, owner, REPORT_GUIDED_SESSIONS),
            diary=diary,
            outcomes=outcome_series(db, owner_handle=owner_handle),
            trial=trial_view(db, today, owner_handle=owner_handle),
        )
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        profile = repo.get_profile(uow, owner)
        screening = repo.latest_screening(uow, owner)
        clearances = repo.clearances(uow, owner)
        saved = repo.current_plan(uow, owner)
        plan = CurrentPlan(saved.id, saved.plan, repo.plan_revisions(uow, saved.id)) if saved else None
        logs = repo.session_logs(uow, owner) if with_logs else []
    return ReportData(profile, screening, clearances, plan, logs)


def export_own_data(db: Database, *, owner_handle: str) -> dict[str, list[dict[str, object]]]:
    """Every row the person owns, table by table (no password hash, no login secrets)."""
    with db.unit_of_work() as uow:
        return clinic_store.owner_rows(uow, repo.owner_id(uow, owner_handle))


def guided_session_list(db: Database, limit: int = 20, *, owner_handle: str) -> list[GuidedSession]:
    """The person's newest guided sessions with how each ended, its symptoms and buddy alerts."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
    return owner_guided_sessions(db, owner, limit)


@dataclass(frozen=True)
class OutcomeMeasures:
    """What an export carries besides the sessions: the diary, PEG scores and impressions of change."""

    diary: list[DiaryEntry]
    pegs: list[PegAnswers]
    impressions: list[GlobalImpressionEntry]


def outcome_measures(db: Database, *, owner_handle: str) -> OutcomeMeasures:
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        return OutcomeMeasures(
            repo.diary(uow, owner, dt.date.min), outcomes.pegs(uow, owner), outcomes.global_impressions(uow, owner)
        )


def stream_session_logs(db: Database, *, owner_handle: str) -> Iterator[SessionLog]:
    """The person's sessions in date order for an export, read in batches within one unit of work."""
    with db.unit_of_work() as uow:
        yield from repo.iter_session_logs(uow, repo.owner_id(uow, owner_handle))
