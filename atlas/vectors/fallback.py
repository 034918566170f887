"""The weights-free embedder a build falls back to when pretrained weights cannot be had.

With `embedding.on_missing_weights: fallback`, a build whose weights cannot be loaded does not stop and
does not settle for the untrained network alone: it uses the combination in atlas.vectors.descriptors.FALLBACK,
the best style precision@10 on wikiart-styles of everything measured by benchmarks/wikiart_features.py.
Each part is cached on its own (the network's vectors under the untrained network's key, each descriptor
under its name and version), so parts are shared with builds that use them alone and never mixed up;
the combination is made on every build (it depends on the collection's mean, see combine()).

The network part sees each image's luminance only (atlas.vectors.luminance), so that it does not pair
grey photographs with grey photographs; colour is left to the colour parts (atlas.vectors.parts).

The about page, the report and the build log name exactly what was used and why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from atlas.core.config import EmbeddingConfig
from atlas.core.records import Record
from atlas.vectors.descriptors import (
    DESCRIPTORS,
    FALLBACK,
    FALLBACK_MEASURE,
    combine,
    descriptor_dim,
    descriptor_vectors,
)
from atlas.ingest.monochrome import is_monochrome
from atlas.vectors.embed import EmbedResult, Offload, embed_records
from atlas.vectors.luminance import LUMINANCE_IDENTITY
from atlas.vectors.matrix import new_matrix
from atlas.vectors.network import INIT_SEED, ModelInfo, Weights
from atlas.vectors.parts import layout
from atlas.vectors.weights_note import plain_explanation


def fallback_info(cfg: EmbeddingConfig, reason: str) -> ModelInfo:
    """How the fallback embedder is named on the about page, in the report and in the cache key."""
    names = [n for n in FALLBACK if n != "net"]
    parts = ([f"untrained {cfg.model} (seed {INIT_SEED}) at {cfg.image_size} px, on luminance"] if "net" in FALLBACK else [])
    parts += [DESCRIPTORS[n].title for n in names]
    versions = "+".join(f"{n}-v{DESCRIPTORS[n].version}" for n in names)
    return ModelInfo(
        name=" + ".join([cfg.model] * ("net" in FALLBACK) + names),
        weights_requested=cfg.weights,
        weights_used="none: weights-free fallback (embedding.on_missing_weights: fallback)",
        pretrained=False,
        identity=f"fallback-{f'net-untrained-seed{INIT_SEED}-{LUMINANCE_IDENTITY}+' if 'net' in FALLBACK else ''}{versions}",
        warning=f"WEIGHTS-FREE FALLBACK: {reason}. Features are a normalised concatenation of "
        f"{'; '.join(parts)}: the best weights-free embedder measured ({FALLBACK_MEASURE}). Analogies reflect "
        f"colour, texture and layout, not meaning.",
        explanation=plain_explanation(cfg.model, cfg.weights, "fallback"),
        features="normalised concatenation (each part centred on the collection mean and L2-normalised) of: "
        + "; ".join(parts),
    )


def embed_fallback(records: list[Record], digests: dict[str, str], cfg: EmbeddingConfig, weights: Weights,
                   cache_dir: Path, root: Path, maps: bool = False, offload: Offload | None = None) -> EmbedResult:
    """An EmbedResult from the fallback combination, for the records that have all parts.

    `weights` are the build's resolved weights, whose fallback_reason says why the fallback is used. With
    `offload`, the missing descriptor parts are computed there first (into the same cache), then read here."""
    names = [n for n in FALLBACK if n != "net"]
    if offload is not None:
        offload.fill_descriptors(records, digests, names + ["tint"], cache_dir)
    found, problems = descriptor_vectors(records, digests, names + ["tint"], cache_dir)
    net = None
    if "net" in FALLBACK:  # the seeded untrained network on luminance, whose ModelInfo carries no warning of its own
        net = embed_records(records, digests, cfg, cache_dir, root, maps, weights=weights.network_part(),
                            offload=offload)
        reported = {p.record for p in net.problems}
        problems = net.problems + [p for p in problems if p.record not in reported]  # one reason per image
    usable = set(net.ids) if net is not None else {r.id for r in records if r.id in digests}
    ids = [r.id for r in records if r.id in usable and all(digests[r.id] in found[n] for n in [*names, "tint"])]
    parts = [np.stack([found[n][digests[i]] for i in ids]) if ids else np.zeros((0, descriptor_dim(n)), np.float32)
             for n in names]
    if net is not None:
        row = {i: j for j, i in enumerate(net.ids)}
        parts.insert(0, net.vectors if ids == net.ids else net.vectors[[row[i] for i in ids]])
    width = sum(p.shape[1] for p in parts)
    vectors = combine(parts, new_matrix(cache_dir / "work", len(ids), width)) if ids else np.zeros((0, width), np.float32)
    info = fallback_info(cfg, weights.fallback_reason)
    device = net.device if net is not None else "cpu"
    computed, reused = (net.computed, net.reused) if net is not None else (0, 0)
    corrupt = net.corrupt_cache if net is not None else []
    part_names = ["net"] * (net is not None) + names
    mono = {i: is_monochrome(float(found["tint"][digests[i]][0])) for i in ids}
    return EmbedResult(ids, vectors, digests, info, device, computed, reused, problems, corrupt,
                       layout(part_names, [p.shape[1] for p in parts]), mono)
