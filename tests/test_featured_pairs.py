"""The home page's featured pairs (pages.featured_pairs) equal what sorting every candidate gave, on random
analogies with many tied scores."""

from __future__ import annotations

import random
from types import SimpleNamespace

from atlas.analysis.analogy_table import first_analogies
from atlas.core.records import Record
from atlas.site.pages import featured_pairs


def sorted_candidates(ctx, limit: int = 12) -> list[dict]:
    """The former implementation: every candidate sorted, each pair of cultures' first kept."""
    candidates = []
    firsts = first_analogies(ctx.data.analogies, [w.id for w in ctx.data.works], "culture")
    for w in ctx.data.works:
        for _, group, other, score in firsts[w.id]:
            if w.culture and group != w.culture:
                candidates.append((-score, w.id, other, tuple(sorted((w.culture, group)))))
    chosen, seen = [], set()
    for neg_score, a, b, key in sorted(candidates):
        if key not in seen:
            seen.add(key)
            chosen.append({"a": ctx.work_view(a), "b": ctx.work_view(b), "score": -neg_score})
    return chosen[:limit]


def test_featured_pairs_equal_the_sorted_candidates_on_random_ties():
    for seed in range(30):
        rng = random.Random(seed)
        cultures = [f"C{i}" for i in range(rng.randint(1, 7))]
        works = [Record(id=f"W{i:03d}", culture=rng.choice(cultures + [None])) for i in range(rng.randint(1, 60))]
        analogies = {}
        for w in works:
            groups = {c: [(rng.choice(works).id, rng.choice([0.5, 0.75, 0.25, 1.0]))] for c in cultures if rng.random() < 0.8}
            analogies[w.id] = {"culture": groups} if groups else {}
        ctx = SimpleNamespace(data=SimpleNamespace(analogies=analogies, works=works), work_view=lambda i: {"id": i})
        for limit in (1, 3, 12):
            assert featured_pairs(ctx, limit) == sorted_candidates(ctx, limit), (seed, limit)
