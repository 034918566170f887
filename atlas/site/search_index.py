"""A client-side search index, written at build time and split into small shards.

Why sharded: with 100,000 works a single index is megabytes; the search page instead loads only the
shard of the letters typed. Every token of a work's title, artist, culture, medium and date goes to the
shard named by its first PREFIX characters (tilde-encoded by atlas.site.urls.slug, so any script is a safe
file name). A query token of PREFIX or more characters loads exactly one shard and matches every token
that starts with it; a one-character query loads the small shard of one-character tokens only.
Results need a title and a thumbnail, so the works' display data sits in chunks of DOC_CHUNK works
(`docs-N.json`), fetched only for the results shown.

Tokens: Unicode NFKD, accents (combining marks) removed, lower case, runs of letters and digits (Unicode
categories L and N), and each other symbol (category So: emoji, pictographs) as a token of its own. The
search page's script (assets/search.js) applies the same rules to the query, counting characters as code
points as Python does (a character beyond U+FFFF such as 𠀋 is one character, not two UTF-16 units), so
both name a shard by the same first PREFIX characters; tests/test_hostile_values.py compares the two.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence

from atlas.core.jsonio import json_bytes
from atlas.core.records import Record, byline
from atlas.site import urls
from atlas.site.context import Output
from atlas.site.work_display import display_artist, display_label

PREFIX = 2  # characters that name a shard
DOC_CHUNK = 500  # works per docs file
SEARCH_DIR = "data/search/"
# A run of letters and digits (Python's \\w without "_" is exactly Unicode categories L and N), or any one
# other non-space character, kept below only when it is a symbol (So).
_PIECE = re.compile(r"[^\W_]+|[^\w\s]|_")


def tokens(text: str) -> list[str]:
    """Search tokens of a text: NFKD, no combining marks, lower case, then letter/digit runs and single
    symbols (search.js: /[\\p{L}\\p{N}]+|\\p{So}/gu, the same categories spelt out here)."""
    return list(_tokens(text or ""))


@functools.lru_cache(maxsize=1 << 16)
def _tokens(text: str) -> tuple[str, ...]:
    """tokens(text), each text once per process while it is among the last 65,536: a collection repeats its
    cultures, media, artists and dates, and the index is made again on every build (80,000 texts at 10k works)."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.category(ch).startswith("M")).lower()
    return tuple(p for p in _PIECE.findall(plain) if len(p) > 1 or unicodedata.category(p)[0] in "LN"
                 or unicodedata.category(p) == "So")


def work_tokens(work: Record) -> set[str]:
    """Every token a work can be found by: title, artist, cultures and media (normalised and raw), date, id."""
    fields = (work.title, work.artist, work.culture or "", work.culture_raw, work.medium or "", work.medium_raw,
              work.date_text, work.id)
    return {t for f in fields for t in _tokens(f or "")}


def shard_of(token: str) -> str:
    """Shard name of a token (its first PREFIX characters)."""
    return token[:PREFIX]


def build_index(works: Sequence[Record]) -> dict[str, dict[str, list[int]]]:
    """{shard: {token: [work numbers, ascending]}} over works in the order given."""
    shards: dict[str, dict[str, list[int]]] = {}
    for number, work in enumerate(works):
        for token in sorted(work_tokens(work)):
            shards.setdefault(shard_of(token), {}).setdefault(token, []).append(number)
    return shards


def doc(work: Record, base_url: str, thumb_size: int, paths: urls.PathNames = urls.PLAIN) -> dict:
    """What a result card shows: the labels cleaned as on the pages (atlas.site.work_display); the raw values
    stay searchable (work_tokens)."""
    return {
        "id": work.id,  # the journey picker (search/?journey_from=ID) links a result to journey/?from=ID&to=<id>
        "title": work.title or "Untitled",
        "byline": byline(display_artist(work.artist), work.date_text),
        "meta": " · ".join(x for x in (display_label(work.culture_raw) or work.culture or "",
                                       work.medium or display_label(work.medium_raw)) if x),
        "url": urls.join_url(base_url, paths.page_path("work", work.id)),
        "thumb": urls.join_url(base_url, paths.thumb_path(thumb_size, work.id)),
    }


def search_meta(index: dict[str, dict[str, list[int]]], count: int, base_url: str) -> dict:
    """What the search page needs of `index` (build_index): where it lives and which shards exist."""
    return {
        "base": urls.join_url(base_url, SEARCH_DIR),
        "prefix": PREFIX,
        "chunk": DOC_CHUNK,
        "shards": sorted(urls.encode(name) for name in index),
        "count": count,
    }


def search_files(index: dict[str, dict[str, list[int]]], works: Sequence[Record], base_url: str, thumb_size: int,
                 paths: urls.PathNames = urls.PLAIN) -> Iterator[Output]:
    """The shards of `index` (build_index of `works`) and the docs chunks (each doc carries its work's URL:
    the script builds none)."""
    for name, entries in index.items():
        yield Output(f"{SEARCH_DIR}{urls.encode(name)}.json", json_bytes(entries))
    for start in range(0, len(works), DOC_CHUNK):
        chunk = [doc(w, base_url, thumb_size, paths) for w in works[start:start + DOC_CHUNK]]
        yield Output(f"{SEARCH_DIR}docs-{start // DOC_CHUNK}.json", json_bytes(chunk))
