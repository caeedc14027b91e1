"""The cap on sessions a day, for typed logs: the store's count of the day's sessions feeds the check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hangtime.app import services
from hangtime.app.services import ServiceError
from hangtime.app.services.common import base_caps
from hangtime.core.evidence import Evidence
from hangtime.core.planning import SessionLog
from hangtime.store import Database

DAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_typed_log_beyond_the_days_cap_is_refused_at_exactly_the_cap(
    kind: str, tmp_path: Path, evidence: Evidence, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'h.db'}" if kind == "sqlite" else request.getfixturevalue("postgres_url")
    db = Database(url)
    cap = base_caps(evidence).max_sessions_per_day
    for _ in range(cap):  # up to the cap, one log at a time: each counts the ones already on the day
        services.log_sessions(db, evidence, [SessionLog(date=DAY, pain_before=3)], DAY, owner_handle="local")
    with pytest.raises(ServiceError, match=f"{cap + 1} sessions on {DAY.isoformat()} is above your cap of {cap}"):
        services.log_sessions(db, evidence, [SessionLog(date=DAY, pain_before=3)], DAY, owner_handle="local")
    next_day = DAY + dt.timedelta(days=1)  # another day counts afresh
    services.log_sessions(db, evidence, [SessionLog(date=next_day, pain_before=3)], next_day, owner_handle="local")
    assert len(services.session_logs(db, owner_handle="local")) == cap + 1
    db.dispose()
