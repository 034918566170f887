"""Each source image's pixel size, remembered by its content digest so a rebuild opens no image for it.

The larger views (atlas.ingest.larger_images) need every source image's size to decide whether a view
is worth making; reading 10,000 image headers with Pillow took 0.8 s of every rebuild at 10,000 works,
for sizes that cannot change: the key is the sha256 of the image's bytes, so the same key always names
the same pixels. One file, `cache/image-sizes.json`, written with its checksum (atlas.core.checked): a
damaged one is reported and every size is read from the images again, never trusted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from atlas.core.checked import read_checked, write_checked

KIND = "image sizes"  # how the build report names the file when it is corrupt


class SizeIndex:
    """{image digest: (width, height)}, loaded once per build and saved when a size was added."""

    def __init__(self, path: Path):
        self.path = path
        self.sizes: dict[str, list] = _load(path)  # as stored: each entry checked when it is asked for
        self._added = False

    def size(self, digest: str, measure: Callable[[], tuple[int, int]]) -> tuple[int, int]:
        """The image's size: remembered, or measure() (reading its header) and remembered."""
        known = self.sizes.get(digest)
        if isinstance(known, list) and len(known) == 2 and all(type(v) is int and v > 0 for v in known):
            return known[0], known[1]
        found = tuple(measure())
        self.sizes[digest] = list(found)
        self._added = True
        return found

    def save(self) -> None:
        if self._added:
            body = json.dumps(self.sizes, sort_keys=True, separators=(",", ":"))
            write_checked(self.path, body.encode("utf-8"), sync=False)  # checked when read: no fsync


def _load(path: Path) -> dict[str, list]:
    """The stored sizes; empty when the file is missing or damaged (a damaged one is logged as corrupt)."""
    data = read_checked(path, KIND)
    if data is None:
        return {}
    try:
        loaded = json.loads(data)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}
