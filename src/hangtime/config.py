"""Settings from the environment (HANGTIME_*) or a .env file; defaults need no server at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_path
from pydantic import Field, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from hangtime.core.errors import HangtimeError, first_problem
from hangtime.notify.buddy import SmtpSettings

# Knobs that may stretch or compress a session: a .env file never sets them, so a real session cannot pick up
# a demonstration's speed silently. They come from the process environment or the command line (--demo) only.
DEMONSTRATION_ONLY = frozenset({"demo", "session_speed"})


class _DotEnvWithoutDemonstration(PydanticBaseSettingsSource):
    def __init__(self, inner: PydanticBaseSettingsSource) -> None:
        super().__init__(inner.settings_cls)
        self.inner = inner

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        return {key: value for key, value in self.inner().items() if key not in DEMONSTRATION_ONLY}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANGTIME_", env_file=".env", extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _DotEnvWithoutDemonstration(dotenv_settings), file_secret_settings

    data_dir: Path = user_data_path("hangtime", appauthor=False)
    database_url: str | None = None
    # Pins "today" for demonstrations and tests of expiry; unset in normal use.
    today: dt.date | None = None
    # Demonstration mode: time may be compressed, a banner shows on every screen, what is stored is marked as a
    # demonstration and no motorized table is driven (the simulator only).
    demo: bool = False
    # Log level for the use-case and device-fault records on stderr (default: WARNING in the terminal, INFO for serve).
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] | None = None
    # Session timing. speed other than 1 compresses time: demonstration mode only.
    session_speed: float = Field(default=1.0, gt=0, le=1000)
    # Check-ins every 10-60 s: longer would leave a person who fainted inverted unnoticed for too long.
    checkin_interval_s: float = Field(default=30, ge=10, le=60)
    # A motorized table for web sessions: sim, tcp://HOST:PORT or serial:///dev/ttyX (none: a manual table).
    table: str | None = None
    # personal: one person, loopback only, no login. clinic: accounts, roles, audit log (also `serve --clinic`).
    mode: Literal["personal", "clinic"] = "personal"
    # Host names the web app answers to (a request for any other is refused: DNS rebinding, host header attacks).
    # "testserver" is the name Starlette's test client uses; it resolves nowhere.
    trusted_hosts: list[str] = ["localhost", "127.0.0.1", "::1", "testserver"]
    # Mark the session cookie Secure: set it when the clinic server is behind HTTPS (it should be).
    secure_cookies: bool = False
    # Clinic mode: email each patient's clinician when an alert is raised (no health data in the email).
    alert_emails: bool = False
    # The address people use to reach the server, for links in emails (e.g. https://clinic.example).
    public_url: str | None = None
    # Requests admitted at once (worked on or waiting); one more gets 503 with Retry-After at once (the live
    # session's socket is never refused).
    max_in_flight: int = Field(default=48, ge=1, le=10_000)
    # Of those, worked on at once: the rest wait, at most max_queue_wait_ms, then get 503 (see web/overload.py).
    max_working: int = Field(default=3, ge=1, le=1_000)
    max_queue_wait_ms: int = Field(default=500, ge=1, le=60_000)
    # Buddy alerts by email use this SMTP server.
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "hangtime@localhost"
    smtp_starttls: bool = False

    @model_validator(mode="after")
    def _speed_only_in_demonstration(self) -> Settings:
        if self.session_speed != 1 and not self.demo:
            raise ValueError(
                f"HANGTIME_SESSION_SPEED={self.session_speed:g} compresses session time, which only a demonstration "
                "may do: unset it, or use demonstration mode (--demo or HANGTIME_DEMO=1)"
            )
        return self

    def check_table_for_demonstration(self, table: str | None) -> None:
        """A demonstration never drives a real motorized table: its compressed time would move a person."""
        if self.demo and table not in (None, "sim"):
            raise ValueError(f"demonstration mode drives no motorized table ('{table}'): use --table sim or none")

    def smtp(self) -> SmtpSettings:
        return SmtpSettings(
            host=self.smtp_host,
            port=self.smtp_port,
            username=self.smtp_username,
            password=self.smtp_password,
            sender=self.smtp_sender,
            starttls=self.smtp_starttls,
        )

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hangtime.db'}"


def demonstration_banner(speed: float) -> str:
    pace = f"time runs {speed:g}x faster" if speed != 1 else "time runs at normal speed"
    return f"DEMONSTRATION: {pace}; not a real session, and it never counts as progress"


class SettingsError(HangtimeError):
    """A HANGTIME_* setting out of range, named as the person typed it."""


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        where, message = first_problem(exc)
        if where:
            name = "HANGTIME_" + where.replace(".", "_").upper()
            message = f"{name}={exc.errors()[0]['input']!s} is not allowed: {message[0].lower()}{message[1:]}"
        raise SettingsError(message) from None
