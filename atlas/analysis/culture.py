"""Stage 4: how close cultures are to one another, from the mean of their works' vectors.

Following the culture paper: each culture is the mean of its works' unit vectors; cultures are compared
by the Euclidean distance between means; and the similarity of B to A is normalised over A's row,
    sim(A, B) = dist(A, B)^-1 / sum over C != A of dist(A, C)^-1,
so each row sums to 1 and reads "of everything A resembles, this share is B". The result is plain
JSON-able data: the chord diagram and the culture pages read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlas.analysis.neighbours import group_members
from atlas.core.typed import JsonData

EPSILON = 1e-9  # two cultures with identical means would otherwise divide by zero


@dataclass(frozen=True)
class CultureSimilarity(JsonData):
    """Cultures in order, their work counts, and the distance and normalised similarity matrices (lists of
    rows, rounded so the JSON is stable)."""

    labels: list[str]
    counts: list[int]
    distance: list[list[float]]
    similarity: list[list[float]]


def culture_similarity(vectors: np.ndarray, labels: list[str | None]) -> CultureSimilarity:
    """The similarity of every culture to every other, from the means of their works' vectors."""
    members = group_members(labels)
    names = list(members)
    if not names:
        return CultureSimilarity([], [], [], [])
    means = np.stack([vectors[idx].mean(axis=0) for idx in members.values()]).astype(np.float64)
    distance = np.linalg.norm(means[:, None, :] - means[None, :, :], axis=2)
    similarity = normalised_similarity(distance)
    return CultureSimilarity(
        labels=names,
        counts=[int(len(idx)) for idx in members.values()],
        distance=np.round(distance, 6).tolist(),
        similarity=np.round(similarity, 6).tolist(),
    )


def normalised_similarity(distance: np.ndarray) -> np.ndarray:
    """Row-normalised inverse distances with a zero diagonal (rows sum to 1 when there are >= 2)."""
    n = len(distance)
    inverse = 1.0 / np.maximum(distance, EPSILON)
    np.fill_diagonal(inverse, 0.0)
    totals = inverse.sum(axis=1, keepdims=True)
    return np.divide(inverse, totals, out=np.zeros((n, n)), where=totals > 0)


def strongest_links(similarity: dict, top: int = 3) -> dict[str, list[tuple[str, float]]]:
    """For each culture, its `top` most similar other cultures with their normalised similarity."""
    names, matrix = similarity.labels, similarity.similarity
    links = {}
    for i, name in enumerate(names):
        others = sorted(((matrix[i][j], names[j]) for j in range(len(names)) if j != i), key=lambda t: (-t[0], t[1]))
        links[name] = [(other, round(value, 4)) for value, other in others[:top]]
    return links
