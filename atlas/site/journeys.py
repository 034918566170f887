"""Journeys between works: the graph files the browser walks, the journey page, and pre-rendered journeys.

The graph (atlas.analysis.journey_graph) is written under data/journey/: manifest.json (counts, shard
size, group names, the first id of each shard so the browser finds a work's shard by binary search),
<n>.bin (a shard's edges, journeys.shard_size works: int32 indices and float16 scores as varints, see
journey_graph.shard_bytes; each work's best incoming score), <m>.json (the
works of a smaller piece, META_SIZE at most: id, title, byline, path segment; a journey shows a few works,
so their titles come in small files while the edges come in few big ones) and groups.bin (every work's group numbers, read only when the visitor asks for a `via`).
The journey page (journey/?from=&to=&via=) runs assets/journey.js on them. Pre-rendered journeys
(journey/<a>/<b>/, plain HTML) follow the same rule in Python; which ones, and their cached chains, are
the journeys stage's (atlas.site.journey_plan), run by the build before the pages.
"""

from __future__ import annotations

from collections.abc import Iterator

from atlas.analysis import journey_graph as jg
from atlas.core.jsonio import json_bytes
from atlas.core.records import CONDITIONS
from atlas.site import journey_plan as plan
from atlas.site import urls
from atlas.site.context import Output, SiteContext

GRAPH_DIR = "data/journey/"
# Works per <m>.json (ids and titles): a journey reads the titles of its two ends and of the few works it
# shows, so these stay small whatever journeys.shard_size (the edges' files) is.
META_SIZE = 1024
# The worksheet's share link holds every item's ids (assets/worksheet.js); tests/test_worksheet_browser.py
# checks that 30 items of the sample stay within it.
SHARE_LIMIT = 2000
SHARE_NOTE = (f"30 items stay under {SHARE_LIMIT:,} characters for ids of up to 25 characters, within the "
              "2,048 that some browsers, proxies and CDNs accept")


def graph_outputs(graph: jg.JourneyGraph, rows: list[list[str]], shard_size: int, max_works: int,
                  thumb_size: int, meta_size: int = META_SIZE) -> Iterator[Output]:
    """The graph's files. `rows` are [id, title, byline, path segment] per work, in graph order (ids sorted)."""
    starts = list(range(0, graph.size, shard_size))
    incoming = jg.best_in(graph)
    for number, first in enumerate(starts):
        yield Output(f"{GRAPH_DIR}{number}.bin", jg.shard_bytes(graph, first, min(first + shard_size, graph.size), incoming))
    meta_size = min(shard_size, meta_size)
    pieces = list(range(0, graph.size, meta_size))
    for number, first in enumerate(pieces):
        yield Output(f"{GRAPH_DIR}{number}.json", json_bytes({"works": rows[first:first + meta_size]}))
    yield Output(f"{GRAPH_DIR}groups.bin", jg.groups_bytes(graph))
    manifest = {"count": graph.size, "shard_size": shard_size, "shards": len(starts), "max_works": max_works,
                "meta_size": meta_size, "first_ids": [rows[i][0] for i in pieces], "fields": sorted(graph.groups),
                "groups": {fld: graph.group_names[fld] for fld in sorted(graph.groups)},
                "edges": int(graph.offsets[-1]), "thumb_size": thumb_size}
    yield Output(f"{GRAPH_DIR}manifest.json", json_bytes(manifest))


def journey_pages(ctx: SiteContext) -> Iterator[Output]:
    """The graph files, the journey page, and the pre-rendered journeys."""
    cfg = ctx.config.journeys
    journeys = ctx.data.journeys or _uncached(ctx)
    graph = journeys.graph
    rows = [[w.id, ctx.work_view(w.id)["title"], ctx.work_view(w.id)["byline"], ctx.paths.segment("work", w.id)]
            for w in ctx.data.works]
    yield from graph_outputs(graph, rows, cfg.shard_size, cfg.max_works, ctx.small)
    views = [journey_view(ctx, j) for j in journeys.plan.journeys]
    yield ctx.page("journey", None, "journey.html", graph_url=urls.join_url(ctx.base, GRAPH_DIR),
                   fields=[{"field": fld, "name": ctx.names[fld]["one"], "groups": graph.group_names[fld]}
                           for fld in CONDITIONS if graph.group_names[fld]],
                   featured=[v for v in views if v["found"]][:24], max_works=cfg.max_works)
    for j, view in zip(journeys.plan.journeys, views):
        yield ctx.page("journey_page", (j.a, j.b), "journey_page.html", journey=view)
    names_url = urls.join_url(ctx.base, urls.path_names_path()) if ctx.paths.special.get("work") else ""
    yield ctx.page("worksheet", None, "worksheet.html", graph_url=urls.join_url(ctx.base, GRAPH_DIR),
                   path_names_url=names_url, work_data_url=ctx.work_data_url(), share_note=SHARE_NOTE)


def _uncached(ctx: SiteContext) -> plan.Journeys:
    """The journeys stage's result made here, for a SiteData made without it (benchmarks)."""
    cfg, works = ctx.config.journeys, ctx.data.works
    graph = plan.journey_graph(works, ctx.data.analogies, cfg.top_k)
    ends = plan.journey_ends(works, ctx.data.similarity, ctx.data.pairings, cfg.featured)
    return plan.Journeys(graph, plan.plan_journeys(graph, [w.id for w in works], ends, cfg.max_works))


def journey_view(ctx: SiteContext, journey: plan.PlannedJourney) -> dict:
    """What journey_page.html shows: the works and each step as a pair with its similarity."""
    a, b = journey.a, journey.b
    ends = {"from": ctx.work_view(a), "to": ctx.work_view(b), "url": ctx.url("journey_page", (a, b)),
            "live": ctx.url("journey") + f"?from={_quote(a)}&to={_quote(b)}"}
    if not journey.path:
        return {**ends, "found": False, "works": [], "steps": [], "weakest": None}
    ids = journey.path
    steps = [{"a": ctx.work_view(x), "b": ctx.work_view(y), "similarity": round(s, 3),
              "pair_url": ctx.env.globals["pair_url"](x, y)} for x, y, s in zip(ids, ids[1:], journey.steps)]
    return {**ends, "found": True, "works": [ctx.work_view(i) for i in ids], "steps": steps,
            "weakest": round(min(journey.steps), 3)}


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def graph_bytes_per_work(outputs: list[Output], works: int) -> float:
    """Bytes of the graph's binary shards per work (the issue's figure), from the outputs."""
    total = sum(len(o.data or b"") for o in outputs if o.path.endswith(".bin") and "groups" not in o.path)
    return total / works if works else 0.0

