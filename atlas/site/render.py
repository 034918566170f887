"""The site-wide context, made once: every template global is set here, before any page is rendered.

Page modules only read the context (atlas.site.context.SiteContext), so they can run in any order; the
globals come from the modules that own them: the studies (insights_pages), the explorer and the pairings.
"""

from __future__ import annotations

import dataclasses
import gc
import sys
import time
from collections.abc import Callable, Iterable, Sequence

from atlas.core.stage_cache import code_digest

from atlas.site import pages
from atlas.site.context import Output, SiteContext, SiteData, new_context, site_view
from atlas.site.explorer import explorer_globals
from atlas.site.insights_pages import insights_globals, pct, years
from atlas.site.larger_view import larger_view_globals
from atlas.site.page_keys import PageKeys
from atlas.site.pair_pages import ledger_pages, pairing_globals
from atlas.site.similarity_views import similarity_text, why_globals
from atlas.site.work_display import display_label
from atlas.site.writer import SiteWriter

PageGroup = Callable[[SiteContext], Iterable[Output]]


def make_context(data: SiteData, page_keys: PageKeys | None = None) -> SiteContext:
    """The SiteContext of one build with all its template globals and filters; with `page_keys`, pages
    whose render key did not change are kept instead of rendered (atlas.site.page_keys)."""
    ctx = dataclasses.replace(new_context(data), page_keys=page_keys)
    ctx.env.filters.update(pct=pct, years=years, similarity=similarity_memo(data),
                           label=display_label)  # a group named "JAPAN" in the catalogue reads "Japan"
    ctx.env.globals.update(
        url=ctx.url,
        asset=ctx.asset,
        site=site_view(data.config),
        names=ctx.names,
        insights=insights_globals(ctx),
        explorer=explorer_globals(ctx),
        **pairing_globals(ctx),
        **larger_view_globals(ctx),
        **why_globals(ctx),
    )
    if page_keys is not None:  # after every global is set: the keys digest them
        page_keys.prepare(ctx.env, code_digest(sys.modules[__name__]), dataclasses.asdict(data.config))
    return ctx


def similarity_memo(data: SiteData) -> Callable[[float], str]:
    """The `similarity` filter, each score's text made once per process: a page key reads the text of every score
    its page shows (atlas.site.page_keys), and the scale's percentile search was a quarter of a kept page's cost."""
    memo: dict[float, str] = {}

    def similarity(score: float) -> str:
        text = memo.get(score)
        if text is None:
            text = memo[score] = similarity_text(data.scale, score)
        return text
    return similarity


def render_site(ctx: SiteContext, writer: SiteWriter, groups: Sequence[PageGroup], timings: dict | None = None) -> int:
    """Write every group's files, then the ledger's answers for URLs none of them produced, the data files
    and the sitemap. Returns the number of HTML pages. With `timings`, each group's seconds go in it
    ("pages: <group>"), to show where a rebuild's time goes.

    The objects made before the pages (records, arrays, views, the context) are frozen out of the garbage
    collector meanwhile (gc.freeze): each full collection walked all of them, 1.5 s of a 10,000-work one-title
    rebuild's pages (0.65 s frozen, benchmarks/README.md "Session 10"), and a forked renderer touched every
    one's header, copying its memory page. They are unfrozen after, so nothing stays uncollectable, unless
    objects were frozen before (atlas.build freezes the long-lived ones for the whole build, and unfreezes them)."""
    frozen_before = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        return _render_site(ctx, writer, groups, timings)
    finally:
        if not frozen_before:
            gc.unfreeze()


def _render_site(ctx: SiteContext, writer: SiteWriter, groups: Sequence[PageGroup], timings: dict | None) -> int:
    listed: list[str] = []  # page URLs in the order made, for the sitemap
    keys = ctx.page_keys
    for group in groups:
        start = time.perf_counter()
        outputs = keys.track(keys.keep_copies(group(ctx)), writer.root) if keys else group(ctx)
        pages.write_outputs(writer, outputs, listed, keys.old if keys else None)
        if timings is not None:
            timings[f"pages: {group.__name__}"] = round(time.perf_counter() - start, 2)
    pages.write_outputs(writer, ledger_pages(ctx, writer.written), listed)  # last: it needs every page made
    data = pages.data_files(ctx)  # each work's data file (its manifest) is keyed (atlas.site.work_files): their keys are noted
    pages.write_outputs(writer, keys.track(data, writer.root) if keys else data, listed, keys.old if keys else None)
    pages.write_outputs(writer, [pages.sitemap(ctx, listed)], [])
    return len(listed) + 1  # + the 404 page
