"""A work's one data file, made in one pass: its IIIF manifest carrying its JSON record, or the record alone.

Issue 20: a work used to have two JSON files, its record (data/work/<segment>.json, atlas.site.work_json) and
its IIIF manifest (atlas.site.iiif_out), made in two loops and keyed twice. With `iiif.manifests` (the
default) the record is published inside the manifest under the extension property "atlas" (declared in
iiif/context.json, atlas.site.iiif_out.atlas_context), and there is no data/work/ file; without manifests the
record is written to data/work/<segment>.json as before. Where the file lies is decided once
(atlas.site.urls.work_data_pattern, SiteContext.work_data_path).

The file is one keyed set (atlas.site.keyed_sets) per work: its key holds everything either document reads of
the work (its record and view, its row of the analogy and share arrays, its heat map, the model's "untrained"
flag, its pair pages, its tiles' size and the paths it names), so an unchanged work's file is carried over
unmade, and a title change of another work keeps it unmade (neither document names another work's title).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from atlas.core.jsonio import json_bytes
from atlas.core.records import Record
from atlas.site import iiif_out, work_json
from atlas.site.artwork_keys import shown
from atlas.site.context import Output, SiteContext
from atlas.site.keyed_sets import (
    analogy_row,
    keyed,
    module_code,
    set_key,
    work_digest,
)
from atlas.site.similarity_views import untrained, why_json


def work_data_file(ctx: SiteContext, w: Record, pair_pages: dict | None) -> Iterator[Output]:
    """The work's data file (see the module docstring), made again only when what it reads changed."""
    path = ctx.work_data_path(w.id)
    key = work_data_key(ctx, w, pair_pages, path)

    def make() -> list[Output]:
        nested = {"why": why_json(ctx, w.id), "pair_pages": pair_pages}  # why this match; rel=canonical
        record = work_json.work_record(ctx, w, nested)
        doc = iiif_out.manifest(ctx, w.id, record) if ctx.config.iiif.manifests else record
        return [Output(path, json_bytes(doc))]
    return keyed(ctx, f"work:{w.id}", key, make)


def work_data_key(ctx: SiteContext, w: Record, pair_pages: dict | None, path: str) -> str:
    """What the file reads of one work ("" when the analogies are not arrays: then it is made every time). The
    config (iiif.manifests among it), the condition names and the origin are in every set's key."""
    row = analogy_row(ctx, w.id)
    if row is None:
        return ""
    tiles = ctx.data.deep_zoom.tiles.get(w.id)
    paths = [path, ctx.paths.iiif_image_path(w.id), iiif_out.CONTEXT_PATH, ctx.paths.iiif_collection_path()]
    codes = [module_code(work_json), module_code(iiif_out), module_code(sys.modules["atlas.site.pages"])]
    return set_key(ctx, sys.modules[__name__], codes, work_digest(ctx, w.id), shown(ctx, w.id), row,  # its view and heat map
                   untrained(ctx), pair_pages, paths, [tiles.width, tiles.height] if tiles else None)
