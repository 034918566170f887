"""Only the thumbnail sizes pages use are made and published: the smallest (cards, map, search) and the
largest (artwork and pair pages); a size between them is named by the config check and skipped."""

from __future__ import annotations

import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import load_config
from atlas.preflight import check_config
from atlas.site import urls

from .conftest import write_small_collection


@pytest.mark.slow
def test_a_size_no_page_uses_is_neither_made_nor_published(tmp_path):
    (tmp_path / "img").mkdir()
    rows = []
    for i in range(6):
        Image.new("RGB", (300, 200), (40 * i, 90, 200 - 30 * i)).save(tmp_path / "img" / f"{i}.png")
        rows.append({"id": f"W{i}", "title": f"Work {i}", "culture": "AB"[i % 2], "medium": "Oil", "image": f"img/{i}.png"})
    config = load_config(write_small_collection(tmp_path, rows, "Sizes", thumbnails={"sizes": [64, 96, 128]}))
    assert any("96" in w and "no page uses" in w for w in check_config(config).warnings)
    build(config)
    site = config.output_dir
    assert sorted(p.name for p in (site / "thumbs").iterdir()) == ["128", "64"]
    assert all((site / urls.thumb_path(size, f"W{i}")).is_file() for size in (64, 128) for i in range(6))
    assert not list(config.cache_dir.glob("thumbs/*-96-*"))
    page = (site / urls.page_file("work", "W0")).read_text(encoding="utf-8")
    assert "/thumbs/128/" in page and "/thumbs/64/" in page and "/thumbs/96/" not in page
