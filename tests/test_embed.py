"""atlas.vectors.embed: vectors, the content-addressed cache, broken images and where the weights come from.

Every test runs an untrained ResNet-18 on a few 32 px images on the CPU (no weights can be downloaded
here, and it is quick on two cores).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from atlas.core.config import EmbeddingConfig
from atlas.core.records import Record
from atlas.vectors.embed import centre, embed_records, hash_images
from atlas.vectors.network import WeightsUnavailable

CFG = EmbeddingConfig(model="resnet18", weights="none", image_size=32, batch_size=4, device="cpu")
N = 5


def write_image(path: Path, seed: int, size: tuple[int, int] = (48, 40)) -> Path:
    """A distinct picture per seed: a colour gradient plus noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    base = rng.integers(0, 256, 3)
    ramp = np.linspace(0, 1, w)[None, :, None] * rng.integers(-120, 120, 3)
    arr = np.clip(base + ramp + rng.normal(0, 30, (h, w, 3)), 0, 255).astype(np.uint8)
    Image.fromarray(arr, mode="RGB").save(path)
    return path


def make_records(folder: Path, n: int = N, start: int = 0) -> list[Record]:
    folder.mkdir(parents=True, exist_ok=True)
    return [
        Record(id=f"w{i}", image_path=write_image(folder / f"w{i}.png", seed=i), source_line=i + 2)
        for i in range(start, start + n)
    ]


def embed(records, tmp_path: Path, cfg: EmbeddingConfig = CFG, cache: str = "cache"):
    digests, problems = hash_images(records)
    assert problems == []
    return embed_records(records, digests, cfg, tmp_path / cache, tmp_path)


def cache_file(cache_dir: Path, digest: str) -> Path:
    found = list((cache_dir / "embeddings").glob(f"*/{digest[:2]}/{digest}.npy"))
    assert len(found) == 1, found
    return found[0]


def mean_offdiagonal_cosine(vectors: np.ndarray) -> float:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    n = len(vectors)
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))


# --- vectors and the cache ---------------------------------------------------------------------------


def test_vectors_are_unit_float32_rows_in_record_order(tmp_path):
    records = make_records(tmp_path / "img")
    result = embed(records, tmp_path)
    assert result.ids == [r.id for r in records]
    assert result.vectors.shape == (N, 512)
    assert result.vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(result.vectors, axis=1), 1.0, atol=1e-5)
    assert np.all(np.isfinite(result.vectors))
    assert len({row.tobytes() for row in result.vectors}) == N, "distinct images must get distinct vectors"
    assert result.computed == N and result.reused == 0 and result.problems == []
    assert result.device == "cpu"
    assert not result.model.pretrained
    assert "untrained" in result.model.warning.lower()
    assert result.model.name == "resnet18" and result.model.weights_requested == "none"


def test_second_call_reuses_every_vector_unchanged(tmp_path):
    records = make_records(tmp_path / "img")
    first = embed(records, tmp_path)
    second = embed(records, tmp_path)
    assert (second.computed, second.reused) == (0, N)
    assert second.ids == first.ids
    assert np.array_equal(second.vectors, first.vectors)


def test_untrained_network_is_reproducible_across_caches(tmp_path):
    records = make_records(tmp_path / "img")
    a = embed(records, tmp_path, cache="cache-a")
    b = embed(records, tmp_path, cache="cache-b")
    assert b.computed == N
    assert np.allclose(a.vectors, b.vectors, atol=1e-6)


def test_a_corrupt_cache_file_is_recomputed(tmp_path):
    records = make_records(tmp_path / "img")
    first = embed(records, tmp_path)
    victim = cache_file(tmp_path / "cache", first.digests["w2"])
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])
    again = embed(records, tmp_path)
    assert (again.computed, again.reused) == (1, N - 1)
    assert again.corrupt_cache == [str(victim)]  # reported, not silently replaced
    assert np.allclose(again.vectors, first.vectors, atol=1e-6)
    assert victim.stat().st_size == len(data)
    assert embed(records, tmp_path).corrupt_cache == []


def test_a_changed_image_is_the_only_one_recomputed(tmp_path):
    records = make_records(tmp_path / "img")
    first = embed(records, tmp_path)
    write_image(records[3].image_path, seed=99)
    again = embed(records, tmp_path)
    assert (again.computed, again.reused) == (1, N - 1)
    assert again.digests["w3"] != first.digests["w3"]
    changed = [i for i in range(N) if not np.array_equal(again.vectors[i], first.vectors[i])]
    assert changed == [3]


def test_identical_images_are_embedded_once(tmp_path):
    records = make_records(tmp_path / "img", n=3)
    twin = tmp_path / "img" / "twin.png"
    twin.write_bytes(records[1].image_path.read_bytes())
    records.append(Record(id="twin", image_path=twin))
    result = embed(records, tmp_path)
    assert result.digests["twin"] == result.digests["w1"]
    assert result.computed == 3  # distinct images, not records
    assert result.ids == ["w0", "w1", "w2", "twin"]
    assert np.array_equal(result.vectors[3], result.vectors[1])
    assert len(list((tmp_path / "cache" / "embeddings").rglob("*.npy"))) == 3


def test_a_broken_image_is_a_problem_and_the_rest_are_embedded(tmp_path):
    records = make_records(tmp_path / "img", n=4)
    bad = tmp_path / "img" / "bad.jpg"
    bad.write_bytes(b"this is not a jpeg at all" * 20)
    records.insert(2, Record(id="bad", image_path=bad, source_line=7))
    result = embed(records, tmp_path)
    assert result.ids == ["w0", "w1", "w2", "w3"]
    assert result.vectors.shape == (4, 512)
    assert result.computed == 4
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.record == "bad"
    assert "not a recognised image format" in problem.reason
    assert problem.file == str(bad) and problem.line == 7
    # It is not cached as a success: the next build tries it again and reports it again.
    again = embed(records, tmp_path)
    assert (again.computed, again.reused) == (0, 4)
    assert [p.record for p in again.problems] == ["bad"]


def test_a_record_without_a_digest_is_left_out(tmp_path):
    records = make_records(tmp_path / "img", n=3)
    digests, _ = hash_images(records)
    del digests["w1"]
    result = embed_records(records, digests, CFG, tmp_path / "cache", tmp_path)
    assert result.ids == ["w0", "w2"] and result.computed == 2


# --- weights -----------------------------------------------------------------------------------------


@pytest.fixture
def offline_torch_hub(tmp_path, monkeypatch):
    """An empty torch hub cache and a proxy that refuses connections: the imagenet weights cannot be had."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    for var in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)


def test_missing_imagenet_weights_fail_loudly(tmp_path, offline_torch_hub):
    records = make_records(tmp_path / "img", n=2)
    cfg = replace(CFG, weights="imagenet", on_missing_weights="fail")
    with pytest.raises(WeightsUnavailable) as info:
        embed(records, tmp_path, cfg)
    message = str(info.value)
    assert "resnet18" in message and "could not be loaded" in message
    assert "on_missing_weights" in message  # says how to go on without them
    assert not (tmp_path / "cache" / "embeddings").exists()


def test_missing_imagenet_weights_with_untrained_fallback_warn(tmp_path, offline_torch_hub):
    records = make_records(tmp_path / "img", n=2)
    cfg = replace(CFG, weights="imagenet", on_missing_weights="untrained")
    result = embed(records, tmp_path, cfg)
    assert result.vectors.shape == (2, 512)
    assert not result.model.pretrained
    assert result.model.weights_requested == "imagenet"
    assert "UNTRAINED" in result.model.warning
    assert "could not be loaded" in result.model.warning  # names the failure
    assert "untrained" in result.model.weights_used


def save_perturbed_resnet18(path: Path, wrap: bool = False) -> Path:
    import torch
    import torchvision

    torch.manual_seed(123)
    state = torchvision.models.resnet18(weights=None).state_dict()
    state["conv1.weight"] = state["conv1.weight"] * 3.0 + 0.01
    torch.save({"state_dict": state} if wrap else state, path)
    return path


def test_local_weights_file_is_used_and_keyed(tmp_path):
    records = make_records(tmp_path / "img", n=3)
    untrained = embed(records, tmp_path)
    weights = save_perturbed_resnet18(tmp_path / "w.pth")
    result = embed(records, tmp_path, replace(CFG, weights=str(weights)))
    assert result.model.pretrained
    assert result.model.warning == ""
    assert "w.pth" in result.model.weights_used
    assert result.computed == 3 and result.reused == 0  # a new model: the old vectors are not reused
    assert not np.allclose(result.vectors, untrained.vectors, atol=1e-3)
    stores = sorted(p.name for p in (tmp_path / "cache" / "embeddings").iterdir())
    assert len(stores) == 2
    again = embed(records, tmp_path, replace(CFG, weights=str(weights)))
    assert (again.computed, again.reused) == (0, 3)
    assert np.array_equal(again.vectors, result.vectors)


def test_relative_weights_path_and_wrapped_state_dict(tmp_path):
    records = make_records(tmp_path / "img", n=2)
    save_perturbed_resnet18(tmp_path / "wrapped.pth", wrap=True)
    result = embed(records, tmp_path, replace(CFG, weights="wrapped.pth"))  # relative to root (tmp_path)
    assert result.model.pretrained and "wrapped.pth" in result.model.weights_used


def test_changed_weights_file_changes_the_cache_key(tmp_path):
    records = make_records(tmp_path / "img", n=2)
    weights = save_perturbed_resnet18(tmp_path / "w.pth")
    first = embed(records, tmp_path, replace(CFG, weights=str(weights)))
    import torch

    state = torch.load(weights, weights_only=True)
    state["conv1.weight"] = -state["conv1.weight"]
    torch.save(state, weights)
    second = embed(records, tmp_path, replace(CFG, weights=str(weights)))
    assert second.computed == 2
    assert second.model.identity != first.model.identity


def test_missing_weights_file_fails_naming_the_path(tmp_path):
    records = make_records(tmp_path / "img", n=1)
    missing = tmp_path / "nowhere" / "weights.pth"
    with pytest.raises(WeightsUnavailable) as info:
        embed(records, tmp_path, replace(CFG, weights=str(missing), on_missing_weights="fail"))
    assert str(missing) in str(info.value)
    assert "not found" in str(info.value)


def test_missing_weights_file_with_fallback_warns_naming_the_path(tmp_path):
    records = make_records(tmp_path / "img", n=1)
    missing = tmp_path / "weights.pth"
    result = embed(records, tmp_path, replace(CFG, weights=str(missing), on_missing_weights="untrained"))
    assert not result.model.pretrained
    assert str(missing) in result.model.warning


def test_unloadable_weights_file_fails(tmp_path):
    records = make_records(tmp_path / "img", n=1)
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a state dict" * 10)
    with pytest.raises(WeightsUnavailable) as info:
        embed(records, tmp_path, replace(CFG, weights=str(junk)))
    assert "could not be loaded into resnet18" in str(info.value)


def test_unknown_model_name_is_a_clear_error(tmp_path):
    records = make_records(tmp_path / "img", n=1)
    with pytest.raises(ValueError, match="unknown torchvision model 'resnet19'"):
        embed(records, tmp_path, replace(CFG, model="resnet19"))


# --- centre and hash_images --------------------------------------------------------------------------


def test_centre_removes_the_shared_component():
    rng = np.random.default_rng(0)
    shared = rng.normal(size=64)
    raw = (shared * 10 + rng.normal(size=(200, 64))).astype(np.float32)
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    before = raw.copy()
    assert mean_offdiagonal_cosine(raw) > 0.9
    out = centre(raw)
    assert np.array_equal(raw, before), "centre must not change its input"
    assert out.shape == raw.shape and out.dtype == np.float32
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert abs(mean_offdiagonal_cosine(out)) < 0.02


def test_centre_on_real_embeddings(tmp_path):
    result = embed(make_records(tmp_path / "img", n=6), tmp_path)
    out = centre(result.vectors)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert mean_offdiagonal_cosine(out) < mean_offdiagonal_cosine(result.vectors)
    assert abs(mean_offdiagonal_cosine(out)) < 0.3  # n=6 unit vectors around their mean: about -1/(n-1)


def test_centre_of_nothing_is_nothing():
    empty = np.zeros((0, 512), np.float32)
    assert centre(empty).shape == (0, 512)


def test_hash_images_reports_unreadable_files(tmp_path):
    records = make_records(tmp_path / "img", n=2)
    folder = tmp_path / "img" / "folder.jpg"
    folder.mkdir()
    records += [
        Record(id="dir", image_path=folder, source_line=4),
        Record(id="gone", image_path=tmp_path / "img" / "gone.jpg", source_line=5),
    ]
    digests, problems = hash_images(records)
    assert set(digests) == {"w0", "w1"}
    assert all(len(d) == 64 for d in digests.values())
    assert digests["w0"] != digests["w1"]
    by_id = {p.record: p for p in problems}
    assert set(by_id) == {"dir", "gone"}
    assert "cannot be read" in by_id["dir"].reason and "directory" in by_id["dir"].reason.lower()
    assert by_id["dir"].file == str(folder) and by_id["dir"].line == 4
    assert "cannot be read" in by_id["gone"].reason


def test_hash_images_depends_on_bytes_not_names(tmp_path):
    records = make_records(tmp_path / "img", n=1)
    copy = tmp_path / "img" / "copy-with-other-name.png"
    copy.write_bytes(records[0].image_path.read_bytes())
    digests, _ = hash_images(records + [Record(id="copy", image_path=copy)])
    assert digests["copy"] == digests["w0"]


def test_heat_maps_and_fine_tuning_follow_the_fallback_network(tmp_path, offline_torch_hub):
    """With on_missing_weights: fallback, code that runs the network itself gets the untrained backbone."""
    from atlas.core.config import HeatmapsConfig
    from atlas.vectors.heatmaps import make_heatmaps
    from atlas.vectors.network import resolve_weights
    records = make_records(tmp_path / "img", n=2)
    digests, _ = hash_images(records)
    cfg = replace(CFG, weights="imagenet", on_missing_weights="fallback")
    paths, problems, made = make_heatmaps(records, digests, cfg, HeatmapsConfig(size=32), tmp_path / "cache", tmp_path)
    assert problems == [] and made == 2 and all(p.is_file() for p in paths.values())
    weights = resolve_weights(cfg.model, cfg.weights, cfg.on_missing_weights, tmp_path)
    assert weights.fallback_reason and weights.state is None and not weights.info.pretrained
    assert weights.info.identity == "untrained-seed0"  # the fallback's network part: its grids are the ones kept


def test_heat_maps_come_from_the_embedding_pass(tmp_path, monkeypatch):
    """With maps=True the embed stage keeps each image's activation grid, and the heat maps are drawn from it
    without running the network again; they match the heat maps of a separate pass."""
    from atlas.core.config import HeatmapsConfig
    from atlas.vectors import heatmaps

    records = make_records(tmp_path / "img", n=3)
    digests, _ = hash_images(records)
    hcfg = HeatmapsConfig(size=32)
    separate, _, _ = heatmaps.make_heatmaps(records, digests, CFG, hcfg, tmp_path / "separate", tmp_path)

    embed_records(records, digests, CFG, tmp_path / "cache", tmp_path, maps=True)
    assert len(list((tmp_path / "cache" / "activations").rglob("*.npy"))) == 3
    ran = []
    monkeypatch.setattr(heatmaps, "activation_maps", lambda *a: ran.append(a) or pytest.fail("network run again"))
    kept, problems, made = heatmaps.make_heatmaps(records, digests, CFG, hcfg, tmp_path / "cache", tmp_path)
    assert problems == [] and made == 3 and ran == []
    for work in records:
        a, b = (np.asarray(Image.open(p[work.id]), dtype=np.int16) for p in (kept, separate))
        assert np.abs(a - b).max() <= 2, work.id  # same grid, up to batch-size rounding and JPEG

    # A damaged kept grid is not trusted: that image goes through the network.
    grid = next((tmp_path / "cache" / "activations").rglob(f"{digests['w0']}.npy"))
    grid.write_bytes(b"broken")
    for path in kept.values():
        path.unlink()
    monkeypatch.undo()
    again, problems, made = heatmaps.make_heatmaps(records, digests, CFG, hcfg, tmp_path / "cache", tmp_path)
    assert problems == [] and made == 3 and set(again) == {r.id for r in records}


def test_without_maps_no_activation_grids_are_kept(tmp_path):
    records = make_records(tmp_path / "img", n=2)
    embed(records, tmp_path)
    assert not (tmp_path / "cache" / "activations").exists()
