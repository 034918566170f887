"""Patterns confirmed by people: patterns.yaml (atlas.core.patterns_file) applied to the proposed patterns.

The clustering (atlas.analysis.patterns) proposes; curators decide. After this step the site's patterns are
  1. every confirmed pattern, in file order, with its own members (the file's list, plus `add`, minus
     `remove`), its name, its text, and an id that is the name's slug, so its URL is pattern/<slug>/
     whatever the data and the clustering do next;
  2. the proposals still open: a proposal most of whose works (at least OVERLAP) belong to one confirmed
     or rejected entry has been decided already and is not proposed again.
Every pattern gets `suggestions`: the works nearest to its centre (mean of its normalised vectors) that
are not in it, for a curator to `add`. This runs on every build, after the cached clustering: it is cheap,
and the curators' file changes more often than the vectors.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from atlas.analysis.patterns import Pattern, describe
from atlas.core.patterns_file import (
    CuratedPattern,
    read_patterns_file,
    resolve_patterns,
    unique_slugs,
)
from atlas.core.records import Problem, Record

OVERLAP = 0.5  # share of a proposal's works in one decided entry that makes it "already decided"


def curate_patterns(proposed: tuple[Pattern, ...], works: list[Record], vectors: np.ndarray, path: Path | None,
                    suggestions: int) -> tuple[tuple[Pattern, ...], list[Problem]]:
    """(the site's patterns: confirmed first, then the open proposals; warnings about the file).

    `vectors` are the normalised rows of `works`; `path` None means no patterns.file."""
    index = {w.id: i for i, w in enumerate(works)}
    problems: list[Problem] = []
    confirmed: list[CuratedPattern] = []
    decided: list[set[str]] = []
    if path is not None:
        entries, problems = read_patterns_file(path)
        curated = resolve_patterns(entries, set(index), path)
        problems += curated.problems
        confirmed = curated.confirmed
        decided = [set(p.members) for p in (*curated.confirmed, *curated.rejected)]
    slugs = unique_slugs([p.name for p in confirmed])
    out = [_confirmed(p, slug, works, vectors, index) for p, slug in zip(confirmed, slugs)]
    out += [p for p in proposed if not _decided(p, decided)]
    problems.sort(key=lambda p: p.line)
    return _suggested(out, vectors, index, suggestions), problems


def _confirmed(p: CuratedPattern, slug: str, works: list[Record], vectors: np.ndarray, index: dict[str, int]) -> Pattern:
    idx = np.array([index[m] for m in p.members], dtype=np.int64)
    rows = vectors[idx]
    spread = float(np.mean(np.linalg.norm(rows - rows.mean(axis=0), axis=1)))  # in the full vector space
    described = describe(0, idx, spread, works)
    return dataclasses.replace(described, id=slug, label=p.name, status="confirmed", name=p.name, text=p.text)


def _decided(p: Pattern, decided: list[set[str]]) -> bool:
    members = set(p.members)
    return any(len(members & d) >= OVERLAP * len(members) for d in decided)


SCORED_AT_ONCE = 32  # patterns whose centres are scored against every work in one multiply (N x 32 float32)


def _suggested(patterns: list[Pattern], vectors: np.ndarray, index: dict[str, int], n: int) -> tuple[Pattern, ...]:
    """Each pattern with its suggestions (_with_suggestions), the centres scored a block of patterns at a
    time: one matrix-vector product per pattern read all the vectors again each time (0.6 s of every
    10,000-work rebuild for 95 patterns)."""
    if n <= 0 or not len(vectors) or not patterns:
        return tuple(patterns)
    ids, out = list(index), []
    for start in range(0, len(patterns), SCORED_AT_ONCE):
        block = patterns[start:start + SCORED_AT_ONCE]
        members = [np.array([index[m] for m in p.members], dtype=np.int64) for p in block]
        centres = np.stack([_centre(vectors, rows) for rows in members])
        scores = np.asarray(vectors @ centres.T)
        out += [_with_suggestions(p, scores[:, j].copy(), rows, ids, n, vectors, centres[j])
                for j, (p, rows) in enumerate(zip(block, members))]
    return tuple(out)


def _centre(vectors: np.ndarray, members: np.ndarray) -> np.ndarray:
    centre = vectors[members].mean(axis=0)
    return centre / (np.linalg.norm(centre) or 1.0)


MARGIN = 1e-4  # above the float32 product's error for unit vectors: works this close to the bar are scored again


def _with_suggestions(p: Pattern, scores: np.ndarray, members: np.ndarray, ids: list[str], n: int,
                      vectors: np.ndarray, centre: np.ndarray) -> Pattern:
    """The `n` works nearest (cosine) to the pattern's centre that are not in it, nearest first; ties by id order.

    `scores` (float32, from the block product) only choose the candidates: every work within MARGIN of the
    n-th best. Those are scored again in float64, each row by the same loop, so two works with the same
    vector score exactly alike (a block product may round a row differently by where it falls in the block)
    and equal scores fall back to row (id) order."""
    scores[members] = -np.inf
    if n < len(scores):
        bar = np.partition(scores, len(scores) - n)[len(scores) - n]  # the n-th highest score
        candidates = np.flatnonzero(scores >= bar - MARGIN)
    else:
        candidates = np.flatnonzero(np.isfinite(scores))
    exact = np.einsum("ij,j->i", np.asarray(vectors[candidates], np.float64), centre.astype(np.float64))
    order = candidates[np.lexsort((candidates, -exact))]  # highest first; equal scores in row order
    return dataclasses.replace(p, suggestions=[ids[i] for i in order[:n]])
