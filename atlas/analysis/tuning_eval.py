"""`atlas finetune --objective connections` from end to end: connections, tuning, and what it gained and cost.

The evaluation the model page shows (written beside the checkpoint as <checkpoint>.json, atlas.vectors.
tuning_record): for every held-out connection (a, b), in both directions, the rank of b among ALL works
of the collection by cosine similarity to a (1 = the nearest; a itself left out), with the vectors
centred as the build centres them. Summarised as recall@1/10/100 (share of partners ranked within the
top k) and the median rank, before tuning (the starting weights) and after. The culture probe
(atlas.analysis.probes, the model page's own split and classifier) is run on both too: tuning for motifs
may cost culture information, and a curator should see that.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from atlas.analysis.probes import probe_classifier
from atlas.core.cache import file_digest
from atlas.core.config import SiteConfig
from atlas.core.report import BuildReport
from atlas.ingest.collection import read_records
from atlas.ingest.labels import normalise_labels
from atlas.vectors.connections import Connections, connections_for
from atlas.vectors.embed import centre, resolve_device
from atlas.vectors.finetune import save_checkpoint
from atlas.vectors.metric_tune import (
    MetricSettings,
    TuneResult,
    embed_works,
    tune_on_connections,
)
from atlas.vectors.network import build_network, resolve_weights
from atlas.vectors.tuning_record import write_record

RECALL_AT = (1, 10, 100)


def partner_ranks(vectors: np.ndarray, index: dict[str, int], pairs: list[tuple[str, str]]) -> list[int]:
    """Rank of each pair's partner among all works (itself left out), for a -> b and b -> a; ties count against."""
    ranks = []
    for a, b in pairs:
        for query, partner in ((a, b), (b, a)):
            sims = vectors @ vectors[index[query]]
            sims[index[query]] = -np.inf
            ranks.append(int((sims >= sims[index[partner]]).sum()))
    return ranks


def rank_summary(ranks: list[int]) -> dict:
    """recall@k for RECALL_AT and the median rank (None when there are no ranks)."""
    if not ranks:
        return {"median_rank": None, **{f"recall_at_{k}": None for k in RECALL_AT}}
    arr = np.array(ranks)
    return {"median_rank": float(np.median(arr)), **{f"recall_at_{k}": round(float((arr <= k).mean()), 4)
                                                      for k in RECALL_AT}}


def measure(vectors: np.ndarray, index: dict[str, int], held_out: list[tuple[str, str]], cultures: list,
            config: SiteConfig) -> dict:
    """The model page's figures for one set of raw vectors."""
    centred = centre(vectors)
    probe, _ = probe_classifier(centred, cultures, config.probes)
    return {**rank_summary(partner_ranks(centred, index, held_out)),
            "culture_top1": round(float(probe["top1"]), 4) if probe.get("available") else None}


def tune_and_evaluate(config: SiteConfig, settings: MetricSettings, extra: Path | None = None) -> dict:
    """Tune, save the checkpoint and its evaluation record, and return the summary the command prints."""
    works = sorted((r for r in read_records(config, BuildReport()) if r.image_path is not None), key=lambda r: r.id)
    works = normalise_labels(works, config.labels).records
    index = {w.id: i for i, w in enumerate(works)}
    conn = connections_for(config, set(index), settings.held_out, settings.seed, extra)
    emb = config.embedding
    settings = dataclasses.replace(settings, image_size=emb.image_size, workers=emb.workers)
    weights = resolve_weights(emb.model, emb.weights, emb.on_missing_weights, config.root)
    held = set(conn.held_out_works)
    training = [w for w in works if w.id not in held]
    started = time.perf_counter()
    tuned = tune_on_connections(weights, training, conn.train, settings)
    seconds = round(time.perf_counter() - started, 1)
    save_checkpoint(tuned.model, _no_head(), emb.model, [], conn.held_out_works, weights.info.weights_used, settings.out)
    device = resolve_device(settings.device)
    cultures = [w.culture for w in works]
    before = measure(embed_works(build_network(weights).to(device), works, emb.image_size, device), index,
                     conn.held_out, cultures, config)
    after = measure(embed_works(tuned.model.to(device), works, emb.image_size, device), index,
                    conn.held_out, cultures, config)
    record = _record(config, settings, conn, tuned, before, after, len(works), seconds, weights.info.weights_used)
    write_record(settings.out, record, f"file-{file_digest(settings.out)}")
    return {**record, "problems": conn.problems, "trained": tuned.trained}


def _no_head():
    import torch

    return torch.nn.Identity()


def _record(config: SiteConfig, settings: MetricSettings, conn: Connections, tuned: TuneResult, before: dict,
            after: dict, works: int, seconds: float, started_from: str) -> dict:
    return {
        "objective": "connections",
        "model": config.embedding.model,
        "started_from": started_from,
        "works": works,
        "connections": {"train": len(conn.train), "held_out": len(conn.held_out),
                        "held_out_works": len(conn.held_out_works), "sources": conn.sources},
        "settings": {"epochs": tuned.epochs, "steps": tuned.steps, "lr": settings.lr, "batch_size": settings.batch_size,
                     "margin": settings.margin, "hard_k": settings.hard_k, "held_out": settings.held_out,
                     "seed": settings.seed, "image_size": settings.image_size},
        "device": tuned.device,
        "seconds": seconds,
        "epoch_seconds": tuned.epoch_seconds,
        "mining_seconds": tuned.mining_seconds,
        "first_loss": tuned.losses[0] if tuned.losses else None,
        "last_loss": tuned.losses[-1] if tuned.losses else None,
        "before": before,
        "after": after,
    }
