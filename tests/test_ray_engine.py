"""engine.kind: ray on real Ray runtimes: a local one (ray.init(num_cpus=2)) and a two-node cluster made
on this machine (tests/ray_support.py). Each build on Ray must publish the very bytes a local build
publishes, with every cached vector equal, and a worker killed mid-embedding must cost no more than the
batch it held. Slow: every Ray start on two shared cores takes seconds."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.build import build
from atlas.core.config import load_config

from .conftest import sample_config, write_small_collection
from .ray_support import RAY_ENV, embedding_actor_pids, start_two_nodes, stop_cluster

# Before Ray is imported: it reads its authentication mode then, and this process's driver must use the
# mode of the test cluster (tests/ray_support.py) whichever test here runs first.
os.environ.update(RAY_ENV)
ray = pytest.importorskip("ray", reason="Ray is not installed: pip install -e '.[test]' (or 'atlas[ray]')")
pytestmark = pytest.mark.slow

CULTURES = ("Dutch", "Chinese", "Persian")


def picture(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = 72 + seed % 3 * 8, 60 + seed % 2 * 12
    ramp = np.linspace(0, 1, w)[None, :, None] * rng.integers(-120, 120, 3)
    return Image.fromarray(np.clip(rng.integers(0, 256, 3) + ramp + rng.normal(0, 25, (h, w, 3)), 0, 255)
                           .astype(np.uint8), mode="RGB")


def collection(folder: Path, n: int, **sections) -> Path:
    """n small pictures and one file that is not an image, in a site that builds in seconds."""
    (folder / "images").mkdir(parents=True)
    rows = []
    for i in range(n):
        picture(i).save(folder / "images" / f"w{i}.png")
        rows.append({"id": f"w{i}", "title": f"Work {i}", "artist": "Anon", "date": str(1600 + i),
                     "culture": CULTURES[i % 3], "medium": ("Oil", "Ink")[i % 2], "image": f"images/w{i}.png"})
    (folder / "images" / "broken.png").write_bytes(b"not an image")
    rows.append({**rows[0], "id": "broken", "image": "images/broken.png"})
    labels = {"culture": {"min_group_size": 2}, "medium": {"min_group_size": 2}}
    return write_small_collection(folder, rows, "Ray", labels=labels, **sections)


def hashes(folder: Path, pattern: str = "*") -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob(pattern)) if p.is_file()}


def same_site_and_vectors(local, other, shared_cache: bool = False) -> None:
    """Byte-identical published sites, and the same cached arrays (vectors, grids, descriptor parts).

    `shared_cache`: the local build is the session's sample build, whose cache other tests also fill (an
    image changed and rebuilt): then every array the other build cached must be there, byte for byte."""
    site_a, site_b = hashes(local.output_dir), hashes(other.output_dir)
    assert site_a == site_b, sorted(k for k in site_a.keys() | site_b.keys() if site_a.get(k) != site_b.get(k))[:5]
    for kind in ("embeddings", "activations", "descriptors"):
        cached_a, cached_b = hashes(local.cache_dir / kind, "*.npy"), hashes(other.cache_dir / kind, "*.npy")
        if shared_cache:
            assert cached_b.items() <= cached_a.items(), kind
        else:
            assert cached_a == cached_b, kind


@pytest.fixture
def local_runtime():
    """A local Ray runtime in this process, shipped this checkout's atlas (as a build would)."""
    from atlas.core.engine import runtime_env

    ray.init(num_cpus=2, runtime_env=runtime_env(), include_dashboard=False)
    yield
    ray.shutdown()


def test_on_a_local_runtime_the_fallback_build_equals_the_local_build_and_engines_share_the_cache(
        tmp_path, local_runtime):
    """Weights-free fallback (untrained network + descriptors), heat maps on, two batches and a broken image."""
    missing = str(tmp_path / "missing.pth")  # one path for both sites: the about page names it
    sections = dict(embedding={"weights": missing, "on_missing_weights": "fallback", "batch_size": 8,
                               "device": "cpu"}, heatmaps={"enabled": True, "size": 96})
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    local = load_config(collection(tmp_path / "a", 14, **sections))
    on_ray = load_config(collection(tmp_path / "b", 14, engine={"kind": "ray"}, **sections))
    build(local)
    report = build(on_ray)
    same_site_and_vectors(local, on_ray)
    assert report.counts["images_embedded_now"] == 14 and any(p.record == "broken" for p in report.skipped)
    engine_notes = [n for n in report.notes if n.startswith("engine: ")]
    assert engine_notes[0].startswith("engine: ray at a private runtime on this machine: 1 nodes, 2 CPUs")
    assert any("embed on ray: 15 images" in n for n in engine_notes)  # the broken one was tried there too
    assert any("descriptors on ray: 15 images" in n for n in engine_notes)
    assert any("neighbours on ray: 14 queries" in n for n in engine_notes)
    # The local build's cache, now built on Ray: every vector reused, not one file of the site changed.
    before = hashes(local.output_dir)
    swapped = build(load_config(local.root / "site.yaml", {"engine.kind": "ray"}))
    assert swapped.counts["images_embedded_now"] == 0 and swapped.counts["embeddings_reused"] == 14
    assert hashes(local.output_dir) == before


@pytest.fixture(scope="module")
def two_nodes():
    cluster = start_two_nodes()
    yield cluster
    stop_cluster(cluster)


def test_the_sample_built_on_a_two_node_cluster_equals_the_local_build(tmp_path, two_nodes, sample_build):
    local, _ = sample_build
    config = load_config(sample_config(tmp_path, engine={"kind": "ray", "address": two_nodes.address}))
    report = build(config)
    same_site_and_vectors(local, config, shared_cache=True)
    assert report.counts["images_embedded_now"] == report.counts["works_published"]  # all 480, on the cluster
    assert any(n.startswith("engine: ray at 127.0.0.1:") and ": 2 nodes, 4 CPUs" in n for n in report.notes)


def test_an_embedding_worker_killed_mid_way_costs_at_most_a_rerun_of_what_was_missing(tmp_path, two_nodes):
    n = 40
    sections = dict(embedding={"batch_size": 2, "device": "cpu"})
    (tmp_path / "local").mkdir()
    (tmp_path / "ray").mkdir()
    local = load_config(collection(tmp_path / "local", n, **sections))
    config = load_config(collection(tmp_path / "ray", n, engine={"kind": "ray", "address": two_nodes.address},
                                    **sections))
    outcome: dict = {}
    thread = threading.Thread(target=_build_into, args=(config, outcome))
    thread.start()
    killed = _kill_an_embedder_after_the_first_vector(config, two_nodes)
    thread.join(timeout=600)
    assert killed, "no embedding actor was found to kill"
    if "error" in outcome:  # Ray gave up on the batch: a rerun embeds only what the cache lacks
        cached = len(list((config.cache_dir / "embeddings").rglob("*.npy")))
        assert 0 < cached < n
        rerun = build(config)
        assert rerun.counts["images_embedded_now"] == n - cached
    else:  # Ray restarted the actor and retried its batch
        assert outcome["report"].counts["images_embedded_now"] == n
    build(local)
    same_site_and_vectors(local, config)


def _build_into(config, outcome: dict) -> None:
    try:
        outcome["report"] = build(config)
    except Exception as exc:  # the test looks at it: the build may fail when its worker is killed
        outcome["error"] = exc


def _kill_an_embedder_after_the_first_vector(config, cluster) -> int:
    """kill -9 one embedding actor as soon as the first vector is in the cache; its pid (0 if none)."""
    deadline = time.monotonic() + 300
    store = config.cache_dir / "embeddings"
    while time.monotonic() < deadline:
        actors = embedding_actor_pids(cluster)
        if actors and store.exists() and any(store.rglob("*.npy")):
            os.kill(actors[0], signal.SIGKILL)
            return actors[0]
        time.sleep(0.05)
    return 0
