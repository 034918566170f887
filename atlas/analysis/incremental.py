"""Conditional neighbours updated where the collection changed, equal to a full search, exactly.

A nightly museum update changes a few hundred of a million records; searching every work again costs the
whole collection. Given the previous search (its lists, in its own row order) and which works changed
(new, removed, another vector or another culture/medium), the update:

* searches again, within every group, the changed works and the unchanged works whose list held a work
  that changed or left (something outside their old list may now take its place);
* for every other work, merges its old list with the changed works now in the group, scored against it:
  nothing else can enter, because every unchanged member it did not list was beaten by k works that are
  all still there with the same similarity.

Both paths rank by similarity, ties to the lower row (atlas.analysis.neighbours.canonical_topk), so the
result equals conditional_neighbours on the new collection, ties included (tests/test_incremental_neighbours.py
checks it on random changes). Only exactly-searched groups can be patched; the caller searches whole when any
group would be approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlas.analysis.neighbours import GroupNeighbours, exact_search_groups, group_members

MERGE_ELEMENTS = 1 << 22  # candidates merged per block of queries (32 MB of scores and indices)


@dataclass
class Previous:
    """The last search, and how its rows map onto the new collection."""

    old_row: np.ndarray  # (N_new,) the work's row in the previous search, -1 when it is new
    changed: np.ndarray  # (N_new,) bool: new, or its vector or a label differs
    stale: np.ndarray  # (N_old,) bool: the old row changed or was removed
    results: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]  # (field, group) -> old (indices, scores)

    @property
    def new_row(self) -> np.ndarray:
        """(N_old,) each old row's new row, -1 when the work left."""
        out = np.full(len(self.stale), -1, np.int64)
        kept = np.flatnonzero(self.old_row >= 0)
        out[self.old_row[kept]] = kept
        return out


def patch_neighbours(
    vectors: np.ndarray, conditions: dict[str, list[str | None]], k: int, previous: Previous,
    block_size: int = 4096, device: str = "cpu",
) -> tuple[list[GroupNeighbours], int]:
    """Every group's neighbours on the new collection, from the previous ones. Returns (results in the order
    conditional_neighbours gives them, number of (query, group) searches run again)."""
    new_row = previous.new_row
    results, searched = [], 0
    for fld, labels in conditions.items():
        for group, members in group_members(labels).items():
            old = previous.results.get((fld, group))
            if old is None:
                idx, sim = exact_search_groups(vectors, [members], k, block_size, device)[0]
                searched += len(vectors)
            else:
                idx, sim, again = _patch_group(vectors, members, k, previous, new_row, old, block_size, device)
                searched += again
            results.append(GroupNeighbours(fld, group, "exact", idx, sim, device))
    return results, searched


def _patch_group(vectors, members, k, previous: Previous, new_row, old, block_size, device):
    old_idx, old_sim = old
    n = len(vectors)
    idx = np.full((n, k), -1, np.int64)
    sim = np.full((n, k), np.nan, np.float32)
    kept = np.flatnonzero(~previous.changed)
    entered = members[previous.changed[members]]  # changed works now in the group: new rows
    listed = old_idx[previous.old_row[kept], :k]
    listed_sim = old_sim[previous.old_row[kept], :k]
    present = listed >= 0
    stale = present & previous.stale[np.maximum(listed, 0)]
    dropped = stale.any(axis=1)
    merge = kept[~dropped]
    rows = np.flatnonzero(~dropped)
    cand = np.where(present & ~stale, new_row[np.maximum(listed, 0)], -1)[rows]
    cand_sim = np.where(cand >= 0, listed_sim[rows], -np.inf).astype(np.float32)
    step = max(1, MERGE_ELEMENTS // (k + len(entered)))
    for start in range(0, len(merge), step):
        part = slice(start, start + step)
        i, s = _merge(vectors, merge[part], cand[part], cand_sim[part], entered, k)
        idx[merge[part]], sim[merge[part]] = i, s
    again = np.sort(np.concatenate([np.flatnonzero(previous.changed), kept[dropped]]))
    if len(again):
        a_idx, a_sim = exact_search_groups(vectors, [members], k, block_size, device, query_rows=again)[0]
        idx[again], sim[again] = a_idx, a_sim
    return idx, sim, len(again)


def _merge(vectors, queries, cand, cand_sim, entered, k):
    """Each query's old list plus the works that entered its group, ranked as canonical_topk ranks:
    similarity first, the lower row on ties."""
    if len(entered):
        fresh = np.asarray(vectors[queries], np.float32) @ np.asarray(vectors[entered], np.float32).T
        cand = np.concatenate([cand, np.broadcast_to(entered, (len(queries), len(entered)))], axis=1)
        cand_sim = np.concatenate([cand_sim, fresh.astype(np.float32)], axis=1)
    order = np.lexsort((np.where(cand >= 0, cand, np.iinfo(np.int64).max), -cand_sim), axis=1)[:, :k]
    top = np.take_along_axis(cand, order, axis=1)
    top_sim = np.take_along_axis(cand_sim, order, axis=1)
    real = np.isfinite(top_sim)
    width = top.shape[1]
    idx = np.full((len(queries), k), -1, np.int64)
    sim = np.full((len(queries), k), np.nan, np.float32)
    idx[:, :width] = np.where(real, top, -1)
    sim[:, :width] = np.where(real, top_sim, np.nan)
    return idx, sim
