"""patterns.yaml: curators confirm, reject and edit the proposed visual patterns (atlas.core.patterns_file,
atlas.analysis.curated_patterns), and a confirmed pattern's page keeps its URL when the data change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from atlas.analysis.curated_patterns import curate_patterns
from atlas.analysis.patterns import Pattern
from atlas.build import build
from atlas.core.config import load_config
from atlas.core.patterns_file import (
    connection_pairs,
    read_patterns_file,
    resolve_patterns,
    unique_slugs,
)
from atlas.core.records import Record

from .conftest import write_small_collection
from .curation_support import small_sample


def _works(n: int) -> list[Record]:
    return [Record(id=f"W{i:02d}", title=f"Work {i}") for i in range(n)]


def _vectors(n: int) -> np.ndarray:
    rows = np.random.default_rng(0).normal(size=(n, 8)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _proposal(number: int, members: list[str]) -> Pattern:
    return Pattern(str(number), f"Pattern {number}", len(members), 0.1, {}, {}, None, members)


def test_unknown_id_is_a_warning_naming_the_file_and_its_line(tmp_path):
    path = tmp_path / "patterns.yaml"
    path.write_text("- name: Boats\n  status: confirmed\n  members:\n    - W01\n    - NOPE\n    - W02\n"
                    "- status: maybe\n  members: [W01]\n", encoding="utf-8")
    entries, problems = read_patterns_file(path)
    assert [p.line for p in problems] == [7] and "status must be confirmed or rejected" in problems[0].reason
    curated = resolve_patterns(entries, {w.id for w in _works(5)}, path)
    (warning,) = curated.problems
    assert (warning.file, warning.line, warning.record, warning.severity) == (str(path), 5, "NOPE", "warning")
    assert "NOPE is not in the collection" in warning.reason
    assert curated.confirmed[0].members == ("W01", "W02")


def test_confirmed_removed_rejected_and_suggestions(tmp_path):
    works, vectors = _works(20), _vectors(20)
    path = tmp_path / "patterns.yaml"
    path.write_text(yaml.safe_dump([
        {"name": "Boats under sail", "status": "confirmed", "members": ["W01", "W02", "W03"], "add": ["W09"],
         "remove": ["W02"], "text": "Sails as one dark triangle.\n\nSecond paragraph."},
        {"status": "rejected", "members": ["W10", "W11", "W12", "W13"]},
    ]), encoding="utf-8")
    proposed = (_proposal(1, ["W10", "W11", "W12", "W14"]), _proposal(2, ["W15", "W16", "W17"]),
                _proposal(3, ["W01", "W03", "W05"]))
    out, problems = curate_patterns(proposed, works, vectors, path, suggestions=4)
    assert not problems
    assert [p.id for p in out] == ["boats-under-sail", "2"]  # 1 was rejected, 3 is the confirmed one again
    boats = out[0]
    assert boats.status == "confirmed" and boats.label == "Boats under sail" and "triangle" in boats.text
    assert sorted(boats.members) == ["W01", "W03", "W09"]  # W02 removed, W09 added
    assert len(boats.suggestions) == 4 and not set(boats.suggestions) & set(boats.members)
    centre = vectors[[1, 3, 9]].mean(axis=0)
    others = [i for i in range(20) if i not in (1, 3, 9)]
    best = max(others, key=lambda i: float(vectors[i] @ centre))
    assert boats.suggestions[0] == f"W{best:02d}"  # the nearest non-member first
    assert connection_pairs([_curated(boats.members)]) == [("W01", "W03"), ("W01", "W09"), ("W03", "W09")]


def _curated(members):
    from atlas.core.patterns_file import CuratedPattern

    return CuratedPattern("confirmed", "x", tuple(members), "", 1)


def test_slugs_are_unique_and_stable_in_file_order():
    assert unique_slugs(["Boats!", "boats", "1900", "Fleurs été", "??"]) == [
        "boats", "boats-2", "pattern-1900", "fleurs-été", "pattern"]
    assert unique_slugs(["Boats!", "boats", "New one"])[:2] == ["boats", "boats-2"]  # adding later changes nothing


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("curated")
    rows = small_sample(folder, tmp_path_factory.mktemp("full-sample"), {"Chinese", "Dutch", "Persian"},
                        {"Painting", "Ceramic"})
    (folder / "rows.json").write_text(json.dumps(rows), encoding="utf-8")
    write_small_collection(folder, rows, "Curated", patterns={"enabled": True, "min_cluster_size": 3,
                                                              "file": "patterns.yaml"})
    (folder / "patterns.yaml").write_text("", encoding="utf-8")
    return folder


def _build(folder: Path, rows: list[dict] | None = None) -> tuple[list[dict], object]:
    if rows is not None:
        write_small_collection(folder, rows, "Curated", patterns={"enabled": True, "min_cluster_size": 3,
                                                                  "file": "patterns.yaml"})
    report = build(load_config(folder / "site.yaml"))
    patterns = json.loads((folder / "out/site/data/patterns.json").read_text(encoding="utf-8"))
    return patterns, report


@pytest.mark.slow
def test_confirmed_url_survives_changed_data_and_rejected_is_not_proposed(site):
    first, _ = _build(site)
    proposed = [p for p in first if p["status"] == "proposed"]
    assert len(proposed) >= 2 and all(p["id"].isdigit() for p in proposed)
    keep, drop = proposed[0], proposed[1]
    gone = keep["members"][-1]
    (site / "patterns.yaml").write_text(yaml.safe_dump([
        {"name": "Dark <b>shapes</b>", "status": "confirmed", "members": keep["members"], "remove": [gone],
         "add": ["S9999"], "text": "Seen by a curator <script>."},
        {"status": "rejected", "members": drop["members"]},
    ]), encoding="utf-8")
    second, report = _build(site)  # same data: the clustering proposes the same groups again
    assert [p["members"] for p in second if p["status"] == "proposed"] == [
        p["members"] for p in proposed if p not in (keep, drop)]  # neither decided one is proposed again
    unknown = [p for p in report.problems if p.record == "S9999"]
    assert len(unknown) == 1 and unknown[0].file.endswith("patterns.yaml") and unknown[0].line > 1
    assert "S9999" in report.summary()

    rows = json.loads((site / "rows.json").read_text(encoding="utf-8"))
    fewer = [r for r in rows if r["id"] in keep["members"] or int(r["id"][1:]) % 5]  # a fifth of the works gone
    third, _ = _build(site, fewer)
    page = (site / "out/site/pattern/dark-b-shapes-b/index.html").read_text(encoding="utf-8")
    assert "Seen by a curator &lt;script&gt;." in page and "Dark &lt;b&gt;shapes&lt;/b&gt;" in page
    confirmed = next(p for p in third if p["id"] == "dark-b-shapes-b")
    assert sorted(confirmed["members"]) == sorted(set(keep["members"]) - {gone})  # the removed member is gone
    assert f"/work/{gone}/" not in page.split("Suggest members")[0]
    assert confirmed["suggestions"] and not set(confirmed["suggestions"]) & set(confirmed["members"])


def test_a_patterns_file_missing_or_not_a_list_is_refused_before_building(tmp_path):
    from .test_preflight import check, make_project

    path = make_project(tmp_path, patterns={"file": "patterns.yaml"})
    (error,) = check(path).errors
    assert error.startswith("patterns.file: patterns file not found") and "patterns.yaml" in error
    (path.parent / "patterns.yaml").write_text("name: not a list\n", encoding="utf-8")
    (error,) = check(path).errors
    assert "must be a list" in error
    (path.parent / "patterns.yaml").write_text("- {name: Fine, status: confirmed, members: [A1, GONE]}\n", encoding="utf-8")
    assert not check(path).errors  # unknown ids are the build's warnings, named by file and line
