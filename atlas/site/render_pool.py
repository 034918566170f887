"""Artwork pages in parallel: one page per work is most of a big site's rendering time.

Forked worker processes each get a copy of the Renderer (fork shares the parent's memory, so nothing is
pickled on the way in), render a chunk of artwork pages into memory with the ordinary `Renderer.artwork`,
and hand back (path, bytes) pairs. The parent writes them through the one SiteWriter, in work order, so
the site is byte-identical to a serial render (tests/test_render_pool.py) and the writer still refuses
collisions. Where fork is unavailable (Windows, macOS default) or for small sites, pages render serially.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

from atlas.core.progress import progress

AUTO_MIN_WORKS = 1000  # below this, starting processes costs more than it saves (render.workers: 0)
MAX_AUTO_WORKERS = 8
CHUNK = 64  # pages per task: big enough that pickling (path, bytes) lists is cheap per page

_renderer = None  # the Renderer a forked worker renders with (set in the parent just before forking)


def worker_count(setting: int, works: int) -> int:
    """render.workers: 0 = one per CPU core (at most 8) for sites of AUTO_MIN_WORKS works or more, else serial."""
    if setting > 0:
        return setting
    if works < AUTO_MIN_WORKS:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))


def render_artworks(renderer, work_ids: list[str], workers: int = 0) -> None:
    """Write the artwork page of every work in `work_ids`, in that order, with `workers` processes."""
    count = worker_count(workers, len(work_ids))
    if count <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for work_id in progress(work_ids, "pages", unit="page"):
            renderer.artwork(work_id)
        return
    global _renderer
    _renderer = renderer
    chunks = [work_ids[i : i + CHUNK] for i in range(0, len(work_ids), CHUNK)]
    bar = progress(total=len(work_ids), desc=f"pages ({count} processes)", unit="page")
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            for size, outputs, sitemap in pool.imap(_render_chunk, chunks):  # imap keeps chunk order
                for kind, relative, payload in outputs:
                    if kind == "copy":
                        renderer.writer.copy_file(relative, payload)
                    else:
                        renderer.writer.write_bytes(relative, payload)
                renderer.sitemap.extend(sitemap)
                bar.update(size)
    finally:
        _renderer = None
        bar.close()


class _MemoryWriter:
    """Stands in for SiteWriter inside a worker: keeps what would be written, in order."""

    def __init__(self):
        self.outputs: list[tuple[str, str, bytes | Path]] = []

    def write_bytes(self, relative: str, data: bytes) -> None:
        self.outputs.append(("bytes", relative, data))

    def write_text(self, relative: str, text: str) -> None:
        self.write_bytes(relative, text.encode("utf-8"))

    def copy_file(self, relative: str, source: Path) -> None:
        self.outputs.append(("copy", relative, source))


def _render_chunk(work_ids: list[str]):
    """In a worker: render these pages into memory. Returns (count, outputs, sitemap entries)."""
    renderer = _renderer
    renderer.writer, renderer.sitemap = _MemoryWriter(), []
    for work_id in work_ids:
        renderer.artwork(work_id)
    return len(work_ids), renderer.writer.outputs, renderer.sitemap
