"""The explorer: the map's data and sprite sheets, the search index and page, the culture-pair pages.

`explorer_globals` makes what the map and chord templates need (URLs, counts, the chord's links) without
writing anything; `explorer_pages` yields the files and pages themselves, the search page with the list of
the index's shards it has just written.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from atlas.analysis.culture_pairs import best_pair_per_link, link_strengths, pair_finder
from atlas.site import urls
from atlas.site.context import Output, SiteContext
from atlas.site.map_data import map_files, map_globals
from atlas.site.page_reads import pair_reads, site_reads
from atlas.site.pairings import viewer_query
from atlas.site.search_index import build_index, search_files, search_meta

MAP_LIST_LIMIT = 2000  # works listed one by one on the map page for readers without scripts


def explorer_globals(ctx: SiteContext) -> dict:
    """The templates' `explorer` global."""
    return {
        "map": map_globals(ctx.base, len(ctx.data.cluster_map.points)),
        "map_list_limit": MAP_LIST_LIMIT,
        "chord": chord_links(ctx),
    }


def chord_links(ctx: SiteContext) -> dict:
    """The chord page's link data: each pair of cultures, its strength and what it opens: its own page for the
    render.culture_pair_pages strongest links (`page`: true), else its closest pair of works in the pair viewer
    (else the first culture's page, when the two have no analogy in common). So a collection with 200 cultures
    gets 100 such pages, not 19,900."""
    links = link_strengths(ctx.data.similarity)
    paged = pages_for(links, ctx.config.render.culture_pair_pages)
    best = best_pair_per_link(ctx.data.works, ctx.data.analogies, ctx.data.similarity.labels) if len(paged) < len(links) else {}
    for link in links:
        link["page"] = (link["a"], link["b"]) in paged
        if link["page"]:
            link["url"] = urls.join_url(ctx.base, ctx.paths.culture_pair_path(link["a"], link["b"]))
        elif (link["a"], link["b"]) in best:
            _, x, y = best[(link["a"], link["b"])]
            link["url"] = ctx.url("pair_viewer") + viewer_query(x, y)
        else:
            link["url"] = ctx.url("culture", link["a"])
    return {"links": links, "labels": ctx.data.similarity.labels,
            "culture_urls": [ctx.url("culture", name) for name in ctx.data.similarity.labels]}


def pages_for(links: list[dict], cap: int) -> set[tuple[str, str]]:
    """The (a, b) of the `cap` strongest links (ties by name; 0 = every link)."""
    ranked = sorted(links, key=lambda link: (-link["value"], link["a"], link["b"]))
    return {(link["a"], link["b"]) for link in (ranked[:cap] if cap else ranked)}


def explorer_pages(ctx: SiteContext) -> Iterator[Output]:
    """Map data, search index, one page per pair of cultures with its best analogies, then the search page."""
    thumbs = {w.id: ctx.data.thumbs[w.id][ctx.small] for w in ctx.data.works}
    yield from map_files(ctx.base, ctx.data.works, ctx.data.cluster_map, {i: Path(p).stem for i, p in thumbs.items()},
                         lambda i: Image.open(thumbs[i]), ctx.config.cache_dir, paths=ctx.paths)
    index = build_index(ctx.data.works)  # once: the shards' files and the search page's list of them
    yield from search_files(index, ctx.data.works, ctx.base, ctx.small, ctx.paths)
    best_pairs = pair_finder(ctx.data.works, ctx.data.analogies)
    for link in (link for link in ctx.env.globals["explorer"]["chord"]["links"] if link["page"]):
        pairs = [
            {"a": ctx.work_view(x), "b": ctx.work_view(y), "score": score}
            for score, x, y in best_pairs(link["a"], link["b"])
        ]
        yield ctx.page_at(ctx.paths.culture_pair_path(link["a"], link["b"]), "culture_pair.html",
                          reads=pair_reads(ctx, pairs), page_url=link["url"],
                          link=link, pairs=pairs, a_url=ctx.url("culture", link["a"]), b_url=ctx.url("culture", link["b"]))
    yield ctx.page("search", None, "search.html", reads=site_reads(ctx), search_index=search_meta(index, len(ctx.data.works), ctx.base))
