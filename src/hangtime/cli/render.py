"""Rich renderings shared by the CLI commands. Presentation only: no rule logic here."""

from __future__ import annotations

import datetime as dt

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from hangtime.core.evidence import Evidence, Outcome
from hangtime.core.planning import Mode, Plan, Prescription
from hangtime.core.screening import ScreeningResult, who_can_clear

OUTCOME_STYLE = {
    Outcome.CLEARED: ("green", "Cleared, within these limits"),
    Outcome.NEEDS_CLEARANCE: ("yellow", "Clearance needed before you invert"),
    Outcome.NOT_ADVISED: ("red", "Inversion is not advised for you"),
}

DISCLAIMER = "Hangtime is not a diagnosis or medical advice. When in doubt, ask your clinician."


def welcome(console: Console) -> None:
    console.print(
        Panel(
            "Hangtime asks about you and your health, then tells you whether inversion is advisable, within which"
            " limits, and why, citing its sources.\n" + DISCLAIMER,
            title="Hangtime",
        )
    )


def urgent_advice(console: Console, advice: str | None) -> None:
    """Same-day medical advice, printed before anything else."""
    if advice:
        console.print(Panel(f"[bold]{advice}[/]", title="Get medical care today", style="bold white on red"))


def screening_result(console: Console, result: ScreeningResult, evidence: Evidence) -> None:
    urgent_advice(console, result.urgent_advice)
    colour, headline = OUTCOME_STYLE[result.outcome]
    console.print(Panel(f"[bold {colour}]{headline}[/]", subtitle=f"rules {result.rules_version}"))
    reasons = Table(title="Why", show_lines=True, expand=True)
    reasons.add_column("Rule")
    reasons.add_column("Outcome")
    reasons.add_column("Reason", ratio=3)
    reasons.add_column("Sources", ratio=1, overflow="fold")
    for reason in result.reasons:
        reasons.add_row(reason.rule, reason.outcome.value, reason.text, "\n".join(reason.sources))
    console.print(reasons)
    pending = [r for r in result.reasons if r.outcome is Outcome.NEEDS_CLEARANCE]
    if pending and result.outcome is Outcome.NEEDS_CLEARANCE:
        console.print("[bold]Before you invert, get clearance, then record it:[/]")
        for reason in pending:
            console.print(f"- {reason.rule}: from {who_can_clear(reason.clearance_by)}")
            console.print(
                f"  hangtime clearance add --by {reason.clearance_by[0].value} --condition {reason.clearance_id}"
                " --date YYYY-MM-DD",
                highlight=False,
            )
    if result.outcome is Outcome.CLEARED:
        caps = result.caps
        limits = Table(title="Your limits", show_header=False)
        limits.add_row("Steepest angle", f"{caps.max_angle_deg:g} degrees below horizontal")
        limits.add_row("Longest hold", f"{caps.max_hold_s // 60} min {caps.max_hold_s % 60:02d} s")
        limits.add_row("Sessions per day", str(caps.max_sessions_per_day))
        limits.add_row("First sessions with a spotter present", str(caps.supervised_sessions))
        rate = "no limit" if caps.max_tilt_rate_deg_s is None else f"{caps.max_tilt_rate_deg_s:g} degrees per second"
        limits.add_row("Tilt rate", rate)
        console.print(limits)
        for note in caps.notes:
            console.print(f"- {note}")
    if result.alternatives:
        console.print("[bold]Safer alternatives to discuss with your clinician:[/]")
        titles = {a.id: a for a in evidence.alternatives.alternatives}
        for alternative_id in result.alternatives:
            alternative = titles[alternative_id]
            console.print(f"- {alternative.title}: {alternative.text} [dim]({', '.join(alternative.sources)})[/]")
        evidence_note = evidence.alternatives.evidence_note
        console.print(f"[dim]{evidence_note.text} ({', '.join(evidence_note.sources)})[/]")
    console.print(
        f"Valid until {result.valid_until.isoformat()}; redo it at once if your conditions or medicines change."
    )
    console.print(f"[dim]{DISCLAIMER}[/]")


def sources_table(console: Console, evidence: Evidence) -> None:
    table = Table(title=f"Evidence base (rules {evidence.rules_version})")
    table.add_column("Id")
    table.add_column("Kind")
    table.add_column("Seen")
    table.add_column("Title", ratio=3)
    for source in evidence.sources.values():
        table.add_row(source.id, source.kind, source.seen, source.title)
    console.print(table)


def source_detail(console: Console, evidence: Evidence, source_id: str) -> None:
    source = evidence.sources[source_id]
    console.print(
        Panel(f"{source.title}\n\n{source.contributes}", title=source.id, subtitle=f"{source.kind}, {source.seen}")
    )
    console.print("[bold]Cited by:[/]")
    for rule in evidence.rules_citing(source_id):
        console.print(f"- {rule}")


def conditions_table(console: Console, evidence: Evidence) -> None:
    table = Table(title="Conditions the screening asks about")
    table.add_column("Id")
    table.add_column("Outcome")
    table.add_column("Question", ratio=3)
    table.add_column("Sources", ratio=1)
    for condition in evidence.conditions.values():
        table.add_row(condition.id, condition.outcome.value, condition.question, "\n".join(condition.sources))
    console.print(table)


def _hold(prescription: Prescription) -> str:
    minutes, seconds = divmod(prescription.hold_s, 60)
    text = f"{minutes}:{seconds:02d}"
    if prescription.mode is Mode.OSCILLATION:
        return f"{text} in {prescription.oscillation_down_s}s down / {prescription.oscillation_up_s}s up cycles"
    return text if prescription.sets == 1 else f"{prescription.sets} x {text} (rest {prescription.rest_s}s)"


def plan_view(console: Console, plan: Plan, today: dt.date, revisions: list[dict[str, object]] | None = None) -> None:
    status = "[red]paused: see a clinician before inverting again[/]" if plan.paused else "active"
    console.print(
        Panel(
            f"{plan.start_date.isoformat()} to {plan.end_date.isoformat()}, {len(plan.weeks)} weeks, "
            f"{plan.preferences.days_per_week} days a week; status: {status}\n"
            f"Screening valid until {plan.screening_valid_until.isoformat()}",
            title="Your inversion plan",
        )
    )
    table = Table(show_lines=False)
    for column in ("Week", "Starts", "Angle", "Hold", "Per day", "Why", "Reviewed"):
        table.add_column(column)
    for week in plan.weeks:
        marker = " <- now" if week.start_date <= today <= week.end_date else ""
        table.add_row(
            f"{week.week}{marker}",
            week.start_date.isoformat(),
            f"{week.prescription.angle_deg:g} deg",
            _hold(week.prescription),
            str(week.prescription.sessions_per_day),
            week.reason_label,
            "yes" if week.reviewed else "",
        )
    console.print(table)
    current = plan.week_on(today)
    if current is not None:
        console.print(
            Panel(
                f"{current.prescription.angle_deg:g} degrees, {_hold(current.prescription)}, then "
                f"{current.prescription.rest_near_horizontal_s} s near horizontal before coming upright.\n"
                f"Why: {current.reason_text}\nSources: {', '.join(current.sources)}",
                title=f"This week (week {current.week})",
            )
        )
    if revisions:
        console.print("[bold]Revisions[/]")
        for revision in revisions:
            console.print(
                f"- week {revision['week']}: {revision['decision']} (level {revision['from_level']} -> "
                f"{revision['to_level']}): {revision['text']}"
            )
    console.print(f"[bold]After the course:[/] {plan.handover['text']}")
    for exercise in plan.handover["exercises"]:
        console.print(f"- {exercise['title']}: {exercise['text']}")
    console.print(f"[dim]{DISCLAIMER}[/]")
