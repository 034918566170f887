"""Page-level render keys: a page whose inputs did not change is not rendered again.

A no-change rebuild of a 10,000-work site used to render every artwork page only to find its bytes equal to
the published file (44 s of 60 s). Now a page that opts in (`SiteContext.page(..., reads=...)`) gets a key
before it is rendered: a digest of exactly what its template can read, in two parts.

* The shared part, one per template, made once per build: the source of every template the environment can
  load (the package's and the site's own), the code that renders pages (atlas.site.render and every atlas
  module it imports, and the library versions they import, as in atlas.core.stage_cache.code_digest), the
  whole config, and what the template, or a template it includes, imports or extends, reads of every
  global it names (found on Jinja's own parse tree: the attributes read where a global is only read as
  `name.attr`, else its whole value), callables aside. A callable global is either pure code (url of a
  fixed page, asset, anchor) or per-page data declared in `reads`. Parts of a global that are per work
  (PER_PAGE: `insights.works`) are left out of the shared part: the page declares the entry it reads.
* The page's own part: the template's context (its work's view, every analogy's view with its title and
  thumbnail URL, cluster, IIIF view, ...) and `reads`, what the page reads through per-page globals
  (its `insights.works` entry, `curated_for(id)`, `pair_url(id, other)` for every analogy shown) and
  through the data-dependent `similarity` filter (its text for every score shown: the similarity scale
  behind it moves with every changed vector, the texts rarely).
  tests/test_page_keys.py renders pages with those globals recording what is read and fails on anything a
  template reads that `reads` does not declare, so a template edit that reads more is caught there.

The manifest (`pages.json`, checked, under the site's stage folder in the cache) maps each page's file to
[key, size, mtime_ns, sha256] of the published file (an artwork page's key is stored as `<fingerprint>:<key>`,
atlas.site.artwork_keys), each keyed set of files (atlas.site.keyed_sets) to [key, [[path, url], ...]], and each
work to its shown digest (what an artwork page shows of it among its analogies, atlas.site.artwork_keys). Besides
the artwork pages, the site-wide pages have keys (atlas.site.page_reads); the report counts them apart. A page is kept, not rendered, when its key matches and
the published file still has that size and modification time (as the image digests are trusted,
atlas.core.cache.DigestIndex): kept files are hard-linked into the new site by the writer, so they keep
their inode and time, and a published file that was edited or removed no longer matches and is rendered
again. The manifest is written only after the site is published, so a failed build leaves the old one.

Files copied from the cache (thumbnails, heat maps, cards, larger views, tiles; `Output.source`) are keyed
the same way by their source's path, size and modification time (`keep_copies`): a published copy made from
that very file and still intact is kept unread. A cache file damaged or replaced since has another size or
time, so it is read, checked against its checksum and copied again as before (tests/test_cache_integrity.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, meta, nodes

from atlas.core.cache import key_digest
from atlas.core.checked import read_checked, write_checked
from atlas.core.typed import JsonData, plain

FORMAT = 6  # bump on purpose when the key's recipe changes (2: keyed sets; 3: a digest of repr; 4: fingerprints;
# 5: each work's shown digest stored, atlas.site.artwork_keys; 6: each template's global reads stored)
KIND = "page keys"  # how the build report names the manifest when it is corrupt
MANIFEST = "pages.json"
PER_PAGE = {"insights": ("works",)}  # global -> its per-work parts, left out of the shared key
COPY_FORMAT = "copy 2"  # the recipe of a copied file's key (keep_copies; 2: fields joined by NUL, not JSON)
ARTWORK_FOLDER = "work/"  # artwork pages lie under it (atlas.site.urls.PAGE_PATTERNS): counted apart from site pages


class PageKeys:
    """The manifest of the published pages' keys, and the keys of this build's pages as they are made."""

    def __init__(self, folder: Path, published: Path | None, enabled: bool = True):
        self.path = folder / MANIFEST
        self.published = published if published is not None and published.is_dir() else None
        self.enabled = enabled  # False (`atlas build --full`): every page is rendered, keys are still stored
        self.old, self.old_sets, self.old_works, self.old_reads = load(self.path) if self.published is not None else ({}, {}, {}, {})
        self.new: dict[str, list] = {}
        self.works: dict[str, str] = {}  # work id -> what a page shows of it, digested (atlas.site.artwork_keys)
        self.new_sets: dict[str, list] = {}  # set name -> [key, [[path, url], ...]] (atlas.site.keyed_sets)
        self.sets_kept = 0  # files of keyed sets kept unmade
        self.fingerprints_kept = 0  # artwork pages kept by their fingerprint, unbuilt (atlas.site.artwork_keys)
        self.memo: dict[str, Any] = {}  # digests made once per build and process (atlas.site.keyed_sets)
        self.base = ""  # set by prepare(): templates, code, config
        self.globals: dict[str, Any] = {}
        self.shared: dict[str, str] = {}  # template -> shared digest (made on first use, in each process)
        self.reads_key = ""  # set by prepare(): the digest of the templates' sources and the code that reads them
        self.reads: dict[str, dict | None] = {}  # template -> global_reads(), or None when unfollowable
        self.view_digests: dict[str, str] = {}  # work id -> digest of its view (per process)
        self.rendered: list[str] = []  # artwork pages rendered although they had a key (the tests read it)
        self.kept = 0  # artwork pages kept
        self.site_rendered: list[str] = []  # the other keyed pages (home, groups, map, ...: atlas.site.page_reads)
        self.site_kept = 0
        self.copies_kept = 0  # copied files (keep_copies) carried over unread
        self.set_paths: set[str] = set()  # the files of keyed sets (counted in sets_kept, never as pages)

    def prepare(self, env: Environment, code: str, config: Any) -> None:
        """Digest what every page shares, once, before any page (or forked renderer) is made."""
        sources = [(name, env.loader.get_source(env, name)[0]) for name in sorted(env.list_templates())]
        self.base = key_digest(FORMAT, code, sources, plain(config))
        self.globals = env.globals
        self.reads_key = key_digest(FORMAT, code, sources)
        if self.old_reads.get("key") == self.reads_key:  # the same templates and code: their reads are the stored ones
            self.reads = dict(self.old_reads.get("templates", {}))

    def shared_digest(self, env: Environment, template: str) -> str:
        """The shared part of the key of every page rendered with `template` (see the module docstring); ""
        when its reads cannot be followed (a template named by a variable): then its pages are always rendered."""
        if template not in self.shared:
            reads = self.template_reads(env, template)
            if reads is None:
                self.shared[template] = ""
                return ""
            values = {name: _read(self.globals[name], attrs, PER_PAGE.get(name, ())) for name, attrs in sorted(reads.items())
                      if name in self.globals and not callable(self.globals[name])}
            self.shared[template] = key_digest(self.base, template, values)
        return self.shared[template]

    def template_reads(self, env: Environment, template: str) -> dict | None:
        """global_reads() of `template`, None when it cannot be followed; stored in the manifest under the digest of
        every template's source and the rendering code, so a rebuild with the same templates parses none of them
        (parsing and walking the keyed templates was 0.25 s of every rebuild)."""
        if template not in self.reads:
            try:
                self.reads[template] = global_reads(env, template)
            except Unfollowable:
                self.reads[template] = None
        return self.reads[template]

    def key(self, env: Environment, template: str, context: dict, reads: Any, views: dict | None = None) -> str:
        """The key of one page: the shared part, its template context and what it reads through globals;
        "" when the page cannot be keyed (it is then rendered every time). `views` (work id -> the work's
        view, SiteContext.views) lets each work's view be digested once, not on every page that shows it."""
        shared = self.shared_digest(env, template)
        if not shared:
            return ""
        body = repr((shared, self._compact(context, views or {}), self._compact(reads, {})))  # see _compact
        return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()

    def _compact(self, value: Any, views: dict) -> Any:
        """`value` with every work view in it replaced by that view's digest (a view is made once, never changed)
        and every JsonData by its JSON form. The key is a digest of its repr, not of canonical JSON: the same code
        (in the key) builds the same values in the same order, and repr is a third of json.dumps(sort_keys=True)'s
        cost, which with plain() per leaf was a third of a kept artwork page's cost."""
        if isinstance(value, dict):
            work = value.get("id")
            if isinstance(work, str) and views.get(work) is value:
                if work not in self.view_digests:
                    self.view_digests[work] = key_digest(value)
                return ["view", self.view_digests[work]]
            return {k: self._compact(v, views) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._compact(v, views) for v in value]
        return self._compact(value.to_json(), views) if isinstance(value, JsonData) else value

    def unchanged(self, path: str, key: str) -> bool:
        """True when the published `path` was made from `key` and is still the file made then."""
        entry = self.old.get(path)  # an artwork page's stored key is "<fingerprint>:<key>" (atlas.site.artwork_keys)
        if not self.enabled or entry is None or entry[0].rpartition(":")[2] != key or self.published is None:
            return False
        return self._intact(path, entry)

    def fingerprinted(self, path: str, fingerprint: str) -> str:
        """The stored key of the published `path` when it was made under `fingerprint` and is still the file made
        then (atlas.site.artwork_keys), else ""."""
        entry = self.old.get(path)
        if not self.enabled or entry is None or not entry[0].startswith(fingerprint + ":") or self.published is None:
            return ""
        if not self._intact(path, entry):
            return ""
        self.fingerprints_kept += 1  # (counted in this process: the artwork pages of a big site render in workers)
        return entry[0]

    def _intact(self, path: str, entry: list) -> bool:
        try:
            st = os.stat(self.published / path)
        except OSError:
            return False
        return [st.st_size, st.st_mtime_ns] == entry[1:3]

    def keep_copies(self, outputs: Iterable) -> Iterator:
        """`outputs`, each copy of a file (a cached thumbnail, heat map, card, larger view, tile, theme sheet)
        keyed by its source's path, size and modification time, and kept when the published copy was made from
        that very source file and is intact: not read, checked and compared again (see the module docstring)."""
        for out in outputs:
            if out.source is None or out.key or out.kept:
                yield out
                continue
            try:
                st = os.stat(out.source)
            except OSError:
                yield out  # the writer says what is missing
                continue
            stamp = f"{COPY_FORMAT}\0{out.source}\0{st.st_size}\0{st.st_mtime_ns}\0{out.checked}"
            key = hashlib.sha256(stamp.encode("utf-8", "surrogatepass")).hexdigest()  # a third of key_digest's cost
            yield dataclasses.replace(out, key=key, kept=self.unchanged(out.path, key))

    def track(self, outputs: Iterable, root: Path) -> Iterator:
        """Pass `outputs` on to the writer; once each keyed one is written under `root`, note its key."""
        for out in outputs:
            yield out
            if not out.key:
                continue
            copy = out.source is not None
            page = not copy and out.path not in self.set_paths
            artwork = out.path.startswith(ARTWORK_FOLDER)
            if out.kept:  # hard-linked: the published file, whose size and time unchanged() just checked
                self.copies_kept += copy
                self.kept += page and artwork
                self.site_kept += page and not artwork
                self.new[out.path] = [out.key, *self.old[out.path][1:]]
                continue
            st = os.stat(os.path.join(root, out.path))
            if page:
                (self.rendered if artwork else self.site_rendered).append(out.path)
            digest = "" if copy else hashlib.sha256(out.data).hexdigest()  # a copy's bytes are not read again
            self.new[out.path] = [out.key, st.st_size, st.st_mtime_ns, digest]

    def save(self) -> None:
        """Store this build's keys (call after publishing: they describe the published files)."""
        body = json.dumps({"format": FORMAT, "pages": self.new, "sets": self.new_sets, "works": self.works,
                           "reads": {"key": self.reads_key, "templates": self.reads}}, sort_keys=True, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_checked(self.path, body.encode("utf-8"))

    def line(self) -> str:
        """The build report's line."""
        return (f"pages: {self.kept:,} artwork pages kept (their inputs did not change), {len(self.rendered):,} "
                f"keyed artwork pages rendered; {self.site_kept:,} other pages kept, {len(self.site_rendered):,} "
                f"rendered; {self.copies_kept:,} copied files kept (their source did not change); "
                f"{self.sets_kept:,} data files kept (their set's inputs did not change)")


def load(path: Path) -> tuple[dict[str, list], dict[str, list], dict[str, str], dict]:
    """The stored manifest's pages, keyed sets, works' shown digests and templates' reads ({"key", "templates"}),
    or empty ones when there is none, it is damaged or of another format."""
    empty: tuple = ({}, {}, {}, {})
    data = read_checked(path, KIND)
    if data is None:
        return empty
    try:
        stored = json.loads(data)
        if stored.get("format") != FORMAT:
            return empty
        pages = {k: v for k, v in stored["pages"].items() if isinstance(v, list) and len(v) == 4}
        sets = {k: v for k, v in stored["sets"].items() if isinstance(v, list) and len(v) == 2}
        works = {k: v for k, v in stored["works"].items() if isinstance(v, str)}
        reads = stored["reads"]
        templates = {name: _stored_reads(found) for name, found in reads["templates"].items()}
        return pages, sets, works, {"key": reads["key"], "templates": templates}
    except (ValueError, KeyError, TypeError, AttributeError):
        return empty


def _stored_reads(found: dict | None) -> dict[str, tuple[str, ...] | None] | None:
    """A template's stored global_reads(), as global_reads() gives it (attribute lists as tuples)."""
    if found is None:
        return None
    if not all(isinstance(n, str) and (a is None or all(isinstance(x, str) for x in a)) for n, a in found.items()):
        raise ValueError("stored reads are not names and attributes")
    return {name: None if attrs is None else tuple(attrs) for name, attrs in found.items()}


class Unfollowable(ValueError):
    """A template includes, imports or extends a template named by a variable: its reads cannot be known."""


def referenced(env: Environment, template: str, seen: set[str] | None = None) -> set[str]:
    """Every undeclared name `template` and the templates it extends, includes or imports use (jinja2.meta).
    A template named by a variable cannot be followed: Unfollowable (its pages are then never kept)."""
    seen = set() if seen is None else seen
    if template in seen:
        return set()
    seen.add(template)
    ast = _parsed(env, template)
    names = set(meta.find_undeclared_variables(ast))
    for other in meta.find_referenced_templates(ast):
        if other is None:
            raise Unfollowable(template)
        names |= referenced(env, other, seen)
    return names


def global_reads(env: Environment, template: str) -> dict[str, tuple[str, ...] | None]:
    """{name: the attributes read, or None for the whole value} of every undeclared name `template` and the
    templates it reaches use. A name only ever read as `name.attr` or `name["attr"]` (or tested with `is
    defined`) gives its attributes, so a page reading `insights.model` is not keyed by `insights.graph_svg`;
    any other use (passed on, iterated, printed) reads the whole value."""
    names = referenced(env, template)
    attrs: dict[str, set[str]] = {name: set() for name in names}
    whole: set[str] = set()
    for ast in _asts(env, template, set()):
        used: dict[str, int] = {}
        for node in ast.find_all(nodes.Name):
            used[node.name] = used.get(node.name, 0) + 1
        wrapped: dict[str, int] = {}
        for node in ast.find_all((nodes.Getattr, nodes.Getitem, nodes.Test)):
            inner = node.node
            if not isinstance(inner, nodes.Name) or inner.name not in attrs:
                continue
            attr = _attribute(node)
            if attr is not None:
                wrapped[inner.name] = wrapped.get(inner.name, 0) + 1
                if attr:
                    attrs[inner.name].add(attr)
        whole |= {name for name in attrs if used.get(name, 0) > wrapped.get(name, 0)}
    return {name: None if name in whole else tuple(sorted(found)) for name, found in attrs.items()}


def _attribute(node: nodes.Node) -> str | None:
    """The attribute a Getattr or constant Getitem reads, "" for an `is defined` test, None otherwise."""
    if isinstance(node, nodes.Getattr):
        return node.attr
    if isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
        return node.arg.value
    if isinstance(node, nodes.Test) and node.name in ("defined", "undefined"):
        return ""
    return None


def _asts(env: Environment, template: str, seen: set[str]):
    """The parsed template and every template it reaches (names already checked by `referenced`)."""
    if template in seen:
        return
    seen.add(template)
    ast = _parsed(env, template)
    yield ast
    for other in meta.find_referenced_templates(ast):
        yield from _asts(env, other, seen)


def _read(value: Any, attrs: tuple[str, ...] | None, per_page: tuple[str, ...]) -> Any:
    """What of a global's value the template reads: the named attributes, or all of it (but the per-work
    parts, which each page declares)."""
    if not isinstance(value, dict):
        return value if attrs is None else {a: getattr(value, a, None) for a in attrs}
    keys = sorted(value) if attrs is None else attrs
    return {k: value.get(k) for k in keys if k not in per_page}


_PARSED: dict[tuple[str, str], nodes.Template] = {}  # (name, source) -> its parse tree, once per process


def _parsed(env: Environment, template: str) -> nodes.Template:
    """The parse tree of `template` (as _bare parses it), each source parsed once per process: the keyed templates
    reach base.html and macros.html each, and parsing them again for every template was 0.8 s of a rebuild
    (cProfile). A tree is only read here, never changed."""
    source = env.loader.get_source(env, template)[0]
    if (template, source) not in _PARSED:
        _PARSED[(template, source)] = _bare(env).parse(source)
    return _PARSED[(template, source)]


def _bare(env: Environment) -> Environment:
    """An environment with `env`'s loader and filters but no globals of the site: jinja2.meta counts a name
    that is a global as declared, and those are the very names the key must find."""
    bare = Environment(loader=env.loader)
    bare.filters.update(env.filters)
    bare.tests.update(env.tests)
    return bare

