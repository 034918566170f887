"""The explorer's build-time data: sprite sheets, map files, search shards and culture-pair pages."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pytest
from PIL import Image

from atlas.analysis.clusters import ClusterMap, MapPoint
from atlas.analysis.culture import CultureSimilarity
from atlas.analysis.culture_pairs import best_pairs, link_strengths
from atlas.core.records import Record
from atlas.site import urls
from atlas.site.map_chunks import decode_chunk
from atlas.site.map_data import (
    captions_payload,
    map_files,
    map_globals,
    point_columns,
    points_payload,
)
from atlas.site.search_index import (
    PREFIX,
    build_index,
    search_files,
    search_meta,
    tokens,
)
from atlas.site.sprites import build_sheets, cell_position, grid_for, sheet_index
from atlas.site.work_json import read_work_json

COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (220, 220, 40), (240, 240, 240)]


def solid(i: int) -> Image.Image:
    return Image.new("RGB", (40, 20), COLOURS[i])


def items(n: int = 5) -> list[tuple[str, str]]:
    return [(f"w{i}", f"digest{i}") for i in range(n)]


# --- sprites ------------------------------------------------------------------------------------

def test_sheets_hold_each_item_in_its_cell_in_order(tmp_path):
    sheets = build_sheets(items(), lambda i: solid(int(i[1:])), tmp_path, cell=16, sheet=32, quality=95)
    assert [s.count for s in sheets] == [4, 1]  # 2 x 2 cells per 32 px sheet
    index = sheet_index(sheets, [i for i, _ in items()], 16, 32, "/x/")
    assert index["per_sheet"] == 4 and index["columns"] == 2 and len(index["ids"]) == 5
    for i, colour in enumerate(COLOURS):
        sheet, x, y = cell_position(index, i)
        with Image.open(io.BytesIO(sheets[sheet].data)) as im:
            centre = np.asarray(im.convert("RGB"))[y + 8, x + 8].astype(int)
        assert np.abs(centre - colour).max() < 24, (i, centre, colour)
    # a 40 x 20 image keeps its aspect: the top and bottom rows of its cell are background
    with Image.open(io.BytesIO(sheets[0].data)) as im:
        assert np.abs(np.asarray(im.convert("RGB"))[1, 8].astype(int) - (38, 35, 31)).max() < 24


def test_sheets_are_deterministic_and_cached_by_digest(tmp_path):
    first = build_sheets(items(), lambda i: solid(int(i[1:])), tmp_path, cell=16, sheet=32)
    assert [s.data for s in build_sheets(items(), lambda i: solid(int(i[1:])), None, cell=16, sheet=32)] == [s.data for s in first]

    def refuse(_):
        raise AssertionError("a cached sheet must not be redrawn")

    assert [s.name for s in build_sheets(items(), refuse, tmp_path, cell=16, sheet=32)] == [s.name for s in first]
    changed = items()
    changed[4] = ("w4", "a new thumbnail")
    loaded = []
    again = build_sheets(changed, lambda i: loaded.append(i) or solid(3), tmp_path, cell=16, sheet=32)
    assert loaded == ["w4"], "only the sheet whose thumbnail changed is redrawn"
    assert again[0].name == first[0].name and again[1].name != first[1].name


def test_cell_larger_than_sheet_is_refused():
    with pytest.raises(ValueError):
        grid_for(1, 64, 32)


# --- map data -----------------------------------------------------------------------------------

def test_points_and_captions_follow_the_map_order():
    works = [
        Record(id="b/2", title="<b>Vase</b>", artist="", culture="Dutch", medium="Ceramic", culture_raw="Holland"),
        Record(id="a1", title="", artist="Hokusai", date_text="1830", culture=None, medium="Print"),
    ]
    cmap = ClusterMap.from_json({
        "points": [{"id": "a1", "x": 0.25, "y": 1.0, "cluster": -1}, {"id": "b/2", "x": 0.0, "y": 0.5, "cluster": 0}],
        "clusters": [{"id": 0, "label": "Cluster 1", "size": 1, "x": 0.1, "y": 0.2, "members": ["b/2"], "representatives": ["b/2"]}]})
    points = points_payload(works, cmap, {"cell": 8, "ids": ["a1", "b/2"]})
    cols = point_columns(works, cmap)
    assert cols["x"].tolist() == [0.25, 0.0] and cols["y"].tolist() == [1.0, 0.5] and cols["cluster"].tolist() == [-1, 0]
    assert points["cultures"] == ["Dutch"] and cols["culture"].tolist() == [-1, 0]
    assert points["media"] == ["Ceramic", "Print"] and cols["medium"].tolist() == [1, 0]
    assert points["sprites"] == {"cell": 8} and points["count"] == 2
    captions = captions_payload(works, cmap)
    assert captions["slug"] == ["a1", "b~2F2"]
    assert captions["title"] == ["Untitled", "<b>Vase</b>"]  # text; the script writes it with textContent
    assert captions["byline"][0] == "Hokusai · 1830 · Print"


def test_map_files_put_nearby_works_in_one_sheet_with_its_captions():
    rng = np.random.default_rng(0)
    works = [Record(id=f"w{i:03d}", title=f"T{i}", culture="A") for i in range(64)]
    xy = rng.uniform(0, 1, size=(64, 2))
    cmap = ClusterMap(tuple(MapPoint(w.id, float(x), float(y), -1) for w, (x, y) in zip(works, xy, strict=True)), ())
    written = {out.path: out.data for out in map_files("/atlas/", works, cmap, {w.id: w.id for w in works},
                                                       lambda i: solid(int(i[1:]) % 5), None, cell=4, sheet=16,
                                                       upper=(), chunk=64)}
    info = map_globals("/atlas/", len(works))  # 16 cells a sheet above
    assert info["captions"] == "/atlas/data/map/captions-" and info["count"] == 64
    points = json.loads(written["data/map/points.json"])
    sprites = json.loads(written["data/map/sprites.json"])
    assert len(sprites["sheets"]) == 4 and sorted(sprites["ids"]) == [w.id for w in works]
    for chunk in range(4):
        part = json.loads(written[f"data/map/captions-{chunk}.json"])
        assert part["slug"] == sprites["ids"][chunk * 16:(chunk + 1) * 16]
        assert part["title"] == [f"T{int(i[1:])}" for i in part["slug"]]
    # Z-order: each sheet covers one quadrant-like region, far smaller than the whole map
    [chunk] = points["points"]["chunks"]
    cols = decode_chunk(written[chunk["url"].removeprefix("/atlas/")], chunk["count"])
    x, y = cols["x"], cols["y"]
    spans = [np.ptp(x[k:k + 16]) * np.ptp(y[k:k + 16]) for k in range(0, 64, 16)]
    assert max(spans) < 0.5


# --- search -------------------------------------------------------------------------------------

def test_tokens_fold_case_and_accents_and_split_on_punctuation():
    assert tokens("Élan vital—MING, 1650s; São_Paulo") == ["elan", "vital", "ming", "1650s", "sao", "paulo"]
    assert tokens("") == []


def test_index_shards_tokens_by_their_first_letters():
    works = [Record(id="S1", title="Boat at dusk", artist="Anon", culture="Dutch", medium="Painting"),
             Record(id="S2", title="Bowl", culture="Chinese", culture_raw="China, Ming", medium="Ceramic", date_text="1600")]
    index = build_index(works)
    assert index["bo"] == {"boat": [0], "bowl": [1]}
    assert index["s1"] == {"s1": [0]} and index["16"] == {"1600": [1]}
    assert index["mi"] == {"ming": [1]}
    assert all(len(name) <= PREFIX for name in index)


def test_search_files_are_small_shards_and_docs_chunks():
    works = [Record(id=f"W{i}", title=f"Work {i} {'alpha' if i % 2 else 'beta'}") for i in range(1203)]
    index = build_index(works)
    written = {out.path: out.data for out in search_files(index, works, "/atlas/", 200)}
    info = search_meta(index, len(works), "/atlas/")
    docs = [k for k in written if "/docs-" in k]
    assert sorted(docs) == ["data/search/docs-0.json", "data/search/docs-1.json", "data/search/docs-2.json"]
    chunk = json.loads(written["data/search/docs-2.json"])
    assert len(chunk) == 203 and chunk[0]["url"] == "/atlas/work/W1000/" and chunk[0]["thumb"] == "/atlas/thumbs/200/W1000.jpg"
    al = json.loads(written["data/search/al.json"])
    assert al["alpha"] == list(range(1, 1203, 2))
    assert set(info["shards"]) == {k.removeprefix("data/search/").removesuffix(".json") for k in written if k not in docs}


# --- culture pairs ------------------------------------------------------------------------------

def test_best_pairs_take_each_pair_of_works_once_best_first():
    works = [Record(id="a1", culture="A"), Record(id="a2", culture="A"), Record(id="b1", culture="B"), Record(id="c1", culture="C")]
    analogies = {
        "a1": {"culture": {"B": [("b1", 0.5)], "C": [("c1", 0.9)]}},
        "a2": {"culture": {"B": [("b1", 0.7)]}},
        "b1": {"culture": {"A": [("a2", 0.7), ("a1", 0.5)]}},
    }
    assert best_pairs(works, analogies, "A", "B") == [(0.7, "a2", "b1"), (0.5, "a1", "b1")]
    assert best_pairs(works, analogies, "B", "A") == [(0.7, "b1", "a2"), (0.5, "b1", "a1")]
    assert urls.culture_pair_path("B", "A") == urls.culture_pair_path("A", "B") == "chord/A/B/"
    assert urls.culture_pair_path("a/b", "c") != urls.culture_pair_path("a", "b/c")


def test_top_quartile_keeps_the_strongest_quarter_of_links():
    rng = np.random.default_rng(1)
    m = rng.uniform(0.1, 1, size=(5, 5))
    np.fill_diagonal(m, 0)
    m /= m.sum(axis=1, keepdims=True)
    links = link_strengths(CultureSimilarity(list("ABCDE"), [1] * 5, m.tolist(), m.tolist()))
    assert len(links) == 10
    top = sorted((link for link in links if link["top"]), key=lambda link: -link["value"])
    rest = [link for link in links if not link["top"]]
    assert len(top) == 3  # values at or above the 75th percentile of 10
    assert min(t["value"] for t in top) > max(r["value"] for r in rest)
    sym = (m + m.T) / 2
    assert links[0]["value"] == pytest.approx(sym[0, 1], abs=1e-4)


# --- the built sample site ----------------------------------------------------------------------

def test_sample_site_has_explorer_files_and_pages(sample_build):
    config, _ = sample_build
    site = config.output_dir
    points = json.loads((site / "data/map/points.json").read_text(encoding="utf-8"))
    cmap = json.loads((site / "data/map.json").read_text(encoding="utf-8"))
    assert points["count"] == len(cmap["points"]) == 480
    for sheet in points["sprites"]["sheets"]:
        path = site / sheet["url"].removeprefix("/atlas/")
        with Image.open(path) as im:
            assert im.size == (sheet["width"], sheet["height"]) and max(im.size) <= 2048
    similarity = json.loads((site / "data/culture-similarity.json").read_text(encoding="utf-8"))
    n = len(similarity["labels"])
    pair_pages = list((site / "chord").glob("*/*/index.html"))
    assert len(pair_pages) == n * (n - 1) // 2
    search = (site / urls.page_file("search")).read_text(encoding="utf-8")
    info = json.loads(re.search(r'data-index="([^"]+)"', search).group(1).replace("&#34;", '"'))
    assert all((site / "data/search" / f"{name}.json").is_file() for name in info["shards"])
    artwork = (site / urls.page_file("work", "S0001")).read_text(encoding="utf-8")
    record = read_work_json((site / urls.work_data_path("S0001")).read_bytes())
    for fld, groups in record["analogies"].items():
        for group in groups:
            assert f'id="{fld}-{urls.slug(group)}"' in artwork
