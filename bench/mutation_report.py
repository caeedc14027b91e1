"""Summarise `mutmut run`: the score per module, and every surviving mutant in the safety-critical functions.

Run by `make mutation` after mutmut; exits 1 when a mutant survives in a safety-critical function."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict

# The functions that enforce the limits the issue names: the hard limit (and the planned total it is built from),
# the check-in escalation and the buddy alert, and stop or symptom to return.
SAFETY_CRITICAL = {
    "hangtime.core.session.engine": {
        "hard limit": ["travel_s", "planned_inverted_s", "hard_limit_s", "fit_within_cap", "hard_limit_at"],
        "check-in escalation and buddy alert": ["_arm_checkin", "_missed", "_answered", "_stop_checkins"],
        "stop or symptom to return": ["_begin_return"],
    },
}

# Mutants that cannot change behaviour, by function and mutated line, with the reason (checked by hand).
# (None so far since the commands are typed: `Command("alarm_off", {})` -> `Command("alarm_off")` was one.)
EQUIVALENT: dict[tuple[str, str], str] = {}

LINE = re.compile(r"^\s*(?P<module>[\w.]+)\.(?P<function>\S+?)__mutmut_(?P<n>\d+): (?P<status>.+)$")


def function_name(mangled: str) -> str:
    """mutmut names methods `xǁClassǁmethod` and functions `x_function`."""
    if "ǁ" in mangled:
        return mangled.split("ǁ")[-1]
    return mangled.removeprefix("x_")


def equivalent_reason(function: str, name: str) -> str | None:
    diff = subprocess.run(
        [sys.executable, "-m", "mutmut", "show", name], capture_output=True, text=True, check=False
    ).stdout
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    for (where, mutated), reason in EQUIVALENT.items():
        if where == function and mutated in added:
            return reason
    return None


def main() -> int:
    output = subprocess.run(
        [sys.executable, "-m", "mutmut", "results", "--all", "true"], capture_output=True, text=True, check=False
    ).stdout
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: list[tuple[str, str, str]] = []
    equivalent: list[tuple[str, str]] = []
    for line in output.splitlines():
        match = LINE.match(line)
        if match is None:
            continue
        module, function, status = match["module"], function_name(match["function"]), match["status"].strip()
        counts[module][status] += 1
        if status == "survived":
            for area, functions in SAFETY_CRITICAL.get(module, {}).items():
                if function in functions:
                    name = f"{match['module']}.{match['function']}__mutmut_{match['n']}"
                    reason = equivalent_reason(function, name)
                    if reason is None:
                        survivors.append((area, function, name))
                    else:
                        equivalent.append((name, reason))
    if not counts:
        print("no mutmut results: run `mutmut run` first")
        return 1
    print("Mutation score (killed, incl. timeouts, of mutants the tests reach):")
    for module, counter in sorted(counts.items()):
        killed = counter["killed"] + counter["timeout"]
        reached = killed + counter["survived"]
        print(
            f"  {module}: {killed}/{reached} = {killed / reached:.0%} "
            f"({counter['survived']} survived, {counter['no tests']} not reached by the unit tests)"
        )
    for name, reason in equivalent:
        print(f"  equivalent (not counted as a gap): {name}: {reason}")
    if survivors:
        print("Surviving mutants in safety-critical functions:")
        for area, function, name in survivors:
            print(f"  {area}: {function}: {name} (mutmut show {name})")
        return 1
    print("No mutant survives in the hard limit, the check-in escalation, the buddy alert, or stop/symptom-to-return.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
