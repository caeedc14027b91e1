"""Interactive questions for the screening (Rich prompts). Collects answers only; the rules live in screening.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from rich.console import Console
from rich.prompt import Confirm, IntPrompt, Prompt

from hangtime.core.evidence import Evidence
from hangtime.core.screening import Answers, parse_blood_pressure
from hangtime.core.units import UnitError, format_height, format_weight, parse_height_cm, parse_weight_kg

T = TypeVar("T")


def ask_until_valid(console: Console, question: str, parse: Callable[[str], T], default: str | None = None) -> T:
    while True:
        text = (
            Prompt.ask(question, console=console, default=default)
            if default is not None
            else Prompt.ask(question, console=console)
        )
        try:
            return parse(text)
        except (UnitError, ValueError) as exc:
            console.print(f"[red]{exc}[/]")


def ask_answers(console: Console, evidence: Evidence) -> Answers:
    console.print("[bold]About you[/] (heights and weights in metric or US units: '178 cm', '5 ft 10 in', '180 lb')")
    age = IntPrompt.ask("Your age in years", console=console)
    height_cm = ask_until_valid(console, "Your height", parse_height_cm)
    console.print(f"  = {format_height(height_cm)}")
    weight_kg = ask_until_valid(console, "Your weight", parse_weight_kg)
    console.print(f"  = {format_weight(weight_kg)}")
    tables = list(evidence.tables)
    table = Prompt.ask("Your inversion table model", choices=tables, default="generic", console=console)
    blood_pressure = ask_until_valid(
        console, "A recent blood pressure reading, e.g. 128/82 (empty to skip)", parse_blood_pressure, default=""
    )
    experienced = Confirm.ask(
        "Have you used an inversion table before without problems?", default=False, console=console
    )

    conditions: list[str] = []
    for group in evidence.rules.groups:
        members = [c for c in evidence.conditions.values() if c.group == group.id]
        console.print(f"\n[bold]{group.title}[/]")
        for condition in members:
            console.print(f"  - {condition.question}")
        if not Confirm.ask("Does any of these apply to you?", default=False, console=console):
            continue
        for condition in members:
            console.print(f"[dim]Why we ask: {condition.why} ({', '.join(condition.sources[:3])})[/]")
            if Confirm.ask(condition.question, default=False, console=console):
                conditions.append(condition.id)
    return Answers(
        age=age,
        height_cm=height_cm,
        weight_kg=weight_kg,
        table=table,
        blood_pressure=blood_pressure,
        conditions=tuple(conditions),
        experienced=experienced,
    )
