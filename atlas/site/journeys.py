"""Journeys between works: the graph files the browser walks, the journey page, and pre-rendered journeys.

The graph (atlas.analysis.journey_graph) is written under data/journey/: manifest.json (counts, shard
size, group names, the first id of each shard so the browser finds a work's shard by binary search),
<n>.bin (a shard's edges: int32 indices, float16 scores; each work's best incoming score), <n>.json (a shard's works: id, title, byline,
path segment) and groups.bin (every work's group numbers, read only when the visitor asks for a `via`).
The journey page (journey/?from=&to=&via=) runs assets/journey.js on them. Pre-rendered journeys
(journey/<a>/<b>/, plain HTML) follow the same rule in Python: one per curated pairing, one between the
cover works of each of the `journeys.featured` most similar pairs of cultures, and every journey an earlier
build published (read from the URL ledger), so a link to a journey never breaks.
"""

from __future__ import annotations

from collections.abc import Iterator

from atlas.analysis import journey_graph as jg
from atlas.core.jsonio import json_bytes
from atlas.core.records import CONDITIONS
from atlas.site import urls
from atlas.site.context import Output, SiteContext

GRAPH_DIR = "data/journey/"
# The worksheet's share link holds every item's ids (assets/worksheet.js); tests/test_worksheet_browser.py
# checks that 30 items of the sample stay within it.
SHARE_LIMIT = 2000
SHARE_NOTE = (f"30 items stay under {SHARE_LIMIT:,} characters for ids of up to 25 characters, within the "
              "2,048 that some browsers, proxies and CDNs accept")


def journey_graph(ctx: SiteContext) -> jg.JourneyGraph:
    """The journey graph of this build's works, from the neighbours stage's analogies."""
    labels = {fld: [getattr(w, fld) for w in ctx.data.works] for fld in CONDITIONS}
    ids = [w.id for w in ctx.data.works]
    return jg.graph_from_analogies(ids, ctx.data.analogies, labels, ctx.config.journeys.top_k)


def graph_outputs(graph: jg.JourneyGraph, rows: list[list[str]], shard_size: int, max_works: int,
                  thumb_size: int) -> Iterator[Output]:
    """The graph's files. `rows` are [id, title, byline, path segment] per work, in graph order (ids sorted)."""
    starts = list(range(0, graph.size, shard_size))
    incoming = jg.best_in(graph)
    for number, first in enumerate(starts):
        last = min(first + shard_size, graph.size)
        yield Output(f"{GRAPH_DIR}{number}.bin", jg.shard_bytes(graph, first, last, incoming))
        yield Output(f"{GRAPH_DIR}{number}.json", json_bytes({"works": rows[first:last]}))
    yield Output(f"{GRAPH_DIR}groups.bin", jg.groups_bytes(graph))
    manifest = {"count": graph.size, "shard_size": shard_size, "shards": len(starts), "max_works": max_works,
                "first_ids": [rows[i][0] for i in starts], "fields": sorted(graph.groups),
                "groups": {fld: graph.group_names[fld] for fld in sorted(graph.groups)},
                "edges": int(graph.offsets[-1]), "thumb_size": thumb_size}
    yield Output(f"{GRAPH_DIR}manifest.json", json_bytes(manifest))


def journey_pages(ctx: SiteContext) -> Iterator[Output]:
    """The graph files, the journey page, and the pre-rendered journeys."""
    cfg = ctx.config.journeys
    graph = journey_graph(ctx)
    rows = [[w.id, ctx.work_view(w.id)["title"], ctx.work_view(w.id)["byline"], ctx.paths.segment("work", w.id)]
            for w in ctx.data.works]
    yield from graph_outputs(graph, rows, cfg.shard_size, cfg.max_works, ctx.small)
    chosen = prerendered(ctx)
    views = [journey_view(ctx, graph, a, b) for a, b in chosen]
    yield ctx.page("journey", None, "journey.html", graph_url=urls.join_url(ctx.base, GRAPH_DIR),
                   fields=[{"field": fld, "name": ctx.names[fld]["one"], "groups": graph.group_names[fld]}
                           for fld in CONDITIONS if graph.group_names[fld]],
                   featured=[v for v in views if v["found"]][:24], max_works=cfg.max_works)
    for (a, b), view in zip(chosen, views):
        yield ctx.page("journey_page", (a, b), "journey_page.html", journey=view)
    names_url = urls.join_url(ctx.base, urls.path_names_path()) if ctx.paths.special.get("work") else ""
    yield ctx.page("worksheet", None, "worksheet.html", graph_url=urls.join_url(ctx.base, GRAPH_DIR),
                   path_names_url=names_url, share_note=SHARE_NOTE)


def prerendered(ctx: SiteContext) -> list[tuple[str, str]]:
    """The journeys given pages, each once: curated pairings, featured culture pairs, then those published
    before and chosen no more (sorted). The order does not depend on what was published before, so a
    rebuild with no change lists them as the first build did."""
    by_id, chosen, earlier = ctx.by_id, [], []
    plan = ctx.data.pairings
    if plan is not None:
        for path in sorted(plan.previous.pages):
            parsed = urls.parse_page_path(path, plan.previous.names)
            if parsed and parsed[0] == "journey_page":
                earlier.append(tuple(plan.renames.get(x, x) for x in parsed[1]))
        chosen += [(c.a, c.b) for c in plan.curated]
    chosen += featured_ends(ctx)
    chosen += sorted(earlier)
    seen: set[tuple[str, str]] = set()
    out = []
    for pair in chosen:
        if pair not in seen and pair[0] in by_id and pair[1] in by_id and pair[0] != pair[1]:
            seen.add(pair)
            out.append(pair)
    return out


def featured_ends(ctx: SiteContext) -> list[tuple[str, str]]:
    """(cover of culture A, cover of culture B) for the `journeys.featured` most similar pairs of cultures;
    a culture's cover is its first work by id, as on the culture index."""
    sim = ctx.data.similarity
    covers: dict[str, str] = {}
    for w in ctx.data.works:
        if w.culture:
            covers.setdefault(w.culture, w.id)
    pairs = []
    for i, a in enumerate(sim.labels):
        for j in range(i + 1, len(sim.labels)):
            b = sim.labels[j]
            if a in covers and b in covers:
                pairs.append((-round(float(sim.similarity[i][j]), 6), a, b))
    return [(covers[a], covers[b]) for _, a, b in sorted(pairs)[: ctx.config.journeys.featured]]


def journey_view(ctx: SiteContext, graph: jg.JourneyGraph, a: str, b: str) -> dict:
    """What journey_page.html shows: the works and each step as a pair with its similarity."""
    index = {w.id: i for i, w in enumerate(ctx.data.works)}
    found = jg.find_journey(graph, index[a], index[b], [], ctx.config.journeys.max_works)
    ends = {"from": ctx.work_view(a), "to": ctx.work_view(b), "url": ctx.url("journey_page", (a, b)),
            "live": ctx.url("journey") + f"?from={_quote(a)}&to={_quote(b)}"}
    if found is None:
        return {**ends, "found": False, "works": [], "steps": [], "weakest": None}
    ids = [ctx.data.works[i].id for i in found.path]
    steps = [{"a": ctx.work_view(x), "b": ctx.work_view(y), "similarity": round(s, 3),
              "pair_url": ctx.env.globals["pair_url"](x, y)} for x, y, s in zip(ids, ids[1:], found.steps)]
    return {**ends, "found": True, "works": [ctx.work_view(i) for i in ids], "steps": steps,
            "weakest": round(found.weakest, 3)}


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


def graph_bytes_per_work(outputs: list[Output], works: int) -> float:
    """Bytes of the graph's binary shards per work (the issue's figure), from the outputs."""
    total = sum(len(o.data or b"") for o in outputs if o.path.endswith(".bin") and "groups" not in o.path)
    return total / works if works else 0.0

