"""Surprises: the works the date model gets most wrong, and the works that look most like other cultures.

Both galleries are read off results the build already has: the date guesses come from the probes'
cross-fitted regressor (each from a model that never saw the work), and "cross-cultural" is the share
of a work's overall nearest neighbours (over the whole collection, whatever their culture) that lie in
another culture. A work whose ten closest images are all from elsewhere is worth a look: either it
borrows a foreign look, or the network sees something the catalogue does not say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlas.analysis.overall_neighbours import overall_neighbours
from atlas.core.records import Record
from atlas.core.typed import JsonData


@dataclass(frozen=True)
class Surprises(JsonData):
    """The surprises galleries: works dated much older or younger than they look, and works whose nearest
    neighbours lie mostly in other cultures (k neighbours each)."""

    older: list
    younger: list
    cross_cultural: list
    k: int


def find_surprises(works: list[Record], vectors: np.ndarray, guesses: dict, k: int, limit: int,
                   device: str = "cpu", analogies=None, exact: bool = False) -> Surprises:
    """`analogies` (the build's AnalogyTable, every culture group searched exactly when `exact`) lets the
    overall neighbours be merged from the per-culture lists instead of searched again (overall_neighbours)."""
    dated = date_surprises(guesses, limit)
    crossed = cross_cultural(works, vectors, k, limit, device, analogies=analogies, exact=exact)
    return Surprises(dated["older"], dated["younger"], crossed, k)


def date_surprises(guesses: dict[str, dict], limit: int) -> dict[str, list[dict]]:
    """{"older": works guessed much earlier than catalogued, "younger": much later}; largest error first."""
    rows = [
        {"id": work_id, "year": g["date"]["year"], "catalogue": g["date"]["catalogue"], "error": g["date"]["error"]}
        for work_id, g in sorted(guesses.items())
        if g.get("date") and g["date"].get("error") is not None
    ]
    older = sorted((r for r in rows if r["error"] < 0), key=lambda r: (r["error"], r["id"]))
    younger = sorted((r for r in rows if r["error"] > 0), key=lambda r: (-r["error"], r["id"]))
    return {"older": older[:limit], "younger": younger[:limit]}


def cross_cultural(
    works: list[Record], vectors: np.ndarray, k: int, limit: int, device: str = "cpu", block_size: int = 4096,
    analogies=None, exact: bool = False,
) -> list[dict]:
    """Works whose overall k nearest neighbours lie most in other cultures (ties: higher mean similarity).

    Each row: {id, share, others: [[culture, count], ...], neighbours: [[id, score], ...], expected}, where
    `expected` is the share a work would get if its neighbours were drawn at random from the collection.
    Only the works that can reach the first `limit` places (share at least the limit-th best) get a row
    built: the rest of the collection costs a few array operations, not a Python dict each."""
    labelled = [i for i, w in enumerate(works) if w.culture]
    if limit < 1 or len(labelled) < 2 or len({works[i].culture for i in labelled}) < 2:
        return []
    cultures = [w.culture for w in works]
    indices, scores, _ = overall_neighbours(vectors, cultures, k, analogies, exact, device, block_size)
    sizes: dict[str, int] = {}
    for i in labelled:
        sizes[works[i].culture] = sizes.get(works[i].culture, 0) + 1
    rows = [_row(i, works, indices[i], scores[i], sizes, len(labelled)) for i in _contenders(cultures, indices, labelled, limit)]
    rows = [r for r in rows if r is not None]
    rows.sort(key=lambda r: (-r["share"], -r["mean_other"], r["id"]))
    return [dict(r, others=[list(o) for o in r["others"]]) for r in rows[:limit]]


def _contenders(cultures: list[str | None], indices: np.ndarray, labelled: list[int], limit: int) -> list[int]:
    """The labelled works whose share of neighbours in other cultures is at least the limit-th best share:
    only they can be in the gallery (ties on the share are settled by _row's mean similarity, so all are kept)."""
    codes = {c: n for n, c in enumerate(sorted({c for c in cultures if c}))}
    code = np.array([codes.get(c, -1) if c else -1 for c in cultures] + [-1], dtype=np.int64)  # [-1]: "no work"
    rows = np.asarray(labelled, dtype=np.int64)
    found = indices[rows] >= 0
    theirs = code[np.where(found, indices[rows], len(cultures))]
    other = found & (theirs >= 0) & (theirs != code[rows][:, None])
    counted = found.sum(axis=1)
    keep = counted > 0
    share = np.where(keep, other.sum(axis=1) / np.maximum(counted, 1), -1.0)
    if keep.sum() <= limit:
        return rows[keep].tolist()
    threshold = np.sort(share[keep])[::-1][limit - 1]
    return rows[keep & (share >= threshold)].tolist()


def _row(i: int, works: list[Record], indices: np.ndarray, scores: np.ndarray, sizes: dict[str, int],
         labelled: int) -> dict | None:
    """One work's gallery row (None when it has no neighbour at all)."""
    found = [(int(j), float(s)) for j, s in zip(indices, scores) if j >= 0]
    others = [(j, s) for j, s in found if works[j].culture and works[j].culture != works[i].culture]
    if not found:
        return None
    counts: dict[str, int] = {}
    for j, _ in others:
        counts[works[j].culture] = counts.get(works[j].culture, 0) + 1
    return {
        "id": works[i].id,
        "share": round(len(others) / len(found), 4),
        "expected": round(1 - (sizes[works[i].culture] - 1) / (labelled - 1), 4),
        "mean_other": round(float(np.mean([s for _, s in others])), 4) if others else 0.0,
        "others": sorted(counts.items(), key=lambda t: (-t[1], t[0])),
        "neighbours": [[works[j].id, round(s, 4)] for j, s in found],
    }
