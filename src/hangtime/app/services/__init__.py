"""Application services: the use cases the CLI and the web app share (domain core + store, no presentation).

Each use case validates before it writes, so a refused request writes nothing; each is given the person it acts
for. One module per area; this package is their one namespace (`services.make_plan`).
"""

from hangtime.app.services.buddy import load_buddy, save_buddy
from hangtime.app.services.common import (
    DEMONSTRATION,
    Logged,
    ServiceError,
    base_caps,
    check_log,
    pause_dict,
    pause_message,
    with_stored_clearances,
)
from hangtime.app.services.logs import (
    HistorySummary,
    InterruptedSession,
    diary_entries,
    history_summary,
    interrupted_sessions,
    log_guided,
    log_interrupted,
    log_sessions,
    record_diary,
    session_logs,
)
from hangtime.app.services.outcomes import (
    OutcomesDue,
    OutcomeSeries,
    TrialView,
    outcome_series,
    outcomes_due,
    peg_entries,
    record_global_impression,
    record_peg,
    start_trial,
    stop_trial,
    trial_view,
)
from hangtime.app.services.plans import (
    CurrentPlan,
    active_pauses,
    adjust_prescription,
    current_plan,
    make_plan,
    review_plan,
)
from hangtime.app.services.reports import (
    OutcomeMeasures,
    ReportData,
    export_own_data,
    outcome_measures,
    report_data,
    stream_session_logs,
)
from hangtime.app.services.screening import latest_screening, record_clearance, screen_and_save
from hangtime.app.services.sessions import SessionSetup, finish_session, prepare_session, session_config, sessions_count

__all__ = [
    "DEMONSTRATION",
    "CurrentPlan",
    "HistorySummary",
    "InterruptedSession",
    "Logged",
    "OutcomeMeasures",
    "OutcomeSeries",
    "OutcomesDue",
    "ReportData",
    "ServiceError",
    "SessionSetup",
    "TrialView",
    "active_pauses",
    "adjust_prescription",
    "base_caps",
    "check_log",
    "current_plan",
    "diary_entries",
    "export_own_data",
    "finish_session",
    "history_summary",
    "interrupted_sessions",
    "latest_screening",
    "load_buddy",
    "log_guided",
    "log_interrupted",
    "log_sessions",
    "make_plan",
    "outcome_measures",
    "outcome_series",
    "outcomes_due",
    "pause_dict",
    "pause_message",
    "peg_entries",
    "prepare_session",
    "record_clearance",
    "record_diary",
    "record_global_impression",
    "record_peg",
    "report_data",
    "review_plan",
    "save_buddy",
    "screen_and_save",
    "session_config",
    "session_logs",
    "sessions_count",
    "start_trial",
    "stop_trial",
    "stream_session_logs",
    "trial_view",
    "with_stored_clearances",
]
