"""The compact work JSON read back in a real browser (Debian's chromium through Playwright): the artwork
page's switcher draws the groups the page does not picture from the JSON (work_data.js), and they show the
works the Python writer put there (atlas.site.work_json.read_work_json); the pair viewer, reading the same
files, names the same conditions; readers without scripts keep the pictured rows and the list of the rest.

A 30-work collection in 6 cultures and 2 media, built once per module with render.groups_shown 1, two
further groups listed (pages.MORE_LISTED) and the rest only in the JSON, and an id that needs
tilde-encoding, so the reader's slug is exercised too.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from PIL import Image

from atlas.site import pages, urls
from atlas.site.pairings import viewer_query
from atlas.site.work_json import read_work_json

from .browser_support import LocalSite, find_chromium, guarded_pages
from .conftest import write_small_collection

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
CHROMIUM = find_chromium()
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")]
BASE = "/sub/"
CULTURES = ("Dutch", "Chinese", "Japanese", "Persian", "Côte d'Ivoire", "Mexican")
FIRST = "W 00/a"  # the work whose page is checked: an id with a space and a slash


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from atlas.build import build
    from atlas.core.config import load_config

    folder = tmp_path_factory.mktemp("workjson")
    (folder / "img").mkdir()
    rng = random.Random(20)
    rows = []
    for i in range(30):
        Image.new("RGB", (40, 32), tuple(rng.randrange(256) for _ in range(3))).save(folder / "img" / f"{i}.png")
        rows.append({"id": FIRST if i == 0 else f"W{i:02d}", "title": f"Work {i} <i>", "artist": "Anon", "date": "1900",
                     "culture": CULTURES[i % 6], "medium": ("Oil", "Ink")[i % 2], "image": f"img/{i}.png"})
    config = load_config(write_small_collection(folder, rows, "Work JSON", render={"groups_shown": 1}))
    config.base_url = BASE
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "MORE_LISTED", 2)  # some groups neither pictured nor listed: only in the JSON
        build(config)
    return config.output_dir


@pytest.fixture
def open_page(browser, built, tmp_path):
    site = LocalSite(built, BASE)
    with guarded_pages(browser, tmp_path / "screenshots") as new:
        yield lambda javascript=True: new(site, 1200, 900, javascript)
    site.close()


def card_ids(page, row_id: str) -> list[str]:
    """The work ids a row's cards link to (from their page URLs)."""
    hrefs = page.locator(f'[id="{row_id}"] a.card').evaluate_all("els => els.map(a => new URL(a.href).pathname)")
    return [urls.unslug(h.removeprefix(BASE + "work/").rstrip("/")) for h in hrefs]


def test_the_browser_reader_expands_every_file_as_the_python_reader_does(built, open_page):
    page = open_page().goto(urls.page_path("work", FIRST).removeprefix("/"))
    files = sorted(built.glob("iiif/*/manifest.json"))  # each work's record rides in its manifest
    assert len(files) == 30 and not (built / "data" / "work").exists()
    for path in files:
        raw = path.read_text(encoding="utf-8")
        alone = json.dumps(json.loads(raw)["atlas"])  # the record alone, as data/work/ holds it without manifests
        expected = read_work_json(raw)
        assert expected["id"] and expected == read_work_json(alone), path.name
        for text in (raw, alone):
            assert page.evaluate("(text) => window.atlasWorkData.expand(JSON.parse(text))", text) == expected, path.name


def test_switcher_draws_every_group_from_the_json(built, open_page):
    record = read_work_json((built / urls.work_data_path(FIRST)).read_bytes())
    html = (built / urls.page_file("work", FIRST)).read_text(encoding="utf-8")
    groups = record["analogies"]["culture"]
    pictured = {g for g in groups if f'class="analogy-row" id="{urls.condition_anchor("culture", g)}"' in html}
    assert len(groups) == 6 and 1 <= len(pictured) <= 2  # the closest group and the one the page opens with
    page = open_page().goto(urls.page_path("work", FIRST).removeprefix("/"))
    page.locator(".switcher-fields button", has_text="Culture").click()
    page.wait_for_function("document.querySelectorAll('.switcher-groups button').length === 6")
    buttons = page.locator(".switcher-groups button").all_inner_texts()
    assert buttons == sorted(groups)  # every group, pictured or not, is offered
    drawn = 0
    for group, pairs in groups.items():
        page.locator(".switcher-groups button", has_text=group).click()
        row = urls.condition_anchor("culture", group)
        if group not in pictured:
            drawn += 1
            page.wait_for_selector(f'[id="{row}"][data-ready]', state="attached")
        assert card_ids(page, row) == [other for other, _ in pairs], group
        notes = page.locator(f'[id="{row}"] .card-note').all_inner_texts()
        assert all(n.startswith("closer than ") for n in notes) and len(notes) == len(pairs)
        assert page.locator(f'[id="{row}"] a.card img').first.get_attribute("alt").startswith("Work ")
    assert drawn == 6 - len(pictured) >= 4


def test_a_deep_link_opens_a_group_the_page_does_not_name(built, open_page):
    record = read_work_json((built / urls.work_data_path(FIRST)).read_bytes())
    html = (built / urls.page_file("work", FIRST)).read_text(encoding="utf-8")
    unnamed = [g for g in record["analogies"]["culture"] if f'id="{urls.condition_anchor("culture", g)}"' not in html]
    assert unnamed
    row = urls.condition_anchor("culture", unnamed[0])
    page = open_page().goto(urls.page_path("work", FIRST).removeprefix("/") + "#" + row)
    page.wait_for_selector(f'[id="{row}"][data-ready]', state="attached")
    assert page.evaluate("Array.from(document.querySelectorAll('.analogy-row')).filter(r => r.offsetParent !== null).map(r => r.id)") == [row]
    assert card_ids(page, row) == [other for other, _ in record["analogies"]["culture"][unnamed[0]]]


def test_pair_viewer_names_the_conditions_of_the_json(built, open_page):
    a = read_work_json((built / urls.work_data_path(FIRST)).read_bytes())
    _, pairs = sorted(a["analogies"]["culture"].items())[1]
    other = pairs[1][0]
    b = read_work_json((built / urls.work_data_path(other)).read_bytes())
    expected = set()
    for q, o in ((a, b), (b, a)):
        for fld in ("culture", "medium"):
            listed = [i for i, _ in q["analogies"].get(fld, {}).get(o[fld], [])]
            if o["id"] in listed:
                expected.add((o[fld], listed.index(o["id"]) + 1, q["title"]))
    page = open_page().goto(f"pair/{viewer_query(FIRST, other)}")
    page.wait_for_selector("[data-slot=body]:not([hidden])")
    items = page.locator("[data-slot=conditions] li").all_inner_texts()
    assert len(items) == len(expected) >= 1
    for grp, rank, query in expected:
        assert any(f"among {grp} works" in t and t.split(" is the ")[1].split(" to ")[1].startswith(query) and
                   (("the closest" in t) if rank == 1 else f"the {rank}" in t) for t in items), (grp, rank, items)
    assert page.locator("[data-slot='b.title']").first.inner_text() == b["title"]


def test_without_scripts_the_rest_is_a_list_of_links(built, open_page):
    record = read_work_json((built / urls.work_data_path(FIRST)).read_bytes())
    page = open_page(javascript=False).goto(urls.page_path("work", FIRST).removeprefix("/"))
    listed = page.locator("section[data-field=culture] .more-groups li").count()
    rows = page.locator("section[data-field=culture] .analogy-row").count()
    total = len(record["analogies"]["culture"])
    assert listed == 2 and 1 <= rows <= 2  # the closest group and the one the page opens with
    assert f"{total - rows} more cultures" in page.locator("section[data-field=culture] summary").inner_text()
    assert f"And {total - rows - listed} further ones" in page.locator("section[data-field=culture] .more-groups p").text_content()
