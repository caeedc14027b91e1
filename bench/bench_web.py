"""Web server benchmarks on SQLite: logging a session (POST /api/log) and loading the history page with 10,000
sessions in the store. A real uvicorn server on loopback, one client, figures from this one run."""

from __future__ import annotations

import datetime as dt
import random
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import uvicorn
from stats import percentile  # bench/stats.py: scripts run from this folder

from hangtime.config import Settings
from hangtime.core.planning import SessionLog, Tolerance
from hangtime.store import Database, repo
from hangtime.web.app import create_app

SESSIONS = 10_000
PER_DAY = 2  # the most a plan allows: years of twice-daily sessions, ending the year before the logs the bench posts
SEEDED_UNTIL = dt.date(2025, 12, 31)


def seed(url: str) -> None:
    db = Database(url)
    rng = random.Random(7)
    start = SEEDED_UNTIL - dt.timedelta(days=SESSIONS // PER_DAY - 1)
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, repo.LOCAL_OWNER)
        for index in range(SESSIONS):
            before = rng.randint(2, 8)
            log = SessionLog(
                date=start + dt.timedelta(days=index // PER_DAY),
                pain_before=before,
                pain_after=max(0, before - rng.randint(-1, 3)),
                tolerance=rng.choice(list(Tolerance)),
                angle_deg=float(20 + (index // 70) % 40),
                inverted_s=rng.randint(60, 300),
            )
            repo.add_session_log(uow, owner, None, log)
    db.dispose()


def log_body(index: int) -> dict[str, object]:
    """A new log within the daily session cap: two a day, on days after the seeded ones."""
    day = SEEDED_UNTIL + dt.timedelta(days=1 + index // PER_DAY)
    return {"date": day.isoformat(), "pain_before": 5, "pain_after": 4, "tolerance": "easy"}


def measure(
    client: httpx.Client, method: str, path: str, runs: int, body: Callable[[int], object] | None = None
) -> dict[str, float]:
    timings = []
    started = time.perf_counter()
    for index in range(runs):
        t0 = time.perf_counter()
        response = client.request(method, path, json=None if body is None else body(index))
        timings.append((time.perf_counter() - t0) * 1000)
        assert response.status_code < 400, response.text
    elapsed = time.perf_counter() - started
    return {
        "runs": runs,
        "p50_ms": statistics.median(timings),
        "p95_ms": percentile(timings, 0.95),
        "per_s": runs / elapsed,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory)
        url = f"sqlite:///{data / 'hangtime.db'}"
        seed(url)
        app = create_app(Settings(data_dir=data, today=dt.date(2026, 11, 23)))
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            log = measure(client, "POST", "/api/log", 300, body=log_body)
            cold: list[float] = []
            for index in range(300, 310):  # a new session, then the page: the charts are drawn afresh
                client.post("/api/log", json=log_body(index)).raise_for_status()
                t0 = time.perf_counter()
                client.get("/history").raise_for_status()
                cold.append((time.perf_counter() - t0) * 1000)
            history = measure(client, "GET", "/history", 20)
            api_history = measure(client, "GET", "/api/history", 20)
        server.should_exit = True
        thread.join(timeout=10)
    print(f"Web server benchmark (SQLite, uvicorn on loopback, one client, {SESSIONS:,} sessions in the store)")
    drawn = f"p50 {statistics.median(cold):.1f} ms, max {max(cold):.1f} ms"
    print(f"  GET /history right after a new session: {drawn} (10 requests)")
    for name, figures in (
        ("POST /api/log", log),
        ("GET /history again", history),
        ("GET /api/history (JSON, newest 100)", api_history),
    ):
        print(
            f"  {name}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
            f"{figures['per_s']:.1f} requests/s ({figures['runs']:.0f} requests)"
        )


if __name__ == "__main__":
    main()
