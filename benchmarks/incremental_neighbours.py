"""The neighbours stage on a change: searched whole, reused, and patched (atlas.analysis.neighbour_stage).

    python -m benchmarks.incremental_neighbours --works 10000 --dim 512

N synthetic works (benchmarks/synthetic.py: 20 Zipf-sized cultures, 10 media, clustered unit vectors),
k = 6, exact search on the CPU. Times find_neighbours into a temporary stage folder: the first (whole)
search, a no-change run, then runs after 1, 10 and 100 vectors changed (each against the previous run),
and a `--full` run; checks each patched result equals the full search. Writes
benchmarks/results/incremental_neighbours_<N>_<d>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from atlas.analysis.neighbour_stage import find_neighbours
from atlas.core.config import NeighboursConfig
from benchmarks.synthetic import CULTURES, MEDIA, clustered_vectors, group_labels

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--works", type=int, default=10000)
    parser.add_argument("--dim", type=int, default=512)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    culture, medium = group_labels(args.works, CULTURES, rng), group_labels(args.works, MEDIA, rng, exponent=1.1)
    vectors = clustered_vectors(args.works, args.dim, culture, np.random.default_rng(1))
    ids = [f"w{i:07d}" for i in range(args.works)]
    conditions = {"culture": [CULTURES[c] for c in culture], "medium": [MEDIA[m] for m in medium]}
    ncfg = NeighboursConfig(method="exact")
    rows = []
    with tempfile.TemporaryDirectory(prefix="incnb-") as tmp:
        def run(name: str, full: bool = False):
            load = os.getloadavg()[0]
            start = time.perf_counter()
            found = find_neighbours(Path(tmp), ids, vectors, conditions, ncfg, "cpu", full)
            rows.append({"run": name, "seconds": round(time.perf_counter() - start, 2), "reason": found.reason,
                         "load_before": round(load, 1)})
            print(rows[-1], flush=True)
            return found

        run("whole (first)")
        run("no change")
        for changed in (1, 10, 100):
            rows_changed = rng.choice(args.works, changed, replace=False)
            vectors[rows_changed] = clustered_vectors(changed, args.dim, culture[rows_changed], rng)
            patched = run(f"{changed} vectors changed")
        full = run("--full", full=True)
        assert np.array_equal(patched.analogies.indices, full.analogies.indices)
    whole = rows[-1]["seconds"]
    print("\n| run | seconds | x whole |\n|---|---:|---:|")
    for r in rows:
        print(f"| {r['run']} | {r['seconds']} | {r['seconds'] / whole:.3f} |")
    out = RESULTS / f"incremental_neighbours_{args.works}_{args.dim}.json"
    out.write_text(json.dumps({"works": args.works, "dim": args.dim, "runs": rows}, indent=1) + "\n")
    print(f"wrote benchmarks/results/{out.name}")


if __name__ == "__main__":
    main()
