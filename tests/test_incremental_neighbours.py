"""Incremental conditional neighbours equal a full search exactly, ties included, on random changes.

Vectors are small multiples of 1/4 in 8 dimensions: every dot product is exact in float32 whatever order a
matrix multiply sums in, and many are equal, so ties across the k-th place are common."""

from __future__ import annotations

import numpy as np
import pytest

from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.neighbour_stage import compare, find_neighbours, row_digests
from atlas.analysis.neighbours import conditional_neighbours
from atlas.analysis.incremental import patch_neighbours
from atlas.core.config import NeighboursConfig

CULTURES, MEDIA = ["A", "B", "C", None], ["x", "y"]


def collection(rng, n, start=0):
    ids = [f"w{start + i:05d}" for i in range(n)]
    vectors = rng.integers(-2, 3, size=(n, 8)).astype(np.float32) / 4
    culture = [CULTURES[i] for i in rng.integers(0, len(CULTURES), n)]
    medium = [MEDIA[i] for i in rng.integers(0, len(MEDIA), n)]
    return ids, vectors, {"culture": culture, "medium": medium}


def change(rng, ids, vectors, conditions, edits):
    """Remove, add, re-vector and relabel a few works at random; rows stay sorted by id as in a build."""
    keep = np.sort(rng.choice(len(ids), len(ids) - edits, replace=False))
    ids = [ids[i] for i in keep]
    vectors = vectors[keep].copy()
    conditions = {f: [v[i] for i in keep] for f, v in conditions.items()}
    new_ids, new_vectors, new_conditions = collection(rng, edits, start=90000 + int(rng.integers(0, 1000)))
    for row in rng.choice(len(ids), edits, replace=False):
        vectors[row] = rng.integers(-2, 3, size=8) / 4
    for row in rng.choice(len(ids), edits, replace=False):
        conditions["culture"][row] = CULTURES[int(rng.integers(0, len(CULTURES)))]
    ids, order = ids + new_ids, None
    vectors = np.concatenate([vectors, new_vectors])
    conditions = {f: conditions[f] + new_conditions[f] for f in conditions}
    order = np.argsort(ids, kind="stable")
    return [ids[i] for i in order], vectors[order], {f: [v[i] for i in order] for f, v in conditions.items()}


def stored(ids, vectors, conditions, k):
    table = AnalogyTable.from_results(ids, conditional_neighbours(vectors, conditions, k, method="exact"))
    labels = {f: np.array(["\x00" if v is None else v for v in vals], dtype=str) for f, vals in conditions.items()}
    return {"ids": ids, "digests": row_digests(vectors), "labels": labels, "table": table}


@pytest.mark.parametrize("seed", range(6))
def test_patched_lists_equal_a_full_search_exactly(seed):
    rng = np.random.default_rng(seed)
    k = 3
    ids, vectors, conditions = collection(rng, 120)
    old = stored(ids, vectors, conditions, k)
    ids2, vectors2, conditions2 = change(rng, ids, vectors, conditions, edits=int(rng.integers(1, 6)))
    previous = compare(old, ids2, row_digests(vectors2), conditions2)
    patched, again = patch_neighbours(vectors2, conditions2, k, previous)
    full = conditional_neighbours(vectors2, conditions2, k, method="exact")
    assert [(p.field, p.group) for p in patched] == [(f.field, f.group) for f in full]
    for p, f in zip(patched, full):
        np.testing.assert_array_equal(p.indices, f.indices)
        np.testing.assert_array_equal(p.scores, f.scores)  # NaN where NaN
    assert 0 < again < len(ids2) * len(full)  # it did patch: not every query was searched again


def test_full_search_breaks_ties_by_lower_row():
    vectors = np.array([[1, 0], [1, 0], [1, 0], [1, 0], [0, 1]], np.float32)
    found = conditional_neighbours(vectors, {"culture": ["A"] * 5}, 2, method="exact")[0]
    assert found.indices[:4].tolist() == [[1, 2], [0, 2], [0, 1], [0, 1]]


def test_the_stage_reuses_patches_and_searches_whole(tmp_path):
    rng = np.random.default_rng(7)
    ids, vectors, conditions = collection(rng, 200)
    ncfg = NeighboursConfig(k=3, method="exact")
    first = find_neighbours(tmp_path, ids, vectors, conditions, ncfg, "cpu")
    assert not first.reused and "no cached result" in first.reason
    again = find_neighbours(tmp_path, ids, vectors, conditions, ncfg, "cpu")
    assert again.reused and again.analogies["w00005"] == first.analogies["w00005"]
    vectors[10] = -vectors[10]
    patched = find_neighbours(tmp_path, ids, vectors, conditions, ncfg, "cpu")
    assert not patched.reused and "patched: 1 works new or changed" in patched.reason
    forced = find_neighbours(tmp_path, ids, vectors, conditions, ncfg, "cpu", full=True)
    assert "--full" in forced.reason and "searched whole" in forced.reason
    for work in ids:
        assert patched.analogies[work] == forced.analogies[work]
    np.testing.assert_array_equal(patched.analogies.indices, forced.analogies.indices)


def test_analogy_table_reads_as_the_nested_dicts_and_round_trips():
    import io

    from atlas.analysis.neighbours import analogies_by_work

    rng = np.random.default_rng(3)
    ids, vectors, conditions = collection(rng, 40)
    results = conditional_neighbours(vectors, conditions, 3, method="exact")
    table = AnalogyTable.from_results(ids, results)
    assert table.indices.dtype == np.int32 and table.scores.dtype == np.float32
    assert dict(table) == analogies_by_work(ids, results)  # what quality, pairings and pages always read
    again = AnalogyTable.from_npz(np.load(io.BytesIO(table.to_bytes()), allow_pickle=False))
    assert dict(again) == dict(table) and "w00003" in again and "nope" not in again
