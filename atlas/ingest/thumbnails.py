"""Thumbnails in every configured size, cached by image content so a rebuild resizes nothing new.

Sizes are the longest side in pixels; the small one feeds grids and the map, the large one the artwork
page. Cached files live in cache/thumbs/<size>/<image sha256>.jpg and are copied into the site under
the work's own slug (see atlas.site.urls.thumb_path).

Each thumbnail is written with its checksum and verified on every build (atlas.core.checked): a damaged
one is made again from the image, so it can neither hide a work nor reach the site. That check is also why
thumbnails are written without an fsync each: four fsyncs per work (two files and their checksums) were
most of this stage's time (131 of 229 s at 10,000 tiny images, benchmarks/README.md), and the only thing
they guarded against, a file cut short by a power loss, fails its checksum and is made again. An image whose file
changed while its thumbnails were made keeps none of them: they would show other bytes than its digest.
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Iterator
from pathlib import Path

from PIL import Image

from atlas.core.cache import sharded, sharded_many
from atlas.core.checked import (
    CHANGED_WHILE_READ,
    image_unchanged,
    read_checked,
    remove_checked,
    write_checked,
)
from atlas.core.progress import progress
from atlas.core.records import Problem, Record
from atlas.core.workers import worker_count
from atlas.ingest.images import ImageError, open_rgb

THUMB_VERSION = 3  # bump when resizing or encoding changes, so cached thumbnails are remade (3: progressive when smaller)
KIND = "thumbnails"  # how the build report and the site writer's check name these cache files


def thumbnail_bytes(image: Image.Image, size: int, quality: int) -> bytes:
    """A JPEG no larger than size x size, aspect kept. Deterministic for the same input.

    Optimised Huffman tables and Pillow's default 4:2:0 chroma subsampling, progressive or baseline, whichever
    is smaller (both decode to the same pixels): progressive saves 4% at 600 px on AIC's paintings, but costs
    a few hundred bytes on a tiny image (benchmarks/thumb_formats.py; the README's issue-20 section says why
    not WebP)."""
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    encoded = []
    for progressive in (True, False):
        out = io.BytesIO()
        copy.save(out, format="JPEG", quality=quality, optimize=True, progressive=progressive)
        encoded.append(out.getvalue())
    return min(encoded, key=len)


def thumb_folder(cache_dir: Path, size: int, quality: int) -> Path:
    return cache_dir / "thumbs" / f"v{THUMB_VERSION}-{size}-q{quality}"


def cached_thumb(cache_dir: Path, size: int, quality: int, digest: str) -> Path:
    return sharded(thumb_folder(cache_dir, size, quality), digest, ".jpg")


def make_thumbnails(
    records: list[Record], digests: dict[str, str], sizes: list[int], quality: int, cache_dir: Path
) -> tuple[dict[str, dict[int, Path]], dict[str, tuple[int, int]], list[Problem], int]:
    """Ensure every size exists in the cache and matches its checksum. Returns ({id: {size: cached file}},
    {id: (w, h) of the largest}, problems, how many images needed a thumbnail made now). Large collections
    are shared among forked processes (one per core, at most 8): decoding and resizing is all CPU, and one
    process took 94 s of a 100k-work build (issue 20); the results come back in record order. Images whose
    thumbnails are all cached are checked in this process first, and only the rest sent to the workers."""
    files: dict[str, dict[int, Path]] = {}
    dims: dict[str, tuple[int, int]] = {}
    problems = []
    made = 0
    paths = _paths([digests[rec.id] for rec in records], sizes, quality, cache_dir)
    checked = [{s: read_checked(p, KIND) for s, p in these.items()} for these in paths]  # here, in order (_run)
    todo = [(rec, digests[rec.id], sizes, quality, cache_dir, found) for rec, found in zip(records, checked)
            if None in found.values()]
    fresh = iter(_run(todo))  # only the images with a size to make go to the workers
    for rec, these, found in zip(records, paths, checked):
        if None in found.values():
            these, size, problem, now = next(fresh)
        else:
            size, problem, now = jpeg_size(found[max(sizes)]), None, False
        if problem is not None:
            problems.append(problem)
            continue
        dims[rec.id] = size
        made += now
        files[rec.id] = these
    return files, dims, problems, made


def _paths(digests: list[str], sizes: list[int], quality: int, cache_dir: Path) -> list[dict[int, Path]]:
    """{size: cached file} of each digest. The cached files are read in this process: forking workers and
    sending them 10,000 records cost more than checking that many files (0.6 s of a 10,000-work rebuild),
    so only the images with a size to make are sent to them (_run)."""
    columns = {s: sharded_many(thumb_folder(cache_dir, s, quality), digests, ".jpg") for s in sizes}
    return [{s: columns[s][i] for s in sizes} for i in range(len(digests))]


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a JPEG from its frame header, read the way Pillow reads it but without building an
    image (a third of this stage's time on a rebuild); Pillow's answer where the header is not found."""
    at = 2
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker == 0xFF:  # a fill byte before a marker
            at += 1
            continue
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame segment
            size = int.from_bytes(data[at + 7:at + 9], "big"), int.from_bytes(data[at + 5:at + 7], "big")
            if all(size):
                return size
            break
        at += 2 + int.from_bytes(data[at + 2:at + 4], "big")
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def _run(jobs: list[tuple]) -> Iterator[tuple]:
    """_thumbnails of every job, in order: in this process for small collections, else in forked workers."""
    count = worker_count(0, len(jobs))  # atlas.core.workers: the build's one policy
    bar = progress(total=len(jobs), desc="thumbnails", unit="img")
    try:
        if count <= 1:
            for job in jobs:
                yield _thumbnails(job)
                bar.update(1)
            return
        with multiprocessing.get_context("fork").Pool(count) as pool:
            for result in pool.imap(_thumbnails, jobs, chunksize=64):
                yield result
                bar.update(1)
    finally:
        bar.close()


def _thumbnails(job: tuple) -> tuple[dict[int, Path] | None, tuple[int, int] | None, Problem | None, bool]:
    """One record's thumbnails: ({size: cached file}, (w, h) of the largest, None, made now) or a problem."""
    rec, digest, sizes, quality, cache_dir, found = job
    paths = _paths([digest], sizes, quality, cache_dir)[0]
    try:
        largest, fresh = _ensure_sizes(rec, paths, quality, dict(found))
        if fresh and not image_unchanged(rec.image_path, digest):
            for size in fresh:  # made from bytes that are no longer the ones `digest` names
                remove_checked(paths[size])
            return None, None, Problem("thumbnails", rec.id, CHANGED_WHILE_READ, str(rec.image_path), rec.source_line), False
        return paths, jpeg_size(largest), None, bool(fresh)
    except (ImageError, OSError) as exc:
        return None, None, Problem("thumbnails", rec.id, str(exc), str(rec.image_path), rec.source_line), False


def _ensure_sizes(rec: Record, paths: dict[int, Path], quality: int, found: dict[int, bytes | None]) -> tuple[bytes, list[int]]:
    """(the largest thumbnail's bytes, the sizes made now from the image).

    Sizes missing from the cache, or not matching their checksum (None in `found`, read by make_thumbnails), are
    made again from the image."""
    missing = [s for s, data in found.items() if data is None]
    if missing:
        image = open_rgb(rec.image_path)
        for s in missing:
            found[s] = thumbnail_bytes(image, s, quality)
            write_checked(paths[s], found[s], sync=False)  # checked on every read: no fsync per file
    return found[max(paths)], missing
