"""The larger view in Debian's chromium (issue 15): the artwork image opens its larger file in a modal dialog,
which Escape and the close button shut, giving focus back to the image's link; without script the same link
is a plain link to the file; axe-core finds nothing with the dialog open. On the small credited collection
(tests/pages_support.py: every image larger than its 128 px page image)."""

from __future__ import annotations

import pytest

from atlas.site import urls

from .axe_support import axe_source, violations
from .browser_support import LocalSite, find_chromium, guarded_pages

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = find_chromium()
pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")]
WORK = "S03"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from atlas.build import build
    from atlas.core.config import load_config

    from .pages_support import write_credited_collection

    config = load_config(write_credited_collection(tmp_path_factory.mktemp("larger-view")))
    build(config)
    local = LocalSite(config.output_dir, config.base_url)
    yield local
    local.close()


@pytest.fixture
def open_page(browser, tmp_path):
    with guarded_pages(browser, tmp_path / "screenshots") as new:
        yield new


STATE = """() => ({open: document.querySelector('dialog.larger-dialog').open,
  focus: document.activeElement.className, loaded: document.querySelector('.larger-image').naturalWidth})"""


def test_the_image_opens_its_larger_view_in_a_dialog_and_focus_comes_back(site, open_page):
    gp = open_page(site, 1366, 900)
    page = gp.goto(urls.page_path("work", WORK))
    assert page.evaluate("document.querySelector('.larger-image').getAttribute('src')") is None  # not loaded yet
    page.locator("a.larger-link").click()
    page.wait_for_function("document.querySelector('.larger-image').complete && document.querySelector('.larger-image').naturalWidth > 0")
    assert page.evaluate(STATE) == {"open": True, "focus": "larger-close", "loaded": 344}
    gp.shot("larger-view-open")
    source, _ = axe_source()
    if source:
        assert violations(page, source) == []
    page.keyboard.press("Escape")
    assert page.evaluate(STATE)["open"] is False and page.evaluate(STATE)["focus"] == "larger-link"
    page.locator("a.larger-link").click()
    page.locator("button.larger-close").click()
    assert page.evaluate(STATE)["open"] is False and page.evaluate(STATE)["focus"] == "larger-link"


def test_without_script_the_image_is_a_link_to_the_larger_file(site, open_page):
    gp = open_page(site, 390, 844, javascript=False)
    page = gp.goto(urls.page_path("work", WORK))
    with page.expect_navigation() as went:
        page.locator("a.larger-link").click()
    response = went.value
    assert response.ok and response.headers["content-type"] == "image/jpeg"
    assert page.url.endswith("/larger/S03.jpg")
