"""Stage cache keys: typed results, the code a stage imports, library versions, one folder per site."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import atlas.analysis.clusters as clusters
from atlas.analysis.clusters import Cluster, ClusterMap, MapPoint
from atlas.build import stage_folder
from atlas.core import stage_cache
from atlas.core.checked import write_checked
from atlas.core.config import SiteConfig
from atlas.core.stage_cache import StageCache, code_closure, code_digest

MAP = ClusterMap((MapPoint("a", 0.1, 0.2, 0), MapPoint("b", 0.9, 0.8, -1)),
                 (Cluster(0, "Cluster 1", 0.1, 0.2, 1, ["a"], ["a"]),))


def test_a_typed_result_comes_back_typed_and_equal(tmp_path):
    cache = StageCache(tmp_path)
    first = cache.run("map", {"v": 1}, lambda: MAP, ClusterMap)
    again = StageCache(tmp_path).run("map", {"v": 1}, lambda: pytest.fail("recomputed"), ClusterMap)
    assert first == again == MAP and isinstance(again.points[0], MapPoint)


def test_a_stored_result_of_another_shape_is_reported_and_recomputed(tmp_path):
    StageCache(tmp_path).run("map", {"v": 1}, lambda: MAP, ClusterMap)
    stored = json.loads((tmp_path / "map.json").read_text())
    stored["result"]["points"][0]["cluster_id"] = stored["result"]["points"][0].pop("cluster")  # a renamed key
    write_checked(tmp_path / "map.json", json.dumps(stored).encode())  # a well-formed file: only the shape is wrong
    cache = StageCache(tmp_path)
    assert cache.run("map", {"v": 1}, lambda: MAP, ClusterMap) == MAP
    assert cache.corrupt == [str(tmp_path / "map.json")] and not cache.decisions[0].reused


def test_code_digest_covers_imported_atlas_modules_and_library_versions(monkeypatch):
    sources, libraries = code_closure(("atlas.analysis.clusters",))
    names = [name for name, _ in sources]
    assert "atlas.analysis.reduce" in names and "atlas.core.typed" in names  # imported by clusters
    assert "scikit-learn" in libraries and "numpy" in libraries  # sklearn is imported inside functions
    before = code_digest(clusters)
    monkeypatch.setattr(stage_cache, "_version", lambda dist: "99.0" if dist == "scikit-learn" else "1")
    assert code_digest(clusters) != before  # a scikit-learn upgrade never reuses an old t-SNE


def test_two_sites_sharing_a_cache_keep_their_own_stage_results(tmp_path):
    a = SiteConfig(output="site-a", cache="cache", root=tmp_path)
    b = SiteConfig(output="site-b", cache="cache", root=tmp_path)
    assert stage_folder(a) != stage_folder(b) and stage_folder(a).parent == stage_folder(b).parent
    StageCache(stage_folder(a)).run("map", {"v": "a"}, lambda: MAP, ClusterMap)
    StageCache(stage_folder(b)).run("map", {"v": "b"}, lambda: ClusterMap((), ()), ClusterMap)
    reused = StageCache(stage_folder(a))
    assert reused.run("map", {"v": "a"}, lambda: pytest.fail("overwritten"), ClusterMap) == MAP
    assert Path(stage_folder(a), "map.json").is_file()
