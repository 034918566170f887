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

from atlas.analysis.neighbours import conditional_neighbours
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
                   device: str = "cpu") -> Surprises:
    dated = date_surprises(guesses, limit)
    return Surprises(dated["older"], dated["younger"], cross_cultural(works, vectors, k, limit, device), k)


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
    works: list[Record], vectors: np.ndarray, k: int, limit: int, device: str = "cpu", block_size: int = 4096
) -> list[dict]:
    """Works whose overall k nearest neighbours lie most in other cultures (ties: higher mean similarity).

    Each row: {id, share, others: [[culture, count], ...], neighbours: [[id, score], ...], expected}, where
    `expected` is the share a work would get if its neighbours were drawn at random from the collection."""
    labelled = [i for i, w in enumerate(works) if w.culture]
    if len(labelled) < 2 or len({works[i].culture for i in labelled}) < 2:
        return []
    everyone = {"all": ["all"] * len(works)}
    (result,) = conditional_neighbours(vectors, everyone, k, "exact", block_size=block_size, device=device)
    sizes: dict[str, int] = {}
    for i in labelled:
        sizes[works[i].culture] = sizes.get(works[i].culture, 0) + 1
    rows = []
    for i in labelled:
        found = [(int(j), float(s)) for j, s in zip(result.indices[i], result.scores[i]) if j >= 0]
        others = [(j, s) for j, s in found if works[j].culture and works[j].culture != works[i].culture]
        if not found:
            continue
        counts: dict[str, int] = {}
        for j, _ in others:
            counts[works[j].culture] = counts.get(works[j].culture, 0) + 1
        rows.append({
            "id": works[i].id,
            "share": round(len(others) / len(found), 4),
            "expected": round(1 - (sizes[works[i].culture] - 1) / (len(labelled) - 1), 4),
            "mean_other": round(float(np.mean([s for _, s in others])), 4) if others else 0.0,
            "others": sorted(counts.items(), key=lambda t: (-t[1], t[0])),
            "neighbours": [[works[j].id, round(s, 4)] for j, s in found],
        })
    rows.sort(key=lambda r: (-r["share"], -r["mean_other"], r["id"]))
    return [dict(r, others=[list(o) for o in r["others"]]) for r in rows[:limit]]
