"""Artwork page fingerprints: a kept page costs per changed input, not a built and digested context.

A page's render key (atlas.site.page_keys) digests its whole template context and what it reads through per-page
globals, so keeping an unchanged artwork page still built its analogy rows, reads and digest: 10.7 s of a 10,000-work
one-title rebuild. The fingerprint is made from what those are made of, each part digested once:

* once per build (and process): the shared key of artwork.html (templates, rendering code, config, globals it
  reads), this code and atlas.site.pages', the paths plan, the similarity scale, the analogy table's ids and
  groups and the model's "untrained" flag;
* the page's own work: its view and heat map (its shown digest, below), record, cluster, IIIF view, insights entry,
  curated pairs, larger view and the pre-rendered pairs it opens;
* its row of the AnalogyTable and PairShares arrays (neighbours, scores, shares), read as bytes.

What the page shows of every work in that row (its view and heat map, `shown_digest`) is not in the fingerprint:
digesting ~150 works' views per page was most of a kept page's cost (1.5 million look-ups at 10,000 works). Each
work's shown digest is stored in the manifest instead (PageKeys.works), and a work whose shown digest differs from
the last build's is *changed*; one array look-up over the whole table (`_stale`) then finds every page whose row
holds a changed work. A page is kept by its fingerprint only when its fingerprint is the stored one, no work in
its row changed, and the published file is intact. That is the same condition as before, by induction: every page
in the last manifest was made, or checked, against the shown digests stored with it, so an unchanged digest means
an unchanged view on the page.

That is every input of pages.artwork and of the reads it declares (pages.artwork_reads; tests/test_page_keys.py
fails on a template reading anything else). A page not kept by its fingerprint has its key made and compared as
before, and the fingerprint is stored in front of it (`<fingerprint>:<key>`), so a page whose inputs moved but whose
key did not is kept too. Digests here are SHA-256 of repr, not of canonical JSON (as PageKeys._compact): the same
code (in the base) builds the same plain values in the same order, and repr is a third of json.dumps' cost.
"""

from __future__ import annotations

import hashlib
import sys

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable
from atlas.core.cache import key_digest
from atlas.site.context import Output, SiteContext
from atlas.site.heatmap_uris import heatmap_uri
from atlas.site.iiif_out import iiif_view
from atlas.site.keyed_sets import analogy_row, module_code, work_digest
from atlas.site.similarity_views import untrained

FORMAT = "artwork fingerprint 3"  # 2: the analogies' views left out, checked by `_stale` against stored digests;
# 3: the page's own view and heat map as its shown digest


def kept_page(ctx: SiteContext, work_id: str) -> tuple[Output | None, str]:
    """(the kept page, its fingerprint) when its fingerprint matches the last build's, no work among its analogies
    changed and the published file is intact, else (None, the fingerprint; "" when the page cannot have one)."""
    keys = ctx.page_keys
    if keys is None:
        return None, ""
    found = fingerprint(ctx, work_id)
    if not found or not keys.enabled or _stale(ctx)[ctx.data.analogies.row(work_id)]:
        return None, found
    path = ctx.paths.page_file("work", work_id)
    old = keys.fingerprinted(path, found)
    if old:
        return Output(path, url=ctx.url("work", work_id), key=old, kept=True), found
    return None, found


def fingerprint(ctx: SiteContext, work_id: str) -> str:
    """The page's fingerprint (see the module docstring); "" when the analogies or shares are not arrays."""
    row = analogy_row(ctx, work_id)
    if row is None or row[1] is None:
        return ""
    base = _base(ctx, row[0])
    if not base:
        return ""
    return _digest((base, _own(ctx, work_id), row[1]))


def note_shown(ctx: SiteContext) -> None:
    """Make every work's shown digest now, so they are stored (PageKeys.works) for the next build to compare with,
    whether or not any page was kept (call in the process that saves the keys)."""
    if ctx.page_keys is not None and isinstance(ctx.data.analogies, AnalogyTable):
        _stale(ctx)


def _stale(ctx: SiteContext) -> np.ndarray:
    """For every row of the analogy table, whether a work in its row changed what a page shows of it since the last
    build (see the module docstring); made once per build and process. Records this build's shown digests."""
    keys = ctx.page_keys
    if "stale" not in keys.memo:
        table = ctx.data.analogies
        shown = {work: shown_digest(ctx, work) for work in table.ids if work in ctx.by_id}
        keys.works = shown
        changed = np.fromiter((keys.old_works.get(work) != shown.get(work, "") for work in table.ids), bool,
                              count=len(table.ids))
        changed = np.append(changed, False)  # index -1: no analogy there
        found = changed[table.indices].any(axis=(0, 2)) if table.indices.size else np.zeros(len(table.ids), bool)
        keys.memo["stale"] = found
    return keys.memo["stale"]


def shown(ctx: SiteContext, work_id: str) -> str:
    """The work's shown digest, as made for the artwork pages when they were (the work's data file reads it too)."""
    return ctx.page_keys.works.get(work_id) or shown_digest(ctx, work_id)


def shown_digest(ctx: SiteContext, work_id: str) -> str:
    """What a page shows of a work among its analogies: its view and its heat map."""
    return _digest((ctx.work_view(work_id), heatmap_uri(ctx, work_id)))


def _digest(value: object) -> str:
    return hashlib.sha256(repr(value).encode("utf-8", "surrogatepass")).hexdigest()


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


def _own(ctx: SiteContext, work_id: str) -> tuple:
    """What the page reads of its own work."""
    g = ctx.env.globals
    cluster = ctx.clusters_by_work.get(work_id)
    return (shown(ctx, work_id), work_digest(ctx, work_id), cluster and [cluster.id, cluster.label],  # view, heat map
            iiif_view(ctx, work_id), g["insights"]["works"].get(work_id), g["curated_for"](work_id),
            g["larger_view"](work_id), ctx.page_keys.memo["artwork pairs"].get(work_id, []))
