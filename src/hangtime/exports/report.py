"""The clinician report: one Jinja template rendered to HTML (web page) and to PDF (WeasyPrint); CSV of sessions."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from hangtime.app.services import ReportData
from hangtime.core.evidence import Evidence, Outcome
from hangtime.core.outcomes import pain_change, pain_scores, session_pain_rises, summarize_days
from hangtime.core.planning import SessionLog
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


def sessions_csv(data: ReportData) -> str:
    return "".join(sessions_csv_chunks(data.logs))
