"""The one HDBSCAN the map's clusters and the visual patterns share.

scikit-learn's HDBSCAN builds its minimum spanning tree with Prim's algorithm over every pair of points
(O(N^2 d) whatever the index used for the core distances): fine at a few thousand works, hours at a
million. The `hdbscan` package (the reference implementation scikit-learn's was ported from) builds the
same tree with Boruvka's algorithm on a k-d tree: N log N in a few dimensions, N^1.2-1.7 measured in the
patterns' 20. Measured against scikit-learn and `fast_hdbscan` (numba) in benchmarks/README.md, "Second
pass (issue 20b)": it was the fastest at 100k, held the least memory, and needs no compiler at install or
at first run (fast_hdbscan compiles for a minute on first use).

Up to PRIM_ROWS works it is still scikit-learn's HDBSCAN (a second or two there), so small collections keep
exactly the clusters and patterns they had; above, the Boruvka tree, with two details made explicit so the
labels match scikit-learn's where the tree is the same:
- scikit-learn counts a point among its own `min_samples` neighbours, `hdbscan` does not: min_samples is
  passed one lower (with Prim's algorithm on both sides the labels are then identical);
- the tree is exact (`approx_min_span_tree=False`); it may still differ from Prim's where mutual
  reachability distances tie (many do: each is the larger of two core distances or the distance itself),
  so clusters can move at their edges (agreement measured by the adjusted Rand index in the README).
Core distances are computed in this process (`core_dist_n_jobs=1`): joblib's worker processes would each
hold a copy of the features. Deterministic: the same features give the same labels (tests/test_density_clusters.py).
"""

from __future__ import annotations

import numpy as np

SELECTIONS = ("eom", "leaf")  # excess of mass (the map's broad clusters) or the tree's leaves (patterns)
PRIM_ROWS = 5000  # at most this many works: scikit-learn's Prim tree (as reduce.FULL_SVD_ROWS: small sites unchanged)
MAX_MIN_SAMPLES = 50  # above PRIM_ROWS: a core distance is at most the 50th neighbour's (see hdbscan_labels)


def hdbscan_labels(features: np.ndarray, min_cluster_size: int, selection: str = "eom",
                   prim_rows: int = PRIM_ROWS) -> np.ndarray:
    """HDBSCAN labels (int64) per row of `features`; -1 means the work belongs to no cluster.

    min_samples is min_cluster_size, counting the point itself, as scikit-learn's default; above
    `prim_rows` works at most MAX_MIN_SAMPLES. The map asks for clusters of 1/50 of the works, and with
    min_samples = min_cluster_size every work's core distance needs its N/50 nearest neighbours: at 100,000
    works a 2,000-neighbour query of every point, 3.3 GB and over 12 minutes without finishing here (at 1M:
    N^2/50 distances). A core distance from the 50th neighbour smooths the density less, so clusters there
    are found in a less smoothed density; min_cluster_size still sets their smallest size."""
    if selection not in SELECTIONS:
        raise ValueError(f"cluster selection {selection!r} is not one of {SELECTIONS}")
    if len(features) < max(min_cluster_size, 2):
        return np.full(len(features), -1, dtype=np.int64)
    if len(features) <= prim_rows:
        from sklearn.cluster import HDBSCAN

        model = HDBSCAN(min_cluster_size=min_cluster_size, cluster_selection_method=selection, copy=True)
        return model.fit_predict(features).astype(np.int64)
    import hdbscan

    data = np.ascontiguousarray(features, dtype=np.float64)
    model = hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size, min_samples=max(min(min_cluster_size, MAX_MIN_SAMPLES) - 1, 1),
        cluster_selection_method=selection, algorithm="boruvka_kdtree", approx_min_span_tree=False,
        core_dist_n_jobs=1,
    )
    return model.fit_predict(data).astype(np.int64)
