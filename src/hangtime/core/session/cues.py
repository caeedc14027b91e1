"""Everything a session says to the person, in one place: the engine decides when, this module says what.

Each function returns a `Say` command whose `cue` names its purpose (the screen and the journal use it)."""

from __future__ import annotations

from hangtime.core.session.commands import Say

CHECKLIST_TEXT = {
    "instructions": "I have followed my table's instructions and know how to come back up.",
    "straps": "Straps and ankle locks are double-checked.",
    "spotter": "Someone is with me for this session.",
    "not_after_meal": "I have not just eaten.",
    "screening": "My screening is cleared and not expired.",
}
BREATHING = (
    "Breathe slowly and relax.",
    "Slow, easy breaths. Let your back relax.",
    "Keep breathing slowly.",
)
# How a session ended, for a person (the journal keeps the code).
END_REASON_LABELS = {
    "completed": "Completed",
    "stopped": "Stopped by the person",
    "symptom": "Stopped for a symptom",
    "no_response": "Check-ins unanswered: the buddy was alerted",
    "hard_limit": "Ended at the hard limit on time inverted",
    "above_cap": "Ended: steeper than the cap",
    "aborted": "Ended before it started",
    "table_fault": "Ended: the table reported a fault",
}
SESSION_STATUS_LABELS = {"running": "Running", "done": "Finished", "interrupted": "Interrupted (crash or closed page)"}

# The alarm's instruction, word for word, and what the page shows with it (a reopened page shows it again).
ALARM = "Please answer. Press I'm OK if you are all right."
ALARM_ON_SCREEN = "Please answer: press I'm OK if you are all right. Otherwise your buddy will be alerted."


def duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    if minutes and secs:
        return f"{minutes} minute{'s' if minutes > 1 else ''} {secs} seconds"
    if minutes:
        return f"{minutes} minute{'s' if minutes > 1 else ''}"
    return f"{secs} seconds"


def tilt(angle_deg: float, rate_deg_s: float | None) -> Say:
    slowly = f" slowly, at most {rate_deg_s:g} degrees per second" if rate_deg_s else " slowly"
    return Say(f"Tilt back{slowly} to {angle_deg:g} degrees. Press I'm there when you are there.", "tilt")


def hold(seconds: float) -> Say:
    return Say(f"Hold for {duration(seconds)}. Breathe slowly and relax.", "hold")


def breathing(index: int) -> Say:
    return Say(BREATHING[index % len(BREATHING)], "breathing")


def countdown(seconds_left: int) -> Say:
    return Say(f"{seconds_left} seconds left.", "countdown")


def hold_complete() -> Say:
    return Say("Well done, the hold is complete.", "complete")


def return_to_horizontal() -> Say:
    return Say("Return slowly to near horizontal. Press I'm back when you are there.", "return")


def rest_between_sets(seconds: float) -> Say:
    return Say(f"Rest near horizontal for {duration(seconds)}.", "rest")


def rest_after(seconds: float) -> Say:
    return Say(f"Rest near horizontal for {duration(seconds)}. Do not sit up from inverted.", "rest")


def upright() -> Say:
    return Say("Now come slowly fully upright, and step off carefully.", "upright")


def survey() -> Say:
    return Say("Session over. Please answer a few questions.", "survey")


def checkin() -> Say:
    return Say("Check-in: press I'm OK if you are all right.", "checkin")


def alarm() -> Say:
    return Say(ALARM, "alarm")


def time_is_up() -> Say:
    return Say("Time is up.", "limit")


def above_cap_return() -> Say:
    return Say("Too steep. Come back now to near horizontal.", "warning")


def above_cap(angle_deg: float) -> Say:
    return Say(f"Too steep: come up to {angle_deg:g} degrees or less.", "warning")


def a_little_steep(angle_deg: float) -> Say:
    return Say(f"A little steep: come up to {angle_deg:g} degrees.", "warning")


def table_fault() -> Say:
    return Say("The table reported a fault. Come back to horizontal now.", "fault")


def checklist_missing(missing: list[str]) -> Say:
    return Say("Not yet: " + " ".join(CHECKLIST_TEXT[item] for item in missing), "checklist")


def symptom_advice(advice: str) -> Say:
    return Say(advice, "symptom")
