"""The embed stage's one entry point: the network's features, or the weights-free fallback.

The choice is made from the build's resolved weights (atlas.vectors.network.resolve_weights), which carry
the reason when pretrained weights could not be had and the config chose the fallback; it is logged once.
"""

from __future__ import annotations

import logging
from pathlib import Path

from atlas.core.config import EmbeddingConfig
from atlas.core.records import Record
from atlas.vectors.embed import EmbedResult, Offload, embed_records
from atlas.vectors.fallback import embed_fallback
from atlas.vectors.network import Weights

log = logging.getLogger(__name__)


def embed_features(records: list[Record], digests: dict[str, str], cfg: EmbeddingConfig, weights: Weights,
                   cache_dir: Path, root: Path, maps: bool = False, offload: Offload | None = None) -> EmbedResult:
    """One vector per embeddable record, from the network or, when its weights are missing, the fallback;
    with `offload` (engine.kind: ray) the per-image work runs on the cluster."""
    if weights.fallback_reason:
        log.warning("weights unavailable, using the weights-free fallback: %s", weights.fallback_reason)
        return embed_fallback(records, digests, cfg, weights, cache_dir, root, maps, offload)
    return embed_records(records, digests, cfg, cache_dir, root, maps, weights=weights, offload=offload)
