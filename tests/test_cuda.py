"""The GPU path: what runs on CUDA gives what the CPU gives. Skipped on a machine without a CUDA GPU.

benchmarks/gpu_check.sh runs these first on a GPU machine (with `-m cuda`), then the sample build with
`--device cuda` and the throughput and search figures. On CUDA the network runs in float16 autocast and
channels-last (atlas.vectors.embed._forward), so vectors agree with the CPU's to a cosine, not bit for bit;
the neighbour search runs in float32 on both and must return the same neighbours.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from atlas.analysis.neighbours import exact_search_groups
from atlas.build import build
from atlas.core.config import load_config
from atlas.vectors.embed import _forward
from atlas.vectors.finetune import FinetuneSettings, finetune
from atlas.site.work_json import read_work_json
from atlas.vectors.network import load_backbone

from .conftest import write_small_collection

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU on this machine (torch.cuda.is_available() is False)"),
]

WORKS = 24


def unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_search_on_cuda_returns_the_cpus_neighbours():
    vectors = unit_rows(6000, 256, seed=1)
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 5, len(vectors))
    groups = [np.flatnonzero(labels == g) for g in range(5)] + [np.arange(len(vectors))]
    cpu = exact_search_groups(vectors, groups, k=10, device="cpu")
    gpu = exact_search_groups(vectors, groups, k=10, device="cuda")
    for (ci, cs), (gi, gs) in zip(cpu, gpu):
        assert np.array_equal(ci, gi)
        np.testing.assert_allclose(cs, gs, atol=1e-5)


def test_exact_search_on_cuda_with_query_rows_and_small_groups():
    vectors = unit_rows(500, 64, seed=3)
    groups = [np.array([5, 9]), np.arange(0, 500, 7)]
    rows = np.array([0, 5, 9, 499])
    cpu = exact_search_groups(vectors, groups, k=4, device="cpu", query_rows=rows)
    gpu = exact_search_groups(vectors, groups, k=4, device="cuda", query_rows=rows)
    for (ci, cs), (gi, gs) in zip(cpu, gpu):
        assert np.array_equal(ci, gi)
        np.testing.assert_allclose(cs, gs, atol=1e-5, equal_nan=True)
    assert gpu[0][0][1].tolist() == [9, -1, -1, -1]  # work 5's only other member is 9, padded with -1


def picture(n: int) -> Image.Image:
    """A distinct 96 px image per n: bands of colour at an angle, plus noise."""
    rng = np.random.default_rng(n)
    yy, xx = np.mgrid[0:96, 0:96]
    angle = n * 0.4
    wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) / (4 + n % 5))
    rgb = np.stack([wave * (50 + 7 * n % 80), wave * 90, -wave * (40 + 11 * n % 60)], axis=-1) + 128
    rgb += rng.normal(0, 12, rgb.shape)
    return Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), mode="RGB")


def test_network_on_cuda_agrees_with_the_cpu():
    model, _ = load_backbone("resnet18", "none", "fail", Path("."))
    model.eval()
    from atlas.vectors.embed import preprocess

    batch = torch.stack([preprocess(128)(picture(n)) for n in range(16)])
    cpu, _ = _forward(model, batch, "cpu")
    gpu, _ = _forward(model.to("cuda").to(memory_format=torch.channels_last), batch, "cuda")
    cosines = (cpu * gpu).sum(axis=1)
    assert cosines.min() > 0.999, cosines


def small_collection(tmp: Path, device: str) -> Path:
    images = tmp / "images"
    images.mkdir(parents=True)
    rows = []
    for n in range(WORKS):
        picture(n).save(images / f"w{n}.png")
        rows.append({"id": f"w{n}", "title": f"Work {n}", "artist": "Anon", "date": str(1600 + 10 * n),
                     "culture": ("Dutch", "Japanese", "Persian")[n % 3], "medium": ("Oil", "Print")[n // 12],
                     "image": f"images/w{n}.png"})
    return write_small_collection(tmp, rows, "GPU check", labels={"culture": {"min_group_size": 2},
                                  "medium": {"min_group_size": 2}}, embedding={"device": device},
                                  probes={"enabled": True, "min_class_size": 2}, heatmaps={"enabled": True, "size": 96})


def top_ones(site: Path) -> dict[tuple[str, str, str], str]:
    """{(work, field, group): its closest analogy} from every published work JSON."""
    out = {}
    for path in sorted(site.glob("iiif/*/manifest.json")):  # each work's record rides in its manifest
        analogies = read_work_json(path.read_text(encoding="utf-8"))["analogies"]
        for field, groups in analogies.items():
            for group, pairs in groups.items():
                out[(path.parent.name, field, group)] = pairs[0][0]
    return out


def test_build_on_cuda_says_so_and_finds_the_cpus_analogies(tmp_path):
    sites = {}
    for device in ("cpu", "cuda"):
        config = load_config(small_collection(tmp_path / device, device))
        build(config)
        sites[device] = config.output_dir
    assert "<dt>Device</dt><dd>cuda</dd>" in (sites["cuda"] / "about" / "index.html").read_text(encoding="utf-8")
    cpu, gpu = top_ones(sites["cpu"]), top_ones(sites["cuda"])
    assert cpu.keys() == gpu.keys() and len(cpu) >= WORKS * 4
    same = sum(cpu[key] == gpu[key] for key in cpu) / len(cpu)
    # float16 autocast moves cosines by ~1e-3; an untrained network's near-ties may swap, nothing more
    assert same >= 0.9, f"only {same:.0%} of top-1 analogies agree between the CPU and the GPU"


def test_finetune_runs_on_cuda(tmp_path):
    config = load_config(small_collection(tmp_path, "cuda"))
    out = tmp_path / "tuned.pt"
    summary = finetune(config, FinetuneSettings(out, epochs=1, steps=2, lr=1e-3, batch_size=6, device="cuda"))
    assert summary["device"] == "cuda" and summary["steps"] == 2
    checkpoint = torch.load(out, map_location="cpu", weights_only=True)
    assert all(torch.isfinite(t).all() for t in checkpoint["state_dict"].values() if t.is_floating_point())
