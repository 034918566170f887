"""The data files behind the interactive map: points, captions and the sprite pyramid.

The map page draws every work from four kinds of files, loaded in this order so that something is on
screen early even with a million works (progressive loading):

1. `data/map/points.json`: the index: counts, group names and colours, cluster labels, the list of point
   chunks and the sprite pyramid's levels. Small whatever the number of works.
2. `data/map/points-K-<hash>.bin`: the points themselves, 65,536 a chunk, as little-endian typed arrays
   (position, cluster, culture, medium: atlas.site.map_chunks). The map draws each chunk's dots (WebGL) as
   soon as it arrives, before the next one is in.
3. The sprite pyramid (atlas.site.sprites): level 0, `data/map/sheets/sheet-N-<hash>.jpg`, 48 px cells in
   2048 px sheets, turns dots into thumbnails once they are large enough; level 1,
   `data/map/sheets/1/sheet-N-<hash>.jpg`, 128 px cells in 1024 px tiles of 64 works, is fetched tile by
   tile for the works in view when they are drawn larger than level 0's cells, so they stay sharp.
4. `data/map/captions-N.json`: slug, title and byline of the works of level-0 sheet N, for the hover caption
   and for opening a work on click (its URL is the `work_url` pattern with the slug filled in); fetched
   with its sheet, or when one of its works is hovered or opened.

`data/map/sprites.json` is the level-0 sprite index with the ids, for anyone else who wants the sheets.
Point i of every chunk, and cell i of every level, is the i-th work in Z-order (Morton order) of the map
positions, so that each sheet or tile holds the thumbnails of one compact region of the map: the map fetches
one only when it draws thumbnails in that region, and a zoomed-out map of 100,000 works needs none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from atlas.analysis.chord import palette
from atlas.analysis.clusters import ClusterMap, MapPoint
from atlas.core.jsonio import json_bytes
from atlas.core.records import Record, byline
from atlas.site import urls
from atlas.site.context import Output
from atlas.site.map_chunks import CHUNK, build_chunks, chunk_index, columns
from atlas.site.sprites import (
    CELL,
    QUALITY,
    SHEET,
    UPPER_LEVELS,
    Level,
    build_sheets,
    sheet_index,
)

SCALE = 10000  # positions are written as integers 0..SCALE (0.01% of the map: finer than any screen)
MAP_DIR = "data/map/"
SHEETS_DIR = MAP_DIR + "sheets/"


def _spread(v: int) -> int:
    """The 16 bits of v moved to the even bit positions (for interleaving two coordinates)."""
    v &= 0xFFFF
    v = (v | (v << 8)) & 0x00FF00FF
    v = (v | (v << 4)) & 0x0F0F0F0F
    v = (v | (v << 2)) & 0x33333333
    return (v | (v << 1)) & 0x55555555


def spatial_order(cluster_map: ClusterMap) -> ClusterMap:
    """The cluster map with its points in Z-order of their positions (ties by id): nearby points, nearby cells."""
    def key(p: MapPoint) -> tuple[int, str]:
        x, y = (min(65535, max(0, round(v * 65535))) for v in (p.x, p.y))
        return _spread(x) | (_spread(y) << 1), p.id

    return dataclasses.replace(cluster_map, points=tuple(sorted(cluster_map.points, key=key)))


def _index(values: Sequence[str | None], names: list[str]) -> list[int]:
    """Position of each value in `names`, or -1 for a work without a group."""
    where = {name: i for i, name in enumerate(names)}
    return [where.get(v, -1) if v else -1 for v in values]


def group_names(works: Sequence[Record]) -> tuple[list[str], list[str]]:
    """(cultures, media) in the order the points' group indexes refer to."""
    return sorted({w.culture for w in works if w.culture}), sorted({w.medium for w in works if w.medium})


def point_columns(works: Sequence[Record], cluster_map: ClusterMap) -> dict[str, np.ndarray]:
    """Position, cluster and group indexes of every point, in point order, as the binary chunks hold them.

    Positions are rounded to 1 / SCALE of the map (finer than any screen), so they print and compare exactly.
    """
    by_id = {w.id: w for w in works}
    points = cluster_map.points
    cultures, media = group_names(works)
    placed = [by_id[p.id] for p in points]
    return columns(
        [round(p.x * SCALE) / SCALE for p in points],
        [round(p.y * SCALE) / SCALE for p in points],
        [p.cluster for p in points],
        _index([w.culture for w in placed], cultures),
        _index([w.medium for w in placed], media),
    )


def points_payload(works: Sequence[Record], cluster_map: ClusterMap, sprites: dict, chunks: dict | None = None,
                   pyramid: Sequence[dict] = ()) -> dict:
    """The JSON index the map starts from: groups, colours, clusters, the binary chunks and the sprite levels
    (see the module docstring). The points themselves are in the chunks."""
    cultures, media = group_names(works)
    return {
        "count": len(cluster_map.points),
        "scale": SCALE,
        "cultures": cultures,
        "media": media,
        "colours": {"culture": palette(len(cultures)), "medium": palette(len(media))},
        "clusters": [
            {"id": c.id, "label": c.label, "size": c.size, "x": round(c.x * SCALE), "y": round(c.y * SCALE)}
            for c in cluster_map.clusters
        ],
        "points": chunks or {},
        "sprites": {k: v for k, v in sprites.items() if k != "ids"},
        "pyramid": [{k: v for k, v in level.items() if k != "ids"} for level in pyramid],
    }


def captions_payload(works: Sequence[Record], cluster_map: ClusterMap, paths: urls.PathNames = urls.PLAIN) -> dict:
    """Slug (the work's path segment, as the build chose it: map.js puts it in `work_url`), title and
    byline per point, in point order."""
    by_id = {w.id: w for w in works}
    placed = [by_id[p.id] for p in cluster_map.points]
    return {
        "slug": [paths.segment("work", w.id) for w in placed],
        "title": [w.title or "Untitled" for w in placed],
        "byline": [
            byline(w.artist, w.date_text, w.culture_raw, w.medium or w.medium_raw, sep=" · ")
            for w in placed
        ],
    }


def map_globals(base_url: str, count: int) -> dict:
    """The URLs the map page needs."""
    return {
        "points": urls.join_url(base_url, MAP_DIR + "points.json"),
        "captions": urls.join_url(base_url, MAP_DIR + "captions-"),
        "work_url": urls.join_url(base_url, urls.PAGE_PATTERNS["work"]),
        "count": count,
    }


def level_dir(level: int) -> str:
    """The site folder of one sprite level: level 0 where the sheets always were, level k in sheets/k/."""
    return SHEETS_DIR if level == 0 else f"{SHEETS_DIR}{level}/"


def pyramid_files(base_url: str, ids: Sequence[str], digests: dict[str, str], load: Callable[[str], Image.Image],
                  cache_dir: Path | None, levels: Sequence[Level]) -> tuple[list[Output], list[dict]]:
    """The sheets of every sprite level, in point order, and each level's index (the first is level 0)."""
    outputs, indexes = [], []
    for number, level in enumerate(levels):
        folder = level_dir(number)
        sheets = build_sheets([(i, digests[i]) for i in ids], load, cache_dir, cell=level.cell, sheet=level.sheet,
                              quality=level.quality)
        outputs.extend(Output(folder + s.name, s.data) for s in sheets)
        indexes.append(sheet_index(sheets, ids, level.cell, level.sheet, urls.join_url(base_url, folder)))
    return outputs, indexes


def map_files(
    base_url: str,
    works: Sequence[Record],
    cluster_map: ClusterMap,
    digests: dict[str, str],
    load: Callable[[str], Image.Image],
    cache_dir: Path | None,
    cell: int = CELL,
    sheet: int = SHEET,
    paths: urls.PathNames = urls.PLAIN,
    upper: Sequence[Level] = UPPER_LEVELS,
    chunk: int = CHUNK,
) -> Iterator[Output]:
    """Point chunks and their index, caption chunks, the sprite pyramid's sheets and its index.

    `digests[id]` identifies each work's thumbnail (the sprite cache key); `load(id)` opens it. Level 0 of
    the pyramid has `cell` px cells in `sheet` px sheets; `upper` are the larger levels.
    """
    cluster_map = spatial_order(cluster_map)
    ids = [p.id for p in cluster_map.points]
    sheets, levels = pyramid_files(base_url, ids, digests, load, cache_dir, (Level(cell, sheet, QUALITY), *upper))
    yield from sheets
    index = levels[0]
    yield Output(MAP_DIR + "sprites.json", json_bytes(index))
    chunks = build_chunks(point_columns(works, cluster_map), chunk)
    for c in chunks:
        yield Output(MAP_DIR + c.name, c.data)
    chunk_info = chunk_index(chunks, urls.join_url(base_url, MAP_DIR), chunk)
    yield Output(MAP_DIR + "points.json", json_bytes(points_payload(works, cluster_map, index, chunk_info, levels)))
    captions = captions_payload(works, cluster_map, paths)
    per = index["per_sheet"]
    for number, start in enumerate(range(0, len(ids), per)):
        part = {key: values[start:start + per] for key, values in captions.items()}
        yield Output(f"{MAP_DIR}captions-{number}.json", json_bytes(part))
