"""JSON as the site and the caches write it: sorted keys, compact, UTF-8, one trailing newline.

One function so that every JSON file the build writes is byte-identical for the same data.
"""

from __future__ import annotations

import json


def json_bytes(data) -> bytes:
    """`data` as deterministic JSON bytes."""
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
