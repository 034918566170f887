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
    return tuple(_with_suggestions(p, vectors, index, suggestions) for p in out), problems


def _confirmed(p: CuratedPattern, slug: str, works: list[Record], vectors: np.ndarray, index: dict[str, int]) -> Pattern:
    idx = np.array([index[m] for m in p.members], dtype=np.int64)
    rows = vectors[idx]
    spread = float(np.mean(np.linalg.norm(rows - rows.mean(axis=0), axis=1)))  # in the full vector space
    described = describe(0, idx, spread, works)
    return dataclasses.replace(described, id=slug, label=p.name, status="confirmed", name=p.name, text=p.text)


def _decided(p: Pattern, decided: list[set[str]]) -> bool:
    members = set(p.members)
    return any(len(members & d) >= OVERLAP * len(members) for d in decided)


def _with_suggestions(p: Pattern, vectors: np.ndarray, index: dict[str, int], n: int) -> Pattern:
    """The `n` works nearest (cosine) to the pattern's centre that are not in it, nearest first; ties by id order."""
    if n <= 0 or not len(vectors):
        return p
    members = np.array([index[m] for m in p.members], dtype=np.int64)
    centre = vectors[members].mean(axis=0)
    centre = centre / (np.linalg.norm(centre) or 1.0)
    scores = vectors @ centre
    scores[members] = -np.inf
    order = np.lexsort((np.arange(len(scores)), -scores))  # highest first; equal scores in row (id) order
    ids = list(index)
    return dataclasses.replace(p, suggestions=[ids[i] for i in order[:n] if np.isfinite(scores[i])])
