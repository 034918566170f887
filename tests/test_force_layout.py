"""The culture graph's ForceAtlas2 layout: deterministic, and similar cultures end up close."""

from __future__ import annotations

import math

import numpy as np

from atlas.analysis.culture import CultureSimilarity, culture_similarity
from atlas.analysis.force_layout import culture_layout, layout_svg


def similarity_of_three_blobs() -> CultureSimilarity:
    rng = np.random.default_rng(0)
    centres = {"A": [0.0, 0.0], "B": [0.2, 0.0], "C": [5.0, 5.0], "D": [5.0, -5.0]}
    labels, rows = [], []
    for name, centre in centres.items():
        for _ in range(20):
            labels.append(name)
            rows.append(np.asarray(centre) + 0.05 * rng.normal(size=2))
    return culture_similarity(np.stack(rows), labels)


def test_layout_is_deterministic():
    sim = similarity_of_three_blobs()
    first, second = culture_layout(sim), culture_layout(sim)
    assert first == second
    assert layout_svg(first, ["/a", "/b", "/c", "/d"]) == layout_svg(second, ["/a", "/b", "/c", "/d"])


def test_similar_cultures_are_placed_closer():
    nodes = {n["name"]: (n["x"], n["y"]) for n in culture_layout(similarity_of_three_blobs()).nodes}
    assert math.dist(nodes["A"], nodes["B"]) < math.dist(nodes["A"], nodes["C"])
    assert math.dist(nodes["A"], nodes["B"]) < math.dist(nodes["C"], nodes["D"])
    assert all(0 <= v <= 1 for xy in nodes.values() for v in xy)


def test_svg_escapes_names_and_links_each_culture():
    sim = CultureSimilarity(["<b>A</b>", "B"], [3, 4], [[0, 1], [1, 0]], [[0, 1], [1, 0]])
    svg = layout_svg(culture_layout(sim), ["/culture/a/", "/culture/b/"])
    assert "<b>" not in svg and "&lt;b&gt;A&lt;/b&gt;" in svg
    assert svg.count("<a href=") == 2
