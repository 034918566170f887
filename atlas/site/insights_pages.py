"""Pages for the study stages: the model page, pattern pages, surprises, and the artwork pages' extras.

`insights_globals` makes the templates' `insights` global (per-work guesses and heat-map URL, the
culture graph SVG, which study pages exist) so artwork.html, chord.html and base.html can include
their small parts; `insights_pages` yields the study pages and the JSON files.
The model page prints exactly the numbers in data/probes.json (the same rounded values, formatted by
the `pct` and `years` filters below).
"""

from __future__ import annotations

from collections.abc import Iterator

from atlas.analysis.force_layout import layout_svg
from atlas.analysis.probes import ProbeReport
from atlas.analysis.surprises import Surprises
from atlas.core.jsonio import json_bytes
from atlas.site.context import Output, SiteContext
from atlas.site.heatmap_uris import heatmap_uri
from atlas.site.page_reads import site_reads
from atlas.site.pattern_views import pattern_view


def pct(value) -> str:
    """0.9583 -> '95.8%' (the model page's only way of showing a share)."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


def years(value) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def insights_globals(ctx: SiteContext) -> dict:
    """The templates' `insights` global."""
    studies = ctx.data.studies
    graph = studies.graph
    return {
        "model": studies.probes is not None,
        "patterns": studies.patterns is not None,
        "surprises": studies.surprises is not None,
        "works": {w.id: work_insights(ctx, w.id, studies.probes, studies.heatmaps) for w in ctx.data.works},
        "graph_svg": layout_svg(graph, [ctx.url("culture", n["name"]) for n in graph.nodes],
                                noun=ctx.names["culture"]["many"])
        if graph and graph.nodes else "",
    }


def insights_pages(ctx: SiteContext) -> Iterator[Output]:
    """The model, pattern and surprises pages, and their JSON files (heat maps are in the pages: heatmap_uris)."""
    studies = ctx.data.studies
    probes, patterns, surprises = studies.probes, studies.patterns, studies.surprises
    if probes is not None:
        public = probes.public()
        yield ctx.page("model", None, "model.html", reads=site_reads(ctx), probes=public, about=ctx.data.about)
        yield Output("data/probes.json", json_bytes(public))
        yield Output("data/guesses.json", json_bytes(probes.guesses))
    if patterns is not None:
        views = [pattern_view(ctx, p) for p in patterns]
        yield ctx.page("patterns", None, "patterns.html", reads=site_reads(ctx), patterns=views)
        for view in views:
            yield ctx.page("pattern", view["id"], "pattern.html", reads=site_reads(ctx), pattern=view)
        yield Output("data/patterns.json", json_bytes([p.to_json() for p in patterns]))
    if surprises is not None:
        yield ctx.page("surprises", None, "surprises.html", reads=site_reads(ctx), **surprise_views(ctx, surprises))
        yield Output("data/surprises.json", json_bytes(surprises.to_json()))
    if studies.graph is not None:
        yield Output("data/culture-graph.json", json_bytes(studies.graph.to_json()))


def work_insights(r: SiteContext, work_id: str, probes: ProbeReport | None, heatmaps: dict) -> dict:
    """What one artwork page shows: the network's guesses beside the catalogue's values, and its heat map."""
    guesses = probes.guesses.get(work_id, {}) if probes else {}
    rows = []
    for name, guess in guesses.items():
        if name == "date":
            continue
        verb = "looks" if name == "culture" else "looks like"
        rows.append({
            "label": name.replace("_", " ").capitalize(),
            "phrase": f"{verb} {guess['guess']}, {guess['p'] * 100:.0f}%",
            "catalogue": guess["catalogue"] or "",
            "agrees": guess["catalogue"] == guess["guess"],
            "alternatives": ", ".join(f"{c} {p * 100:.0f}%" for c, p in guess["top"][1:] if p >= 0.005),
        })
    date = guesses.get("date")
    return {
        "guesses": rows,
        "date": {"phrase": f"about {date['year']} \u00b1 {date['pm']}", "catalogue": r.by_id[work_id].date_text} if date else None,
        "heatmap": heatmap_uri(r, work_id) if work_id in heatmaps else "",  # in the page: no file per work
        "heatmap_size": r.config.heatmaps.size,
        # heat maps of an untrained network show where random filters respond, not what a trained one sees
        "heatmap_untrained": not r.data.about.get("model", {}).get("pretrained", False),
    }


def surprise_views(r: SiteContext, surprises: Surprises) -> dict:
    def dated(rows):
        return [
            dict(row, work=r.work_view(row["id"]),
                 note=f"catalogue ~{row['catalogue']:.0f}, looks ~{row['year']} ({row['error']:+.0f} years)")
            for row in rows if row["id"] in r.by_id
        ]

    crossing = []
    for row in surprises.cross_cultural:
        if row["id"] in r.by_id:
            found = len(row["neighbours"])
            others = ", ".join(f"{name} {n}" for name, n in row["others"])
            note = f"{round(row['share'] * found)} of {found} nearest from other cultures ({others})"
            crossing.append(dict(row, work=r.work_view(row["id"]), note=note))
    return {"older": dated(surprises.older), "younger": dated(surprises.younger),
            "crossing": crossing, "k": surprises.k}
