"""Progress bars for the long stages (hashing, embedding, thumbnails, pages).

A thin wrapper over tqdm so every stage shows the same kind of bar on a terminal and stays quiet in logs
(tqdm disables itself when stderr is not a terminal; the stage timings in the summary remain).
"""

from __future__ import annotations

from collections.abc import Iterable

from tqdm import tqdm


def progress(iterable: Iterable | None = None, desc: str = "", total: int | None = None, unit: str = "it"):
    return tqdm(iterable, desc=desc, total=total, unit=unit, disable=None, leave=False, dynamic_ncols=True)
