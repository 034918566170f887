"""The journey graph, and the journey rule the browser follows on it (this is its Python reference).

A journey is a chain of works from one work to another in which each step is a visual analogy. The graph
is made from the neighbours stage's analogies, so no new search runs: each work keeps its overall top-k
(the k most similar works of all the analogy lists: exact whenever every work has a culture, since a work's
overall k nearest each sit in the top-k of their own culture) and its top-1 in every group. Edges are
directed (a work's own lists), sorted by score (highest first, then index), with int32 indices and float16
scores, written in shards of `shard_size` consecutive works (works are sorted by id) as varints (shard_bytes:
the same numbers in about half the bytes), so the browser fetches only the shards of the works a search walks.

The rule (assets/journey.js follows it step for step, and the tests compare the two):
  * the best journey maximises its weakest step's similarity (= minimises the largest step), then has the
    fewest steps, with at most `max_works` works;
  * `via` names groups ((field, group) pairs) the chain must pass through in order: a state is (work, how
    many via groups are met so far), and entering a work of the next wanted group meets it (the start
    work counts too); the start is never entered again, and the end only as the last work;
  * the weakest-step value B is the best weakest step of any such chain; it is one of the finite float16
    values (scores are float16), found here from the top down (find_journey: feasible(t) = a breadth-first
    search over the edges scoring >= t reaches the end within max_works - 1 steps) and in journey.js by a
    best-first search: the same value;
  * the answer is the breadth-first search at t = B, whose frontier is walked in discovery order and each
    work's edges in stored order, the first discovery of a state naming its parent. With via groups that
    search is simple: no work twice in a chain (a step to a work already on the chain that reached the
    state is not taken); where it finds nothing at B, the thresholds 1, 2, 4, ... values below B are tried
    in turn. So the result is fully determined by the graph, and two implementations that agree on this
    text agree on it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from atlas.analysis.analogy_table import DECIMALS, AnalogyTable

MAX_WORKS = 8  # a journey shows at most this many works (7 steps)
NO_GROUP = 0xFFFF  # a work outside every group of a field (uint16 in groups.bin)


@dataclass(frozen=True)
class JourneyGraph:
    """Directed graph over works 0..n-1 in compressed-row form; scores are float16."""

    offsets: np.ndarray  # (n + 1,) int64: the edges of work i are offsets[i]:offsets[i + 1]
    targets: np.ndarray  # (E,) int32
    scores: np.ndarray  # (E,) float16
    groups: dict[str, np.ndarray]  # field -> (n,) uint16 group number (NO_GROUP: none)
    group_names: dict[str, list[str]]  # field -> names, sorted; the numbers index them

    @property
    def size(self) -> int:
        return len(self.offsets) - 1

    def edges(self, node: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.offsets[node], self.offsets[node + 1]
        return self.targets[lo:hi], self.scores[lo:hi]


@dataclass(frozen=True)
class Journey:
    """The answer: the works in order (indices) and each step's similarity (float16 values, as floats)."""

    path: tuple[int, ...]
    steps: tuple[float, ...]

    @property
    def weakest(self) -> float:
        return min(self.steps) if self.steps else 1.0


def graph_from_analogies(ids: list[str], analogies, labels: dict[str, list[str | None]], k: int) -> JourneyGraph:
    """The journey graph of the works `ids` (sorted, as published) from the neighbours stage's
    {work: {field: {group: [(id, similarity), ...]}}}: overall top-k plus the top-1 of every group.
    `labels` ({field: [group of each work, or None]}) number the groups a `via` may name. An AnalogyTable
    over the same ids (the build's) is read as arrays (graph_from_table): the same graph, ~100x faster."""
    if isinstance(analogies, AnalogyTable) and list(analogies.ids) == list(ids) and _fits_table(analogies):
        return graph_from_table(analogies, labels, k)
    index = {w: i for i, w in enumerate(ids)}
    rows = [_edges(i, analogies.get(work, {}), index, labels, k) for i, work in enumerate(ids)]
    counts = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    sources = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    targets = np.fromiter((j for r in rows for j, _ in r), dtype=np.int64, count=len(sources))
    scores = np.fromiter((v for r in rows for _, v in r), dtype=np.float64, count=len(sources))
    return _assemble(len(ids), sources, targets, scores, labels)


def graph_from_table(table: AnalogyTable, labels: dict[str, list[str | None]], k: int, chunk: int = 8192) -> JourneyGraph:
    """graph_from_analogies read from the analogy arrays, a block of works at a time: the same edges
    (scores rounded as the table's lists round them, so the same float16 values and ties)."""
    layers = [g for g, (fld, _) in enumerate(table.groups) if fld in labels]
    n = len(table.ids)
    parts = []
    for lo in range(0, n, chunk):
        hi = min(lo + chunk, n)
        idx = table.indices[layers, lo:hi].astype(np.int64)  # (G, works, k)
        steps = np.rint(table.scores[layers, lo:hi].astype(np.float64) * 10**DECIMALS)  # rounded, as integers
        parts.append(_table_edges(idx, steps, lo, k))
    sources, targets, scores = (np.concatenate([p[i] for p in parts]) if parts else np.zeros(0) for i in range(3))
    return _assemble(n, sources.astype(np.int64), targets.astype(np.int64), scores.astype(np.float64), labels)


def _fits_table(table: AnalogyTable) -> bool:
    """Whether _table_edges' packed sort keys hold the table: indices under 2^31, |scores| under 3.2767."""
    finite = table.scores[np.isfinite(table.scores)]
    return len(table.ids) < 2**31 and (finite.size == 0 or float(np.abs(finite).max()) * 10**DECIMALS < TOP)


TOP = 2**15 - 1  # a rounded score q (an integer, |q| < TOP) is packed as TOP - q: 16 bits, falling scores rising


def _table_edges(idx: np.ndarray, steps: np.ndarray, lo: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(source, target, score) of works lo.. of one block (at most 8,192): each work's k best others over
    all its lists (ranked by score, then index) and the first of every list, as _edges makes them. Sorted
    as packed int64 keys (block row: 13 bits, target: 31, TOP - score: 16), far faster than lexsort."""
    works = idx.shape[1]
    rows = np.broadcast_to(np.arange(works)[None, :, None], idx.shape)
    ok = (idx >= 0) & (idx != rows + lo) & np.isfinite(steps)
    row, j, down = rows[ok].astype(np.int64), idx[ok], (TOP - steps[ok]).astype(np.int64)
    key = np.sort((row << 47) | (j << 16) | down)  # per (work, other): the best score first
    best = np.r_[True, (key[1:] >> 16) != (key[:-1] >> 16)] if len(key) else np.zeros(0, bool)
    key = key[best]
    row, j, down = key >> 47, (key >> 16) & (2**31 - 1), key & 0xFFFF
    key = np.sort((row << 47) | (down << 31) | j)  # per work: highest score, then index
    row, down, j = key >> 47, (key >> 31) & 0xFFFF, key & (2**31 - 1)
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]]) if len(row) else np.zeros(0, np.int64)
    keep = np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)])) < k
    valid = idx >= 0  # the first of every list: its first entry that is not -1
    head = np.take_along_axis(idx, valid.argmax(axis=2)[:, :, None], axis=2)[:, :, 0]
    source = np.broadcast_to(np.arange(works)[None, :], head.shape)
    tops = valid.any(axis=2) & (head != source + lo)
    keep |= np.isin((row << 31) | j, np.unique((source[tops].astype(np.int64) << 31) | head[tops]))
    return row[keep] + lo, j[keep], (TOP - down[keep]) / 10**DECIMALS


def _assemble(n: int, sources: np.ndarray, targets: np.ndarray, scores: np.ndarray,
              labels: dict[str, list[str | None]]) -> JourneyGraph:
    """The compressed-row graph of edges (source, target, float64 score), each work's edges by score then index."""
    scores = scores.astype(np.float16)
    order = np.lexsort((targets, -scores.astype(np.float64), sources))  # per work: highest score, then index
    counts = np.bincount(sources, minlength=n).astype(np.int64) if len(sources) else np.zeros(n, np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(counts)
    targets, scores = targets[order].astype(np.int32), scores[order]
    names = {fld: sorted({v for v in values if v}) for fld, values in labels.items()}
    if any(len(n) >= NO_GROUP for n in names.values()):
        raise ValueError("more than 65,534 groups in one field: the journey graph numbers them in 16 bits")
    groups = {}
    for fld, values in labels.items():
        number = {name: i for i, name in enumerate(names[fld])}
        groups[fld] = np.array([number[v] if v else NO_GROUP for v in values], dtype=np.uint16)
    return JourneyGraph(offsets, targets, scores, groups, names)


def _edges(me: int, lists: dict, index: dict[str, int], labels: dict, k: int) -> list[tuple[int, float]]:
    """One work's edges, (index, similarity), unordered: its k best overall and the first of every list."""
    ranked_lists = [pairs for fld in labels for _, pairs in sorted(lists.get(fld, {}).items())]
    best: dict[int, float] = {}
    for pairs in ranked_lists:
        for other, score in pairs:
            j = index.get(other)
            if j is not None and j != me:
                best[j] = max(best.get(j, -2.0), float(score))
    keep = set(sorted(best, key=lambda j: (-best[j], j))[:k])
    keep |= {index[p[0][0]] for p in ranked_lists if p and index.get(p[0][0], me) != me}
    return [(j, best[j]) for j in keep]


# -- the rule ------------------------------------------------------------------------------------------
def float16_values() -> np.ndarray:
    """Every finite float16 value once, ascending, as float64 (journey.js builds the same list)."""
    values = np.arange(65536, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float64)
    return np.unique(values[np.isfinite(values)])


def via_numbers(graph: JourneyGraph, via: list[tuple[str, str]]) -> list[tuple[str, int]]:
    """[(field, group number)], KeyError naming the first (field, group) the graph does not have."""
    out = []
    for fld, group in via:
        names = graph.group_names.get(fld)
        if names is None or group not in names:
            raise KeyError(f"{fld}:{group}")
        out.append((fld, names.index(group)))
    return out


def _advance(graph: JourneyGraph, via: list[tuple[str, int]], stages: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """The via stage after entering `nodes` from `stages`: one more where the node is in the next wanted group."""
    out = stages.copy()
    for number, (fld, group) in enumerate(via):
        out[(stages == number) & (graph.groups[fld][nodes] == group)] = number + 1
    return out


def search(graph: JourneyGraph, start: int, end: int, via: list[tuple[str, int]], threshold: float,
           max_works: int = MAX_WORKS, simple: bool = False) -> list[int] | None:
    """Breadth-first over (work, via stage) states along edges scoring >= threshold; the path to the first
    discovery of (end, all via met) within max_works - 1 steps, or None (see the module docstring). The
    start is never entered again, and the end only as the last work. `simple`: a step to a work already on
    the chain that reached the current state is not taken, so no work appears twice.

    Each layer is expanded at once with numpy, in the order a one-by-one walk takes (frontier in discovery
    order, each work's edges in stored order), keeping each new state's first discovery."""
    width = len(via) + 1  # a state is node * width + stage
    stage0 = int(_advance(graph, via, np.zeros(1, np.int64), np.array([start]))[0])
    goal = end * width + len(via)
    first = start * width + stage0
    if first == goal:
        return [start]
    if start == end:
        return None  # the start is never entered again
    parent = {first: -1}
    frontier = np.array([first], dtype=np.int64)
    chains = np.array([[start]], dtype=np.int64)  # each frontier state's works, from the start
    for _ in range(max_works - 1):
        nodes, stages = frontier // width, frontier % width
        lo, counts = graph.offsets[nodes], graph.offsets[nodes + 1] - graph.offsets[nodes]
        source = np.repeat(np.arange(len(nodes)), counts)
        edge = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts) + np.repeat(lo, counts)
        other = graph.targets[edge].astype(np.int64)
        states = other * width + _advance(graph, via, stages[source], other)
        keep = (graph.scores[edge].astype(np.float64) >= threshold) & (other != start) & ((other != end) | (states == goal))
        if simple:
            keep &= ~(chains[source] == other[:, None]).any(axis=1)
        source, other, states = source[keep], other[keep], states[keep]
        _, at = np.unique(states, return_index=True)
        at = np.sort(at)
        fresh = [i for i in at.tolist() if int(states[i]) not in parent]
        for i in fresh:
            parent[int(states[i])] = int(frontier[source[i]])
        if goal in parent:
            return _unwind(parent, goal, width)
        if not fresh:
            return None
        frontier = states[fresh]
        chains = np.concatenate([chains[source[fresh]], other[fresh][:, None]], axis=1)
    return None


def _unwind(parent: dict[int, int], state: int, width: int) -> list[int]:
    path = []
    while state != -1:
        path.append(state // width)
        state = parent[state]
    return path[::-1]


def find_journey(graph: JourneyGraph, start: int, end: int, via: list[tuple[str, int]] | None = None,
                 max_works: int = MAX_WORKS) -> Journey | None:
    """The journey from `start` to `end` by the rule of the module docstring, or None when no chain of at
    most max_works works exists (through the via groups, in order).

    B is searched from the top, so that the first searches, at high thresholds, walk few works: every chain
    starts with one of the start's edges and ends with one of the end's incoming edges (best_in), so any
    threshold above the lesser of the two best fails; thresholds below that are tried at 1, 2, 4, ...
    float16 values down until one succeeds, then the gap is halved. A search that succeeds at t finds a
    chain whose weakest step w >= t, so w is feasible too and becomes the lower end. (journey.js finds the
    same B by a best-first search instead: fewer works walked in the browser.)

    The chain is the breadth-first search's at B, made simple when there are via groups (see search); where
    no simple chain is found at B, the thresholds 1, 2, 4, ... values below B are tried in turn and the
    first chain found is the answer, so a via journey may settle for a weaker step than B."""
    via = via or []
    values = float16_values()
    if search(graph, start, end, via, values[-1], max_works) == [start]:
        return Journey((start,), ())  # the start already is the end, every via group met
    bound = min(float(graph.edges(start)[1].max(initial=-np.inf)), float(best_in(graph)[end]))
    if start == end or np.isnan(bound) or bound == -np.inf:
        return None  # the start is never entered again; it has no edge; or no edge leads to the end
    best = best_index(graph, start, end, via, max_works, values, bound)
    if best is None:
        return None
    path = search(graph, start, end, via, values[best], max_works, simple=bool(via))
    at, gap = best, 1
    while path is None and at > 0:
        at = max(best - gap, 0)
        path = search(graph, start, end, via, values[at], max_works, simple=True)
        gap *= 2
    if path is None:
        return None
    return Journey(tuple(path), tuple(_step(graph, a, b) for a, b in zip(path, path[1:])))


def best_index(graph: JourneyGraph, start: int, end: int, via: list[tuple[str, int]], max_works: int,
               values: np.ndarray, bound: float) -> int | None:
    """The index in `values` of B, the best weakest step of any chain (not necessarily simple), or None."""
    hi = int(np.searchsorted(values, bound, side="right"))  # values[hi] and above: infeasible
    lo, gap = None, 1
    while lo is None:
        at = max(hi - gap, 0)
        path = search(graph, start, end, via, values[at], max_works)
        if path is not None:
            lo = _weakest_index(graph, path, values)
        elif at == 0:
            return None
        else:
            hi, gap = at, gap * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        path = search(graph, start, end, via, values[mid], max_works)
        if path is not None:
            lo = _weakest_index(graph, path, values)
        else:
            hi = mid
    return lo


def best_in(graph: JourneyGraph) -> np.ndarray:
    """Each work's best incoming edge score (float16; NaN when no edge leads to it): written in the shards,
    so a journey to a work nothing points to is known to have no chain at once."""
    out = np.full(graph.size, -np.inf)
    np.maximum.at(out, graph.targets.astype(np.int64), graph.scores.astype(np.float64))
    out[out == -np.inf] = np.nan
    return out.astype(np.float16)


def _weakest_index(graph: JourneyGraph, path: list[int], values: np.ndarray) -> int:
    weakest = min(_step(graph, a, b) for a, b in zip(path, path[1:]))
    return int(np.searchsorted(values, weakest))


def _step(graph: JourneyGraph, a: int, b: int) -> float:
    targets, scores = graph.edges(a)
    return float(scores[int(np.flatnonzero(targets == b)[0])])


# -- files ---------------------------------------------------------------------------------------------
def shard_bytes(graph: JourneyGraph, first: int, last: int, incoming: np.ndarray | None = None) -> bytes:
    """Works first..last-1 as one little-endian binary shard, ~half the bytes of plain int32 + float16:
    a header of four uint32 (works, edges, bytes of the degrees, bytes of the targets), each work's best
    incoming score as float16 (NaN: none), then three runs of unsigned LEB128 varints: each work's number
    of edges; each edge's target as a zigzag delta from its source; each edge's score as its rank among
    the finite float16 values (float16_values), the first of a work's edges as it is, the others as the
    drop from the edge before (edges are stored highest score first, so drops are >= 0 and small).
    Lossless: read_shard gives back the same targets and float16 scores. `incoming` is best_in(graph),
    passed in when writing many shards."""
    lo, hi = int(graph.offsets[first]), int(graph.offsets[last])
    incoming = best_in(graph) if incoming is None else incoming
    degrees = np.diff(graph.offsets[first : last + 1]).astype(np.int64)
    sources = np.repeat(np.arange(first, last, dtype=np.int64), degrees)
    delta = graph.targets[lo:hi].astype(np.int64) - sources
    ranks = np.searchsorted(float16_values(), graph.scores[lo:hi].astype(np.float64)).astype(np.int64)
    heads = np.zeros(hi - lo, dtype=bool)
    heads[(np.cumsum(degrees) - degrees)[degrees > 0]] = True
    drops = np.where(heads, ranks, np.r_[0, ranks[:-1]] - ranks)
    parts = [_varints(degrees), _varints((delta << 1) ^ (delta >> 63)), _varints(drops)]
    head = struct.pack("<IIII", last - first, hi - lo, len(parts[0]), len(parts[1]))
    return head + incoming[first:last].astype("<f2").tobytes() + b"".join(parts)


def _varints(values: np.ndarray) -> bytes:
    """Non-negative integers (< 2^35) as unsigned LEB128: 7 bits a byte, low bits first, high bit = more."""
    values = values.astype(np.uint64)
    lengths = np.ones(len(values), dtype=np.int64)
    for bits in (7, 14, 21, 28):
        lengths += values >= (1 << bits)
    out = np.zeros(int(lengths.sum()), dtype=np.uint8)
    at = np.cumsum(lengths) - lengths
    for byte in range(5):
        has = lengths > byte
        chunk = (values[has] >> np.uint64(7 * byte)) & np.uint64(0x7F)
        more = (lengths[has] > byte + 1).astype(np.uint64) << np.uint64(7)
        out[at[has] + byte] = (chunk | more).astype(np.uint8)
    return out.tobytes()


def read_shard(data: bytes, first: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(offsets from 0, targets int32, scores float16, best incoming float16) of a shard whose first work
    is `first`: shard_bytes read back, as assets/journey.js reads it (a plain loop: for tests and tools)."""
    count, edges, len_degrees, len_targets = struct.unpack_from("<IIII", data)
    incoming = np.frombuffer(data, "<f2", count, 16)
    at = 16 + 2 * count
    degrees = _read_varints(data[at:at + len_degrees])
    zigzag = _read_varints(data[at + len_degrees:at + len_degrees + len_targets])
    drops = _read_varints(data[at + len_degrees + len_targets:])
    offsets = np.r_[0, np.cumsum(degrees)].astype(np.int64)
    row = np.repeat(np.arange(count), degrees)
    targets = (row + first + np.where(zigzag % 2 == 1, -(zigzag + 1) // 2, zigzag // 2)).astype(np.int32)
    starts = offsets[:-1][row]  # each edge's row's first edge
    falls = np.cumsum(np.where(np.arange(edges) == starts, 0, drops))
    ranks = drops[starts] - (falls - falls[starts])
    return offsets, targets, float16_values()[ranks].astype(np.float16), incoming


def _read_varints(data: bytes) -> np.ndarray:
    out, value, shift = [], 0, 0
    for byte in data:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            out.append(value)
            value, shift = 0, 0
    return np.array(out, dtype=np.int64)


def groups_bytes(graph: JourneyGraph) -> bytes:
    """Every work's group number per field (fields in sorted order), uint16 little-endian: read only for via."""
    return b"".join(graph.groups[fld].astype("<u2").tobytes() for fld in sorted(graph.groups))
