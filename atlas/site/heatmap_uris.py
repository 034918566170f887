"""A work's heat map as a data: URI, for the pages and the work's JSON (issue 20: no file per work).

The heat-map stage caches each work's activation grid as a PNG of one pixel per cell (atlas.vectors.heatmaps
`grid_png`, a few hundred bytes); a page puts it in an <img> laid over the work's own large thumbnail
(templates/why_match.html `heat`, assets/work_data.js `heatFigure`), so it prints like any image, and the
browser scales it up smoothly. Each grid is read and its checksum checked once per build, by the heat-map
stage (atlas.vectors.heatmaps.checked_grid hands its bytes on).
"""

from __future__ import annotations

import base64
from pathlib import Path

from atlas.site.context import SiteContext
from atlas.vectors.heatmaps import checked_grid

PREFIX = "data:image/png;base64,"


_read: dict[Path, str] = {}  # path -> URI, only of grids that passed their checksum (a damaged one is made again)


def grid_uri(path: Path) -> str:
    """The cached grid PNG as a data: URI; "" when it is missing or fails its checksum (no map is better than a
    wrong one). A cache path names its grid's content (image digest, model, settings), so a URI once read holds."""
    if path not in _read:
        data = checked_grid(path)  # verified by this build's heat-map stage, or read and checked now
        if not data:
            return ""
        _read[path] = PREFIX + base64.b64encode(data).decode("ascii")
    return _read[path]


def heatmap_uri(ctx: SiteContext, work_id: str) -> str:
    """The work's heat map as a data: URI, or "" when it has none."""
    path = ctx.data.studies.heatmaps.get(work_id)
    return grid_uri(path) if path is not None and work_id in ctx.by_id else ""
