"""An artwork page's analogy downloads, made in Debian's chromium (assets/downloads.js) from the work's JSON: the
CSV and JSON a visitor saves are byte for byte what atlas/site/downloads.py writes for the same rows (read back
from the whole table, data/tables/analogies.csv.gz), on groups and ids that need CSV quoting and UTF-8; without
scripts the links go to the whole table and the work's JSON (issue 20: no per-work files). The same build (a
network's heat maps, no feature-family shares) checks that a card's "Why this match", left out of the page
to keep it light, is added by the script and draws both works' heat maps when opened."""

from __future__ import annotations

import csv
import gzip
import io
import json
import random
from pathlib import Path

import pytest
from PIL import Image

from atlas.site import urls
from atlas.site.downloads import both

from .browser_support import built_and_served, find_chromium, guarded_pages
from .conftest import write_small_collection

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = find_chromium()
pytestmark = [pytest.mark.browser, pytest.mark.slow,  # one 16-work build, ~10 s on two cores
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")]
CULTURES = ('Dutch, "Golden Age"', "Été", "Chinese")
IDS = [f"W{i:02d}" for i in range(14)] + ["a/b ü", 'q"1,x']


def write_collection(folder: Path) -> Path:
    (folder / "img").mkdir()
    rng = random.Random(4)
    rows = []
    for i, work_id in enumerate(IDS):
        Image.new("RGB", (40, 32), tuple(rng.randrange(256) for _ in range(3))).save(folder / "img" / f"{i}.png")
        rows.append({"id": work_id, "title": f"Work {i}", "artist": "Anon", "date": "1700", "culture": CULTURES[i % 3],
                     "medium": ("Oil, canvas", "Ink")[i % 2], "image": f"img/{i}.png"})
    return write_small_collection(folder, rows, "Downloads in the browser", heatmaps={"enabled": True})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    yield from built_and_served(write_collection(tmp_path_factory.mktemp("downloads-browser")))


@pytest.fixture
def open_page(browser, tmp_path):
    with guarded_pages(browser, tmp_path / "screenshots") as new:
        yield new


def expected_files(site_dir: Path, work_id: str) -> dict[str, bytes]:
    """What the Python writer gives for the work's rows of the whole table (types as analogy_tuples has them)."""
    text = gzip.decompress((site_dir / "data" / "tables" / "analogies.csv.gz").read_bytes()).decode("utf-8-sig")
    rows = [dict(r, rank=int(r["rank"]), similarity=float(r["similarity"]))
            for r in csv.DictReader(io.StringIO(text, newline="")) if r["id"] == work_id]
    assert rows
    return {out.path.rsplit(".", 1)[1]: out.data for out in both("x", "analogies", rows)}


READ = """async () => {
  const out = {};
  for (const a of document.querySelectorAll('[data-work-downloads] a[data-kind]')) {
    const r = await fetch(a.href);
    out[a.dataset.kind] = {bytes: Array.from(new Uint8Array(await r.arrayBuffer())), name: a.download};
  }
  return out;
}"""


@pytest.mark.parametrize("work_id", ["W00", 'q"1,x', "a/b ü"])
def test_the_browser_made_files_equal_the_python_writer(site, open_page, work_id):
    config, local = site
    page = open_page(local, 1200, 900).goto(urls.page_path("work", work_id))
    page.wait_for_selector("[data-work-downloads][data-ready]", state="attached")
    made = page.evaluate(READ)
    expected = expected_files(config.output_dir, work_id)
    assert bytes(made["csv"]["bytes"]) == expected["csv"]
    assert bytes(made["json"]["bytes"]) == expected["json"]
    assert made["csv"]["name"] == f"{urls.slug(work_id)}-analogies.csv"
    data = json.loads(bytes(made["json"]["bytes"]))
    assert {row[2] for row in data["data"]} >= {'Dutch, "Golden Age"', "Oil, canvas"}  # quoted in the CSV
    assert page.locator(".downloads-fallback").is_hidden()


def test_a_click_saves_the_csv(site, open_page):
    config, local = site
    page = open_page(local, 1200, 900).goto(urls.page_path("work", "W01"))
    page.wait_for_selector("[data-work-downloads][data-ready]", state="attached")
    with page.expect_download() as info:
        page.click('[data-work-downloads] a[data-kind="csv"]')
    download = info.value
    assert download.suggested_filename == "W01-analogies.csv"
    assert Path(download.path()).read_bytes() == expected_files(config.output_dir, "W01")["csv"]


def test_without_scripts_the_links_go_to_the_whole_table_and_the_work_json(site, open_page):
    config, local = site
    page = open_page(local, 1200, 900, javascript=False).goto(urls.page_path("work", "W02"))
    hrefs = page.eval_on_selector_all("[data-work-downloads] a[data-kind]", "links => links.map((a) => a.href)")
    assert hrefs == [local.base + "data/tables/analogies.csv.gz", local.base + urls.work_data_path("W02")]
    assert page.locator(".downloads-fallback").is_visible()
    for href in hrefs:
        assert (config.output_dir / href[len(local.base):]).is_file()


def test_a_cards_why_this_match_is_added_by_the_script_and_draws_both_heat_maps(site, open_page):
    config, local = site
    html = (config.output_dir / urls.page_file("work", "W03")).read_text(encoding="utf-8")
    assert "data-why-maps=" in html and 'class="why-match"' not in html  # no per-card block in the page
    page = open_page(local, 1200, 900).goto(urls.page_path("work", "W03"))
    summary = page.locator(".analogy-row.is-shown li[data-why-maps] .why-match summary").first
    summary.scroll_into_view_if_needed()
    summary.click()
    opened = page.locator(".why-match[open]").first
    opened.locator(".why-heatmaps img.heat-grid").last.wait_for()
    grids = opened.locator(".why-heatmaps img.heat-grid")
    assert grids.count() == 2 and grids.first.get_attribute("src").startswith("data:image/png;base64,")
    assert grids.first.get_attribute("alt").startswith("Heat map over Work 3")
    page.wait_for_function("[...document.querySelectorAll('.why-match[open] img')].every((i) => i.complete && i.naturalWidth > 0)")
