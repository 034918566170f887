"""Content-addressed cache helpers: hashing, atomic writes, sharded paths, the image digest index.

Keys are hashes of the bytes that matter (image bytes, model, weights, preprocessing version), never file
names, so a changed image or a changed model can never be served stale vectors. Files are written to a
temporary name and renamed into place, so a build killed at any moment leaves either the old file or the
new one, never half of one. Cache artefacts themselves are written and read through atlas.core.checked,
which adds a checksum to each (arrays as .npy with allow_pickle=False, never pickles).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat as _stat
import tempfile
from contextlib import contextmanager
from pathlib import Path

from atlas.core.real_paths import RealPaths


def file_digest(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def key_digest(*parts: object) -> str:
    """A stable hash of JSON-able parts (config values, versions, other digests)."""
    blob = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@contextmanager
def atomic_file(path: Path, sync: bool = True):
    """Yield a binary file handle whose content replaces `path` only when the block completes.

    The data goes to a temp file in the same folder, is fsynced, then renamed over the target; a crash
    at any point leaves the old file (or none), never a partial one. `sync=False` skips the fsync: a killed
    process still leaves whole files (the kernel has the data), only a power loss or an OS crash may not;
    for cache files checked against a checksum on every read (atlas.core.checked) that only means one
    file made again, and an fsync per file was most of the thumbnails stage (benchmarks/README.md).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # a failed write() names no file: say which one (disk full, quota, EFBIG)
        Path(tmp).unlink(missing_ok=True)
        raise exc if exc.filename else OSError(exc.errno, exc.strerror, str(path)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes, sync: bool = True) -> None:
    with atomic_file(path, sync) as fh:
        fh.write(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def sharded(root: Path, digest: str, suffix: str) -> Path:
    """root/ab/abcdef....suffix: two-level layout so no folder holds a million files."""
    return sharded_many(root, [digest], suffix)[0]


def sharded_many(root: Path, digests: list[str], suffix: str) -> list[Path]:
    """sharded() of many digests, the root named once: three pathlib joins per file were a tenth of a second
    per cache kind at 10,000 works."""
    base = os.fspath(root)
    return [Path(f"{base}{os.sep}{d[:2]}{os.sep}{d}{suffix}") for d in digests]


class DigestIndex:
    """Remembers each file's sha256 with the size and modification time it had when hashed.

    Hashing every image on every build reads the whole collection from disk (hundreds of gigabytes for a
    million images). Like make and rsync, a file whose size and nanosecond mtime are unchanged is taken to
    have unchanged bytes; anything else is hashed again. Stored as one JSON file, written atomically.
    """

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, list] = {}
        self.hashed = 0  # files read and hashed in this build
        self._changed = False  # an entry added or replaced: save() writes the file only then
        self._real_paths = RealPaths()  # each folder resolved once per build
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                self.entries = loaded
        except (OSError, ValueError):
            pass  # missing or unreadable: every file is hashed again

    def digest(self, file: Path) -> str:
        key, stat = self._real(os.fspath(file))
        known = self.entries.get(key)
        if isinstance(known, list) and len(known) == 3 and known[:2] == [stat.st_size, stat.st_mtime_ns]:
            return known[2]
        digest = file_digest(file)
        self.hashed += 1
        self.entries[key] = [stat.st_size, stat.st_mtime_ns, digest]
        self._changed = True
        return digest

    def _real(self, name: str) -> tuple[str, os.stat_result]:
        """(the file's real path, its stat: the file's own, or for a link its target's)."""
        found = os.lstat(name)
        link = _stat.S_ISLNK(found.st_mode)
        real = self._real_paths.of(name, link)
        return real, os.stat(real) if link or os.path.basename(name) in ("", ".", "..") else found

    def save(self) -> None:
        """Write the index when this build hashed a file (rewriting 10,000 unchanged entries took 0.45 s)."""
        if not self._changed and self.path.exists():
            return
        atomic_write_text(self.path, json.dumps(self.entries, sort_keys=True, separators=(",", ":")))
