"""A work's JSON record: the front end's record of one work, kept compact.

Every work has one, so at museum scale its bytes count (issue 20): keys are one or two letters, empty
values are left out, and each group's analogies are two parallel lists (ids, scores) instead of a list
of pairs. Where it is published (atlas.site.urls.work_data_pattern, written by atlas.site.work_files): with
`iiif.manifests` (the default) inside the work's IIIF manifest, iiif/<segment>/manifest.json, as the value
of the extension property "atlas" (a JSON literal, declared in iiif/context.json), so a work has one data
file; without manifests alone, as data/work/<segment>.json. The one reader in the browser is
atlas/assets/work_data.js (`expand`, which takes either document), which gives every script (the artwork
page's switcher and downloads, the pair viewer, the worksheet) the long names below; `read_work_json` is the
same reader in Python, for tests and for anyone scripting against a site.

Schema 2 (long name <- short key; a key whose value would be "" or null is left out):

    v  schema number (2)              id  the work's identifier       t   title ("Untitled" when none)
    a  artist (as catalogued)         d   date text                   c   culture group
    m  medium group                   cr  culture as catalogued       mr  medium as catalogued
    db date_begin (year, BCE < 0)     de  date_end                    cl  credit line
    r  rights                         s   source_url (safe link)      u   url (the artwork page)
    th thumb (small thumbnail URL)    im  image (large thumbnail URL)
    n  analogies: {"c": culture groups, "m": medium groups}, each {group: [[id, ...], [score, ...]]},
       ids closest first, scores the raw cosine similarity (data/similarity-scale.json turns one into
       the percentile the pages show)
    w  why this match (atlas/site/similarity_views.why_json): {"parts": [family, ...], <field>: {<group>:
       [[thousandths per family], ...]}} aligned with the lists in "n", plus "heatmap" and "untrained"
    p  pair_pages: {other work's id: URL of the pre-rendered pair page} (the pair viewer's rel=canonical)
    ("w" and "p" are passed through as they are, under their long names, and left out when empty.)

To add a field, add a (long, short) line to FIELDS, fill it in `work_record` and read it in work_data.js.
"""

from __future__ import annotations

import json

from atlas.core.records import CONDITIONS, Record
from atlas.site.context import SiteContext

SCHEMA = 2
EXTENSION = "atlas"  # the IIIF manifest's extension property that holds the record (atlas.site.iiif_out)
FIELDS: dict[str, str] = {  # long name -> short key
    "id": "id", "title": "t", "artist": "a", "date": "d", "culture": "c", "medium": "m",
    "culture_raw": "cr", "medium_raw": "mr", "date_begin": "db", "date_end": "de", "credit": "cl",
    "rights": "r", "source_url": "s", "url": "u", "thumb": "th", "image": "im",
}
ANALOGIES = "n"
FIELD_KEYS = {"culture": "c", "medium": "m"}  # the conditions inside "n"
NESTED = {"why": "w", "pair_pages": "p"}  # long name -> short key of the nested values passed through as they are
assert set(FIELD_KEYS) == set(CONDITIONS)


def work_record(ctx: SiteContext, w: Record, nested: dict | None = None) -> dict:
    """The compact record of one work (schema above), ready for json_bytes; `nested` holds the values of
    NESTED by their long names (None or empty: left out)."""
    view = ctx.work_view(w.id)
    long = {
        "id": w.id, "title": view["title"], "artist": w.artist, "date": view["date"], "culture": w.culture,
        "medium": w.medium, "culture_raw": w.culture_raw, "medium_raw": w.medium_raw, "date_begin": w.date_begin,
        "date_end": w.date_end, "credit": view["credit"], "rights": view["rights"], "source_url": view["source_link"],
        "url": view["url"], "thumb": view["thumb"], "image": view["image"],
    }
    record = {FIELDS[k]: v for k, v in long.items() if v not in ("", None)}
    record["v"] = SCHEMA
    analogies = compact_analogies(ctx.data.analogies.get(w.id, {}))
    if analogies:
        record[ANALOGIES] = analogies
    for long, value in (nested or {}).items():
        if value:
            record[NESTED[long]] = value
    return record


def compact_analogies(lists: dict) -> dict:
    """{field: {group: [(id, score), ...]}} -> {"c"|"m": {group: [[ids], [scores]]}}, empty fields left out."""
    out = {}
    for fld in CONDITIONS:
        groups = lists.get(fld) or {}
        if groups:
            out[FIELD_KEYS[fld]] = {g: [[i for i, _ in pairs], [s for _, s in pairs]] for g, pairs in groups.items()}
    return out


def expand(record: dict) -> dict:
    """A compact record, or a manifest carrying one under EXTENSION, with its long names: every field present
    ("" or None when left out) and `analogies` as {field: {group: [[id, score], ...]}}, the shape the analysis
    stages use."""
    if isinstance(record.get(EXTENSION), dict):
        record = record[EXTENSION]
    out = {long: record.get(short, None if long in ("date_begin", "date_end") else "") for long, short in FIELDS.items()}
    lists = record.get(ANALOGIES, {})
    out["analogies"] = {
        fld: {g: [[i, s] for i, s in zip(*pair)] for g, pair in lists.get(key, {}).items()}
        for fld, key in FIELD_KEYS.items() if key in lists
    }
    out.update({long: record[short] for long, short in NESTED.items() if short in record})
    return out


def read_work_json(data: bytes | str) -> dict:
    """A work's data file's text (its record, or its manifest), expanded (see `expand`)."""
    return expand(json.loads(data))
