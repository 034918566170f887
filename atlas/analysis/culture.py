"""Stage 4: how close cultures are to one another, from the mean of their works' vectors.

Following the culture paper: each culture is the mean of its works' unit vectors; cultures are compared
by the Euclidean distance between means; and the similarity of B to A is normalised over A's row,
    sim(A, B) = dist(A, B)^-1 / sum over C != A of dist(A, C)^-1,
so each row sums to 1 and reads "of everything A resembles, this share is B". The result is plain
JSON-able data: the chord diagram and the culture pages read it.
"""

from __future__ import annotations

import numpy as np

from atlas.analysis.neighbours import group_members

EPSILON = 1e-9  # two cultures with identical means would otherwise divide by zero


def culture_similarity(vectors: np.ndarray, labels: list[str | None]) -> dict:
    """{"labels", "counts", "distance", "similarity"}; matrices as lists, rounded for stable JSON."""
    members = group_members(labels)
    names = list(members)
    if not names:
        return {"labels": [], "counts": [], "distance": [], "similarity": []}
    means = np.stack([vectors[idx].mean(axis=0) for idx in members.values()]).astype(np.float64)
    distance = np.linalg.norm(means[:, None, :] - means[None, :, :], axis=2)
    similarity = normalised_similarity(distance)
    return {
        "labels": names,
        "counts": [int(len(idx)) for idx in members.values()],
        "distance": np.round(distance, 6).tolist(),
        "similarity": np.round(similarity, 6).tolist(),
    }


def normalised_similarity(distance: np.ndarray) -> np.ndarray:
    """Row-normalised inverse distances with a zero diagonal (rows sum to 1 when there are >= 2)."""
    n = len(distance)
    inverse = 1.0 / np.maximum(distance, EPSILON)
    np.fill_diagonal(inverse, 0.0)
    totals = inverse.sum(axis=1, keepdims=True)
    return np.divide(inverse, totals, out=np.zeros((n, n)), where=totals > 0)


def strongest_links(similarity: dict, top: int = 3) -> dict[str, list[tuple[str, float]]]:
    """For each culture, its `top` most similar other cultures with their normalised similarity."""
    names, matrix = similarity["labels"], similarity["similarity"]
    links = {}
    for i, name in enumerate(names):
        others = sorted(((matrix[i][j], names[j]) for j in range(len(names)) if j != i), key=lambda t: (-t[0], t[1]))
        links[name] = [(other, round(value, 4)) for value, other in others[:top]]
    return links
