"""How pages word a pair's score: its percentile among all pairs of the collection, and why the pair matched.

The raw score stays in the JSON (each work's record, atlas.site.work_json; data/similarity-scale.json holds the table that turns
one into the other); pages show the percentile, which a visitor can read.

"Why this match" is shown in the features the atlas actually used. For weights-free features, each
family's share of the score (atlas.analysis.match_parts), in thousandths that sum to the score's own: on
pair pages, under each analogy card of an artwork page, and in the pair viewer, which reads them from the
work's JSON (its "why" key, below: one list of integers per analogy, aligned with the analogy lists). With a
network's heat maps, the two works' heat maps side by side, with the untrained network's caveat.
"""

from __future__ import annotations

from atlas.analysis.match_parts import describe, permille
from atlas.analysis.similarity_scale import SimilarityScale
from atlas.site.context import SiteContext
from atlas.site.heatmap_uris import heatmap_uri


def similarity_text(scale: SimilarityScale | None, score: float) -> str:
    """'closer than 99.2% of all pairs' (the raw score when the build made no scale)."""
    if scale is None or not scale.scores:
        return f"similarity {score:.2f}"
    return f"closer than {scale.percentile(score):.1f}% of all pairs"


def why_view(why: dict, a: str, b: str) -> list[dict]:
    """The pair's shares for a page, largest first; empty when its features have no parts."""
    shares = why.get((a, b)) or why.get((b, a))
    return describe(permille(shares)) if shares else []


def heatmap_url(ctx: SiteContext, work_id: str) -> str:
    """The work's heat map (its grid as a data: URI, laid over the work's image), or '' when it has none."""
    return heatmap_uri(ctx, work_id)


def untrained(ctx: SiteContext) -> bool:
    return not ctx.data.about.get("model", {}).get("pretrained", False)


def why_globals(ctx: SiteContext) -> dict:
    """The templates' `why_match(a, b)`: {parts: [{family, share, percent}], heatmaps: [data: URI a, b] or [],
    size, untrained}, or None when the atlas can say nothing more about the pair than its score."""

    def why_match(a: str, b: str) -> dict | None:
        parts = why_view(ctx.data.why, a, b)
        maps = [heatmap_url(ctx, a), heatmap_url(ctx, b)]
        maps = maps if all(maps) else []
        if not parts and not maps:
            return None
        return {"parts": parts, "heatmaps": maps, "size": ctx.config.heatmaps.size, "untrained": untrained(ctx)}

    return {"why_match": why_match}


def why_json(ctx: SiteContext, work_id: str) -> dict | None:
    """The work JSON's "why" key: {"parts": [family, ...], <field>: {<group>: [[thousandths per family], ...]}}
    aligned with its "analogies" lists (an empty list where a pair has no shares), plus "heatmap" (a data: URI)
    and "untrained" when it has a heat map. None when there is nothing to say."""
    out: dict = {}
    for fld, groups in sorted(ctx.data.analogies.get(work_id, {}).items()):
        for group, listed in sorted(groups.items()):
            rows = []
            for other, _ in listed:
                shares = ctx.data.why.get((work_id, other))
                if shares and "parts" not in out:
                    out["parts"] = list(shares)
                thousandths = permille(shares) if shares else {}
                rows.append([thousandths[f] for f in out["parts"]] if shares else [])
            if any(rows):
                out.setdefault(fld, {})[group] = rows
    if heatmap_url(ctx, work_id):
        out.update(heatmap=heatmap_url(ctx, work_id), untrained=untrained(ctx))
    return out or None
