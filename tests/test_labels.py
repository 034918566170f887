"""normalise_labels: rules (plain and regex), casing and whitespace, min size, keep_unmatched, determinism."""

import csv
import random
from pathlib import Path

import pytest

from atlas.core.config import LabelRules, LabelsConfig
from atlas.core.records import Record
from atlas.ingest.labels import normalise_labels

AIC = Path(__file__).resolve().parents[2] / "shared" / "data" / "aic-artwall" / "collection.csv"


def records(cultures: list[str], media: list[str] | None = None) -> list[Record]:
    media = media or ["Oil"] * len(cultures)
    return [Record(id=f"r{i}", culture_raw=c, medium_raw=m, source_line=i + 2) for i, (c, m) in enumerate(zip(cultures, media))]


def config(culture: dict | None = None, min_size: int = 1, keep: bool = True, medium: dict | None = None) -> LabelsConfig:
    return LabelsConfig(
        culture=LabelRules(rules=culture or {}, min_group_size=min_size, keep_unmatched=keep),
        medium=LabelRules(rules=medium or {}, min_group_size=1),
    )


def test_plain_rules_ignore_case_and_whitespace():
    rules = {"British": ["England", "United Kingdom"]}
    result = normalise_labels(records(["England", "  united   KINGDOM ", "british", "ENGLAND\t"]), config(rules))
    assert [r.culture for r in result.records] == ["British"] * 4
    assert result.groups["culture"] == {"British": 4}
    assert result.rule_hits["culture"] == {"British": 3}  # "british" matched the group's own name, not a rule


def test_regex_rules_and_first_group_in_file_order_wins():
    rules = {
        "Chinese export": ["Chinese, for the European Market"],
        "Chinese": ["re:^chin(a|ese)\\b"],
        "French": ["re:^French\\b", "Chinese"],  # "Chinese" is caught earlier by the regex group
    }
    raw = ["French, Paris", "China", "Chinese, for the European Market", "Chinese", "FRENCH", "Frenchish"]
    result = normalise_labels(records(raw), config(rules))
    assert [r.culture for r in result.records] == ["French", "Chinese", "Chinese export", "Chinese", "French", "Frenchish"]
    assert result.rule_hits["culture"] == {"Chinese export": 1, "Chinese": 2, "French": 2}


def test_unmatched_labels_keep_first_spelling_but_group_case_insensitively():
    result = normalise_labels(records(["Moche", "MOCHE", " moche ", "Inca"]), config())
    assert [r.culture for r in result.records] == ["Moche", "Moche", "Moche", "Inca"]
    assert result.groups["culture"] == {"Inca": 1, "Moche": 3}


def test_keep_unmatched_false():
    result = normalise_labels(records(["England", "Moche", "moche"]), config({"British": ["England"]}, keep=False))
    assert [r.culture for r in result.records] == ["British", None, None]
    assert [p.reason for p in result.problems] == [
        "culture 'Moche' matches no rule (2 records); not used (keep_unmatched is false)"]


def test_empty_labels_warn_once_per_record():
    result = normalise_labels(records(["", "  ", "Dutch"]), config())
    assert [r.culture for r in result.records] == [None, None, "Dutch"]
    empty = [(p.record, p.line, p.reason, p.severity, p.stage) for p in result.problems]
    assert empty == [("r0", 2, "no culture given", "warning", "labels"), ("r1", 3, "no culture given", "warning", "labels")]


def test_small_groups_are_dropped_with_one_problem_each():
    raw = ["Dutch"] * 3 + ["Flemish"] * 2 + ["Netherlandish"] + ["Italian"] * 2
    rules = {"Netherlandish": ["Dutch", "Flemish"]}
    result = normalise_labels(records(raw), config(rules, min_size=3))
    assert result.groups["culture"] == {"Netherlandish": 6}
    assert result.dropped["culture"] == {"Italian": 2}
    assert [r.culture for r in result.records][-2:] == [None, None]
    (problem,) = result.problems
    assert problem.record == "" and problem.severity == "warning"
    assert "'Italian' has 2 records, fewer than min_group_size 3" in problem.reason


def test_both_fields_and_original_records_untouched():
    rec = records(["Japan"], ["Woodblock print"])
    result = normalise_labels(rec, config({"Japanese": ["Japan"]}, medium={"Print": ["re:print"]}))
    assert (result.records[0].culture, result.records[0].medium) == ("Japanese", "Print")
    assert rec[0].culture is None  # dataclasses.replace, not mutation
    assert set(result.groups) == set(result.dropped) == set(result.rule_hits) == {"culture", "medium"}


def test_bad_regex_is_a_clear_error():
    with pytest.raises(ValueError, match="labels.culture.rules.X"):
        normalise_labels(records(["a"]), config({"X": ["re:("]}))


def test_deterministic_whatever_the_input_order():
    raw = ["Dutch", "dutch", "Italian", "German", "Italian", "", "Greek", "greek"] * 5
    rules = {"Netherlandish": ["re:dutch|flemish"]}
    first = normalise_labels(records(raw), config(rules, min_size=6))
    shuffled = records(raw)
    random.Random(3).shuffle(shuffled)
    second = normalise_labels(shuffled, config(rules, min_size=6))
    assert first.groups == second.groups and list(first.groups["culture"]) == sorted(first.groups["culture"])
    assert first.dropped == second.dropped
    assert [p.reason for p in first.problems if not p.record] == [p.reason for p in second.problems if not p.record]
    again = normalise_labels(records(raw), config(rules, min_size=6))
    assert again == first


@pytest.mark.realdata
@pytest.mark.skipif(not AIC.is_file(), reason=f"real AIC collection not available at {AIC} (shared data folder absent)")
def test_real_aic_nationalities():
    with open(AIC, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    rec = [Record(id=r["id"], culture_raw=r["nationality"], medium_raw=r["medium"]) for r in rows]
    rules = {"Netherlandish": ["Dutch", "Flemish", "re:netherland"]}
    result = normalise_labels(rec, LabelsConfig(culture=LabelRules(rules=rules, min_group_size=10)))
    assert "Netherlandish" in result.groups["culture"]
    assert sum(result.groups["culture"].values()) + sum(result.dropped["culture"].values()) == sum(bool(r.culture_raw.strip()) for r in rec)
