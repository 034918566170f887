"""Artwork page fingerprints: a kept page costs per changed input, not a built and digested context.

A page's render key (atlas.site.page_keys) digests its whole template context and what it reads through per-page
globals, so keeping an unchanged artwork page still built its analogy rows, reads and digest: 10.7 s of a 10,000-work
one-title rebuild. The fingerprint is made from what those are made of, each part digested once:

* once per build (and process): the shared key of artwork.html (templates, rendering code, config, globals it
  reads), this code and atlas.site.pages', the paths plan, the similarity scale, the analogy table's ids and
  groups and the model's "untrained" flag;
* the page's own work: its view, record, cluster, IIIF view, insights entry, curated pairs, larger view, heat map
  and the pre-rendered pairs it opens;
* its row of the AnalogyTable and PairShares arrays (neighbours, scores, shares), read as bytes;
* every work in that row: its view and heat map (what an analogy shows of it).

That is every input of pages.artwork and of the reads it declares (pages.artwork_reads; tests/test_page_keys.py
fails on a template reading anything else). A page whose fingerprint and published file are as the last build
left them is kept without its key; otherwise its key is made and compared as before, and the fingerprint is
stored in front of it (`<fingerprint>:<key>`), so a page whose inputs moved but whose key did not is kept too.
"""

from __future__ import annotations

import sys

import numpy as np

from atlas.core.cache import key_digest
from atlas.site.context import Output, SiteContext
from atlas.site.heatmap_uris import heatmap_uri
from atlas.site.iiif_out import iiif_view
from atlas.site.keyed_sets import analogy_row, module_code, record_digest
from atlas.site.similarity_views import untrained

FORMAT = "artwork fingerprint 1"


def kept_page(ctx: SiteContext, work_id: str) -> tuple[Output | None, str]:
    """(the kept page, its fingerprint) when its fingerprint matches the last build's and the published file is
    intact, else (None, the fingerprint, "" when the page cannot have one)."""
    keys = ctx.page_keys
    if keys is None or not keys.enabled:
        return None, ""
    found = fingerprint(ctx, work_id)
    path = ctx.paths.page_file("work", work_id)
    old = keys.fingerprinted(path, found) if found else ""
    if old:
        return Output(path, url=ctx.url("work", work_id), key=old, kept=True), found
    return None, found


def published_before(ctx: SiteContext, work_id: str) -> bool:
    """Whether the last build published the work's page with a key: only such a page can be kept."""
    keys = ctx.page_keys
    return keys is not None and keys.enabled and ctx.paths.page_file("work", work_id) in keys.old


def fingerprint(ctx: SiteContext, work_id: str) -> str:
    """The page's fingerprint (see the module docstring); "" when the analogies or shares are not arrays."""
    row = analogy_row(ctx, work_id)
    if row is None or row[1] is None:
        return ""
    base = _base(ctx, row[0])
    if not base:
        return ""
    table = ctx.data.analogies
    found = np.unique(table.indices[:, table.row(work_id)])
    others = [_shown(ctx, table.ids[j]) for j in found.tolist() if j >= 0]
    return key_digest(base, _own(ctx, work_id), row[1], others)


def _base(ctx: SiteContext, table: str) -> str:
    memo = ctx.page_keys.memo
    if "artwork" not in memo:
        shared = ctx.page_keys.shared_digest(ctx.env, "artwork.html")
        scale = ctx.data.scale
        memo["artwork"] = shared and key_digest(
            FORMAT, shared, module_code(sys.modules[__name__]), module_code(sys.modules["atlas.site.pages"]),
            ctx.paths.special, scale.to_json() if scale is not None else None, table, untrained(ctx))
        pairs: dict[str, list[str]] = {}
        for a, b in sorted(ctx.data.pairings.pairs if ctx.data.pairings else []):
            pairs.setdefault(a, []).append(b)
        memo["artwork pairs"] = pairs
    return memo["artwork"]


def _own(ctx: SiteContext, work_id: str) -> str:
    """What the page reads of its own work."""
    g = ctx.env.globals
    cluster = ctx.clusters_by_work.get(work_id)
    return key_digest(ctx.work_view(work_id), record_digest(ctx.by_id[work_id]),
                      cluster and [cluster.id, cluster.label], iiif_view(ctx, work_id),
                      g["insights"]["works"].get(work_id), g["curated_for"](work_id), g["larger_view"](work_id),
                      heatmap_uri(ctx, work_id), ctx.page_keys.memo["artwork pairs"].get(work_id, []))


def _shown(ctx: SiteContext, work_id: str) -> str:
    """What a page shows of a work among its analogies: its view and its heat map (digested once per process)."""
    digests = ctx.page_keys.memo.setdefault("shown", {})
    if work_id not in digests:
        digests[work_id] = key_digest(ctx.work_view(work_id), heatmap_uri(ctx, work_id))
    return digests[work_id]
