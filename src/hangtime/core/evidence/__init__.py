"""The evidence base: sources and the rules that cite them, kept as data a clinician can review."""

from hangtime.core.evidence.loader import Evidence, EvidenceError, load_evidence
from hangtime.core.evidence.models import Clearer, Outcome

__all__ = ["Clearer", "Evidence", "EvidenceError", "Outcome", "load_evidence"]
