"""Journeys in a real browser (Debian's chromium through Playwright): the page's answer equals the Python
reference (atlas.analysis.journey_graph) on the same graph files, for random pairs of a small built
collection, of the bundled sample and of a synthetic 100k-work graph; `via` is honoured; the no-path case is said plainly; the
page works from a sub-path (/sub/) and keeps answering offline once its shards are loaded.

The small collection is built once per module (40 works, shards of 8 works so a journey walks several).
"""

from __future__ import annotations

import io
import random
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.analysis import journey_graph as jg
from atlas.core.config import JourneysConfig
from atlas.site import urls
from atlas.site.journeys import GRAPH_DIR, graph_outputs

from .browser_support import LocalSite, find_chromium
from .conftest import write_small_collection
from .journey_support import read_graph, synthetic_graph

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = find_chromium()
pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (apt-get install chromium)")]
BASE = "/sub/"
CULTURES = ("Dutch", "Chinese", "Japanese", "Persian")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The published folder of a 40-work collection built with base_url /sub/ and graph shards of 8 works."""
    from atlas.build import build
    from atlas.core.config import load_config

    folder = tmp_path_factory.mktemp("journeys")
    (folder / "img").mkdir()
    rng = random.Random(5)
    rows = []
    for i in range(40):
        colour = tuple(rng.randrange(256) for _ in range(3))
        Image.new("RGB", (48, 48), colour).save(folder / "img" / f"{i}.png")
        rows.append({"id": f"W{i:03d}", "title": f"Work {i} <b>", "artist": "Anon", "date": "1800",
                     "culture": CULTURES[i % 4], "medium": ("Oil", "Ink")[i % 2], "image": f"img/{i}.png",
                     "credit": f"Gift of donor #{i:03d}"})
    config = load_config(write_small_collection(folder, rows, "Journeys", journeys={"shard_size": 8}))
    config.base_url = BASE
    build(config)
    return config.output_dir


def serve_copy(built: Path, tmp: Path, graph: jg.JourneyGraph | None = None, ids: list[str] | None = None) -> LocalSite:
    """Serve a copy of the built site, its journey graph replaced by `graph` when given."""
    target = tmp / "site"
    shutil.copytree(built, target)
    if graph is not None:
        shutil.rmtree(target / GRAPH_DIR)
        (target / GRAPH_DIR).mkdir()
        rows = [[i, f"Synthetic {i}", "", urls.slug(i)] for i in ids]
        for out in graph_outputs(graph, rows, JourneysConfig.shard_size, jg.MAX_WORKS, 64):
            (target / out.path).write_bytes(out.data)
    return LocalSite(target, BASE)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    pg = context.new_page()
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(f"{m.text} ({m.location.get('url')})") if m.type == "error" else None)
    pg.on("requestfailed", lambda r: errors.append(f"failed: {r.url}"))
    yield pg
    context.close()
    # Chromium fetches the favicon again by itself after a pushState; offline that fails, and is not the page's
    errors = [e for e in errors if "favicon.svg" not in e]
    assert not errors, f"console errors: {errors}"


def browser_journey(pg, a: str, b: str, via: list[str], base: str = BASE) -> dict | None:
    return pg.evaluate(
        """async ([url, a, b, via]) => {
             const g = new window.atlasJourney.Graph(url);
             const r = await window.atlasJourney.journey(g, a, b, via);
             return r && {path: r.path, steps: r.steps, error: r.error || null};
           }""", [base + GRAPH_DIR, a, b, via])


def reference(graph, ids, a, b, via=()):
    found = jg.find_journey(graph, ids.index(a), ids.index(b), jg.via_numbers(graph, list(via)))
    return found and {"path": [ids[i] for i in found.path], "steps": list(found.steps), "error": None}


def compare_random_pairs(pg, graph, ids, pairs: int, seed: int, via=(), base: str = BASE) -> int:
    rng = random.Random(seed)
    answered = 0
    for _ in range(pairs):
        a, b = rng.sample(ids, 2)
        want = reference(graph, ids, a, b, via)
        got = browser_journey(pg, a, b, [f"{f}:{g}" for f, g in via], base)
        assert got == want, (a, b, via)
        assert got is None or len(set(got["path"])) == len(got["path"]), got  # no work twice
        answered += want is not None
    return answered


def test_browser_equals_reference_on_the_built_collection(built, tmp_path, page):
    graph, ids = read_graph(built / GRAPH_DIR)
    site = serve_copy(built, tmp_path)
    try:
        page.goto(site.base + "journey/", wait_until="load")
        assert compare_random_pairs(page, graph, ids, 25, seed=1) >= 20
        assert compare_random_pairs(page, graph, ids, 15, seed=2, via=[("culture", "Persian"), ("medium", "Ink")]) >= 5
    finally:
        site.close()


def test_browser_equals_reference_on_the_sample(sample_build, page):
    """The bundled sample (480 works, built by the session's sample_build at /atlas/): random pairs, and
    random pairs by way of the sample's first culture."""
    config, _ = sample_build
    graph, ids = read_graph(config.output_dir / GRAPH_DIR)
    site = LocalSite(config.output_dir, config.base_url)
    try:
        page.goto(site.base + "journey/", wait_until="load")
        assert compare_random_pairs(page, graph, ids, 12, seed=6, base=config.base_url) >= 10
        first = graph.group_names["culture"][0]
        compare_random_pairs(page, graph, ids, 6, seed=7, via=[("culture", first)], base=config.base_url)
    finally:
        site.close()


def test_page_shows_the_journey_from_a_sub_path_and_offline(built, tmp_path, page):
    graph, ids = read_graph(built / GRAPH_DIR)
    a, b = ids[3], ids[30]
    want = reference(graph, ids, a, b, [("culture", "Chinese")])
    site = serve_copy(built, tmp_path)
    try:
        page.goto(site.base + f"journey/?from={a}&to={b}&via=culture:Chinese", wait_until="load")
        page.wait_for_selector("[data-done]")
        steps = page.eval_on_selector_all(".journey-step", "els => els.map(e => [e.dataset.a, e.dataset.b])")
        assert [s[0] for s in steps] + [steps[-1][1]] == want["path"]
        chinese = {w for w, c in zip(ids, graph.groups["culture"]) if graph.group_names["culture"][c] == "Chinese"}
        assert chinese & set(want["path"])
        links = page.eval_on_selector_all(".journey-step a", "els => els.map(e => e.getAttribute('href'))")
        assert links and all(link.startswith(BASE) for link in links)
        page.screenshot(path=str(tmp_path / "journey.png"))
        print(f"screenshot: {tmp_path / 'journey.png'}")
        # offline: the journey found again (form, no reload) from the shards already in memory; any fetch
        # would fail (and be a console error); the favicon is fetched lazily, so wait for the network first
        page.wait_for_load_state("networkidle")
        page.context.set_offline(True)
        page.evaluate("document.querySelector('[data-done]').removeAttribute('data-done');"
                      "document.querySelector('[data-slot=steps]').textContent = ''")
        page.click(".journey-form button[type=submit]")
        page.wait_for_selector("[data-done]")
        offline = page.eval_on_selector_all(".journey-step", "els => els.map(e => e.dataset.a)")
        assert offline == want["path"][:-1]
        page.context.set_offline(False)
    finally:
        site.close()


def test_no_path_is_said_plainly(built, tmp_path, page):
    # two separate rings of 10 works: no chain joins them
    ids = [f"R{i:02d}" for i in range(20)]
    lists = {w: {"culture": {"x": [(ids[(i + 1) % 10 + 10 * (i // 10)], 0.9)]}} for i, w in enumerate(ids)}
    graph = jg.graph_from_analogies(ids, lists, {"culture": ["x"] * 20}, k=3)
    site = serve_copy(built, tmp_path, graph, ids)
    try:
        assert reference(graph, ids, "R01", "R15") is None
        page.goto(site.base + "journey/?from=R01&to=R15", wait_until="load")
        page.wait_for_selector("[data-done]")
        assert "No chain of at most 8 works" in page.inner_text("[data-slot=status]")
        assert page.locator(".journey-step").count() == 0
        assert browser_journey(page, "R01", "R09", []) == reference(graph, ids, "R01", "R09")
        page.goto(site.base + "journey/?from=R01&to=NOPE", wait_until="load")
        page.wait_for_selector("[data-done]")
        assert "NOPE is not in this atlas" in page.inner_text("[data-slot=status]")
    finally:
        site.close()


def test_via_never_passes_a_work_twice_in_the_browser(built, tmp_path, page):
    """The best chains through China would be A X C X E and B D B F; the page, like the reference, answers
    A X C Y E (X once) and B D Z F (never back to the start)."""
    ids = ["A", "B", "C", "D", "E", "F", "X", "Y", "Z"]
    x = "culture"
    lists = {"A": {x: {"x": [("X", 0.9)]}}, "X": {x: {"x": [("C", 0.9), ("E", 0.9)]}},
             "C": {x: {"x": [("X", 0.9), ("Y", 0.5)]}}, "Y": {x: {"x": [("E", 0.5)]}},
             "B": {x: {"x": [("D", 0.9), ("F", 0.9)]}}, "D": {x: {"x": [("B", 0.9), ("Z", 0.5)]}}, "Z": {x: {"x": [("F", 0.5)]}}}
    labels = {x: ["China" if w in "CD" else "x" for w in ids]}
    graph = jg.graph_from_analogies(ids, lists, labels, k=5)
    site = serve_copy(built, tmp_path, graph, ids)
    try:
        page.goto(site.base + "journey/", wait_until="load")
        for a, b, want in (("A", "E", ["A", "X", "C", "Y", "E"]), ("B", "F", ["B", "D", "Z", "F"])):
            got = browser_journey(page, a, b, ["culture:China"])
            assert got == reference(graph, ids, a, b, [("culture", "China")])
            assert got["path"] == want
    finally:
        site.close()


def test_browser_equals_reference_on_a_synthetic_100k_graph(built, tmp_path, page):
    graph, ids = synthetic_graph(100_000, 10, seed=3)
    site = serve_copy(built, tmp_path, graph, ids)
    try:
        page.goto(site.base + "journey/", wait_until="load")
        assert compare_random_pairs(page, graph, ids, 6, seed=4) >= 1
        compare_random_pairs(page, graph, ids, 3, seed=5, via=[("culture", "C03")])
        assert np.all(np.diff(graph.offsets) > 0)
        # several journeys at once on one graph object (as the worksheet page asks them): each its own answer
        rng = random.Random(9)
        starts = [rng.randrange(len(ids)) for _ in range(8)]
        pairs = [(ids[i], ids[(i + rng.randrange(1, 6000)) % len(ids)]) for i in starts]
        got = page.evaluate(
            """async ([url, pairs]) => {
                 const plain = window.fetch; // each file answered after a random delay, so the walks interleave
                 window.fetch = (...args) => new Promise((r) => setTimeout(r, Math.random() * 30)).then(() => plain(...args));
                 const g = new window.atlasJourney.Graph(url);
                 const all = await Promise.all(pairs.map(([a, b]) => window.atlasJourney.journey(g, a, b, ["culture:C03"])));
                 window.fetch = plain;
                 return all.map((r) => r && {path: r.path, steps: r.steps, error: r.error || null});
               }""", [BASE + GRAPH_DIR, pairs])
        want = [reference(graph, ids, a, b, [("culture", "C03")]) for a, b in pairs]
        assert got == want and sum(w is not None for w in want) >= 2
    finally:
        site.close()


# -- worksheets ------------------------------------------------------------------------------------------
def worksheet_codes(pg) -> list[str]:
    pg.wait_for_function("[...document.querySelectorAll('.worksheet-item')].every(e => e.dataset.ready)")
    return pg.eval_on_selector_all(".worksheet-item", "els => els.map(e => e.dataset.code)")


def test_worksheet_by_clicking_reload_share_and_print(built, tmp_path, browser):
    from pypdf import PdfReader

    pair = next(p for p in sorted((built / "pair").glob("*/*")) if (p / "index.html").is_file())
    a, b = urls.unslug(pair.parent.name), urls.unslug(pair.name)
    journey = next(p for p in sorted((built / "journey").glob("*/*")) if (p / "index.html").is_file())
    site = serve_copy(built, tmp_path)
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    try:
        pg.goto(site.base + f"pair/{pair.parent.name}/{pair.name}/", wait_until="load")
        pg.click("[data-worksheet-add]")
        pg.goto(site.base + f"journey/{journey.parent.name}/{journey.name}/", wait_until="load")
        pg.click("[data-worksheet-add]")
        pg.goto(site.base + "journey/?from=W001&to=W020&via=culture:Japanese", wait_until="load")
        pg.wait_for_selector("[data-done]")
        pg.click("[data-worksheet-add]")
        assert "3 items" in pg.inner_text("[data-worksheet-status]")
        pg.goto(site.base + "worksheet/", wait_until="load")
        first = [f"p.{a}.{b}", f"j.{urls.unslug(journey.parent.name)}.{urls.unslug(journey.name)}", "j.W001.W020.culture%3AJapanese"]
        assert worksheet_codes(pg) == first
        pg.locator(".worksheet-item").nth(2).get_by_role("button", name="Move up").click()
        pg.locator(".worksheet-item").nth(0).get_by_role("button", name="Remove").click()
        pg.reload(wait_until="load")
        kept = worksheet_codes(pg)
        assert kept == [first[2], first[1]]
        share = pg.inner_text("[data-slot=share]")
        for paper in ("A4", "Letter"):
            printed = pg.pdf(format=paper)
            (tmp_path / f"worksheet-{paper}.pdf").write_bytes(printed)  # the printed worksheet, to look at
            print(f"printed worksheet: {tmp_path / f'worksheet-{paper}.pdf'}")
            pdf = PdfReader(io.BytesIO(printed))
            text = " ".join(p.extract_text() for p in pdf.pages)
            assert len(pdf.pages) == 1, paper  # two items, one per half page
            captions = pg.eval_on_selector_all(".worksheet-item figcaption strong", "els => els.map(e => e.textContent)")
            for caption in captions:
                assert caption in text, (paper, caption)
            assert "Gift of donor #001" in " ".join(text.split())  # W001 starts the kept journey: its credit is printed
            for url in pg.eval_on_selector_all(".worksheet-item > .worksheet-url", "els => els.map(e => e.textContent)"):
                assert url in text.replace("\n", ""), (paper, url)
        pg.emulate_media(media="print")
        pg.screenshot(path=str(tmp_path / "worksheet-print.png"), full_page=True)
        print(f"screenshot: {tmp_path / 'worksheet-print.png'}")
        fresh = browser.new_context()
        other = fresh.new_page()
        other.goto(share, wait_until="load")
        assert worksheet_codes(other) == kept
        fresh.close()
    finally:
        context.close()
        site.close()
    assert not errors


def test_a_share_link_of_30_items_fits_the_stated_limit(built, tmp_path, browser):
    """30 pairs of 25-character ids (not in the atlas: their cards say so, and their JSON answers 404)."""
    from atlas.site.journeys import SHARE_LIMIT

    site = serve_copy(built, tmp_path)
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(site.base + "worksheet/", wait_until="load")
        items = [{"kind": "pair", "a": f"{i:025d}", "b": f"{i + 1:025d}"} for i in range(30)]
        page.evaluate("items => localStorage.setItem('atlas-worksheet:' + document.querySelector('link[rel=icon]')"
                      ".getAttribute('href').replace(/assets\\/favicon\\.svg$/, ''), JSON.stringify(items))", items)
        page.reload(wait_until="load")
        assert page.locator(".worksheet-item").count() == 30
        length = int(page.get_attribute("[data-slot=share]", "data-length"))
        assert length < SHARE_LIMIT, length
    finally:
        context.close()
        site.close()


# -- pre-rendered journeys (no browser needed; they share the module's build) --------------------------------
def prerendered_paths(site: Path) -> dict[tuple[str, str], list[str]]:
    """{(from, to): [ids of the chain]} of every pre-rendered journey page."""
    import re

    out = {}
    for page in sorted(site.glob("journey/*/*/index.html")):
        html = page.read_text(encoding="utf-8")
        steps = re.findall(r'class="journey-step" data-a="([^"]+)" data-b="([^"]+)"', html)
        key = (urls.unslug(page.parent.parent.name), urls.unslug(page.parent.name))
        out[key] = [s[0] for s in steps] + [steps[-1][1]] if steps else []
    return out


def test_prerendered_journeys_follow_the_reference_and_are_kept_by_the_ledger(built):
    from atlas.build import build
    from atlas.core.config import load_config

    graph, ids = read_graph(built / GRAPH_DIR)
    pages = prerendered_paths(built)
    assert len(pages) >= 3  # the featured pairs of the four cultures
    for (a, b), chain in pages.items():
        want = reference(graph, ids, a, b)
        assert chain == (want["path"] if want else [])
    ledger = (built / "_atlas" / "ledger.json").read_text(encoding="utf-8")
    assert all(f"journey/{urls.slug(a)}/{urls.slug(b)}/" in ledger for a, b in pages)
    config = load_config(built.parent.parent / "site.yaml")
    config.base_url = BASE
    config.journeys.featured = 0  # none chosen now: the published ones stay, from the ledger
    build(config)
    assert prerendered_paths(built) == pages


def test_pair_viewer_offers_the_worksheet_and_a_journey_from_its_query(built, tmp_path, page):
    site = serve_copy(built, tmp_path)
    try:
        page.goto(site.base + "pair/?a=W001&b=W002", wait_until="load")
        page.wait_for_selector("[data-worksheet-add]:not([hidden])")
        assert page.input_value("input[name=journey_from]") == "W002"
        page.click("[data-worksheet-add]")
        assert "1 items" in page.inner_text("[data-worksheet-status]")
    finally:
        site.close()
