"""`python -m atlas finetune`: tune the backbone on the collection's own culture labels.

The culture paper fine-tuned an ImageNet ResNet-50 to classify Met cultures before reading its features;
this does the same for any atlas: a linear culture head on the pooled features, trained together with
the whole backbone (cross-entropy, AdamW, light augmentation), on GPU when there is one. The result is a
checkpoint that `embedding.weights: <path>` loads like any local weights file (atlas.vectors.network), so the
tuned features are then used for the whole atlas: analogies, culture similarity, map, probes.

To keep the model page honest, tuning uses only the culture probe's TRAINING works (the same fixed,
seeded split as atlas.analysis.probes), never its held-out works; the checkpoint records which works were held out.
"""

from __future__ import annotations

import io
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from atlas.core.cache import atomic_write_bytes
from atlas.core.config import SiteConfig
from atlas.core.records import Record
from atlas.core.report import BuildReport
from atlas.core.splits import split, usable_classes
from atlas.ingest.collection import read_records
from atlas.ingest.images import ImageError, open_rgb
from atlas.ingest.labels import normalise_labels
from atlas.vectors.embed import augment, feature_dim, resolve_device
from atlas.vectors.network import build_network, resolve_weights

log = logging.getLogger(__name__)

CHECKPOINT_VERSION = 1


@dataclass
class FinetuneSettings:
    out: Path
    epochs: int = 3  # passes over the training works
    steps: int = 0  # stop after this many optimiser steps (0 = run all epochs); handy for a quick test
    lr: float = 1e-4  # backbone learning rate; the new culture head learns 10x faster
    batch_size: int = 32
    device: str = "auto"
    max_per_class: int = 0  # use at most this many training works per culture (0 = all)
    seed: int = 0


def training_works(config: SiteConfig, max_per_class: int = 0) -> tuple[list[Record], list[str], list[str]]:
    """(training works with a culture, the classes, ids held out for the model page), all sorted by id."""

    records = [r for r in read_records(config, BuildReport()) if r.image_path is not None]
    works = sorted((w for w in normalise_labels(records, config.labels).records if w.culture), key=lambda w: w.id)
    classes, _ = usable_classes([w.culture for w in works], max(config.probes.min_class_size, 2))
    works = [w for w in works if w.culture in set(classes)]
    if len(classes) < 2:
        raise ValueError("fine-tuning needs at least two cultures with enough works (labels.culture)")
    train, test = split([w.culture for w in works], config.probes.test_size, config.probes.seed)
    chosen, per_class = [], {c: 0 for c in classes}
    for i in train:
        work = works[i]
        if not max_per_class or per_class[work.culture] < max_per_class:
            per_class[work.culture] += 1
            chosen.append(work)
    return chosen, classes, [works[i].id for i in test]


def finetune(config: SiteConfig, settings: FinetuneSettings) -> dict:
    """Tune, save the checkpoint to settings.out, and return a summary (steps, losses, device, classes)."""
    import torch

    torch.manual_seed(settings.seed)
    works, classes, held_out = training_works(config, settings.max_per_class)
    emb = config.embedding
    weights = resolve_weights(emb.model, emb.weights, emb.on_missing_weights, config.root)
    model, info = build_network(weights), weights.info  # with the fallback: its seeded untrained network
    device = resolve_device(settings.device)
    head = torch.nn.Linear(feature_dim(model, emb.image_size), len(classes))
    model, head = model.to(device).train(), head.to(device).train()
    optimiser = torch.optim.AdamW(
        [{"params": model.parameters(), "lr": settings.lr}, {"params": head.parameters(), "lr": settings.lr * 10}]
    )
    targets = {c: i for i, c in enumerate(classes)}
    loader = torch.utils.data.DataLoader(
        _TrainingImages(works, [targets[w.culture] for w in works], emb.image_size),
        batch_size=settings.batch_size, shuffle=True, collate_fn=_collate, drop_last=len(works) > settings.batch_size,
        generator=torch.Generator().manual_seed(settings.seed), num_workers=emb.workers,
    )
    losses, steps, started = [], 0, time.perf_counter()
    for _epoch in range(settings.epochs):
        for images, labels in loader:
            if images is None:
                continue
            loss = _step(model, head, optimiser, images.to(device), labels.to(device), device)
            losses.append(round(loss, 4))
            steps += 1
            if settings.steps and steps >= settings.steps:
                break
        if settings.steps and steps >= settings.steps:
            break
    save_checkpoint(model.cpu(), head.cpu(), emb.model, classes, held_out, info.weights_used, settings.out)
    return {
        "out": str(settings.out), "device": device, "steps": steps, "works": len(works), "classes": classes,
        "held_out": len(held_out), "first_loss": losses[0] if losses else None,
        "last_loss": losses[-1] if losses else None, "seconds": round(time.perf_counter() - started, 1),
        "started_from": info.weights_used,
    }


def _step(model, head, optimiser, images, labels, device: str) -> float:
    import torch

    optimiser.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
        loss = torch.nn.functional.cross_entropy(head(model(images)).float(), labels)
    loss.backward()
    optimiser.step()
    return float(loss.detach())


def save_checkpoint(model, head, name: str, classes: list[str], held_out: list[str], started_from: str, out: Path) -> None:
    """Write a torchvision-shaped state dict (under "state_dict") that atlas.vectors.network can load.

    backbone.py builds the full torchvision model (with its ImageNet-sized head) and loads the file
    strictly before it strips the head, so the tuned backbone is copied into a freshly built model of the
    same architecture; the unused ImageNet head keeps its seeded initial values. The culture head and
    its class names travel alongside for anyone who wants the classifier itself."""
    import torch
    import torchvision

    torch.manual_seed(0)
    full = torchvision.models.get_model(name, weights=None)
    missing, unexpected = full.load_state_dict(model.state_dict(), strict=False)
    head_names = ("fc.", "classifier.", "heads.")
    if unexpected or any(not key.startswith(head_names) for key in missing):
        raise RuntimeError(f"tuned {name} does not match torchvision's layout (missing {missing}, unexpected {unexpected})")
    state = {
        "state_dict": full.state_dict(),
        "culture_head": head.state_dict(),
        "classes": list(classes),
        "held_out": list(held_out),
        "started_from": started_from,
        "version": CHECKPOINT_VERSION,
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(Path(out), buffer.getvalue())


class _TrainingImages:
    """Decoded, augmented training images; a broken image yields None and is left out of its batch."""

    def __init__(self, works: list[Record], labels: list[int], image_size: int):
        self.works, self.labels = works, labels
        self.transform = augment(image_size, 0.6)

    def __len__(self) -> int:
        return len(self.works)

    def __getitem__(self, i: int):
        try:
            return self.transform(open_rgb(self.works[i].image_path)), self.labels[i]
        except ImageError as exc:
            log.warning("fine-tuning skips %s: %s", self.works[i].id, exc)
            return None


def _collate(items):
    import torch

    items = [item for item in items if item is not None]
    if not items:
        return None, None
    return torch.stack([t for t, _ in items]), torch.tensor([label for _, label in items])
