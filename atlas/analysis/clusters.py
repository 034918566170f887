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

import numpy as np

from atlas.core.config import MapConfig


def reduce(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    from sklearn.decomposition import PCA

    dims = min(dims, vectors.shape[0], vectors.shape[1])
    if dims < 2:  # one work (or one dimension): nothing to lay out
        return np.zeros((len(vectors), 2))
    return PCA(n_components=dims, random_state=seed, svd_solver="full").fit_transform(vectors)


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


def cluster_map(
    ids: list[str], vectors: np.ndarray, cultures: list[str | None], media: list[str | None], cfg: MapConfig
) -> dict:
    """JSON-able map: {"points": [{id, x, y, cluster}], "clusters": [{id, label, x, y, size, members, representatives}]}."""
    if len(ids) == 0:
        return {"points": [], "clusters": []}
    features = reduce(vectors, cfg.pca_dims, cfg.seed)
    xy = layout_2d(features, cfg)
    labels = find_clusters(xy, cfg.min_cluster_size)
    points = [
        {"id": ids[i], "x": round(float(xy[i, 0]), 4), "y": round(float(xy[i, 1]), 4), "cluster": int(labels[i])}
        for i in range(len(ids))
    ]
    clusters = []
    for number, c in enumerate(sorted(set(labels.tolist()) - {-1})):
        idx = np.flatnonzero(labels == c)
        clusters.append(_describe(number, idx, ids, features, xy, cultures, media, cfg.representatives))
        for i in idx:
            points[i]["cluster"] = number
    return {"points": points, "clusters": clusters}


def _describe(number, idx, ids, features, xy, cultures, media, n_rep) -> dict:
    centre = features[idx].mean(axis=0)
    order = idx[np.argsort(np.linalg.norm(features[idx] - centre, axis=1), kind="stable")]
    return {
        "id": number,
        "label": _label(number, [cultures[i] for i in idx], [media[i] for i in idx]),
        "x": round(float(xy[idx, 0].mean()), 4),
        "y": round(float(xy[idx, 1].mean()), 4),
        "size": int(len(idx)),
        "members": [ids[i] for i in sorted(idx)],
        "representatives": [ids[i] for i in order[:n_rep]],
    }


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
