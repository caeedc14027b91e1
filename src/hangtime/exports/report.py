"""The clinician report: one Jinja template rendered to HTML (web page) and to PDF (WeasyPrint); CSV of sessions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hangtime.app.services import OutcomeMeasures, ReportData
from hangtime.core.evidence import Evidence, Outcome
from hangtime.core.outcomes import (
    days_with_data_per_30,
    pain_change,
    pain_scores,
    session_pain_rises,
    summarize_days,
)
from hangtime.core.planning import WEEK_REASON_LABELS, Revision, SessionLog
from hangtime.core.screening import CLEARER_LABELS, CLEARER_NAMES, ScreeningResult, who_can_clear
from hangtime.core.units import format_height, format_weight
from hangtime.exports import charts

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"

OUTCOME_LABELS = {
    Outcome.CLEARED: "Cleared, within these limits",
    Outcome.NEEDS_CLEARANCE: "Clearance needed before you invert",
    Outcome.NOT_ADVISED: "Inversion is not advised for you",
}


def outcome_label(result: ScreeningResult) -> str:
    return OUTCOME_LABELS[result.outcome]


DECISION_LABELS = {
    "progress": "One step up",
    "hold": "Same level",
    "regress": "One step back",
    "pause": "Paused",
    "adjust": "Limits set by your clinician",
}
TOLERANCE_LABELS = {"easy": "Easy", "just_right": "Just right", "hard": "Hard", "painful": "Painful"}


# A profile rule is about one of these; a condition's label is the question the person answered.
PROFILE_CHECK_LABELS = {
    "age": "Your age",
    "table_limits": "Your table's height and weight limits",
    "blood_pressure": "Your blood pressure reading",
    "bmi": "Your height and weight",
}


def rule_label(rule_id: str, evidence: Evidence) -> str:
    """What a screening rule is about, for a person (the id stays in the JSON)."""
    if rule_id in evidence.conditions:
        return evidence.conditions[rule_id].question
    for rule in evidence.rules.profile_rules:
        if rule.id == rule_id:
            return PROFILE_CHECK_LABELS[rule.check]
    if rule_id in evidence.symptoms:
        return evidence.symptoms[rule_id].label
    return "Your answers"


def source_titles(ids: Iterable[str], evidence: Evidence) -> str:
    """Sources by their titles for a person (the ids stay in the JSON)."""
    return "; ".join(evidence.sources[i].title if i in evidence.sources else i for i in ids)


def symptom_labels(ids: Iterable[str], evidence: Evidence) -> str:
    return ", ".join(evidence.symptoms[i].label if i in evidence.symptoms else "Other" for i in ids)


def decision_label(decision: object) -> str:
    code = str(getattr(decision, "value", decision))
    return DECISION_LABELS.get(code, "Reviewed")


def revision_label(revision: dict[str, Any] | Revision) -> str:
    """A plan revision's decision, or what set its limits (a clinician, a personal trial): stored revisions are
    dicts, fresh ones `Revision`s."""
    decision: object
    if isinstance(revision, Revision):
        key, decision = revision.key, revision.decision
    else:
        key, decision = str(revision.get("reason_code") or ""), revision.get("decision")
    if key in ("clinician_adjusted", "trial_hold"):
        return WEEK_REASON_LABELS[key]
    return decision_label(decision)


def tolerance_label(tolerance: object) -> str:
    code = str(getattr(tolerance, "value", tolerance or ""))
    return TOLERANCE_LABELS.get(code, "")


def outcome_text(outcome: object) -> str:
    code = str(getattr(outcome, "value", outcome))
    return OUTCOME_LABELS.get(Outcome(code), code) if code in set(Outcome) else code


def make_environment() -> Environment:
    """The one Jinja environment for the web pages and the report, with the helpers templates use."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    environment.filters.update(
        source_titles=source_titles,
        rule_label=rule_label,
        symptom_labels=symptom_labels,
        decision_label=decision_label,
        revision_label=revision_label,
        tolerance_label=tolerance_label,
        outcome_text=outcome_text,
        clearer_name=lambda clearer: CLEARER_NAMES.get(clearer, str(clearer)),
    )
    environment.globals.update(
        format_height=format_height,
        format_weight=format_weight,
        who_can_clear=who_can_clear,
        outcome_label=outcome_label,
        clearer_labels=CLEARER_LABELS,
    )
    return environment


_environment = make_environment()


def report_context(data: ReportData, evidence: Evidence, today: dt.date) -> dict[str, Any]:
    logs = data.logs
    return {
        "data": data,
        "evidence": evidence,
        "today": today,
        "pain": pain_change(pain_scores(logs)),
        "rises": session_pain_rises(logs),
        "trial_svg": charts.trial_chart(data.trial.blocks, data.trial.diary) if data.trial else "",
        "data_days": days_with_data_per_30({log.date for log in logs} | {e.date for e in data.diary}, today),
        **charts.all_charts(summarize_days(logs)),
    }


def report_html(data: ReportData, evidence: Evidence, today: dt.date) -> str:
    html: str = _environment.get_template("report_document.html").render(report_context(data, evidence, today))
    return html


def report_pdf(data: ReportData, evidence: Evidence, today: dt.date) -> bytes:
    from weasyprint import HTML  # imported here: it loads Pango, which only the PDF needs

    pdf: bytes = HTML(string=report_html(data, evidence, today)).write_pdf()
    return pdf


CSV_HEADER = ["date", "completed", "pain_before", "pain_after", "tolerance", "symptoms", "angle_deg", "inverted_s"]


def sessions_csv_chunks(logs: Iterable[SessionLog]) -> Iterator[str]:
    """The sessions as CSV, a thousand rows at a time (memory stays flat for any number of sessions)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for count, log in enumerate(logs, start=1):
        writer.writerow(
            [
                log.date.isoformat(),
                log.completed,
                log.pain_before,
                log.pain_after,
                log.tolerance.value if log.tolerance else "",
                ";".join(log.symptoms),
                log.angle_deg,
                log.inverted_s,
            ]
        )
        if count % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


OUTCOMES_CSV_HEADER = ["date", "measure", "item", "value", "label"]


def outcome_measures_csv(measures: OutcomeMeasures) -> str:
    """The outcome measures in one long table, a row per value: the diary (0-10), each PEG item and its mean, and
    each impression of change (1 very much better to 7 very much worse, with its label)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(OUTCOMES_CSV_HEADER)
    for entry in measures.diary:
        writer.writerow([entry.date.isoformat(), "pain_diary", "pain", entry.pain, ""])
    for peg in measures.pegs:
        for item in ("pain", "enjoyment", "activity"):
            writer.writerow([peg.date.isoformat(), "peg3", item, getattr(peg, item), ""])
        writer.writerow([peg.date.isoformat(), "peg3", "score", peg.score, "mean of the three"])
    for impression in measures.impressions:
        writer.writerow(
            [
                impression.date.isoformat(),
                "pgic",
                f"week_{impression.week}",
                int(impression.answer),
                impression.answer.label,
            ]
        )
    return buffer.getvalue()


def sessions_csv(data: ReportData) -> str:
    return "".join(sessions_csv_chunks(data.logs))
