"""How many forked processes a stage shares its work among: one policy for every pool of the build.

The artwork pages (atlas.site.artworks) and the thumbnails (atlas.ingest.thumbnails) are the per-work CPU work of
a big build. Each is handed to forked workers (fork shares the parent's memory, so nothing is pickled on the way
in) when there is enough of it: below AUTO_MIN_WORKS items, starting processes costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os

AUTO_MIN_WORKS = 1000  # items from which the work is shared among processes (render.workers: 0)
MAX_AUTO_WORKERS = 8


def worker_count(setting: int, items: int) -> int:
    """`setting` processes when it is above 0; for 0, one per CPU core (at most MAX_AUTO_WORKERS) for
    AUTO_MIN_WORKS items or more, else 1. Always 1 where fork is unavailable (Windows, macOS's default)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if setting > 0:
        return setting
    if items < AUTO_MIN_WORKS:
        return 1
    return max(1, min(os.cpu_count() or 1, MAX_AUTO_WORKERS))
