"""Image descriptors that need no trained weights: colour and texture statistics, and their combinations.

Pretrained weights cannot always be had (no internet, a locked-down museum server). An untrained network
still sees colour and layout, but hand-made descriptors measure those directly, and texture too. Each
descriptor here turns an image into one fixed-length vector:

- `lab`:  a joint 8x8x8 histogram in CIELAB, a colour space built so that distances follow perceived
          colour differences (RGB bins split greens finely and blues coarsely);
- `hsv`:  a joint 16x4x4 hue/saturation/value histogram (hue is what painters call colour);
- `lbp`:  uniform local binary patterns at three radii, on a 2x2 grid plus the whole image: brushwork,
          hatching, flat poster colour and fine detail have different micro-texture;
- `hog`:  histograms of oriented gradients on a 4x4 grid: where the strong edges are and which way.

All histograms are square-rooted (the Hellinger map, so that cosine similarity behaves like the
Bhattacharyya coefficient instead of being dominated by the largest bin) and L2-normalised.

A combination ("resnet50+lab+lbp") is a normalised concatenation: each part is centred on the
collection's mean and L2-normalised, so every part weighs the same whatever its length, then the parts
are concatenated and normalised again. Which combination a fallback build uses is decided by
measurement (benchmarks/wikiart_features.py), not by taste: see FALLBACK below.

scikit-image provides the colour conversions, LBP and HOG: a well-tested library made for exactly this,
rather than hand-written loops.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from atlas.core.cache import sharded
from atlas.core.checked import (
    CHANGED_WHILE_READ,
    image_unchanged,
    load_checked_array,
    save_checked_array,
)
from atlas.core.progress import progress
from atlas.core.records import Problem, Record
from atlas.ingest.images import ImageError, open_rgb
from atlas.ingest.monochrome import tint_spread
from atlas.vectors.matrix import normalise_rows_in_place

DESCRIPTOR_SIZE = 128  # images are reduced to this square before any descriptor is computed
LAB_BINS = 8
HSV_BINS = (16, 4, 4)
LBP_RADII = (1, 2, 3)
LBP_POINTS = 8
HOG_GRID = 4
HOG_ORIENTATIONS = 9


def lab_histogram(rgb: np.ndarray) -> np.ndarray:
    """Joint CIELAB histogram: L in [0, 100], a and b in [-90, 90] (values outside are clipped)."""
    from skimage.color import rgb2lab

    lab = rgb2lab(rgb).reshape(-1, 3)
    ranges = ((0.0, 100.0), (-90.0, 90.0), (-90.0, 90.0))
    clipped = np.stack([np.clip(lab[:, i], lo, hi - 1e-6) for i, (lo, hi) in enumerate(ranges)], axis=1)
    hist, _ = np.histogramdd(clipped, bins=(LAB_BINS,) * 3, range=ranges)
    return _hellinger(hist.ravel())


def hsv_histogram(rgb: np.ndarray) -> np.ndarray:
    """Joint hue / saturation / value histogram."""
    from skimage.color import rgb2hsv

    hsv = np.clip(rgb2hsv(rgb).reshape(-1, 3), 0.0, 1.0 - 1e-6)
    hist, _ = np.histogramdd(hsv, bins=HSV_BINS, range=((0, 1),) * 3)
    return _hellinger(hist.ravel())


def lbp_histogram(rgb: np.ndarray) -> np.ndarray:
    """Uniform LBP codes at several radii, histogrammed over the whole image and a 2x2 grid."""
    from skimage.color import rgb2gray
    from skimage.feature import local_binary_pattern

    grey = (rgb2gray(rgb) * 255).astype(np.uint8)
    bins = LBP_POINTS + 2  # uniform patterns 0..P, plus one bin for all non-uniform ones
    parts = []
    h, w = grey.shape
    cells = [(slice(0, h), slice(0, w))] + [
        (slice(r * h // 2, (r + 1) * h // 2), slice(c * w // 2, (c + 1) * w // 2)) for r in range(2) for c in range(2)
    ]
    for radius in LBP_RADII:
        codes = local_binary_pattern(grey, LBP_POINTS, radius, method="uniform")
        for rows, cols in cells:
            hist, _ = np.histogram(codes[rows, cols], bins=bins, range=(0, bins))
            parts.append(hist / max(hist.sum(), 1))
    return _hellinger(np.concatenate(parts))


def hog_descriptor(rgb: np.ndarray) -> np.ndarray:
    """Oriented-gradient histograms on a HOG_GRID x HOG_GRID grid (one block per cell)."""
    from skimage.color import rgb2gray
    from skimage.feature import hog

    grey = rgb2gray(rgb)
    cell = grey.shape[0] // HOG_GRID
    vector = hog(grey, orientations=HOG_ORIENTATIONS, pixels_per_cell=(cell, cell), cells_per_block=(1, 1),
                 block_norm="L2-Hys", feature_vector=True)
    return _l2(np.sqrt(np.maximum(vector, 0.0)))


def tint_descriptor(rgb: np.ndarray) -> np.ndarray:
    """One number, the tint spread (atlas.ingest.monochrome): cached like a descriptor, never a feature."""
    return np.array([tint_spread(rgb)])


@dataclass(frozen=True)
class Descriptor:
    name: str
    title: str  # how the about page names it
    version: int  # bump when the computation changes: part of the cache key, so old vectors are not reused
    compute: Callable[[np.ndarray], np.ndarray]


DESCRIPTORS: dict[str, Descriptor] = {
    d.name: d
    for d in (
        Descriptor("lab", f"CIELAB colour histogram ({LAB_BINS}x{LAB_BINS}x{LAB_BINS})", 1, lab_histogram),
        Descriptor("hsv", "HSV colour histogram ({}x{}x{})".format(*HSV_BINS), 1, hsv_histogram),
        Descriptor("lbp", f"local binary pattern texture (radii {', '.join(map(str, LBP_RADII))}; 2x2 grid)", 1, lbp_histogram),
        Descriptor("hog", f"oriented-gradient layout (HOG, {HOG_GRID}x{HOG_GRID} grid)", 1, hog_descriptor),
    )
}
# Per-image numbers computed and cached like descriptors, but never features: the tint spread that tells a
# monochrome image (atlas.ingest.monochrome), read by the fallback to compare colour only between colour images.
FLAGS: dict[str, Descriptor] = {
    "tint": Descriptor("tint", "tint spread (monochrome detector, atlas.ingest.monochrome)", 1, tint_descriptor),
}


def lookup(name: str) -> Descriptor:
    """A descriptor or a flag by name."""
    return DESCRIPTORS[name] if name in DESCRIPTORS else FLAGS[name]

# The weights-free embedder a build falls back to (embedding.on_missing_weights: fallback). Chosen as
# the best style precision@10 on wikiart-styles of every embedder and combination measured by
# benchmarks/wikiart_features.py (table in benchmarks/README.md). "net" stands for the configured
# network, untrained.
# Measured on all 7,000 works (benchmarks/README.md): untrained resnet50 + lab + hsv + lbp + hog 0.349, the
# same without hsv 0.346 (0.002 +- 0.001 behind, paired), the four descriptors without the network 0.344
# (0.005 +- 0.001 behind), the untrained resnet50 alone 0.276, base rate 0.143.
FALLBACK = ("net", "lab", "hsv", "lbp", "hog")
FALLBACK_MEASURE = (
    "style precision@10 0.349 on the 7,000 wikiart-styles works, against 0.276 for the untrained ResNet-50 "
    "alone and a base rate of 0.143"
)


def descriptor_pixels(image) -> np.ndarray:
    """The RGB array every descriptor sees: the image squeezed to DESCRIPTOR_SIZE square, as floats in [0, 1]."""
    from PIL import Image

    small = image.convert("RGB").resize((DESCRIPTOR_SIZE, DESCRIPTOR_SIZE), Image.Resampling.BILINEAR)
    return np.asarray(small, dtype=np.float64) / 255.0


def describe(path: Path, names: list[str]) -> dict[str, np.ndarray]:
    """{descriptor name: vector} for one image file. Raises ImageError when it cannot be decoded."""
    rgb = descriptor_pixels(open_rgb(path))
    return {name: lookup(name).compute(rgb).astype(np.float32) for name in names}


def descriptor_store(cache_dir: Path, name: str) -> Path:
    """Cache folder of one descriptor: its name, version and input size are in the folder name."""
    d = lookup(name)
    return Path(cache_dir) / "descriptors" / f"{d.name}-v{d.version}-{DESCRIPTOR_SIZE}px"


def descriptor_vectors(
    records: list[Record], digests: dict[str, str], names: list[str], cache_dir: Path
) -> tuple[dict[str, dict[str, np.ndarray]], list[Problem]]:
    """({name: {digest: vector}}, problems) for every record with a digest; cached per image content.

    Parts are stored with their checksum and verified when read (atlas.core.checked); an image whose file
    changed while it was read caches nothing and becomes a Problem."""
    found: dict[str, dict[str, np.ndarray]] = {n: {} for n in names}
    problems, seen = [], set()
    dims = {n: descriptor_dim(n) for n in names}
    for rec in progress(records, "descriptors", unit="img"):
        digest = digests.get(rec.id)
        if digest is None or digest in seen:
            continue
        seen.add(digest)
        missing = []
        for n in names:
            vector = load_checked_array(sharded(descriptor_store(cache_dir, n), digest, ".npy"), "descriptor parts",
                                        (dims[n],))
            if vector is None:
                missing.append(n)
            else:
                found[n][digest] = vector
        if not missing:
            continue
        try:
            computed = describe(rec.image_path, missing)
        except ImageError as exc:
            problems.append(Problem("embed", rec.id, str(exc), str(rec.image_path or ""), rec.source_line))
            continue
        if not image_unchanged(rec.image_path, digest):
            problems.append(Problem("embed", rec.id, CHANGED_WHILE_READ, str(rec.image_path or ""), rec.source_line))
            continue
        for n, vector in computed.items():
            save_checked_array(sharded(descriptor_store(cache_dir, n), digest, ".npy"), vector)
            found[n][digest] = vector
    return found, problems


def combine(parts: list[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
    """Normalised concatenation: each part centred on its mean and L2-normalised, then joined and normalised.

    Written into `out` when given (e.g. a memory-mapped matrix of the joined width), one part and then
    one block of rows at a time, so no second joined matrix is ever made."""
    rows, width = len(parts[0]), sum(p.shape[1] for p in parts)
    out = np.empty((rows, width), np.float32) if out is None else out
    column = 0
    for part in parts:
        centred = part - part.mean(axis=0, keepdims=True)
        out[:, column : column + part.shape[1]] = centred / np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-12)
        column += part.shape[1]
    return normalise_rows_in_place(out)


def descriptor_dim(name: str) -> int:
    """Length of one descriptor's vector."""
    return len(lookup(name).compute(np.zeros((DESCRIPTOR_SIZE, DESCRIPTOR_SIZE, 3))))


def _hellinger(hist: np.ndarray) -> np.ndarray:
    total = hist.sum()
    return _l2(np.sqrt(hist / total) if total > 0 else hist.astype(np.float64))


def _l2(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector
