from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hangtime.evidence import Evidence, load_evidence

TODAY = dt.date(2026, 11, 23)


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
    url = os.environ.get("HANGTIME_TEST_DATABASE_URL")
    if not url:
        pytest.skip("HANGTIME_TEST_DATABASE_URL is not set: PostgreSQL tests run in CI (.ci/run sets it)")
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    yield url
