"""Page-level render keys: a page whose inputs did not change is not rendered again.

A no-change rebuild of a 10,000-work site used to render every artwork page only to find its bytes equal to
the published file (44 s of 60 s). Now a page that opts in (`SiteContext.page(..., reads=...)`) gets a key
before it is rendered: a digest of exactly what its template can read, in two parts.

* The shared part, one per template, made once per build: the source of every template the environment can
  load (the package's and the site's own), the code that renders pages (atlas.site.render and every atlas
  module it imports, and the library versions they import, as in atlas.core.stage_cache.code_digest), the
  whole config, the similarity scale behind the `similarity` filter, and the value of every global the
  template or a template it includes, imports or extends names (found by Jinja's own parser,
  jinja2.meta), callables aside. A callable global is either pure code (url of a fixed page, asset, anchor)
  or per-page data declared in `reads`. Parts of a global that are per work (PER_PAGE: `insights.works`)
  are left out of the shared part: the page declares the entry it reads.
* The page's own part: the template's context (its work's view, every analogy's view with its title and
  thumbnail URL, cluster, IIIF view, ...) and `reads`, what the page reads through per-page globals
  (its `insights.works` entry, `curated_for(id)`, `pair_url(id, other)` for every analogy shown).
  tests/test_page_keys.py renders pages with those globals recording what is read and fails on anything a
  template reads that `reads` does not declare, so a template edit that reads more is caught there.

The manifest (`pages.json`, checked, under the site's stage folder in the cache) maps each page's file to
[key, size, mtime_ns, sha256] of the published file. A page is kept, not rendered, when its key matches and
the published file still has that size and modification time (as the image digests are trusted,
atlas.core.cache.DigestIndex): kept files are hard-linked into the new site by the writer, so they keep
their inode and time, and a published file that was edited or removed no longer matches and is rendered
again. The manifest is written only after the site is published, so a failed build leaves the old one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from jinja2 import Environment, meta

from atlas.core.cache import key_digest
from atlas.core.checked import read_checked, write_checked
from atlas.core.typed import plain

FORMAT = 1  # bump on purpose when the key's recipe changes
KIND = "page keys"  # how the build report names the manifest when it is corrupt
MANIFEST = "pages.json"
PER_PAGE = {"insights": ("works",)}  # global -> its per-work parts, left out of the shared key


class PageKeys:
    """The manifest of the published pages' keys, and the keys of this build's pages as they are made."""

    def __init__(self, folder: Path, published: Path | None, enabled: bool = True):
        self.path = folder / MANIFEST
        self.published = published if published is not None and published.is_dir() else None
        self.enabled = enabled  # False (`atlas build --full`): every page is rendered, keys are still stored
        self.old: dict[str, list] = load(self.path) if self.published is not None else {}
        self.new: dict[str, list] = {}
        self.base = ""  # set by prepare(): templates, code, config, scale
        self.globals: dict[str, Any] = {}
        self.shared: dict[str, str] = {}  # template -> shared digest (made on first use, in each process)
        self.rendered: list[str] = []  # files rendered although they had a key (the tests read it)
        self.kept = 0

    def prepare(self, env: Environment, code: str, config: Any, scale: Any) -> None:
        """Digest what every page shares, once, before any page (or forked renderer) is made."""
        sources = [(name, env.loader.get_source(env, name)[0]) for name in sorted(env.list_templates())]
        self.base = key_digest(FORMAT, code, sources, plain(config), plain(scale))
        self.globals = env.globals

    def shared_digest(self, env: Environment, template: str) -> str:
        """The shared part of the key of every page rendered with `template` (see the module docstring); ""
        when its reads cannot be followed (a template named by a variable): then its pages are always rendered."""
        if template not in self.shared:
            try:
                names = sorted(referenced(env, template))
            except Unfollowable:
                self.shared[template] = ""
                return ""
            values = {name: _without_per_page(name, self.globals[name]) for name in names
                      if name in self.globals and not callable(self.globals[name])}
            self.shared[template] = key_digest(self.base, template, values)
        return self.shared[template]

    def key(self, env: Environment, template: str, context: dict, reads: Any) -> str:
        """The key of one page: the shared part, its template context and what it reads through globals;
        "" when the page cannot be keyed (it is then rendered every time)."""
        shared = self.shared_digest(env, template)
        return key_digest(shared, plain(context), plain(reads)) if shared else ""

    def unchanged(self, path: str, key: str) -> bool:
        """True when the published `path` was made from `key` and is still the file made then."""
        entry = self.old.get(path)
        if not self.enabled or entry is None or entry[0] != key or self.published is None:
            return False
        try:
            st = os.stat(self.published / path)
        except OSError:
            return False
        return [st.st_size, st.st_mtime_ns] == entry[1:3]

    def track(self, outputs: Iterable, root: Path) -> Iterator:
        """Pass `outputs` on to the writer; once each keyed one is written under `root`, note its key."""
        for out in outputs:
            yield out
            if not out.key:
                continue
            st = os.stat(root / out.path)
            if out.kept:
                self.kept += 1
                digest = self.old[out.path][3]
            else:
                self.rendered.append(out.path)
                digest = hashlib.sha256(out.data).hexdigest()
            self.new[out.path] = [out.key, st.st_size, st.st_mtime_ns, digest]

    def save(self) -> None:
        """Store this build's keys (call after publishing: they describe the published files)."""
        body = json.dumps({"format": FORMAT, "pages": self.new}, sort_keys=True, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_checked(self.path, body.encode("utf-8"))

    def line(self) -> str:
        """The build report's line."""
        return (f"pages: {self.kept:,} pages kept (their inputs did not change), {len(self.rendered):,} "
                "keyed pages rendered")


def load(path: Path) -> dict[str, list]:
    """The stored manifest, or {} when there is none, it is damaged or of another format."""
    data = read_checked(path, KIND)
    if data is None:
        return {}
    try:
        stored = json.loads(data)
        pages = stored["pages"] if stored.get("format") == FORMAT else {}
        return {k: v for k, v in pages.items() if isinstance(v, list) and len(v) == 4}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


class Unfollowable(ValueError):
    """A template includes, imports or extends a template named by a variable: its reads cannot be known."""


def referenced(env: Environment, template: str, seen: set[str] | None = None) -> set[str]:
    """Every undeclared name `template` and the templates it extends, includes or imports use (jinja2.meta).
    A template named by a variable cannot be followed: Unfollowable (its pages are then never kept)."""
    seen = set() if seen is None else seen
    if template in seen:
        return set()
    seen.add(template)
    source = env.loader.get_source(env, template)[0]
    ast = _bare(env).parse(source)
    names = set(meta.find_undeclared_variables(ast))
    for other in meta.find_referenced_templates(ast):
        if other is None:
            raise Unfollowable(template)
        names |= referenced(env, other, seen)
    return names


def _bare(env: Environment) -> Environment:
    """An environment with `env`'s loader and filters but no globals of the site: jinja2.meta counts a name
    that is a global as declared, and those are the very names the key must find."""
    bare = Environment(loader=env.loader)
    bare.filters.update(env.filters)
    bare.tests.update(env.tests)
    return bare


def _without_per_page(name: str, value: Any) -> Any:
    parts = PER_PAGE.get(name)
    if parts and isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in parts}
    return value
