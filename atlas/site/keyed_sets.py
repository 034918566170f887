"""Keyed sets of files: files made together from inputs with one cheap key, kept unmade when it did not change.

A page's render key (atlas.site.page_keys) saves rendering it; the whole-collection files and the per-work data
files were still made on every build that changed anything and compared with the published bytes: at 10,000
works the all-analogies gzip CSV alone took 19.7 s of a one-title rebuild, the IIIF manifests 4.0 s. Here a
producer names a set (`"downloads:analogies"`, `"iiif:<work id>"`), the digest of what it reads (arrays digested
whole, per-work values once), and a function that makes its files. The set's key is that digest joined with
PageKeys.base (every template, the rendering code and the whole config) and the producer's own code
(atlas.core.stage_cache.code_digest): when the key equals the last build's and every file of the set is still
the file published then (size and modification time, as for pages), the files are carried over unmade
(SiteWriter.keep); else the function runs and its files are written and compared as before.

What goes in `parts` is the producer's declaration of what it reads; a producer that reads something it does
not declare would keep a stale file, so tests/test_keyed_sets.py builds again after a title, an image, a
config and a template change and compares every kept file with a build from empty caches.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterable, Iterator
from types import ModuleType
from typing import Any

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable
from atlas.core.cache import key_digest
from atlas.core.stage_cache import code_digest, part_digest
from atlas.site.context import Output, SiteContext

_code: dict[str, str] = {}  # module name -> code digest, once per process


def module_code(module: ModuleType) -> str:
    """code_digest(module), computed once per process: a set key is made per work."""
    if module.__name__ not in _code:
        _code[module.__name__] = code_digest(module)
    return _code[module.__name__]


def set_key(ctx: SiteContext, module: ModuleType, *parts: Any) -> str:
    """The key of a set made by `module`'s code from `parts` (digests or small plain values); "" without page keys."""
    keys = ctx.page_keys
    return key_digest(keys.base, module_code(module), *parts) if keys is not None and keys.base else ""


def keyed(ctx: SiteContext, name: str, key: str, make: Callable[[], Iterable[Output]]) -> Iterator[Output]:
    """The files of set `name`: carried over when `key` is the last build's and all its files are intact,
    else made by `make` (each file then carries the key, so the next build can keep it)."""
    keys = ctx.page_keys
    if keys is None or not key:
        yield from make()
        return
    if will_keep(ctx, name, key):
        old = keys.old_sets[name]
        keys.new_sets[name] = old
        keys.sets_kept += len(old[1])
        keys.set_paths.update(path for path, _ in old[1])
        for path, url in old[1]:
            yield Output(path, url=url or None, key=key, kept=True)
        return
    made = []
    for out in make():
        made.append([out.path, out.url or ""])
        keys.set_paths.add(out.path)
        yield dataclasses.replace(out, key=key)
    keys.new_sets[name] = [key, made]


def will_keep(ctx: SiteContext, name: str, key: str) -> bool:
    """Whether `keyed` will carry set `name` over unmade: its key is the last build's and its files are intact."""
    keys = ctx.page_keys
    if keys is None or not key:
        return False
    old = keys.old_sets.get(name)
    return old is not None and old[0] == key and all(keys.unchanged(path, key) for path, _ in old[1])


def table_digest(analogies: Any) -> str:
    """A digest of the analogies: an AnalogyTable's arrays digested whole (fast at 10k works x 30 groups), any
    other mapping (tests' plain dicts) as canonical JSON."""
    if isinstance(analogies, AnalogyTable):
        return key_digest(analogies.ids, analogies.groups, part_digest(analogies.indices), part_digest(analogies.scores))
    return part_digest({k: analogies[k] for k in sorted(analogies)})


def record_digest(record: Any) -> str:
    """A digest of every field of one record (a dataclass), cheaper than dataclasses.asdict's deep copy: SHA-256
    of the fields' repr (plain values: str, int, None, a Path, a dict of str), a third of canonical JSON's cost."""
    fields = tuple(getattr(record, f.name) for f in dataclasses.fields(record))
    return hashlib.sha256(repr(fields).encode("utf-8", "surrogatepass")).hexdigest()


def work_digest(ctx: SiteContext, work_id: str) -> str:
    """record_digest of a published work, made once per work and process (the artwork page's fingerprint and the
    downloads' group tables read it); "" without page keys."""
    if ctx.page_keys is None:
        return ""
    digests = ctx.page_keys.memo.setdefault("records", {})
    if work_id not in digests:
        digests[work_id] = record_digest(ctx.by_id[work_id])
    return digests[work_id]


def analogy_row(ctx: SiteContext, work_id: str) -> list | None:
    """What a work's own analogies are, read off the arrays without building its lists: the table's ids and
    groups (digested once per build), and the work's row of neighbours, scores and, when the shares are
    arrays over the same table (atlas.analysis.pair_shares.PairShares), their shares. None when the analogies
    or the shares are not arrays (then the caller makes its file every time). Made once per work and process
    (the artwork page's fingerprint and the work's data file both read it)."""
    table = ctx.data.analogies
    if not isinstance(table, AnalogyTable) or ctx.page_keys is None:
        return None
    rows = ctx.page_keys.memo.setdefault("rows", {})
    if work_id not in rows:
        rows[work_id] = _analogy_row(ctx, table, work_id)
    return rows[work_id]


def _analogy_row(ctx: SiteContext, table: AnalogyTable, work_id: str) -> list | None:
    why = ctx.data.why
    arrays = getattr(why, "listed", None) is not None and getattr(why, "table", None) is table
    if not arrays and (not isinstance(why, dict) or why):
        return None  # shares of another kind: not keyed
    memo = ctx.page_keys.memo
    if "table" not in memo:
        memo["table"] = key_digest(table.ids, table.groups, list(getattr(why, "families", ())))
    if work_id not in table:
        return [memo["table"], None]
    row = table.row(work_id)
    h = hashlib.sha256(np.ascontiguousarray(table.indices[:, row]).data)
    h.update(np.ascontiguousarray(table.scores[:, row]).data)
    if arrays:
        h.update(np.ascontiguousarray(why.listed[:, row]).data)
    return [memo["table"], h.hexdigest()]
