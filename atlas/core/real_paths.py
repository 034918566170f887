"""Real paths of many files, each folder resolved once.

os.path.realpath walks every component of a path with an lstat each. A build asks it of every image three
times (the reader confines it to its folders, the digest index keys it, the build refuses one inside the
output), and 10,000 images in a few folders made that a second of every rebuild. A file that is not itself
a link is its real folder's entry, so only the folders need resolving; a file that is a link (or a name
such as "..") is resolved whole.
"""

from __future__ import annotations

import os


class RealPaths:
    """os.path.realpath of files, with each folder's real path remembered (for one build: a folder made a link
    meanwhile is not seen again)."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def of(self, name: str, link: bool | None = None) -> str:
        """The real path of the file `name`. `link`: whether the file itself is a symbolic link, when the
        caller knows (from an lstat it made); else it is looked at."""
        folder, base = os.path.split(name)
        if base in ("", ".", "..") or (link if link is not None else os.path.islink(name)):
            return os.path.realpath(name)
        if folder not in self._folders:
            self._folders[folder] = os.path.realpath(folder or ".")
        return os.path.join(self._folders[folder], base)
