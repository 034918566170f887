"""Thumbnails in every configured size, cached by image content so a rebuild resizes nothing new.

Sizes are the longest side in pixels; the small one feeds grids and the map, the large one the artwork
page. Cached files live in cache/thumbs/<size>/<image sha256>.jpg and are copied into the site under
the work's own slug (see atlas.site.urls.thumb_path).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from atlas.core.cache import atomic_write_bytes, sharded
from atlas.core.progress import progress
from atlas.core.records import Problem, Record
from atlas.ingest.images import ImageError, open_rgb

THUMB_VERSION = 1  # bump when resizing changes, so cached thumbnails are remade


def thumbnail_bytes(image: Image.Image, size: int, quality: int) -> bytes:
    """A JPEG no larger than size x size, aspect kept. Deterministic for the same input."""
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=quality, optimize=True, progressive=False)
    return out.getvalue()


def cached_thumb(cache_dir: Path, size: int, quality: int, digest: str) -> Path:
    return sharded(cache_dir / "thumbs" / f"v{THUMB_VERSION}-{size}-q{quality}", digest, ".jpg")


def make_thumbnails(
    records: list[Record], digests: dict[str, str], sizes: list[int], quality: int, cache_dir: Path
) -> tuple[dict[str, dict[int, Path]], dict[str, tuple[int, int]], list[Problem], int]:
    """Ensure every size exists in the cache. Returns ({id: {size: cached file}}, {id: (w, h) of the largest},
    problems, how many images needed a thumbnail made now)."""
    files: dict[str, dict[int, Path]] = {}
    dims: dict[str, tuple[int, int]] = {}
    problems = []
    made = 0
    for rec in progress(records, "thumbnails", unit="img"):
        digest = digests[rec.id]
        paths = {s: cached_thumb(cache_dir, s, quality, digest) for s in sizes}
        try:
            if not all(p.exists() for p in paths.values()):
                made += 1
                image = open_rgb(rec.image_path)
                for s, p in paths.items():
                    if not p.exists():
                        atomic_write_bytes(p, thumbnail_bytes(image, s, quality))
            with Image.open(paths[max(sizes)]) as largest:
                dims[rec.id] = largest.size
        except (ImageError, OSError) as exc:
            problems.append(Problem("thumbnails", rec.id, str(exc), str(rec.image_path), rec.source_line))
            continue
        files[rec.id] = paths
    return files, dims, problems, made
