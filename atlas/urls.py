"""Every page URL and every output path of the site is built here, and only here.

Page URLs come from the work's own id through a reversible encoding (datasette's tilde-encoding), never
from titles or row numbers, so a teacher's link to /work/S0001/ survives any rebuild. The encoding
keeps A-Z a-z 0-9 _ - and writes every other UTF-8 byte as ~XX, so '/' '..' spaces, unicode and HTML
in ids can never make a path that escapes the output folder or collides with another id.
"""

from __future__ import annotations

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
    "map": "map/",
    "about": "about/",
    "model": "model/",
    "patterns": "pattern/",
    "pattern": "pattern/{slug}/",
    "surprises": "surprises/",
    "report": "report/",
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


def page_path(kind: str, key: str | None = None) -> str:
    """Path of a page relative to the site root, as used in URLs ('work/S0001/')."""
    pattern = PAGE_PATTERNS[kind]
    if "{slug}" in pattern:
        if key is None:
            raise ValueError(f"a {kind} page needs a key")
        return pattern.format(slug=slug(key))
    return pattern


def page_file(kind: str, key: str | None = None) -> str:
    """File that holds a page, relative to the site root ('work/S0001/index.html')."""
    path = page_path(kind, key)
    return path + "index.html" if path == "" or path.endswith("/") else path


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
