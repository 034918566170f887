"""The fallback's network part sees luminance only (atlas.vectors.luminance): a colour picture and a grey
copy of it look alike to it, its vectors are cached apart from the colour network's, and its heat maps are
drawn from the grids its own pass kept."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from atlas.core.config import EmbeddingConfig, HeatmapsConfig
from atlas.core.records import Record
from atlas.vectors.embed import embed_records, hash_images, preprocess
from atlas.vectors.luminance import LUMA, to_luminance
from atlas.vectors.network import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    build_network,
    resolve_weights,
)

CFG = EmbeddingConfig(model="resnet18", weights="none", image_size=64, batch_size=4, device="cpu")


def normalised(rgb: torch.Tensor) -> torch.Tensor:
    mean, std = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (rgb - mean) / std


def test_to_luminance_is_the_grey_picture_normalised_and_leaves_grey_alone():
    rgb = torch.rand(2, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    grey = (rgb * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(dim=1, keepdim=True).expand(-1, 3, -1, -1)
    seen = to_luminance(normalised(rgb), IMAGENET_MEAN, IMAGENET_STD)
    assert torch.allclose(seen, normalised(grey), atol=1e-5)
    assert torch.allclose(to_luminance(normalised(grey), IMAGENET_MEAN, IMAGENET_STD), normalised(grey), atol=1e-5)
    assert not torch.allclose(seen, normalised(rgb), atol=1e-2)  # a colour picture does change


def pictures(folder: Path) -> list[Record]:
    """A colour picture (strong hues, little luminance contrast between them), its grey copy, and another
    grey picture."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    colour = rng.integers(0, 256, (72, 90, 3), dtype=np.uint8)
    other = rng.integers(0, 256, (72, 90), dtype=np.uint8)
    images = {"colour": Image.fromarray(colour), "grey-copy": Image.fromarray(colour).convert("L"),
              "other-grey": Image.fromarray(other)}
    records = []
    for name, image in images.items():
        image.save(folder / f"{name}.png")
        records.append(Record(id=name, image_path=folder / f"{name}.png"))
    return records


def cosines(vectors: np.ndarray) -> np.ndarray:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return unit @ unit.T


def test_the_network_part_sees_a_colour_picture_as_its_grey_copy(tmp_path):
    records = pictures(tmp_path / "img")
    digests, _ = hash_images(records)
    weights = resolve_weights(CFG.model, CFG.weights, "fail", tmp_path)
    part = weights.network_part()
    assert part.luminance and part.info.identity == "untrained-seed0-luminance"
    assert part.network_part() == part  # taking the part twice changes nothing
    on_colour = embed_records(records, digests, CFG, tmp_path / "cache", tmp_path, weights=weights)
    on_luminance = embed_records(records, digests, CFG, tmp_path / "cache", tmp_path, weights=part)
    assert on_luminance.computed == 3  # nothing of the colour network's cache is reused
    assert len(list((tmp_path / "cache" / "embeddings").iterdir())) == 2
    seen_grey, seen_colour = cosines(on_luminance.vectors), cosines(on_colour.vectors)
    assert seen_grey[0, 1] > 0.9999  # up to the grey copy's rounding to whole grey levels
    assert seen_colour[0, 1] < seen_grey[0, 1] - 1e-3  # the colour network tells them apart
    assert seen_grey[0, 2] < seen_grey[0, 1]  # and another picture is still another picture


def test_fallback_heat_maps_come_from_the_luminance_pass(tmp_path, monkeypatch):
    """The fallback's heat maps show the network the analogies used, from the grids its pass kept: the
    network is not run a second time."""
    from atlas.vectors import heatmaps
    from atlas.vectors.features import embed_features

    records = pictures(tmp_path / "img")
    digests, _ = hash_images(records)
    cfg = dataclasses.replace(CFG, weights=str(tmp_path / "missing.pth"), on_missing_weights="fallback")
    weights = resolve_weights(cfg.model, cfg.weights, cfg.on_missing_weights, tmp_path)
    embedded = embed_features(records, digests, cfg, weights, tmp_path / "cache", tmp_path, maps=True)
    assert "on luminance" in embedded.model.features and "luminance" in embedded.model.identity
    monkeypatch.setattr(heatmaps, "activation_maps", lambda *a: pytest.fail("network run again"))
    paths, problems, made = heatmaps.make_heatmaps(records, digests, cfg, HeatmapsConfig(size=32),
                                                   tmp_path / "cache", tmp_path, weights)
    assert problems == [] and made == 3 and all(p.is_file() for p in paths.values())
    assert all("activations" not in str(p) for p in paths.values())


def test_preprocessing_is_unchanged_for_a_trained_or_plain_network(tmp_path):
    """Only the fallback's part sees luminance: the network asked for in the config sees colour."""
    weights = resolve_weights(CFG.model, CFG.weights, "untrained", tmp_path)
    assert not weights.luminance and weights.info.identity == "untrained-seed0"
    image = Image.fromarray(np.random.default_rng(2).integers(0, 256, (64, 64, 3), dtype=np.uint8))
    batch = preprocess(64)(image).unsqueeze(0)
    with torch.inference_mode():
        plain, grey = build_network(weights)(batch), build_network(weights.network_part())(batch)
    assert not torch.allclose(plain, grey, atol=1e-4)
