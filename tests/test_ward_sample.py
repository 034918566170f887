"""The map's last resort, Ward, on a seeded sample above WARD_ROWS works (atlas.analysis.clusters.ward_clusters):
its tree holds every pairwise distance, so the whole collection is never given to it."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from atlas.analysis import clusters


def blobs(per_blob: int, centres: int = 4, dims: int = 10, seed: int = 2):
    rng = np.random.default_rng(seed)
    middle = rng.uniform(-10, 10, size=(centres, dims))
    truth = np.repeat(np.arange(centres), per_blob)
    return middle[truth] + rng.normal(size=(len(truth), dims)), truth


def test_a_sample_finds_the_blobs_and_every_work_gets_one(monkeypatch):
    features, truth = blobs(300)
    seen = []
    ward = clusters._ward
    monkeypatch.setattr(clusters, "_ward", lambda f, size, seed: seen.append(len(f)) or ward(f, size, seed))
    labels = clusters.ward_clusters(features, 50, seed=0, sample_rows=200)
    assert seen == [200]  # Ward saw the sample only
    assert (labels >= 0).all() and adjusted_rand_score(truth, labels) == 1.0
    assert np.array_equal(labels, clusters.ward_clusters(features, 50, seed=0, sample_rows=200))  # seeded


def test_small_collections_are_clustered_whole():
    features, truth = blobs(30)
    assert np.array_equal(clusters.ward_clusters(features, 10, seed=0), clusters._ward(features, 10, 0))
    assert adjusted_rand_score(truth, clusters.ward_clusters(features, 10, seed=0)) == 1.0

