"""Property-based API testing from the OpenAPI schema: no input may produce a server error."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from hangtime.config import Settings
from hangtime.web.app import create_app

_data = Path(tempfile.mkdtemp(prefix="hangtime-schemathesis-"))
app = create_app(Settings(data_dir=_data, today=dt.date(2026, 11, 23)))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path} -> {response.status_code}: {response.text[:300]}"
