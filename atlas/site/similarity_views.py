"""How pages word a pair's score: its percentile among all pairs of the collection, and why the pair matched.

The raw score stays in the JSON (data/works/*.json, data/similarity-scale.json holds the table that turns
one into the other); pages show the percentile, which a visitor can read, and for weights-free features
each family's share of the score (atlas.analysis.match_parts).
"""

from __future__ import annotations

from atlas.analysis.match_parts import describe
from atlas.analysis.similarity_scale import SimilarityScale


def similarity_text(scale: SimilarityScale | None, score: float) -> str:
    """'closer than 99.2% of all pairs' (the raw score when the build made no scale)."""
    if scale is None or not scale.scores:
        return f"similarity {score:.2f}"
    return f"closer than {scale.percentile(score):.1f}% of all pairs"


def why_view(why: dict, a: str, b: str) -> list[dict]:
    """The pair's shares for a page, largest first; empty when its features have no parts."""
    shares = why.get((a, b)) or why.get((b, a))
    return describe(shares) if shares else []
