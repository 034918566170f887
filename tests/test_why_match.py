"""Why this match (issue 15): shares in thousandths that add up to the score, worded the same everywhere, and
in a fallback build one row of shares per listed analogy in each work's JSON, under every analogy card of its
artwork page, with the two heat maps and the untrained network's caveat."""

from __future__ import annotations

import json
import re
from html import unescape

import numpy as np
import pytest

from atlas.analysis.match_parts import describe, permille
from atlas.site.work_json import read_work_json


def test_thousandths_add_up_to_the_score_and_keep_the_exact_shares_order():
    rng = np.random.default_rng(5)
    for _ in range(500):
        shares = dict(zip(("network", "colour", "texture", "layout"), rng.normal(0, 0.2, 4).round(4)))
        found = permille(shares)
        assert abs(sum(found.values()) - 1000 * sum(shares.values())) <= 0.5 + 1e-9  # the score's own thousandths
        assert all(abs(found[f] - 1000 * shares[f]) < 1 for f in shares)  # each within one thousandth


def test_describe_rounds_half_up_as_the_script_does():
    rows = describe({"network": 125, "colour": 375, "texture": 500, "layout": -40})
    assert [(r["family"], r["percent"]) for r in rows] == [("texture", 50), ("colour", 38), ("network", 13), ("layout", 0)]
    assert rows[-1]["share"] == -0.04


@pytest.fixture(scope="module")
def fallback_site(tmp_path_factory):
    from atlas.build import build
    from atlas.core.config import load_config

    from .pages_support import write_fallback_collection

    config = load_config(write_fallback_collection(tmp_path_factory.mktemp("why-match")))
    build(config)
    return config


@pytest.mark.slow  # one small fallback build, ~15 s on two cores
def test_every_listed_analogy_has_its_shares_in_the_work_json(fallback_site):
    site = fallback_site.output_dir
    checked = 0
    for path in sorted(site.glob("iiif/*/manifest.json")):  # each work's record rides in its manifest
        work = read_work_json(path.read_text(encoding="utf-8"))
        why = work["why"]
        assert why["parts"] == ["network", "colour", "texture", "layout"]
        assert why["heatmap"].startswith("data:image/png;base64,") and why["untrained"] is True  # the grid itself
        for fld, groups in work["analogies"].items():
            for group, listed in groups.items():
                rows = why[fld][group]
                assert len(rows) == len(listed)  # aligned with the analogy list
                for row, (_, score) in zip(rows, listed):
                    assert len(row) == 4 and all(isinstance(s, int) for s in row)
                    assert abs(sum(row) - 1000 * score) <= 1  # the score, up to the rounding of both
                    checked += 1
    assert checked > 100


@pytest.mark.slow
def test_each_analogy_card_says_why_as_its_pair_page_does(fallback_site):
    from atlas.site import urls

    site = fallback_site.output_dir
    html = (site / urls.page_path("work", "S03") / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<details class="why-match" data-why-maps="[^"]+"><summary>Why this match<span class="visually-hidden"> with ([^<]+)'
                       r'</span></summary>\s*<p class="why-parts">([^<]+)</p>', html)
    shown = len(re.findall(r'<a class="pair-link"', html))
    assert cards and len(cards) == shown  # every analogy card that links to its pair has its why
    assert any(s.startswith("What they share: ") for _, s in cards)
    assert all(s.startswith("What they share: ") or s.startswith("No feature family") for _, s in cards)
    # the cards' heat maps are drawn from the works' JSON when opened (test_why_match_browser); the page's own once
    assert html.count('class="why-maps-note"') == shown and "This network is untrained" in html
    assert html.count('class="heat-grid" src="data:image/png;base64,') == 1
    ids = {w["title"]: w["id"] for w in json.loads((site / "data" / "works.json").read_text(encoding="utf-8"))}
    compared = 0
    for title, on_card in cards:  # each card pictured on the page says what its pre-rendered pair page says
        pair = site / urls.page_path("pair", ("S03", ids[unescape(title)])) / "index.html"
        if pair.exists():
            on_pair = re.search(r'<p class="why-parts">([^<]+)</p>', pair.read_text(encoding="utf-8")).group(1)
            assert on_pair == on_card
            compared += 1
    assert compared


def test_a_pair_whose_every_share_is_zero_or_below_is_not_worded_as_sharing():
    from jinja2 import Environment, PackageLoader

    macros = Environment(loader=PackageLoader("atlas", "templates")).get_template("why_match.html").module
    apart = {"parts": describe({"network": -120, "colour": 0, "texture": -80, "layout": -5}), "heatmaps": []}
    close = {"parts": describe({"network": 300, "colour": -20, "texture": 100, "layout": 50}), "heatmaps": []}
    assert "No feature family finds these two more alike" in str(macros.why_parts(apart))
    assert str(macros.why_parts(close)).endswith("What they share: network 67%, texture 22%, layout 11%, colour 0% of the score.</p>")
