"""The map, probes, patterns and surprises adapted to a few changed works instead of computed again
(atlas.core.near_reuse, atlas.analysis.reuse): on a small collection built into the same output again, and
the map placement on vectors made here."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.analysis.clusters import Cluster, ClusterMap, MapPoint
from atlas.analysis.reuse import PLACE_K, adapt_map
from atlas.build import build, stage_folder
from atlas.core.config import load_config
from atlas.core.near_reuse import REUSE_SHARE, Change, compare

from .conftest import write_small_collection

STUDIES = ("scale", "map", "probes", "patterns", "surprises")
CULTURES = ("Dutch", "Chinese", "Japanese", "Persian")


def image(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=3)
    pixels = np.clip(base + rng.integers(-40, 40, size=(32, 40, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(pixels, "RGB").save(path)


def make_collection(folder: Path, count: int = 40) -> Path:
    (folder / "img").mkdir(parents=True)
    rows = []
    for i in range(count):
        image(folder / "img" / f"{i}.png", i)
        rows.append({"id": f"R{i:03d}", "title": f"Work {i}", "artist": "Anon", "date": str(1500 + 10 * i),
                     "culture": CULTURES[i % 4], "medium": ("Oil", "Ink")[i % 2], "image": f"img/{i}.png"})
    return write_small_collection(folder, rows, "Reuse", probes={"enabled": True, "min_class_size": 5, "folds": 2},
                                  patterns={"enabled": True, "min_cluster_size": 3})


def rows_of(folder: Path) -> list[dict]:
    with open(folder / "collection.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_rows(folder: Path, rows: list[dict]) -> None:
    with open(folder / "collection.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def decisions(report) -> dict[str, str]:
    return {d.stage: d.line() for d in report.decisions if d.stage in STUDIES}


def site_json(config, name: str):
    return json.loads((config.output_dir / "data" / name).read_bytes())


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A built collection (the baseline of every study) and its folder, copied by each test."""
    folder = tmp_path_factory.mktemp("near")
    build(load_config(make_collection(folder)))
    return folder


def copy(first: Path, tmp_path: Path) -> Path:
    """A copy of the built collection whose stage results follow it (they are kept per output folder)."""
    shutil.copytree(first, tmp_path / "c", symlinks=True)
    before = stage_folder(load_config(first / "site.yaml")).relative_to(first)
    stage_folder(load_config(tmp_path / "c" / "site.yaml")).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "c" / before).rename(stage_folder(load_config(tmp_path / "c" / "site.yaml")))
    return tmp_path / "c"


@pytest.mark.slow
def test_one_new_work_adapts_the_studies_and_a_removed_one_is_gone(first, tmp_path):
    folder = copy(first, tmp_path)
    rows = rows_of(folder)
    shutil.copy(folder / "img" / "7.png", folder / "img" / "twin.png")  # the same image: the same vector as R007
    write_rows(folder, rows + [dict(rows[7], id="R900", title="Twin", image="img/twin.png")])
    config = load_config(folder / "site.yaml")
    report = build(config)
    for stage, line in decisions(report).items():
        assert "reused (adapted: 1 works new or changed and 0 removed" in line, line
    points = {p["id"]: p for p in site_json(config, "map.json")["points"]}
    twin, new = points["R007"], points["R900"]
    assert new["cluster"] == twin["cluster"]
    spread = np.mean([abs(a["x"] - b["x"]) + abs(a["y"] - b["y"]) for a in points.values() for b in points.values()])
    assert abs(new["x"] - twin["x"]) + abs(new["y"] - twin["y"]) < spread
    assert "R900" not in site_json(config, "guesses.json")  # a new work's guess waits for a whole computation

    again = build(load_config(folder / "site.yaml"))  # deterministic: adapting again gives the same site
    assert again.counts["files_written"] == 0 and again.counts["files_removed"] == 0

    write_rows(folder, [r for r in rows if r["id"] != "R011"])  # the twin and R011 gone
    report = build(load_config(folder / "site.yaml"))
    assert all("adapted: 0 works new or changed and 1 removed" in line for line in decisions(report).values())
    assert "R011" not in {p["id"] for p in site_json(config, "map.json")["points"]}
    assert "R011" not in site_json(config, "guesses.json")
    members = [m for c in site_json(config, "map.json")["clusters"] for m in c["members"]]
    assert "R011" not in members and "R900" not in members


@pytest.mark.slow
def test_past_the_threshold_or_with_full_the_studies_are_computed_whole(first, tmp_path):
    folder = copy(first, tmp_path)
    changed = int(REUSE_SHARE * 40) + 1  # 3 of 40: past 5%
    for i in range(changed):
        image(folder / "img" / f"{i}.png", 1000 + i)
    report = build(load_config(folder / "site.yaml"))
    for stage, line in decisions(report).items():
        assert "recomputed" in line and f"drift {changed / 40:.4f} > {REUSE_SHARE}" in line, line
    image(folder / "img" / "20.png", 2000)  # one more: adaptable, but --full computes whole
    report = build(load_config(folder / "site.yaml"), full=True)
    assert all("recomputed" in line and "--full" in line for line in decisions(report).values())


def test_compare_counts_new_changed_and_removed_works():
    change = compare({"ids": ["a", "b", "c", "d"], "rows": ["1", "2", "3", "4"]}, ["a", "b", "d", "e"], ["1", "9", "4", "5"])
    assert change == Change(("a", "d"), ("b", "e"), ("c",), 0.75)


def test_a_new_work_is_placed_at_the_weighted_mean_of_its_nearest_unchanged_works():
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(12, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"w{i:02d}" for i in range(12)]
    old_ids = ids[:11] + ["gone"]
    points = tuple(MapPoint(w, round(float(rng.random()), 4), round(float(rng.random()), 4), i % 2)
                   for i, w in enumerate(old_ids))
    clusters = tuple(Cluster(c, f"C{c}", 0.5, 0.5, 6, [p.id for p in points if p.cluster == c],
                             [p.id for p in points if p.cluster == c][:2]) for c in (0, 1))
    change = Change(tuple(ids[:11]), ("w11",), ("gone",), 2 / 12)
    adapted = adapt_map(ClusterMap(points, clusters, "test"), change, ids, vectors)

    sims = vectors[:11] @ vectors[11]
    near = np.argsort(-sims, kind="stable")[:PLACE_K]
    weights = np.clip(sims[near], 1e-6, None)
    new = adapted.points[-1]
    assert [p.id for p in adapted.points] == ids
    assert new.x == round(float((weights * [points[j].x for j in near]).sum() / weights.sum()), 4)
    assert new.y == round(float((weights * [points[j].y for j in near]).sum() / weights.sum()), 4)
    assert new.cluster == points[near[0]].cluster
    assert adapted.points[:11] == points[:11]
    members = {c.id: c.members for c in adapted.clusters}
    assert "gone" not in members[0] + members[1] and "w11" in members[new.cluster]
    assert sum(c.size for c in adapted.clusters) == 12
    assert adapt_map(ClusterMap(points, clusters, "test"), change, ids, vectors) == adapted
