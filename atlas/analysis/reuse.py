"""Whole-collection results adapted to a few changed works instead of computed again (atlas.core.near_reuse).

Each function takes a stage's stored result and the Change since it was computed whole, and returns the
result for the works now, by the simplest rule that keeps every page honest:

* map: works removed leave the map and their clusters; a new or changed work is placed at the
  similarity-weighted mean position of its PLACE_K most similar unchanged works (cosine of the centred unit
  vectors, ties by row) and joins the cluster of the most similar one. The map is sklearn's t-SNE, which
  has no `transform` for new points (openTSNE's does, but atlas does not use openTSNE), so new works are
  placed by their neighbours; each cluster's centre is then the mean of its members' positions.
* probes: the classifiers' reports stay; the guesses of removed and changed works are dropped (a changed
  work's guess came from its old image; a new work gets one at the next whole computation).
* patterns: removed and changed works leave their patterns (a pattern described again from the works now,
  so counts, span and label follow); a pattern left under the minimum size is dropped. New works join none.
* surprises: the date surprises are recomputed from the adapted guesses (cheap); the cross-cultural ones
  lose every row of, or with a neighbour among, the removed and changed works.

* the similarity scale (atlas.analysis.similarity_scale) is kept as it is (build.py): one work in N moves
  the distribution of all pair scores by about 1/N, yet every page's "closer than X% of all pairs" read off
  it by a tenth of a percent here and there, which would re-render every artwork page for one new image.

Everything is deterministic: the same stored result and the same works give the same adapted result.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from atlas.analysis.clusters import ClusterMap, MapPoint
from atlas.analysis.patterns import Pattern, describe
from atlas.analysis.probes import ProbeReport
from atlas.analysis.surprises import Surprises, date_surprises
from atlas.core.near_reuse import Change
from atlas.core.records import Record

PLACE_K = 5  # unchanged works a new work's map position is averaged from


def adapt_map(cmap: ClusterMap, change: Change, ids: list[str], vectors: np.ndarray) -> ClusterMap:
    """The map with removed works gone and new or changed ones placed by their neighbours (module docstring)."""
    old = {p.id: p for p in cmap.points}
    unchanged = set(change.kept)
    kept = [i for i, w in enumerate(ids) if w in unchanged and w in old]
    placed = dict(_place(ids, vectors, kept, [i for i, w in enumerate(ids) if w not in unchanged or w not in old], old))
    points = tuple(placed.get(w) or old[w] for w in ids)
    members: dict[int, list[str]] = {}
    for p in points:
        if p.cluster >= 0:
            members.setdefault(p.cluster, []).append(p.id)
    at = {p.id: p for p in points}
    clusters = []
    for c in cmap.clusters:
        inside = sorted(members.get(c.id, []))
        if not inside:
            continue
        reps = [r for r in c.representatives if r in at and r not in placed] or inside[:1]
        clusters.append(dataclasses.replace(
            c, members=inside, size=len(inside), representatives=reps,
            x=round(float(np.mean([at[m].x for m in inside])), 4), y=round(float(np.mean([at[m].y for m in inside])), 4)))
    return dataclasses.replace(cmap, points=points, clusters=tuple(clusters))


def _place(ids: list[str], vectors: np.ndarray, kept: list[int], new: list[int], old: dict[str, MapPoint]):
    """(id, MapPoint) of each new row: weighted mean of its PLACE_K most similar kept works' positions."""
    if not new:
        return
    if not kept:
        for i in new:
            yield ids[i], MapPoint(ids[i], 0.5, 0.5, -1)
        return
    base = np.asarray(vectors[kept], dtype=np.float32)
    xy = np.array([[old[ids[j]].x, old[ids[j]].y] for j in kept])
    for i in new:
        sims = base @ np.asarray(vectors[i], dtype=np.float32)
        order = np.lexsort((np.arange(len(kept)), -sims))[:PLACE_K]  # most similar first, ties by row
        weights = np.clip(sims[order].astype(np.float64), 1e-6, None)
        x, y = (weights[:, None] * xy[order]).sum(axis=0) / weights.sum()
        yield ids[i], MapPoint(ids[i], round(float(x), 4), round(float(y), 4), old[ids[kept[order[0]]]].cluster)


def adapt_probes(report: ProbeReport, change: Change) -> ProbeReport:
    """The probe report without the guesses of removed and changed works."""
    drop = set(change.changed) | set(change.removed)
    return dataclasses.replace(report, guesses={i: g for i, g in report.guesses.items() if i not in drop})


def adapt_patterns(found: tuple[Pattern, ...], change: Change, works: list[Record], min_size: int) -> tuple[Pattern, ...]:
    """The patterns without removed and changed works, described again from the works now."""
    row = {w.id: i for i, w in enumerate(works)}
    keep = set(change.kept)
    out = []
    for p in found:
        idx = np.array([row[m] for m in p.members if m in keep and m in row], dtype=np.int64)
        if len(idx) >= max(min_size, 2):  # described again: the same works and metadata give the same pattern
            out.append(describe(int(p.id), idx, p.spread, works))
    return tuple(out)


def adapt_surprises(found: Surprises, change: Change, guesses: dict, limit: int) -> Surprises:
    """Date surprises from the adapted guesses; cross-cultural rows without removed or changed works."""
    drop = set(change.changed) | set(change.removed)
    cross = [r for r in found.cross_cultural if r["id"] not in drop and not any(n in drop for n, _ in r["neighbours"])]
    dated = date_surprises(guesses, limit)
    return dataclasses.replace(found, older=dated["older"], younger=dated["younger"], cross_cultural=cross)
