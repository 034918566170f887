"""atlas.analysis.clusters: the cluster map on synthetic collections with a known structure."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from atlas.analysis.clusters import (
    ClusterMap,
    cluster_map,
    find_clusters,
    layout_2d,
    reduce,
)
from atlas.core.config import MapConfig
from atlas.core.typed import StageDataError

CULTURES = ["Chinese", "Egyptian", "Greek"]


def blobs(per_blob: int = 40, dim: int = 64, n_blobs: int = 3, spread: float = 0.15, seed: int = 0):
    """Well-separated Gaussian blobs on the unit sphere; returns (vectors, blob index per row)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_blobs, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    truth = np.repeat(np.arange(n_blobs), per_blob)
    x = centres[truth] + rng.normal(scale=spread, size=(len(truth), dim)) / np.sqrt(dim) * 4
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    order = rng.permutation(len(truth))  # members of a blob are not contiguous
    return x[order].astype(np.float32), truth[order]


def cultures_for(truth: np.ndarray, rng_seed: int = 1, stray: int = 3) -> list[str | None]:
    """The blob's culture for most works, a few strays from other cultures and a few unknown."""
    rng = np.random.default_rng(rng_seed)
    out: list[str | None] = [CULTURES[t] for t in truth]
    for i in rng.choice(len(truth), size=stray, replace=False):
        out[i] = CULTURES[(truth[i] + 1) % len(CULTURES)]
    for i in rng.choice(len(truth), size=stray, replace=False):
        out[i] = None
    return out


def run(vectors, cultures=None, media=None, **cfg):
    n = len(vectors)
    ids = [f"w{i:03d}" for i in range(n)]
    return ids, cluster_map(ids, vectors, cultures or [None] * n, media or [None] * n, MapConfig(**cfg))


@pytest.fixture(scope="module")
def blob_map():
    vectors, truth = blobs()
    cultures = cultures_for(truth)
    ids, cmap = run(vectors, cultures)
    return vectors, truth, cultures, ids, cmap


def test_points_are_in_the_unit_square(blob_map):
    _, truth, _, ids, cmap = blob_map
    points = cmap.points
    assert [p.id for p in points] == ids
    xy = np.array([[p.x, p.y] for p in points])
    assert np.all((xy >= 0) & (xy <= 1))
    assert xy[:, 0].max() - xy[:, 0].min() > 0.5 and xy[:, 1].max() - xy[:, 1].min() > 0.5  # the square is used


def test_three_blobs_give_three_clusters_matching_them(blob_map):
    _, truth, _, ids, cmap = blob_map
    assert len(cmap.clusters) == 3
    found = np.array([p.cluster for p in cmap.points])
    assert np.mean(found == -1) < 0.1, "almost every work of a clean blob belongs to a cluster"
    clustered = found != -1
    assert adjusted_rand_score(truth[clustered], found[clustered]) > 0.9
    assert adjusted_rand_score(truth, found) > 0.9


def test_cluster_entries_are_consistent_with_the_points(blob_map):
    _, _, _, ids, cmap = blob_map
    points = {p.id: p for p in cmap.points}
    seen = set()
    for number, cluster in enumerate(cmap.clusters):
        assert cluster.id == number
        members = cluster.members
        assert members == sorted(members) and cluster.size == len(members)
        assert {i for i, p in points.items() if p.cluster == number} == set(members)
        assert not seen & set(members)
        seen |= set(members)
        reps = cluster.representatives
        assert 1 <= len(reps) <= MapConfig().representatives and len(set(reps)) == len(reps)
        assert set(reps) <= set(members)
        xs = [points[m].x for m in members]
        ys = [points[m].y for m in members]
        assert cluster.x == pytest.approx(np.mean(xs), abs=1e-3)
        assert cluster.y == pytest.approx(np.mean(ys), abs=1e-3)


def test_representatives_are_the_most_central_members(blob_map):
    vectors, _, _, ids, cmap = blob_map
    # The representatives are chosen in PCA space; they should lie closer to the cluster's centre than the
    # average member does in the original space too (PCA to 50 of 64 dims keeps nearly all the variance).
    index = {i: k for k, i in enumerate(ids)}
    for cluster in cmap.clusters:
        members = np.array([index[m] for m in cluster.members])
        reps = np.array([index[r] for r in cluster.representatives])
        centre = vectors[members].mean(axis=0)
        dist = np.linalg.norm(vectors - centre, axis=1)
        assert dist[reps].mean() < dist[members].mean()


def test_labels_name_the_most_over_represented_culture(blob_map):
    _, truth, cultures, ids, cmap = blob_map
    index = {i: k for k, i in enumerate(ids)}
    for number, cluster in enumerate(cmap.clusters):
        member_blobs = [truth[index[m]] for m in cluster.members]
        dominant = CULTURES[max(set(member_blobs), key=member_blobs.count)]
        share = sum(cultures[index[m]] == dominant for m in cluster.members) / len(cluster.members)
        overall = sum(c == dominant for c in cultures) / len(cultures)
        assert cluster.label == f"Cluster {number + 1}: {dominant} ({share:.0%} of its works, {overall:.0%} of all)"


def test_labels_name_medium_and_culture_and_skip_minorities():
    vectors, truth = blobs(per_blob=30, seed=3)
    cultures = [CULTURES[t] for t in truth]
    # Blob 0 is all "Ceramic"; blob 1 is split between five media (none holds a quarter); blob 2 has none.
    split = iter(["Ink", "Oil", "Bronze", "Jade", "Silk"] * 6)  # blob 1's 30 works: six of each medium
    media = [("Ceramic" if t == 0 else next(split) if t == 1 else None) for t in truth]
    ids, cmap = run(vectors, cultures, media, layout="pca")  # pca: quicker, and the blobs separate in it
    assert len(cmap.clusters) == 3
    index = {i: k for k, i in enumerate(ids)}
    labels = {}
    for cluster in cmap.clusters:
        blob = int(np.bincount([truth[index[m]] for m in cluster.members]).argmax())
        labels[blob] = re.findall(r"(?:: |, )([^,(]+) \(", cluster.label)
    assert labels == {0: ["Chinese", "Ceramic"], 1: ["Egyptian"], 2: ["Greek"]}  # no medium holds 25% of blob 1


def test_same_input_gives_identical_output(blob_map):
    vectors, _, cultures, _, first = blob_map
    _, second = run(vectors.copy(), list(cultures))
    assert json.dumps(first.to_json(), sort_keys=True) == json.dumps(second.to_json(), sort_keys=True)
    assert ClusterMap.from_json(json.loads(json.dumps(first.to_json()))) == first  # the cache round trip is exact


def test_a_stored_map_with_a_renamed_key_fails_where_it_is_read(blob_map):
    stored = blob_map[-1].to_json()
    stored["points"][0]["cluster_id"] = stored["points"][0].pop("cluster")
    with pytest.raises(StageDataError, match="MapPoint: unknown key"):
        ClusterMap.from_json(stored)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 4])
def test_tiny_collections_do_not_crash(n):
    vectors, _ = blobs(per_blob=n, n_blobs=1, seed=n)
    ids, cmap = run(vectors, ["Greek"] * n)
    assert [p.id for p in cmap.points] == ids
    assert all(0 <= p.x <= 1 and 0 <= p.y <= 1 for p in cmap.points)
    assert all(p.cluster == -1 for p in cmap.points)  # fewer works than min_cluster_size
    assert cmap.clusters == ()


def test_pca_layout_finds_the_blobs_too():
    vectors, truth = blobs(seed=7)
    _, cmap = run(vectors, layout="pca")
    xy = np.array([[p.x, p.y] for p in cmap.points])
    assert np.all((xy >= 0) & (xy <= 1))
    # The PCA layout is the first two principal components, scaled into the square.
    features = reduce(vectors, 50, 0)
    expected = layout_2d(features, MapConfig(layout="pca"))
    assert np.allclose(xy, expected, atol=1e-4)
    found = np.array([p.cluster for p in cmap.points])
    assert len(cmap.clusters) == 3
    assert adjusted_rand_score(truth, found) > 0.9


def test_layout_2d_fills_the_square_with_a_margin():
    features = np.random.default_rng(0).normal(size=(30, 5))
    for layout in ("pca", "tsne"):
        xy = layout_2d(features, MapConfig(layout=layout, perplexity=5))
        assert xy.shape == (30, 2)
        assert np.allclose(xy.min(axis=0), 0.03) and np.allclose(xy.max(axis=0), 0.97)
    # pca keeps the order of the first component: the work furthest along it is at the right edge
    xy = layout_2d(features, MapConfig(layout="pca"))
    assert int(np.argmax(xy[:, 0])) == int(np.argmax(features[:, 0]))


def test_layout_2d_of_identical_points_stays_inside():
    xy = layout_2d(np.ones((3, 4)), MapConfig(layout="pca"))
    assert np.all((xy >= 0) & (xy <= 1)) and np.all(np.isfinite(xy))


def test_find_clusters_on_two_islands_and_small_input():
    rng = np.random.default_rng(0)
    xy = np.vstack([rng.normal(0, 0.01, (20, 2)), rng.normal(1, 0.01, (20, 2))])
    labels = find_clusters(xy, min_cluster_size=8)
    assert labels.dtype == np.int64
    assert adjusted_rand_score(np.repeat([0, 1], 20), labels) == 1.0
    assert np.array_equal(find_clusters(xy[:5], min_cluster_size=8), np.full(5, -1))


def test_min_cluster_size_is_respected():
    vectors, _ = blobs(per_blob=40, seed=11)
    _, cmap = run(vectors, min_cluster_size=50, layout="pca")  # every blob is smaller than that
    assert all(c.size >= 50 for c in cmap.clusters)
    _, small = run(vectors, representatives=2, layout="pca")
    assert small.clusters and all(len(c.representatives) == 2 for c in small.clusters)
