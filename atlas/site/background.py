"""Work done in a forked process while the build goes on: a file that needs no page, or a listing of a tree.

Most page groups render in the build's one process while the machine's other cores wait (only the artwork
pages use them, atlas.site.artworks). The all-analogies gzip table (atlas.site.downloads.analogies_gz) reads
nothing but the works and the analogy arrays and took 59 s of the 100k build's pages stage (issue 20), so it is
started first, in a child forked from the build (the arrays are shared, nothing is pickled on the way in),
and its bytes are collected when the downloads group reaches it. Fork keeps the parent's memory shared, so the
child's own memory is its output and its working blocks. Listings of big trees (the staging folder's and the
published site's, atlas.site.writer.early_listing; the cache's state, atlas.site.unchanged_build) are made the same
way on a rebuild, where the build's one process would otherwise wait on a system call per file.

Where fork is unavailable (Windows, macOS's default), or when the child fails (its error is logged), the file
is made in the build's process as before: the result is the same either way (tests/test_background.py).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from multiprocessing.pool import AsyncResult, Pool
from typing import Any

log = logging.getLogger(__name__)

_job: Callable[[], Any] | None = None  # what the forked child runs (set just before forking)


class Background:
    """`make()` running in a forked child from now on; `result()` gives what it returned (made here when that
    failed). What it returns is pickled on the way back: keep it small or plain."""

    def __init__(self, make: Callable[[], Any], what: str) -> None:
        self.make, self.what = make, what
        self.pool: Pool | None = None
        self.pending: AsyncResult | None = None
        if "fork" not in multiprocessing.get_all_start_methods():
            return
        global _job
        _job = make
        try:  # a Pool's worker is a daemon: a build stopped by Ctrl+C or SIGTERM does not wait for it at exit
            self.pool = multiprocessing.get_context("fork").Pool(1)
            self.pending = self.pool.apply_async(_run)
            self.pool.close()  # the child exits once its one job is done
        finally:
            _job = None

    def result(self) -> Any:
        """What `make()` gave in the child; made in this process when there was no child or it failed."""
        if self.pool is not None and self.pending is not None:
            try:
                data = self.pending.get()
                self.pool.join()
                return data
            except Exception as error:  # noqa: BLE001 - any failure of the child: make it here instead
                self.pool.terminate()
                log.warning("%s: the background process failed (%s); making it in the build's process", self.what,
                            error)
        return self.make()


def _run() -> Any:
    """In the forked child: the job the parent set before forking."""
    assert _job is not None, "Background's child started without a job"
    return _job()
