"""The data files behind the interactive map: points, captions and sprite sheets.

The map page draws every work on a canvas from three kinds of files, loaded in this order so that
something is on screen early even with 100,000 works (progressive loading):

1. `data/map/points.json`: positions (integers 0..10000 on both axes), culture / medium / cluster
   indexes, cluster labels and the sprite layout. Columnar arrays, no per-point keys, so it stays small.
   The map draws coloured dots from this alone.
2. `data/map/sheets/sheet-N-<hash>.jpg`: the thumbnails as sprite sheets (atlas.site.sprites); each sheet that
   arrives turns its dots into thumbnails.
3. `data/map/captions-N.json`: slug, title and byline of the works of sheet N, for the hover caption
   and for opening a work on click (its URL is the `work_url` pattern with the slug filled in); fetched
   with its sheet, or when one of its works is hovered or opened.

`data/map/sprites.json` is the sprite index with the ids, for anyone else who wants the sheets.
Point i of every array, and cell i of the sheets, is the i-th work in Z-order (Morton order) of the map
positions, so that each sheet holds the thumbnails of one compact region of the map: the map fetches a
sheet only when it draws thumbnails in that region, and a zoomed-out map of 100,000 works needs none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from PIL import Image

from atlas.analysis.chord import palette
from atlas.analysis.clusters import ClusterMap, MapPoint
from atlas.core.jsonio import json_bytes
from atlas.core.records import Record, byline
from atlas.site import urls
from atlas.site.context import Output
from atlas.site.sprites import CELL, SHEET, build_sheets, sheet_index

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


def points_payload(works: Sequence[Record], cluster_map: ClusterMap, sprites: dict) -> dict:
    """The JSON the map draws its dots from (see the module docstring)."""
    by_id = {w.id: w for w in works}
    points = cluster_map.points
    cultures = sorted({w.culture for w in works if w.culture})
    media = sorted({w.medium for w in works if w.medium})
    placed = [by_id[p.id] for p in points]
    return {
        "count": len(points),
        "scale": SCALE,
        "x": [round(p.x * SCALE) for p in points],
        "y": [round(p.y * SCALE) for p in points],
        "cluster": [p.cluster for p in points],
        "culture": _index([w.culture for w in placed], cultures),
        "medium": _index([w.medium for w in placed], media),
        "cultures": cultures,
        "media": media,
        "colours": {"culture": palette(len(cultures)), "medium": palette(len(media))},
        "clusters": [
            {"id": c.id, "label": c.label, "size": c.size, "x": round(c.x * SCALE), "y": round(c.y * SCALE)}
            for c in cluster_map.clusters
        ],
        "sprites": {k: v for k, v in sprites.items() if k != "ids"},
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
) -> Iterator[Output]:
    """Points, caption chunks, sprite sheets and their index.

    `digests[id]` identifies each work's thumbnail (the sprite cache key); `load(id)` opens it.
    """
    cluster_map = spatial_order(cluster_map)
    ids = [p.id for p in cluster_map.points]
    sheets = build_sheets([(i, digests[i]) for i in ids], load, cache_dir, cell=cell, sheet=sheet)
    for s in sheets:
        yield Output(SHEETS_DIR + s.name, s.data)
    index = sheet_index(sheets, ids, cell, sheet, urls.join_url(base_url, SHEETS_DIR))
    yield Output(MAP_DIR + "sprites.json", json_bytes(index))
    yield Output(MAP_DIR + "points.json", json_bytes(points_payload(works, cluster_map, index)))
    captions = captions_payload(works, cluster_map, paths)
    per = index["per_sheet"]
    for chunk, start in enumerate(range(0, len(ids), per)):
        part = {key: values[start:start + per] for key, values in captions.items()}
        yield Output(f"{MAP_DIR}captions-{chunk}.json", json_bytes(part))
