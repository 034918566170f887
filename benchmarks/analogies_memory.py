"""How much memory the analogies take once they are Python objects, against the arrays they come from.

    python -m benchmarks.analogies_memory --works 100000

Makes the neighbour-search output of N works in 30 groups (20 cultures, 10 media, k = 6 as the synthetic
site.yaml says: random neighbour indices and scores, which take the same room as real ones) and measures
the anonymous resident memory (RssAnon) before and after `atlas.analysis.neighbours.analogies_by_work` turns it
into the {work: {field: {group: [(id, score), ...]}}} dicts every later stage reads, and the size of that
structure as the stage cache's JSON. Writes benchmarks/results/analogies_memory_<N>.json.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from pathlib import Path

import numpy as np

from atlas.analysis.analogy_table import AnalogyTable
from atlas.analysis.neighbours import GroupNeighbours, analogies_by_work

RESULTS = Path(__file__).resolve().parent / "results"


def anon_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="memory of the analogies as Python objects")
    parser.add_argument("--works", type=int, default=100000)
    parser.add_argument("--k", type=int, default=6)
    parser.add_argument("--table", action="store_true",
                        help="measure atlas.analysis.analogy_table.AnalogyTable (int32/float32 arrays) instead")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    ids = [f"S{i:07d}" for i in range(args.works)]
    groups = [("culture", f"c{g}") for g in range(20)] + [("medium", f"m{g}") for g in range(10)]
    results = [
        GroupNeighbours(field, group, "exact", rng.integers(0, args.works, (args.works, args.k)),
                        rng.random((args.works, args.k), dtype=np.float32))
        for field, group in groups
    ]
    array_mb = sum(r.indices.nbytes + r.scores.nbytes for r in results) / 2**20
    gc.collect()
    before = anon_mb()
    start = time.perf_counter()
    analogies = AnalogyTable.from_results(ids, results) if args.table else analogies_by_work(ids, results)
    seconds = time.perf_counter() - start
    gc.collect()
    objects_mb = anon_mb() - before
    json_mb = (len(analogies.to_bytes()) if args.table else len(json.dumps(analogies, separators=(",", ":")))) / 2**20
    row = {"works": args.works, "groups": len(groups), "k": args.k, "pairs": args.works * len(groups) * args.k,
           "arrays_mb": round(array_mb, 1), "python_objects_mb": round(objects_mb, 1), "json_mb": round(json_mb, 1),
           "analogies_by_work_s": round(seconds, 1), "held_as": "AnalogyTable arrays" if args.table else "Python objects",
           "cached_as": ".npz" if args.table else "JSON"}
    print(f"{row['pairs']:,} (id, score) pairs: search output {array_mb:,.0f} MB (int64 indices + float32 scores), "
          f"held as {row['held_as']} {objects_mb:,.0f} MB anonymous, cached as {row['cached_as']} {json_mb:,.0f} MB; "
          f"built in {seconds:.1f} s")
    out = RESULTS / f"analogies_memory_{args.works}{'_table' if args.table else ''}.json"
    out.write_text(json.dumps(row, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
