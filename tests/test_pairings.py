"""Pairings that teachers can link, print and trust: two real builds into the same folder, with the
collection changed in between (works removed, added, renamed, re-described), and every old URL checked.

The builds use 60 works of the sample (10 per culture, all eight subjects) with the test embedder and
the session build's cache, so embeddings are reused; every top-1 pair is pre-rendered (budget 0).
"""

from __future__ import annotations

import csv
import json
import re
from html import unescape
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image, ImageOps

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.ledger import load_renames, resolve_chains
from atlas.site.og_image import CARD_SIZE, panel_boxes
from atlas.site.pairings import top1_pairs
from atlas.site.work_json import read_work_json

from .conftest import sample_config
from .test_build import LinkCollector, target_of

SITE_URL = "https://atlas.example.org"
REMOVED = ["S0019", "S0099", "S0179", "S0259", "S0339", "S0419"]  # one per culture: 10% of the 60
RENAMED = {"S0027": "C/0027", "S0107": "J-0107", "S0267": "B0267"}  # a slash, to test the encoding
RETITLED = {"S0001": "Boat at dusk (retitled)", "S0187": 'Vase with <b>"bold"</b> & co'}
NEW_IDS = ["N0001", "N0002", "N0003", "N0004"]
CURATED = [
    {"a": "S0001", "b": "S0081", "title": "Two boats", "commentary": "Chinese and Japanese boats."},
    {"a": "S0019", "b": "S0161", "title": "A pair that will lose a work", "commentary": "S0019 leaves."},
    {"a": "S0027", "b": "S0241", "title": "A pair whose work is renamed", "commentary": ""},
]


def _subset(rows: list[dict]) -> list[dict]:
    """10 works per culture: in each medium, variant 0 of two subjects (m and m + 4), so all 8 subjects occur."""
    keep = []
    for row in rows:
        index = int(row["id"][1:]) - 1
        medium, rest = divmod(index % 80, 16)
        subject, variant = divmod(rest, 2)
        if variant == 0 and subject in (medium, (medium + 4) % 8):
            keep.append(row)
    return keep


def _write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _config(tmp: Path, cache: Path, table: Path, renames: str = ""):
    path = sample_config(
        tmp, site_url=SITE_URL, cache=str(cache), id_renames=renames,
        collection={"format": "csv", "path": str(table), "extra_columns": ["subject"],
                    "allow_outside_paths": True},  # the table lives apart from the sample's images
        pairings={"file": str(tmp / "pairings.yaml"), "budget": 0},
    )
    return load_config(path)


def _ledger(site: Path) -> dict:
    return json.loads((site / urls.ledger_path()).read_text(encoding="utf-8"))


def _page(site: Path, path: str) -> str:
    return (site / (path + "index.html")).read_text(encoding="utf-8")


def _meta(html: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', html)
    assert match, f"no meta {key}"
    return unescape(match.group(1))


@pytest.fixture(scope="module")
def two_builds(sample_build, tmp_path_factory):
    """Build the 60-work collection, change it, rebuild into the same output; return both states."""
    sample_cfg, _ = sample_build
    sample_dir = sample_cfg.resolve(sample_cfg.collection.path)
    with open(sample_dir / "collection.csv", encoding="utf-8") as fh:
        rows = _subset(list(csv.DictReader(fh)))
    assert len(rows) == 60
    for row in rows:
        row["image"] = str(sample_dir / row["image"])
    tmp = tmp_path_factory.mktemp("pairings")
    (tmp / "pairings.yaml").write_text(yaml.safe_dump(CURATED, sort_keys=False), encoding="utf-8")
    table = tmp / "collection.csv"
    _write_csv(table, rows)
    config1 = _config(tmp, sample_cfg.cache_dir, table)
    report1 = build(config1)
    site = config1.output_dir
    before = {"ledger": _ledger(site), "rows": {r["id"]: dict(r) for r in rows}, "report": report1,
              "top1": top1_pairs(_analogies(site, [r["id"] for r in rows])),
              "pages": {p: _page(site, p) for p in _ledger(site)["pages"] if p.startswith(("work/", "pair/"))}}

    changed = []
    for row in rows:
        if row["id"] in REMOVED:
            continue
        row = dict(row)
        row["title"] = RETITLED.get(row["id"], row["title"])
        row["id"] = RENAMED.get(row["id"], row["id"])
        changed.append(row)
    for n, new_id in enumerate(NEW_IDS):  # new works: mirrored, recoloured copies of removed ones
        source = before["rows"][REMOVED[n]]
        image = ImageOps.mirror(Image.open(source["image"]).convert("RGB"))
        image = Image.eval(image, lambda v, s=n: min(255, v + 20 * (s + 1)))
        image.save(tmp / f"{new_id}.jpg", quality=90)
        changed.append(dict(source, id=new_id, title=f"New work {n}", image=str(tmp / f"{new_id}.jpg")))
    _write_csv(table, changed)
    (tmp / "renames.csv").write_text("old,new\n" + "".join(f"{o},{n}\n" for o, n in RENAMED.items()), encoding="utf-8")
    config2 = _config(tmp, sample_cfg.cache_dir, table, renames=str(tmp / "renames.csv"))
    report2 = build(config2)
    after = {"ledger": _ledger(site), "rows": {r["id"]: r for r in changed}, "report": report2,
             "top1": top1_pairs(_analogies(site, [r["id"] for r in changed]))}
    return config2, before, after


def _analogies(site: Path, ids: list[str]) -> dict:
    return {i: read_work_json((site / urls.work_data_path(i)).read_bytes())["analogies"] for i in ids}


def _redirect_target(html: str) -> str:
    match = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', html)
    assert match, "not a redirect page"
    return unescape(match.group(1))


# -- links never break ---------------------------------------------------------------------------
def test_every_old_url_still_resolves_to_a_page(two_builds):
    config, before, after = two_builds
    site = config.output_dir
    old = before["ledger"]["pages"]
    assert len(old) > 500
    for path in old:
        assert (site / (path + "index.html")).is_file(), f"404 for a published URL: {path}"
    assert set(old) <= set(after["ledger"]["pages"]), "ledger entries are never dropped"
    assert set(before["ledger"]["works"]) <= set(after["ledger"]["works"])


def test_removed_works_show_a_notice_with_their_old_caption(two_builds):
    config, before, _ = two_builds
    site = config.output_dir
    for work_id in REMOVED:
        html = _page(site, urls.page_path("work", work_id))
        row = before["rows"][work_id]
        assert "This work is no longer in the collection" in html
        assert row["title"] in html and row["culture"] in html and row["medium"] in html
        parser = LinkCollector()
        parser.feed(html)
        analogy_links = [link for link in parser.links if "/work/" in link]
        assert analogy_links, f"{work_id}: the notice links to no current analogy"
        for link in parser.links:
            if not link.startswith("#"):
                assert target_of(link, config.base_url, site).is_file(), f"{work_id}: broken link {link}"
    assert 'name="robots" content="noindex"' in _page(site, urls.page_path("work", REMOVED[0]))


def test_pair_pages_of_removed_works_keep_what_remains(two_builds):
    config, before, _ = two_builds
    site = config.output_dir
    gone = [p for p in before["top1"] if p[0] in REMOVED and p[1] not in REMOVED and p[1] not in RENAMED]
    assert gone
    for a, b in gone:
        html = _page(site, urls.page_path("pair", (a, b)))
        assert "One of these works is no longer in the collection" in html
        assert before["rows"][a]["title"] in html
        assert f'href="{config.base_url}{urls.page_path("work", b)}"' in html


def test_renamed_ids_redirect_to_their_new_pages(two_builds):
    config, before, _ = two_builds
    site = config.output_dir
    for old, new in RENAMED.items():
        html = _page(site, urls.page_path("work", old))
        target = _redirect_target(html)
        assert target == config.base_url + urls.page_path("work", new)
        assert f'<link rel="canonical" href="{SITE_URL}{target}">' in html
        assert f'<a href="{target}">' in html
        assert target_of(target, config.base_url, site).is_file()
    renamed_pairs = [p for p in before["top1"] if set(p) & set(RENAMED) and not set(p) & set(REMOVED)]
    assert renamed_pairs
    for a, b in renamed_pairs:
        target = _redirect_target(_page(site, urls.page_path("pair", (a, b))))
        new_pair = (RENAMED.get(a, a), RENAMED.get(b, b))
        assert target == config.base_url + urls.page_path("pair", new_pair)
        page = _page(site, urls.page_path("pair", new_pair))
        assert 'class="pairing"' in page  # a real pair page, kept although it may no longer be a top-1


def test_new_works_and_changed_metadata_are_published(two_builds):
    config, _, after = two_builds
    site = config.output_dir
    for new_id in NEW_IDS:
        assert "<h1>New work" in _page(site, urls.page_path("work", new_id))
    assert "<h1>Boat at dusk (retitled)</h1>" in _page(site, urls.page_path("work", "S0001"))
    escaped = "Vase with &lt;b&gt;&#34;bold&#34;&lt;/b&gt; &amp; co"
    assert escaped in _page(site, urls.page_path("work", "S0187"))
    pairs_with_retitled = [p for p in after["top1"] if p[0] == "S0187"]
    assert pairs_with_retitled and escaped in _page(site, urls.page_path("pair", pairs_with_retitled[0]))
    assert after["report"].counts["urls_redirected"] >= len(RENAMED)
    assert after["report"].counts["urls_gone"] >= len(REMOVED)


# -- pair pages ----------------------------------------------------------------------------------
def test_every_top1_analogy_has_a_prerendered_pair_page(two_builds):
    config, _, after = two_builds
    site = config.output_dir
    assert after["report"].counts["top1_pairs_prerendered"] == after["report"].counts["top1_pairs"] == len(after["top1"])
    for a, b in after["top1"]:
        assert (site / urls.page_file("pair", (a, b))).is_file()
        assert (site / urls.pair_card_path(a, b)).is_file()


def test_pair_page_shows_both_works_with_their_metadata(two_builds):
    config, _, after = two_builds
    site = config.output_dir
    rows = after["rows"]
    analogies = _analogies(site, list(rows))
    checked = 0
    for (a, b), score in sorted(after["top1"].items())[:40]:
        html = _page(site, urls.page_path("pair", (a, b)))
        for side, work_id in (("a", a), ("b", b)):
            row = rows[work_id]
            assert f'<span data-slot="{side}.title">{_esc(row["title"])}</span>' in html
            assert f'<dd data-slot="{side}.culture">{_esc(row["culture"])}</dd>' in html
            assert f'<dd data-slot="{side}.medium">{_esc(row["medium"])}</dd>' in html
            assert f'<code data-slot="{side}.id">{_esc(work_id)}</code>' in html
            assert f'href="{config.base_url}{urls.page_path("work", work_id)}"' in html
        direct = [s for groups in analogies[a].values() for pairs in groups.values() for o, s in pairs if o == b]
        assert f"Visual similarity {direct[0]:.2f}" in html
        data_a = read_work_json((site / urls.work_data_path(a)).read_bytes())
        for fld, groups in analogies[a].items():
            for group, pairs in groups.items():
                if pairs[0][0] == b:  # the condition that made b a's top-1, with its same/cross kind
                    kind = ("Same " + fld) if data_a[fld] == group else ("Cross-" + fld)
                    assert f'<strong>{kind}</strong>: among <a href="{config.base_url}{urls.page_path(fld, group)}">' in html
        assert "is the closest to" in html  # b is a's top-1 in at least one group
        checked += 1
    assert checked == 40


def test_card_image_is_the_two_works_side_by_side_and_in_the_meta(two_builds):
    config, _, after = two_builds
    site = config.output_dir
    a, b = next(p for p in sorted(after["top1"]) if p[0].startswith("S0") and p[1].startswith("S0"))
    html = _page(site, urls.page_path("pair", (a, b)))
    card_url = SITE_URL + config.base_url + urls.pair_card_path(a, b)
    assert _meta(html, "og:image") == card_url and _meta(html, "twitter:image") == card_url
    assert _meta(html, "twitter:card") == "summary_large_image"
    assert _meta(html, "og:title") and after["rows"][a]["title"] in _meta(html, "og:description")
    assert _meta(html, "og:url") == SITE_URL + config.base_url + urls.page_path("pair", (a, b))

    with Image.open(site / urls.pair_card_path(a, b)) as card:
        assert card.format == "JPEG" and card.size == CARD_SIZE
        card = np.asarray(card.convert("RGB"), dtype=np.float32)
    large = max(config.thumbnails.sizes)
    thumbs = [Image.open(site / urls.thumb_path(large, w)).convert("RGB") for w in (a, b)]
    boxes = panel_boxes(thumbs[0].size, thumbs[1].size)
    assert boxes[0][0] + boxes[0][2] <= CARD_SIZE[0] // 2 <= boxes[1][0]  # a on the left, b on the right
    diffs = {}
    for i, (left, top, width, height) in enumerate(boxes):
        crop = card[top:top + height, left:left + width]
        for j, thumb in enumerate(thumbs):
            expected = np.asarray(thumb.resize((width, height), Image.Resampling.BICUBIC), dtype=np.float32)
            diffs[i, j] = float(np.abs(crop - expected).mean())
    assert diffs[0, 0] < 6 and diffs[1, 1] < 6, diffs  # each half shows its own work (JPEG noise only)
    assert diffs[0, 1] > 2 * diffs[0, 0] and diffs[1, 0] > 2 * diffs[1, 1], diffs
    background = card[:boxes[0][1] - 2, :].reshape(-1, 3).mean(axis=0)
    assert np.allclose(background, (250, 248, 244), atol=3)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")


# -- curated pairings -----------------------------------------------------------------------------
def test_curated_pairing_whose_work_vanished_is_in_the_summary(two_builds):
    _, before, after = two_builds
    assert not [p for p in before["report"].problems if p.stage == "pairings"]
    problems = [p for p in after["report"].problems if p.stage == "pairings"]
    assert len(problems) == 1 and problems[0].severity == "warning"
    assert "S0019" in problems[0].reason and problems[0].record == "S0019 -> S0161" and problems[0].line > 0
    summary = after["report"].summary()
    assert "[pairings]" in summary and "work S0019 is not in the collection" in summary


def test_curated_pairings_have_pages_an_index_and_appear_on_both_works(two_builds):
    config, _, after = two_builds
    site = config.output_dir
    index = _page(site, urls.page_path("pairings"))
    page = _page(site, urls.page_path("pair", ("S0001", "S0081")))
    assert "<h1>Two boats</h1>" in page and "Chinese and Japanese boats." in page
    assert f'href="{config.base_url}{urls.page_path("pair", ("S0001", "S0081"))}"' in index
    renamed = ("C/0027", "S0241")  # the entry says S0027: followed through the renames
    assert "A pair whose work is renamed" in _page(site, urls.page_path("pair", renamed))
    for work_id in ("S0001", "S0081", *renamed):
        assert 'id="curated-pairings"' in _page(site, urls.page_path("work", work_id))
    assert after["report"].counts["curated_pairings"] == 2


# -- deep links and the viewer ---------------------------------------------------------------------
def test_condition_deep_links_survive_the_rebuild(two_builds):
    config, before, after = two_builds
    site = config.output_dir
    old = before["pages"][urls.page_path("work", "S0045")]
    new = _page(site, urls.page_path("work", "S0045"))
    anchor = urls.condition_anchor("culture", "Chinese")
    assert anchor == "culture-Chinese"
    for html in (old, new):
        assert f'id="{anchor}"' in html and f'id="{urls.condition_anchor("medium", "Painting")}"' in html
    pair = next(p for p in after["top1"] if p[0] == "S0045")
    links = re.findall(r'href="([^"]+#(?:culture|medium)-[^"]+)"', _page(site, urls.page_path("pair", pair)))
    assert links
    for link in links:
        path, fragment = link.split("#")
        assert f'id="{fragment}"' in target_of(path, config.base_url, site).read_text(encoding="utf-8")


def test_pairs_beyond_the_prerendered_ones_open_in_the_viewer(two_builds):
    config, _, _ = two_builds
    site = config.output_dir
    html = _page(site, urls.page_path("work", "S0045"))
    viewer_links = re.findall(r'href="([^"]*/pair/\?a=[^"]+)"', html)
    assert viewer_links, "ranks 2..k link to the viewer"
    viewer = _page(site, urls.page_path("pair_viewer"))
    assert "data-pair-viewer" in viewer and "<noscript>" in viewer and "pair_viewer.js" in viewer
    assert (site / urls.asset_path("pair_viewer.js")).is_file() and (site / urls.asset_path("print.css")).is_file()


def test_sample_build_caps_prerendered_pairs_by_budget(sample_build):
    config, report = sample_build
    assert config.pairings.budget == report.counts["top1_pairs_prerendered"] < report.counts["top1_pairs"]
    pair_dirs = {p.parent for p in (config.output_dir / "pair").rglob("index.html")} - {config.output_dir / "pair"}
    assert len(pair_dirs) == report.counts["pair_pages"] >= config.pairings.budget


# -- small units -----------------------------------------------------------------------------------
def test_pair_urls_round_trip_through_the_ledger_parser():
    for key in (("S0001", "S0002"), ("a/b", "<script>"), ("Ünïcode", "x y")):
        path = urls.page_path("pair", key)
        assert path.count("/") == 3 and urls.parse_page_path(path) == ("pair", key)
    assert urls.parse_page_path(urls.page_path("work", "a/b")) == ("work", "a/b")
    assert urls.parse_page_path("no/such/kind/") is None
    with pytest.raises(ValueError):
        urls.page_path("pair", "S0001")


def test_renames_follow_chains_and_refuse_cycles(tmp_path):
    assert resolve_chains({"a": "b", "b": "c"}) == {"a": "c", "b": "c"}
    with pytest.raises(ValueError, match="cycle"):
        resolve_chains({"a": "b", "b": "a"})
    (tmp_path / "r.yaml").write_text("S1: T1\nT1: U1\n", encoding="utf-8")
    assert load_renames(tmp_path / "r.yaml") == {"S1": "U1", "T1": "U1"}
    (tmp_path / "r.csv").write_text("S1,T1\n\n", encoding="utf-8")
    assert load_renames(tmp_path / "r.csv") == {"S1": "T1"}
