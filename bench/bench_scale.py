"""Clinic scale: 10,000 patients and 1,000,000 sessions, on SQLite and on PostgreSQL, measured open-loop.

For each database: `hangtime demo seed --clinic`, then `hangtime serve --clinic` as a real server process on
loopback, then each scenario at a fixed arrival rate for a fixed time. Requests are sent on a schedule whatever
the server does, and each latency counts from the moment its request was due (no coordinated omission: a slow
server cannot slow the arrivals down and hide its own slowness). Figures are percentiles from this one run.

    python bench_scale.py [--patients 10000] [--sessions 1000000] [--seconds 10] [--database sqlite|postgresql|both]

Each scenario also records the CPU time it cost, per completed request: the server's processes, PostgreSQL's
backends and this load generator, read from /proc (the profile of what limits the rate on one machine). The
overload scenario first measures the sustainable read rate closed-loop, then sends twice that open-loop and counts
what still completes within 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import select, text, update
from stats import percentile  # bench/stats.py: scripts run from this folder

from hangtime.app import clinic, demo_data
from hangtime.core.evidence import load_evidence
from hangtime.store import Database
from hangtime.store.models import Account

HERE = Path(__file__).resolve().parent
HANGTIME = Path(sys.executable).with_name("hangtime")
PG_URL = os.environ.get("HANGTIME_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PATIENT_PASSWORD = "benchmark patient"
SIGNED_IN_PATIENTS = 150
ADMIN_EMAIL = "bench-admin@example.org"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Live sessions held open at once for the memory figure (some seeded patients are paused: they are refused one).
LIVE_SESSIONS = 100


@dataclass
class Result:
    name: str
    rate: float
    sent: int
    ok: int
    errors: dict[str, int]
    latencies_ms: list[float]
    cpu_s: dict[str, float] | None = None

    def row(self) -> dict[str, object]:
        lat = sorted(self.latencies_ms)
        per_request = {k: round(1000 * v / self.ok, 2) for k, v in (self.cpu_s or {}).items()} if self.ok else {}
        return {
            "scenario": self.name,
            "rate_per_s": self.rate,
            "sent": self.sent,
            "ok": self.ok,
            "errors": self.errors,
            "p50_ms": round(percentile(lat, 0.50), 1) if lat else None,
            "p95_ms": round(percentile(lat, 0.95), 1) if lat else None,
            "p99_ms": round(percentile(lat, 0.99), 1) if lat else None,
            "cpu_ms_per_ok_request": per_request,
        }


def _process_cpu_s(pid: int) -> float:
    """utime + stime of one process, in seconds (0 when it has gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _server_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]


def _postgres_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    found.append(int(entry.name))
    return found


def cpu_snapshot(server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server (and its workers), every PostgreSQL process, and this load generator."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "server": sum(_process_cpu_s(p) for p in _server_pids(server_pid)),
        "postgresql": sum(_process_cpu_s(p) for p in _postgres_pids()),
        "load_generator": own.ru_utime + own.ru_stime,
    }


@dataclass(frozen=True)
class Answer:
    status_code: int


class RawHttp:
    """A minimal HTTP/1.1 client on asyncio streams, with keep-alive connections, for the open-loop scenarios.
    httpx cost this process 3-7 ms of CPU per request (more as connections grew), so at twice the sustainable
    rate the load generator, not the server, set the pace; this costs a small fraction of that."""

    def __init__(self, base: str) -> None:
        address = base.removeprefix("http://")
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(self, method: str, path: str, cookies: httpx.Cookies, body: object = None) -> Answer:
        if self.idle:
            try:
                return await self._exchange(self.idle.pop(), method, path, cookies, body)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass  # the server closed an idle connection (its keep-alive timeout): once more on a new one
        connection = await asyncio.open_connection(self.host, self.port)
        return await self._exchange(connection, method, path, cookies, body)

    async def _exchange(
        self,
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        method: str,
        path: str,
        cookies: httpx.Cookies,
        body: object,
    ) -> Answer:
        reader, writer = connection
        payload = json.dumps(body).encode() if body is not None else b""
        cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nCookie: {cookie}\r\n"
        if body is not None:
            head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        try:
            writer.write(head.encode() + b"\r\n" + payload)
            status_line, *lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
            if headers.get("transfer-encoding") == "chunked":
                while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
                    await reader.readexactly(size + 2)
                await reader.readuntil(b"\r\n")
            else:
                await reader.readexactly(int(headers.get("content-length", "0")))
        except BaseException:  # a timeout or a reset: the connection is in an unknown state
            writer.close()
            raise
        if headers.get("connection", "").lower() == "close":
            writer.close()
        else:
            self.idle.append(connection)
        return Answer(int(status_line.split()[1]))

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    """The server's resident memory: the process and, with several workers, its worker processes."""
    total = 0.0
    children = Path(f"/proc/{pid}/task/{pid}/children")
    for each in [pid, *(int(c) for c in children.read_text().split())] if children.exists() else [pid]:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def prepare(url: str, patients: int, sessions: int) -> tuple[list[str], str]:
    """Seed, then give a sample of patients a password (seeded patients have none: they are 'invited')."""
    db = Database(url)
    seeded = demo_data.seed(db, load_evidence(), patients, sessions, dt.date.today(), clinic_mode=True)
    print(f"  seeded {seeded.sessions} sessions for {seeded.patients} patients in {seeded.seconds} s", flush=True)
    hashed = clinic.PASSWORDS.hash(PATIENT_PASSWORD)
    with db.unit_of_work() as uow:
        ids = list(uow.scalars(select(Account.id).where(Account.role == "patient").limit(SIGNED_IN_PATIENTS)))
        uow.execute(update(Account).where(Account.id.in_(ids)).values(password_hash=hashed))
        emails = list(uow.scalars(select(Account.email).where(Account.id.in_(ids))))
    clinic.add_account(db, ADMIN_EMAIL, clinic.Role.ADMIN, PATIENT_PASSWORD)
    db.dispose()
    assert seeded.first_clinician is not None
    return emails, seeded.first_clinician


async def sign_in(client: httpx.AsyncClient, email: str, password: str) -> httpx.Cookies:
    response = await client.post("/api/login", json={"email": email, "password": password})
    response.raise_for_status()
    return response.cookies


async def open_loop(
    name: str, rate: float, seconds: float, make_request: object, timeout_s: float = 10.0, server_pid: int = 0
) -> Result:
    """Fire requests at `rate` per second for `seconds`, each on schedule; latency from its due time."""
    result = Result(name, rate, 0, 0, {}, [])
    before = cpu_snapshot(server_pid) if server_pid else None
    start = time.perf_counter() + 0.05
    total = int(rate * seconds)

    async def one(index: int) -> None:
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            response = await asyncio.wait_for(make_request(index), timeout_s)  # type: ignore[operator]
            if response.status_code < 400:
                result.ok += 1
                result.latencies_ms.append((time.perf_counter() - due) * 1000)
            else:
                key = str(response.status_code)
                result.errors[key] = result.errors.get(key, 0) + 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError, httpx.HTTPError) as exc:
            key = type(exc).__name__
            result.errors[key] = result.errors.get(key, 0) + 1
        result.sent += 1

    await asyncio.gather(*(one(i) for i in range(total)))
    if before is not None:
        after = cpu_snapshot(server_pid)
        result.cpu_s = {k: after[k] - before[k] for k in before}
    return result


async def closed_loop_rate(seconds: float, make_request: object, clients: int = 16) -> float:
    """Completed requests per second with `clients` each sending the next as soon as the last is answered."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal done
        index = offset
        while time.perf_counter() < deadline:
            response = await make_request(index)  # type: ignore[operator]
            done += response.status_code < 400
            index += clients

    await asyncio.gather(*(client(i) for i in range(clients)))
    return done / seconds


async def overload(seconds: float, make_request: object, server_pid: int) -> dict[str, object]:
    """The issue's overload test: at twice the sustainable read rate, at least 90% of the sustainable rate must
    still complete within 1 s."""
    sustainable = await closed_loop_rate(5, make_request)
    await asyncio.sleep(2)
    result = await open_loop("overload", round(2 * sustainable), seconds, make_request, server_pid=server_pid)
    within_1s = sum(1 for ms in result.latencies_ms if ms <= 1000) / seconds
    return {
        "sustainable_per_s": round(sustainable, 1),
        "offered_per_s": round(2 * sustainable),
        "completed_within_1s_per_s": round(within_1s, 1),
        "share_of_sustainable": round(within_1s / sustainable, 3) if sustainable else None,
        **result.row(),
    }


async def run_scenarios(base: str, emails: list[str], clinician: str, seconds: float, pid: int) -> dict[str, object]:
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        patients = [await sign_in(client, email, PATIENT_PASSWORD) for email in emails]
        doctor = await sign_in(client, clinician, demo_data.CLINICIAN_PASSWORD)
        admin = await sign_in(client, ADMIN_EMAIL, PATIENT_PASSWORD)
        idle = rss_mb(pid)
        rng = random.Random(11)
        today = dt.date.today()
        raw = RawHttp(base)

        def history(i: int) -> object:
            return raw.request("GET", "/api/history?limit=20", patients[i % len(patients)])

        def log(i: int) -> object:
            day = today - dt.timedelta(days=400 + rng.randrange(3000))
            body = {"date": day.isoformat(), "pain_before": rng.randint(2, 7), "pain_after": rng.randint(2, 7)}
            return raw.request("POST", "/api/log", patients[i % len(patients)], body)

        def history_page(i: int) -> object:
            return raw.request("GET", "/history", patients[i % len(patients)])

        def dashboard(_i: int) -> object:
            return raw.request("GET", "/clinic", doctor)

        def clinic_outcomes(_i: int) -> object:
            return raw.request("GET", "/api/clinic/outcomes", admin)

        # Each at the rate and at half of it: what one worker sustains, and what happens beyond.
        results = []
        for name, rate, request in (
            ("GET /api/history?limit=20", 100, history),
            ("GET /api/history?limit=20", 200, history),
            ("POST /api/log", 100, log),
            ("POST /api/log", 200, log),
            ("GET /history (page)", 20, history_page),
            ("GET /clinic (dashboard, 500 patients)", 1, dashboard),
            ("GET /api/clinic/outcomes (every patient)", 0.5, clinic_outcomes),
        ):
            results.append(await open_loop(name, rate, seconds, request, server_pid=pid))
            await asyncio.sleep(2)  # the server settles between scenarios
        overloaded = await overload(seconds, history, pid)
        raw.close()
        await asyncio.sleep(2)
        return {
            "overload": overloaded,
            "rss_idle_mb": round(idle, 1),
            "rss_after_mb": round(rss_mb(pid), 1),
            "live_sessions": (live := await live_sessions(base, patients, pid))[0],
            "rss_live_mb": live[1],
            "results": [r.row() for r in results],
        }


async def live_sessions(base: str, patients: list[httpx.Cookies], pid: int) -> tuple[int, float]:
    """One live session per signed-in patient, all open at once: how many started, and the server's memory then."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    address = base.replace("http://", "ws://") + "/ws/session"
    items = ["instructions", "straps", "not_after_meal", "screening", "spotter"]
    sockets = []
    started = 0
    refused: dict[str, int] = {}
    for cookies in patients:
        if started == LIVE_SESSIONS:
            break
        header = "; ".join(f"{name}={value}" for name, value in cookies.items())
        # The bench does not read the sessions' updates: no keepalive pings, which would time out behind them.
        socket = await connect(address, additional_headers={"Cookie": header, "Origin": base}, ping_interval=None)
        sockets.append(socket)
        await socket.recv()  # idle
        await socket.send(json.dumps({"type": "start", "items": items, "pain_before": 3}))
        answer = json.loads(await socket.recv())
        if answer.get("type") == "state":
            started += 1
        else:  # a seeded patient whose plan or screening does not allow a session today
            refused[str(answer.get("detail", answer))[:60]] = refused.get(str(answer.get("detail", answer))[:60], 0) + 1
    await asyncio.sleep(2)
    memory = round(rss_mb(pid), 1)
    if refused:
        print(f"  live sessions refused: {refused}", flush=True)
    for socket in sockets:
        with contextlib.suppress(ConnectionClosed):
            await socket.send(json.dumps({"type": "stop"}))
            await socket.close()
    return started, memory


def pin_cores(pin: bool) -> set[int] | None:
    """With --pin on a machine of 2 or more cores: this load generator on the last core, the server (and its
    workers, which inherit it) on the others, so that the client's CPU does not count against the server.
    PostgreSQL, not started here, runs wherever the kernel puts it. Returns the server's cores."""
    cores = sorted(os.sched_getaffinity(0))
    if not pin or len(cores) < 2:
        return None
    os.sched_setaffinity(0, {cores[-1]})
    return set(cores[:-1])


def serve(url: str, workers: int = 1, cores: set[int] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "HANGTIME_DATABASE_URL": url, "HANGTIME_MODE": "clinic", "HANGTIME_LOG_LEVEL": "WARNING"}
    command = [str(HANGTIME), "serve", "--clinic", "--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(command, env=env, preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/sources", timeout=1).status_code == 200:
                return process, base
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("the server did not start")


def measure(
    kind: str, patients: int, sessions: int, seconds: float, workers: int = 1, cores: set[int] | None = None
) -> dict[str, object]:
    print(f"{kind}: seeding {patients} patients, {sessions} sessions", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        if kind == "sqlite":
            url = f"sqlite:///{Path(folder) / 'scale.db'}"
        else:
            schema = f"bench_scale_{os.getpid()}"
            admin = Database(PG_URL, run_migrations=False)
            with admin.engine.begin() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"'))
            admin.dispose()
            url = f"{PG_URL}?options=-csearch_path%3D{schema}"
        emails, clinician = prepare(url, patients, sessions)
        process, base = serve(url, workers if kind == "postgresql" else 1, cores)
        try:
            figures = asyncio.run(run_scenarios(base, emails, clinician, seconds, process.pid))
        finally:
            process.terminate()
            process.wait(timeout=20)
            if kind == "postgresql":
                admin = Database(PG_URL, run_migrations=False)
                with admin.engine.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
    used = workers if kind == "postgresql" else 1
    pinned = sorted(cores) if cores else None
    return {
        "database": kind,
        "workers": used,
        "server_cores": pinned,
        "patients": patients,
        "sessions": sessions,
        **figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--workers", type=int, default=1, help="server workers on PostgreSQL (SQLite runs one)")
    parser.add_argument(
        "--pin",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="the server and the load generator on cores of their own",
    )
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    cores = pin_cores(args.pin)
    report = [measure(kind, args.patients, args.sessions, args.seconds, args.workers, cores) for kind in kinds]
    print(json.dumps(report, indent=2))
    for run in report:
        print(
            f"\n{run['database']} ({run['workers']} worker(s), server cores {run['server_cores']}):"
            f" RSS idle {run['rss_idle_mb']} MB,"
            f" after the scenarios {run['rss_after_mb']} MB, with {run['live_sessions']} live sessions"
            f" {run['rss_live_mb']} MB"
        )
        print("| scenario | rate/s | ok/sent | errors | p50 ms | p95 ms | p99 ms | CPU ms per request |")
        print("|---|---|---|---|---|---|---|---|")
        for row in run["results"]:  # type: ignore[attr-defined]
            errors = ", ".join(f"{k}: {v}" for k, v in row["errors"].items()) or "none"
            cpu = ", ".join(f"{k} {v}" for k, v in row["cpu_ms_per_ok_request"].items())
            print(
                f"| {row['scenario']} | {row['rate_per_s']} | {row['ok']}/{row['sent']} | {errors} | {row['p50_ms']} "
                f"| {row['p95_ms']} | {row['p99_ms']} | {cpu} |"
            )
        over = run["overload"]
        print(
            f"overload: sustainable {over['sustainable_per_s']}/s closed-loop; at {over['offered_per_s']}/s,"  # type: ignore[index]
            f" {over['completed_within_1s_per_s']}/s completed within 1 s"  # type: ignore[index]
            f" ({over['share_of_sustainable']} of the sustainable rate; the issue asks 0.9), errors {over['errors']}"  # type: ignore[index]
        )


if __name__ == "__main__":
    main()
