"""explorer.best_pairs_of (every culture-pair page's pairs in one pass) equals culture_pairs.best_pairs per link."""

from __future__ import annotations

import random

from atlas.analysis.culture_pairs import best_pairs
from atlas.core.records import Record
from atlas.site.explorer import best_pairs_of


def test_one_pass_equals_one_search_per_link():
    rng = random.Random(3)
    cultures = ["A", "B", "C", "D", None]
    works = [Record(id=f"w{i:03d}", culture=rng.choice(cultures)) for i in range(120)]
    analogies = {}
    for w in works:
        groups = {}
        for c in cultures[:4]:
            members = [x.id for x in works if x.culture == c and x.id != w.id]
            picks = rng.sample(members, min(4, len(members)))
            groups[c] = sorted(((m, round(rng.choice([0.5, 0.25, rng.random()]), 4)) for m in picks),
                               key=lambda p: -p[1])  # ties included: the order must still match
        analogies[w.id] = {"culture": groups}
    links = [("A", "B"), ("A", "C"), ("D", "B"), ("C", "D")]
    found = best_pairs_of(works, analogies, links, limit=7)
    assert found == {(a, b): best_pairs(works, analogies, a, b, limit=7) for a, b in links}
    assert all(found[link] for link in links)
