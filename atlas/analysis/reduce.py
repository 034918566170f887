"""The one PCA reduction the map and the pattern finder share."""

from __future__ import annotations

import numpy as np


def pca(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """The first `dims` principal components of `vectors` (fewer when there are fewer rows or columns;
    deterministic: full SVD, seeded)."""
    from sklearn.decomposition import PCA

    dims = min(dims, vectors.shape[0], vectors.shape[1])
    if dims < 1 or len(vectors) < 2:  # one work has no variance to find
        return np.zeros((len(vectors), 0))
    return PCA(n_components=dims, random_state=seed, svd_solver="full").fit_transform(vectors)
