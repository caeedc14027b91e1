from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hangtime.evidence import load_evidence
from hangtime.screening import Answers, screen
from hangtime.store import Database, repo
from hangtime.store.models import Base

TODAY = dt.date(2026, 11, 23)


def exercise(url: str) -> None:
    db = Database(url)
    try:
        tables = set(inspect(db.engine).get_table_names())
        assert {"owners", "profiles", "screenings", "clearances", "alembic_version"} <= tables
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        answers = Answers.model_validate({"age": 40, "height": "6 ft", "weight": "200 lb", "conditions": ["knee_pain"]})
        result = screen(answers, load_evidence(), TODAY)
        with db.session() as session:
            owner = repo.owner_id(session)
            repo.save_profile(session, owner, answers)
            repo.save_screening(session, owner, answers, result)
        with db.session() as session:
            owner = repo.owner_id(session)
            saved = repo.latest_screening(session, owner)
            assert saved is not None
            assert saved.result == result
            assert saved.answers == answers
            profile = repo.get_profile(session, owner)
            assert profile is not None and profile.height_cm == answers.height_cm
    finally:
        db.dispose()
    # Migrating again is a no-op.
    Database(url).dispose()


def test_sqlite_from_empty(tmp_path: Path) -> None:
    exercise(f"sqlite:///{tmp_path / 'h.db'}")


def test_postgres_from_empty(postgres_url: str) -> None:
    exercise(postgres_url)
