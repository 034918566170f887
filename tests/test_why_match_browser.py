"""Why this match and the pair viewer's canonical link in Debian's chromium (issue 15), on the small credited
collection built with the weights-free fallback and heat maps (tests/pages_support.py): the viewer says
what a listed pair shares exactly as its pre-rendered page does, shows the two heat maps, reads the same
percentile, points rel=canonical at the pre-rendered page; for a pair outside the lists it says plainly that
no breakdown exists; a card's "Why this match" opens on a phone and axe-core finds nothing there."""

from __future__ import annotations


import pytest

from atlas.site import urls
from atlas.site.work_json import read_work_json

from .axe_support import axe_source, violations
from .browser_support import built_and_served, find_chromium, guarded_pages

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = find_chromium()
pytestmark = [pytest.mark.browser, pytest.mark.slow,  # one small fallback build, ~15 s on two cores
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from .pages_support import write_fallback_collection

    yield from built_and_served(write_fallback_collection(tmp_path_factory.mktemp("why-browser")))


@pytest.fixture
def open_page(browser, tmp_path):
    with guarded_pages(browser, tmp_path / "screenshots") as new:
        yield new


WHY = """() => ({
  parts: (document.querySelector('[data-slot="why"] .why-parts') || {}).textContent || '',
  maps: [...document.querySelectorAll('[data-slot="why"] .why-heatmaps img.heat-grid')].map((i) => i.getAttribute('src')),
  untrained: !!document.querySelector('[data-slot="why"] .untrained'),
  percentile: document.querySelector('[data-slot="percentile"]').textContent.trim(),
  canonical: document.querySelector('link[rel="canonical"]').href})"""


def _listed(config, work_id: str) -> set[str]:
    """The works this work's JSON lists as its analogies."""
    work = read_work_json((config.output_dir / urls.work_data_path(work_id)).read_text(encoding="utf-8"))
    return {other for groups in work["analogies"].values() for pairs in groups.values() for other, _ in pairs}


def _pair_page_state(gp, a: str, b: str) -> dict:
    page = gp.goto(urls.page_path("pair", (a, b)))
    return page.evaluate(WHY)


def test_the_viewer_says_why_as_the_pair_page_does_and_links_it_as_canonical(site, open_page):
    config, local = site
    gp = open_page(local, 1366, 900)
    expected = _pair_page_state(gp, "S03", "S00")
    assert expected["parts"].startswith("What they share: ") and len(expected["maps"]) == 2 and expected["untrained"]
    page = gp.goto(urls.page_path("pair_viewer") + "?a=S03&b=S00")
    page.wait_for_function("document.querySelector('[data-slot=\"why\"] .why-parts') && "
                           "!document.querySelector('[data-slot=\"percentile\"]').hidden")
    found = page.evaluate(WHY)
    assert found["parts"] == expected["parts"] and found["maps"] == expected["maps"] and found["untrained"]
    assert found["percentile"] == expected["percentile"] != ""
    assert found["canonical"] == local.base + urls.page_path("pair", ("S03", "S00"))
    page.wait_for_function("[...document.querySelectorAll('.why-heatmaps img')].every((i) => i.complete && i.naturalWidth > 0)")
    gp.shot("viewer-why")


def test_a_pair_outside_the_lists_says_no_breakdown_exists(site, open_page):
    config, local = site
    ids = [f"S{n:02d}" for n in range(12)]
    listed = {work_id: _listed(config, work_id) for work_id in ids}
    other = next(o for o in ids if o != "S03" and o not in listed["S03"] and "S03" not in listed[o])
    gp = open_page(local, 390, 844)
    page = gp.goto(urls.page_path("pair_viewer") + f"?a=S03&b={other}")
    page.wait_for_function("document.querySelector('[data-slot=\"why\"] .why-parts')")
    found = page.evaluate(WHY)
    assert found["parts"].startswith("No breakdown of the score exists for this pair")
    assert len(found["maps"]) == 2  # the heat maps are each work's own
    assert found["canonical"] == local.base + urls.page_path("pair_viewer")  # no pre-rendered page to point at


def test_a_cards_why_opens_on_a_phone_with_no_axe_violation(site, open_page):
    _, local = site
    gp = open_page(local, 390, 844)
    page = gp.goto(urls.page_path("work", "S03"))
    summary = page.locator(".analogy-row.is-shown .why-match summary").first
    summary.scroll_into_view_if_needed()
    assert summary.bounding_box()["height"] >= 24
    summary.click()
    details = page.locator(".analogy-row.is-shown .why-match").first
    assert details.get_attribute("open") is not None
    assert details.locator(".why-parts").inner_text().startswith("What they share: ")
    details.locator(".why-heatmaps img").last.scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('.why-match[open] .why-heatmaps img')].every((i) => i.complete && i.naturalWidth > 0)")
    gp.shot("card-why-390")
    source, _ = axe_source()
    if source:
        assert violations(page, source) == []


@pytest.mark.parametrize("kind", ["prerendered", "viewer"])
def test_a_pair_with_heat_maps_still_prints_on_one_page_with_its_shares(site, open_page, kind):
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed (pip install -e '.[test]')")
    import io

    _, local = site
    gp = open_page(local, 1366, 900)
    path = urls.page_path("pair", ("S03", "S00")) if kind == "prerendered" else urls.page_path("pair_viewer") + "?a=S03&b=S00"
    page = gp.goto(path)
    page.wait_for_function("document.querySelector('[data-slot=\"why\"] .why-parts')")
    shares = " ".join(page.locator('[data-slot="why"] .why-parts').inner_text().split())
    for paper in ("A4", "Letter"):
        reader = pypdf.PdfReader(io.BytesIO(page.pdf(format=paper)))
        text = " ".join(" ".join(p.extract_text().split()) for p in reader.pages)
        assert len(reader.pages) == 1 and shares in text, (paper, len(reader.pages), text)


def test_cards_drawn_on_demand_say_why_and_link_the_pair_page(site, open_page):
    """A group the page does not picture is drawn by the switcher from the work's JSON (analogies.js): its
    cards carry the same "Why this match" as the pre-rendered pair page they link to."""
    config, local = site
    gp = open_page(local, 1366, 900)
    page = gp.goto(urls.page_path("work", "S03"))
    record = read_work_json((config.output_dir / urls.work_data_path("S03")).read_text(encoding="utf-8"))
    placeholder = page.locator(".analogy-row[data-pending]").first
    row_id, field, group = (placeholder.get_attribute(a) for a in ("id", "data-field", "data-group"))
    page.locator(".switcher-fields button", has_text=page.locator(f'section[data-field="{field}"]').get_attribute("data-field-name")).click()
    page.locator(".switcher-groups button", has_text=group).click()
    page.wait_for_selector(f'[id="{row_id}"][data-ready]', state="attached")
    cards = page.locator(f'[id="{row_id}"] ol > li')
    assert cards.count() == len(record["analogies"][field][group])
    compared = 0
    for i in range(cards.count()):
        card = cards.nth(i)
        card.locator(".why-match summary").click()
        on_card = " ".join(card.locator(".why-parts").inner_text().split())
        assert on_card.startswith(("What they share: ", "No feature family"))
        href = card.locator("a.pair-link").get_attribute("href")
        if "?" not in href:  # a pre-rendered pair page: it says the same
            pair = gp.goto(href.removeprefix(config.base_url))
            assert " ".join(pair.locator(".why-parts").first.inner_text().split()) == on_card
            page = gp.goto(urls.page_path("work", "S03") + "#" + row_id)
            page.wait_for_selector(f'[id="{row_id}"][data-ready]', state="attached")
            cards = page.locator(f'[id="{row_id}"] ol > li')
            compared += 1
    assert compared >= 1


def test_the_works_heat_map_draws_its_grid_over_its_image(site, open_page, tmp_path):
    """The artwork page's heat map (a data: URI of the grid, atlas/site/heatmap_uris.py) is drawn over the work's
    centre square, scaled up smoothly: the figure differs from the bare image, and is not a few flat blocks."""
    import numpy as np
    from PIL import Image

    _, local = site
    gp = open_page(local, 1366, 900)
    page = gp.goto(urls.page_path("work", "S03"))
    stack = page.locator("figure.heatmap .heat")
    stack.scroll_into_view_if_needed()
    page.wait_for_function("[...document.querySelectorAll('figure.heatmap img')].every((i) => i.complete && i.naturalWidth > 0)")
    grid = page.locator("figure.heatmap img.heat-grid")
    assert grid.get_attribute("alt").startswith("Heat map over ") and grid.evaluate("i => i.naturalWidth") <= 16
    box = stack.bounding_box()
    assert box["width"] >= 100 and abs(box["width"] - box["height"]) <= 2  # the square the network saw
    stack.screenshot(path=str(tmp_path / "heat.png"))
    shown = np.asarray(Image.open(tmp_path / "heat.png").convert("RGB"), dtype=np.int16)
    grid.evaluate("i => { i.style.visibility = 'hidden'; }")
    stack.screenshot(path=str(tmp_path / "bare.png"))
    bare = np.asarray(Image.open(tmp_path / "bare.png").convert("RGB"), dtype=np.int16)
    assert np.abs(shown - bare).mean() > 10  # the heat colours cover the work
    steps = np.abs(np.diff(shown[:, :, 0], axis=1))
    assert len(np.unique(shown.reshape(-1, 3), axis=0)) > 100 and steps.max() < 60  # smooth, not 2x2 flat blocks
    print(f"heat map screenshots: {tmp_path / 'heat.png'}, {tmp_path / 'bare.png'}")


def test_the_works_heat_map_prints(site, open_page):
    """The heat map is two <img> (no CSS background, which browsers leave out of print): the printed artwork
    page holds one image more than the same page with the grid taken out."""
    pypdf = pytest.importorskip("pypdf", reason="pypdf is not installed (pip install -e '.[test]')")
    import io

    _, local = site
    gp = open_page(local, 1366, 900)
    page = gp.goto(urls.page_path("work", "S03"))
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach((i) => { i.loading = 'eager'; })")
    page.wait_for_function("[...document.querySelectorAll('figure.heatmap img')].every((i) => i.complete && i.naturalWidth > 0)")

    def images() -> int:  # every image loaded first: one still loading is left out of the PDF, and the counts drift
        page.wait_for_function("[...document.images].every((i) => i.complete)")
        reader = pypdf.PdfReader(io.BytesIO(page.pdf(format="A4")))
        return sum(len(p.images) for p in reader.pages)

    with_grid = images()
    page.evaluate("document.querySelector('figure.heatmap img.heat-grid').remove()")
    assert with_grid == images() + 1
