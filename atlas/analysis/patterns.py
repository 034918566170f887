"""Visual patterns: small, tight clusters of works that share a motif, across cultures and periods.

The map's clusters (atlas.analysis.clusters) are broad islands on a 2-D layout. A pattern is narrower: HDBSCAN
with leaf selection (or OPTICS) on PCA-reduced vectors keeps only dense little groups and leaves most
works as noise, which is what "these few works share a visual pattern" means. Members are ordered by
date, so a pattern's page shows a motif travelling through time and place. As in the style-transfer
study that used OPTICS on fine-tuned features, the clusters are only as good as the features: with an
untrained network a pattern is mostly shared colour and layout.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

import numpy as np

from atlas.analysis.density_clusters import hdbscan_labels
from atlas.analysis.probes import work_year
from atlas.analysis.reduce import pca
from atlas.core.config import PatternsConfig
from atlas.core.records import Record
from atlas.core.typed import JsonData

SEED = 0


@dataclass(frozen=True)
class Pattern(JsonData):
    """A tight group of works the network sees as one motif; members ordered by date."""

    id: str
    label: str
    size: int
    spread: float  # mean distance to the pattern's centre in the reduced space
    cultures: dict[str, int]
    media: dict[str, int]
    span: list[int] | None  # first and last year, when dated
    members: list[str]
    status: str = "proposed"  # proposed (by the clustering) | confirmed (by a curator, patterns.yaml)
    name: str = ""  # a confirmed pattern's name; its id is then the name's slug
    text: str = ""  # the curator's text
    suggestions: list[str] = dataclasses.field(default_factory=list)  # nearest works not in the pattern


def find_patterns(works: list[Record], vectors: np.ndarray, cfg: PatternsConfig) -> tuple[Pattern, ...]:
    """The visual patterns, most cultures first."""
    if len(works) < max(cfg.min_cluster_size, 2) * 2:
        return ()
    features = pca(vectors, min(cfg.pca_dims, len(vectors) - 1), SEED)
    labels = _cluster(features, cfg)
    groups = []
    for c in sorted(set(labels.tolist()) - {-1}):
        idx = np.flatnonzero(labels == c)
        spread = float(np.mean(np.linalg.norm(features[idx] - features[idx].mean(axis=0), axis=1)))
        groups.append((idx, spread))
    groups.sort(key=lambda g: (-len({works[i].culture for i in g[0] if works[i].culture}), g[1], works[g[0][0]].id))
    return tuple(describe(number, idx, spread, works) for number, (idx, spread) in enumerate(groups, start=1))


def _cluster(features: np.ndarray, cfg: PatternsConfig) -> np.ndarray:
    if cfg.method == "optics":
        from sklearn.cluster import OPTICS

        return OPTICS(min_samples=cfg.min_cluster_size, xi=0.05).fit_predict(features).astype(np.int64)
    return hdbscan_labels(features, cfg.min_cluster_size, "leaf")


def describe(number: int, idx: np.ndarray, spread: float, works: list[Record]) -> Pattern:
    """A pattern of the works at positions `idx`, numbered `number`, members ordered by date."""
    members = sorted(idx.tolist(), key=lambda i: _date_key(works[i]))
    cultures = Counter(works[i].culture for i in members if works[i].culture)
    media = Counter(works[i].medium for i in members if works[i].medium)
    years = [y for y in (work_year(works[i]) for i in members) if y is not None]
    span = [int(min(years)), int(max(years))] if years else None
    named = ", ".join(c for c, _ in sorted(cultures.items(), key=lambda t: (-t[1], t[0]))[:3])
    when = f", {span[0]}\u2013{span[1]}" if span and span[0] != span[1] else (f", {span[0]}" if span else "")
    return Pattern(
        id=str(number),
        label=f"Pattern {number}: {len(members)} works, {named or 'no culture'}{when}",
        size=len(members),
        spread=round(spread, 4),
        cultures=dict(sorted(cultures.items())),
        media=dict(sorted(media.items())),
        span=span,
        members=[works[i].id for i in members],
    )


def _date_key(work: Record) -> tuple:
    year = work_year(work)
    return (year is None, year if year is not None else 0.0, work.id)
