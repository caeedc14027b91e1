"""The README documents every command and every setting (a test fails when one is added without docs)."""

from __future__ import annotations

from pathlib import Path

import typer

from hangtime.cli.main import app
from hangtime.config import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def command_paths(typer_app: typer.Typer, prefix: str = "hangtime") -> list[str]:
    paths = []
    for command in typer_app.registered_commands:
        name = command.name or (command.callback.__name__.replace("_", "-") if command.callback else "")
        paths.append(f"{prefix} {name}")
    for group in typer_app.registered_groups:
        assert group.typer_instance is not None and group.name is not None
        paths.append(f"{prefix} {group.name}")
        paths.extend(command_paths(group.typer_instance, f"{prefix} {group.name}"))
    return paths


def test_every_command_is_in_the_readme() -> None:
    missing = [path for path in command_paths(app) if path not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_every_setting_is_in_the_readme() -> None:
    names = [f"HANGTIME_{name.upper()}" for name in Settings.model_fields]
    smtp = [n for n in names if n.startswith("HANGTIME_SMTP_")]
    others = [n for n in names if n not in smtp]
    missing = [n for n in others if n not in README]
    assert not missing, f"undocumented settings: {missing}"
    assert "HANGTIME_SMTP_HOST" in README and all(n.removeprefix("HANGTIME_SMTP") in README for n in smtp)
