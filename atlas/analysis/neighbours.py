"""Stage 3: conditional nearest neighbours, "the Chinese ceramic closest to this Dutch painting".

For every work and every group (each culture, each medium), the k most similar works *within that group*,
the work itself excluded. The reference is an exact, blocked brute-force search in torch (a matrix
multiply per block of queries, so memory stays bounded and a GPU is used when there is one); groups of
at least `ann_min_group` works use a pynndescent index instead when the method is `auto` or `ann`. An
approximate group is checked against the exact answer on a sample of queries before it is used: below
recall@k 0.98 its search is widened, and if that is not enough the group is searched exactly, so the
approximate path never trades away more than 2% of the true neighbours. Vectors are unit length, so cosine
similarity is a dot product.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from atlas.core.typed import JsonData

# pynndescent settings: 30-NN graph, 0.2 search slack. On uniform random 16-d unit vectors (the hardest
# case: no cluster structure) this gives recall@10 of 0.98 against exact search (tests/test_neighbours.py).
ANN_GRAPH_NEIGHBOURS = 30
ANN_EPSILON = 0.2
# The recall an approximate group must reach on ANN_CHECK_QUERIES sampled queries; the search slack is
# widened through ANN_EPSILONS until it does, and the group is searched exactly if none does.
ANN_RECALL_TARGET = 0.98
ANN_EPSILONS = (ANN_EPSILON, 0.4, 0.8)
ANN_CHECK_QUERIES = 300

# exact_search_groups' signature: (vectors, groups, k, block_size, device) -> [(indices, scores)] per group.
ExactSearch = Callable[..., list[tuple[np.ndarray, np.ndarray]]]


@dataclass
class GroupNeighbours:
    """Top-k within one group for every query. Rows follow the global vector order.

    `indices[i, j]` is the global index of the j-th closest member of the group to work i (-1 when the
    group has fewer than j+1 other members); `scores[i, j]` its cosine similarity.
    """

    field: str  # "culture" or "medium"
    group: str
    method: str  # "exact" or "ann"
    indices: np.ndarray  # (N, k) int64
    scores: np.ndarray  # (N, k) float32
    device: str = "cpu"  # where the exact search ran
    note: str = ""  # for a group that was meant to be approximate: its checked recall, or why it went exact


def group_members(labels: list[str | None]) -> dict[str, np.ndarray]:
    """{group: sorted global indices}, groups sorted by name; None labels belong to no group."""
    members: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        if label is not None:
            members.setdefault(label, []).append(i)
    return {g: np.asarray(members[g], dtype=np.int64) for g in sorted(members)}


# Multiply-adds (queries x group size x dimensions) an exact search of one group may cost on the CPU before
# `auto` hands that group to pynndescent: 2e13 is about 15 minutes at the ~45 GFLOP/s two cores reach
# (benchmarks/README.md). Below it exact is both faster and right: at 10k works x 2,048-d it took 47 s
# for all 30 groups where pynndescent took 284 s and reached recall@10 0.96 (0.65 in the largest group).
EXACT_BUDGET = 2e13


def choose_method(
    method: str, group_size: int, ann_min_group: int, device: str = "cpu", queries: int = 0, dim: int = 0,
    exact_budget: float = EXACT_BUDGET,
) -> str:
    """`auto`: exact on a GPU (a matrix multiply there beats any index); on the CPU exact unless the group
    has at least ann_min_group members and searching it exactly would cost more than exact_budget
    multiply-adds (queries x group_size x dim), then pynndescent."""
    if method != "auto":
        return method
    if device != "cpu" or group_size < ann_min_group:
        return "exact"
    return "ann" if queries * group_size * dim > exact_budget else "exact"


def conditional_neighbours(
    vectors: np.ndarray,
    conditions: dict[str, list[str | None]],
    k: int,
    method: str = "auto",
    ann_min_group: int = 20000,
    block_size: int = 4096,
    device: str = "cpu",
    seed: int = 0,
    exact_budget: float = EXACT_BUDGET,
    exact: ExactSearch | None = None,
) -> list[GroupNeighbours]:
    """Neighbours of every vector within every group of every condition (e.g. culture, medium).

    All exactly-searched groups of all conditions share one matrix multiply per block of queries: each
    work is in one culture and one medium, so this halves the arithmetic against searching each group
    on its own. `exact` replaces exact_search_groups for that shared search (engine.kind: ray sends it to
    a cluster, atlas.analysis.ray_neighbours); the result must be the same."""
    plan = [
        (field_name, group, members,
         choose_method(method, len(members), ann_min_group, device, len(vectors), vectors.shape[1], exact_budget))
        for field_name, labels in conditions.items()
        for group, members in group_members(labels).items()
    ]
    exact_found = (exact or exact_search_groups)(vectors, [m for _, _, m, how in plan if how == "exact"], k,
                                                 block_size, device)
    results = []
    for field_name, group, members, chosen in plan:
        if chosen == "ann":
            idx, sim, chosen, note = checked_ann_search(vectors, members, k, seed, block_size, device)
        else:
            (idx, sim), note = exact_found.pop(0), ""
        results.append(GroupNeighbours(field_name, group, chosen, idx, sim, device, note))
    return results


def checked_ann_search(
    vectors: np.ndarray, members: np.ndarray, k: int, seed: int = 0, block_size: int = 4096, device: str = "cpu",
    query_rows: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, str, str]:
    """pynndescent over one group, used only at recall@k >= ANN_RECALL_TARGET on a sample of queries.

    The sample's exact answer costs ANN_CHECK_QUERIES / N of an exact search. Each search slack in
    ANN_EPSILONS is tried on the sample until one reaches the target; then every query (all rows, or
    `query_rows`) is answered with it. When none does, the group is searched exactly.
    Returns (indices, scores, method, note)."""
    queries = np.arange(len(vectors)) if query_rows is None else np.asarray(query_rows, dtype=np.int64)
    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(queries, min(ANN_CHECK_QUERIES, len(queries)), replace=False))
    truth, _ = exact_search_groups(vectors, [members], k, block_size, device, query_rows=sample)[0]
    index = _ann_index(vectors, members, k, seed)
    for epsilon in ANN_EPSILONS:
        found, _ = _ann_query(index, vectors, members, k, epsilon, sample)
        recall = recall_at_k(found, truth)
        if recall >= ANN_RECALL_TARGET:
            idx, sim = _ann_query(index, vectors, members, k, epsilon, queries)
            return idx, sim, "ann", f"recall@{k} {recall:.3f} on {len(sample)} sampled queries (epsilon {epsilon})"
    idx, sim = exact_search_groups(vectors, [members], k, block_size, device, query_rows=query_rows)[0]
    return idx, sim, "exact", (f"searched exactly: pynndescent reached recall@{k} {recall:.3f} < {ANN_RECALL_TARGET} "
                               f"on {len(sample)} sampled queries at epsilon {ANN_EPSILONS[-1]}")


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Share of the true neighbours (truth >= 0) that `found` has, row by row (both (n, k), -1 padded)."""
    hits = sum(len(set(f[f >= 0]) & set(t[t >= 0])) for f, t in zip(found, truth))
    wanted = int((truth >= 0).sum())
    return hits / wanted if wanted else 1.0


@dataclass(frozen=True)
class SearchSummary(JsonData):
    """How one group was searched."""

    field: str
    group: str
    method: str  # exact | ann
    device: str
    works: int
    note: str = ""  # how a group meant for pynndescent was checked, and the path it took


@dataclass(frozen=True)
class Neighbours(JsonData):
    """The neighbours stage's output: each work's analogies per condition and group, and how each group
    was searched."""

    analogies: dict  # {work id: {field: {group: [[neighbour id, similarity], ...]}}}
    searches: tuple[SearchSummary, ...]


def search_summary(results: list[GroupNeighbours]) -> tuple[SearchSummary, ...]:
    """How each group was searched (the build caches these with the analogies)."""
    return tuple(SearchSummary(r.field, r.group, r.method, r.device, len(r.indices), r.note or "") for r in results)


def describe_search(searches: tuple[SearchSummary, ...]) -> str:
    """One line for the build summary and the about page: which path the search took, and where."""
    if not searches:
        return "neighbour search: no groups to search"
    works, device = searches[0].works, searches[0].device
    ann = sorted(f"{s.field}:{s.group}" for s in searches if s.method == "ann")
    widened = [s for s in searches if s.method == "exact" and s.note]  # pynndescent fell short
    exact = len(searches) - len(ann) - len(widened)
    how = f"exact on {device} (one float32 matrix multiply per block of works, shared by {exact} groups, then top-k)"
    if ann:
        shown = ", ".join(ann[:5]) + (", ..." if len(ann) > 5 else "")
        how = (f"pynndescent (approximate, recall@k checked >= {ANN_RECALL_TARGET} on a sample) for {len(ann)} "
               f"large groups ({shown})" + (f"; {how} for the other {exact}" if exact else ""))
    line = f"neighbour search over {works:,} works: {how}"
    if widened:
        line += (f"; {len(widened)} large groups searched exactly because pynndescent stayed below recall@k "
                 f"{ANN_RECALL_TARGET} on a sample")
    return line


def exact_search(
    vectors: np.ndarray, members: np.ndarray, k: int, block_size: int = 4096, device: str = "cpu"
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k among `members` for every row of `vectors`, excluding each row itself."""
    return exact_search_groups(vectors, [members], k, block_size, device)[0]


# Similarity-matrix elements per block of queries (256 MB of float32 on the CPU, 1 GB on a GPU): rows per
# block are cut to fit, so 100k or 1M candidates never need the whole N x N matrix. At 100k candidates a
# CPU block is 671 queries; 1,342 (512 MB) was faster still but took the build past 4 GB (issue 20).
BLOCK_ELEMENTS = {"cpu": 1 << 26, "cuda": 1 << 28}


def query_step(candidates: int, block_size: int, device: str) -> int:
    """Queries per matrix multiply in exact_search_groups against `candidates` rows. A split of the queries
    into pieces that are multiples of it (atlas.analysis.ray_neighbours) multiplies the very same blocks."""
    return max(1, min(block_size, BLOCK_ELEMENTS.get(device.split(":")[0], 1 << 26) // max(candidates, 1)))


def search_candidates(groups: list[np.ndarray]) -> int:
    """How many rows exact_search_groups multiplies every query against: those in any group."""
    return len(np.unique(np.concatenate(groups))) if groups else 0


def _read_only_tensor(array: np.ndarray, device: str):
    """torch.from_numpy of an array this search only reads. The build's vectors are read-only once centred
    (atlas.build), and torch warns about any array it cannot write to, though nothing here writes to it."""
    import torch

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The given NumPy array is not writable", category=UserWarning)
        return torch.from_numpy(array).to(device)


def exact_search_groups(
    vectors: np.ndarray,
    groups: list[np.ndarray],
    k: int,
    block_size: int = 4096,
    device: str = "cpu",
    query_rows: np.ndarray | None = None,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Exact top-k within each group for every row of `vectors` (or only `query_rows`), the row itself excluded.

    One float32 matrix multiply of a block of queries against every row that is in any group, then per
    group torch.topk on its columns; no Python loop runs per query. `vectors` may be a memory map: only one
    block of queries is read at a time. When only some rows are candidates (a copy of them is made anyway),
    they are laid out so that a family of disjoint groups (the cultures, say) each fill a run of columns, read
    as a slice, and only the other groups are gathered; when every row is one, the matrix is used as it is
    and each group gathered (a laid-out copy would double the vectors' memory)."""
    import torch

    queries = np.arange(len(vectors)) if query_rows is None else np.asarray(query_rows, dtype=np.int64)
    n = len(queries)
    out = [(np.full((n, k), -1, dtype=np.int64), np.full((n, k), np.nan, dtype=np.float32)) for _ in groups]
    if not groups or n == 0:
        return out
    rows = np.unique(np.concatenate(groups))
    everyone = len(rows) == len(vectors)
    if everyone:  # the matrix as it is: a laid-out copy would be 800 MB at 100k x 2,048 beside the memory map
        runs = {g: 0 for g, members in enumerate(groups) if np.array_equal(members, rows)}
    else:
        rows, runs = column_layout(groups, rows)
    position = np.full(len(vectors), -1, dtype=np.int64)
    position[rows] = np.arange(len(rows))
    base = _read_only_tensor(np.ascontiguousarray(vectors if everyone else vectors[rows], dtype=np.float32), device)
    columns = [None if g in runs else torch.from_numpy(position[groups[g]]).to(device) for g in range(len(groups))]
    members = [torch.from_numpy(g).to(device) for g in groups]
    step = query_step(len(rows), block_size, device)
    for start in range(0, n, step):
        stop = min(start + step, n)
        chunk = queries[start:stop]
        block = vectors[start:stop] if query_rows is None else vectors[chunk]
        query = _read_only_tensor(np.ascontiguousarray(block, dtype=np.float32), device)
        sims = query @ base.T
        own = position[chunk]
        hit = np.flatnonzero(own >= 0)
        sims[torch.from_numpy(hit).to(device), torch.from_numpy(own[hit]).to(device)] = float("-inf")
        for g, (indices, scores) in enumerate(out):
            kk = min(k, len(groups[g]))
            if kk == 0:
                continue
            first = runs.get(g)
            sub = sims.narrow(1, first, len(groups[g])) if first is not None else sims.index_select(1, columns[g])
            top_sim, top_pos = canonical_topk(sub, kk)
            valid = torch.isfinite(top_sim)
            indices[start:stop, :kk] = torch.where(valid, members[g][top_pos], -1).cpu().numpy()
            scores[start:stop, :kk] = torch.where(valid, top_sim, float("nan")).cpu().numpy()
    return out


def column_layout(groups: list[np.ndarray], candidates: np.ndarray) -> tuple[np.ndarray, dict[int, int]]:
    """(the `candidates` (every row in any group) in column order, {group: its first column}) for
    exact_search_groups: the groups
    disjoint from every earlier such group, each one's members (ascending, as given) in a run of columns, then
    the rows of no such group, ascending. Within a run columns follow the members' order, so canonical_topk's
    ties (the lower column first) still go to the lower row."""
    taken = np.zeros(0, dtype=np.int64)
    runs: dict[int, int] = {}
    parts, first = [], 0
    for g, members in enumerate(groups):
        members = np.asarray(members, dtype=np.int64)
        if len(members) == 0 or np.any(members[1:] <= members[:-1]) or np.isin(members, taken).any():
            continue  # empty, not strictly ascending, or overlapping a run already laid out
        runs[g] = first
        parts.append(members)
        taken = np.union1d(taken, members)
        first += len(members)
    rest = np.setdiff1d(candidates, taken)
    return np.concatenate(parts + [rest]).astype(np.int64), runs


def canonical_topk(sims, kk: int):
    """torch.topk, made canonical: best first, ties broken by the lower column (= the lower global index,
    members being sorted), and a tie at the k-th place resolved the same way. torch.topk orders and picks
    tied values as its kernel happens to; the incremental update (atlas.analysis.incremental) must give
    exactly what a full search gives, so both follow this one rule. Rows with a tie across the k-th place
    (seen as a (k+1)-th value equal to the k-th; rare with real vectors) are sorted whole; the rest only sort
    their k results."""
    import torch

    extra = min(kk + 1, sims.shape[1])  # one more than wanted: a tie across the k-th place shows as equal values
    top_sim, top_pos = torch.topk(sims, extra, dim=1)
    tied = torch.nonzero(top_sim[:, kk - 1] == top_sim[:, -1]).flatten() if extra > kk else top_sim[:0, 0].long()
    top_sim, top_pos = top_sim[:, :kk], top_pos[:, :kk]
    by_pos = torch.argsort(top_pos, dim=1)
    top_pos, top_sim = top_pos.gather(1, by_pos), top_sim.gather(1, by_pos)
    order = torch.sort(top_sim, dim=1, descending=True, stable=True).indices
    top_pos, top_sim = top_pos.gather(1, order), top_sim.gather(1, order)
    if len(tied):
        whole_sim, whole_pos = torch.sort(sims.index_select(0, tied), dim=1, descending=True, stable=True)
        top_sim[tied], top_pos[tied] = whole_sim[:, :kk], whole_pos[:, :kk]
    return top_sim, top_pos


def ann_search(
    vectors: np.ndarray, members: np.ndarray, k: int, seed: int = 0, query_rows: np.ndarray | None = None,
    epsilon: float = ANN_EPSILON,
) -> tuple[np.ndarray, np.ndarray]:
    """Approximate top-k with a pynndescent index over the group, queried by every vector (or `query_rows`),
    unchecked (the build uses checked_ann_search)."""
    queries = np.arange(len(vectors)) if query_rows is None else np.asarray(query_rows, dtype=np.int64)
    return _ann_query(_ann_index(vectors, members, k, seed), vectors, members, k, epsilon, queries)


def _ann_index(vectors: np.ndarray, members: np.ndarray, k: int, seed: int):
    from pynndescent import NNDescent

    graph_k = min(max(k + 1, ANN_GRAPH_NEIGHBOURS), len(members) - 1)
    index = NNDescent(np.ascontiguousarray(vectors[members]), metric="cosine", n_neighbors=max(graph_k, 2),
                      random_state=seed, n_jobs=1)
    index.prepare()
    return index


def _ann_query(
    index, vectors: np.ndarray, members: np.ndarray, k: int, epsilon: float, queries: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    want = min(k + 1, len(members))  # one extra, in case the query itself comes back
    pos, dist = index.query(np.ascontiguousarray(vectors[queries]), k=want, epsilon=epsilon)
    return drop_self(members[np.maximum(pos, 0)], 1.0 - dist, (pos >= 0), k, queries)


def drop_self(
    found: np.ndarray, sims: np.ndarray, ok: np.ndarray, k: int, queries: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First k results per row that are real (`ok`) and not the query itself (`queries[row]`), best
    first, padded with -1 / NaN. For ANN indexes asked for k + 1 results."""
    n, want = found.shape
    ok = ok & (found != queries[:, None])
    order = np.argsort(~ok, axis=1, kind="stable")  # kept results first, in their original (best-first) order
    keep = np.take_along_axis(ok, order, axis=1)[:, :k]
    indices = np.full((n, k), -1, dtype=np.int64)
    scores = np.full((n, k), np.nan, dtype=np.float32)
    width = min(k, want)
    indices[:, :width] = np.where(keep[:, :width], np.take_along_axis(found, order, axis=1)[:, :width], -1)
    scores[:, :width] = np.where(keep[:, :width], np.take_along_axis(sims, order, axis=1)[:, :width], np.nan)
    return indices, scores





def analogies_by_work(
    ids: list[str], results: list[GroupNeighbours], decimals: int = 4
) -> dict[str, dict[str, dict[str, list[tuple[str, float]]]]]:
    """{work id: {field: {group: [(neighbour id, similarity), ...]}}}, JSON-able, rounded for stable output."""
    out: dict[str, dict[str, dict[str, list[tuple[str, float]]]]] = {i: {} for i in ids}
    for res in results:
        for row, work in enumerate(ids):
            pairs = [
                (ids[j], round(float(s), decimals))
                for j, s in zip(res.indices[row], res.scores[row])
                if j >= 0
            ]
            if pairs:
                out[work].setdefault(res.field, {})[res.group] = pairs
    return out
