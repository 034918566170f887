"""Why this match: each feature family's share of a pair's score, computed exactly from the joined parts.

The weights-free fallback's vector is a concatenation of parts (atlas.vectors.parts): the untrained
network, two colour histograms, texture and layout. The score of two works is the dot product of their
vectors, and a dot product of concatenations is the sum of the parts' dot products, so each family's
share is exact and the shares sum to the score (up to the rounding of what is published). A share can be
negative: that family finds the two works less alike than an average pair. For a network's features there
is one part and no split; its pages show the two heat maps instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from atlas.vectors.parts import Part

TITLES = {"network": "network", "colour": "colour", "texture": "texture", "layout": "layout"}
DECIMALS = 4


def part_shares(a: np.ndarray, b: np.ndarray, parts: tuple[Part, ...]) -> dict[str, float]:
    """{family: its share of a . b}, families in the order of their first part, unrounded."""
    shares: dict[str, float] = {}
    for p in parts:
        shares[p.family] = shares.get(p.family, 0.0) + float(np.dot(a[p.start : p.stop].astype(np.float64),
                                                                      b[p.start : p.stop].astype(np.float64)))
    return shares


def pair_shares(ids: list[str], vectors: np.ndarray, parts: tuple[Part, ...],
                pairs: Iterable[tuple[str, str]], block: int = 8192) -> dict[tuple[str, str], dict[str, float]]:
    """{(a, b): {family: share}} for `pairs` of published work ids (rounded; empty when there are no parts).

    Computed a block of pairs at a time with one multiply-and-sum per part, so a site with millions of
    pre-rendered pairs is not a Python loop per pair."""
    if not parts:
        return {}
    row = {work_id: i for i, work_id in enumerate(ids)}
    chosen = [(a, b) for a, b in sorted(pairs) if a in row and b in row]
    found: dict[tuple[str, str], dict[str, float]] = {}
    for start in range(0, len(chosen), block):
        some = chosen[start : start + block]
        left = np.asarray(vectors[[row[a] for a, _ in some]], dtype=np.float64)
        right = np.asarray(vectors[[row[b] for _, b in some]], dtype=np.float64)
        per_family: dict[str, np.ndarray] = {}
        for p in parts:
            dots = np.einsum("ij,ij->i", left[:, p.start : p.stop], right[:, p.start : p.stop])
            per_family[p.family] = per_family.get(p.family, 0.0) + dots
        for k, pair in enumerate(some):
            found[pair] = {f: round(float(v[k]), DECIMALS) for f, v in per_family.items()}
    return found


def listed_pairs(analogies: dict) -> set[tuple[str, str]]:
    """Every (work, analogy) pair the works' analogy lists hold ({work: {field: {group: [(other, score)]}}})."""
    return {(work_id, other) for work_id, fields in analogies.items() for groups in fields.values()
            for listed in groups.values() for other, _ in listed}


def permille(shares: dict[str, float]) -> dict[str, int]:
    """Each family's share in thousandths of a score, summing to the score's own thousandths (the largest
    remainders are rounded up), so the published integers still add up to the score."""
    scaled = {f: 1000.0 * s for f, s in shares.items()}
    found = {f: math.floor(v) for f, v in scaled.items()}
    left = round(sum(scaled.values())) - sum(found.values())
    for f in sorted(scaled, key=lambda f: (found[f] - scaled[f], f))[:left]:
        found[f] += 1
    return found


def describe(thousandths: dict[str, int]) -> list[dict]:
    """Shares in thousandths (permille) for a page, largest first: [{family, share, percent of the positive
    total}]. The percent is rounded half up, as assets/work_data.js rounds it, so a pair reads the same on its
    pre-rendered page, on an artwork page and in the pair viewer."""
    positive = sum(s for s in thousandths.values() if s > 0) or 1
    return [{"family": TITLES.get(f, f), "share": s / 1000, "percent": math.floor(100 * max(s, 0) / positive + 0.5)}
            for f, s in sorted(thousandths.items(), key=lambda t: (-t[1], t[0]))]
