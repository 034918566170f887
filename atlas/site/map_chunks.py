"""The map's points as binary chunks of typed arrays, so a browser can hold and draw a million of them.

Why: a JSON array of a million numbers is tens of megabytes of text the browser must parse before it can
draw anything; typed arrays are read straight from the response's ArrayBuffer, and fixed chunks let the map
draw the first chunk while the rest are still arriving (progressive loading).

Each chunk `data/map/points-K-<hash>.bin` holds `count` consecutive points (the map's Z-order), as five
little-endian arrays one after the other, each starting at a multiple of its own item size:

| array | type | bytes | meaning |
|---|---|---|---|
| x | float32 | 4 count | position across, 0..1 |
| y | float32 | 4 count | position down, 0..1 |
| cluster | int32 | 4 count | cluster id, -1 for none |
| culture | int16 | 2 count | index into `cultures`, -1 for none |
| medium | int16 | 2 count | index into `media`, -1 for none |

so 16 bytes a point. The JSON index (`points.json`, see atlas.site.map_data) lists the chunks in order with
their URL and count, and the layout above as `layout` (name, type, byte offset per point) so a reader
needs no other documentation. Names carry their content hash: a browser may cache them forever.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHUNK = 65_536  # points a chunk: 1 MiB, small enough to arrive early, few enough files for a million
LAYOUT = (("x", "<f4"), ("y", "<f4"), ("cluster", "<i4"), ("culture", "<i2"), ("medium", "<i2"))
JS_TYPES = {"<f4": "Float32", "<i4": "Int32", "<i2": "Int16"}  # what map.js builds each array as


@dataclass(frozen=True)
class Chunk:
    """One encoded chunk: its bytes, its site file name and how many points it holds."""

    data: bytes
    name: str
    count: int


def columns(x: Sequence[float], y: Sequence[float], cluster: Sequence[int], culture: Sequence[int],
            medium: Sequence[int]) -> dict[str, np.ndarray]:
    """The five point columns as arrays of their chunk types (checked to be the same length)."""
    values = {"x": x, "y": y, "cluster": cluster, "culture": culture, "medium": medium}
    out = {name: np.asarray(values[name], dtype=dtype) for name, dtype in LAYOUT}
    lengths = {len(a) for a in out.values()}
    if len(lengths) > 1:
        raise ValueError(f"point columns differ in length: {sorted(lengths)}")
    return out


def encode_chunk(cols: dict[str, np.ndarray], start: int, stop: int) -> bytes:
    """Points start..stop-1 as the five arrays one after the other (the layout in the module docstring)."""
    return b"".join(np.ascontiguousarray(cols[name][start:stop], dtype=dtype).tobytes() for name, dtype in LAYOUT)


def decode_chunk(data: bytes, count: int) -> dict[str, np.ndarray]:
    """The five arrays of one chunk: the inverse of `encode_chunk` (for tests and other readers)."""
    out, offset = {}, 0
    for name, dtype in LAYOUT:
        size = np.dtype(dtype).itemsize * count
        out[name] = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        offset += size
    if offset != len(data):
        raise ValueError(f"a chunk of {count} points has {len(data)} bytes, not {offset}")
    return out


def build_chunks(cols: dict[str, np.ndarray], chunk: int = CHUNK) -> list[Chunk]:
    """The points in chunks of `chunk` (the last one shorter), named by number and content hash."""
    if chunk <= 0:
        raise ValueError(f"chunk size {chunk} must be positive")
    total = len(cols["x"])
    chunks = []
    for k, start in enumerate(range(0, total, chunk)):
        stop = min(total, start + chunk)
        data = encode_chunk(cols, start, stop)
        chunks.append(Chunk(data, f"points-{k}-{hashlib.sha256(data).hexdigest()[:12]}.bin", stop - start))
    return chunks


def chunk_index(chunks: Sequence[Chunk], base: str, chunk: int = CHUNK) -> dict:
    """The JSON part that tells the map where the chunks are and how to read them."""
    offsets, at = [], 0
    for name, dtype in LAYOUT:
        offsets.append({"name": name, "type": JS_TYPES[dtype], "bytes": np.dtype(dtype).itemsize})
        at += np.dtype(dtype).itemsize
    return {
        "chunk": chunk,
        "layout": offsets,
        "bytes_per_point": at,
        "chunks": [{"url": base + c.name, "count": c.count} for c in chunks],
    }
