"""Heat-map overlays: where in the image the network's features respond most.

As in the culture paper, the map is the backbone's last convolutional activations summed over channels
(for a ResNet, the output of layer4: 7x7 at 224 px), scaled to 0..1 and coloured in a heat palette. It shows what drove the pooled vector that every analogy is computed from;
it is not a saliency method with a class in mind, and with an untrained network it mostly follows edges
and contrast.

What is kept is the grid itself, one pixel per cell (`grid_png`: a PNG of a few hundred bytes, its alpha the
colour's strength), not a full-size picture: the site puts it in the page as a data: URI, laid over the
work's own large thumbnail, cropped to the centre square the network saw (the same resize and centre crop
as the embed stage, atlas.vectors.embed.preprocess), and the browser scales it up smoothly (issue 20: a
JPEG overlay per work was a file and ~11 KiB a work). Grids are cached under
cache/heatmaps/<model key>/<image sha256>.png, the
key hashing the model, its weights, the preprocessing and the overlay settings, so a rebuild with the
same model only makes heat maps for new or changed images. The network normally runs once per image: the
embed stage keeps each image's activation grid (cache/activations/, atlas.vectors.embed) and the overlay is drawn
from that; only images without a kept grid (embedded before it was kept) go through the network here.
Overlays and kept grids are written with their checksum and used only when they match it
(atlas.core.checked): a damaged overlay is drawn again, never published; an image whose file changed
while it was read gets no overlay in this build.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
from PIL import Image

from atlas.core.cache import key_digest, sharded, sharded_many
from atlas.core.checked import (
    CHANGED_WHILE_READ,
    image_unchanged,
    load_checked_array,
    read_checked,
    save_checked_array,
    write_checked,
)
from atlas.core.config import EmbeddingConfig, HeatmapsConfig
from atlas.core.progress import progress
from atlas.core.records import Problem, Record
from atlas.ingest.images import ImageError, open_rgb
from atlas.vectors.embed import (
    PREPROCESS_VERSION,
    model_key,
    preprocess,
    resolve_device,
)
from atlas.vectors.network import (
    Weights,
    build_network,
    grid_sums,
    last_grid,
    resolve_weights,
)

log = logging.getLogger(__name__)

HEATMAP_VERSION = 2  # bump when the map or its colouring changes (2: the grid as a tiny PNG, not a JPEG overlay)
KIND = "heat maps"  # how the build report and the site writer's check name these cache files
# A perceptual heat palette (dark purple -> red -> yellow), interpolated between these stops.
STOPS = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=np.float64)

# The bytes of the cached grids this build's make_heatmaps read and verified (path -> PNG), so the pages
# (atlas.site.heatmap_uris) do not read and check every grid a second time (10,000 small files: 0.2 s of every
# rebuild). Filled anew by each make_heatmaps; an entry is taken out when the pages read it (checked_grid).
_verified: dict[Path, bytes] = {}


def checked_grid(path: Path) -> bytes | None:
    """A cached grid's bytes: those make_heatmaps verified in this build, else read and checked now (None when
    missing or damaged, as read_checked)."""
    data = _verified.pop(path, None)
    return data if data is not None else read_checked(path, KIND)


def make_heatmaps(
    works: list[Record], digests: dict[str, str], emb: EmbeddingConfig, cfg: HeatmapsConfig, cache_dir: Path, root: Path,
    weights: Weights | None = None,
) -> tuple[dict[str, Path], list[Problem], int]:
    """({work id: cached grid PNG} for every readable image, Problems for the rest, how many were made now).

    Images whose activation grid the embed stage kept (embed_records(..., maps=True)) are drawn from it;
    only the others go through the network again."""
    weights = weights or resolve_weights(emb.model, emb.weights, emb.on_missing_weights, root)
    if weights.fallback_reason:  # the fallback's heat maps show its network part, from the grids its pass kept
        weights = weights.network_part()
    info = weights.info
    kept = cache_dir / "activations" / model_key(emb.model, info.identity, emb.image_size)
    key = key_digest(emb.model, info.identity, emb.image_size, PREPROCESS_VERSION, HEATMAP_VERSION, cfg.opacity)
    store = cache_dir / "heatmaps" / key[:16]
    known = [w.id for w in works if w.id in digests]
    paths = dict(zip(known, sharded_many(store, [digests[i] for i in known], ".png")))
    todo, seen, ready = [], set(), set()
    _verified.clear()
    for w in works:
        path = paths.get(w.id)
        if path is None or path in seen:
            continue
        seen.add(path)
        data = read_checked(path, KIND)
        if data is not None:
            ready.add(path)
            _verified[path] = data
        else:
            todo.append(w)
    rest, problems, drawn = _draw_kept(todo, digests, kept, paths, emb, cfg)
    model = build_network(weights) if rest else None  # built only for images without a kept grid (0.1 s)
    more, drawn_now = _render(model, rest, digests, paths, kept, emb, cfg, resolve_device(emb.device))
    problems, drawn = problems + more, drawn | drawn_now
    return {i: p for i, p in paths.items() if p in ready or p in drawn}, problems, len(drawn)


def activation_maps(model, batch) -> np.ndarray:
    """(N, h, w) channel sums of the last module output that still has a spatial grid (h, w > 1)."""
    import torch

    with last_grid(model) as grids, torch.inference_mode():
        model(batch)
    return grid_sums(grids, model)


def grid_image(activation: np.ndarray, opacity: float) -> Image.Image:
    """The activation grid as an RGBA image of one pixel per cell: the heat colour, and as alpha how much of
    it covers the work (`opacity` at the hottest cell, 30% of that at the coldest), as the JPEG overlay of
    HEATMAP_VERSION 1 blended it."""
    low, high = float(activation.min()), float(activation.max())
    heat = (activation - low) / (high - low) if high > low else np.zeros_like(activation, dtype=np.float64)
    alpha = opacity * (0.3 + 0.7 * heat)
    pixels = np.concatenate([_palette(heat), 255 * alpha[..., None]], axis=-1)
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "RGBA")


def grid_png(activation: np.ndarray, opacity: float) -> bytes:
    """`grid_image` as PNG bytes (no metadata, so the same grid gives the same bytes)."""
    buffer = io.BytesIO()
    grid_image(np.asarray(activation, dtype=np.float64), opacity).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _palette(values: np.ndarray) -> np.ndarray:
    positions = np.linspace(0.0, 1.0, len(STOPS))
    return np.stack([np.interp(values, positions, STOPS[:, c]) for c in range(3)], axis=-1)


def _draw_kept(todo: list[Record], digests: dict[str, str], kept: Path, paths: dict[str, Path], emb: EmbeddingConfig,
               cfg: HeatmapsConfig) -> tuple[list[Record], list[Problem], set[Path]]:
    """Draw the maps whose activation grid the embed stage kept; returns (the rest, problems, maps drawn)."""
    rest, problems, drawn = [], [], set()
    for work in todo:
        grid = load_grid(sharded(kept, digests[work.id], ".npy"))
        if grid is None:
            rest.append(work)
            continue
        if _keep_overlay(work, digests[work.id], paths[work.id], grid, cfg, problems):
            drawn.add(paths[work.id])
    return rest, problems, drawn


def load_grid(path: Path) -> np.ndarray | None:
    """A kept (h, w) activation grid, or None when missing or damaged (a damaged one is reported)."""
    return load_checked_array(path, "activation grids", (None, None))


def _keep_overlay(work: Record, digest: str, path: Path, activation: np.ndarray, cfg: HeatmapsConfig,
                  problems: list[Problem]) -> bool:
    """Cache the grid's PNG, unless the image file changed since the build hashed it (then a Problem)."""
    if not image_unchanged(work.image_path, digest):
        problems.append(_problem(work, f"no heat map: {CHANGED_WHILE_READ}"))
        return False
    write_checked(path, grid_png(activation, cfg.opacity))
    return True


def _problem(work: Record, reason: str) -> Problem:
    return Problem("heatmaps", work.id, reason, str(work.image_path), work.source_line, "warning")


def _render(model, todo: list[Record], digests: dict[str, str], paths: dict[str, Path], kept: Path,
            emb: EmbeddingConfig, cfg: HeatmapsConfig, device: str) -> tuple[list[Problem], set[Path]]:
    """Run the network for the images without a usable kept grid and draw their overlays; their grids are
    kept now (in place of a missing or damaged one). Returns (problems, overlays drawn)."""
    import torch

    if not todo:
        return [], set()
    model = model.to(device)
    to_tensor = preprocess(emb.image_size)
    problems, drawn = [], set()
    bar = progress(total=len(todo), desc="heat maps", unit="img")
    for start in range(0, len(todo), emb.batch_size):
        chunk, images = [], []
        for work in todo[start : start + emb.batch_size]:
            try:
                image = open_rgb(work.image_path)
            except ImageError as exc:
                problems.append(_problem(work, f"no heat map: {exc}"))
                continue
            chunk.append(work)
            images.append(image)
        if chunk:
            maps = activation_maps(model, torch.stack([to_tensor(i) for i in images]).to(device))
            for work, image, activation in zip(chunk, images, maps):
                if _keep_overlay(work, digests[work.id], paths[work.id], activation, cfg, problems):
                    save_checked_array(sharded(kept, digests[work.id], ".npy"), activation.astype(np.float32))
                    drawn.add(paths[work.id])
        bar.update(len(todo[start : start + emb.batch_size]))
    bar.close()
    return problems, drawn
