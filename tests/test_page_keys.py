"""Page-level render keys (atlas.site.page_keys) on a small collection built into the same output again.

A page kept because its key matched must be byte-identical to the page a build from an empty cache renders;
a changed title must re-render exactly the artwork pages that show that work; and the templates must read
nothing through per-page globals that the page's key does not declare.
"""

from __future__ import annotations

import csv
import random
import shutil
from pathlib import Path

import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import pages
from atlas.site.page_keys import PER_PAGE, PageKeys, referenced
from atlas.site.work_json import read_work_json

from .conftest import write_small_collection

pytestmark = pytest.mark.slow  # a few small builds
CULTURES = ("Dutch", "Chinese", "Japanese")


def make_collection(folder: Path, count: int = 30) -> Path:
    (folder / "img").mkdir(parents=True)
    rng = random.Random(4)
    rows = []
    for i in range(count):
        colour = tuple(rng.randrange(256) for _ in range(3))
        Image.new("RGB", (40, 32), colour).save(folder / "img" / f"{i}.png")
        rows.append({"id": f"K{i:03d}", "title": f"Work {i}", "artist": "Anon", "date": str(1600 + i),
                     "culture": CULTURES[i % 3], "medium": ("Oil", "Ink")[i % 2], "image": f"img/{i}.png"})
    return write_small_collection(folder, rows, "Keys", render={"groups_shown": 0})  # every group pictured


def retitle(folder: Path, work_id: str, title: str) -> None:
    path = folder / "collection.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["id"] == work_id:
            row["title"] = title
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def shows(site: Path, work_id: str) -> set[str]:
    """The works whose page shows `work_id` among its analogies (every group is pictured in this small site)."""
    found = set()
    for path in site.glob("iiif/*/manifest.json"):  # each work's record rides in its manifest
        record = read_work_json(path.read_bytes())
        lists = [pairs for groups in record["analogies"].values() for pairs in groups.values()]
        if any(other == work_id for pairs in lists for other, _ in pairs):
            found.add(record["id"])
    return found


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    config = load_config(make_collection(folder))
    first = build(config)
    return folder, config, first


def test_unchanged_pages_are_kept_and_a_title_rerenders_exactly_the_pages_showing_it(built, tmp_path):
    folder, config, first = built
    assert first.counts["pages_kept"] == 0 and first.counts["pages_rendered_keyed"] == 30
    again = build(load_config(folder / "site.yaml"))
    assert again.counts["pages_kept"] == 30 and again.counts["pages_rendered_keyed"] == 0
    assert again.counts["files_written"] == 0

    expected = {f"work/{w}/index.html" for w in shows(config.output_dir, "K007") | {"K007"}}
    assert 1 < len(expected) < 30
    retitle(folder, "K007", "A <new> title")
    keys = []
    real_save = PageKeys.save
    with pytest.MonkeyPatch.context() as patch:  # the build's page keys, to count the pages kept unbuilt
        patch.setattr(PageKeys, "save", lambda self: keys.append(self) or real_save(self))
        changed = build(load_config(folder / "site.yaml"))
    assert changed.counts["pages_rendered_keyed"] == len(expected)
    assert changed.counts["pages_kept"] == 30 - len(expected)
    assert keys[0].fingerprints_kept == 30 - len(expected)  # by their fingerprint (site/artwork_keys.py), unbuilt

    # the same collection from empty caches into another folder: every file byte-identical
    fresh_folder = tmp_path / "fresh"
    shutil.copytree(folder, fresh_folder, ignore=shutil.ignore_patterns("out"))
    fresh = build(load_config(fresh_folder / "site.yaml"))
    assert fresh.counts["pages_kept"] == 0
    assert files(fresh_folder / "out" / "site") == files(config.output_dir)


def test_a_page_edited_or_removed_in_the_published_site_is_rendered_again(built):
    folder, config, _ = built
    build(load_config(folder / "site.yaml"))
    page = config.output_dir / "work" / "K003" / "index.html"
    good = page.read_bytes()
    page.write_bytes(good.replace(b"</html>", b"<!-- edited --></html>"))
    (config.output_dir / "work" / "K004" / "index.html").unlink()
    report = build(load_config(folder / "site.yaml"))
    assert report.counts["pages_rendered_keyed"] == 2
    assert page.read_bytes() == good
    assert (config.output_dir / "work" / "K004" / "index.html").is_file()


def test_full_renders_every_page(built):
    folder, config, _ = built
    report = build(load_config(folder / "site.yaml"), full=True)
    assert report.counts["pages_kept"] == 0 and report.counts["pages_rendered_keyed"] == 30
    assert report.counts["files_written"] == 0  # rendered again, to the same bytes


class Recorder(dict):
    """A per-work mapping that records which keys the templates read."""

    def __init__(self, data, seen):
        super().__init__(data)
        self.seen = seen

    def get(self, key, default=None):
        self.seen.add(("insights", key))
        return super().get(key, default)

    def __getitem__(self, key):
        self.seen.add(("insights", key))
        return super().__getitem__(key)


@pytest.fixture(scope="module")
def context(built):
    return context_of(built[1])


def test_templates_read_only_what_the_key_declares(context):
    """Render every artwork page with the per-page globals recording their reads: each must be in the page's
    declared reads (pages.artwork_reads), else a page could be kept although what it shows changed."""
    ctx = context
    g = ctx.env.globals
    seen: set = set()
    pair_url, curated_for = g["pair_url"], g["curated_for"]
    g["pair_url"] = lambda a, b: seen.add(("pair", a, b)) or pair_url(a, b)
    g["curated_for"] = lambda w: seen.add(("curated", w)) or curated_for(w)
    why_match, larger_view = g["why_match"], g["larger_view"]
    g["why_match"] = lambda a, b: seen.add(("why", a, b)) or why_match(a, b)
    g["larger_view"] = lambda w: seen.add(("larger", w)) or larger_view(w)
    g["insights"] = dict(g["insights"], works=Recorder(g["insights"]["works"], seen))
    similarity = ctx.env.filters["similarity"]
    ctx.env.filters["similarity"] = lambda score: seen.add(("similarity", score)) or similarity(score)
    url = g["url"]
    g["url"] = lambda kind, key=None: (seen.add(("url", kind, key)) or url(kind, key)) if key is not None else url(kind)
    for work in ctx.data.works:
        seen.clear()
        rows = pages.analogy_rows(ctx, work.id)
        pages.artwork(ctx, work.id)
        others = {item["work"]["id"] for fld_rows in rows.values() for row in fld_rows for item in row["items"]}
        scores = {item["score"] for fld_rows in rows.values() for row in fld_rows for item in row["items"]}
        declared = ({("insights", work.id), ("curated", work.id), ("larger", work.id)}
                    | {("pair", work.id, o) for o in others} | {("why", work.id, o) for o in others}
                    | {("similarity", score) for score in scores})
        assert seen and seen <= declared, seen - declared


def test_the_artwork_templates_call_no_other_global_functions_and_read_no_other_per_work_global(context):
    """A new callable global or per-work global read by the artwork templates must be declared in
    pages.artwork_reads (and added to the guard above) before pages can be kept safely."""
    ctx = context
    names = referenced(ctx.env, "artwork.html")
    calls = {n for n in names if callable(ctx.env.globals.get(n))}
    assert calls == {"url", "asset", "anchor", "pair_url", "curated_for", "why_match", "larger_view"}
    assert set(PER_PAGE) == {"insights"} and "insights" in names


def context_of(config):
    """The context of a build of `config`, made as build() makes it (stages from the cache)."""
    import atlas.build as build_module

    captured = {}
    real = build_module.make_context

    def capture(data, keys=None):
        captured["ctx"] = real(data, None)
        return real(data, keys)

    build_module.make_context = capture
    try:
        build(config, full=True)  # an unchanged build stops before making a context (atlas.site.unchanged_build)
    finally:
        build_module.make_context = real
    return captured["ctx"]


def test_the_templates_reads_are_stored_and_used_again_only_for_the_same_templates_and_code(tmp_path, monkeypatch):
    """Unit: a build stores each keyed template's global reads in the manifest; the next build with the same templates
    and code takes them from there (no template parsed) and makes the same keys; other code parses them again."""
    from atlas.core.config import SiteConfig
    from atlas.site import page_keys
    from atlas.site.context import make_environment

    env = make_environment(SiteConfig())
    env.filters.update(similarity=str, pct=str, years=str, label=str)
    env.globals.update({"site": {"title": "A"}, "names": {"culture": "Culture"}, "url": str,
                        "insights": {"model": True, "works": {"w": 1}}, "explorer": {"map": 1}})
    parsed: list[str] = []
    real = page_keys.global_reads
    monkeypatch.setattr(page_keys, "global_reads", lambda e, t: parsed.append(t) or real(e, t))
    site = tmp_path / "site"
    site.mkdir()

    def build_keys(code: str) -> str:
        keys = PageKeys(tmp_path / "stages", site)
        keys.prepare(env, code, {"title": "A"})
        key = keys.key(env, "artwork.html", {"work": {"id": "w"}}, {"insights": 1})
        keys.save()
        return key

    first = build_keys("code")
    assert parsed == ["artwork.html"]
    assert build_keys("code") == first and parsed == ["artwork.html"]  # read from the manifest
    build_keys("other code")
    assert parsed == ["artwork.html", "artwork.html"]


def test_a_key_follows_the_globals_its_template_reads_and_only_those(tmp_path):
    """Unit: the shared part digests the globals artwork.html (with what it includes) names, not the others."""
    from atlas.core.config import SiteConfig
    from atlas.site.context import make_environment
    from atlas.site.page_keys import PageKeys

    def key(**changes) -> str:
        env = make_environment(SiteConfig())
        env.filters.update(similarity=str, pct=str, years=str, label=str)
        env.globals.update({"site": {"title": "A"}, "names": {"culture": "Culture"}, "url": str,
                            "insights": {"model": True, "works": {"w": 1, "v": 2}}, "explorer": {"map": 1}, **changes})
        keys = PageKeys(tmp_path, None)
        keys.prepare(env, "code", {"title": "A"})
        return keys.key(env, "artwork.html", {"work": {"id": "w"}}, {"insights": 1})

    same = key()
    assert key() == same
    assert key(site={"title": "B"}) != same
    assert key(names={"culture": "Style"}) != same
    assert key(insights={"model": False, "works": {"w": 1, "v": 2}}) != same
    assert key(insights={"model": True, "works": {"w": 1, "v": 3}}) == same  # per work: declared by the page
    assert key(explorer={"map": 2}) == same  # the artwork templates do not read it
    # nor this part of a global they read only by attribute (insights.model, .patterns, .surprises, .works)
    assert key(insights={"model": True, "works": {"w": 1, "v": 2}, "graph_svg": "<svg/>"}) == same
