"""How far to trust the analogies, measured on the collection itself, in every build.

Two questions, answered with numbers on the about page and in data/quality.json:

1. Do the vectors know anything about the labels? For each condition (culture, medium), how often are a
   work's k nearest neighbours, searched over the whole collection with no condition, of the work's own
   label (precision@k)? Set against that label's base rate, the chance that a randomly drawn other work
   shares it: precision well above the base rate means similar-looking works in this atlas tend to share
   culture (or medium); near it, the embedder does not separate them. Unlabelled works are not queries;
   as neighbours they count as "not the same label".
2. Where the approximate search (pynndescent) answered, how many of the exact top-k did it find
   (recall@k against exact search, on a seeded sample of queries)? Exact groups have recall 1 by
   construction and are not sampled.

Queries are a seeded sample of at most `queries` works, so the cost stays bounded on large collections.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlas.analysis.neighbours import SearchSummary, exact_search_groups, group_members
from atlas.core.config import QualityConfig
from atlas.core.typed import JsonData

DECIMALS = 4


def sample_indices(n: int, limit: int, seed: int) -> np.ndarray:
    """All of range(n) when n <= limit, else a seeded, sorted sample of `limit` of them."""
    if n <= limit:
        return np.arange(n, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(n, size=limit, replace=False)).astype(np.int64)


def label_precision(vectors: np.ndarray, labels: list[str | None], k: int, queries: int = 2000, seed: int = 0,
                    searched: dict | None = None) -> dict:
    """precision@k of one condition against its base rate, overall and per label. `searched` keeps the
    unconditioned searches made, by k and query rows, for the next condition: where every work has both
    labels the conditions ask the very same search (half this stage's time after one image changed)."""
    n = len(labels)
    labelled = np.asarray([i for i, label in enumerate(labels) if label is not None], dtype=np.int64)
    if n < 2 or len(labelled) == 0:
        return {"queries": 0, "labelled": len(labelled), "precision": None, "base_rate": None, "lift": None, "groups": {}}
    chosen = labelled[sample_indices(len(labelled), queries, seed)]
    k = min(k, n - 1)  # every row then has k real neighbours (the search pads with -1 beyond the group)
    asked = (k, chosen.tobytes())
    if searched is None or asked not in searched:
        found = exact_search_groups(vectors, [np.arange(n)], k, query_rows=chosen)[0][0]
        searched = {} if searched is None else searched
        searched[asked] = found
    neighbours = searched[asked]
    codes = {label: i for i, label in enumerate(sorted(group_members(labels)))}
    coded = np.asarray([codes[label] if label is not None else -1 for label in labels], dtype=np.int64)
    counts = np.bincount(coded[coded >= 0], minlength=len(codes))
    own = coded[chosen]
    hits = (coded[neighbours] == own[:, None]).mean(axis=1) if neighbours.shape[1] else np.zeros(len(chosen))
    base = (counts[own] - 1) / (n - 1)
    groups = {}
    for label, code in codes.items():
        mask = own == code
        if mask.any():
            groups[label] = {
                "works": int(counts[code]),
                "queries": int(mask.sum()),
                "precision": _r(hits[mask].mean()),
                "base_rate": _r((counts[code] - 1) / (n - 1)),
            }
    precision, base_rate = float(hits.mean()), float(base.mean())
    return {
        "queries": len(chosen),
        "labelled": len(labelled),
        "precision": _r(precision),
        "base_rate": _r(base_rate),
        "lift": _r(precision / base_rate) if base_rate > 0 else None,
        "groups": groups,
    }


@dataclass(frozen=True)
class QualityReport(JsonData):
    """data/quality.json and the about page's quality section."""

    k: int
    conditions: dict  # {field: {precision, base_rate, queries, ..., title}}
    recall: list  # [{field, group, k, queries, recall}] for each approximate group
    approximate_groups: int


def ann_recall(
    vectors: np.ndarray, ids: list[str], conditions: dict[str, list[str | None]], analogies: dict, searches: tuple[SearchSummary, ...],
    k: int, queries: int = 200, seed: int = 0,
) -> list[dict]:
    """recall@k of the analogies of every approximate group against exact search, on a sample of queries.

    The answers checked are the ones the site shows (`analogies`, at most neighbours.k per group), so k is
    capped at that length."""
    rows = []
    position = {work: i for i, work in enumerate(ids)}
    members_of = {name: group_members(labels) for name, labels in conditions.items()}
    for search in searches:
        if search.method != "ann":
            continue
        field, group = search.field, search.group
        members = members_of[field][group]
        chosen = sample_indices(len(vectors), queries, seed)
        answers = [[position[other] for other, _ in analogies.get(ids[q], {}).get(field, {}).get(group, [])] for q in chosen]
        kk = min(k, max((len(a) for a in answers), default=0), len(members) - 1)
        if kk < 1:
            continue
        exact = exact_search_groups(vectors, [members], kk, query_rows=chosen)[0][0]
        found = sum(len(set(exact[j].tolist()) & set(answer[:kk])) for j, answer in enumerate(answers))
        rows.append({"field": field, "group": group, "k": int(kk), "queries": len(chosen),
                     "recall": _r(found / (len(chosen) * kk))})
    return rows


def measure_quality(
    vectors: np.ndarray,
    ids: list[str],
    conditions: dict[str, list[str | None]],
    analogies: dict,
    searches: tuple[SearchSummary, ...],
    titles: dict[str, str],
    settings: QualityConfig,
) -> QualityReport:
    """The quality report (JSON-able, rounded, deterministic) for data/quality.json and the about page.

    `analogies` and `searches` are the neighbours stage's output (atlas.analysis.neighbours.analogies_by_work, and
    {field, group, method} per group)."""
    searched: dict = {}  # the conditions' unconditioned searches, made once where they are the same
    return QualityReport(
        k=settings.k,
        conditions={
            name: dict(label_precision(vectors, labels, settings.k, settings.queries, settings.seed, searched),
                       title=titles.get(name, name))
            for name, labels in conditions.items()
        },
        recall=ann_recall(vectors, ids, conditions, analogies, searches, settings.k, settings.recall_queries, settings.seed),
        approximate_groups=sum(1 for s in searches if s.method == "ann"),
    )


def summary_line(quality: QualityReport) -> str:
    """One line for the build summary: precision@k against base rate per condition, and ANN recall."""
    parts = []
    for name, q in quality.conditions.items():
        if q["precision"] is not None:
            parts.append(f"{name} precision@{quality.k} {q['precision']:.3f} (base rate {q['base_rate']:.3f})")
    if quality.recall:
        worst = min(r["recall"] for r in quality.recall)
        parts.append(f"ANN recall@{quality.k} >= {worst:.3f} over {len(quality.recall)} groups")
    else:
        parts.append("exact neighbour search everywhere (recall 1)")
    return "quality: " + "; ".join(parts)


def _r(value) -> float:
    return round(float(value), DECIMALS)
