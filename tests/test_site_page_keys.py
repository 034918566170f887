"""Render keys of the site-wide pages (atlas.site.page_reads): home, group indexes and pages, map, search, model,
patterns, surprises, chord, about, the pre-rendered pair pages and the culture pair pages are kept when their key
did not change.

Such a page's key holds its template context, the plain globals and what `reads` declares; so its templates must
call no per-page data global (pair_url, curated_for, why_match, larger_view) nor the `similarity` filter beyond
what `reads` declares. Then after a title change a kept page must be byte-identical to a build from empty caches.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import explorer, insights_pages, pages, pair_pages
from atlas.site.context import SiteContext
from atlas.site.page_keys import PageKeys
from atlas.site.page_reads import DATA_FILTERS, DATA_GLOBALS

from .test_page_keys import context_of, files, make_collection, retitle

pytestmark = pytest.mark.slow  # a few small builds
SITE_GROUPS = (pages.home, pages.groups, pages.chord, pages.map_page, pages.about_and_404,
               insights_pages.insights_pages, explorer.explorer_pages, pair_pages.pair_pages)


def test_site_page_templates_read_no_data_global_they_do_not_declare(tmp_path, monkeypatch):
    folder = tmp_path / "c"
    path = make_collection(folder)
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings.update(probes={"enabled": True}, patterns={"enabled": True})  # the model and pattern pages too
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    ctx = context_of(load_config(path))
    seen: list[tuple] = []
    for name in DATA_GLOBALS:
        real = ctx.env.globals[name]
        ctx.env.globals[name] = lambda *args, _real=real, _name=name: seen.append((_name, repr(_real(*args)))) or _real(*args)
    for name in DATA_FILTERS:
        real = ctx.env.filters[name]
        ctx.env.filters[name] = lambda value, _real=real, _name=name: seen.append((_name, repr(_real(value)))) or _real(value)
    checked = []
    real_page, real_page_at = SiteContext.page, SiteContext.page_at

    def check(template, reads):
        declared = {("pair_url", repr(url)) for url in reads.get("pairs", [])}
        declared |= {("similarity", repr(text)) for text in reads.get("similarity", [])}
        declared |= {("why_match", repr(reads["why"]))} if "why" in reads else set()
        assert set(seen) <= declared, (template, set(seen) - declared)
        checked.append((template, bool(seen)))

    def page(self, kind, key, template, reads=None, **context):
        seen.clear()
        out = real_page(self, kind, key, template, reads, **context)
        if reads is not None and kind != "work":
            check(template, reads)
        return out

    def page_at(self, path, template, listed=True, reads=None, **context):
        seen.clear()
        out = real_page_at(self, path, template, listed, reads, **context)
        if reads is not None:
            check(template, reads)
        return out

    monkeypatch.setattr(SiteContext, "page", page)
    monkeypatch.setattr(SiteContext, "page_at", page_at)
    for group in SITE_GROUPS:
        list(group(ctx))
    templates = {template for template, _ in checked}
    assert {"home.html", "groups.html", "group.html", "chord.html", "map.html", "about.html", "model.html",
            "patterns.html", "search.html", "pair.html", "culture_pair.html"} <= templates
    assert ("home.html", True) in checked  # the home page's featured pairs do read pair_url and similarity
    assert ("pair.html", True) in checked  # a pair page reads why_match


def test_after_a_title_change_only_the_site_pages_showing_it_are_rendered_and_all_equal_a_fresh_build(tmp_path):
    folder = tmp_path / "c"
    config = load_config(make_collection(folder))
    build(config)
    retitle(folder, "K004", "Work 4 5")  # words titles had: the search index's shards stay the same
    keys = []
    real_save = PageKeys.save
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PageKeys, "save", lambda self: keys.append(self) or real_save(self))
        build(load_config(folder / "site.yaml"))
    rendered, kept = set(keys[0].site_rendered), keys[0].site_kept
    culture = ("Dutch", "Chinese", "Japanese")[4 % 3]
    assert f"culture/{culture}/index.html" in rendered and "medium/Oil/index.html" in rendered  # K004's groups
    assert "culture/Dutch/index.html" not in rendered and "medium/Ink/index.html" not in rendered  # not its groups
    assert kept >= 3 and "search/index.html" not in rendered and "about/index.html" not in rendered
    sets = keys[0]  # the downloads' works table of each group is a keyed set: remade only for K004's groups
    for stem, remade in ((f"culture/{culture}/works", True), ("medium/Oil/works", True),
                         ("culture/Dutch/works", False), ("medium/Ink/works", False)):
        name = f"downloads:{stem}"
        assert (sets.new_sets[name][0] != sets.old_sets[name][0]) == remade, stem

    fresh = tmp_path / "fresh"
    shutil.copytree(folder, fresh, ignore=shutil.ignore_patterns("out"))
    build(load_config(fresh / "site.yaml"))
    assert files(fresh / "out" / "site") == files(config.output_dir)
