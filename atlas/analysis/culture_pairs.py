"""What the chord diagram's ribbons open: the best analogies between two cultures, and the strongest links.

For every pair of cultures (A, B) the page `chord/<A>/<B>/` (atlas.site.urls.culture_pair_path) shows the most similar cross-culture pairs of
works, taken from the analogies already computed (each work's k closest in every other culture), so it
costs nothing extra. A ribbon's strength is the symmetrised normalised similarity (M[A][B] + M[B][A]) / 2,
the value its width is drawn from (atlas.analysis.chord); the culture paper's top-quartile filter keeps the
ribbons whose strength is at least the 75th percentile of all pairs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from atlas.analysis.culture import CultureSimilarity
from atlas.core.records import Record

PAIRS_PER_PAGE = 12


def best_pairs(works: Sequence[Record], analogies: dict, a: str, b: str, limit: int = PAIRS_PER_PAGE) -> list[tuple[float, str, str]]:
    """The `limit` most similar (score, work in a, work in b) pairs, each unordered pair of works once."""
    culture = {w.id: w.culture for w in works}
    found: dict[tuple[str, str], float] = {}
    for w in works:
        other = b if w.culture == a else a if w.culture == b else None
        if other is None:
            continue
        for neighbour, score in analogies.get(w.id, {}).get("culture", {}).get(other, []):
            if culture.get(neighbour) != other:
                continue
            key = (w.id, neighbour) if w.culture == a else (neighbour, w.id)
            found[key] = max(score, found.get(key, -2.0))
    ranked = sorted(((-s, x, y) for (x, y), s in found.items()))
    return [(-neg, x, y) for neg, x, y in ranked[:limit]]


def link_strengths(similarity: CultureSimilarity) -> list[dict]:
    """Every unordered culture pair with its ribbon strength and whether it is in the top quartile."""
    names = similarity.labels
    n = len(names)
    if n < 2:
        return []
    m = np.asarray(similarity.similarity, dtype=float).reshape(n, n)
    sym = (m + m.T) / 2
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    values = np.array([sym[i, j] for i, j in pairs])
    threshold = float(np.percentile(values, 75))
    return [
        {"i": i, "j": j, "a": names[i], "b": names[j], "value": round(float(sym[i, j]), 4),
         "top": bool(sym[i, j] >= threshold - 1e-12)}
        for i, j in pairs
    ]


def best_pair_per_link(works: Sequence[Record], analogies: dict, labels: Sequence[str]) -> dict[tuple[str, str], tuple[float, str, str]]:
    """{(a, b): (score, work in a, work in b)} for every pair of cultures with a cross-culture analogy, `a`
    the one first in `labels` (the order of link_strengths): the same pair best_pairs(limit=1) gives, found in
    one pass over the works instead of one per link (a collection of 200 cultures has 19,900 links)."""
    order = {name: i for i, name in enumerate(labels)}
    culture = {w.id: w.culture for w in works}
    best: dict[tuple[str, str], tuple[float, str, str]] = {}
    for w in works:
        if w.culture not in order:
            continue
        for group, pairs in analogies.get(w.id, {}).get("culture", {}).items():
            if group == w.culture or group not in order:
                continue
            first = order[w.culture] < order[group]
            key = (w.culture, group) if first else (group, w.culture)
            for neighbour, score in pairs:
                if culture.get(neighbour) != group:
                    continue
                found = (score, w.id, neighbour) if first else (score, neighbour, w.id)
                old = best.get(key)
                if old is None or (-found[0], found[1], found[2]) < (-old[0], old[1], old[2]):
                    best[key] = found
    return best
