"""'Why this match' shares as arrays beside the AnalogyTable, not a Python dict per listed pair.

match_parts.pair_shares gives {(a, b): {family: share}} for the pairs it is asked about; the build asked
about every listed pair, found by walking every work's nested analogy dict into a set of tuples (up to
G x N x k = 18 million at 100,000 works, 30 groups, k = 6): gigabytes of tuples, and built even when the
features have no parts to share. Here the shares of the listed pairs are one float32 array aligned with
the table, listed[g, i, j, f] = family f's share of work i and its j-th analogy in group g, computed from
the table's own index arrays a block of works at a time; the few pairs the table does not hold (pair
pages' curated pairs) are kept in small sorted arrays beside it. Values are rounded to
match_parts.DECIMALS before they are stored and again when read, so a pair reads exactly the float the
dict held (a float32 keeps four decimals of a share below 100 exactly enough to round back).

PairShares.get((a, b)) answers as the dict did ({family: share} or None), so the pages read it through
the same small function (atlas.site.similarity_views.why_view).
"""

from __future__ import annotations

import hashlib
import io
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.match_parts import DECIMALS
from atlas.core.cache import key_digest
from atlas.core.checked import read_checked, write_checked
from atlas.core.stage_cache import code_digest
from atlas.vectors.parts import Part

KIND = "why-this-match shares"

BLOCK_PAIRS = 8192  # pairs multiplied at once: the two gathered blocks are 2 x 8192 x d float64 (256 MB at d = 2,048)


@dataclass(eq=False)
class PairShares:
    """listed[g, i, j]: the shares of work i and table.indices[g, i, j] (NaN where there is no analogy);
    extra_keys (sorted row_a * N + row_b) and extra: the other pairs asked for."""

    table: AnalogyTable
    families: tuple[str, ...]
    listed: np.ndarray  # (G, N, k, F) float32
    extra_keys: np.ndarray  # (m,) int64, sorted
    extra: np.ndarray  # (m, F) float32
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rows = {work: row for row, work in enumerate(self.table.ids)}

    def get(self, pair: tuple[str, str], default: dict | None = None) -> dict[str, float] | None:
        """{family: share} of the ordered pair (a, b), or `default` when its shares were not computed."""
        a, b = (self._rows.get(w) for w in pair)
        if a is None or b is None or not self.families:
            return default
        where = np.argwhere(self.table.indices[:, a, :] == b)
        if len(where):
            return self._dict(self.listed[where[0][0], a, where[0][1]])
        position = int(np.searchsorted(self.extra_keys, a * len(self._rows) + b))
        if position < len(self.extra_keys) and self.extra_keys[position] == a * len(self._rows) + b:
            return self._dict(self.extra[position])
        return default

    def _dict(self, values: np.ndarray) -> dict[str, float]:
        return {f: round(float(v), DECIMALS) for f, v in zip(self.families, values.tolist())}

    def to_bytes(self, key: str = "") -> bytes:
        """An .npz of plain arrays (no pickles) and the cache key; the table is stored on its own."""
        buffer = io.BytesIO()
        np.savez(buffer, families=np.asarray(self.families, dtype=str), listed=self.listed,
                 extra_keys=self.extra_keys, extra=self.extra, key=np.asarray(key))
        return buffer.getvalue()

    @classmethod
    def from_npz(cls, table: AnalogyTable, arrays) -> PairShares:
        return cls(table, tuple(str(f) for f in arrays["families"]), np.asarray(arrays["listed"], np.float32),
                   np.asarray(arrays["extra_keys"], np.int64), np.asarray(arrays["extra"], np.float32))


def cached_shares(folder: Path, table: AnalogyTable, vectors: np.ndarray, parts: tuple[Part, ...],
                  extra_pairs: Iterable[tuple[str, str]] = ()) -> PairShares:
    """compute_shares, kept as one checked .npz beside the analogy table (folder/why.npz) and reused while
    the table, the vectors, the parts, the extra pairs and this code are the same."""
    extra = sorted(set(extra_pairs))
    if not parts:
        return compute_shares(table, vectors, parts, extra)
    key = key_digest(code_digest(sys.modules[__name__]), [(p.family, p.start, p.stop) for p in parts], extra,
                     _digest(table.indices), _digest(vectors), table.ids)
    path = folder / "why.npz"
    stored = _load(path, table, key)
    if stored is not None:
        return stored
    found = compute_shares(table, vectors, parts, extra)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checked(path, found.to_bytes(key))
    return found


def _digest(matrix: np.ndarray) -> str:
    """sha256 of a matrix's bytes, a block of rows at a time (it may be a memory map)."""
    found = hashlib.sha256(str((matrix.shape, matrix.dtype.str)).encode())
    for start in range(0, len(matrix), BLOCK_PAIRS):
        found.update(np.ascontiguousarray(matrix[start:start + BLOCK_PAIRS]).tobytes())
    return found.hexdigest()


def _load(path: Path, table: AnalogyTable, key: str) -> PairShares | None:
    data = read_checked(path, KIND)
    if data is None:
        return None
    try:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        return PairShares.from_npz(table, arrays) if str(arrays["key"]) == key else None
    except (ValueError, KeyError, OSError):
        return None


def compute_shares(table: AnalogyTable, vectors: np.ndarray, parts: tuple[Part, ...],
                   extra_pairs: Iterable[tuple[str, str]] = ()) -> PairShares:
    """The shares of every pair the table lists and of `extra_pairs` (those it does not list); empty arrays
    when the features have no parts (a network's vectors: nothing to split)."""
    families = tuple(dict.fromkeys(p.family for p in parts))
    g, n, k = table.indices.shape
    if not families:
        return PairShares(table, (), np.zeros((g, n, k, 0), np.float32), np.zeros(0, np.int64), np.zeros((0, 0), np.float32))
    listed = np.full((g, n, k, len(families)), np.nan, np.float32)
    left = np.repeat(np.arange(n, dtype=np.int64), k)
    for layer in range(g):
        right = table.indices[layer].reshape(-1).astype(np.int64)
        has = right >= 0
        shares = np.full((n * k, len(families)), np.nan, np.float32)
        shares[has] = block_shares(vectors, left[has], right[has], parts, families)
        listed[layer] = shares.reshape(n, k, len(families))
    keys, extra = _extra(table, vectors, parts, families, extra_pairs)
    return PairShares(table, families, listed, keys, extra)


def _extra(table, vectors, parts, families, pairs) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys and shares of the asked-for pairs the table does not list (both works published)."""
    row = {w: i for i, w in enumerate(table.ids)}
    chosen = sorted({row[a] * len(row) + row[b] for a, b in pairs if a in row and b in row
                     and not (table.indices[:, row[a], :] == row[b]).any()})
    keys = np.asarray(chosen, dtype=np.int64)
    return keys, block_shares(vectors, keys // max(len(row), 1), keys % max(len(row), 1), parts, families)


def block_shares(vectors: np.ndarray, left: np.ndarray, right: np.ndarray, parts: tuple[Part, ...],
                 families: tuple[str, ...]) -> np.ndarray:
    """(len(left), F) float32: each family's share of vectors[left[i]] . vectors[right[i]], rounded to
    DECIMALS, a block of pairs at a time (each part one multiply-and-sum, in float64 as before)."""
    out = np.zeros((len(left), len(families)), np.float32)
    column = {f: c for c, f in enumerate(families)}
    for start in range(0, len(left), BLOCK_PAIRS):
        a = np.asarray(vectors[left[start:start + BLOCK_PAIRS]], dtype=np.float64)
        b = np.asarray(vectors[right[start:start + BLOCK_PAIRS]], dtype=np.float64)
        sums = np.zeros((len(a), len(families)))
        for p in parts:
            sums[:, column[p.family]] += np.einsum("ij,ij->i", a[:, p.start:p.stop], b[:, p.start:p.stop])
        out[start:start + BLOCK_PAIRS] = np.round(sums, DECIMALS)
    return out
