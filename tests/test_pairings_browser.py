"""Pair pages in a real browser (Debian's chromium through Playwright) on the session's sample build:
the viewer fills the same layout as a pre-rendered page, copy-link works, a printed pairing fits one
A4 and one Letter page with both works side by side and the address, deep links select a condition.

Skipped with a reason when Playwright or chromium is missing.
"""

from __future__ import annotations

import re

import pytest

from atlas.site import urls

from .browser_support import LocalSite, find_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = find_chromium()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")]


@pytest.fixture(scope="module")
def site(sample_build):
    """(config, origin + base_url) of the sample build served on a free local port."""
    config, _ = sample_build
    local = LocalSite(config.output_dir, config.base_url)
    yield config, local.base
    local.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    foreign: list[str] = []
    errors: list[str] = []

    def route(r):
        if r.request.url.startswith(site[1].split("/atlas/")[0]):
            r.continue_()
        else:
            foreign.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    context.close()
    assert not foreign, f"requests to other hosts: {foreign}"
    assert not errors, f"console errors: {errors}"


def _a_prerendered_pair(config) -> tuple[str, str]:
    folder = next(p for p in sorted((config.output_dir / "pair").glob("*/*")) if (p / "index.html").is_file())
    return urls.unslug(folder.parent.name), urls.unslug(folder.name)


def _slots(pg) -> dict[str, str]:
    return pg.evaluate("""() => Object.fromEntries([...document.querySelectorAll('[data-slot]')]
        .filter(e => !['body', 'message', 'title'].includes(e.dataset.slot) && !e.dataset.slot.endsWith('.url')
                     && !e.dataset.slot.endsWith('.image'))
        .map(e => [e.dataset.slot, e.textContent.trim().replace(/\\s+/g, ' ')]))""")


def _boxes(pg) -> list[dict]:
    return [pg.locator(".pair-side").nth(i).bounding_box() for i in range(2)]


def test_viewer_shows_any_pair_like_its_prerendered_page(page, site):
    config, base = site
    a, b = _a_prerendered_pair(config)
    page.goto(base + urls.page_path("pair", (a, b)))
    static_slots, static_boxes = _slots(page), _boxes(page)
    page.goto(base + urls.page_path("pair_viewer") + f"?a={a}&b={b}")
    page.wait_for_selector('[data-slot="body"]:not([hidden])')
    page.wait_for_function("document.querySelector('[data-slot=\"b.image\"]').complete")
    viewer_slots = _slots(page)
    assert viewer_slots == static_slots  # same titles, bylines, cultures, media, ids, similarity, conditions
    assert _boxes(page) == static_boxes  # and the same layout, to the pixel
    assert page.locator('[data-slot="a.image"]').get_attribute("src") == config.base_url + urls.thumb_path(max(config.thumbnails.sizes), a)


def test_viewer_explains_an_unknown_id_and_a_missing_script(site, browser):
    _, base = site
    context = browser.new_context()  # not the guarded page: the missing work's JSON is a (logged) 404
    try:
        pg = context.new_page()
        pg.goto(base + "pair/?a=S0001&b=NO-SUCH-WORK")
        message = pg.locator('[data-slot="message"]')
        message.wait_for()
        assert "The work NO-SUCH-WORK is not in this atlas" in message.text_content()
        assert pg.locator('[data-slot="body"]').is_hidden()
    finally:
        context.close()
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto(base + "pair/?a=S0001&b=S0002")
        assert "It needs JavaScript" in pg.locator("main").inner_text()
    finally:
        context.close()


def test_copy_link_puts_the_page_address_on_the_clipboard(page, site):
    config, base = site
    a, b = _a_prerendered_pair(config)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    address = base + urls.page_path("pair", (a, b))
    page.goto(address)
    page.get_by_role("button", name="Copy link").click()
    page.wait_for_function("document.querySelector('[data-share-status]').textContent.length > 0")
    assert page.locator("[data-share-status]").text_content() == "Link copied."
    assert page.evaluate("navigator.clipboard.readText()") == address
    assert page.locator("[data-page-url]").text_content() == address


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_a_printed_pairing_is_one_page_side_by_side_with_the_address(page, site, paper):
    config, base = site
    a, b = _a_prerendered_pair(config)
    address = base + urls.page_path("pair", (a, b))
    page.goto(address)
    page.emulate_media(media="print")
    left, right = _boxes(page)
    assert abs(left["y"] - right["y"]) < 1 and left["x"] + left["width"] <= right["x"]
    assert page.locator(".pair-url").is_visible() and address in page.locator(".pair-url").text_content()
    assert not page.locator("[data-copy-link]").is_visible() and not page.locator(".site-header nav").is_visible()
    pdf = page.pdf(format=paper, print_background=False)
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages == 1, f"{paper}: the pairing printed on {pages} pages"


def test_a_deep_link_selects_a_condition_without_script(browser, site):
    _, base = site
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        page = base + urls.page_path("work", "S0001")
        pg.goto(page)
        pictured = pg.evaluate("document.querySelector('.analogy-row[data-field=culture]').dataset.group")
        listed = pg.evaluate("document.querySelector('li[data-group]:not([data-group=\"%s\"])').dataset.group" % pictured)
        pg.goto(page + "#" + urls.condition_anchor("culture", pictured))  # the row pictured on the page
        assert pg.evaluate("document.querySelector(':target').id") == f"culture-{pictured}"
        assert pg.evaluate("document.querySelector(':target h3').textContent") == pictured
        pg.goto(page + "#" + urls.condition_anchor("culture", listed))  # a group listed as one link
        assert pg.evaluate("document.querySelector(':target').id") == f"culture-{listed}"
        assert listed in pg.evaluate("document.querySelector(':target').textContent")
    finally:
        context.close()
