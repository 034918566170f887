"""Whole-stage caching with reasons: reuse a stage's result when nothing it depends on changed.

Each cached stage names its inputs as parts ({"vectors": array, "k": 6, ...}). Every part is reduced to a
digest; the result is stored as JSON together with those digests under cache/stages/<stage>.json. The
next build reuses the result only when every digest matches, and otherwise says which parts changed, so
`python -m atlas build --explain` can tell a maintainer why each stage ran. The file is written with its
checksum like every other cache artefact (atlas.core.checked); one that cannot be read or does not match
it is reported and recomputed, never trusted, and one without a checksum (an older cache) is simply
recomputed.

Results must be JSON-able (lists, dicts, str, int, float): JSON round-trips Python floats exactly, so a
reused result renders byte-identical pages.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from atlas.core.cache import key_digest
from atlas.core.checked import checksum_path, corrupt_log, read_checked, write_checked
from atlas.core.near_reuse import Near, compare
from atlas.core.typed import JsonData, StageDataError, plain, read

FORMAT = 2  # 2: the checksum moved from inside the JSON to atlas.core.checked's sidecar
KIND = "stage results"  # how the build report names these files when one is corrupt
PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding the atlas package


@dataclass
class Decision:
    """Whether a stage reused its cached result, and why, in words for the build summary."""

    stage: str
    reused: bool
    reason: str

    def line(self) -> str:
        return f"{self.stage}: {'reused' if self.reused else 'recomputed'} ({self.reason})"


def _same_but(stored: dict, digests: dict[str, str], near: Near) -> bool:
    """Whether every part but the works' own (near.varying) is the same as when the result was stored."""
    return set(stored) == set(digests) and all(stored[n] == d for n, d in digests.items() if n not in near.varying)


def part_digest(value: Any) -> str:
    """A digest of one input part: arrays by dtype, shape and bytes; anything else as canonical JSON (the
    digest key_digest(plain(value)) gives, with JsonData turned into JSON as the encoder meets it: a copy of
    10,000 works' guesses made first only to be encoded was 0.2 s of every rebuild)."""
    if isinstance(value, JsonData):
        value = value.to_json()
    if isinstance(value, np.ndarray):
        h = hashlib.sha256(f"{value.dtype.str}{value.shape}".encode())
        h.update(np.ascontiguousarray(value).data)
        return h.hexdigest()
    blob = json.dumps((value,), sort_keys=True, separators=(",", ":"), default=_encoded)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _encoded(value: Any) -> Any:
    """What key_digest's encoder writes for a value JSON has no form for: a JsonData's JSON, else its str."""
    return value.to_json() if isinstance(value, JsonData) else str(value)


def code_digest(*modules: ModuleType) -> str:
    """A digest of the code that computes a stage: the source of `modules`, of every atlas module they
    import (directly or not, late imports included), and the versions of the libraries any of them imports.

    New code or a library upgrade (a scikit-learn whose t-SNE differs) gives a new digest, so an old result
    is never reused under it."""
    sources, libraries = code_closure(tuple(m.__name__ for m in modules))
    parts = [f"{name}:{_file_digest(path, *_stamp(path))}" for name, path in sources]
    return key_digest(*parts, *[f"{dist}=={_version(dist)}" for dist in libraries])


@functools.lru_cache(maxsize=None)
def code_closure(names: tuple[str, ...]) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """((module name, source file) for the atlas modules `names` reach by imports, sorted; the
    distributions of the third-party packages they import, sorted)."""
    seen: dict[str, str] = {}
    libraries: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        source = _atlas_source(name)
        if source is None:
            continue
        seen[name] = str(source)
        for imported in _imports(source):
            top = imported.split(".")[0]
            if top == "atlas":
                todo.append(imported)
            elif top not in sys.stdlib_module_names:
                libraries.update(_distributions().get(top, [top]))
    return tuple(sorted(seen.items())), tuple(sorted(libraries))


def _stamp(path: str | Path) -> tuple[int, int]:
    """(size, modification time) of a source file: what the memos below are keyed on besides its path, so an
    edited file is read again (a build's stages asked for 17 digests, parsing the same modules 480 times)."""
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns


@functools.lru_cache(maxsize=None)
def _file_digest(path: str, size: int, mtime: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _imports(path: Path) -> set[str]:
    """Every module name the file imports, wherever the statement stands (`from a.b import c` gives a.b
    and a.b.c: c may be a module)."""
    return set(_parsed_imports(str(path), *_stamp(path)))


@functools.lru_cache(maxsize=None)
def _parsed_imports(path: str, size: int, mtime: int) -> frozenset[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module.startswith("atlas"))
    return frozenset(found)


def _atlas_source(name: str) -> Path | None:
    """The source file of atlas module `name`, or None when `name` is not a module (a class, a function)."""
    base = PACKAGE_ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class StageCache:
    """One JSON file per stage under `root`."""

    def __init__(self, root: Path):
        self.root = root
        self.decisions: list[Decision] = []
        self.corrupt: list[str] = []  # stage files found unreadable this build

    def run(self, stage: str, parts: dict[str, Any], compute: Callable[[], Any], kind: Any = None,
            near: Near | None = None) -> Any:
        """The cached result when all parts match, else compute() (and store it).

        With `kind` (a JsonData class, or a hint such as tuple[Pattern, ...]), compute() returns that; it is
        stored as its JSON form and read back through atlas.core.typed.read, so a result whose shape no
        longer matches the code fails here, not in a template. With `near`, a result computed for nearly the
        same works is adapted instead of computed again (atlas.core.near_reuse)."""
        digests = {name: part_digest(value) for name, value in parts.items()}
        path = self.root / f"{stage}.json"
        stored = self._load(stage, path)
        if stored is not None and stored.get("parts") == digests:
            try:
                result = read(kind, stored["result"]) if kind else stored["result"]
            except StageDataError:  # written by other code: its shape no longer fits
                stored = self._damaged(path)
            else:
                self.decisions.append(Decision(stage, True, "none of its inputs changed"))
                return result
        why = self._why(stored, digests, stage)
        if near is not None and stored is not None and not stored.get("corrupt"):
            adapted = self._adapt(stage, stored, digests, kind, near)
            if adapted is not None:
                return adapted[0]
            why += "; " + self._not_adapted(stored, digests, near)
        self.decisions.append(Decision(stage, False, why))
        result = plain(compute())
        envelope = {"format": FORMAT, "parts": digests, "result": result}
        if near is not None:
            envelope["baseline"] = near.baseline()
        body = json.dumps(envelope, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")
        write_checked(path, body)
        loaded = json.loads(body)["result"]  # exactly what a later build will read back
        return read(kind, loaded) if kind else loaded

    def _adapt(self, stage: str, stored: dict, digests: dict[str, str], kind: Any, near: Near) -> tuple[Any] | None:
        """(the stored result adapted to the works now,) when only the works' own inputs changed, and few
        of them (atlas.core.near_reuse); None when it must be computed again."""
        if near.full or not isinstance(stored.get("baseline"), dict) or not _same_but(stored["parts"], digests, near):
            return None
        change = compare(stored["baseline"], near.ids, near.rows())
        if change.share > near.threshold:
            return None
        try:
            result = read(kind, stored["result"]) if kind else stored["result"]
        except StageDataError:
            return None
        self.decisions.append(Decision(stage, True, "adapted: " + change.line(near.threshold)))
        return (near.adapt(result, change),)

    @staticmethod
    def _not_adapted(stored: dict, digests: dict[str, str], near: Near) -> str:
        if near.full:
            return "--full"
        if not isinstance(stored.get("baseline"), dict) or not _same_but(stored["parts"], digests, near):
            return "not adaptable: more than the works changed"
        share = compare(stored["baseline"], near.ids, near.rows()).share
        return f"drift {share:.4f} > {near.threshold}: computed whole"

    def note(self, stage: str, reused: bool, reason: str) -> None:
        """Record the decision of a stage that caches itself (embedding, thumbnails) or always runs."""
        self.decisions.append(Decision(stage, reused, reason))

    def _load(self, stage: str, path: Path) -> dict | None:
        """The stored envelope; None when there is none (or it has no checksum, or another format); a
        {"corrupt": True} marker when it does not match its checksum or cannot be parsed."""
        data = read_checked(path, KIND)
        if data is None:  # missing, or without its checksum (quietly remade), or not matching it (logged)
            damaged = path.exists() and checksum_path(path).exists()
            return self._damaged(path, logged=True) if damaged else None
        try:
            stored = json.loads(data)
            if stored.get("format") != FORMAT:
                return None
            if not isinstance(stored["parts"], dict) or "result" not in stored:
                raise ValueError("incomplete stage file")
            return stored
        except (ValueError, KeyError, TypeError, AttributeError):
            return self._damaged(path)

    def _damaged(self, path: Path, logged: bool = False) -> dict:
        """Note a stage file that cannot be used (here and in the build's CorruptLog); the marker _why reads."""
        self.corrupt.append(str(path))
        if not logged:
            corrupt_log().add(KIND, path)
        return {"corrupt": True}

    @staticmethod
    def _why(stored: dict | None, digests: dict[str, str], stage: str) -> str:
        if stored is None:
            return "no cached result yet"
        if stored.get("corrupt"):
            return f"its cache file was unreadable or corrupt ({stage}.json), so it was not trusted"
        changed = sorted(name for name in digests if stored["parts"].get(name) != digests[name])
        changed += sorted(name for name in stored["parts"] if name not in digests)
        return "changed: " + ", ".join(changed)

