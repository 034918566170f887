"""engine: in site.yaml without a cluster: local stays the default and never imports Ray, a missing Ray is
one line saying how to install it, and the query split the Ray search relies on changes no answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from atlas.analysis.neighbours import exact_search_groups, query_step, search_candidates
from atlas.analysis.ray_neighbours import query_pieces
from atlas.cli import main
from atlas.core.config import ConfigError, load_config
from atlas.core.engine import INSTALL_LINE, EngineUnavailable, require_ray
from atlas.preflight import check_config

ROOT = Path(__file__).resolve().parent.parent


def site_yaml(tmp_path: Path, **engine) -> Path:
    config = {"collection": {"format": "sample", "path": "sample"}, "embedding": {"weights": "none"}}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump({**config, **({"engine": engine} if engine else {})}),
                                        encoding="utf-8")
    return tmp_path / "site.yaml"


def test_the_engine_is_local_unless_site_yaml_says_ray(tmp_path):
    assert load_config(site_yaml(tmp_path)).engine.kind == "local"
    config = load_config(site_yaml(tmp_path, kind="ray", address="auto", actors=3, gpus_per_worker=0.5))
    assert (config.engine.kind, config.engine.address, config.engine.actors, config.engine.gpus_per_worker) == \
        ("ray", "auto", 3, 0.5)
    with pytest.raises(ConfigError, match="engine.kind is 'spark'; expected one of: local, ray"):
        load_config(site_yaml(tmp_path, kind="spark"))


def test_without_ray_engine_kind_ray_is_one_line_saying_how_to_install_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets when Ray is not installed
    config = load_config(site_yaml(tmp_path, kind="ray"))
    assert INSTALL_LINE in check_config(config).errors
    assert check_config(load_config(site_yaml(tmp_path))).errors == ()  # local needs no Ray
    with pytest.raises(EngineUnavailable, match="pip install 'atlas\\[ray\\]'"):
        require_ray()
    assert main(["build", "--config", str(site_yaml(tmp_path, kind="ray"))]) == 2
    err = capsys.readouterr().err
    assert "pip install 'atlas[ray]'" in err and "Traceback" not in err
    assert not (tmp_path / "build").exists()  # refused before anything was written


def test_a_local_build_never_imports_ray(tmp_path):
    """Importing the build and choosing the local engine loads no Ray module (checked in a fresh process)."""
    code = ("import sys; from atlas.core.config import load_config; from atlas.engines import engine_for\n"
            f"with engine_for(load_config({str(site_yaml(tmp_path))!r})) as engine: assert engine.offload is None\n"
            "import atlas.build, atlas.cli\n"
            "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("n, step, pieces", [(10, 3, 4), (1000, 64, 7), (5, 8, 3), (64, 64, 64)])
def test_query_pieces_cover_every_query_once_in_whole_blocks(n, step, pieces):
    parts = query_pieces(n, step, pieces)
    assert [i for start, stop in parts for i in range(start, stop)] == list(range(n))
    assert len(parts) <= pieces
    assert all((stop - start) % step == 0 for start, stop in parts[:-1])


def test_the_search_split_into_pieces_equals_the_whole_search_ties_included():
    """What each Ray task computes (exact_search_groups over a piece of query_rows), stacked, is the local
    answer bit for bit, on vectors full of exact ties (repeated rows)."""
    rng = np.random.default_rng(3)
    base = rng.normal(size=(40, 16)).astype(np.float32)
    vectors = np.concatenate([base, base, base[:17]])  # every row has twins: equal scores everywhere
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = [np.flatnonzero(np.arange(len(vectors)) % 3 == g) for g in range(3)] + [np.arange(len(vectors))]
    whole = exact_search_groups(vectors, groups, 5, block_size=8)
    step = query_step(search_candidates(groups), 8, "cpu")
    pieces = [exact_search_groups(vectors, groups, 5, 8, "cpu", query_rows=np.arange(start, stop))
              for start, stop in query_pieces(len(vectors), step, 4)]
    for g, (indices, scores) in enumerate(whole):
        assert np.array_equal(np.concatenate([p[g][0] for p in pieces]), indices)
        assert np.array_equal(np.concatenate([p[g][1] for p in pieces]), scores, equal_nan=True)
