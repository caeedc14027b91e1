from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from hypothesis import settings
from typer.testing import CliRunner

from hangtime.core.evidence import Evidence, load_evidence

TODAY = dt.date(2026, 11, 23)

# Under `make mutation` each of ~1,700 mutants reruns the tests that reach it: property tests there use fewer,
# reproducible examples. The full suite keeps hypothesis's number of examples, without its 200 ms deadline per
# example: timing belongs in the benchmarks, and on a loaded machine the deadline failed a correct example.
settings.register_profile("suite", deadline=None)
settings.register_profile("mutation", max_examples=30, derandomize=True, deadline=None)
settings.load_profile("mutation" if "MUTANT_UNDER_TEST" in os.environ else "suite")


@pytest.fixture(scope="session")
def evidence() -> Evidence:
    return load_evidence()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the app at a fresh, empty data directory (SQLite) and a fixed today."""
    directory = tmp_path / "data"
    monkeypatch.setenv("HANGTIME_DATA_DIR", str(directory))
    monkeypatch.delenv("HANGTIME_DATABASE_URL", raising=False)
    monkeypatch.setenv("HANGTIME_TODAY", TODAY.isoformat())
    return directory


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema of its own on the test server, dropped afterwards.

    Never the shared `public` schema: a connection left open on the server by anything else (a bench, a server)
    would make DROP SCHEMA wait for its lock for ever. Lock waits are bounded for the same reason.
    """
    url = os.environ.get("HANGTIME_TEST_DATABASE_URL")
    if not url:
        pytest.skip("HANGTIME_TEST_DATABASE_URL is not set: PostgreSQL tests run in CI (.ci/run sets it)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"hangtime_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url, connect_args={"options": "-c lock_timeout=20s"})
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    scoped = make_url(url).update_query_dict({"options": f"-csearch_path={schema} -clock_timeout=20s"})
    try:
        yield scoped.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, smtp_session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def follow_plan_from(
    db: Any, evidence: Evidence, start: dt.date, weeks: int, person: str = "local", answers: Any = None
) -> None:
    """A cleared person's plan from `start`, with every planned session of its first `weeks` weeks logged as
    prescribed (pain 4 before, 3 after): a plan followed at a tolerated dose."""
    from hangtime.app import services
    from hangtime.core.planning import Preferences, SessionLog
    from hangtime.core.screening import Answers

    cleared = answers or Answers.model_validate({"age": 45, "height_cm": 178, "weight_kg": 82})
    services.make_plan(db, evidence, Preferences(start_date=start), start, cleared, owner_handle=person)
    for week in range(weeks):
        current = services.current_plan(db, evidence, start + dt.timedelta(weeks=week), owner_handle=person)
        assert current is not None
        rx = current.plan.weeks[week].prescription
        logs = [
            SessionLog(
                date=start + dt.timedelta(weeks=week, days=day),
                pain_before=4,
                pain_after=3,
                angle_deg=rx.angle_deg,
                inverted_s=rx.inverted_s,
            )
            for day in (0, 1, 3, 4)
        ]
        services.log_sessions(db, evidence, logs, start + dt.timedelta(weeks=week, days=6), owner_handle=person)
