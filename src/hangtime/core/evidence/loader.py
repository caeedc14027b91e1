"""Load and validate the evidence base. Any fault names the file and the entry, and nothing loads half-way."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from hangtime.core import strict_yaml
from hangtime.core.errors import HangtimeError, first_problem
from hangtime.core.evidence.models import (
    Alternative,
    AlternativesFile,
    Condition,
    ConditionsFile,
    Outcome,
    Protocol,
    Source,
    Symptom,
    TableModel,
)

FILES = (
    "meta.yaml",
    "sources.yaml",
    "conditions.yaml",
    "symptoms.yaml",
    "tables.yaml",
    "alternatives.yaml",
    "protocol.yaml",
)


class EvidenceError(HangtimeError):
    """The evidence base is invalid; the message names the file and the entry."""


@dataclass(frozen=True)
class Evidence:
    rules_version: str
    sources: Mapping[str, Source]
    rules: ConditionsFile
    conditions: Mapping[str, Condition]
    symptoms: Mapping[str, Symptom]
    tables: Mapping[str, TableModel]
    alternatives: AlternativesFile
    protocol: Protocol

    def rules_citing(self, source_id: str) -> list[str]:
        """Ids of every rule, symptom, table, alternative and protocol note that cites a source."""
        cited: list[str] = []
        for condition in self.conditions.values():
            if source_id in condition.sources:
                cited.append(f"condition:{condition.id}")
        for rule in self.rules.profile_rules:
            if source_id in rule.sources:
                cited.append(f"profile:{rule.id}")
        if source_id in self.rules.base_caps.sources:
            cited.append("caps:base")
        if source_id in self.rules.screening_validity.sources:
            cited.append("screening:validity")
        if source_id in self.rules.clearance_validity.sources:
            cited.append("clearance:validity")
        if source_id in self.rules.urgent_advice.sources:
            cited.append("urgent_advice")
        for symptom in self.symptoms.values():
            if source_id in symptom.sources:
                cited.append(f"symptom:{symptom.id}")
        for table in self.tables.values():
            if source_id in table.sources:
                cited.append(f"table:{table.id}")
        for alternative in self.alternatives.alternatives:
            if source_id in alternative.sources:
                cited.append(f"alternative:{alternative.id}")
        if source_id in self.alternatives.evidence_note.sources:
            cited.append("evidence_note")
        for key, note in self.protocol.notes.items():
            if source_id in note.sources:
                cited.append(f"protocol:{key}")
        return cited

    def symptom_advice(self, symptom: str) -> str:
        known = self.symptoms.get(symptom)
        return known.advice if known else "Come up slowly and rest near horizontal."

    def alternatives_of_kind(self, kind: str) -> list[Alternative]:
        return [a for a in self.alternatives.alternatives if a.kind == kind]


_Model = TypeVar("_Model", bound=BaseModel)


def _read_yaml(directory: Path, name: str) -> dict[str, Any]:
    path = directory / name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvidenceError(f"{name}: cannot read ({exc.strerror})") from None
    try:
        data = strict_yaml.load(text)
    except yaml.YAMLError as exc:
        raise EvidenceError(f"{name}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise EvidenceError(f"{name}: expected a mapping at the top level")
    return data


def _entry_label(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into 'conditions[3] (glaucoma).caps.max_hold_s'."""
    label = ""
    node = data
    for item in loc:
        if isinstance(item, int) and isinstance(node, list) and item < len(node):
            node = node[item]
            entry_id = node.get("id") if isinstance(node, dict) else None
            label += f"[{item}]" + (f" ({entry_id})" if entry_id else "")
        else:
            node = node.get(item) if isinstance(node, dict) else None
            label += f".{item}"
    return label.lstrip(".") or "(top level)"


def _parse(model: type[_Model], data: Any, name: str) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]  # the loader names the entry by its id, not by its position
        where = _entry_label(data, tuple(first["loc"]))
        raise EvidenceError(f"{name}: {where}: {first_problem(exc)[1]}") from None


def _unique(ids: Iterable[str], name: str, what: str) -> None:
    seen: set[str] = set()
    for entry_id in ids:
        if entry_id in seen:
            raise EvidenceError(f"{name}: duplicate {what} id '{entry_id}'")
        seen.add(entry_id)


def _cites(sources: tuple[str, ...], known: Mapping[str, Source], name: str, entry: str) -> None:
    if not sources:
        raise EvidenceError(f"{name}: {entry} cites no source; every rule needs at least one")
    for source_id in sources:
        if source_id not in known:
            raise EvidenceError(f"{name}: {entry} cites unknown source '{source_id}'")


def load_evidence(directory: Path | None = None) -> Evidence:
    """Load every evidence file from `directory` (the packaged data by default) and cross-check them."""
    if directory is None:
        return _packaged_evidence()
    return _load(directory)


@cache
def _packaged_evidence() -> Evidence:
    with resources.as_file(resources.files("hangtime.core.evidence") / "data") as data_dir:
        return _load(Path(data_dir))


def _load(directory: Path) -> Evidence:
    meta = _read_yaml(directory, "meta.yaml")
    version = meta.get("rules_version")
    if not isinstance(version, str) or not version:
        raise EvidenceError("meta.yaml: rules_version must be a non-empty string")

    raw_sources = _read_yaml(directory, "sources.yaml").get("sources")
    if not isinstance(raw_sources, list):
        raise EvidenceError("sources.yaml: expected a list under 'sources'")
    sources_list = [_parse(Source, item, "sources.yaml") for item in raw_sources]
    _unique((s.id for s in sources_list), "sources.yaml", "source")
    sources = {s.id: s for s in sources_list}

    rules = _parse(ConditionsFile, _read_yaml(directory, "conditions.yaml"), "conditions.yaml")
    _unique((g.id for g in rules.groups), "conditions.yaml", "group")
    _unique([c.id for c in rules.conditions] + [r.id for r in rules.profile_rules], "conditions.yaml", "rule")
    group_ids = {g.id for g in rules.groups}
    for condition in rules.conditions:
        entry = f"condition '{condition.id}'"
        _cites(condition.sources, sources, "conditions.yaml", entry)
        if condition.group not in group_ids:
            raise EvidenceError(f"conditions.yaml: {entry} names unknown group '{condition.group}'")
        if condition.outcome is Outcome.NEEDS_CLEARANCE and not condition.clearance_by:
            raise EvidenceError(f"conditions.yaml: {entry} needs clearance but names no one in clearance_by")
        if condition.urgent and condition.outcome is not Outcome.NOT_ADVISED:
            raise EvidenceError(f"conditions.yaml: {entry} is urgent, so its outcome must be not_advised")
    for rule in rules.profile_rules:
        _cites(rule.sources, sources, "conditions.yaml", f"profile rule '{rule.id}'")
        if rule.outcome is Outcome.NEEDS_CLEARANCE and not rule.clearance_by:
            raise EvidenceError(
                f"conditions.yaml: profile rule '{rule.id}' needs clearance but names no one in clearance_by"
            )
        if rule.urgent and rule.outcome is not Outcome.NOT_ADVISED:
            raise EvidenceError(
                f"conditions.yaml: profile rule '{rule.id}' is urgent, so its outcome must be not_advised"
            )
    _cites(rules.base_caps.sources, sources, "conditions.yaml", "base_caps")
    _cites(rules.screening_validity.sources, sources, "conditions.yaml", "screening_validity")
    _cites(rules.urgent_advice.sources, sources, "conditions.yaml", "urgent_advice")
    _cites(rules.clearance_validity.sources, sources, "conditions.yaml", "clearance_validity")

    raw_symptoms = _read_yaml(directory, "symptoms.yaml").get("symptoms")
    if not isinstance(raw_symptoms, list):
        raise EvidenceError("symptoms.yaml: expected a list under 'symptoms'")
    symptoms_list = [_parse(Symptom, item, "symptoms.yaml") for item in raw_symptoms]
    _unique((s.id for s in symptoms_list), "symptoms.yaml", "symptom")
    _unique((s.key for s in symptoms_list), "symptoms.yaml", "symptom key")
    for symptom in symptoms_list:
        _cites(symptom.sources, sources, "symptoms.yaml", f"symptom '{symptom.id}'")
        if symptom.severity == "red_flag" and not symptom.clearance_by:
            raise EvidenceError(f"symptoms.yaml: red-flag symptom '{symptom.id}' names no one in clearance_by")

    raw_tables = _read_yaml(directory, "tables.yaml").get("tables")
    if not isinstance(raw_tables, list):
        raise EvidenceError("tables.yaml: expected a list under 'tables'")
    tables_list = [_parse(TableModel, item, "tables.yaml") for item in raw_tables]
    _unique((t.id for t in tables_list), "tables.yaml", "table")
    for table in tables_list:
        _cites(table.sources, sources, "tables.yaml", f"table '{table.id}'")
        if table.min_height_cm >= table.max_height_cm:
            raise EvidenceError(f"tables.yaml: table '{table.id}' has min_height not below max_height")
    if "generic" not in {t.id for t in tables_list}:
        raise EvidenceError("tables.yaml: the 'generic' table model is required")

    alternatives = _parse(AlternativesFile, _read_yaml(directory, "alternatives.yaml"), "alternatives.yaml")
    _unique((a.id for a in alternatives.alternatives), "alternatives.yaml", "alternative")
    for alternative in alternatives.alternatives:
        _cites(alternative.sources, sources, "alternatives.yaml", f"alternative '{alternative.id}'")
    _cites(alternatives.evidence_note.sources, sources, "alternatives.yaml", "evidence_note")

    protocol = _parse(Protocol, _read_yaml(directory, "protocol.yaml").get("protocol"), "protocol.yaml")
    for key, note in protocol.notes.items():
        _cites(note.sources, sources, "protocol.yaml", f"note '{key}'")
    if (
        protocol.target_min_angle_deg > protocol.target_max_angle_deg
        or protocol.target_min_hold_s > protocol.target_max_hold_s
    ):
        raise EvidenceError("protocol.yaml: protocol: a target minimum is above its maximum")
    if not protocol.min_weeks <= protocol.default_weeks <= protocol.max_weeks:
        raise EvidenceError("protocol.yaml: protocol: default_weeks must lie between min_weeks and max_weeks")

    return Evidence(
        rules_version=version,
        sources=sources,
        rules=rules,
        conditions={c.id: c for c in rules.conditions},
        symptoms={s.id: s for s in symptoms_list},
        tables={t.id: t for t in tables_list},
        alternatives=alternatives,
        protocol=protocol,
    )
