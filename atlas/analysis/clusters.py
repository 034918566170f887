"""Stage 5: the cluster map, a 2-D layout of the whole collection and clusters of related works.

PCA first (to `pca_dims`), because t-SNE behaves better, and runs much faster, on a few dozen dimensions
than on 2,048. The layout is t-SNE (or plain PCA for very large collections), scaled into the unit square
so the page can place thumbnails in percentages. Clusters are HDBSCAN on that 2-D layout, so a cluster is
an island a visitor can see on the map (on the sample with an untrained ResNet-50, HDBSCAN on the 50-D PCA
features left 36% of works as noise; on the layout, 7%). Each cluster gets its members, its most central
works as representatives, and a label naming its dominant medium and culture. Everything is seeded and
rounded, so the same vectors give the same JSON.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from atlas.analysis.reduce import pca
from atlas.core.config import MapConfig
from atlas.core.typed import JsonData


def reduce(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """PCA before the layout; (n, 2) zeros when there is nothing to lay out (one work, or one dimension)."""
    features = pca(vectors, dims, seed)
    return features if features.shape[1] >= 2 else np.zeros((len(vectors), 2))


def layout_2d(features: np.ndarray, cfg: MapConfig) -> np.ndarray:
    """(N, 2) positions in [0, 1], x to the right and y downwards."""
    n = len(features)
    if n < 5 or cfg.layout == "pca":
        xy = features[:, :2] if features.shape[1] >= 2 else np.zeros((n, 2))
    else:
        from sklearn.manifold import TSNE

        perplexity = min(cfg.perplexity, (n - 1) / 3)
        xy = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=cfg.seed).fit_transform(features)
    return _unit_square(xy)


def _unit_square(xy: np.ndarray, margin: float = 0.03) -> np.ndarray:
    low, high = xy.min(axis=0), xy.max(axis=0)
    span = np.where(high - low > 0, high - low, 1.0)
    return margin + (1 - 2 * margin) * (xy - low) / span


def find_clusters(features: np.ndarray, min_cluster_size: int) -> np.ndarray:
    """HDBSCAN labels per row of `features`; -1 means the work belongs to no cluster."""
    from sklearn.cluster import HDBSCAN

    if len(features) < max(min_cluster_size, 2):
        return np.full(len(features), -1, dtype=np.int64)
    return HDBSCAN(min_cluster_size=min_cluster_size, copy=True).fit_predict(features).astype(np.int64)


@dataclass(frozen=True, slots=True)
class MapPoint(JsonData):
    """One work on the map: its position in the unit square and its cluster (-1 = none)."""

    id: str
    x: float
    y: float
    cluster: int


@dataclass(frozen=True)
class Cluster(JsonData):
    """A cluster of the map: its label, centre, size, members and the works shown for it."""

    id: int
    label: str
    x: float
    y: float
    size: int
    members: list[str]
    representatives: list[str]


@dataclass(frozen=True)
class ClusterMap(JsonData):
    points: tuple[MapPoint, ...]
    clusters: tuple[Cluster, ...]


def cluster_map(
    ids: list[str], vectors: np.ndarray, cultures: list[str | None], media: list[str | None], cfg: MapConfig
) -> ClusterMap:
    """The 2-D map of the works and its clusters (positions rounded so the JSON is stable)."""
    if len(ids) == 0:
        return ClusterMap((), ())
    features = reduce(vectors, cfg.pca_dims, cfg.seed)
    xy = layout_2d(features, cfg)
    labels = find_clusters(xy, cfg.min_cluster_size)
    numbers = np.full(len(ids), -1, dtype=np.int64)
    clusters = []
    for number, c in enumerate(sorted(set(labels.tolist()) - {-1})):
        idx = np.flatnonzero(labels == c)
        clusters.append(_describe(number, idx, ids, features, xy, cultures, media, cfg.representatives))
        numbers[idx] = number
    points = tuple(MapPoint(ids[i], round(float(xy[i, 0]), 4), round(float(xy[i, 1]), 4), int(numbers[i]))
                   for i in range(len(ids)))
    return ClusterMap(points, tuple(clusters))


def _describe(number, idx, ids, features, xy, cultures, media, n_rep) -> Cluster:
    centre = features[idx].mean(axis=0)
    order = idx[np.argsort(np.linalg.norm(features[idx] - centre, axis=1), kind="stable")]
    return Cluster(
        id=number,
        label=_label(number, [cultures[i] for i in idx], [media[i] for i in idx]),
        x=round(float(xy[idx, 0].mean()), 4),
        y=round(float(xy[idx, 1].mean()), 4),
        size=int(len(idx)),
        members=[ids[i] for i in sorted(idx)],
        representatives=[ids[i] for i in order[:n_rep]],
    )


def _label(number: int, cultures: list, media: list) -> str:
    """'Cluster 3: mostly Ceramic, Chinese' (a group is named when it holds at least half the members)."""
    parts = []
    for values in (media, cultures):
        counted = Counter(v for v in values if v)
        if counted:
            value, count = sorted(counted.items(), key=lambda t: (-t[1], t[0]))[0]
            if count * 2 >= len(values):
                parts.append(value)
    return f"Cluster {number + 1}" + (f": mostly {', '.join(parts)}" if parts else "")
