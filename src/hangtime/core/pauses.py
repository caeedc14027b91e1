"""Pauses: when a person must not invert again until a professional has seen them. Pure: no I/O.

A pause starts the moment a red-flag symptom is logged (wherever it is logged), or when a weekly review finds
severe pain or the same symptom two weeks running. It belongs to the person, not to a plan, so making a new plan
never lifts it. Only a clearance naming `resume_after_pause`, from a professional the pause accepts, dated after
the day the pause began and still valid, lifts it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from hangtime.core.evidence import Clearer, Evidence
from hangtime.core.planning import SessionLog
from hangtime.core.screening import RESUME_AFTER_PAUSE, ClearanceRecord, who_can_clear

# Who may lift a pause that a review started (severe pain, a symptom that keeps coming back): "see a clinician".
REVIEW_PAUSE_CLEARERS = (Clearer.PHYSICIAN, Clearer.PHYSICAL_THERAPIST)


@dataclass(frozen=True)
class Pause:
    since: dt.date
    reason: str  # the protocol note key: paused, paused_pain, paused_repeated_symptom
    text: str
    sources: tuple[str, ...]
    clearance_by: tuple[Clearer, ...]
    symptoms: tuple[str, ...] = ()
    urgent: bool = False

    def how_to_lift(self) -> str:
        return (
            f"No session until {who_can_clear(self.clearance_by)} has seen you and you record their clearance"
            f" dated after {self.since.isoformat()} (hangtime clearance add --by {self.clearance_by[0].value}"
            f" --condition {RESUME_AFTER_PAUSE} --date YYYY-MM-DD)."
        )


def red_flags_in(log: SessionLog, evidence: Evidence) -> tuple[str, ...]:
    return tuple(s for s in log.symptoms if s in evidence.symptoms and evidence.symptoms[s].severity == "red_flag")


def pause_for_log(log: SessionLog, evidence: Evidence) -> Pause | None:
    """A red-flag symptom pauses at once: urgent advice, and a clearance from someone every symptom accepts."""
    red_flags = red_flags_in(log, evidence)
    if not red_flags:
        return None
    accepted = [set(evidence.symptoms[s].clearance_by) for s in red_flags]
    common = set.intersection(*accepted)
    clearers = tuple(c for c in Clearer if c in common) or (Clearer.PHYSICIAN,)
    labels = ", ".join(evidence.symptoms[s].label.lower() for s in red_flags)
    note = evidence.protocol.notes["paused"]
    sources = tuple(dict.fromkeys((*note.sources, *(src for s in red_flags for src in evidence.symptoms[s].sources))))
    return Pause(
        since=log.date,
        reason="paused",
        text=f"Red-flag symptom on {log.date.isoformat()}: {labels}. {note.text}",
        sources=sources,
        clearance_by=clearers,
        symptoms=red_flags,
        urgent=True,
    )


def pause_for_review(key: str, week_end: dt.date, evidence: Evidence) -> Pause:
    """A pause a weekly review decided (its week's last day is when it began)."""
    note = evidence.protocol.notes[key]
    return Pause(
        since=week_end,
        reason=key,
        text=note.text,
        sources=note.sources,
        clearance_by=REVIEW_PAUSE_CLEARERS,
        urgent=False,
    )


def lifting_clearance(
    pause: Pause, clearances: list[ClearanceRecord], validity_days: int, today: dt.date
) -> ClearanceRecord | None:
    """The clearance that lifts this pause, if any: names resume_after_pause, by an accepted professional, dated
    strictly after the pause began (a same-day clearance may predate the symptom), and valid today."""
    for record in clearances:
        if (
            RESUME_AFTER_PAUSE in record.conditions
            and record.by in pause.clearance_by
            and record.date > pause.since
            and record.valid_on(today, validity_days)
        ):
            return record
    return None
