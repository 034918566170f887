"""Feature variants tried for issue 15's monochrome-aware comparison and not kept (benchmarks/fallback_parts.py
reports them against what a build does):

- the network on histogram-equalised luminance: catalogue photographs of plates have a compressed tonal
  range, so equalising each image's grey levels before the network might make plates and paintings alike;
- local binary patterns after a small Gaussian blur (sigma 1 px at the descriptors' 128 px): the plates'
  grain makes micro-texture of its own.

They are computed here (not in atlas/) and cached as one array per task and variant under the benchmark's
cache folder, keyed by the images' digests, so a rerun costs nothing.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from atlas.core.records import Record
from atlas.ingest.images import open_rgb
from atlas.vectors import descriptors as D

BLUR_SIGMA = 1.0
BATCH = 16


def cached(folder: Path, name: str, digests: list[str], compute) -> np.ndarray:
    """compute() once per (variant, images); later runs read the array."""
    key = hashlib.sha256("\n".join(digests).encode()).hexdigest()[:16]
    path = folder / "tried" / f"{name}-{key}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    vectors = np.asarray(compute(), dtype=np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors, allow_pickle=False)
    return vectors


def equalised_network(records: list[Record], model: str, image_size: int) -> np.ndarray:
    """The untrained network's pooled features of each image's histogram-equalised luminance."""
    import torch
    from PIL import ImageOps

    from atlas.vectors.embed import preprocess
    from atlas.vectors.network import build_network, resolve_weights

    net = build_network(resolve_weights(model, "none", "fail", Path(".")))
    transform = preprocess(image_size)
    out = []
    for start in range(0, len(records), BATCH):
        images = [ImageOps.equalize(open_rgb(r.image_path).convert("L")).convert("RGB")
                  for r in records[start : start + BATCH]]
        with torch.inference_mode():
            out.append(torch.nn.functional.normalize(net(torch.stack([transform(i) for i in images])), dim=1).numpy())
    return np.concatenate(out)


def blurred_lbp(records: list[Record]) -> np.ndarray:
    """atlas.vectors.descriptors.lbp_histogram of each image after a Gaussian blur of BLUR_SIGMA px."""
    from skimage.filters import gaussian

    rows = []
    for r in records:
        rgb = D.descriptor_pixels(open_rgb(r.image_path))
        rows.append(D.lbp_histogram(gaussian(rgb, BLUR_SIGMA, channel_axis=-1)))
    return np.stack(rows)
