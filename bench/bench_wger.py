"""Hangtime beside wger (Django + DRF), one worker each, same machine, same 100,000 logged sessions of one person.

`make bench-wger` (a few minutes): installs wger 2.1 from PyPI into its own virtual environment (`.bench-wger/`,
untracked), creates its SQLite database, loads its base fixtures and 100,000 workout logs for one user, and serves it
with gunicorn (one sync worker). Hangtime gets one person with 100,000 sessions (`hangtime demo seed`) and serves it
with `hangtime serve` (one worker). Then each pair of comparable requests runs closed-loop with 16 clients for 10 s:
list the newest 20, and log one. Figures are from this one run; the ratio is Hangtime's throughput over wger's.
Loopback only; nothing is fetched at run time but the packages from PyPI.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HANGTIME = Path(sys.executable).parent / "hangtime"
WGER_HOME = ROOT / ".bench-wger"
LOGS = 100_000
CLIENTS = 16

WGER_SETTINGS = """
from wger.settings_global import *  # noqa: F403
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
SECRET_KEY = "benchmark-only-not-a-secret-0123456789abcdef0123456789"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "%(db)s"}}
SITE_URL = "http://127.0.0.1"
MEDIA_ROOT = "%(home)s/media"
STATIC_ROOT = "%(home)s/static"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SILENCED_SYSTEM_CHECKS = ["captcha.recaptcha_test_key_error"]
"""

WGER_SEED = """
import datetime as dt, json, random
import django
django.setup()
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from wger.core.models import License, RepetitionUnit, WeightUnit
from wger.exercises.models import ExerciseBase, ExerciseCategory
from wger.manager.models import Workout, WorkoutLog
base = ExerciseBase.objects.create(category=ExerciseCategory.objects.first(), license=License.objects.first())
user = User.objects.create_user("bench", "bench@example.org", "benchmark password")
token, _ = Token.objects.get_or_create(user=user)
workout = Workout.objects.create(user=user, name="Inversion")
rep, unit = RepetitionUnit.objects.first(), WeightUnit.objects.first()
rng = random.Random(1)
start = dt.date.today() - dt.timedelta(days=%(logs)d // 3)
WorkoutLog.objects.bulk_create(
    [
        WorkoutLog(user=user, exercise_base=base, workout=workout, repetition_unit=rep, reps=rng.randint(1, 10),
                   weight=rng.randint(0, 100), weight_unit=unit, date=start + dt.timedelta(days=i // 3))
        for i in range(%(logs)d)
    ],
    batch_size=5000,
)
print(json.dumps({"token": token.key, "base": base.id, "workout": workout.id, "rep": rep.id, "unit": unit.id}))
"""

FIXTURES = [
    "gym.json",
    "languages.json",
    "groups.json",
    "users.json",
    "licenses.json",
    "days_of_week.json",
    "language_config.json",
    "gym_config.json",
    "categories.json",
]


def set_up_wger() -> tuple[dict[str, object], dict[str, str]]:
    """A fresh wger with 100,000 logs; returns the ids for the requests and the environment to run it."""
    python = WGER_HOME / "venv" / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(WGER_HOME / "venv")], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "wger==2.1", "gunicorn>=21,<24", "invoke<2"], check=True)
    database = WGER_HOME / "wger.db"
    database.unlink(missing_ok=True)
    (WGER_HOME / "bench_settings.py").write_text(WGER_SETTINGS % {"db": database, "home": WGER_HOME})
    env = {**os.environ, "PYTHONPATH": str(WGER_HOME), "DJANGO_SETTINGS_MODULE": "bench_settings"}
    run = {"env": env, "check": True, "capture_output": True}
    subprocess.run([str(python), "-m", "django", "migrate", "--noinput"], **run)  # type: ignore[call-overload]
    for fixture in FIXTURES:
        subprocess.run([str(python), "-m", "django", "loaddata", fixture], **run)  # type: ignore[call-overload]
    seeded = subprocess.run([str(python), "-c", WGER_SEED % {"logs": LOGS}], **run)  # type: ignore[call-overload]
    return json.loads(seeded.stdout.decode().strip().splitlines()[-1]), env


def wait_for(url: str, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not answer")


async def closed_loop(
    name: str, seconds: float, call: Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]
) -> dict[str, object]:
    """CLIENTS clients, each sending its next request when the last one is answered, for `seconds`."""
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds

    async def client(number: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=30) as session:
            count = 0
            while time.monotonic() < stop:
                began = time.monotonic()
                response = await call(session, number * 1_000_000 + count)
                count += 1
                if response.status_code >= 400:
                    errors += 1
                else:
                    latencies.append((time.monotonic() - began) * 1000)

    started = time.monotonic()
    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    elapsed = time.monotonic() - started
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1) if latencies else None  # noqa: E731
    return {
        "scenario": name,
        "per_s": round(len(latencies) / elapsed, 1),
        "ok": len(latencies),
        "errors": errors,
        "p50_ms": pick(0.5),
        "p95_ms": pick(0.95),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    print(f"setting up wger 2.1 with {LOGS} workout logs in {WGER_HOME}", flush=True)
    ids, wger_env = set_up_wger()
    wger_port, hangtime_port = 8611, 8612
    wger = subprocess.Popen(
        [str(WGER_HOME / "venv" / "bin" / "gunicorn"), "wger.wsgi", "-w", "1", "-b", f"127.0.0.1:{wger_port}"],
        env=wger_env,
        stderr=subprocess.DEVNULL,
    )
    token = {"Authorization": f"Token {ids['token']}"}
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "HANGTIME_DATA_DIR": folder, "HANGTIME_LOG_LEVEL": "WARNING"}
        env.pop("HANGTIME_DATABASE_URL", None)
        print(f"seeding Hangtime with one person and {LOGS} sessions", flush=True)
        subprocess.run([str(HANGTIME), "demo", "seed", "--patients", "1", "--sessions", str(LOGS)], env=env, check=True)
        hangtime = subprocess.Popen([str(HANGTIME), "serve", "--port", str(hangtime_port)], env=env)
        try:
            wger_base = f"http://127.0.0.1:{wger_port}"
            ours = f"http://127.0.0.1:{hangtime_port}"
            wait_for(wger_base + "/api/v2/workoutlog/?limit=1", token)
            wait_for(ours + "/api/sources")
            today = time.strftime("%Y-%m-%d")

            async def wger_list(c: httpx.AsyncClient, _: int) -> httpx.Response:
                return await c.get(wger_base + "/api/v2/workoutlog/?ordering=-date&limit=20", headers=token)

            async def wger_log(c: httpx.AsyncClient, n: int) -> httpx.Response:
                body = {
                    "exercise_base": ids["base"],
                    "workout": ids["workout"],
                    "repetition_unit": ids["rep"],
                    "weight_unit": ids["unit"],
                    "reps": 1 + n % 10,
                    "weight": "0.00",
                    "date": today,
                }
                return await c.post(wger_base + "/api/v2/workoutlog/", json=body, headers=token)

            async def our_list(c: httpx.AsyncClient, _: int) -> httpx.Response:
                return await c.get(ours + "/api/history?limit=20")

            first_day = dt.date(1950, 1, 1)

            async def our_log(c: httpx.AsyncClient, n: int) -> httpx.Response:
                # One log a day, on days before the seeded history: the caps allow at most 2 sessions a day, and the
                # seeded person already has more than that on every recent day (wger has no such limit).
                day = (first_day + dt.timedelta(days=n % 1_000_000 + n // 1_000_000 * 1000)).isoformat()
                return await c.post(ours + "/api/log", json={"date": day, "pain_before": n % 11, "completed": False})

            async def scenarios() -> list[dict[str, object]]:
                found = []
                for name, call in (
                    ("wger: newest 20 logs", wger_list),
                    ("Hangtime: newest 20 sessions", our_list),
                    ("wger: log one", wger_log),
                    ("Hangtime: log one", our_log),
                ):
                    found.append(await closed_loop(name, args.seconds, call))
                    await asyncio.sleep(1)
                return found

            results = asyncio.run(scenarios())
        finally:
            hangtime.terminate()
            wger.terminate()
            hangtime.wait(timeout=20)
            wger.wait(timeout=20)
    print(json.dumps(results, indent=2))
    print(f"\n| scenario ({CLIENTS} clients, closed loop) | req/s | ok | errors | p50 ms | p95 ms |")
    print("|---|---|---|---|---|---|")
    for row in results:
        print(
            f"| {row['scenario']} | {row['per_s']} | {row['ok']} | {row['errors']} | {row['p50_ms']}"
            f" | {row['p95_ms']} |"
        )
    reads = float(str(results[1]["per_s"])) / max(float(str(results[0]["per_s"])), 0.1)
    writes = float(str(results[3]["per_s"])) / max(float(str(results[2]["per_s"])), 0.1)
    print(f"\nHangtime / wger throughput: reads {reads:.1f}x, writes {writes:.1f}x")


if __name__ == "__main__":
    main()
