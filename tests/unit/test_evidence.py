from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
import yaml

from hangtime.core.evidence import Evidence, EvidenceError, Outcome, load_evidence

REQUIRED_CONDITIONS = [
    "hypertension",
    "heart_disease",
    "circulatory_disorder",
    "stroke_or_tia",
    "intracranial_bleed",
    "raised_intracranial_pressure",
    "carotid_stenosis",
    "anticoagulants",
    "glaucoma",
    "ocular_hypertension",
    "retinal_detachment",
    "retinal_vascular_disease",
    "macular_degeneration",
    "cataract_surgery",
    "vision_correction_surgery",
    "conjunctivitis",
    "other_eye_condition",
    "seizures",
    "unexplained_neuro_symptoms",
    "dizziness_or_vertigo",
    "severe_headaches",
    "brain_trauma",
    "sleep_disorder",
    "cognitive_impairment",
    "osteoporosis",
    "recent_fracture",
    "dislocation",
    "spinal_curvature",
    "surgical_implant",
    "spinal_fusion",
    "recent_surgery",
    "swollen_joints",
    "ankle_injury",
    "knee_pain",
    "knee_replacement",
    "hip_problem",
    "pregnancy",
    "hernia",
    "middle_ear_infection",
    "acid_reflux",
    "red_flag_trauma",
    "red_flag_cancer_history",
    "red_flag_fever_or_weight_loss",
    "red_flag_bladder_or_bowel",
    "red_flag_saddle_numbness",
    "red_flag_progressive_weakness",
    "red_flag_night_pain",
]

SEEDS = [
    "000_79fda920e57141e5.txt",
    "001_0fb7dfc0018ce664.txt",
    "002_69a110ed5ca4f6a5.txt",
    "003_f4899f5b5ff1bc75.txt",
    "004_584a5bb47199d2da.txt",
]


def test_every_required_condition_has_a_sourced_rule(evidence: Evidence) -> None:
    for condition_id in REQUIRED_CONDITIONS:
        condition = evidence.conditions[condition_id]
        assert condition.sources, condition_id
        assert condition.question.endswith("?"), condition_id


def test_every_seed_article_is_a_source_and_is_cited(evidence: Evidence) -> None:
    for seed in SEEDS:
        assert evidence.sources[seed].kind == "seed"
        assert evidence.rules_citing(seed), f"{seed} is cited by no rule"


def test_symptoms_cover_the_session_list(evidence: Evidence) -> None:
    expected = {
        "tingling_or_numbness",
        "leg_weakness",
        "bladder_or_bowel_change",
        "fainting",
        "sudden_vision_change",
        "dizziness",
        "headache_or_head_pressure",
        "eye_pressure_or_blurred_vision",
        "nausea",
        "pain_worse",
        "sinus_pressure",
        "ankle_pain",
        "palpitations_or_chest_discomfort",
        "other",
    }
    assert set(evidence.symptoms) == expected
    assert {s.id for s in evidence.symptoms.values() if s.severity == "red_flag"} >= {
        "eye_pressure_or_blurred_vision",
        "palpitations_or_chest_discomfort",
    }


def test_generic_table_matches_the_brief(evidence: Evidence) -> None:
    generic = evidence.tables["generic"]
    # The maker's limits stay in the maker's unit: 4 ft 10 in - 6 ft 6 in, up to 300 lb.
    assert (generic.min_height, generic.max_height, generic.max_weight) == ("4 ft 10 in", "6 ft 6 in", "300 lb")
    assert (generic.min_height_cm, generic.max_height_cm) == pytest.approx((147.32, 198.12))
    assert generic.max_weight_kg == pytest.approx(136.08, abs=0.01)


def test_disagreeing_sources_take_the_stricter_reading(evidence: Evidence) -> None:
    # 001 says hypertension is not advised; 000/002/004 say consult first: the stricter reading wins and says so.
    hypertension = evidence.conditions["hypertension"]
    assert hypertension.outcome is Outcome.NOT_ADVISED
    assert hypertension.stricter_reading and "stricter" in hypertension.stricter_reading


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    with resources.as_file(resources.files("hangtime.core.evidence") / "data") as source:
        target = tmp_path / "data"
        shutil.copytree(source, target)
    return target


def edit(directory: Path, name: str, change: object) -> None:
    path = directory / name
    data = yaml.safe_load(path.read_text())
    change(data)  # type: ignore[operator]
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_copy_of_the_data_loads(data_copy: Path) -> None:
    assert load_evidence(data_copy).rules_version


def test_refuses_unknown_source(data_copy: Path) -> None:
    edit(data_copy, "conditions.yaml", lambda d: d["conditions"][0]["sources"].append("no_such_paper"))
    with pytest.raises(
        EvidenceError, match=r"conditions.yaml: condition 'hypertension' cites unknown source 'no_such_paper'"
    ):
        load_evidence(data_copy)


def test_refuses_rule_without_source(data_copy: Path) -> None:
    def strip(d: dict) -> None:  # type: ignore[type-arg]
        d["symptoms"][2]["sources"] = []

    edit(data_copy, "symptoms.yaml", strip)
    with pytest.raises(EvidenceError, match=r"symptoms.yaml: symptom 'eye_pressure_or_blurred_vision' cites no source"):
        load_evidence(data_copy)


def test_refuses_duplicate_ids(data_copy: Path) -> None:
    edit(data_copy, "conditions.yaml", lambda d: d["conditions"].append(dict(d["conditions"][1])))
    with pytest.raises(EvidenceError, match=r"conditions.yaml: duplicate rule id 'heart_disease'"):
        load_evidence(data_copy)


def test_refuses_out_of_range_numbers(data_copy: Path) -> None:
    def steep(d: dict) -> None:  # type: ignore[type-arg]
        knee = next(c for c in d["conditions"] if c["id"] == "knee_pain")
        knee["caps"]["max_angle_deg"] = 120

    edit(data_copy, "conditions.yaml", steep)
    with pytest.raises(EvidenceError) as caught:
        load_evidence(data_copy)
    message = str(caught.value)
    assert message.startswith("conditions.yaml: conditions[") and "(knee_pain).caps.max_angle_deg" in message
    assert "90 or less" in message


def test_refuses_bad_table_limits(data_copy: Path) -> None:
    def swap(d: dict) -> None:  # type: ignore[type-arg]
        d["tables"][0]["min_height"] = "7 ft"

    edit(data_copy, "tables.yaml", swap)
    with pytest.raises(EvidenceError, match=r"tables.yaml: table 'generic' has min_height not below max_height"):
        load_evidence(data_copy)


def test_refuses_broken_yaml(data_copy: Path) -> None:
    (data_copy / "sources.yaml").write_text("sources: [unclosed")
    with pytest.raises(EvidenceError, match=r"^sources.yaml: not valid YAML"):
        load_evidence(data_copy)


def test_refuses_needs_clearance_without_clearer(data_copy: Path) -> None:
    def drop(d: dict) -> None:  # type: ignore[type-arg]
        d["conditions"][5]["clearance_by"] = []

    edit(data_copy, "conditions.yaml", drop)
    with pytest.raises(EvidenceError, match=r"condition 'anticoagulants' needs clearance but names no one"):
        load_evidence(data_copy)
