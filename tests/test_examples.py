"""The example atlases in examples/ on the real collections in ../shared/data.

Each test builds (or reads) one example exactly as `python -m atlas build --config examples/<name>/site.yaml`
would, except that output and cache go to a temporary folder and the embedder is the small test one
(tests/conftest.py TEST_EMBEDDING), so the suite stays fast. Expected label groups are computed here
from the CSV files with the rules written out again in plain Python, not copied from the build.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from atlas.build import build
from atlas.core.config import load_config
from atlas.ingest.labels import normalise_labels
from atlas.ingest.readers import read_collection
from atlas.site import urls
from atlas.vectors import descriptors
from tests.conftest import ROOT, SHARED_DATA, TEST_EMBEDDING

EXAMPLES = ROOT / "examples"
_data_present = pytest.mark.skipif(not SHARED_DATA.is_dir(), reason=f"real collections not found at {SHARED_DATA}")


def needs_data(test):
    """A test that reads the real collections: marked `realdata`, and skipped when ../shared/data is absent."""
    return pytest.mark.realdata(_data_present(test))


def example_config(name: str, tmp: Path, **overrides):
    """The example's site.yaml, built into `tmp` with the test embedder."""
    values = {"output": str(tmp / "site"), "cache": str(tmp / "cache")}
    values |= {f"embedding.{k}": v for k, v in TEST_EMBEDDING.items()}
    values |= {"embedding.on_missing_weights": "fail"}
    values |= overrides
    return load_config(EXAMPLES / name / "site.yaml", overrides=values)


def expected_groups(raw: list[str], rules: dict[str, list[str]], min_size: int) -> tuple[dict[str, int], dict[str, int]]:
    """(kept groups, rule hits) by the documented matching order, written independently of atlas.ingest.labels."""
    groups, hits, first_written = [], Counter(), {}
    for value in raw:
        label = " ".join(value.split())
        if not label:
            continue
        group = None
        for name, entries in rules.items():  # group by group, in file order; first match wins
            if any(re.search(e[3:].strip(), label, re.IGNORECASE) if e.startswith("re:")
                   else " ".join(e.split()).casefold() == label.casefold() for e in entries):
                group = name
                hits[name] += 1
                break
        if group is None:
            group = next((n for n in rules if n.casefold() == label.casefold()), None)
        if group is None:
            group = first_written.setdefault(label.casefold(), label)
        groups.append(group)
    counts = Counter(groups)
    return {g: n for g, n in counts.items() if n >= min_size}, {g: hits[g] for g in rules}


# -- relative paths -----------------------------------------------------------------------------

def test_example_paths_are_relative_to_the_config_file_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, table in (("aic", "aic-artwall/collection.csv"), ("wikiart", "wikiart-styles/collection.csv"),
                        ("met", "met-metadata/MetObjects-sample.csv")):
        config = load_config(os.path.relpath(EXAMPLES / name / "site.yaml", tmp_path))
        assert config.resolve(config.collection.path).resolve() == (SHARED_DATA / table).resolve()
        assert config.output_dir.resolve() == (ROOT / "build" / "examples" / name / "site").resolve()
        assert config.cache_dir.resolve() == (ROOT / "build" / "examples" / name / "cache").resolve()


# -- AIC: a real atlas end to end ----------------------------------------------------------------

@pytest.fixture(scope="module")
def aic_build(tmp_path_factory):
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real collections not found at {SHARED_DATA}")
    tmp = tmp_path_factory.mktemp("aic")
    config = example_config("aic", tmp)
    return config, build(config)


@pytest.mark.slow  # builds the AIC atlas (module fixture shared by the next two tests): ~25 s here
@needs_data
def test_aic_builds_every_painting_and_explains_any_it_leaves_out(aic_build):
    config, report = aic_build
    with open(SHARED_DATA / "aic-artwall" / "collection.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert report.counts["records_read"] == len(rows) == 267
    assert report.counts["works_published"] + report.counts["records_skipped"] == len(rows)
    site = config.output_dir
    works = json.loads((site / "data" / "works.json").read_text(encoding="utf-8"))
    assert len(works) == report.counts["works_published"] == 267  # every AIC image is a usable JPEG
    for work in works:
        assert (site / urls.page_file("work", work["id"])).is_file()


@pytest.mark.slow
@needs_data
def test_aic_low_countries_follow_the_documented_rules(aic_build):
    config, _ = aic_build
    with open(SHARED_DATA / "aic-artwall" / "collection.csv", encoding="utf-8") as f:
        nationality = {r["id"]: r["nationality"] for r in csv.DictReader(f)}
    works = json.loads((config.output_dir / "data" / "works.json").read_text(encoding="utf-8"))
    culture = {w["id"]: w["culture"] for w in works}
    for work_id, raw in nationality.items():
        parts = {p.strip() for p in raw.split(";")}
        if parts & {"Netherlandish", "Flemish"}:  # "Netherlandish; Bruges", "Master of Moulins; Netherlandish"
            assert culture[work_id] == "Netherlandish and Flemish", raw
        elif raw in ("Dutch", "North Netherlandish"):
            assert culture[work_id] == "Dutch", raw
    rules = config.labels.culture
    expected, _ = expected_groups(list(nationality.values()), rules.rules, rules.min_group_size)
    assert Counter(c for c in culture.values() if c) == expected
    assert {"Netherlandish and Flemish", "Dutch", "French", "Italian"} <= set(expected)


@pytest.mark.slow
@needs_data
def test_aic_pages_name_the_condition_nationality_and_show_the_quality_report(aic_build):
    config, report = aic_build
    site = config.output_dir
    home = (site / urls.page_file("home")).read_text(encoding="utf-8")
    assert ">Nationalities</a>" in home and "nationalities" in home
    quality = json.loads((site / "data" / "quality.json").read_text(encoding="utf-8"))
    assert quality["conditions"]["culture"]["title"] == "Nationality"
    assert quality["conditions"]["culture"]["queries"] == 267 - sum(
        1 for w in json.loads((site / "data" / "works.json").read_text(encoding="utf-8")) if not w["culture"])
    about = (site / urls.page_file("about")).read_text(encoding="utf-8")
    assert "How far to trust the analogies" in about
    assert any(n.startswith("label rules matched (over all 267 records read): culture: Netherlandish and Flemish") for n in report.notes)


# -- WikiArt: style as the condition, no medium ----------------------------------------------------

@pytest.mark.slow  # ~6 s here
@needs_data
def test_wikiart_style_is_the_condition_and_an_absent_medium_gives_no_medium_groups(tmp_path):
    data = SHARED_DATA / "wikiart-styles"
    with open(data / "collection.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_style: dict[str, list[dict]] = {}
    for row in rows:
        by_style.setdefault(row["style"], []).append(row)
    subset = tmp_path / "subset.csv"  # 12 works of each style, pointing at the shared images
    with open(subset, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "style", "image"])
        writer.writeheader()
        for style in sorted(by_style):
            for row in by_style[style][:12]:
                writer.writerow({"id": row["id"], "style": style, "image": str(data / row["image"])})
    config = example_config("wikiart", tmp_path, **{"collection.path": str(subset), "collection.allow_outside_paths": True,
                                                   "labels.culture.min_group_size": 10,
                                                   "map.min_cluster_size": 5})
    report = build(config)
    assert report.counts["works_published"] == 84 and report.counts["cultures"] == 7 and report.counts["media"] == 0
    medium_warnings = [p.reason for p in report.warnings if "medium" in p.reason]
    assert medium_warnings == ["no record has a medium; medium is not used as a condition"]  # once, not 84 times
    site = config.output_dir
    home = (site / urls.page_file("home")).read_text(encoding="utf-8")
    assert ">Styles</a>" in home and "7 styles." in home
    assert 'href="/medium/"' not in home and "Media" not in home
    quality = json.loads((site / "data" / "quality.json").read_text(encoding="utf-8"))
    assert quality["conditions"]["culture"]["title"] == "Style"
    assert quality["conditions"]["medium"]["precision"] is None
    work = (site / urls.page_file("work", "wa0-0")).read_text(encoding="utf-8")
    assert "Closest in each style" in work and "Closest in each medium" not in work


# -- The Met: the preset on real metadata, no images ---------------------------------------------

MET_CSV = SHARED_DATA / "met-metadata" / "MetObjects-sample.csv"


def met_rows() -> list[dict]:
    with open(MET_CSV, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def met_culture(row: dict) -> str:
    """The preset's documented choice: Culture, else the first non-empty Artist Nationality."""
    culture = row["Culture"].strip()
    if culture:
        return culture
    return next((p.strip() for p in row["Artist Nationality"].split("|") if p.strip()), "")


@needs_data
def test_met_groups_after_normalisation_match_the_rules():
    config = load_config(EXAMPLES / "met" / "site.yaml")
    result = read_collection(config.collection, config.root)
    rows = met_rows()
    assert len(result.records) == len(rows) == 8870
    labelled = normalise_labels(result.records, config.labels)
    for field, raw in (("culture", [met_culture(r) for r in rows]), ("medium", [r["Classification"] for r in rows])):
        rules = getattr(config.labels, field)
        groups, hits = expected_groups(raw, rules.rules, rules.min_group_size)
        assert labelled.groups[field] == dict(sorted(groups.items(), key=lambda t: (t[0].casefold(), t[0]))), field
        assert labelled.rule_hits[field] == hits, field
    # the rules do real work on this data: the big groups gather several spellings
    assert labelled.rule_hits["culture"]["French"] > Counter(met_culture(r) for r in rows)["French"]
    assert labelled.groups["medium"]["Painting"] > Counter(r["Classification"] for r in rows)["Paintings"]


@needs_data
def test_met_build_reports_every_record_without_an_image_and_finishes(tmp_path):
    # as configured, the Met example falls back to weights-free features when the weights cannot be had
    config = example_config("met", tmp_path, **{"embedding.weights": str(tmp_path / "no-such-weights.pth"),
                                                "embedding.on_missing_weights": "fallback"})
    report = build(config)
    ids = [r["Object ID"].strip() for r in met_rows()]
    counts = report.counts
    assert counts["records_read"] == len(ids) == 8870
    assert counts["works_published"] == 0
    assert counts["records_read"] == counts["works_published"] + counts["records_skipped"]
    skipped = {p.record: p.reason for p in report.skipped}
    assert set(skipped) == set(ids)
    assert all(reason.startswith("image file not found") for reason in skipped.values())
    summary = report.summary()
    assert f"{len(ids):>6} x [read] image file not found" in summary
    site = config.output_dir
    home = (site / urls.page_file("home")).read_text(encoding="utf-8")
    assert "no works to show" in home
    assert json.loads((site / "data" / "works.json").read_text(encoding="utf-8")) == []
    assert (config.output_dir.parent / "report.json").is_file()
    about = (site / urls.page_file("about")).read_text(encoding="utf-8")
    # visitors read one plain sentence (issue 15); the raw reason stays in the build's report
    assert "The weights file no-such-weights.pth named in the configuration could not be read" in about
    assert "weights file not found" not in about
    assert any("WEIGHTS-FREE FALLBACK" in n and "weights file not found" in n for n in report.notes)
    for name in descriptors.FALLBACK:
        if name != "net":
            assert html.escape(descriptors.DESCRIPTORS[name].title) in about
    # the label-rule counts cover every record read, images or not
    labelled = normalise_labels(read_collection(config.collection, config.root).records, config.labels)
    line = next(n for n in report.notes if n.startswith("label rules matched"))
    for group, n in labelled.rule_hits["culture"].items():
        assert f"{group} {n:,}" in line
