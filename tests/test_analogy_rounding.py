"""AnalogyTable rounds its scores in array operations (analogy_table.rounded): every value must be exactly what
Python's round(float(s), 4) gives, which the pages showed before, ties and near-ties included."""

from __future__ import annotations

import numpy as np
import pytest

from atlas.analysis.analogy_table import DECIMALS, AnalogyTable, first_analogies, rounded


def python_round(values: np.ndarray) -> list[float]:
    return [round(float(v), DECIMALS) for v in values.ravel()]


def test_rounded_equals_python_round_on_random_and_tie_scores():
    rng = np.random.default_rng(3)
    random = rng.uniform(-1, 1, 200_000).astype(np.float32)
    ties = (np.arange(-32, 33) / 32).astype(np.float32)  # x * 10^4 exactly k + 0.5 for odd multiples of 1/32
    near = ((np.arange(-9999, 10000) + 0.5) / 1e4).astype(np.float32)  # float32 neighbours of every half
    for values in (random, ties, near, np.nextafter(near, np.float32(2)), np.nextafter(near, np.float32(-2))):
        assert rounded(values).ravel().tolist() == python_round(values)


def test_a_work_reads_the_same_lists_as_the_per_value_loop():
    rng = np.random.default_rng(4)
    groups, works, k = 5, 40, 3
    indices = rng.integers(-1, works, (groups, works, k)).astype(np.int32)
    scores = rng.random((groups, works, k)).astype(np.float32)
    scores[indices < 0] = np.nan
    ids = [f"w{i}" for i in range(works)]
    table = AnalogyTable(ids, [("culture", f"g{g}") for g in range(groups)], indices, scores)
    for row, work in enumerate(ids):
        expected = {}
        for g in range(groups):
            pairs = [(ids[j], round(float(s), DECIMALS)) for j, s in zip(indices[g, row], scores[g, row]) if j >= 0]
            if pairs:
                expected.setdefault("culture", {})[f"g{g}"] = pairs
        assert table[work] == expected


@pytest.mark.parametrize("fld", [None, "culture", "medium"])
def test_first_analogies_read_from_the_arrays_equal_the_nested_lists(fld):
    """first_analogies' array path gives each work's closest analogy per group exactly as its nested lists do:
    groups with no analogy (-1) left out, works outside the table listed with none, scores rounded alike."""
    rng = np.random.default_rng(5)
    ids = [f"w{i:02d}" for i in range(40)]
    groups = [("culture", "A"), ("culture", "B"), ("medium", "Oil"), ("medium", "Ink")]
    indices = rng.integers(-1, len(ids), size=(len(groups), len(ids), 3)).astype(np.int32)
    scores = rng.random(indices.shape).astype(np.float32)
    scores[indices < 0] = np.nan
    table = AnalogyTable(ids, groups, indices, scores)
    nested = {i: table[i] for i in ids}
    asked = ids[::3] + ["not-in-the-table"]
    found = first_analogies(table, asked, fld)
    assert found == first_analogies(nested, asked, fld)
    assert found["not-in-the-table"] == [] and sum(map(len, found.values())) > len(asked)
