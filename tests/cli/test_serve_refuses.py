"""Without accounts the web app serves one person's data to whoever reaches it: loopback only; files owner-only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hangtime.cli.main import app, is_loopback
from hangtime.store import Database


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.org"])
def test_serve_refuses_a_public_address_without_clinic_mode(runner: CliRunner, data_dir: Path, host: str) -> None:
    result = runner.invoke(app, ["serve", "--host", host, "--port", "1"])
    assert result.exit_code == 2
    assert "listens on this computer only" in result.stderr and "--clinic" in result.stderr


def test_loopback_addresses() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "::1", "localhost", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "10.0.0.1", "localhost.example.org"))


def test_the_database_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new" / "hangtime.db"
    db = Database(f"sqlite:///{path}")
    with db.unit_of_work():
        pass
    db.dispose()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_serve_runs_one_worker_on_sqlite_and_says_why(runner: CliRunner, data_dir: Path) -> None:
    # Several workers on PostgreSQL: tests/e2e/test_takeover.py.
    result = runner.invoke(app, ["serve", "--workers", "2", "--port", "1"])
    assert result.exit_code == 2 and "SQLite has one writer" in result.stderr
    assert runner.invoke(app, ["serve", "--workers", "0"]).exit_code == 2
