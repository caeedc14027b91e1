"""Alembic migrations: run on start, from an empty database to the current models."""
