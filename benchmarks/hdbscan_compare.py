"""The map's and the patterns' HDBSCAN: scikit-learn's (Prim MST) against the one the build now uses
(atlas.analysis.density_clusters: the `hdbscan` package's Boruvka k-d tree MST), and optionally fast_hdbscan.

    python -m benchmarks.hdbscan_compare --npz /tmp/dp/aic.npz --npz /tmp/dp/sample.npz
    python -m benchmarks.hdbscan_compare --synthetic 10000,30000,100000 --sklearn-max 30000

For each collection (vectors saved by benchmarks/date_probe.py from a real build, or the synthetic
clustered vectors of benchmarks/synthetic.py) it makes the features the build clusters (the patterns: PCA
to 20 dimensions, leaf clusters of at least 5; the map: PCA to 50, its first 10 components, excess-of-mass
clusters of at least max(8, N / 50)) and runs each implementation twice: seconds (the first run), the
number of clusters, the noise share, whether the second run gave the same labels, and the adjusted Rand
index against scikit-learn's labels (noise counted as one more cluster) and among the works both put
in a cluster. Results: benchmarks/results/hdbscan_compare_NAME.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"


def sklearn_labels(features: np.ndarray, size: int, selection: str) -> np.ndarray:
    from sklearn.cluster import HDBSCAN

    if len(features) < max(size, 2):
        return np.full(len(features), -1, dtype=np.int64)
    model = HDBSCAN(min_cluster_size=size, cluster_selection_method=selection, copy=True)
    return model.fit_predict(features).astype(np.int64)


def fast_labels(features: np.ndarray, size: int, selection: str) -> np.ndarray:
    import fast_hdbscan

    model = fast_hdbscan.HDBSCAN(min_cluster_size=size, min_samples=size, cluster_selection_method=selection)
    return model.fit_predict(features).astype(np.int64)


def ours(features: np.ndarray, size: int, selection: str) -> np.ndarray:
    from atlas.analysis.density_clusters import hdbscan_labels

    return hdbscan_labels(features, size, selection, prim_rows=0)  # the Boruvka tree whatever the size


IMPLEMENTATIONS = {"sklearn": sklearn_labels, "hdbscan-boruvka": ours, "fast_hdbscan": fast_labels}


def tasks(vectors: np.ndarray) -> dict[str, tuple[np.ndarray, int, str]]:
    """{name: (features, min cluster size, selection)} as the patterns and the map make them."""
    from atlas.analysis.clusters import CLUSTER_DIMS, cluster_size, reduce
    from atlas.analysis.patterns import SEED
    from atlas.analysis.reduce import pca
    from atlas.core.config import MapConfig, PatternsConfig

    pcfg, mcfg = PatternsConfig(), MapConfig()
    patterns = pca(vectors, min(pcfg.pca_dims, len(vectors) - 1), SEED)
    mapped = reduce(vectors, mcfg.pca_dims, mcfg.seed)[:, :CLUSTER_DIMS]
    return {"patterns": (patterns, pcfg.min_cluster_size, "leaf"),
            "map": (mapped, cluster_size(len(vectors), mcfg), "eom")}


def compare(name: str, vectors: np.ndarray, chosen: list[str], sklearn_max: int) -> list[dict]:
    from sklearn.metrics import adjusted_rand_score

    rows = []
    for task, (features, size, selection) in tasks(vectors).items():
        reference = None
        for impl in chosen:
            if impl == "sklearn" and len(vectors) > sklearn_max:
                continue
            start = time.perf_counter()
            labels = IMPLEMENTATIONS[impl](features, size, selection)
            seconds = time.perf_counter() - start
            again = IMPLEMENTATIONS[impl](features, size, selection)
            row = {"data": name, "works": len(vectors), "task": task, "implementation": impl, "seconds": round(seconds, 2),
                   "clusters": int(labels.max() + 1), "noise": round(float(np.mean(labels < 0)), 4),
                   "deterministic": bool(np.array_equal(labels, again)), "min_cluster_size": size,
                   "load": round(os.getloadavg()[0], 2)}
            if impl == "sklearn":
                reference = labels
            elif reference is not None:
                both = (labels >= 0) & (reference >= 0)
                row["ari_vs_sklearn"] = round(float(adjusted_rand_score(reference, labels)), 4)
                row["ari_clustered_by_both"] = round(float(adjusted_rand_score(reference[both], labels[both])), 4) if both.any() else None
            rows.append(row)
            print(row, flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="scikit-learn's HDBSCAN against the build's")
    parser.add_argument("--npz", type=Path, action="append", default=[], help="vectors saved by benchmarks/date_probe.py")
    parser.add_argument("--synthetic", default="", help="comma-separated sizes of synthetic collections")
    parser.add_argument("--implementations", default="sklearn,hdbscan-boruvka")
    parser.add_argument("--sklearn-max", type=int, default=30000, help="largest size scikit-learn is run on")
    parser.add_argument("--name", default="")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", FutureWarning)
    chosen = args.implementations.split(",")
    rows = []
    for path in args.npz:
        rows += compare(path.stem, np.load(path)["vectors"], chosen, args.sklearn_max)
    for works in [int(n) for n in args.synthetic.split(",") if n]:
        from benchmarks.synthetic import CULTURES, clustered_vectors, group_labels

        cultures = group_labels(works, CULTURES, np.random.default_rng(0))
        rows += compare(f"synthetic-{works}", clustered_vectors(works, 2048, cultures, np.random.default_rng(1)),
                        chosen, args.sklearn_max)
    print(f"\n{'data':<16} {'task':<9} {'implementation':<16} {'s':>7} {'clusters':>8} {'noise':>6} {'same twice':>10} {'ARI':>6} {'ARI both':>8}")
    for r in rows:
        print(f"{r['data']:<16} {r['task']:<9} {r['implementation']:<16} {r['seconds']:>7} {r['clusters']:>8} {r['noise']:>6} "
              f"{str(r['deterministic']):>10} {r.get('ari_vs_sklearn', '-'):>6} {str(r.get('ari_clustered_by_both', '-')):>8}")
    out = RESULTS / f"hdbscan_compare{'_' + args.name if args.name else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"rows": rows}, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
