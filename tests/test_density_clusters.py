"""The shared HDBSCAN (atlas.analysis.density_clusters): scikit-learn's exactly up to PRIM_ROWS works; above
(forced here with prim_rows=0) the Boruvka tree, deterministic, and the clusters scikit-learn's Prim-tree
HDBSCAN finds, measured by the adjusted Rand index (the trees may differ where distances tie)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import HDBSCAN
from sklearn.metrics import adjusted_rand_score

from atlas.analysis.density_clusters import MAX_MIN_SAMPLES, hdbscan_labels


def blobs(n: int = 1500, dims: int = 10, centres: int = 12, seed: int = 3) -> np.ndarray:
    """Gaussian blobs of different spreads plus uniform background: clusters, edges and noise."""
    rng = np.random.default_rng(seed)
    middle = rng.uniform(-20, 20, size=(centres, dims))
    pick = rng.integers(0, centres, size=n)
    points = middle[pick] + rng.normal(size=(n, dims)) * rng.uniform(0.5, 1.5, size=centres)[pick, None]
    background = rng.uniform(-25, 25, size=(n // 10, dims))
    return np.vstack([points, background])


def test_same_labels_twice():
    features = blobs()
    for selection, size in (("eom", 30), ("leaf", 5)):
        first = hdbscan_labels(features, size, selection, prim_rows=0)
        assert first.dtype == np.int64 and first.shape == (len(features),)
        assert np.array_equal(first, hdbscan_labels(features.copy(), size, selection, prim_rows=0))


def test_broad_clusters_are_scikit_learns():
    """The map's excess-of-mass clusters: the same partition as scikit-learn's on blobs."""
    features = blobs()
    theirs = HDBSCAN(min_cluster_size=30, copy=True).fit_predict(features)
    assert theirs.max() >= 5 and adjusted_rand_score(theirs, hdbscan_labels(features, 30, "eom", prim_rows=0)) == 1.0


def test_above_prim_rows_the_core_distance_stops_at_the_fiftieth_neighbour():
    """The map's clusters of N/50 works: min_samples capped at MAX_MIN_SAMPLES (scikit-learn's count)."""
    features = blobs()
    theirs = HDBSCAN(min_cluster_size=100, min_samples=MAX_MIN_SAMPLES, copy=True).fit_predict(features)
    ours = hdbscan_labels(features, 100, "eom", prim_rows=0)
    assert theirs.max() == ours.max() >= 5 and adjusted_rand_score(theirs, ours) >= 0.99  # ties at the edges
    assert np.array_equal(hdbscan_labels(features, 100, "eom"), HDBSCAN(min_cluster_size=100, copy=True).fit_predict(features))


def test_leaf_clusters_agree_where_both_cluster():
    """Leaf clusters of 5 react to the order of tied merges (a blob of 5-point leaves in one tree, one leaf
    in the other), so: as many clusters, and the works both put in a cluster grouped alike."""
    features = blobs()
    ours = hdbscan_labels(features, 5, "leaf", prim_rows=0)
    theirs = HDBSCAN(min_cluster_size=5, cluster_selection_method="leaf", copy=True).fit_predict(features)
    assert abs(int(ours.max()) - int(theirs.max())) <= 1 and theirs.max() >= 10
    both = (ours >= 0) & (theirs >= 0)
    assert both.sum() >= 0.5 * len(features)
    assert adjusted_rand_score(theirs[both], ours[both]) >= 0.95


def test_small_collections_keep_scikit_learns_labels_exactly():
    features = blobs()
    theirs = HDBSCAN(min_cluster_size=5, cluster_selection_method="leaf", copy=True).fit_predict(features)
    assert np.array_equal(hdbscan_labels(features, 5, "leaf"), theirs)  # len(features) <= PRIM_ROWS


def test_too_few_points_are_noise_and_bad_selection_is_refused():
    assert hdbscan_labels(blobs()[:4], 5).tolist() == [-1] * 4
    with pytest.raises(ValueError, match="selection"):
        hdbscan_labels(blobs(), 5, "largest")
