"""Deep-zoom tiles: static IIIF Image API 3 level-0 tiles made at build time, cached by image content.

Why libvips (pyvips, with the pyvips-binary wheel so no system library is needed): its `dzsave` writes the
IIIF 3 layout itself (`<region>/<size>/0/default.jpg` and an info.json a level-0 client such as
OpenSeadragon reads), streaming the image in bounded memory, so a 20,000 px scan is tiled without ever
being held whole the way Pillow would hold it.

A work gets tiles only when its image is larger than the page image (the largest thumbnail) and at least
deep_zoom.min_size on its longest side. Tiles are cached in
cache/tiles/v<TILE_VERSION>-t<tile size>-q<quality>/<shard>/<image sha256>/: `image/` is libvips' output
and `files.json` (written last) lists every file with its size, plus the image's width and height. A
folder without files.json, or whose files differ from it, is made again; a new folder is made under a
temporary name and renamed into place, so a build killed half-way never leaves tiles that look complete.
The cached info.json carries a placeholder id: the site writes each work's own, with its public URL
(atlas.site.iiif_out), so one cached tile set serves every site that shows the same image.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from atlas.core.config import DeepZoomConfig
from atlas.core.progress import progress
from atlas.core.records import Problem, Record
from atlas.ingest.images import MAX_PIXELS

TILE_VERSION = 1  # bump when the tiling changes, so cached tiles are remade
PLACEHOLDER_ID = "https://atlas.invalid/tiles/image"  # the cached info.json's id; the site writes the real one
LISTING = "files.json"


@dataclass(frozen=True)
class Tiles:
    """One work's cached tiles: libvips' IIIF folder and every file in it (relative path, bytes)."""

    folder: Path  # holds info.json and the <region>/<size>/0/default.jpg tiles
    width: int  # of the full image, EXIF orientation applied
    height: int
    files: tuple[tuple[str, int], ...]

    @property
    def size_bytes(self) -> int:
        return sum(size for _, size in self.files)


@dataclass(frozen=True)
class DeepZoom:
    """What the artwork pages zoom into: local tiles, or the collection's own public IIIF Image service."""

    tiles: dict[str, Tiles] = field(default_factory=dict)  # work id -> cached tiles
    services: dict[str, str] = field(default_factory=dict)  # work id -> IIIF Image service base URL (no /info.json)
    problems: tuple[Problem, ...] = ()
    made: int = 0  # tile sets made in this build (the rest came from the cache)
    seconds: float = 0.0  # time spent making them

    @property
    def size_bytes(self) -> int:
        return sum(t.size_bytes for t in self.tiles.values())


# A IIIF Image API request (region/size/rotation/quality.format) or an info.json, after the service's base URL.
_IMAGE_REQUEST = re.compile(r"^(https?://[^?#]+?)/(?:info\.json|[^/]+/[^/]+/!?[0-9.]+/[a-z]+\.[a-z0-9]+)$")


def image_service_base(url: str) -> str | None:
    """The IIIF Image service base URL of a record's image_url, when the URL is one (an info.json or an image
    request on such a service); None for a plain image URL, which has no service to zoom into."""
    match = _IMAGE_REQUEST.match(url.strip())
    return match.group(1) if match else None


def wants_tiles(width: int, height: int, page_size: int, min_size: int) -> bool:
    """Tiles only pay off when there is more to see than the page image shows."""
    longest = max(width, height)
    return longest > page_size and longest >= min_size


def plan_deep_zoom(records: Iterable[Record], digests: dict[str, str], settings: DeepZoomConfig, page_size: int,
                   cache_dir: Path) -> DeepZoom:
    """The deep-zoom source of every record that gets one: the collection's service (source: service, when
    the record's image_url is one), else local tiles (made now or reused from the cache)."""
    if not settings.enabled:
        return DeepZoom()
    services, local = {}, []
    for rec in records:
        base = image_service_base(rec.image_url) if settings.source == "service" else None
        if base:
            services[rec.id] = base
        elif rec.image_path is not None and rec.id in digests:
            local.append(rec)
    tiles, problems, made, seconds = {}, [], 0, 0.0
    for rec in progress(local, "deep zoom", unit="img"):
        try:
            found, fresh, took = ensure_tiles(rec.image_path, digests[rec.id], settings, page_size, cache_dir)
        except TileError as exc:
            problems.append(Problem("deep zoom", rec.id, f"no deep zoom: {exc}", str(rec.image_path),
                                    rec.source_line, severity="warning"))
            continue
        made, seconds = made + fresh, seconds + took
        if found is not None:
            tiles[rec.id] = found
    return DeepZoom(tiles, services, tuple(problems), made, seconds)


class TileError(Exception):
    """The image could not be tiled; str(exc) is the reason shown in the report (the work keeps its page)."""


def tile_folder(cache_dir: Path, settings: DeepZoomConfig, digest: str) -> Path:
    return (cache_dir / "tiles" / f"v{TILE_VERSION}-t{settings.tile_size}-q{settings.quality}"
            / digest[:2] / digest)


def ensure_tiles(path: Path, digest: str, settings: DeepZoomConfig, page_size: int,
                 cache_dir: Path) -> tuple[Tiles | None, bool, float]:
    """(the image's tiles or None when it is too small to need them, whether they were made now, seconds)."""
    folder = tile_folder(cache_dir, settings, digest)
    cached = read_listing(folder)
    if cached is not None:
        return cached, False, 0.0
    started = time.perf_counter()
    image = _open(path)
    if not wants_tiles(image.width, image.height, page_size, settings.min_size):
        return None, False, 0.0
    made = _make(image, folder, settings)
    return made, True, time.perf_counter() - started


def read_listing(folder: Path) -> Tiles | None:
    """The cached tiles in `folder` when files.json is there and every file it lists has its size."""
    try:
        listing = json.loads((folder / LISTING).read_text(encoding="utf-8"))
        files = tuple((str(name), int(size)) for name, size in listing["files"])
        for name, size in files:
            if (folder / "image" / name).stat().st_size != size:
                return None
        return Tiles(folder / "image", int(listing["width"]), int(listing["height"]), files)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _open(path: Path):
    """The image as libvips sees it, EXIF orientation applied, as 8-bit sRGB without alpha (on white),
    the way atlas.ingest.images.open_rgb turns it into the page image; refused over MAX_PIXELS."""
    import pyvips  # heavy: only builds that tile import it

    try:
        image = pyvips.Image.new_from_file(str(path), access="sequential")
        if image.width * image.height > MAX_PIXELS:
            raise TileError(f"image too large: {image.width}x{image.height} px is over the {MAX_PIXELS:,} px limit")
        image = image.autorot()
        if image.hasalpha():
            image = image.flatten(background=[255] * (image.bands - 1))
        if image.interpretation != "srgb" or image.bands != 3:
            image = image.colourspace("srgb")
        if image.bands == 4:  # a colour space change may bring back an alpha band
            image = image.flatten(background=[255, 255, 255])
        return image.cast("uchar") if image.format != "uchar" else image
    except pyvips.Error as exc:
        raise TileError(str(exc).strip().splitlines()[0]) from exc


def _make(image, folder: Path, settings: DeepZoomConfig) -> Tiles:
    """Run dzsave into a temporary folder beside `folder`, list it, rename it into place."""
    import pyvips

    temp = folder.parent / f".{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    shutil.rmtree(folder, ignore_errors=True)  # a damaged or incomplete set
    temp.mkdir(parents=True)
    try:
        image.dzsave(str(temp / "image"), layout="iiif3", tile_size=settings.tile_size, overlap=0,
                     suffix=f".jpg[Q={settings.quality},keep=none]", id=PLACEHOLDER_ID.rsplit("/", 1)[0])
        files = tuple(sorted((p.relative_to(temp / "image").as_posix(), p.stat().st_size)
                             for p in (temp / "image").rglob("*") if p.is_file()))
        listing = {"width": image.width, "height": image.height, "files": [list(f) for f in files]}
        (temp / LISTING).write_text(json.dumps(listing, sort_keys=True), encoding="utf-8")
        (temp / "vips-properties.xml").unlink(missing_ok=True)  # libvips' own notes: nothing a viewer needs
        os.replace(temp, folder)
    except pyvips.Error as exc:
        raise TileError(str(exc).strip().splitlines()[0]) from exc
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    return Tiles(folder / "image", image.width, image.height, files)


def describe(zoom: DeepZoom) -> str:
    """The build summary's line: what deep zoom cost in files and bytes, and what this build made."""
    hosts = sorted({url.split("/")[2] for url in zoom.services.values()})
    line = (f"deep zoom: {len(zoom.tiles):,} works tiled ({zoom.made:,} made now in {zoom.seconds:.1f} s, the rest "
            f"cached), {sum(len(t.files) for t in zoom.tiles.values()):,} files, {zoom.size_bytes / 1e6:,.1f} MB")
    return line + (f"; {len(zoom.services):,} works zoom into the collection's own IIIF service at {', '.join(hosts)}"
                   if hosts else "")
