"""Writing the site: a staging folder that refuses collisions and escapes, then an atomic swap.

Pages are written into `.<output>.staging` next to the published folder; only when the whole site is
there is it swapped in (two renames on the same filesystem). A build that fails anywhere before that
leaves the published site exactly as it was. A build killed between the two renames is repaired by
the next one (`recover`), which puts the previous site back before starting.

Only files whose bytes changed are written anew. A file whose bytes equal the published file at the same
path is hard-linked from it into staging, so after the swap it is the very same file (same inode, same
modification time): rsync, S3 sync tools and browser caches see nothing changed, and a no-change rebuild
rewrites no output file. Where hard links are impossible (another filesystem) it is copied with its
timestamps instead. A cache artefact copied into the site is verified against its checksum as it is
copied (copy_file), so the carry-over can never hide a damaged cache file behind a published one.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from atlas.core.checked import CacheFileDamaged, read_checked
from atlas.site.urls import safe_join


@dataclass
class WriteCounts:
    """What a build did to each output file, compared with the site published before it."""

    written: int = 0  # new files, or files whose bytes changed
    unchanged: int = 0  # same bytes as before: carried over, not rewritten
    removed: int = 0  # published before, not produced now (filled in by publish)


class SiteWriter:
    """Writes files under one root; a second write to the same path is a bug and raises."""

    def __init__(self, root: Path, published: Path | None = None):
        self.root = root
        self.published = published if published is not None and published.is_dir() else None
        self.written: set[str] = set()
        self.bytes_written = 0  # bytes of the whole site, changed or not
        self.counts = WriteCounts()

    def write_bytes(self, relative: str, data: bytes) -> None:
        target = self._claim(relative)
        self.bytes_written += len(data)
        old = self._published_file(relative, len(data))
        if old is not None and old.read_bytes() == data and _carry_over(old, target):
            self.counts.unchanged += 1
            return
        target.write_bytes(data)
        self.counts.written += 1

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(relative, text.encode("utf-8"))

    def copy_file(self, relative: str, source: Path, checked: str = "") -> None:
        """Copy `source`'s bytes. With `checked` (the kind of cache artefact it is), the very bytes written
        must match their checksum: the stage that made the file verified it earlier in this build, so a
        mismatch here means the cache changed during the build, and the build stops before publishing."""
        if not checked:
            self.write_bytes(relative, source.read_bytes())
            return
        data = read_checked(source, checked)
        if data is None:
            raise CacheFileDamaged(f"cached {checked} file {source} no longer matches its checksum: it changed "
                                   "during the build; nothing was published, run the build again")
        self.write_bytes(relative, data)

    def _claim(self, relative: str) -> Path:
        if relative in self.written:
            raise ValueError(f"two outputs want the same file: {relative}")
        target = safe_join(self.root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.written.add(relative)
        return target

    def _published_file(self, relative: str, size: int) -> Path | None:
        """The file already published at `relative`, when it exists with the same size."""
        if self.published is None:
            return None
        old = safe_join(self.published, relative)
        try:
            return old if old.is_file() and not old.is_symlink() and old.stat().st_size == size else None
        except OSError:
            return None


def _carry_over(old: Path, target: Path) -> bool:
    """Put the published file `old` at `target` without rewriting it: a hard link, else a timestamped copy."""
    try:
        os.link(old, target)
    except OSError:
        try:
            shutil.copy2(old, target)
        except OSError:
            return False
    return True


def staging_path(output: Path) -> Path:
    return output.parent / f".{output.name}.staging"


def previous_path(output: Path) -> Path:
    return output.parent / f".{output.name}.previous"


def recover(output: Path) -> None:
    """Undo a swap that was interrupted halfway, and clear a stale staging folder."""
    previous = previous_path(output)
    if previous.exists() and not output.exists():
        os.replace(previous, output)
    shutil.rmtree(previous, ignore_errors=True)
    shutil.rmtree(staging_path(output), ignore_errors=True)


def start_staging(output: Path) -> SiteWriter:
    recover(output)
    staging = staging_path(output)
    staging.mkdir(parents=True)
    return SiteWriter(staging, published=output)


def publish(output: Path, writer: SiteWriter | None = None) -> None:
    """Swap the finished staging folder in place of the published site.

    With the writer, also counts the published files that this build no longer produces (they go with
    the old folder: the new site is exactly what this build wrote)."""
    staging, previous = staging_path(output), previous_path(output)
    if writer is not None and output.is_dir():
        old = {p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()}
        writer.counts.removed = len(old - writer.written)
    if output.exists():
        os.replace(output, previous)
    os.replace(staging, output)
    shutil.rmtree(previous, ignore_errors=True)
