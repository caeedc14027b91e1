"""Structured logs: one record per use case with the person and the outcome, device faults, and no health data at
INFO (a refusal's reason, which can name a symptom, only at DEBUG)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from pathlib import Path

import pytest

from hangtime.app import services
from hangtime.app.observability import KeyValueFormatter
from hangtime.app.services import ServiceError
from hangtime.core.evidence import Evidence
from hangtime.core.planning import Preferences, SessionLog
from hangtime.core.screening import Answers
from hangtime.devices.driver import opener_for
from hangtime.devices.simulator import SimLimits, SimulatorServer, TableSimulator
from hangtime.devices.supervisor import SafetySupervisor, SupervisorConfig
from hangtime.store import Database

TODAY = dt.date(2026, 11, 23)
FORMAT = KeyValueFormatter("%(levelname)s %(name)s %(message)s")


def lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [FORMAT.format(r) for r in caplog.records if r.levelno == level]


def test_each_use_case_is_logged_with_the_person_and_no_health_data(
    tmp_path: Path, evidence: Evidence, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hangtime")
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        with pytest.raises(ServiceError):
            services.make_plan(
                db, evidence, Preferences(start_date=TODAY), TODAY, owner_handle="local"
            )  # nothing screened yet
        answers = Answers.model_validate({"age": 45, "height_cm": 178, "weight_kg": 82})
        services.make_plan(db, evidence, Preferences(start_date=TODAY), TODAY, answers=answers, owner_handle="local")
        log = SessionLog(date=TODAY, pain_before=7, pain_after=6, angle_deg=20, inverted_s=60, symptoms=("nausea",))
        services.log_sessions(db, evidence, [log], TODAY, owner_handle="local")
    finally:
        db.dispose()
    info = lines(caplog, logging.INFO)
    assert "INFO hangtime.use_case make_plan refused use_case=make_plan person=local outcome=refused" in info[0]
    assert "error=ServiceError" in info[0]
    assert any(line.startswith("INFO hangtime.use_case make_plan done") and "outcome=done" in line for line in info)
    assert any("use_case=log_sessions person=local outcome=done" in line for line in info)
    assert not any("nausea" in line or "screen first" in line for line in info), "no health data, no reasons at INFO"
    debug = lines(caplog, logging.DEBUG)
    assert any("make_plan refused: no saved screening" in line for line in debug), "the reason, at DEBUG only"


def test_a_device_fault_is_logged_as_a_fault(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hangtime")

    async def scenario() -> None:
        sim = TableSimulator(SimLimits())
        server = SimulatorServer(sim)
        port = await server.start()
        supervisor = SafetySupervisor(opener_for(f"tcp://127.0.0.1:{port}"), SupervisorConfig(cap_angle_deg=40))
        try:
            await supervisor.start()
            await supervisor._latch("table angle not following the command")
        finally:
            await supervisor.stop()
            await server.close()

    asyncio.run(scenario())
    [fault] = lines(caplog, logging.WARNING)
    assert fault.startswith("WARNING hangtime.devices.supervisor table fault latched")
    assert "fault=table angle not following the command" in fault
