"""Settings from the environment (HANGTIME_*) or a .env file; defaults need no server at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from platformdirs import user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from hangtime.notify.buddy import SmtpSettings


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANGTIME_", env_file=".env", extra="ignore")

    data_dir: Path = user_data_path("hangtime", appauthor=False)
    database_url: str | None = None
    # Pins "today" for demonstrations and tests of expiry; unset in normal use.
    today: dt.date | None = None
    # Session timing. speed > 1 compresses time (demonstrations and tests only).
    session_speed: float = Field(default=1.0, gt=0, le=1000)
    checkin_interval_s: float = Field(default=30, ge=5, le=600)
    # A motorized table for web sessions: sim, tcp://HOST:PORT or serial:///dev/ttyX (none: a manual table).
    table: str | None = None
    # Buddy alerts by email use this SMTP server.
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_sender: str = "hangtime@localhost"
    smtp_starttls: bool = False

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


def load_settings() -> Settings:
    return Settings()
