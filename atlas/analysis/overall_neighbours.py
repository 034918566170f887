"""Every work's k nearest neighbours over the whole collection, merged from its per-culture analogies.

The surprises gallery needs each work's overall nearest neighbours (atlas.analysis.surprises). Searching
the whole collection again is a second N x N x d matrix multiply after the conditional search: 322 s of a
1,807 s build at 100,000 works (benchmarks/README.md), and quadratic. But every work is in at most one
culture, so its overall neighbours are among the union of its per-culture lists, which the neighbour stage
has already found, and this module merges them instead, exactly:

- works in no searched culture (no label, or a group under min_group_size) are searched as one more
  group (their own small product);
- the candidates (k_a per culture, k from that extra group) are ranked by similarity, then the lower row,
  the same canonical order as the search (atlas.analysis.neighbours.canonical_topk), and the first k kept;
- that is provably the true top k unless some culture's whole list (all k_a of a full list) made it into
  the top k: only then could that culture's next work belong too. For those works that culture's list is
  widened to k by a search within that culture only, and merged again (now exact: a list of k cannot be
  exhausted without being the answer). When a culture group was searched approximately, every work is
  searched against everyone, as before.

The scores are the conditional search's own: the same matrix product of the same rows, so the same floats
when the analogies were searched whole (tests/test_surprises_merge.py compares with a whole search).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from atlas.analysis.neighbours import exact_search_groups


MERGE_ROWS = 65536  # works merged at a time: their candidates take ~1 KB each (20 cultures, k = 6)


def overall_neighbours(
    vectors: np.ndarray, cultures: Sequence[str | None], k: int, table=None, exact: bool = False,
    device: str = "cpu", block_size: int = 4096,
) -> tuple[np.ndarray, np.ndarray, int]:
    """(indices (N, k) int64 with -1 for none, scores (N, k) float32, how many works needed a wider search).

    `table` is the build's AnalogyTable over the same rows in the same order; `exact` says every culture
    group in it was searched exactly. Without both, every work is searched against everyone."""
    n = len(vectors)
    if table is None or not exact or len(table.ids) != n:
        indices, scores = exact_search_groups(vectors, [np.arange(n, dtype=np.int64)], k, block_size, device)[0]
        return indices, scores, n
    labels = np.asarray(cultures, dtype=object)
    layers = [g for g, (fld, _) in enumerate(table.groups) if fld == "culture"]
    members = [np.flatnonzero(labels == table.groups[g][1]) for g in layers]
    rest = np.setdiff1d(np.arange(n), np.concatenate(members)) if members else np.arange(n)
    outside = exact_search_groups(vectors, [rest], k, block_size, device)[0] if len(rest) else None
    indices, scores = np.full((n, k), -1, np.int64), np.full((n, k), np.nan, np.float32)
    doubtful = np.zeros((n, len(layers)), bool)
    for start in range(0, n, MERGE_ROWS):  # in blocks of rows: the candidates of all works at once would be
        rows = np.arange(start, min(start + MERGE_ROWS, n))  # 1.6 GB at 1M works
        cand_idx, cand_sc = _candidates(table, layers, outside, rows)
        full_lists = np.stack([table.indices[g, rows, -1] >= 0 for g in layers], axis=1) if layers else None
        indices[rows], scores[rows], doubtful[rows] = _merge(cand_idx, cand_sc, full_lists, len(layers),
                                                             table.indices.shape[2], k)
    again = np.flatnonzero(doubtful.any(axis=1))
    if len(again):  # widen each exhausted culture list to k for the works in doubt, then merge those again
        indices[again], scores[again] = _widened(vectors, table, layers, members, outside, again, doubtful[again], k,
                                                 device, block_size)
    return indices, scores, len(again)


def _candidates(table, layers: list[int], outside, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The candidates of the works at `rows`: their list in every culture layer, then their top k among the
    works in no layer. (indices (R, C), scores (R, C) with -inf for none)."""
    idx = [table.indices[g, rows].astype(np.int64) for g in layers]
    sc = [table.scores[g, rows] for g in layers]
    if outside is not None:
        idx.append(outside[0][rows])
        sc.append(outside[1][rows])
    if not idx:
        return np.zeros((len(rows), 0), np.int64), np.zeros((len(rows), 0), np.float32)
    cand_idx = np.concatenate(idx, axis=1)
    return cand_idx, np.where(cand_idx >= 0, np.concatenate(sc, axis=1), -np.inf).astype(np.float32)


def _widened(vectors, table, layers, members, outside, again, doubt, k, device, block_size):
    """The top k of the works at `again`, each exhausted layer's k_a entries replaced by its top k (searched
    now, within that culture only). With k entries a layer can no longer be exhausted: the merge is exact."""
    per_layer = table.indices.shape[2]
    wide = []
    for g_pos in np.flatnonzero(doubt.any(axis=0)):
        which = np.flatnonzero(doubt[:, g_pos])
        found, sims = exact_search_groups(vectors, [members[g_pos]], k, block_size, device, query_rows=again[which])[0]
        wide.append((g_pos, which, found, np.where(found >= 0, sims, -np.inf).astype(np.float32)))
    indices, scores = np.full((len(again), k), -1, np.int64), np.full((len(again), k), np.nan, np.float32)
    for start in range(0, len(again), MERGE_ROWS):
        part = slice(start, min(start + MERGE_ROWS, len(again)))
        cand_idx, cand_sc = _candidates(table, layers, outside, again[part])
        extra_idx, extra_sc = [], []
        for g_pos, which, found, sims in wide:
            mine = which[(which >= part.start) & (which < part.stop)] - part.start
            cols = slice(g_pos * per_layer, (g_pos + 1) * per_layer)
            cand_idx[mine, cols], cand_sc[mine, cols] = -1, -np.inf
            block_idx = np.full((len(cand_idx), k), -1, np.int64)
            block_sc = np.full((len(cand_idx), k), -np.inf, np.float32)
            take = (which >= part.start) & (which < part.stop)
            block_idx[mine], block_sc[mine] = found[take], sims[take]
            extra_idx.append(block_idx)
            extra_sc.append(block_sc)
        merged = _merge(np.concatenate([cand_idx, *extra_idx], axis=1), np.concatenate([cand_sc, *extra_sc], axis=1),
                        None, 0, per_layer, k)
        indices[part], scores[part] = merged[0], merged[1]
    return indices, scores


def _merge(cand_idx: np.ndarray, cand_sc: np.ndarray, full_lists, layers: int, per_layer: int, k: int):
    """The top k candidates per work in canonical order (similarity, then the lower row), and (N, layers)
    whether a work's answer is in doubt because of that layer (its whole full list is in the work's top k)."""
    n = len(cand_idx)
    order = np.lexsort((np.where(cand_idx >= 0, cand_idx, np.iinfo(np.int64).max), -cand_sc), axis=1)[:, :k]
    top_idx = np.take_along_axis(cand_idx, order, axis=1)
    top_sc = np.take_along_axis(cand_sc, order, axis=1)
    indices = np.full((n, k), -1, np.int64)
    scores = np.full((n, k), np.nan, np.float32)
    width = min(k, top_idx.shape[1])
    valid = np.isfinite(top_sc[:, :width])
    indices[:, :width] = np.where(valid, top_idx[:, :width], -1)
    scores[:, :width] = np.where(valid, top_sc[:, :width], np.nan)
    doubtful = np.zeros((n, layers), bool)
    if layers:
        layer_of = np.minimum(order[:, :width] // per_layer, layers)  # column -> its layer; `layers` = the rest
        for g in range(layers):
            taken = ((layer_of == g) & valid).sum(axis=1)
            doubtful[:, g] = (taken >= per_layer) & full_lists[:, g]
    return indices, scores, doubtful
