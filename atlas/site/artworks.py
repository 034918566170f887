"""Artwork pages, in parallel: one page per work is most of a big site's rendering time.

Forked worker processes each get the SiteContext (fork shares the parent's memory, so nothing is pickled
on the way in), render a chunk of artwork pages into memory with atlas.site.pages.artwork, and hand back
the Outputs. The parent yields them in work order, so the site is byte-identical to a serial render
(tests/test_render_pool.py). How many processes: atlas.core.workers (render.workers; serial for small sites
and where fork is unavailable).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator

from atlas.core.progress import progress
from atlas.core.workers import worker_count
from atlas.site.artwork_keys import kept_page, note_shown
from atlas.site.context import Output, SiteContext
from atlas.site.pages import artwork

CHUNK = 64  # pages per task: big enough that pickling the outputs is cheap per page

_context: SiteContext | None = None  # the context a forked worker renders with (set just before forking)


def artwork_pages(ctx: SiteContext, work_ids: list[str] | None = None, workers: int | None = None) -> Iterator[Output]:
    """The artwork page of every work (or of `work_ids`), in that order: those kept by their fingerprint
    (atlas.site.artwork_keys) here, the others rendered by `workers` processes (none started when few are left).
    Every fingerprint is made here, in the process that stores the keys, with every work's shown digest."""
    work_ids = [w.id for w in ctx.data.works] if work_ids is None else work_ids
    note_shown(ctx)
    kept, fingerprints = {}, {}
    for work_id in work_ids:
        page, fingerprints[work_id] = kept_page(ctx, work_id)
        if page is not None:
            kept[work_id] = page
    jobs = [(work_id, fingerprints[work_id]) for work_id in work_ids if work_id not in kept]
    rendered = _rendered(ctx, jobs, workers)
    for work_id in work_ids:
        yield kept[work_id] if work_id in kept else next(rendered)
    list(rendered)  # (empty) runs it to its end: the renderers' pool is closed and the context let go


def _rendered(ctx: SiteContext, jobs: list[tuple[str, str | None]], workers: int | None) -> Iterator[Output]:
    """The artwork pages of `jobs` ((work id, its fingerprint when already made), in that order, rendered by
    `workers` processes."""
    count = worker_count(ctx.config.render.workers if workers is None else workers, len(jobs))
    if count <= 1:
        for work_id, fingerprint in progress(jobs, "pages", unit="page"):
            yield artwork(ctx, work_id, fingerprint)
        return
    global _context
    _context = ctx
    chunks = [jobs[i : i + CHUNK] for i in range(0, len(jobs), CHUNK)]
    bar = progress(total=len(jobs), desc=f"pages ({count} processes)", unit="page")
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            for outputs in pool.imap(_render_chunk, chunks):  # imap keeps chunk order
                yield from outputs
                bar.update(len(outputs))
    finally:
        _context = None
        bar.close()


def _render_chunk(jobs: list[tuple[str, str | None]]) -> list[Output]:
    """In a worker: render these pages into memory."""
    return [artwork(_context, work_id, fingerprint) for work_id, fingerprint in jobs]
