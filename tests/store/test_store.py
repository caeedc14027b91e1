from __future__ import annotations

import datetime as dt
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hangtime.core.evidence import load_evidence
from hangtime.core.outcomes import summarize_days
from hangtime.core.planning import SessionLog, Tolerance
from hangtime.core.screening import Answers, screen
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
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, repo.LOCAL_OWNER)
            repo.save_profile(uow, owner, answers)
            repo.save_screening(uow, owner, answers, result)
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, repo.LOCAL_OWNER)
            saved = repo.latest_screening(uow, owner)
            assert saved is not None
            assert saved.result == result
            assert saved.answers == answers
            profile = repo.get_profile(uow, owner)
            assert profile is not None and profile.height_cm == answers.height_cm
        logs = [
            SessionLog(date=TODAY, pain_before=6, pain_after=4, angle_deg=20, inverted_s=60),
            SessionLog(date=TODAY, pain_before=4, pain_after=None, angle_deg=30, inverted_s=90, symptoms=("nausea",)),
            SessionLog(date=TODAY + dt.timedelta(days=2), completed=False, tolerance=Tolerance.HARD),
        ]
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, repo.LOCAL_OWNER)
            for log in logs:
                repo.add_session_log(uow, owner, None, log)
        with db.unit_of_work() as uow:
            owner = repo.owner_id(uow, repo.LOCAL_OWNER)
            assert repo.session_logs(uow, owner) == logs
            assert repo.daily_summaries(uow, owner) == summarize_days(logs), "SQL and Python agree"
            assert repo.pain_ends_and_count(uow, owner) == repo.PainEnds(
                sessions=3, first_sum=10, last_sum=10, scored=2
            )
            assert repo.recent_session_logs(uow, owner, 1) == [logs[2]]
    finally:
        db.dispose()
    # Migrating again is a no-op.
    Database(url).dispose()


def test_sqlite_from_empty(tmp_path: Path) -> None:
    exercise(f"sqlite:///{tmp_path / 'h.db'}")


def test_postgres_from_empty(postgres_url: str) -> None:
    exercise(postgres_url)


def test_the_trend_read_from_the_two_ends_matches_the_whole_series(tmp_path: Path) -> None:
    from hangtime.core.outcomes import pain_change, pain_change_from_sums

    db = Database(f"sqlite:///{tmp_path / 'ends.db'}")
    scores = [7, 6, 6, 5, 5, 4, 4, 3, 3, 2]
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, repo.LOCAL_OWNER)
        for n in range(len(scores) + 1):  # 0 to 10 scores, each length checked
            if n:
                day = TODAY + dt.timedelta(days=n)
                repo.add_session_log(uow, owner, None, SessionLog(date=day, pain_before=scores[n - 1]))
                repo.add_session_log(uow, owner, None, SessionLog(date=day))  # no score: not counted
            ends = repo.pain_ends_and_count(uow, owner)
            assert (ends.sessions, ends.scored) == (2 * n, min(n, 6))
            assert pain_change_from_sums(ends.first_sum, ends.last_sum, ends.scored) == pain_change(scores[:n])
    db.dispose()
