"""Share cards, absolute URLs, the museum's own record and credit lines, cleaned labels: on a small collection
built twice (with and without site_url). The published HTML and JSON are read back from disk."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import urls
from atlas.site.pair_pages import NO_SITE_URL
from atlas.site.work_json import read_work_json

from .pages_support import SITE_URL, write_credited_collection

pytestmark = pytest.mark.slow  # two small builds, ~10 s on two cores


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    """{"with": (config, report), "without": (config, report)}: the same collection, site_url set or not."""
    out = {}
    for name, site_url in (("with", SITE_URL), ("without", "")):
        config = load_config(write_credited_collection(tmp_path_factory.mktemp(f"credited-{name}"), site_url))
        out[name] = (config, build(config))
    return out


def _page(config, path: str) -> str:
    return (config.output_dir / path / "index.html").read_text(encoding="utf-8")


def _meta(html: str, name: str) -> str | None:
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', html)
    return unescape(found.group(1)) if found else None


def _pairs(config) -> list[tuple[str, str]]:
    return sorted((urls.unslug(p.parent.name), urls.unslug(p.name))
                  for p in (config.output_dir / "pair").glob("*/*") if (p / "index.html").is_file())


def test_with_site_url_every_pair_has_a_card_at_an_absolute_url(builds):
    config, report = builds["with"]
    pairs = _pairs(config)
    assert pairs and report.counts["pair_card_bytes"] > 0
    for a, b in pairs:
        html = _page(config, urls.page_path("pair", (a, b)))
        card = SITE_URL + config.base_url + urls.pair_card_path(a, b)
        assert _meta(html, "og:image") == card == _meta(html, "twitter:image")
        assert _meta(html, "og:url") == SITE_URL + config.base_url + urls.page_path("pair", (a, b))
        assert (config.output_dir / urls.pair_card_path(a, b)).is_file()
    sitemap = (config.output_dir / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]*)</loc>", sitemap)
    assert locs and all(loc.startswith(SITE_URL + "/") for loc in locs)
    assert not [p for p in report.problems if p.reason == NO_SITE_URL]


def test_without_site_url_no_cards_and_a_warning(builds):
    config, report = builds["without"]
    pairs = _pairs(config)
    assert pairs and report.counts["pair_card_bytes"] == 0
    assert not list((config.output_dir / "pair").rglob("*.jpg"))
    html = _page(config, urls.page_path("pair", pairs[0]))
    assert _meta(html, "og:image") is None and _meta(html, "og:url") is None
    assert _meta(html, "twitter:card") == "summary" and _meta(html, "og:title")
    assert [p for p in report.warnings if p.reason == NO_SITE_URL]


def test_pair_viewer_has_its_own_preview_tags(builds):
    config, _ = builds["with"]
    html = _page(config, urls.page_path("pair_viewer"))
    assert _meta(html, "og:site_name") == "Credited collection"
    assert _meta(html, "og:url") == SITE_URL + config.base_url + urls.page_path("pair_viewer")


def test_artwork_page_links_the_museum_record_with_credit_and_rights(builds):
    config, _ = builds["without"]
    html = _page(config, urls.page_path("work", "S04"))
    assert '<a href="https://museum.example.org/objects/4" rel="external">See this work at the museum</a>' in html
    assert "Gift of the Example Society, 1904" in html
    assert '<a href="https://creativecommons.org/publicdomain/zero/1.0/" rel="license">' in html
    odd = _page(config, urls.page_path("work", "S03"))
    assert "Rights: In copyright" in odd and 'rel="license"' not in odd
    hostile = _page(config, urls.page_path("work", "S05"))
    assert "javascript:" not in hostile and "See this work at the museum" not in hostile


def test_labels_are_cleaned_on_pages_and_raw_in_the_json(builds):
    config, _ = builds["without"]
    html = _page(config, urls.page_path("work", "S01"))
    assert "<p class=\"byline\">Baccio della Porta, 1610</p>" in html
    assert "Artist (catalogue)</dt><dd>Baccio della Porta; Italian" in html
    record = read_work_json((config.output_dir / urls.work_data_path("S01")).read_bytes())
    assert record["artist"] == "Baccio della Porta; Italian" and record["culture_raw"] == "JAPAN"
    assert record["credit"] == "Gift of the Example Society, 1901" and record["source_url"].startswith("https://")
    names = json.loads((config.output_dir / "data" / "conditions.json").read_text(encoding="utf-8"))
    assert names == {"culture": {"one": "Culture", "many": "Cultures"}, "medium": {"one": "Medium", "many": "Media"}}
    home = (config.output_dir / "index.html").read_text(encoding="utf-8")
    metas = re.findall(r'<span class="card-meta">([^<]*)</span>', _page(config, urls.page_path("work", "S00")))
    assert metas and not any(m.startswith(("JAPAN", "china")) for m in metas)
    assert any(m.startswith(("Japan", "China")) for m in metas)
    assert "Pairings</a>" not in home  # no curated pairings: no empty menu entry


def test_featured_pairs_link_to_their_pair_pages(builds):
    config, _ = builds["without"]
    home = (config.output_dir / "index.html").read_text(encoding="utf-8")
    figures = re.findall(r'<figure class="pair">.*?</figure>', home, flags=re.DOTALL)
    assert figures
    for figure in figures:
        assert "closer than" in figure and "similarity " not in figure  # a percentile, not the raw cosine
        href = unescape(re.search(r'<a class="pair-link" href="([^"]+)"', figure).group(1))
        target = href[len(config.base_url):]
        assert (config.output_dir / target / "index.html").is_file() or target.startswith(urls.page_path("pair_viewer") + "?")


def test_artwork_page_has_breadcrumbs_home_group_index_group_work(builds):
    config, _ = builds["without"]
    html = _page(config, urls.page_path("work", "S01"))
    crumbs = re.search(r'<nav class="breadcrumbs" aria-label="Breadcrumb">(.*?)</nav>', html, flags=re.DOTALL).group(1)
    links = re.findall(r'<a href="([^"]+)">([^<]*)</a>', crumbs)
    assert links == [(config.base_url, "Credited collection"), (config.base_url + "culture/", "Cultures"),
                     (config.base_url + urls.page_path("culture", "JAPAN"), "Japan")]  # the group as read, shown cleaned
    assert '<span aria-current="page">Study number 1</span>' in crumbs
