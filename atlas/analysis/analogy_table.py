"""Every work's analogies as two arrays, not millions of Python tuples.

The neighbour search gives, for each group (a culture, a medium), an (N, k) matrix of neighbour rows and
one of similarities. Turned into {work: {field: {group: [(id, score), ...]}}} dicts these took 2.1 GB at
100,000 works (benchmarks/README.md, analogies_memory); stacked as int32 and float32 arrays they take
G x N x k x 8 bytes (144 MB at 100k works, 30 groups, k = 6), are cached as .npy files, and are shared
by forked rendering workers page for page: a numpy buffer is never touched by reference counting, so fork's
copy-on-write leaves it shared, where every tuple a worker reads gets its page copied.

AnalogyTable is a read-only Mapping from work id to the same nested dict the pages always read, built on
demand for one work, so the stages after the search (quality, pairings, pages) are unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

DECIMALS = 4  # similarities shown rounded: stable output


def rounded(scores: np.ndarray) -> np.ndarray:
    """round(float(s), DECIMALS) of every score, as Python rounds (the decimal nearest the exact value, ties to
    even, then the double nearest that decimal), in a few array operations: Python's round was 9.5 s of a
    2,000-work rebuild (11 million calls). rint(x * 10^4) is that decimal wherever the product's rounding
    error (under 1e-12 here) cannot cross a half, and q / 10^4 is then the nearest double to it (IEEE division
    is correctly rounded); the rare scores within 1e-6 of a half are rounded by Python itself."""
    x = scores.astype(np.float64)
    scaled = x * 10.0**DECIMALS
    out = np.rint(scaled) / 10.0**DECIMALS
    near = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for at in zip(*np.nonzero(near)):
        out[at] = round(float(x[at]), DECIMALS)
    return out


@dataclass(eq=False)
class AnalogyTable(Mapping):
    """indices[g, i, j]: the row (in `ids`) of work i's j-th closest work in group groups[g] (-1: none);
    scores[g, i, j] its similarity (float32, NaN where there is none)."""

    ids: list[str]
    groups: list[tuple[str, str]]  # (field, group) of each layer, in search order
    indices: np.ndarray  # (G, N, k) int32
    scores: np.ndarray  # (G, N, k) float32
    _rows: dict[str, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._rows = {work: row for row, work in enumerate(self.ids)}

    @classmethod
    def from_results(cls, ids: list[str], results: list) -> AnalogyTable:
        """From atlas.analysis.neighbours.GroupNeighbours results (one per group)."""
        if not results:
            return cls(list(ids), [], np.zeros((0, len(ids), 0), np.int32), np.zeros((0, len(ids), 0), np.float32))
        return cls(list(ids), [(r.field, r.group) for r in results],
                   np.stack([r.indices for r in results]).astype(np.int32),
                   np.stack([r.scores for r in results]).astype(np.float32))

    def __getitem__(self, work: str) -> dict[str, dict[str, list[tuple[str, float]]]]:
        row = self._rows[work]
        out: dict[str, dict[str, list[tuple[str, float]]]] = {}
        ids = self.ids
        rows, scores = self.indices[:, row].tolist(), rounded(self.scores[:, row]).tolist()
        for (fld, group), js, ss in zip(self.groups, rows, scores):
            pairs = [(ids[j], s) for j, s in zip(js, ss) if j >= 0]
            if pairs:
                out.setdefault(fld, {})[group] = pairs
        return out

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, work: object) -> bool:
        return work in self._rows

    def row(self, work: str) -> int:
        """The work's row in the arrays."""
        return self._rows[work]

    def to_bytes(self) -> bytes:
        """An .npz of plain arrays (no pickles): ids, keys, indices, scores."""
        buffer = io.BytesIO()
        np.savez(buffer, ids=np.asarray(self.ids, dtype=str), keys=np.asarray(self.groups, dtype=str).reshape(-1, 2),
                 indices=self.indices, scores=self.scores)
        return buffer.getvalue()

    @classmethod
    def from_npz(cls, arrays) -> AnalogyTable:
        return cls([str(i) for i in arrays["ids"]], [(str(f), str(g)) for f, g in arrays["keys"]],
                   np.asarray(arrays["indices"], np.int32), np.asarray(arrays["scores"], np.float32))


def first_analogies(analogies: Mapping, ids: Sequence[str], fld: str | None = None) -> dict[str, list[tuple[str, str, str, float]]]:
    """Each of the works `ids`'s closest analogy in every group (of field `fld`, or of every field) it has one in:
    {work: [(field, group, other, score), ...]}, for the passes over the whole collection (the home page's
    featured pairs, the URL ledger). From an AnalogyTable they are read off the first column of its arrays:
    building every work's nested analogies for them was seconds at 100k works (issue 20)."""
    if not isinstance(analogies, AnalogyTable):
        return {work: [(f, g, pairs[0][0], pairs[0][1]) for f, groups in analogies.get(work, {}).items()
                       if fld is None or f == fld for g, pairs in groups.items() if pairs] for work in ids}
    layers = [g for g, (f, _) in enumerate(analogies.groups) if fld is None or f == fld]
    present = [work for work in ids if work in analogies]
    rows = np.asarray([analogies.row(work) for work in present], np.intp)
    chosen = np.asarray(layers, np.intp)
    found, scores = [], []
    if len(rows) and len(chosen):
        at, picked = analogies.indices[chosen[:, None], rows[None, :], 0], analogies.scores[chosen[:, None], rows[None, :], 0]
        for column in range(1, analogies.indices.shape[2]):  # a list is -1 only after its last analogy, but be exact
            layer, work = np.nonzero(at < 0)
            if not len(layer):
                break
            at[layer, work] = analogies.indices[chosen[layer], rows[work], column]
            picked[layer, work] = analogies.scores[chosen[layer], rows[work], column]
        found, scores = at.T.tolist(), rounded(picked).T.tolist()
    keys, names = [analogies.groups[g] for g in layers], analogies.ids
    out: dict[str, list[tuple[str, str, str, float]]] = {work: [] for work in ids}
    for work, js, ss in zip(present, found, scores):
        out[work] = [(f, g, names[j], s) for (f, g), j, s in zip(keys, js, ss) if j >= 0]
    return out
