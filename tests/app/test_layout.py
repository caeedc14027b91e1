"""The layout's promises that a type checker cannot see: every use case is told whom it acts for, and a refused
request writes nothing."""

from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import pytest

from hangtime.app import services
from hangtime.app.services import ServiceError
from hangtime.core.evidence import Evidence
from hangtime.core.planning import Preferences
from hangtime.core.screening import Answers
from hangtime.store import Database, repo

TODAY = dt.date(2026, 11, 23)


def test_no_use_case_has_a_default_person() -> None:
    acting = []
    for name in services.__all__:
        function = getattr(services, name)
        if not inspect.isfunction(function):
            continue
        parameter = inspect.signature(function).parameters.get("owner_handle")
        if parameter is None:
            continue
        acting.append(name)
        assert parameter.default is inspect.Parameter.empty, f"{name} would act for the local person if not told"
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY, f"{name}: the person is named at every call"
    assert {"screen_and_save", "make_plan", "log_sessions", "prepare_session", "report_data"} <= set(acting)


def test_a_refused_plan_writes_neither_the_screening_nor_the_profile(tmp_path: Path, evidence: Evidence) -> None:
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        glaucoma = Answers.model_validate({"age": 45, "height_cm": 178, "weight_kg": 82, "conditions": ["glaucoma"]})
        with pytest.raises(ServiceError):
            services.make_plan(db, evidence, Preferences(start_date=TODAY), TODAY, glaucoma, owner_handle="local")
        assert services.latest_screening(db, owner_handle="local") is None
        with db.unit_of_work() as uow:
            assert repo.get_profile(uow, repo.owner_id(uow, "local")) is None
    finally:
        db.dispose()
