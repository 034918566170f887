"""Helpers for the journey tests: read the graph files a build wrote back into a JourneyGraph (so the
Python reference runs on exactly the bytes the browser fetches), and write a synthetic graph's files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from atlas.analysis import journey_graph as jg


def read_graph(folder: Path) -> tuple[jg.JourneyGraph, list[str]]:
    """(graph, ids) from data/journey/ of a built site."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    offsets, targets, scores, ids = [np.zeros(1, np.int64)], [], [], []
    for n in range(manifest["shards"]):
        local, shard_targets, shard_scores, _ = jg.read_shard((folder / f"{n}.bin").read_bytes(), n * manifest["shard_size"])
        offsets.append(local[1:] + offsets[-1][-1])
        targets.append(shard_targets)
        scores.append(shard_scores)
    for n in range(len(manifest["first_ids"])):  # the works' files (META_SIZE works each)
        ids += [row[0] for row in json.loads((folder / f"{n}.json").read_text(encoding="utf-8"))["works"]]
    count = manifest["count"]
    raw = np.frombuffer((folder / "groups.bin").read_bytes(), "<u2")
    groups = {fld: raw[i * count:(i + 1) * count] for i, fld in enumerate(manifest["fields"])}
    graph = jg.JourneyGraph(np.concatenate(offsets), np.concatenate(targets).astype(np.int32),
                            np.concatenate(scores).astype(np.float16), groups, manifest["groups"])
    return graph, ids


def synthetic_graph(n: int, degree: int, seed: int = 0, groups: int = 20) -> tuple[jg.JourneyGraph, list[str]]:
    """A random graph of n works shaped like a built one (degree edges each, sorted by score, local
    neighbourhoods so that chains exist), without building n works."""
    rng = np.random.default_rng(seed)
    ids = [f"S{i:06d}" for i in range(n)]
    near = (np.arange(n)[:, None] + rng.integers(-n // 50, n // 50, size=(n, degree))) % n
    far = rng.integers(0, n, size=(n, 2))
    targets = np.concatenate([near, far], axis=1).astype(np.int64)
    scores = rng.uniform(0.2, 0.95, size=targets.shape).astype(np.float16)
    rows_t, rows_s, offsets = [], [], [0]
    for i in range(n):
        t, s = targets[i], scores[i]
        keep = np.unique(t[t != i], return_index=True)[1]
        t, s = t[t != i][keep], s[t != i][keep]
        order = np.lexsort((t, -s.astype(np.float64)))
        rows_t.append(t[order])
        rows_s.append(s[order])
        offsets.append(offsets[-1] + len(order))
    culture = rng.integers(0, groups, size=n).astype(np.uint16)
    medium = rng.integers(0, 5, size=n).astype(np.uint16)
    graph = jg.JourneyGraph(np.asarray(offsets, np.int64), np.concatenate(rows_t).astype(np.int32),
                            np.concatenate(rows_s).astype(np.float16), {"culture": culture, "medium": medium},
                            {"culture": [f"C{i:02d}" for i in range(groups)], "medium": [f"M{i}" for i in range(5)]})
    return graph, ids
