"""Stop a build early when nothing it reads has changed and the published site is as the last build left it.

A no-change rebuild of a 10,000-work site still read every stage result, keyed every page and compared or
linked every file (156 s of a 945 s full build). When the inputs are the very same, the build's output is
the very same too (builds are deterministic: same inputs, byte-identical pages and JSON), so the published
site already is what the build would make, provided nobody touched it since.

What the digest of the inputs (`input_digest`) covers, taken once the images are hashed and embedded:

* the code: every file of the atlas package (modules, templates, assets) and the versions of the libraries
  its modules import (atlas.core.stage_cache.code_closure);
* the whole config, site.yaml's folder, and the bytes of every file it names besides the collection:
  pairings.file, patterns.file, id_renames, theme.css and every file under theme.templates;
* every record read (all its fields, so the table's content, labels and remote manifests as parsed) and
  every problem found reading them (a broken row changed into another broken row changes the report);
* every image's content digest (atlas.vectors.embed.hash_images), the model's identity (the weights), the
  device, the record of fine-tuned weights beside them, and the vectors themselves (an embedding cache
  whose vectors were replaced changes them).

The only input a build takes from the published site is its URL ledger (atlas.site.ledger), and that is in
the published tree. "Intact" means the tree holds exactly the files the last build published, each with
the size, modification time and inode it had then (kept files are hard links, so a rebuild keeps them): a
file edited, replaced, removed or added since fails the check and the build runs as usual.

A build is a fixed point of its own output: built again from the same inputs with its own ledger it writes
no file (tests/test_unchanged_build.py checks it), so the state stored after a build that changed files is
already the state a skipped build stands for. The record (`last-build.json`, checked, in the site's stage
folder) is removed before a publish starts and written only after it succeeded, so a build that dies in
between never leaves a record that describes another tree. `atlas build --full` never stops early.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from atlas.core.cache import key_digest
from atlas.core.checked import read_checked, write_checked
from atlas.core.config import SiteConfig
from atlas.core.records import Problem
from atlas.core.stage_cache import code_closure
from atlas.site.background import Background
from atlas.site.page_keys import MANIFEST

FORMAT = 2  # bump on purpose when what the digest covers changes (2: records by their repr)
KIND = "last build record"  # how the build report names the record when it is corrupt
RECORD = "last-build.json"
PACKAGE = Path(__file__).resolve().parent.parent  # the atlas package: its code, templates and assets
SKIPPED_FILES = ("__pycache__",)
# Left out of the cache's state: files every build rewrites, and the page keys' manifest, written after the cache's
# state is taken (a damaged one only makes the next build that runs render every page; a skipped build reads none).
REWRITTEN = (RECORD, f"{RECORD}.sha256", "file-digests.json", "file-digests.json.sha256", ".lock",
             MANIFEST, f"{MANIFEST}.sha256")


def code_state() -> str:
    """A digest of every file of the atlas package and of the versions of the libraries its modules import."""
    files = sorted(p for p in PACKAGE.rglob("*") if p.is_file() and not set(p.parts) & set(SKIPPED_FILES))
    parts = [f"{p.relative_to(PACKAGE).as_posix()}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in files]
    _, libraries = code_closure(("atlas.build",))
    return key_digest(*parts, *[f"{dist}=={_version(dist)}" for dist in libraries])


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def named_files(config: SiteConfig) -> list[tuple[str, str]]:
    """(path, digest of its bytes, or "absent") of every file the config names besides the collection."""
    paths = [config.pairings.file, config.patterns.file, config.id_renames, *config.theme.css]
    found = [config.resolve(p) for p in paths if p]
    if config.theme.templates:
        folder = config.resolve(config.theme.templates)
        found += sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else [folder]
    return [(str(p), _file_digest(p)) for p in found]


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"absent: {exc.strerror}"


def input_digest(config: SiteConfig, records: list, problems: list[Problem], image_digests: dict[str, str],
                 embedded: Any, tuning: Any) -> str:
    """The digest of everything a build reads (see the module docstring); `embedded` is the embed stage's
    result (ids, vectors, model, device, and the fallback's parts and monochrome flags)."""
    vectors = embedded.vectors
    h = hashlib.sha256(f"{vectors.dtype.str}{vectors.shape}".encode())
    h.update(np.ascontiguousarray(vectors).data)
    return key_digest(FORMAT, code_state(), str(config.root), dataclasses.asdict(config), named_files(config),
                      records_digest(records), [p.as_dict() for p in problems],
                      sorted(image_digests.items()), list(embedded.ids), h.hexdigest(), embedded.model.as_dict(),
                      embedded.device, embedded.parts, sorted(embedded.monochrome.items()), tuning)


def records_digest(records: list) -> str:
    """A digest of every record, field by field, from the dataclass's own repr: a Record is flat (strings,
    numbers, a Path, a dict of strings in the config's column order), so its repr says all it holds, and is
    a twentieth of dataclasses.asdict's deep copy (0.5 s for 10,000 records, on every build)."""
    h = hashlib.sha256()
    for record in records:
        h.update(repr(record).encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    return h.hexdigest()


def published_state(site: Path) -> dict[str, list[int]]:
    """{relative path: [size, mtime_ns, inode]} of every file under the published folder (links followed for the
    folder itself only: a symlinked output is read where it points)."""
    return tree_state(Path(os.path.realpath(site)))


def cache_state(cache: Path) -> str:
    """A digest of every file in the cache by path, size, modification time and inode, but those every build
    rewrites (REWRITTEN). A cache file damaged, removed or replaced since the last build is then not skipped
    over: the build runs, reads it, reports it and makes it again, as it would have."""
    state = tree_state(cache) if cache.is_dir() else {}
    h = hashlib.sha256()  # one line per file (a JSON dump of 80,000 entries took 0.3 s of every build)
    for path in sorted(state):
        if path.rpartition("/")[2] not in REWRITTEN:
            size, mtime, inode = state[path]
            h.update(f"{path}\0{size}\0{mtime}\0{inode}\n".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def cache_state_later(cache: Path) -> Background:
    """cache_state() taken in a forked child (atlas.site.background) while the build publishes and records its
    keys: the 80,000 files of a 10,000-work cache took 0.3 s of every rebuild to list. Start it once the build
    writes nothing more to the cache but the files REWRITTEN leaves out."""
    return Background(lambda: cache_state(cache), "the cache's state")


def tree_state(root: Path) -> dict[str, list[int]]:
    """{relative path: [size, mtime_ns, inode]} of every file under `root`."""
    state: dict[str, list[int]] = {}
    _scan(str(root), "", state)
    return state


def _scan(folder: str, prefix: str, state: dict[str, list[int]]) -> None:
    """Every file under `folder` into `state` by its path after `prefix`: one scandir per folder and one lstat per
    file, without os.walk's and os.path.relpath's Python work per file (183,000 files at 10k works: the site
    and the cache, twice per build)."""
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                _scan(entry.path, f"{prefix}{entry.name}/", state)
            else:
                st = entry.stat(follow_symlinks=False)
                state[prefix + entry.name] = [st.st_size, st.st_mtime_ns, st.st_ino]


class LastBuild:
    """The record of the last published build: its inputs' digest, its published files and its report."""

    def __init__(self, folder: Path, cache: Path):
        self.path = folder / RECORD
        self.cache = cache

    def unchanged(self, inputs: str, site: Path) -> dict | None:
        """The stored record ("report": counts, notes, problems; "files": the published files) when `inputs` and
        the published `site` are exactly as the last build left them; else None."""
        data = read_checked(self.path, KIND)
        if data is None or not site.is_dir():
            return None
        try:
            stored = json.loads(data)
        except ValueError:
            return None
        if not isinstance(stored, dict) or stored.get("format") != FORMAT or stored.get("inputs") != inputs:
            return None
        if stored.get("cache") != cache_state(self.cache) or stored.get("files") != published_state(site):
            return None
        return stored

    def forget(self) -> None:
        """Before a publish: the record would no longer describe the published tree."""
        self.path.unlink(missing_ok=True)

    def save_or_forget(self, inputs: str, site: Path, report: dict, files: set[str] | None = None,
                       cache: Background | None = None) -> None:
        """save(), called once the site is published: a record that cannot be written (disk full) only means
        the next build runs whole, so it is left out rather than failing a build whose site is out. `cache`:
        cache_state_later(), started when the build last wrote to the cache."""
        try:
            self.save(inputs, site, report, files, cache)
        except OSError:
            self.path.unlink(missing_ok=True)

    def save(self, inputs: str, site: Path, report: dict, files: set[str] | None = None,
             cache: Background | None = None) -> None:
        """After a publish: what was built from what, the cache it left, and the report a skipped build repeats
        (the record is written last: the cache's state is read before it). `files`: the files the build published
        (SiteWriter.written), when known: they are looked at one by one instead of listing every folder."""
        state = _state_of(site, files)
        body = {"format": FORMAT, "inputs": inputs, "files": state, "report": report,
                "cache": cache.result() if cache is not None else cache_state(self.cache)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_checked(self.path, json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def _state_of(site: Path, files: set[str] | None) -> dict[str, list[int]]:
    """published_state(site), from the list of its files when given: an lstat each, a third of listing the
    10,000-work site's 21,000 folders. A file missing from the list (none is: the writer removed all else
    before the swap, and the output's lock is held) would only make the next build's check fail and the build
    run; a listed file that is gone falls back to listing the folders."""
    if files is None:
        return published_state(site)
    base = os.path.realpath(site) + os.sep
    state = {}
    try:
        for path in sorted(files):
            st = os.lstat(base + path)
            state[path] = [st.st_size, st.st_mtime_ns, st.st_ino]
    except FileNotFoundError:
        return published_state(site)
    return state


def restore(report, record: dict) -> None:
    """Fill a skipped build's report from the last build's (`record`, from LastBuild.unchanged): the same
    problems and counts (the same inputs give the same ones, so `--strict` fails alike), nothing written or
    removed, and a note saying why nothing ran."""
    stored, files = record["report"], len(record["files"])
    report.problems = [Problem(**p) for p in stored.get("problems", [])]
    counts = dict(stored.get("counts", {}))
    counts.update({k: v for k, v in report.counts.items()})  # this build's own: images embedded now, reused
    pages = counts.get("pages_kept", 0) + counts.get("pages_rendered_keyed", 0)
    counts.update(files_written=0, files_unchanged=files, files_removed=0, pages_kept=pages, pages_rendered_keyed=0)
    report.counts = counts
    report.notes.append(SKIP_NOTE)  # this build's own notes (the stages that ran); the last build's said what it made


SKIP_NOTE = ("stopped early: the code, config, collection, images, vectors and named files are those of the last "
             "build, and the published site is exactly as it left it; nothing was rendered or written "
             "(`atlas build --full` builds everything again)")
