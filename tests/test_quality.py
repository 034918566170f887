"""The quality report: precision@k against base rates, ANN recall, and that the site shows what it measured."""

from __future__ import annotations

import json
import re
from html import unescape

import numpy as np
import pytest

from atlas.analysis.neighbours import (
    GroupNeighbours,
    analogies_by_work,
    exact_search,
    exact_search_groups,
    search_summary,
)
from atlas.analysis.quality import (
    label_precision,
    measure_quality,
    sample_indices,
)
from atlas.core.config import QualityConfig
from atlas.site import urls


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_precision_uses_the_exact_search_and_excludes_the_query():
    rng = np.random.default_rng(1)
    vectors = unit(rng.normal(size=(300, 12)))
    queries = np.array([0, 7, 299, 150])
    got = exact_search_groups(vectors, [np.arange(300)], 5, block_size=3, query_rows=queries)[0][0]
    for row, q in zip(got, queries):
        sims = vectors @ vectors[q]
        sims[q] = -np.inf
        assert list(row) == list(np.argsort(-sims)[:5])
        assert q not in row


def test_separated_labels_give_precision_one_and_the_right_base_rate():
    rng = np.random.default_rng(2)
    centres = unit(rng.normal(size=(3, 16))) * 10
    sizes = [50, 30, 20]
    vectors = unit(np.concatenate([c + rng.normal(size=(n, 16)) for c, n in zip(centres, sizes)]))
    labels = ["a"] * 50 + ["b"] * 30 + ["c"] * 20
    q = label_precision(vectors, labels, k=5)
    assert q["precision"] == 1.0
    # base rate: mean over works of (own label size - 1) / (N - 1)
    expected = sum(n * (n - 1) for n in sizes) / 100 / 99
    assert q["base_rate"] == pytest.approx(expected, abs=1e-4)
    assert q["groups"]["c"] == {"works": 20, "queries": 20, "precision": 1.0, "base_rate": round(19 / 99, 4)}


def test_random_vectors_score_near_the_base_rate_and_unlabelled_works_are_not_queries():
    rng = np.random.default_rng(3)
    vectors = unit(rng.normal(size=(2000, 32)))
    labels = [["x", "y", "z", None][i % 4] for i in range(2000)]
    q = label_precision(vectors, labels, k=10)
    assert q["queries"] == 1500 and q["labelled"] == 1500
    # an unlabelled neighbour never counts, so chance is (500 - 1) / 1999 = 0.25 per labelled work
    assert abs(q["precision"] - q["base_rate"]) < 0.03
    assert 0.8 < q["lift"] < 1.2


def test_query_sampling_is_seeded_and_bounded():
    rng = np.random.default_rng(4)
    vectors = unit(rng.normal(size=(500, 8)))
    labels = ["a" if i % 2 else "b" for i in range(500)]
    first = label_precision(vectors, labels, k=5, queries=100, seed=7)
    assert first["queries"] == 100
    assert first == label_precision(vectors, labels, k=5, queries=100, seed=7)


def test_ann_recall_is_measured_against_exact_search_only_for_approximate_groups():
    rng = np.random.default_rng(5)
    vectors = unit(rng.normal(size=(600, 16)))
    labels = ["g"] * 400 + ["h"] * 200
    members_g, members_h = np.arange(400), np.arange(400, 600)
    # An "approximate" answer made from the exact one, with the last of the 10 replaced by a wrong work
    # for every odd query: recall@10 must come out as exactly 1 - (odd sampled queries) / (10 * queries).
    idx, sim = exact_search(vectors, members_g, 10)
    wrong = idx.copy()
    for q in range(1, 600, 2):
        wrong[q, 9] = next(m for m in members_g[::-1] if m not in idx[q] and m != q)
    ex_idx, ex_sim = exact_search(vectors, members_h, 10)
    results = [GroupNeighbours("culture", "g", "ann", wrong, sim), GroupNeighbours("culture", "h", "exact", ex_idx, ex_sim)]
    ids = [f"w{i:03d}" for i in range(600)]
    searches = search_summary(results)
    quality = measure_quality(vectors, ids, {"culture": labels}, analogies_by_work(ids, results), searches,
                              {"culture": "Culture"}, QualityConfig(k=10, recall_queries=150))
    assert [(r["group"], r["queries"], r["k"]) for r in quality.recall] == [("g", 150, 10)]
    chosen = sample_indices(600, 150, 0)
    odd = int((chosen % 2 == 1).sum())
    assert 0 < odd < 150
    assert quality.recall[0]["recall"] == round(1 - odd / 1500, 4)
    assert quality.approximate_groups == 1


def test_empty_collection_has_no_precision_and_no_error():
    quality = measure_quality(np.zeros((0, 4), np.float32), [], {"culture": [], "medium": []}, {}, [], {}, QualityConfig())
    assert quality.conditions["culture"]["precision"] is None
    assert quality.recall == []


def test_about_page_shows_the_numbers_of_quality_json(sample_build):
    config, report = sample_build
    site = config.output_dir
    quality = json.loads((site / "data" / "quality.json").read_text(encoding="utf-8"))
    about = (site / urls.page_file("about")).read_text(encoding="utf-8")
    assert set(quality["conditions"]) == {"culture", "medium"}
    for name, q in quality["conditions"].items():
        row = re.search(rf'<tr data-condition="{name}">(.*?)</tr>', about, re.DOTALL).group(1)
        cells = [unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row)]
        assert cells == [q["title"], str(q["queries"]), f"{q['precision']:.4f}", f"{q['base_rate']:.4f}", f"{q['lift']:.2f}"]
        for group, g in q["groups"].items():
            grow = re.search(rf'<tr data-condition="{name}" data-group="{re.escape(group)}">(.*?)</tr>', about, re.DOTALL).group(1)
            assert [unescape(c) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", grow)] == [
                group, str(g["works"]), f"{g['precision']:.4f}", f"{g['base_rate']:.4f}"]
    # The sample's cultures and media are visibly different: the features should beat chance.
    assert quality["conditions"]["culture"]["precision"] > quality["conditions"]["culture"]["base_rate"]
    assert any(note.startswith("quality: culture precision@10") for note in report.notes)
    assert "quality" in report.timings
