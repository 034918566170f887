"""Pages of a pair of cultures are capped (render.culture_pair_pages): the strongest links get a page, the
others open their closest pair of works in the pair viewer, the same pair the page would have led with."""

from __future__ import annotations

import html
import json
import random
import re

import numpy as np
import pytest
from PIL import Image

from atlas.analysis.culture import CultureSimilarity
from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.culture_pairs import best_pair_per_link, best_pairs, link_strengths, pair_finder
from atlas.core.records import Record
from atlas.site import urls
from atlas.site.pairings import viewer_query

from .conftest import write_small_collection


def test_one_pass_finds_the_pair_each_link_page_leads_with():
    rng = random.Random(3)
    labels = ["A", "B", "C", "D"]
    works = [Record(id=f"w{i:02d}", culture=labels[i % 4]) for i in range(24)]
    by_culture = {c: [w.id for w in works if w.culture == c] for c in labels}
    analogies = {
        w.id: {"culture": {g: sorted(((o, rng.choice([0.5, 0.25, 0.75, 0.1])) for o in rng.sample(ids, 3)),
                                     key=lambda p: -p[1])
                           for g, ids in by_culture.items() if g != w.culture}}
        for w in works
    }
    found = best_pair_per_link(works, analogies, labels)
    for i, a in enumerate(labels):
        for b in labels[i + 1:]:
            assert found[(a, b)] == best_pairs(works, analogies, a, b, limit=1)[0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pairs_read_from_the_arrays_equal_the_pairs_from_nested_analogies(seed):
    """pair_finder's array path gives best_pairs' answer exactly: ties of quarter-step scores, missing
    analogies (-1), works without a culture, a culture with no layer, every limit."""
    rng = np.random.default_rng(seed)
    labels = ["A", "B", "C", "D"]
    works = [Record(id=f"w{i:03d}", culture=(labels + [""])[int(rng.integers(5))]) for i in range(90)]
    layers = labels[:3]  # no layer for D: analogies into D were never searched
    indices = rng.integers(-1, len(works), size=(len(layers), len(works), 5)).astype(np.int32)
    scores = (rng.integers(-4, 5, size=indices.shape) / 4).astype(np.float32)
    scores[indices < 0] = np.nan
    table = AnalogyTable([w.id for w in works], [("culture", c) for c in layers], indices, scores)
    nested = {w.id: table[w.id] for w in works}
    find = pair_finder(works, table)
    for a in labels:
        for b in labels:
            if a != b:
                for limit in (1, 3, 12, 500):
                    assert find(a, b, limit) == best_pairs(works, nested, a, b, limit), (a, b, limit)
    assert find("A", "B") and find("A", "Z") == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_best_pair_per_link_read_from_the_arrays_equals_the_nested_loop(seed):
    """best_pair_per_link's array path gives the nested loop's answer exactly: ties of quarter-step scores,
    missing analogies (-1), works without a culture or outside the labels, a culture with no layer."""
    rng = np.random.default_rng(seed)
    labels = ["C", "A", "B", "D"]  # not sorted: a link's first culture is the one first in labels
    works = [Record(id=f"w{i:03d}", culture=(labels + ["", "E"])[int(rng.integers(6))]) for i in range(120)]
    layers = ["A", "B", "C", "E"]  # no layer for D; E has one but is not in labels
    indices = rng.integers(-1, len(works), size=(len(layers), len(works), 4)).astype(np.int32)
    scores = (rng.integers(-4, 5, size=indices.shape) / 4).astype(np.float32)
    scores[indices < 0] = np.nan
    table = AnalogyTable([w.id for w in works], [("culture", c) for c in layers], indices, scores)
    nested = {w.id: table[w.id] for w in works}
    found = best_pair_per_link(works, table, labels)
    assert found == best_pair_per_link(works, nested, labels)
    assert len(found) >= 3


@pytest.mark.slow
def test_only_the_strongest_links_get_a_page(tmp_path):
    (tmp_path / "img").mkdir()
    rng = random.Random(7)
    rows = []
    for i in range(20):
        Image.new("RGB", (32, 32), tuple(rng.randrange(256) for _ in range(3))).save(tmp_path / "img" / f"{i}.png")
        rows.append({"id": f"W{i:02d}", "title": f"Work {i}", "culture": "ABCDE"[i % 5], "medium": "Oil",
                     "image": f"img/{i}.png"})
    from atlas.build import build
    from atlas.core.config import load_config

    config = load_config(write_small_collection(tmp_path, rows, "Chord", render={"culture_pair_pages": 3}))
    build(config)
    site = config.output_dir
    links = link_strengths(CultureSimilarity.from_json(json.loads((site / "data/culture-similarity.json").read_text())))
    strongest = sorted(links, key=lambda link: (-link["value"], link["a"], link["b"]))[:3]
    made = sorted(p.parent.relative_to(site).as_posix() + "/" for p in site.glob("chord/*/*/index.html"))
    assert len(links) == 10 and made == sorted(urls.culture_pair_path(link["a"], link["b"]) for link in strongest)
    chord = html.unescape((site / urls.page_file("chord")).read_text(encoding="utf-8"))
    listed = re.findall(r'<li><a href="([^"]+)">([^<]+) ↔ ([^<]+)</a>', chord)
    assert len(listed) == 10
    viewer = [(href, a, b) for href, a, b in listed if href.startswith("/pair/?")]
    assert len(viewer) == 7
    records = [Record(id=r["id"], culture=r["culture"]) for r in rows]
    from atlas.site.work_json import read_work_json

    analogies = {r.id: read_work_json((site / urls.work_data_path(r.id)).read_bytes())["analogies"] for r in records}
    for href, a, b in viewer:
        _, x, y = best_pairs(records, analogies, a, b, limit=1)[0]
        assert href == "/pair/" + viewer_query(x, y)
