"""The explorer in a real browser: headless Chromium (Debian's) driven by Playwright.

The sample site of the session fixture `sample_build` is served by atlas.site.serve on 127.0.0.1; every page
is opened through tests/browser_support.GuardedPage, which fails a test on any request to another host
and on any console error, and saves screenshots under the test's tmp_path (printed with `pytest -s`).
"""

from __future__ import annotations

import json
import re

import pytest

from atlas.analysis.culture import CultureSimilarity
from atlas.analysis.culture_pairs import link_strengths
from atlas.site import urls
from atlas.site.map_chunks import decode_chunk
from atlas.site.search_index import shard_of, tokens
from atlas.site.work_json import read_work_json

from .browser_support import GuardedPage, LocalSite, find_chromium, guarded_pages

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: the README's test command installs Debian's chromium package"),
]

NARROW = (320, 640)
WIDE = (1600, 1000)


@pytest.fixture(scope="module")
def site(sample_build):
    config, _ = sample_build
    served = LocalSite(config.output_dir)
    yield served
    served.close()


@pytest.fixture
def open_page(browser, site, tmp_path):
    """open_page(width=1280, height=900, javascript=True) -> GuardedPage; checked again at teardown."""
    with guarded_pages(browser, tmp_path / "screenshots") as new:
        yield lambda width=1280, height=900, javascript=True: new(site, width, height, javascript)


def read_json(config, relative: str):
    return json.loads((config.output_dir / relative).read_text(encoding="utf-8"))


def read_points(config) -> dict:
    """The map's point columns as lists, read from its binary chunks in order."""
    index = read_json(config, "data/map/points.json")["points"]
    parts = [decode_chunk((config.output_dir / c["url"].removeprefix("/atlas/")).read_bytes(), c["count"])
             for c in index["chunks"]]
    return {name: [v for part in parts for v in part[name].tolist()] for name in parts[0]}


def wait_for_map(page, sheets: bool = True) -> None:
    ready = "window.atlasMap.stats.ready && window.atlasMap.stats.captions" if sheets else "window.atlasMap.stats.draws > 0"
    page.wait_for_function(f"window.atlasMap && window.atlasMap.count() > 0 && {ready}", timeout=60_000)


def visible_point(page, start: int = 0) -> tuple[int, dict]:
    """A point that is on screen and is the one picked at its own position (not covered by another)."""
    return page.evaluate(
        """(start) => {
          const m = window.atlasMap, r = document.querySelector('.map-viewport').getBoundingClientRect();
          for (let i = start; i < m.count(); i++) {
            const p = m.screenOf(i);
            if (p && p.x > 20 && p.y > 20 && p.x < r.width - 20 && p.y < r.height - 20 && m.pick(p.x, p.y) === i)
              return [i, {x: p.x + r.left, y: p.y + r.top}];
          }
          return [-1, null];
        }""",
        start,
    )


# --- the map ------------------------------------------------------------------------------------

def test_map_draws_every_work_and_a_click_opens_it(sample_build, open_page):
    config, _ = sample_build
    points = read_json(config, "data/map/points.json")
    captions = read_json(config, "data/map/captions-0.json")  # 480 works: one sheet, one caption chunk
    gp = open_page()
    page = gp.goto("map/")
    wait_for_map(page)
    assert page.evaluate("window.atlasMap.count()") == points["count"] == len(captions["title"]) == 480
    # every level-0 sprite sheet and point chunk was fetched, and nothing else from data/map but the index
    # and captions (at this zoom no work is drawn larger than level 0's cells: no level-1 tile)
    sheet_urls = {s["url"] for s in points["sprites"]["sheets"]} | {c["url"] for c in points["points"]["chunks"]}
    fetched = {u[len(gp.site.origin):] for u in gp.requests if "/data/map/" in u}
    assert fetched == sheet_urls | {"/atlas/data/map/points.json", "/atlas/data/map/captions-0.json"}
    assert page.evaluate("window.atlasMap.stats.mode") == "thumbnails"
    gp.shot("map-wide")

    i, at = visible_point(page)
    assert i >= 0, "no work is drawn where it can be picked"
    page.mouse.move(at["x"], at["y"])
    caption = page.locator(".map-caption")
    caption.wait_for(state="visible")
    assert caption.locator("strong").inner_text() == captions["title"][i]
    gp.shot("map-hover")
    with page.expect_navigation():
        page.mouse.click(at["x"], at["y"])
    assert page.url == gp.site.origin + "/atlas/work/" + captions["slug"][i] + "/"
    assert page.locator("h1").inner_text() == captions["title"][i]
    gp.check()


def test_map_pans_and_zooms_by_mouse_wheel_touch_keyboard_and_buttons(open_page):
    gp = open_page()
    page = gp.goto("map/")
    wait_for_map(page)

    def view() -> dict:
        return page.evaluate("({...window.atlasMap.view})")

    box = page.locator(".map-viewport").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    page.mouse.move(cx, cy)
    page.mouse.wheel(0, 300)  # not yet clicked: the wheel scrolls the page, the map stays as it is
    page.wait_for_function("window.scrollY > 0")
    assert view()["s"] == 1
    page.evaluate("window.scrollTo(0, 0)")
    page.evaluate("document.querySelector('.map-viewport').focus({preventScroll: true})")  # as a click gives it
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -600)
    page.wait_for_timeout(100)
    zoomed = view()
    assert zoomed["s"] > 2

    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 100, cy - 60, steps=8)
    page.mouse.up()
    dragged = view()
    assert dragged["x"] == pytest.approx(zoomed["x"] - 100, abs=2) and dragged["y"] == pytest.approx(zoomed["y"] - 60, abs=2)
    assert "/work/" not in page.url, "a drag must not open a work"

    page.locator(".map-viewport").focus()
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(50)
    assert view()["x"] > dragged["x"]
    before = view()["s"]
    page.keyboard.press("+")
    assert view()["s"] == pytest.approx(before * 1.25, rel=1e-3)
    assert "At the centre:" in page.locator("#map-status").inner_text()

    page.get_by_role("button", name="Reset").click()
    assert view()["s"] == 1
    page.get_by_role("button", name="Zoom in").click()
    assert view()["s"] == pytest.approx(1.25)

    # a two-finger pinch, as pointer events of type touch, zooms in around the fingers
    s0 = view()["s"]
    page.evaluate(
        """([x, y]) => {
          const v = document.querySelector('.map-viewport');
          const ev = (type, id, px) => v.dispatchEvent(new PointerEvent(type, {pointerId: id, pointerType: 'touch',
              clientX: px, clientY: y, bubbles: true, isPrimary: id === 11}));
          ev('pointerdown', 11, x - 20); ev('pointerdown', 12, x + 20);
          for (let k = 1; k <= 10; k++) ev('pointermove', 12, x + 20 + 8 * k);
          ev('pointerup', 11, x - 20); ev('pointerup', 12, x + 100);
        }""",
        [cx, cy],
    )
    assert view()["s"] == pytest.approx(s0 * 3, rel=0.05)
    gp.check()


def test_map_colours_and_filters_by_culture_and_medium(sample_build, open_page):
    config, _ = sample_build
    points = read_json(config, "data/map/points.json")
    points.update(read_points(config))
    gp = open_page()
    page = gp.goto("map/")
    wait_for_map(page)
    assert page.locator(".map-legend li").count() == len(points["cultures"])
    page.select_option("select[data-colour]", "medium")
    assert page.locator(".map-legend li").all_inner_texts() == points["media"]

    culture = points["cultures"][1]
    expected = points["culture"].count(1)
    page.select_option("select[data-filter='culture']", culture)
    assert page.locator("#map-status").inner_text() == f"{expected} of 480 works shown."
    shown = page.evaluate("Array.from({length: window.atlasMap.count()}, (_, i) => window.atlasMap.screenOf(i) !== null)")
    assert [points["culture"][i] == 1 for i in range(480)] == shown
    medium = points["media"][0]
    page.select_option("select[data-filter='medium']", medium)
    both = sum(1 for c, m in zip(points["culture"], points["medium"], strict=True) if c == 1 and m == 0)
    assert page.locator("#map-status").inner_text() == f"{both} of 480 works shown."
    gp.shot("map-filtered")
    gp.check()


def test_map_without_scripts_lists_every_work(open_page):
    gp = open_page(javascript=False)
    page = gp.goto("map/")
    assert page.locator(".map-app").is_hidden()
    links = page.locator(".map-list a.map-point")
    assert links.count() == 480
    assert links.first.get_attribute("href").startswith("/atlas/work/")
    gp.shot("map-no-scripts")
    gp.check()


@pytest.mark.slow  # ~5 s here
def test_map_with_100k_points_loads_and_pans(browser, tmp_path):
    from benchmarks.map_100k import serve_in_thread, write_synthetic_site

    site_dir = tmp_path / "site"
    info = write_synthetic_site(site_dir, 100_000, cell=8, sheet=512, upper=())  # 4,096 cells a sheet: 25 sheets
    sheets = len(list((site_dir / "data/map/sheets").iterdir()))
    assert info["count"] == 100_000 and sheets == 25
    server, origin = serve_in_thread(site_dir)
    server.RequestHandlerClass.func.log_message = lambda *args: None
    gp = None
    try:
        gp = GuardedPage(browser, type("Site", (), {"origin": origin, "base": origin + "/atlas/"})(), tmp_path / "screenshots", 1280, 900, True)
        page = gp.goto("map/")
        wait_for_map(page)
        stats = lambda: page.evaluate("({...window.atlasMap.stats})")
        assert page.evaluate("window.atlasMap.count()") == 100_000
        assert page.evaluate("window.atlasMap.visibleCount()") > 90_000 and stats()["mode"] == "dots"
        assert stats()["chunksLoaded"] == stats()["chunks"] == 2  # 65,536 points a chunk
        assert stats()["sheetsRequested"] == stats()["captionsRequested"] == 0, "a zoomed-out map needs no thumbnails"
        gp.shot("map-100k")
        box = page.locator(".map-viewport").bounding_box()
        at = page.evaluate("window.atlasMap.screenOf(0)")
        x, y = box["x"] + at["x"], box["y"] + at["y"]
        page.evaluate("document.querySelector('.map-viewport').focus({preventScroll: true})")  # as a click gives it
        page.mouse.move(x, y)
        page.mouse.wheel(0, -1500)
        page.wait_for_timeout(100)
        page.wait_for_function("window.atlasMap.stats.ready && window.atlasMap.stats.captions", timeout=60_000)
        zoomed = stats()
        assert zoomed["mode"] == "thumbnails" and 0 < zoomed["sheetsRequested"] < sheets
        # every sheet's captions came with it; focusing the map also fetched the centre work's (it is announced)
        assert zoomed["captionsLoaded"] == zoomed["captionsRequested"] >= zoomed["sheetsRequested"]
        x0 = page.evaluate("window.atlasMap.view.x")
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 150, y + 40, steps=15)
        page.mouse.up()
        assert stats()["draws"] > zoomed["draws"] + 3 and page.evaluate("window.atlasMap.view.x") == pytest.approx(x0 + 150, abs=2)
        gp.shot("map-100k-zoomed")
        gp.check()
    finally:
        if gp:
            gp.close()
        server.shutdown()


# --- the chord diagram --------------------------------------------------------------------------

def test_chord_hover_shows_strongest_links_and_clicks_open_pages(sample_build, open_page):
    config, _ = sample_build
    similarity = read_json(config, "data/culture-similarity.json")
    links = link_strengths(CultureSimilarity.from_json(similarity))
    gp = open_page()
    page = gp.goto("chord/")
    page.locator(".chord-arcs a").first.locator(".chord-label").hover()  # the arc's own label, part of its link
    name = similarity["labels"][0]
    mine = sorted((link for link in links if 0 in (link["i"], link["j"])), key=lambda link: -link["value"])
    strongest = mine[0]["b"] if mine[0]["i"] == 0 else mine[0]["a"]
    status = page.locator(".chord-status").inner_text()
    assert status.startswith(f"{name}: strongest links {strongest} (")
    assert page.locator(".chord-ribbon.strong").count() == 3
    assert page.locator(".chord-ribbon.linked").count() == len(similarity["labels"]) - 1
    gp.shot("chord-hover")

    page.locator("[data-top-quartile]").check()
    top = sum(1 for link in links if link["top"])
    assert page.locator(".chord-ribbon:visible").count() == top < len(links)
    gp.shot("chord-top-quartile")
    page.locator("[data-top-quartile]").uncheck()

    ribbon = page.locator(".chord-ribbon[data-a='0'][data-b='1']")
    pair = next(link for link in links if (link["i"], link["j"]) == (0, 1))
    with page.expect_navigation():
        ribbon.dispatch_event("click")
    assert page.url.endswith(urls.culture_pair_path(pair["a"], pair["b"]))
    assert page.locator(".pair").count() > 0
    cultures = set(page.locator(".pair figcaption").all_inner_texts())
    assert all(pair["a"] in c and pair["b"] in c for c in cultures)

    page = gp.goto("chord/")
    with page.expect_navigation():
        page.locator(".chord-arcs a").first.locator(".chord-label").click()
    assert page.url.endswith(urls.page_path("culture", name))
    gp.check()


# --- search -------------------------------------------------------------------------------------

def expected_matches(config, query: str) -> list[int]:
    """What the search page must find, computed from the shard files the build wrote."""
    hits = None
    for token in tokens(query):
        shard = read_json(config, f"data/search/{urls.slug(shard_of(token))}.json")
        found = {k for t, numbers in shard.items() if t.startswith(token) for k in numbers}
        hits = found if hits is None else hits & found
    return sorted(hits or [])


def test_search_finds_a_known_title_loading_one_small_shard(sample_build, open_page):
    config, _ = sample_build
    works = read_json(config, "data/works.json")
    target = works[37]
    first = tokens(target["title"])[0]
    gp = open_page()
    page = gp.goto("search/")
    box = page.locator("#search-q")
    box.press_sequentially(first[:2], delay=200)
    page.wait_for_function("document.querySelector('.search-status').textContent.length > 0")
    shards = [u for u in gp.requests if "/data/search/" in u and "/docs-" not in u]
    assert shards == [f"{gp.site.base}data/search/{urls.slug(first[:2])}.json"], "the first keystrokes load one shard"
    size = (config.output_dir / "data/search" / f"{urls.slug(first[:2])}.json").stat().st_size
    assert size < 20_000

    box.fill(target["title"])
    expected = expected_matches(config, target["title"])
    assert works.index(target) in expected
    status = page.locator("#search-status")
    page.wait_for_function(
        "(n) => document.querySelector('#search-status').textContent.startsWith(n)", arg=f"{len(expected)} work"
    )
    cards = page.locator(".search-results a.card")
    assert cards.count() == min(len(expected), 60)
    titles = cards.locator(".card-title").all_inner_texts()
    assert titles == [works[k]["title"] for k in expected[:60]]
    assert target["url"] in [cards.nth(k).get_attribute("href") for k in range(cards.count())]
    assert "q=" in page.url
    gp.shot("search-results")
    assert status.inner_text().startswith(f"{len(expected)} work")
    box.fill("zzzqqq")
    page.wait_for_function("document.querySelector('#search-status').textContent.startsWith('No works')")
    gp.check()


# --- the analogy switcher -----------------------------------------------------------------------

def visible_rows(page) -> list[str]:
    return page.evaluate("Array.from(document.querySelectorAll('.analogy-row')).filter(r => r.offsetParent !== null).map(r => r.id)")


def opening_row(record: dict, only: str = "") -> str:
    """The row an artwork page opens with, from its JSON: the group (not the work's own) whose top analogy
    is the most similar, over both fields or in `only`."""
    best = min((group == record[fld], -pairs[0][1], fld != "culture", fld, group)
               for fld in ("culture", "medium") if not only or fld == only
               for group, pairs in record["analogies"][fld].items() if pairs)
    return f"{best[3]}-{urls.slug(best[4])}"


def test_analogy_switcher_changes_the_list_and_the_url(sample_build, open_page):
    config, _ = sample_build
    record = read_work_json((config.output_dir / urls.work_data_path("S0001")).read_bytes())
    cultures = sorted(record["analogies"]["culture"])
    media = sorted(record["analogies"]["medium"])
    gp = open_page()
    page = gp.goto("work/S0001/")
    assert visible_rows(page) == [opening_row(record)]  # the group of its closest match outside its own

    target = cultures[2]
    page.locator(".switcher-fields button", has_text="Culture").click()
    page.locator(".switcher-groups button", has_text=target).click()
    assert page.url.endswith(f"#culture-{urls.slug(target)}")
    assert visible_rows(page) == [f"culture-{urls.slug(target)}"]
    expected_ids = [other for other, _ in record["analogies"]["culture"][target]]
    page.wait_for_function("([sel, n]) => document.querySelectorAll(sel).length === n",  # drawn on demand when not pictured
                           arg=[f"#culture-{urls.slug(target)} a.card", len(expected_ids)])
    hrefs = page.locator(f"#culture-{urls.slug(target)} a.card").evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert hrefs == [urls.join_url("/atlas/", urls.page_path("work", i)) + f"#culture-{urls.slug(target)}" for i in expected_ids]
    gp.shot("switcher-culture")

    page.locator(".switcher-fields button", has_text="Medium").click()
    medium_row = opening_row(record, "medium")
    assert page.url.endswith(f"#{medium_row}")
    assert visible_rows(page) == [medium_row]
    assert page.evaluate("document.activeElement.textContent") == "Medium"  # the focus stays in the switcher

    page.go_back()
    page.wait_for_function("(id) => location.hash === '#' + id", arg=f"culture-{urls.slug(target)}")
    assert visible_rows(page) == [f"culture-{urls.slug(target)}"]

    # step to the closest work: same condition on its page
    with page.expect_navigation():
        page.locator(f"#culture-{urls.slug(target)} a.card").first.click()
    assert re.search(rf"/atlas/work/{re.escape(urls.slug(expected_ids[0]))}/#culture-{re.escape(urls.slug(target))}$", page.url)
    assert visible_rows(page) == [f"culture-{urls.slug(target)}"]

    # a deep link opens its condition, scrolled into view, and fetches no thumbnail of the hidden rows
    page.wait_for_load_state("networkidle")  # the previous page's own thumbnails must not count as this one's
    before = len(gp.requests)
    page = gp.goto(f"work/S0001/#medium-{urls.slug(media[1])}")
    page.wait_for_load_state("networkidle")
    assert visible_rows(page) == [f"medium-{urls.slug(media[1])}"] and page.evaluate("window.scrollY") > 0
    thumbs = [u for u in gp.requests[before:] if "/thumbs/" in u]
    small = min(config.thumbnails.sizes)  # the cards' size
    shown = {urls.thumb_path(small, other) for other, _ in record["analogies"]["medium"][media[1]]}
    own = urls.thumb_path(max(config.thumbnails.sizes), "S0001")  # the page's own image (the same size by default)
    assert {u.split("/atlas/", 1)[1] for u in thumbs if f"/thumbs/{small}/" in u} - {own} == shown
    gp.check()


def test_analogy_deep_link_works_without_scripts(sample_build, open_page):
    config, _ = sample_build
    record = read_work_json((config.output_dir / urls.work_data_path("S0001")).read_bytes())
    html = (config.output_dir / urls.page_file("work", "S0001")).read_text(encoding="utf-8")
    target = max(g for g in record["analogies"]["culture"] if f'class="analogy-row" id="culture-{urls.slug(g)}"' in html)
    gp = open_page(javascript=False)
    page = gp.goto(f"work/S0001/#culture-{urls.slug(target)}")
    # every group is on the page: pictured (render.groups_shown), or one link in the closed list of the others
    listed = page.locator(".more-groups li[id]").count()
    assert len(visible_rows(page)) + listed == len(record["analogies"]["culture"]) + len(record["analogies"]["medium"])
    assert listed > 0
    row = page.locator(f"#culture-{urls.slug(target)}")
    assert row.locator("h3").inner_text() == target
    assert page.evaluate("window.scrollY") > 0, "the fragment scrolls to its row"
    gp.check()


# --- accessibility and screen sizes ---------------------------------------------------------------

CONTRAST = """(sel) => {
  const lum = (c) => { const v = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(x => x / 255)
    .map(x => x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4); return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2]; };
  const bg = (el) => { for (; el; el = el.parentElement) { const b = getComputedStyle(el).backgroundColor;
    if (b && b !== 'rgba(0, 0, 0, 0)' && b !== 'transparent') return b; } return 'rgb(255,255,255)'; };
  return Array.from(document.querySelectorAll(sel)).filter(e => e.offsetParent !== null).slice(0, 20).map(e => {
    const a = lum(getComputedStyle(e).color), b = lum(bg(e));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05); });
}"""

PAGES = ("", "map/", "chord/", "search/?q=boat", "work/S0001/", "culture/Chinese/")


@pytest.mark.parametrize("size", [NARROW, WIDE], ids=["320px", "1600px"])
def test_pages_fit_the_screen_with_alt_text_contrast_and_focus(size, open_page):
    gp = open_page(*size)
    for path in PAGES:
        page = gp.goto(path)
        if path == "map/":
            wait_for_map(page)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path or 'home'} scrolls sideways by {overflow}px at {size[0]}px"
        missing_alt = page.evaluate("Array.from(document.images).filter(i => !i.hasAttribute('alt')).length")
        assert missing_alt == 0
        ratios = page.evaluate(CONTRAST, "p, a, .card-meta, .card-title, dt, .map-status, .search-status, .switcher button, label")
        assert ratios and min(ratios) >= 4.5, f"{path or 'home'}: contrast {min(ratios):.2f} below 4.5:1"
        gp.shot(f"{size[0]}px-{(path or 'home').strip('/').replace('/', '-').replace('?', '-').replace('=', '-')}")
    # keyboard: the skip link comes first, then the header; focus is visible
    page = gp.goto("")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "brand"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    gp.check()

