"""The clinician's report read back from the PDF as text: sessions, guided sessions with how they ended and buddy
alerts, days with data per 30 days, PEG and impressions over time, the trial result; and each page as a picture."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pypdfium2
from pypdf import PdfReader

from conftest import follow_plan_from
from hangtime.app import services
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import DiaryEntry, GlobalImpression, PegAnswers
from hangtime.core.session.commands import AlertBuddy
from hangtime.core.trial import Arm
from hangtime.exports.report import report_pdf
from hangtime.store import Database, repo
from hangtime.store.journal import Journal

ROOT = Path(__file__).resolve().parents[2]
START = dt.date(2026, 3, 2)
ME = "local"


def test_the_pdf_report_holds_every_measure_and_each_page_renders(tmp_path: Path, evidence: Evidence) -> None:
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    follow_plan_from(db, evidence, START, weeks=2)
    trial_day = START + dt.timedelta(weeks=2)
    with db.unit_of_work() as uow:
        owner = repo.owner_id(uow, ME)
    plan = services.current_plan(db, evidence, trial_day, owner_handle=ME)
    assert plan is not None
    setup = services.prepare_session(db, evidence, trial_day, 30, owner_handle=ME)
    journal = Journal.start(db, owner, plan.id, setup.config, {})
    journal.command(AlertBuddy(phase="hold", on_table_since_s=95.0, last_checkin_s=30.0, at_s=95.0, at=95.0))
    journal.finish("done", "no_response", 80.0)

    view = services.start_trial(db, evidence, trial_day, 3, 7, seed=5, owner_handle=ME)
    end = view.design.end
    for block in view.blocks:
        for offset in range(block.days):
            pain = (2 if block.arm is Arm.INVERSION else 5) + offset % 2
            day = block.start + dt.timedelta(days=offset)
            services.record_diary(db, DiaryEntry(date=day, pain=pain), end, owner_handle=ME)
    for week, score in ((0, 6), (4, 5), (7, 3)):
        day = START + dt.timedelta(weeks=week)
        services.record_peg(db, PegAnswers(date=day, pain=score, enjoyment=score, activity=score), day, owner_handle=ME)
    for day, answer in (
        (START + dt.timedelta(weeks=3), GlobalImpression.A_LITTLE_BETTER),
        (end, GlobalImpression.MUCH_BETTER),
    ):
        services.record_global_impression(db, answer, day, owner_handle=ME)
    data = services.report_data(db, owner_handle=ME, today=end)
    pdf = report_pdf(data, evidence, end)
    text = " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())

    assert "Days with data" in text and "30 of 30" in text  # a diary score every day of the trial
    assert "PEG-3" in text and "better (-3.0 from 6.0" in text
    assert "A little better" in text and "Much better (an important improvement)" in text
    assert "Personal trial" in text and "Pain was 3.0 points lower in inversion weeks" in text
    assert "a real and worthwhile difference" in text
    assert "Check-ins unanswered: the buddy was alerted" in text  # how the guided session ended
    assert f"{START.isoformat()} yes 4 → 3" in text  # every logged session, with completion and pain
    for internal in ("no_response", "much_better", "peg3", "kravitz_2018"):
        assert internal not in text

    document = pypdfium2.PdfDocument(pdf)
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    for index in range(len(document)):
        image = document[index].render(scale=1).to_pil()
        image.save(artifacts / f"report-page-{index + 1}.png")
        colours = image.convert("L").getextrema()
        assert colours[0] < 100 and colours[1] > 200, f"page {index + 1} is blank"
    assert len(document) >= 2
    document.close()
    db.dispose()
