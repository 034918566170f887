"""An artwork page shows render.groups_shown groups as pictures and the others as one link each."""

from __future__ import annotations

import re

import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import load_config
from atlas.site import urls

from .conftest import write_small_collection


@pytest.mark.slow
def test_artwork_page_pictures_only_the_closest_groups(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    rows = []
    for n in range(12):  # 12 cultures of one work each: every page has 11 culture groups to compare with
        Image.new("RGB", (32, 24), (20 * n, 255 - 20 * n, 90)).save(images / f"w{n}.png")
        rows.append({"id": f"w{n:02d}", "title": f"Work {n}", "culture": f"C{n:02d}", "medium": "M",
                     "image": f"images/w{n}.png"})
    config = load_config(write_small_collection(tmp_path, rows, "Groups", render={"groups_shown": 3}))
    build(config)
    page = (config.output_dir / urls.page_file("work", "w00")).read_text(encoding="utf-8")
    culture = page[page.index('id="analogies-culture"'):page.index('id="analogies-medium"')]
    pictured = re.findall(r'class="analogy-row" id="[^"]+" data-field="culture" data-group="([^"]+)"', culture)
    listed = re.findall(r'<li id="culture-[^"]+"[^>]*><a href="[^"]+">([^<]+)</a>', culture)
    assert len(pictured) == 3 and len(listed) == 8 and not set(pictured) & set(listed)
    assert "8 more" in culture
    # the pictured groups are those whose top analogy is closest
    # (pages show a score as its percentile among all pairs, which orders works as the score does)
    scores = {g: float(s) for g, s in re.findall(r'<li id="culture-[^"]+"[^>]*><a href="[^"]+">([^<]+)</a>: <a [^>]+>[^<]+</a> \(closer than ([0-9.]+)%', culture)}
    assert len(scores) == 8
    # one card per pictured group: each group here has one work
    top_shown = [float(s) for s in re.findall(r'<span class="card-note">closer than ([0-9.]+)%', culture)]
    assert len(top_shown) == 3
    assert min(top_shown) >= max(scores.values())
