"""FHIR export (fhir.resources' default release, R5): screening answers, pain observations and the care plan."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from typing import Any

from fhir.resources.bundle import Bundle
from fhir.resources.observation import Observation

from hangtime.app import services
from hangtime.core.evidence import Evidence
from hangtime.core.outcomes import PEG_ITEMS, DiaryEntry, GlobalImpressionEntry, PegAnswers
from hangtime.core.planning import Plan, SessionLog
from hangtime.core.screening import Answers, ScreeningResult
from hangtime.store import Database

LOINC = "http://loinc.org"
PAIN_NRS = "72514-3"  # Pain severity - 0-10 verbal numeric rating [Score] - Reported
HANGTIME = "https://hangtime.invalid/fhir"
# PEG-3 in LOINC: the panel 91148-7, its mean score 91147-9, and one code per item.
PEG_PANEL, PEG_MEAN = "91148-7", "91147-9"
PEG_ITEM_CODES = {"pain": "75893-8", "enjoyment": "91145-3", "activity": "91146-1"}
# The Patient Global Impression of Change has no LOINC code: it is coded in Hangtime's own system, and named.
PGIC_CODE = "patient-global-impression-of-change"


def _pain_observation(observation_id: str, day: dt.date, value: int, note: str, patient: str) -> dict[str, Any]:
    """A 0-10 pain score as a LOINC 72514-3 Observation: a session's before and after, and a diary day, alike."""
    code = {"coding": [{"system": LOINC, "code": PAIN_NRS, "display": "Pain severity 0-10 numeric rating"}]}
    return {**_survey(observation_id, day, code, patient), "valueInteger": value, "note": [{"text": note}]}


def _pain(log: SessionLog, index: int, when: str, value: int, patient: str) -> dict[str, Any]:
    return _pain_observation(f"pain-{index}-{when}", log.date, value, f"{when} an inversion session", patient)


def _survey(observation_id: str, day: dt.date, code: dict[str, Any], patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": observation_id,
        "status": "final",
        "category": [
            {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "survey"}]}
        ],
        "code": code,
        "subject": {"reference": patient},
        "effectiveDateTime": day.isoformat(),
    }


def peg_observation(answers: PegAnswers, patient: str) -> dict[str, Any]:
    """A week's PEG-3: the mean score as the value, each item a component with its LOINC code."""
    code = {
        "coding": [
            {"system": LOINC, "code": PEG_MEAN, "display": "Mean score [PEG]"},
            {"system": LOINC, "code": PEG_PANEL, "display": "PEG 3 item pain scale"},
        ],
        "text": "PEG-3 (pain, enjoyment of life, general activity)",
    }
    observation = _survey(f"peg-{answers.date.isoformat()}", answers.date, code, patient)
    observation["valueQuantity"] = {"value": answers.score, "unit": "score", "system": "http://unitsofmeasure.org"}
    observation["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": PEG_ITEM_CODES[item]}], "text": question},
            "valueInteger": getattr(answers, item),
        }
        for item, question in PEG_ITEMS.items()
    ]
    return observation


def impression_observation(entry: GlobalImpressionEntry, patient: str) -> dict[str, Any]:
    code = {
        "coding": [{"system": HANGTIME, "code": PGIC_CODE, "display": "Patient Global Impression of Change"}],
        "text": "Patient Global Impression of Change",
    }
    observation = _survey(f"pgic-week-{entry.week}", entry.date, code, patient)
    observation["valueInteger"] = int(entry.answer)
    observation["note"] = [
        {"text": f"Week {entry.week} of the plan: {entry.answer.label} (1 very much better, 7 very much worse)"}
    ]
    return observation


def _diary_pain(entry: DiaryEntry, patient: str) -> dict[str, Any]:
    """A diary day, told apart from a session's score by its id and note."""
    return _pain_observation(f"diary-{entry.date.isoformat()}", entry.date, entry.pain, "daily pain diary", patient)


def _header_entries(
    evidence: Evidence, answers: Answers | None, screening: ScreeningResult | None, plan: Plan | None, patient: str
) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [{"resourceType": "Patient", "id": "hangtime-user", "active": True}]
    if answers is not None and screening is not None:
        items = [
            {"linkId": "age", "text": "Age in years", "answer": [{"valueInteger": answers.age}]},
            {"linkId": "height_cm", "text": "Height (cm)", "answer": [{"valueDecimal": answers.height_cm}]},
            {"linkId": "weight_kg", "text": "Weight (kg)", "answer": [{"valueDecimal": answers.weight_kg}]},
            {"linkId": "table", "text": "Inversion table model", "answer": [{"valueString": answers.table}]},
        ]
        items += [
            {"linkId": c.id, "text": c.question, "answer": [{"valueBoolean": c.id in answers.conditions}]}
            for c in evidence.conditions.values()
        ]
        items.append(
            {"linkId": "outcome", "text": "Screening outcome", "answer": [{"valueString": screening.outcome.value}]}
        )
        entries.append(
            {
                "resourceType": "QuestionnaireResponse",
                "id": "screening",
                "status": "completed",
                "subject": {"reference": patient},
                "authored": screening.screened_on.isoformat(),
                "questionnaire": f"{HANGTIME}/Questionnaire/screening|{screening.rules_version}",
                "item": items,
            }
        )
    if plan is not None:
        entries.append(
            {
                "resourceType": "CarePlan",
                "id": "inversion-plan",
                "status": "on-hold" if plan.paused else "active",
                "intent": "plan",
                "title": "Progressive inversion therapy programme",
                "subject": {"reference": patient},
                "period": {"start": plan.start_date.isoformat(), "end": plan.end_date.isoformat()},
                "description": plan.handover["text"],
                "note": [
                    {
                        "text": f"Week {w.week} from {w.start_date.isoformat()}: {w.prescription.angle_deg:g} degrees, "
                        f"{w.prescription.sets} x {w.prescription.hold_s} s, {w.prescription.days_per_week} days a "
                        f"week. {w.reason_text}"
                    }
                    for w in plan.weeks
                ],
            }
        )
    return entries


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"{HANGTIME}/{resource['resourceType']}/{resource['id']}", "resource": resource}


def fhir_bundle_chunks(
    evidence: Evidence,
    answers: Answers | None,
    screening: ScreeningResult | None,
    plan: Plan | None,
    logs: Iterable[SessionLog],
    now: dt.datetime,
    diary: Iterable[DiaryEntry] = (),
    pegs: Iterable[PegAnswers] = (),
    impressions: Iterable[GlobalImpressionEntry] = (),
) -> Iterator[str]:
    """The Bundle as JSON text, a piece at a time: memory stays flat however many sessions there are (1,000,000
    sessions built as one validated object took 4.6 GB). The patient, screening and care plan, and the first
    pain observation, are validated by fhir.resources; every later observation has the same shape."""
    patient = "Patient/hangtime-user"
    header = [_entry(e) for e in _header_entries(evidence, answers, screening, plan, patient)]
    opening = {"resourceType": "Bundle", "type": "collection", "timestamp": now.isoformat(timespec="seconds")}
    validated = Bundle.model_validate({**opening, "entry": header}).model_dump(mode="json", exclude_none=True)
    entries = validated.pop("entry")
    yield json.dumps(validated)[:-1] + ', "entry": ['
    yield ", ".join(json.dumps(e) for e in entries)
    checked = False
    batch: list[str] = []
    for index, log in enumerate(logs, start=1):
        for when, value in (("before", log.pain_before), ("after", log.pain_after)):
            if value is None:
                continue
            entry = _entry(_pain(log, index, when, value, patient))
            if not checked:
                Observation.model_validate(entry["resource"])
                checked = True
            batch.append(json.dumps(entry))
        if len(batch) >= 1000:
            yield ", " + ", ".join(batch)
            batch = []
    for day in diary:
        batch.append(json.dumps(_entry(_diary_pain(day, patient))))
        if len(batch) >= 1000:
            yield ", " + ", ".join(batch)
            batch = []
    # At most one a week each: validated one by one.
    for measure in [peg_observation(p, patient) for p in pegs] + [
        impression_observation(i, patient) for i in impressions
    ]:
        Observation.model_validate(measure)
        batch.append(json.dumps(_entry(measure)))
    if batch:
        yield ", " + ", ".join(batch)
    yield "]}"


def person_bundle_chunks(db: Database, evidence: Evidence, handle: str, now: dt.datetime) -> Iterator[str]:
    """A person's whole Bundle, streamed: what the web app and `hangtime export fhir` both send."""
    data = services.report_data(db, owner_handle=handle, with_logs=False)
    measures = services.outcome_measures(db, owner_handle=handle)
    return fhir_bundle_chunks(
        evidence,
        data.screening.answers if data.screening else None,
        data.screening.result if data.screening else None,
        data.plan.plan if data.plan else None,
        services.stream_session_logs(db, owner_handle=handle),
        now,
        measures.diary,
        measures.pegs,
        measures.impressions,
    )


def fhir_bundle(
    evidence: Evidence,
    answers: Answers | None,
    screening: ScreeningResult | None,
    plan: Plan | None,
    logs: Iterable[SessionLog],
    now: dt.datetime,
    diary: Iterable[DiaryEntry] = (),
    pegs: Iterable[PegAnswers] = (),
    impressions: Iterable[GlobalImpressionEntry] = (),
) -> dict[str, Any]:
    """The whole Bundle as one object (small exports and tests; the web and the CLI stream the chunks)."""
    chunks = fhir_bundle_chunks(evidence, answers, screening, plan, logs, now, diary, pegs, impressions)
    document: dict[str, Any] = json.loads("".join(chunks))
    return document
