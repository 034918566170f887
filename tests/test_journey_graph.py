"""The journey rule's Python reference (atlas.analysis.journey_graph) against a brute-force answer.

The brute force is a different algorithm: dynamic programming over (steps, work, via stage) of the best
weakest step, so it checks the binary search and the breadth-first search, not a copy of them.
"""

from __future__ import annotations

import random
import struct

import numpy as np

from atlas.analysis import journey_graph as jg


def random_graph(n: int, degree: int, seed: int, groups: int = 3) -> jg.JourneyGraph:
    rng = random.Random(seed)
    ids = [f"W{i:04d}" for i in range(n)]
    labels = {"culture": [f"C{rng.randrange(groups)}" for _ in ids], "medium": [f"M{rng.randrange(2)}" for _ in ids]}
    analogies = {}
    for i, w in enumerate(ids):
        others = rng.sample([j for j in range(n) if j != i], degree)
        pairs = sorted(((ids[j], round(rng.uniform(-0.2, 1.0), 4)) for j in others), key=lambda p: -p[1])
        analogies[w] = {"culture": {"C0": pairs}}
    return jg.graph_from_analogies(ids, analogies, labels, k=degree)


def brute_force(graph: jg.JourneyGraph, start: int, end: int, via: list, max_works: int) -> tuple[float, int] | None:
    """(best weakest step, fewest steps for it) by dynamic programming over step counts, or None."""
    width = len(via) + 1

    def advance(stage: int, node: int) -> int:
        if stage < len(via) and int(graph.groups[via[stage][0]][node]) == via[stage][1]:
            return stage + 1
        return stage

    best = {(start, advance(0, start)): np.inf}
    found = []  # (weakest, steps)
    if (end, len(via)) in best:
        return (1.0, 0)
    for steps in range(1, max_works):
        nxt: dict = {}
        for (node, stage), value in best.items():
            targets, scores = graph.edges(node)
            for t, s in zip(targets.tolist(), scores.astype(np.float64).tolist()):
                key = (t, advance(stage, t))
                if t == start or (t == end and key[1] != width - 1):
                    continue  # the start is never entered again, the end only as the last work
                nxt[key] = max(nxt.get(key, -np.inf), min(value, s))
        for key, value in nxt.items():
            best[key] = max(best.get(key, -np.inf), value)
        if (end, width - 1) in nxt:
            found.append((nxt[(end, width - 1)], steps))
    if not found:
        return None
    top = max(v for v, _ in found)
    return top, min(s for v, s in found if v == top)


def brute_force_simple(graph: jg.JourneyGraph, start: int, end: int, via: list, max_works: int) -> float | None:
    """The best weakest step of any chain with no work twice, by walking every such chain (small graphs)."""
    best = None

    def walk(path: list[int], stage: int, weakest: float) -> None:
        nonlocal best
        node = path[-1]
        if node == end and stage == len(via):
            best = weakest if best is None else max(best, weakest)
            return
        if len(path) == max_works or node == end:
            return
        for t, s in zip(*graph.edges(node)):
            if int(t) not in path:
                fld, number = via[stage] if stage < len(via) else (None, None)
                met = stage + 1 if fld and graph.groups[fld][int(t)] == number else stage
                walk(path + [int(t)], met, min(weakest, float(s)))

    fld, number = via[0] if via else (None, None)
    walk([start], 1 if fld and graph.groups[fld][start] == number else 0, 1.0)
    return best


def check(graph, start, end, via, max_works=jg.MAX_WORKS):
    got = jg.find_journey(graph, start, end, via, max_works)
    want = brute_force(graph, start, end, via, max_works)
    if want is None:
        assert got is None
        return got
    assert got is not None and got.path[0] == start and got.path[-1] == end
    assert (got.weakest, len(got.steps)) == want
    for a, b in zip(got.path, got.path[1:]):
        assert b in graph.edges(a)[0].tolist()
    return got


def test_reference_matches_brute_force_on_random_pairs():
    graph = random_graph(60, 3, seed=1)
    rng = random.Random(7)
    answered = 0
    for _ in range(40):
        a, b = rng.randrange(60), rng.randrange(60)
        answered += check(graph, a, b, []) is not None
    assert answered > 20  # most pairs are joined, so the comparison is not all "no path"


def test_via_groups_are_met_in_order():
    graph = random_graph(60, 4, seed=2)
    rng = random.Random(3)
    via = jg.via_numbers(graph, [("culture", "C1"), ("medium", "M0")])
    met = best = 0
    for _ in range(25):
        a, b = rng.randrange(60), rng.randrange(60)
        got = jg.find_journey(graph, a, b, via)
        simple = brute_force_simple(graph, a, b, via, jg.MAX_WORKS)
        if got is None:
            assert simple is None or brute_force(graph, a, b, via, jg.MAX_WORKS) is not None
            continue
        assert len(set(got.path)) == len(got.path), got.path  # no work twice, from and to included
        assert all(b in graph.edges(a)[0].tolist() for a, b in zip(got.path, got.path[1:]))
        assert got.weakest <= simple
        best += got.weakest == simple
        met += 1
        stage = 0
        for node in got.path:
            fld, number = via[stage] if stage < len(via) else (None, None)
            if fld and graph.groups[fld][node] == number:
                stage += 1
        assert stage == len(via)
    assert met > 10
    assert best >= 0.9 * met  # the best simple chain, but where the search at B found none simple


def test_via_never_passes_a_work_twice():
    """The best chain through the via group would pass X twice (A X C X E); the answer is the simple one."""
    ids = ["A", "C", "E", "X", "Y"]
    lists = {"A": {"culture": {"x": [("X", 0.9)]}}, "X": {"culture": {"x": [("C", 0.9), ("E", 0.9)]}},
             "C": {"culture": {"x": [("X", 0.9), ("Y", 0.5)]}}, "Y": {"culture": {"x": [("E", 0.5)]}}}
    labels = {"culture": ["x", "China", "x", "x", "x"]}
    graph = jg.graph_from_analogies(ids, lists, labels, k=5)
    via = jg.via_numbers(graph, [("culture", "China")])
    assert brute_force(graph, 0, 2, via, jg.MAX_WORKS) == (np.float16(0.9), 4)  # A X C X E, not simple
    got = jg.find_journey(graph, 0, 2, via)
    assert [ids[i] for i in got.path] == ["A", "X", "C", "Y", "E"]
    assert got.weakest == np.float16(0.5)
    # nor back to the start: from C the only way on is A itself (A C A E is no journey)
    back = {"A": {"culture": {"x": [("C", 0.9), ("E", 0.9)]}}, "C": {"culture": {"x": [("A", 0.9)]}}}
    graph = jg.graph_from_analogies(["A", "C", "E"], back, {"culture": ["x", "China", "x"]}, k=5)
    assert jg.find_journey(graph, 0, 2, jg.via_numbers(graph, [("culture", "China")])) is None


def test_no_path_and_hop_limit():
    ids = ["A", "B", "C", "D"]
    labels = {"culture": ["x", "x", "y", "y"]}
    chain = {"A": {"culture": {"x": [("B", 0.9)]}}, "B": {"culture": {"y": [("C", 0.8)]}}, "C": {"culture": {"y": [("D", 0.7)]}}}
    graph = jg.graph_from_analogies(ids, chain, labels, k=5)
    assert jg.find_journey(graph, 0, 3).path == (0, 1, 2, 3)
    assert jg.find_journey(graph, 0, 3, max_works=3) is None  # four works needed
    assert jg.find_journey(graph, 3, 0) is None  # edges are directed: D has none
    assert jg.find_journey(graph, 0, 2).steps == (np.float16(0.9), np.float16(0.8))


def test_prefers_the_smoothest_chain_over_the_shortest():
    ids = ["A", "B", "C"]
    lists = {"A": {"culture": {"x": [("B", 0.9), ("C", 0.3)]}}, "B": {"culture": {"x": [("C", 0.85)]}}}
    graph = jg.graph_from_analogies(ids, lists, {"culture": ["x", "x", "x"]}, k=5)
    assert jg.find_journey(graph, 0, 2).path == (0, 1, 2)


def test_shard_bytes_round_trip():
    """read_shard (the reading journey.js does) gives back each work's edges and scores exactly, and the
    best incoming scores; the varints take under 70% of the bytes of int32 indices + float16 scores
    even here (random scores, so big drops between a work's edges; built graphs' are denser)."""
    for seed, degree in ((4, 3), (5, 1), (6, 12)):
        graph = random_graph(300, degree, seed=seed)
        for first, last in ((0, 300), (10, 20), (299, 300), (7, 7)):
            data = jg.shard_bytes(graph, first, last)
            offsets, targets, scores, incoming = jg.read_shard(data, first)
            assert struct.unpack_from("<I", data)[0] == last - first
            for i in range(last - first):  # each work's best incoming score, NaN when nothing points to it
                into = graph.scores[graph.targets == first + i]
                assert (np.isnan(incoming[i]) and len(into) == 0) or incoming[i] == into.max()
            for i in range(last - first):
                want_t, want_s = graph.edges(first + i)
                assert targets[offsets[i]:offsets[i + 1]].tolist() == want_t.tolist()
                assert scores[offsets[i]:offsets[i + 1]].tolist() == want_s.tolist()
        plain = 8 + 6 * int(graph.offsets[-1]) + 6 * 300  # int32 offsets and targets, float16 scores
        assert len(jg.shard_bytes(graph, 0, 300)) < 0.7 * plain  # random scores over [-0.2, 1]: big drops


def test_the_graph_from_analogy_arrays_equals_the_graph_from_lists():
    """graph_from_table (the build's path) against the per-work lists the table gives, on a table with
    ties (scores on a coarse grid), short groups (-1 entries) and a field that is not a condition."""
    from atlas.analysis.analogy_table import AnalogyTable

    rng = np.random.default_rng(5)
    n, k = 300, 6
    ids = [f"T{i:04d}" for i in range(n)]
    groups = [("culture", f"C{g}") for g in range(5)] + [("medium", f"M{g}") for g in range(3)] + [("other", "X")]
    indices = rng.integers(0, n, size=(len(groups), n, k)).astype(np.int32)
    scores = -np.sort(-rng.integers(0, 40, size=indices.shape) / 40.0, axis=2).astype(np.float32)
    indices[1, :, 3:] = -1  # a group smaller than k
    scores[1, :, 3:] = np.nan
    indices[2, 7, :] = -1  # an empty list
    indices[3, 9, 0] = -1  # a list whose first entry is missing
    scores[3, 9, 0] = np.nan
    scores[2, 7, :] = np.nan
    table = AnalogyTable(ids, groups, indices, scores)
    labels = {"culture": [f"C{i % 5}" for i in range(n)], "medium": [None if i % 7 == 0 else f"M{i % 3}" for i in range(n)]}
    fast = jg.graph_from_analogies(ids, table, labels, k=4)
    slow = jg.graph_from_analogies(ids, {w: table[w] for w in ids}, labels, k=4)
    assert fast.offsets.tolist() == slow.offsets.tolist()
    assert fast.targets.tolist() == slow.targets.tolist()
    assert fast.scores.tobytes() == slow.scores.tobytes()
    assert all(fast.groups[f].tolist() == slow.groups[f].tolist() for f in labels)
    assert np.diff(fast.offsets).min() > 4  # the group tops add edges beyond the overall top-k


def test_graph_files_read_back_with_titles_in_smaller_pieces(tmp_path):
    """The edges in shards of 16 works, the titles in pieces of 5 (META_SIZE's role): the files read back
    into the same graph and ids, and the manifest says where each piece starts."""
    import json

    from atlas.site.journeys import GRAPH_DIR, graph_outputs
    from tests.journey_support import read_graph

    graph = random_graph(40, 4, seed=8)
    ids = [f"W{i:04d}" for i in range(40)]
    rows = [[w, f"Work {w}", "", w.lower()] for w in ids]
    for out in graph_outputs(graph, rows, 16, jg.MAX_WORKS, 64, meta_size=5):
        (tmp_path / out.path.removeprefix(GRAPH_DIR)).write_bytes(out.data)
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert (manifest["shards"], manifest["shard_size"], manifest["meta_size"]) == (3, 16, 5)
    assert manifest["first_ids"] == ids[::5] and not (tmp_path / "8.json").exists()
    back, back_ids = read_graph(tmp_path)
    assert back_ids == ids
    assert back.offsets.tolist() == graph.offsets.tolist() and back.targets.tolist() == graph.targets.tolist()
    assert back.scores.tobytes() == graph.scores.tobytes()
