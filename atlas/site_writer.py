"""Writing the site: a staging folder that refuses collisions and escapes, then an atomic swap.

Pages are written into `.<output>.staging` next to the published folder; only when the whole site is
there is it swapped in (two renames on the same filesystem). A build that fails anywhere before that
leaves the published site exactly as it was. A build killed between the two renames is repaired by
the next one (`recover`), which puts the previous site back before starting.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .urls import safe_join


class SiteWriter:
    """Writes files under one root; a second write to the same path is a bug and raises."""

    def __init__(self, root: Path):
        self.root = root
        self.written: set[str] = set()
        self.bytes_written = 0

    def write_bytes(self, relative: str, data: bytes) -> None:
        target = self._claim(relative)
        target.write_bytes(data)
        self.bytes_written += len(data)

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(relative, text.encode("utf-8"))

    def copy_file(self, relative: str, source: Path) -> None:
        target = self._claim(relative)
        shutil.copyfile(source, target)
        self.bytes_written += target.stat().st_size

    def _claim(self, relative: str) -> Path:
        if relative in self.written:
            raise ValueError(f"two outputs want the same file: {relative}")
        target = safe_join(self.root, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.written.add(relative)
        return target


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
    return SiteWriter(staging)


def publish(output: Path) -> None:
    """Swap the finished staging folder in place of the published site."""
    staging, previous = staging_path(output), previous_path(output)
    if output.exists():
        os.replace(output, previous)
    os.replace(staging, output)
    shutil.rmtree(previous, ignore_errors=True)
