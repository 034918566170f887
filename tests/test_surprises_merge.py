"""The surprises' overall neighbours merged from the per-culture analogies equal a whole search, exactly.

atlas.analysis.overall_neighbours keeps the true top k by construction (its module docstring); these
tests check it on random collections with unlabelled works, a culture left out of the search, tied
similarities (vectors of quarter steps) and short per-culture lists that force the fallback search, and
check the gallery rows against the gallery as it was computed before (a whole search, a dict per work)."""

from __future__ import annotations

import numpy as np
import pytest

from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.neighbours import conditional_neighbours, exact_search_groups
from atlas.analysis.overall_neighbours import overall_neighbours
from atlas.analysis.surprises import cross_cultural
from atlas.core.records import Record


def collection(seed: int, n: int = 300, ties: bool = False):
    rng = np.random.default_rng(seed)
    names = ["A", "B", "C", "D", None, "Tiny"]
    cultures = [names[j] for j in rng.choice(len(names), size=n, p=[0.35, 0.25, 0.15, 0.1, 0.1, 0.05])]
    media = [["M1", "M2"][j] for j in rng.integers(0, 2, size=n)]
    if ties:  # quarter steps in 6 dimensions: many exactly equal dot products
        vectors = (rng.integers(-2, 3, size=(n, 6)) / 4).astype(np.float32)
    else:
        vectors = rng.standard_normal((n, 12)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return cultures, media, vectors


def table_for(cultures, media, vectors, k: int, searched=lambda c: c != "Tiny") -> AnalogyTable:
    """The build's analogies: "Tiny" plays a group under min_group_size (not searched, its works in no group)."""
    conditions = {"culture": [c if c and searched(c) else None for c in cultures], "medium": media}
    results = conditional_neighbours(vectors, conditions, k, "exact")
    return AnalogyTable.from_results([f"w{i:04d}" for i in range(len(vectors))], results)


@pytest.mark.parametrize("seed,ties,per_culture", [(0, False, 6), (1, True, 6), (2, False, 2), (3, True, 3)])
def test_merged_overall_neighbours_equal_a_whole_search(seed, ties, per_culture):
    cultures, media, vectors = collection(seed, ties=ties)
    table = table_for(cultures, media, vectors, per_culture)
    whole_idx, whole_sc = exact_search_groups(vectors, [np.arange(len(vectors))], 10)[0]
    idx, sc, again = overall_neighbours(vectors, cultures, 10, table, exact=True)
    assert np.array_equal(idx, whole_idx)
    assert np.array_equal(sc, whole_sc, equal_nan=True)
    if per_culture == 6:
        assert again < len(vectors) // 2  # most works were merged, not searched
    else:
        assert again > 0  # short lists put some answers in doubt: those were searched again


def test_merging_in_blocks_of_rows_gives_the_same(monkeypatch):
    from atlas.analysis import overall_neighbours as module

    cultures, media, vectors = collection(8, ties=True)
    table = table_for(cultures, media, vectors, 3)
    whole = overall_neighbours(vectors, cultures, 10, table, exact=True)
    monkeypatch.setattr(module, "MERGE_ROWS", 37)  # blocks that do not divide the 300 works
    blocked = overall_neighbours(vectors, cultures, 10, table, exact=True)
    assert whole[2] > 0 and np.array_equal(blocked[0], whole[0]) and np.array_equal(blocked[1], whole[1], equal_nan=True)


def test_without_exact_analogies_every_work_is_searched():
    cultures, media, vectors = collection(4)
    table = table_for(cultures, media, vectors, 6)
    _, _, again = overall_neighbours(vectors, cultures, 10, table, exact=False)
    assert again == len(vectors)


def previous_gallery(works, vectors, k, limit):
    """The gallery as surprises.cross_cultural computed it before the merge: a whole search, a row per work."""
    labelled = [i for i, w in enumerate(works) if w.culture]
    idx, sc = exact_search_groups(vectors, [np.arange(len(works))], k)[0]
    sizes = {}
    for i in labelled:
        sizes[works[i].culture] = sizes.get(works[i].culture, 0) + 1
    rows = []
    for i in labelled:
        found = [(int(j), float(s)) for j, s in zip(idx[i], sc[i]) if j >= 0]
        others = [(j, s) for j, s in found if works[j].culture and works[j].culture != works[i].culture]
        counts = {}
        for j, _ in others:
            counts[works[j].culture] = counts.get(works[j].culture, 0) + 1
        rows.append({"id": works[i].id, "share": round(len(others) / len(found), 4),
                     "expected": round(1 - (sizes[works[i].culture] - 1) / (len(labelled) - 1), 4),
                     "mean_other": round(float(np.mean([s for _, s in others])), 4) if others else 0.0,
                     "others": sorted(counts.items(), key=lambda t: (-t[1], t[0])),
                     "neighbours": [[works[j].id, round(s, 4)] for j, s in found]})
    rows.sort(key=lambda r: (-r["share"], -r["mean_other"], r["id"]))
    return [dict(r, others=[list(o) for o in r["others"]]) for r in rows[:limit]]


@pytest.mark.parametrize("seed,ties,limit", [(5, False, 12), (6, True, 12), (7, False, 300)])
def test_the_gallery_is_the_same_as_before(seed, ties, limit):
    cultures, media, vectors = collection(seed, ties=ties)
    works = [Record(id=f"w{i:04d}", culture=c, medium=m) for i, (c, m) in enumerate(zip(cultures, media))]
    table = table_for(cultures, media, vectors, 6)
    before = previous_gallery(works, vectors, 10, limit)
    assert cross_cultural(works, vectors, 10, limit, analogies=table, exact=True) == before
    assert cross_cultural(works, vectors, 10, limit) == before
