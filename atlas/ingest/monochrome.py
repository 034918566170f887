"""Recognising monochrome images: greyscale scans and one-toned (sepia, blue-print) photographs.

Catalogue photographs of paintings are often old black-and-white plates: 40 of the 267 AIC images. To
colour histograms two grey photographs look alike whatever they show, so the weights-free analogies paired
grey with grey (a monochrome work's top analogy was monochrome 84% of the time against a 15% base rate).
A picture is monochrome here when its pixels barely leave one tint: in CIELAB, where distances follow
perceived colour, the 99th percentile of each pixel's distance in the (a, b) chroma plane from the image's
median tint is below TINT_SPREAD_LIMIT. Measuring from the median tint, not from grey, keeps sepia and
toned prints monochrome; the 99th percentile, not the maximum, ignores a few coloured specks (a stamp, a
colour bar's edge). On the AIC images the spreads fall into two groups: 41 images at 3.8 or below (39
exactly 0, greyscale files), then 6.6 and up (a dark portrait in a black dress is 7.2, the pale Monet beach
far above); 5.0 sits in that gap. Measuring hue alone instead (distance across the median tint's direction)
would keep strongly toned prints monochrome too, but it called three brownish AIC paintings monochrome, so
a print whose toning deepens strongly with the shadows counts as colour here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

TINT_SPREAD_LIMIT = 5.0  # CIELAB chroma units; a just noticeable difference is about 2.3
PERCENTILE = 99.0


def tint_spread(rgb: np.ndarray) -> float:
    """How far the pixels' colours stray from the image's median tint (99th percentile, CIELAB a/b units).

    `rgb` is an (h, w, 3) array of floats in [0, 1]."""
    from skimage.color import rgb2lab

    lab = rgb2lab(rgb).reshape(-1, 3)
    a, b = lab[:, 1], lab[:, 2]
    return float(np.percentile(np.hypot(a - np.median(a), b - np.median(b)), PERCENTILE))


def is_monochrome(spread: float) -> bool:
    """A tint spread below the limit: a grey or one-toned picture."""
    return spread < TINT_SPREAD_LIMIT


def image_is_monochrome(path: Path) -> bool:
    """Whether the image file at `path` is monochrome, seen at the size every descriptor sees it."""
    from PIL import Image

    from atlas.ingest.images import open_rgb

    small = open_rgb(path).resize((128, 128), Image.Resampling.BILINEAR)  # as atlas.vectors.descriptors does
    return is_monochrome(tint_spread(np.asarray(small, dtype=np.float64) / 255.0))
