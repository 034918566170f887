"""The site-wide context, made once: every template global is set here, before any page is rendered.

Page modules only read the context (atlas.site.context.SiteContext), so they can run in any order; the
globals come from the modules that own them: the studies (insights_pages), the explorer and the pairings.
"""

from __future__ import annotations

from atlas.site.context import SiteContext, SiteData, new_context, site_view
from atlas.site.explorer import explorer_globals
from atlas.site.insights_pages import insights_globals, pct, years
from atlas.site.pair_pages import pairing_globals


def make_context(data: SiteData) -> SiteContext:
    """The SiteContext of one build with all its template globals and filters."""
    ctx = new_context(data)
    ctx.env.filters.update(pct=pct, years=years)
    ctx.env.globals.update(
        url=ctx.url,
        asset=ctx.asset,
        site=site_view(data.config),
        names=ctx.names,
        insights=insights_globals(ctx),
        explorer=explorer_globals(ctx),
        **pairing_globals(ctx),
    )
    return ctx
