"""Every page URL and every output path of the site is built here, and only here.

Page URLs come from the work's own id through a reversible encoding (datasette's tilde-encoding), never
from titles or row numbers, so a teacher's link to /work/S0001/ survives any rebuild. The encoding
keeps A-Z a-z 0-9 _ - and writes every other UTF-8 byte as ~XX, so '/' '..' spaces, unicode and HTML
in ids can never make a path that escapes the output folder or collides with another id.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")

# Each kind of page -> its path relative to the site root. Keys are filled with slug(key).
PAGE_PATTERNS = {
    "home": "",
    "work": "work/{slug}/",
    "culture": "culture/{slug}/",
    "medium": "medium/{slug}/",
    "cultures": "culture/",
    "media": "medium/",
    "chord": "chord/",
    "search": "search/",
    "map": "map/",
    "about": "about/",
    "model": "model/",
    "patterns": "pattern/",
    "pattern": "pattern/{slug}/",
    "surprises": "surprises/",
    "report": "report/",
    "pair": "pair/{slug}/{slug_b}/",  # key = (query work id, analogy work id), in the analogy's direction
    "pair_viewer": "pair/",  # one static page that shows any other pair: pair/?a=<id>&b=<id>
    "pairings": "pairings/",  # index of the curated pairings
    "404": "404.html",
    "sitemap": "sitemap.xml",
}


def slug(key: str) -> str:
    """Tilde-encode an id (or group name) into a single safe path segment. Reversible: see unslug."""
    if not key:
        raise ValueError("an empty id has no URL")
    return "".join(chr(b) if b in _SAFE else f"~{b:02X}" for b in key.encode("utf-8"))


def unslug(encoded: str) -> str:
    """Invert slug(): '~2F' -> '/'."""
    out = bytearray()
    i = 0
    while i < len(encoded):
        if encoded[i] == "~":
            out.append(int(encoded[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(ord(encoded[i]))
            i += 1
    return out.decode("utf-8")


def page_path(kind: str, key: str | tuple[str, str] | None = None) -> str:
    """Path of a page relative to the site root, as used in URLs ('work/S0001/', 'pair/S0001/S0002/')."""
    pattern = PAGE_PATTERNS[kind]
    if "{slug_b}" in pattern:
        if not isinstance(key, tuple) or len(key) != 2:
            raise ValueError(f"a {kind} page needs a pair of ids")
        return pattern.format(slug=slug(key[0]), slug_b=slug(key[1]))
    if "{slug}" in pattern:
        if key is None:
            raise ValueError(f"a {kind} page needs a key")
        return pattern.format(slug=slug(key))
    return pattern


def page_file(kind: str, key: str | tuple[str, str] | None = None) -> str:
    """File that holds a page, relative to the site root ('work/S0001/index.html')."""
    path = page_path(kind, key)
    return path + "index.html" if path == "" or path.endswith("/") else path


def culture_pair_path(a: str, b: str) -> str:
    """Page of the closest works between two cultures: chord/<slug>/<slug>/, names sorted (one page per pair)."""
    first, second = sorted((a, b))
    return f"chord/{slug(first)}/{slug(second)}/"


def parse_page_path(path: str) -> tuple[str, str | tuple[str, str] | None] | None:
    """Invert page_path: 'pair/S0001/S0002/' -> ('pair', ('S0001', 'S0002')); None for no known page.

    The URL ledger stores site-relative paths; this tells a path that vanished what it used to show.
    """
    for kind, pattern in PAGE_PATTERNS.items():
        regex = "^" + re.escape(pattern).replace(r"\{slug\}", "([^/]+)").replace(r"\{slug_b\}", "([^/]+)") + "$"
        match = re.match(regex, path)
        if match:
            try:
                keys = tuple(unslug(g) for g in match.groups())
            except (ValueError, IndexError, UnicodeDecodeError):
                return None
            return kind, (keys if len(keys) == 2 else keys[0] if keys else None)
    return None


def condition_anchor(field: str, group: str) -> str:
    """Fragment id of one condition row on an artwork page ('culture-Chinese'): work/S0001/#culture-Chinese.

    Built only from the field and the group's name, so a deep link survives every rebuild.
    """
    return f"{field}-{slug(group)}"


def pair_card_path(a: str, b: str) -> str:
    """The Open Graph / Twitter card image of a pre-rendered pair, beside its page."""
    return page_path("pair", (a, b)) + "card.jpg"


def ledger_path() -> str:
    """The URL ledger travels inside the published site, so the next build finds it."""
    return "_atlas/ledger.json"


def thumb_path(size: int, key: str) -> str:
    return f"thumbs/{size}/{slug(key)}.jpg"


def heatmap_path(key: str) -> str:
    return f"heatmaps/{slug(key)}.jpg"


def work_json_path(key: str) -> str:
    return f"data/work/{slug(key)}.json"


def asset_path(name: str) -> str:
    return f"assets/{name}"


def join_url(base_url: str, path: str) -> str:
    """base_url ('/' or '/atlas/') + a site-relative path."""
    return base_url + path.lstrip("/")


def safe_join(root: Path, relative: str) -> Path:
    """root / relative, refusing anything that would land outside root (defence in depth)."""
    rel = PurePosixPath(relative)
    if rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"refusing to write outside the output folder: {relative!r}")
    target = (root / rel).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ValueError(f"refusing to write outside the output folder: {relative!r}")
    return target
