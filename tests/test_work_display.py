"""atlas.site.work_display: which condition an artwork page opens with, labels as a visitor reads them, links
from untrusted columns; and atlas.site.og_image's card text (drawn, deterministic, part of the cache key)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from atlas.core.records import Record
from atlas.site import og_image
from atlas.site.work_display import (
    default_conditions,
    display_artist,
    display_label,
    safe_link,
)


def test_opens_on_the_group_of_the_closest_match_outside_its_own():
    monet = Record(id="m", culture="French", medium="Painting")
    analogies = {
        "culture": {"Dutch": [("d", 0.40)], "French": [("f", 0.95)], "Japanese": [("j", 0.71)]},
        "medium": {"Painting": [("p", 0.90)], "Print": [("q", 0.60)]},
    }
    chosen = default_conditions(monet, analogies)
    assert chosen == {"": "culture-Japanese", "culture": "culture-Japanese", "medium": "medium-Print"}


def test_a_closer_medium_match_wins_and_ties_go_to_the_first_field_and_group():
    work = Record(id="w", culture="A", medium="X")
    assert default_conditions(work, {"culture": {"B": [("b", 0.5)]}, "medium": {"Y": [("y", 0.8)]}})[""] == "medium-Y"
    tie = {"culture": {"C": [("c", 0.5)], "B": [("b", 0.5)]}, "medium": {"Y": [("y", 0.5)]}}
    assert default_conditions(work, tie)[""] == "culture-B"


def test_only_its_own_group_is_still_a_choice_and_no_analogies_is_none():
    work = Record(id="w", culture="A", medium=None)
    assert default_conditions(work, {"culture": {"A": [("a", 0.3)]}}) == {"": "culture-A", "culture": "culture-A"}
    assert default_conditions(work, {}) == {}


def test_display_labels_fix_one_case_strings_and_keep_the_catalogues_spelling():
    assert display_label("JAPAN") == "Japan"
    assert display_label("china") == "China"
    assert display_label("OIL ON CANVAS") == "Oil on Canvas"
    assert display_label("Oil on canvas") == "Oil on canvas"  # mixed case: the catalogue's own
    assert display_label("  Hanging   scroll ") == "Hanging scroll"
    assert display_label("") == "" and display_label("1850") == "1850"


def test_display_artist_drops_the_qualifier_after_a_semicolon():
    assert display_artist("Baccio della Porta; Italian") == "Baccio della Porta"
    assert display_artist("HOKUSAI ; Japanese, 1760-1849") == "Hokusai"
    assert display_artist("Claude Monet") == "Claude Monet"
    assert display_artist("") == ""


def test_only_absolute_http_addresses_become_links():
    assert safe_link(" https://www.artic.edu/artworks/27992 ") == "https://www.artic.edu/artworks/27992"
    assert safe_link("http://example.org/a?b=1") == "http://example.org/a?b=1"
    for bad in ("javascript:alert(1)", "JAVASCRIPT:alert(1)", "/relative", "data:text/html,x", "CC0", "https://a b",
                'https://x"onmouseover="y'):
        assert safe_link(bad) == "", bad


def _thumbs(tmp_path):
    paths = []
    for i, colour in enumerate(((200, 30, 30), (30, 30, 200))):
        path = tmp_path / f"t{i}.jpg"
        Image.new("RGB", (160, 120), colour).save(path)
        paths.append(path)
    return paths


def test_card_draws_titles_and_site_name_under_the_works(tmp_path):
    a, b = _thumbs(tmp_path)
    plain = np.asarray(Image.open(io.BytesIO(og_image.compose_card(a, b))).convert("L"), dtype=np.int16)
    titled = og_image.compose_card(a, b, ("Sailing boat", "Ferry crossing"), "Atlas of visual analogies")
    assert titled == og_image.compose_card(a, b, ("Sailing boat", "Ferry crossing"), "Atlas of visual analogies")
    ink = np.asarray(Image.open(io.BytesIO(titled)).convert("L"), dtype=np.int16)
    changed = np.abs(ink - plain) > 60
    below = og_image.MARGIN_TOP + og_image.PANEL[1]
    assert changed[below:].sum() > 500  # text was drawn in the band under the images ...
    assert changed[:below].sum() < 50  # ... and the images were left alone (JPEG noise aside)
    half = og_image.CARD_SIZE[0] // 2
    band = changed[og_image.TITLE_TOP:og_image.FOOTER_TOP - 14]
    assert band[:, :half].any() and band[:, half:].any()  # one title under each work
    assert changed[og_image.FOOTER_TOP:].any()  # the site's name


def test_card_cache_key_includes_the_text(tmp_path):
    a, b = _thumbs(tmp_path)
    first, made = og_image.cached_card(tmp_path / "cache", a, b, ("One", "Two"), "Site")
    again, made_again = og_image.cached_card(tmp_path / "cache", a, b, ("One", "Two"), "Site")
    other, _ = og_image.cached_card(tmp_path / "cache", a, b, ("One", "Two (retitled)"), "Site")
    assert made and not made_again and first == again and other != first


def test_long_titles_are_cut_to_fit_their_half():
    from PIL import ImageDraw, ImageFont

    draw = ImageDraw.Draw(Image.new("RGB", (10, 10)))
    font = ImageFont.load_default(size=og_image.TITLE_SIZE)
    short = og_image.fit(draw, "A river landscape " * 20, font, og_image.PANEL[0])
    assert short.endswith("…") and draw.textlength(short, font=font) <= og_image.PANEL[0]
    assert og_image.fit(draw, "Boat", font, og_image.PANEL[0]) == "Boat"
