"""Exports stream: years of sessions are read a batch at a time and written a piece at a time, memory flat."""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
from pathlib import Path

from conftest import TODAY
from hangtime.app import demo_data, services
from hangtime.core.evidence import Evidence
from hangtime.exports.fhir import fhir_bundle, fhir_bundle_chunks
from hangtime.exports.report import sessions_csv_chunks
from hangtime.store import Database, repo

SESSIONS = 30_000


def test_fhir_and_csv_of_many_sessions_stream_in_flat_memory(tmp_path: Path, evidence: Evidence) -> None:
    db = Database(f"sqlite:///{tmp_path / 'many.db'}")
    demo_data.seed(db, evidence, 1, SESSIONS, TODAY, clinic_mode=False)
    data = services.report_data(db, owner_handle=repo.LOCAL_OWNER, with_logs=False)
    assert data.screening is not None and data.plan is not None
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)

    tracemalloc.start()
    logs = services.stream_session_logs(db, owner_handle=repo.LOCAL_OWNER)
    chunks = fhir_bundle_chunks(evidence, data.screening.answers, data.screening.result, data.plan.plan, logs, now)
    observations = 0
    size = 0
    first = ""
    for chunk in chunks:
        first = first or chunk
        observations += chunk.count('"resourceType": "Observation"')
        size += len(chunk)
    _, fhir_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rows = sum(
        chunk.count("\n") for chunk in sessions_csv_chunks(services.stream_session_logs(db, owner_handle="local"))
    )
    _, csv_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    assert observations == 2 * SESSIONS, "a pain-before and a pain-after observation per session"
    assert rows == SESSIONS + 1
    assert first.startswith('{"resourceType": "Bundle"')
    # The whole document is about 15 MB; streaming never holds more than a batch of it.
    assert size > 12_000_000
    assert fhir_peak < 15_000_000 and csv_peak < 10_000_000, (fhir_peak, csv_peak)
    db.dispose()


def test_the_streamed_bundle_is_the_same_document_as_the_whole_one(tmp_path: Path, evidence: Evidence) -> None:
    db = Database(f"sqlite:///{tmp_path / 'few.db'}")
    demo_data.seed(db, evidence, 1, 2500, TODAY, clinic_mode=False)
    data = services.report_data(db, owner_handle=repo.LOCAL_OWNER)
    assert data.screening is not None and data.plan is not None
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    args = (evidence, data.screening.answers, data.screening.result, data.plan.plan)
    whole = fhir_bundle(*args, data.logs, now)
    streamed = json.loads(
        "".join(fhir_bundle_chunks(*args, services.stream_session_logs(db, owner_handle="local"), now))
    )
    assert streamed == whole
    kinds = [e["resource"]["resourceType"] for e in whole["entry"]]
    assert kinds[:3] == ["Patient", "QuestionnaireResponse", "CarePlan"] and kinds.count("Observation") == 5000
    with db.unit_of_work() as uow:  # the keyset read returns every session once, in date order
        owner = repo.owner_id(uow, repo.LOCAL_OWNER)
        assert list(repo.iter_session_logs(uow, owner, batch=333)) == repo.session_logs(uow, owner)
    db.dispose()
