"""The plan as an iCalendar file: one event per planned session, with the prescription and a reminder."""

from __future__ import annotations

import datetime as dt

from icalendar import Alarm, Calendar, Event

from hangtime.core.planning import Mode, Plan, Prescription, session_dates
from hangtime.core.trial import Arm, Block, block_on

SESSION_TIMES = (dt.time(8, 0), dt.time(18, 0), dt.time(13, 0))
CHECKLIST_AND_RAMP_S = 240  # straps, spotter, tilting down and back: time around the holds


def describe(prescription: Prescription) -> str:
    minutes, seconds = divmod(prescription.hold_s, 60)
    hold = f"{minutes} min {seconds:02d} s"
    lines = [f"Angle: {prescription.angle_deg:g} degrees below horizontal"]
    if prescription.mode is Mode.OSCILLATION:
        lines.append(
            f"Oscillate: {prescription.oscillation_down_s} s down, {prescription.oscillation_up_s} s up, "
            f"for {hold} inverted in all"
        )
    else:
        lines.append(
            f"Hold: {hold} x {prescription.sets} set(s)"
            + (f", {prescription.rest_s} s rest between" if prescription.sets > 1 else "")
        )
    lines.append(f"Then rest {prescription.rest_near_horizontal_s} s near horizontal before coming upright.")
    lines.append("Check straps and ankle locks; never invert alone; run it with `hangtime session`.")
    return "\n".join(lines)


def session_duration(prescription: Prescription) -> dt.timedelta:
    inverted = prescription.inverted_s
    rests = prescription.rest_s * max(prescription.sets - 1, 0)
    if prescription.mode is Mode.OSCILLATION and prescription.oscillation_down_s and prescription.oscillation_up_s:
        cycles = -(-inverted // prescription.oscillation_down_s)
        rests = cycles * prescription.oscillation_up_s
    total = inverted + rests + prescription.rest_near_horizontal_s + CHECKLIST_AND_RAMP_S
    return dt.timedelta(seconds=total)


def _block_event(block: Block, stamp: dt.datetime) -> Event:
    event = Event()
    event.add("uid", f"hangtime-trial-{block.start.isoformat()}-{block.number}@hangtime.local")
    event.add("dtstamp", stamp)
    event.add("dtstart", block.start)
    event.add("dtend", block.end + dt.timedelta(days=1))  # all-day events end the day after
    with_inversion = block.arm is Arm.INVERSION
    event.add("summary", f"Hangtime trial block {block.number}: {'with' if with_inversion else 'WITHOUT'} inversion")
    event.add(
        "description",
        ("Follow your plan's sessions." if with_inversion else "No inversion sessions in this block.")
        + f" Note your pain every day. The first {block.washout_days} days are a washout (not compared).",
    )
    return event


def plan_calendar(
    plan: Plan,
    first_time: dt.time | None = None,
    reminder_minutes: int = 10,
    trial_blocks: tuple[Block, ...] = (),
) -> bytes:
    """The plan's sessions with reminders; with a personal trial, its blocks as all-day events and no session
    reminders in blocks without inversion."""
    calendar = Calendar()
    calendar.add("prodid", "-//Hangtime//Inversion plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Hangtime inversion plan")
    weeks = {w.week: w for w in plan.weeks}
    times = (first_time, *SESSION_TIMES[1:]) if first_time else SESSION_TIMES
    stamp = dt.datetime.combine(plan.start_date, dt.time(0, 0), tzinfo=dt.UTC)
    for block in trial_blocks:
        calendar.add_component(_block_event(block, stamp))
    for week_number, day in session_dates(plan):
        on_day = block_on(trial_blocks, day)
        if on_day is not None and on_day.arm is Arm.NO_INVERSION:
            continue
        week = weeks[week_number]
        for index in range(week.prescription.sessions_per_day):
            start = dt.datetime.combine(day, times[index % len(times)])
            event = Event()
            event.add("uid", f"hangtime-{plan.start_date.isoformat()}-{day.isoformat()}-{index}@hangtime.local")
            event.add("dtstamp", dt.datetime.combine(plan.start_date, dt.time(0, 0), tzinfo=dt.UTC))
            event.add("dtstart", start)
            event.add("dtend", start + session_duration(week.prescription))
            minutes, seconds = divmod(week.prescription.inverted_s, 60)
            summary = f"Hangtime week {week_number}: {week.prescription.angle_deg:g} deg, {minutes} min {seconds:02d} s"
            event.add("summary", summary)
            event.add("description", describe(week.prescription) + f"\nWhy: {week.reason_text}")
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", "Inversion session soon: find your spotter or buddy")
            alarm.add("trigger", dt.timedelta(minutes=-reminder_minutes))
            event.add_component(alarm)
            calendar.add_component(event)
    handover_day = plan.end_date + dt.timedelta(days=1)
    handover = Event()
    handover.add("uid", f"hangtime-{plan.start_date.isoformat()}-handover@hangtime.local")
    handover.add("dtstamp", dt.datetime.combine(plan.start_date, dt.time(0, 0), tzinfo=dt.UTC))
    handover.add("dtstart", handover_day)
    handover.add("summary", "Hangtime: course complete, hand over to exercise")
    handover.add("description", str(plan.handover["text"]))
    calendar.add_component(handover)
    ical: bytes = calendar.to_ical()
    return ical
