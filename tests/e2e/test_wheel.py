"""A wheel built from the repository installs in a fresh virtual environment and works outside the source tree:
templates, static files, rules and migrations are all inside it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_wheel_serves_the_app_from_a_fresh_environment(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = dist.glob("hangtime-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
    )
    # The dependencies come from this test environment's site-packages, added as a plain path: a path in a .pth file
    # is not itself scanned for .pth files, so the editable install of the source tree stays invisible.
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("HANGTIME_")},
        "HANGTIME_DATA_DIR": str(tmp_path / "data"),
        "PYTHONPATH": "",
    }
    hangtime = venv / "bin" / "hangtime"
    where = subprocess.run(
        [str(python), "-c", "import hangtime; print(hangtime.__file__)"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(site)), f"hangtime imported from {where!r}, not from the wheel"

    answers = outside / "answers.json"
    answers.write_text('{"age": 45, "height": "5 ft 10 in", "weight": "180 lb"}')
    screened = subprocess.run(
        [str(hangtime), "screen", "--answers", str(answers), "--json"],
        cwd=outside,
        env=env,
        capture_output=True,
        text=True,
    )
    assert screened.returncode == 0, screened.stderr
    assert json.loads(screened.stdout)["outcome"] == "cleared", (
        "rules read from the wheel, screening saved (migrations)"
    )

    port = free_port()
    server = subprocess.Popen(
        [str(hangtime), "serve", "--port", str(port)],
        cwd=outside,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                home = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert home.status_code == 200 and "Hangtime" in home.text, "templates"
        css = httpx.get(f"http://127.0.0.1:{port}/static/app.css", timeout=5)
        assert css.status_code == 200 and len(css.text) > 100, "static files"
        assert httpx.get(f"http://127.0.0.1:{port}/api/screening", timeout=5).json()["outcome"] == "cleared"
    finally:
        server.terminate()
        server.wait(timeout=10)
