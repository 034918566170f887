"""The pre-rendered journeys are a cached stage of the build (atlas.site.journey_plan): a rebuild with no
change reuses them (the build report says so, and no journey is searched again) and writes the same bytes;
a changed input (fewer featured journeys) runs the stage again, and the URL ledger keeps the pages."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from PIL import Image

from atlas.analysis import journey_graph as jg

from .conftest import write_small_collection

pytestmark = pytest.mark.slow  # three small builds


def journey_files(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.glob("journey/**/*")) if p.is_file()}


def decision(report, stage: str):
    return next(d for d in report.decisions if d.stage == stage)


def test_a_rebuild_reuses_the_journeys_stage_and_writes_the_same_pages(tmp_path, monkeypatch):
    from atlas.build import build
    from atlas.core.config import load_config

    (tmp_path / "img").mkdir()
    rng = random.Random(8)
    rows = []
    for i in range(24):
        Image.new("RGB", (40, 40), tuple(rng.randrange(256) for _ in range(3))).save(tmp_path / "img" / f"{i}.png")
        rows.append({"id": f"J{i:02d}", "title": f"Work {i}", "artist": "Anon", "date": "1900",
                     "culture": ("Dutch", "Chinese", "Japanese")[i % 3], "medium": "Oil", "image": f"img/{i}.png"})
    path = write_small_collection(tmp_path, rows, "Stage", journeys={"featured": 3})
    first = build(load_config(path))
    site = load_config(path).output_dir
    before = journey_files(site)
    pages = [p for p in before if p.count("/") == 3 and p.endswith("index.html")]  # journey/<a>/<b>/index.html
    assert len(pages) == 3
    assert not decision(first, "journeys").reused

    def no_search(*args, **kwargs):
        raise AssertionError("a journey was searched again")

    with monkeypatch.context() as patch:
        patch.setattr(jg, "find_journey", no_search)
        second = build(load_config(path))
    assert decision(second, "journeys").reused, decision(second, "journeys").line()
    assert journey_files(site) == before  # byte-identical, the graph files included

    config = load_config(path)
    config.journeys.featured = 1  # the ends changed: the stage runs again; the ledger keeps the other two
    third = build(config)
    assert "ends" in decision(third, "journeys").reason
    assert [p for p in journey_files(site) if p in pages] == pages
