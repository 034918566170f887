"""Reusing a whole-collection stage's result when only a few works changed since it was computed.

The probes, patterns, surprises, the map and the similarity scale are computed over the whole collection: at 10,000 works the
probes alone took 103 s after one image changed, and the map 33 s, for results that one work in 10,000 barely
moves. So a stage may be given a `Near` (atlas.core.stage_cache.StageCache.run): besides its result, the
stage file then keeps the *baseline*, each work's id and a digest of its own inputs (its vector row and its
per-work labels) at the last time the stage was computed whole. A later build whose other inputs (settings,
code, ...) are the same compares the works now with the baseline:

    drift = (works new or changed since the baseline + works removed since it) / works in the baseline

and, while drift <= REUSE_SHARE and not `atlas build --full`, adapts the stored result instead of computing
it again (Near.adapt: removed works dropped, new ones placed by their neighbours, see
atlas.analysis.reuse). The adapted result is not stored: the baseline stays, so the drift accumulates until
a full computation, and the same works always give the same adapted result. Past the threshold the stage is
computed whole and becomes the new baseline.

REUSE_SHARE is 5%, the share at which the neighbours stop being patched too (atlas.analysis.neighbour_stage):
a nightly museum update changes a few hundred of 10,000+ records (well under it), while a fifth of the
collection new would shift the classifiers, patterns and map enough that they should be learnt again.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

REUSE_SHARE = 0.05  # most share of the baseline's works that may be new, changed or removed for a reuse


@dataclass(frozen=True)
class Change:
    """How the works now differ from a stage's baseline."""

    kept: tuple[str, ...]  # in the baseline, with the same inputs now
    changed: tuple[str, ...]  # new since the baseline, or with other inputs (vector, labels) now
    removed: tuple[str, ...]  # in the baseline, gone now
    share: float  # (changed + removed) / works in the baseline

    def line(self, threshold: float) -> str:
        return (f"{len(self.changed):,} works new or changed and {len(self.removed):,} removed since it was "
                f"computed whole (drift {self.share:.4f} <= {threshold})")


@dataclass
class Near:
    """What StageCache.run needs to adapt a stored result instead of recomputing it (module docstring)."""

    ids: list[str]
    vectors: np.ndarray
    adapt: Callable[[Any, Change], Any]  # (stored result, as its kind; change) -> result for the works now
    varying: tuple[str, ...] = ("ids", "vectors", "conditions")  # parts that may differ from the baseline's
    per_work: dict[str, list] = field(default_factory=dict)  # per-work inputs besides the vector
    full: bool = False  # atlas build --full: never adapt
    threshold: float = REUSE_SHARE

    _rows: list[str] | None = field(default=None, repr=False, compare=False)  # rows(), made once

    def rows(self) -> list[str]:
        """A digest of each work's own inputs: its vector row and its entry in every per-work list."""
        if self._rows is None:
            vector_rows = row_digests(self.vectors)
            columns = [values for _, values in sorted(self.per_work.items())]
            self._rows = []
            for i, h in enumerate(vector_rows):
                h = h.copy()
                if columns:  # labels and years: plain values, so their repr says all (a third of json.dumps' cost)
                    h.update(repr([values[i] for values in columns]).encode("utf-8", "surrogatepass"))
                self._rows.append(h.hexdigest())
        return self._rows

    def baseline(self) -> dict:
        return {"ids": list(self.ids), "rows": self.rows()}


_last_rows: tuple[weakref.ref, tuple] | None = None  # (the vectors, their rows' hashes): the stages share one matrix


def row_digests(vectors: np.ndarray) -> tuple:
    """A BLAKE2b (8 bytes) of each vector row, not yet finished (copy and update it). The build's stages pass the
    same read-only matrix, so the hashes of the last read-only one asked about are kept while it lives (five
    stages hashed 10,000 rows each on every rebuild); a writable array may change in place and is hashed
    every time."""
    global _last_rows
    if _last_rows is not None and _last_rows[0]() is vectors and not vectors.flags.writeable:
        return _last_rows[1]
    found = tuple(hashlib.blake2b(np.ascontiguousarray(vectors[i]).tobytes(), digest_size=8) for i in range(len(vectors)))
    if not vectors.flags.writeable:
        _last_rows = (weakref.ref(vectors), found)
    return found


def compare(baseline: dict, ids: list[str], rows: list[str]) -> Change:
    """The Change from `baseline` ({"ids", "rows"}) to the works `ids` with their input digests `rows`."""
    before = dict(zip(baseline["ids"], baseline["rows"]))
    now = set(ids)
    kept = tuple(i for i, r in zip(ids, rows) if before.get(i) == r)
    changed = tuple(i for i, r in zip(ids, rows) if before.get(i) != r)
    removed = tuple(sorted(i for i in before if i not in now))
    return Change(kept, changed, removed, (len(changed) + len(removed)) / max(len(before), 1))
