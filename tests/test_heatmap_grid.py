"""The heat map as a grid (atlas.vectors.heatmaps grid_png, atlas.site.heatmap_uris): one RGBA pixel per cell,
the same bytes for the same grid, a few hundred bytes as a data: URI, hottest cell brightest and most opaque."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from atlas.site.heatmap_uris import PREFIX, grid_uri
from atlas.vectors.heatmaps import grid_png


def test_a_grid_is_a_tiny_deterministic_png():
    grid = np.random.default_rng(3).random((7, 7)).astype(np.float32)
    grid[2, 5] = 9.0  # the hottest cell
    data = grid_png(grid, 0.55)
    assert data == grid_png(grid.copy(), 0.55) and data != grid_png(grid, 0.8)
    pixels = np.asarray(Image.open(io.BytesIO(data)))
    assert pixels.shape == (7, 7, 4) and len(data) < 400
    assert pixels[2, 5, 3] == round(0.55 * 255) and pixels[..., 3].min() >= round(0.3 * 0.55 * 255) - 1
    assert pixels[2, 5, :3].sum() == pixels[..., :3].sum(axis=-1).max()  # the palette's brightest end
    flat = np.asarray(Image.open(io.BytesIO(grid_png(np.ones((4, 4)), 0.5))))
    assert (flat == flat[0, 0]).all()  # a flat grid: no division by zero, one colour


def test_the_data_uri_holds_the_cached_bytes_and_refuses_a_damaged_file(tmp_path):
    from atlas.core.checked import write_checked

    good, bad = tmp_path / "a" / "good.png", tmp_path / "a" / "bad.png"
    data = grid_png(np.arange(16.0).reshape(4, 4), 0.55)
    write_checked(good, data)
    write_checked(bad, data)
    bad.write_bytes(data[:-3] + b"xyz")
    assert grid_uri(good) == PREFIX + base64.b64encode(data).decode("ascii") and len(grid_uri(good)) < 400
    assert grid_uri(bad) == ""
