"""The buddy who is alerted when check-ins go unanswered: load and save."""

from __future__ import annotations

from sqlalchemy import select

from hangtime.app.observability import use_case
from hangtime.app.services.common import ServiceError
from hangtime.notify.buddy import BuddyContact
from hangtime.store import Database, repo
from hangtime.store.models import Profile


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
