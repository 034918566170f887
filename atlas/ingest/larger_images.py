"""The larger view of a work: one JPEG bigger than the page image, made only when the source image is bigger.

An artwork page shows the large thumbnail (thumbnails.sizes' largest, 480 px by default). When the source
image is at least MIN_GAIN times larger than that, a visitor can open a larger view (atlas/templates/larger_view.html): a JPEG of
LONG_SIDE px on its longest side, or the source's own size when that is smaller, at QUALITY. 1,200 px at
quality 80 is sharp on a laptop screen and on a phone's high-density display, and about 150-300 kB for a
painting, so the site stays light; anything bigger is for deep zoom (atlas.ingest.tiles), which a site can
switch on as well.

Cached like thumbnails: cache/larger/v<VERSION>-<side>-q<quality>/<shard>/<image sha256>.jpg with its
checksum (atlas.core.checked), so a rebuild resizes nothing new and a damaged file is made again. Pillow's
JPEG encoder gives the same bytes for the same pixels and settings, so the site stays byte-identical.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from atlas.core.cache import sharded
from atlas.core.checked import CHANGED_WHILE_READ, image_unchanged, read_checked, write_checked
from atlas.core.progress import progress
from atlas.core.records import Problem, Record
from atlas.ingest.image_sizes import SizeIndex
from atlas.ingest.images import ImageError, open_rgb
from atlas.ingest.thumbnails import thumbnail_bytes

VERSION = 1  # bump when the resizing changes, so cached files are remade
LONG_SIDE = 1200  # px on the longest side of the larger view
QUALITY = 80  # JPEG quality
MIN_GAIN = 1.5  # a larger view is made only when it is at least this many times the page image's side
KIND = "larger images"  # how the build report and the site writer's check name these cache files


@dataclass(frozen=True)
class LargerImages:
    """Works that have a larger view: id -> cached JPEG and its (width, height)."""

    files: dict[str, Path] = field(default_factory=dict)
    dims: dict[str, tuple[int, int]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    made: int = 0  # files made in this build (the rest came from the cache)

    @property
    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.files.values())


def larger_side(source_size: tuple[int, int], page_side: int, long_side: int = LONG_SIDE) -> int:
    """The larger view's longest side, or 0 when it would not be at least MIN_GAIN times the page image: a
    view barely bigger costs a file and its bytes for nothing seen (the AIC example's 500-600 px images beside
    480 px page images were 9.5 MB of such views, a third of the site)."""
    side = min(long_side, max(source_size))
    return side if side >= MIN_GAIN * page_side and side > page_side else 0


def cached_larger(cache_dir: Path, side: int, digest: str) -> Path:
    return sharded(cache_dir / "larger" / f"v{VERSION}-{side}-q{QUALITY}", digest, ".jpg")


def make_larger_images(records: list[Record], digests: dict[str, str], page_side: int, cache_dir: Path,
                       long_side: int = LONG_SIDE) -> LargerImages:
    """A larger view for every work whose source image is bigger than `page_side` (cached by content; each
    source image's size is remembered by its digest, atlas.ingest.image_sizes)."""
    files, dims, problems, made = {}, {}, [], 0
    sizes = SizeIndex(cache_dir / "image-sizes.json")
    for rec in progress(records, "larger views", unit="img"):
        try:
            source = sizes.size(digests[rec.id], lambda: _source_size(rec.image_path))
            side = larger_side(source, page_side, long_side)
            if not side:
                continue
            path = cached_larger(cache_dir, side, digests[rec.id])
            data = read_checked(path, KIND)
            if data is None:
                data = thumbnail_bytes(open_rgb(rec.image_path), side, QUALITY)
                if not image_unchanged(rec.image_path, digests[rec.id]):
                    problems.append(Problem("larger views", rec.id, CHANGED_WHILE_READ, str(rec.image_path), rec.source_line, severity="warning"))
                    continue
                write_checked(path, data)
                made += 1
            dims[rec.id] = _jpeg_size(data)
            files[rec.id] = path
        except (ImageError, OSError) as exc:
            problems.append(Problem("larger views", rec.id, f"no larger view: {exc}", str(rec.image_path),
                                    rec.source_line, severity="warning"))
    sizes.save()
    return LargerImages(files, dims, tuple(problems), made)


def describe(larger: LargerImages, works: int) -> str:
    """One line for the build report: how many works have a larger view, and their bytes."""
    if not larger.files:
        return f"larger views: none (no source image of the {works:,} works is larger than the page image)"
    total = larger.size_bytes
    return (f"larger views: {len(larger.files):,} of {works:,} works, {total / 1e3:,.0f} kB, "
            f"{total / len(larger.files) / 1e3:,.0f} kB per work ({larger.made:,} made now)")


def _source_size(path: Path) -> tuple[int, int]:
    """The source image's size from its header (no decoding); orientation does not change the longest side."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                return image.size
        except (Image.DecompressionBombError, Image.UnidentifiedImageError) as exc:
            raise ImageError(str(exc)) from exc


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """The size of a larger view from the bytes already read and checked (no second open of the file)."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size
