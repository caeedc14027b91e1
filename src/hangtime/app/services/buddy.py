"""The buddy who is alerted when check-ins go unanswered: load and save."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select

from hangtime.app.observability import use_case
from hangtime.app.services.common import ServiceError
from hangtime.notify.buddy import BuddyAlert, BuddyContact, SmtpSettings, send_with_retries
from hangtime.store import Database, repo
from hangtime.store.models import Owner, Profile


def load_buddy(db: Database, owner: int) -> tuple[BuddyContact | None, str]:
    with db.unit_of_work() as uow:
        profile = uow.scalar(select(Profile).where(Profile.owner_id == owner))
        if profile is None:
            return None, ""
        contact = BuddyContact.model_validate(profile.buddy) if profile.buddy else None
        return contact, profile.name


@use_case
def save_buddy(db: Database, contact: BuddyContact | None, person: str, *, owner_handle: str) -> None:
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
        profile = repo.get_profile(uow, owner)
        if profile is None:
            raise ServiceError("no profile yet: screen first")
        profile.buddy = contact.model_dump() if contact else None
        if person:
            profile.name = person


async def send_test_alert(
    db: Database, smtp: SmtpSettings, now: dt.datetime, *, owner_handle: str
) -> list[dict[str, Any]]:
    """A test alert to the buddy now (two tries); every attempt is returned. Refused without a buddy."""
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, owner_handle)
    contact, person = load_buddy(db, owner)
    if contact is None:
        raise ServiceError("no buddy set up yet: add one to your profile first")
    alert = BuddyAlert(person or "A Hangtime user", "test", now.isoformat(timespec="seconds"), None, "test")
    attempts: list[dict[str, Any]] = []
    await send_with_retries(contact, alert, smtp, attempts.append, attempts=2, first_delay_s=0.5)
    return attempts


@use_case
def delete_all_data(db: Database, *, owner_handle: str) -> None:
    """Every row of the person's data (personal mode): the owner row goes, and all else with it (ON DELETE
    CASCADE). The next request starts as a new person."""
    with db.unit_of_work() as uow:
        uow.execute(delete(Owner).where(Owner.handle == owner_handle))
