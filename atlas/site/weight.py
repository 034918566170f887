"""Where a site's bytes go: sizes and file counts by top folder and by file kind, and the host's limits.

A museum pays for every byte it serves and hosts cap what they take (GitHub Pages: 1 GB a site; many
hosts: tens of thousands of files a deploy), so the build summary says how big the site is and warns
before a deploy would be refused. benchmarks/site_weight.py prints the same table for whole sites.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SiteWeight:
    """Bytes and files of one site: in total, per top-level folder ("." for the root's own files), per kind
    (the file's last suffix, "(none)" without one)."""

    bytes: int = 0
    files: int = 0
    folder_bytes: Counter = field(default_factory=Counter)
    folder_files: Counter = field(default_factory=Counter)
    kind_bytes: Counter = field(default_factory=Counter)
    kind_files: Counter = field(default_factory=Counter)

    def add(self, relative: str, size: int) -> None:
        parts = relative.split("/")
        folder = parts[0] if len(parts) > 1 else "."
        suffix = Path(parts[-1]).suffix.lower() or "(none)"
        self.bytes += size
        self.files += 1
        self.folder_bytes[folder] += size
        self.folder_files[folder] += 1
        self.kind_bytes[suffix] += size
        self.kind_files[suffix] += 1

    def as_dict(self) -> dict:
        return {
            "bytes": self.bytes, "files": self.files,
            "folders": {k: {"bytes": self.folder_bytes[k], "files": self.folder_files[k]} for k in sorted(self.folder_bytes)},
            "kinds": {k: {"bytes": self.kind_bytes[k], "files": self.kind_files[k]} for k in sorted(self.kind_bytes)},
        }


def measure_site(folder: Path) -> SiteWeight:
    """The weight of every regular file under `folder` (symlinks are not followed: a host uploads files)."""
    weight = SiteWeight()
    for here, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(here) / name
            if path.is_file() and not path.is_symlink():
                weight.add(path.relative_to(folder).as_posix(), path.stat().st_size)
    return weight


def host_warnings(site_bytes: int, site_files: int, max_bytes: int, max_files: int) -> list[str]:
    """One line per host limit (publish.max_bytes, publish.max_files; 0 = no limit) the site passes."""
    lines = []
    if max_bytes and site_bytes > max_bytes:
        lines.append(f"site is {site_bytes / 1e6:,.1f} MB, over publish.max_bytes ({max_bytes / 1e6:,.1f} MB): a "
                     "host with that limit will refuse it; see benchmarks/site_weight.py for where the bytes go")
    if max_files and site_files > max_files:
        lines.append(f"site has {site_files:,} files, over publish.max_files ({max_files:,}): a host with that "
                     "limit will refuse the deploy")
    return lines

