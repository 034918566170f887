"""The one PCA reduction the map and the pattern finder share.

Up to FULL_SVD_ROWS works it is scikit-learn's full SVD, as it always was. Above, the full SVD of an
N x d matrix costs O(N d^2) with a large constant and holds U (N x d) and a centred copy of the vectors:
85 s at 10,000 x 2,048 on the busy 2-core machine, and 16 GB at 1M works. There the components come from
the d x d covariance instead, summed a block of rows at a time (float32 products added up in float64), so
the memory is d x d whatever N and the vectors may be a memory map. Both give the same components up to
float32 rounding (tests/test_reduce.py), signed by scikit-learn's rule (each component's largest entry
positive). They are not byte-identical, and HDBSCAN's leaf clusters react to that rounding at their edges:
81 of 82 patterns kept exactly their members at 6,000 synthetic works (benchmarks/pca_patterns.py).
"""

from __future__ import annotations

import numpy as np

FULL_SVD_ROWS = 5000  # at most this many works: the full SVD (small collections' outputs unchanged)
BLOCK_ROWS = 8192  # rows per block of the covariance and the projection


def pca(vectors: np.ndarray, dims: int, seed: int) -> np.ndarray:
    """The first `dims` principal components of `vectors` (fewer when there are fewer rows or columns;
    deterministic: full SVD, seeded, or the covariance's eigenvectors above FULL_SVD_ROWS rows)."""
    from sklearn.decomposition import PCA

    dims = min(dims, vectors.shape[0], vectors.shape[1])
    if dims < 1 or len(vectors) < 2:  # one work has no variance to find
        return np.zeros((len(vectors), 0))
    if len(vectors) > FULL_SVD_ROWS:
        return covariance_pca(vectors, dims)
    return PCA(n_components=dims, random_state=seed, svd_solver="full").fit_transform(vectors)


def covariance_pca(vectors: np.ndarray, dims: int, block: int = BLOCK_ROWS) -> np.ndarray:
    """The centred vectors projected on the top `dims` eigenvectors of their covariance, in the vectors'
    float type (as scikit-learn's PCA returns them)."""
    mean = np.zeros(vectors.shape[1])
    for start in range(0, len(vectors), block):
        mean += np.asarray(vectors[start:start + block]).sum(axis=0, dtype=np.float64)
    mean /= len(vectors)
    centre = mean.astype(np.float32)
    scatter = np.zeros((vectors.shape[1], vectors.shape[1]))
    for start in range(0, len(vectors), block):
        rows = np.asarray(vectors[start:start + block], dtype=np.float32) - centre
        scatter += rows.T @ rows
    _, eigenvectors = np.linalg.eigh(scatter)  # ascending eigenvalues
    components = eigenvectors[:, ::-1][:, :dims].T.copy()
    largest = np.abs(components).argmax(axis=1)
    components *= np.sign(components[np.arange(dims), largest])[:, None]  # scikit-learn's svd_flip rule
    out = np.empty((len(vectors), dims))
    for start in range(0, len(vectors), block):
        out[start:start + block] = (np.asarray(vectors[start:start + block], dtype=np.float64) - mean) @ components.T
    return out.astype(vectors.dtype if vectors.dtype in (np.float32, np.float64) else np.float64)
