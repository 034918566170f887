"""engine.kind chosen once per build: the local engine, or the same stages sent to a Ray cluster.

The build asks for an Engine and hands its parts to the stages: `offload` to the embed stage (None runs it
in this process), `exact_search` to the conditional neighbours. With `engine.kind: local` nothing else
happens and Ray is never imported. With `ray` the cluster is joined here (atlas.core.engine.connect) and
left again when the build ends; `log` records what ran where, for the build report's notes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from atlas.analysis.neighbours import ExactSearch, exact_search_groups
from atlas.core.config import SiteConfig
from atlas.core.engine import EngineLog
from atlas.vectors.embed import Offload


@dataclass(frozen=True)
class Engine:
    """Where the heavy stages run in this build."""

    offload: Offload | None  # the embed stage's per-image work elsewhere; None = in this process
    exact_search: ExactSearch  # the exact neighbour search (exact_search_groups locally)
    log: EngineLog  # what ran where: notes for the report (none for a local build)


@contextlib.contextmanager
def engine_for(config: SiteConfig) -> Iterator[Engine]:
    """The Engine of config.engine, for the length of one build."""
    if config.engine.kind != "ray":
        yield Engine(None, exact_search_groups, EngineLog())
        return
    from atlas.analysis.ray_neighbours import ray_exact_search
    from atlas.core.engine import connect, disconnect
    from atlas.vectors.ray_embed import ray_offload

    cluster = connect(config.engine)
    log = EngineLog(cluster)
    try:
        search = ray_exact_search(config.engine, cluster, log, use_gpus=config.embedding.device != "cpu")
        yield Engine(ray_offload(config.engine, cluster, log), search, log)
    finally:
        disconnect(cluster)
