import numpy as np
import pytest

from atlas.analysis.neighbours import (
    analogies_by_work,
    ann_search,
    checked_ann_search,
    choose_method,
    conditional_neighbours,
    describe_search,
    exact_search,
    exact_search_groups,
    group_members,
    recall_at_k,
    search_summary,
)


def random_unit(n: int, d: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def random_labels(n: int, names: list[str], seed: int) -> list:
    rng = np.random.default_rng(seed)
    weights = np.array([0.5, 0.3, 0.15, 0.05, 0.0][: len(names)] or [1.0])
    picks = rng.choice(len(names) + 1, size=n, p=np.append(weights[: len(names)] * 0.9 / weights[: len(names)].sum(), 0.1))
    return [names[p] if p < len(names) else None for p in picks]


def test_exact_equals_numpy_reference_for_every_group():
    vectors = random_unit(700, 32)
    conditions = {"culture": random_labels(700, ["A", "B", "C", "D"], 1), "medium": random_labels(700, ["x", "y"], 2)}
    results = conditional_neighbours(vectors, conditions, k=6, method="exact", block_size=128)
    assert {(r.field, r.group) for r in results} == {
        (f, g) for f, labels in conditions.items() for g in group_members(labels)
    }
    for res in results:
        members = group_members(conditions[res.field])[res.group]
        ref_idx, ref_sim = brute_force_reference(vectors, members, 6)
        assert np.array_equal(res.indices, ref_idx), (res.field, res.group)
        assert np.allclose(res.scores, ref_sim, atol=1e-5, equal_nan=True)
        rows = np.arange(len(vectors))[:, None]
        assert not np.any(res.indices == rows), "a work must never be its own analogy"
        assert np.all(np.isin(res.indices[res.indices >= 0], members)), "neighbours must come from the group"


def test_small_group_pads_with_minus_one():
    vectors = random_unit(10, 8)
    members = np.array([2, 5])
    idx, sim = exact_search(vectors, members, k=3)
    assert list(idx[2]) == [5, -1, -1]  # a member sees only the other member
    assert list(idx[0][:2]) in ([2, 5], [5, 2]) and idx[0][2] == -1
    assert np.isnan(sim[2, 1])


@pytest.mark.slow  # ~80 s here (with the numba compilation of pynndescent), then ~20 s for the next test
def test_ann_recall_against_exact():
    vectors = random_unit(3000, 16, seed=3)
    members = np.arange(0, 3000, 2)
    exact_idx, _ = exact_search(vectors, members, k=10)
    ann_idx, ann_sim = ann_search(vectors, members, k=10)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(ann_idx, exact_idx)])
    assert recall >= 0.97, recall
    assert not np.any(ann_idx == np.arange(3000)[:, None])
    assert np.all(np.diff(ann_sim, axis=1) <= 1e-6), "scores come sorted best first"


@pytest.mark.slow  # runs pynndescent, whose numba code compiles on first use in a run: ~10-20 s here
def test_auto_uses_ann_for_large_groups_only():
    vectors = random_unit(400, 8)
    labels = ["big"] * 300 + ["small"] * 100
    results = conditional_neighbours(vectors, {"culture": labels}, k=4, method="auto", ann_min_group=200, exact_budget=0)
    assert {r.group: r.method for r in results} == {"big": "ann", "small": "exact"}
    assert [r.note.split(" on ")[0][:9] for r in results] == ["recall@4 ", ""], "the checked recall is kept for the report"
    assert "sampled queries" in search_summary(results)[0].note
    cheap = conditional_neighbours(vectors, {"culture": labels}, k=4, method="auto", ann_min_group=200)
    assert {r.method for r in cheap} == {"exact"}, "an exact search this cheap is not worth an index"


def test_auto_picks_from_size_dimension_and_device():
    # 100k works x a 39k group x 2048-d = 8e12 multiply-adds: exact on the CPU; 1M works: pynndescent
    assert choose_method("auto", 39000, 20000, "cpu", 100_000, 2048) == "exact"
    assert choose_method("auto", 390_000, 20000, "cpu", 1_000_000, 2048) == "ann"
    assert choose_method("auto", 390_000, 20000, "cuda", 1_000_000, 2048) == "exact"
    assert choose_method("auto", 19999, 20000, "cpu", 10**9, 2048) == "exact"
    assert choose_method("ann", 10, 20000, "cuda") == "ann"


def test_fused_groups_and_query_subset_match_single_group_search():
    vectors = random_unit(900, 24, seed=5)
    groups = [np.arange(0, 900, 3), np.arange(1, 900, 2), np.arange(900)]
    queries = np.array([0, 1, 2, 450, 899])
    fused = exact_search_groups(vectors, groups, k=5, block_size=7, query_rows=queries)
    for members, (idx, sim) in zip(groups, fused):
        ref_idx, ref_sim = brute_force_reference(vectors, members, 5)
        assert np.array_equal(idx, ref_idx[queries])
        assert np.allclose(sim, ref_sim[queries], atol=1e-5)


@pytest.mark.slow  # runs pynndescent (numba compiles it on first use in a run)
def test_describe_search_names_the_path():
    vectors = random_unit(50, 4)
    results = conditional_neighbours(vectors, {"culture": ["A"] * 30 + ["B"] * 20}, k=3, method="exact")
    assert describe_search(search_summary(results)).startswith("neighbour search over 50 works: exact on cpu")
    mixed = conditional_neighbours(vectors, {"culture": ["A"] * 30 + ["B"] * 20}, k=3, method="auto",
                                   ann_min_group=25, exact_budget=0)
    line = describe_search(search_summary(mixed))
    assert "pynndescent (approximate, recall@k checked >= 0.98 on a sample) for 1 large groups (culture:A)" in line \
        or "1 large groups searched exactly because pynndescent stayed below recall@k 0.98" in line, line


@pytest.mark.slow  # ~20 s here
def test_checked_ann_keeps_recall_or_searches_exactly():
    """An approximate group is used only when it reaches recall@10 >= 0.98 on a sample; on vectors too hard
    for the index (512-d uniform noise: no structure to exploit) the group is searched exactly instead."""
    easy = random_unit(3000, 8, seed=4)
    members = np.arange(0, 3000, 2)
    idx, _, method, note = checked_ann_search(easy, members, k=10)
    exact_idx, _ = exact_search(easy, members, k=10)
    assert method == "ann" and note.startswith("recall@10 0.9"), note
    assert recall_at_k(idx, exact_idx) >= 0.97  # all 3,000 queries, not just the checked sample

    hard = random_unit(3000, 512, seed=4)
    idx, _, method, note = checked_ann_search(hard, members, k=10)
    assert method == "exact" and note.startswith("searched exactly: pynndescent reached recall@10 0."), note
    ref_idx, _ = brute_force_reference(hard, members, 10)
    assert np.array_equal(idx, ref_idx)
    assert ann_search(hard, members, k=10, query_rows=np.arange(300))[0].shape == (300, 10)


def test_recall_at_k_counts_true_neighbours_found():
    truth = np.array([[1, 2, 3], [4, -1, -1]])
    assert recall_at_k(np.array([[3, 2, 9], [4, 5, -1]]), truth) == 3 / 4
    assert recall_at_k(truth, truth) == 1.0


def test_analogies_by_work_is_json_ready():
    vectors = random_unit(6, 4)
    ids = [f"w{i}" for i in range(6)]
    results = conditional_neighbours(vectors, {"culture": ["A", "A", "A", "B", "B", None]}, k=2, method="exact")
    out = analogies_by_work(ids, results)
    assert set(out["w0"]["culture"]) == {"A", "B"}
    assert [other for other, _ in out["w0"]["culture"]["A"]] != [] and "w0" not in dict(out["w0"]["culture"]["A"])
    assert len(out["w3"]["culture"]["B"]) == 1  # only one other member
    for other, score in out["w5"]["culture"]["A"]:
        assert isinstance(other, str) and isinstance(score, float)


@pytest.mark.parametrize("method", ["exact", "ann"])
def test_empty_conditions(method):
    assert conditional_neighbours(random_unit(5, 4), {"culture": [None] * 5}, k=3, method=method) == []


def brute_force_reference(vectors: np.ndarray, members: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """A plain numpy oracle for exact_search (argsort of the full similarity matrix), for these tests only."""
    sims = vectors @ vectors[members].T
    sims[members, np.arange(len(members))] = -np.inf
    kk = min(k, len(members))
    order = np.argsort(-sims, axis=1, kind="stable")[:, :kk]
    indices = np.full((len(vectors), k), -1, dtype=np.int64)
    scores = np.full((len(vectors), k), np.nan, dtype=np.float32)
    top = np.take_along_axis(sims, order, axis=1)
    valid = np.isfinite(top)
    indices[:, :kk] = np.where(valid, members[order], -1)
    scores[:, :kk] = np.where(valid, top, np.nan)
    return indices, scores


def test_groups_laid_out_as_runs_give_the_gathered_answer_ties_included():
    """Disjoint groups are read as runs of columns, the others gathered (column_layout); either way the answer
    is the reference's, and a tie goes to the lower row (quarter-step vectors tie often)."""
    from atlas.analysis.neighbours import column_layout

    rng = np.random.default_rng(9)
    vectors = (rng.integers(-2, 3, size=(300, 4)) / 4).astype(np.float32)
    culture = rng.integers(0, 5, 300)  # culture 4 is searched in no group: a copy of the candidates is laid out
    groups = [np.flatnonzero(culture == c) for c in range(4)] + [np.arange(0, 300, 2), np.arange(5, 300, 7)]
    rows, runs = column_layout(groups, np.unique(np.concatenate(groups)))
    assert sorted(runs) == [0, 1, 2, 3] and len(rows) < 300 and sorted(rows.tolist()) == sorted(set(rows.tolist()))
    for g, first in runs.items():
        assert np.array_equal(rows[first : first + len(groups[g])], groups[g])
    for members, (idx, sim) in zip(groups, exact_search_groups(vectors, groups, k=5, block_size=16)):
        ref_idx, ref_sim = brute_force_reference(vectors, members, 5)
        assert np.array_equal(idx, ref_idx) and np.allclose(sim, ref_sim, equal_nan=True)
