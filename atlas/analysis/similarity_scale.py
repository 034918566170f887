"""Similarity a visitor can read: where a pair's score falls among all pairs of works in the collection.

A raw cosine means nothing to a visitor ("similarity -0.05" is a real analogy on the AIC atlas: 800 of its
14,418 shown scores are negative, because vectors are centred on the collection's mean). Its percentile
among every pair of distinct works in the same collection does: "closer than 99.2% of all pairs". The
scale is a table of the scores at PERCENTILES of all pairs, exact below EXACT_ROWS works and over a seeded
sample of works above (every pair among the sampled works); a score is read off it by linear
interpolation. The raw score stays in the JSON beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from atlas.core.typed import JsonData

EXACT_ROWS = 3000  # up to this many works every pair is counted (4.5 million pairs); above, a sample of works
LEVELS = 1001  # the scale holds the score at every 0.1 percentile
DECIMALS = 3


@dataclass(frozen=True)
class SimilarityScale(JsonData):
    """Scores at evenly spaced percentiles (0, 0.1, ..., 100) of all pairs of distinct works."""

    scores: list  # LEVELS floats, ascending
    pairs: int  # pairs the table was made from
    sampled: bool  # True when the pairs are those among a seeded sample of works

    def percentile(self, score: float) -> float:
        """The share of pairs (in percent, one decimal) scoring at or below `score`."""
        levels = np.linspace(0.0, 100.0, len(self.scores))
        return round(float(np.interp(score, self.scores, levels)), 1) if self.scores else 0.0


def similarity_scale(vectors: np.ndarray, seed: int = 0, exact_rows: int = EXACT_ROWS) -> SimilarityScale:
    """The scale of one collection's scores (dot products of its rows: cosines for unit rows)."""
    n = len(vectors)
    if n < 2:
        return SimilarityScale([], 0, False)
    rows = np.arange(n) if n <= exact_rows else np.sort(np.random.default_rng(seed).choice(n, exact_rows, replace=False))
    scores = pair_scores(np.asarray(vectors[rows], dtype=np.float32))
    table = np.quantile(scores.astype(np.float64), np.linspace(0.0, 1.0, LEVELS))
    # 3 decimals: fine enough for a percentile shown to 0.1, and coarse enough that vectors recomputed with
    # float noise (a damaged cache entry embedded again) give the same file
    return SimilarityScale([round(float(s), DECIMALS) for s in np.maximum.accumulate(table)], int(len(scores)),
                           n > exact_rows)


def pair_scores(rows: np.ndarray, block: int = 256) -> np.ndarray:
    """The score of every pair (i < j) of `rows`, a block of rows at a time."""
    m, found = len(rows), []
    for start in range(0, m, block):
        sims = rows[start : start + block] @ rows.T
        above = np.arange(m)[None, :] > np.arange(start, start + len(sims))[:, None]
        found.append(sims[above])
    return np.concatenate(found)
