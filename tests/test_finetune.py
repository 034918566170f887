"""Fine-tuning a few steps on CPU changes the weights and the features, and the checkpoint loads back."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import torch
import yaml

from atlas.core.config import load_config
from atlas.core.splits import split
from atlas.ingest.images import open_rgb
from atlas.vectors.embed import preprocess
from atlas.vectors.finetune import FinetuneSettings, finetune, training_works
from atlas.vectors.network import load_backbone


def small(config):
    emb = dataclasses.replace(config.embedding, model="resnet18", weights="none", image_size=64, batch_size=6)
    return dataclasses.replace(config, embedding=emb)


def features(model, image) -> np.ndarray:
    with torch.no_grad():
        return model(preprocess(64)(image).unsqueeze(0)).numpy()[0]


def test_finetune_changes_weights_and_features_and_loads_back(sample_build, tmp_path):
    config = small(sample_build[0])
    out = tmp_path / "tuned.pt"
    summary = finetune(config, FinetuneSettings(out, epochs=1, steps=2, lr=1e-3, batch_size=6, device="cpu", max_per_class=2))
    assert summary["steps"] == 2 and summary["works"] == 12 and len(summary["classes"]) == 6

    checkpoint = torch.load(out, map_location="cpu", weights_only=True)
    torch.manual_seed(0)
    untrained = load_backbone("resnet18", "none", "fail", config.root)[0].state_dict()
    tuned = checkpoint["state_dict"]
    assert not torch.equal(tuned["conv1.weight"], untrained["conv1.weight"])
    assert checkpoint["classes"] == summary["classes"]

    site = yaml.safe_load((config.root / "site.yaml").read_text(encoding="utf-8"))
    site["embedding"] = {"model": "resnet18", "weights": str(out), "image_size": 64}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(site), encoding="utf-8")
    loaded = load_config(tmp_path / "site.yaml")
    model, info = load_backbone(loaded.embedding.model, loaded.embedding.weights, "fail", loaded.root)
    assert info.identity.startswith("file-") and "tuned.pt" in info.weights_used
    plain, _ = load_backbone("resnet18", "none", "fail", loaded.root)
    image = open_rgb(min((config.resolve(config.collection.path) / "images").glob("*.jpg")))
    assert np.abs(features(model, image) - features(plain, image)).max() > 1e-3


def test_finetune_never_trains_on_the_culture_probes_held_out_works(sample_build):
    config = sample_build[0]
    works, classes, held_out = training_works(config)
    assert classes == ["British", "Chinese", "Dutch", "Japanese", "Mexican", "Persian"]
    assert len(works) == 360 and len(held_out) == 120
    assert not {w.id for w in works} & set(held_out)
    published = json.loads((config.output_dir / "data" / "works.json").read_text(encoding="utf-8"))
    _, test = split([w["culture"] for w in published], config.probes.test_size, config.probes.seed)
    assert [published[i]["id"] for i in test] == held_out  # the very works the model page is scored on
