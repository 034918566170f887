"""Benchmark: recall@10 of the pynndescent path against the exact search, and both timings.

Uniform random unit vectors have no cluster structure, the hardest case for a neighbour graph.

    python benchmarks/ann_recall.py [--n 3000] [--d 16]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from atlas.analysis.neighbours import (
    ANN_EPSILON,
    ANN_GRAPH_NEIGHBOURS,
    ann_search,
    exact_search,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--d", type=int, default=16)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    x = np.random.default_rng(3).normal(size=(args.n, args.d)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    members = np.arange(0, args.n, 2)
    ann_search(x[:100], np.arange(100), args.k)  # compile pynndescent's numba code before timing
    start = time.perf_counter()
    exact, _ = exact_search(x, members, args.k)
    exact_s = time.perf_counter() - start
    start = time.perf_counter()
    approx, _ = ann_search(x, members, args.k)
    ann_s = time.perf_counter() - start
    recall = float(np.mean([len(set(a) & set(e)) / args.k for a, e in zip(approx, exact)]))
    result = {"n_queries": args.n, "group_size": len(members), "d": args.d, "k": args.k,
              "graph_neighbours": ANN_GRAPH_NEIGHBOURS, "epsilon": ANN_EPSILON,
              "recall_at_k": round(recall, 4), "exact_s": round(exact_s, 3), "ann_s": round(ann_s, 3)}
    for key, value in result.items():
        print(f"{key:<18} {value}")
    out = Path(__file__).resolve().parent / "results" / "ann_recall.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
