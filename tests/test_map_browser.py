"""The map's WebGL layer, binary chunks and sprite pyramid in headless Chromium (Debian's, SwiftShader WebGL).

A synthetic map of 5,000 works in two binary chunks (benchmarks/map_100k.write_synthetic_site, through the
real map code and template) is served from the sub-path /atlas/ on 127.0.0.1; every page is a GuardedPage,
which fails the test on a request that leaves the local server (the map works offline) or a console error.
"""

from __future__ import annotations

import json
import re

import pytest

from .axe_support import axe_source, violations
from .browser_support import GuardedPage, LocalSite, find_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: the README's test command installs Debian's chromium package"),
]

COUNT = 5000  # small enough to write in seconds, many enough that the whole map is drawn as dots
CHUNK = 4096  # two chunks: 4,096 and 904 points
BACKGROUND = [38, 35, 31, 255]
WEBGL = "window.atlasMapRenderer = 'webgl';"  # WebGL even where it runs in software (SwiftShader here)
NO_WEBGL = """(() => { const get = HTMLCanvasElement.prototype.getContext;
  HTMLCanvasElement.prototype.getContext = function (kind, ...rest) {
    return kind === 'webgl' || kind === 'experimental-webgl' || kind === 'webgl2' ? null : get.call(this, kind, ...rest); };
})();"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from benchmarks.map_100k import write_synthetic_site

    folder = tmp_path_factory.mktemp("map") / "site"
    write_synthetic_site(folder, COUNT, cell=48, chunk=CHUNK)
    served = LocalSite(folder)
    yield folder, served
    served.close()


@pytest.fixture
def open_map(browser, site, tmp_path):
    """open_map(init_script=WEBGL, hold=None) -> (GuardedPage, page) on map/, checked and closed at teardown."""
    opened = []

    def open_(init_script: str | None = WEBGL, hold: list | None = None, width: int = 1280, height: int = 900):
        gp = GuardedPage(browser, site[1], tmp_path / "screenshots", width, height, True)
        opened.append(gp)
        if init_script:
            gp.page.add_init_script(init_script)
        if hold is not None:  # the second chunk waits in `hold` until the test lets it through
            gp.page.route("**/data/map/points-1-*.bin", lambda route: hold.append(route))
        return gp, gp.goto("map/")

    yield open_
    for gp in opened:
        gp.check()
        gp.close()


def index(site) -> dict:
    return json.loads((site[0] / "data/map/points.json").read_text(encoding="utf-8"))


def titles(site) -> list[str]:
    per = index(site)["sprites"]["per_sheet"]
    out = []
    for k in range(-(-COUNT // per)):
        out += json.loads((site[0] / f"data/map/captions-{k}.json").read_text(encoding="utf-8"))["title"]
    return out


def ready(page) -> None:
    page.wait_for_function("window.atlasMap && window.atlasMap.stats.ready && window.atlasMap.stats.captions"
                           " && window.atlasMap.stats.draws > 0", timeout=60_000)


def visible_point(page, start: int = 0, stop: int = COUNT) -> tuple[int, dict | None]:
    """A point in start..stop-1 on screen that is the one picked at its own position, and where (page px)."""
    return page.evaluate(
        """([start, stop]) => {
          const m = window.atlasMap, r = document.querySelector('.map-viewport').getBoundingClientRect();
          for (let i = start; i < stop; i++) {
            const p = m.screenOf(i);
            if (p && p.x > 30 && p.y > 30 && p.x < r.width - 30 && p.y < r.height - 30 && m.pick(p.x, p.y, 0.5) === i)
              return [i, {x: p.x, y: p.y, px: p.x + r.left, py: p.y + r.top}];
          }
          return [-1, null];
        }""",
        [start, stop],
    )


def canvas_pixel(page, at: dict) -> list[int]:
    """RGBA of the 2D canvas at (x, y) css px of the viewport."""
    return page.evaluate(
        """(a) => { const c = document.querySelector('.map-canvas-2d'), d = window.devicePixelRatio || 1;
          return Array.from(c.getContext('2d').getImageData(Math.round(a.x * d), Math.round(a.y * d), 1, 1).data); }""", at)


def caption_is(page, title: str | None) -> None:
    """Wait until the hover caption shows `title` (its captions chunk may still be on the way), or is hidden."""
    page.wait_for_function(
        """(t) => { const c = document.querySelector('.map-caption');
          return t === null ? c.hidden : !c.hidden && c.querySelector('strong').textContent === t; }""", arg=title, timeout=10_000)


def zoom_at(page, at: dict, notches: int) -> None:
    page.evaluate("document.querySelector('.map-viewport').focus({preventScroll: true})")  # as a click gives it
    page.mouse.move(at["px"], at["py"])
    for _ in range(notches):
        page.mouse.wheel(0, -200)
    page.wait_for_timeout(100)


def test_webgl_draws_the_first_chunk_before_the_second_arrives(open_map, site):
    held: list = []
    gp, page = open_map(hold=held)
    page.wait_for_function("window.atlasMap && window.atlasMap.stats.chunksLoaded === 1 && window.atlasMap.stats.draws > 0"
                           " && window.atlasMap.stats.firstDotsMs > 0", timeout=60_000)
    stats = page.evaluate("({...window.atlasMap.stats})")
    assert stats["renderer"] == "webgl" and stats["glRenderer"]
    assert stats["pointsLoaded"] == CHUNK and stats["mode"] == "dots"
    assert page.locator("#map-status").inner_text() == f"Loading the map: 4,096 of {COUNT:,} works…"
    # dots of the first chunk are drawn where their points are; the second chunk's are not there yet
    i, at = visible_point(page, 0, CHUNK)
    assert i >= 0
    now = page.evaluate(f"window.atlasMap.screenOf({i})")  # where the zoom (and the view's clamp) put it
    assert page.evaluate("(a) => window.atlasMap.pixelAt(a.x, a.y)", now) != BACKGROUND
    assert page.evaluate("window.atlasMap.screenOf(4500)") is None  # not loaded: not drawn, not pickable
    assert page.evaluate("window.atlasMap.pixelAt(3, 3)") == BACKGROUND  # a corner of the map is empty

    assert len(held) == 1
    held[0].fallback()  # on to the page's guard, which records it and lets it through
    ready(page)
    assert page.evaluate("window.atlasMap.stats.pointsLoaded") == COUNT
    assert page.locator("#map-status").inner_text() == f"{COUNT:,} works on the map."
    j, at = visible_point(page, CHUNK, COUNT)
    assert j >= 0 and page.evaluate("(a) => window.atlasMap.pixelAt(a.x, a.y)", at) != BACKGROUND
    # the chunks came from the sub-path, as binary files, and nothing left the local server (gp.check)
    chunks = [c["url"] for c in index(site)["points"]["chunks"]]
    assert [u for u in gp.requests if u.endswith(".bin")] == [gp.site.origin + u for u in chunks]
    assert all(u.startswith(gp.site.origin + "/atlas/") for u in gp.requests)
    gp.shot("map-webgl")


def test_hover_caption_follows_the_zoom(open_map, site):
    gp, page = open_map()
    ready(page)
    names = titles(site)
    i, at = visible_point(page)
    page.mouse.move(at["px"], at["py"])
    caption_is(page, names[i])
    # zoom with the pointer beside the work: the work moves away from under it, the caption follows what is there
    zoom_at(page, {"px": at["px"] + 25, "py": at["py"] + 25}, 6)
    ready(page)
    under = page.evaluate("(a) => window.atlasMap.pick(a.x + 25, a.y + 25)", at)
    assert under != i
    caption_is(page, names[under] if under >= 0 else None)
    j, at2 = visible_point(page)
    page.mouse.move(at2["px"], at2["py"])
    caption_is(page, names[j])
    gp.shot("map-caption-zoomed")


def test_zoomed_in_thumbnails_come_from_the_higher_level_for_the_view_only(open_map, site):
    gp, page = open_map()
    ready(page)
    level0, level1 = index(site)["pyramid"]
    i, at = visible_point(page)
    assert page.evaluate(f"window.atlasMap.cellImage({i})") is None  # the whole map: dots, no thumbnail fetched
    assert page.evaluate("window.atlasMap.stats.sheetsRequested + window.atlasMap.stats.tilesRequested") == 0
    zoom_at(page, at, 4)  # works about 28 px wide: level 0's 48 px cells
    ready(page)
    small = page.evaluate(f"window.atlasMap.cellImage({i})")
    assert small["level"] == 0 and small["cell"] == level0["cell"] == 48 and "/data/map/sheets/sheet-" in small["url"]
    assert page.evaluate("window.atlasMap.stats.tilesRequested") == 0
    zoom_at(page, at, 10)  # works 160 px wide: level 1
    ready(page)
    stats = page.evaluate("({...window.atlasMap.stats})")
    assert stats["mode"] == "thumbnails" and stats["level"] == 1
    image = page.evaluate(f"window.atlasMap.cellImage({i})")
    tile = level1["sheets"][i // level1["per_sheet"]]
    assert image["level"] == 1 and image["cell"] == level1["cell"] == 128
    assert image["url"] == gp.site.origin + tile["url"] and "/atlas/data/map/sheets/1/" in image["url"]
    assert (image["width"], image["height"]) == (tile["width"], tile["height"])
    tiles = [u for u in gp.requests if "/data/map/sheets/1/" in u]
    assert gp.site.origin + tile["url"] in tiles
    assert 0 < stats["tilesRequested"] == len(set(tiles)) < len(level1["sheets"]), "only the tiles of the view"
    gp.shot("map-level-1")
    source, why = axe_source()
    if source is None:
        pytest.skip(why)
    assert violations(page, source) == []


def test_without_webgl_the_map_draws_dots_on_a_2d_canvas(open_map, site):
    gp, page = open_map(init_script=NO_WEBGL)
    ready(page)
    assert page.evaluate("window.atlasMap.stats.renderer") == "2d"
    assert page.evaluate("document.querySelector('.map-canvas-gl').hidden")
    assert page.evaluate("window.atlasMap.stats.mode") == "dots"
    i, at = visible_point(page)
    pixel = canvas_pixel(page, at)
    assert pixel != BACKGROUND
    page.mouse.move(at["px"], at["py"])
    caption_is(page, titles(site)[i])
    gp.shot("map-no-webgl")


def test_software_webgl_gives_way_to_the_2d_path_unless_chosen(open_map):
    _gp, page = open_map(init_script=None)
    ready(page)
    stats = page.evaluate("({...window.atlasMap.stats})")
    software = re.search(r"SwiftShader|llvmpipe|softpipe|software", stats["glRenderer"], re.IGNORECASE)
    assert stats["renderer"] == ("2d" if software else "webgl"), stats["glRenderer"]
    assert page.evaluate("document.querySelector('.map-canvas-gl').hidden") == bool(software)


def test_webgl_sends_only_the_blocks_in_view(open_map):
    _gp, page = open_map()
    ready(page)
    ranges = "window.atlasMap.rangesInView()"
    assert page.evaluate(ranges) == [[0, COUNT]]  # the whole map is in view: one run of every block
    i, at = visible_point(page)
    zoom_at(page, at, 14)
    ready(page)
    runs = page.evaluate(ranges)
    assert 0 < sum(count for _, count in runs) < COUNT
    assert any(first <= i < first + count for first, count in runs), "the block of the point at the centre is drawn"
    now = page.evaluate(f"window.atlasMap.screenOf({i})")  # where the zoom (and the view's clamp) put it
    assert page.evaluate("(a) => window.atlasMap.pixelAt(a.x, a.y)", now) != BACKGROUND


def test_a_lost_webgl_context_gives_way_to_the_2d_path(open_map):
    _gp, page = open_map()
    ready(page)
    assert page.evaluate("window.atlasMap.stats.renderer") == "webgl"
    page.evaluate("document.querySelector('.map-canvas-gl').getContext('webgl').getExtension('WEBGL_lose_context').loseContext()")
    page.get_by_role("button", name="Zoom in").click()  # the next frame notices
    page.wait_for_function("window.atlasMap.stats.renderer === '2d' && window.atlasMap.stats.mode === 'dots'")
    i, at = visible_point(page)
    pixel = canvas_pixel(page, at)
    assert i >= 0 and pixel != BACKGROUND
