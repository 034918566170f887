"""Stage 5: the cluster map, a 2-D layout of the whole collection and clusters of related works.

PCA first (to `pca_dims`), because t-SNE behaves better, and runs much faster, on a few dozen dimensions
than on 2,048. The layout is t-SNE (or plain PCA for very large collections), scaled into the unit square
so the page can place thumbnails in percentages.

Clusters are chosen from the data, so that a reader gets a useful number of them. HDBSCAN on the 2-D
layout alone gave 2 clusters on WikiArt (3,464 and 36 works) and two "mostly Oil on canvas" on AIC: a
t-SNE map of weak features is one continent. Now a cluster holds at least 1/SIZE_SHARE of the collection
(and never fewer than map.min_cluster_size works), and three clusterings are tried in order: HDBSCAN on the
first CLUSTER_DIMS principal components (more of the structure than two dimensions keep), HDBSCAN on the
2-D layout, and Ward's agglomerative clustering on those components with the number of clusters that
scores the best silhouette (up to the rule of thumb sqrt(n / 2)). The first that is useful is kept: at least MIN_CLUSTERS clusters (fewer when
the collection cannot hold that many), none holding more than half the clustered works, at most
MAX_NOISE of the works left out. Ward always assigns every work; clusters under the minimum size become
noise. `ClusterMap.method` says which was used.

Each cluster is labelled by what distinguishes it: the medium, culture or century most over-represented
in it against the whole collection (at least LABEL_SHARE of its works and LABEL_LIFT times its share
overall), or else by its most central work's title. Everything is seeded and rounded, so the same vectors
give the same JSON.
"""

from __future__ import annotations

from collections import Counter
import dataclasses
from dataclasses import dataclass

import numpy as np

from atlas.analysis.density_clusters import hdbscan_labels
from atlas.analysis.reduce import pca
from atlas.core.config import MapConfig
from atlas.core.typed import JsonData

CLUSTER_DIMS = 10  # principal components the clusters are found in
SIZE_SHARE = 50  # a cluster holds at least 1/50 of the works
MIN_CLUSTERS = 3
MAX_CLUSTERS = 20
MAX_NOISE = 0.4
WARD_ROWS = 5000  # Ward on at most this many works (a seeded sample above: ward_clusters)
LABEL_SHARE = 0.25  # the label says the shares, so a quarter of the works at 1.5 times the base is honest
LABEL_LIFT = 1.5


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
    """HDBSCAN labels per row of `features` (excess-of-mass clusters); -1 means the work belongs to no cluster."""
    return hdbscan_labels(features, min_cluster_size, "eom")


def cluster_size(n: int, cfg: MapConfig) -> int:
    """The smallest cluster: 1/SIZE_SHARE of the works, never below map.min_cluster_size."""
    return max(cfg.min_cluster_size, round(n / SIZE_SHARE))


def useful(labels: np.ndarray, size: int) -> bool:
    """Enough clusters for the collection, none holding most of it, few works left out."""
    found = np.bincount(labels[labels >= 0]) if (labels >= 0).any() else np.zeros(0, dtype=np.int64)
    wanted = min(MIN_CLUSTERS, max(len(labels) // size, 1))
    return (len(found) >= max(wanted, 2) and found.max() * 2 <= found.sum()
            and float(np.mean(labels < 0)) <= MAX_NOISE)


def ward_clusters(features: np.ndarray, size: int, seed: int, sample_rows: int = WARD_ROWS) -> np.ndarray:
    """Ward clusters (see _ward); above `sample_rows` works, of a seeded sample of that many, every work then
    joining the cluster whose centre is nearest (clusters smaller than `size` become noise).

    Ward's tree (scipy's, under scikit-learn's) holds all N^2 / 2 distances and is built again for every
    number of clusters tried: 3.6 GB each at 30,000 works, 40 GB at 100,000. The sample bounds both."""
    if len(features) <= sample_rows:
        return _ward(features, size, seed)
    picked = np.sort(np.random.default_rng(seed).choice(len(features), sample_rows, replace=False))
    found = _ward(features[picked], max(2, -(-size * sample_rows // len(features))), seed)
    kept = sorted(set(found.tolist()) - {-1})
    if not kept:
        return np.full(len(features), -1, dtype=np.int64)
    centres = np.stack([features[picked[found == c]].mean(axis=0) for c in kept])
    labels = np.empty(len(features), dtype=np.int64)
    for start in range(0, len(features), 65536):
        block = features[start:start + 65536]
        distance = ((block[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
        labels[start:start + 65536] = np.asarray(kept)[distance.argmin(axis=1)]
    small = [c for c in kept if (labels == c).sum() < size]
    labels[np.isin(labels, small)] = -1
    return labels


def _ward(features: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Ward clusters, their number chosen by the best silhouette between 2 and the rule of thumb sqrt(n / 2)
    (at most MAX_CLUSTERS and n / size); clusters smaller than `size` become noise."""
    from sklearn.cluster import AgglomerativeClustering
    from sklearn.metrics import silhouette_score

    best, best_score = np.full(len(features), -1, dtype=np.int64), -np.inf
    most = min(MAX_CLUSTERS, len(features) // size, max(2, round(np.sqrt(len(features) / 2))))  # k ~ sqrt(n/2)
    for k in range(2, most + 1):
        labels = AgglomerativeClustering(n_clusters=k, linkage="ward").fit_predict(features)
        score = silhouette_score(features, labels, sample_size=min(len(features), 3000), random_state=seed)
        if score > best_score + 1e-9:
            best, best_score = labels.astype(np.int64), score
    small = np.flatnonzero(np.bincount(best[best >= 0]) < size) if (best >= 0).any() else []
    best[np.isin(best, small)] = -1
    return best


def choose_clusters(features: np.ndarray, xy: np.ndarray, cfg: MapConfig) -> tuple[np.ndarray, str]:
    """(labels, how they were found): the first useful of HDBSCAN on CLUSTER_DIMS components, HDBSCAN on the
    layout, Ward on the components (see the module docstring)."""
    size = cluster_size(len(features), cfg)
    if len(features) < 2 * max(size, 2):
        return np.full(len(features), -1, dtype=np.int64), f"none: fewer than {2 * max(size, 2)} works"
    components = features[:, :CLUSTER_DIMS]
    tried = [(f"HDBSCAN on {components.shape[1]} principal components", lambda: find_clusters(components, size)),
             ("HDBSCAN on the 2-D layout", lambda: find_clusters(xy, size))]
    for name, run in tried:
        labels = run()
        if useful(labels, size):
            return labels, f"{name} (clusters of at least {size} works)"
    labels = ward_clusters(components, size, cfg.seed)
    return labels, (f"Ward clustering of {components.shape[1]} principal components, the number of clusters "
                    f"chosen by silhouette (clusters of at least {size} works; HDBSCAN found no useful clusters)")


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
    method: str = ""  # how the clusters were found (choose_clusters), for the about page


def cluster_map(
    ids: list[str], vectors: np.ndarray, cultures: list[str | None], media: list[str | None], cfg: MapConfig,
    years: list[float | None] | None = None, titles: list[str] | None = None,
) -> ClusterMap:
    """The 2-D map of the works and its clusters (positions rounded so the JSON is stable)."""
    if len(ids) == 0:
        return ClusterMap((), ())
    features = reduce(vectors, cfg.pca_dims, cfg.seed)
    xy = layout_2d(features, cfg)
    labels, method = choose_clusters(features, xy, cfg)
    facets = {"medium": media, "culture": cultures, "century": centuries(years or [None] * len(ids))}
    numbers = np.full(len(ids), -1, dtype=np.int64)
    clusters = []
    for number, c in enumerate(sorted(set(labels.tolist()) - {-1})):
        idx = np.flatnonzero(labels == c)
        clusters.append(_describe(number, idx, ids, features, xy, facets, titles, cfg.representatives))
        numbers[idx] = number
    points = tuple(MapPoint(ids[i], round(float(xy[i, 0]), 4), round(float(xy[i, 1]), 4), int(numbers[i]))
                   for i in range(len(ids)))
    return ClusterMap(points, tuple(clusters), method)


def relabel(cmap: ClusterMap, cultures: list[str | None], media: list[str | None],
            years: list[float | None], titles: list[str]) -> ClusterMap:
    """The map with its clusters labelled from the works' current metadata (labels, centuries, titles).

    Labels are made here, after the cached map stage, so a changed title or date relabels the clusters
    without laying out the map again. The points are in the order of `cultures`, `media`, `years`, `titles`."""
    row = {p.id: i for i, p in enumerate(cmap.points)}
    facets = {"medium": media, "culture": cultures, "century": centuries(years)}
    labelled = []
    for c in cmap.clusters:
        idx = np.array([row[m] for m in c.members], dtype=np.int64)
        central = titles[row[c.representatives[0]]] if c.representatives else None
        labelled.append(dataclasses.replace(c, label=_label(c.id, idx, facets, central)))
    return dataclasses.replace(cmap, clusters=tuple(labelled))


def centuries(years: list[float | None]) -> list[str | None]:
    """'1600s' for a work dated 1600-1699 (by the middle of its catalogue span), None when undated."""
    return [None if y is None else f"{int(y // 100) * 100}s" for y in years]


def _describe(number, idx, ids, features, xy, facets, titles, n_rep) -> Cluster:
    centre = features[idx].mean(axis=0)
    order = idx[np.argsort(np.linalg.norm(features[idx] - centre, axis=1), kind="stable")]
    central = titles[order[0]] if titles else None
    return Cluster(
        id=number,
        label=_label(number, idx, facets, central),
        x=round(float(xy[idx, 0].mean()), 4),
        y=round(float(xy[idx, 1].mean()), 4),
        size=int(len(idx)),
        members=[ids[i] for i in sorted(idx)],
        representatives=[ids[i] for i in order[:n_rep]],
    )


def distinguishing(idx: np.ndarray, facets: dict[str, list]) -> list[tuple[str, str, float, float]]:
    """(facet, value, share in the cluster, share overall) of the values over-represented in the cluster,
    most over-represented first, at most one per facet."""
    found = []
    for facet, values in facets.items():
        overall = Counter(v for v in values if v)
        inside = Counter(values[i] for i in idx if values[i])
        rows = [(count / len(idx), overall[v] / len(values), v) for v, count in inside.items()]
        rows = [r for r in rows if r[0] >= LABEL_SHARE and r[0] >= LABEL_LIFT * r[1]]
        if rows:
            share, base, value = sorted(rows, key=lambda r: (-r[0] / r[1], -r[0], r[2]))[0]
            found.append((facet, value, share, base))
    return sorted(found, key=lambda r: (-r[2] / r[3], -r[2], r[0]))


def _label(number: int, idx: np.ndarray, facets: dict[str, list], central: str | None) -> str:
    """'Cluster 3: Ceramic (80% of its works, 20% of all), Chinese (...)', or 'Cluster 3: around "Title"'."""
    found = distinguishing(idx, facets)[:2]
    if found:
        return f"Cluster {number + 1}: " + ", ".join(f"{value} ({share:.0%} of its works, {base:.0%} of all)"
                                                     for _, value, share, base in found)
    return f"Cluster {number + 1}" + (f": around \u201c{central}\u201d" if central else "")
