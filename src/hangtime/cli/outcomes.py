"""Outcome measures and the personal trial in the terminal: `peg`, `impression`, `trial start|result|stop`."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from hangtime.app import services
from hangtime.cli.common import (
    acting_for,
    app,
    console,
    database,
    evidence,
    fail,
    friendly_errors,
    parse_date,
    today,
)
from hangtime.core.outcomes import PGIC_QUESTION, GlobalImpression, PegAnswers
from hangtime.core.trial import DEFAULT_BLOCK_DAYS, DEFAULT_PAIRS, Arm

trial_app = typer.Typer(
    help="A personal trial: blocks with and without inversion, compared on your daily pain.", no_args_is_help=True
)
app.add_typer(trial_app, name="trial")


def _day(text: str | None) -> dt.date:
    return parse_date(text, "the") if text else today()


@app.command("peg")
def peg_command(
    pain: Annotated[int, typer.Option(help="Your pain on average in the past week, 0 (none) to 10 (worst).")],
    enjoyment: Annotated[
        int, typer.Option(help="How much pain interfered with your enjoyment of life, 0 (not) to 10 (completely).")
    ],
    activity: Annotated[
        int, typer.Option(help="How much pain interfered with your general activity, 0 (not) to 10 (completely).")
    ],
    date: Annotated[str | None, typer.Option(help="The day (YYYY-MM-DD); today by default.")] = None,
) -> None:
    """This week's PEG: three questions about the past week (Krebs 2009), scored as their mean."""
    with friendly_errors():
        answers = PegAnswers.model_validate(
            {"date": _day(date), "pain": pain, "enjoyment": enjoyment, "activity": activity}
        )
        with database() as db:
            services.record_peg(db, answers, today(), owner_handle=acting_for())
        console.print(f"PEG {answers.score:g} out of 10 noted for {answers.date.isoformat()}.")


class ImpressionChoice(StrEnum):
    very_much_better = "very-much-better"
    much_better = "much-better"
    a_little_better = "a-little-better"
    no_change = "no-change"
    a_little_worse = "a-little-worse"
    much_worse = "much-worse"
    very_much_worse = "very-much-worse"


@app.command("impression")
def impression_command(
    answer: Annotated[ImpressionChoice, typer.Argument(help=PGIC_QUESTION, show_default=False)],
) -> None:
    """Your impression of change since the programme began, asked in weeks 4, 8 and 12 of the plan."""
    with friendly_errors():
        choice = GlobalImpression[answer.name.upper()]
        with database() as db:
            entry = services.record_global_impression(db, choice, today(), owner_handle=acting_for())
        console.print(f"Week {entry.week}: '{entry.answer.label}' noted.")


@trial_app.command("start")
def trial_start(
    pairs: Annotated[int, typer.Option(help="Pairs of blocks (one with inversion, one without), 2-6.")] = DEFAULT_PAIRS,
    block_days: Annotated[int, typer.Option(help="Days in a block, 5-14; the first 2 are a washout.")] = (
        DEFAULT_BLOCK_DAYS
    ),
    seed: Annotated[int | None, typer.Option(help="Fix the random order (to repeat a schedule).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The schedule as JSON.")] = False,
) -> None:
    """Start a personal trial today: blocks with and without inversion in a random order within each pair."""
    with friendly_errors():
        with database() as db:
            view = services.start_trial(db, evidence(), today(), pairs, block_days, seed, owner_handle=acting_for())
        if as_json:
            console.print_json(json.dumps(view.as_dict()))
            return
        console.print(
            f"Your personal trial runs from {view.design.start.isoformat()} to {view.design.end.isoformat()}."
            " Note your pain every day (`hangtime diary --pain N`); invert only in blocks with inversion. The first"
            f" {view.design.washout_days} days of each block are a washout and are not compared."
        )
        console.print(_schedule_table(view))


def _schedule_table(view: services.TrialView) -> Table:
    table = Table("Block", "From", "To", "Inversion", title="Schedule")
    for block in view.blocks:
        table.add_row(
            str(block.number),
            block.start.isoformat(),
            block.end.isoformat(),
            "yes" if block.arm is Arm.INVERSION else "no",
        )
    return table


@trial_app.command("result")
def trial_result(as_json: Annotated[bool, typer.Option("--json", help="The result as JSON.")] = False) -> None:
    """The comparison so far: the difference in daily pain between blocks, with its 95% interval, in words."""
    with friendly_errors():
        with database() as db:
            view = services.trial_view(db, today(), owner_handle=acting_for())
        if view is None:
            fail("no personal trial yet: start one with 'hangtime trial start'")
        if as_json:
            console.print_json(json.dumps(view.as_dict()))
            return
        state = f"stopped on {view.stopped_on.isoformat()}" if view.stopped_on else f"ends {view.design.end}"
        console.print(f"Personal trial from {view.design.start.isoformat()} ({state}).")
        console.print(view.result.text)
        console.print(
            "This compares your own days; it is not a diagnosis. Share it with your clinician before you decide."
        )


@trial_app.command("stop")
def trial_stop() -> None:
    """Stop the running trial (sessions are allowed again from today)."""
    with friendly_errors():
        with database() as db:
            services.stop_trial(db, today(), owner_handle=acting_for())
        console.print("The personal trial is stopped. Its result so far: 'hangtime trial result'.")
