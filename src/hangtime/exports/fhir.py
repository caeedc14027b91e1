"""FHIR export (fhir.resources' default release, R5): screening answers, pain observations and the care plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fhir.resources.bundle import Bundle

from hangtime.core.evidence import Evidence
from hangtime.core.planning import Plan, SessionLog
from hangtime.core.screening import Answers, ScreeningResult

LOINC = "http://loinc.org"
PAIN_NRS = "72514-3"  # Pain severity - 0-10 verbal numeric rating [Score] - Reported
HANGTIME = "https://hangtime.invalid/fhir"


def _pain(log: SessionLog, index: int, when: str, value: int, patient: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"pain-{index}-{when}",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "survey",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": PAIN_NRS, "display": "Pain severity 0-10 numeric rating"}]},
        "subject": {"reference": patient},
        "effectiveDateTime": log.date.isoformat(),
        "valueInteger": value,
        "note": [{"text": f"{when} an inversion session"}],
    }


def fhir_bundle(
    evidence: Evidence,
    answers: Answers | None,
    screening: ScreeningResult | None,
    plan: Plan | None,
    logs: list[SessionLog],
    now: dt.datetime,
) -> dict[str, Any]:
    patient = "Patient/hangtime-user"
    entries: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "hangtime-user", "active": True},
    ]
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
    for index, log in enumerate(logs, start=1):
        if log.pain_before is not None:
            entries.append(_pain(log, index, "before", log.pain_before, patient))
        if log.pain_after is not None:
            entries.append(_pain(log, index, "after", log.pain_after, patient))
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
    bundle = Bundle.model_validate(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "timestamp": now.isoformat(timespec="seconds"),
            "entry": [{"fullUrl": f"{HANGTIME}/{e['resourceType']}/{e['id']}", "resource": e} for e in entries],
        }
    )
    data: dict[str, Any] = bundle.model_dump(mode="json", exclude_none=True)
    return data
