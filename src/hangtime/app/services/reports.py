"""The clinician's report data: profile, screening, clearances, plan and outcomes, in one read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from hangtime.app.observability import use_case
from hangtime.app.services.plans import CurrentPlan
from hangtime.core.planning import (
    SessionLog,
)
from hangtime.core.screening import (
    ClearanceRecord,
)
from hangtime.store import Database, repo
from hangtime.store import clinic as clinic_store
from hangtime.store.models import Profile


@dataclass(frozen=True)
class ReportData:
    profile: Profile | None
    screening: repo.SavedScreening | None
    clearances: list[ClearanceRecord]
    plan: CurrentPlan | None
    logs: list[SessionLog]


@use_case
def report_data(db: Database, *, owner_handle: str, with_logs: bool = True) -> ReportData:
    """Everything a clinician's report shows, read in one unit of work; `with_logs=False` for the pages that show
    the profile, screening and plan only (a long history is not read for them)."""
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


def stream_session_logs(db: Database, *, owner_handle: str) -> Iterator[SessionLog]:
    """The person's sessions in date order for an export, read in batches within one unit of work."""
    with db.unit_of_work() as uow:
        yield from repo.iter_session_logs(uow, repo.owner_id(uow, owner_handle))
