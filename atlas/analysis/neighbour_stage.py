"""The neighbours stage with its own cache: reused whole, patched where few works changed, or searched whole.

The stage keeps its last result under the cache's stage folder as one checked .npz (no pickles): the
analogy arrays (atlas.analysis.analogy_table), each work's id, a digest of its vector row and its labels,
how each group was searched, and a digest of the settings and code. The next build

* reuses it when the works, vectors, labels, settings and code are all the same;
* patches it (atlas.analysis.incremental) when settings and code are the same, every group is searched
  exactly, and at most PATCH_SHARE of the works changed (each changed work costs ~2k + 1 searches
  again; past that share the patch stops paying);
* else, or with `atlas build --full`, searches the whole collection again.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlas.analysis import incremental, neighbours
from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.incremental import Previous, patch_neighbours
from atlas.analysis.neighbours import SearchSummary, choose_method, conditional_neighbours, group_members, search_summary
from atlas.core import near_reuse
from atlas.core.cache import key_digest
from atlas.core.checked import read_checked, write_checked
from atlas.core.stage_cache import code_digest
from atlas.core.typed import StageDataError

PATCH_SHARE = 0.05  # most share of the works that may change for the stage to be patched rather than redone
KIND = "neighbour results"  # how the build report names the file when it is corrupt
NO_LABEL = "\x00"  # a work in no group of a condition, in the stored label arrays


@dataclass
class Found:
    """The stage's output and what it did."""

    analogies: AnalogyTable
    searches: tuple[SearchSummary, ...]
    reused: bool
    reason: str


def row_digests(vectors: np.ndarray) -> np.ndarray:
    """An 8-byte BLAKE2b digest of every vector row, as uint64 (a changed vector changes its row's digest)."""
    hashed = near_reuse.row_digests(vectors)  # the same hashes the other stages' Near make, made once a build
    return np.fromiter((int.from_bytes(h.digest(), "little") for h in hashed), dtype=np.uint64, count=len(hashed))


def compare(old: dict, ids: list[str], digests: np.ndarray, conditions: dict[str, list[str | None]]) -> Previous:
    """How the stored search (`old`: ids, digests, labels per field, results) maps onto the works now."""
    where = {work: row for row, work in enumerate(old["ids"])}
    old_row = np.array([where.get(work, -1) for work in ids], dtype=np.int64)
    known = old_row >= 0
    changed = ~known
    changed[known] |= old["digests"][old_row[known]] != digests[known]
    for fld, labels in conditions.items():
        now = np.array([NO_LABEL if v is None else v for v in labels], dtype=str)
        before = old["labels"].get(fld)
        if before is None:
            changed[:] = True
        else:
            changed[known] |= before[old_row[known]] != now[known]
    stale = np.ones(len(old["ids"]), bool)
    stale[old_row[known & ~changed]] = False
    results = {key: (old["table"].indices[g], old["table"].scores[g]) for g, key in enumerate(old["table"].groups)}
    return Previous(old_row, changed, stale, results)


def find_neighbours(folder: Path, ids: list[str], vectors: np.ndarray, conditions: dict, ncfg, device: str,
                    full: bool = False, exact=None) -> Found:
    """The neighbours of every work (see the module docstring for when the stored result is reused or patched).

    `exact` replaces the whole exact search (atlas.engines: a Ray cluster's split of it); it gives the same
    arrays, so a stored result stays valid across engines."""
    settings = key_digest(json.dumps(vars(ncfg), sort_keys=True), device,
                          code_digest(neighbours, incremental, sys.modules[__name__]))
    digests = row_digests(vectors)
    path = folder / "neighbours.npz"
    old = load(path)
    previous = compare(old, ids, digests, conditions) if old and old["settings"] == settings else None
    if previous is not None and not previous.changed.any() and not previous.stale.any() and not full:
        return Found(old["table"], old["searches"], True, "none of its inputs changed")
    found = _search(ids, vectors, conditions, ncfg, device, previous if not full else None, exact)
    why = ("--full" if full else "no cached result yet" if old is None
           else "changed: settings or code" if previous is None else "changed: vectors or labels")
    found.reason = f"{why}; {found.reason}"
    save(path, found, ids, digests, conditions, settings)
    return found


def _search(ids, vectors, conditions, ncfg, device, previous: Previous | None, exact_search=None) -> Found:
    n = len(ids)
    changed = int(previous.changed.sum()) + int(previous.stale.sum()) if previous is not None else n
    exact = all(choose_method(ncfg.method, len(m), ncfg.ann_min_group, device, n, vectors.shape[1]) == "exact"
                for labels in conditions.values() for m in group_members(labels).values())
    if previous is not None and exact and changed <= PATCH_SHARE * n:
        results, again = patch_neighbours(vectors, conditions, ncfg.k, previous, ncfg.block_size, device)
        return Found(AnalogyTable.from_results(ids, results), search_summary(results), False,
                     f"patched: {int(previous.changed.sum()):,} works new or changed, {int(previous.stale.sum()):,} "
                     f"old rows out of date, {again:,} group searches run again")
    results = conditional_neighbours(vectors, conditions, ncfg.k, ncfg.method, ncfg.ann_min_group, ncfg.block_size, device,
                                     exact=exact_search)
    why = "searched whole" + ("" if previous is None else f" ({changed:,} works changed)" if exact
                               else " (approximate groups cannot be patched)")
    return Found(AnalogyTable.from_results(ids, results), search_summary(results), False, why)


def save(path: Path, found: Found, ids: list[str], digests: np.ndarray, conditions: dict, settings: str) -> None:
    buffer = io.BytesIO()
    table = found.analogies
    labels = {f"label_{fld}": np.array([NO_LABEL if v is None else v for v in values], dtype=str)
              for fld, values in conditions.items()}
    meta = json.dumps({"settings": settings, "fields": list(conditions),
                       "searches": [s.to_json() for s in found.searches]}, sort_keys=True)
    np.savez(buffer, ids=np.asarray(ids, dtype=str), keys=np.asarray(table.groups, dtype=str).reshape(-1, 2),
             indices=table.indices, scores=table.scores, digests=digests, meta=np.asarray(meta), **labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_checked(path, buffer.getvalue())


def load(path: Path) -> dict | None:
    """The stored search, or None when there is none or it cannot be read (then the stage searches whole)."""
    data = read_checked(path, KIND)
    if data is None:
        return None
    try:
        arrays = np.load(io.BytesIO(data), allow_pickle=False)
        meta = json.loads(str(arrays["meta"]))
        return {"settings": meta["settings"], "ids": [str(i) for i in arrays["ids"]], "digests": arrays["digests"],
                "labels": {fld: arrays[f"label_{fld}"] for fld in meta["fields"]},
                "searches": tuple(SearchSummary.from_json(s) for s in meta["searches"]),
                "table": AnalogyTable.from_npz(arrays)}
    except (ValueError, KeyError, OSError, StageDataError):
        return None
