"""Fast loading of many rows for demonstration data and benchmarks: COPY on PostgreSQL, batched inserts on SQLite.

Nothing here is used by a person's own requests; it fills a store so that scale can be measured."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Table, insert, text

BATCH = 20_000


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def _copy_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def load(connection: Connection, table: Table, columns: list[str], rows: Iterable[dict[str, Any]]) -> int:
    """Insert rows (each a dict of `columns`); returns how many. PostgreSQL takes them by COPY."""
    count = 0
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c]) for c in columns])
                count += 1
        return count
    for batch in _batches(rows, BATCH):
        connection.execute(insert(table), batch)
        count += len(batch)
    return count


def next_id(connection: Connection, table: Table) -> int:
    return int(connection.execute(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table.name}")).scalar_one())


def reset_sequence(connection: Connection, table: Table) -> None:
    """After rows with explicit ids, PostgreSQL's sequence must move past them (SQLite needs nothing)."""
    if connection.dialect.name == "postgresql":
        highest = f"(SELECT COALESCE(MAX(id), 1) FROM {table.name})"
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), {highest})"))
