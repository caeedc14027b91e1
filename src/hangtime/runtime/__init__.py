"""A live session in real time: the runner (clock, event queue, journal) and its sinks (speech, buddy alerts, a
motorized table)."""
