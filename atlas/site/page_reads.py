"""What a site-wide page reads besides its template context, declared so the page can have a render key.

A page with a key (atlas.site.page_keys) is kept when its key did not change, so its key must hold everything its
template reads. The template context and the globals that are plain values are in the key already; a callable
global is either pure code (`url`, `asset`, `anchor`) or per-page data, which the page must declare. The site-wide
pages (home, the group indexes and pages, map, search, model, patterns, surprises, chord, about) were rendered on
every build: at 10,000 works their 130 pages were ~1 s of a one-title rebuild, though a title changes one or two.

* `site_reads`: what every such page reads through `url(kind, key)` beyond the config in the key: the build's
  path plan (`PathNames.special`, the segments that are not the plain encoding; almost always empty). Their
  templates call no per-page data global (tests/test_site_page_keys.py renders them with those raising).
* `pair_reads`: for a page that shows pairs with the `pair` macro (templates/macros.html: home, the culture pair
  pages): also the pair page URL (`pair_url`, it moves with the pre-rendered pairs) and the `similarity` text (it
  moves with the scale) of each pair, as pages.artwork_reads declares them for an artwork page.
* A pre-rendered pair page (atlas.site.pair_pages) declares site_reads and its pair's `why_match`.
"""

from __future__ import annotations

from atlas.site.context import SiteContext

DATA_GLOBALS = ("pair_url", "curated_for", "why_match", "larger_view")  # callable globals whose answer is data
DATA_FILTERS = ("similarity",)  # filters whose answer is data


def site_reads(ctx: SiteContext) -> dict:
    """What a site-wide page reads beyond its context and the plain globals (see the module docstring)."""
    return {"paths": ctx.paths.special}


def pair_reads(ctx: SiteContext, pairs: list[dict]) -> dict:
    """site_reads and, for each pair ({"a": view, "b": view, "score"}) the page shows, its pair URL and similarity."""
    pair_url, similarity = ctx.env.globals["pair_url"], ctx.env.filters["similarity"]
    return {**site_reads(ctx), "pairs": [pair_url(p["a"]["id"], p["b"]["id"]) for p in pairs],
            "similarity": [similarity(p["score"]) for p in pairs]}
