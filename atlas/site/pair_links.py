"""Which pairs have a pre-rendered page, by work, for the pair viewer's rel=canonical.

The pair viewer (pair/?a=ID&b=ID) shows any two works; when the same pair also has its own pre-rendered
page, that page is the one to index and to share. A work's JSON lists its pairs that have one under
"pair_pages" ({other id: the page's URL}); assets/pair_viewer.js then points the viewer's
<link rel="canonical"> at it.
"""

from __future__ import annotations

from atlas.site.context import SiteContext


def pair_page_links(ctx: SiteContext) -> dict[str, dict[str, str]]:
    """{a: {b: URL of the pre-rendered page of (a, b)}} for every pre-rendered pair."""
    plan = ctx.data.pairings
    links: dict[str, dict[str, str]] = {}
    for a, b in sorted(plan.pairs if plan else []):
        if a in ctx.by_id and b in ctx.by_id:
            links.setdefault(a, {})[b] = ctx.url("pair", (a, b))
    return links
