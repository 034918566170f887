"""Weights-free descriptors and the fallback embedder built from them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.core.config import EmbeddingConfig
from atlas.core.records import Record
from atlas.vectors import descriptors
from atlas.vectors.descriptors import (
    DESCRIPTORS,
    combine,
    describe,
    descriptor_store,
    descriptor_vectors,
)
from atlas.vectors.embed import embed_records, hash_images
from atlas.vectors.features import embed_features
from atlas.vectors.network import WeightsUnavailable, resolve_weights


def make_images(tmp: Path) -> dict[str, Path]:
    """Four pictures that differ in colour, texture or layout."""
    rng = np.random.default_rng(0)
    _, x = np.mgrid[0:160, 0:200]
    pictures = {
        "red-flat": np.dstack([np.full_like(x, 200), np.full_like(x, 40), np.full_like(x, 30)]),
        "blue-flat": np.dstack([np.full_like(x, 30), np.full_like(x, 60), np.full_like(x, 210)]),
        "red-noise": np.clip(np.dstack([np.full_like(x, 200), np.full_like(x, 40), np.full_like(x, 30)])
                             + rng.normal(0, 40, (160, 200, 3)), 0, 255),
        "stripes": np.dstack([(x // 8 % 2) * 255] * 3),
    }
    paths = {}
    for name, pixels in pictures.items():
        paths[name] = tmp / f"{name}.png"
        Image.fromarray(pixels.astype(np.uint8)).save(paths[name])
    return paths


@pytest.fixture
def images(tmp_path):
    return make_images(tmp_path)


def test_descriptors_are_deterministic_unit_vectors(images):
    names = list(DESCRIPTORS)
    first = describe(images["stripes"], names)
    again = describe(images["stripes"], names)
    for name in names:
        assert first[name].dtype == np.float32
        assert np.array_equal(first[name], again[name])
        assert np.linalg.norm(first[name]) == pytest.approx(1.0, abs=1e-5)


def test_descriptors_tell_different_pictures_apart(images):
    vectors = {k: describe(p, list(DESCRIPTORS)) for k, p in images.items()}
    # colour histograms: the two flat pictures share no colour; the noisy red is closer to the flat red
    for name in ("lab", "hsv"):
        assert float(vectors["red-flat"][name] @ vectors["blue-flat"][name]) < 0.2
        assert float(vectors["red-noise"][name] @ vectors["red-flat"][name]) > float(vectors["red-noise"][name] @ vectors["blue-flat"][name])
    # texture: noise and stripes differ from flat colour, flat red and flat blue have the same (no) texture
    assert float(vectors["red-flat"]["lbp"] @ vectors["blue-flat"]["lbp"]) == pytest.approx(1.0, abs=1e-5)
    assert float(vectors["red-noise"]["lbp"] @ vectors["red-flat"]["lbp"]) < 0.9
    assert float(vectors["stripes"]["hog"] @ vectors["red-noise"]["hog"]) < 0.9
    for name in DESCRIPTORS:
        distinct = {vectors[k][name].tobytes() for k in ("red-noise", "stripes", "red-flat")}
        assert len(distinct) == 3, name


def test_cache_folder_names_descriptor_and_version_and_cached_vectors_are_reused(images, tmp_path, monkeypatch):
    records = [Record(id=k, image_path=p) for k, p in images.items()]
    digests, _ = hash_images(records)
    cache = tmp_path / "cache"
    found, problems = descriptor_vectors(records, digests, ["lab", "lbp"], cache)
    assert not problems and len(found["lab"]) == 4
    assert descriptor_store(cache, "lab").name == f"lab-v{DESCRIPTORS['lab'].version}-{descriptors.DESCRIPTOR_SIZE}px"
    assert len(list(descriptor_store(cache, "lab").rglob("*.npy"))) == 4
    # a second run reads the cache: computing anything now would fail
    monkeypatch.setattr(descriptors, "describe", lambda *a: (_ for _ in ()).throw(AssertionError("recomputed")))
    again, _ = descriptor_vectors(records, digests, ["lab", "lbp"], cache)
    assert all(np.array_equal(found["lab"][d], again["lab"][d]) for d in found["lab"])
    # a new version of a descriptor is a new folder: old vectors are never mixed in
    old = descriptor_store(cache, "lab")
    bumped = dataclasses.replace(DESCRIPTORS["lab"], version=DESCRIPTORS["lab"].version + 1)
    monkeypatch.setitem(DESCRIPTORS, "lab", bumped)
    assert descriptor_store(cache, "lab") != old
    assert not descriptor_store(cache, "lab").exists()


def test_broken_image_is_a_problem_not_an_exception(images, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not an image at all")
    records = [Record(id="ok", image_path=images["stripes"]), Record(id="bad", image_path=broken)]
    digests, _ = hash_images(records)
    found, problems = descriptor_vectors(records, digests, ["hog"], tmp_path / "cache")
    assert len(found["hog"]) == 1
    assert [(p.record, p.stage) for p in problems] == [("bad", "embed")]


def test_combine_weighs_each_part_equally():
    rng = np.random.default_rng(0)
    small = rng.normal(size=(50, 4)) * 0.001 + 5  # tiny spread around a large common component
    large = rng.normal(size=(50, 300))
    joined = combine([small, large])
    assert joined.shape == (50, 304)
    assert np.allclose(np.linalg.norm(joined, axis=1), 1.0, atol=1e-5)
    # each part ends up with half of the squared norm, whatever its length or scale
    assert np.allclose((joined[:, :4] ** 2).sum(axis=1), 0.5, atol=1e-5)


def test_missing_weights_fall_back_to_the_measured_combination(images, tmp_path):
    records = [Record(id=k, image_path=p) for k, p in images.items()]
    digests, _ = hash_images(records)
    cfg = EmbeddingConfig(model="resnet18", weights=str(tmp_path / "missing.pth"), image_size=64, on_missing_weights="fail")
    with pytest.raises(WeightsUnavailable, match="on_missing_weights: fallback"):
        embed_records(records, digests, cfg, tmp_path / "cache", tmp_path)
    fallback = dataclasses.replace(cfg, on_missing_weights="fallback")
    weights = resolve_weights(fallback.model, fallback.weights, fallback.on_missing_weights, tmp_path)
    assert weights.fallback_reason.startswith("weights file not found")  # the typed reason, no advice text
    with pytest.raises(WeightsUnavailable):  # the network alone never passes itself off as the fallback
        embed_records(records, digests, fallback, tmp_path / "cache", tmp_path, weights=weights)
    result = embed_features(records, digests, fallback, weights, tmp_path / "cache", tmp_path)
    assert result.ids == [r.id for r in records]
    assert not result.model.pretrained
    assert "weights file not found" in result.model.warning and "WEIGHTS-FREE FALLBACK" in result.model.warning
    parts = [n for n in descriptors.FALLBACK if n != "net"]
    for name in parts:
        assert DESCRIPTORS[name].title in result.model.features
        assert f"{name}-v{DESCRIPTORS[name].version}" in result.model.identity
    net_dim = 512 if "net" in descriptors.FALLBACK else 0
    assert result.vectors.shape == (4, net_dim + sum(len(describe(images["stripes"], [n])[n]) for n in parts))
    assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
