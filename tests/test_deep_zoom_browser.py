"""The deep-zoom viewer in a real browser (Debian's chromium through Playwright): it opens on an artwork page
of a small atlas with one large image, zooms in, fetches deeper tiles from the site's own iiif/ folder, and
makes no request to any other host (the site is built for another origin, so a viewer that trusted the ids
in info.json would ask that host). Skipped with a reason when Playwright or chromium is missing."""

from __future__ import annotations

import pytest

from atlas.build import build
from atlas.core.config import load_config

from .browser_support import GuardedPage, LocalSite, find_chromium
from .test_iiif_out import small_atlas

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = find_chromium()
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("zoom-atlas")
    config = load_config(small_atlas(folder), {"site_url": "https://elsewhere.example.org", "base_url": "/atlas/"})
    build(config)
    local = LocalSite(config.output_dir, "/atlas/")
    yield local
    local.close()


def tile_requests(requests: list[str]) -> list[str]:
    return [url for url in requests if "/iiif/L1/image/" in url and url.endswith("/default.jpg")]


def full_resolution(url: str) -> bool:
    """A tile at scale factor 1: its region is as wide as its size (.../x,y,w,h/w,h/0/default.jpg)."""
    region, size = url.split("/iiif/L1/image/")[1].split("/")[:2]
    return region != "full" and region.split(",")[2] == size.split(",")[0]


def wait_until(page, check, seconds: float = 20.0) -> bool:
    """Let the page run until check() holds (Playwright's own waits cannot watch Python state)."""
    for _ in range(int(seconds * 10)):
        if check():
            return True
        page.wait_for_timeout(100)
    return check()


def test_the_viewer_opens_and_zooms_with_no_foreign_request(browser, site, tmp_path):
    guarded = GuardedPage(browser, site, tmp_path / "shots", 1200, 900, javascript=True)
    bad: list[str] = []
    guarded.page.on("response", lambda r: bad.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    try:
        page = guarded.goto("work/L1/")
        assert not tile_requests(guarded.requests), "nothing is tiled before the reader asks to zoom"
        page.click(".deep-zoom-open")
        page.wait_for_function("window.atlasDeepZoom && window.atlasDeepZoom.world.getItemCount() === 1", timeout=20_000)
        assert wait_until(page, lambda: tile_requests(guarded.requests)), "the viewer drew the work from the site's tiles"
        assert page.is_visible(".deep-zoom-viewer canvas") and not page.is_visible(".artwork-image img")
        assert not any(full_resolution(url) for url in tile_requests(guarded.requests))
        for _ in range(3):
            page.click("[data-zoom=in]")
        page.wait_for_function("window.atlasDeepZoom.viewport.getZoom() > 2", timeout=20_000)
        assert wait_until(page, lambda: any(full_resolution(url) for url in tile_requests(guarded.requests))), \
            "zooming in fetched full-resolution tiles"
        page.wait_for_timeout(500)
        guarded.shot("deep-zoom-zoomed")
        assert not bad, f"requests the site could not answer: {bad}"
        guarded.check()  # no request left 127.0.0.1, no console error
    finally:
        guarded.close()


def test_the_larger_view_hands_over_to_deep_zoom(browser, site, tmp_path):
    """A work with both: its larger view (a dialog) offers "Zoom into the full image", which closes the dialog
    and starts the deep-zoom viewer in the page."""
    guarded = GuardedPage(browser, site, tmp_path / "shots", 1200, 900, javascript=True)
    try:
        page = guarded.goto("work/L1/")
        page.click("a.larger-link")
        assert page.evaluate("document.querySelector('dialog.larger-dialog').open")
        page.click("[data-larger-zoom]")
        page.wait_for_function("window.atlasDeepZoom && window.atlasDeepZoom.world.getItemCount() === 1", timeout=20_000)
        assert not page.evaluate("document.querySelector('dialog.larger-dialog').open")
        assert page.is_visible(".deep-zoom-viewer canvas") and not page.is_visible("a.larger-link")
        guarded.check()
    finally:
        guarded.close()
