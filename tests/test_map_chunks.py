"""The map's binary point chunks and its sprite pyramid: what the browser reads, checked byte for byte."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from atlas.analysis.clusters import ClusterMap, MapPoint
from atlas.core.records import Record
from atlas.site.map_chunks import build_chunks, chunk_index, columns, decode_chunk
from atlas.site.map_data import map_files, point_columns
from atlas.site.sprites import Level


def random_columns(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return columns(rng.uniform(0, 1, n), rng.uniform(0, 1, n), rng.integers(-1, 300, n),
                   rng.integers(-1, 200, n), rng.integers(-1, 12, n))


def test_chunks_round_trip_in_fixed_sizes_with_the_documented_layout():
    cols = random_columns(1000)
    chunks = build_chunks(cols, chunk=256)
    assert [c.count for c in chunks] == [256, 256, 256, 232]
    assert [len(c.data) for c in chunks] == [16 * c.count for c in chunks]  # 16 bytes a point
    for name in ("x", "y", "cluster", "culture", "medium"):
        joined = np.concatenate([decode_chunk(c.data, c.count)[name] for c in chunks])
        assert np.array_equal(joined, cols[name]), name
    # the layout a browser reads: x as little-endian float32 at the start, medium as int16 at the end
    first = chunks[0]
    assert np.frombuffer(first.data[:8], "<f4").tolist() == cols["x"][:2].tolist()
    assert np.frombuffer(first.data[-4:], "<i2").tolist() == cols["medium"][254:256].tolist()
    index = chunk_index(chunks, "/atlas/data/map/", 256)
    assert [entry["name"] for entry in index["layout"]] == ["x", "y", "cluster", "culture", "medium"]
    assert [entry["type"] for entry in index["layout"]] == ["Float32", "Float32", "Int32", "Int16", "Int16"]
    assert index["bytes_per_point"] == 16 and index["chunks"][3] == {"url": "/atlas/data/map/" + chunks[3].name, "count": 232}


def test_chunks_are_deterministic_and_named_by_content():
    a, b = build_chunks(random_columns(300), chunk=100), build_chunks(random_columns(300), chunk=100)
    assert [c.data for c in a] == [c.data for c in b] and [c.name for c in a] == [c.name for c in b]
    changed = random_columns(300)
    changed["x"][250] = 0.5
    c = build_chunks(changed, chunk=100)
    assert [x.name == y.name for x, y in zip(a, c, strict=True)] == [True, True, False]
    assert a[0].name.startswith("points-0-") and a[2].name.startswith("points-2-")


def test_bad_chunks_are_refused():
    with pytest.raises(ValueError, match="differ in length"):
        columns([0.1, 0.2], [0.1], [0, 0], [0, 0], [0, 0])
    with pytest.raises(ValueError, match="bytes"):
        decode_chunk(b"\0" * 17, 1)


def colour_of(i: int) -> tuple[int, int, int]:
    return ((i * 73) % 200 + 40, (i * 151) % 200 + 40, (i * 37) % 200 + 40)


def test_pyramid_tiles_hold_each_work_in_its_cell(tmp_path):
    works = [Record(id=f"w{i:03d}", title=f"T{i}", culture="A") for i in range(70)]
    rng = np.random.default_rng(3)
    cmap = ClusterMap(tuple(MapPoint(w.id, float(x), float(y), -1) for w, (x, y) in zip(works, rng.uniform(0, 1, (70, 2)), strict=True)), ())
    levels = (Level(32, 128, 90),)  # 16 works a tile: 5 tiles
    written = {o.path: o.data for o in map_files("/atlas/", works, cmap, {w.id: w.id for w in works},
                                                 lambda i: Image.new("RGB", (60, 60), colour_of(int(i[1:]))), tmp_path,
                                                 cell=8, sheet=32, upper=levels, chunk=64)}
    points = json.loads(written["data/map/points.json"])
    ids = json.loads(written["data/map/sprites.json"])["ids"]
    level0, level1 = points["pyramid"]
    assert level0["cell"] == 8 and level1["cell"] == 32 and level1["per_sheet"] == 16 and len(level1["sheets"]) == 5
    assert all(s["url"].startswith("/atlas/data/map/sheets/1/") for s in level1["sheets"])
    for i, work_id in enumerate(ids):  # cell i of the tiles is point i, the work of id ids[i]
        tile, k = divmod(i, level1["per_sheet"])
        x, y = (k % level1["columns"]) * 32 + 16, (k // level1["columns"]) * 32 + 16
        with Image.open(io.BytesIO(written[level1["sheets"][tile]["url"].removeprefix("/atlas/")])) as im:
            assert im.width <= 128 and im.height <= 128
            pixel = np.asarray(im.convert("RGB"))[y, x].astype(int)
        assert np.abs(pixel - colour_of(int(work_id[1:]))).max() < 20, (i, work_id)
    # the point chunks are in the same order as the cells
    cols = point_columns(works, ClusterMap(tuple(sorted(cmap.points, key=lambda p: ids.index(p.id))), ()))
    chunk = points["points"]["chunks"][0]
    assert [c["count"] for c in points["points"]["chunks"]] == [64, 6]
    decoded = decode_chunk(written[chunk["url"].removeprefix("/atlas/")], chunk["count"])
    assert np.array_equal(decoded["x"], cols["x"][:chunk["count"]])
    # a second build from the cache gives the same bytes and draws nothing
    again = {o.path: o.data for o in map_files("/atlas/", works, cmap, {w.id: w.id for w in works},
                                               lambda i: (_ for _ in ()).throw(AssertionError("redrawn")), tmp_path,
                                               cell=8, sheet=32, upper=levels, chunk=64)}
    assert again == written
