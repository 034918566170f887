"""'Why this match' shares as arrays beside the analogy table (atlas.analysis.pair_shares): every listed
pair, and every extra pair asked for, reads exactly the dict match_parts.pair_shares gave."""

from __future__ import annotations

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.match_parts import listed_pairs, pair_shares
from atlas.analysis.neighbours import conditional_neighbours
from atlas.analysis.pair_shares import PairShares, compute_shares


def fallback(rng: np.random.Generator, n: int = 160):
    from atlas.vectors.descriptors import combine
    from atlas.vectors.parts import layout

    widths, names = [32, 24, 16, 12, 20], ["net", "lab", "hsv", "lbp", "hog"]
    return combine([rng.normal(size=(n, w)) for w in widths]), layout(names, widths)


def table(vectors: np.ndarray, rng: np.random.Generator) -> AnalogyTable:
    """A real conditional search: 2 fields, a group smaller than k (short lists, -1 rows), unlabelled works."""
    n = len(vectors)
    culture = [None if i % 11 == 0 else "ABC"[i % 3] for i in range(n)]
    medium = ["tiny" if i < 4 else ["oil", "ink"][int(rng.integers(2))] for i in range(n)]
    found = conditional_neighbours(vectors.astype(np.float32), {"culture": culture, "medium": medium}, k=6, method="exact")
    return AnalogyTable.from_results([f"W{i:03d}" for i in range(n)], found)


def test_the_arrays_read_exactly_as_the_dict():
    rng = np.random.default_rng(7)
    vectors, parts = fallback(rng)
    found = table(vectors, rng)
    assert (found.indices < 0).any()  # short lists are there
    extra = [("W001", "W150"), ("W150", "W001"), ("W007", "W008"), ("W002", "nobody")]
    shares = compute_shares(found, vectors, parts, extra)
    old = pair_shares(found.ids, vectors, parts, set(extra) | listed_pairs(found))
    assert len(old) > 1000
    for pair, expected in old.items():
        assert shares.get(pair) == expected, pair
    assert shares.get(("W002", "nobody")) is None and shares.get(("W150", "W151")) in (None, old.get(("W150", "W151")))
    assert shares.listed.dtype == np.float32 and shares.listed.shape == found.indices.shape + (4,)


def test_through_npz_and_without_parts():
    rng = np.random.default_rng(8)
    vectors, parts = fallback(rng, 60)
    found = table(vectors, rng)
    shares = compute_shares(found, vectors, parts, [("W001", "W059")])
    back = PairShares.from_npz(found, np.load(__import__("io").BytesIO(shares.to_bytes()), allow_pickle=False))
    for pair in listed_pairs(found) | {("W001", "W059")}:
        assert back.get(pair) == shares.get(pair) is not None
    none = compute_shares(found, vectors, (), [("W001", "W059")])
    assert none.get(("W001", "W059")) is None and none.listed.size == 0


def test_kept_as_a_checked_npz_and_made_again_when_an_input_changes(tmp_path):
    from atlas.analysis.pair_shares import cached_shares

    rng = np.random.default_rng(9)
    vectors, parts = fallback(rng, 60)
    found = table(vectors, rng)
    first = cached_shares(tmp_path, found, vectors, parts, [("W001", "W059")])
    stamp = (tmp_path / "why.npz").stat().st_mtime_ns
    again = cached_shares(tmp_path, found, vectors, parts, [("W001", "W059")])
    assert (tmp_path / "why.npz").stat().st_mtime_ns == stamp  # read back, not written again
    assert all(again.get(p) == first.get(p) for p in listed_pairs(found))
    moved = vectors.copy()
    moved[3] *= -1
    changed = cached_shares(tmp_path, found, moved, parts, [("W001", "W059")])
    pair = next(p for p in listed_pairs(found) if p[0] == "W003")
    assert changed.get(pair) == pair_shares(found.ids, moved, parts, [pair])[pair] != first.get(pair)
    (tmp_path / "why.npz").write_bytes(b"broken")  # a damaged file is made again, not trusted
    assert cached_shares(tmp_path, found, vectors, parts, [("W001", "W059")]).get(pair) == first.get(pair)
