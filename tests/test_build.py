"""End-to-end: build the sample atlas for real and check the published folder."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.work_json import read_work_json

from .conftest import sample_config


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src", "xlink:href") and value:
                self.links.append(value)


def site_files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*") if p.is_file())


def target_of(link: str, base_url: str, site: Path) -> Path:
    path = link.split("#", 1)[0].split("?", 1)[0]
    assert path.startswith(base_url), f"link outside base_url: {link}"
    relative = path[len(base_url):]
    target = site / relative
    return target / "index.html" if relative == "" or relative.endswith("/") else target


def sample_rows(config) -> dict[str, dict]:
    with open(config.resolve(config.collection.path) / "collection.csv", encoding="utf-8") as fh:
        return {row["id"]: row for row in csv.DictReader(fh)}


def test_every_work_has_a_page_thumbnails_and_json(sample_build):
    config, report = sample_build
    site = config.output_dir
    rows = sample_rows(config)
    assert report.counts["works_published"] == len(rows) >= 300
    assert report.skipped == []
    for work_id, row in rows.items():
        page = site / urls.page_file("work", work_id)
        assert page.is_file(), work_id
        html = page.read_text(encoding="utf-8")
        assert f"<h1>{row['title']}</h1>" in html
        for size in config.thumbnails.sizes:
            assert (site / urls.thumb_path(size, work_id)).is_file()
        data = read_work_json((site / urls.work_data_path(work_id)).read_bytes())
        assert data["id"] == work_id and data["title"] == row["title"]


def test_every_link_resolves_and_nothing_leaves_the_site(sample_build):
    config, _ = sample_build
    site = config.output_dir
    checked = 0
    for page in site_files(site):
        if page.suffix != ".html":
            continue
        parser = LinkCollector()
        parser.feed(page.read_text(encoding="utf-8"))
        for link in parser.links:
            if link.startswith("#"):  # an anchor on the same page
                continue
            if link.startswith("data:"):  # an image inside the page (a heat map's grid): no request at all
                assert link.startswith("data:image/png;base64,"), f"{page}: unexpected inline data {link[:40]}"
                continue
            assert not re.match(r"^(https?:)?//", link), f"{page}: external request {link}"
            assert target_of(link, config.base_url, site).is_file(), f"{page.relative_to(site)}: broken link {link}"
            checked += 1
    assert checked > 10_000


def test_expected_pages_exist(sample_build):
    config, report = sample_build
    site = config.output_dir
    for kind in ("home", "map", "chord", "about", "cultures", "media", "404", "sitemap"):
        assert (site / urls.page_file(kind)).is_file(), kind
    for group in ("British", "Chinese", "Dutch", "Japanese", "Mexican", "Persian"):
        assert (site / urls.page_file("culture", group)).is_file()
    assert report.counts["cultures"] == 6 and report.counts["media"] == 5
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>") == report.counts["pages"] - 1  # every page but the 404
    assert "<loc>/atlas/work/S0001/</loc>" in sitemap
    assert (config.output_dir.parent / "report.json").is_file()


def test_neighbours_in_json_are_within_group_and_match_the_page(sample_build):
    config, _ = sample_build
    site = config.output_dir
    works = {w["id"]: w for w in json.loads((site / "data/works.json").read_text(encoding="utf-8"))}
    for work_id in list(works)[:60]:
        data = read_work_json((site / urls.work_data_path(work_id)).read_bytes())
        html = (site / urls.page_file("work", work_id)).read_text(encoding="utf-8")
        for field in ("culture", "medium"):
            groups = data["analogies"][field]
            assert len(groups) == (6 if field == "culture" else 5)
            for group, pairs in groups.items():
                assert len(pairs) == config.neighbours.k
                scores = [s for _, s in pairs]
                assert scores == sorted(scores, reverse=True)
                for other, _ in pairs:
                    assert other != work_id and works[other][field] == group
                assert f'href="{works[pairs[0][0]]["url"]}"' in html


def test_cross_culture_analogies_find_the_same_subject(sample_build, capsys):
    """The share of top-1 analogies in another culture that show the same subject, versus chance (1/8)."""
    config, _ = sample_build
    site = config.output_dir
    rows = sample_rows(config)
    hits = total = 0
    for work_id, row in rows.items():
        data = read_work_json((site / urls.work_data_path(work_id)).read_bytes())
        for group, pairs in data["analogies"]["culture"].items():
            if group != data["culture"]:
                total += 1
                hits += rows[pairs[0][0]]["subject"] == row["subject"]
    rate = hits / total
    chance = 1 / len({r["subject"] for r in rows.values()})
    with capsys.disabled():
        print(f"\nsame-subject rate of cross-culture top-1 analogies: {rate:.3f} (chance {chance:.3f}, {total} pairs)")
    assert rate > 3 * chance


def test_about_page_says_the_network_is_untrained(sample_build):
    config, report = sample_build
    about = (config.output_dir / urls.page_file("about")).read_text(encoding="utf-8")
    assert "UNTRAINED NETWORK" in about and "NO: features come from an untrained network" in about and "resnet18" in about
    assert report.model["pretrained"] is False and report.model["warning"]


def test_culture_similarity_json_rows_sum_to_one(sample_build):
    config, _ = sample_build
    data = json.loads((config.output_dir / "data/culture-similarity.json").read_text(encoding="utf-8"))
    matrix = np.array(data["similarity"])
    assert matrix.shape == (6, 6)
    assert np.allclose(matrix.sum(axis=1), 1, atol=1e-4) and np.allclose(np.diag(matrix), 0)
    chord = (config.output_dir / urls.page_file("chord")).read_text(encoding="utf-8")
    assert chord.count('class="chord-ribbon"') == 15


def test_map_places_every_work(sample_build):
    config, _ = sample_build
    data = json.loads((config.output_dir / "data/map.json").read_text(encoding="utf-8"))
    assert len(data["points"]) >= 300
    assert all(0 <= p["x"] <= 1 and 0 <= p["y"] <= 1 for p in data["points"])
    assert data["clusters"], "the sample should form visible clusters"
    html = (config.output_dir / urls.page_file("map")).read_text(encoding="utf-8")
    assert html.count('class="map-point"') == len(data["points"])


def test_rebuild_reuses_embeddings_and_is_byte_identical(sample_build, tmp_path):
    config, _ = sample_build
    again = load_config(sample_config(config.root), {"output": str(tmp_path / "site2")})
    report = build(again)
    assert report.counts["images_embedded_now"] == 0
    assert report.counts["embeddings_reused"] == report.counts["works_published"]
    first, second = config.output_dir, again.output_dir
    names = [p.relative_to(first) for p in site_files(first)]
    assert names == [p.relative_to(second) for p in site_files(second)]
    different = [n for n in names if (first / n).read_bytes() != (second / n).read_bytes()]
    assert different == []
