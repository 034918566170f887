"""Pages for the study stages: the model page, pattern pages, surprises, and the artwork pages' extras.

Called once from Renderer.render_all before any page is written: it puts an `insights` global into the
templates (per-work guesses and heat-map URL, the culture graph SVG, which pages exist) so
artwork.html, chord.html and base.html can include their small parts, then writes its own pages, the
heat-map images and the JSON files. The model page prints exactly the numbers in data/probes.json
(the same rounded values, formatted by the `pct` and `years` filters below).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from atlas.analysis.force_layout import layout_svg
from atlas.core.jsonio import json_bytes
from atlas.site import urls

if TYPE_CHECKING:
    from atlas.site.render import Renderer


def pct(value) -> str:
    """0.9583 -> '95.8%' (the model page's only way of showing a share)."""
    return "n/a" if value is None else f"{value * 100:.1f}%"


def years(value) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def render_insights(r: Renderer) -> None:
    """Set the templates' `insights` global, then write the study pages, heat maps and JSON."""

    data = r.data.insights or {}
    probes, patterns, surprises = data.get("probes"), data.get("patterns"), data.get("surprises")
    heatmaps = data.get("heatmaps") or {}
    for work_id, source in sorted(heatmaps.items()):
        if work_id in r.by_id:
            r.writer.copy_file(urls.heatmap_path(work_id), source)
    graph = data.get("graph")
    r.env.filters.update(pct=pct, years=years)
    r.env.globals["insights"] = {
        "model": probes is not None,
        "patterns": patterns is not None,
        "surprises": surprises is not None,
        "works": {w.id: work_insights(r, w.id, probes, heatmaps) for w in r.data.works},
        "graph_svg": layout_svg(graph, [r.url("culture", n["name"]) for n in graph["nodes"]]) if graph and graph["nodes"] else "",
    }
    if probes is not None:
        public = {k: v for k, v in probes.items() if k != "guesses"}
        r.page("model", None, "model.html", probes=public, about=r.data.about)
        r.writer.write_bytes("data/probes.json", json_bytes(public))
        r.writer.write_bytes("data/guesses.json", json_bytes(probes["guesses"]))
    if patterns is not None:
        views = [dict(p, url=r.url("pattern", p["id"]), works=[r.work_view(i) for i in p["members"]]) for p in patterns]
        r.page("patterns", None, "patterns.html", patterns=views)
        for view in views:
            r.page("pattern", view["id"], "pattern.html", pattern=view)
        r.writer.write_bytes("data/patterns.json", json_bytes(patterns))
    if surprises is not None:
        r.page("surprises", None, "surprises.html", **surprise_views(r, surprises))
        r.writer.write_bytes("data/surprises.json", json_bytes(surprises))
    if graph is not None:
        r.writer.write_bytes("data/culture-graph.json", json_bytes(graph))


def work_insights(r: Renderer, work_id: str, probes: dict | None, heatmaps: dict) -> dict:
    """What one artwork page shows: the network's guesses beside the catalogue's values, and its heat map."""
    guesses = (probes or {}).get("guesses", {}).get(work_id, {})
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
        "heatmap": urls.join_url(r.base, urls.heatmap_path(work_id)) if work_id in heatmaps else "",
        "heatmap_size": r.data.config.heatmaps.size,
    }


def surprise_views(r: Renderer, surprises: dict) -> dict:
    def dated(rows):
        return [
            dict(row, work=r.work_view(row["id"]),
                 note=f"catalogue ~{row['catalogue']:.0f}, looks ~{row['year']} ({row['error']:+.0f} years)")
            for row in rows if row["id"] in r.by_id
        ]

    crossing = []
    for row in surprises.get("cross_cultural", []):
        if row["id"] in r.by_id:
            found = len(row["neighbours"])
            others = ", ".join(f"{name} {n}" for name, n in row["others"])
            note = f"{round(row['share'] * found)} of {found} nearest from other cultures ({others})"
            crossing.append(dict(row, work=r.work_view(row["id"]), note=note))
    return {"older": dated(surprises.get("older", [])), "younger": dated(surprises.get("younger", [])),
            "crossing": crossing, "k": surprises.get("k", 0)}
