"""Checksummed cache files: every artefact is written with the sha256 of its bytes and verified on read.

A cache that is trusted blindly turns one damaged file into a damaged site: garbage thumbnails dropped
every work, a garbage sprite sheet crashed every later build, garbage card images were published and
vectors with flipped bits were used (a flipped bit in a float is still a finite float). So every cache
artefact (vectors, activation grids, descriptor parts, thumbnails, heat maps, sprite sheets, pair cards,
stage results) goes through `write_checked`, and is read back only through `read_checked`, which returns
None for a file that is missing, has no checksum, or does not match it. A mismatch is also recorded in
the build's CorruptLog (one report line per kind); the caller then makes the artefact again, exactly as
if it had never been cached. Nothing here raises for a damaged file.

Where the checksum lives: in a sidecar `<file>.sha256` next to each file (64 hex digits and a newline).
- Thumbnails, heat maps and cards are copied byte for byte into the site, so they must stay plain,
  valid JPEG files: a header or trailer would either break them or be published. A sidecar leaves the
  artefact exactly as it was, and one rule then serves every kind, arrays and JSON included.
- A single checksum index (one JSON for the whole cache) would have to be rewritten for every file added
  and would be one more file whose damage loses everything; a sidecar fails alone, like its file.
- The cost is one small extra file per artefact: negligible next to the artefact itself.

Ordering, so that a build killed at any moment never leaves a false "corrupt" report and a file that
exists always has its checksum: an old file at the path is removed first, then the sidecar is written,
then the file itself, each atomically. An interruption leaves a sidecar without its file, which reads as
missing and is made again quietly, like every file of a cache made before checksums existed (a file
without a sidecar: recomputed once, not reported). So "the file is there" still means "it is complete"
(a killed build's finished batches are kept, see atlas.vectors.embed).

A file that is later copied into the site is verified again at the moment it is copied (the site writer
checks the very bytes it writes: atlas.site.writer.SiteWriter.copy_file), because the writer would
otherwise carry over whatever the cache holds.
"""

from __future__ import annotations

import functools
import hashlib
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from atlas.core.cache import atomic_write_bytes, file_digest

SUFFIX = ".sha256"
CHANGED_WHILE_READ = "image file changed while it was being read; run the build again"  # the Problem's reason


class CacheFileDamaged(OSError):
    """A cache file did not match its checksum at a moment when it could no longer be made again."""


@dataclass
class CorruptLog:
    """The cache files found damaged during one build, by kind ("thumbnails", "vectors", ...)."""

    found: dict[str, list[str]] = field(default_factory=dict)

    def add(self, kind: str, path: Path) -> None:
        self.found.setdefault(kind, []).append(str(path))

    def paths(self, kind: str) -> list[str]:
        return list(self.found.get(kind, []))

    def lines(self) -> list[str]:
        """One report note per kind: how many, and the first path (enough to go and look)."""
        return [
            f"{len(paths)} cached {kind} did not match their checksum (corrupt): not used, made again "
            f"(first: {paths[0]})"
            for kind, paths in sorted(self.found.items())
        ]


_log = CorruptLog()


def start_corrupt_log() -> CorruptLog:
    """A fresh log for a new build; every damaged file read from now on is recorded in it."""
    global _log
    _log = CorruptLog()
    return _log


def corrupt_log() -> CorruptLog:
    """The log of the build in progress."""
    return _log


def checksum_path(path: Path) -> Path:
    """The sidecar holding `path`'s sha256."""
    return Path(os.fspath(path) + SUFFIX)


def checksum_bytes(data: bytes) -> bytes:
    """What a sidecar holds for `data`: its sha256 in hex and a newline."""
    return (hashlib.sha256(data).hexdigest() + "\n").encode("ascii")


def write_checked(path: Path, data: bytes, sync: bool = True) -> None:
    """Write `data` and its checksum to `path` (see the module docstring for the order). `sync=False`: no
    fsync (atlas.core.cache.atomic_file), for many small files that a mismatch on read makes again."""
    path.unlink(missing_ok=True)
    atomic_write_bytes(checksum_path(path), checksum_bytes(data), sync)
    atomic_write_bytes(path, data, sync)


def read_checked(path: Path, kind: str) -> bytes | None:
    """`path`'s bytes when they match their checksum; None when the file or its checksum is missing (not
    reported) or they do not match (recorded in the build's CorruptLog under `kind`)."""
    name = os.fspath(path)  # plain open() of a str: pathlib's own steps were a third of reading 10,000 files
    try:
        with open(name, "rb") as fh:
            data = fh.read()
        with open(name + SUFFIX, "rb") as fh:
            expected = fh.read()
    except FileNotFoundError:
        return None
    except OSError:
        corrupt_log().add(kind, path)
        return None
    if expected != checksum_bytes(data):
        corrupt_log().add(kind, path)
        return None
    return data


def is_checked(path: Path, kind: str) -> bool:
    """Whether `path` is present and matches its checksum (a mismatch is recorded, as by read_checked)."""
    return read_checked(path, kind) is not None


def remove_checked(path: Path) -> None:
    """Delete a cache file and its checksum (neither need exist)."""
    checksum_path(path).unlink(missing_ok=True)
    path.unlink(missing_ok=True)


def save_checked_array(path: Path, array: np.ndarray) -> None:
    """An array as .npy bytes (allow_pickle=False: never a pickle), written with its checksum."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    write_checked(path, buffer.getvalue())


def load_checked_array(path: Path, kind: str, shape: tuple[int | None, ...], dtype: str = "float32") -> np.ndarray | None:
    """A cached array whose bytes match their checksum and whose shape, dtype and values are as expected;
    None otherwise. `shape` may hold None for a length that can be anything (an activation grid's side).

    A file that matches its checksum but not the expected shape was written by something else (a bug, an
    edited file): it is recorded as corrupt too, since it cannot be used."""
    data = read_checked(path, kind)
    if data is None:
        return None
    try:
        array = _plain_array(data, shape, dtype)
        if array is None:
            array = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError):
        array = None
    if array is None or not _fits(array, shape, dtype):
        corrupt_log().add(kind, path)
        return None
    return array


def _plain_array(data: bytes, shape: tuple[int | None, ...], dtype: str) -> np.ndarray | None:
    """The array, when `data` begins with exactly the .npy header np.save writes for `shape` and `dtype` (a
    fixed shape only) and holds its bytes; else None, and np.load reads it. Parsing the header with np.load
    was a third of reading 10,000 cached vectors; an array that is not what was asked for is still refused
    by _fits after np.load."""
    if None in shape:
        return None
    header = _npy_header(tuple(shape), dtype)
    size = int(np.prod(shape)) * np.dtype(dtype).itemsize
    if len(data) != len(header) + size or not data.startswith(header):
        return None
    return np.frombuffer(data, dtype=dtype, offset=len(header)).reshape(shape).copy()


@functools.lru_cache(maxsize=64)
def _npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    """The bytes np.save writes before the numbers of a C-ordered array of `shape` and `dtype`."""
    buffer = io.BytesIO()
    np.save(buffer, np.zeros(shape, dtype), allow_pickle=False)
    return buffer.getvalue()[: -int(np.prod(shape)) * np.dtype(dtype).itemsize or None]


def image_unchanged(path: Path, digest: str) -> bool:
    """Whether the image file still has the sha256 the build started with (read it again to know).

    Called after an image has been read for something that is cached under its digest: an image replaced
    meanwhile must not leave what was made from other bytes under that digest."""
    try:
        return file_digest(path) == digest
    except OSError:
        return False


def _fits(array: np.ndarray, shape: tuple[int | None, ...], dtype: str) -> bool:
    if array.dtype != np.dtype(dtype) or array.ndim != len(shape):
        return False
    if any(want is not None and want != got for want, got in zip(shape, array.shape)):
        return False
    return bool(np.all(np.isfinite(array)))
