"""The larger view of a work on its artwork page: its file in the site and what the template needs to show it.

atlas.ingest.larger_images makes the files (only for works whose source image is larger than the page
image); this module copies them to larger/<work segment>.jpg and gives the templates `larger_view(id)`:
the file's URL and size, or None. The artwork page wraps its image in a link to the file (so it works
without script) and assets/larger_view.js opens it in an accessible <dialog> instead.
"""

from __future__ import annotations

from collections.abc import Iterator

from atlas.ingest import larger_images
from atlas.site import urls
from atlas.site.context import Output, SiteContext


def larger_files(ctx: SiteContext) -> Iterator[Output]:
    """Every work's larger-view file, in work order."""
    larger = ctx.data.larger
    for w in ctx.data.works:
        if w.id in larger.files:
            yield Output(ctx.paths.larger_path(w.id), source=larger.files[w.id], checked=larger_images.KIND)


def larger_view_globals(ctx: SiteContext) -> dict:
    """The templates' `larger_view(work id)`: {url, width, height} of its larger view, or None."""
    larger = ctx.data.larger

    def larger_view(work_id: str) -> dict | None:
        if work_id not in larger.files:
            return None
        width, height = larger.dims[work_id]
        return {"url": urls.join_url(ctx.base, ctx.paths.larger_path(work_id)), "width": width, "height": height}

    return {"larger_view": larger_view}
