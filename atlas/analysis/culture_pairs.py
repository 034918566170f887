"""What the chord diagram's ribbons open: the best analogies between two cultures, and the strongest links.

For every pair of cultures (A, B) the page `chord/<A>/<B>/` (atlas.site.urls.culture_pair_path) shows the most similar cross-culture pairs of
works, taken from the analogies already computed (each work's k closest in every other culture), so it
costs nothing extra. A ribbon's strength is the symmetrised normalised similarity (M[A][B] + M[B][A]) / 2,
the value its width is drawn from (atlas.analysis.chord); the culture paper's top-quartile filter keeps the
ribbons whose strength is at least the 75th percentile of all pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable, rounded
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


def pair_finder(works: Sequence[Record], analogies: dict) -> Callable[..., list[tuple[float, str, str]]]:
    """best_pairs(works, analogies, a, b, limit) for the many links of one collection. With an AnalogyTable the
    pairs are read from its arrays: best_pairs builds every work of both cultures' nested analogies, which at
    100k works was a million lookups for 100 culture-pair pages (issue 20); the answer is the same, ties
    included (tests/test_chord_cap.py)."""
    if not isinstance(analogies, AnalogyTable):
        return lambda a, b, limit=PAIRS_PER_PAGE: best_pairs(works, analogies, a, b, limit)
    code = {name: i for i, name in enumerate(sorted({w.culture for w in works if w.culture}))}
    culture_of = row_cultures(works, analogies, code)
    layer = {group: g for g, (fld, group) in enumerate(analogies.groups) if fld == "culture"}

    def directed(x: str, y: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row in x, its analogy's row in y, score) of every analogy from a work of culture x into culture y."""
        if y not in layer:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float32)
        rows = np.flatnonzero(culture_of == code[x])
        found, scores = analogies.indices[layer[y], rows], analogies.scores[layer[y], rows]
        keep = found >= 0
        keep[keep] = culture_of[found[keep]] == code[y]
        return np.broadcast_to(rows[:, None], found.shape)[keep], found[keep].astype(np.int64), scores[keep]

    def find(a: str, b: str, limit: int = PAIRS_PER_PAGE) -> list[tuple[float, str, str]]:
        if a not in code or b not in code or limit <= 0:
            return []
        xa, ya, sa = directed(a, b)
        yb, xb, sb = directed(b, a)  # from b's works: the work in a is the analogy
        xs, ys = np.concatenate([xa, xb]), np.concatenate([ya, yb])
        scores = rounded(np.concatenate([sa, sb])) if len(xs) else np.zeros(0)
        best: dict[tuple[int, int], float] = {}  # each pair of works at its highest score: the first met below
        floor = None
        for at in np.argsort(-scores, kind="stable"):
            score = float(scores[at])
            if floor is not None and score < floor:
                break  # every pair that can rank within `limit` is in `best`, ties with the last one too
            best.setdefault((int(xs[at]), int(ys[at])), score)
            if floor is None and len(best) == limit:
                floor = score
        ids = analogies.ids
        ranked = sorted((-score, ids[x], ids[y]) for (x, y), score in best.items())
        return [(-neg, x, y) for neg, x, y in ranked[:limit]]

    return find


def row_cultures(works: Sequence[Record], table: AnalogyTable, code: dict[str, int]) -> np.ndarray:
    """Each table row's culture as its number in `code`, -1 for a row whose work has no culture in `code`."""
    found = np.full(len(table), -1, np.int64)
    for w in works:
        if w.culture in code and w.id in table:
            found[table.row(w.id)] = code[w.culture]
    return found


def _best_pair_per_link_arrays(works: Sequence[Record], table: AnalogyTable,
                               labels: Sequence[str]) -> dict[tuple[str, str], tuple[float, str, str]]:
    """best_pair_per_link read off the arrays: building every work's nested analogies for it took 6 s at 100k
    works (issue 20). Per culture layer, the works are taken in runs of one source culture (sorted once), each
    run's highest score found with one reduction, and only the analogies at that score compared by id, as the
    nested loop does (tests/test_chord_cap.py checks the two agree, ties included)."""
    order = {name: i for i, name in enumerate(labels)}
    code = row_cultures(works, table, order)
    rows = np.flatnonzero(code >= 0)
    rows = rows[np.argsort(code[rows], kind="stable")]  # the works of each culture in one run
    starts = np.flatnonzero(np.r_[True, code[rows][1:] != code[rows][:-1]]) if len(rows) else np.zeros(0, np.intp)
    ids, best = table.ids, {}
    for g, (fld, group) in enumerate(table.groups):
        if fld != "culture" or group not in order or not len(rows):
            continue
        target = order[group]
        found = table.indices[g, rows].astype(np.int64)
        valid = (found >= 0) & (code[rows] != target)[:, None]
        valid[valid] = code[found[valid]] == target
        scores = np.where(valid, rounded(table.scores[g, rows]), -np.inf)
        top = scores.max(axis=1)
        for start, run_max, end in zip(starts, np.maximum.reduceat(top, starts), [*starts[1:], len(rows)]):
            if run_max == -np.inf:
                continue
            source = labels[int(code[rows[start]])]
            first = order[source] < target
            key = (source, group) if first else (group, source)
            for at, pos in zip(*np.nonzero(scores[start:end] == run_max)):
                a, b = ids[rows[start + at]], ids[found[start + at, pos]]
                candidate = (float(run_max), a, b) if first else (float(run_max), b, a)
                old = best.get(key)
                if old is None or (-candidate[0], candidate[1], candidate[2]) < (-old[0], old[1], old[2]):
                    best[key] = candidate
    return best


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
    if isinstance(analogies, AnalogyTable):
        return _best_pair_per_link_arrays(works, analogies, labels)
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
