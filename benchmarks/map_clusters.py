"""How many map clusters, and what do they say? Before (HDBSCAN on the 2-D layout) and after (clusters chosen
from the data, atlas.analysis.clusters) on the AIC and WikiArt examples.

    python -m benchmarks.map_clusters                         # AIC and 100 WikiArt works per style
    python -m benchmarks.map_clusters --wikiart-per-style 1000

Vectors are the weights-free fallback as a build now makes them (benchmarks/fallback_parts.py, same cache),
the map settings those of examples/aic/site.yaml and examples/wikiart/site.yaml. For each: the number of
clusters, their sizes, the share of works in none, and the labels. Writes benchmarks/results/map_clusters.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from atlas.analysis.clusters import cluster_map, find_clusters, layout_2d, reduce
from atlas.analysis.probes import work_year
from atlas.core.config import MapConfig
from atlas.vectors.descriptors import combine
from atlas.vectors.matrix import centre_in_place
from atlas.vectors.parts import layout, weigh_parts
from benchmarks.fallback_parts import PARTS, ROOT, aic_records, fallback_parts, wikiart_records

SETTINGS = {"aic": MapConfig(layout="tsne", perplexity=20, min_cluster_size=6),
            "wikiart": MapConfig(layout="tsne", min_cluster_size=25)}


def vectors_of(records, cache: Path) -> np.ndarray:
    raw, mono = fallback_parts(records, cache, 224)
    vectors = centre_in_place(combine([raw[n] for n in PARTS]))
    weigh_parts(vectors, layout(PARTS, [raw[n].shape[1] for n in PARTS]), mono)
    return vectors


def summary(labels: np.ndarray) -> dict:
    sizes = sorted(np.bincount(labels[labels >= 0]).tolist(), reverse=True) if (labels >= 0).any() else []
    return {"clusters": len(sizes), "sizes": sizes, "noise": round(float(np.mean(labels < 0)), 3)}


def run(task: str, per_style: int, cache: Path) -> dict:
    start = time.perf_counter()
    records, _ = aic_records() if task == "aic" else wikiart_records(per_style)
    cfg = SETTINGS[task]
    vectors = vectors_of(records, cache / task)
    xy = layout_2d(reduce(vectors, cfg.pca_dims, cfg.seed), cfg)
    before = summary(find_clusters(xy, cfg.min_cluster_size))
    cultures = [r.culture_raw for r in records]
    media = [r.medium_raw for r in records]
    cmap = cluster_map([r.id for r in records], vectors, cultures, media, cfg, [work_year(r) for r in records],
                       [r.title for r in records])
    after = summary(np.array([p.cluster for p in cmap.points]))
    after.update(method=cmap.method, labels=[c.label for c in cmap.clusters])
    return {"works": len(records), "before": before, "after": after, "seconds": round(time.perf_counter() - start, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", nargs="+", default=["aic", "wikiart"], choices=["aic", "wikiart"])
    parser.add_argument("--wikiart-per-style", type=int, default=100)
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "bench-cache")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "map_clusters.json")
    args = parser.parse_args()
    out = {}
    for task in args.tasks:
        out[task] = result = run(task, args.wikiart_per_style, args.cache)
        print(f"\n{task}: {result['works']} works")
        print(f"  before: {result['before']['clusters']} clusters {result['before']['sizes']}, "
              f"{result['before']['noise']:.0%} in none (HDBSCAN on the 2-D layout)")
        print(f"  after:  {result['after']['clusters']} clusters {result['after']['sizes']}, "
              f"{result['after']['noise']:.0%} in none ({result['after']['method']})")
        for label in result["after"]["labels"]:
            print(f"    {label}")
    out["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform()}
    out["command"] = "python -m benchmarks.map_clusters --tasks " + " ".join(args.tasks) + (
        f" --wikiart-per-style {args.wikiart_per_style}" if "wikiart" in args.tasks else "")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
