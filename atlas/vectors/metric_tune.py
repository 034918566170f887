"""Metric learning on known visual connections: `atlas finetune --objective connections`.

As in EPFL's Replica study, the backbone's pooled features are tuned so that two works people connected
lie closer together than a work and its hardest non-connection: a triplet hinge loss
max(0, margin + d(anchor, partner) - d(anchor, negative)) on L2-normalised features (d = Euclidean, so
d^2 = 2 - 2 cos). Negatives are mined, at the start of every epoch, from the current network's nearest
neighbours of each anchor among the training works that are not connected to it (one drawn, seeded,
from the `hard_k` nearest), so each epoch works on the confusions the network still makes.

Any torchvision backbone (embedding.model), started from embedding.weights; on the GPU when there is one
(bfloat16 autocast), else the CPU. Works of the held-out connections (atlas.vectors.connections) are never
loaded into a batch; `TuneResult.trained` lists every work that was, so a test can check it. The
checkpoint is written like the culture objective's (atlas.vectors.finetune.save_checkpoint), so
`embedding.weights: <file>` builds the atlas with the tuned features.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from atlas.core.records import Record
from atlas.ingest.images import ImageError, open_rgb
from atlas.vectors.embed import augment, preprocess, resolve_device
from atlas.vectors.network import build_network

Pair = tuple[str, str]


@dataclass
class MetricSettings:
    out: Path
    epochs: int = 3  # passes over the trained connections (each pair in both directions)
    steps: int = 0  # stop after this many optimiser steps (0 = all epochs)
    lr: float = 1e-4  # AdamW learning rate of the backbone
    batch_size: int = 32  # triplets per step (three images each)
    device: str = "auto"
    margin: float = 0.2  # hinge margin on Euclidean distances of normalised features
    hard_k: int = 10  # each negative is drawn from the anchor's hard_k nearest non-connections
    held_out: float = 0.2  # share of the connected works held out (atlas.vectors.connections)
    seed: int = 0
    image_size: int = 224
    workers: int = 0


@dataclass
class TuneResult:
    model: object  # the tuned feature extractor, on the CPU, in eval mode
    steps: int
    epochs: int
    losses: list[float]
    device: str
    epoch_seconds: list[float]
    mining_seconds: list[float] = field(default_factory=list)  # of each epoch: embedding the training works, mining
    trained: set[str] = field(default_factory=set)  # every work that was in a training batch


def tune_on_connections(weights, works: list[Record], train: list[Pair], settings: MetricSettings) -> TuneResult:
    """Tune the network of `weights` on the `train` connections among `works` (the training works only)."""
    import torch

    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    device = resolve_device(settings.device)
    model = build_network(weights).to(device)
    optimiser = torch.optim.AdamW(model.parameters(), lr=settings.lr)
    loss_fn = torch.nn.TripletMarginLoss(margin=settings.margin)
    index = {w.id: i for i, w in enumerate(works)}
    partners = _partners(train)
    result = TuneResult(model, 0, 0, [], device, [])
    for _epoch in range(settings.epochs):
        started = time.perf_counter()
        features = embed_works(model, works, settings.image_size, device, settings.batch_size * 3)
        triplets = mine_triplets(features, works, index, train, partners, settings.hard_k, rng)
        result.mining_seconds.append(round(time.perf_counter() - started, 1))
        loader = _loader(works, triplets, settings)
        model.train()
        for batch in loader:
            if batch is None:
                continue
            images, ids = batch
            result.trained.update(ids)
            result.losses.append(round(_step(model, optimiser, loss_fn, images.to(device), device), 4))
            result.steps += 1
            if settings.steps and result.steps >= settings.steps:
                break
        result.epochs += 1
        result.epoch_seconds.append(round(time.perf_counter() - started, 1))
        if settings.steps and result.steps >= settings.steps:
            break
    result.model = model.cpu().eval()
    return result


def _partners(pairs: list[Pair]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for a, b in pairs:
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def mine_triplets(features: np.ndarray, works: list[Record], index: dict[str, int], train: list[Pair],
                  partners: dict[str, set[str]], hard_k: int, rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """(anchor, partner, negative) row triplets, shuffled: every trained pair in both directions, each with a
    negative drawn from the anchor's `hard_k` nearest works that are neither it nor connected to it."""
    hard = _hard_negatives(features, index, partners, hard_k)
    triplets = []
    for a, b in train:
        for anchor, partner in ((a, b), (b, a)):
            if hard[anchor]:
                triplets.append((index[anchor], index[partner], hard[anchor][int(rng.integers(len(hard[anchor])))]))
    rng.shuffle(triplets)
    return triplets


def _hard_negatives(features: np.ndarray, index: dict[str, int], partners: dict[str, set[str]], hard_k: int
                    ) -> dict[str, list[int]]:
    """For every anchor, the rows of its `hard_k` nearest works that are neither it nor connected to it."""
    out = {}
    for anchor, connected in partners.items():
        i = index[anchor]
        sims = features @ features[i]
        sims[i] = -np.inf
        sims[[index[p] for p in connected]] = -np.inf
        keep = min(hard_k, len(sims) - 1 - len(connected))
        if keep <= 0:
            out[anchor] = []
            continue
        top = np.argpartition(-sims, keep - 1)[:keep]
        out[anchor] = [int(j) for j in top[np.lexsort((top, -sims[top]))]]  # nearest first, ties by row
    return out


def _step(model, optimiser, loss_fn, images, device: str) -> float:
    import torch

    optimiser.zero_grad(set_to_none=True)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
        out = model(images)
    out = torch.nn.functional.normalize(out.float(), dim=1)
    anchor, partner, negative = out.view(3, -1, out.shape[1])  # batch is [anchors, partners, negatives]
    loss = loss_fn(anchor, partner, negative)
    loss.backward()
    optimiser.step()
    return float(loss.detach())


def embed_works(model, works: list[Record], image_size: int, device: str, batch_size: int = 64) -> np.ndarray:
    """L2-normalised features of every work, in order (eval mode, no augmentation); a broken image gets a zero row."""
    import torch

    model.eval()
    transform = preprocess(image_size)
    rows = []
    for start in range(0, len(works), batch_size):
        tensors = [_load(w, transform) for w in works[start:start + batch_size]]
        good = [t for t in tensors if t is not None]
        out = np.zeros((len(tensors), 0), dtype=np.float32)
        if good:
            with torch.inference_mode(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=device == "cuda"):
                feats = model(torch.stack(good).to(device)).float()
            feats = torch.nn.functional.normalize(feats, dim=1).cpu().numpy()
            out = np.zeros((len(tensors), feats.shape[1]), dtype=np.float32)
            out[[i for i, t in enumerate(tensors) if t is not None]] = feats
        rows.append(out)
    width = max(r.shape[1] for r in rows)
    return np.concatenate([r if r.shape[1] == width else np.zeros((len(r), width), np.float32) for r in rows])


def _load(work: Record, transform):
    try:
        return transform(open_rgb(work.image_path))
    except ImageError:
        return None


class _Triplets:
    """Augmented images of each triplet; a triplet with a broken image yields None and is skipped."""

    def __init__(self, works: list[Record], triplets: list[tuple[int, int, int]], image_size: int):
        self.works, self.triplets = works, triplets
        self.transform = augment(image_size, 0.7)

    def __len__(self) -> int:
        return len(self.triplets)

    def __getitem__(self, i: int):
        rows = self.triplets[i]
        try:
            return [self.transform(open_rgb(self.works[j].image_path)) for j in rows], [self.works[j].id for j in rows]
        except ImageError:
            return None


def _collate(items):
    import torch

    items = [item for item in items if item is not None]
    if len(items) < 2:  # BatchNorm needs two; a lone triplet is left for the next epoch
        return None
    images = [torch.stack([tensors[k] for tensors, _ in items]) for k in range(3)]
    return torch.cat(images), [work for _, ids in items for work in ids]


def _loader(works: list[Record], triplets, settings: MetricSettings):
    import torch

    return torch.utils.data.DataLoader(
        _Triplets(works, triplets, settings.image_size), batch_size=settings.batch_size, shuffle=False,
        collate_fn=_collate, num_workers=settings.workers,
        generator=torch.Generator().manual_seed(settings.seed),
    )
