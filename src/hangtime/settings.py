"""Settings from the environment (HANGTIME_*) or a .env file; defaults need no server at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from platformdirs import user_data_path
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANGTIME_", env_file=".env", extra="ignore")

    data_dir: Path = user_data_path("hangtime", appauthor=False)
    database_url: str | None = None
    # Pins "today" for demonstrations and tests of expiry; unset in normal use.
    today: dt.date | None = None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hangtime.db'}"


def load_settings() -> Settings:
    return Settings()
