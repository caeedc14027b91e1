"""Persistence adapter: SQLAlchemy 2 models, repositories and Alembic migrations (SQLite or PostgreSQL)."""

from hangtime.store.db import Database, migrate

__all__ = ["Database", "migrate"]
