"""How far the covariance PCA (above reduce.FULL_SVD_ROWS works) moves the visual patterns from the full SVD's.

    python -m benchmarks.pca_patterns

The two give the same components to float32 rounding (tests/test_reduce.py), but HDBSCAN's leaf clusters
react to that rounding at their edges, so the patterns are not byte-identical above 5,000 works. This runs
find_patterns both ways on synthetic collections (benchmarks/synthetic.py vectors and labels) and counts
the patterns whose members are exactly the same. Results: benchmarks/results/pca_patterns.json.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from atlas.analysis import patterns, reduce
from atlas.core.config import PatternsConfig
from benchmarks.stage_scale import RESULTS, records
from benchmarks.synthetic import CULTURES, clustered_vectors, group_labels

SIZES = ((6000, 256), (8000, 512))


def member_sets(works, vectors, full_svd: bool) -> set[tuple[str, ...]]:
    saved = reduce.FULL_SVD_ROWS
    reduce.FULL_SVD_ROWS = 10**12 if full_svd else 0
    try:
        return {tuple(sorted(p.members)) for p in patterns.find_patterns(works, vectors, PatternsConfig())}
    finally:
        reduce.FULL_SVD_ROWS = saved


def main() -> None:
    rows = []
    for works_n, dim in SIZES:
        cultures = group_labels(works_n, CULTURES, np.random.default_rng(0))
        vectors = clustered_vectors(works_n, dim, cultures, np.random.default_rng(1))
        works = records(Path("images"), works_n)  # no image is read: labels and dates only
        full, covariance = member_sets(works, vectors, True), member_sets(works, vectors, False)
        rows.append({"works": works_n, "dim": dim, "full_svd": len(full), "covariance": len(covariance),
                     "same_members": len(full & covariance), "load": round(os.getloadavg()[0], 2)})
        print(f"{works_n:>6,} x {dim:<4} patterns: full SVD {len(full)}, covariance {len(covariance)}, "
              f"same members {len(full & covariance)}", flush=True)
    out = RESULTS / "pca_patterns.json"
    out.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
