"""atlas.analysis.reduce.pca: the covariance path above FULL_SVD_ROWS gives scikit-learn's full-SVD result."""

from __future__ import annotations

import numpy as np

from atlas.analysis import reduce


def test_the_covariance_path_equals_the_full_svd_up_to_float32_rounding(monkeypatch):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((1200, 48)).astype(np.float32) * np.linspace(4, 0.5, 48, dtype=np.float32)
    vectors += 3.0  # a mean far from zero: the centring must happen
    full = reduce.pca(vectors, 8, seed=0)
    assert len(vectors) <= reduce.FULL_SVD_ROWS  # the small path is scikit-learn's full SVD, as before
    monkeypatch.setattr(reduce, "FULL_SVD_ROWS", 100)
    blocked = reduce.covariance_pca(vectors, 8, block=500)  # blocks that do not divide the rows
    assert blocked.dtype == full.dtype == np.float32
    assert np.allclose(blocked, full, atol=1e-4 * np.abs(full).max())  # same components, same signs
    assert np.array_equal(reduce.pca(vectors, 8, seed=0), reduce.covariance_pca(vectors, 8))


def test_a_memory_map_is_read_in_blocks(tmp_path):
    vectors = np.random.default_rng(1).standard_normal((900, 16)).astype(np.float32)
    np.save(tmp_path / "v.npy", vectors)
    mapped = np.load(tmp_path / "v.npy", mmap_mode="r")
    assert np.array_equal(reduce.covariance_pca(mapped, 4, block=256), reduce.covariance_pca(vectors, 4, block=256))
